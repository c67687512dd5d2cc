//! Spend warnings: live spend already past a declared alert or the limit.

use super::*;

/// Warn where a new limit is below what is already spent or forecast (the
/// alert fires at once).
pub(super) fn spend_warnings(
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
        BudgetLimit::Schedule(sc) => sc.amount_for(current_start, desired.time_unit),
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

/// Warn where live spend already crosses a response's line: the next
/// `budgetctl respond` run acts on it.
pub(super) fn response_warnings(
    warnings: &mut Vec<Warning>,
    r: &dyn Fn() -> BudgetRef,
    desired: &Budget,
    live: Option<&LiveBudget>,
    today: NaiveDate,
) {
    if desired.responses.is_empty() {
        return;
    }
    let Some(live) = live else {
        return;
    };
    let spend = crate::respond::BudgetSpend {
        name: desired.name.clone(),
        // An auto-adjusting budget's amount is AWS's, which plan does not
        // keep: its percentages are decided by respond alone.
        limit: None,
        spend: live.spend.clone(),
    };
    for a in crate::respond::assess(desired, Some(&spend), today) {
        let crate::respond::Verdict::Due { spend: s, line } = a.verdict else {
            continue;
        };
        // An approval acts only on a PENDING action: once the action ran
        // (or is not waiting), the next respond has nothing to approve.
        if let budgetctl_model::ResponseAction::ApproveAction(name) = &a.response.action {
            let pending = live
                .actions
                .iter()
                .find(|l| l.name.as_deref() == Some(name.as_str()))
                .is_some_and(|l| l.status == budgetctl_model::ActionStatus::Pending);
            if !pending {
                continue;
            }
        }
        let unit = live.spend.as_ref().map_or("", |s| s.unit.as_str());
        warnings.push(Warning {
            budget: r(),
            kind: WarningKind::ResponseDue,
            message: format!(
                "the next `budgetctl respond` will {}: response `{}` is due ({} spend {} {unit} is over {} {unit}, `{}`, in the period from {})",
                a.response.action.describe(),
                a.response.name,
                a.response.notification_type,
                to_aws_string(s),
                to_aws_string(line),
                a.response.when(desired.limit_unit()),
                a.period,
            ),
        });
    }
}
