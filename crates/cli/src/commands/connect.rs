//! The flags plan, apply, import and the others share: which budgets a run
//! covers (`ScopeArgs`), where the Budgets API is and as whom to call it
//! (`ConnectArgs`, made into the engine's session options), and the few
//! steps every command that reads takes: a runtime, the files loaded in a
//! session with their diagnostics shown, a plan told of under `--verbose`.

use std::path::PathBuf;

use budgetctl_diff::{Plan, PlanScope};
use budgetctl_engine::plan::{PlanOptions, plan};
use budgetctl_engine::session::{Opened, Session, SessionOptions};
use budgetctl_spec::{AccountId, Loaded};

use crate::error::CliError;

/// What `-f` says, one wording for every command.
pub const FILES_HELP: &str = "A budget file, or a directory of *.yaml/*.yml files; repeatable [default: budgets.yaml, budgets.yml or budgets/, the first present]";

/// What `--format` says where its values are text and json.
pub const FORMAT_HELP: &str = "text for people; json for scripts (one document on stdout)";

/// `--yes`, the same on every command that asks before it acts.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Approval {
    /// Do not ask (needed off a terminal, in CI, where no one can answer);
    /// `--auto-approve` as in Terraform.
    #[arg(
        long,
        short = 'y',
        visible_alias = "auto-approve",
        help_heading = "Approval"
    )]
    pub yes: bool,
}

/// Which budgets a run covers.
#[derive(Clone, Debug, Default, clap::Args)]
#[command(next_help_heading = "Input")]
pub struct ScopeArgs {
    #[arg(short = 'f', long = "file", value_name = "PATH", help = FILES_HELP)]
    pub files: Vec<PathBuf>,
    /// Only this account; repeatable. Default: every account the files name.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<AccountId>,
    /// Only this budget; repeatable.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Only the accounts in shard K of N (by a stable hash of the id), for
    /// a CI matrix of N jobs; `budgetctl accounts --shards N` lists them.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<budgetctl_diff::Shard>,
}

/// Which accounts a command that only reads covers (status, lint): no
/// `--target`, since it looks at every budget of them.
#[derive(Clone, Debug, Default, clap::Args)]
#[command(next_help_heading = "Input")]
pub struct AccountScopeArgs {
    #[arg(short = 'f', long = "file", value_name = "PATH", help = FILES_HELP)]
    pub files: Vec<PathBuf>,
    /// Only this account; repeatable. Default: every account the files name.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<AccountId>,
    /// Only the accounts in shard K of N (by a stable hash of the id).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<budgetctl_diff::Shard>,
}

impl AccountScopeArgs {
    /// The narrowing these arguments ask for.
    pub fn plan_scope(&self) -> PlanScope {
        PlanScope {
            accounts: self.accounts.clone(),
            targets: Vec::new(),
            shard: self.shard,
        }
    }
}

/// Where the Budgets API is and as whom to call it, and how fast.
#[derive(Clone, Debug, Default, clap::Args)]
#[command(next_help_heading = "Endpoint")]
pub struct ConnectArgs {
    /// Run against budgetctl-local, started here with state in .budgetctl/local.json.
    #[arg(long, conflicts_with_all = ["endpoint_url", "profile"])]
    pub local: bool,
    /// Another Budgets endpoint (AWS_ENDPOINT_URL works too).
    #[arg(long, value_name = "URL", value_parser = endpoint_url)]
    pub endpoint_url: Option<String>,
    /// A named AWS profile.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Signing region for Budgets (us-east-1; another only for other partitions).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Requests per second to each account, client side (0, the default:
    /// no limit, the SDK's adaptive retries alone). For many accounts read
    /// at once, set it at or under their rate limit.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "Performance"
    )]
    pub account_rps: u32,
    /// Requests per second across the whole run, client side (0: no limit).
    /// Default: no limit for reads; apply's writes at most 20 a second.
    #[arg(long, value_name = "N", help_heading = "Performance")]
    pub max_rps: Option<u32>,
}

/// `--endpoint-url`: an http or https URL with a host.
fn endpoint_url(text: &str) -> Result<String, String> {
    let usage = "write the endpoint as a URL, e.g. http://127.0.0.1:4566 for budgetctl local serve";
    match url::Url::parse(text) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(text.to_owned())
        }
        _ => Err(format!("`{text}` is not an http(s) URL; {usage}")),
    }
}

impl ConnectArgs {
    /// The engine's session options these flags ask for.
    pub fn session(&self) -> SessionOptions {
        SessionOptions {
            local: self.local,
            endpoint_url: self.endpoint_url.clone(),
            profile: self.profile.clone(),
            region: self.region.clone(),
            account_rps: std::num::NonZeroU32::new(self.account_rps),
            max_rps: self.max_rps.and_then(std::num::NonZeroU32::new),
        }
    }
}

/// How the files' diagnostics are shown.
#[derive(Debug, Clone, Copy)]
pub enum Shown {
    /// Rendered for people on stderr, coloured or not.
    Terminal { color: bool },
    /// As GitHub workflow commands on stdout: each on the line of the diff.
    Github,
}

impl From<bool> for Shown {
    fn from(color: bool) -> Shown {
        Shown::Terminal { color }
    }
}

/// The files (`-f`, or the default ones) loaded in a session opened as
/// `connect` says, their diagnostics shown as `shown` says. `Err` with
/// the load when the files have errors (nothing remote was read past the
/// groups, or changed).
pub async fn open_with_files(
    connect: &ConnectArgs,
    files: &[PathBuf],
    shown: impl Into<Shown>,
) -> Result<Result<(Session, Loaded), Loaded>, CliError> {
    let opened = Session::open(&connect.session(), crate::parse(files)).await?;
    let loaded = match &opened {
        Opened::Ready(_, loaded) | Opened::Invalid(loaded) => loaded,
    };
    match shown.into() {
        Shown::Terminal { color } => crate::print_diagnostics(loaded, color),
        Shown::Github => {
            let mut out = std::io::stdout().lock();
            for d in &loaded.diagnostics {
                let _ = std::io::Write::write_all(
                    &mut out,
                    crate::views::diagnostics::github(&crate::views::diagnostics::Annotation::of(
                        d,
                    ))
                    .as_bytes(),
                );
            }
        }
    }
    Ok(match opened {
        Opened::Ready(session, loaded) => Ok((*session, loaded)),
        Opened::Invalid(loaded) => Err(loaded),
    })
}

/// The files (`-f`, or the default ones) loaded, for a command that needs
/// no session but for the groups from AWS Organizations (read through one
/// opened for the purpose). Diagnostics are the caller's to print.
pub fn load_resolving(connect: &ConnectArgs, files: &[PathBuf]) -> Result<Loaded, CliError> {
    let parsed = crate::parse(files);
    Ok(runtime()?.block_on(Session::load(&connect.session(), parsed))?)
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

impl ScopeArgs {
    /// The narrowing these arguments ask for, as a plan records it.
    pub fn plan_scope(&self) -> PlanScope {
        PlanScope {
            accounts: self.accounts.clone(),
            targets: self.targets.clone(),
            shard: self.shard,
        }
    }
}

/// Told of each account read, under `--verbose`.
pub fn reading(verbose: bool) -> impl Fn(&AccountId, Option<&str>) + Sync {
    move |account: &AccountId, role: Option<&str>| {
        if verbose {
            match role {
                Some(role) => note!("reading account {account} as {role}"),
                None => note!("reading account {account}"),
            }
        }
    }
}

/// Make the plan of `loaded` in `scope`, telling of each account read
/// under `--verbose`.
pub async fn compute(
    scope: &PlanScope,
    loaded: &Loaded,
    session: &Session,
    parallelism: usize,
    verbose: bool,
) -> Result<Plan, CliError> {
    let reading = reading(verbose);
    let options = PlanOptions {
        reading: &reading,
        ..PlanOptions::today(parallelism)
    };
    Ok(plan(loaded, session.clients(), scope, &options).await?)
}
