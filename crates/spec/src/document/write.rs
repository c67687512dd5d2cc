//! Models written back as YAML: defaults factored out, compact alerts,
//! short lists and mappings inline.

use super::*;
use crate::model::{
    AccountId, ActionDefinition, Budget, BudgetAction, NotificationKey, Response, ResponseAction,
};

/// Write a configuration as a budget file that reads back to the same model.
///
/// Settings shared by every budget (the account, the unit) move to
/// `defaults:`, notifications use the compact `on:`/`to:` form, planned
/// limits are keyed `YYYY-MM` or `YYYY-Qn`, and cost types list only the flags
/// that differ from AWS's defaults.
pub fn to_yaml(config: &Config) -> String {
    let doc = document_of(config);
    serde_saphyr::to_string_with_options(&doc, yaml_options())
        .unwrap_or_else(|e| format!("# cannot write YAML: {e}\n"))
}

/// A filter expression in the YAML form budget files use, for showing it.
pub fn expression_to_yaml(expression: &Expression) -> String {
    serde_saphyr::to_string_with_options(&expression_doc(expression), yaml_options())
        .unwrap_or_else(|e| format!("# cannot write YAML: {e}\n"))
}

pub(super) fn yaml_options() -> serde_saphyr::SerializerOptions {
    // YAML 1.2, as budgetctl reads it: `on:` and dates need no quotes.
    serde_saphyr::ser_options! {
        yaml_12: true,
        no_lang_directive: true,
        compact_list_indent: false,
    }
}

/// The document [`to_yaml`] writes.
pub fn document_of(config: &Config) -> Document {
    let mut accounts_used = config.budgets.iter().map(|b| &b.account);
    let shared_account = accounts_used
        .next()
        .filter(|first| accounts_used.all(|a| a == *first))
        .cloned();
    let unit = shared_cost_unit(config);
    let defaults = Defaults {
        account: shared_account.as_ref().map(|a| a.to_string()),
        unit: unit.clone(),
        role: None,
    };
    let defaults = (defaults.account.is_some() || defaults.unit.is_some()).then_some(defaults);

    let accounts = config
        .accounts
        .iter()
        .map(|(id, s)| {
            (
                id.to_string(),
                AccountDoc {
                    role: s.role.clone(),
                    prune: s.prune,
                    ignore: s.ignore.clone(),
                },
            )
        })
        .collect();

    let budgets = config
        .budgets
        .iter()
        .map(|b| {
            let account = shared_account.is_none().then_some(&b.account);
            budget_doc(&b.budget, account, unit.as_deref())
        })
        .collect();
    Document {
        version: 1,
        defaults,
        accounts,
        account_groups: BTreeMap::new(),
        organizations: None,
        policy: None,
        budgets,
    }
}

/// The unit of every cost and usage budget's limit, when they all share one.
pub(super) fn shared_cost_unit(config: &Config) -> Option<String> {
    let mut units = config.budgets.iter().filter_map(|b| match &b.budget.limit {
        BudgetLimit::Fixed(s) if !b.budget.budget_type.is_ri_or_sp() => Some(s.unit.as_str()),
        BudgetLimit::Planned(p) => p.values().next().map(|s| s.unit.as_str()),
        BudgetLimit::Schedule(sc) => Some(sc.every.unit.as_str()),
        _ => None,
    });
    let first = units.next()?;
    units.all(|u| u == first).then(|| first.to_owned())
}

/// A budget as a file declares it (the account left out), e.g. for a plan
/// to show what it creates, updates or deletes.
pub fn budget_document(budget: &Budget) -> BudgetDoc {
    budget_doc(budget, None, None)
}

pub(super) fn budget_doc(
    b: &Budget,
    account: Option<&AccountId>,
    default_unit: Option<&str>,
) -> BudgetDoc {
    let implied_unit = match b.budget_type {
        BudgetType::Cost => Some(default_unit.unwrap_or("USD")),
        BudgetType::Usage => default_unit,
        _ => Some("PERCENTAGE"),
    };
    let limit_doc = |amount: Decimal, unit: &str| {
        if Some(unit) == implied_unit {
            LimitDoc::Amount(AmountDoc(amount))
        } else if unit.chars().any(char::is_whitespace) || unit.is_empty() {
            LimitDoc::Spend {
                amount: AmountDoc(amount),
                unit: Some(unit.to_owned()),
            }
        } else {
            LimitDoc::WithUnit(format!("{} {unit}", to_aws_string(amount)))
        }
    };
    let periods_doc = |p: &BTreeMap<chrono::NaiveDate, crate::model::Spend>| {
        p.iter()
            .map(|(date, s)| {
                (
                    format_period(*date, b.time_unit),
                    limit_doc(s.amount, &s.unit),
                )
            })
            .collect()
    };
    let (limit, planned, auto_adjust) = match &b.limit {
        BudgetLimit::Fixed(_) if b.budget_type.is_ri_or_sp() => (None, None, None),
        BudgetLimit::Fixed(s) => (Some(limit_doc(s.amount, &s.unit)), None, None),
        BudgetLimit::Planned(p) => (
            None,
            Some(PlannedDoc {
                every: None,
                grow: None,
                from: None,
                periods: periods_doc(p),
            }),
            None,
        ),
        BudgetLimit::Schedule(sc) => (
            None,
            Some(PlannedDoc {
                every: Some(limit_doc(sc.every.amount, &sc.every.unit)),
                grow: sc.grow.map(|g| format!("{}%", g.normalize())),
                from: sc.from.map(|f| format_period(f, b.time_unit)),
                periods: periods_doc(&sc.overrides),
            }),
            None,
        ),
        BudgetLimit::AutoAdjust(AutoAdjust::Historical { periods }) => (
            None,
            None,
            Some(AutoAdjustDoc {
                historical: Some(*periods),
                forecast: None,
            }),
        ),
        BudgetLimit::AutoAdjust(AutoAdjust::Forecast) => (
            None,
            None,
            Some(AutoAdjustDoc {
                historical: None,
                forecast: Some(true),
            }),
        ),
    };
    let notification_unit = b.limit_unit();
    BudgetDoc {
        name: b.name.clone(),
        account: account.map(ToString::to_string),
        accounts: Vec::new(),
        budget_type: (b.budget_type != BudgetType::Cost).then_some(b.budget_type),
        period: (b.time_unit != TimeUnit::Monthly).then_some(b.time_unit),
        limit,
        planned,
        auto_adjust,
        start: b.start.map(|d| d.to_string()),
        end: b.end.map(|d| d.to_string()),
        cost_types: b.cost_types.as_ref().and_then(cost_types_doc),
        filters: b.cost_filters.clone(),
        filter_expression: b.filter_expression.as_ref().map(expression_doc),
        metrics: b.metrics.clone(),
        billing_view_arn: b.billing_view_arn.clone(),
        notifications: b
            .notifications
            .iter()
            .map(|n| notification_doc(n, notification_unit))
            .collect(),
        tags: b.tags.clone(),
        actions: b.actions.as_ref().map(|actions| {
            actions
                .iter()
                .map(|a| action_document(a, notification_unit))
                .collect()
        }),
        responses: b
            .responses
            .iter()
            .map(|r| response_document(r, notification_unit))
            .collect(),
    }
}

/// A response in the budget-file form.
pub fn response_document(r: &Response, unit: Option<&str>) -> ResponseDoc {
    let (service_catalog, approve_action) = match &r.action {
        ResponseAction::ServiceCatalog(sc) => (
            Some(ServiceCatalogDoc {
                region: sc.region.clone(),
                provisioned_product: sc.provisioned_product.clone(),
                action: sc.action.clone(),
                parameters: sc.parameters.clone(),
                language: sc.language,
            }),
            None,
        ),
        ResponseAction::ApproveAction(name) => (None, Some(name.clone())),
    };
    // The trigger in the compact form wherever a notification would be.
    let as_notification = Notification {
        key: NotificationKey::over(r.notification_type, r.threshold, r.threshold_type),
        subscribers: Vec::new(),
    };
    let (when, notification_type, threshold, threshold_type) =
        match notification_doc(&as_notification, unit) {
            NotificationDoc::Compact { on, .. } => (Some(on), None, None, None),
            NotificationDoc::Structured {
                notification_type,
                threshold,
                threshold_type,
                ..
            } => (
                None,
                Some(notification_type),
                Some(threshold),
                threshold_type,
            ),
        };
    ResponseDoc {
        name: r.name.clone(),
        when,
        notification_type,
        threshold,
        threshold_type,
        service_catalog,
        approve_action,
    }
}

/// A budget action in the budget-file form (`unit` is its budget's, for
/// absolute thresholds).
pub fn action_document(a: &BudgetAction, unit: Option<&str>) -> ActionDoc {
    // The trigger in the compact form wherever a notification would be.
    let as_notification = Notification {
        key: NotificationKey::over(a.notification_type, a.threshold, a.threshold_type),
        subscribers: a.subscribers.clone(),
    };
    let (when, to, notification_type, threshold, threshold_type, subscribers) =
        match notification_doc(&as_notification, unit) {
            NotificationDoc::Compact { on, to } => (Some(on), Some(to), None, None, None, None),
            NotificationDoc::Structured {
                notification_type,
                threshold,
                threshold_type,
                subscribers,
                ..
            } => (
                None,
                None,
                Some(notification_type),
                Some(threshold),
                threshold_type,
                Some(subscribers),
            ),
        };
    let (mut iam, mut scp, mut ssm) = (None, None, None);
    match &a.definition {
        ActionDefinition::IamPolicy {
            policy,
            users,
            groups,
            roles,
        } => {
            iam = Some(IamPolicyDoc {
                policy: policy.clone(),
                users: users.clone(),
                groups: groups.clone(),
                roles: roles.clone(),
            })
        }
        ActionDefinition::Scp { policy, targets } => {
            scp = Some(ScpDoc {
                policy: policy.clone(),
                targets: targets.clone(),
            })
        }
        ActionDefinition::StopInstances {
            service,
            region,
            instances,
        } => {
            ssm = Some(StopInstancesDoc {
                service: *service,
                region: region.clone(),
                instances: instances.clone(),
            })
        }
    }
    ActionDoc {
        name: a.name.clone(),
        when,
        to,
        notification_type,
        threshold,
        threshold_type,
        subscribers,
        apply_iam_policy: iam,
        apply_scp: scp,
        stop_instances: ssm,
        approval: (a.approval != ApprovalModel::Manual).then_some(a.approval),
        execution_role: a.execution_role.clone(),
    }
}

pub(super) fn cost_types_doc(ct: &CostTypes) -> Option<CostTypesDoc> {
    let defaults = CostTypes::default();
    if *ct == defaults {
        return None;
    }
    let differs = |v: bool, d: bool| (v != d).then_some(v);
    Some(CostTypesDoc {
        credit: differs(ct.include_credit, defaults.include_credit),
        discount: differs(ct.include_discount, defaults.include_discount),
        other_subscription: differs(
            ct.include_other_subscription,
            defaults.include_other_subscription,
        ),
        recurring: differs(ct.include_recurring, defaults.include_recurring),
        refund: differs(ct.include_refund, defaults.include_refund),
        subscription: differs(ct.include_subscription, defaults.include_subscription),
        support: differs(ct.include_support, defaults.include_support),
        tax: differs(ct.include_tax, defaults.include_tax),
        upfront: differs(ct.include_upfront, defaults.include_upfront),
        amortized: differs(ct.use_amortized, defaults.use_amortized),
        blended: differs(ct.use_blended, defaults.use_blended),
    })
}

pub(super) fn expression_doc(e: &Expression) -> ExpressionDoc {
    let kv = |kv: &KeyValues| KeyValuesDoc {
        key: kv.key.clone(),
        values: kv.values.clone(),
        match_options: kv.match_options.clone(),
    };
    match e {
        Expression::And(parts) => ExpressionDoc::And(parts.iter().map(expression_doc).collect()),
        Expression::Or(parts) => ExpressionDoc::Or(parts.iter().map(expression_doc).collect()),
        Expression::Not(inner) => ExpressionDoc::Not(Box::new(expression_doc(inner))),
        Expression::Dimensions(d) => ExpressionDoc::Dimensions(DimensionsDoc {
            key: d.key,
            values: d.values.clone(),
            match_options: d.match_options.clone(),
        }),
        Expression::Tags(t) => ExpressionDoc::Tags(kv(t)),
        Expression::CostCategories(c) => ExpressionDoc::CostCategories(kv(c)),
    }
}

pub(super) fn subscriber_doc(s: &Subscriber) -> SubscriberDoc {
    match s {
        // An address that would be read as the other kind is written explicitly.
        Subscriber::Email(a) if a.starts_with("arn:") => SubscriberDoc::Email { email: a.clone() },
        Subscriber::Sns(a) if !a.starts_with("arn:") => SubscriberDoc::Sns { sns: a.clone() },
        other => SubscriberDoc::Address(other.address().to_owned()),
    }
}

pub(super) fn notification_doc(n: &Notification, unit: Option<&str>) -> NotificationDoc {
    let k = &n.key;
    let subscribers: Vec<SubscriberDoc> = n.subscribers.iter().map(subscriber_doc).collect();
    let compact_unit = match k.threshold_type {
        ThresholdType::Percentage => Some("%".to_owned()),
        ThresholdType::AbsoluteValue => unit
            .filter(|u| {
                u.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            .map(|u| format!(" {u}")),
    };
    match compact_unit {
        Some(suffix) => NotificationDoc::Compact {
            on: format!(
                "{} {} {}{}",
                k.notification_type,
                k.comparison.symbol(),
                to_aws_string(k.threshold),
                suffix
            ),
            to: subscribers,
        },
        None => NotificationDoc::Structured {
            notification_type: k.notification_type,
            comparison: k.comparison,
            threshold: AmountDoc(k.threshold),
            threshold_type: Some(k.threshold_type),
            subscribers,
        },
    }
}
