//! `accounts`: the accounts the files resolve to (named, listed in groups,
//! or read from AWS Organizations), each with its groups, role and number
//! of budgets, and with a shard count the shard of each, for a CI matrix
//! that fans plan and apply out.

use std::collections::{BTreeMap, BTreeSet};

use budgetctl_diff::Shard;
use budgetctl_spec::{AccountId, Config};

/// One account the files name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: AccountId,
    /// The groups it is in, by name.
    pub groups: Vec<String>,
    pub role: Option<String>,
    /// Budgets declared in it.
    pub budgets: usize,
    /// Its shard of `shards`, when asked.
    pub shard: Option<Shard>,
}

/// Every account `config` names (with settings, budgets, or in a group),
/// in order; with `shards`, the shard of each.
pub fn accounts(config: &Config, shards: Option<u32>) -> Vec<AccountRow> {
    let mut groups: BTreeMap<&AccountId, Vec<String>> = BTreeMap::new();
    for (name, group) in &config.groups {
        for a in &group.accounts {
            groups.entry(a).or_default().push(name.clone());
        }
    }
    let mut budgets: BTreeMap<&AccountId, usize> = BTreeMap::new();
    for b in &config.budgets {
        *budgets.entry(&b.account).or_default() += 1;
    }
    // A group's account is named even when nothing is declared in it.
    let mut all: BTreeSet<AccountId> = config.accounts();
    all.extend(groups.keys().map(|a| (*a).clone()));
    let roles = config.roles();
    all.into_iter()
        .map(|id| AccountRow {
            groups: groups.get(&id).cloned().unwrap_or_default(),
            role: roles.get(&id).cloned(),
            budgets: budgets.get(&id).copied().unwrap_or(0),
            shard: shards.and_then(|count| shard_of(&id, count)),
            id,
        })
        .collect()
}

/// The shard of `count` that `account` is in.
fn shard_of(account: &AccountId, count: u32) -> Option<Shard> {
    (1..=count)
        .map(|index| Shard { index, count })
        .find(|s| s.contains(account))
}

/// The shards of `count`, in order.
pub fn shards(count: u32) -> Vec<Shard> {
    (1..=count).map(|index| Shard { index, count }).collect()
}
