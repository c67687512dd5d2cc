//! Properties over generated input: any valid model written as YAML reads back
//! to the same model and validates; no input, however broken, makes parsing panic.

use std::collections::BTreeMap;

use budgetctl_spec::{
    AccountId, AccountSettings, ActionDefinition, ApprovalModel, AutoAdjust, Budget, BudgetAction,
    BudgetLimit, BudgetType, ComparisonOperator, Config, CostTypes, DesiredBudget, Dimension,
    DimensionValues, Expression, InstanceService, KeyValues, Language, MatchOption, Metric,
    Notification, NotificationKey, NotificationType, Origin, Response, ResponseAction,
    ServiceCatalogAction, Spend, Subscriber, ThresholdType, TimeUnit, load_str, to_yaml,
};
use chrono::{Months, NaiveDate};
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;

/// A non-negative amount with up to `scale` decimals.
fn amount(max: i64, scale: u32) -> impl Strategy<Value = Decimal> {
    (0..=max, 0..=scale).prop_map(|(n, s)| Decimal::new(n, s))
}

fn text(pattern: &'static str) -> impl Strategy<Value = String> {
    proptest::string::string_regex(pattern).expect("valid regex")
}

/// Printable text with the characters YAML treats specially.
fn tricky_text() -> impl Strategy<Value = String> {
    text(r#"[a-zA-Z0-9 _.()/#&*!|>'"%@`,{}\[\]?=+-]{1,24}"#)
}

fn budget_name() -> impl Strategy<Value = String> {
    tricky_text().prop_filter("AWS name rules", |n| {
        budgetctl_spec::rules::budget_name(n).is_ok()
    })
}

fn date(from_year: i32, to_year: i32) -> impl Strategy<Value = NaiveDate> {
    (from_year..=to_year, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn email() -> impl Strategy<Value = Subscriber> {
    text("[a-z0-9._+-]{1,12}@[a-z0-9]{1,10}\\.(com|org|co\\.uk)").prop_map(Subscriber::Email)
}

fn sns() -> impl Strategy<Value = Subscriber> {
    (
        select(vec!["us-east-1", "eu-west-1", "ap-southeast-2"]),
        text("[A-Za-z0-9_-]{1,20}"),
    )
        .prop_map(|(r, t)| Subscriber::Sns(format!("arn:aws:sns:{r}:111122223333:{t}")))
}

fn subscribers() -> impl Strategy<Value = Vec<Subscriber>> {
    (
        prop::collection::btree_set(email(), 0..4),
        prop::option::of(sns()),
    )
        .prop_filter_map("at least one subscriber", |(emails, sns)| {
            let mut all: Vec<Subscriber> = emails.into_iter().collect();
            all.extend(sns);
            (!all.is_empty()).then_some(all)
        })
}

fn notification() -> impl Strategy<Value = Notification> {
    (
        select(NotificationType::ALL.to_vec()),
        select(ComparisonOperator::ALL.to_vec()),
        select(ThresholdType::ALL.to_vec()),
        amount(1_000_000_000, 2),
        subscribers(),
    )
        .prop_map(|(t, c, tt, threshold, subscribers)| Notification {
            key: NotificationKey {
                notification_type: t,
                comparison: c,
                threshold,
                threshold_type: tt,
            },
            subscribers,
        })
}

fn definition() -> impl Strategy<Value = ActionDefinition> {
    let names = |re: &'static str| prop::collection::btree_set(text(re), 0..3);
    prop_oneof![
        (
            text("arn:aws:iam::(aws|111122223333):policy/[A-Za-z0-9+=,.@_-]{1,20}"),
            names("[a-z][a-z0-9_-]{0,10}"),
            names("/team/[a-z]{1,8}"),
            names("[a-z]{1,8}").prop_map(|mut s| {
                s.insert("developer".into());
                s
            }),
        )
            .prop_map(
                |(policy, users, groups, roles)| ActionDefinition::IamPolicy {
                    policy,
                    users: users.into_iter().collect(),
                    groups: groups.into_iter().collect(),
                    roles: roles.into_iter().collect(),
                }
            ),
        (
            text("p-[a-zA-Z0-9_]{8,20}"),
            prop::collection::btree_set(text("ou-[a-z0-9]{4}-[a-z0-9]{8}|[0-9]{12}"), 1..3),
        )
            .prop_map(|(policy, targets)| ActionDefinition::Scp {
                policy,
                targets: targets.into_iter().collect(),
            }),
        (
            select(InstanceService::ALL.to_vec()),
            select(vec!["eu-west-1", "us-east-1", "us-gov-west-1"]),
            prop::collection::btree_set(text("[a-f0-9]{17}"), 1..3),
        )
            .prop_map(|(service, region, ids)| ActionDefinition::StopInstances {
                service,
                region: region.to_owned(),
                instances: ids
                    .into_iter()
                    .map(|id| match service {
                        InstanceService::Ec2 => format!("i-{id}"),
                        InstanceService::Rds => format!("db-{id}"),
                    })
                    .collect(),
            }),
    ]
}

fn action() -> impl Strategy<Value = BudgetAction> {
    (
        text("[a-z][a-z0-9 _.-]{0,30}"),
        select(NotificationType::ALL.to_vec()),
        select(ThresholdType::ALL.to_vec()),
        amount(1_000_000_000, 2),
        definition(),
        select(ApprovalModel::ALL.to_vec()),
        subscribers(),
    )
        .prop_map(
            |(
                name,
                notification_type,
                threshold_type,
                threshold,
                definition,
                approval,
                subscribers,
            )| {
                BudgetAction {
                    name,
                    notification_type,
                    threshold,
                    threshold_type,
                    definition,
                    approval,
                    // Set to a role of the budget's account by `config`.
                    execution_role: String::new(),
                    subscribers,
                }
            },
        )
}

fn actions() -> impl Strategy<Value = Option<Vec<BudgetAction>>> {
    prop::option::of(prop::collection::vec(action(), 0..3).prop_map(|actions| {
        let mut seen = std::collections::HashSet::new();
        actions
            .into_iter()
            .filter(|a| seen.insert(a.name.clone()))
            .collect()
    }))
}

fn response() -> impl Strategy<Value = Response> {
    (
        text("[a-z0-9][a-z0-9._-]{0,20}"),
        select(NotificationType::ALL.to_vec()),
        select(ThresholdType::ALL.to_vec()),
        amount(1_000_000_000, 2),
        any::<bool>(),
        (
            select(vec!["eu-west-1", "us-east-1", "ap-southeast-2"]),
            text("(act-[a-z0-9]{6,12}|[A-Za-z0-9_.-]{1,20})"),
            prop::collection::btree_map(
                text("[A-Za-z][A-Za-z0-9]{0,10}"),
                prop::collection::vec(text("[ -~]{0,12}"), 0..3),
                0..3,
            ),
            prop::option::of(select(Language::ALL.to_vec())),
        ),
    )
        .prop_map(
            |(
                name,
                notification_type,
                threshold_type,
                threshold,
                approve,
                (region, action, parameters, language),
            )| Response {
                name,
                notification_type,
                threshold,
                threshold_type,
                // `config` points approvals at a declared action, and gives
                // each product its own name.
                action: if approve {
                    ResponseAction::ApproveAction(String::new())
                } else {
                    ResponseAction::ServiceCatalog(ServiceCatalogAction {
                        region: region.to_owned(),
                        provisioned_product: String::new(),
                        action,
                        parameters,
                        language,
                    })
                },
            },
        )
}

fn responses() -> impl Strategy<Value = Vec<Response>> {
    prop::collection::vec(response(), 0..3).prop_map(|responses| {
        let mut seen = std::collections::HashSet::new();
        responses
            .into_iter()
            .filter(|r| seen.insert(r.name.clone()))
            .collect()
    })
}

fn notifications() -> impl Strategy<Value = Vec<Notification>> {
    prop::collection::vec(notification(), 0..5).prop_map(|ns| {
        let mut seen = std::collections::HashSet::new();
        ns.into_iter()
            .filter(|n| seen.insert(n.key.clone()))
            .collect()
    })
}

fn key_values() -> impl Strategy<Value = KeyValues> {
    (
        prop::option::of(tricky_text()),
        prop::collection::vec(tricky_text(), 1..3),
        prop::collection::vec(select(MatchOption::ALL.to_vec()), 0..2),
    )
        .prop_map(|(key, values, match_options)| KeyValues {
            key,
            values,
            match_options,
        })
}

fn expression() -> impl Strategy<Value = Expression> {
    let leaf = prop_oneof![
        (
            select(Dimension::ALL.to_vec()),
            prop::collection::vec(tricky_text(), 1..3),
            prop::collection::vec(select(MatchOption::ALL.to_vec()), 0..2)
        )
            .prop_map(|(key, values, match_options)| Expression::Dimensions(
                DimensionValues {
                    key,
                    values,
                    match_options
                }
            )),
        key_values().prop_map(Expression::Tags),
        key_values().prop_map(Expression::CostCategories),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expression::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expression::Or),
            inner.prop_map(|e| Expression::Not(Box::new(e))),
        ]
    })
}

fn cost_types() -> impl Strategy<Value = CostTypes> {
    (prop::collection::vec(any::<bool>(), 11), any::<bool>()).prop_map(|(flags, blended)| {
        let mut ct = CostTypes::default();
        for ((key, _, _), value) in CostTypes::default().flags().iter().zip(flags) {
            ct.set(key, value);
        }
        // AWS takes one rate: never amortized and blended together.
        if ct.use_amortized && ct.use_blended {
            ct.set(if blended { "amortized" } else { "blended" }, false);
        }
        ct
    })
}

fn unit_for(budget_type: BudgetType) -> BoxedStrategy<String> {
    match budget_type {
        BudgetType::Cost => select(vec!["USD", "EUR"]).prop_map(str::to_owned).boxed(),
        _ => select(vec!["GB", "Hrs", "GB-Mo"])
            .prop_map(str::to_owned)
            .boxed(),
    }
}

fn limit(budget_type: BudgetType, time_unit: TimeUnit) -> BoxedStrategy<BudgetLimit> {
    if budget_type.is_ri_or_sp() {
        return Just(BudgetLimit::Fixed(Spend::new(
            Decimal::ONE_HUNDRED,
            "PERCENTAGE",
        )))
        .boxed();
    }
    let fixed = (amount(10_000_000_000, 2), unit_for(budget_type))
        .prop_map(|(a, u)| BudgetLimit::Fixed(Spend::new(a, u)))
        .boxed();
    let (max, step) = match time_unit {
        TimeUnit::Monthly => (12usize, 1u32),
        TimeUnit::Quarterly => (4, 3),
        TimeUnit::Custom => return fixed,
        _ => (0, 0),
    };
    let auto = time_unit
        .max_auto_adjust_periods()
        .map(|max_periods| {
            prop_oneof![
                (1..=max_periods)
                    .prop_map(|p| BudgetLimit::AutoAdjust(AutoAdjust::Historical { periods: p })),
                Just(BudgetLimit::AutoAdjust(AutoAdjust::Forecast)),
            ]
            .boxed()
        })
        .expect("not custom");
    if max == 0 {
        return prop_oneof![fixed, auto].boxed();
    }
    let planned = (
        2026..2030i32,
        0u32..4,
        prop::collection::vec(amount(1_000_000, 2), 1..=max),
        unit_for(budget_type),
    )
        .prop_map(move |(year, quarter, amounts, unit)| {
            let first = NaiveDate::from_ymd_opt(year, quarter * 3 + 1, 1).unwrap();
            BudgetLimit::Planned(
                amounts
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let start = first
                            .checked_add_months(Months::new(step * i as u32))
                            .unwrap();
                        (start, Spend::new(a, unit.clone()))
                    })
                    .collect(),
            )
        });
    prop_oneof![fixed, planned, auto].boxed()
}

fn budget() -> impl Strategy<Value = Budget> {
    (
        select(BudgetType::ALL.to_vec()),
        select(TimeUnit::ALL.to_vec()),
    )
        .prop_flat_map(|(budget_type, time_unit)| {
            let dates = (date(2020, 2040), 1u32..600, any::<bool>(), any::<bool>()).prop_map(
                move |(start, days, has_start, has_end)| {
                    let end = start + chrono::Days::new(u64::from(days));
                    if time_unit == TimeUnit::Custom {
                        (Some(start), Some(end))
                    } else {
                        (has_start.then_some(start), has_end.then_some(end))
                    }
                },
            );
            let filters = prop::collection::btree_map(
                select(vec!["Service", "Region", "LinkedAccount", "UsageType"])
                    .prop_map(str::to_owned),
                prop::collection::vec(tricky_text(), 1..3),
                0..3,
            );
            let tags = prop::option::of(prop::collection::btree_map(
                tricky_text()
                    .prop_filter("not aws:", |k| !k.to_ascii_lowercase().starts_with("aws:")),
                text("[ -~]{0,20}"),
                0..4,
            ));
            (
                (
                    budget_name(),
                    Just(budget_type),
                    Just(time_unit),
                    limit(budget_type, time_unit),
                    dates,
                ),
                (
                    prop::option::of(cost_types()),
                    filters,
                    prop::option::of(expression()),
                    prop::option::of(select(Metric::ALL.to_vec())),
                    prop::option::of(text("[a-z0-9]{1,12}")),
                    notifications(),
                    tags,
                    actions(),
                    responses(),
                ),
            )
        })
        .prop_map(
            |(
                (name, budget_type, time_unit, limit, (start, end)),
                (
                    ct,
                    cost_filters,
                    filter_expression,
                    metric,
                    view,
                    notifications,
                    tags,
                    actions,
                    responses,
                ),
            )| Budget {
                name,
                budget_type,
                time_unit,
                limit,
                start,
                end,
                // AWS takes FilterExpression + Metrics or CostFilters +
                // CostTypes, never both; default cost types are undeclared.
                cost_types: ct.filter(|ct| {
                    budget_type == BudgetType::Cost
                        && filter_expression.is_none()
                        && *ct != CostTypes::default()
                }),
                cost_filters: if filter_expression.is_none() {
                    cost_filters
                } else {
                    BTreeMap::new()
                },
                metrics: match (&filter_expression, metric) {
                    (Some(_), m) => vec![m.unwrap_or(Metric::UnblendedCost)],
                    (None, m) => m.into_iter().collect(),
                },
                filter_expression,
                billing_view_arn: view
                    .map(|v| format!("arn:aws:billing::111122223333:billingview/{v}")),
                notifications,
                tags,
                actions,
                responses,
            },
        )
}

fn config() -> impl Strategy<Value = Config> {
    let accounts = vec![
        AccountId::parse("111122223333").unwrap(),
        AccountId::parse("011122223333").unwrap(),
    ];
    let settings = (
        prop::option::of(Just("arn:aws:iam::111122223333:role/budgetctl".to_owned())),
        any::<bool>(),
        prop::collection::vec(text("[a-z]{1,8}-\\*"), 0..2),
    )
        .prop_map(|(role, prune, ignore)| AccountSettings {
            role,
            prune,
            ignore,
        });
    (
        prop::collection::vec((select(accounts.clone()), budget()), 1..6),
        prop::collection::btree_map(select(accounts), settings, 0..2),
    )
        .prop_map(|(budgets, accounts)| {
            let mut seen = std::collections::HashSet::new();
            let budgets = budgets
                .into_iter()
                .filter(|(a, b)| seen.insert((a.clone(), b.name.clone())))
                .enumerate()
                .map(|(n, (account, mut budget))| {
                    for a in budget.actions.iter_mut().flatten() {
                        a.execution_role = format!("arn:aws:iam::{account}:role/budgetctl-actions");
                    }
                    // AWS Budgets publishes only to topics of the budget's
                    // own account (validate refuses others).
                    let own = |s: &mut Subscriber| {
                        if let Subscriber::Sns(arn) = s {
                            *arn = arn.replace(":111122223333:", &format!(":{account}:"));
                        }
                    };
                    for n in &mut budget.notifications {
                        n.subscribers.iter_mut().for_each(own);
                    }
                    for a in budget.actions.iter_mut().flatten() {
                        a.subscribers.iter_mut().for_each(own);
                    }
                    let first_action = budget
                        .actions
                        .iter()
                        .flatten()
                        .next()
                        .map(|a| a.name.clone());
                    for (i, r) in budget.responses.iter_mut().enumerate() {
                        match (&mut r.action, &first_action) {
                            (ResponseAction::ApproveAction(name), Some(first)) => {
                                name.clone_from(first)
                            }
                            (ResponseAction::ApproveAction(_), None) => {
                                r.action = ResponseAction::ServiceCatalog(ServiceCatalogAction {
                                    region: "eu-west-1".into(),
                                    provisioned_product: String::new(),
                                    action: "scale-to-zero".into(),
                                    parameters: BTreeMap::new(),
                                    language: None,
                                })
                            }
                            _ => {}
                        }
                        if let ResponseAction::ServiceCatalog(sc) = &mut r.action {
                            sc.provisioned_product = format!("env-{n}-{i}");
                        }
                    }
                    (account, budget)
                })
                .map(|(account, budget)| DesiredBudget {
                    account,
                    budget,
                    origin: Origin {
                        file: String::new(),
                        line: 0,
                        column: 0,
                    },
                    template: None,
                })
                .collect();
            Config {
                accounts,
                budgets,
                ..Config::default()
            }
        })
}

proptest! {
    // No failure persistence: a failing case must never write into the tracked
    // tree; cases worth keeping are named tests below.
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_models_round_trip_through_yaml(config in config()) {
        let yaml = to_yaml(&config);
        let loaded = load_str("generated.yaml", &yaml);
        let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
        prop_assert!(errors.is_empty(), "{}\n---\n{yaml}", errors.join("\n"));
        let read: Vec<(&AccountId, &Budget)> =
            loaded.config.budgets.iter().map(|d| (&d.account, &d.budget)).collect();
        let written: Vec<(&AccountId, &Budget)> =
            config.budgets.iter().map(|d| (&d.account, &d.budget)).collect();
        prop_assert_eq!(read, written, "\n---\n{}", yaml);
        prop_assert_eq!(&loaded.config.accounts, &config.accounts);
    }

    #[test]
    fn arbitrary_input_never_panics(input in any::<String>()) {
        let _ = load_str("fuzz.yaml", &input);
    }

    #[test]
    fn arbitrary_yaml_shaped_input_never_panics(
        lines in prop::collection::vec(
            (0usize..8, select(vec![
                "version: 1", "budgets:", "- name: x", "limit: ", "planned:", "notifications:",
                "on: actual > 80%", "to: [a@b.co]", "tags: {", "}", "[", "]", "&a", "*a", "<<: *a",
                "? ", ": ", "- ", "'", "\"", "\t", "2026-12: 5", "auto_adjust: {historical: 99}",
                "filter_expression:", "and:", "not:", "dimensions: {key: service, values: []}",
                "defaults: {account: \"111122223333\"}", "!!str", "!!binary", "%YAML 1.2", "---", "...",
                "1.0E+999", "-0", ".nan", "~", "null", "0x1F", "0o17",
            ]), any::<u8>()),
            0..40,
        )
    ) {
        let text: String = lines
            .into_iter()
            .map(|(indent, token, tail)| format!("{}{}{}\n", " ".repeat(indent), token, tail % 100))
            .collect();
        let _ = load_str("fuzz.yaml", &text);
    }

    #[test]
    fn arbitrary_bytes_from_disk_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        // Removed when the case ends: nothing is left in the temporary directory.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.yaml");
        std::fs::write(&path, &bytes).unwrap();
        let _ = budgetctl_spec::load_paths(std::slice::from_ref(&path));
    }
}

/// Once found by `generated_models_round_trip_through_yaml`: a name that is a
/// single space, a zero daily limit, AWS's default cost types spelled out, no
/// tags. Default cost types are written as nothing and read back undeclared.
#[test]
fn a_space_named_budget_with_default_cost_types_round_trips_undeclared() {
    let budget = Budget {
        name: " ".into(),
        budget_type: BudgetType::Cost,
        time_unit: TimeUnit::Daily,
        limit: BudgetLimit::Fixed(Spend::new(Decimal::ZERO, "USD")),
        start: None,
        end: None,
        cost_types: Some(CostTypes {
            use_amortized: false,
            use_blended: false,
            ..CostTypes::default()
        }),
        cost_filters: BTreeMap::new(),
        filter_expression: None,
        metrics: vec![],
        billing_view_arn: None,
        notifications: vec![],
        tags: Some(BTreeMap::new()),
        actions: None,
        responses: Vec::new(),
    };
    let config = Config {
        accounts: BTreeMap::new(),
        budgets: vec![DesiredBudget {
            account: AccountId::parse("111122223333").unwrap(),
            budget: budget.clone(),
            origin: Origin {
                file: String::new(),
                line: 0,
                column: 0,
            },
            template: None,
        }],
        ..Config::default()
    };
    let yaml = to_yaml(&config);
    let loaded = load_str("space.yaml", &yaml);
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{}\n---\n{yaml}", errors.join("\n"));
    let undeclared = Budget {
        cost_types: None,
        ..budget
    };
    assert_eq!(loaded.config.budgets[0].budget, undeclared, "\n---\n{yaml}");
}

#[test]
fn a_hand_written_model_round_trips_with_defaults_factored_out() {
    let budget = Budget {
        name: "total-monthly".into(),
        budget_type: BudgetType::Cost,
        time_unit: TimeUnit::Monthly,
        limit: BudgetLimit::Fixed(Spend::new(Decimal::new(100050, 2), "USD")),
        start: None,
        end: None,
        cost_types: Some(CostTypes::default()),
        cost_filters: BTreeMap::new(),
        filter_expression: None,
        metrics: vec![],
        billing_view_arn: None,
        notifications: vec![Notification {
            key: NotificationKey {
                notification_type: NotificationType::Actual,
                comparison: ComparisonOperator::GreaterThan,
                threshold: Decimal::from(80),
                threshold_type: ThresholdType::Percentage,
            },
            subscribers: vec![Subscriber::Email("finops@example.com".into())],
        }],
        tags: None,
        actions: None,
        responses: Vec::new(),
    };
    let config = Config {
        accounts: BTreeMap::new(),
        budgets: vec![DesiredBudget {
            account: AccountId::parse("111122223333").unwrap(),
            budget,
            origin: Origin {
                file: String::new(),
                line: 0,
                column: 0,
            },
            template: None,
        }],
        ..Config::default()
    };
    let yaml = to_yaml(&config);
    assert_eq!(
        yaml,
        "version: 1\ndefaults:\n  account: \"111122223333\"\n  unit: USD\nbudgets:\n  - name: total-monthly\n    limit: 1000.5\n    notifications:\n      - on: actual > 80%\n        to: [finops@example.com]\n"
    );
}

/// A policy, and a budget made to keep it: `(required alert thresholds
/// (actual, forecasted), required tag keys, max, the budget's limit, its
/// alert thresholds, its tags)`.
fn kept_policy() -> impl Strategy<Value = (u32, u32, Vec<String>, u32, u32, u32, u32)> {
    (
        50u32..=150,
        50u32..=150,
        prop::collection::btree_set("[a-z]{1,6}", 0..3),
        100u32..=10_000,
    )
        .prop_flat_map(|(actual, forecasted, tags, max)| {
            (
                Just(actual),
                Just(forecasted),
                Just(tags.into_iter().collect::<Vec<_>>()),
                Just(max),
                1u32..=max,
                1u32..=actual,
                1u32..=forecasted,
            )
        })
}

fn policy_file(
    (actual, forecasted, tags, max, limit, budget_actual, budget_forecasted): &(
        u32,
        u32,
        Vec<String>,
        u32,
        u32,
        u32,
        u32,
    ),
    drop_tag: bool,
    over: bool,
) -> String {
    let required_tags = tags.join(", ");
    let kept: Vec<String> = tags
        .iter()
        .skip(usize::from(drop_tag))
        .map(|t| format!("{t}: x"))
        .collect();
    let limit = if over { max + 1 } else { *limit };
    format!(
        "version: 1\ndefaults: {{account: \"111122223333\", unit: USD}}\npolicy:\n  require:\n    budget_per_account: {{period: monthly}}\n    alerts: [actual > {actual}%, forecasted > {forecasted}%]\n    subscribers: true\n    tags: [{required_tags}]\n  limits:\n    - {{accounts: [all], max: {max} USD}}\n  sns: same-account\nbudgets:\n  - name: b\n    limit: {limit}\n    notifications:\n      - {{on: actual > {budget_actual}%, to: [a@example.com]}}\n      - {{on: forecasted > {budget_forecasted}%, to: [\"arn:aws:sns:us-east-1:111122223333:t\"]}}\n    tags: {{{}}}\n",
        kept.join(", ")
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Generated policies: a budget made to keep one validates clean; one
    /// tag dropped is one `policy-tags` error, a limit over the ceiling one
    /// `policy-limits` error, and nothing else changes.
    #[test]
    fn generated_policies_hold_for_budgets_that_keep_them(p in kept_policy()) {
        let codes = |text: &str| -> Vec<&'static str> {
            let loaded = budgetctl_spec::load_str("policy.yaml", text);
            loaded.diagnostics.iter().map(|d| d.code.as_str()).collect()
        };
        prop_assert_eq!(codes(&policy_file(&p, false, false)), Vec::<&str>::new());
        if !p.2.is_empty() {
            prop_assert_eq!(codes(&policy_file(&p, true, false)), vec!["policy-tags"]);
        }
        prop_assert_eq!(codes(&policy_file(&p, false, true)), vec!["policy-limits"]);
    }
}
