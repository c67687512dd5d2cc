//! Spend warnings: live spend already past a declared alert or the limit.

use super::*;

/// Warn where a budget the plan leaves unchanged is already over its
/// limit this period, or forecast to be: said neutrally (whether anyone
/// hears of it is its alerts' business), apart from the changes.
pub(super) fn spend_warnings(
    warnings: &mut Vec<Warning>,
    r: &dyn Fn() -> BudgetRef,
    desired: &Budget,
    live: Option<&LiveBudget>,
    today: NaiveDate,
) {
    let Some(live) = live else {
        return;
    };
    let limit = super::money::in_force(desired, live.limit_now.as_ref(), today);
    let (Some((limit, _)), Some(spend)) = (limit, live.spend.as_ref()) else {
        return;
    };
    if spend.unit != limit.unit || limit.amount.is_zero() {
        return;
    }
    let pct = |v| {
        super::money::percent_of(v, limit.amount)
            .map(|p| format!(" ({p}%)"))
            .unwrap_or_default()
    };
    let money = |v| super::money::money(v, &spend.unit);
    let (kind, message) = if spend.actual > limit.amount {
        (
            WarningKind::BelowActualSpend,
            format!(
                "already over budget: actual spend {} is over the limit {}{}",
                money(spend.actual),
                money(limit.amount),
                pct(spend.actual)
            ),
        )
    } else if let Some(f) = spend.forecasted
        && f > limit.amount
    {
        (
            WarningKind::BelowForecastedSpend,
            format!(
                "forecast over budget: forecasted spend {} is over the limit {}{}",
                money(f),
                money(limit.amount),
                pct(f)
            ),
        )
    } else {
        return;
    };
    warnings.push(Warning {
        budget: r(),
        kind,
        message,
    });
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
