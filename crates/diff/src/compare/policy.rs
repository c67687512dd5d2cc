//! The policy rules a plan's changes come to break or stop breaking: each
//! changed budget as declared against it as read, and the accounts the
//! changes touch as they will be against as they are. A change that would
//! break an error-level rule is also an error of the plan (validate
//! refuses such files first; a plan never applies one).

use budgetctl_model::policy::{
    Checked, Level, Violation, check_accounts, check_budget, without_exceptions,
};

use super::*;
use crate::plan::{PolicyChange, PolicyEffect};

/// What tells two violations apart: the rule, the account and the budget.
fn key(
    v: &Violation,
) -> (
    budgetctl_model::policy::PolicyRule,
    &AccountId,
    Option<&str>,
) {
    (v.rule, &v.account, v.budget.as_deref())
}

pub(super) fn policy_changes(
    plan: &mut Plan,
    desired: &Config,
    live: &Live,
    accounts: &[AccountId],
) {
    let policy = &desired.policy;
    if policy.is_empty() || plan.changes.is_empty() {
        return;
    }
    let live_of: HashMap<(&AccountId, &str), &LiveBudget> = live
        .budgets
        .iter()
        .map(|l| ((&l.account, l.budget.name.as_str()), l))
        .collect();
    let mut before: Vec<Violation> = Vec::new();
    let mut after: Vec<Violation> = Vec::new();
    for c in &plan.changes {
        let account = &c.budget.account;
        if let Some(d) = &c.desired {
            after.extend(check_budget(
                policy,
                &Checked {
                    account,
                    budget: d,
                    subscribers_known: true,
                },
            ));
        }
        if let Some(l) = live_of.get(&(account, c.budget.name.as_str())) {
            before.extend(check_budget(
                policy,
                &Checked {
                    account,
                    budget: &l.budget,
                    // Subscribers and tags are read for declared budgets.
                    subscribers_known: c.kind != ChangeKind::Delete,
                },
            ));
        }
    }
    // The accounts the changes touch, their budgets' periods now and then.
    let touched: BTreeSet<&AccountId> = plan.changes.iter().map(|c| &c.budget.account).collect();
    let touched: Vec<AccountId> = accounts
        .iter()
        .filter(|a| touched.contains(a))
        .cloned()
        .collect();
    let now = |a: &AccountId| -> Vec<TimeUnit> {
        live.budgets
            .iter()
            .filter(|l| &l.account == a)
            .map(|l| l.budget.time_unit)
            .collect()
    };
    let then = |a: &AccountId| -> Vec<TimeUnit> {
        let deleted: BTreeSet<&str> = plan
            .changes
            .iter()
            .filter(|c| &c.budget.account == a && c.kind == ChangeKind::Delete)
            .map(|c| c.budget.name.as_str())
            .collect();
        live.budgets
            .iter()
            .filter(|l| &l.account == a && !deleted.contains(l.budget.name.as_str()))
            .map(|l| l.budget.time_unit)
            .chain(
                plan.changes
                    .iter()
                    .filter(|c| &c.budget.account == a && c.kind == ChangeKind::Create)
                    .filter_map(|c| c.period()),
            )
            .collect()
    };
    before.extend(check_accounts(policy, &touched, &now));
    after.extend(check_accounts(policy, &touched, &then));
    let before = without_exceptions(policy, before);
    let after = without_exceptions(policy, after);
    let keys_before: BTreeSet<_> = before.iter().map(key).collect();
    let keys_after: BTreeSet<_> = after.iter().map(key).collect();
    let mut changes = Vec::new();
    for (v, effect, other) in after
        .iter()
        .map(|v| (v, PolicyEffect::Introduced, &keys_before))
        .chain(before.iter().map(|v| (v, PolicyEffect::Fixed, &keys_after)))
    {
        if other.contains(&key(v)) {
            continue;
        }
        changes.push(PolicyChange {
            account: v.account.clone(),
            budget: v.budget.clone(),
            rule: v.rule,
            level: v.level,
            change: effect,
            message: v.message.clone(),
        });
    }
    for c in &changes {
        if c.change == PolicyEffect::Introduced && c.level == Level::Error {
            plan.errors.push(BlockedChange {
                budget: BudgetRef {
                    account: c.account.clone(),
                    name: c.budget.clone().unwrap_or_default(),
                },
                message: format!("the change breaks policy rule `{}`: {}", c.rule, c.message),
            });
        }
    }
    plan.policy = changes;
}
