//! CreateSubscriber, UpdateSubscriber, DeleteSubscriber and
//! DescribeSubscribersForNotification, with AWS's subscriber limits.

use serde_json::{Value, json};

use crate::services::budgets::budget::{find_budget, find_budget_mut};
use crate::services::budgets::notifications::{
    normalize_notification, notification_index, notification_key, notification_not_found,
    same_notification,
};
use crate::services::budgets::paging::with_token;
use crate::services::budgets::{MAX_EMAIL_SUBSCRIBERS, MAX_SNS_SUBSCRIBERS};
use crate::services::{Result, s};
use crate::{ApiError, ErrorKind, Service};

impl Service {
    pub(super) fn create_subscriber(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let subscriber = input["Subscriber"].clone();
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &notification)?;
        let subscribers = &mut b.notifications[index].subscribers;
        if subscribers.iter().any(|x| same_subscriber(x, &subscriber)) {
            return Err(ApiError::duplicate(format!(
                "Error creating subscriber: {} is already subscribed.",
                s(&subscriber["Address"])
            )));
        }
        let mut after = subscribers.clone();
        after.push(subscriber.clone());
        check_subscriber_counts(&after)
            .map_err(|e| ApiError::new(ErrorKind::CreationLimitExceeded, e.message))?;
        subscribers.push(subscriber);
        Ok(json!({}))
    }

    pub(super) fn update_subscriber(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let old = &input["OldSubscriber"];
        let new = input["NewSubscriber"].clone();
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &notification)?;
        let subscribers = &mut b.notifications[index].subscribers;
        let at = subscribers
            .iter()
            .position(|x| same_subscriber(x, old))
            .ok_or_else(|| {
                ApiError::not_found(format!("Subscriber {} does not exist.", s(&old["Address"])))
            })?;
        if !same_subscriber(old, &new) && subscribers.iter().any(|x| same_subscriber(x, &new)) {
            return Err(ApiError::duplicate(format!(
                "Error updating subscriber: {} is already subscribed.",
                s(&new["Address"])
            )));
        }
        let mut after = subscribers.clone();
        after[at] = new.clone();
        check_subscriber_counts(&after)?;
        subscribers[at] = new;
        Ok(json!({}))
    }

    pub(super) fn delete_subscriber(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let subscriber = &input["Subscriber"];
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &notification)?;
        let subscribers = &mut b.notifications[index].subscribers;
        let at = subscribers
            .iter()
            .position(|x| same_subscriber(x, subscriber))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "Subscriber {} does not exist.",
                    s(&subscriber["Address"])
                ))
            })?;
        subscribers.remove(at);
        // AWS deletes a notification together with its last subscriber.
        if subscribers.is_empty() {
            b.notifications.remove(index);
        }
        Ok(json!({}))
    }

    pub(super) fn describe_subscribers(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let n = b
            .notifications
            .iter()
            .find(|n| same_notification(&n.notification, &notification))
            .ok_or_else(notification_not_found)?;
        let scope = format!(
            "DescribeSubscribersForNotification/{}/{}/{}",
            s(&input["AccountId"]),
            s(&input["BudgetName"]),
            notification_key(&notification)
        );
        let (page, next) = self.page(&n.subscribers, input, 100, &scope)?;
        Ok(with_token(json!({ "Subscribers": page }), next))
    }
}

pub(super) fn same_subscriber(a: &Value, b: &Value) -> bool {
    a["SubscriptionType"] == b["SubscriptionType"] && a["Address"] == b["Address"]
}

pub(super) fn check_subscriber_counts(subscribers: &[Value]) -> Result<()> {
    let sns = subscribers
        .iter()
        .filter(|x| x["SubscriptionType"] == "SNS")
        .count();
    let email = subscribers.len() - sns;
    if sns > MAX_SNS_SUBSCRIBERS {
        return Err(ApiError::invalid(
            "A notification can have at most one SNS subscriber",
        ));
    }
    if email > MAX_EMAIL_SUBSCRIBERS {
        return Err(ApiError::invalid(
            "A notification can have at most 10 email subscribers",
        ));
    }
    Ok(())
}

pub(super) fn check_subscribers(subscribers: &[Value]) -> Result<()> {
    check_subscriber_counts(subscribers)?;
    for (i, a) in subscribers.iter().enumerate() {
        if s(&a["Address"]).contains(['\n', '\r']) {
            return Err(ApiError::invalid(
                "A subscriber address can't contain line breaks",
            ));
        }
        if subscribers[..i].iter().any(|b| same_subscriber(a, b)) {
            return Err(ApiError::invalid(format!(
                "Duplicate subscriber {}",
                s(&a["Address"])
            )));
        }
    }
    Ok(())
}
