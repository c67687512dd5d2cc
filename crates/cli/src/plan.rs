//! `budgetctl plan`: load the files, make the plan (`budgetctl_apply::plan`),
//! render it. The flags apply shares (scope, endpoint) live here too.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use budgetctl_apply::{
    AwsError, Clients, Connection, ErrorKind, PlanError, PlanOptions, ReadError, roles_of,
};
use budgetctl_diff::{Plan, PlanScope};
use budgetctl_local::{LocalOptions, LocalServer};
use budgetctl_spec::{AccountId, Loaded};

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
                &args.scope.plan_scope(),
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
        PlanFormat::Json => match crate::output::json(&plan.document()) {
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
    let json = crate::output::json(&plan.document())?;
    crate::output::write_atomically(path, &(json + "\n"))
        .map_err(|e| format!("cannot save the plan: {e}"))
}

impl ScopeArgs {
    /// The narrowing these arguments ask for, as a plan records it.
    pub fn plan_scope(&self) -> PlanScope {
        PlanScope {
            accounts: self.accounts.clone(),
            targets: self.targets.clone(),
        }
    }
}

/// Make the plan of `loaded` in `scope` (the library call), telling of each
/// account read under `--verbose`; errors come with their hint.
pub async fn compute(
    scope: &PlanScope,
    loaded: &Loaded,
    clients: &Clients,
    parallelism: usize,
    verbose: bool,
) -> Result<Plan, String> {
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
    budgetctl_apply::plan(loaded, clients, scope, &options)
        .await
        .map_err(|e| match e {
            PlanError::Read { error, role } => explain_read(&error, role.as_deref()),
            other => other.to_string(),
        })
}

/// A read error with what to do about it; `role` is the account's role.
pub fn explain_read(e: &ReadError, role: Option<&str>) -> String {
    match (e, role) {
        (ReadError::Aws(aws), Some(role))
            if matches!(aws.kind, ErrorKind::Credentials | ErrorKind::Unreachable) =>
        {
            format!(
                "{}\n  account {} is read through the role {role} (sts:AssumeRole, through the same endpoint)",
                explain(aws),
                aws.account
            )
        }
        (ReadError::Aws(aws), _) => explain(aws),
        (ReadError::Convert(c), _) => c.to_string(),
    }
}

/// An AWS error with what to do about it, chosen by its kind.
pub fn explain(e: &AwsError) -> String {
    match e.kind {
        ErrorKind::AccessDenied => format!(
            "{e}\n  hint: plan needs budgets:ViewBudget (and budgets:ListTagsForResource where files manage tags) in that account"
        ),
        ErrorKind::Throttled => {
            format!("{e}\n  hint: lower --parallelism, or run again later")
        }
        ErrorKind::Unreachable => format!(
            "{e}\n  hint: nothing listens at the endpoint: check --endpoint-url (or AWS_ENDPOINT_URL); for budgetctl-local run `budgetctl local serve`, or use --local"
        ),
        ErrorKind::Credentials => format!(
            "{e}\n  hint: where the account has `role:`, check that the role exists, trusts the credentials budgetctl runs with, and that they may sts:AssumeRole it; otherwise set AWS credentials (environment, --profile, SSO login) or use --local"
        ),
        _ => e.to_string(),
    }
}
