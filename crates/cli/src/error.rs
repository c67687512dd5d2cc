//! The cli's one error type. Every command returns it; `main` renders it
//! once, on stderr, as `error: …` with the hint its kind calls for
//! (`views::hints`), never one chosen by message text.

use budgetctl_apply::{PlanError, ReadError, StaleError};

use crate::views::escape::escape_text;
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
        // A library's message is one line by design; what it holds of a
        // file, a plan or AWS stays on that line.
        let inert = |e: &dyn std::fmt::Display| escape_text(&e.to_string()).into_owned();
        match self {
            CliError::Read { error, .. } => f.write_str(&inert(error)),
            CliError::Plan(e) => f.write_str(&inert(e)),
            CliError::Local(e) => f.write_str(&inert(e)),
            CliError::Aws(e) => f.write_str(&inert(e)),
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
            changed => CliError::Refused(escape_text(&changed.to_string()).into_owned()),
        }
    }
}

impl From<budgetctl_apply::OperateError> for CliError {
    fn from(e: budgetctl_apply::OperateError) -> Self {
        match e {
            budgetctl_apply::OperateError::Read(error) => CliError::Read { error, role: None },
            budgetctl_apply::OperateError::Aws(error) => CliError::Aws(error),
            budgetctl_apply::OperateError::Refused(message) => {
                CliError::Refused(escape_text(&message).into_owned())
            }
            refused @ (budgetctl_apply::OperateError::Changed { .. }
            | budgetctl_apply::OperateError::Overtaken { .. }) => {
                CliError::Refused(escape_text(&refused.to_string()).into_owned())
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
