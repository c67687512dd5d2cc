//! What to read in an account: a plan reads what the files declare
//! ([`ReadScope::for_config`]); the engine's staleness check reads again
//! exactly what that plan read of the budgets it changes, in the same
//! terms, so that the fingerprints compare.

use std::collections::BTreeSet;

use budgetctl_model::{AccountId, Config};

/// What to read in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadScope {
    /// Budgets whose notifications' subscribers are read (the declared ones).
    pub managed: BTreeSet<String>,
    /// Budgets whose tags are read (those whose files declare `tags`).
    pub tagged: BTreeSet<String>,

    /// When set, only these budgets are returned (`--target`).
    pub only: Option<BTreeSet<String>>,
    /// Read subscribers and tags of every budget, declared or not (import).
    pub everything: bool,
}

impl ReadScope {
    /// What plan reads in `account`: subscribers of the budgets declared
    /// there, tags of those whose files declare `tags`, and only `targets`
    /// when any are given.
    pub fn for_config(config: &Config, account: &AccountId, targets: &[String]) -> ReadScope {
        let declared = config.budgets.iter().filter(|b| &b.account == account);
        ReadScope {
            managed: declared.clone().map(|b| b.budget.name.clone()).collect(),
            tagged: declared
                .filter(|b| b.budget.tags.is_some())
                .map(|b| b.budget.name.clone())
                .collect(),
            only: (!targets.is_empty()).then(|| targets.iter().cloned().collect()),
            everything: false,
        }
    }
}
