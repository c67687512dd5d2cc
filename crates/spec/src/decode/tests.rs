//! The decoder's own tests: period keys, and the agreement of the keys it
//! accepts with the JSON Schema.

use super::*;

/// The keys a schema object lists (`properties`), or those of one
/// variant of its `oneOf`/`anyOf`.
fn schema_keys(schema: &serde_json::Value, object: &str, variant: Option<usize>) -> Vec<String> {
    let def = if object.is_empty() {
        schema
    } else {
        &schema["$defs"][object]
    };
    let def = match variant {
        None => def,
        Some(i) => {
            let alternatives = def["oneOf"].as_array().or(def["anyOf"].as_array());
            let objects: Vec<&serde_json::Value> = alternatives
                .unwrap_or_else(|| panic!("{object} has no variants"))
                .iter()
                .filter(|v| v.get("properties").is_some())
                .collect();
            objects[i]
        }
    };
    let mut keys: Vec<String> = def["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{object} lists no properties"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

fn sorted(keys: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    keys.sort();
    keys
}

/// The format is described twice, by the decoder (what it accepts) and by
/// the serde types the JSON Schema and the YAML output come from: every
/// object's keys must agree, or editors would offer keys `validate`
/// refuses, or miss keys it accepts.
#[test]
fn the_decoder_and_the_schema_accept_the_same_keys() {
    let schema = crate::json_schema();
    let expression: Vec<String> = (0..EXPRESSION_KEYS.len())
        .flat_map(|i| schema_keys(&schema, "ExpressionDoc", Some(i)))
        .collect();
    let mut expression = expression;
    expression.sort();
    for (what, decoder, schema) in [
        ("the file", sorted(TOP_KEYS), schema_keys(&schema, "", None)),
        (
            "defaults",
            sorted(DEFAULTS_KEYS),
            schema_keys(&schema, "Defaults", None),
        ),
        (
            "organizations",
            sorted(ORGANIZATIONS_KEYS),
            schema_keys(&schema, "OrganizationsDoc", None),
        ),
        (
            "a group from Organizations",
            sorted(GROUP_KEYS),
            schema_keys(&schema, "OrganizationGroupDoc", None),
        ),
        (
            "an OU source",
            sorted(ORGANIZATION_SOURCE_KEYS),
            schema_keys(&schema, "OuDoc", None),
        ),
        (
            "an account",
            sorted(ACCOUNT_KEYS),
            schema_keys(&schema, "AccountDoc", None),
        ),
        (
            "a budget",
            sorted(BUDGET_KEYS),
            schema_keys(&schema, "BudgetDoc", None),
        ),
        (
            "policy",
            sorted(policy::POLICY_KEYS),
            schema_keys(&schema, "PolicyDoc", None),
        ),
        (
            "policy.require",
            sorted(policy::REQUIRE_KEYS),
            schema_keys(&schema, "RequireDoc", None),
        ),
        (
            "a limit rule",
            sorted(policy::LIMIT_RULE_KEYS),
            schema_keys(&schema, "LimitRuleDoc", None),
        ),
        (
            "an exception",
            sorted(policy::EXCEPTION_KEYS),
            schema_keys(&schema, "ExceptionDoc", None),
        ),
        (
            "require.budget_per_account",
            sorted(policy::BUDGET_PER_ACCOUNT_KEYS),
            schema_keys(&schema, "BudgetPerAccountRuleDoc", None),
        ),
        (
            "require.alerts",
            sorted(policy::ALERTS_KEYS),
            schema_keys(&schema, "RequiredAlertsRuleDoc", None),
        ),
        (
            "require.tags",
            sorted(policy::TAGS_KEYS),
            schema_keys(&schema, "RequiredTagsRuleDoc", None),
        ),
        (
            "policy.sns",
            sorted(policy::SNS_KEYS),
            schema_keys(&schema, "SnsRuleLeveledDoc", None),
        ),
        (
            "a limit",
            sorted(LIMIT_KEYS),
            schema_keys(&schema, "LimitDoc", Some(0)),
        ),
        (
            "a planned schedule",
            sorted(SCHEDULE_KEYS),
            schema_keys(&schema, "PlannedDoc", None),
        ),
        (
            "auto_adjust",
            sorted(AUTO_ADJUST_KEYS),
            schema_keys(&schema, "AutoAdjustDoc", None),
        ),
        (
            "a compact notification",
            sorted(COMPACT_NOTIFICATION_KEYS),
            schema_keys(&schema, "NotificationDoc", Some(0)),
        ),
        (
            "a structured notification",
            sorted(STRUCTURED_NOTIFICATION_KEYS),
            schema_keys(&schema, "NotificationDoc", Some(1)),
        ),
        (
            "a subscriber",
            sorted(SUBSCRIBER_KEYS),
            [0, 1]
                .iter()
                .flat_map(|i| schema_keys(&schema, "SubscriberDoc", Some(*i)))
                .collect(),
        ),
        ("an expression", sorted(EXPRESSION_KEYS), expression),
        (
            "a budget action",
            sorted(ACTION_KEYS),
            schema_keys(&schema, "ActionDoc", None),
        ),
        (
            "apply_iam_policy",
            sorted(IAM_DEFINITION_KEYS),
            schema_keys(&schema, "IamPolicyDoc", None),
        ),
        (
            "apply_scp",
            sorted(SCP_DEFINITION_KEYS),
            schema_keys(&schema, "ScpDoc", None),
        ),
        (
            "stop_instances",
            sorted(SSM_DEFINITION_KEYS),
            schema_keys(&schema, "StopInstancesDoc", None),
        ),
        (
            "a response",
            sorted(RESPONSE_KEYS),
            schema_keys(&schema, "ResponseDoc", None),
        ),
        (
            "service_catalog",
            sorted(SERVICE_CATALOG_KEYS),
            schema_keys(&schema, "ServiceCatalogDoc", None),
        ),
        (
            "dimensions",
            sorted(DIMENSION_KEYS),
            schema_keys(&schema, "DimensionsDoc", None),
        ),
        (
            "tags and cost categories",
            sorted(DIMENSION_KEYS),
            schema_keys(&schema, "KeyValuesDoc", None),
        ),
    ] {
        assert_eq!(
            decoder, schema,
            "{what}: the decoder's keys, then the schema's"
        );
    }
    // Cost types: every key the schema offers is one the decoder sets, and
    // every key of ours is in the schema.
    let offered = schema_keys(&schema, "CostTypes", None);
    for key in &offered {
        assert!(
            CostTypes::default().set(key, true).is_some(),
            "cost_types.{key} is in the schema but not decoded"
        );
    }
    for key in CostTypes::KEYS {
        assert!(
            offered.iter().any(|k| k == key),
            "cost_types.{key} is missing from the schema"
        );
    }
}

#[test]
fn period_keys_name_period_starts() {
    let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
    assert_eq!(period_key("2026-12", TimeUnit::Monthly), Some(d(2026, 12)));
    assert_eq!(period_key("2027-Q2", TimeUnit::Quarterly), Some(d(2027, 4)));
    assert_eq!(period_key("2027-07", TimeUnit::Quarterly), Some(d(2027, 7)));
    assert_eq!(period_key("2027-08", TimeUnit::Quarterly), None);
    assert_eq!(period_key("2027-Q1", TimeUnit::Monthly), None);
    assert_eq!(period_key("2027-13", TimeUnit::Monthly), None);
    assert_eq!(period_key("27-01", TimeUnit::Monthly), None);
    assert_eq!(format_period(d(2027, 4), TimeUnit::Quarterly), "2027-Q2");
    assert_eq!(format_period(d(2027, 4), TimeUnit::Monthly), "2027-04");
}
