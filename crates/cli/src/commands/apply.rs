//! `budgetctl apply`: carry out a saved plan, or plan afresh and carry that
//! out once approved; show progress and a summary.

use std::io::{BufRead, IsTerminal, Write};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use budgetctl_apply::{
    ApplyOptions, ApplyReport, Progress, apply_plan, check_fresh, file_digest, roles_of,
    stale_against,
};
use budgetctl_diff::Plan;
use budgetctl_diff::document::SavedPlan;

use super::connect::{ConnectArgs, Endpoint, ScopeArgs, compute, open_with_files, runtime};
use crate::error::CliError;
use crate::views;
use crate::views::apply::{Bar, Lines, print_json, print_summary};
use crate::views::escape::{escape_text, plural};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

/// `budgetctl apply`.
#[derive(clap::Args)]
pub struct ApplyArgs {
    /// A plan saved by `budgetctl plan --out`. Without it, apply plans
    /// afresh from the files, shows the plan and asks for `yes`.
    #[arg(value_name = "PLANFILE", conflicts_with_all = ["files", "accounts", "targets"])]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Apply without asking (required when standard input is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Budgets changed at once; each budget's own calls stay in order.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Client-side limit of requests per second (0: none); the SDK's
    /// adaptive retries slow down further when AWS throttles.
    #[arg(long, value_name = "N", default_value_t = budgetctl_apply::DEFAULT_MAX_REQUESTS_PER_SECOND)]
    pub max_rps: u32,
    /// `json`: one machine-readable result per change on stdout.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
    /// Say what is being read.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn run(args: ApplyArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    runtime()?.block_on(apply(&args, colors))
}

async fn apply(args: &ApplyArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    let json = args.format == ApplyFormat::Json;
    let (plan, endpoint) = match &args.plan_file {
        Some(path) => {
            let saved = read_saved(path)?;
            let here = args.connect.target();
            if here != saved.target {
                return Err(format!(
                    "{} was made against {}, and this apply targets {here}; nothing was shown or applied. Apply it against the same target, or run plan again against this one.",
                    path.display(),
                    saved.target,
                )
                .into());
            }
            let files: Vec<PathBuf> = saved.inputs.keys().map(PathBuf::from).collect();
            let scope = saved.scope.clone();
            let Some((endpoint, loaded)) =
                open_with_files(&args.connect, &files, colors.stderr).await?
            else {
                return Err(
                    "the budget files the plan names do not validate; nothing was applied".into(),
                );
            };
            if roles_of(&loaded.config) != saved.roles {
                endpoint.close().await?;
                return Err(format!(
                    "{} names other roles than the files it was made from; nothing was applied. Run plan again.",
                    path.display()
                )
                .into());
            }
            let derived = compute(
                &scope,
                &loaded,
                &endpoint.clients,
                usize::from(args.parallelism),
                args.verbose,
            )
            .await;
            let checked = derived.and_then(|now| {
                // One line each, whatever the plan file's names hold.
                checked_against(&saved, now, path)
                    .map_err(|e| CliError::Refused(escape_text(&e).into_owned()))
            });
            match checked {
                Ok(plan) => (plan, endpoint),
                Err(e) => {
                    endpoint.close().await?;
                    return Err(e);
                }
            }
        }
        None => {
            let Some((endpoint, loaded)) =
                open_with_files(&args.connect, &args.scope.files, colors.stderr).await?
            else {
                return Ok(ExitCode::FAILURE);
            };
            let plan = match compute(
                &args.scope.plan_scope(),
                &loaded,
                &endpoint.clients,
                usize::from(args.parallelism),
                args.verbose,
            )
            .await
            {
                Ok(plan) => plan,
                Err(e) => {
                    endpoint.close().await?;
                    return Err(e);
                }
            };
            (plan, endpoint)
        }
    };
    let code = carry_out(args, &plan, &endpoint, colors.stdout, json).await;
    endpoint.close().await?;
    code
}

async fn carry_out(
    args: &ApplyArgs,
    plan: &Plan,
    endpoint: &Endpoint,
    color: bool,
    json: bool,
) -> Result<ExitCode, CliError> {
    if !json {
        // The plan first, as plan shows it: what is about to happen.
        let _ = std::io::stdout()
            .lock()
            .write_all(views::plan_text::text(plan, color).as_bytes());
    }
    if plan.has_errors() {
        let errors: Vec<String> = plan
            .errors
            .iter()
            .map(|e| escape_text(&format!("{}: {}", e.budget.address(), e.message)).into_owned())
            .collect();
        return Err(format!(
            "the plan has changes AWS cannot make; nothing was applied:\n  {}",
            errors.join("\n  ")
        )
        .into());
    }
    if !plan.has_changes() {
        if json {
            print_json(&ApplyReport {
                results: Vec::new(),
                elapsed_ms: 0,
            });
        }
        return Ok(ExitCode::SUCCESS);
    }
    // A saved plan was reviewed elsewhere; a fresh one needs a yes here.
    let fresh = args.plan_file.is_none();
    if fresh && !args.auto_approve {
        if !std::io::stdin().is_terminal() {
            return Err(
                "refusing to apply without approval: standard input is not a terminal. Review the plan and pass --auto-approve (as in CI), or apply a saved plan: budgetctl plan --out plan.json, then budgetctl apply plan.json".into(),
            );
        }
        if !confirmed()? {
            note!("Apply cancelled: nothing was changed.");
            return Ok(ExitCode::FAILURE);
        }
    }
    // A plan that waited for a person may describe a world that has moved
    // on: read what it touches again before any write. (A saved plan was
    // derived again from its files, and checked, before it was shown.)
    if fresh && !args.auto_approve {
        match check_fresh(&endpoint.clients, plan, usize::from(args.parallelism)).await {
            Ok(()) => {}
            Err(stale) => return Err(stale.into()),
        }
    }

    let options = ApplyOptions {
        parallelism: usize::from(args.parallelism),
        max_requests_per_second: NonZeroU32::new(args.max_rps),
    };
    let progress: Arc<dyn Progress> = if json {
        Arc::new(budgetctl_apply::Quiet)
    } else if std::io::stderr().is_terminal() {
        Arc::new(Bar::new(plan.changes.len()))
    } else {
        Arc::new(Lines)
    };
    let report = apply_plan(&endpoint.clients, plan, &options, Arc::clone(&progress)).await;
    drop(progress);
    if json {
        print_json(&report);
    } else {
        print_summary(&report, color);
    }
    Ok(if report.failures().next().is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A plan saved by `plan --out`, refused when it is of another format or
/// when the budget files it was made from have changed on disk since.
fn read_saved(path: &std::path::Path) -> Result<SavedPlan, String> {
    let text = crate::files::read_plan(path)?;
    let plan = SavedPlan::parse(&text).map_err(|e| {
        escape_text(&format!("{} {e}; nothing was applied", path.display())).into_owned()
    })?;
    if plan.inputs.is_empty() {
        return Err(format!(
            "{} names no budget files, so it cannot be checked against them; nothing was applied. Save plans with `budgetctl plan --out`.",
            path.display()
        ));
    }
    let mut changed = Vec::new();
    for (file, digest) in &plan.inputs {
        match crate::files::read_budget_file(std::path::Path::new(file)) {
            Ok(now) if &file_digest(&now) == digest => {}
            Ok(_) => changed.push(format!("{file} changed")),
            Err(_) => changed.push(format!("{file} is gone")),
        }
    }
    if !changed.is_empty() {
        return Err(format!(
            "the plan was made from other budget files than are on disk now ({}); nothing was applied. Run plan again.",
            changed.join(", ")
        ));
    }
    Ok(plan)
}

/// The plan derived again from the files (`now`), when it promises what the
/// saved one does: the same changes, change for change. A world that moved
/// on is a stale plan; anything else is a plan that does not say what the
/// files say, whoever wrote it.
fn checked_against(saved: &SavedPlan, now: Plan, path: &std::path::Path) -> Result<Plan, String> {
    stale_against(saved, &now).map_err(|e| e.to_string())?;
    if now.has_errors() {
        return Err(format!(
            "the files the plan was made from now have changes AWS cannot make ({}); nothing was applied. Run plan again.",
            now.errors
                .iter()
                .map(|e| format!("{}: {}", e.budget.address(), e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    if let Some(differs) = saved.first_difference(&now) {
        let which = saved
            .changes
            .get(differs)
            .map(|(action, budget)| (*action, budget))
            .or_else(|| now.changes.get(differs).map(|c| (c.action, &c.budget)))
            .map(|(action, budget)| format!("{} {}", action.as_str(), budget.address()))
            .unwrap_or_default();
        return Err(format!(
            "{} does not match what the files say against live state: {} saved, {} derived from the files now, the first difference at change {} ({which}); nothing was applied. A saved plan is checked, not trusted: run plan again.",
            path.display(),
            plural(saved.len(), "change"),
            plural(now.changes.len(), "change"),
            differs + 1,
        ));
    }
    Ok(now)
}

fn confirmed() -> Result<bool, String> {
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\nbudgetctl will make these changes. Only 'yes' will be accepted to approve.\n  Enter a value: "
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(answer.trim() == "yes")
}
