//! Seeded spend (`/_local/spend`) and DescribeBudgetPerformanceHistory.

use serde_json::{Value, json};

use crate::services::budgets::actions::trigger_actions;
use crate::services::budgets::budget::{budget_not_found, find_budget};
use crate::services::budgets::paging::with_token;
use crate::services::budgets::shape::limit_unit;
use crate::services::{Result, s};
use crate::store::PeriodSpend;
use crate::{ApiError, Service, SpendRequest, render};

impl Service {
    /// Seed a budget's current spend and past periods. Notifications and
    /// actions react as AWS's would when spend crosses their thresholds.
    pub fn seed_spend(&self, request: &SpendRequest) -> Result<()> {
        let mut store = self.lock();
        let b = store
            .accounts
            .get_mut(&request.account_id)
            .and_then(|a| a.budgets.get_mut(&request.budget_name))
            .ok_or_else(|| budget_not_found(&request.budget_name))?;
        for amount in [&request.actual_spend, &request.forecasted_spend]
            .into_iter()
            .flatten()
        {
            if render::decimal(amount).is_none() {
                return Err(ApiError::invalid(format!("`{amount}` is not an amount")));
            }
        }
        if request.actual_spend.is_some() {
            b.spend.actual.clone_from(&request.actual_spend);
        }
        if request.forecasted_spend.is_some() {
            b.spend.forecasted.clone_from(&request.forecasted_spend);
        }
        for h in &request.history {
            let start = parse_day(&h.start)?;
            let end = parse_day(&h.end)?;
            b.history.retain(|p| p.start != start);
            b.history.push(PeriodSpend {
                start,
                end,
                budgeted: h.budgeted.clone(),
                actual: h.actual.clone(),
            });
        }
        b.history.sort_by(|x, y| x.start.total_cmp(&y.start));
        if let Some(h) = &request.health_status {
            b.health = Some(health(h)?);
        }
        trigger_actions(b);
        drop(store);
        self.mark(Some((
            request.account_id.clone(),
            request.budget_name.clone(),
        )));
        self.touch();
        Ok(())
    }

    pub(super) fn describe_performance_history(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let unit = limit_unit(&b.budget);
        let (from, to) = time_window(&input["TimePeriod"]);
        let entries: Vec<Value> = b
            .history
            .iter()
            .filter(|h| h.start >= from && h.start < to)
            .map(|h| {
                json!({
                    "BudgetedAmount": { "Amount": render::amount(&h.budgeted), "Unit": unit },
                    "ActualAmount": { "Amount": render::amount(&h.actual), "Unit": unit },
                    "TimePeriod": { "Start": h.start, "End": h.end },
                })
            })
            .collect();
        let scope = format!(
            "DescribeBudgetPerformanceHistory/{}/{}",
            s(&input["AccountId"]),
            s(&input["BudgetName"])
        );
        let (page, next) = self.page(&entries, input, 100, &scope)?;
        let mut history = json!({
            "BudgetName": b.budget["BudgetName"],
            "BudgetType": b.budget["BudgetType"],
            "TimeUnit": b.budget["TimeUnit"],
            "BudgetedAndActualAmountsList": page,
        });
        for key in [
            "CostFilters",
            "CostTypes",
            "BillingViewArn",
            "FilterExpression",
            "Metrics",
        ] {
            if !b.budget[key].is_null() {
                history[key] = b.budget[key].clone();
            }
        }
        Ok(with_token(
            json!({ "BudgetPerformanceHistory": history }),
            next,
        ))
    }
}

/// A HealthStatus as AWS returns it, its values checked against the
/// model's HealthStatusValue and HealthStatusReason.
fn health(h: &crate::HealthRequest) -> Result<Value> {
    const STATUSES: &[&str] = &["HEALTHY", "UNHEALTHY"];
    const REASONS: &[&str] = &[
        "BILLING_VIEW_NO_ACCESS",
        "BILLING_VIEW_UNHEALTHY",
        "FILTER_INVALID",
        "MULTI_YEAR_HISTORICAL_DATA_DISABLED",
    ];
    if !STATUSES.contains(&h.status.as_str()) {
        return Err(ApiError::invalid(format!(
            "`{}` is not a HealthStatusValue: one of {}",
            h.status,
            STATUSES.join(", ")
        )));
    }
    let mut out = json!({ "Status": h.status, "LastUpdatedTime": crate::render::now() });
    if let Some(reason) = &h.status_reason {
        if !REASONS.contains(&reason.as_str()) {
            return Err(ApiError::invalid(format!(
                "`{reason}` is not a HealthStatusReason: one of {}",
                REASONS.join(", ")
            )));
        }
        out["StatusReason"] = json!(reason);
    }
    Ok(out)
}

pub(super) fn time_window(period: &Value) -> (f64, f64) {
    (
        period["Start"].as_f64().unwrap_or(f64::MIN),
        period["End"].as_f64().unwrap_or(f64::MAX),
    )
}

pub(super) fn parse_day(text: &str) -> Result<f64> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp() as f64)
        .ok_or_else(|| ApiError::invalid(format!("`{text}` is not a date (YYYY-MM-DD)")))
}
