//! The cli's one error type. Every command returns it; `main` renders it
//! once, on stderr, as `error: …` with the hint its kind calls for
//! (`views::hints`), never one chosen by message text.

use budgetctl_apply::{PlanError, ReadError, StaleError};
use budgetctl_local::LocalError;

#[derive(Debug)]
pub enum CliError {
    /// Live state could not be read; `role` is the account's role, where the
    /// files give it one (the hint then names it).
    Read {
        error: ReadError,
        role: Option<String>,
    },
    /// No plan could be made for another reason (`--account`, `--target`).
    Plan(PlanError),
    /// budgetctl-local could not start, or could not save its state.
    Local(LocalError),
    /// A call of `budgetctl action` failed.
    Aws(budgetctl_apply::AwsError),
    /// What the cli refuses in its own words: a saved plan that does not
    /// match, a stale plan, an argument, a file it cannot write.
    Refused(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Read { error, .. } => error.fmt(f),
            CliError::Plan(e) => e.fmt(f),
            CliError::Local(e) => e.fmt(f),
            CliError::Aws(e) => e.fmt(f),
            CliError::Refused(message) => f.write_str(message),
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

impl From<StaleError> for CliError {
    fn from(e: StaleError) -> Self {
        match e {
            StaleError::Read(error) => CliError::Read { error, role: None },
            changed => CliError::Refused(changed.to_string()),
        }
    }
}

impl From<budgetctl_apply::OperateError> for CliError {
    fn from(e: budgetctl_apply::OperateError) -> Self {
        match e {
            budgetctl_apply::OperateError::Read(error) => CliError::Read { error, role: None },
            budgetctl_apply::OperateError::Aws(error) => CliError::Aws(error),
            budgetctl_apply::OperateError::Refused(message) => CliError::Refused(message),
            refused @ (budgetctl_apply::OperateError::Changed { .. }
            | budgetctl_apply::OperateError::Overtaken { .. }) => {
                CliError::Refused(refused.to_string())
            }
        }
    }
}

impl From<ReadError> for CliError {
    fn from(error: ReadError) -> Self {
        CliError::Read { error, role: None }
    }
}

impl From<LocalError> for CliError {
    fn from(e: LocalError) -> Self {
        CliError::Local(e)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        CliError::Refused(message.to_owned())
    }
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError::Refused(message)
    }
}
