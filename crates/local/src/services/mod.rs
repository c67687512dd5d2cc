//! The services budgetctl-local answers: AWS Budgets, the part of AWS
//! Service Catalog that `budgetctl respond` needs, and the STS calls that
//! per-account roles and Terraform's provider need.

pub mod budgets;
pub mod catalog;
pub mod sts;
