//! `plan`: the files' budgets, narrowed to the run's scope, diffed against
//! live state read through the AWS layer. The cli wires flags to [`plan`]
//! and renders what it returns; it computes nothing.

use std::borrow::Cow;

use budgetctl_aws::{Clients, ReadError, ReadScope, read_accounts};
use budgetctl_diff::{Plan, PlanScope, diff};
use budgetctl_spec::{AccountId, Config, Loaded};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("--target {0}: no budget of that name in the files")]
    Target(String),
    /// The files have errors: a load with any yields no budgets, and a plan
    /// of it would prune every undeclared budget. Nothing is read.
    #[error(
        "the budget files have {errors} error(s): fix them (budgetctl validate shows each) before a plan is made"
    )]
    Invalid { errors: usize },
    /// Live state could not be read; `role` is the account's role, when
    /// the files give it one.
    #[error("{error}")]
    Read {
        error: ReadError,
        role: Option<String>,
    },
}

/// How a plan is made.
pub struct PlanOptions<'a> {
    /// Requests in flight per account (subscribers and tags).
    pub parallelism: usize,
    /// The plan's day: which planned periods are current (diff reads no clock).
    pub today: NaiveDate,
    /// Told of each account, with its role, before it is read.
    pub reading: &'a (dyn Fn(&AccountId, Option<&str>) + Sync),
}

impl PlanOptions<'_> {
    /// Defaults for a run today, telling nothing.
    pub fn today(parallelism: usize) -> PlanOptions<'static> {
        PlanOptions {
            parallelism,
            today: chrono::Utc::now().date_naive(),
            reading: &|_, _| {},
        }
    }
}

/// Read every account in `scope` and diff it against the files of `loaded`.
/// The plan records the scope and the digest of every input file.
pub async fn plan(
    loaded: &Loaded,
    clients: &Clients,
    scope: &PlanScope,
    options: &PlanOptions<'_>,
) -> Result<Plan, PlanError> {
    // Safety does not depend on the caller: a load with errors has no
    // budgets, and its accounts' `prune: true` would delete them all.
    if loaded.has_errors() {
        return Err(PlanError::Invalid {
            errors: loaded.errors().count(),
        });
    }
    let config = scoped(&loaded.config, scope)?;
    let accounts = accounts(&config, scope);
    let scopes: Vec<(&AccountId, ReadScope)> = accounts
        .iter()
        .map(|a| (a, ReadScope::for_config(&config, a, &scope.targets)))
        .collect();
    let role = |account: &AccountId| config.accounts.get(account).and_then(|s| s.role.clone());
    let live = read_accounts(
        clients,
        scopes.iter().map(|(a, s)| (*a, s)),
        options.parallelism,
        &|account| (options.reading)(account, role(account).as_deref()),
    )
    .await
    .map_err(|error| PlanError::Read {
        role: match &error {
            ReadError::Aws(e) => role(&e.account),
            ReadError::Convert(_) => None,
        },
        error,
    })?;
    let mut plan = diff(&config, &live, &accounts, options.today);
    plan.scope = scope.clone();
    for file in &loaded.files {
        plan.inputs
            .insert(file.path.display().to_string(), file_digest(&file.text));
    }
    Ok(plan)
}

/// The accounts a run reads: those `--account` names, or every account the
/// files name; of those, the ones in `--shard`.
pub(crate) fn accounts(config: &Config, scope: &PlanScope) -> Vec<AccountId> {
    let accounts: Vec<AccountId> = if scope.accounts.is_empty() {
        config.accounts().into_iter().collect()
    } else {
        scope.accounts.clone()
    };
    match scope.shard {
        Some(shard) => accounts.into_iter().filter(|a| shard.contains(a)).collect(),
        None => accounts,
    }
}

/// The configuration narrowed to `--account` and `--target` (borrowed as it
/// is when neither is given: no copy of every budget on each plan).
fn scoped<'c>(config: &'c Config, scope: &PlanScope) -> Result<Cow<'c, Config>, PlanError> {
    if scope.is_empty() {
        return Ok(Cow::Borrowed(config));
    }
    let mut config = config.clone();
    if !scope.accounts.is_empty() {
        config
            .budgets
            .retain(|b| scope.accounts.contains(&b.account));
    }

    if !scope.targets.is_empty() {
        for t in &scope.targets {
            if !config.budgets.iter().any(|b| &b.budget.name == t) {
                return Err(PlanError::Target(t.clone()));
            }
        }
        config
            .budgets
            .retain(|b| scope.targets.contains(&b.budget.name));
    }
    // After `--target`'s check: a name may be in other shards only.
    if let Some(shard) = scope.shard {
        config.budgets.retain(|b| shard.contains(&b.account));
    }
    Ok(Cow::Owned(config))
}

/// The SHA-256 of a budget file's text, as a saved plan records it.
pub fn file_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
