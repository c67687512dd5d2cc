//! The AWS layer's errors, as the engine's reports carry them: the cli
//! renders them (with the hint of their kind) without depending on the
//! AWS layer.

pub use budgetctl_aws::{AwsError, ErrorKind, ReadError};
