//! CreateNotification, UpdateNotification, DeleteNotification and the
//! notification reads, with AWS's identity of a notification.

use serde_json::{Value, json};

use crate::services::budgets::MAX_NOTIFICATIONS;
use crate::services::budgets::budget::{auto_adjusted_or_fixed, find_budget, find_budget_mut};
use crate::services::budgets::paging::with_token;
use crate::services::budgets::subscribers::check_subscribers;
use crate::services::{Result, s};
use crate::store::{StoredBudget, StoredNotification};
use crate::{ApiError, ErrorKind, Service, render};

impl Service {
    pub(super) fn create_notification(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let subscribers = input["Subscribers"].as_array().cloned().unwrap_or_default();
        check_subscribers(&subscribers)?;
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input).map_err(|_| {
            ApiError::not_found("Unable to create notification - the budget doesn't exist.")
        })?;
        if b.notifications
            .iter()
            .any(|n| same_notification(&n.notification, &notification))
        {
            return Err(ApiError::duplicate(
                "Error creating notification: the notification already exists.",
            ));
        }
        if b.notifications.len() >= MAX_NOTIFICATIONS {
            return Err(ApiError::new(
                ErrorKind::CreationLimitExceeded,
                format!("A budget can have at most {MAX_NOTIFICATIONS} notifications"),
            ));
        }
        b.notifications.push(StoredNotification {
            notification,
            subscribers,
        });
        Ok(json!({}))
    }

    pub(super) fn update_notification(&self, input: &Value) -> Result<Value> {
        let old = normalize_notification(&input["OldNotification"]);
        let new = normalize_notification(&input["NewNotification"]);
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &old)?;
        if !same_notification(&old, &new)
            && b.notifications
                .iter()
                .any(|n| same_notification(&n.notification, &new))
        {
            return Err(ApiError::duplicate(
                "Error updating notification: the new notification already exists.",
            ));
        }
        b.notifications[index].notification = new;
        Ok(json!({}))
    }

    pub(super) fn delete_notification(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input).map_err(|_| {
            ApiError::not_found("Unable to delete notification - the budget doesn't exist.")
        })?;
        let index = notification_index(b, &notification)?;
        b.notifications.remove(index);
        Ok(json!({}))
    }

    pub(super) fn describe_notifications_for_budget(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let rendered: Vec<Value> = b
            .notifications
            .iter()
            .map(|n| render_notification(b, n))
            .collect();
        let scope = format!(
            "DescribeNotificationsForBudget/{}/{}",
            s(&input["AccountId"]),
            s(&input["BudgetName"])
        );
        let (page, next) = self.page(&rendered, input, 100, &scope)?;
        Ok(with_token(json!({ "Notifications": page }), next))
    }

    pub(super) fn describe_notifications_for_account(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let store = self.lock();
        let entries: Vec<Value> = store
            .accounts
            .get(account)
            .map(|a| {
                a.budgets
                    .iter()
                    .filter(|(_, b)| !b.notifications.is_empty())
                    .map(|(name, b)| {
                        json!({
                            "BudgetName": name,
                            "Notifications": b.notifications.iter().map(|n| render_notification(b, n)).collect::<Vec<_>>(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let scope = format!("DescribeBudgetNotificationsForAccount/{account}");
        let (page, next) = self.page(&entries, input, 100, &scope)?;
        Ok(with_token(
            json!({ "BudgetNotificationsForAccount": page }),
            next,
        ))
    }
}

pub(super) fn notification_not_found() -> ApiError {
    ApiError::not_found("Unable to find the notification: the notification doesn't exist.")
}

/// Stored form of a notification: ThresholdType always present.
pub(super) fn normalize_notification(n: &Value) -> Value {
    json!({
        "NotificationType": n["NotificationType"],
        "ComparisonOperator": n["ComparisonOperator"],
        "Threshold": n["Threshold"].as_f64().unwrap_or(0.0),
        "ThresholdType": n["ThresholdType"].as_str().unwrap_or("PERCENTAGE"),
    })
}

pub(super) fn same_notification(a: &Value, b: &Value) -> bool {
    a["NotificationType"] == b["NotificationType"]
        && a["ComparisonOperator"] == b["ComparisonOperator"]
        && a["Threshold"].as_f64() == b["Threshold"].as_f64()
        && a["ThresholdType"] == b["ThresholdType"]
}

pub(super) fn notification_key(n: &Value) -> String {
    format!(
        "{}:{}:{}:{}",
        s(&n["NotificationType"]),
        s(&n["ComparisonOperator"]),
        n["Threshold"].as_f64().unwrap_or(0.0),
        s(&n["ThresholdType"])
    )
}

pub(super) fn notification_index(b: &StoredBudget, n: &Value) -> Result<usize> {
    b.notifications
        .iter()
        .position(|x| same_notification(&x.notification, n))
        .ok_or_else(notification_not_found)
}

/// The notification as AWS returns it: ThresholdType left out when it is
/// PERCENTAGE, and the state computed from the seeded spend.
pub(super) fn render_notification(b: &StoredBudget, n: &StoredNotification) -> Value {
    let mut out = n.notification.clone();
    if out["ThresholdType"] == "PERCENTAGE"
        && let Some(obj) = out.as_object_mut()
    {
        obj.remove("ThresholdType");
    }
    out["NotificationState"] = json!(if in_alarm(b, &n.notification) {
        "ALARM"
    } else {
        "OK"
    });
    out
}

/// Whether the seeded spend has crossed a notification's threshold.
pub(super) fn in_alarm(b: &StoredBudget, n: &Value) -> bool {
    let spend = if n["NotificationType"] == "FORECASTED" {
        &b.spend.forecasted
    } else {
        &b.spend.actual
    };
    let Some(spend) = spend.as_deref().and_then(render::decimal) else {
        return false;
    };
    let threshold =
        rust_decimal::Decimal::try_from(n["Threshold"].as_f64().unwrap_or(0.0)).unwrap_or_default();
    let limit = render::decimal(&auto_adjusted_or_fixed(b)).unwrap_or_default();
    let line = if n["ThresholdType"] == "ABSOLUTE_VALUE" {
        threshold
    } else {
        limit * threshold / rust_decimal::Decimal::ONE_HUNDRED
    };
    match s(&n["ComparisonOperator"]) {
        "GREATER_THAN" => spend > line,
        "LESS_THAN" => spend < line,
        _ => spend == line,
    }
}
