//! The services budgetctl-local answers: AWS Budgets, and the STS
//! AssumeRole that per-account roles need.

pub mod budgets;
pub mod sts;
