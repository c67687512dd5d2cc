//! What a change is worth and what it sets off, decided purely from the
//! declared budget, the live one and this period's spend ("today" is a
//! parameter, as in respond): the limit in force before and after, and
//! the alerts that fire or fall silent, the actions that run.

use budgetctl_model::live::LiveSpend;
use budgetctl_model::{
    ActionStatus, ApprovalModel, BudgetAction, ComparisonOperator, NotificationKey,
    NotificationType, ThresholdType,
};

use super::*;
use crate::plan::{Consequence, ConsequenceKind, LimitChange};
use crate::respond::{limit_in_force, period_of};

/// A budget's limit in force in the period `today` falls in, and what sets
/// it when the file does not write one amount. An auto-adjusting budget's
/// is the amount AWS computed (`aws`), when it has one; an RI or Savings
/// Plans budget has none (its limit is a percentage).
pub(crate) fn in_force(
    budget: &Budget,
    aws: Option<&Spend>,
    today: NaiveDate,
) -> Option<(Spend, Option<String>)> {
    if budget.budget_type.is_ri_or_sp() {
        return None;
    }
    let period = || format_period(period_of(budget, today), budget.time_unit);
    match &budget.limit {
        BudgetLimit::Fixed(s) => Some((s.clone(), None)),
        BudgetLimit::Planned(_) => {
            limit_in_force(budget, today).map(|s| (s, Some(format!("planned for {}", period()))))
        }
        BudgetLimit::Schedule(_) => limit_in_force(budget, today)
            .map(|s| (s, Some(format!("planned schedule for {}", period())))),
        BudgetLimit::AutoAdjust(a) => {
            let by = match a {
                AutoAdjust::Historical { periods } => {
                    format!("auto-adjusting: average of the last {periods} periods")
                }
                AutoAdjust::Forecast => "auto-adjusting: this period's forecast".to_owned(),
            };
            Some((aws?.clone(), Some(by)))
        }
    }
}

/// The limit in force before and after: the live budget's (an
/// auto-adjusting one's as AWS computed it) and the declared one's.
fn limit_change(
    desired: Option<&Budget>,
    live: Option<&LiveBudget>,
    today: NaiveDate,
) -> Option<LimitChange> {
    let aws = live.and_then(|l| l.limit_now.as_ref());
    let before = live.and_then(|l| in_force(&l.budget, aws, today));
    let after = desired.and_then(|d| {
        // AWS sizes an auto-adjusting budget from its own history: the
        // amount it computed stays only where the adjustment does.
        let same_adjustment = live.is_some_and(|l| l.budget.limit == d.limit);
        in_force(d, aws.filter(|_| same_adjustment), today)
    });
    if desired.is_some_and(|d| d.budget_type.is_ri_or_sp())
        || live.is_some_and(|l| l.budget.budget_type.is_ri_or_sp())
    {
        return None;
    }
    let unit = after
        .as_ref()
        .or(before.as_ref())
        .map(|(s, _)| s.unit.clone())
        .or_else(|| desired.and_then(|d| d.limit_unit()).map(str::to_owned))?;
    // Amounts of another unit do not compare: the before is left out.
    let before = before.filter(|(s, _)| s.unit == unit);
    let set_by = after
        .as_ref()
        .and_then(|(_, by)| by.clone())
        .or_else(|| before.as_ref().and_then(|(_, by)| by.clone()));
    Some(LimitChange {
        before: before.map(|(s, _)| s.amount),
        after: after.map(|(s, _)| s.amount),
        unit,
        set_by,
    })
}

/// The spend figure an alert or action watches.
fn figure(spend: &LiveSpend, notification_type: NotificationType) -> Option<Decimal> {
    match notification_type {
        NotificationType::Actual => Some(spend.actual),
        NotificationType::Forecasted => spend.forecasted,
    }
}

/// Whether spend is past an alert's line under `limit`, and the figure and
/// line that decide it.
fn crossed(
    key: &NotificationKey,
    spend: Option<&LiveSpend>,
    limit: Option<Decimal>,
) -> Option<(Decimal, Decimal)> {
    let s = figure(spend?, key.notification_type)?;
    let line = match key.threshold_type {
        ThresholdType::Percentage => crate::respond::line(
            &crate::respond::Trigger {
                notification_type: key.notification_type,
                threshold: key.threshold,
                threshold_type: key.threshold_type,
            },
            limit?,
        ),
        ThresholdType::AbsoluteValue => key.threshold,
    };
    let past = match key.comparison {
        ComparisonOperator::GreaterThan => s > line,
        ComparisonOperator::LessThan => s < line,
        ComparisonOperator::EqualTo => s == line,
    };
    past.then_some((s, line))
}

/// `1,234.50 USD`: an amount in messages.
pub(super) fn money(amount: Decimal, unit: &str) -> String {
    format!("{} {unit}", budgetctl_model::amount::grouped(amount))
}

/// `amount` as a whole percentage of `of`.
pub fn percent_of(amount: Decimal, of: Decimal) -> Option<Decimal> {
    (!of.is_zero()).then(|| (amount * Decimal::ONE_HUNDRED / of).round())
}

/// Fill in a change's limit, spend and consequences. `live` is the budget
/// as read (with its spend, alarms and actions); `prune_at` says where the
/// account's `prune: true` is, for a deletion.
pub(super) fn assess(
    change: &mut Change,
    live: Option<&LiveBudget>,
    today: NaiveDate,
    prune_at: Option<&budgetctl_model::Origin>,
) {
    let limit = limit_change(change.desired.as_ref(), live, today);
    let spend = live.and_then(|l| l.spend.clone());
    let unit = limit.as_ref().map(|l| l.unit.as_str());
    // Spend in another unit than the limit's is shown, but decides nothing.
    let comparable = spend.as_ref().filter(|s| unit.is_none_or(|u| u == s.unit));
    let before = limit.as_ref().and_then(|l| l.before);
    let after = limit.as_ref().and_then(|l| l.after);
    let mut out = Vec::new();
    let alarms: &[NotificationKey] = live.map_or(&[], |l| &l.alarms);
    match (change.kind, live) {
        (ChangeKind::Delete, Some(l)) => {
            change.origin = prune_at
                .map(|at| format!("prune: true for account {} at {at}", change.budget.account));
            if let Some(s) = comparable.filter(|s| !s.actual.is_zero()) {
                let of = before
                    .map(|b| format!(" of {}", money(b, &s.unit)))
                    .unwrap_or_default();
                out.push(Consequence {
                    kind: ConsequenceKind::DeletedWithSpend,
                    alert: None,
                    action: None,
                    message: format!(
                        "deletes a budget with {}{of} spent this period: its tracking and alerts stop",
                        money(s.actual, &s.unit)
                    ),
                });
            }
            for a in &l.alarms {
                out.push(Consequence {
                    kind: ConsequenceKind::AlertSilenced,
                    alert: Some(a.clone()),
                    action: None,
                    message: format!(
                        "alert `{}` is in ALARM and goes with the budget",
                        a.phrase(unit)
                    ),
                });
            }
        }
        (_, _) => {
            let seen = Seen {
                change,
                live,
                spend: comparable,
                before,
                after,
                alarms,
                unit,
            };
            if let Some(d) = &change.desired {
                alerts(&mut out, &seen, d);
                if limit.as_ref().is_some_and(LimitChange::changes)
                    && let (Some(s), Some(after)) = (comparable, after)
                {
                    over_limit(&mut out, s, after);
                }
                actions(&mut out, &seen, d);
            }
        }
    }
    change.limit = limit;
    change.spend = spend;
    change.consequences = out;
}

/// What a change is decided on: the change, the budget as read, this
/// period's spend (in the limit's unit), the limit before and after.
struct Seen<'a> {
    change: &'a Change,
    live: Option<&'a LiveBudget>,
    spend: Option<&'a LiveSpend>,
    before: Option<Decimal>,
    after: Option<Decimal>,
    /// The alerts in ALARM now.
    alarms: &'a [NotificationKey],
    unit: Option<&'a str>,
}

/// The alerts that fire at once or fall silent.
fn alerts(out: &mut Vec<Consequence>, seen: &Seen<'_>, desired: &Budget) {
    let Seen {
        change,
        live,
        spend,
        before,
        after,
        alarms,
        unit: limit_unit,
    } = *seen;
    let phrase = |k: &NotificationKey| k.phrase(limit_unit);
    let live_keys: Vec<&NotificationKey> = live
        .iter()
        .flat_map(|l| &l.budget.notifications)
        .map(|n| &n.key)
        .collect();
    // An alert changed in place keeps its state: what it was before.
    let was = |k: &NotificationKey| -> Option<NotificationKey> {
        change.notifications.iter().find_map(|n| match n {
            NotificationChange::Change { from, to } if to == k => Some(from.clone()),
            _ => None,
        })
    };
    let unit = spend.map_or("", |s| s.unit.as_str());
    for n in &desired.notifications {
        let k = &n.key;
        let Some((s, line)) = crossed(k, spend, after) else {
            continue;
        };
        let earlier = if live_keys.contains(&k) {
            Some(k.clone())
        } else {
            was(k)
        };
        let in_alarm = earlier.as_ref().is_some_and(|e| alarms.contains(e));
        let crossed_before = earlier
            .as_ref()
            .is_some_and(|e| crossed(e, spend, before).is_some());
        if in_alarm || crossed_before {
            continue;
        }
        out.push(Consequence {
            kind: ConsequenceKind::AlertFires,
            alert: Some(k.clone()),
            action: None,
            message: format!(
                "alert `{}` goes into ALARM at once: {} spend {} is past its line {}",
                phrase(k),
                k.notification_type,
                money(s, unit),
                money(line, unit)
            ),
        });
    }
    for a in alarms {
        let kept = desired
            .notifications
            .iter()
            .find(|n| &n.key == a || was(&n.key).as_ref() == Some(a));
        let message = match kept {
            None => format!(
                "alert `{}` is in ALARM now, and the change removes it",
                phrase(a)
            ),
            Some(n) if crossed(&n.key, spend, after).is_none() && spend.is_some() => format!(
                "alert `{}` is in ALARM now, and under the new limit spend is back within its line",
                phrase(a)
            ),
            Some(_) => continue,
        };
        out.push(Consequence {
            kind: ConsequenceKind::AlertSilenced,
            alert: Some(a.clone()),
            action: None,
            message,
        });
    }
}

/// Spend over the new limit, said neutrally: whether anyone hears of it is
/// the alerts' business.
fn over_limit(out: &mut Vec<Consequence>, spend: &LiveSpend, limit: Decimal) {
    let pct = |v| {
        percent_of(v, limit)
            .map(|p| format!("{p}%"))
            .unwrap_or_else(|| "over".into())
    };
    if spend.actual > limit {
        out.push(Consequence {
            kind: ConsequenceKind::OverLimit,
            alert: None,
            action: None,
            message: format!(
                "actual spend {} is {} of the new limit {}: over budget",
                money(spend.actual, &spend.unit),
                pct(spend.actual),
                money(limit, &spend.unit)
            ),
        });
    } else if let Some(f) = spend.forecasted
        && f > limit
    {
        out.push(Consequence {
            kind: ConsequenceKind::ForecastOverLimit,
            alert: None,
            action: None,
            message: format!(
                "forecasted spend {} is {} of the new limit {}",
                money(f, &spend.unit),
                pct(f),
                money(limit, &spend.unit)
            ),
        });
    }
}

/// Budget actions that run at once, and those that will run without approval.
fn actions(out: &mut Vec<Consequence>, seen: &Seen<'_>, desired: &Budget) {
    let Seen {
        change,
        live,
        spend,
        before,
        after,
        unit,
        ..
    } = *seen;
    for a in desired.actions.iter().flatten() {
        // How the change touches it: new, changed (and from what), or not.
        let touched = change.actions.iter().find(|c| c.name() == a.name);
        let (status, earlier): (Option<ActionStatus>, Option<&BudgetAction>) = match touched {
            Some(ActionChange::Create { .. }) => (None, None),
            Some(ActionChange::Replace { .. }) => (None, None),
            Some(ActionChange::Update { status, id, .. }) => (
                Some(*status),
                live.and_then(|l| l.actions.iter().find(|x| &x.id == id))
                    .map(|x| &x.action),
            ),
            Some(ActionChange::Delete { .. }) => continue,
            None => {
                let found = live.and_then(|l| {
                    l.actions
                        .iter()
                        .find(|x| x.name.as_deref() == Some(a.name.as_str()))
                });
                (found.map(|x| x.status), found.map(|x| &x.action))
            }
        };
        let changed = match touched {
            Some(ActionChange::Update { fields, .. }) => !fields.is_empty(),
            Some(_) => true,
            None => false,
        };
        let trigger = NotificationKey::over(a.notification_type, a.threshold, a.threshold_type);
        let crossed_now = crossed(&trigger, spend, after);
        let crossed_before = earlier.is_some_and(|e| {
            let t = NotificationKey::over(e.notification_type, e.threshold, e.threshold_type);
            crossed(&t, spend, before).is_some()
        });
        let waiting = status.is_none_or(|s| s == ActionStatus::Standby);
        let automatic = a.approval == ApprovalModel::Automatic;
        let spend_unit = spend.map_or("", |s| s.unit.as_str());
        if let Some((s, line)) = crossed_now
            && automatic
            && waiting
            && (changed || !crossed_before)
        {
            out.push(Consequence {
                kind: ConsequenceKind::ActionRuns,
                alert: None,
                action: Some(a.name.clone()),
                message: format!(
                    "action `{}` runs at once, without approval: {} ({} spend {} is past its trigger `{}`, {})",
                    a.name,
                    a.definition.describe(),
                    a.notification_type,
                    money(s, spend_unit),
                    a.when(unit),
                    money(line, spend_unit)
                ),
            });
            continue;
        }
        let pending_goes_automatic = status == Some(ActionStatus::Pending)
            && automatic
            && earlier.is_some_and(|e| e.approval == ApprovalModel::Manual);
        if pending_goes_automatic {
            out.push(Consequence {
                kind: ConsequenceKind::AutomaticAction,
                alert: None,
                action: Some(a.name.clone()),
                message: format!(
                    "action `{}` is PENDING, and its approval goes manual → automatic: {}",
                    a.name,
                    a.definition.describe()
                ),
            });
        } else if automatic && changed {
            let what = if matches!(touched, Some(ActionChange::Update { .. })) {
                "changed"
            } else {
                "new"
            };
            out.push(Consequence {
                kind: ConsequenceKind::AutomaticAction,
                alert: None,
                action: Some(a.name.clone()),
                message: format!(
                    "{what} action `{}` runs without approval when `{}`: {}",
                    a.name,
                    a.when(unit),
                    a.definition.describe()
                ),
            });
        }
    }
}
