//! `budgetctl action`: list budget actions, show one's history, and run
//! ExecuteBudgetAction on one (approve, retry, reverse, reset), checked
//! against its status before any write and confirmed by a person.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use budgetctl_engine::actions::{
    ActionHandle, account_of, check_execution, execute, find_action, history, list,
    wait_until_settled,
};
use budgetctl_engine::session::Session;
use budgetctl_spec::{AccountId, ActionStatus, Config, ExecutionType};

use super::connect::{ConnectArgs, load_resolving, runtime};
use crate::error::{CliError, Unconfirmed, Unsettled};
use crate::views;

#[derive(clap::Subcommand)]
pub enum ActionCommand {
    /// Every budget action of the accounts: budget, name, type, threshold,
    /// status and approval model, pending ones first.
    #[command(
        after_help = "Examples:\n  budgetctl action list --account 111122223333\n  budgetctl action list --status pending --format json"
    )]
    List(ListArgs),
    /// An action's history: each status it went through, oldest first.
    #[command(
        after_help = "Examples:\n  budgetctl action history sandbox/freeze\n  budgetctl action history sandbox/freeze --since 2026-12-01 --format json"
    )]
    History(HistoryArgs),
    /// Approve a PENDING action: AWS runs it.
    #[command(
        after_help = "Examples:\n  budgetctl action approve sandbox/freeze          # shows it, asks for yes\n  budgetctl action approve sandbox/freeze --yes --wait"
    )]
    Approve(ExecuteArgs),
    /// Retry an action whose execution, reversal or reset failed.
    #[command(after_help = "Examples:\n  budgetctl action retry sandbox/freeze --wait")]
    Retry(ExecuteArgs),
    /// Undo an executed action: detach the IAM policy or SCP it attached.
    #[command(after_help = "Examples:\n  budgetctl action reverse sandbox/freeze --wait")]
    Reverse(ExecuteArgs),
    /// Put a reversed action back in STANDBY, to trigger again.
    #[command(after_help = "Examples:\n  budgetctl action reset sandbox/freeze")]
    Reset(ExecuteArgs),
}

/// Where actions are: the files (roles, the account of a declared budget)
/// and the endpoint.
#[derive(clap::Args, Clone, Default)]
pub struct Where {
    #[arg(short = 'f', long = "file", value_name = "PATH", help = super::connect::FILES_HELP, help_heading = "Input")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Only this account; repeatable. Default: every account the files name.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<AccountId>,
    /// Only actions in this status, e.g. pending or execution_failure.
    #[arg(long, value_parser = parse_status)]
    pub status: Option<ActionStatus>,
    #[arg(long, value_enum, default_value_t = Format::Text, help = super::connect::FORMAT_HELP, help_heading = "Output")]
    pub format: Format,
    #[command(flatten)]
    pub place: Where,
}

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// BUDGET/ACTION: the action's name (its budgetctl:action tag) or its id.
    pub handle: ActionHandle,
    /// The budget's account; needed unless the files declare it in exactly one.
    #[arg(long, value_name = "ID")]
    pub account: Option<AccountId>,
    /// Only events on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub since: Option<chrono::NaiveDate>,
    #[arg(long, value_enum, default_value_t = Format::Text, help = super::connect::FORMAT_HELP, help_heading = "Output")]
    pub format: Format,
    #[command(flatten)]
    pub place: Where,
}

#[derive(clap::Args)]
pub struct ExecuteArgs {
    /// BUDGET/ACTION: the action's name (its budgetctl:action tag) or its id.
    pub handle: ActionHandle,
    /// The budget's account; needed unless the files declare it in exactly one.
    #[arg(long, value_name = "ID")]
    pub account: Option<AccountId>,
    /// Follow the status until it settles; exit 1 if it ends in a failure.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub timeout: u64,
    #[command(flatten)]
    pub approval: super::connect::Approval,
    #[command(flatten)]
    pub place: Where,
}

fn parse_status(text: &str) -> Result<ActionStatus, String> {
    ActionStatus::parse(text).ok_or_else(|| {
        let all: Vec<&str> = ActionStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!(
            "`{text}` is not an action status; use one of {}",
            all.join(", ")
        )
    })
}

fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date: write YYYY-MM-DD"))
}

pub fn run(command: ActionCommand, color: bool) -> Result<ExitCode, CliError> {
    match command {
        ActionCommand::List(args) => list_actions(args, color),
        ActionCommand::History(args) => show_history(args, color),
        ActionCommand::Approve(args) => run_execution(args, ExecutionType::Approve),
        ActionCommand::Retry(args) => run_execution(args, ExecutionType::Retry),
        ActionCommand::Reverse(args) => run_execution(args, ExecutionType::Reverse),
        ActionCommand::Reset(args) => run_execution(args, ExecutionType::Reset),
    }
}

/// The files' configuration: none when no file is named and the default
/// ones are absent (then `--account` says where to look).
fn config_of(place: &Where) -> Result<Config, CliError> {
    if place.files.is_empty() && !crate::has_default_files() {
        return Ok(Config::default());
    }
    // Groups from AWS Organizations make budgets (and roles) of their
    // accounts: read them first, through the same endpoint.
    let loaded = load_resolving(&place.connect, &place.files)?;
    crate::print_diagnostics(&loaded, false);
    if loaded.has_errors() {
        return Err(CliError::Invalid(
            "the budget files do not validate; fix them, or pass --file for others",
        ));
    }
    Ok(loaded.config)
}

/// The session the actions are reached in: the files' roles.
async fn session(place: &Where, config: &Config) -> Result<Session, CliError> {
    Ok(Session::start(&place.connect.session())
        .await?
        .with_roles(&config.roles())
        .await)
}

fn list_actions(args: ListArgs, color: bool) -> Result<ExitCode, CliError> {
    let config = config_of(&args.place)?;
    let actions = runtime()?.block_on(async {
        let session = session(&args.place, &config).await?;
        let found = list(session.clients(), &config, &args.accounts, args.status).await;
        session.finish(found.map_err(CliError::from)).await
    })?;
    let shown = match args.format {
        Format::Json => views::actions::list_json(&actions)? + "\n",
        Format::Text => views::actions::list_text(&actions, color, views::table::width()),
    };
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn show_history(args: HistoryArgs, color: bool) -> Result<ExitCode, CliError> {
    let config = config_of(&args.place)?;
    let account = account_of(&args.handle.budget, args.account.as_ref(), &config)?;
    let since = args
        .since
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
    let events = runtime()?.block_on(async {
        let session = session(&args.place, &config).await?;
        let events = history(session.clients(), &account, &args.handle, since).await;
        session.finish(events.map_err(CliError::from)).await
    })?;
    let shown = match args.format {
        Format::Json => views::actions::history_json(&events)? + "\n",
        Format::Text => views::actions::history_text(&events, color, views::table::width()),
    };
    let _ = std::io::stdout().lock().write_all(shown.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn run_execution(args: ExecuteArgs, execution: ExecutionType) -> Result<ExitCode, CliError> {
    let config = config_of(&args.place)?;
    let account = account_of(&args.handle.budget, args.account.as_ref(), &config)?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !args.approval.yes && !interactive {
        return Err(CliError::Unconfirmed(Unconfirmed::Execution(execution)));
    }
    runtime()?.block_on(async {
        let session = session(&args.place, &config).await?;
        let result = operate(&session, &args, execution, &account, interactive).await;
        session.finish(result).await
    })
}

async fn operate(
    session: &Session,
    args: &ExecuteArgs,
    execution: ExecutionType,
    account: &AccountId,
    interactive: bool,
) -> Result<ExitCode, CliError> {
    let clients = session.clients();
    let budget = args.handle.budget.as_str();
    let action = find_action(clients, account, budget, &args.handle.action).await?;
    check_execution(budget, &action, execution)?;
    note!(
        "{}",
        views::actions::shown(execution, account, budget, &action)
    );
    if !args.approval.yes && interactive && !confirmed(execution)? {
        note!("Cancelled: nothing was changed.");
        return Ok(ExitCode::FAILURE);
    }
    // Executed only as it was shown: `execute` reads it again and refuses
    // when anything shown changed while the prompt waited.
    let executed = execute(clients, account, budget, &action, execution).await?;
    note!(
        "{}",
        views::actions::executed(execution, executed, budget, &action)
    );
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    let spinner = (std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message("waiting for the action to settle");
        bar
    });
    let seen = |status: ActionStatus| {
        if let Some(bar) = &spinner {
            bar.set_message(status.aws_name());
        }
    };
    let settled = wait_until_settled(
        clients,
        account,
        budget,
        &action.id,
        Duration::from_millis(500),
        Duration::from_secs(args.timeout),
        &seen,
    )
    .await?;
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", settled.aws_name());
    let handle = format!("{budget}/{}", action.label());
    if settled.in_progress() {
        return Err(CliError::Unsettled(Unsettled::StillRunning {
            status: settled,
            timeout: args.timeout,
            handle,
        }));
    }
    if settled.is_failure() {
        return Err(CliError::Unsettled(Unsettled::Failed {
            execution,
            status: settled,
            handle,
        }));
    }
    Ok(ExitCode::SUCCESS)
}

fn confirmed(execution: ExecutionType) -> Result<bool, CliError> {
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\nOnly 'yes' will be accepted to {execution} the action.\n  Enter a value: "
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(CliError::Prompt)?;
    Ok(answer.trim() == "yes")
}
