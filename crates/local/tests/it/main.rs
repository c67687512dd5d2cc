//! budgetctl-local's integration tests, in one binary: each operation
//! through the real AWS SDK client over HTTP, as AWS documents it.

mod actions;
mod budgets;
mod catalog;
mod common;
mod notifications;
mod protocol;
