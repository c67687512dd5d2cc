//! `budgetctl lint`: the accounts in scope, read live, against the files'
//! policy and what AWS warns of (`budgetctl_engine::lint`), as text, JSON,
//! markdown, GitHub workflow commands or SARIF. Exit 1 on any error-level
//! finding, so it gates a nightly job; warnings alone exit 0.

use std::io::Write;
use std::process::ExitCode;

use budgetctl_engine::lint::{LintOptions, LintReport, lint};
use budgetctl_spec::policy::Level;

use budgetctl_engine::session::{Opened, Session};

use super::connect::{AccountScopeArgs, ConnectArgs, reading, runtime};
use crate::error::CliError;
use crate::views;
use crate::views::diagnostics::{Annotation, Place};
use crate::views::escape::{escape_markdown, escape_text, markdown_message, plural};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Github,
    Sarif,
}

/// `budgetctl lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub scope: AccountScopeArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Also read each SNS topic's policy (GetTopicAttributes): one whose
    /// policy does not let budgets.amazonaws.com publish drops alerts.
    #[arg(long, help_heading = "Input")]
    pub check_sns: bool,
    /// text for people; json for scripts; markdown for a job summary;
    /// github for workflow commands; sarif for code scanning.
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = "Output")]
    pub format: Format,
    /// Requests in flight at once, across all the accounts read.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Performance")]
    pub parallelism: u16,
    /// Say what is being read.
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,
}

pub fn run(args: LintArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    let scope = args.scope.plan_scope();
    let report = runtime()?.block_on(async {
        let opened =
            Session::open_despite_policy(&args.connect.session(), crate::parse(&args.scope.files))
                .await
                .map_err(CliError::Session)?;
        let (session, loaded) = match opened {
            Opened::Ready(session, loaded) => (*session, loaded),
            Opened::Invalid(loaded) => {
                crate::print_diagnostics(&loaded, colors.stderr);
                return Ok(None);
            }
        };
        // The files' own policy errors are lint's findings, said there.
        if args.format == Format::Text && loaded.errors().next().is_none() {
            crate::print_diagnostics(&loaded, colors.stderr);
        }
        let reading = reading(args.verbose);
        let options = LintOptions {
            parallelism: usize::from(args.parallelism),
            today: chrono::Utc::now().date_naive(),
            check_sns: args.check_sns,
            reading: &reading,
        };
        let report = lint(&loaded, &session, &scope, &options).await;
        session
            .finish(report.map(Some).map_err(CliError::from))
            .await
    })?;
    let Some(report) = report else {
        return Ok(ExitCode::FAILURE);
    };
    let text = match args.format {
        Format::Text => text(&report),
        Format::Markdown => markdown(&report),
        Format::Json => views::json::json(&document(&report))? + "\n",
        Format::Github => annotations(&report)
            .iter()
            .map(views::diagnostics::github)
            .collect::<String>(),
        Format::Sarif => {
            views::json::json(&views::diagnostics::sarif(&annotations(&report)))? + "\n"
        }
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    note!("{}", summary(&report));
    Ok(if report.errors() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `3 errors and 1 warning in 12 budgets of 4 accounts.`
fn summary(report: &LintReport) -> String {
    let errors = report.errors();
    let warnings = report.findings.len() - errors;
    format!(
        "lint: {} and {} in {} of {}.",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(report.budgets, "budget"),
        plural(report.accounts, "account")
    )
}

/// `111122223333/name`, or the account alone.
fn subject(f: &budgetctl_engine::lint::Finding) -> String {
    match &f.budget {
        Some(b) => format!("{}/{b}", f.account),
        None => format!("account {}", f.account),
    }
}

/// The finding in one line: a budget's prefixed by its address; an
/// account's message names the account itself.
fn headline(f: &budgetctl_engine::lint::Finding) -> String {
    match &f.budget {
        Some(_) => format!("{}: {}", subject(f), f.message),
        None => f.message.clone(),
    }
}

fn text(report: &LintReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        out.push_str(&format!(
            "{level}[{}]: {}\n",
            f.code,
            escape_text(&headline(f))
        ));
        if let Some(at) = &f.at {
            out.push_str(&format!("  declared at {}\n", escape_text(&at.to_string())));
        }
        if let Some(at) = &f.rule_at {
            out.push_str(&format!("  the rule at {}\n", escape_text(&at.to_string())));
        }
        out.push_str(&format!("  help: {}\n", escape_text(&f.help)));
    }
    if report.findings.is_empty() {
        out.push_str("No findings: every account and budget keeps the policy.\n");
    }
    out
}

fn markdown(report: &LintReport) -> String {
    let mut out = format!(
        "### budgetctl lint: {}\n\n",
        escape_markdown(&summary(report))
    );
    if report.findings.is_empty() {
        out.push_str("No findings: every account and budget keeps the policy.\n");
        return out;
    }
    out.push_str("| | Where | Finding | What to do |\n| :-: | --- | --- | --- |\n");
    for f in &report.findings {
        let icon = match f.level {
            Level::Error => "🔴",
            Level::Warning => "🟠",
        };
        out.push_str(&format!(
            "| {icon} | <code>{}</code> | <code>{}</code>: {} | {} |\n",
            escape_markdown(&subject(f)),
            f.code,
            markdown_message(&f.message),
            markdown_message(&f.help)
        ));
    }
    out
}

/// The findings as annotations: a declared budget's at its file's line.
fn annotations(report: &LintReport) -> Vec<Annotation> {
    report
        .findings
        .iter()
        .map(|f| Annotation {
            severity: match f.level {
                Level::Error => budgetctl_spec::Severity::Error,
                Level::Warning => budgetctl_spec::Severity::Warning,
            },
            code: f.code.to_owned(),
            message: headline(f),
            help: Some(f.help.clone()),
            at: f.at.as_ref().map(Place::at),
            related: f
                .rule_at
                .iter()
                .map(|at| (Place::at(at), "the rule".to_owned()))
                .collect(),
        })
        .collect()
}

/// The JSON document, format version 1.
fn document(report: &LintReport) -> serde_json::Value {
    serde_json::json!({
        "format_version": 1,
        "errors": report.errors(),
        "warnings": report.findings.len() - report.errors(),
        "accounts": report.accounts,
        "budgets": report.budgets,
        "findings": report.findings.iter().map(|f| serde_json::json!({
            "code": f.code,
            "level": f.level,
            "account": f.account.as_str(),
            "budget": f.budget,
            "message": f.message,
            "help": f.help,
            "declared_at": f.at.as_ref().map(ToString::to_string),
            "rule_at": f.rule_at.as_ref().map(ToString::to_string),
        })).collect::<Vec<_>>(),
        "unreadable": report.unreadable,
    })
}
