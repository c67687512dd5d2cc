//! Where every budget stands, decided purely from live state and the files
//! ("today" is a parameter): the limit in force this period and what sets
//! it, actual and forecasted spend against it, the variance, its alerts'
//! states, its health, its actions that are PENDING or executed, the
//! responses due, and its history. `budgetctl status` reads and renders;
//! everything it says is decided here.

use std::collections::HashMap;

pub use budgetctl_model::live::{Health, PastPeriod};
use budgetctl_model::live::{Live, LiveSpend};
use budgetctl_model::{AccountId, ActionStatus, Config, NotificationKey, Spend, TimeUnit};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::compare::in_force;
use crate::percent_of;
use crate::respond::{BudgetSpend, Verdict, assess};

/// One budget's standing this period.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetStatus {
    pub account: AccountId,
    pub name: String,
    pub period: TimeUnit,
    /// Whether a file declares it (an unmanaged budget is listed and marked).
    pub managed: bool,
    /// The limit in force this period; `None` where it is no amount (RI
    /// and Savings Plans budgets) or AWS has not sized it.
    pub limit: Option<Spend>,
    /// What sets the limit when no one amount does: `planned for 2026-12`.
    pub set_by: Option<String>,
    pub spend: Option<LiveSpend>,
    /// Each alert and whether it is in ALARM.
    pub alerts: Vec<(NotificationKey, bool)>,
    /// HealthStatus, only where AWS reports one that is not healthy.
    pub health: Option<Health>,
    /// Actions PENDING or executed, by name (or id where it has none).
    pub actions: Vec<(String, ActionStatus)>,
    /// Responses (the files') whose line spend is past: the next
    /// `budgetctl respond` runs them.
    pub responses_due: Vec<String>,
    /// Past periods, oldest first, where they were read.
    pub history: Vec<PastPeriod>,
}

/// How far off track a budget is, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Actual spend is over the limit.
    Over,
    /// Forecasted spend is over the limit.
    ForecastOver,
    /// Within the limit, actual and forecast.
    OnTrack,
    /// No limit or no spend to compare.
    Unknown,
}

impl BudgetStatus {
    /// `ACCOUNT/NAME`.
    pub fn address(&self) -> String {
        format!("{}/{}", self.account, self.name)
    }

    /// The limit in the spend's unit, when they compare.
    fn comparable_limit(&self) -> Option<Decimal> {
        let (limit, spend) = (self.limit.as_ref()?, self.spend.as_ref()?);
        (limit.unit == spend.unit && !limit.amount.is_zero()).then_some(limit.amount)
    }

    /// Actual spend as a whole percentage of the limit.
    pub fn actual_percent(&self) -> Option<Decimal> {
        percent_of(self.spend.as_ref()?.actual, self.comparable_limit()?)
    }

    /// Forecasted spend as a whole percentage of the limit.
    pub fn forecasted_percent(&self) -> Option<Decimal> {
        percent_of(self.spend.as_ref()?.forecasted?, self.comparable_limit()?)
    }

    /// Forecast − limit: positive when the period is forecast to end over.
    pub fn variance(&self) -> Option<Decimal> {
        Some(self.spend.as_ref()?.forecasted? - self.comparable_limit()?)
    }

    pub fn standing(&self) -> Standing {
        let (Some(limit), Some(spend)) = (self.comparable_limit(), self.spend.as_ref()) else {
            return Standing::Unknown;
        };
        if spend.actual > limit {
            Standing::Over
        } else if spend.forecasted.is_some_and(|f| f > limit) {
            Standing::ForecastOver
        } else {
            Standing::OnTrack
        }
    }

    /// The larger of the actual and forecasted percentages.
    pub fn worst_percent(&self) -> Option<Decimal> {
        match (self.actual_percent(), self.forecasted_percent()) {
            (Some(a), Some(f)) => Some(a.max(f)),
            (a, f) => a.or(f),
        }
    }
}

/// How rows are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Over, then forecast over, then by the larger percentage, then by name.
    #[default]
    Risk,
    /// By account, then name.
    Name,
    /// By actual spend, largest first.
    Spend,
}

/// Every budget of `accounts` in `live`, declared or not, in `sort` order.
pub fn status(
    config: &Config,
    live: &Live,
    accounts: &[AccountId],
    today: NaiveDate,
    sort: Sort,
) -> Vec<BudgetStatus> {
    let declared: HashMap<(&AccountId, &str), &budgetctl_model::Budget> = config
        .budgets
        .iter()
        .map(|d| ((&d.account, d.budget.name.as_str()), &d.budget))
        .collect();
    let mut rows: Vec<BudgetStatus> = live
        .budgets
        .iter()
        .filter(|l| accounts.contains(&l.account))
        .map(|l| {
            let file = declared.get(&(&l.account, l.budget.name.as_str())).copied();
            let limit = in_force(&l.budget, l.limit_now.as_ref(), today);
            let due = file
                .map(|b| {
                    let spend = BudgetSpend {
                        name: b.name.clone(),
                        limit: l.limit_now.clone(),
                        spend: l.spend.clone(),
                    };
                    assess(b, Some(&spend), today)
                        .into_iter()
                        .filter(|a| matches!(a.verdict, Verdict::Due { .. }))
                        .map(|a| a.response.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            BudgetStatus {
                account: l.account.clone(),
                name: l.budget.name.clone(),
                period: l.budget.time_unit,
                managed: file.is_some(),
                set_by: limit.as_ref().and_then(|(_, by)| by.clone()),
                limit: limit.map(|(s, _)| s),
                spend: l.spend.clone(),
                alerts: l
                    .budget
                    .notifications
                    .iter()
                    .map(|n| (n.key.clone(), l.alarms.contains(&n.key)))
                    .collect(),
                health: l.health.clone().filter(|h| !h.is_healthy()),
                actions: l
                    .actions
                    .iter()
                    .filter(|a| a.status != ActionStatus::Standby)
                    .map(|a| (a.label().to_owned(), a.status))
                    .collect(),
                responses_due: due,
                history: l.history.clone(),
            }
        })
        .collect();
    sort_rows(&mut rows, sort);
    rows
}

/// Order rows as `sort` says; ties by account and name.
pub fn sort_rows(rows: &mut [BudgetStatus], sort: Sort) {
    let by_name = |r: &BudgetStatus| (r.account.clone(), r.name.clone());
    match sort {
        Sort::Name => rows.sort_by_key(by_name),
        Sort::Risk => rows.sort_by(|a, b| {
            (
                a.standing(),
                std::cmp::Reverse(a.worst_percent()),
                by_name(a),
            )
                .cmp(&(
                    b.standing(),
                    std::cmp::Reverse(b.worst_percent()),
                    by_name(b),
                ))
        }),
        Sort::Spend => rows.sort_by(|a, b| {
            let spent = |r: &BudgetStatus| std::cmp::Reverse(r.spend.as_ref().map(|s| s.actual));
            (spent(a), by_name(a)).cmp(&(spent(b), by_name(b)))
        }),
    }
}

/// The sums of one account's budgets in one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Total {
    pub account: AccountId,
    pub unit: String,
    pub limit: Decimal,
    pub actual: Decimal,
    pub forecasted: Decimal,
    /// How many budgets count in it.
    pub budgets: usize,
}

/// Totals per account and unit, of budgets whose limit and spend are in
/// that unit, in account and unit order.
pub fn totals(rows: &[BudgetStatus]) -> Vec<Total> {
    let mut sums: std::collections::BTreeMap<(&AccountId, &str), Total> = Default::default();
    for r in rows {
        let (Some(limit), Some(spend)) = (&r.limit, &r.spend) else {
            continue;
        };
        if limit.unit != spend.unit {
            continue;
        }
        let t = sums
            .entry((&r.account, limit.unit.as_str()))
            .or_insert_with(|| Total {
                account: r.account.clone(),
                unit: limit.unit.clone(),
                limit: Decimal::ZERO,
                actual: Decimal::ZERO,
                forecasted: Decimal::ZERO,
                budgets: 0,
            });
        t.limit += limit.amount;
        t.actual += spend.actual;
        t.forecasted += spend.forecasted.unwrap_or(spend.actual);
        t.budgets += 1;
    }
    sums.into_values().collect()
}
