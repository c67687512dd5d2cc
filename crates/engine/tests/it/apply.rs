//! Carry plans out against budgetctl-local through the real SDK: each kind of
//! change with exactly the minimal write calls, then a plan with no changes;
//! nothing written twice; convergence under throttling, server errors and
//! lost answers; stale plans refused; unmanaged and ignored budgets kept.

use std::collections::BTreeMap;
use std::sync::Arc;

use budgetctl_aws::{Clients, ReadScope, read_account};
use budgetctl_diff::{ChangeKind, WarningKind};
use budgetctl_engine::apply::{
    ApplyOptions, ApplyReport, Quiet, StaleError, apply_plan, check_fresh,
};
use budgetctl_local::Faults;
use budgetctl_spec::{AccountId, Config};
use chrono::Datelike;

use crate::common;

use common::{ACCOUNT, Env, config, env, month, plan};

use budgetctl_testkit::WRITE_OPERATIONS as WRITES;

fn fast() -> ApplyOptions {
    ApplyOptions {
        parallelism: 8,
        max_requests_per_second: None,
    }
}

async fn apply(env: &Env, config: &Config) -> ApplyReport {
    let p = plan(env, config).await;
    apply_plan(
        &Clients::from(env.client.clone()),
        &p,
        &fast(),
        Arc::new(Quiet),
    )
    .await
}

/// Write operations carried out since the counters were last reset.
fn writes(env: &Env) -> BTreeMap<String, u64> {
    env.server
        .service()
        .applied_counts()
        .into_iter()
        .filter(|(op, _)| WRITES.contains(&op.as_str()))
        .collect()
}

fn calls(expected: &[(&str, u64)]) -> BTreeMap<String, u64> {
    expected.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn assert_succeeded(report: &ApplyReport) {
    let failures: Vec<_> = report.failures().collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

/// From `before` (applied first), apply `after` and check the write calls,
/// then that a new plan shows no changes.
async fn assert_applies(before: &str, after: &str, expected: &[(&str, u64)]) {
    assert_applies_with(&env().await, before, after, expected).await;
}

async fn assert_applies_with(env: &Env, before: &str, after: &str, expected: &[(&str, u64)]) {
    let before = config(before);
    assert_succeeded(&apply(env, &before).await);
    env.server.service().reset_counts();

    let after = config(after);
    let report = apply(env, &after).await;
    assert_succeeded(&report);
    assert_eq!(writes(env), calls(expected), "{report:#?}");

    let again = plan(env, &after).await;
    assert!(!again.has_changes(), "{:#?}", again.changes);
}

const BASE: &str = "budgets:
  - name: b
    limit: 100
    notifications:
      - on: actual > 80%
        to: [a@example.com, b@example.com]
      - on: forecasted > 100%
        to: [a@example.com]
    tags: {owner: finops, team: platform}
";

fn base_with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replace(from, to)
}

#[tokio::test]
async fn create_is_one_call_with_notifications_subscribers_and_tags() {
    assert_applies("budgets: []\n", BASE, &[("CreateBudget", 1)]).await;
}

#[tokio::test]
async fn a_changed_limit_is_one_update_budget() {
    assert_applies(
        BASE,
        &base_with("limit: 100", "limit: 250.5"),
        &[("UpdateBudget", 1)],
    )
    .await;
}

#[tokio::test]
async fn each_budget_field_is_changed_by_update_budget_alone() {
    for (from, to) in [
        ("limit: 100", "limit: 100\n    end: 2030-12-31"),
        ("limit: 100", "limit: 100\n    start: 2026-01-01"),
        ("limit: 100", "limit: 100\n    cost_types: {tax: false}"),
        (
            "limit: 100",
            "limit: 100\n    filters: {Region: [us-east-1]}",
        ),
        (
            "limit: 100",
            "limit: 100\n    metrics: [unblended-cost]\n    filter_expression: {dimensions: {key: service, values: [\"Amazon EC2\"]}}",
        ),
        ("limit: 100", "auto_adjust: {historical: 3}"),
        ("limit: 100", "period: quarterly\n    limit: 100"),
    ] {
        assert_applies(BASE, &base_with(from, to), &[("UpdateBudget", 1)]).await;
    }
    let planned = format!("planned: {{{}: 100, {}: 200}}", month(0), month(1));
    assert_applies(
        BASE,
        &base_with("limit: 100", &planned),
        &[("UpdateBudget", 1)],
    )
    .await;
}

#[tokio::test]
async fn a_changed_threshold_is_one_update_notification() {
    assert_applies(
        BASE,
        &base_with("actual > 80%", "actual > 90%"),
        &[("UpdateNotification", 1)],
    )
    .await;
}

#[tokio::test]
async fn added_and_removed_notifications_are_one_call_each() {
    assert_applies(
        BASE,
        &base_with(
            "      - on: forecasted > 100%\n        to: [a@example.com]\n",
            "      - on: forecasted > 100%\n        to: [a@example.com]\n      - on: actual = 100 USD\n        to: [c@example.com]\n",
        ),
        &[("CreateNotification", 1)],
    )
    .await;
    assert_applies(
        BASE,
        &base_with(
            "      - on: forecasted > 100%\n        to: [a@example.com]\n",
            "",
        ),
        &[("DeleteNotification", 1)],
    )
    .await;
}

#[tokio::test]
async fn replacing_one_email_is_one_update_subscriber() {
    assert_applies(
        BASE,
        &base_with(
            "[a@example.com, b@example.com]",
            "[a@example.com, c@example.com]",
        ),
        &[("UpdateSubscriber", 1)],
    )
    .await;
}

#[tokio::test]
async fn replacing_a_notifications_only_subscriber_keeps_the_notification() {
    // Another kind: adding before removing, as deleting the last subscriber
    // would delete the notification with it.
    assert_applies(
        BASE,
        &base_with(
            "forecasted > 100%\n        to: [a@example.com]",
            "forecasted > 100%\n        to: [\"arn:aws:sns:us-east-1:111122223333:alerts\"]",
        ),
        &[("CreateSubscriber", 1), ("DeleteSubscriber", 1)],
    )
    .await;
}

const SNS_A: &str = "arn:aws:sns:us-east-1:111122223333:a";
const SNS_B: &str = "arn:aws:sns:us-east-1:111122223333:b";

/// A budget whose one alert goes to `to` (a YAML list's items).
fn alerting(to: &[String]) -> String {
    format!(
        "budgets:\n  - name: b\n    limit: 100\n    notifications:\n      - on: actual > 80%\n        to: [{}]\n",
        to.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn emails(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("e{i}@example.com")).collect()
}

#[tokio::test]
async fn swapping_the_sns_topic_is_one_update_subscriber() {
    // A notification holds one SNS topic: adding `b` before removing `a`
    // is refused by AWS, every time.
    assert_applies(
        &alerting(&[SNS_A.into()]),
        &alerting(&[SNS_B.into()]),
        &[("UpdateSubscriber", 1)],
    )
    .await;
    let mut both = emails(0..10);
    both.push(SNS_A.into());
    let mut after = emails(0..10);
    after.push(SNS_B.into());
    assert_applies(
        &alerting(&both),
        &alerting(&after),
        &[("UpdateSubscriber", 1)],
    )
    .await;
}

#[tokio::test]
async fn replacing_three_of_ten_emails_is_three_update_subscribers() {
    let mut after = emails(0..7);
    after.extend(emails(20..23));
    assert_applies(
        &alerting(&emails(0..10)),
        &alerting(&after),
        &[("UpdateSubscriber", 3)],
    )
    .await;
}

#[tokio::test]
async fn an_email_becomes_the_sns_topic_on_a_full_notification() {
    let mut after = emails(0..9);
    after.push(SNS_A.into());
    assert_applies(
        &alerting(&emails(0..10)),
        &alerting(&after),
        &[("CreateSubscriber", 1), ("DeleteSubscriber", 1)],
    )
    .await;
}

#[tokio::test]
async fn a_swap_whose_answer_was_lost_settles_by_reading_back() {
    let env = env().await;
    assert_succeeded(&apply(&env, &config(&alerting(&[SNS_A.into()]))).await);
    let wanted = config(&alerting(&[SNS_B.into()]));
    let p = plan(&env, &wanted).await;
    env.server.service().reset_counts();
    // Every UpdateSubscriber answer lost after the service acted: the retry
    // finds `a` gone, and the read back shows `b` in its place.
    env.server.service().set_faults(Faults {
        lost: 1.0,
        operations: vec!["UpdateSubscriber".into()],
        ..Faults::default()
    });
    let report = apply_plan(
        &Clients::from(env.client.clone()),
        &p,
        &fast(),
        Arc::new(Quiet),
    )
    .await;
    env.server.service().set_faults(Faults::default());
    assert_succeeded(&report);
    assert_eq!(
        writes(&env),
        calls(&[("UpdateSubscriber", 1)]),
        "{report:#?}"
    );
    assert!(env.server.service().request_counts()["UpdateSubscriber"] > 1);
    assert!(!plan(&env, &wanted).await.has_changes());
}

#[tokio::test]
async fn tag_changes_are_one_tag_and_one_untag_call() {
    assert_applies(
        BASE,
        &base_with(
            "{owner: finops, team: platform}",
            "{owner: platform, team: platform, cost-center: \"4711\"}",
        ),
        &[("TagResource", 1)],
    )
    .await;
    assert_applies(
        BASE,
        &base_with("{owner: finops, team: platform}", "{owner: finops}"),
        &[("UntagResource", 1)],
    )
    .await;
    // Files that leave tags out never touch them.
    assert_applies(
        BASE,
        &base_with("    tags: {owner: finops, team: platform}\n", ""),
        &[],
    )
    .await;
}

#[tokio::test]
async fn prune_deletes_only_undeclared_budgets_outside_ignore() {
    let env = env().await;
    let first = config(
        "budgets:\n  - {name: keep, limit: 1}\n  - {name: old, limit: 1}\n  - {name: legacy-a, limit: 1}\n",
    );
    assert_succeeded(&apply(&env, &first).await);

    // Without prune, undeclared budgets are listed and left alone.
    env.server.service().reset_counts();
    let without = config("budgets:\n  - {name: keep, limit: 1}\n");
    let report = apply(&env, &without).await;
    assert!(report.results.is_empty(), "{report:#?}");
    assert_eq!(writes(&env), calls(&[]));

    // With prune, `old` goes; `legacy-a` matches ignore and stays.
    let pruning = config(&format!(
        "accounts:\n  \"{ACCOUNT}\": {{prune: true, ignore: [\"legacy-*\"]}}\nbudgets:\n  - {{name: keep, limit: 1}}\n"
    ));
    let p = plan(&env, &pruning).await;
    assert_eq!(p.ignored.len(), 1);
    let report = apply_plan(
        &Clients::from(env.client.clone()),
        &p,
        &fast(),
        Arc::new(Quiet),
    )
    .await;
    assert_succeeded(&report);
    assert_eq!(writes(&env), calls(&[("DeleteBudget", 1)]));
    let names: Vec<String> = read_account(
        &env.client,
        &AccountId::parse(ACCOUNT).unwrap(),
        &ReadScope::default(),
        4,
    )
    .await
    .unwrap()
    .budgets
    .into_iter()
    .map(|l| l.budget.name)
    .collect();
    assert_eq!(names, ["keep", "legacy-a"]);
}

#[tokio::test]
async fn a_second_apply_makes_no_write_calls() {
    let env = env().await;
    let c = config(BASE);
    assert_succeeded(&apply(&env, &c).await);
    env.server.service().reset_counts();
    let report = apply(&env, &c).await;
    assert!(report.results.is_empty());
    assert_eq!(writes(&env), calls(&[]));
}

#[tokio::test]
async fn a_type_change_is_a_plan_error_not_an_update() {
    let env = env().await;
    assert_succeeded(&apply(&env, &config("budgets:\n  - {name: t, limit: 5}\n")).await);
    env.server.service().reset_counts();
    let p = plan(
        &env,
        &config("budgets:\n  - {name: t, type: usage, limit: \"5 GB\"}\n"),
    )
    .await;
    assert!(p.changes.is_empty(), "{:#?}", p.changes);
    assert_eq!(p.errors.len(), 1, "{:#?}", p.errors);
    assert!(
        p.errors[0].message.contains("type cannot change in place")
            && p.errors[0].message.contains("new name"),
        "{:?}",
        p.errors
    );
    assert_eq!(writes(&env), calls(&[]));
}

/// 250 creates and 250 updates (limit, subscriber and tag changes).
fn many(limit: u32, subscriber: &str, owner: &str, count: usize) -> String {
    let mut body = String::from("budgets:\n");
    for i in 0..count {
        body.push_str(&format!(
            "  - name: b{i:03}\n    limit: {limit}\n    notifications:\n      - on: actual > 80%\n        to: [{subscriber}]\n    tags: {{owner: {owner}}}\n"
        ));
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_converges_under_throttling_server_errors_and_lost_answers() {
    let env = env().await;
    let existing = config(&many(100, "a@example.com", "finops", 250));
    assert_succeeded(&apply(&env, &existing).await);

    // 500 changes: the 250 existing budgets change limit, subscriber and tag;
    // 250 new ones are created.
    let wanted = config(&many(200, "b@example.com", "platform", 500));
    let p = plan(&env, &wanted).await;
    assert_eq!((p.summary.create, p.summary.update), (250, 250));
    env.server.service().reset_counts();
    // 30% throttling, 5% HTTP 500: half plain errors, half answers lost after
    // the service acted.
    env.server.service().set_faults(Faults {
        throttle: 0.3,
        error: 0.025,
        lost: 0.025,
        seed: 11,
        ..Faults::default()
    });
    let mut report = apply_plan(
        &Clients::from(env.client.clone()),
        &p,
        &fast(),
        Arc::new(Quiet),
    )
    .await;
    let mut rounds = 1;
    // What still failed after every retry is left for the next apply, which
    // plans afresh and finishes.
    while report.failures().next().is_some() {
        assert!(rounds < 3, "{:#?}", report.failures().collect::<Vec<_>>());
        report = apply(&env, &wanted).await;
        rounds += 1;
    }
    env.server.service().set_faults(Faults::default());
    let done = plan(&env, &wanted).await;
    assert!(!done.has_changes(), "{:#?}", done.changes.first());
    let applied = env.server.service().applied_counts();
    // Every change made once: a create, subscriber add or removal retried
    // after a lost answer meets DuplicateRecord or NotFound and is settled,
    // not carried out again; so is a subscriber swap. (UpdateBudget and TagResource set a value, so a
    // retry after a lost answer may carry them out twice to the same effect.)
    assert_eq!(applied["CreateBudget"], 250, "no budget created twice");
    assert_eq!(applied["UpdateSubscriber"], 250, "{applied:?}");
    assert!(applied["UpdateBudget"] >= 250, "{applied:?}");
    let requests = env.server.service().request_counts();
    assert!(
        requests["CreateBudget"] > 250,
        "faults were injected and retried: {requests:?}"
    );
}

#[tokio::test]
async fn a_stale_plan_is_refused_and_names_what_changed() {
    let env = env().await;
    let c = config(BASE);
    assert_succeeded(&apply(&env, &c).await);
    let wanted = config(&base_with("limit: 100", "limit: 150"));
    fn account() -> String {
        ACCOUNT.to_owned()
    }
    fn n(t: f64) -> aws_sdk_budgets::types::Notification {
        aws_sdk_budgets::types::Notification::builder()
            .notification_type(aws_sdk_budgets::types::NotificationType::Actual)
            .comparison_operator(aws_sdk_budgets::types::ComparisonOperator::GreaterThan)
            .threshold(t)
            .threshold_type(aws_sdk_budgets::types::ThresholdType::Percentage)
            .build()
            .unwrap()
    }
    fn subscriber(a: &str) -> aws_sdk_budgets::types::Subscriber {
        aws_sdk_budgets::types::Subscriber::builder()
            .subscription_type(aws_sdk_budgets::types::SubscriptionType::Email)
            .address(a)
            .build()
            .unwrap()
    }
    // Each way someone else can change the budget between plan and apply.
    type Meddle = Box<dyn Fn(&aws_sdk_budgets::Client) -> futures_like::BoxFuture<'_>>;
    let meddles: Vec<(&str, Meddle)> = vec![
        (
            "budget",
            Box::new(|c| {
                Box::pin(async move {
                    let live = c
                        .describe_budget()
                        .account_id(account())
                        .budget_name("b")
                        .send()
                        .await
                        .unwrap();
                    let mut b = live.budget.unwrap();
                    b.budget_limit = Some(
                        aws_sdk_budgets::types::Spend::builder()
                            .amount("120")
                            .unit("USD")
                            .build()
                            .unwrap(),
                    );
                    b.calculated_spend = None;
                    c.update_budget()
                        .account_id(account())
                        .new_budget(b)
                        .send()
                        .await
                        .unwrap();
                })
            }),
        ),
        (
            "notification",
            Box::new(|c| {
                Box::pin(async move {
                    c.update_notification()
                        .account_id(account())
                        .budget_name("b")
                        .old_notification(n(80.0))
                        .new_notification(n(85.0))
                        .send()
                        .await
                        .unwrap();
                })
            }),
        ),
        (
            "subscriber",
            Box::new(|c| {
                Box::pin(async move {
                    c.create_subscriber()
                        .account_id(account())
                        .budget_name("b")
                        .notification(n(80.0))
                        .subscriber(subscriber("z@example.com"))
                        .send()
                        .await
                        .unwrap();
                })
            }),
        ),
        (
            "tag",
            Box::new(|c| {
                Box::pin(async move {
                    c.tag_resource()
                        .resource_arn(format!("arn:aws:budgets::{ACCOUNT}:budget/b"))
                        .resource_tags(
                            aws_sdk_budgets::types::ResourceTag::builder()
                                .key("owner")
                                .value("someone-else")
                                .build()
                                .unwrap(),
                        )
                        .send()
                        .await
                        .unwrap();
                })
            }),
        ),
    ];
    for (what, meddle) in meddles {
        let env = crate::common::env().await;
        assert_succeeded(&apply(&env, &c).await);
        let p = plan(&env, &wanted).await;
        check_fresh(&Clients::from(env.client.clone()), &p, 4)
            .await
            .unwrap_or_else(|e| panic!("fresh before {what} changed: {e}"));
        meddle(&env.client).await;
        env.server.service().reset_counts();
        match check_fresh(&Clients::from(env.client.clone()), &p, 4).await {
            Err(StaleError::Changed(stale)) => {
                assert_eq!(stale.len(), 1, "{what}: {stale:?}");
                assert_eq!(stale[0].address, format!("{ACCOUNT}/b"), "{what}");
            }
            other => panic!("{what}: expected a stale plan, got {other:?}"),
        }
        assert_eq!(writes(&env), calls(&[]), "{what}: nothing written");
    }

    // A budget created by someone else after the plan meant to create it.
    let env = crate::common::env().await;
    let p = plan(&env, &c).await;
    assert_succeeded(
        &apply_plan(
            &Clients::from(env.client.clone()),
            &p,
            &fast(),
            Arc::new(Quiet),
        )
        .await,
    );
    match check_fresh(&Clients::from(env.client.clone()), &p, 4).await {
        Err(StaleError::Changed(stale)) => {
            assert!(stale[0].reason.contains("created since"), "{stale:?}")
        }
        other => panic!("expected a stale plan, got {other:?}"),
    }
}

mod futures_like {
    pub type BoxFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;
}

/// ARCHITECTURE.md, reconciler rule 14: a live budget with a value this
/// budgetctl does not know (here a newer time unit and budget type) is
/// skipped with a warning naming it and the value; it is neither updated
/// nor pruned, and the rest of the account plans and applies.
#[tokio::test]
async fn a_budget_with_values_this_version_cannot_read_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let files = "accounts:\n  \"111122223333\": {prune: true, ignore: [\"legacy-*\"]}\nbudgets:\n  - {name: keep, limit: 1}\n  - {name: odd-alert, limit: 5}\n  - {name: odd-declared, limit: 5}\n";
    let before = config(
        "budgets:\n  - {name: keep, limit: 1}\n  - {name: odd-alert, limit: 1, notifications: [{on: actual > 80%, to: [a@example.com]}]}\n  - {name: odd-declared, limit: 1}\n  - {name: odd-stray, limit: 1}\n  - {name: legacy-odd, limit: 1}\n",
    );
    assert_succeeded(&apply(&env, &before).await);
    let env = common::reopened(env, dir.path(), |state| {
        let budgets = &mut state["accounts"][ACCOUNT]["budgets"];
        budgets["odd-declared"]["budget"]["TimeUnit"] = "WEEKLY".into();
        budgets["odd-stray"]["budget"]["BudgetType"] = "CARBON".into();
        budgets["legacy-odd"]["budget"]["TimeUnit"] = "WEEKLY".into();
        budgets["odd-alert"]["notifications"][0]["notification"]["NotificationType"] =
            "FUTURE".into();
    })
    .await;

    let after = config(&files.replace("limit: 1}", "limit: 2}"));
    let p = plan(&env, &after).await;
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    let actions: Vec<(ChangeKind, &str)> = p
        .changes
        .iter()
        .map(|c| (c.kind, c.budget.name.as_str()))
        .collect();
    assert_eq!(
        actions,
        [(ChangeKind::Update, "keep")],
        "never pruned or updated"
    );
    let unreadable: Vec<(&str, &str)> = p
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::Unreadable)
        .map(|w| (w.budget.name.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(unreadable.len(), 3, "{unreadable:#?}");
    assert_eq!(unreadable[0].0, "odd-alert");
    assert!(
        unreadable[0].1.contains("notification type `FUTURE`"),
        "{unreadable:?}"
    );
    assert_eq!(unreadable[1].0, "odd-declared");
    assert!(
        unreadable[1].1.contains("time unit `WEEKLY`"),
        "{unreadable:?}"
    );
    assert_eq!(unreadable[2].0, "odd-stray");
    assert!(
        unreadable[2].1.contains("budget type `CARBON`"),
        "{unreadable:?}"
    );
    assert_eq!(
        p.ignored
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["legacy-odd"],
        "an ignored budget stays ignored, without a warning"
    );

    check_fresh(&Clients::from(env.client.clone()), &p, 4)
        .await
        .unwrap();
    env.server.service().reset_counts();
    let report = apply_plan(
        &Clients::from(env.client.clone()),
        &p,
        &fast(),
        Arc::new(Quiet),
    )
    .await;
    assert_succeeded(&report);
    assert_eq!(writes(&env), calls(&[("UpdateBudget", 1)]));
}

/// Tags live on the budget's ARN, whose partition follows the region: in
/// China it is `arn:aws-cn:budgets::…`, and an endpoint serving aws-cn
/// refuses `arn:aws:…` as AWS would.
#[tokio::test]
async fn tags_are_read_and_written_on_the_china_partitions_arn() {
    let env = common::env_in("aws-cn", "cn-northwest-1").await;
    assert_eq!(
        budgetctl_aws::budget_arn(&env.client, &AccountId::parse(ACCOUNT).unwrap(), "b"),
        format!("arn:aws-cn:budgets::{ACCOUNT}:budget/b")
    );
    assert_applies_with(
        &env,
        "budgets:\n  - {name: b, limit: 1, tags: {owner: finops, team: platform}}\n",
        "budgets:\n  - {name: b, limit: 1, tags: {owner: platform, cost-center: cc-1}}\n",
        &[("TagResource", 1), ("UntagResource", 1)],
    )
    .await;

    // A client signing for us-east-1 builds arn:aws:… ARNs, which an aws-cn
    // endpoint does not know: the read fails and names the partition.
    let wrong = budgetctl_aws::client(&budgetctl_aws::Connection {
        endpoint_url: Some(env.server.url()),
        local: true,
        max_attempts: Some(1),
        ..budgetctl_aws::Connection::default()
    })
    .await;
    let scope = ReadScope {
        everything: true,
        ..ReadScope::default()
    };
    let err = read_account(&wrong, &AccountId::parse(ACCOUNT).unwrap(), &scope, 1)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("in partition aws, but this endpoint serves aws-cn"),
        "{err}"
    );
}

/// ARCHITECTURE.md, reconciler rule 15: a file with a past planned period
/// and a schedule apply against an endpoint that enforces AWS's window rule
/// (past periods would be refused), then plan clean.
#[tokio::test]
async fn planned_history_and_schedules_apply_the_current_window() {
    let env = env().await;
    let last_month = {
        let first = common::today().with_day(1).unwrap() - chrono::Months::new(1);
        format!("{}-{:02}", first.year(), first.month())
    };
    let files = config(&format!(
        "budgets:\n  - name: explicit\n    planned: {{{last_month}: 1, {}: 2, {}: 3}}\n  - name: schedule\n    planned: {{every: 100, grow: 1%, from: 2026-01, {}: 250}}\n  - name: quarterly\n    period: quarterly\n    planned: {{every: 3000}}\n",
        month(0),
        month(1),
        month(3),
    ));
    assert_succeeded(&apply(&env, &files).await);
    let again = plan(&env, &files).await;
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(
        again.errors.is_empty() && again.warnings.is_empty(),
        "{again:#?}"
    );
}
