//! `budgetctl init`: a starter `budgets/` with one commented budget for an
//! account (the caller's, read through STS, unless `--account` names it),
//! and with `--github` the plan, apply and drift workflows and the comment
//! script. It never overwrites a file without `--force`, and says what to
//! run next.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use budgetctl_engine::session::Session;
use budgetctl_spec::AccountId;

use super::connect::{ConnectArgs, runtime};
use crate::error::CliError;

/// `budgetctl init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// Where to write (the repository's root).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The account of the first budget. Default: the caller's, read
    /// through STS GetCallerIdentity.
    #[arg(long, value_name = "ID")]
    pub account: Option<AccountId>,
    /// Also write the GitHub Actions workflows (plan on pull requests,
    /// apply on merge, a nightly drift check) and their comment script.
    #[arg(long)]
    pub github: bool,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// The workflows `--github` writes, as the examples have them.
const WORKFLOWS: &[(&str, &str)] = &[
    (
        ".github/workflows/budgetctl-plan.yml",
        include_str!("../../../../examples/github-actions/workflows/budgetctl-plan.yml"),
    ),
    (
        ".github/workflows/budgetctl-apply.yml",
        include_str!("../../../../examples/github-actions/workflows/budgetctl-apply.yml"),
    ),
    (
        ".github/workflows/budgetctl-drift.yml",
        include_str!("../../../../examples/github-actions/workflows/budgetctl-drift.yml"),
    ),
    (
        ".github/budgetctl/plan-comment.js",
        include_str!("../../../../examples/github-actions/plan-comment.js"),
    ),
];

/// The first budget file, for `account`.
fn starter(account: &AccountId) -> String {
    format!(
        r#"# Budgets of account {account}, kept as code by budgetctl.
#
#   budgetctl validate   checks this file offline, with file:line:col
#   budgetctl fmt        lays it out in the one style budgetctl reads best
#   budgetctl plan       shows what AWS would change (--local: without AWS)
#   budgetctl apply      makes AWS match the files, once you say yes
#
# Every key is in docs/src/reference/yaml.md of budgetctl's repository; `budgetctl schema` prints
# the JSON Schema editors use to complete and check it.
version: 1

defaults:
  account: "{account}" # quote account ids: 12 digits, maybe a leading 0
  unit: USD # the unit of bare amounts such as `limit: 1000`

budgets:
  # A monthly cost budget: an alert when actual spend passes 80% of the
  # limit, and one when the month is forecast to end over it. Change the
  # limit and the address, then run `budgetctl plan`.
  - name: total-monthly
    limit: 1000
    notifications:
      - on: actual > 80%
        to: [finops@example.com]
      - on: forecasted > 100%
        to: [finops@example.com]
"#
    )
}

pub fn run(args: InitArgs) -> Result<ExitCode, CliError> {
    let account = match &args.account {
        Some(account) => account.clone(),
        None => runtime()?.block_on(async {
            let session = Session::start(&args.connect.session())
                .await
                .map_err(CliError::Session)?;
            let account = session.caller_account().await.map_err(CliError::Aws);
            session.finish(account).await
        })?,
    };
    let mut files: Vec<(PathBuf, String)> =
        vec![(args.dir.join("budgets/budgets.yaml"), starter(&account))];
    if args.github {
        files.extend(
            WORKFLOWS
                .iter()
                .map(|(path, text)| (args.dir.join(path), (*text).to_owned())),
        );
    }
    // Nothing is written when anything would be overwritten.
    let existing: Vec<&Path> = files
        .iter()
        .map(|(p, _)| p.as_path())
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(CliError::Exists(
            existing.iter().map(|p| p.display().to_string()).collect(),
        ));
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| {
                CliError::File(crate::files::FileError::Directory {
                    path: parent.to_owned(),
                    error,
                })
            })?;
        }
        crate::files::write_atomically(path, text)?;
        note!("wrote {}", path.display());
    }
    let dir = if args.dir == Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", args.dir.display())
    };
    note!(
        "\nnext:\n  {dir}budgetctl validate                  # check the files offline\n  {dir}budgetctl plan --local              # try it against budgetctl-local, no AWS needed\n  {dir}budgetctl plan                      # then against account {account}"
    );
    if args.github {
        note!(
            "the workflows assume IAM roles through GitHub's OIDC provider: set the repository variables BUDGETCTL_PLAN_ROLE_ARN and BUDGETCTL_APPLY_ROLE_ARN (docs/src/guides/pull-requests.md in budgetctl's repository)"
        );
    }
    Ok(ExitCode::SUCCESS)
}
