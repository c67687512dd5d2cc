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
        let text = crate::views::escape::escape_lines(&format!($($arg)*));
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }};
}

mod commands;
mod error;
mod files;
mod views;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "budgetctl",
    version = version(),
    about = "Keep AWS Budgets as code: validate, plan and apply budgets written in YAML.",
    propagate_version = true
)]
struct Cli {
    /// Deprecated: `--color never`. Kept for one release, with a note.
    #[arg(long, global = true, hide = true)]
    no_color: bool,
    /// auto: colour on a terminal, as NO_COLOR, CLICOLOR_FORCE and
    /// FORCE_COLOR say (a CI log coloured with CLICOLOR_FORCE=1); always;
    /// never (beats every variable).
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, help_heading = "Output")]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start from nothing: a budgets/ with one commented budget for an
    /// account and, with --github, the workflows that plan and apply it.
    #[command(
        after_help = "Examples:\n  budgetctl init --account 111122223333           # budgets/budgets.yaml for one account\n  budgetctl init --github                         # and the plan, apply and drift workflows"
    )]
    Init(commands::init::InitArgs),
    /// Rewrite budget files in the canonical style, comments kept;
    /// `--check` lists files that are not (exit 1), for CI.
    #[command(
        after_help = "Examples:\n  budgetctl fmt                                   # format budgets.yaml or budgets/ in place\n  budgetctl fmt --check --diff                    # in CI: exit 1 and show what would change\n  budgetctl fmt budgets.example.yaml --check"
    )]
    Fmt(commands::fmt::FmtArgs),
    /// Check budget files offline: every rule AWS would enforce, with file:line:col.
    #[command(
        after_help = "Examples:\n  budgetctl validate -f budgets.example.yaml\n  budgetctl validate --format github              # annotations on a pull request\n  budgetctl validate --format sarif > budgetctl.sarif"
    )]
    Validate(commands::validate::ValidateArgs),
    /// Show what apply would change: read live budgets, compare, render.
    #[command(
        after_help = "Examples:\n  budgetctl plan --local -f budgets.example.yaml  # against budgetctl-local, no AWS\n  budgetctl plan --out plan.json                  # save it for `budgetctl apply plan.json`\n  budgetctl plan --format markdown --detailed-exitcode > plan.md\n  budgetctl plan --shard 1/4 --format json > plan-1.json"
    )]
    Plan(commands::plan::PlanArgs),
    /// Make AWS match the files: apply a saved plan, or plan afresh and apply
    /// it once approved.
    #[command(
        after_help = "Examples:\n  budgetctl apply --local -f budgets.example.yaml # plan, show, ask for yes, apply\n  budgetctl apply plan.json                       # exactly the saved, reviewed plan\n  budgetctl apply --yes                           # in CI (--auto-approve works too)"
    )]
    Apply(commands::apply::ApplyArgs),
    /// Write the budgets an account already has as a budget file that plans
    /// with no changes.
    #[command(
        after_help = "Examples:\n  budgetctl import --account 111122223333 --out budgets/main.yaml\n  budgetctl import --organization --out budgets/  # one file per account"
    )]
    Import(commands::import::ImportArgs),
    /// Operate budget actions: list them, show one's history, approve,
    /// retry, reverse or reset one (ExecuteBudgetAction).
    #[command(
        after_help = "Examples:\n  budgetctl action list --account 111122223333 --status pending\n  budgetctl action approve sandbox/freeze --wait\n  budgetctl action history sandbox/freeze --since 2026-12-01"
    )]
    Action {
        #[command(subcommand)]
        command: commands::action::ActionCommand,
    },
    /// Run the responses that spend has made due, once per budget period:
    /// Service Catalog self-service actions, approvals of budget actions.
    #[command(
        after_help = "Examples:\n  budgetctl respond --dry-run                     # what would run, and why\n  budgetctl respond --wait                        # run what is due, follow each record"
    )]
    Respond(commands::respond::RespondArgs),
    /// Live accounts against the files' policy and what AWS warns of:
    /// accounts with no budget, budgets breaking a rule, unhealthy ones,
    /// topics budgets cannot publish to.
    #[command(
        after_help = "Examples:\n  budgetctl lint --local -f budgets.example.yaml\n  budgetctl lint --check-sns --format sarif > lint.sarif"
    )]
    Lint(commands::lint::LintArgs),
    /// Where every budget stands this period: limit, spend, forecast,
    /// alerts, actions, across accounts; as text, markdown, html or JSON.
    #[command(
        after_help = "Examples:\n  budgetctl status --local -f budgets.example.yaml\n  budgetctl status --history 6 --format html --out status.html\n  budgetctl status --fail-on forecast-over        # exit 1 when a budget is forecast over"
    )]
    Status(commands::status::StatusArgs),
    /// List the accounts the files resolve to (named, in groups, or read
    /// from AWS Organizations), with `--shards N` the shard of each.
    #[command(
        after_help = "Examples:\n  budgetctl accounts -f budgets.example.yaml\n  budgetctl accounts --shards 4 --format json     # the matrix of a sharded plan"
    )]
    Accounts(commands::accounts::AccountsArgs),
    /// Print the JSON Schema of budget files, for editors.
    Schema,
    /// Print a shell completion script (bash, zsh, fish, powershell).
    #[command(
        after_help = "Examples:\n  budgetctl completions bash > ~/.local/share/bash-completion/completions/budgetctl\n  budgetctl completions zsh > ~/.zfunc/_budgetctl\n  budgetctl completions fish > ~/.config/fish/completions/budgetctl.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// budgetctl-local: an AWS Budgets endpoint on this machine.
    Local {
        #[command(subcommand)]
        command: LocalCommand,
    },
}

/// The shells completions are written for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl From<Shell> for clap_complete::Shell {
    fn from(shell: Shell) -> Self {
        match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }
}

#[derive(Subcommand)]
enum LocalCommand {
    /// Serve the Budgets API until Ctrl-C; point tools at it with --endpoint-url.
    Serve(commands::local::ServeArgs),
}

/// The version, the git commit the binary was built from, and its target.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        // The build script records the commit; outside a git checkout it
        // leaves a placeholder that is not a commit.
        let commit = option_env!("VERGEN_GIT_SHA")
            .filter(|sha| sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            .unwrap_or("unknown");
        format!(
            "{} (commit {commit}, {})",
            env!("CARGO_PKG_VERSION"),
            env!("BUDGETCTL_TARGET")
        )
    })
}

/// Whether to colour each stream: never with `--no-color` or `NO_COLOR`,
/// and only where the stream is a terminal (not a file or a pipe).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Colors {
    pub stdout: bool,
    pub stderr: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Colors {
    /// The conventions, in anstream's order: `--color never` (or
    /// `--no-color`), then `--color always`; under auto, NO_COLOR turns
    /// colour off, CLICOLOR_FORCE (as anstyle-query reads them) or
    /// FORCE_COLOR (set and not `0`, force-color.org) turn it on off a
    /// terminal, CLICOLOR=0 off, and otherwise each stream is coloured when
    /// it is a terminal.
    fn decide(no_color: bool, choice: ColorChoice) -> Colors {
        let force_color =
            std::env::var_os("FORCE_COLOR").is_some_and(|v| !v.is_empty() && v != "0");
        let forced = match (no_color, choice) {
            (true, _) | (_, ColorChoice::Never) => Some(false),
            (_, ColorChoice::Always) => Some(true),
            _ if anstyle_query::no_color() => Some(false),
            _ if anstyle_query::clicolor_force() || force_color => Some(true),
            _ if anstyle_query::clicolor() == Some(false) => Some(false),
            _ => None,
        };
        Colors {
            stdout: forced.unwrap_or_else(|| std::io::stdout().is_terminal()),
            stderr: forced.unwrap_or_else(|| std::io::stderr().is_terminal()),
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
        _ if verbose => EnvFilter::new("budgetctl=info,budgetctl_engine=info"),
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
    let colors = Colors::decide(cli.no_color, cli.color);
    if cli.no_color {
        note!("note: --no-color is deprecated and goes in the next release: use --color never");
    }
    let color = colors.stderr;
    let verbose = match &cli.command {
        Command::Plan(args) => args.verbose,
        Command::Apply(args) => args.verbose,
        Command::Import(args) => args.verbose,
        Command::Status(args) => args.verbose,
        Command::Lint(args) => args.verbose,
        _ => false,
    };
    if !matches!(cli.command, Command::Local { .. }) {
        init_logging(verbose, color);
    }
    let result = match cli.command {
        Command::Validate(args) => commands::validate::run(args, color),
        Command::Init(args) => commands::init::run(args),
        Command::Fmt(args) => commands::fmt::run(args, colors),
        Command::Local {
            command: LocalCommand::Serve(args),
        } => commands::local::serve(args, colors.stderr),
        Command::Plan(args) => commands::plan::run(args, colors),
        Command::Apply(args) => commands::apply::run(args, colors),
        Command::Import(args) => commands::import::run(args, color),
        Command::Action { command } => commands::action::run(command, colors.stdout),
        Command::Respond(args) => commands::respond::run(args, colors.stdout),
        Command::Status(args) => commands::status::run(args, colors),
        Command::Lint(args) => commands::lint::run(args, colors),
        Command::Accounts(args) => commands::accounts::run(args, colors),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a closed pipe (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(
                clap_complete::Shell::from(shell),
                &mut Cli::command(),
                "budgetctl",
                &mut script,
            );
            let _ = std::io::stdout().lock().write_all(&script);
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            let schema = budgetctl_spec::json_schema();
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            let mut out = std::io::stdout().lock();
            Ok(if writeln!(out, "{text}").is_err() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    };
    // Every command's error, rendered here and only here.
    result.unwrap_or_else(|e| {
        note!("error: {}", e.describe());
        ExitCode::FAILURE
    })
}

/// Whether a default budget file is here (`budgets.yaml`, `budgets.yml`
/// or `budgets/`).
pub(crate) fn has_default_files() -> bool {
    budgetctl_spec::DEFAULT_FILES
        .iter()
        .any(|p| std::path::Path::new(p).exists())
}

/// Load the named files, or the default ones (groups from AWS
/// Organizations unresolved: `validate` reads nothing remote).
pub(crate) fn load(files: &[PathBuf]) -> budgetctl_spec::Loaded {
    parse(files).resolve(&budgetctl_spec::OrganizationAccounts::new())
}

/// Read and decode the named files, or the default ones, to be merged
/// once their groups from AWS Organizations are read.
pub(crate) fn parse(files: &[PathBuf]) -> budgetctl_spec::Parsed {
    if files.is_empty() {
        budgetctl_spec::parse_defaults(std::path::Path::new("."))
    } else {
        budgetctl_spec::parse_paths(files)
    }
}

/// Every diagnostic, rendered, on stderr.
pub(crate) fn print_diagnostics(loaded: &budgetctl_spec::Loaded, color: bool) {
    let mut err = std::io::stderr().lock();
    for d in &loaded.diagnostics {
        let _ = write!(err, "{}", views::diagnostics::render(d, color));
    }
}
