//! The `budgetctl` binary: wires flags to the library crates and renders their
//! results. Nothing below this crate prints.

/// A line on stderr, as `eprintln!` writes it, except that a closed or
/// broken stderr is not worth a panic (the line is dropped and the command
/// ends with its own exit code), and that control, bidirectional and
/// invisible characters from files or AWS are escaped, not sent to the
/// terminal.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = crate::render::escape_lines(&format!($($arg)*));
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }};
}

mod apply;
mod import;
mod local;
mod output;
mod plan;
mod render;
mod report;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "budgetctl",
    version = version(),
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
        #[command(flatten)]
        scope: plan::ScopeArgs,
        #[command(flatten)]
        connect: plan::ConnectArgs,
        /// Save the plan (JSON) for `budgetctl apply`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = plan::PlanFormat::Text)]
        format: plan::PlanFormat,
        /// Exit 0 for no changes, 2 for changes, 1 for errors.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Concurrent requests when reading subscribers and tags.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
        parallelism: u16,
        /// Say what is being read.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Make AWS match the files: apply a saved plan, or plan afresh and apply
    /// it once approved.
    Apply {
        /// A plan saved by `budgetctl plan --out`. Without it, apply plans
        /// afresh from the files, shows the plan and asks for `yes`.
        #[arg(value_name = "PLANFILE", conflicts_with_all = ["files", "accounts", "targets"])]
        plan_file: Option<PathBuf>,
        #[command(flatten)]
        scope: plan::ScopeArgs,
        #[command(flatten)]
        connect: plan::ConnectArgs,
        /// Apply without asking (required when standard input is not a terminal).
        #[arg(long)]
        auto_approve: bool,
        /// Budgets changed at once; each budget's own calls stay in order.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
        parallelism: u16,
        /// Client-side limit of requests per second (0: none); the SDK's
        /// adaptive retries slow down further when AWS throttles.
        #[arg(long, value_name = "N", default_value_t = budgetctl_apply::DEFAULT_MAX_REQUESTS_PER_SECOND)]
        max_rps: u32,
        /// `json`: one machine-readable result per change on stdout.
        #[arg(long, value_enum, default_value_t = apply::ApplyFormat::Text)]
        format: apply::ApplyFormat,
        /// Say what is being read.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Write the budgets an account already has as a budget file that plans
    /// with no changes.
    Import {
        /// The account to read; repeatable.
        #[arg(long = "account", value_name = "ID", required = true)]
        accounts: Vec<String>,
        /// A file, or a directory for one `<account>.yaml` per account
        /// (an existing directory, or a path ending in `/`). Default: stdout.
        #[arg(long, value_name = "FILE|DIR")]
        out: Option<PathBuf>,
        /// Only budgets whose name matches this glob, e.g. `team-*`; repeatable.
        #[arg(long = "match", value_name = "GLOB")]
        patterns: Vec<String>,
        /// Overwrite files that exist.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        connect: plan::ConnectArgs,
        /// Concurrent requests when reading subscribers and tags.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
        parallelism: u16,
        /// Say what is being read.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Print the JSON Schema of budget files, for editors.
    Schema,
    /// Print a shell completion script (bash, zsh, fish, powershell).
    ///
    /// For example: `budgetctl completions bash > ~/.local/share/bash-completion/completions/budgetctl`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
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
        /// The partition to serve: budget ARNs must be `arn:PARTITION:budgets::…`
        /// (aws-cn for a client with --region cn-northwest-1).
        #[arg(long, default_value = "aws", value_name = "PARTITION", value_parser = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"])]
        partition: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// The version and the git commit the binary was built from.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        // The build script records the commit; outside a git checkout it
        // leaves a placeholder that is not a commit.
        let commit = option_env!("VERGEN_GIT_SHA")
            .filter(|sha| sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            .unwrap_or("unknown");
        format!("{} (commit {commit})", env!("CARGO_PKG_VERSION"))
    })
}

/// Whether to colour each stream: never with `--no-color` or `NO_COLOR`,
/// and only where the stream is a terminal (not a file or a pipe).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Colors {
    pub stdout: bool,
    pub stderr: bool,
}

impl Colors {
    fn decide(no_color: bool) -> Colors {
        let allowed = !no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Colors {
            stdout: allowed && std::io::stdout().is_terminal(),
            stderr: allowed && std::io::stderr().is_terminal(),
        }
    }
}

/// Logging on stderr for every command but `local serve` (which logs its
/// requests itself): `RUST_LOG` as tracing-subscriber reads it (e.g.
/// `RUST_LOG=debug` shows each AWS request's operation, account, status and
/// duration), `-v` for info. What holds credentials never logs: the
/// signing internals (`aws_sigv4`: the canonical request and session token)
/// and the SDK's trace of whole requests (`aws_smithy_runtime` and the HTTP
/// stack at trace: every header, the Authorization signature and
/// x-amz-security-token among them) are capped at debug.
fn init_logging(verbose: bool, color: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ if verbose => EnvFilter::new("budgetctl=info,budgetctl_apply=info"),
        _ => return,
    };
    let filter = [
        "aws_sigv4=off",
        "aws_smithy_runtime=debug",
        "aws_smithy_runtime_api=debug",
        "aws_smithy_http_client=debug",
        "hyper=debug",
        "hyper_util=debug",
        "h2=debug",
    ]
    .iter()
    .filter_map(|d| d.parse().ok())
    .fold(filter, |f, d| f.add_directive(d));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let colors = Colors::decide(cli.no_color);
    let color = colors.stderr;
    let verbose = match &cli.command {
        Command::Plan { verbose, .. }
        | Command::Apply { verbose, .. }
        | Command::Import { verbose, .. } => *verbose,
        _ => false,
    };
    if !matches!(cli.command, Command::Local { .. }) {
        init_logging(verbose, color);
    }
    match cli.command {
        Command::Validate { files, format } => validate(files, format, color),
        Command::Local {
            command:
                LocalCommand::Serve {
                    port,
                    host,
                    state,
                    ephemeral,
                    partition,
                },
        } => local::serve(
            budgetctl_local::LocalOptions {
                host,
                port,
                state: (!ephemeral).then_some(state),
                partition,
                // A second server on one state file is refused, clearly.
                wait_for_lock: false,
            },
            colors.stderr,
        ),
        Command::Plan {
            scope,
            connect,
            out,
            format,
            detailed_exitcode,
            parallelism,
            verbose,
        } => plan::run(
            plan::PlanArgs {
                scope,
                connect,
                out,
                format,
                detailed_exitcode,
                parallelism: usize::from(parallelism),
                verbose,
            },
            colors,
        ),
        Command::Apply {
            plan_file,
            scope,
            connect,
            auto_approve,
            parallelism,
            max_rps,
            format,
            verbose,
        } => apply::run(
            apply::ApplyArgs {
                plan_file,
                scope,
                connect,
                auto_approve,
                parallelism: usize::from(parallelism),
                max_rps,
                format,
                verbose,
            },
            colors,
        ),
        Command::Import {
            accounts,
            out,
            patterns,
            force,
            connect,
            parallelism,
            verbose,
        } => import::run(
            import::ImportArgs {
                accounts,
                out,
                patterns,
                force,
                connect,
                parallelism: usize::from(parallelism),
                verbose,
            },
            color,
        ),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a closed pipe (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "budgetctl", &mut script);
            let _ = std::io::stdout().lock().write_all(&script);
            ExitCode::SUCCESS
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
            // Bidirectional characters from the file as `\uXXXX`, as in plans.
            let text = match output::json(&out) {
                Ok(text) => text,
                Err(message) => {
                    note!("error: {message}");
                    return ExitCode::FAILURE;
                }
            };
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
