//! Budgets through the real SDK: create, describe, update, delete, and the
//! quirks AWS shows when it writes them back.

#![allow(deprecated)] // CostTypes and CostFilters are deprecated in the SDK but still part of the API.

use crate::common;

use aws_sdk_budgets::types::{
    AutoAdjustData, AutoAdjustType, Budget, BudgetType, CostTypes, Dimension, Expression,
    ExpressionDimensionValues, HistoricalOptions, Metric, NotificationWithSubscribers, ResourceTag,
    TimePeriod, TimeUnit,
};
use aws_smithy_types::DateTime;
use chrono::{Datelike, TimeZone, Utc};
use common::*;

fn month_start() -> i64 {
    let now = Utc::now();
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .unwrap()
        .timestamp()
}

#[tokio::test]
async fn a_budget_round_trips_with_aws_defaults_filled_in() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("total-monthly", "100"))
        .send()
        .await
        .unwrap();
    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("total-monthly")
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    // "100" comes back as "100.0".
    assert_eq!(b.budget_limit().unwrap().amount(), "100.0");
    assert_eq!(b.budget_limit().unwrap().unit(), "USD");
    // Every cost type is returned, with AWS's defaults.
    let ct = b.cost_types().unwrap();
    assert_eq!(ct.include_tax(), Some(true));
    assert_eq!(ct.use_blended(), Some(false));
    assert_eq!(ct.use_amortized(), Some(false));
    assert_eq!(ct.include_discount(), Some(true));
    // Start defaults to the start of the current period, end to 2087-06-15.
    let period = b.time_period().unwrap();
    assert_eq!(period.start().unwrap().secs(), month_start());
    assert_eq!(
        period.end().unwrap().secs(),
        Utc.with_ymd_and_hms(2087, 6, 15, 0, 0, 0)
            .unwrap()
            .timestamp()
    );
    // CalculatedSpend is returned, zero before any spend.
    let spend = b.calculated_spend().unwrap();
    assert_eq!(spend.actual_spend().unwrap().amount(), "0.0");
    assert!(b.last_updated_time().is_some());
    assert_eq!(b.cost_filters().map(|f| f.len()), Some(0));
}

#[tokio::test]
async fn large_amounts_come_back_in_exponent_form() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("big", "15300000"))
        .send()
        .await
        .unwrap();
    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("big")
        .send()
        .await
        .unwrap();
    assert_eq!(
        b.budget.unwrap().budget_limit().unwrap().amount(),
        "1.53E+7"
    );
}

#[tokio::test]
async fn planned_budgets_also_return_the_current_periods_limit() {
    let server = server().await;
    let c = client(&server);
    let start = month_start();
    let next = Utc
        .timestamp_opt(start, 0)
        .unwrap()
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .timestamp();
    let budget = Budget::builder()
        .budget_name("planned")
        .budget_type(BudgetType::Cost)
        .time_unit(TimeUnit::Monthly)
        .planned_budget_limits(start.to_string(), spend("900", "USD"))
        .planned_budget_limits(next.to_string(), spend("1000", "USD"))
        .build()
        .unwrap();
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(budget)
        .send()
        .await
        .unwrap();
    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("planned")
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    assert_eq!(b.budget_limit().unwrap().amount(), "900.0");
    let planned = b.planned_budget_limits().unwrap();
    assert_eq!(planned[&next.to_string()].amount(), "1000.0");
}

#[tokio::test]
async fn auto_adjusting_budgets_return_a_computed_limit_from_history() {
    let server = server().await;
    let c = client(&server);
    let budget = Budget::builder()
        .budget_name("auto")
        .budget_type(BudgetType::Cost)
        .time_unit(TimeUnit::Monthly)
        .auto_adjust_data(
            AutoAdjustData::builder()
                .auto_adjust_type(AutoAdjustType::Historical)
                .historical_options(
                    HistoricalOptions::builder()
                        .budget_adjustment_period(2)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(budget)
        .send()
        .await
        .unwrap();
    seed_history(
        &server,
        "auto",
        &[
            ("2026-08-01", "2026-09-01", "0", "100"),
            ("2026-09-01", "2026-10-01", "0", "200"),
            ("2026-10-01", "2026-11-01", "0", "400"),
        ],
    );
    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("auto")
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    // The average of the last two periods.
    assert_eq!(b.budget_limit().unwrap().amount(), "300.0");
    let auto = b.auto_adjust_data().unwrap();
    assert_eq!(
        auto.historical_options()
            .unwrap()
            .look_back_available_periods(),
        Some(2)
    );
    assert!(auto.last_auto_adjust_time().is_some());
}

#[tokio::test]
async fn update_budget_resets_calculated_spend_and_moves_last_updated_time() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("b", "100"))
        .send()
        .await
        .unwrap();
    seed_spend(&server, "b", Some("42.5"), Some("90"));
    let before = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    assert_eq!(
        before
            .calculated_spend()
            .unwrap()
            .actual_spend()
            .unwrap()
            .amount(),
        "42.5"
    );
    assert_eq!(
        before
            .calculated_spend()
            .unwrap()
            .forecasted_spend()
            .unwrap()
            .amount(),
        "90.0"
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    c.update_budget()
        .account_id(ACCOUNT)
        .new_budget(cost_budget("b", "200"))
        .send()
        .await
        .unwrap();
    let after = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    assert_eq!(after.budget_limit().unwrap().amount(), "200.0");
    assert_eq!(
        after
            .calculated_spend()
            .unwrap()
            .actual_spend()
            .unwrap()
            .amount(),
        "0.0"
    );
    assert!(
        after.last_updated_time().unwrap().as_secs_f64()
            > before.last_updated_time().unwrap().as_secs_f64()
    );
}

#[tokio::test]
async fn filter_expression_and_metrics_come_back_only_when_asked() {
    let server = server().await;
    let c = client(&server);
    let mut budget = cost_budget("filtered", "100");
    budget.filter_expression = Some(
        Expression::builder()
            .dimensions(
                ExpressionDimensionValues::builder()
                    .key(Dimension::Service)
                    .values("Amazon Elastic Compute Cloud - Compute")
                    .build()
                    .unwrap(),
            )
            .build(),
    );
    budget.metrics = Some(vec![Metric::UnblendedCost]);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(budget)
        .send()
        .await
        .unwrap();
    let plain = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("filtered")
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    assert!(plain.filter_expression().is_none());
    assert!(plain.metrics().is_empty());
    let shown = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("filtered")
        .show_filter_expression(true)
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    let dims = shown.filter_expression().unwrap().dimensions().unwrap();
    assert_eq!(dims.key(), &Dimension::Service);
    assert_eq!(shown.metrics(), [Metric::UnblendedCost]);
    let listed = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .show_filter_expression(true)
        .send()
        .await
        .unwrap();
    assert!(listed.budgets()[0].filter_expression().is_some());
}

#[tokio::test]
async fn filter_expression_with_cost_filters_or_cost_types_is_refused() {
    let server = server().await;
    let c = client(&server);
    let expression = || {
        Expression::builder()
            .dimensions(
                ExpressionDimensionValues::builder()
                    .key(Dimension::Region)
                    .values("us-east-1")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let mut with_types = cost_budget("with-types", "100");
    with_types.filter_expression = Some(expression());
    with_types.metrics = Some(vec![Metric::UnblendedCost]);
    with_types.cost_types = Some(
        aws_sdk_budgets::types::CostTypes::builder()
            .include_tax(false)
            .build(),
    );
    let mut with_filters = cost_budget("with-filters", "100");
    with_filters.filter_expression = Some(expression());
    with_filters.metrics = Some(vec![Metric::UnblendedCost]);
    with_filters.cost_filters = Some([("Region".to_owned(), vec!["us-east-1".to_owned()])].into());
    for budget in [with_types, with_filters] {
        let refused = c
            .create_budget()
            .account_id(ACCOUNT)
            .budget(budget.clone())
            .send()
            .await;
        assert_eq!(code(refused), "InvalidParameterException");
        // An existing budget cannot be updated into the combination either.
        c.create_budget()
            .account_id(ACCOUNT)
            .budget(cost_budget(budget.budget_name(), "100"))
            .send()
            .await
            .unwrap();
        let refused = c
            .update_budget()
            .account_id(ACCOUNT)
            .new_budget(budget)
            .send()
            .await;
        assert_eq!(code(refused), "InvalidParameterException");
    }
}

#[tokio::test]
async fn create_with_notifications_and_tags_is_one_call() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("atomic", "100"))
        .notifications_with_subscribers(
            NotificationWithSubscribers::builder()
                .notification(notification(80.0))
                .subscribers(email("finops@example.com"))
                .subscribers(sns("alerts"))
                .build()
                .unwrap(),
        )
        .resource_tags(
            ResourceTag::builder()
                .key("owner")
                .value("finops")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let notifications = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("atomic")
        .send()
        .await
        .unwrap();
    assert_eq!(notifications.notifications().len(), 1);
    let tags = c
        .list_tags_for_resource()
        .resource_arn(format!("arn:aws:budgets::{ACCOUNT}:budget/atomic"))
        .send()
        .await
        .unwrap();
    assert_eq!(tags.resource_tags()[0].key(), "owner");
    assert_eq!(server.service().request_counts()["CreateBudget"], 1);
}

#[tokio::test]
async fn documented_errors_of_budget_calls() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("dup", "1"))
        .send()
        .await
        .unwrap();
    let again = c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("dup", "1"))
        .send()
        .await;
    assert_eq!(code(again), "DuplicateRecordException");

    let missing = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("nope")
        .send()
        .await;
    assert_eq!(code(missing), "NotFoundException");
    let missing = c
        .delete_budget()
        .account_id(ACCOUNT)
        .budget_name("nope")
        .send()
        .await;
    assert_eq!(code(missing), "NotFoundException");
    let missing = c
        .update_budget()
        .account_id(ACCOUNT)
        .new_budget(cost_budget("nope", "1"))
        .send()
        .await;
    assert_eq!(code(missing), "NotFoundException");

    let bad_name = c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("a:b", "1"))
        .send()
        .await;
    let msg = message(
        c.create_budget()
            .account_id(ACCOUNT)
            .budget(cost_budget("a:b", "1"))
            .send()
            .await,
    );
    assert_eq!(code(bad_name), "InvalidParameterException");
    assert!(msg.contains("budget.budgetName"), "{msg}");

    let bad_account = c.describe_budgets().account_id("1234").send().await;
    assert_eq!(code(bad_account), "InvalidParameterException");

    // Exactly one way to set the limit.
    let mut both = cost_budget("both", "1");
    both.planned_budget_limits = Some([(month_start().to_string(), spend("1", "USD"))].into());
    let both = c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(both)
        .send()
        .await;
    assert_eq!(code(both), "InvalidParameterException");
    let none = Budget::builder()
        .budget_name("none")
        .budget_type(BudgetType::Cost)
        .time_unit(TimeUnit::Monthly)
        .build()
        .unwrap();
    let none = c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(none)
        .send()
        .await;
    assert_eq!(code(none), "InvalidParameterException");

    // RI budgets track 100%.
    let ri = Budget::builder()
        .budget_name("ri")
        .budget_type(BudgetType::RiUtilization)
        .time_unit(TimeUnit::Monthly)
        .budget_limit(spend("80", "PERCENTAGE"))
        .build()
        .unwrap();
    assert_eq!(
        code(
            c.create_budget()
                .account_id(ACCOUNT)
                .budget(ri)
                .send()
                .await
        ),
        "InvalidParameterException"
    );

    // Dates: start before end, end by 2087-06-15.
    let mut late = cost_budget("late", "1");
    late.time_period = Some(
        TimePeriod::builder()
            .end(DateTime::from_secs(
                Utc.with_ymd_and_hms(2087, 6, 16, 0, 0, 0)
                    .unwrap()
                    .timestamp(),
            ))
            .build(),
    );
    assert_eq!(
        code(
            c.create_budget()
                .account_id(ACCOUNT)
                .budget(late)
                .send()
                .await
        ),
        "InvalidParameterException"
    );

    // Cost types on a usage budget are accepted but not invented.
    let usage = Budget::builder()
        .budget_name("usage")
        .budget_type(BudgetType::Usage)
        .time_unit(TimeUnit::Monthly)
        .budget_limit(spend("10", "GB"))
        .cost_types(CostTypes::builder().include_tax(false).build())
        .build()
        .unwrap();
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(usage)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_removes_the_budget() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("gone", "1"))
        .send()
        .await
        .unwrap();
    c.delete_budget()
        .account_id(ACCOUNT)
        .budget_name("gone")
        .send()
        .await
        .unwrap();
    let listed = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    assert!(listed.budgets().is_empty());
}

#[tokio::test]
async fn accounts_are_kept_apart() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("mine", "1"))
        .send()
        .await
        .unwrap();
    let other = c
        .describe_budgets()
        .account_id("444455556666")
        .send()
        .await
        .unwrap();
    assert!(other.budgets().is_empty());
}

/// PlannedBudgetLimits as the Budget shape documents them: keys are period
/// starts in UTC epoch seconds, from the current period on, at most 12
/// months (4 quarters), and the current period is among them.
#[tokio::test]
async fn planned_limits_must_start_at_the_current_period() {
    let server = server().await;
    let c = client(&server);
    let months = |from: i32, count: u32| -> Vec<String> {
        let start = Utc.timestamp_opt(month_start(), 0).unwrap();
        (0..count)
            .map(|i| {
                let m = if from < 0 {
                    start.checked_sub_months(chrono::Months::new(from.unsigned_abs()))
                } else {
                    start.checked_add_months(chrono::Months::new(from as u32))
                };
                m.unwrap()
                    .checked_add_months(chrono::Months::new(i))
                    .unwrap()
                    .timestamp()
                    .to_string()
            })
            .collect()
    };
    let create = |name: &'static str, time_unit: TimeUnit, keys: Vec<String>| {
        let c = c.clone();
        async move {
            let mut b = Budget::builder()
                .budget_name(name)
                .budget_type(BudgetType::Cost)
                .time_unit(time_unit);
            for k in keys {
                b = b.planned_budget_limits(k, spend("10", "USD"));
            }
            c.create_budget()
                .account_id(ACCOUNT)
                .budget(b.build().unwrap())
                .send()
                .await
        }
    };
    let refused = [
        ("past", months(-1, 3), "before the current period"),
        ("later", months(1, 3), "must include the current period"),
        ("thirteen", months(0, 13), "at most 12 entries"),
        (
            "mid-month",
            vec![(month_start() + 86_400).to_string()],
            "not the start of a MONTHLY period",
        ),
    ];
    for (name, keys, expected) in refused {
        let msg = message(create(name, TimeUnit::Monthly, keys).await);
        assert!(msg.contains(expected), "{name}: {msg}");
    }
    create("twelve", TimeUnit::Monthly, months(0, 12))
        .await
        .unwrap();
    let quarter = Utc.timestamp_opt(month_start(), 0).unwrap();
    let quarter = Utc
        .with_ymd_and_hms(
            quarter.year(),
            (quarter.month() - 1) / 3 * 3 + 1,
            1,
            0,
            0,
            0,
        )
        .unwrap();
    let quarters = |n: u32| -> Vec<String> {
        (0..n)
            .map(|i| {
                quarter
                    .checked_add_months(chrono::Months::new(3 * i))
                    .unwrap()
                    .timestamp()
                    .to_string()
            })
            .collect()
    };
    let msg = message(create("five-quarters", TimeUnit::Quarterly, quarters(5)).await);
    assert!(msg.contains("at most 4 entries"), "{msg}");
    create("four-quarters", TimeUnit::Quarterly, quarters(4))
        .await
        .unwrap();

    // UpdateBudget holds to the same rule.
    let mut b = Budget::builder()
        .budget_name("twelve")
        .budget_type(BudgetType::Cost)
        .time_unit(TimeUnit::Monthly);
    for k in months(-1, 2) {
        b = b.planned_budget_limits(k, spend("10", "USD"));
    }
    let msg = message(
        c.update_budget()
            .account_id(ACCOUNT)
            .new_budget(b.build().unwrap())
            .send()
            .await,
    );
    assert!(msg.contains("before the current period"), "{msg}");
}

/// AWS's own wording for these refusals, as moto's Budgets tests record it.
#[tokio::test]
async fn refusals_use_aws_wording() {
    let server = server().await;
    let c = client(&server);
    let deleted = c
        .delete_budget()
        .account_id(ACCOUNT)
        .budget_name("none")
        .send()
        .await;
    assert_eq!(
        message(deleted),
        "Unable to delete budget: none - the budget doesn't exist. Try creating it first. "
    );
    let created = c
        .create_notification()
        .account_id(ACCOUNT)
        .budget_name("none")
        .notification(notification(80.0))
        .subscribers(email("finops@example.com"))
        .send()
        .await;
    assert_eq!(
        message(created),
        "Unable to create notification - the budget doesn't exist."
    );
    let removed = c
        .delete_notification()
        .account_id(ACCOUNT)
        .budget_name("none")
        .notification(notification(80.0))
        .send()
        .await;
    assert_eq!(
        message(removed),
        "Unable to delete notification - the budget doesn't exist."
    );
    let no_limit = c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(
            aws_sdk_budgets::types::Budget::builder()
                .budget_name("b")
                .budget_type(aws_sdk_budgets::types::BudgetType::Cost)
                .time_unit(aws_sdk_budgets::types::TimeUnit::Monthly)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_eq!(
        message(no_limit),
        "Unable to create/update budget - please provide one of the followings: Budget Limit/ Planned Budget Limit/ Auto Adjust Data"
    );
}

/// DescribeBudgetPerformanceHistory pages as the model says (MaxResults,
/// NextToken) and keeps the periods that start in the TimePeriod asked.
#[tokio::test]
async fn performance_history_pages_and_keeps_the_time_period_asked() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("b", "100"))
        .send()
        .await
        .unwrap();
    seed_history(
        &server,
        "b",
        &[
            ("2026-07-01", "2026-08-01", "100", "70"),
            ("2026-08-01", "2026-09-01", "100", "80"),
            ("2026-09-01", "2026-10-01", "100", "90"),
            ("2026-10-01", "2026-11-01", "100", "110"),
            ("2026-11-01", "2026-12-01", "100", "120"),
        ],
    );
    let day =
        |y, m| DateTime::from_secs(Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).unwrap().timestamp());
    let mut pages = c
        .describe_budget_performance_history()
        .account_id(ACCOUNT)
        .budget_name("b")
        .time_period(
            aws_sdk_budgets::types::TimePeriod::builder()
                .start(day(2026, 8))
                .end(day(2026, 12))
                .build(),
        )
        .max_results(2)
        .into_paginator()
        .send();
    let mut seen = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        count += 1;
        for p in page
            .budget_performance_history()
            .unwrap()
            .budgeted_and_actual_amounts_list()
        {
            seen.push(p.actual_amount().unwrap().amount().to_owned());
        }
    }
    // August to November, two a page.
    assert_eq!(seen, ["80.0", "90.0", "110.0", "120.0"]);
    assert_eq!(count, 2);
}

/// HealthStatus is the service's: ignored when sent, returned as seeded.
#[tokio::test]
async fn health_status_is_returned_as_seeded() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("b", "100"))
        .send()
        .await
        .unwrap();
    let described = || async {
        c.describe_budget()
            .account_id(ACCOUNT)
            .budget_name("b")
            .send()
            .await
            .unwrap()
            .budget
            .unwrap()
    };
    assert!(described().await.health_status().is_none());
    server
        .service()
        .seed_spend(&budgetctl_local::SpendRequest {
            account_id: ACCOUNT.into(),
            budget_name: "b".into(),
            actual_spend: None,
            forecasted_spend: None,
            history: Vec::new(),
            health_status: Some(budgetctl_local::HealthRequest {
                status: "UNHEALTHY".into(),
                status_reason: Some("FILTER_INVALID".into()),
            }),
        })
        .unwrap();
    let health = described().await.health_status().cloned().unwrap();
    assert_eq!(health.status().map(|s| s.as_str()), Some("UNHEALTHY"));
    assert_eq!(
        health.status_reason().map(|s| s.as_str()),
        Some("FILTER_INVALID")
    );
    assert!(health.last_updated_time().is_some());
    let refused = server.service().seed_spend(&budgetctl_local::SpendRequest {
        account_id: ACCOUNT.into(),
        budget_name: "b".into(),
        actual_spend: None,
        forecasted_spend: None,
        history: Vec::new(),
        health_status: Some(budgetctl_local::HealthRequest {
            status: "SICK".into(),
            status_reason: None,
        }),
    });
    assert!(refused.is_err());
}
