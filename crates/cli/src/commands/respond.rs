//! `budgetctl respond`: run the responses that spend has made due, once per
//! budget period; meant for a scheduled CI job. The engine decides and acts
//! (`budgetctl_engine::respond`); `views::respond` renders what it did.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use budgetctl_engine::respond::{Outcome, RespondOptions, ResponseReport, respond_in, settling};
use budgetctl_spec::AccountId;

use super::action::Format;
use super::connect::{ConnectArgs, open_with_files, runtime};
use crate::error::{CliError, Unsettled};
use crate::views;

#[derive(clap::Args)]
pub struct RespondArgs {
    #[arg(short = 'f', long = "file", value_name = "PATH", help = super::connect::FILES_HELP, help_heading = "Input")]
    pub files: Vec<PathBuf>,
    /// Only this account; repeatable. Default: every account with responses.
    #[arg(long = "account", value_name = "ID", help_heading = "Input")]
    pub accounts: Vec<AccountId>,
    /// Show what would run and why (spend, line, period, token); read only
    /// the budgets' spend and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = Format::Text, help = super::connect::FORMAT_HELP, help_heading = "Output")]
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

pub fn run(args: RespondArgs, color: bool) -> Result<ExitCode, CliError> {
    let accounts = &args.accounts;
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
        let Ok((session, loaded)) = open_with_files(&args.connect, &args.files, false).await?
        else {
            return Err(CliError::Invalid(
                "the budget files do not validate: nothing was run",
            ));
        };
        let mut config = loaded.config;
        if !accounts.is_empty() {
            config.budgets.retain(|b| accounts.contains(&b.account));
        }
        let reports = respond_in(&session, &config, &options).await;
        session.finish(Ok::<_, CliError>(reports)).await
    })?;
    let waited_out = |r: &ResponseReport| {
        args.wait
            && matches!(&r.outcome, Outcome::Ran(rec) | Outcome::AlreadyRan(rec) if settling(&rec.status))
    };
    let failed = reports
        .iter()
        .any(|r| r.outcome.is_failure() || waited_out(r));
    let shown = match args.format {
        Format::Json => views::respond::json(&reports, args.dry_run)? + "\n",
        Format::Text => views::respond::text(&reports, args.dry_run, color, views::table::width()),
    };
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    let running: Vec<String> = reports
        .iter()
        .filter(|r| waited_out(r))
        .map(|r| format!("{}/{}", r.budget, r.response.name))
        .collect();
    if !running.is_empty() {
        return Err(CliError::Unsettled(Unsettled::Records {
            responses: running,
            timeout: args.timeout,
        }));
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
