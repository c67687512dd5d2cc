//! Desired against live, field by field, after normalising both sides so that
//! nothing AWS computes, defaults or re-renders ever shows as a change.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use budgetctl_model::amount::{canonical as canonical_amount, to_aws_string};
use budgetctl_model::planned::{WindowGap, first_planned_period_from, windowed};
use budgetctl_model::{
    AccountId, AutoAdjust, Budget, BudgetLimit, Config, CostTypes, NotificationKey, Spend,
    Subscriber, TimeUnit,
};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use xxhash_rust::xxh3::Xxh3;

use crate::plan::{
    ActionChange, BlockedChange, BudgetRef, Change, ChangeKind, Field, FieldDiff, Fingerprint,
    NotificationChange, Plan, PlanScope, PlanTarget, SubscriberSwap, Summary, TagChange, Warning,
    WarningKind,
};
use budgetctl_model::live::{Live, LiveBudget, Unreadable};
use budgetctl_model::planned::format_period;
use budgetctl_spec::expression_to_yaml;

mod actions;
mod fields;
mod fingerprint;
mod money;
mod notifications;
mod policy;
mod tags;
mod warnings;

pub use actions::action_fields;
use actions::*;
use fields::*;
pub use fingerprint::fingerprint;
pub(crate) use money::in_force;
pub use money::percent_of;
use notifications::*;
use tags::*;
use warnings::*;

/// Compare the configuration with live state. `accounts` are the accounts
/// read (unmanaged and pruned budgets are looked for there); `today` decides
/// which planned period is current.
pub fn diff(desired: &Config, live: &Live, accounts: &[AccountId], today: NaiveDate) -> Plan {
    let mut plan = Plan {
        summary: Summary::default(),
        changes: Vec::new(),
        unmanaged: Vec::new(),
        ignored: Vec::new(),
        warnings: Vec::new(),
        errors: Vec::new(),
        policy: Vec::new(),
        fingerprints: BTreeMap::new(),
        inputs: BTreeMap::new(),
        scope: PlanScope::default(),
        target: PlanTarget::default(),
        roles: accounts
            .iter()
            .filter_map(|a| {
                let role = desired.accounts.get(a)?.role.clone()?;
                Some((a.clone(), role))
            })
            .collect(),
    };
    for l in &live.budgets {
        let address = format!("{}/{}", l.account, l.budget.name);
        plan.fingerprints.insert(address, fingerprint(l));
    }
    let index = Index::new(desired, live);
    let mut declared: HashSet<(&AccountId, &str)> = HashSet::with_capacity(desired.budgets.len());
    for d in &desired.budgets {
        declared.insert((&d.account, d.budget.name.as_str()));
        compare_declared(&mut plan, &index, d, today);
    }
    undeclared(&mut plan, &index, desired, live, accounts, &declared, today);
    plan.changes
        .sort_by(|a, b| (&a.budget, a.kind).cmp(&(&b.budget, b.kind)));
    policy::policy_changes(&mut plan, desired, live, accounts);
    plan.unmanaged.sort();
    plan.ignored.sort();
    plan.summary = Summary::of(&plan.changes, plan.summary.unchanged);
    plan
}

/// Live state by budget, and each account's ignore globs, looked up once
/// per declared budget.
struct Index<'l> {
    live: HashMap<(&'l AccountId, &'l str), &'l LiveBudget>,
    unreadable: HashMap<(&'l AccountId, &'l str), &'l Unreadable>,
    ignore: HashMap<&'l AccountId, globset::GlobSet>,
}

impl<'l> Index<'l> {
    fn new(desired: &'l Config, live: &'l Live) -> Self {
        Index {
            live: live
                .budgets
                .iter()
                .map(|l| ((&l.account, l.budget.name.as_str()), l))
                .collect(),
            unreadable: live
                .unreadable
                .iter()
                .map(|u| ((&u.account, u.name.as_str()), u))
                .collect(),
            ignore: desired
                .accounts
                .iter()
                .filter(|(_, s)| !s.ignore.is_empty())
                .map(|(a, s)| {
                    let mut set = globset::GlobSetBuilder::new();
                    for g in &s.ignore {
                        // The spec crate validated every glob; one that no
                        // longer compiles matches nothing rather than everything.
                        if let Ok(glob) = globset::Glob::new(g) {
                            set.add(glob);
                        }
                    }
                    (a, set.build().unwrap_or_else(|_| globset::GlobSet::empty()))
                })
                .collect(),
        }
    }

    /// Whether the account's ignore globs match `name`.
    fn ignored(&self, account: &AccountId, name: &str) -> bool {
        self.ignore
            .get(account)
            .is_some_and(|set| set.is_match(name))
    }
}

/// One declared budget against what is live: a create, an update, nothing,
/// or why it cannot be made, with its warnings.
fn compare_declared(
    plan: &mut Plan,
    index: &Index<'_>,
    d: &budgetctl_model::DesiredBudget,
    today: NaiveDate,
) {
    let r = || BudgetRef {
        account: d.account.clone(),
        name: d.budget.name.clone(),
    };
    if index.ignored(&d.account, &d.budget.name) {
        plan.warnings.push(Warning {
            budget: r(),
            kind: WarningKind::Ignored,
            message: "declared in a file but matched by the account's ignore globs: left untouched"
                .into(),
        });
        plan.ignored.push(r());
        return;
    }
    if let Some(u) = index.unreadable.get(&(&d.account, d.budget.name.as_str())) {
        plan.warnings.push(unreadable_warning(r(), u));
        return;
    }
    let current = index
        .live
        .get(&(&d.account, d.budget.name.as_str()))
        .copied();
    // What AWS takes today: planned limits from the current period on
    // (ARCHITECTURE.md, reconciler rule 15); past periods on either side
    // are history.
    let current = current.map(|l| without_past_periods(l, &d.budget, today));
    let current = current.as_deref();
    // Borrowed unless planned limits are narrowed: this runs for every
    // declared budget of every plan.
    let Some(desired) = desired_today(plan, &r, &d.budget, current, today) else {
        return;
    };
    let desired = desired.as_ref();
    response_warnings(&mut plan.warnings, &r, &d.budget, current, today);
    let origin = d.template.as_ref().map(|t| {
        if *t == d.origin {
            format!("from template {t}")
        } else {
            format!("from {}, replacing template {t} for this account", d.origin)
        }
    });
    let changes_before = plan.changes.len();
    match current {
        None => plan.changes.push(create(r(), desired)),
        // AWS cannot change a budget's type in place: decided here, so
        // that no plan ever shows it as an update that apply refuses.
        Some(l) if l.budget.budget_type != desired.budget_type => {
            plan.errors.push(BlockedChange {
                budget: r(),
                message: format!(
                    "type cannot change in place ({} → {}): declare the budget under a new name (the old one is deleted only with prune: true)",
                    l.budget.budget_type, desired.budget_type
                ),
            });
        }
        Some(l) => {
            let actions = action_changes(
                &r(),
                desired.actions.as_deref(),
                &l.actions,
                desired.limit_unit(),
            );
            if !note_actions(plan, &r, &actions) {
                return;
            }
            match update(&r, desired, l, actions.changes) {
                // Planned limits the file cannot give and the live budget no
                // longer has: an UpdateBudget would have none to send.
                Some(change)
                    if !change.fields.is_empty()
                        && matches!(&desired.limit, BudgetLimit::Planned(p) if p.is_empty()) =>
                {
                    plan.errors.push(BlockedChange {
                        budget: r(),
                        message: "the budget's other fields changed, but UpdateBudget needs planned limits from the current period on, which neither the file nor the live budget has: add the current period to `planned`".into(),
                    });
                }
                Some(change) => plan.changes.push(change),
                None => plan.summary.unchanged += 1,
            }
        }
    }
    match plan.changes.get_mut(changes_before) {
        Some(c) => {
            money::assess(c, current, today, None);
            c.origin = origin;
        }
        // Unchanged (or blocked): spend already past the limit is said
        // apart from the changes.
        None => spend_warnings(&mut plan.warnings, &r, desired, current, today),
    }
}

/// The declared budget as AWS takes it today: planned limits from the
/// current period on (ARCHITECTURE.md, reconciler rule 15). Planned limits
/// that give AWS nothing today are an error for a create, and for a live
/// budget a warning (its live planned limits stay as they are).
fn desired_today<'b>(
    plan: &mut Plan,
    r: &dyn Fn() -> BudgetRef,
    budget: &'b Budget,
    current: Option<&LiveBudget>,
    today: NaiveDate,
) -> Option<std::borrow::Cow<'b, Budget>> {
    match windowed(budget, today) {
        Ok(b) => Some(b),
        Err(gap) => match current {
            None => {
                plan.errors.push(BlockedChange {
                    budget: r(),
                    message: gap_message(gap, budget.time_unit, true),
                });
                None
            }
            Some(l) => {
                plan.warnings.push(Warning {
                    budget: r(),
                    kind: match gap {
                        WindowGap::AgedOut { .. } => WarningKind::PlannedAgedOut,
                        WindowGap::NotCurrent { .. } => WarningKind::PlannedNotCurrent,
                    },
                    message: gap_message(gap, budget.time_unit, false),
                });
                // The live planned limits stay as they are.
                let mut b = budget.clone();
                b.limit = l.budget.limit.clone();
                Some(std::borrow::Cow::Owned(b))
            }
        },
    }
}

/// Live budgets no file declares in the accounts read: ignored, deleted
/// under `prune: true`, or listed as unmanaged; unreadable ones warned of.
fn undeclared(
    plan: &mut Plan,
    index: &Index<'_>,
    desired: &Config,
    live: &Live,
    accounts: &[AccountId],
    declared: &HashSet<(&AccountId, &str)>,
    today: NaiveDate,
) {
    for l in &live.budgets {
        if !accounts.contains(&l.account)
            || declared.contains(&(&l.account, l.budget.name.as_str()))
        {
            continue;
        }
        let r = BudgetRef {
            account: l.account.clone(),
            name: l.budget.name.clone(),
        };
        if index.ignored(&l.account, &l.budget.name) {
            plan.ignored.push(r);
        } else if desired.accounts.get(&l.account).is_some_and(|s| s.prune) {
            let actions = actions_deleted_with(&r, &l.actions);
            let r2 = || r.clone();
            if note_actions(plan, &r2, &actions) {
                let mut change = delete(r, &l.budget, actions.changes);
                money::assess(
                    &mut change,
                    Some(l),
                    today,
                    desired.settings_at.get(&l.account),
                );
                plan.changes.push(change);
            }
        } else {
            plan.unmanaged.push(r);
        }
    }

    // Neither pruned nor listed as unmanaged: budgetctl cannot say what they are.
    for u in &live.unreadable {
        if !accounts.contains(&u.account) || declared.contains(&(&u.account, u.name.as_str())) {
            continue;
        }
        let r = BudgetRef {
            account: u.account.clone(),
            name: u.name.clone(),
        };
        if index.ignored(&u.account, &u.name) {
            plan.ignored.push(r);
        } else {
            plan.warnings.push(unreadable_warning(r, u));
        }
    }
}

/// What a file whose planned limits give AWS nothing today means, worded
/// as what happens: a create cannot be made; an existing budget keeps the
/// planned limits it has.
fn gap_message(gap: WindowGap, time_unit: TimeUnit, create: bool) -> String {
    let period = |d| format_period(d, time_unit);
    let problem = match gap {
        WindowGap::AgedOut { last, current } => format!(
            "planned limits end at {}, before the current period {}",
            period(last),
            period(current)
        ),
        WindowGap::NotCurrent { first, current } => format!(
            "planned limits start at {}, after the current period {}",
            period(first),
            period(current)
        ),
    };
    let consequence = match (create, gap) {
        (true, _) => {
            "AWS takes planned limits only from the current period on, so the budget cannot be created"
        }
        (false, WindowGap::AgedOut { .. }) => {
            "nothing is sent for them, and once its planned periods are used AWS keeps using the last one as a fixed limit"
        }
        (false, WindowGap::NotCurrent { .. }) => {
            "AWS takes planned limits only from the current period on, so nothing is sent for them and the live budget keeps the planned limits it has"
        }
    };
    let current = match gap {
        WindowGap::AgedOut { current, .. } | WindowGap::NotCurrent { current, .. } => current,
    };
    format!(
        "{problem}: {consequence}. Add {} to the file, or write a schedule that does not age: `planned: {{every: 1000}}`",
        period(current)
    )
}

/// `live` without the planned periods before the window of `today`: AWS may
/// return them, and they are history.
fn without_past_periods<'l>(
    live: &'l LiveBudget,
    desired: &Budget,
    today: NaiveDate,
) -> std::borrow::Cow<'l, LiveBudget> {
    let BudgetLimit::Planned(periods) = &live.budget.limit else {
        return std::borrow::Cow::Borrowed(live);
    };
    let start = desired.start.or(live.budget.start);
    let first = first_planned_period_from(desired.time_unit, start, today);
    if periods.keys().next().is_none_or(|d| *d >= first) {
        return std::borrow::Cow::Borrowed(live);
    }
    let mut l = live.clone();
    if let BudgetLimit::Planned(p) = &mut l.budget.limit {
        p.retain(|d, _| *d >= first);
    }
    std::borrow::Cow::Owned(l)
}

fn unreadable_warning(budget: BudgetRef, u: &Unreadable) -> Warning {
    Warning {
        budget,
        kind: WarningKind::Unreadable,
        message: format!(
            "{}, which this budgetctl cannot read: the budget is left untouched (never updated or deleted); a newer budgetctl may read it",
            u.reason
        ),
    }
}

fn create(r: BudgetRef, desired: &Budget) -> Change {
    // A create shows every field it sets: the type and period, then whatever
    // differs from a budget with nothing set.
    let mut fields = vec![
        FieldDiff {
            field: Field::Type,
            before: None,
            after: Some(desired.budget_type.to_string()),
        },
        FieldDiff {
            field: Field::Period,
            before: None,
            after: Some(desired.time_unit.to_string()),
        },
    ];
    fields.extend(
        field_diffs(&blank(desired), desired)
            .into_iter()
            .filter(|f| f.after.is_some())
            .map(|f| FieldDiff { before: None, ..f }),
    );
    Change {
        kind: ChangeKind::Create,
        budget: r,
        fields,
        notifications: desired
            .notifications
            .iter()
            .map(|n| NotificationChange::Add {
                notification: n.key.clone(),
                subscribers: n.subscribers.clone(),
            })
            .collect(),
        tags: desired
            .tags
            .iter()
            .flatten()
            .map(|(k, v)| TagChange {
                key: k.clone(),
                before: None,
                after: Some(v.clone()),
            })
            .collect(),
        actions: desired
            .actions
            .iter()
            .flatten()
            .map(|a| ActionChange::Create { action: a.clone() })
            .collect(),
        desired: Some(desired.clone()),
        live: None,
        origin: None,
        limit: None,
        spend: None,
        consequences: Vec::new(),
    }
}

/// Put an action plan's warnings and errors into the plan; `false` when it
/// has errors, and so the budget's change is not made.
fn note_actions(plan: &mut Plan, r: &dyn Fn() -> BudgetRef, actions: &ActionPlan) -> bool {
    for (kind, message) in &actions.warnings {
        plan.warnings.push(Warning {
            budget: r(),
            kind: *kind,
            message: message.clone(),
        });
    }
    for message in &actions.errors {
        plan.errors.push(BlockedChange {
            budget: r(),
            message: message.clone(),
        });
    }
    actions.errors.is_empty()
}

/// A deletion shows what goes: the fields a create would show, as before
/// values, and the actions that go with it. Its alerts are in `live`; apply
/// deletes the budget in one call.
fn delete(r: BudgetRef, live: &Budget, actions: Vec<ActionChange>) -> Change {
    let mut fields = vec![
        FieldDiff {
            field: Field::Type,
            before: Some(live.budget_type.to_string()),
            after: None,
        },
        FieldDiff {
            field: Field::Period,
            before: Some(live.time_unit.to_string()),
            after: None,
        },
    ];
    fields.extend(
        field_diffs(&blank(live), live)
            .into_iter()
            .filter(|f| f.after.is_some())
            .map(|f| FieldDiff {
                field: f.field,
                before: f.after,
                after: None,
            }),
    );
    Change {
        kind: ChangeKind::Delete,
        budget: r,
        fields,
        notifications: Vec::new(),
        tags: Vec::new(),
        actions,
        desired: None,
        live: Some(live.clone()),
        origin: None,
        limit: None,
        spend: None,
        consequences: Vec::new(),
    }
}

/// A budget with nothing set beyond its identity, to show a create against.
fn blank(b: &Budget) -> Budget {
    Budget {
        name: b.name.clone(),
        budget_type: b.budget_type,
        time_unit: b.time_unit,
        limit: BudgetLimit::Fixed(Spend::new(Decimal::ZERO, "")),
        start: None,
        end: None,
        cost_types: b.cost_types.map(|_| CostTypes::default()),
        cost_filters: BTreeMap::new(),
        filter_expression: None,
        metrics: Vec::new(),
        billing_view_arn: None,
        notifications: Vec::new(),
        tags: None,
        actions: None,
        responses: Vec::new(),
    }
}

/// One declared budget against its live counterpart, its actions aside:
/// the update that would make them equal, or `None` when they already are.
/// Apply uses it to tell whether a budget it may have created already is
/// the one declared (its actions are created after it).
pub fn compare_budget(r: BudgetRef, desired: &Budget, live: &LiveBudget) -> Option<Change> {
    update(&|| r.clone(), desired, live, Vec::new())
}

fn update(
    r: &dyn Fn() -> BudgetRef,
    desired: &Budget,
    live: &LiveBudget,
    actions: Vec<ActionChange>,
) -> Option<Change> {
    let fields = field_diffs(&live.budget, desired);
    let notifications = notification_changes(desired, &live.budget);
    let tags = tag_changes(desired, &live.budget);
    if fields.is_empty() && notifications.is_empty() && tags.is_empty() && actions.is_empty() {
        return None;
    }
    Some(Change {
        kind: ChangeKind::Update,
        budget: r(),
        fields,
        notifications,
        tags,
        actions,
        desired: Some(desired.clone()),
        live: Some(live.budget.clone()),
        origin: None,
        limit: None,
        spend: None,
        consequences: Vec::new(),
    })
}
