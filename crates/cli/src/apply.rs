//! `budgetctl apply`: carry out a saved plan, or plan afresh and carry that
//! out once approved; show progress and a summary.

use std::io::{BufRead, IsTerminal, Write};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use budgetctl_apply::{
    ApplyOptions, ApplyReport, ChangeResult, ErrorKind, Progress, StaleError, apply_plan,
    check_fresh, file_digest, roles_of, stale_against,
};
use budgetctl_diff::document::SavedPlan;
use budgetctl_diff::{BudgetRef, ChangeKind, Plan, PlanScope};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::plan::{ConnectArgs, Endpoint, ScopeArgs, compute, runtime};
use crate::render;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
}

pub struct ApplyArgs {
    pub plan_file: Option<PathBuf>,
    pub scope: ScopeArgs,
    pub connect: ConnectArgs,
    pub auto_approve: bool,
    pub parallelism: usize,
    /// 0: no client-side limit.
    pub max_rps: u32,
    pub format: ApplyFormat,
    pub verbose: bool,
}

/// The version of apply's JSON result.
const RESULT_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonResult<'a> {
    format_version: u32,
    summary: JsonSummary,
    elapsed_ms: u64,
    results: &'a [ChangeResult],
}

#[derive(Serialize)]
struct JsonSummary {
    created: usize,
    updated: usize,
    deleted: usize,
    failed: usize,
}

pub fn run(args: ApplyArgs, colors: crate::Colors) -> ExitCode {
    match runtime().and_then(|rt| rt.block_on(apply(&args, colors))) {
        Ok(code) => code,
        Err(message) => {
            note!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn apply(args: &ApplyArgs, colors: crate::Colors) -> Result<ExitCode, String> {
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
                ));
            }
            let (loaded, scope) = saved_inputs(&saved, colors)?;
            let roles = roles_of(&loaded.config);
            if roles != saved.roles {
                return Err(format!(
                    "{} names other roles than the files it was made from; nothing was applied. Run plan again.",
                    path.display()
                ));
            }
            let endpoint = Endpoint::open(&args.connect, &roles).await?;
            let derived = compute(
                &scope,
                &loaded,
                &endpoint.clients,
                args.parallelism,
                args.verbose,
            )
            .await;
            let checked = derived.and_then(|now| checked_against(&saved, now, path));
            match checked {
                Ok(plan) => (plan, endpoint),
                Err(e) => {
                    endpoint.close().await?;
                    return Err(e);
                }
            }
        }
        None => {
            let loaded = crate::load(&args.scope.files);
            crate::print_diagnostics(&loaded, colors.stderr);
            if loaded.has_errors() {
                return Ok(ExitCode::FAILURE);
            }
            let endpoint = Endpoint::open(&args.connect, &roles_of(&loaded.config)).await?;
            let plan = match compute(
                &args.scope.plan_scope(),
                &loaded,
                &endpoint.clients,
                args.parallelism,
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
) -> Result<ExitCode, String> {
    if !json {
        // The plan first, as plan shows it: what is about to happen.
        let _ = std::io::stdout()
            .lock()
            .write_all(render::text(plan, color).as_bytes());
    }
    if plan.has_errors() {
        let errors: Vec<String> = plan
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.budget.address(), e.message))
            .collect();
        return Err(format!(
            "the plan has changes AWS cannot make; nothing was applied:\n  {}",
            errors.join("\n  ")
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
        match check_fresh(&endpoint.clients, plan, args.parallelism).await {
            Ok(()) => {}
            Err(StaleError::Read(e)) => return Err(crate::plan::explain_read(&e, None)),
            Err(stale) => return Err(stale.to_string()),
        }
    }

    let options = ApplyOptions {
        parallelism: args.parallelism,
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
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the plan {}: {e}", path.display()))?;
    let plan = SavedPlan::parse(&text).map_err(|e| format!("{} {e}", path.display()))?;
    if plan.inputs.is_empty() {
        return Err(format!(
            "{} names no budget files, so it cannot be checked against them; nothing was applied. Save plans with `budgetctl plan --out`.",
            path.display()
        ));
    }
    let mut changed = Vec::new();
    for (file, digest) in &plan.inputs {
        match std::fs::read_to_string(file) {
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

/// The files a saved plan names, loaded, and the scope it was made in. The
/// plan is derived again from exactly these files.
fn saved_inputs(
    saved: &SavedPlan,
    colors: crate::Colors,
) -> Result<(budgetctl_spec::Loaded, PlanScope), String> {
    let files: Vec<PathBuf> = saved.inputs.keys().map(PathBuf::from).collect();
    let scope = saved.scope.clone();
    let loaded = budgetctl_spec::load_paths(&files);
    crate::print_diagnostics(&loaded, colors.stderr);
    if loaded.has_errors() {
        return Err(
            "the budget files the plan names do not validate; nothing was applied".to_owned(),
        );
    }
    Ok((loaded, scope))
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
            .map(|(action, budget)| format!("{} {}", verb_of(action), budget.address()))
            .unwrap_or_default();
        return Err(format!(
            "{} does not match what the files say against live state: {} saved, {} derived from the files now, the first difference at change {} ({which}); nothing was applied. A saved plan is checked, not trusted: run plan again.",
            path.display(),
            render::plural(saved.len(), "change"),
            render::plural(now.changes.len(), "change"),
            differs + 1,
        ));
    }
    Ok(now)
}

fn verb_of(action: ChangeKind) -> &'static str {
    match action {
        ChangeKind::Create => "create",
        ChangeKind::Update => "update",
        ChangeKind::Delete => "delete",
    }
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

fn verb(action: ChangeKind) -> &'static str {
    match action {
        ChangeKind::Create => "created",
        ChangeKind::Update => "updated",
        ChangeKind::Delete => "deleted",
    }
}

/// What to do about a write that failed this way, chosen by its kind.
fn write_hint(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::AccessDenied => Some(
            "apply needs budgets:ModifyBudget (and budgets:TagResource, budgets:UntagResource where files manage tags) in that account",
        ),
        ErrorKind::Throttled => Some(
            "lower --max-rps or --parallelism, or run apply again later: it carries out what remains",
        ),
        ErrorKind::Credentials => Some(
            "where the account has `role:`, check that the role exists and may be assumed; otherwise set AWS credentials (environment, --profile, SSO login)",
        ),
        _ => None,
    }
}

fn line(result: &ChangeResult) -> String {
    let address = result.budget.address();
    match &result.error {
        None => format!(
            "{} {address} ({})",
            verb(result.action),
            result.calls.join(", ")
        ),
        Some(e) => format!("failed {address}: {e}"),
    }
}

/// A progress bar on a terminal: done/total and the budget being worked on.
struct Bar(ProgressBar);

impl Bar {
    fn new(total: usize) -> Bar {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(bar)
    }
}

impl Progress for Bar {
    fn started(&self, budget: &BudgetRef, _action: ChangeKind) {
        self.0.set_message(budget.address());
    }
    fn finished(&self, result: &ChangeResult) {
        if !result.succeeded() {
            self.0.println(line(result));
        }
        self.0.inc(1);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Plain lines when stderr is not a terminal (CI logs).
struct Lines;

impl Progress for Lines {
    fn finished(&self, result: &ChangeResult) {
        note!("{}", line(result));
    }
}

fn print_summary(report: &ApplyReport, color: bool) {
    let mut out = std::io::stdout().lock();
    let failed: Vec<&ChangeResult> = report.failures().collect();
    let counts = format!(
        "{} created, {} updated, {} deleted",
        report.count(ChangeKind::Create),
        report.count(ChangeKind::Update),
        report.count(ChangeKind::Delete)
    );
    let secs = report.elapsed().as_secs_f64();
    if failed.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            render::painted(
                &format!("Apply complete: {counts} in {secs:.1}s."),
                '+',
                color
            )
        );
    } else {
        let mut err = std::io::stderr().lock();
        for f in &failed {
            let _ = writeln!(err, "error: {}", line(f));
            if let Some(hint) = f.error.as_ref().and_then(|e| write_hint(e.kind?)) {
                let _ = writeln!(err, "  hint: {hint}");
            }
        }
        let _ = writeln!(
            out,
            "{}",
            render::painted(
                &format!(
                    "Apply incomplete: {counts}, {} failed, in {secs:.1}s. Run plan to see what remains.",
                    failed.len()
                ),
                '-',
                color
            )
        );
    }
}

fn print_json(report: &ApplyReport) {
    let result = JsonResult {
        format_version: RESULT_FORMAT_VERSION,
        summary: JsonSummary {
            created: report.count(ChangeKind::Create),
            updated: report.count(ChangeKind::Update),
            deleted: report.count(ChangeKind::Delete),
            failed: report.failures().count(),
        },
        elapsed_ms: report.elapsed_ms,
        results: &report.results,
    };
    let text = crate::output::json(&result).unwrap_or_else(|e| format!("{{\"error\": {e:?}}}"));
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
