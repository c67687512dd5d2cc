//! What AWS makes of a budget it is sent: defaults filled in, amounts and
//! planned limits checked, the combinations it refuses refused.

use serde_json::{Map, Value, json};

use crate::services::{Result, s};
use crate::{ApiError, render};

/// Validate and normalise a Budget for storage: exactly one way to set the
/// limit, RI/SP limits of 100, defaults for dates and cost types.
pub(super) fn normalize_budget(input: &Value, previous: Option<&Value>) -> Result<Value> {
    let mut b = input.clone();
    let Some(obj) = b.as_object_mut() else {
        return Err(ApiError::invalid("Budget must be a structure"));
    };
    // Computed fields are the service's, not the caller's.
    for computed in ["CalculatedSpend", "LastUpdatedTime", "HealthStatus"] {
        obj.remove(computed);
    }
    let budget_type = s(&obj["BudgetType"]).to_owned();
    let time_unit = s(&obj["TimeUnit"]).to_owned();
    let has_limit = obj.get("BudgetLimit").is_some_and(|v| !v.is_null());
    let has_planned = obj.get("PlannedBudgetLimits").is_some_and(|v| !v.is_null());
    let has_auto = obj.get("AutoAdjustData").is_some_and(|v| !v.is_null());
    if has_limit && has_planned {
        return Err(ApiError::invalid(
            "You can't use BudgetLimit with PlannedBudgetLimits: set one of them",
        ));
    }
    if has_planned && has_auto {
        return Err(ApiError::invalid(
            "You can't use PlannedBudgetLimits with AutoAdjustData: set one of them",
        ));
    }
    // "Use either FilterExpression and Metrics, or CostFilters and
    // CostTypes, not both" (CreateBudget / UpdateBudget in the model).
    let present = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Object(m)) => !m.is_empty() || key == "CostTypes",
        Some(_) => true,
    };
    if present("FilterExpression") {
        for legacy in ["CostFilters", "CostTypes"] {
            if present(legacy) {
                return Err(ApiError::invalid(format!(
                    "FilterExpression cannot be used with {legacy}: use either FilterExpression and Metrics, or CostFilters and CostTypes"
                )));
            }
        }
    }
    let ri_or_sp = !matches!(budget_type.as_str(), "COST" | "USAGE");
    if ri_or_sp {
        if has_planned || has_auto {
            return Err(ApiError::invalid(format!(
                "{budget_type} budgets support neither PlannedBudgetLimits nor AutoAdjustData"
            )));
        }
        if has_limit {
            let amount = render::decimal(s(&obj["BudgetLimit"]["Amount"]));
            if amount != Some(rust_decimal::Decimal::ONE_HUNDRED) {
                return Err(ApiError::invalid(format!(
                    "The BudgetLimit of {budget_type} budgets must be 100"
                )));
            }
        }
        obj.insert(
            "BudgetLimit".into(),
            json!({ "Amount": "100", "Unit": "PERCENTAGE" }),
        );
    } else if !has_limit && !has_planned && !has_auto {
        return Err(ApiError::invalid(
            "Unable to create/update budget - please provide one of the followings: Budget Limit/ Planned Budget Limit/ Auto Adjust Data",
        ));
    }
    if has_planned && !matches!(time_unit.as_str(), "MONTHLY" | "QUARTERLY") {
        return Err(ApiError::invalid(
            "PlannedBudgetLimits are supported for MONTHLY and QUARTERLY budgets only",
        ));
    }
    if has_auto && time_unit == "CUSTOM" {
        return Err(ApiError::invalid(
            "Auto-adjusting budgets cannot have a CUSTOM TimeUnit",
        ));
    }
    // Amounts are kept as plain decimals; responses re-render them.
    if let Some(limit) = obj.get_mut("BudgetLimit").filter(|v| !v.is_null()) {
        normalize_spend(limit)?;
    }
    if let Some(planned) = obj
        .get_mut("PlannedBudgetLimits")
        .and_then(Value::as_object_mut)
    {
        for spend in planned.values_mut() {
            normalize_spend(spend)?;
        }
    }
    if let Some(auto) = obj.get_mut("AutoAdjustData").and_then(Value::as_object_mut) {
        let kind = s(&auto["AutoAdjustType"]).to_owned();
        if kind == "HISTORICAL" {
            let periods = auto
                .get("HistoricalOptions")
                .and_then(|h| h["BudgetAdjustmentPeriod"].as_u64())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "HISTORICAL auto-adjustment needs HistoricalOptions.BudgetAdjustmentPeriod",
                    )
                })?;
            let max = match time_unit.as_str() {
                "DAILY" => 60,
                "MONTHLY" => 12,
                "QUARTERLY" => 4,
                _ => 1,
            };
            if periods == 0 || periods > max {
                return Err(ApiError::invalid(format!(
                    "BudgetAdjustmentPeriod for a {time_unit} budget must be between 1 and {max}"
                )));
            }
            auto.insert(
                "HistoricalOptions".into(),
                json!({ "BudgetAdjustmentPeriod": periods, "LookBackAvailablePeriods": periods }),
            );
        }
        let last = previous
            .and_then(|p| p["AutoAdjustData"]["LastAutoAdjustTime"].as_f64())
            .unwrap_or_else(render::now);
        auto.insert("LastAutoAdjustTime".into(), json!(last));
    }
    // AWS fills in every cost type of a cost budget.
    if budget_type == "COST" {
        let mut cost_types = Map::new();
        for (key, default) in COST_TYPE_DEFAULTS {
            let given = obj
                .get("CostTypes")
                .and_then(|c| c.get(key))
                .and_then(Value::as_bool);
            cost_types.insert(key.to_owned(), json!(given.unwrap_or(default)));
        }
        obj.insert("CostTypes".into(), Value::Object(cost_types));
    }
    if obj.get("CostFilters").is_none_or(Value::is_null) {
        obj.insert("CostFilters".into(), json!({}));
    }
    // Default dates: the start of the current period, and 2087-06-15.
    let now = render::now();
    let period = obj.get("TimePeriod").cloned().unwrap_or(Value::Null);
    let start = period["Start"]
        .as_f64()
        .or_else(|| previous.and_then(|p| p["TimePeriod"]["Start"].as_f64()))
        .unwrap_or_else(|| render::period_start(&time_unit, now));
    let end = period["End"].as_f64().unwrap_or_else(render::default_end);
    if start >= end {
        return Err(ApiError::invalid(
            "The TimePeriod start must come before its end",
        ));
    }
    if end > render::default_end() {
        return Err(ApiError::invalid(
            "The TimePeriod end must be on or before 2087-06-15",
        ));
    }
    if let Some(planned) = obj.get("PlannedBudgetLimits").and_then(Value::as_object) {
        check_planned_keys(planned, &time_unit, start, now)?;
    }
    obj.insert("TimePeriod".into(), json!({ "Start": start, "End": end }));
    obj.insert("LastUpdatedTime".into(), json!(now));
    Ok(b)
}

/// PlannedBudgetLimits as the Budget shape documents them: keyed by the
/// start of a month (or quarter) in UTC epoch seconds, from the current
/// period (or the budget's start, when later) on, at most 12 months or 4
/// quarters.
pub(super) fn check_planned_keys(
    planned: &Map<String, Value>,
    time_unit: &str,
    start: f64,
    now: f64,
) -> Result<()> {
    let max = if time_unit == "QUARTERLY" { 4 } else { 12 };
    if planned.len() > max {
        return Err(ApiError::invalid(format!(
            "PlannedBudgetLimits of a {time_unit} budget take at most {max} entries, not {}",
            planned.len()
        )));
    }
    let current = render::period_start(time_unit, now).max(render::period_start(time_unit, start));
    let mut has_current = false;
    for key in planned.keys() {
        let at = key.parse::<f64>().map_err(|_| {
            ApiError::invalid(format!(
                "PlannedBudgetLimits key {key:?} is not a time in epoch seconds"
            ))
        })?;
        if render::period_start(time_unit, at) != at {
            return Err(ApiError::invalid(format!(
                "PlannedBudgetLimits key {key} is not the start of a {time_unit} period (UTC)"
            )));
        }
        if at < current {
            return Err(ApiError::invalid(format!(
                "PlannedBudgetLimits key {key} lies before the current period: planned limits start from the current period"
            )));
        }
        has_current |= at == current;
    }
    if !has_current {
        return Err(ApiError::invalid(format!(
            "PlannedBudgetLimits must include the current period (key {})",
            current as i64
        )));
    }
    Ok(())
}

pub(super) const COST_TYPE_DEFAULTS: [(&str, bool); 11] = [
    ("IncludeTax", true),
    ("IncludeSubscription", true),
    ("UseBlended", false),
    ("IncludeRefund", true),
    ("IncludeCredit", true),
    ("IncludeUpfront", true),
    ("IncludeRecurring", true),
    ("IncludeOtherSubscription", true),
    ("IncludeSupport", true),
    ("IncludeDiscount", true),
    ("UseAmortized", false),
];

pub(super) fn normalize_spend(spend: &mut Value) -> Result<()> {
    let amount = s(&spend["Amount"]).to_owned();
    let value = render::decimal(&amount)
        .ok_or_else(|| ApiError::invalid(format!("{amount} is not a valid amount")))?;
    spend["Amount"] = json!(value.normalize().to_string());
    Ok(())
}

pub(super) fn limit_unit(budget: &Value) -> String {
    let unit = budget["BudgetLimit"]["Unit"].as_str().or_else(|| {
        budget["PlannedBudgetLimits"]
            .as_object()
            .and_then(|p| p.values().next())
            .and_then(|v| v["Unit"].as_str())
    });
    unit.unwrap_or("USD").to_owned()
}
