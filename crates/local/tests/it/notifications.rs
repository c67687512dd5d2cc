//! Notifications, subscribers and tags through the real SDK.

use crate::common;

use aws_sdk_budgets::types::{ComparisonOperator, Notification, NotificationType, ThresholdType};
use common::*;

async fn budget_with_alert(c: &aws_sdk_budgets::Client, name: &str) {
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget(name, "100"))
        .send()
        .await
        .unwrap();
    c.create_notification()
        .account_id(ACCOUNT)
        .budget_name(name)
        .notification(notification(80.0))
        .subscribers(email("a@example.com"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn threshold_type_is_left_out_when_it_is_percentage() {
    let server = server().await;
    let c = client(&server);
    budget_with_alert(&c, "b").await;
    let absolute = Notification::builder()
        .notification_type(NotificationType::Forecasted)
        .comparison_operator(ComparisonOperator::GreaterThan)
        .threshold(500.0)
        .threshold_type(ThresholdType::AbsoluteValue)
        .build()
        .unwrap();
    c.create_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(absolute)
        .subscribers(email("a@example.com"))
        .send()
        .await
        .unwrap();
    let listed = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap();
    let n = listed.notifications();
    assert_eq!(n.len(), 2);
    assert_eq!(n[0].threshold_type(), None, "PERCENTAGE is omitted");
    assert_eq!(n[1].threshold_type(), Some(&ThresholdType::AbsoluteValue));
    assert_eq!(n[0].notification_state().map(|s| s.as_str()), Some("OK"));
}

#[tokio::test]
async fn a_notification_without_threshold_type_is_the_percentage_one() {
    let server = server().await;
    let c = client(&server);
    budget_with_alert(&c, "b").await;
    let implicit = Notification::builder()
        .notification_type(NotificationType::Actual)
        .comparison_operator(ComparisonOperator::GreaterThan)
        .threshold(80.0)
        .build()
        .unwrap();
    let dup = c
        .create_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(implicit)
        .subscribers(email("b@example.com"))
        .send()
        .await;
    assert_eq!(code(dup), "DuplicateRecordException");
}

#[tokio::test]
async fn notifications_update_in_place_and_delete() {
    let server = server().await;
    let c = client(&server);
    budget_with_alert(&c, "b").await;
    c.update_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .old_notification(notification(80.0))
        .new_notification(notification(90.0))
        .send()
        .await
        .unwrap();
    let subs = c
        .describe_subscribers_for_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(notification(90.0))
        .send()
        .await
        .unwrap();
    assert_eq!(
        subs.subscribers()[0].address(),
        "a@example.com",
        "subscribers stay with the notification"
    );
    let missing = c
        .update_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .old_notification(notification(80.0))
        .new_notification(notification(95.0))
        .send()
        .await;
    assert_eq!(code(missing), "NotFoundException");
    c.delete_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(notification(90.0))
        .send()
        .await
        .unwrap();
    let listed = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap();
    assert!(listed.notifications().is_empty());
    let gone = c
        .delete_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(notification(90.0))
        .send()
        .await;
    assert_eq!(code(gone), "NotFoundException");
}

#[tokio::test]
async fn at_most_ten_notifications_a_budget() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("b", "100"))
        .send()
        .await
        .unwrap();
    for i in 0..10 {
        c.create_notification()
            .account_id(ACCOUNT)
            .budget_name("b")
            .notification(notification(f64::from(10 + i)))
            .subscribers(email("a@example.com"))
            .send()
            .await
            .unwrap();
    }
    let eleventh = c
        .create_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(notification(99.0))
        .subscribers(email("a@example.com"))
        .send()
        .await;
    assert_eq!(code(eleventh), "CreationLimitExceededException");
}

#[tokio::test]
async fn subscribers_are_added_changed_and_removed() {
    let server = server().await;
    let c = client(&server);
    budget_with_alert(&c, "b").await;
    let add = |s| {
        c.create_subscriber()
            .account_id(ACCOUNT)
            .budget_name("b")
            .notification(notification(80.0))
            .subscriber(s)
            .send()
    };
    add(sns("alerts")).await.unwrap();
    assert_eq!(
        code(add(email("a@example.com")).await),
        "DuplicateRecordException"
    );
    assert_eq!(
        code(add(sns("second-topic")).await),
        "CreationLimitExceededException"
    );
    c.update_subscriber()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(notification(80.0))
        .old_subscriber(email("a@example.com"))
        .new_subscriber(email("c@example.com"))
        .send()
        .await
        .unwrap();
    let subs = c
        .describe_subscribers_for_notification()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(notification(80.0))
        .send()
        .await
        .unwrap();
    let addresses: Vec<&str> = subs.subscribers().iter().map(|s| s.address()).collect();
    assert_eq!(
        addresses,
        ["c@example.com", "arn:aws:sns:us-east-1:111122223333:alerts"]
    );
    let missing = c
        .delete_subscriber()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(notification(80.0))
        .subscriber(email("nobody@example.com"))
        .send()
        .await;
    assert_eq!(code(missing), "NotFoundException");
}

#[tokio::test]
async fn deleting_the_last_subscriber_deletes_the_notification() {
    let server = server().await;
    let c = client(&server);
    budget_with_alert(&c, "b").await;
    c.delete_subscriber()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification(notification(80.0))
        .subscriber(email("a@example.com"))
        .send()
        .await
        .unwrap();
    let listed = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap();
    assert!(listed.notifications().is_empty());
}

#[tokio::test]
async fn all_notifications_of_an_account_in_one_call() {
    let server = server().await;
    let c = client(&server);
    budget_with_alert(&c, "a").await;
    budget_with_alert(&c, "b").await;
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("quiet", "1"))
        .send()
        .await
        .unwrap();
    let all = c
        .describe_budget_notifications_for_account()
        .account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = all
        .budget_notifications_for_account()
        .iter()
        .map(|b| b.budget_name().unwrap())
        .collect();
    assert_eq!(
        names,
        ["a", "b"],
        "budgets without notifications are left out"
    );
}

#[tokio::test]
async fn spend_past_a_threshold_puts_the_notification_in_alarm() {
    let server = server().await;
    let c = client(&server);
    budget_with_alert(&c, "b").await;
    seed_spend(&server, "b", Some("85"), None);
    let listed = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.notifications()[0]
            .notification_state()
            .map(|s| s.as_str()),
        Some("ALARM")
    );
}

#[tokio::test]
async fn tags_are_added_replaced_listed_and_removed() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("b", "1"))
        .send()
        .await
        .unwrap();
    let arn = format!("arn:aws:budgets::{ACCOUNT}:budget/b");
    let tag = |k: &str, v: &str| {
        aws_sdk_budgets::types::ResourceTag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    c.tag_resource()
        .resource_arn(&arn)
        .resource_tags(tag("owner", "finops"))
        .resource_tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    c.tag_resource()
        .resource_arn(&arn)
        .resource_tags(tag("owner", "platform"))
        .send()
        .await
        .unwrap();
    c.untag_resource()
        .resource_arn(&arn)
        .resource_tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = tags
        .resource_tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(pairs, [("owner", "platform")]);

    let reserved = c
        .tag_resource()
        .resource_arn(&arn)
        .resource_tags(tag("aws:owner", "x"))
        .send()
        .await;
    assert_eq!(code(reserved), "InvalidParameterException");
    let missing = c
        .list_tags_for_resource()
        .resource_arn(format!("arn:aws:budgets::{ACCOUNT}:budget/none"))
        .send()
        .await;
    assert_eq!(code(missing), "NotFoundException");
    let not_an_arn = c
        .list_tags_for_resource()
        .resource_arn("budget/b")
        .send()
        .await;
    assert_eq!(code(not_an_arn), "InvalidParameterException");
    let many: Vec<_> = (0..201).map(|i| tag(&format!("k{i}"), "v")).collect();
    let too_many = c
        .tag_resource()
        .resource_arn(&arn)
        .set_resource_tags(Some(many))
        .send()
        .await;
    assert_eq!(
        code(too_many),
        "InvalidParameterException",
        "the model caps a request at 200"
    );
    let batch: Vec<_> = (0..200).map(|i| tag(&format!("k{i}"), "v")).collect();
    let over_quota = c
        .tag_resource()
        .resource_arn(&arn)
        .set_resource_tags(Some(batch))
        .send()
        .await;
    assert_eq!(
        code(over_quota),
        "ServiceQuotaExceededException",
        "the budget would have 201"
    );
}
