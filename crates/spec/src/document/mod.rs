//! The budget file format as plain serde types.
//!
//! These types are the format's single written description: the JSON Schema
//! that editors use is generated from them ([`json_schema`]), and models are
//! written back as YAML through them ([`to_yaml`], in `write`). Reading does not go through
//! them: `decode` walks the located YAML tree instead, so that every error can
//! name its line and column and all errors are reported at once. The round-trip
//! property test keeps the two sides in agreement.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

use budgetctl_model::{Spelled, squash};

use crate::amount::to_aws_string;
use crate::decode::format_period;
use crate::model::{
    AccountId, ApprovalModel, AutoAdjust, BudgetLimit, BudgetType, ComparisonOperator, Config,
    CostTypes, Dimension, Expression, InstanceService, KeyValues, Language, MatchOption, Metric,
    Notification, NotificationType, Subscriber, ThresholdType, TimeUnit,
};

mod write;

/// A model enum as the schema describes it: every spelling it accepts, for
/// completion, and a pattern that accepts them in any case with `-`, `_` or
/// spaces anywhere, as the decoder does.
struct Spelling<T>(std::marker::PhantomData<T>);

impl<T: Spelled> JsonSchema for Spelling<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::NAME.into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "type": "string", "enum": T::spellings() },
                { "type": "string", "pattern": spelling_pattern(&T::spellings()) },
            ]
        })
    }
}

/// A JSON Schema (ECMA-262) pattern that matches the spellings `squash` equates.
fn spelling_pattern(spellings: &[&str]) -> String {
    let mut alternatives: Vec<String> = spellings
        .iter()
        .map(|s| {
            squash(s)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c, c.to_ascii_uppercase())
                    } else {
                        c.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("[-_ ]*")
        })
        .collect();
    alternatives.sort();
    alternatives.dedup();
    format!("^[-_ ]*(?:{})[-_ ]*$", alternatives.join("|"))
}

pub use write::{action_document, budget_document, document_of, expression_to_yaml, to_yaml};

/// A budget file (`version: 1`).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "budgetctl budget file")]
pub struct Document {
    /// Format version; always 1.
    pub version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    /// Per-account settings, keyed by 12-digit account id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub accounts: BTreeMap<String, AccountDoc>,
    /// Named groups of accounts, for budgets' `accounts:`: a list of
    /// ids, or the accounts of an OU (or the whole organisation) in AWS
    /// Organizations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub account_groups: BTreeMap<String, GroupDoc>,
    /// How groups from AWS Organizations are read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organizations: Option<OrganizationsDoc>,
    /// Guardrails: what every budget and account must keep, checked by
    /// validate (the files), lint (live accounts) and plan (a change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyDoc>,
    #[serde(default)]
    pub budgets: Vec<BudgetDoc>,
}

/// `policy:`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require: Option<RequireDoc>,
    /// Ceilings on budgets' limits in some accounts.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub limits: Vec<LimitRuleDoc>,
    /// `same-account`: alerts go to SNS topics in the budget's own account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sns: Option<SnsRuleDoc>,
    /// The accounts the `require` rules apply to: ids, group names or `all`
    /// (default: every account the files name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub exceptions: Vec<ExceptionDoc>,
}

/// `error` (the default: validate, lint and plan fail) or `warning`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LevelDoc {
    Error,
    Warning,
}

/// `policy.require`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequireDoc {
    /// Every account in scope has a budget (of this period, when given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_per_account: Option<BudgetPerAccountDoc>,
    /// Each budget has alerts at least this strict, e.g. `[actual > 100%]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<RequiredAlertsDoc>,
    /// Every alert reaches someone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribers: Option<SwitchDoc>,
    /// Each budget has these tag keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<RequiredTagsDoc>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SwitchDoc {
    On(bool),
    Leveled(LevelOnlyDoc),
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelOnlyDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelDoc>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BudgetPerAccountDoc {
    On(bool),
    Period(BudgetPerAccountRuleDoc),
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetPerAccountRuleDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<TimeUnit>>")]
    pub period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelDoc>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RequiredAlertsDoc {
    /// `actual > 100%`, `forecasted > 80%`.
    List(Vec<String>),
    Leveled(RequiredAlertsRuleDoc),
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredAlertsRuleDoc {
    pub required: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelDoc>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RequiredTagsDoc {
    List(Vec<String>),
    Leveled(RequiredTagsRuleDoc),
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredTagsRuleDoc {
    pub keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelDoc>,
}

/// A ceiling on the limits of budgets in some accounts.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitRuleDoc {
    /// Account ids, group names or `all`.
    pub accounts: Vec<String>,
    /// The most a limit may be, with its unit: `1000 USD`.
    pub max: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelDoc>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SnsRuleDoc {
    Rule(SameAccount),
    Leveled(SnsRuleLeveledDoc),
}

/// Topics in the budget's own account.
#[derive(Debug, Serialize, JsonSchema)]
pub enum SameAccount {
    #[serde(rename = "same-account")]
    SameAccount,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnsRuleLeveledDoc {
    pub rule: SameAccount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelDoc>,
}

/// A rule that does not hold for some budgets or accounts, and why.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// A glob of budget names, e.g. `legacy-*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    /// `budget_per_account`, `alerts`, `subscribers`, `tags`, `limits`, `sns`.
    pub rules: Vec<String>,
    pub reason: String,
}

/// An `account_groups` entry.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum GroupDoc {
    /// 12-digit account ids, quoted.
    Listed(Vec<String>),
    /// ACTIVE accounts read from AWS Organizations by plan, apply, respond
    /// and import.
    Organization(OrganizationGroupDoc),
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationGroupDoc {
    pub organizations: OrganizationSourceDoc,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OrganizationSourceDoc {
    /// `all`: every account of the organisation.
    All(AllAccounts),
    /// The accounts of an OU or root.
    Ou(OuDoc),
}

/// Every account of the organisation.
#[derive(Debug, Serialize, JsonSchema)]
pub enum AllAccounts {
    #[serde(rename = "all")]
    All,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OuDoc {
    /// An OU (ou-…) or root (r-…) id.
    #[schemars(regex(pattern = r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$"))]
    pub ou: String,
    /// Also the accounts of every OU under it (default false: only the
    /// accounts directly in it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recursive: bool,
}

/// The top-level `organizations:`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationsDoc {
    /// A role in the management account to read the organisation through
    /// (default: the credentials budgetctl runs with).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Values every budget of this file takes unless it says otherwise.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// The account budgets belong to (12 digits, quoted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The unit of bare amounts, e.g. USD (the default for cost budgets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The role of every account the file names that has none of its own,
    /// with `{account}` for its id: arn:aws:iam::{account}:role/budgetctl.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountDoc {
    /// IAM role ARN assumed for this account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Delete budgets of this account that no file declares (default false).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub prune: bool,
    /// Glob patterns of budget names that budgetctl never touches or prunes.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "inline"
    )]
    #[schemars(with = "OneOrMany<String>")]
    pub ignore: Vec<String>,
}

/// One budget. Exactly one of `limit`, `planned` and `auto_adjust` (RI and
/// Savings Plans budgets may leave all out: their limit is always 100%).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetDoc {
    /// 1 to 100 characters; no `:` or `\`.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// One budget in each of these accounts: 12-digit ids, names of
    /// `account_groups`, or `all`; instead of `account`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub accounts: Vec<String>,
    /// Default: cost.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<BudgetType>>")]
    pub budget_type: Option<BudgetType>,
    /// Default: monthly.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<TimeUnit>>")]
    pub period: Option<TimeUnit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned: Option<PlannedDoc>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "inline_map")]
    pub auto_adjust: Option<AutoAdjustDoc>,
    /// YYYY-MM-DD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// YYYY-MM-DD, at the latest 2087-06-15.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "inline_map")]
    pub cost_types: Option<CostTypesDoc>,
    /// CostFilters: filter name → values.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        default,
        serialize_with = "inline_values"
    )]
    #[schemars(with = "BTreeMap<String, OneOrMany<String>>")]
    pub filters: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<ExpressionDoc>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "inline"
    )]
    #[schemars(with = "OneOrMany<Spelling<Metric>>")]
    pub metrics: Vec<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_view_arn: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[schemars(length(max = 10))]
    pub notifications: Vec<NotificationDoc>,
    /// Left out: tags are not managed. `{}`: the budget has no tags.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "inline_if_short"
    )]
    #[schemars(with = "Option<BTreeMap<String, TagValue>>")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Left out: the budget's actions are not managed. A list (even `[]`):
    /// every action the budget has; one left out is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10))]
    pub actions: Option<Vec<ActionDoc>>,
    /// What `budgetctl respond` does, once per budget period, when spend
    /// crosses a line. Files only: nothing of them is sent to AWS.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub responses: Vec<ResponseDoc>,
}

/// A response: its name, when it is due (compact `when`, or the structured
/// `type`, `threshold`, `threshold_type`) and exactly one of
/// `service_catalog` and `approve_action`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseDoc {
    /// Unique in the budget: 1 to 128 letters, digits, `.`, `_`, `-`.
    pub name: String,
    /// `actual|forecasted > N%|N UNIT`, e.g. `forecasted > 110%`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<NotificationType>>")]
    pub notification_type: Option<NotificationType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<AmountDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<ThresholdType>>")]
    pub threshold_type: Option<ThresholdType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_catalog: Option<ServiceCatalogDoc>,
    /// The name of an action in this budget's `actions:`, approved when PENDING.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approve_action: Option<String>,
}

/// Run a Service Catalog self-service action on a provisioned product
/// (ExecuteProvisionedProductServiceAction), in the budget's account.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceCatalogDoc {
    /// The product's region, e.g. eu-west-1 (Service Catalog is regional).
    pub region: String,
    /// The provisioned product's name, or its pp-… id.
    pub provisioned_product: String,
    /// The self-service action's name, or its act-… id.
    pub action: String,
    /// Parameter names to lists of values, e.g. `{Mode: [full]}`.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        default,
        serialize_with = "inline_values"
    )]
    #[schemars(with = "BTreeMap<String, OneOrMany<String>>")]
    pub parameters: BTreeMap<String, Vec<String>>,
    /// Service Catalog's AcceptLanguage (default: en).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<Language>>")]
    pub language: Option<Language>,
}

/// A budget action: when it triggers, exactly one of `apply_iam_policy`,
/// `apply_scp` and `stop_instances`, who approves it, the role it runs as
/// and who hears of it. The trigger is compact (`when`, `to`) or structured
/// (`type`, `threshold`, `threshold_type`, `subscribers`), never both.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDoc {
    /// The action's handle in files, plans and `budgetctl action`: 1 to 256
    /// characters, no `/`; stored as the tag `budgetctl:action`.
    pub name: String,
    /// `actual|forecasted > N%|N UNIT`, e.g. `actual > 100%`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "inline")]
    #[schemars(with = "Option<OneOrMany<SubscriberDoc>>")]
    pub to: Option<Vec<SubscriberDoc>>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<NotificationType>>")]
    pub notification_type: Option<NotificationType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<AmountDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<ThresholdType>>")]
    pub threshold_type: Option<ThresholdType>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "inline")]
    #[schemars(with = "Option<OneOrMany<SubscriberDoc>>")]
    pub subscribers: Option<Vec<SubscriberDoc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_iam_policy: Option<IamPolicyDoc>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "inline_map")]
    pub apply_scp: Option<ScpDoc>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "inline_map")]
    pub stop_instances: Option<StopInstancesDoc>,
    /// Default: manual (the action waits in PENDING for `budgetctl action approve`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Spelling<ApprovalModel>>")]
    pub approval: Option<ApprovalModel>,
    /// The IAM role AWS Budgets assumes to run the action, in the budget's account.
    pub execution_role: String,
}

/// Attach an IAM policy to users, groups and roles (at least one, 1 to 100 of each).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamPolicyDoc {
    /// arn:aws:iam::ACCOUNT|aws:policy/NAME.
    pub policy: String,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "inline"
    )]
    #[schemars(with = "OneOrMany<String>")]
    pub users: Vec<String>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "inline"
    )]
    #[schemars(with = "OneOrMany<String>")]
    pub groups: Vec<String>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "inline"
    )]
    #[schemars(with = "OneOrMany<String>")]
    pub roles: Vec<String>,
}

/// Attach a service control policy to OUs or accounts (1 to 100).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScpDoc {
    /// p-… as Organizations shows it.
    pub policy: String,
    /// ou-… ids or 12-digit account ids.
    #[schemars(with = "OneOrMany<String>")]
    pub targets: Vec<String>,
}

/// Stop EC2 or RDS instances in one region (1 to 100).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopInstancesDoc {
    #[schemars(with = "Spelling<InstanceService>")]
    pub service: InstanceService,
    /// e.g. eu-west-1.
    pub region: String,
    #[schemars(with = "OneOrMany<String>")]
    pub instances: Vec<String>,
}

/// Write a list or mapping on one line (`[a, b]`, `{k: v}`), as people do
/// for short ones.
fn inline<T: Serialize, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    // FlowSeq and FlowMap only mark the next collection; either serves both.
    serde_saphyr::FlowSeq(value).serialize(s)
}

/// An optional mapping on one line (fields are skipped when `None`).
fn inline_map<T: Serialize, S: serde::Serializer>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serde_saphyr::FlowMap(v).serialize(s),
        None => s.serialize_none(),
    }
}

/// A mapping of lists, each list on one line.
fn inline_values<S: serde::Serializer>(
    map: &BTreeMap<String, Vec<String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(map.iter().map(|(k, v)| (k, serde_saphyr::FlowSeq(v))))
}

/// Tags on one line while they fit there, one per line beyond that.
fn inline_if_short<S: serde::Serializer>(
    tags: &Option<BTreeMap<String, String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let width: usize = tags
        .iter()
        .flatten()
        .map(|(k, v)| k.len() + v.len() + 4)
        .sum();
    match tags {
        Some(t) if width <= 60 => serde_saphyr::FlowMap(t).serialize(s),
        _ => tags.serialize(s),
    }
}

/// Schema only: a single value stands for a list of one, as `decode` reads it.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// Schema only: tag values may be written as numbers or booleans; they are kept as text.
struct TagValue;

impl JsonSchema for TagValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TagValue".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "0 to 256 characters; numbers and booleans are read as their text.",
            "type": ["string", "number", "boolean", "null"]
        })
    }
}

/// An amount: a plain number in YAML wherever that keeps it exact.
#[derive(Debug, Clone, Copy)]
pub struct AmountDoc(pub Decimal);

impl Serialize for AmountDoc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = to_aws_string(self.0);
        if let Ok(n) = text.parse::<u64>() {
            return s.serialize_u64(n);
        }
        if let Ok(f) = text.parse::<f64>()
            && crate::amount::parse_amount(&f.to_string()).ok() == Some(self.0)
        {
            return s.serialize_f64(f);
        }
        s.serialize_str(&text)
    }
}

impl JsonSchema for AmountDoc {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Amount".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A non-negative decimal amount, e.g. 1000 or 1000.50.",
            "anyOf": [
                { "type": "number", "minimum": 0 },
                { "type": "string", "pattern": "^\\s*([0-9][0-9_]*)?(\\.[0-9]+)?([eE][+-]?[0-9]+)?\\s*$" }
            ]
        })
    }
}

/// `1000`, `"1000 USD"`, or `{amount: 1000, unit: USD}`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum LimitDoc {
    Amount(AmountDoc),
    WithUnit(String),
    Spend {
        amount: AmountDoc,
        #[serde(skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
}

/// Amount per period: keys `YYYY-MM` (monthly) or `YYYY-Qn` (quarterly);
/// or a schedule that never ages, `{every: 1000, grow: 2%, from: 2026-01}`,
/// whose period keys override single periods.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlannedDoc {
    /// The amount of every period (makes `planned` a schedule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<LimitDoc>,
    /// Growth per period, compounding, e.g. `2%`; needs `from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\s*-?[0-9]+(\.[0-9]+)?\s*%\s*$"))]
    pub grow: Option<String>,
    /// The period growth counts from, `YYYY-MM` or `YYYY-Qn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(flatten)]
    pub periods: BTreeMap<String, LimitDoc>,
}

/// `{historical: N}` (periods to average) or `{forecast: true}`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAdjustDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 60))]
    pub historical: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast: Option<bool>,
}

/// Which charges a cost budget counts; unset flags take AWS's defaults (all
/// true but `amortized` and `blended`).
#[derive(Debug, Default, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CostTypesDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_subscription: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upfront: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amortized: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blended: Option<bool>,
}

impl JsonSchema for CostTypesDoc {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CostTypes".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // Our keys (`tax`) and AWS's member names (`IncludeTax`) are both read.
        let mut properties = serde_json::Map::new();
        for (key, aws, default) in CostTypes::default().flags() {
            let flag = serde_json::json!({ "type": "boolean", "default": default });
            properties.insert(key.to_owned(), flag.clone());
            properties.insert(aws.to_owned(), flag);
        }
        schemars::json_schema!({
            "description": "Which charges a cost budget counts; unset flags keep AWS's defaults.",
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        })
    }
}

/// A Cost Explorer filter expression: exactly one operator.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpressionDoc {
    And(Vec<ExpressionDoc>),
    Or(Vec<ExpressionDoc>),
    Not(Box<ExpressionDoc>),
    Dimensions(DimensionsDoc),
    Tags(KeyValuesDoc),
    CostCategories(KeyValuesDoc),
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DimensionsDoc {
    #[schemars(with = "Spelling<Dimension>")]
    pub key: Dimension,
    #[serde(serialize_with = "inline")]
    #[schemars(with = "OneOrMany<String>")]
    pub values: Vec<String>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "inline"
    )]
    #[schemars(with = "OneOrMany<Spelling<MatchOption>>")]
    pub match_options: Vec<MatchOption>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyValuesDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "inline"
    )]
    #[schemars(with = "OneOrMany<String>")]
    pub values: Vec<String>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        default,
        serialize_with = "inline"
    )]
    #[schemars(with = "OneOrMany<Spelling<MatchOption>>")]
    pub match_options: Vec<MatchOption>,
}

/// An alert: `{on: "actual > 80%", to: [...]}` or the structured form.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum NotificationDoc {
    Compact {
        /// `actual|forecasted  >|<|=  N%|N UNIT`, e.g. `actual > 80%`.
        on: String,
        #[serde(serialize_with = "inline")]
        #[schemars(with = "OneOrMany<SubscriberDoc>")]
        to: Vec<SubscriberDoc>,
    },
    Structured {
        #[serde(rename = "type")]
        #[schemars(with = "Spelling<NotificationType>")]
        notification_type: NotificationType,
        #[schemars(with = "Spelling<ComparisonOperator>")]
        comparison: ComparisonOperator,
        threshold: AmountDoc,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schemars(with = "Option<Spelling<ThresholdType>>")]
        threshold_type: Option<ThresholdType>,
        #[serde(serialize_with = "inline")]
        #[schemars(with = "OneOrMany<SubscriberDoc>")]
        subscribers: Vec<SubscriberDoc>,
    },
}

/// An email address or SNS topic ARN (told apart by shape), or `{email: …}` / `{sns: …}`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SubscriberDoc {
    Address(String),
    Email { email: String },
    Sns { sns: String },
}

/// The JSON Schema of budget files, for editors (`yaml-language-server`).
pub fn json_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Document)).unwrap_or_default();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            "https://budgetctl.dev/schema/budgets-v1.json".into(),
        );
    }
    schema
}

/// A budget written in the budget-file form (a [`BudgetDoc`] as JSON, as
/// saved plans hold them) read back into the model, in `account`: the
/// decoder's own rules apply, so a document that is not a valid budget is
/// an error naming what is wrong.
pub fn budget_from_document(
    account: &AccountId,
    doc: &serde_json::Value,
) -> Result<crate::Budget, String> {
    let mut doc = doc.clone();
    let Some(fields) = doc.as_object_mut() else {
        return Err("a budget is written as a JSON object".to_owned());
    };
    fields.remove("accounts");
    fields.insert("account".to_owned(), account.as_str().into());
    let file = serde_json::json!({ "version": 1, "budgets": [doc] });
    // JSON is YAML: the budget-file decoder reads it as written.
    let loaded = crate::load_str("plan.json", &file.to_string());
    if let Some(e) = loaded.errors().next() {
        return Err(e.message.clone());
    }
    loaded
        .config
        .budgets
        .into_iter()
        .next()
        .map(|b| b.budget)
        .ok_or_else(|| "the document holds no budget".to_owned())
}

/// A live budget in the budget-file form read back, as a plan document
/// holds what AWS has: unlike a file, a live budget may have a notification
/// with no subscriber (AWS allows it; the files do not), so such a
/// notification is read with none.
pub fn live_budget_from_document(
    account: &AccountId,
    doc: &serde_json::Value,
) -> Result<crate::Budget, String> {
    /// Stands in for the missing subscribers while the decoder reads the
    /// notification (an address of a reserved domain no one can have).
    const NOBODY: &str = "nobody@budgetctl.invalid";
    let mut doc = doc.clone();
    let mut silent = false;
    if let Some(list) = doc
        .get_mut("notifications")
        .and_then(serde_json::Value::as_array_mut)
    {
        for n in list.iter_mut().filter_map(serde_json::Value::as_object_mut) {
            let empty = |key: &str| {
                n.get(key)
                    .and_then(serde_json::Value::as_array)
                    .is_none_or(Vec::is_empty)
            };
            if empty("to") && empty("subscribers") {
                silent = true;
                let key = if n.contains_key("on") {
                    "to"
                } else {
                    "subscribers"
                };
                n.insert(key.to_owned(), serde_json::json!([NOBODY]));
            }
        }
    }
    let mut budget = budget_from_document(account, &doc)?;
    if silent {
        for n in &mut budget.notifications {
            n.subscribers
                .retain(|s| !matches!(s, crate::Subscriber::Email(a) if a == NOBODY));
        }
    }
    Ok(budget)
}

/// A budget action in the budget-file form ([`ActionDoc`] as JSON) read
/// back into the model, as an action of the budget `budget` (which gives
/// it its account and unit).
pub fn action_from_document(
    account: &AccountId,
    budget: &serde_json::Value,
    action: &serde_json::Value,
) -> Result<crate::BudgetAction, String> {
    let mut budget = budget.clone();
    let Some(fields) = budget.as_object_mut() else {
        return Err("a budget is written as a JSON object".to_owned());
    };
    fields.insert("actions".to_owned(), serde_json::json!([action]));
    // What the action is read against is the budget's account and unit;
    // its alerts and responses play no part (and a live budget's alerts
    // may be what no file can declare).
    fields.remove("responses");
    fields.remove("notifications");
    let budget = budget_from_document(account, &budget)?;
    budget
        .actions
        .into_iter()
        .flatten()
        .next()
        .ok_or_else(|| "the document holds no action".to_owned())
}

#[cfg(test)]
mod spelling_tests {
    use super::*;

    #[test]
    fn the_schema_pattern_accepts_what_parse_accepts() {
        let pattern =
            regex::Regex::new(&spelling_pattern(&ComparisonOperator::spellings())).unwrap();
        for ok in [
            "greater-than",
            "GREATER_THAN",
            "greater_than",
            "Less-Than",
            "equalto",
        ] {
            assert!(pattern.is_match(ok), "{ok}");
            assert!(ComparisonOperator::parse(ok).is_some(), "{ok}");
        }
        assert!(!pattern.is_match("greater-or-equal"));
    }
}
