//! The typed model of desired budgets.
//!
//! This is what a validated budget file means, with every default applied:
//! the same shape the diff compares against live budgets read from AWS. It
//! carries no source positions; [`DesiredBudget`] pairs a budget with where it
//! was declared.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Squash a spelling for comparison: case, `-` and `_` do not matter, so
/// `greater-than`, `greater_than` and `GREATER_THAN` all read the same.
pub(crate) fn squash(s: &str) -> String {
    squashed(s).collect()
}

fn squashed(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars()
        .filter(|c| *c != '-' && *c != '_' && *c != ' ')
        .map(|c| c.to_ascii_lowercase())
}

/// Whether two spellings read the same once squashed, without allocating.
pub(crate) fn same_spelling(a: &str, b: &str) -> bool {
    squashed(a).eq(squashed(b))
}

/// A JSON Schema (ECMA-262) pattern that matches the spellings `squash` equates.
pub(crate) fn spelling_pattern(spellings: &[&str]) -> String {
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

macro_rules! aws_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($variant:ident => $friendly:literal, $aws:literal $(| $alias:literal)*;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The lowercase spelling budget files use.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $friendly),* }
            }

            /// The spelling the AWS API uses.
            pub fn aws_name(self) -> &'static str {
                match self { $($name::$variant => $aws),* }
            }

            /// Every spelling accepted, for completion and schemas.
            pub fn spellings() -> Vec<&'static str> {
                vec![$($friendly, $aws, $($alias,)*)*]
            }

            /// Read any accepted spelling: ours, AWS's, or an alias; case, `-`
            /// and `_` do not matter.
            pub fn parse(text: &str) -> Option<Self> {
                $(
                    if same_spelling(text, $friendly) || same_spelling(text, $aws)
                        $(|| same_spelling(text, $alias))* {
                        return Some($name::$variant);
                    }
                )*
                None
            }

            /// The AWS spelling back to the enum, exactly as AWS writes it.
            pub fn from_aws(text: &str) -> Option<Self> {
                match text { $($aws => Some($name::$variant),)* _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown {} `{}`", stringify!($name), text
                    ))
                })
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                // The enum gives editors completions; the pattern accepts
                // every spelling `parse` does (any case, `-`/`_` anywhere).
                schemars::json_schema!({
                    "anyOf": [
                        { "type": "string", "enum": $name::spellings() },
                        { "type": "string", "pattern": spelling_pattern(&$name::spellings()) },
                    ]
                })
            }
        }
    };
}

aws_enum! {
    /// What a budget tracks.
    pub enum BudgetType {
        Cost => "cost", "COST";
        Usage => "usage", "USAGE";
        RiUtilization => "ri-utilization", "RI_UTILIZATION";
        RiCoverage => "ri-coverage", "RI_COVERAGE";
        SpUtilization => "sp-utilization", "SAVINGS_PLANS_UTILIZATION";
        SpCoverage => "sp-coverage", "SAVINGS_PLANS_COVERAGE";
    }
}

impl BudgetType {
    /// Reservation and Savings Plans budgets track a percentage, fixed at 100.
    pub fn is_ri_or_sp(self) -> bool {
        !matches!(self, BudgetType::Cost | BudgetType::Usage)
    }
}

aws_enum! {
    /// How often the budget resets (AWS's TimeUnit).
    pub enum TimeUnit {
        Daily => "daily", "DAILY";
        Monthly => "monthly", "MONTHLY";
        Quarterly => "quarterly", "QUARTERLY";
        Annually => "annually", "ANNUALLY" | "yearly";
        Custom => "custom", "CUSTOM";
    }
}

impl TimeUnit {
    /// The most periods an auto-adjusting budget may look back over.
    pub fn max_auto_adjust_periods(self) -> Option<u32> {
        match self {
            TimeUnit::Daily => Some(60),
            TimeUnit::Monthly => Some(12),
            TimeUnit::Quarterly => Some(4),
            TimeUnit::Annually => Some(1),
            TimeUnit::Custom => None,
        }
    }
}

aws_enum! {
    pub enum NotificationType {
        Actual => "actual", "ACTUAL";
        Forecasted => "forecasted", "FORECASTED" | "forecast";
    }
}

aws_enum! {
    pub enum ComparisonOperator {
        GreaterThan => "greater-than", "GREATER_THAN";
        LessThan => "less-than", "LESS_THAN";
        EqualTo => "equal-to", "EQUAL_TO";
    }
}

impl ComparisonOperator {
    pub fn symbol(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThan => ">",
            ComparisonOperator::LessThan => "<",
            ComparisonOperator::EqualTo => "=",
        }
    }
}

aws_enum! {
    pub enum ThresholdType {
        Percentage => "percentage", "PERCENTAGE";
        AbsoluteValue => "absolute-value", "ABSOLUTE_VALUE" | "absolute";
    }
}

aws_enum! {
    pub enum Metric {
        BlendedCost => "blended-cost", "BlendedCost";
        UnblendedCost => "unblended-cost", "UnblendedCost";
        AmortizedCost => "amortized-cost", "AmortizedCost";
        NetUnblendedCost => "net-unblended-cost", "NetUnblendedCost";
        NetAmortizedCost => "net-amortized-cost", "NetAmortizedCost";
        UsageQuantity => "usage-quantity", "UsageQuantity";
        NormalizedUsageAmount => "normalized-usage-amount", "NormalizedUsageAmount";
        Hours => "hours", "Hours";
    }
}

aws_enum! {
    /// A Cost Explorer dimension usable in a filter expression.
    pub enum Dimension {
        Az => "az", "AZ";
        InstanceType => "instance-type", "INSTANCE_TYPE";
        LinkedAccount => "linked-account", "LINKED_ACCOUNT";
        LinkedAccountName => "linked-account-name", "LINKED_ACCOUNT_NAME";
        Operation => "operation", "OPERATION";
        PurchaseType => "purchase-type", "PURCHASE_TYPE";
        Region => "region", "REGION";
        Service => "service", "SERVICE";
        ServiceCode => "service-code", "SERVICE_CODE";
        UsageType => "usage-type", "USAGE_TYPE";
        UsageTypeGroup => "usage-type-group", "USAGE_TYPE_GROUP";
        RecordType => "record-type", "RECORD_TYPE";
        OperatingSystem => "operating-system", "OPERATING_SYSTEM";
        Tenancy => "tenancy", "TENANCY";
        Scope => "scope", "SCOPE";
        Platform => "platform", "PLATFORM";
        SubscriptionId => "subscription-id", "SUBSCRIPTION_ID";
        LegalEntityName => "legal-entity-name", "LEGAL_ENTITY_NAME";
        InvoicingEntity => "invoicing-entity", "INVOICING_ENTITY";
        DeploymentOption => "deployment-option", "DEPLOYMENT_OPTION";
        DatabaseEngine => "database-engine", "DATABASE_ENGINE";
        CacheEngine => "cache-engine", "CACHE_ENGINE";
        InstanceTypeFamily => "instance-type-family", "INSTANCE_TYPE_FAMILY";
        BillingEntity => "billing-entity", "BILLING_ENTITY";
        ReservationId => "reservation-id", "RESERVATION_ID";
        ResourceId => "resource-id", "RESOURCE_ID";
        RightsizingType => "rightsizing-type", "RIGHTSIZING_TYPE";
        SavingsPlansType => "savings-plans-type", "SAVINGS_PLANS_TYPE";
        SavingsPlanArn => "savings-plan-arn", "SAVINGS_PLAN_ARN";
        PaymentOption => "payment-option", "PAYMENT_OPTION";
        ReservationModified => "reservation-modified", "RESERVATION_MODIFIED";
        TagKey => "tag-key", "TAG_KEY";
        CostCategoryName => "cost-category-name", "COST_CATEGORY_NAME";
    }
}

aws_enum! {
    pub enum MatchOption {
        Equals => "equals", "EQUALS";
        Absent => "absent", "ABSENT";
        StartsWith => "starts-with", "STARTS_WITH";
        EndsWith => "ends-with", "ENDS_WITH";
        Contains => "contains", "CONTAINS";
        GreaterThanOrEqual => "greater-than-or-equal", "GREATER_THAN_OR_EQUAL";
        CaseSensitive => "case-sensitive", "CASE_SENSITIVE";
        CaseInsensitive => "case-insensitive", "CASE_INSENSITIVE";
    }
}

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// `Some` when `text` is exactly twelve ASCII digits.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| AccountId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount with its unit (AWS's Spend).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Spend {
    /// Compared by value: 100 and 100.0 are equal.
    pub amount: Decimal,
    pub unit: String,
}

impl Spend {
    pub fn new(amount: Decimal, unit: impl Into<String>) -> Self {
        Spend {
            amount: crate::amount::canonical(amount),
            unit: unit.into(),
        }
    }
}

impl fmt::Display for Spend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            crate::amount::to_aws_string(self.amount),
            self.unit
        )
    }
}

/// How the budget's limit is set: exactly one of these (ARCHITECTURE.md, reconciler rule 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetLimit {
    /// One amount for every period.
    Fixed(Spend),
    /// An amount per period, keyed by the first day of the period.
    Planned(BTreeMap<NaiveDate, Spend>),
    /// A planned schedule that never ages, expanded into the current window
    /// at plan time (`crate::planned`).
    Schedule(crate::planned::PlannedSchedule),
    /// AWS sets the amount from history or forecast.
    AutoAdjust(AutoAdjust),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoAdjust {
    /// The average of the last `periods` budget periods.
    Historical { periods: u32 },
    /// The forecasted spend of the current period.
    Forecast,
}

macro_rules! cost_types {
    ($($field:ident, $key:literal, $aws:literal, $default:literal;)*) => {
        /// Which charges a cost budget counts (AWS's CostTypes), every flag set.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub struct CostTypes { $(pub $field: bool),* }

        impl Default for CostTypes {
            /// AWS's documented defaults.
            fn default() -> Self {
                CostTypes { $($field: $default),* }
            }
        }

        impl CostTypes {
            /// The keys budget files use, e.g. `tax`, `amortized`.
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            /// Each flag as (file key, AWS member name, value).
            pub fn flags(&self) -> [(&'static str, &'static str, bool); 11] {
                [$(($key, $aws, self.$field)),*]
            }

            /// Set a flag by its file key or AWS name. Returns the flag's file
            /// key, or `None` when no flag has that name.
            pub fn set(&mut self, key: &str, value: bool) -> Option<&'static str> {
                $(
                    if same_spelling(key, $key) || same_spelling(key, $aws) {
                        self.$field = value;
                        return Some($key);
                    }
                )*
                None
            }
        }
    };
}

cost_types! {
    include_credit, "credit", "IncludeCredit", true;
    include_discount, "discount", "IncludeDiscount", true;
    include_other_subscription, "other_subscription", "IncludeOtherSubscription", true;
    include_recurring, "recurring", "IncludeRecurring", true;
    include_refund, "refund", "IncludeRefund", true;
    include_subscription, "subscription", "IncludeSubscription", true;
    include_support, "support", "IncludeSupport", true;
    include_tax, "tax", "IncludeTax", true;
    include_upfront, "upfront", "IncludeUpfront", true;
    use_amortized, "amortized", "UseAmortized", false;
    use_blended, "blended", "UseBlended", false;
}

/// A Cost Explorer filter expression (AWS's Expression): exactly one operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expression {
    And(Vec<Expression>),
    Or(Vec<Expression>),
    Not(Box<Expression>),
    Dimensions(DimensionValues),
    Tags(KeyValues),
    CostCategories(KeyValues),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DimensionValues {
    pub key: Dimension,
    pub values: Vec<String>,
    pub match_options: Vec<MatchOption>,
}

/// The tag or cost category form of a filter: key, values, match options.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyValues {
    pub key: Option<String>,
    pub values: Vec<String>,
    pub match_options: Vec<MatchOption>,
}

/// Where an alert goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subscriber {
    Email(String),
    Sns(String),
}

impl Subscriber {
    /// Tell the kind apart by shape: an SNS topic is an ARN, anything else an email address.
    pub fn from_address(address: &str) -> Self {
        if address.starts_with("arn:") {
            Subscriber::Sns(address.to_owned())
        } else {
            Subscriber::Email(address.to_owned())
        }
    }

    pub fn address(&self) -> &str {
        match self {
            Subscriber::Email(a) | Subscriber::Sns(a) => a,
        }
    }
}

/// What identifies a notification: AWS addresses notifications by these four
/// fields, so two notifications of one budget may not share them (ARCHITECTURE.md, reconciler rule 4).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NotificationKey {
    pub notification_type: NotificationType,
    pub comparison: ComparisonOperator,
    pub threshold: Decimal,
    pub threshold_type: ThresholdType,
}

impl fmt::Display for NotificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = match self.threshold_type {
            ThresholdType::Percentage => "%",
            ThresholdType::AbsoluteValue => "",
        };
        write!(
            f,
            "{} {} {}{}",
            self.notification_type,
            self.comparison.symbol(),
            crate::amount::to_aws_string(self.threshold),
            suffix
        )
    }
}

impl NotificationKey {
    /// The alert as a budget file says it: `actual > 80%`, `actual > 400 USD`
    /// (`unit` is the budget's); without a unit an absolute threshold says
    /// so, `actual > 400 (absolute)`, never the bare number `validate` calls
    /// ambiguous.
    pub fn phrase(&self, unit: Option<&str>) -> String {
        let threshold = crate::amount::to_aws_string(self.threshold);
        let value = match (self.threshold_type, unit) {
            (ThresholdType::Percentage, _) => format!("{threshold}%"),
            (ThresholdType::AbsoluteValue, Some(unit)) if !unit.is_empty() => {
                format!("{threshold} {unit}")
            }
            (ThresholdType::AbsoluteValue, _) => format!("{threshold} (absolute)"),
        };
        format!(
            "{} {} {value}",
            self.notification_type,
            self.comparison.symbol()
        )
    }
}

/// An alert and who receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    #[serde(flatten)]
    pub key: NotificationKey,
    /// Kept in declaration order; compared as a set by the diff.
    pub subscribers: Vec<Subscriber>,
}

/// One budget, as declared and with every default applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    pub name: String,
    pub budget_type: BudgetType,
    pub time_unit: TimeUnit,
    pub limit: BudgetLimit,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// `Some` exactly for cost budgets, with AWS's defaults for unset flags.
    pub cost_types: Option<CostTypes>,
    /// Legacy CostFilters; empty means no filter.
    pub cost_filters: BTreeMap<String, Vec<String>>,
    pub filter_expression: Option<Expression>,
    pub metrics: Vec<Metric>,
    pub billing_view_arn: Option<String>,
    pub notifications: Vec<Notification>,
    /// `None` when the file does not manage this budget's tags; `Some(empty)`
    /// when it declares that the budget has none.
    pub tags: Option<BTreeMap<String, String>>,
}

impl Budget {
    /// The unit the limit is in, and so the unit of absolute alert
    /// thresholds; `None` for auto-adjusting budgets, whose amount is AWS's.
    pub fn limit_unit(&self) -> Option<&str> {
        match &self.limit {
            BudgetLimit::Fixed(s) => Some(&s.unit),
            BudgetLimit::Planned(p) => p.values().next().map(|s| s.unit.as_str()),
            BudgetLimit::Schedule(sc) => Some(&sc.every.unit),
            BudgetLimit::AutoAdjust(_) => None,
        }
    }
}

/// Where something was declared, for messages that point back at the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A budget the files ask for, in the account it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredBudget {
    pub account: AccountId,
    pub budget: Budget,
    pub origin: Origin,
}

/// How budgetctl treats one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    /// A role to assume for this account.
    pub role: Option<String>,
    /// Delete budgets in the account that no file declares.
    pub prune: bool,
    /// Glob patterns of budget names never touched and never pruned.
    pub ignore: Vec<String>,
}

/// Everything the budget files declare, merged across files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub accounts: BTreeMap<AccountId, AccountSettings>,
    pub budgets: Vec<DesiredBudget>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_read_ours_and_aws_spellings() {
        assert_eq!(
            BudgetType::parse("sp-utilization"),
            Some(BudgetType::SpUtilization)
        );
        assert_eq!(
            BudgetType::parse("SAVINGS_PLANS_UTILIZATION"),
            Some(BudgetType::SpUtilization)
        );
        assert_eq!(
            ComparisonOperator::parse("greater_than"),
            Some(ComparisonOperator::GreaterThan)
        );
        assert_eq!(Metric::parse("UnblendedCost"), Some(Metric::UnblendedCost));
        assert_eq!(Metric::parse("unblended-cost"), Some(Metric::UnblendedCost));
        assert_eq!(TimeUnit::parse("fortnightly"), None);
    }

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

    #[test]
    fn cost_types_default_to_aws_defaults() {
        let d = CostTypes::default();
        assert!(d.include_tax && d.include_credit && d.include_support);
        assert!(!d.use_amortized && !d.use_blended);
        let mut c = d;
        assert_eq!(c.set("IncludeTax", false), Some("tax"));
        assert!(!c.include_tax);
        assert_eq!(c.set("amortized", true), Some("amortized"));
        assert!(c.use_amortized);
        assert_eq!(c.set("taxes", true), None);
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("111122223333").is_some());
        assert!(AccountId::parse("11112222333").is_none());
        assert!(AccountId::parse("11112222333a").is_none());
    }
}
