//! `budgetctl validate`: every rule AWS would enforce, offline, with
//! file:line:col; the verdict on stdout, one JSON report or SARIF log on
//! stdout, or GitHub workflow commands that put each problem on the line
//! of a pull request's diff.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::CliError;
use crate::views;

/// `budgetctl validate`.
#[derive(clap::Args)]
pub struct ValidateArgs {
    #[arg(short = 'f', long = "file", value_name = "PATH", help = super::connect::FILES_HELP)]
    pub files: Vec<PathBuf>,
    /// text for people; json for scripts; github for workflow commands
    /// that annotate a pull request's diff; sarif for code scanning.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
    Sarif,
}

/// The version of `validate --format json`'s document: 1 since it has a
/// version, counts and end positions.
const VALIDATE_FORMAT_VERSION: u32 = 1;

pub fn run(args: ValidateArgs, color: bool) -> Result<ExitCode, CliError> {
    let loaded = crate::load(&args.files);
    match args.format {
        Format::Json => {
            let records: Vec<budgetctl_spec::DiagnosticRecord> =
                loaded.diagnostics.iter().map(Into::into).collect();
            // Where each budget a template made (or replaced) came from.
            let templated: Vec<serde_json::Value> = loaded
                .config
                .budgets
                .iter()
                .filter_map(|b| {
                    let template = b.template.as_ref()?;
                    Some(serde_json::json!({
                        "account": b.account.as_str(),
                        "name": b.budget.name,
                        "origin": b.origin.to_string(),
                        "template": template.to_string(),
                    }))
                })
                .collect();
            let unread: Vec<serde_json::Value> = unread_groups(&loaded)
                .map(|(name, source)| {
                    serde_json::json!({ "group": name, "organizations": source.to_string() })
                })
                .collect();
            let errors = loaded.errors().count();
            let out = serde_json::json!({
                "format_version": VALIDATE_FORMAT_VERSION,
                "valid": !loaded.has_errors(),
                "errors": errors,
                "warnings": loaded.diagnostics.len() - errors,
                "organization_groups": unread,
                "files": loaded.files.iter().map(|f| f.path.display().to_string()).collect::<Vec<_>>(),
                "budgets": loaded.config.budgets.len(),
                "from_templates": templated,
                "diagnostics": records,
            });
            // Bidirectional characters from the file as `\uXXXX`, as in plans.
            let text = views::json::json(&out)?;
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
        Format::Sarif => {
            let annotations: Vec<views::diagnostics::Annotation> = loaded
                .diagnostics
                .iter()
                .map(views::diagnostics::Annotation::of)
                .collect();
            let log = views::diagnostics::sarif(&annotations);
            let _ = writeln!(std::io::stdout().lock(), "{}", views::json::json(&log)?);
        }
        Format::Text | Format::Github => {
            if args.format == Format::Github {
                let mut out = std::io::stdout().lock();
                for d in &loaded.diagnostics {
                    let annotation = views::diagnostics::Annotation::of(d);
                    let _ = write!(out, "{}", views::diagnostics::github(&annotation));
                }
            } else {
                crate::print_diagnostics(&loaded, color);
            }
            // The verdict on stdout, as `terraform validate` prints it; the
            // diagnostics and notes on stderr.
            let mut verdict = std::io::stdout().lock();
            let mut err = std::io::stderr().lock();
            let errors = loaded.errors().count();
            let warnings = loaded.diagnostics.len() - errors;
            let files = loaded.files.len();
            let files = format!("{files} file{}", if files == 1 { "" } else { "s" });
            if errors == 0 {
                let budgets = loaded.config.budgets.len();
                let (expanded, replacing) = loaded
                    .config
                    .budgets
                    .iter()
                    .filter_map(|b| Some((b.template.as_ref()?, &b.origin)))
                    .fold(
                        (0, 0),
                        |(e, r), (t, o)| {
                            if t == o { (e + 1, r) } else { (e, r + 1) }
                        },
                    );
                let templated = match (expanded, replacing) {
                    (0, 0) => String::new(),
                    (e, 0) => format!(" ({e} from templates)"),
                    (e, r) => format!(" ({e} from templates, {r} replacing a template's)"),
                };
                let _ = writeln!(
                    verdict,
                    "{budgets} budget{}{templated} in {files}: valid{}.",
                    if budgets == 1 { "" } else { "s" },
                    match warnings {
                        0 => String::new(),
                        1 => ", with 1 warning".to_owned(),
                        n => format!(", with {n} warnings"),
                    }
                );
                for (name, source) in unread_groups(&loaded) {
                    let _ = writeln!(
                        err,
                        "note: group `{name}` is {source} in AWS Organizations: plan, apply and respond read it; validate reads nothing, so its accounts' budgets are not counted here."
                    );
                }
            } else {
                let _ = writeln!(
                    verdict,
                    "{errors} error{} and {warnings} warning{} in {files}.",
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" },
                );
            }
            let on_github = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
            if on_github && args.format == Format::Text && !loaded.diagnostics.is_empty() {
                let _ = writeln!(
                    err,
                    "note: on GitHub Actions, `budgetctl validate --format github` puts each problem on the line of the pull request's diff"
                );
            }
        }
    }
    Ok(if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Groups from AWS Organizations, which validate does not read.
fn unread_groups(
    loaded: &budgetctl_spec::Loaded,
) -> impl Iterator<Item = (&String, &budgetctl_spec::OrganizationSource)> {
    loaded
        .config
        .groups
        .iter()
        .filter(|(_, g)| !g.resolved)
        .filter_map(|(name, g)| Some((name, g.organization.as_ref()?)))
}
