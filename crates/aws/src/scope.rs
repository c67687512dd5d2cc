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
    /// Read the names of actions PENDING or executed only, not of those in
    /// STANDBY: `status` shows no other, and reads no name it does not
    /// show (plan and import read every action's name).
    pub only_active_action_names: bool,
    /// Read the subscribers of every budget's notifications (lint, where a
    /// rule needs them), declared or not.
    pub all_subscribers: bool,
    /// Read the tags of every budget (lint, for `require.tags`).
    pub all_tags: bool,
    /// Read this many past periods of each budget's history, as of a day
    /// (`budgetctl status --history N`): one paged
    /// DescribeBudgetPerformanceHistory per budget.
    pub history: Option<HistoryOf>,
}

/// How much history to read, and as of which day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryOf {
    pub periods: u32,
    pub today: chrono::NaiveDate,
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
            only_active_action_names: false,
            all_subscribers: false,
            all_tags: false,
            history: None,
        }
    }
}
