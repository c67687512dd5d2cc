//! Shared by the end-to-end tests (included with `mod support;`; each test
//! binary uses part of it): where the repository and the built
//! `budgetctl` binary are.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root.
#[allow(dead_code)]
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Run the `budgetctl` binary (built by cargo for this test run) in the repository root.
#[allow(dead_code)]
pub fn budgetctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetctl"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("budgetctl runs")
}
