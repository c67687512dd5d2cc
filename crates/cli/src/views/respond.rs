//! What `budgetctl respond` did, as text (one line per response, what to
//! do about a failure, a summary) and as JSON.

use budgetctl_diff::respond::Verdict;
use budgetctl_engine::respond::{Outcome, Record, ResponseReport};
use budgetctl_spec::ThresholdType;
use budgetctl_spec::amount::to_aws_string;
use serde::Serialize;

use super::escape::escape_text;
use super::table::{Overflow, Table, Tone};

/// The responses as a table (what happened wraps at words: it names
/// records, tokens and what to do), a summary last.
pub fn text(
    reports: &[ResponseReport],
    dry_run: bool,
    color: bool,
    width: Option<usize>,
) -> String {
    let mut out = String::new();
    if reports.is_empty() {
        out.push_str("No budget declares responses.\n");
    } else {
        let mut table = Table::new(
            &[
                "OUTCOME",
                "ACCOUNT",
                "BUDGET/RESPONSE",
                "SPEND",
                "PERIOD",
                "WHAT HAPPENED",
            ],
            Overflow::Wrap,
        )
        .elastic(2)
        .elastic(3)
        .elastic(5);
        for r in reports {
            let mut happened = detail(r);
            if let Some(next) = next_step(r) {
                happened.push_str("; ");
                happened.push_str(&next);
            }
            let word = r.outcome.word();
            table.row(vec![
                (word.to_owned(), outcome_tone(word)),
                (r.account.to_string(), Tone::Plain),
                (
                    escape_text(&format!("{}/{}", r.budget, r.response.name)).into_owned(),
                    Tone::Plain,
                ),
                (escape_text(&why(r)).into_owned(), Tone::Plain),
                (r.period.to_string(), Tone::Plain),
                (escape_text(&happened).into_owned(), Tone::Plain),
            ]);
        }
        out.push_str(&table.render(width, color));
    }
    let s = summary(reports);
    out.push_str(&format!(
        "\n{} responses: {} ran, {} already ran, {} due{}, {} not due, {} failed\n",
        reports.len(),
        s.ran,
        s.already_ran,
        s.due,
        if dry_run { " (dry run)" } else { "" },
        s.not_due,
        s.failed
    ));
    out
}

/// How an outcome reads: about to run, failed, ran.
fn outcome_tone(word: &str) -> Tone {
    match word {
        "due" | "running" => Tone::Attention,
        "failed" | "error" => Tone::Bad,
        "ran" => Tone::Good,
        _ => Tone::Plain,
    }
}

/// The responses as one JSON document.
pub fn json(reports: &[ResponseReport], dry_run: bool) -> Result<String, serde_json::Error> {
    super::json::json(&RespondJson {
        dry_run,
        responses: reports.iter().map(listed).collect(),
        summary: summary(reports),
    })
}

/// `forecasted 2300 USD > 2200 USD (110% of 2000 USD)`: what decided.
fn why(r: &ResponseReport) -> String {
    let kind = r.response.notification_type;
    let unit = r
        .limit
        .as_ref()
        .map(|l| l.unit.clone())
        .or_else(|| r.unit.clone())
        .unwrap_or_default();
    let of = match (&r.response.threshold_type, &r.limit) {
        (ThresholdType::Percentage, Some(l)) => format!(
            " ({}% of {} {})",
            to_aws_string(r.response.threshold),
            to_aws_string(l.amount),
            l.unit
        ),
        _ => String::new(),
    };
    match &r.verdict {
        Verdict::Due { spend, line } => format!(
            "{kind} {} {unit} > {} {unit}{of}",
            to_aws_string(*spend),
            to_aws_string(*line)
        ),
        Verdict::NotDue { spend, line } => format!(
            "{kind} {} {unit} ≤ {} {unit}{of}",
            to_aws_string(*spend),
            to_aws_string(*line)
        ),
        Verdict::NoSpend => format!("no {kind} spend from AWS yet"),
        Verdict::NoLimit => format!(
            "no limit to take {}% of (AWS has not sized the budget yet)",
            to_aws_string(r.response.threshold)
        ),
    }
}

fn record_text(rec: &Record) -> String {
    let mut text = format!("record {} {}", rec.id, rec.status);
    for (code, description) in &rec.errors {
        text.push_str(&format!("; {code}: {description}"));
    }
    text
}

/// What happened, in words.
fn detail(r: &ResponseReport) -> String {
    let does = r.response.action.describe();
    match &r.outcome {
        Outcome::NotDue | Outcome::NoSpend | Outcome::NoLimit => "nothing to do".into(),
        Outcome::NoBudget => "the budget is not in AWS yet: run budgetctl apply".into(),
        Outcome::WouldRun => match &r.token {
            Some(token) => format!("would {does} (ExecuteToken {token})"),
            None => format!("would {does}"),
        },
        Outcome::Ran(rec) => format!("{does}: {}", record_text(rec)),
        Outcome::AlreadyRan(rec) => format!("ran this period already: {}", record_text(rec)),
        Outcome::Failed { record, earlier } => {
            let when = if *earlier {
                "this period's run failed"
            } else {
                "failed"
            };
            format!("{when}: {}", record_text(record))
        }
        Outcome::Unmarked { record, error } => format!(
            "{does}: {}; but its mark could not be kept on the budget ({}): the next run finds the record again through its ExecuteToken while Service Catalog remembers it; give respond budgets:TagResource",
            record_text(record),
            escape_text(&error.to_string())
        ),
        Outcome::Approved => format!("approved: {does}"),
        Outcome::NothingToApprove(status) => {
            format!("nothing to approve: the action is {}", status.aws_name())
        }
        Outcome::Refused(message) => message.clone(),
        // One line: the hint follows the error after `;`.
        Outcome::Aws(e) => format!(
            "nothing was run: {}",
            super::hints::explain(e).replace("\n  hint: ", "; hint: ")
        ),
    }
}

/// What to do about a failure.
fn next_step(r: &ResponseReport) -> Option<String> {
    match &r.outcome {
        Outcome::Failed { earlier: true, .. } => Some(
            "not run again this period: fix the cause, then run `budgetctl respond --retry-failed`"
                .into(),
        ),
        Outcome::Failed { earlier: false, .. } => Some(
            "see the record in Service Catalog; `budgetctl respond --retry-failed` runs it again this period"
                .into(),
        ),
        _ => None,
    }
}

#[derive(Serialize)]
struct RespondJson {
    dry_run: bool,
    responses: Vec<Listed>,
    summary: Summary,
}

#[derive(Serialize, Default)]
struct Summary {
    due: usize,
    ran: usize,
    already_ran: usize,
    not_due: usize,
    failed: usize,
}

fn summary(reports: &[ResponseReport]) -> Summary {
    let mut s = Summary::default();
    for r in reports {
        match r.outcome.word() {
            "due" => s.due += 1,
            "ran" | "running" => s.ran += 1,
            "already-ran" => s.already_ran += 1,
            "not-due" => s.not_due += 1,
            _ => s.failed += 1,
        }
    }
    s
}

#[derive(Serialize)]
struct ListedRecord {
    id: String,
    status: String,
    errors: Vec<ListedError>,
}

#[derive(Serialize)]
struct ListedError {
    code: String,
    description: String,
}

#[derive(Serialize)]
struct Listed {
    account: String,
    budget: String,
    response: String,
    when: String,
    does: String,
    period: String,
    limit: Option<String>,
    /// due, not_due, no_spend or no_limit.
    verdict: &'static str,
    spend: Option<String>,
    line: Option<String>,
    outcome: &'static str,
    token: Option<String>,
    record: Option<ListedRecord>,
    message: String,
}

fn listed(r: &ResponseReport) -> Listed {
    let (verdict, spend, line) = match &r.verdict {
        Verdict::Due { spend, line } => ("due", Some(*spend), Some(*line)),
        Verdict::NotDue { spend, line } => ("not_due", Some(*spend), Some(*line)),
        Verdict::NoSpend => ("no_spend", None, None),
        Verdict::NoLimit => ("no_limit", None, None),
    };
    let record = match &r.outcome {
        Outcome::Ran(rec)
        | Outcome::AlreadyRan(rec)
        | Outcome::Unmarked { record: rec, .. }
        | Outcome::Failed { record: rec, .. } => Some(ListedRecord {
            id: rec.id.clone(),
            status: rec.status.clone(),
            errors: rec
                .errors
                .iter()
                .map(|(code, description)| ListedError {
                    code: code.clone(),
                    description: description.clone(),
                })
                .collect(),
        }),
        _ => None,
    };
    Listed {
        account: r.account.to_string(),
        budget: r.budget.clone(),
        response: r.response.name.clone(),
        when: r.response.when(r.unit.as_deref()),
        does: r.response.action.describe(),
        period: r.period.to_string(),
        limit: r.limit.as_ref().map(ToString::to_string),
        verdict,
        spend: spend.map(to_aws_string),
        line: line.map(to_aws_string),
        outcome: r.outcome.word(),
        token: r.token.clone(),
        record,
        message: detail(r),
    }
}
