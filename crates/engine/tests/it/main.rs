//! budgetctl-engine's integration tests, in one binary: plan and apply
//! against budgetctl-local started in process, through the real SDK client.

mod apply;
mod catalog;
mod common;
mod plan;
mod saved;
