//! The `budgetctl` binary: wires flags to the library crates and renders their
//! results. Nothing below this crate prints.

mod local;
mod plan;
mod render;
mod report;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "budgetctl",
    version,
    about = "Keep AWS Budgets as code: validate, plan and apply budgets written in YAML.",
    propagate_version = true
)]
struct Cli {
    /// Never colour output (NO_COLOR is respected too).
    #[arg(long, global = true)]
    no_color: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check budget files offline: every rule AWS would enforce, with file:line:col.
    Validate {
        /// A budget file or a directory of *.yaml/*.yml files; repeatable.
        /// Default: budgets.yaml, or budgets/ when present.
        #[arg(short = 'f', long = "file", value_name = "PATH")]
        files: Vec<PathBuf>,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show what apply would change: read live budgets, compare, render.
    Plan {
        /// A budget file or a directory of *.yaml/*.yml files; repeatable.
        #[arg(short = 'f', long = "file", value_name = "PATH")]
        files: Vec<PathBuf>,
        /// Save the plan (JSON) for `budgetctl apply`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = plan::PlanFormat::Text)]
        format: plan::PlanFormat,
        /// Exit 0 for no changes, 2 for changes, 1 for errors.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan only this account; repeatable. Default: every account the files name.
        #[arg(long = "account", value_name = "ID")]
        accounts: Vec<String>,
        /// Plan only this budget; repeatable.
        #[arg(long = "target", value_name = "NAME")]
        targets: Vec<String>,
        /// Run against budgetctl-local, started here with state in .budgetctl/local.json.
        #[arg(long, conflicts_with_all = ["endpoint_url", "profile"])]
        local: bool,
        /// Another Budgets endpoint (AWS_ENDPOINT_URL works too).
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
        /// A named AWS profile.
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// Signing region for Budgets (us-east-1; another only for other partitions).
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// Concurrent requests when reading subscribers and tags.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
        parallelism: u16,
        /// Say what is being read.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Print the JSON Schema of budget files, for editors.
    Schema,
    /// budgetctl-local: an AWS Budgets endpoint on this machine.
    Local {
        #[command(subcommand)]
        command: LocalCommand,
    },
}

#[derive(Subcommand)]
enum LocalCommand {
    /// Serve the Budgets API until Ctrl-C; point tools at it with --endpoint-url.
    Serve {
        /// Port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 4566)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// JSON file that keeps the state across restarts.
        #[arg(long, value_name = "FILE", default_value = ".budgetctl/local.json")]
        state: PathBuf,
        /// Keep state in memory only.
        #[arg(long, conflicts_with = "state")]
        ephemeral: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = !cli.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    match cli.command {
        Command::Validate { files, format } => validate(files, format, color),
        Command::Local {
            command:
                LocalCommand::Serve {
                    port,
                    host,
                    state,
                    ephemeral,
                },
        } => local::serve(budgetctl_local::LocalOptions {
            host,
            port,
            state: (!ephemeral).then_some(state),
        }),
        Command::Plan {
            files,
            out,
            format,
            detailed_exitcode,
            accounts,
            targets,
            local,
            endpoint_url,
            profile,
            region,
            parallelism,
            verbose,
        } => {
            let stdout_color = !cli.no_color
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal();
            plan::run(
                plan::PlanArgs {
                    files,
                    out,
                    format,
                    detailed_exitcode,
                    accounts,
                    targets,
                    local,
                    endpoint_url,
                    profile,
                    region,
                    parallelism: usize::from(parallelism),
                    verbose,
                },
                stdout_color,
            )
        }
        Command::Schema => {
            let schema = budgetctl_spec::json_schema();
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{text}").is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
    }
}

/// The files to read when none are named: `budgets.yaml`, else `budgets/`.
fn default_paths() -> Vec<PathBuf> {
    for candidate in ["budgets.yaml", "budgets.yml", "budgets"] {
        let path = PathBuf::from(candidate);
        if path.exists() {
            return vec![path];
        }
    }
    vec![PathBuf::from("budgets.yaml")]
}

/// Load the named files, or the default ones.
pub(crate) fn load(files: &[PathBuf]) -> budgetctl_spec::Loaded {
    let paths = if files.is_empty() {
        default_paths()
    } else {
        files.to_vec()
    };
    budgetctl_spec::load_paths(&paths)
}

/// Every diagnostic, rendered, on stderr.
pub(crate) fn print_diagnostics(loaded: &budgetctl_spec::Loaded, color: bool) {
    let mut err = std::io::stderr().lock();
    for d in &loaded.diagnostics {
        let _ = write!(err, "{}", report::render(d, color));
    }
}

fn validate(files: Vec<PathBuf>, format: Format, color: bool) -> ExitCode {
    let loaded = load(&files);
    match format {
        Format::Json => {
            let records: Vec<budgetctl_spec::DiagnosticRecord> =
                loaded.diagnostics.iter().map(Into::into).collect();
            let out = serde_json::json!({
                "valid": !loaded.has_errors(),
                "files": loaded.files.iter().map(|f| f.path.display().to_string()).collect::<Vec<_>>(),
                "budgets": loaded.config.budgets.len(),
                "diagnostics": records,
            });
            let text = serde_json::to_string_pretty(&out).unwrap_or_default();
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
        Format::Text => {
            print_diagnostics(&loaded, color);
            let mut err = std::io::stderr().lock();
            let errors = loaded.errors().count();
            let warnings = loaded.diagnostics.len() - errors;
            let files = loaded.files.len();
            let files = format!("{files} file{}", if files == 1 { "" } else { "s" });
            if errors == 0 {
                let budgets = loaded.config.budgets.len();
                let _ = writeln!(
                    err,
                    "{budgets} budget{} in {files}: valid{}.",
                    if budgets == 1 { "" } else { "s" },
                    match warnings {
                        0 => String::new(),
                        1 => ", with 1 warning".to_owned(),
                        n => format!(", with {n} warnings"),
                    }
                );
            } else {
                let _ = writeln!(
                    err,
                    "{errors} error{} and {warnings} warning{} in {files}.",
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" },
                );
            }
        }
    }
    if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
