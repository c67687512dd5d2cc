//! The one place where AWS SDK types and the budgetctl model meet, both ways.

#![allow(deprecated)] // CostTypes and CostFilters are deprecated in the SDK but still part of the API.

use std::collections::BTreeMap;

use aws_sdk_budgets::types as sdk;
use aws_smithy_types::DateTime;
use budgetctl_model::amount::{parse_amount, threshold_from_f64, threshold_to_f64, to_aws_string};
use budgetctl_model::{
    ActionDefinition, ActionStatus, ApprovalModel, AutoAdjust, Budget, BudgetAction, BudgetLimit,
    BudgetType, ComparisonOperator, CostTypes, Dimension, DimensionValues, Expression,
    InstanceService, KeyValues, MatchOption, Metric, Notification, NotificationKey,
    NotificationType, Spend, Subscriber, ThresholdType, TimeUnit,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A value from AWS that the model has no place for, naming the budget
/// and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("budget `{budget}`: AWS returned {what} `{value}`, which this budgetctl cannot read")]
pub struct ConvertError {
    pub budget: String,
    pub what: &'static str,
    pub value: String,
}

impl ConvertError {
    /// The same error, naming the budget it was found in.
    pub fn in_budget(mut self, name: &str) -> Self {
        self.budget = name.to_owned();
        self
    }

    /// What AWS returned, without the budget's name: "AWS returned the time
    /// unit `WEEKLY`".
    pub fn reason(&self) -> String {
        format!("AWS returned {} `{}`", self.what, self.value)
    }
}

fn unknown(what: &'static str, value: &str) -> ConvertError {
    ConvertError {
        budget: String::new(),
        what,
        value: value.to_owned(),
    }
}

fn amount(text: &str) -> Result<Decimal, ConvertError> {
    parse_amount(text).map_err(|_| unknown("the amount", text))
}

pub fn spend(s: &sdk::Spend) -> Result<Spend, ConvertError> {
    Ok(Spend::new(amount(s.amount())?, s.unit()))
}

fn date(what: &'static str, t: &DateTime) -> Result<NaiveDate, ConvertError> {
    chrono::DateTime::from_timestamp(t.secs(), 0)
        .map(|d| d.date_naive())
        .ok_or_else(|| unknown(what, &t.secs().to_string()))
}

fn timestamp(d: NaiveDate) -> DateTime {
    DateTime::from_secs(d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp())
}

/// The TimePeriod from the first day `from` to `to`.
pub(crate) fn time_period(from: NaiveDate, to: NaiveDate) -> sdk::TimePeriod {
    sdk::TimePeriod::builder()
        .start(timestamp(from))
        .end(timestamp(to))
        .build()
}

/// One period of DescribeBudgetPerformanceHistory; `None` without its
/// dates (an amount AWS sent unreadably is left out, not guessed).
pub(crate) fn past_period(
    p: &sdk::BudgetedAndActualAmounts,
) -> Option<budgetctl_model::live::PastPeriod> {
    let period = p.time_period()?;
    let budgeted = p.budgeted_amount();
    let actual = p.actual_amount();
    Some(budgetctl_model::live::PastPeriod {
        start: date("the history's start", period.start()?).ok()?,
        end: date("the history's end", period.end()?).ok()?,
        budgeted: budgeted.and_then(|s| amount(s.amount()).ok()),
        actual: actual.and_then(|s| amount(s.amount()).ok()),
        unit: actual
            .or(budgeted)
            .map(|s| s.unit().to_owned())
            .unwrap_or_default(),
    })
}

/// A threshold as AWS keeps it (a double) to the decimal people wrote:
/// the shortest text that reads back as the same double.
pub fn threshold_decimal(value: f64) -> Result<Decimal, ConvertError> {
    threshold_from_f64(value).ok_or_else(|| unknown("the threshold", &value.to_string()))
}

/// A budget from DescribeBudgets, without notifications and tags (read
/// separately); an error names the budget and the field.
pub fn budget_from_sdk(b: &sdk::Budget) -> Result<Budget, ConvertError> {
    budget_fields_from_sdk(b).map_err(|e| e.in_budget(b.budget_name()))
}

fn budget_fields_from_sdk(b: &sdk::Budget) -> Result<Budget, ConvertError> {
    let budget_type = BudgetType::from_aws(b.budget_type().as_str())
        .ok_or_else(|| unknown("the budget type", b.budget_type().as_str()))?;
    let time_unit = TimeUnit::from_aws(b.time_unit().as_str())
        .ok_or_else(|| unknown("the time unit", b.time_unit().as_str()))?;
    // Planned and auto-adjusting budgets also carry a computed BudgetLimit for
    // the current period; it is AWS's, not the user's, and is never compared.
    let limit = if let Some(planned) = b.planned_budget_limits().filter(|p| !p.is_empty()) {
        let mut out = BTreeMap::new();
        for (key, s) in planned {
            let secs: i64 = key
                .parse::<f64>()
                .map(|f| f as i64)
                .map_err(|_| unknown("the planned limit key", key))?;
            out.insert(
                date("the planned limit key", &DateTime::from_secs(secs))?,
                spend(s)?,
            );
        }
        BudgetLimit::Planned(out)
    } else if let Some(auto) = b.auto_adjust_data() {
        match auto.auto_adjust_type() {
            sdk::AutoAdjustType::Historical => {
                let period = auto
                    .historical_options()
                    .map(|h| h.budget_adjustment_period())
                    .ok_or_else(|| {
                        unknown("a historical auto-adjust without", "HistoricalOptions")
                    })?;
                let periods = u32::try_from(period)
                    .ok()
                    .filter(|p| *p >= 1)
                    .ok_or_else(|| unknown("the adjustment period", &period.to_string()))?;
                BudgetLimit::AutoAdjust(AutoAdjust::Historical { periods })
            }
            sdk::AutoAdjustType::Forecast => BudgetLimit::AutoAdjust(AutoAdjust::Forecast),
            other => return Err(unknown("the auto-adjust type", other.as_str())),
        }
    } else if budget_type.is_ri_or_sp() {
        BudgetLimit::Fixed(Spend::new(Decimal::ONE_HUNDRED, "PERCENTAGE"))
    } else {
        let limit = b
            .budget_limit()
            .ok_or_else(|| unknown("a budget without", "BudgetLimit"))?;
        BudgetLimit::Fixed(spend(limit)?)
    };
    let cost_types = (budget_type == BudgetType::Cost).then(|| {
        let mut ct = CostTypes::default();
        if let Some(c) = b.cost_types() {
            let flags = [
                ("IncludeTax", c.include_tax()),
                ("IncludeSubscription", c.include_subscription()),
                ("UseBlended", c.use_blended()),
                ("IncludeRefund", c.include_refund()),
                ("IncludeCredit", c.include_credit()),
                ("IncludeUpfront", c.include_upfront()),
                ("IncludeRecurring", c.include_recurring()),
                ("IncludeOtherSubscription", c.include_other_subscription()),
                ("IncludeSupport", c.include_support()),
                ("IncludeDiscount", c.include_discount()),
                ("UseAmortized", c.use_amortized()),
            ];
            for (name, value) in flags {
                if let Some(v) = value {
                    ct.set(name, v);
                }
            }
        }
        ct
    });
    let metrics = b
        .metrics()
        .iter()
        .map(|m| Metric::from_aws(m.as_str()).ok_or_else(|| unknown("the metric", m.as_str())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Budget {
        name: b.budget_name().to_owned(),
        budget_type,
        time_unit,
        limit,
        start: b
            .time_period()
            .and_then(|p| p.start())
            .map(|t| date("the start", t))
            .transpose()?,
        end: b
            .time_period()
            .and_then(|p| p.end())
            .map(|t| date("the end", t))
            .transpose()?,
        cost_types,
        // No CostFilters member and an empty one mean the same: no filters.
        cost_filters: match b.cost_filters() {
            Some(f) => f.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => BTreeMap::new(),
        },
        filter_expression: b.filter_expression().map(expression_from_sdk).transpose()?,
        metrics,
        billing_view_arn: b.billing_view_arn().map(str::to_owned),
        notifications: Vec::new(),
        tags: None,
        actions: None,
        responses: Vec::new(),
    })
}

fn match_options_from_sdk(options: &[sdk::MatchOption]) -> Result<Vec<MatchOption>, ConvertError> {
    options
        .iter()
        .map(|o| {
            MatchOption::from_aws(o.as_str()).ok_or_else(|| unknown("the match option", o.as_str()))
        })
        .collect()
}

pub fn expression_from_sdk(e: &sdk::Expression) -> Result<Expression, ConvertError> {
    if !e.and().is_empty() {
        return Ok(Expression::And(
            e.and()
                .iter()
                .map(expression_from_sdk)
                .collect::<Result<_, _>>()?,
        ));
    }
    if !e.or().is_empty() {
        return Ok(Expression::Or(
            e.or()
                .iter()
                .map(expression_from_sdk)
                .collect::<Result<_, _>>()?,
        ));
    }
    if let Some(not) = e.not() {
        return Ok(Expression::Not(Box::new(expression_from_sdk(not)?)));
    }
    if let Some(d) = e.dimensions() {
        return Ok(Expression::Dimensions(DimensionValues {
            key: Dimension::from_aws(d.key().as_str())
                .ok_or_else(|| unknown("the dimension", d.key().as_str()))?,
            values: d.values().to_vec(),
            match_options: match_options_from_sdk(d.match_options())?,
        }));
    }
    if let Some(t) = e.tags() {
        return Ok(Expression::Tags(KeyValues {
            key: t.key().map(str::to_owned),
            values: t.values().to_vec(),
            match_options: match_options_from_sdk(t.match_options())?,
        }));
    }
    if let Some(c) = e.cost_categories() {
        return Ok(Expression::CostCategories(KeyValues {
            key: c.key().map(str::to_owned),
            values: c.values().to_vec(),
            match_options: match_options_from_sdk(c.match_options())?,
        }));
    }
    Err(unknown("an empty filter expression", "{}"))
}

pub fn notification_key_from_sdk(n: &sdk::Notification) -> Result<NotificationKey, ConvertError> {
    Ok(NotificationKey {
        notification_type: NotificationType::from_aws(n.notification_type().as_str())
            .ok_or_else(|| unknown("the notification type", n.notification_type().as_str()))?,
        comparison: ComparisonOperator::from_aws(n.comparison_operator().as_str())
            .ok_or_else(|| unknown("the comparison", n.comparison_operator().as_str()))?,
        threshold: threshold_decimal(n.threshold())?,
        // Left out means PERCENTAGE.
        threshold_type: match n.threshold_type() {
            None => ThresholdType::Percentage,
            Some(t) => ThresholdType::from_aws(t.as_str())
                .ok_or_else(|| unknown("the threshold type", t.as_str()))?,
        },
    })
}

pub fn subscriber_from_sdk(s: &sdk::Subscriber) -> Result<Subscriber, ConvertError> {
    match s.subscription_type() {
        sdk::SubscriptionType::Sns => Ok(Subscriber::Sns(s.address().to_owned())),
        sdk::SubscriptionType::Email => Ok(Subscriber::Email(s.address().to_owned())),
        other => Err(unknown("the subscription type", other.as_str())),
    }
}

// ----- model → SDK -----

fn sdk_spend(s: &Spend) -> sdk::Spend {
    sdk::Spend::builder()
        .amount(to_aws_string(s.amount))
        .unit(&s.unit)
        .build()
        .expect("amount and unit are set")
}

fn planned_to_sdk(
    mut builder: sdk::builders::BudgetBuilder,
    planned: &BTreeMap<NaiveDate, Spend>,
) -> sdk::builders::BudgetBuilder {
    for (d, s) in planned {
        builder = builder.planned_budget_limits(timestamp(*d).secs().to_string(), sdk_spend(s));
    }
    builder
}

/// The Budget shape for CreateBudget and UpdateBudget.
pub fn budget_to_sdk(b: &Budget) -> sdk::Budget {
    let mut builder = sdk::Budget::builder()
        .budget_name(&b.name)
        .budget_type(sdk::BudgetType::from(b.budget_type.aws_name()))
        .time_unit(sdk::TimeUnit::from(b.time_unit.aws_name()));
    builder = match &b.limit {
        BudgetLimit::Fixed(s) => builder.budget_limit(sdk_spend(s)),
        BudgetLimit::Planned(p) => planned_to_sdk(builder, p),
        // A plan's budgets arrive windowed (diff expands schedules for the
        // plan's day); a schedule handed over directly is expanded for today.
        BudgetLimit::Schedule(_) => {
            match budgetctl_model::planned::planned_window(b, chrono::Utc::now().date_naive()) {
                Some(Ok(p)) => planned_to_sdk(builder, &p),
                _ => builder,
            }
        }
        BudgetLimit::AutoAdjust(a) => builder.auto_adjust_data(auto_adjust_to_sdk(a)),
    };
    if b.start.is_some() || b.end.is_some() {
        builder = builder.time_period(
            sdk::TimePeriod::builder()
                .set_start(b.start.map(timestamp))
                .set_end(b.end.map(timestamp))
                .build(),
        );
    }
    if let Some(ct) = &b.cost_types {
        builder = builder.cost_types(
            sdk::CostTypes::builder()
                .include_tax(ct.include_tax)
                .include_subscription(ct.include_subscription)
                .use_blended(ct.use_blended)
                .include_refund(ct.include_refund)
                .include_credit(ct.include_credit)
                .include_upfront(ct.include_upfront)
                .include_recurring(ct.include_recurring)
                .include_other_subscription(ct.include_other_subscription)
                .include_support(ct.include_support)
                .include_discount(ct.include_discount)
                .use_amortized(ct.use_amortized)
                .build(),
        );
    }
    for (k, v) in &b.cost_filters {
        builder = builder.cost_filters(k, v.clone());
    }
    if let Some(e) = &b.filter_expression {
        builder = builder.filter_expression(expression_to_sdk(e));
    }
    for m in &b.metrics {
        builder = builder.metrics(sdk::Metric::from(m.aws_name()));
    }
    builder
        .set_billing_view_arn(b.billing_view_arn.clone())
        .build()
        .expect("name, type and time unit are set")
}

fn auto_adjust_to_sdk(a: &AutoAdjust) -> sdk::AutoAdjustData {
    let builder = match a {
        AutoAdjust::Historical { periods } => sdk::AutoAdjustData::builder()
            .auto_adjust_type(sdk::AutoAdjustType::Historical)
            .historical_options(
                sdk::HistoricalOptions::builder()
                    .budget_adjustment_period(*periods as i32)
                    .build()
                    .expect("period is set"),
            ),
        AutoAdjust::Forecast => {
            sdk::AutoAdjustData::builder().auto_adjust_type(sdk::AutoAdjustType::Forecast)
        }
    };
    builder.build().expect("type is set")
}

pub fn expression_to_sdk(e: &Expression) -> sdk::Expression {
    let options = |o: &[MatchOption]| {
        o.iter()
            .map(|m| sdk::MatchOption::from(m.aws_name()))
            .collect::<Vec<_>>()
    };
    match e {
        Expression::And(parts) => sdk::Expression::builder()
            .set_and(Some(parts.iter().map(expression_to_sdk).collect()))
            .build(),
        Expression::Or(parts) => sdk::Expression::builder()
            .set_or(Some(parts.iter().map(expression_to_sdk).collect()))
            .build(),
        Expression::Not(inner) => sdk::Expression::builder()
            .not(expression_to_sdk(inner))
            .build(),
        Expression::Dimensions(d) => sdk::Expression::builder()
            .dimensions(
                sdk::ExpressionDimensionValues::builder()
                    .key(sdk::Dimension::from(d.key.aws_name()))
                    .set_values(Some(d.values.clone()))
                    .set_match_options(
                        (!d.match_options.is_empty()).then(|| options(&d.match_options)),
                    )
                    .build()
                    .expect("key and values are set"),
            )
            .build(),
        Expression::Tags(t) => sdk::Expression::builder()
            .tags(
                sdk::TagValues::builder()
                    .set_key(t.key.clone())
                    .set_values((!t.values.is_empty()).then(|| t.values.clone()))
                    .set_match_options(
                        (!t.match_options.is_empty()).then(|| options(&t.match_options)),
                    )
                    .build(),
            )
            .build(),
        Expression::CostCategories(c) => sdk::Expression::builder()
            .cost_categories(
                sdk::CostCategoryValues::builder()
                    .set_key(c.key.clone())
                    .set_values((!c.values.is_empty()).then(|| c.values.clone()))
                    .set_match_options(
                        (!c.match_options.is_empty()).then(|| options(&c.match_options)),
                    )
                    .build(),
            )
            .build(),
    }
}

pub fn notification_to_sdk(k: &NotificationKey) -> sdk::Notification {
    sdk::Notification::builder()
        .notification_type(sdk::NotificationType::from(k.notification_type.aws_name()))
        .comparison_operator(sdk::ComparisonOperator::from(k.comparison.aws_name()))
        .threshold(threshold_to_f64(k.threshold))
        .threshold_type(sdk::ThresholdType::from(k.threshold_type.aws_name()))
        .build()
        .expect("type, comparison and threshold are set")
}

pub fn subscriber_to_sdk(s: &Subscriber) -> sdk::Subscriber {
    let kind = match s {
        Subscriber::Email(_) => sdk::SubscriptionType::Email,
        Subscriber::Sns(_) => sdk::SubscriptionType::Sns,
    };
    sdk::Subscriber::builder()
        .subscription_type(kind)
        .address(s.address())
        .build()
        .expect("type and address are set")
}

pub fn notifications_to_sdk(
    notifications: &[Notification],
) -> Vec<sdk::NotificationWithSubscribers> {
    notifications
        .iter()
        .map(|n| {
            sdk::NotificationWithSubscribers::builder()
                .notification(notification_to_sdk(&n.key))
                .set_subscribers(Some(subscribers_to_sdk(&n.subscribers)))
                .build()
                .expect("notification and subscribers are set")
        })
        .collect()
}

pub fn subscribers_to_sdk(subscribers: &[Subscriber]) -> Vec<sdk::Subscriber> {
    subscribers.iter().map(subscriber_to_sdk).collect()
}

pub fn tags_to_sdk(tags: &BTreeMap<String, String>) -> Vec<sdk::ResourceTag> {
    tags.iter()
        .map(|(k, v)| {
            sdk::ResourceTag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set")
        })
        .collect()
}

/// A budget action from AWS, without its name (a tag, read separately); an
/// error names the budget and the field.
pub fn action_from_sdk(a: &sdk::Action) -> Result<(ActionStatus, BudgetAction), ConvertError> {
    let fields = || -> Result<(ActionStatus, BudgetAction), ConvertError> {
        let status = ActionStatus::from_aws(a.status().as_str())
            .ok_or_else(|| unknown("the action status", a.status().as_str()))?;
        let notification_type = NotificationType::from_aws(a.notification_type().as_str())
            .ok_or_else(|| unknown("the notification type", a.notification_type().as_str()))?;
        let threshold = a
            .action_threshold()
            .ok_or_else(|| unknown("the action threshold", ""))?;
        let threshold_type = ThresholdType::from_aws(threshold.action_threshold_type().as_str())
            .ok_or_else(|| {
                unknown(
                    "the threshold type",
                    threshold.action_threshold_type().as_str(),
                )
            })?;
        let approval = ApprovalModel::from_aws(a.approval_model().as_str())
            .ok_or_else(|| unknown("the approval model", a.approval_model().as_str()))?;
        let d = a
            .definition()
            .ok_or_else(|| unknown("the action definition", ""))?;
        let definition = match a.action_type() {
            sdk::ActionType::Iam => {
                let iam = d.iam_action_definition().ok_or_else(|| {
                    unknown(
                        "the action definition",
                        "APPLY_IAM_POLICY without IamActionDefinition",
                    )
                })?;
                ActionDefinition::IamPolicy {
                    policy: iam.policy_arn().to_owned(),
                    users: iam.users().to_vec(),
                    groups: iam.groups().to_vec(),
                    roles: iam.roles().to_vec(),
                }
            }
            sdk::ActionType::Scp => {
                let scp = d.scp_action_definition().ok_or_else(|| {
                    unknown(
                        "the action definition",
                        "APPLY_SCP_POLICY without ScpActionDefinition",
                    )
                })?;
                ActionDefinition::Scp {
                    policy: scp.policy_id().to_owned(),
                    targets: scp.target_ids().to_vec(),
                }
            }
            sdk::ActionType::Ssm => {
                let ssm = d.ssm_action_definition().ok_or_else(|| {
                    unknown(
                        "the action definition",
                        "RUN_SSM_DOCUMENTS without SsmActionDefinition",
                    )
                })?;
                ActionDefinition::StopInstances {
                    service: InstanceService::from_aws(ssm.action_sub_type().as_str())
                        .ok_or_else(|| unknown("the SSM action", ssm.action_sub_type().as_str()))?,
                    region: ssm.region().to_owned(),
                    instances: ssm.instance_ids().to_vec(),
                }
            }
            other => return Err(unknown("the action type", other.as_str())),
        };
        let subscribers = a
            .subscribers()
            .iter()
            .map(subscriber_from_sdk)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            status,
            BudgetAction {
                name: String::new(),
                notification_type,
                threshold: threshold_decimal(threshold.action_threshold_value())?,
                threshold_type,
                definition,
                approval,
                execution_role: a.execution_role_arn().to_owned(),
                subscribers,
            },
        ))
    };
    fields().map_err(|e| e.in_budget(a.budget_name()))
}

/// AWS's ActionType of a definition.
pub fn action_type_to_sdk(d: &ActionDefinition) -> sdk::ActionType {
    sdk::ActionType::from(d.action_type().aws_name())
}

pub fn action_definition_to_sdk(d: &ActionDefinition) -> sdk::Definition {
    let list = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
    match d {
        ActionDefinition::IamPolicy {
            policy,
            users,
            groups,
            roles,
        } => sdk::Definition::builder()
            .iam_action_definition(
                sdk::IamActionDefinition::builder()
                    .policy_arn(policy)
                    .set_users(list(users))
                    .set_groups(list(groups))
                    .set_roles(list(roles))
                    .build()
                    .expect("the policy is set"),
            )
            .build(),
        ActionDefinition::Scp { policy, targets } => sdk::Definition::builder()
            .scp_action_definition(
                sdk::ScpActionDefinition::builder()
                    .policy_id(policy)
                    .set_target_ids(Some(targets.clone()))
                    .build()
                    .expect("the policy and targets are set"),
            )
            .build(),
        ActionDefinition::StopInstances {
            service,
            region,
            instances,
        } => sdk::Definition::builder()
            .ssm_action_definition(
                sdk::SsmActionDefinition::builder()
                    .action_sub_type(sdk::ActionSubType::from(service.aws_name()))
                    .region(region)
                    .set_instance_ids(Some(instances.clone()))
                    .build()
                    .expect("the subtype, region and instances are set"),
            )
            .build(),
    }
}

pub fn action_threshold_to_sdk(a: &BudgetAction) -> sdk::ActionThreshold {
    sdk::ActionThreshold::builder()
        .action_threshold_value(threshold_to_f64(a.threshold))
        .action_threshold_type(sdk::ThresholdType::from(a.threshold_type.aws_name()))
        .build()
        .expect("value and type are set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_back_as_written() {
        assert_eq!(threshold_decimal(80.0), Ok(Decimal::from(80)));
        assert_eq!(threshold_decimal(0.1).unwrap().to_string(), "0.1");
        assert_eq!(
            threshold_decimal(15_000_000_000_000.0),
            Ok(Decimal::from(15_000_000_000_000_i64))
        );
    }

    #[test]
    fn values_that_do_not_convert_are_errors_naming_budget_and_field() {
        let e = threshold_decimal(f64::NAN).unwrap_err();
        assert_eq!(e.what, "the threshold");
        let e = threshold_decimal(-1.0).unwrap_err();
        assert_eq!(e.what, "the threshold");
        let b = sdk::Budget::builder()
            .budget_name("far-future")
            .budget_type(sdk::BudgetType::Cost)
            .time_unit(sdk::TimeUnit::Monthly)
            .budget_limit(sdk_spend(&Spend::new(Decimal::ONE, "USD")))
            .time_period(
                sdk::TimePeriod::builder()
                    .end(DateTime::from_secs(i64::MAX / 2))
                    .build(),
            )
            .build()
            .unwrap();
        let e = budget_from_sdk(&b).unwrap_err();
        assert_eq!((e.budget.as_str(), e.what), ("far-future", "the end"));
        assert!(e.to_string().contains("far-future"), "{e}");
    }
}
