//! Operating budget actions (`budgetctl action`): find an action by its
//! `budgetctl:action` name or its id, check that an execution is possible
//! from its status before any write, run ExecuteBudgetAction at most once
//! on exactly the action that was shown, and follow its status until it
//! settles.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use budgetctl_aws::{
    AwsError, BudgetAt, Clients, ErrorKind, HistoryEvent, ReadError, read_action_history,
    read_action_status, read_budget_actions,
};
use budgetctl_diff::LiveAction;
use budgetctl_spec::rules::inert;
use budgetctl_spec::{AccountId, ActionStatus, ExecutionType};

/// Why an action could not be operated.
#[derive(Debug, thiserror::Error)]
pub enum OperateError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// No such action, or an execution its status does not allow: refused
    /// before any write.
    #[error("{0}")]
    Refused(String),
    /// The action changed since it was shown: nothing was executed.
    #[error(
        "action `{action}` of budget `{budget}` changed since it was shown ({}): nothing was executed; run the command again to see it as it is now",
        changes.join("; ")
    )]
    Changed {
        action: String,
        budget: String,
        changes: Vec<String>,
    },
    /// The action's status moved on after it was shown (another run, or
    /// AWS, executed it first): this run executed nothing.
    #[error(
        "action `{action}` of budget `{budget}` is now {}, no longer {}: another run got there first, and this one executed nothing",
        status.aws_name(),
        was.aws_name()
    )]
    Overtaken {
        action: String,
        budget: String,
        was: ActionStatus,
        status: ActionStatus,
    },
}

/// The action `handle` names in a budget: its `budgetctl:action` name, or
/// its ActionId.
pub async fn find_action(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    handle: &str,
) -> Result<LiveAction, OperateError> {
    let actions = read_budget_actions(clients.for_account(account), account, budget).await?;
    if let Some(a) = actions
        .iter()
        .find(|a| a.name.as_deref() == Some(handle))
        .or_else(|| actions.iter().find(|a| a.id == handle))
    {
        return Ok(a.clone());
    }
    // Names read from AWS go into the message inert: a tag with a line
    // break must not print a line of its own.
    let known: Vec<String> = actions
        .iter()
        .map(|a| inert(a.label()).into_owned())
        .collect();
    let (budget, handle) = (inert(budget), inert(handle));
    Err(OperateError::Refused(if known.is_empty() {
        format!("budget `{budget}` in account {account} has no actions (or does not exist)")
    } else {
        format!(
            "budget `{budget}` in account {account} has no action `{handle}`; it has: {}",
            known.join(", ")
        )
    }))
}

/// Refuse, before any write, an execution the action's status does not allow.
pub fn check_execution(
    budget: &str,
    action: &LiveAction,
    execution: ExecutionType,
) -> Result<(), OperateError> {
    if execution.allowed_from(action.status) {
        return Ok(());
    }
    let from: Vec<&str> = execution
        .allowed_statuses()
        .iter()
        .map(|s| s.aws_name())
        .collect();
    let now = match action.status {
        s if s.in_progress() => " (AWS is working on it: wait for it to settle)".to_owned(),
        ActionStatus::Standby => " (its threshold has not been crossed)".to_owned(),
        _ => String::new(),
    };
    Err(OperateError::Refused(format!(
        "cannot {execution} action `{}` of budget `{}`: it is {}{now}, and {execution} is possible only from {}",
        inert(action.label()),
        inert(budget),
        action.status.aws_name(),
        from.join(" or ")
    )))
}

/// How an execution this command asked for went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executed {
    /// ExecuteBudgetAction answered: AWS took this call.
    Accepted,
    /// The answer was lost; the action's history shows an execution that
    /// started after this command read it, so the call went through.
    SettledByHistory,
}

/// What differs between what the action does as it was shown and as it
/// is now: each changed field as `field: before → after`.
fn changes_since(shown: &LiveAction, now: &LiveAction) -> Vec<String> {
    budgetctl_diff::action_fields(&shown.action, &now.action, None)
        .into_iter()
        .map(|f| format!("{}: {} → {}", f.field, inert(&f.after), inert(&f.before)))
        .collect()
}

/// The statuses an execution moves an action through from `from`: its
/// in-progress step and its outcomes.
fn statuses_of(execution: ExecutionType, from: ActionStatus) -> &'static [ActionStatus] {
    use ActionStatus::*;
    const EXECUTING: &[ActionStatus] = &[ExecutionInProgress, ExecutionSuccess, ExecutionFailure];
    const REVERSING: &[ActionStatus] = &[ReverseInProgress, ReverseSuccess, ReverseFailure];
    const RESETTING: &[ActionStatus] = &[ResetInProgress, Standby, ResetFailure];
    match (execution, from) {
        (ExecutionType::Approve, _) | (ExecutionType::Retry, ExecutionFailure) => EXECUTING,
        (ExecutionType::Reverse, _) | (ExecutionType::Retry, ReverseFailure) => REVERSING,
        (ExecutionType::Reset, _) | (ExecutionType::Retry, _) => RESETTING,
    }
}

/// Whether `after` (the history now) holds an execution event that
/// `before` (the history read before the call) did not, moving the action
/// the way `execution` moves it from `from`. Histories only grow.
fn started_since(
    before: &[HistoryEvent],
    after: &[HistoryEvent],
    execution: ExecutionType,
    from: ActionStatus,
) -> bool {
    let moves = statuses_of(execution, from);
    after.iter().skip(before.len()).any(|e| {
        e.event == "EXECUTE_ACTION"
            && ActionStatus::parse(&e.status).is_some_and(|s| moves.contains(&s))
    })
}

/// Run ExecuteBudgetAction on `shown`, the action as the person (or the
/// files) saw it, at most once.
///
/// The action is read again first, and nothing runs when anything that
/// was shown changed since: what it does (definition, approval, role,
/// threshold, subscribers: [`OperateError::Changed`]) or its status
/// ([`OperateError::Overtaken`]). The SDK never repeats the call (a repeat after a
/// lost answer, or after the execution failed again, would run the action
/// a second time): a refusal AWS answered without acting (locked,
/// throttled) is tried again after a pause; a lost answer is settled by
/// reading the action's history, an execution event that was not there
/// before the call being this call's; AWS refusing the execution because
/// the status moved on means another run got there first
/// ([`OperateError::Overtaken`]), and this one executed nothing.
pub async fn execute(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    shown: &LiveAction,
    execution: ExecutionType,
) -> Result<Executed, OperateError> {
    let client = clients.for_account(account);
    let actions = read_budget_actions(client, account, budget).await?;
    let Some(now) = actions.iter().find(|a| a.id == shown.id) else {
        return Err(OperateError::Refused(format!(
            "action `{}` of budget `{}` was deleted since it was shown: nothing was executed",
            inert(shown.label()),
            inert(budget)
        )));
    };
    let changed = changes_since(shown, now);
    if !changed.is_empty() {
        return Err(OperateError::Changed {
            action: inert(shown.label()).into_owned(),
            budget: inert(budget).into_owned(),
            changes: changed,
        });
    }
    if now.status != shown.status {
        return Err(OperateError::Overtaken {
            action: inert(shown.label()).into_owned(),
            budget: inert(budget).into_owned(),
            was: shown.status,
            status: now.status,
        });
    }
    check_execution(budget, now, execution)?;
    let before = read_action_history(client, account, budget, &now.id, None).await?;
    let at = BudgetAt {
        client,
        account,
        name: budget,
    };
    let mut pauses = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(250))
        .with_max_delay(Duration::from_secs(5))
        .with_max_times(8)
        .with_jitter()
        .build();
    loop {
        let e = match at.execute_action(&now.id, execution).await {
            Ok(()) => return Ok(Executed::Accepted),
            Err(e) => e,
        };
        match e.kind {
            // Answered without acting: the same call may go through later.
            ErrorKind::Locked | ErrorKind::Throttled => {}
            ErrorKind::Ambiguous => {
                let after = read_action_history(client, account, budget, &now.id, None).await?;
                if started_since(&before, &after, execution, now.status) {
                    return Ok(Executed::SettledByHistory);
                }
            }
            ErrorKind::InvalidParameter => {
                return match read_action_status(client, account, budget, &now.id).await? {
                    Some(status) if status != now.status => Err(OperateError::Overtaken {
                        action: inert(now.label()).into_owned(),
                        budget: inert(budget).into_owned(),
                        was: now.status,
                        status,
                    }),
                    _ => Err(e.into()),
                };
            }
            _ => return Err(e.into()),
        }
        match pauses.next() {
            Some(pause) => tokio::time::sleep(pause).await,
            None => return Err(e.into()),
        }
    }
}

/// Follow the action's status until no step is in progress, telling
/// `seen` of each status read; the status it settled in. Gives up after
/// `timeout`, returning the status last read.
pub async fn wait_until_settled(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    id: &str,
    poll: Duration,
    timeout: Duration,
    seen: &(dyn Fn(ActionStatus) + Sync),
) -> Result<ActionStatus, OperateError> {
    let started = tokio::time::Instant::now();
    loop {
        let status = read_action_status(clients.for_account(account), account, budget, id)
            .await?
            .ok_or_else(|| {
                OperateError::Refused(format!(
                    "action {} of budget `{}` was deleted while being followed",
                    inert(id),
                    inert(budget)
                ))
            })?;
        seen(status);
        if !status.in_progress() || started.elapsed() >= timeout {
            return Ok(status);
        }
        tokio::time::sleep(poll).await;
    }
}
