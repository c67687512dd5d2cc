//! `budgetctl status`: where every budget of the accounts the files name
//! stands this period (`budgetctl_engine::status`), as a terminal table, a
//! markdown summary, an html page or JSON; `--fail-on` makes a nightly job
//! go red.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use budgetctl_diff::status::{Sort, Standing};
use budgetctl_engine::status::{StatusOptions, status};
use rust_decimal::Decimal;

use super::connect::{AccountScopeArgs, ConnectArgs, open_with_files, reading, runtime};
use crate::error::CliError;
use crate::views;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
    Html,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    /// Over, then forecast over, then by the larger percentage.
    Risk,
    /// By account, then name.
    Name,
    /// By actual spend, largest first.
    Spend,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Exit 1 when a budget's actual spend is over its limit.
    Over,
    /// Exit 1 when a budget's forecast (or actual spend) is over its limit.
    ForecastOver,
}

/// `budgetctl status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub scope: AccountScopeArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Read the last N periods of each budget (one more request per
    /// budget; AWS keeps 12 months, 4 quarters or 60 days).
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=60), help_heading = "Input")]
    pub history: u32,
    /// How rows are ordered.
    #[arg(long, value_enum, default_value_t = SortBy::Risk, help_heading = "Output")]
    pub sort: SortBy,
    /// Only budgets whose actual or forecasted spend is at least PERCENT of
    /// their limit.
    #[arg(long, value_name = "PERCENT", help_heading = "Output")]
    pub over: Option<u32>,
    /// text for a terminal, markdown for a job summary or an issue, html
    /// for one self-contained page, json for scripts and dashboards.
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = "Output")]
    pub format: Format,
    /// Write it to FILE instead of stdout.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Exit 1 when a budget is over its limit (or forecast to be); 0 otherwise.
    #[arg(long, value_enum, value_name = "WHAT", help_heading = "Output")]
    pub fail_on: Option<FailOn>,
    /// Requests in flight at once, across all the accounts read.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Performance")]
    pub parallelism: u16,
    /// Say what is being read.
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,
}

pub fn run(args: StatusArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    let scope = args.scope.plan_scope();
    let status = runtime()?.block_on(async {
        let Ok((session, loaded)) =
            open_with_files(&args.connect, &args.scope.files, colors.stderr).await?
        else {
            return Ok(None);
        };
        let reading = reading(args.verbose);
        let options = StatusOptions {
            parallelism: usize::from(args.parallelism),
            today: chrono::Utc::now().date_naive(),
            history: args.history,
            sort: match args.sort {
                SortBy::Risk => Sort::Risk,
                SortBy::Name => Sort::Name,
                SortBy::Spend => Sort::Spend,
            },
            reading: &reading,
        };
        let status = status(&loaded, session.clients(), &scope, &options).await;
        session
            .finish(status.map(Some).map_err(CliError::from))
            .await
    })?;
    let Some(status) = status else {
        return Ok(ExitCode::FAILURE);
    };
    // Every budget read decides --fail-on, whatever --over shows.
    let off_track: Vec<String> = match args.fail_on {
        None => Vec::new(),
        Some(on) => status
            .rows
            .iter()
            .filter(|r| match on {
                FailOn::Over => r.standing() == Standing::Over,
                FailOn::ForecastOver => {
                    matches!(r.standing(), Standing::Over | Standing::ForecastOver)
                }
            })
            .map(|r| views::escape::escape_text(&r.address()).into_owned())
            .collect(),
    };
    let rows: Vec<_> = match args.over {
        Some(at) => status
            .rows
            .iter()
            .filter(|r| r.worst_percent().is_some_and(|p| p >= Decimal::from(at)))
            .cloned()
            .collect(),
        None => status.rows.clone(),
    };
    let to_terminal = args.out.is_none() && std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Text => {
            let width = terminal_size::terminal_size()
                .filter(|_| to_terminal)
                .map_or(120, |(w, _)| usize::from(w.0));
            views::status::text(&status, &rows, colors.stdout && args.out.is_none(), width)
        }
        Format::Markdown => views::status::markdown(&status, &rows),
        Format::Html => views::status::html(&status, &rows),
        Format::Json => views::json::json(&views::status::document(&status, &rows))? + "\n",
    };
    match &args.out {
        Some(path) => {
            crate::files::write_atomically(path, &text)?;
            note!("wrote {}", path.display());
        }
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    if !off_track.is_empty() {
        return Err(CliError::OffTrack {
            on: match args.fail_on {
                Some(FailOn::ForecastOver) => "forecast-over",
                _ => "over",
            },
            budgets: off_track,
        });
    }
    Ok(ExitCode::SUCCESS)
}
