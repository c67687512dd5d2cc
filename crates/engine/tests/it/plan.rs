//! Read live state from budgetctl-local through the real SDK and diff it:
//! budgets created from the YAML plan clean whatever AWS re-renders, and each
//! kind of change shows as exactly that change.

use std::collections::BTreeSet;

use budgetctl_aws::create_budget;
use budgetctl_diff::{ChangeKind, ConsequenceKind, NotificationChange, Plan, WarningKind};
use budgetctl_local::SpendRequest;
use budgetctl_spec::Config;
use chrono::Datelike;
use rust_decimal::Decimal;

use crate::common;

use common::{ACCOUNT, Env, config, env, month, plan, today};

/// Create every budget of `config` the way apply will: one CreateBudget each,
/// with its notifications, subscribers and tags.
async fn create_all(env: &Env, config: &Config) {
    for d in &config.budgets {
        create_budget(&env.client, &d.account, &d.budget)
            .await
            .unwrap();
        let at = budgetctl_aws::BudgetAt {
            client: &env.client,
            account: &d.account,
            name: &d.budget.name,
        };
        for a in d.budget.actions.iter().flatten() {
            at.create_action(a).await.unwrap();
        }
    }
}

async fn assert_plans_clean(body: &str) {
    let env = env().await;
    let c = config(body);
    create_all(&env, &c).await;
    let p = plan(&env, &c).await;
    assert!(
        p.changes.is_empty(),
        "expected no changes, got {:#?}",
        p.changes
            .iter()
            .map(|c| (&c.budget.name, &c.fields, &c.notifications, &c.tags))
            .collect::<Vec<_>>()
    );
    assert_eq!(p.summary.unchanged, c.budgets.len());
}

#[tokio::test]
async fn amounts_aws_re_renders_plan_clean() {
    assert_plans_clean("budgets:\n  - {name: a, limit: 100}\n  - {name: b, limit: 15300000}\n  - {name: c, limit: 1000.50}\n  - {name: d, limit: \"1.0E+2\"}\n").await;
}

#[tokio::test]
async fn planned_limits_plan_clean_despite_the_computed_limit() {
    let body = format!(
        "budgets:\n  - name: p\n    planned: {{{}: 900, {}: 1000, {}: 1100.5}}\n  - name: q\n    period: quarterly\n    planned: {{{}: 3000}}\n",
        month(0),
        month(1),
        month(2),
        {
            let t = today();
            format!("{}-Q{}", t.year(), (t.month() - 1) / 3 + 1)
        }
    );
    assert_plans_clean(&body).await;
}

#[tokio::test]
async fn auto_adjusting_budgets_plan_clean() {
    assert_plans_clean("budgets:\n  - {name: h, auto_adjust: {historical: 6}}\n  - {name: f, period: annually, auto_adjust: {forecast: true}}\n").await;
}

#[tokio::test]
async fn filter_expressions_and_metrics_plan_clean() {
    assert_plans_clean(
        "budgets:\n  - name: e\n    limit: 10\n    metrics: [unblended-cost]\n    filter_expression:\n      and:\n        - dimensions: {key: service, values: [\"Amazon EC2\"], match_options: [equals]}\n        - not: {tags: {key: env, values: [sandbox]}}\n        - or:\n            - cost_categories: {key: team, values: [a]}\n            - dimensions: {key: region, values: [us-east-1]}\n",
    )
    .await;
}

#[tokio::test]
async fn notifications_subscribers_and_tags_plan_clean() {
    assert_plans_clean(
        "budgets:\n  - name: n\n    limit: 100\n    notifications:\n      - on: actual > 80%\n        to: [a@example.com, \"arn:aws:sns:us-east-1:111122223333:t\"]\n      - on: forecasted > 1200.5 USD\n        to: [b@example.com]\n      - on: actual < 0.1%\n        to: [c@example.com]\n    tags: {owner: finops, empty: \"\"}\n  - {name: no-tags, limit: 1, tags: {}}\n",
    )
    .await;
}

#[tokio::test]
async fn defaults_aws_fills_in_plan_clean() {
    // Cost types defaulted, no filters, no dates, RI budgets at 100%.
    assert_plans_clean(
        "budgets:\n  - {name: d, limit: 5}\n  - {name: ct, limit: 5, cost_types: {tax: false, amortized: true}}\n  - {name: ri, type: ri-utilization}\n  - {name: sp, type: sp-coverage, limit: 100}\n  - {name: usage, type: usage, limit: \"5 GB\"}\n  - {name: dated, limit: 5, start: 2026-01-01, end: 2030-12-31}\n  - {name: custom, period: custom, limit: 5, start: 2026-01-01, end: 2026-12-31}\n",
    )
    .await;
}

#[tokio::test]
async fn seeded_spend_and_update_resets_do_not_show() {
    let env = env().await;
    let c = config("budgets:\n  - {name: s, limit: 100}\n");
    create_all(&env, &c).await;
    env.server
        .service()
        .seed_spend(&SpendRequest {
            account_id: ACCOUNT.into(),
            budget_name: "s".into(),
            actual_spend: Some("40".into()),
            forecasted_spend: Some("90".into()),
            history: vec![],
            health_status: None,
        })
        .unwrap();
    assert!(plan(&env, &c).await.changes.is_empty());
}

async fn change_of(before: &str, after: &str) -> budgetctl_diff::Change {
    let env = env().await;
    create_all(&env, &config(before)).await;
    let p = plan(&env, &config(after)).await;
    assert_eq!(p.changes.len(), 1, "{:#?}", p.changes);
    p.changes.into_iter().next().unwrap()
}

fn fields(c: &budgetctl_diff::Change) -> Vec<(String, Option<String>, Option<String>)> {
    c.fields
        .iter()
        .map(|f| (f.field.to_string(), f.before.clone(), f.after.clone()))
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

#[tokio::test]
async fn each_budget_field_change_is_shown_before_and_after() {
    let c = change_of(
        "budgets: [{name: a, limit: 100}]",
        "budgets: [{name: a, limit: 120}]",
    )
    .await;
    assert_eq!(c.kind, ChangeKind::Update);
    assert_eq!(fields(&c), [("limit".into(), s("100 USD"), s("120 USD"))]);

    let c = change_of(
        "budgets: [{name: a, limit: 100}]",
        "budgets: [{name: a, limit: 100, end: 2030-01-31}]",
    )
    .await;
    assert_eq!(fields(&c), [("end".into(), None, s("2030-01-31"))]);

    let c = change_of(
        "budgets: [{name: a, limit: 1}]",
        "budgets: [{name: a, limit: 1, cost_types: {tax: false}}]",
    )
    .await;
    assert_eq!(
        fields(&c),
        [("cost_types.tax".into(), s("true"), s("false"))]
    );

    let c = change_of(
        "budgets: [{name: a, limit: 1}]",
        "budgets: [{name: a, limit: 1, filters: {Service: [S3]}}]",
    )
    .await;
    assert_eq!(fields(&c), [("filters.Service".into(), None, s("S3"))]);

    let c = change_of(
        "budgets: [{name: a, limit: 1}]",
        "budgets: [{name: a, period: quarterly, limit: 1}]",
    )
    .await;
    assert_eq!(
        fields(&c),
        [("period".into(), s("monthly"), s("quarterly"))]
    );

    let c = change_of(
        "budgets: [{name: a, limit: 1}]",
        "budgets: [{name: a, limit: 1, metrics: [amortized-cost], filter_expression: {dimensions: {key: region, values: [eu-west-1]}}}]",
    )
    .await;
    let names: Vec<String> = c.fields.iter().map(|f| f.field.to_string()).collect();
    assert_eq!(names, ["filter_expression", "metrics"]);

    let c = change_of(
        "budgets: [{name: a, limit: 1}]",
        "budgets: [{name: a, auto_adjust: {historical: 3}}]",
    )
    .await;
    assert_eq!(
        fields(&c),
        [
            ("limit".into(), s("1 USD"), None),
            ("auto_adjust".into(), None, s("historical: 3"))
        ]
    );
    assert!(c.notifications.is_empty() && c.tags.is_empty());
}

#[tokio::test]
async fn notification_changes_are_add_change_and_remove() {
    let base = "budgets:\n  - name: a\n    limit: 100\n    notifications:\n      - {on: actual > 80%, to: [a@example.com]}\n";
    let c = change_of(
        base,
        &format!("{base}      - {{on: forecasted > 100%, to: [b@example.com]}}\n"),
    )
    .await;
    assert!(c.fields.is_empty(), "no UpdateBudget for an alert change");
    assert!(
        matches!(&c.notifications[..], [NotificationChange::Add { notification, .. }] if notification.to_string() == "forecasted > 100%")
    );

    let c = change_of(base, "budgets:\n  - name: a\n    limit: 100\n    notifications:\n      - {on: actual > 90%, to: [a@example.com]}\n").await;
    assert!(
        matches!(&c.notifications[..], [NotificationChange::Change { from, to }] if from.to_string() == "actual > 80%" && to.to_string() == "actual > 90%"),
        "{:?}",
        c.notifications
    );

    let c = change_of(base, "budgets:\n  - name: a\n    limit: 100\n").await;
    assert!(matches!(
        &c.notifications[..],
        [NotificationChange::Remove { .. }]
    ));
}

#[tokio::test]
async fn a_replaced_subscriber_of_the_same_kind_is_a_swap() {
    let c = change_of(
        "budgets:\n  - name: a\n    limit: 100\n    notifications:\n      - {on: actual > 80%, to: [a@example.com]}\n",
        "budgets:\n  - name: a\n    limit: 100\n    notifications:\n      - {on: actual > 80%, to: [b@example.com]}\n",
    )
    .await;
    match &c.notifications[..] {
        [
            NotificationChange::Subscribers {
                swap, add, remove, ..
            },
        ] => {
            assert_eq!(swap.len(), 1, "{swap:?}");
            assert_eq!(swap[0].from.address(), "a@example.com");
            assert_eq!(swap[0].to.address(), "b@example.com");
            assert!(add.is_empty() && remove.is_empty(), "{add:?} {remove:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn subscribers_of_another_kind_are_added_and_removed() {
    let c = change_of(
        "budgets:\n  - name: a\n    limit: 100\n    notifications:\n      - {on: actual > 80%, to: [a@example.com, b@example.com]}\n",
        "budgets:\n  - name: a\n    limit: 100\n    notifications:\n      - {on: actual > 80%, to: [a@example.com, \"arn:aws:sns:us-east-1:111122223333:t\"]}\n",
    )
    .await;
    match &c.notifications[..] {
        [
            NotificationChange::Subscribers {
                swap, add, remove, ..
            },
        ] => {
            assert!(swap.is_empty(), "{swap:?}");
            assert_eq!(add[0].address(), "arn:aws:sns:us-east-1:111122223333:t");
            assert_eq!(remove[0].address(), "b@example.com");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn tag_changes_are_add_change_and_remove() {
    let c = change_of(
        "budgets: [{name: a, limit: 1, tags: {owner: finops, env: prod}}]",
        "budgets: [{name: a, limit: 1, tags: {owner: platform, team: data}}]",
    )
    .await;
    let tags: Vec<(String, Option<String>, Option<String>)> = c
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.before.clone(), t.after.clone()))
        .collect();
    assert_eq!(
        tags,
        [
            ("env".into(), s("prod"), None),
            ("owner".into(), s("finops"), s("platform")),
            ("team".into(), None, s("data")),
        ]
    );
    // Tags left out of the file are not managed: no change, no read.
    let env = env().await;
    create_all(
        &env,
        &config("budgets: [{name: a, limit: 1, tags: {owner: finops}}]"),
    )
    .await;
    env.server.service().reset_counts();
    let p = plan(&env, &config("budgets: [{name: a, limit: 1}]")).await;
    assert!(p.changes.is_empty());
    assert!(
        !env.server
            .service()
            .request_counts()
            .contains_key("ListTagsForResource")
    );
}

#[tokio::test]
async fn create_prune_ignore_and_unmanaged() {
    let env = env().await;
    create_all(&env, &config("budgets:\n  - {name: keep, limit: 1}\n  - {name: stray, limit: 1}\n  - {name: legacy-1, limit: 1}\n")).await;
    let managed = |prune: bool| {
        config(&format!(
            "accounts:\n  \"{ACCOUNT}\": {{prune: {prune}, ignore: [\"legacy-*\"]}}\nbudgets:\n  - {{name: keep, limit: 1}}\n  - {{name: new, limit: 7, notifications: [{{on: actual > 80%, to: [a@example.com]}}], tags: {{t: v}}}}\n"
        ))
    };
    let p = plan(&env, &managed(false)).await;
    let actions: Vec<(ChangeKind, &str)> = p
        .changes
        .iter()
        .map(|c| (c.kind, c.budget.name.as_str()))
        .collect();
    assert_eq!(actions, [(ChangeKind::Create, "new")]);
    assert_eq!(
        p.unmanaged
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["stray"]
    );
    assert_eq!(
        p.ignored
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["legacy-1"]
    );
    let create = &p.changes[0];
    assert!(
        create
            .fields
            .iter()
            .any(|f| f.field == "limit" && f.after.as_deref() == Some("7 USD"))
    );
    assert_eq!(create.notifications.len(), 1);
    assert_eq!(create.tags.len(), 1);

    let p = plan(&env, &managed(true)).await;
    let actions: Vec<(ChangeKind, &str)> = p
        .changes
        .iter()
        .map(|c| (c.kind, c.budget.name.as_str()))
        .collect();
    assert_eq!(
        actions,
        [(ChangeKind::Create, "new"), (ChangeKind::Delete, "stray")]
    );
    assert!(p.unmanaged.is_empty());
    assert_eq!(p.ignored.len(), 1, "ignore wins over prune");
    assert_eq!(
        (
            p.summary.create,
            p.summary.update,
            p.summary.delete,
            p.summary.unchanged
        ),
        (1, 0, 1, 1)
    );
}

#[tokio::test]
async fn plan_costs_two_pages_per_thousand_plus_one_call_per_notification() {
    let env = env().await;
    let (n, m) = (1200usize, 2usize);
    let mut body = String::from("budgets:\n");
    for i in 0..n {
        body.push_str(&format!(
            "  - name: b{i:04}\n    limit: 10\n    notifications:\n      - {{on: actual > 80%, to: [a@example.com]}}\n      - {{on: forecasted > 100%, to: [a@example.com]}}\n"
        ));
        if i < 10 {
            body.push_str("    tags: {team: x}\n");
        }
    }
    let c = config(&body);
    create_all(&env, &c).await;
    env.server.service().reset_counts();
    let p = plan(&env, &c).await;
    assert!(p.changes.is_empty());
    let counts = env.server.service().request_counts();
    let total: u64 = counts.values().sum();
    // DescribeBudgets and DescribeBudgetNotificationsForAccount by 1,000,
    // and one (empty) page of DescribeBudgetActionsForAccount.
    let pages = 2 * n.div_ceil(1000) + 1;
    assert_eq!(total as usize, pages + n * m + 10, "{counts:?}");
    assert_eq!(counts["DescribeBudgets"], 2);
    assert_eq!(counts["DescribeBudgetNotificationsForAccount"], 2);
    assert_eq!(counts["DescribeBudgetActionsForAccount"], 1);
}

/// Actions cost a page per 100 of the account and one ListTagsForResource
/// per action of a budget whose file declares `actions:`.
#[tokio::test]
async fn plan_reads_actions_by_the_hundred_and_one_tag_read_per_action() {
    let env = env().await;
    let n = 150usize;
    let mut body = String::from("budgets:\n");
    for i in 0..n {
        body.push_str(&format!(
            "  - name: b{i:04}\n    limit: 10\n    actions:\n      - {{name: freeze, when: actual > 100%, apply_iam_policy: {{policy: arn:aws:iam::aws:policy/AWSDenyAll, roles: [developer]}}, execution_role: arn:aws:iam::{ACCOUNT}:role/actions, to: [a@example.com]}}\n"
        ));
    }
    let c = config(&body);
    create_all(&env, &c).await;
    env.server.service().reset_counts();
    let p = plan(&env, &c).await;
    assert!(p.changes.is_empty(), "{:?}", p.changes.first());
    let counts = env.server.service().request_counts();
    let total: u64 = counts.values().sum();
    assert_eq!(counts["DescribeBudgetActionsForAccount"], 2, "{counts:?}");
    assert_eq!(counts["ListTagsForResource"], n as u64, "{counts:?}");
    assert_eq!(total as usize, 2 + n.div_ceil(100) + n, "{counts:?}");
}

#[tokio::test]
async fn fingerprints_cover_every_budget_read() {
    let env = env().await;
    let c = config("budgets: [{name: a, limit: 1}, {name: b, limit: 2}]");
    create_all(&env, &c).await;
    let p = plan(&env, &c).await;
    let keys: BTreeSet<&str> = p.fingerprints.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["111122223333/a", "111122223333/b"]));
    assert!(
        p.fingerprints
            .values()
            .all(|f| f.last_updated.is_some() && f.hash.len() == 32)
    );
}

/// Spend, the limit AWS holds and each alert's NotificationState are read
/// with the budgets (no request more), and decide what a change sets off.
#[tokio::test]
async fn spend_and_alarms_are_read_and_decide_the_consequences() {
    let env = env().await;
    let alert = "notifications: [{on: actual > 50%, to: [a@example.com]}]";
    create_all(
        &env,
        &config(&format!("budgets: [{{name: a, limit: 100, {alert}}}]")),
    )
    .await;
    env.server
        .service()
        .seed_spend(&SpendRequest {
            account_id: ACCOUNT.into(),
            budget_name: "a".into(),
            actual_spend: Some("70".into()),
            forecasted_spend: Some("140".into()),
            history: vec![],
            health_status: None,
        })
        .unwrap();
    let kinds = |p: &Plan| -> Vec<ConsequenceKind> {
        p.changes[0].consequences.iter().map(|c| c.kind).collect()
    };

    // Lowered under actual spend: over budget; the alert is in ALARM
    // already (70 > 50), so it does not fire again.
    let p = plan(
        &env,
        &config(&format!("budgets: [{{name: a, limit: 50, {alert}}}]")),
    )
    .await;
    let c = &p.changes[0];
    let limit = c.limit.as_ref().unwrap();
    assert_eq!(
        (limit.before, limit.after),
        (Some(Decimal::from(100)), Some(Decimal::from(50)))
    );
    let spend = c.spend.as_ref().unwrap();
    assert_eq!(
        (spend.actual, spend.forecasted),
        (Decimal::from(70), Some(Decimal::from(140)))
    );
    assert_eq!(kinds(&p), [ConsequenceKind::OverLimit]);

    // Raised above it: the alert in ALARM falls silent.
    let p = plan(
        &env,
        &config(&format!("budgets: [{{name: a, limit: 200, {alert}}}]")),
    )
    .await;
    assert_eq!(kinds(&p), [ConsequenceKind::AlertSilenced]);

    // Unchanged, but forecast over its limit: a warning apart from changes.
    let p = plan(
        &env,
        &config(&format!("budgets: [{{name: a, limit: 100, {alert}}}]")),
    )
    .await;
    assert!(!p.has_changes());
    assert_eq!(
        p.warnings.iter().map(|w| w.kind).collect::<Vec<_>>(),
        [WarningKind::BelowForecastedSpend]
    );
}

/// Accounts are read several at once, and their answers arrive in any
/// order (latency drawn from a range): the plan is the same as reading them
/// one after another.
#[tokio::test]
async fn accounts_read_at_once_plan_as_read_one_by_one() {
    let env = env().await;
    let ids = [
        "111122223333",
        "222233334444",
        "333344445555",
        "444455556666",
        "555566667777",
        "666677778888",
    ];
    let mut body = String::from("budgets:\n");
    for (i, id) in ids.iter().enumerate() {
        body.push_str(&format!(
            "  - {{name: team, account: \"{id}\", limit: {}, notifications: [{{on: actual > 80%, to: [t{i}@example.com]}}]}}\n",
            100 + i
        ));
    }
    let declared = config(&body);
    create_all(&env, &declared).await;
    // Every limit changes: each account has an update to show.
    let changed = config(&body.replace("limit: 10", "limit: 90"));
    env.server.service().set_faults(budgetctl_local::Faults {
        latency_ms: 1,
        latency_max_ms: Some(40),
        seed: 3,
        ..budgetctl_local::Faults::default()
    });
    let clients = budgetctl_aws::Clients::from(env.client.clone());
    let loaded = budgetctl_spec::Loaded {
        config: changed,
        ..budgetctl_spec::Loaded::default()
    };
    let plan_with = |parallelism: usize| {
        let (loaded, clients) = (&loaded, &clients);
        async move {
            let options = budgetctl_engine::plan::PlanOptions {
                today: today(),
                ..budgetctl_engine::plan::PlanOptions::today(parallelism)
            };
            budgetctl_engine::plan::plan(loaded, clients, &Default::default(), &options)
                .await
                .unwrap()
        }
    };
    let one_by_one = plan_with(1).await;
    let at_once = plan_with(6).await;
    assert_eq!(one_by_one.changes.len(), ids.len());
    let addresses = |p: &budgetctl_diff::Plan| -> Vec<String> {
        p.changes.iter().map(|c| c.budget.address()).collect()
    };
    assert_eq!(addresses(&at_once), addresses(&one_by_one));
    let json = |p: &budgetctl_diff::Plan| serde_json::to_value(p.document()).unwrap();
    assert_eq!(json(&at_once), json(&one_by_one));
}

/// An account rate-limited at 5 requests a second, read paced at 4 a
/// second client side (`Connection::account_rps`): never throttled. (Read
/// as fast as the SDK goes, its 15 requests meet the bucket of 5 at once,
/// and the adaptive retries take about two minutes to get through: the
/// organisation bench's figures.)
#[tokio::test]
async fn a_paced_read_stays_under_the_accounts_rate_limit() {
    let env = env().await;
    let mut body = String::from("budgets:\n");
    for i in 0..6 {
        body.push_str(&format!(
            "  - {{name: b{i}, limit: 10, notifications: [{{on: actual > 80%, to: [a@example.com]}}, {{on: forecasted > 100%, to: [b@example.com]}}]}}\n"
        ));
    }
    let declared = config(&body);
    create_all(&env, &declared).await;
    env.server.service().set_faults(budgetctl_local::Faults {
        account_rps: 5,
        ..budgetctl_local::Faults::default()
    });
    env.server.service().reset_counts();
    let account = budgetctl_testkit::account();
    let scope = budgetctl_aws::ReadScope::for_config(&declared, &account, &[]);
    let connection = budgetctl_aws::Connection {
        endpoint_url: Some(env.server.url()),
        local: true,
        account_rps: std::num::NonZeroU32::new(4),
        ..budgetctl_aws::Connection::default()
    };
    let clients = budgetctl_aws::Clients::new(&connection, &Default::default()).await;
    let live = budgetctl_aws::read_accounts(&clients, [(&account, &scope)], 8, &|_| {})
        .await
        .unwrap();
    assert_eq!(live.budgets.len(), 6);
    let requests: u64 = env.server.service().request_counts().values().sum();
    assert_eq!(
        requests, 15,
        "3 bulk reads and 12 subscriber reads, none retried"
    );
    assert_eq!(env.server.service().throttled_count(), 0);
}

/// One valid file with `prune: true` beside one file with an error: the
/// load has no budgets, so a plan of it would delete every undeclared
/// budget of the valid file's account. The library refuses the load
/// itself, whatever its caller checks.
#[tokio::test]
async fn a_load_with_any_error_is_refused_and_prunes_nothing() {
    let env = env().await;
    create_all(&env, &config("budgets:\n  - {name: live-one, limit: 5}\n")).await;
    let loaded = budgetctl_spec::load_sources(vec![
        budgetctl_spec::SourceFile {
            path: "valid.yaml".into(),
            text: format!(
                "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\naccounts:\n  \"{ACCOUNT}\": {{prune: true}}\nbudgets:\n  - {{name: kept, limit: 10}}\n"
            ),
        },
        budgetctl_spec::SourceFile {
            path: "broken.yaml".into(),
            text: format!(
                "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - {{name: other, limit: ten}}\n"
            ),
        },
    ]);
    assert!(loaded.has_errors());
    let clients = budgetctl_aws::Clients::from(env.client.clone());
    let options = budgetctl_engine::plan::PlanOptions {
        today: today(),
        ..budgetctl_engine::plan::PlanOptions::today(4)
    };
    let planned =
        budgetctl_engine::plan::plan(&loaded, &clients, &Default::default(), &options).await;
    match planned {
        Err(budgetctl_engine::plan::PlanError::Invalid { errors }) => assert_eq!(errors, 1),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(p) => panic!(
            "a plan of an invalid load: {:?}",
            p.changes
                .iter()
                .map(|c| (c.kind, c.budget.address()))
                .collect::<Vec<_>>()
        ),
    }
}
