//! `budgetctl fmt`: budget files rewritten in the canonical style
//! (`budgetctl_spec::format`), comments kept; `--check` for CI, `--diff`
//! to see what changes.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use budgetctl_spec::format::format;

use crate::error::CliError;
use crate::views::escape::{escape_lines, escape_text, plural};

/// `budgetctl fmt`.
#[derive(clap::Args)]
pub struct FmtArgs {
    /// Budget files, or directories of *.yaml/*.yml files.
    /// Default: budgets.yaml, or budgets/ when present.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write nothing: list the files that are not formatted, and exit 1
    /// if there is one (for CI, as `terraform fmt -check`).
    #[arg(long)]
    pub check: bool,
    /// Show what formatting changes in each file, as a unified diff.
    #[arg(long)]
    pub diff: bool,
}

pub fn run(args: FmtArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    let paths = if args.paths.is_empty() {
        match budgetctl_spec::DEFAULT_FILES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
        {
            Some(found) => vec![found],
            None => {
                // The error validate and plan give: what was looked for.
                crate::print_diagnostics(&crate::load(&[]), colors.stderr);
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        args.paths.clone()
    };
    let files = budgetctl_spec::expand_paths(&paths).map_err(|(dir, e)| {
        CliError::Format(format!(
            "cannot list budget files in {}: {e}",
            dir.display()
        ))
    })?;
    let mut out = std::io::stdout().lock();
    let (mut failed, mut unformatted) = (0, 0);
    for path in &files {
        let shown = path.display().to_string();
        let text = match budgetctl_spec::read_bounded(
            path,
            budgetctl_spec::yaml::MAX_FILE_BYTES,
            "budget files",
        )
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            String::from_utf8(bytes).map_err(|_| format!("{shown} is not UTF-8 text"))
        }) {
            Ok(text) => text,
            Err(message) => {
                note!("error: {message}");
                failed += 1;
                continue;
            }
        };
        let formatted = match format(&text) {
            Ok(formatted) => formatted,
            Err(e) => {
                note!(
                    "error: {shown}:{e}\n  help: fix the YAML (`budgetctl validate -f {shown}` says more); the file was left as it is"
                );
                failed += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if args.diff {
            let diff = similar::TextDiff::from_lines(&text, &formatted)
                .unified_diff()
                .context_radius(3)
                .header(&shown, &shown)
                .to_string();
            let _ = out.write_all(colour_diff(&escape_lines(&diff), colors.stdout).as_bytes());
        }
        if !args.check {
            crate::files::write_atomically(path, &formatted)?;
        }
        if !args.diff {
            let _ = writeln!(out, "{}", escape_text(&shown));
        }
    }
    drop(out);
    if args.check && unformatted > 0 {
        note!(
            "{} not formatted: run `budgetctl fmt` to format {}",
            plural(unformatted, "file"),
            if unformatted == 1 { "it" } else { "them" }
        );
    }
    Ok(if failed > 0 || (args.check && unformatted > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A unified diff with its removed lines red and added lines green.
fn colour_diff(diff: &str, color: bool) -> String {
    if !color {
        return diff.to_owned();
    }
    let red = anstyle::AnsiColor::Red.on_default();
    let green = anstyle::AnsiColor::Green.on_default();
    let bold = anstyle::Style::new().bold();
    diff.lines()
        .map(|line| {
            let style = if line.starts_with("---") || line.starts_with("+++") {
                bold
            } else if line.starts_with('-') {
                red
            } else if line.starts_with('+') {
                green
            } else {
                anstyle::Style::new()
            };
            format!("{style}{line}{style:#}\n")
        })
        .collect()
}
