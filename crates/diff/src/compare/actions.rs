//! Budget actions matched to live ones (reconciler rule 16): by their
//! `budgetctl:action` tag, then by content (the same type and definition),
//! so that an action made by hand or under another name is adopted and
//! tagged, never recreated. What UpdateBudgetAction can change is changed
//! in place, all in one call; a changed type is a delete and a create. An
//! action AWS is working on, or one whose effect is in place, is never
//! deleted.

use super::*;
use crate::plan::{ActionChange, ActionField, ActionFieldDiff};
use budgetctl_model::live::LiveAction;
use budgetctl_model::{ActionStatus, BudgetAction};

/// A budget's action changes, and what the plan must say about them.
#[derive(Debug, Default)]
pub(super) struct ActionPlan {
    pub changes: Vec<ActionChange>,
    pub warnings: Vec<(WarningKind, String)>,
    /// Changes AWS would refuse, or that would leave an effect behind: the
    /// budget's change is not made.
    pub errors: Vec<String>,
}

/// `desired` is `None` when the file does not manage the budget's actions:
/// nothing changes then.
pub(super) fn action_changes(
    budget: &BudgetRef,
    desired: Option<&[BudgetAction]>,
    live: &[LiveAction],
    unit: Option<&str>,
) -> ActionPlan {
    let mut plan = ActionPlan::default();
    let Some(desired) = desired else {
        return plan;
    };
    let mut unmatched: Vec<&LiveAction> = live.iter().collect();
    let mut pairs: Vec<(&BudgetAction, Option<&LiveAction>)> = Vec::with_capacity(desired.len());
    // By name first, so that content never steals an action its tag names.
    for want in desired {
        let found = unmatched
            .iter()
            .position(|l| l.name.as_deref() == Some(want.name.as_str()));
        pairs.push((want, found.map(|i| unmatched.remove(i))));
    }
    // Then by content: untagged, or tagged with a name no longer declared.
    for (want, have) in &mut pairs {
        if have.is_some() {
            continue;
        }
        let same = want.definition.normalized();
        if let Some(i) = unmatched
            .iter()
            .position(|l| l.action.definition.normalized() == same)
        {
            *have = Some(unmatched.remove(i));
        }
    }
    for (want, have) in pairs {
        let Some(have) = have else {
            plan.changes.push(ActionChange::Create {
                action: want.clone(),
            });
            continue;
        };
        if have.action.action_type() != want.action_type() {
            plan.refuse_if_locked(have, "replace");
            plan.refuse_if_executed(budget, have, "replacing it");
            plan.warnings.push((
                WarningKind::ActionReplaced,
                format!(
                    "action `{}` changes type ({} → {}), which AWS cannot change in place: it is deleted and created again, with a new id and its history lost",
                    want.name,
                    have.action.action_type(),
                    want.action_type()
                ),
            ));
            plan.changes.push(ActionChange::Replace {
                id: have.id.clone(),
                status: have.status,
                from: named(have),
                to: want.clone(),
            });
            continue;
        }
        let fields = action_fields(want, &have.action, unit);
        let tag = have.name.as_deref() != Some(want.name.as_str());
        if fields.is_empty() && !tag {
            continue;
        }
        if !fields.is_empty() {
            plan.refuse_if_locked(have, "update");
            plan.status_warning(budget, want, have);
        }
        plan.changes.push(ActionChange::Update {
            id: have.id.clone(),
            status: have.status,
            fields,
            tag,
            action: want.clone(),
        });
    }
    for gone in unmatched {
        plan.refuse_if_locked(gone, "delete");
        plan.refuse_if_executed(budget, gone, "deleting it");
        plan.changes.push(ActionChange::Delete {
            id: gone.id.clone(),
            status: gone.status,
            action: named(gone),
        });
    }
    plan
}

/// The actions a budget's deletion takes with it, refused when one of them
/// is in progress or has its effect in place.
pub(super) fn actions_deleted_with(budget: &BudgetRef, live: &[LiveAction]) -> ActionPlan {
    let mut plan = ActionPlan::default();
    for gone in live {
        plan.refuse_if_locked(gone, "delete the budget of");
        plan.refuse_if_executed(budget, gone, "deleting its budget");
        plan.changes.push(ActionChange::Delete {
            id: gone.id.clone(),
            status: gone.status,
            action: named(gone),
        });
    }
    plan
}

impl ActionPlan {
    fn refuse_if_locked(&mut self, a: &LiveAction, what: &str) {
        if a.status.in_progress() {
            self.errors.push(format!(
                "action `{}` is {}: AWS refuses to {what} it until that finishes; run plan again once `budgetctl action list` shows it settled",
                a.label(),
                a.status.aws_name()
            ));
        }
    }

    fn refuse_if_executed(&mut self, budget: &BudgetRef, a: &LiveAction, doing: &str) {
        if a.status.is_executed() {
            self.errors.push(format!(
                "action `{}` has run (EXECUTION_SUCCESS): {doing} would leave its effect in place ({}). Reverse it first: `budgetctl action reverse {}`, then plan again",
                a.label(),
                a.action.definition.describe(),
                command(budget, a.label())
            ));
        }
    }

    fn status_warning(&mut self, budget: &BudgetRef, want: &BudgetAction, have: &LiveAction) {
        let message = match have.status {
            ActionStatus::Pending => format!(
                "action `{}` is PENDING, waiting for approval: the update changes what an approval runs (`budgetctl action approve {}`)",
                want.name,
                command(budget, &want.name)
            ),
            ActionStatus::ExecutionSuccess => format!(
                "action `{}` has run (EXECUTION_SUCCESS): the update does not undo what it did ({}); to undo it, `budgetctl action reverse {}`",
                want.name,
                have.action.definition.describe(),
                command(budget, &want.name)
            ),
            _ => return,
        };
        self.warnings.push((WarningKind::ActionNotStandby, message));
    }
}

/// What `budgetctl action` takes to name an action: `BUDGET/ACTION`, and
/// the account, so that the command works wherever the budget is declared.
fn command(budget: &BudgetRef, action: &str) -> String {
    format!("{}/{action} --account {}", budget.name, budget.account)
}

/// The live action under the name the plan shows.
fn named(l: &LiveAction) -> BudgetAction {
    let mut a = l.action.clone();
    a.name = l.label().to_owned();
    a
}

/// What differs between two descriptions of one action, field by field:
/// what UpdateBudgetAction would change to make `have` into `want`, and
/// what `budgetctl action` and `respond` compare before they execute (the
/// action as shown or declared against the action as it is now).
pub fn action_fields(
    want: &BudgetAction,
    have: &BudgetAction,
    unit: Option<&str>,
) -> Vec<ActionFieldDiff> {
    let mut out = Vec::new();
    let mut push = |field, before: String, after: String| {
        out.push(ActionFieldDiff {
            field,
            before,
            after,
        })
    };
    if (want.notification_type, want.threshold, want.threshold_type)
        != (have.notification_type, have.threshold, have.threshold_type)
    {
        push(ActionField::When, have.when(unit), want.when(unit));
    }
    if want.definition.normalized() != have.definition.normalized() {
        push(
            ActionField::Definition,
            have.definition.describe(),
            want.definition.describe(),
        );
    }
    if want.approval != have.approval {
        push(
            ActionField::Approval,
            have.approval.to_string(),
            want.approval.to_string(),
        );
    }
    if want.execution_role != have.execution_role {
        push(
            ActionField::ExecutionRole,
            have.execution_role.clone(),
            want.execution_role.clone(),
        );
    }
    let want_set: BTreeSet<&Subscriber> = want.subscribers.iter().collect();
    let have_set: BTreeSet<&Subscriber> = have.subscribers.iter().collect();
    if want_set != have_set {
        let list = |s: &[Subscriber]| {
            s.iter()
                .map(Subscriber::address)
                .collect::<Vec<_>>()
                .join(", ")
        };
        push(
            ActionField::Subscribers,
            list(&have.subscribers),
            list(&want.subscribers),
        );
    }
    out
}
