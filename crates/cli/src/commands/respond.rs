//! `budgetctl respond`: run the responses that spend has made due, once per
//! budget period; meant for a scheduled CI job. The engine decides and acts
//! (`budgetctl_apply::respond`); this renders what it did.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use budgetctl_apply::diff::respond::Verdict;
use budgetctl_apply::{Outcome, RespondOptions, ResponseReport, catalog_clients, respond};
use budgetctl_spec::amount::to_aws_string;
use budgetctl_spec::{AccountId, ThresholdType};
use serde::Serialize;

use super::action::Format;
use super::connect::{ConnectArgs, open_with_files, runtime};
use crate::error::CliError;
use crate::views::escape::escape_text;

#[derive(clap::Args)]
pub struct RespondArgs {
    /// A budget file or directory; repeatable. Default: budgets.yaml or budgets/.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// Only this account; repeatable. Default: every account with responses.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Show what would run and why (spend, line, period, token); read only
    /// the budgets' spend and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Follow each Service Catalog record until it settles; exit 1 if it
    /// fails or is still running when the timeout runs out.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub timeout: u64,
    /// Run again a response whose record this period FAILED (by default a
    /// failure is reported, exit 1, and not re-run: someone should look).
    #[arg(long)]
    pub retry_failed: bool,
    /// The day that decides the budget period (YYYY-MM-DD; default: today,
    /// UTC). For tests; spend is always AWS's current figure.
    #[arg(long, value_name = "DATE", hide = true, value_parser = parse_day)]
    pub today: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date: write YYYY-MM-DD"))
}

pub fn run(args: RespondArgs) -> Result<ExitCode, CliError> {
    let accounts: Vec<AccountId> = args
        .accounts
        .iter()
        .map(|a| {
            AccountId::parse(a).ok_or_else(|| {
                CliError::Refused(format!("--account {a} is not a 12-digit account id"))
            })
        })
        .collect::<Result<_, _>>()?;
    let options = RespondOptions {
        today: args
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        dry_run: args.dry_run,
        wait: args.wait.then(|| {
            (
                Duration::from_millis(500),
                Duration::from_secs(args.timeout),
            )
        }),
        retry_failed: args.retry_failed,
    };
    let reports = runtime()?.block_on(async {
        let Some((endpoint, loaded)) = open_with_files(&args.connect, &args.files, false).await?
        else {
            return Err(CliError::Refused(
                "the budget files do not validate: nothing was run".into(),
            ));
        };
        let mut config = loaded.config;
        if !accounts.is_empty() {
            config.budgets.retain(|b| accounts.contains(&b.account));
        }
        let catalog = catalog_clients(&endpoint.connection, &config).await;
        let reports = respond(&config, &endpoint.clients, &catalog, &options).await;
        endpoint.close().await?;
        Ok::<_, CliError>(reports)
    })?;
    let waited_out = |r: &ResponseReport| {
        args.wait
            && matches!(&r.outcome, Outcome::Ran(rec) | Outcome::AlreadyRan(rec) if budgetctl_apply::settling(&rec.status))
    };
    let failed = reports
        .iter()
        .any(|r| r.outcome.is_failure() || waited_out(r));
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let listed: Vec<Listed> = reports.iter().map(listed).collect();
            let text = crate::views::json::json(&RespondJson {
                dry_run: args.dry_run,
                responses: listed,
                summary: summary(&reports),
            })?;
            let _ = writeln!(out, "{text}");
        }
        Format::Text => {
            if reports.is_empty() {
                let _ = writeln!(out, "No budget declares responses.");
            }
            for r in &reports {
                let _ = writeln!(out, "{}", escape_text(&line(r)));
                if let Some(next) = next_step(r) {
                    let _ = writeln!(out, "{:13}{}", "", escape_text(&next));
                }
            }
            let s = summary(&reports);
            let _ = writeln!(
                out,
                "\n{} responses: {} ran, {} already ran, {} due{}, {} not due, {} failed",
                reports.len(),
                s.ran,
                s.already_ran,
                s.due,
                if args.dry_run { " (dry run)" } else { "" },
                s.not_due,
                s.failed
            );
        }
    }
    for r in reports.iter().filter(|r| waited_out(r)) {
        note!(
            "error: {}/{}: the record is still running after {} s",
            r.budget,
            r.response.name,
            args.timeout
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
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

fn record_text(rec: &budgetctl_apply::aws::catalog::Record) -> String {
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
            crate::views::escape::escape_text(&error.to_string())
        ),
        Outcome::Approved => format!("approved: {does}"),
        Outcome::NothingToApprove(status) => {
            format!("nothing to approve: the action is {}", status.aws_name())
        }
        Outcome::Refused(message) => message.clone(),
        // One line: the hint follows the error after `;`.
        Outcome::Aws(e) => format!(
            "nothing was run: {}",
            crate::views::hints::explain(e).replace("\n  hint: ", "; hint: ")
        ),
    }
}

/// One line: `ran  111122223333 dev-env-monthly/scale-dev-to-zero  …`.
fn line(r: &ResponseReport) -> String {
    format!(
        "{:<12} {} {}/{}  {}, period from {}: {}",
        r.outcome.word(),
        r.account,
        r.budget,
        r.response.name,
        why(r),
        r.period,
        detail(r)
    )
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
