//! CreateBudget, DescribeBudget(s), UpdateBudget, DeleteBudget, and how a
//! stored budget is rendered back as AWS renders it.

use serde_json::{Map, Value, json};

use crate::services::budgets::MAX_BUDGETS_PER_ACCOUNT;
use crate::services::budgets::notifications::{normalize_notification, same_notification};
use crate::services::budgets::paging::with_token;
use crate::services::budgets::shape::{limit_unit, normalize_budget};
use crate::services::budgets::subscribers::check_subscribers;
use crate::services::budgets::tags::tag_map;
use crate::services::{Result, s};
use crate::store::{SpendSeed, StoredBudget, StoredNotification};
use crate::{ApiError, ErrorKind, Service, Store, render};

impl Service {
    pub(super) fn create_budget(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let budget = normalize_budget(&input["Budget"], None)?;
        let name = s(&budget["BudgetName"]).to_owned();
        let mut notifications = Vec::new();
        for nws in input["NotificationsWithSubscribers"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let notification = normalize_notification(&nws["Notification"]);
            if notifications
                .iter()
                .any(|n: &StoredNotification| same_notification(&n.notification, &notification))
            {
                return Err(ApiError::invalid(
                    "Duplicate notifications: each notification of a budget needs a distinct type, comparison, threshold and threshold type",
                ));
            }
            let subscribers: Vec<Value> =
                nws["Subscribers"].as_array().cloned().unwrap_or_default();
            check_subscribers(&subscribers)?;
            notifications.push(StoredNotification {
                notification,
                subscribers,
            });
        }
        let tags = tag_map(&input["ResourceTags"])?;
        let mut store = self.lock();
        let acct = store.accounts.entry(account.to_owned()).or_default();
        if acct.budgets.contains_key(&name) {
            return Err(ApiError::duplicate(format!(
                "Error creating budget: {name} - the budget already exists."
            )));
        }
        if acct.budgets.len() >= MAX_BUDGETS_PER_ACCOUNT {
            return Err(ApiError::new(
                ErrorKind::CreationLimitExceeded,
                format!(
                    "You've reached the limit of {MAX_BUDGETS_PER_ACCOUNT} budgets for account {account}"
                ),
            ));
        }
        acct.budgets.insert(
            name,
            StoredBudget {
                budget,
                notifications,
                tags,
                actions: Vec::new(),
                deleted_actions: Vec::new(),
                spend: SpendSeed::default(),
                health: None,
                history: Vec::new(),
            },
        );
        Ok(json!({}))
    }

    pub(super) fn describe_budget(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let show = input["ShowFilterExpression"].as_bool().unwrap_or(false);
        Ok(json!({ "Budget": render_budget(b, show) }))
    }

    pub(super) fn describe_budgets(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let show = input["ShowFilterExpression"].as_bool().unwrap_or(false);
        let store = self.lock();
        let all: Vec<&StoredBudget> = store
            .accounts
            .get(account)
            .map(|a| a.budgets.values().collect())
            .unwrap_or_default();
        let (page, next) = self.page(&all, input, 100, &format!("DescribeBudgets/{account}"))?;
        let budgets: Vec<Value> = page.iter().map(|b| render_budget(b, show)).collect();
        Ok(with_token(json!({ "Budgets": budgets }), next))
    }

    pub(super) fn update_budget(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let name = s(&input["NewBudget"]["BudgetName"]);
        let mut store = self.lock();
        let stored = store
            .accounts
            .get_mut(account)
            .and_then(|a| a.budgets.get_mut(name))
            .ok_or_else(|| budget_not_found(name))?;
        let budget = normalize_budget(&input["NewBudget"], Some(&stored.budget))?;
        if budget["BudgetType"] != stored.budget["BudgetType"] {
            return Err(ApiError::invalid(format!(
                "The budget type of {name} cannot change from {} to {}",
                s(&stored.budget["BudgetType"]),
                s(&budget["BudgetType"])
            )));
        }
        stored.budget = budget;
        // Every update starts the spend calculation over.
        stored.spend = SpendSeed {
            actual: Some("0".into()),
            forecasted: Some("0".into()),
        };
        Ok(json!({}))
    }

    pub(super) fn delete_budget(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let name = s(&input["BudgetName"]);
        let mut store = self.lock();
        store
            .accounts
            .get_mut(account)
            .and_then(|a| a.budgets.remove(name))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "Unable to delete budget: {name} - the budget doesn't exist. Try creating it first. "
                ))
            })?;
        Ok(json!({}))
    }
}

pub(super) fn budget_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!(
        "Unable to get budget: {name} - the budget doesn't exist."
    ))
}

pub(super) fn find_budget<'s>(store: &'s Store, input: &Value) -> Result<&'s StoredBudget> {
    let name = s(&input["BudgetName"]);
    store
        .accounts
        .get(s(&input["AccountId"]))
        .and_then(|a| a.budgets.get(name))
        .ok_or_else(|| budget_not_found(name))
}

pub(super) fn find_budget_mut<'s>(
    store: &'s mut Store,
    input: &Value,
) -> Result<&'s mut StoredBudget> {
    let name = s(&input["BudgetName"]);
    store
        .accounts
        .get_mut(s(&input["AccountId"]))
        .and_then(|a| a.budgets.get_mut(name))
        .ok_or_else(|| budget_not_found(name))
}

/// The budget as AWS returns it.
pub(super) fn render_budget(stored: &StoredBudget, show_filter_expression: bool) -> Value {
    let mut b = stored.budget.clone();
    let unit = limit_unit(&b);
    let now = render::now();
    // Planned and auto-adjusting budgets also carry the current period's limit.
    if let Some(planned) = b["PlannedBudgetLimits"].as_object() {
        let current = current_planned(planned, &b, now);
        if let Some(current) = current {
            b["BudgetLimit"] = current;
        }
    } else if b["AutoAdjustData"].is_object() {
        b["BudgetLimit"] = json!({ "Amount": auto_adjusted_amount(stored), "Unit": unit });
    }
    if let Some(limit) = b.get_mut("BudgetLimit").filter(|v| v.is_object()) {
        limit["Amount"] = json!(render::amount(s(&limit["Amount"])));
    }
    if let Some(planned) = b
        .get_mut("PlannedBudgetLimits")
        .and_then(Value::as_object_mut)
    {
        for spend in planned.values_mut() {
            spend["Amount"] = json!(render::amount(s(&spend["Amount"])));
        }
    }
    if let Some(health) = &stored.health {
        b["HealthStatus"] = health.clone();
    }
    b["CalculatedSpend"] = json!({
        "ActualSpend": { "Amount": render::amount(stored.spend.actual.as_deref().unwrap_or("0")), "Unit": unit },
        "ForecastedSpend": { "Amount": render::amount(stored.spend.forecasted.as_deref().unwrap_or("0")), "Unit": unit },
    });
    if !show_filter_expression && let Some(obj) = b.as_object_mut() {
        obj.remove("FilterExpression");
        obj.remove("Metrics");
    }
    b
}

/// The planned limit of the period containing `now`; before the first key the
/// first, after the last key the last (AWS keeps using it).
pub(super) fn current_planned(
    planned: &Map<String, Value>,
    budget: &Value,
    now: f64,
) -> Option<Value> {
    let start = render::period_start(s(&budget["TimeUnit"]), now);
    let mut entries: Vec<(f64, &Value)> = planned
        .iter()
        .filter_map(|(k, v)| k.parse::<f64>().ok().map(|t| (t, v)))
        .collect();
    entries.sort_by(|a, b| a.0.total_cmp(&b.0));
    entries
        .iter()
        .rev()
        .find(|(t, _)| *t <= start)
        .or(entries.first())
        .map(|(_, v)| (*v).clone())
}

pub(super) fn auto_adjusted_amount(stored: &StoredBudget) -> String {
    let periods = stored.budget["AutoAdjustData"]["HistoricalOptions"]["BudgetAdjustmentPeriod"]
        .as_u64()
        .unwrap_or(1) as usize;
    let recent: Vec<rust_decimal::Decimal> = stored
        .history
        .iter()
        .rev()
        .take(periods.max(1))
        .filter_map(|h| render::decimal(&h.actual))
        .collect();
    if s(&stored.budget["AutoAdjustData"]["AutoAdjustType"]) == "FORECAST" {
        if let Some(f) = stored.spend.forecasted.as_deref() {
            return f.to_owned();
        }
    } else if !recent.is_empty() {
        let sum: rust_decimal::Decimal = recent.iter().sum();
        return (sum / rust_decimal::Decimal::from(recent.len()))
            .round_dp(2)
            .to_string();
    }
    stored.budget["BudgetLimit"]["Amount"]
        .as_str()
        .unwrap_or("0")
        .to_owned()
}

pub(super) fn auto_adjusted_or_fixed(b: &StoredBudget) -> String {
    let rendered = render_budget(b, false);
    s(&rendered["BudgetLimit"]["Amount"]).to_owned()
}
