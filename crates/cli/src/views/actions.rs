//! Budget actions as `budgetctl action` shows them: the list (text or
//! JSON) and one action's history.

use budgetctl_diff::LiveAction;
use budgetctl_engine::actions::{AccountAction, Executed, HistoryEvent};
use budgetctl_spec::{AccountId, ExecutionType};
use serde::Serialize;

use super::escape::escape_text;
use super::plan_text::action_summary;
use super::table::{Overflow, Table, Tone};

/// What an execution is about to do, as the prompt shows it: the action as
/// it is, its role, and what AWS will do.
pub fn shown(
    execution: ExecutionType,
    account: &AccountId,
    budget: &str,
    action: &LiveAction,
) -> String {
    let what = match execution {
        ExecutionType::Approve | ExecutionType::Retry => {
            format!("AWS will {}", action.action.definition.describe())
        }
        ExecutionType::Reverse => format!("AWS will undo: {}", action.action.definition.describe()),
        ExecutionType::Reset => {
            "the action goes back to STANDBY, to trigger again when spend crosses its threshold"
                .to_owned()
        }
    };
    format!(
        "{execution} action {}/{} in account {account} ({}, {}):\n  {}\n  run as {}\n  {}",
        escape_text(budget),
        escape_text(action.label()),
        action.status.aws_name(),
        escape_text(&action.id),
        escape_text(&action_summary(&action.action, None)),
        escape_text(&action.action.execution_role),
        escape_text(&what),
    )
}

/// How the execution went through.
pub fn executed(
    execution: ExecutionType,
    executed: Executed,
    budget: &str,
    action: &LiveAction,
) -> String {
    format!(
        "{execution}: ExecuteBudgetAction {} for {}/{}",
        match executed {
            Executed::Accepted => "accepted",
            Executed::SettledByHistory =>
                "went through (its answer was lost; the action's history shows the execution)",
        },
        escape_text(budget),
        escape_text(action.label())
    )
}

/// What `action list --format json` prints for each action.
#[derive(Serialize)]
struct ListedAction<'a> {
    account: &'a str,
    budget: &'a str,
    name: Option<&'a str>,
    id: &'a str,
    #[serde(rename = "type")]
    action_type: &'static str,
    when: String,
    status: &'static str,
    approval: &'static str,
    does: String,
}

/// The actions as a table: status (coloured on a terminal), budget and
/// action, type, account, trigger and approval, one line each.
pub fn list_text(actions: &[AccountAction], color: bool, width: Option<usize>) -> String {
    if actions.is_empty() {
        return "No budget actions.\n".to_owned();
    }
    let mut table = Table::new(
        &[
            "STATUS",
            "BUDGET/ACTION",
            "TYPE",
            "ACCOUNT",
            "WHEN",
            "APPROVAL",
        ],
        Overflow::Cut,
    )
    .elastic(1);
    for a in actions {
        let status = a.action.status.aws_name();
        table.row(vec![
            (status.to_owned(), status_tone(status)),
            (
                format!(
                    "{}/{}",
                    escape_text(&a.budget),
                    escape_text(a.action.label())
                ),
                Tone::Plain,
            ),
            (
                a.action.action.action_type().aws_name().to_owned(),
                Tone::Plain,
            ),
            (a.account.to_string(), Tone::Plain),
            (
                escape_text(&a.action.action.when(None)).into_owned(),
                Tone::Plain,
            ),
            (a.action.action.approval.aws_name().to_owned(), Tone::Plain),
        ]);
    }
    table.render(width, color)
}

/// How a budget action's status reads: waiting on someone, failed, done.
pub fn status_tone(status: &str) -> Tone {
    match status {
        "PENDING" => Tone::Attention,
        s if s.ends_with("FAILURE") || s.ends_with("FAILED") => Tone::Bad,
        s if s.ends_with("SUCCESS") => Tone::Good,
        _ => Tone::Plain,
    }
}

/// The actions as a JSON array.
pub fn list_json(actions: &[AccountAction]) -> Result<String, serde_json::Error> {
    let listed: Vec<ListedAction> = actions
        .iter()
        .map(|a| ListedAction {
            account: a.account.as_str(),
            budget: &a.budget,
            name: a.action.name.as_deref(),
            id: &a.action.id,
            action_type: a.action.action.action_type().aws_name(),
            when: a.action.action.when(None),
            status: a.action.status.aws_name(),
            approval: a.action.action.approval.aws_name(),
            does: a.action.action.definition.describe(),
        })
        .collect();
    super::json::json(&listed)
}

#[derive(Serialize)]
struct ListedEvent<'a> {
    at: String,
    status: &'a str,
    event: &'a str,
    message: &'a str,
}

/// An event's time, as RFC 3339 in UTC.
fn at(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The events as a table, oldest first; messages wrap at words.
pub fn history_text(events: &[HistoryEvent], color: bool, width: Option<usize>) -> String {
    if events.is_empty() {
        return "No events.\n".to_owned();
    }
    let mut table = Table::new(&["AT", "STATUS", "EVENT", "MESSAGE"], Overflow::Wrap).elastic(3);
    for e in events {
        table.row(vec![
            (at(e.at), Tone::Plain),
            (escape_text(&e.status).into_owned(), status_tone(&e.status)),
            (escape_text(&e.event).into_owned(), Tone::Plain),
            (escape_text(&e.message).into_owned(), Tone::Plain),
        ]);
    }
    table.render(width, color)
}

/// The events as a JSON array.
pub fn history_json(events: &[HistoryEvent]) -> Result<String, serde_json::Error> {
    let listed: Vec<ListedEvent> = events
        .iter()
        .map(|e| ListedEvent {
            at: at(e.at),
            status: &e.status,
            event: &e.event,
            message: &e.message,
        })
        .collect();
    super::json::json(&listed)
}
