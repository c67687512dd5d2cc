//! The staleness check (ARCHITECTURE.md, reconciler rule 10): before a saved or confirmed plan
//! is carried out, the budgets it touches are read again, the same way plan
//! read them, and their fingerprints compared with those the plan recorded.
//! Any difference means the plan no longer describes the world: apply
//! nothing and say which budgets moved.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use budgetctl_aws::{Clients, ReadError, ReadScope, read_accounts};
use budgetctl_diff::document::SavedPlan;
use budgetctl_diff::{BudgetRef, ChangeKind, Fingerprint, Plan, WarningKind, fingerprint};
use budgetctl_spec::AccountId;

/// A budget that is no longer as the plan saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleBudget {
    /// `ACCOUNT/NAME`.
    pub address: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StaleError {
    #[error(
        "the plan is stale: {} changed since it was made; nothing was applied. Run plan again.",
        list(.0)
    )]
    Changed(Vec<StaleBudget>),
    #[error(transparent)]
    Read(#[from] ReadError),
}

fn list(stale: &[StaleBudget]) -> String {
    stale
        .iter()
        .map(|s| format!("{} ({})", s.address, s.reason))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Read every budget `plan` changes again and compare it with the plan's
/// fingerprints. Costs what plan's read of those budgets cost.
pub async fn check_fresh(
    clients: &Clients,
    plan: &Plan,
    parallelism: usize,
) -> Result<(), StaleError> {
    let scopes = read_again(plan);
    let live = read_accounts(clients, &scopes, parallelism, &|_| {}).await?;
    let unreadable: HashMap<(&AccountId, &str), _> = live
        .unreadable
        .iter()
        .map(|u| ((&u.account, u.name.as_str()), u))
        .collect();
    let live: HashMap<(&AccountId, &str), _> = live
        .budgets
        .iter()
        .map(|l| ((&l.account, l.budget.name.as_str()), l))
        .collect();
    let mut stale = Vec::new();
    for c in &plan.changes {
        let key = (&c.budget.account, c.budget.name.as_str());
        let now = live.get(&key).map(|l| fingerprint(l));
        let unreadable = unreadable
            .get(&key)
            .map(|u| format!("{}, which this budgetctl cannot read", u.reason));
        stale.extend(stale_budget(
            &plan.fingerprints,
            c.kind,
            &c.budget,
            now.as_ref(),
            unreadable,
        ));
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(StaleError::Changed(stale))
    }
}

/// The same check against a plan derived again from the files (`now`): the
/// budgets a saved plan (`then`) changes, compared by the fingerprints each
/// plan recorded. No read of its own: `now` read every budget in scope.
pub fn stale_against(then: &SavedPlan, now: &Plan) -> Result<(), StaleError> {
    let stale: Vec<StaleBudget> = then
        .changes
        .iter()
        .filter_map(|(action, budget)| {
            let unreadable = now
                .warnings
                .iter()
                .any(|w| w.kind == WarningKind::Unreadable && &w.budget == budget)
                .then(|| "this budgetctl cannot read it".to_owned());
            stale_budget(
                &then.fingerprints,
                *action,
                budget,
                now.fingerprints.get(&budget.address()),
                unreadable,
            )
        })
        .collect();
    if stale.is_empty() {
        Ok(())
    } else {
        Err(StaleError::Changed(stale))
    }
}

/// Whether `budget`, which a plan changes by `action`, moved since the plan
/// read it (`then`: the plan's fingerprints): `now` is its fingerprint as
/// read again (`None`: not there), `unreadable` why it can no longer be
/// read, where it cannot.
fn stale_budget(
    then: &BTreeMap<String, Fingerprint>,
    action: ChangeKind,
    budget: &BudgetRef,
    now: Option<&Fingerprint>,
    unreadable: Option<String>,
) -> Option<StaleBudget> {
    let address = budget.address();
    let reason = match (action, now) {
        (_, None) if unreadable.is_some() => {
            unreadable.map(|why| format!("it can no longer be read: {why}"))
        }
        (ChangeKind::Create, None) => None,
        (ChangeKind::Create, Some(_)) => Some("created since the plan".to_owned()),
        (_, None) => Some("deleted since the plan".to_owned()),
        (_, Some(now)) => match then.get(&address) {
            None => Some("the plan has no fingerprint of it".to_owned()),
            Some(then) if then.last_updated != now.last_updated => Some(format!(
                "updated at {} after the plan read it",
                now.last_updated.as_deref().unwrap_or("an unknown time")
            )),
            Some(then) if then.hash != now.hash => {
                Some("its limit, notifications, subscribers or tags changed".to_owned())
            }
            Some(_) => None,
        },
    };
    reason.map(|reason| StaleBudget { address, reason })
}

/// What the staleness check reads again, per account: only the budgets
/// `plan` changes, each as plan read it (subscribers and tags of the
/// declared budgets it updates; a create or a delete was read without).
fn read_again(plan: &Plan) -> BTreeMap<AccountId, ReadScope> {
    let mut scopes: BTreeMap<AccountId, ReadScope> = BTreeMap::new();
    for c in &plan.changes {
        let scope = scopes.entry(c.budget.account.clone()).or_default();
        scope
            .only
            .get_or_insert_with(BTreeSet::new)
            .insert(c.budget.name.clone());
        if c.kind == ChangeKind::Update {
            scope.managed.insert(c.budget.name.clone());
            if c.desired.as_ref().is_some_and(|d| d.tags.is_some()) {
                scope.tagged.insert(c.budget.name.clone());
            }
        }
    }
    scopes
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
                limit_now: None,
                alarms: Vec::new(),
                health: None,
                history: Vec::new(),
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
        let again = read_again(&plan);
        let again = &again[&account];
        for c in &plan.changes {
            let name = c.budget.name.as_str();
            assert!(
                again.only.as_ref().unwrap().contains(name),
                "{name} is read again"
            );
            match c.kind {
                // Created: nothing was read of it; deleted: undeclared, read bare.
                ChangeKind::Create | ChangeKind::Delete => {
                    assert!(!again.managed.contains(name) && !again.tagged.contains(name));
                    assert!(!planned.managed.contains(name) || c.kind == ChangeKind::Create);
                }
                ChangeKind::Update => assert!(reads_alike(again, &planned, name), "{name}"),
            }
        }
        assert!(again.tagged.contains("tagged") && again.managed.contains("plain"));
    }
}
