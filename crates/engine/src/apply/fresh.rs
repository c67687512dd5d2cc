//! The staleness check (ARCHITECTURE.md, reconciler rule 10): before a saved or confirmed plan
//! is carried out, the budgets it touches are read again, the same way plan
//! read them, and their fingerprints compared with those the plan recorded.
//! Any difference means the plan no longer describes the world: apply
//! nothing and say which budgets moved.

use std::collections::{BTreeMap, HashMap};

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
    let scopes = ReadScope::for_plan(plan);
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
            c.action,
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
