//! The cli's one error type. Every command returns it; `main` renders it
//! once, on stderr, as `error: …` with the hint its kind calls for
//! (`views::hints`), never one chosen by message text. Each variant is an
//! engine error as the engine returned it, or a refusal of the cli's own.

use std::path::PathBuf;

use budgetctl_engine::actions::ActionError;
use budgetctl_engine::apply::{SavedPlanRefusal, StaleError};
use budgetctl_engine::error::{AwsError, ReadError};
use budgetctl_engine::import::ImportError;
use budgetctl_engine::lint::LintError;
use budgetctl_engine::plan::PlanError;
use budgetctl_engine::session::SessionError;
use budgetctl_engine::status::StatusError;
use budgetctl_spec::ExecutionType;

use crate::views::escape::escape_text;
use crate::views::hints;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Live state could not be read; `role` is the account's role, where the
    /// files give it one (the hint then names it).
    #[error("{error}")]
    Read {
        error: ReadError,
        role: Option<String>,
    },
    /// A call to AWS failed (the hint follows its kind).
    #[error(transparent)]
    Aws(AwsError),
    /// No plan could be made for another reason (`--target`, invalid files).
    #[error(transparent)]
    Plan(PlanError),
    #[error(transparent)]
    Session(SessionError),
    /// `local serve` could not start, or could not save its state.
    #[error(transparent)]
    Local(#[from] budgetctl_local::LocalError),
    #[error(transparent)]
    SavedPlan(SavedPlanRefusal),
    #[error(transparent)]
    Stale(StaleError),
    #[error(transparent)]
    Action(ActionError),
    #[error(transparent)]
    Import(ImportError),
    /// Plans that do not merge into one (`plan --merge`).
    #[error("cannot merge the plans: {0}")]
    Merge(String),
    /// A plan document that cannot be read (by apply: then nothing was).
    #[error(
        "{} {error}{}",
        path.display(),
        if *applying { "; nothing was applied" } else { "" }
    )]
    PlanDocument {
        path: PathBuf,
        error: budgetctl_diff::document::SavedPlanError,
        applying: bool,
    },
    /// A file the cli reads or writes.
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    /// JSON that could not be rendered.
    #[error("cannot render JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The answer to a prompt could not be read.
    #[error("cannot read the answer: {0}")]
    Prompt(std::io::Error),
    /// A command that acts was not confirmed and cannot ask.
    #[error("{0}")]
    Unconfirmed(Unconfirmed),
    /// What was started did not settle well.
    #[error("{0}")]
    Unsettled(Unsettled),
    /// The files do not validate (their diagnostics are printed already).
    #[error("{0}")]
    Invalid(&'static str),
    /// `fmt` could not list what it was asked to format.
    #[error("{0}")]
    Format(String),
    /// No status could be made for another reason (invalid files).
    #[error(transparent)]
    Status(StatusError),
    /// No lint could be made for another reason (invalid files, SNS).
    #[error(transparent)]
    Lint(LintError),
    /// `status --fail-on`: budgets over their limit (or forecast to be),
    /// by address; the status was shown.
    #[error("{} (--fail-on {on}): {}", off_track(.budgets.len(), on), .budgets.join(", "))]
    OffTrack {
        on: &'static str,
        budgets: Vec<String>,
    },
    /// `init` would overwrite these files (`--force` to do so).
    #[error("{} already exist{}: nothing was written; move {} away, or pass --force to overwrite", .0.join(", "), if .0.len() == 1 { "s" } else { "" }, if .0.len() == 1 { "it" } else { "them" })]
    Exists(Vec<String>),
    /// The plan has changes AWS cannot make: one line each.
    #[error("the plan has changes AWS cannot make; nothing was applied:\n  {}", .0.join("\n  "))]
    Blocked(Vec<String>),
}

/// Who a command that acts would need a `yes` from, and how to give it.
#[derive(Debug)]
pub enum Unconfirmed {
    Apply,
    Execution(ExecutionType),
}

impl std::fmt::Display for Unconfirmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unconfirmed::Apply => f.write_str(
                "refusing to apply without approval: standard input is not a terminal. Review the plan and pass --yes (or --auto-approve, as in CI), or apply a saved plan: budgetctl plan --out plan.json, then budgetctl apply plan.json",
            ),
            Unconfirmed::Execution(execution) => write!(
                f,
                "refusing to {execution} without confirmation: standard input is not a terminal. Pass --yes (or --auto-approve; as in CI, where a reviewed workflow runs it)"
            ),
        }
    }
}

/// An execution, or responses' records, that did not end well while
/// waited for.
#[derive(Debug)]
pub enum Unsettled {
    StillRunning {
        status: budgetctl_spec::ActionStatus,
        timeout: u64,
        handle: String,
    },
    Failed {
        execution: ExecutionType,
        status: budgetctl_spec::ActionStatus,
        handle: String,
    },
    /// `respond --wait`: each response (`BUDGET/RESPONSE`) whose record
    /// is still running.
    Records {
        responses: Vec<String>,
        timeout: u64,
    },
}

impl std::fmt::Display for Unsettled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsettled::StillRunning {
                status,
                timeout,
                handle,
            } => write!(
                f,
                "still {} after {timeout} s; follow it with `budgetctl action history {handle}`",
                status.aws_name()
            ),
            Unsettled::Failed {
                execution,
                status,
                handle,
            } => write!(
                f,
                "{execution} ended in {}: see `budgetctl action history {handle}`, then `budgetctl action retry`",
                status.aws_name()
            ),
            Unsettled::Records { responses, timeout } => {
                let lines: Vec<String> = responses
                    .iter()
                    .map(|r| format!("{r}: the record is still running after {timeout} s"))
                    .collect();
                f.write_str(&lines.join("\nerror: "))
            }
        }
    }
}

impl CliError {
    /// The error as `main` shows it: the message, and the hint of its kind.
    pub fn describe(&self) -> String {
        match self {
            CliError::Read { error, role } => hints::explain_read(error, role.as_deref()),
            CliError::Aws(error) => hints::explain(error),
            other => other.message(),
        }
    }

    /// The message as one line per line it means to have: what a file, a
    /// plan or AWS holds stays inert (no control or bidirectional
    /// characters reach the terminal).
    pub fn message(&self) -> String {
        match self {
            // Lines of its own making, each escaped already.
            CliError::Blocked(_) => self.to_string(),
            CliError::Unsettled(Unsettled::Records { responses, timeout }) => {
                let escaped = Unsettled::Records {
                    responses: responses
                        .iter()
                        .map(|r| escape_text(r).into_owned())
                        .collect(),
                    timeout: *timeout,
                };
                escaped.to_string()
            }
            other => escape_text(&other.to_string()).into_owned(),
        }
    }
}

impl From<PlanError> for CliError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Read { error, role } => CliError::Read { error, role },
            other => CliError::Plan(other),
        }
    }
}

/// `1 budget is over its limit`, `3 budgets are over their limits or
/// forecast to be`.
fn off_track(n: usize, on: &str) -> String {
    let forecast = if on == "over" {
        ""
    } else {
        " or forecast to be"
    };
    if n == 1 {
        format!("1 budget is over its limit{forecast}")
    } else {
        format!("{n} budgets are over their limits{forecast}")
    }
}

impl From<StatusError> for CliError {
    fn from(e: StatusError) -> Self {
        match e {
            StatusError::Read { error, role } => CliError::Read { error, role },
            other => CliError::Status(other),
        }
    }
}

impl From<LintError> for CliError {
    fn from(e: LintError) -> Self {
        match e {
            LintError::Read { error, role } => CliError::Read { error, role },
            LintError::Sns(error) => CliError::Aws(error),
            other => CliError::Lint(other),
        }
    }
}

impl From<StaleError> for CliError {
    fn from(e: StaleError) -> Self {
        match e {
            StaleError::Read(error) => CliError::Read { error, role: None },
            changed => CliError::Stale(changed),
        }
    }
}

impl From<SavedPlanRefusal> for CliError {
    fn from(e: SavedPlanRefusal) -> Self {
        match e {
            SavedPlanRefusal::Plan(e) => e.into(),
            SavedPlanRefusal::Stale(e) => e.into(),
            other => CliError::SavedPlan(other),
        }
    }
}

impl From<ActionError> for CliError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Read(error) => CliError::Read { error, role: None },
            ActionError::ReadAccount { error, role } => CliError::Read { error, role },
            ActionError::Aws(error) => CliError::Aws(error),
            other => CliError::Action(other),
        }
    }
}

impl From<SessionError> for CliError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Organizations(error) => CliError::Aws(error),
            other => CliError::Session(other),
        }
    }
}

impl From<ImportError> for CliError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Read(error) => CliError::Read { error, role: None },
            ImportError::Organizations(error) => CliError::Aws(error),
            ImportError::Session(e) => e.into(),
            other => CliError::Import(other),
        }
    }
}
