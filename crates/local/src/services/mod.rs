//! The services budgetctl-local answers: AWS Budgets, the part of AWS
//! Service Catalog that `budgetctl respond` needs, the part of AWS
//! Organizations that groups of accounts are read from, and the STS calls
//! that per-account roles and Terraform's provider need.

pub mod budgets;
pub mod catalog;
pub mod organizations;
pub mod sts;
