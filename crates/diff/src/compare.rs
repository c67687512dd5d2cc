//! Desired against live, field by field, after normalising both sides so that
//! nothing AWS computes, defaults or re-renders ever shows as a change.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use budgetctl_spec::amount::{canonical as canonical_amount, to_aws_string};
use budgetctl_spec::planned::{WindowGap, first_planned_period_from, windowed};
use budgetctl_spec::{
    AccountId, AccountSettings, AutoAdjust, Budget, BudgetLimit, Config, CostTypes,
    NotificationKey, Spend, Subscriber, TimeUnit, expression_to_yaml, format_period, max_end_date,
};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::plan::{
    Action, BudgetRef, Change, FieldDiff, Fingerprint, NotificationChange, PLAN_FORMAT_VERSION,
    Plan, PlanError, PlanScope, PlanTarget, SubscriberSwap, Summary, TagChange, Warning,
    WarningKind,
};

/// A budget as read from AWS, converted to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveBudget {
    pub account: AccountId,
    /// `tags` is `Some` only where they were read (the YAML manages them).
    pub budget: Budget,
    /// LastUpdatedTime as AWS sent it.
    pub last_updated: Option<String>,
    /// This period's CalculatedSpend, when AWS returned it.
    pub spend: Option<LiveSpend>,
}

/// A live budget holding a value this budgetctl does not know (a newer API
/// value, or one another tool wrote): it is skipped with a warning, and never
/// updated or deleted (ARCHITECTURE.md, reconciler rule 14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub account: AccountId,
    pub name: String,
    /// What could not be read, e.g. "AWS returned the time unit `WEEKLY`".
    pub reason: String,
}

/// What was read of the accounts: the budgets converted to the model, and
/// those that could not be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    pub budgets: Vec<LiveBudget>,
    pub unreadable: Vec<Unreadable>,
}

impl Live {
    /// Add what was read of another account.
    pub fn extend(&mut self, other: Live) {
        self.budgets.extend(other.budgets);
        self.unreadable.extend(other.unreadable);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveSpend {
    pub actual: Decimal,
    pub forecasted: Option<Decimal>,
    pub unit: String,
}

/// Compare the configuration with live state. `accounts` are the accounts
/// read (unmanaged and pruned budgets are looked for there); `today` decides
/// which planned period is current.
pub fn diff(desired: &Config, live: &Live, accounts: &[AccountId], today: NaiveDate) -> Plan {
    let unreadable = &live.unreadable;
    let live = &live.budgets;
    let mut plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        summary: Summary::default(),
        changes: Vec::new(),
        unmanaged: Vec::new(),
        ignored: Vec::new(),
        warnings: Vec::new(),
        errors: Vec::new(),
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
    let live_by_key: HashMap<(&AccountId, &str), &LiveBudget> = live
        .iter()
        .map(|l| ((&l.account, l.budget.name.as_str()), l))
        .collect();
    let unreadable_by_key: HashMap<(&AccountId, &str), &Unreadable> = unreadable
        .iter()
        .map(|u| ((&u.account, u.name.as_str()), u))
        .collect();
    let default_settings = AccountSettings::default();
    let ignore_sets: HashMap<&AccountId, globset::GlobSet> = desired
        .accounts
        .iter()
        .filter(|(_, s)| !s.ignore.is_empty())
        .map(|(a, s)| {
            let mut set = globset::GlobSetBuilder::new();
            for g in &s.ignore {
                // The spec crate validated every glob; one that no longer
                // compiles matches nothing rather than everything.
                if let Ok(glob) = globset::Glob::new(g) {
                    set.add(glob);
                }
            }
            (a, set.build().unwrap_or_else(|_| globset::GlobSet::empty()))
        })
        .collect();
    let ignored = |account: &AccountId, name: &str| {
        ignore_sets
            .get(account)
            .is_some_and(|set| set.is_match(name))
    };
    let settings = |account: &AccountId| desired.accounts.get(account).unwrap_or(&default_settings);

    for l in live {
        let address = format!("{}/{}", l.account, l.budget.name);
        plan.fingerprints.insert(address, fingerprint(l));
    }

    let mut declared: HashSet<(&AccountId, &str)> = HashSet::with_capacity(desired.budgets.len());
    for d in &desired.budgets {
        let r = || BudgetRef {
            account: d.account.clone(),
            name: d.budget.name.clone(),
        };
        declared.insert((&d.account, d.budget.name.as_str()));
        if ignored(&d.account, &d.budget.name) {
            plan.warnings.push(Warning {
                budget: r(),
                kind: WarningKind::Ignored,
                message:
                    "declared in a file but matched by the account's ignore globs: left untouched"
                        .into(),
            });
            plan.ignored.push(r());
            continue;
        }
        if let Some(u) = unreadable_by_key.get(&(&d.account, d.budget.name.as_str())) {
            plan.warnings.push(unreadable_warning(r(), u));
            continue;
        }
        let current = live_by_key
            .get(&(&d.account, d.budget.name.as_str()))
            .copied();
        // What AWS takes today: planned limits from the current period on
        // (ARCHITECTURE.md, reconciler rule 15); past periods on either side
        // are history.
        let current = current.map(|l| without_past_periods(l, &d.budget, today));
        let current = current.as_deref();
        // Borrowed unless planned limits are narrowed: this runs for every
        // declared budget of every plan.
        let desired: std::borrow::Cow<'_, Budget> = match windowed(&d.budget, today) {
            Ok(b) => b,
            Err(gap) => match current {
                None => {
                    plan.errors.push(PlanError {
                        budget: r(),
                        message: gap_message(gap, d.budget.time_unit, true),
                    });
                    continue;
                }
                Some(l) => {
                    plan.warnings.push(Warning {
                        budget: r(),
                        kind: match gap {
                            WindowGap::AgedOut { .. } => WarningKind::PlannedAgedOut,
                            WindowGap::NotCurrent { .. } => WarningKind::PlannedNotCurrent,
                        },
                        message: gap_message(gap, d.budget.time_unit, false),
                    });
                    // The live planned limits stay as they are.
                    let mut b = d.budget.clone();
                    b.limit = l.budget.limit.clone();
                    std::borrow::Cow::Owned(b)
                }
            },
        };
        let desired = desired.as_ref();
        spend_warnings(&mut plan.warnings, &r, desired, current, today);
        match current {
            None => plan.changes.push(create(r(), desired)),
            // AWS cannot change a budget's type in place: decided here, so
            // that no plan ever shows it as an update that apply refuses.
            Some(l) if l.budget.budget_type != desired.budget_type => {
                plan.errors.push(PlanError {
                    budget: r(),
                    message: format!(
                        "type cannot change in place ({} → {}): declare the budget under a new name (the old one is deleted only with prune: true)",
                        l.budget.budget_type, desired.budget_type
                    ),
                });
            }
            Some(l) => match update(&r, desired, l) {
                // Planned limits the file cannot give and the live budget no
                // longer has: an UpdateBudget would have none to send.
                Some(change)
                    if !change.fields.is_empty()
                        && matches!(&desired.limit, BudgetLimit::Planned(p) if p.is_empty()) =>
                {
                    plan.errors.push(PlanError {
                        budget: r(),
                        message: "the budget's other fields changed, but UpdateBudget needs planned limits from the current period on, which neither the file nor the live budget has: add the current period to `planned`".into(),
                    });
                }
                Some(change) => plan.changes.push(change),
                None => plan.summary.unchanged += 1,
            },
        }
    }

    for l in live {
        if !accounts.contains(&l.account)
            || declared.contains(&(&l.account, l.budget.name.as_str()))
        {
            continue;
        }
        let r = BudgetRef {
            account: l.account.clone(),
            name: l.budget.name.clone(),
        };
        if ignored(&l.account, &l.budget.name) {
            plan.ignored.push(r);
        } else if settings(&l.account).prune {
            plan.changes.push(delete(r, &l.budget));
        } else {
            plan.unmanaged.push(r);
        }
    }

    // Neither pruned nor listed as unmanaged: budgetctl cannot say what they are.
    for u in unreadable {
        if !accounts.contains(&u.account) || declared.contains(&(&u.account, u.name.as_str())) {
            continue;
        }
        let r = BudgetRef {
            account: u.account.clone(),
            name: u.name.clone(),
        };
        if ignored(&u.account, &u.name) {
            plan.ignored.push(r);
        } else {
            plan.warnings.push(unreadable_warning(r, u));
        }
    }

    plan.changes
        .sort_by(|a, b| (&a.budget, a.action).cmp(&(&b.budget, b.action)));
    plan.unmanaged.sort();
    plan.ignored.sort();
    for c in &plan.changes {
        match c.action {
            Action::Create => plan.summary.create += 1,
            Action::Update => plan.summary.update += 1,
            Action::Delete => plan.summary.delete += 1,
        }
    }
    plan
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
            field: "type".into(),
            before: None,
            after: Some(desired.budget_type.to_string()),
        },
        FieldDiff {
            field: "period".into(),
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
        action: Action::Create,
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
        desired: Some(desired.clone()),
        live: None,
    }
}

/// A deletion shows what goes: the fields a create would show, as before
/// values. Its alerts are in `live`; apply deletes the budget in one call.
fn delete(r: BudgetRef, live: &Budget) -> Change {
    let mut fields = vec![
        FieldDiff {
            field: "type".into(),
            before: Some(live.budget_type.to_string()),
            after: None,
        },
        FieldDiff {
            field: "period".into(),
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
        action: Action::Delete,
        budget: r,
        fields,
        notifications: Vec::new(),
        tags: Vec::new(),
        desired: None,
        live: Some(live.clone()),
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
    }
}

/// One declared budget against its live counterpart: the update that would
/// make them equal, or `None` when they already are. Apply uses it to tell
/// whether a budget it may have created already is the one declared.
pub fn compare_budget(r: BudgetRef, desired: &Budget, live: &LiveBudget) -> Option<Change> {
    update(&|| r.clone(), desired, live)
}

fn update(r: &dyn Fn() -> BudgetRef, desired: &Budget, live: &LiveBudget) -> Option<Change> {
    let fields = field_diffs(&live.budget, desired);
    let notifications = notification_changes(desired, &live.budget);
    let tags = tag_changes(desired, &live.budget);
    if fields.is_empty() && notifications.is_empty() && tags.is_empty() {
        return None;
    }
    Some(Change {
        action: Action::Update,
        budget: r(),
        fields,
        notifications,
        tags,
        desired: Some(desired.clone()),
        live: Some(live.budget.clone()),
    })
}

fn spend_text(s: &Spend) -> String {
    format!("{} {}", to_aws_string(s.amount), s.unit)
}

fn limit_text(limit: &BudgetLimit, time_unit: budgetctl_spec::TimeUnit) -> (String, String) {
    match limit {
        BudgetLimit::Fixed(s) => ("limit".into(), spend_text(s)),
        BudgetLimit::Planned(p) => ("planned".into(), planned_text(p, time_unit)),
        BudgetLimit::Schedule(sc) => {
            let mut text = format!("every: {}", spend_text(&sc.every));
            if let (Some(grow), Some(from)) = (sc.grow, sc.from) {
                let _ = write!(
                    text,
                    ", grow: {}%, from: {}",
                    grow.normalize(),
                    format_period(from, time_unit)
                );
            }
            if !sc.overrides.is_empty() {
                let _ = write!(text, ", {}", planned_text(&sc.overrides, time_unit));
            }
            ("planned".into(), text)
        }
        BudgetLimit::AutoAdjust(AutoAdjust::Historical { periods }) => {
            ("auto_adjust".into(), format!("historical: {periods}"))
        }
        BudgetLimit::AutoAdjust(AutoAdjust::Forecast) => ("auto_adjust".into(), "forecast".into()),
    }
}

/// Periods with their amounts, a run of equal amounts as one range:
/// `2026-12 to 2027-05: 1000 USD, 2027-06: 1500 USD`.
fn planned_text(p: &BTreeMap<NaiveDate, Spend>, time_unit: TimeUnit) -> String {
    let mut runs: Vec<(NaiveDate, NaiveDate, &Spend)> = Vec::new();
    for (d, s) in p {
        match runs.last_mut() {
            Some((_, last, spend)) if spend.amount == s.amount && spend.unit == s.unit => {
                *last = *d
            }
            _ => runs.push((*d, *d, s)),
        }
    }
    runs.iter()
        .map(|(first, last, s)| {
            if first == last {
                format!("{}: {}", format_period(*first, time_unit), spend_text(s))
            } else {
                format!(
                    "{} to {}: {}",
                    format_period(*first, time_unit),
                    format_period(*last, time_unit),
                    spend_text(s)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn same_limit(a: &BudgetLimit, b: &BudgetLimit) -> bool {
    match (a, b) {
        (BudgetLimit::Fixed(x), BudgetLimit::Fixed(y)) => x.amount == y.amount && x.unit == y.unit,
        (BudgetLimit::Planned(x), BudgetLimit::Planned(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|((dx, sx), (dy, sy))| {
                    dx == dy && sx.amount == sy.amount && sx.unit == sy.unit
                })
        }
        (BudgetLimit::AutoAdjust(x), BudgetLimit::AutoAdjust(y)) => x == y,
        _ => false,
    }
}

fn opt_text<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

fn push(fields: &mut Vec<FieldDiff>, field: &str, before: Option<String>, after: Option<String>) {
    if before != after {
        fields.push(FieldDiff {
            field: field.into(),
            before,
            after,
        });
    }
}

/// The budget-level differences (those UpdateBudget carries), normalised.
/// Values are compared typed and only formatted when they differ: this runs
/// for every budget of every plan.
fn field_diffs(live: &Budget, desired: &Budget) -> Vec<FieldDiff> {
    let mut fields = Vec::new();
    if live.budget_type != desired.budget_type {
        push(
            &mut fields,
            "type",
            Some(live.budget_type.to_string()),
            Some(desired.budget_type.to_string()),
        );
    }
    if live.time_unit != desired.time_unit {
        push(
            &mut fields,
            "period",
            Some(live.time_unit.to_string()),
            Some(desired.time_unit.to_string()),
        );
    }
    if !same_limit(&live.limit, &desired.limit) {
        let (bf, bt) = limit_text(&live.limit, live.time_unit);
        let (af, at) = limit_text(&desired.limit, desired.time_unit);
        if bf == af {
            push(&mut fields, &af, Some(bt), Some(at));
        } else {
            push(&mut fields, &bf, Some(bt), None);
            push(&mut fields, &af, None, Some(at));
        }
    }
    // An unset start is AWS's to choose (the start of the period the budget
    // was created in): only a declared start is compared.
    if desired.start.is_some() && desired.start != live.start {
        push(
            &mut fields,
            "start",
            opt_text(&live.start),
            opt_text(&desired.start),
        );
    }
    // An unset end is AWS's default, 2087-06-15.
    let end = |e: &Option<NaiveDate>| e.filter(|d| *d != max_end_date());
    if end(&live.end) != end(&desired.end) {
        push(
            &mut fields,
            "end",
            opt_text(&end(&live.end)),
            opt_text(&end(&desired.end)),
        );
    }
    if let Some(want) = &desired.cost_types {
        let have = live.cost_types.unwrap_or_default();
        if have != *want {
            for ((key, _, w), (_, _, h)) in want.flags().iter().zip(have.flags().iter()) {
                if w != h {
                    push(
                        &mut fields,
                        &format!("cost_types.{key}"),
                        Some(h.to_string()),
                        Some(w.to_string()),
                    );
                }
            }
        }
    }
    // Filter values are a set: AWS may return them in another order.
    fn as_set(v: Option<&Vec<String>>) -> Option<BTreeSet<&String>> {
        v.map(|v| v.iter().collect())
    }
    if live.cost_filters.len() != desired.cost_filters.len()
        || live
            .cost_filters
            .iter()
            .any(|(k, v)| as_set(Some(v)) != as_set(desired.cost_filters.get(k)))
    {
        let keys: BTreeSet<&String> = live
            .cost_filters
            .keys()
            .chain(desired.cost_filters.keys())
            .collect();
        for key in keys {
            let values = |b: &Budget| {
                as_set(b.cost_filters.get(key))
                    .map(|set| set.into_iter().cloned().collect::<Vec<_>>().join(", "))
            };
            push(
                &mut fields,
                &format!("filters.{key}"),
                values(live),
                values(desired),
            );
        }
    }
    if live.filter_expression != desired.filter_expression {
        push(
            &mut fields,
            "filter_expression",
            live.filter_expression.as_ref().map(expression_to_yaml),
            desired.filter_expression.as_ref().map(expression_to_yaml),
        );
    }
    if live.metrics != desired.metrics {
        let metrics = |b: &Budget| {
            (!b.metrics.is_empty()).then(|| {
                b.metrics
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        push(&mut fields, "metrics", metrics(live), metrics(desired));
    }
    if live.billing_view_arn != desired.billing_view_arn {
        push(
            &mut fields,
            "billing_view_arn",
            live.billing_view_arn.clone(),
            desired.billing_view_arn.clone(),
        );
    }
    fields
}

fn notification_changes(desired: &Budget, live: &Budget) -> Vec<NotificationChange> {
    let mut changes = Vec::new();
    if desired.notifications == live.notifications {
        return changes;
    }
    let live_keys: Vec<&NotificationKey> = live.notifications.iter().map(|n| &n.key).collect();
    let want_keys: Vec<&NotificationKey> = desired.notifications.iter().map(|n| &n.key).collect();
    let mut unmatched_live: Vec<&budgetctl_spec::Notification> = live
        .notifications
        .iter()
        .filter(|n| !want_keys.contains(&&n.key))
        .collect();
    for want in &desired.notifications {
        let have = if live_keys.contains(&&want.key) {
            live.notifications.iter().find(|n| n.key == want.key)
        } else {
            // A new identity: change a live one in place when one of the same
            // kind is left over, so its subscribers and state carry over.
            let pick = unmatched_live
                .iter()
                .position(|n| {
                    n.key.notification_type == want.key.notification_type
                        && n.key.comparison == want.key.comparison
                        && n.key.threshold_type == want.key.threshold_type
                })
                .or_else(|| {
                    unmatched_live
                        .iter()
                        .position(|n| n.key.notification_type == want.key.notification_type)
                });
            match pick {
                Some(i) => {
                    let from = unmatched_live.remove(i);
                    changes.push(NotificationChange::Change {
                        from: from.key.clone(),
                        to: want.key.clone(),
                    });
                    Some(from)
                }
                None => {
                    changes.push(NotificationChange::Add {
                        notification: want.key.clone(),
                        subscribers: want.subscribers.clone(),
                    });
                    None
                }
            }
        };
        if let Some(have) = have {
            let add: Vec<Subscriber> = want
                .subscribers
                .iter()
                .filter(|s| !have.subscribers.contains(s))
                .cloned()
                .collect();
            let remove: Vec<Subscriber> = have
                .subscribers
                .iter()
                .filter(|s| !want.subscribers.contains(s))
                .cloned()
                .collect();
            if !add.is_empty() || !remove.is_empty() {
                let (swap, add, remove) = pair_swaps(add, remove);
                changes.push(NotificationChange::Subscribers {
                    notification: want.key.clone(),
                    swap,
                    add,
                    remove,
                });
            }
        }
    }
    for gone in unmatched_live {
        changes.push(NotificationChange::Remove {
            notification: gone.key.clone(),
        });
    }
    changes
}

/// Pair each removed subscriber with an added one of the same kind, in file
/// order, into a swap (one UpdateSubscriber). A notification holds at most
/// ten emails and one SNS topic, so at its limit add-before-remove cannot
/// work, and remove-before-add would delete the notification with its last
/// subscriber. What stays unpaired is of a kind that is only added or only
/// removed, so adding it first never passes a limit the file keeps.
fn pair_swaps(
    add: Vec<Subscriber>,
    mut remove: Vec<Subscriber>,
) -> (Vec<SubscriberSwap>, Vec<Subscriber>, Vec<Subscriber>) {
    let same_kind = |a: &Subscriber, b: &Subscriber| {
        matches!(
            (a, b),
            (Subscriber::Email(_), Subscriber::Email(_)) | (Subscriber::Sns(_), Subscriber::Sns(_))
        )
    };
    let mut swap = Vec::new();
    let mut unpaired = Vec::new();
    for to in add {
        match remove.iter().position(|from| same_kind(from, &to)) {
            Some(i) => swap.push(SubscriberSwap {
                from: remove.remove(i),
                to,
            }),
            None => unpaired.push(to),
        }
    }
    (swap, unpaired, remove)
}

fn tag_changes(desired: &Budget, live: &Budget) -> Vec<TagChange> {
    let Some(want) = &desired.tags else {
        return Vec::new();
    };
    let empty = BTreeMap::new();
    let have = live.tags.as_ref().unwrap_or(&empty);
    let keys: BTreeSet<&String> = want.keys().chain(have.keys()).collect();
    keys.into_iter()
        .filter(|k| want.get(*k) != have.get(*k))
        .map(|k| TagChange {
            key: k.clone(),
            before: have.get(k).cloned(),
            after: want.get(k).cloned(),
        })
        .collect()
}

/// Warn where a new limit is below what is already spent or forecast (the
/// alert fires at once).
fn spend_warnings(
    warnings: &mut Vec<Warning>,
    r: &dyn Fn() -> BudgetRef,
    desired: &Budget,
    live: Option<&LiveBudget>,
    today: NaiveDate,
) {
    let mut warn = |kind: WarningKind, message: String| {
        warnings.push(Warning {
            budget: r(),
            kind,
            message,
        })
    };
    let current_start = period_start(desired.time_unit, today);
    let limit_now = match &desired.limit {
        BudgetLimit::Fixed(s) => Some(s.clone()),
        BudgetLimit::Planned(p) => p
            .range(..=current_start)
            .next_back()
            .map(|(_, s)| s.clone()),
        BudgetLimit::Schedule(sc) => Some(sc.amount_for(current_start, desired.time_unit)),
        BudgetLimit::AutoAdjust(_) => None,
    };
    if let (Some(limit), Some(spend)) = (limit_now, live.and_then(|l| l.spend.as_ref()))
        && spend.unit == limit.unit
    {
        if spend.actual > limit.amount {
            warn(
                WarningKind::BelowActualSpend,
                format!(
                    "the limit {} is below this period's actual spend {} {}: alerts on actual spend fire at once",
                    spend_text(&limit),
                    to_aws_string(spend.actual),
                    spend.unit
                ),
            );
        } else if let Some(f) = spend.forecasted
            && f > limit.amount
        {
            warn(
                WarningKind::BelowForecastedSpend,
                format!(
                    "the limit {} is below this period's forecasted spend {} {}: alerts on forecasted spend fire at once",
                    spend_text(&limit),
                    to_aws_string(f),
                    spend.unit
                ),
            );
        }
    }
}

pub use budgetctl_spec::planned::period_start;

/// A hash of what apply's staleness check compares besides LastUpdatedTime:
/// the limit and dates, notifications with their subscribers, and tags, each
/// in a canonical order. XXH3-128: stable across builds and platforms, and
/// fast enough to run for every budget of every plan; it detects change, it
/// does not defend against forgery.
pub fn fingerprint(l: &LiveBudget) -> Fingerprint {
    let b = &l.budget;
    let mut h = Xxh3::new();
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    // Typed values straight into the hash: formatting them costs more than
    // the whole comparison.
    let amount = |d: Decimal| canonical_amount(d).serialize();
    let day = |d: Option<NaiveDate>| d.map_or(i32::MIN, |d| d.num_days_from_ce()).to_le_bytes();
    match &b.limit {
        BudgetLimit::Fixed(s) => {
            field(b"fixed");
            field(&amount(s.amount));
            field(s.unit.as_bytes());
        }
        BudgetLimit::Planned(p) => {
            field(b"planned");
            for (d, s) in p {
                field(&day(Some(*d)));
                field(&amount(s.amount));
                field(s.unit.as_bytes());
            }
        }
        BudgetLimit::Schedule(sc) => {
            // Never live; hashed for completeness.
            field(b"schedule");
            field(&amount(sc.every.amount));
            field(sc.every.unit.as_bytes());
        }
        BudgetLimit::AutoAdjust(AutoAdjust::Historical { periods }) => {
            field(b"historical");
            field(&periods.to_le_bytes());
        }
        BudgetLimit::AutoAdjust(AutoAdjust::Forecast) => field(b"forecast"),
    }
    field(&day(b.start));
    field(&day(b.end));
    let mut notifications: Vec<&budgetctl_spec::Notification> = b.notifications.iter().collect();
    notifications.sort_by(|x, y| x.key.cmp(&y.key));
    for n in notifications {
        let k = &n.key;
        field(&[
            k.notification_type as u8,
            k.comparison as u8,
            k.threshold_type as u8,
        ]);
        field(&amount(k.threshold));
        let mut subscribers: Vec<&Subscriber> = n.subscribers.iter().collect();
        subscribers.sort();
        for s in subscribers {
            field(match s {
                Subscriber::Email(_) => b"email",
                Subscriber::Sns(_) => b"sns",
            });
            field(s.address().as_bytes());
        }
    }
    match &b.tags {
        None => field(b"tags unread"),
        Some(tags) => {
            for (k, v) in tags {
                field(k.as_bytes());
                field(v.as_bytes());
            }
        }
    }
    let mut hash = String::with_capacity(32);
    let _ = write!(hash, "{:032x}", h.digest128());
    Fingerprint {
        last_updated: l.last_updated.clone(),
        hash,
    }
}
