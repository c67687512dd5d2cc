//! `budgetctl plan`: load the files, make the plan (`budgetctl_engine::plan`),
//! render it; or merge the plans of a run's shards and render that.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use budgetctl_diff::Plan;

use super::connect::{ConnectArgs, ScopeArgs, Shown, compute, open_with_files, runtime};
use crate::error::CliError;
use crate::views;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
    /// Text, with the files' problems and the plan's errors as GitHub
    /// workflow commands (annotations on the pull request's diff).
    Github,
}

/// `budgetctl plan`.
#[derive(clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Save the plan (JSON) for `budgetctl apply`.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// text for a terminal; markdown for a pull-request comment; json for
    /// scripts (the document `--out` saves); github for workflow commands.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text, help_heading = "Output")]
    pub format: PlanFormat,
    /// Exit 0 for no changes, 2 for changes, 1 for errors.
    #[arg(long, help_heading = "Output")]
    pub detailed_exitcode: bool,
    /// Requests in flight at once, across all the accounts read.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Performance")]
    pub parallelism: u16,
    /// Say what is being read.
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,
    /// Merge JSON plans (`--format json` or `--out`) of the shards of one
    /// run and render them as one plan, reading nothing: e.g. `plan
    /// --merge plan-1.json plan-2.json --format markdown` for one PR comment.
    #[arg(long, value_name = "PLAN", num_args = 1.., conflicts_with = "out", help_heading = "Input")]
    pub merge: Vec<PathBuf>,
    /// The markdown comment's last line, instead of the commit
    /// (`GITHUB_SHA`), the time and "merging runs `budgetctl apply`": for
    /// another CI, or a job whose merge does something else.
    #[arg(long, value_name = "TEXT", help_heading = "Output")]
    pub footer: Option<String>,
}

pub fn run(args: PlanArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    if !args.merge.is_empty() {
        let plans = args
            .merge
            .iter()
            .map(|path| {
                let text = crate::files::read_plan(path)?;
                Plan::from_document(&text).map_err(|error| CliError::PlanDocument {
                    path: path.clone(),
                    error,
                    applying: false,
                })
            })
            .collect::<Result<Vec<_>, CliError>>()?;
        let plan = Plan::merge(plans).map_err(CliError::Merge)?;
        return show(&plan, &args, colors);
    }
    let shown = match args.format {
        PlanFormat::Github => Shown::Github,
        _ => Shown::from(colors.stderr),
    };
    let plan = runtime()?.block_on(async {
        let (session, loaded) =
            match open_with_files(&args.connect, &args.scope.files, shown).await? {
                Ok(opened) => opened,
                Err(invalid) => return Ok(Err(invalid)),
            };
        let plan = compute(
            &args.scope.plan_scope(),
            &loaded,
            &session,
            usize::from(args.parallelism),
            args.verbose,
        )
        .await;
        session.finish(plan.map(Ok)).await
    });
    let mut plan = match plan {
        Ok(Ok(plan)) => plan,
        // The pull-request comment says why no plan was made, with the
        // errors, instead of leaving the last plan standing.
        Ok(Err(invalid)) => {
            if args.format == PlanFormat::Markdown {
                let errors: Vec<(String, String)> = invalid
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == budgetctl_spec::Severity::Error)
                    .map(|d| {
                        let mut message = d.message.clone();
                        if let Some(help) = &d.help {
                            message.push_str(&format!(" ({help})"));
                        }
                        (d.span.to_string(), message)
                    })
                    .collect();
                print(&views::plan_markdown::failed_before(
                    "The budget files do not validate",
                    &errors,
                    &footer(&args),
                ));
            }
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => {
            if args.format == PlanFormat::Markdown {
                print(&views::plan_markdown::failed_before(
                    "No plan could be made",
                    &[(String::new(), e.describe())],
                    &footer(&args),
                ));
            }
            return Err(e);
        }
    };
    plan.target = args.connect.session().target();
    if let Some(path) = &args.out
        && !plan.has_errors()
    {
        save(&plan, path)?;
    }
    show(&plan, &args, colors)
}

/// The plan on stdout in the format asked for, and the exit code it makes.
fn show(plan: &Plan, args: &PlanArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    let text = match args.format {
        PlanFormat::Text => views::plan_text::text(plan, colors.stdout),
        PlanFormat::Github => {
            let mut text = views::plan_text::text(plan, false);
            for e in &plan.errors {
                text.push_str(&views::diagnostics::github_error(
                    "budgetctl plan",
                    &format!("{}: {}", e.budget.address(), e.message),
                ));
            }
            text
        }
        PlanFormat::Markdown => views::plan_markdown::markdown(plan, &footer(args)),
        PlanFormat::Json => views::json::json(&plan.document())? + "\n",
    };
    print(&text);
    if plan.has_errors() {
        // The plan's own errors, part of what it shows.
        for e in &plan.errors {
            note!("error: {}: {}", e.budget.address(), e.message);
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `text` on stdout; a closed pipe is not an error worth a panic.
fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The comment's footer: the commit (`GITHUB_SHA`), the time, `--footer`.
fn footer(args: &PlanArgs) -> views::plan_markdown::Footer {
    views::plan_markdown::Footer {
        commit: std::env::var("GITHUB_SHA").ok().filter(|s| !s.is_empty()),
        at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        text: args.footer.clone(),
    }
}

fn save(plan: &Plan, path: &std::path::Path) -> Result<(), CliError> {
    let json = views::json::json(&plan.document())?;
    Ok(crate::files::write_atomically(path, &(json + "\n"))?)
}
