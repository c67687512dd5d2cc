//! `budgetctl plan`: load the files, read live state, diff, render. The
//! pieces apply shares (scope, endpoint, computing a plan) live here too.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use budgetctl_apply::{AwsError, Clients, Connection, ReadScope, read_account};
use budgetctl_diff::{Live, Plan, diff};
use budgetctl_local::{LocalOptions, LocalServer};
use budgetctl_spec::{AccountId, Config, Loaded};
use sha2::{Digest, Sha256};

use crate::render;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

/// Which budgets a run covers.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ScopeArgs {
    /// A budget file or a directory of *.yaml/*.yml files; repeatable.
    /// Default: budgets.yaml, or budgets/ when present.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// Only this account; repeatable. Default: every account the files name.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Only this budget; repeatable.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
}

/// Where the Budgets API is and as whom to call it.
#[derive(Clone, Debug, Default, clap::Args)]
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
    /// The target these arguments reach, as a saved plan records it.
    pub fn target(&self) -> budgetctl_diff::PlanTarget {
        budgetctl_diff::PlanTarget {
            local: self.local,
            endpoint_url: self
                .endpoint_url
                .clone()
                .or_else(|| {
                    std::env::var("AWS_ENDPOINT_URL")
                        .ok()
                        .filter(|u| !u.is_empty())
                })
                .filter(|_| !self.local),
            profile: self
                .profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
                .filter(|_| !self.local),
            region: self.region.clone(),
        }
    }
}

/// What `plan` was asked for.
pub struct PlanArgs {
    pub scope: ScopeArgs,
    pub connect: ConnectArgs,
    pub out: Option<PathBuf>,
    pub format: PlanFormat,
    pub detailed_exitcode: bool,
    pub parallelism: usize,
    pub verbose: bool,
}

/// The state file `--local` keeps, relative to the working directory.
pub const LOCAL_STATE: &str = ".budgetctl/local.json";

/// Budgets clients (one per account role), and the budgetctl-local started
/// for them under `--local`.
pub struct Endpoint {
    server: Option<LocalServer>,
    pub clients: Clients,
}

/// The role of every account that has one, as the files declare them.
pub fn roles_of(config: &Config) -> BTreeMap<AccountId, String> {
    config
        .accounts
        .iter()
        .filter_map(|(a, s)| Some((a.clone(), s.role.clone()?)))
        .collect()
}

impl Endpoint {
    /// Connect as `connect` says; accounts in `roles` are reached through
    /// their role.
    pub async fn open(
        connect: &ConnectArgs,
        roles: &BTreeMap<AccountId, String>,
    ) -> Result<Endpoint, String> {
        // --local runs the same code path against an endpoint started here.
        let server = if connect.local {
            Some(
                LocalServer::start(LocalOptions {
                    state: Some(PathBuf::from(LOCAL_STATE)),
                    // The in-process endpoint serves the partition of the
                    // region asked for, as AWS would.
                    partition: budgetctl_apply::partition(
                        connect
                            .region
                            .as_deref()
                            .unwrap_or(budgetctl_apply::BUDGETS_SIGNING_REGION),
                    )
                    .to_owned(),
                    // Two --local runs in one directory take turns.
                    wait_for_lock: true,
                    ..LocalOptions::default()
                })
                .await
                .map_err(|e| e.to_string())?,
            )
        } else {
            None
        };
        let connection = Connection {
            profile: connect.profile.clone(),
            endpoint_url: server
                .as_ref()
                .map(LocalServer::url)
                .or_else(|| connect.endpoint_url.clone()),
            local: connect.local,
            region: connect.region.clone(),
            ..Connection::default()
        };
        let clients = Clients::new(&connection, roles).await;
        Ok(Endpoint { server, clients })
    }

    /// Stop the embedded endpoint, saving its state.
    pub async fn close(self) -> Result<(), String> {
        match self.server {
            Some(server) => server.shutdown().await.map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

pub fn run(args: PlanArgs, colors: crate::Colors) -> ExitCode {
    let loaded = crate::load(&args.scope.files);
    crate::print_diagnostics(&loaded, colors.stderr);
    if loaded.has_errors() {
        return ExitCode::FAILURE;
    }
    let result = runtime().and_then(|rt| {
        rt.block_on(async {
            let endpoint = Endpoint::open(&args.connect, &roles_of(&loaded.config)).await?;
            let plan = compute(
                &args.scope,
                &loaded,
                &endpoint.clients,
                args.parallelism,
                args.verbose,
            )
            .await;
            endpoint.close().await?;
            plan
        })
    });
    let plan = match result {
        Ok(plan) => plan,
        Err(message) => {
            note!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut plan = plan;
    plan.target = args.connect.target();
    if let Some(path) = &args.out
        && !plan.has_errors()
        && let Err(message) = save(&plan, path)
    {
        note!("error: {message}");
        return ExitCode::FAILURE;
    }
    let text = match args.format {
        PlanFormat::Text => render::text(&plan, colors.stdout),
        PlanFormat::Markdown => render::markdown(&plan),
        PlanFormat::Json => match crate::output::json(&plan) {
            Ok(json) => json + "\n",
            Err(message) => {
                note!("error: {message}");
                return ExitCode::FAILURE;
            }
        },
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if plan.has_errors() {
        for e in &plan.errors {
            note!("error: {}: {}", e.budget.address(), e.message);
        }
        return ExitCode::FAILURE;
    }
    if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn save(plan: &Plan, path: &std::path::Path) -> Result<(), String> {
    let json = crate::output::json(plan)?;
    crate::output::write_atomically(path, &(json + "\n"))
        .map_err(|e| format!("cannot save the plan: {e}"))
}

/// The SHA-256 of a budget file's text, as a saved plan records it.
pub fn file_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Read every account in scope and diff it against the files.
pub async fn compute(
    scope_args: &ScopeArgs,
    loaded: &Loaded,
    clients: &Clients,
    parallelism: usize,
    verbose: bool,
) -> Result<Plan, String> {
    let config = scoped(&loaded.config, scope_args)?;
    let accounts: Vec<AccountId> = if scope_args.accounts.is_empty() {
        let mut all: BTreeSet<AccountId> = config.accounts.keys().cloned().collect();
        all.extend(config.budgets.iter().map(|b| b.account.clone()));
        all.into_iter().collect()
    } else {
        scope_args
            .accounts
            .iter()
            .map(|a| {
                AccountId::parse(a)
                    .ok_or_else(|| format!("--account {a} is not a 12-digit account id"))
            })
            .collect::<Result<_, _>>()?
    };

    let mut live = Live::default();
    for account in &accounts {
        let declared = config.budgets.iter().filter(|b| &b.account == account);
        let scope = ReadScope {
            managed: declared.clone().map(|b| b.budget.name.clone()).collect(),
            tagged: declared
                .filter(|b| b.budget.tags.is_some())
                .map(|b| b.budget.name.clone())
                .collect(),
            only: (!scope_args.targets.is_empty())
                .then(|| scope_args.targets.iter().cloned().collect()),
            everything: false,
        };
        if verbose {
            match config.accounts.get(account).and_then(|s| s.role.as_ref()) {
                Some(role) => note!("reading account {account} as {role}"),
                None => note!("reading account {account}"),
            }
        }
        let budgets = read_account(clients.for_account(account), account, &scope, parallelism)
            .await
            .map_err(|e| {
                let role = config.accounts.get(account).and_then(|s| s.role.as_ref());
                match (role, &e) {
                    (Some(role), AwsError::Credentials { .. } | AwsError::Unreachable { .. }) => {
                        format!(
                            "{}\n  account {account} is read through the role {role} (sts:AssumeRole, through the same endpoint)",
                            explain(&e)
                        )
                    }
                    _ => explain(&e),
                }
            })?;
        live.extend(budgets);
    }
    let today = chrono::Utc::now().date_naive();
    let mut plan = diff(&config, &live, &accounts, today);
    plan.scope = budgetctl_diff::PlanScope {
        accounts: scope_args.accounts.clone(),
        targets: scope_args.targets.clone(),
    };
    for file in &loaded.files {
        plan.inputs
            .insert(file.path.display().to_string(), file_digest(&file.text));
    }
    Ok(plan)
}

/// The configuration narrowed to `--account` and `--target`.
fn scoped(config: &Config, args: &ScopeArgs) -> Result<Config, String> {
    let mut config = config.clone();
    if !args.accounts.is_empty() {
        config
            .budgets
            .retain(|b| args.accounts.iter().any(|a| a == b.account.as_str()));
    }
    if !args.targets.is_empty() {
        for t in &args.targets {
            if !config.budgets.iter().any(|b| &b.budget.name == t) {
                return Err(format!("--target {t}: no budget of that name in the files"));
            }
        }
        config
            .budgets
            .retain(|b| args.targets.contains(&b.budget.name));
    }
    Ok(config)
}

/// An AWS error with what to do about it.
pub fn explain(e: &AwsError) -> String {
    match e {
        AwsError::AccessDenied { .. } => format!(
            "{e}\n  hint: plan needs budgets:ViewBudget (and budgets:ListTagsForResource where files manage tags) in that account"
        ),
        AwsError::Throttled { .. } => {
            format!("{e}\n  hint: lower --parallelism, or run again later")
        }
        AwsError::Unreachable { .. } => format!(
            "{e}\n  hint: nothing listens at the endpoint: check --endpoint-url (or AWS_ENDPOINT_URL); for budgetctl-local run `budgetctl local serve`, or use --local"
        ),
        AwsError::Credentials { .. } => format!(
            "{e}\n  hint: where the account has `role:`, check that the role exists, trusts the credentials budgetctl runs with, and that they may sts:AssumeRole it; otherwise set AWS credentials (environment, --profile, SSO login) or use --local"
        ),
        AwsError::Api { message, .. }
            if message.contains("credentials") || message.contains("Credentials") =>
        {
            format!(
                "{e}\n  hint: set AWS credentials (environment, --profile, SSO login) or use --local"
            )
        }
        _ => e.to_string(),
    }
}
