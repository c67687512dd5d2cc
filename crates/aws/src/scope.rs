//! What to read in an account, decided in one place for both readers: a
//! plan reads what the files declare ([`ReadScope::for_config`]), and the
//! staleness check reads again exactly what that plan read of the budgets it
//! changes ([`ReadScope::for_plan`]), so that the fingerprints compare.

use std::collections::{BTreeMap, BTreeSet};

use budgetctl_diff::{ChangeKind, Plan};
use budgetctl_spec::{AccountId, Config};

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

    /// What the staleness check reads again, per account: only the budgets
    /// `plan` changes, each as plan read it (subscribers and tags of the
    /// declared budgets it updates; a create or a delete was read without).
    pub fn for_plan(plan: &Plan) -> BTreeMap<AccountId, ReadScope> {
        let mut scopes: BTreeMap<AccountId, ReadScope> = BTreeMap::new();
        for c in &plan.changes {
            let scope = scopes.entry(c.budget.account.clone()).or_default();
            scope
                .only
                .get_or_insert_with(BTreeSet::new)
                .insert(c.budget.name.clone());
            if c.action == ChangeKind::Update {
                scope.managed.insert(c.budget.name.clone());
                if c.desired.as_ref().is_some_and(|d| d.tags.is_some()) {
                    scope.tagged.insert(c.budget.name.clone());
                }
            }
        }
        scopes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use budgetctl_diff::{Live, LiveBudget, diff};
    use budgetctl_spec::{SourceFile, load_sources};

    const ACCOUNT: &str = "111122223333";

    /// Whether `a` reads `name`'s subscribers and tags the way `b` does.
    fn reads_alike(a: &ReadScope, b: &ReadScope, name: &str) -> bool {
        a.managed.contains(name) == b.managed.contains(name)
            && a.tagged.contains(name) == b.tagged.contains(name)
    }

    /// For every budget a plan changes, the staleness check reads it as the
    /// plan did: the same subscribers, the same tags.
    #[test]
    fn the_staleness_check_reads_what_plan_read() {
        let yaml = format!(
            "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n\
             - {{name: tagged, limit: 100, tags: {{team: a}}}}\n\
             - {{name: plain, limit: 100, notifications: [{{on: actual > 80%, to: [a@example.com]}}]}}\n\
             - {{name: new, limit: 100}}\n"
        );
        let loaded = load_sources(vec![SourceFile {
            path: "budgets.yaml".into(),
            text: yaml,
        }]);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let config = &loaded.config;
        let account = AccountId::parse(ACCOUNT).unwrap();
        // Live: `tagged` and `plain` exist with another limit, `gone` is undeclared.
        let live_budget = |name: &str| {
            let mut budget = config
                .budgets
                .iter()
                .find(|b| b.budget.name == "plain")
                .unwrap()
                .budget
                .clone();
            budget.name = name.to_owned();
            budget.notifications.clear();
            budget.limit = budgetctl_spec::BudgetLimit::Fixed(budgetctl_spec::Spend {
                amount: 5.into(),
                unit: "USD".into(),
            });
            LiveBudget {
                account: account.clone(),
                budget,
                last_updated: None,
                spend: None,
                actions: Vec::new(),
            }
        };
        let live = Live {
            budgets: ["tagged", "plain", "gone"].map(live_budget).into(),
            unreadable: Vec::new(),
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let plan = diff(config, &live, std::slice::from_ref(&account), today);
        assert_eq!(plan.changes.len(), 3, "{:?}", plan.changes);

        let planned = ReadScope::for_config(config, &account, &[]);
        let again = ReadScope::for_plan(&plan);
        let again = &again[&account];
        for c in &plan.changes {
            let name = c.budget.name.as_str();
            assert!(
                again.only.as_ref().unwrap().contains(name),
                "{name} is read again"
            );
            match c.action {
                // Created: nothing was read of it; deleted: undeclared, read bare.
                ChangeKind::Create | ChangeKind::Delete => {
                    assert!(!again.managed.contains(name) && !again.tagged.contains(name));
                    assert!(!planned.managed.contains(name) || c.action == ChangeKind::Create);
                }
                ChangeKind::Update => assert!(reads_alike(again, &planned, name), "{name}"),
            }
        }
        assert!(again.tagged.contains("tagged") && again.managed.contains("plain"));
    }
}
