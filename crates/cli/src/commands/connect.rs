//! What plan, apply and import share: which budgets a run covers
//! (`ScopeArgs`), where the Budgets API is and as whom to call it
//! (`ConnectArgs`, `Endpoint`, which starts budgetctl-local in process for
//! `--local`), and the plan as a library call wired to those flags.

use std::collections::BTreeMap;
use std::path::PathBuf;

use budgetctl_apply::{Clients, Connection, PlanOptions, roles_of};
use budgetctl_diff::{Plan, PlanScope};
use budgetctl_local::{LocalOptions, LocalServer};
use budgetctl_spec::{AccountId, Loaded, OrganizationAccounts, Parsed};

use crate::error::CliError;

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
    /// Only the accounts in shard K of N (by a stable hash of the id), for
    /// a CI matrix of N jobs; `budgetctl accounts --shards N` lists them.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<budgetctl_diff::Shard>,
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
    /// Requests per second to each account when reading, client side (0,
    /// the default: no limit, the SDK's adaptive retries alone). For many
    /// accounts read at once, set it at or under their rate limit.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub account_rps: u32,
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

/// The state file `--local` keeps, relative to the working directory.
pub const LOCAL_STATE: &str = ".budgetctl/local.json";

/// Budgets clients (one per account role), and the budgetctl-local started
/// for them under `--local`.
pub struct Endpoint {
    server: Option<LocalServer>,
    pub clients: Clients,
    /// How the clients connect, for clients of other services.
    pub connection: Connection,
}

impl Endpoint {
    /// Connect as `connect` says; accounts in `roles` are reached through
    /// their role.
    pub async fn open(
        connect: &ConnectArgs,
        roles: &BTreeMap<AccountId, String>,
    ) -> Result<Endpoint, CliError> {
        Ok(Endpoint::start(connect).await?.with_roles(roles).await)
    }

    /// The accounts in `roles` reached through their role from now on.
    pub async fn with_roles(mut self, roles: &BTreeMap<AccountId, String>) -> Endpoint {
        self.clients = Clients::new(&self.connection, roles).await;
        self
    }

    /// Load the files whose parse is `parsed`, their groups from AWS
    /// Organizations read through this endpoint (only when they have some).
    pub async fn resolve(&self, parsed: Parsed) -> Result<Loaded, CliError> {
        let sources = parsed.organization_sources();
        if sources.is_empty() {
            return Ok(parsed.resolve(&OrganizationAccounts::new()));
        }
        let organization = budgetctl_apply::aws::organizations::read_organization(
            &self.connection,
            parsed.organizations_role(),
            &sources,
        )
        .await
        .map_err(CliError::Aws)?;
        Ok(parsed.resolve(&organization))
    }

    /// Connect as `connect` says, every account through the base credentials.
    pub async fn start(connect: &ConnectArgs) -> Result<Endpoint, CliError> {
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
                .await?,
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
            account_rps: std::num::NonZeroU32::new(connect.account_rps),
            ..Connection::default()
        };
        let clients = Clients::new(&connection, &BTreeMap::new()).await;
        Ok(Endpoint {
            server,
            clients,
            connection,
        })
    }

    /// Stop the embedded endpoint, saving its state.
    pub async fn close(self) -> Result<(), CliError> {
        match self.server {
            Some(server) => Ok(server.shutdown().await?),
            None => Ok(()),
        }
    }
}

/// The files (`-f`, or the default ones) loaded and the endpoint open
/// with their roles: groups from AWS Organizations are read through it.
/// `None` when the files have errors (printed on stderr, and nothing
/// remote was read past the groups, or changed).
pub async fn open_with_files(
    connect: &ConnectArgs,
    files: &[PathBuf],
    color: bool,
) -> Result<Option<(Endpoint, Loaded)>, CliError> {
    let parsed = crate::parse(files);
    if parsed.has_errors() {
        crate::print_diagnostics(&parsed.resolve(&OrganizationAccounts::new()), color);
        return Ok(None);
    }
    let endpoint = Endpoint::start(connect).await?;
    let loaded = match endpoint.resolve(parsed).await {
        Ok(loaded) => loaded,
        Err(e) => {
            endpoint.close().await?;
            return Err(e);
        }
    };
    crate::print_diagnostics(&loaded, color);
    if loaded.has_errors() {
        endpoint.close().await?;
        return Ok(None);
    }
    let endpoint = endpoint.with_roles(&roles_of(&loaded.config)).await;
    Ok(Some((endpoint, loaded)))
}

/// The files (`-f`, or the default ones) loaded, for a command that needs
/// no endpoint but for the groups from AWS Organizations: those are read
/// through one opened for the purpose (only when the files have some).
/// Diagnostics are the caller's to print.
pub fn load_resolving(connect: &ConnectArgs, files: &[PathBuf]) -> Result<Loaded, CliError> {
    let parsed = crate::parse(files);
    if parsed.has_errors() || parsed.organization_sources().is_empty() {
        return Ok(parsed.resolve(&OrganizationAccounts::new()));
    }
    runtime()?.block_on(async {
        let endpoint = Endpoint::start(connect).await?;
        let loaded = endpoint.resolve(parsed).await;
        endpoint.close().await?;
        loaded
    })
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Refused(format!("cannot start the async runtime: {e}")))
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

/// Make the plan of `loaded` in `scope` (the library call), telling of each
/// account read under `--verbose`.
pub async fn compute(
    scope: &PlanScope,
    loaded: &Loaded,
    clients: &Clients,
    parallelism: usize,
    verbose: bool,
) -> Result<Plan, CliError> {
    let reading = |account: &AccountId, role: Option<&str>| {
        if verbose {
            match role {
                Some(role) => note!("reading account {account} as {role}"),
                None => note!("reading account {account}"),
            }
        }
    };
    let options = PlanOptions {
        reading: &reading,
        ..PlanOptions::today(parallelism)
    };
    Ok(budgetctl_apply::plan(loaded, clients, scope, &options).await?)
}
