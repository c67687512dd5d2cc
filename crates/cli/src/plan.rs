//! `budgetctl plan`: load the files, read live state, diff, render.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use budgetctl_apply::{AwsError, Connection, ReadScope, client, read_account};
use budgetctl_diff::{LiveBudget, Plan, diff};
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

/// Where live state comes from and what to plan.
pub struct PlanArgs {
    pub files: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub format: PlanFormat,
    pub detailed_exitcode: bool,
    pub accounts: Vec<String>,
    pub targets: Vec<String>,
    pub local: bool,
    pub endpoint_url: Option<String>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub parallelism: usize,
    pub verbose: bool,
}

/// The state file `--local` keeps, relative to the working directory.
pub const LOCAL_STATE: &str = ".budgetctl/local.json";

pub fn run(args: PlanArgs, color: bool) -> ExitCode {
    let loaded = crate::load(&args.files);
    if loaded.has_errors() {
        crate::print_diagnostics(&loaded, color);
        return ExitCode::FAILURE;
    }
    crate::print_diagnostics(&loaded, color); // warnings, if any
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(plan(&args, &loaded));
    let plan = match result {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.out {
        let json = serde_json::to_string_pretty(&plan).unwrap_or_default();
        if let Err(e) = std::fs::write(path, json + "\n") {
            eprintln!("error: cannot write the plan to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let text = match args.format {
        PlanFormat::Text => render::text(&plan, color),
        PlanFormat::Markdown => render::markdown(&plan),
        PlanFormat::Json => serde_json::to_string_pretty(&plan).unwrap_or_default() + "\n",
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

async fn plan(args: &PlanArgs, loaded: &Loaded) -> Result<Plan, String> {
    let config = scoped(&loaded.config, args)?;
    let accounts: Vec<AccountId> = if args.accounts.is_empty() {
        let mut all: BTreeSet<AccountId> = config.accounts.keys().cloned().collect();
        all.extend(config.budgets.iter().map(|b| b.account.clone()));
        all.into_iter().collect()
    } else {
        args.accounts
            .iter()
            .map(|a| {
                AccountId::parse(a)
                    .ok_or_else(|| format!("--account {a} is not a 12-digit account id"))
            })
            .collect::<Result<_, _>>()?
    };

    // --local runs the same code path against an endpoint started here.
    let server = if args.local {
        let state = PathBuf::from(LOCAL_STATE);
        Some(
            LocalServer::start(LocalOptions {
                state: Some(state),
                ..LocalOptions::default()
            })
            .await
            .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let connection = Connection {
        profile: args.profile.clone(),
        endpoint_url: server
            .as_ref()
            .map(LocalServer::url)
            .or_else(|| args.endpoint_url.clone()),
        local: args.local,
        max_attempts: None,
        region: args.region.clone(),
    };
    let client = client(&connection).await;

    let mut live: Vec<LiveBudget> = Vec::new();
    for account in &accounts {
        let declared = config.budgets.iter().filter(|b| &b.account == account);
        let scope = ReadScope {
            managed: declared.clone().map(|b| b.budget.name.clone()).collect(),
            tagged: declared
                .filter(|b| b.budget.tags.is_some())
                .map(|b| b.budget.name.clone())
                .collect(),
            only: (!args.targets.is_empty()).then(|| args.targets.iter().cloned().collect()),
        };
        if args.verbose {
            eprintln!("reading account {account}");
        }
        let budgets = read_account(&client, account, &scope, args.parallelism)
            .await
            .map_err(|e| explain(&e))?;
        live.extend(budgets);
    }
    if let Some(server) = server {
        server.shutdown().await.map_err(|e| e.to_string())?;
    }
    let today = chrono::Utc::now().date_naive();
    let mut plan = diff(&config, &live, &accounts, today);
    for file in &loaded.files {
        let digest = Sha256::digest(file.text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        plan.inputs.insert(file.path.display().to_string(), hex);
    }
    Ok(plan)
}

/// The configuration narrowed to `--account` and `--target`.
fn scoped(config: &Config, args: &PlanArgs) -> Result<Config, String> {
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

/// A read error with what to do about it.
fn explain(e: &AwsError) -> String {
    match e {
        AwsError::AccessDenied { .. } => format!(
            "{e}\n  hint: plan needs budgets:ViewBudget (and budgets:ListTagsForResource where files manage tags) in that account"
        ),
        AwsError::Throttled { .. } => {
            format!("{e}\n  hint: lower --parallelism, or run again later")
        }
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
