//! `budgetctl action`: list budget actions, show one's history, and run
//! ExecuteBudgetAction on one (approve, retry, reverse, reset), checked
//! against its status before any write and confirmed by a person.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use budgetctl_apply::{
    AccountAction, Executed, check_execution, execute, find_action, read_account_actions,
    read_action_history, roles_of, wait_until_settled,
};
use budgetctl_spec::{AccountId, ActionStatus, Config, ExecutionType};
use serde::Serialize;

use super::connect::{ConnectArgs, Endpoint, load_resolving, runtime};
use crate::error::CliError;
use crate::views::escape::escape_text;
use crate::views::plan_text::action_summary;

#[derive(clap::Subcommand)]
pub enum ActionCommand {
    /// Every budget action of the accounts: budget, name, type, threshold,
    /// status and approval model, pending ones first.
    List(ListArgs),
    /// An action's history: each status it went through, oldest first.
    History(HistoryArgs),
    /// Approve a PENDING action: AWS runs it.
    Approve(ExecuteArgs),
    /// Retry an action whose execution, reversal or reset failed.
    Retry(ExecuteArgs),
    /// Undo an executed action: detach the IAM policy or SCP it attached.
    Reverse(ExecuteArgs),
    /// Put a reversed action back in STANDBY, to trigger again.
    Reset(ExecuteArgs),
}

/// Where actions are: the files (roles, the account of a declared budget)
/// and the endpoint.
#[derive(clap::Args, Clone, Default)]
pub struct Where {
    /// A budget file or directory, for roles and the account of a declared
    /// budget; repeatable. Default: budgets.yaml or budgets/ when present.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
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
    pub accounts: Vec<String>,
    /// Only actions in this status, e.g. pending or execution_failure.
    #[arg(long, value_parser = parse_status)]
    pub status: Option<ActionStatus>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub place: Where,
}

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// BUDGET/ACTION: the action's name (its budgetctl:action tag) or its id.
    pub handle: String,
    /// The budget's account; needed unless the files declare it in exactly one.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Only events on or after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub since: Option<chrono::NaiveDate>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub place: Where,
}

#[derive(clap::Args)]
pub struct ExecuteArgs {
    /// BUDGET/ACTION: the action's name (its budgetctl:action tag) or its id.
    pub handle: String,
    /// The budget's account; needed unless the files declare it in exactly one.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Follow the status until it settles; exit 1 if it ends in a failure.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub timeout: u64,
    /// Do not ask: needed off a terminal (CI), where no one can answer.
    #[arg(long)]
    pub yes: bool,
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

pub fn run(command: ActionCommand) -> Result<ExitCode, CliError> {
    match command {
        ActionCommand::List(args) => list(args),
        ActionCommand::History(args) => history(args),
        ActionCommand::Approve(args) => run_execution(args, ExecutionType::Approve),
        ActionCommand::Retry(args) => run_execution(args, ExecutionType::Retry),
        ActionCommand::Reverse(args) => run_execution(args, ExecutionType::Reverse),
        ActionCommand::Reset(args) => run_execution(args, ExecutionType::Reset),
    }
}

/// The files' configuration: none when no file is named and the default
/// ones are absent (then `--account` says where to look).
fn config_of(place: &Where) -> Result<Config, CliError> {
    if place.files.is_empty() && !crate::default_paths().iter().any(|p| p.exists()) {
        return Ok(Config::default());
    }
    // Groups from AWS Organizations make budgets (and roles) of their
    // accounts: read them first, through the same endpoint.
    let loaded = load_resolving(&place.connect, &place.files)?;
    crate::print_diagnostics(&loaded, false);
    if loaded.has_errors() {
        return Err(CliError::Refused(
            "the budget files do not validate; fix them, or pass --file for others".into(),
        ));
    }
    Ok(loaded.config)
}

fn account_id(text: &str) -> Result<AccountId, CliError> {
    AccountId::parse(text).ok_or_else(|| {
        CliError::Refused(format!(
            "`{text}` is not an AWS account id: write its 12 digits"
        ))
    })
}

/// `BUDGET/ACTION` split at its last `/` (action names hold none; budget
/// names may), and the budget's account.
fn resolve(
    handle: &str,
    account: Option<&str>,
    config: &Config,
) -> Result<(AccountId, String, String), CliError> {
    let Some((budget, action)) = handle
        .rsplit_once('/')
        .filter(|(b, a)| !b.is_empty() && !a.is_empty())
    else {
        return Err(CliError::Refused(format!(
            "`{handle}` does not name an action: write BUDGET/ACTION, e.g. sandbox-monthly/freeze-sandbox"
        )));
    };
    let account = match account {
        Some(a) => account_id(a)?,
        None => {
            let mut declared: Vec<&AccountId> = config
                .budgets
                .iter()
                .filter(|b| b.budget.name == budget)
                .map(|b| &b.account)
                .collect();
            declared.dedup();
            match declared.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(CliError::Refused(format!(
                        "no budget file declares `{budget}`: pass --account ID (or --file for the files that do)"
                    )));
                }
                many => {
                    let ids: Vec<String> = many.iter().map(ToString::to_string).collect();
                    return Err(CliError::Refused(format!(
                        "`{budget}` is declared in accounts {}: pass --account ID",
                        ids.join(", ")
                    )));
                }
            }
        }
    };
    Ok((account, budget.to_owned(), action.to_owned()))
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

fn list(args: ListArgs) -> Result<ExitCode, CliError> {
    let config = config_of(&args.place)?;
    let accounts: Vec<AccountId> = if args.accounts.is_empty() {
        let mut all: Vec<AccountId> = config
            .budgets
            .iter()
            .map(|b| b.account.clone())
            .chain(config.accounts.keys().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    } else {
        args.accounts
            .iter()
            .map(|a| account_id(a))
            .collect::<Result<_, _>>()?
    };
    if accounts.is_empty() {
        return Err(CliError::Refused(
            "no account to list: pass --account ID, or --file for budget files that name accounts"
                .into(),
        ));
    }
    let roles = roles_of(&config);
    let mut actions: Vec<AccountAction> = runtime()?.block_on(async {
        let endpoint = Endpoint::open(&args.place.connect, &roles).await?;
        let mut all = Vec::new();
        for account in &accounts {
            let read = read_account_actions(endpoint.clients.for_account(account), account).await;
            match read {
                Ok(found) => all.extend(found),
                Err(error) => {
                    let _ = endpoint.close().await;
                    return Err(CliError::Read {
                        error,
                        role: roles.get(account).cloned(),
                    });
                }
            }
        }
        endpoint.close().await?;
        Ok::<_, CliError>(all)
    })?;
    if let Some(status) = args.status {
        actions.retain(|a| a.action.status == status);
    }
    // Pending first: they wait for someone.
    actions.sort_by(|a, b| {
        let pending = |x: &AccountAction| x.action.status != ActionStatus::Pending;
        (pending(a), &a.account, &a.budget, a.action.label()).cmp(&(
            pending(b),
            &b.account,
            &b.budget,
            b.action.label(),
        ))
    });
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
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
            let text = crate::views::json::json(&listed)?;
            let _ = writeln!(out, "{text}");
        }
        Format::Text => {
            if actions.is_empty() {
                let _ = writeln!(out, "No budget actions.");
            }
            for a in &actions {
                let _ = writeln!(
                    out,
                    "{}  {}/{}  {}  {}  when {}  {}",
                    a.action.status.aws_name(),
                    escape_text(&a.budget),
                    escape_text(a.action.label()),
                    a.action.action.action_type().aws_name(),
                    a.account,
                    escape_text(&a.action.action.when(None)),
                    a.action.action.approval.aws_name(),
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ListedEvent<'a> {
    at: String,
    status: &'a str,
    event: &'a str,
    message: &'a str,
}

fn history(args: HistoryArgs) -> Result<ExitCode, CliError> {
    let config = config_of(&args.place)?;
    let (account, budget, handle) = resolve(&args.handle, args.account.as_deref(), &config)?;
    let since = args
        .since
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
    let roles = roles_of(&config);
    let events = runtime()?.block_on(async {
        let endpoint = Endpoint::open(&args.place.connect, &roles).await?;
        let result = async {
            let action = find_action(&endpoint.clients, &account, &budget, &handle).await?;
            let client = endpoint.clients.for_account(&account);
            Ok::<_, CliError>(
                read_action_history(client, &account, &budget, &action.id, since).await?,
            )
        }
        .await;
        endpoint.close().await?;
        result
    })?;
    let at = |secs: i64| {
        chrono::DateTime::from_timestamp(secs, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let listed: Vec<ListedEvent> = events
                .iter()
                .map(|e| ListedEvent {
                    at: at(e.at),
                    status: &e.status,
                    event: &e.event,
                    message: &e.message,
                })
                .collect();
            let text = crate::views::json::json(&listed)?;
            let _ = writeln!(out, "{text}");
        }
        Format::Text => {
            for e in &events {
                let _ = writeln!(
                    out,
                    "{}  {:<22} {:<15} {}",
                    at(e.at),
                    escape_text(&e.status),
                    escape_text(&e.event),
                    escape_text(&e.message)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_execution(args: ExecuteArgs, execution: ExecutionType) -> Result<ExitCode, CliError> {
    let config = config_of(&args.place)?;
    let (account, budget, handle) = resolve(&args.handle, args.account.as_deref(), &config)?;
    let roles = roles_of(&config);
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !args.yes && !interactive {
        return Err(CliError::Refused(format!(
            "refusing to {execution} without confirmation: standard input is not a terminal. Pass --yes (as in CI, where a reviewed workflow runs it)"
        )));
    }
    runtime()?.block_on(async {
        let endpoint = Endpoint::open(&args.place.connect, &roles).await?;
        let result = operate(
            &endpoint,
            &args,
            execution,
            (&account, &budget, &handle),
            interactive,
        )
        .await;
        endpoint.close().await?;
        result
    })
}

async fn operate(
    endpoint: &Endpoint,
    args: &ExecuteArgs,
    execution: ExecutionType,
    (account, budget, handle): (&AccountId, &str, &str),
    interactive: bool,
) -> Result<ExitCode, CliError> {
    let clients = &endpoint.clients;
    let action = find_action(clients, account, budget, handle).await?;
    check_execution(budget, &action, execution)?;
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
    note!(
        "{execution} action {}/{} in account {account} ({}, {}):\n  {}\n  run as {}\n  {}",
        escape_text(budget),
        escape_text(action.label()),
        action.status.aws_name(),
        escape_text(&action.id),
        escape_text(&action_summary(&action.action, None)),
        escape_text(&action.action.execution_role),
        escape_text(&what),
    );
    if !args.yes && interactive && !confirmed(execution)? {
        note!("Cancelled: nothing was changed.");
        return Ok(ExitCode::FAILURE);
    }
    // Executed only as it was shown: `execute` reads it again and refuses
    // when anything shown changed while the prompt waited.
    let executed = execute(clients, account, budget, &action, execution).await?;
    note!(
        "{execution}: ExecuteBudgetAction {} for {}/{}",
        match executed {
            Executed::Accepted => "accepted",
            Executed::SettledByHistory =>
                "went through (its answer was lost; the action's history shows the execution)",
        },
        escape_text(budget),
        escape_text(action.label())
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
    if settled.in_progress() {
        note!(
            "error: still {} after {} s; follow it with `budgetctl action history {}/{}`",
            settled.aws_name(),
            args.timeout,
            escape_text(budget),
            escape_text(action.label())
        );
        return Ok(ExitCode::FAILURE);
    }
    if settled.is_failure() {
        note!(
            "error: {execution} ended in {}: see `budgetctl action history {}/{}`, then `budgetctl action retry`",
            settled.aws_name(),
            escape_text(budget),
            escape_text(action.label())
        );
        return Ok(ExitCode::FAILURE);
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
        .map_err(|e| CliError::Refused(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}
