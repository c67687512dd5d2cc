//! `budgetctl import`: budgets made through the Budgets API, with every
//! feature and AWS's own spellings, come out as a budget file that plans
//! with no changes.

#![allow(deprecated)] // CostTypes and CostFilters are deprecated in the SDK but still part of the API.

use crate::support;

use std::collections::HashMap;

use aws_sdk_budgets::Client;
use aws_sdk_budgets::types::{
    AutoAdjustData, AutoAdjustType, Budget, BudgetType, ComparisonOperator, CostTypes, Dimension,
    Expression, ExpressionDimensionValues, HistoricalOptions, MatchOption, Metric, Notification,
    NotificationType, NotificationWithSubscribers, ResourceTag, Spend, Subscriber,
    SubscriptionType, TagValues, ThresholdType, TimePeriod, TimeUnit,
};
use aws_smithy_types::DateTime;
use budgetctl_aws::{Connection, client};
use budgetctl_local::{LocalOptions, LocalServer};
use chrono::{Datelike, Months, NaiveDate, Utc};
use support::{budgetctl_against, text};

use budgetctl_testkit::ACCOUNT;
const OTHER: &str = "444455556666";

async fn budgets_client(server: &LocalServer) -> Client {
    client(&Connection {
        endpoint_url: Some(server.url()),
        local: true,
        ..Connection::default()
    })
    .await
}

fn spend(amount: &str, unit: &str) -> Spend {
    Spend::builder().amount(amount).unit(unit).build().unwrap()
}

fn at(day: NaiveDate) -> DateTime {
    DateTime::from_secs(day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp())
}

fn this_month() -> NaiveDate {
    Utc::now().date_naive().with_day(1).unwrap()
}

fn this_quarter() -> NaiveDate {
    let m = this_month();
    m.with_month((m.month() - 1) / 3 * 3 + 1).unwrap()
}

fn email(address: &str) -> Subscriber {
    Subscriber::builder()
        .subscription_type(SubscriptionType::Email)
        .address(address)
        .build()
        .unwrap()
}

fn sns(topic: &str) -> Subscriber {
    Subscriber::builder()
        .subscription_type(SubscriptionType::Sns)
        .address(format!("arn:aws:sns:us-east-1:{ACCOUNT}:{topic}"))
        .build()
        .unwrap()
}

/// A notification as another tool would send it: `threshold_type` is left
/// out unless given, and AWS reads that as a percentage.
fn alert(
    kind: NotificationType,
    comparison: ComparisonOperator,
    threshold: f64,
    threshold_type: Option<ThresholdType>,
    subscribers: Vec<Subscriber>,
) -> NotificationWithSubscribers {
    NotificationWithSubscribers::builder()
        .notification(
            Notification::builder()
                .notification_type(kind)
                .comparison_operator(comparison)
                .threshold(threshold)
                .set_threshold_type(threshold_type)
                .build()
                .unwrap(),
        )
        .set_subscribers(Some(subscribers))
        .build()
        .unwrap()
}

fn budget(
    name: &str,
    kind: BudgetType,
    unit: TimeUnit,
) -> aws_sdk_budgets::types::builders::BudgetBuilder {
    Budget::builder()
        .budget_name(name)
        .budget_type(kind)
        .time_unit(unit)
}

async fn create(
    client: &Client,
    account: &str,
    budget: Budget,
    alerts: Vec<NotificationWithSubscribers>,
    tags: &[(&str, &str)],
) {
    let tags: Vec<ResourceTag> = tags
        .iter()
        .map(|(k, v)| ResourceTag::builder().key(*k).value(*v).build().unwrap())
        .collect();
    client
        .create_budget()
        .account_id(account)
        .budget(budget)
        .set_notifications_with_subscribers(Some(alerts))
        .set_resource_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateBudget: {e:?}"));
}

/// Budgets with every feature, written the way the console, the CLI or
/// Terraform leave them: exponent amounts, omitted threshold types, epoch
/// planned keys, partial cost types.
async fn seed_every_feature(client: &Client) {
    use ComparisonOperator::*;
    use NotificationType::*;

    create(
        client,
        ACCOUNT,
        budget("total-monthly", BudgetType::Cost, TimeUnit::Monthly)
            .budget_limit(spend("1.53E+7", "USD"))
            .cost_types(
                CostTypes::builder()
                    .include_tax(false)
                    .use_amortized(true)
                    .build(),
            )
            .cost_filters(
                "Service",
                vec!["Amazon Elastic Compute Cloud - Compute".into()],
            )
            .cost_filters("Region", vec!["us-east-1".into(), "eu-west-1".into()])
            .build()
            .unwrap(),
        vec![
            alert(
                Actual,
                GreaterThan,
                80.0,
                None,
                vec![email("finops@example.com"), sns("alerts")],
            ),
            alert(
                Forecasted,
                GreaterThan,
                1_200_000.5,
                Some(ThresholdType::AbsoluteValue),
                vec![email("finops@example.com")],
            ),
        ],
        &[("owner", "finops"), ("cost-center", "4711")],
    )
    .await;

    let month = this_month();
    let planned: HashMap<String, Spend> = (0..3)
        .map(|i| {
            let start = month + Months::new(i);
            (
                at(start).secs().to_string(),
                spend(&format!("{}.0", 900 + 100 * i), "USD"),
            )
        })
        .collect();
    create(
        client,
        ACCOUNT,
        budget("eks-planned", BudgetType::Cost, TimeUnit::Monthly)
            .set_planned_budget_limits(Some(planned))
            .filter_expression(
                Expression::builder()
                    .and(
                        Expression::builder()
                            .dimensions(
                                ExpressionDimensionValues::builder()
                                    .key(Dimension::Service)
                                    .values("Amazon Elastic Kubernetes Service")
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    )
                    .and(
                        Expression::builder()
                            .not(
                                Expression::builder()
                                    .tags(
                                        TagValues::builder()
                                            .key("environment")
                                            .values("sandbox")
                                            .match_options(MatchOption::Equals)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .metrics(Metric::UnblendedCost)
            .build()
            .unwrap(),
        vec![alert(
            Forecasted,
            GreaterThan,
            100.0,
            Some(ThresholdType::Percentage),
            vec![sns("platform")],
        )],
        &[],
    )
    .await;

    let quarter = this_quarter();
    let planned: HashMap<String, Spend> = (0..2)
        .map(|i| {
            let start = quarter + Months::new(3 * i);
            (at(start).secs().to_string(), spend("30000", "USD"))
        })
        .collect();
    create(
        client,
        ACCOUNT,
        budget("platform-quarterly", BudgetType::Cost, TimeUnit::Quarterly)
            .set_planned_budget_limits(Some(planned))
            .billing_view_arn(format!("arn:aws:billing::{ACCOUNT}:billingview/primary"))
            .build()
            .unwrap(),
        vec![],
        &[("team", "platform")],
    )
    .await;

    create(
        client,
        ACCOUNT,
        budget("auto-historical", BudgetType::Cost, TimeUnit::Monthly)
            .auto_adjust_data(
                AutoAdjustData::builder()
                    .auto_adjust_type(AutoAdjustType::Historical)
                    .historical_options(
                        HistoricalOptions::builder()
                            .budget_adjustment_period(6)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
        vec![alert(
            Actual,
            GreaterThan,
            90.0,
            None,
            vec![email("finops@example.com")],
        )],
        &[],
    )
    .await;

    create(
        client,
        ACCOUNT,
        budget("auto-forecast", BudgetType::Cost, TimeUnit::Annually)
            .auto_adjust_data(
                AutoAdjustData::builder()
                    .auto_adjust_type(AutoAdjustType::Forecast)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
        vec![],
        &[],
    )
    .await;

    create(
        client,
        ACCOUNT,
        budget("s3-storage", BudgetType::Usage, TimeUnit::Monthly)
            .budget_limit(spend("5000", "GB-Mo"))
            .cost_filters("UsageTypeGroup", vec!["S3: Storage - Standard".into()])
            .build()
            .unwrap(),
        vec![alert(
            Actual,
            GreaterThan,
            4000.0,
            Some(ThresholdType::AbsoluteValue),
            vec![email("storage@example.com")],
        )],
        &[],
    )
    .await;

    create(
        client,
        ACCOUNT,
        budget(
            "ri-utilization",
            BudgetType::RiUtilization,
            TimeUnit::Monthly,
        )
        .budget_limit(spend("100.0", "PERCENTAGE"))
        .build()
        .unwrap(),
        vec![alert(
            Actual,
            LessThan,
            80.0,
            None,
            vec![email("finops@example.com")],
        )],
        &[],
    )
    .await;

    let start = this_month() - Months::new(2);
    create(
        client,
        ACCOUNT,
        budget("migration-window", BudgetType::Cost, TimeUnit::Custom)
            .budget_limit(spend("25000", "USD"))
            .time_period(
                TimePeriod::builder()
                    .start(at(start))
                    .end(at(start + Months::new(6)))
                    .build(),
            )
            .build()
            .unwrap(),
        vec![],
        &[],
    )
    .await;

    create(
        client,
        ACCOUNT,
        budget("data-team-daily", BudgetType::Cost, TimeUnit::Daily)
            .budget_limit(spend("75.50", "USD"))
            .time_period(
                TimePeriod::builder()
                    .end(at(NaiveDate::from_ymd_opt(2030, 12, 31).unwrap()))
                    .build(),
            )
            .build()
            .unwrap(),
        vec![alert(
            Actual,
            EqualTo,
            400.0,
            Some(ThresholdType::AbsoluteValue),
            vec![email("data-leads@example.com"), sns("data-alerts")],
        )],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn import_then_plan_reports_no_changes_for_every_feature() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let client = budgets_client(&server).await;
    seed_every_feature(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let url = server.url();

    let out = budgetctl_against(
        dir.path(),
        &url,
        &["import", "--account", ACCOUNT, "--out", "budgets.yaml"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Imported 9 budgets from account 111122223333 into budgets.yaml."),
        "{}",
        text(&out)
    );
    let yaml = std::fs::read_to_string(dir.path().join("budgets.yaml")).unwrap();
    // Formatted as `budgetctl fmt` formats.
    let fmt = crate::support::budgetctl_in(dir.path())
        .args(["fmt", "--check", "--diff"])
        .output()
        .unwrap();
    assert!(fmt.status.success(), "{}", text(&fmt));

    // The project's own format: defaults factored out, compact alerts,
    // month and quarter keys, decimals as people write them, AWS's defaults
    // (end 2087-06-15, PERCENTAGE, default cost types) left out.
    for expected in [
        "defaults:\n  account: \"111122223333\"\n",
        "  - name: total-monthly\n    limit: 15300000\n",
        "    cost_types: {tax: false, amortized: true}\n",
        "      - on: actual > 80%\n        to: [finops@example.com, arn:aws:sns:us-east-1:111122223333:alerts]\n",
        "      - on: forecasted > 1200000.5 USD\n",
        "    tags: {cost-center: \"4711\", owner: finops}\n",
        &format!(
            "    planned:\n      {}: 900\n",
            this_month().format("%Y-%m")
        ),
        &format!(
            "      {}-Q{}: 30000\n",
            this_quarter().year(),
            (this_quarter().month() - 1) / 3 + 1
        ),
        "    auto_adjust: {historical: 6}\n",
        "    auto_adjust: {forecast: true}\n",
        "    type: usage\n    limit: 5000 GB-Mo\n",
        "      - on: actual > 4000 GB-Mo\n",
        "    type: ri-utilization\n",
        "      - on: actual < 80%\n",
        "    period: custom\n",
        "    limit: 75.5\n    end: 2030-12-31\n",
        "      - on: actual = 400 USD\n",
        "            values: [Amazon Elastic Kubernetes Service]\n",
        "    metrics: [unblended-cost]\n",
        "    billing_view_arn: arn:aws:billing::111122223333:billingview/primary\n",
    ] {
        assert!(yaml.contains(expected), "missing {expected:?} in:\n{yaml}");
    }
    for absent in [
        "2087-06-15",
        "1.53E+7",
        "PERCENTAGE",
        "percentage",
        "threshold_type",
    ] {
        assert!(!yaml.contains(absent), "{absent:?} in:\n{yaml}");
    }

    let plan = budgetctl_against(
        dir.path(),
        &url,
        &["plan", "-f", "budgets.yaml", "--detailed-exitcode"],
    )
    .await;
    assert_eq!(plan.status.code(), Some(0), "{}\n{yaml}", text(&plan));
    assert!(
        text(&plan).contains("No changes."),
        "{}\n{yaml}",
        text(&plan)
    );

    // Apply on the imported file writes nothing either.
    let writes = |server: &LocalServer| {
        let mut counts = server.service().applied_counts();
        counts.retain(|op, _| !op.starts_with("Describe") && !op.starts_with("List"));
        counts
    };
    let before = writes(&server);
    let apply = budgetctl_against(
        dir.path(),
        &url,
        &["apply", "-f", "budgets.yaml", "--auto-approve"],
    )
    .await;
    assert!(apply.status.success(), "{}", text(&apply));
    assert_eq!(writes(&server), before);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn match_and_a_directory_write_one_file_per_account_and_never_overwrite() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let client = budgets_client(&server).await;
    for (account, name) in [
        (ACCOUNT, "team-a"),
        (ACCOUNT, "team-b"),
        (ACCOUNT, "legacy-console"),
        (OTHER, "team-c"),
    ] {
        create(
            &client,
            account,
            budget(name, BudgetType::Cost, TimeUnit::Monthly)
                .budget_limit(spend("100", "USD"))
                .build()
                .unwrap(),
            vec![],
            &[],
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = server.url();
    let args = [
        "import",
        "--account",
        ACCOUNT,
        "--account",
        OTHER,
        "--match",
        "team-*",
        "--out",
        "budgets/",
    ];
    let out = budgetctl_against(dir.path(), &url, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    let first = std::fs::read_to_string(dir.path().join("budgets/111122223333.yaml")).unwrap();
    let second = std::fs::read_to_string(dir.path().join("budgets/444455556666.yaml")).unwrap();
    assert!(
        first.contains("name: team-a") && first.contains("name: team-b"),
        "{first}"
    );
    assert!(
        !first.contains("legacy-console"),
        "--match leaves it out:\n{first}"
    );
    assert!(second.contains("name: team-c"), "{second}");

    // The directory plans clean; the unmatched budget shows as unmanaged.
    let plan = budgetctl_against(
        dir.path(),
        &url,
        &["plan", "-f", "budgets", "--detailed-exitcode"],
    )
    .await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(text(&plan).contains("legacy-console"), "{}", text(&plan));

    // A second import refuses to overwrite, and changes nothing.
    std::fs::write(dir.path().join("budgets/111122223333.yaml"), "# edited\n").unwrap();
    let again = budgetctl_against(dir.path(), &url, &args).await;
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("--force"), "{}", text(&again));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("budgets/111122223333.yaml")).unwrap(),
        "# edited\n"
    );
    let forced = budgetctl_against(dir.path(), &url, &[&args[..], &["--force"]].concat()).await;
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("budgets/111122223333.yaml")).unwrap(),
        first
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_stop_import_before_any_request() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url();
    for (args, code, says) in [
        (
            vec!["import", "--account", "1111-2222-3333"],
            // One message for every --account, from its value parser, with
            // clap's exit code for a bad argument (as --shard has).
            2,
            "`1111-2222-3333` is not an account id: write its 12 digits",
        ),
        (
            vec!["import", "--account", ACCOUNT, "--match", "team-[a"],
            1,
            "--match team-[a is not a glob",
        ),
    ] {
        let out = budgetctl_against(dir.path(), &url, &args).await;
        assert_eq!(out.status.code(), Some(code), "{}", text(&out));
        assert!(text(&out).contains(says), "{}", text(&out));
    }
    assert!(server.service().request_counts().is_empty());

    // An account without budgets: nothing to write, said plainly.
    let out = budgetctl_against(
        dir.path(),
        &url,
        &["import", "--account", ACCOUNT, "--out", "b.yaml"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("nothing to import: no budgets in account 111122223333"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("b.yaml").exists());
    server.shutdown().await.unwrap();
}
