//! Apply as people and machines see it: a progress bar on a terminal, a
//! line per budget otherwise, the summary, and the JSON result.

use std::io::Write;

use budgetctl_diff::{BudgetRef, ChangeKind};
use budgetctl_engine::apply::{ApplyReport, ChangeResult, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::hints::write_hint;
use super::plan_text::painted;

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

fn verb(action: ChangeKind) -> &'static str {
    match action {
        ChangeKind::Create => "created",
        ChangeKind::Update => "updated",
        ChangeKind::Delete => "deleted",
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
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(total: usize) -> Bar {
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
pub struct Lines;

impl Progress for Lines {
    fn finished(&self, result: &ChangeResult) {
        note!("{}", line(result));
    }
}

pub fn print_summary(report: &ApplyReport, color: bool) {
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
            painted(
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
            painted(
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

pub fn print_json(report: &ApplyReport) {
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
    let text = super::json::json(&result).unwrap_or_else(|e| format!("{{\"error\": {e:?}}}"));
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
