//! `budgetctl apply`: carry out a saved plan, or plan afresh and carry that
//! out once approved; show progress and a summary.

use std::io::{BufRead, IsTerminal, Write};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use budgetctl_diff::Plan;
use budgetctl_diff::document::SavedPlan;
use budgetctl_engine::apply::{
    ApplyOptions, ApplyReport, DEFAULT_MAX_REQUESTS_PER_SECOND, Progress, Quiet, SavedPlanRefusal,
    apply_plan, check_fresh, check_saved_inputs, rederive_saved,
};
use budgetctl_engine::plan::PlanOptions;
use budgetctl_engine::session::Session;

use super::connect::{ConnectArgs, ScopeArgs, compute, open_with_files, reading, runtime};
use crate::error::{CliError, Unconfirmed};
use crate::views;
use crate::views::apply::{Bar, Lines, print_json, print_summary};
use crate::views::escape::escape_text;

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
    #[command(flatten)]
    pub approval: super::connect::Approval,
    /// Requests in flight at once: reading, and writing (each budget's
    /// calls stay in order, so N in flight is N budgets at once).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Performance")]
    pub parallelism: u16,
    /// Budgets changed at once, when fewer than --parallelism (at most 64).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64), help_heading = "Performance")]
    pub budgets_at_once: Option<u16>,
    /// text for people; json for one machine-readable result per change
    /// on stdout.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text, help_heading = "Output")]
    pub format: ApplyFormat,
    /// Say what is being read.
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,
    /// Not a flag of apply (respond has one): refused with what to run
    /// instead, rather than clap's tip to pass it as a plan file's name.
    #[arg(long, hide = true)]
    pub dry_run: bool,
}

pub fn run(args: ApplyArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    if args.dry_run {
        return Err(CliError::Invalid(
            "apply has no dry run: `budgetctl plan` shows what apply would do, and changes nothing",
        ));
    }
    runtime()?.block_on(apply(&args, colors))
}

async fn apply(args: &ApplyArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    let (plan, session) = match &args.plan_file {
        Some(path) => match saved(args, path, colors).await? {
            Some(checked) => checked,
            None => return Ok(ExitCode::FAILURE),
        },
        None => {
            let Ok((session, loaded)) =
                open_with_files(&args.connect, &args.scope.files, colors.stderr).await?
            else {
                return Ok(ExitCode::FAILURE);
            };
            let plan = compute(
                &args.scope.plan_scope(),
                &loaded,
                &session,
                usize::from(args.parallelism),
                args.verbose,
            )
            .await;
            match plan {
                Ok(plan) => (plan, session),
                Err(e) => return session.finish(Err(e)).await,
            }
        }
    };
    let code = carry_out(args, &plan, &session, colors.stdout).await;
    session.finish(code).await
}

/// The saved plan at `path`, checked by the engine: its target and input
/// files first, then derived again from those files against live state.
async fn saved(
    args: &ApplyArgs,
    path: &Path,
    colors: crate::Colors,
) -> Result<Option<(Plan, Session)>, CliError> {
    let shown = path.display().to_string();
    let text = crate::files::read_plan(path)?;
    let saved = SavedPlan::parse(&text).map_err(|error| CliError::PlanDocument {
        path: path.to_owned(),
        error,
        applying: true,
    })?;
    let files: Vec<PathBuf> = saved.inputs.keys().map(PathBuf::from).collect();
    let parsed = crate::parse(&files);
    check_saved_inputs(&saved, &shown, &args.connect.session().target(), &parsed)?;
    let Ok((session, loaded)) = open_with_files(&args.connect, &files, colors.stderr).await? else {
        return Err(SavedPlanRefusal::Invalid.into());
    };
    let reading = reading(args.verbose);
    let options = PlanOptions {
        reading: &reading,
        ..PlanOptions::today(usize::from(args.parallelism))
    };
    match rederive_saved(&saved, &shown, &loaded, session.clients(), &options).await {
        Ok(plan) => Ok(Some((plan, session))),
        Err(e) => session.finish(Err(e.into())).await,
    }
}

async fn carry_out(
    args: &ApplyArgs,
    plan: &Plan,
    session: &Session,
    color: bool,
) -> Result<ExitCode, CliError> {
    let json = args.format == ApplyFormat::Json;
    if !json {
        // The plan first, as plan shows it: what is about to happen.
        let _ = std::io::stdout()
            .lock()
            .write_all(views::plan_text::text(plan, color).as_bytes());
    }
    if plan.has_errors() {
        return Err(CliError::Blocked(
            plan.errors
                .iter()
                .map(|e| {
                    escape_text(&format!("{}: {}", e.budget.address(), e.message)).into_owned()
                })
                .collect(),
        ));
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
    if fresh && !args.approval.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Unconfirmed(Unconfirmed::Apply));
        }
        if !confirmed()? {
            note!("Apply cancelled: nothing was changed.");
            return Ok(ExitCode::FAILURE);
        }
        // A plan that waited for a person may describe a world that has
        // moved on: read what it touches again before any write. (A saved
        // plan was derived again from its files, and checked, before it
        // was shown.)
        check_fresh(session.clients(), plan, usize::from(args.parallelism)).await?;
    }

    let options = ApplyOptions {
        parallelism: usize::from(args.budgets_at_once.unwrap_or(args.parallelism.min(64))),
        max_requests_per_second: NonZeroU32::new(
            args.connect
                .max_rps
                .unwrap_or(DEFAULT_MAX_REQUESTS_PER_SECOND),
        ),
    };
    let progress: Arc<dyn Progress> = if json {
        Arc::new(Quiet)
    } else if std::io::stderr().is_terminal() {
        Arc::new(Bar::new(plan.changes.len()))
    } else {
        Arc::new(Lines)
    };
    let report = apply_plan(session.clients(), plan, &options, Arc::clone(&progress)).await;
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

fn confirmed() -> Result<bool, CliError> {
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
        .map_err(CliError::Prompt)?;
    Ok(answer.trim() == "yes")
}
