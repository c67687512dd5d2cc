//! Planned limits and the calendar (ARCHITECTURE.md, reconciler rule 15).
//!
//! AWS takes planned limits from the current period on, at most 12 months or
//! 4 quarters (PlannedBudgetLimits in the Budgets model). A file in git ages
//! every month, so what a file says is turned into the *window* AWS takes on
//! the day of the plan: past periods are history, never sent and never
//! compared. A schedule (`every:` with `grow:` and overrides) never ages: it
//! is expanded into the window on every plan.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Budget, BudgetLimit, Spend, TimeUnit};

/// `planned: { every: 1000, grow: 2%, from: 2026-01, 2027-06: 1500 }`: an
/// amount for every period, optionally growing by a percentage a period from
/// `from` on, with overrides for single periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedSchedule {
    pub every: Spend,
    /// Growth per period in percent, compounding (`2` for `2%`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grow: Option<Decimal>,
    /// The period growth counts from (`every` applies there and before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Amounts for single periods, keyed by the first day of the period.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<NaiveDate, Spend>,
}

impl PlannedSchedule {
    /// The amount for the period starting at `period`; `None` when growth
    /// takes it past what an amount can hold (validate refuses such a
    /// schedule, checking the last period a budget can have).
    pub fn amount_for(&self, period: NaiveDate, time_unit: TimeUnit) -> Option<Spend> {
        if let Some(s) = self.overrides.get(&period) {
            return Some(s.clone());
        }
        let (Some(grow), Some(from)) = (self.grow, self.from) else {
            return Some(self.every.clone());
        };
        let steps = periods_between(from, period, time_unit);
        let factor = Decimal::ONE.checked_add(grow.checked_div(Decimal::ONE_HUNDRED)?)?;
        let mut amount = self.every.amount;
        for _ in 0..steps {
            amount = amount.checked_mul(factor)?;
        }
        // Cents, as people write budget amounts.
        let amount =
            amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        Some(Spend::new(amount.normalize(), &self.every.unit))
    }
}

/// Periods AWS takes planned limits for at once.
pub fn max_planned_periods(time_unit: TimeUnit) -> usize {
    match time_unit {
        TimeUnit::Quarterly => 4,
        _ => 12,
    }
}

fn step_months(time_unit: TimeUnit) -> u32 {
    match time_unit {
        TimeUnit::Quarterly => 3,
        _ => 1,
    }
}

/// Whole periods from `from` to `to` (0 when `to` is not later).
fn periods_between(from: NaiveDate, to: NaiveDate, time_unit: TimeUnit) -> u32 {
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    u32::try_from(months.max(0)).unwrap_or(0) / step_months(time_unit)
}

/// How a period start is written in budget files: `2026-12`, or `2027-Q1` for quarters.
pub fn format_period(date: NaiveDate, time_unit: TimeUnit) -> String {
    if time_unit == TimeUnit::Quarterly {
        format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)
    } else {
        format!("{}-{:02}", date.year(), date.month())
    }
}

/// The first day of the period `day` falls in.
pub fn period_start(time_unit: TimeUnit, day: NaiveDate) -> NaiveDate {
    let (y, m) = (day.year(), day.month());
    let start = match time_unit {
        TimeUnit::Monthly => NaiveDate::from_ymd_opt(y, m, 1),
        TimeUnit::Quarterly => NaiveDate::from_ymd_opt(y, (m - 1) / 3 * 3 + 1, 1),
        TimeUnit::Annually => NaiveDate::from_ymd_opt(y, 1, 1),
        TimeUnit::Daily | TimeUnit::Custom => Some(day),
    };
    start.unwrap_or(day)
}

/// The first day of the period `periods` before the one starting at
/// `start` (a period's first day): where `periods` of history begin. A
/// custom budget has one period, so it is `start` itself.
pub fn periods_before(time_unit: TimeUnit, start: NaiveDate, periods: u32) -> NaiveDate {
    let months = |n: u32| {
        start
            .checked_sub_months(chrono::Months::new(n))
            .unwrap_or(start)
    };
    match time_unit {
        TimeUnit::Daily => start
            .checked_sub_days(chrono::Days::new(u64::from(periods)))
            .unwrap_or(start),
        TimeUnit::Monthly => months(periods),
        TimeUnit::Quarterly => months(periods.saturating_mul(3)),
        TimeUnit::Annually => months(periods.saturating_mul(12)),
        TimeUnit::Custom => start,
    }
}

/// The most past periods DescribeBudgetPerformanceHistory keeps: 60 days,
/// 12 months, 4 quarters; `None` where AWS keeps none to speak of (a
/// custom budget has one period).
pub fn history_kept(time_unit: TimeUnit) -> Option<u32> {
    match time_unit {
        TimeUnit::Daily => Some(60),
        TimeUnit::Monthly => Some(12),
        TimeUnit::Quarterly => Some(4),
        TimeUnit::Annually => Some(1),
        TimeUnit::Custom => None,
    }
}

/// The first period AWS takes planned limits for on `today`: the current
/// one, or the period the budget starts in when that is later.
pub fn first_planned_period(budget: &Budget, today: NaiveDate) -> NaiveDate {
    first_planned_period_from(budget.time_unit, budget.start, today)
}

/// [`first_planned_period`] of a budget with this period and start.
pub fn first_planned_period_from(
    time_unit: TimeUnit,
    start: Option<NaiveDate>,
    today: NaiveDate,
) -> NaiveDate {
    let now = period_start(time_unit, today);
    match start {
        Some(start) => now.max(period_start(time_unit, start)),
        None => now,
    }
}

/// Why a file's planned limits give AWS nothing to take today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowGap {
    /// Every planned period lies before the current one.
    AgedOut { last: NaiveDate, current: NaiveDate },
    /// The planned periods start after the current one.
    NotCurrent {
        first: NaiveDate,
        current: NaiveDate,
    },
}

/// The planned limits to send on `today`: from the current period on, at
/// most 12 months or 4 quarters. `None` for a budget without planned limits.
pub fn planned_window(
    budget: &Budget,
    today: NaiveDate,
) -> Option<Result<BTreeMap<NaiveDate, Spend>, WindowGap>> {
    let current = first_planned_period(budget, today);
    let max = max_planned_periods(budget.time_unit);
    match &budget.limit {
        BudgetLimit::Planned(p) => {
            let window: BTreeMap<NaiveDate, Spend> = p
                .range(current..)
                .take(max)
                .map(|(d, s)| (*d, s.clone()))
                .collect();
            Some(match window.keys().next() {
                Some(first) if *first == current => Ok(window),
                Some(first) => Err(WindowGap::NotCurrent {
                    first: *first,
                    current,
                }),
                None => Err(WindowGap::AgedOut {
                    last: p.keys().next_back().copied().unwrap_or(current),
                    current,
                }),
            })
        }
        BudgetLimit::Schedule(s) => Some(Ok((0..max as u32)
            .filter_map(|i| {
                current.checked_add_months(Months::new(i * step_months(budget.time_unit)))
            })
            .filter_map(|period| Some((period, s.amount_for(period, budget.time_unit)?)))
            .collect())),
        _ => None,
    }
}

/// `budget` with its planned limits narrowed (or its schedule expanded) to
/// the window of `today`; any other budget unchanged. A gap leaves the
/// budget as it is.
pub fn windowed(
    budget: &Budget,
    today: NaiveDate,
) -> Result<std::borrow::Cow<'_, Budget>, WindowGap> {
    match planned_window(budget, today) {
        None => Ok(std::borrow::Cow::Borrowed(budget)),
        Some(window) => {
            let mut b = budget.clone();
            b.limit = BudgetLimit::Planned(window?);
            Ok(std::borrow::Cow::Owned(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BudgetType;

    fn d(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    fn usd(amount: i64) -> Spend {
        Spend::new(Decimal::from(amount), "USD")
    }

    fn budget(time_unit: TimeUnit, limit: BudgetLimit) -> Budget {
        Budget {
            name: "p".into(),
            budget_type: BudgetType::Cost,
            time_unit,
            limit,
            start: None,
            end: None,
            cost_types: None,
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

    fn planned(entries: &[(NaiveDate, i64)]) -> BudgetLimit {
        BudgetLimit::Planned(entries.iter().map(|(d, a)| (*d, usd(*a))).collect())
    }

    #[test]
    fn past_periods_are_history_and_never_sent() {
        let b = budget(
            TimeUnit::Monthly,
            planned(&[(d(2026, 11), 900), (d(2026, 12), 1000), (d(2027, 1), 1200)]),
        );
        let window = planned_window(&b, d(2026, 12).with_day(15).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            window.keys().copied().collect::<Vec<_>>(),
            [d(2026, 12), d(2027, 1)]
        );
    }

    #[test]
    fn a_file_that_ended_or_starts_later_has_no_window() {
        let b = budget(
            TimeUnit::Monthly,
            planned(&[(d(2026, 10), 1), (d(2026, 11), 1)]),
        );
        assert_eq!(
            planned_window(&b, d(2026, 12)).unwrap(),
            Err(WindowGap::AgedOut {
                last: d(2026, 11),
                current: d(2026, 12)
            })
        );
        let b = budget(TimeUnit::Monthly, planned(&[(d(2027, 2), 1)]));
        assert_eq!(
            planned_window(&b, d(2026, 12)).unwrap(),
            Err(WindowGap::NotCurrent {
                first: d(2027, 2),
                current: d(2026, 12)
            })
        );
    }

    #[test]
    fn a_budget_starting_later_plans_from_its_start() {
        let mut b = budget(TimeUnit::Monthly, planned(&[(d(2027, 3), 1)]));
        b.start = Some(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
        assert!(planned_window(&b, d(2026, 12)).unwrap().is_ok());
    }

    #[test]
    fn a_schedule_fills_the_window_on_any_date() {
        let schedule = PlannedSchedule {
            every: usd(1000),
            grow: Some(Decimal::from(2)),
            from: Some(d(2026, 1)),
            overrides: [(d(2027, 6), usd(1500))].into(),
        };
        let b = budget(TimeUnit::Monthly, BudgetLimit::Schedule(schedule.clone()));
        for today in [d(2026, 12), d(2031, 7)] {
            let window = planned_window(&b, today).unwrap().unwrap();
            assert_eq!(window.len(), 12, "{today}");
            assert_eq!(*window.keys().next().unwrap(), today);
        }
        let window = planned_window(&b, d(2026, 12)).unwrap().unwrap();
        // Eleven periods of 2% after 2026-01: 1000 × 1.02^11 = 1243.37.
        assert_eq!(window[&d(2026, 12)].amount.to_string(), "1243.37");
        assert_eq!(window[&d(2027, 6)], usd(1500));
        let q = budget(
            TimeUnit::Quarterly,
            BudgetLimit::Schedule(PlannedSchedule {
                grow: None,
                from: None,
                ..schedule
            }),
        );
        let window = planned_window(&q, d(2026, 12)).unwrap().unwrap();
        assert_eq!(
            window.keys().copied().collect::<Vec<_>>(),
            [d(2026, 10), d(2027, 1), d(2027, 4), d(2027, 7)]
        );
        assert!(window.values().all(|s| *s == usd(1000)));
    }
}
