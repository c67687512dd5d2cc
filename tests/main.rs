//! The end-to-end tests of the binary, in one test binary (the cli crate's
//! integration tests, so that cargo builds `budgetctl` for them): each
//! module drives the release-shaped binary against budgetctl-local the way
//! a user or a CI job would; `support` is what they share.

mod architecture;
mod aws_provider;
mod cli_actions;
mod cli_apply;
mod cli_flags;
mod cli_fmt;
mod cli_import;
mod cli_init;
mod cli_lint;
mod cli_local;
mod cli_money;
mod cli_organizations;
mod cli_plan;
mod cli_release;
mod cli_respond;
mod cli_roles;
mod cli_shards;
mod cli_shell;
mod cli_status;
mod cli_templates;
mod cli_validate;
mod cli_workflows;
mod docs;
mod support;
