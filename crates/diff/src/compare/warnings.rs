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
