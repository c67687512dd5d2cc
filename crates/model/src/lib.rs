//! budgetctl's domain model: what a validated budget file means, with every
//! default applied, and what is live in AWS, in the same types, so that the
//! diff compares like with like.
//!
//! Budgets, notifications, subscribers, budget actions and responses; the
//! whole configuration ([`Config`]) with its accounts and groups; amounts
//! ([`amount`]) and the budget calendar ([`planned`]); account ids; and live
//! state as the AWS layer reads it ([`live`]). No file format, no schema, no
//! I/O: the budget files are `budgetctl-spec`'s, the calls `budgetctl-aws`'s.
//!
//! ```
//! use budgetctl_model::{AccountId, TimeUnit};
//! assert_eq!(TimeUnit::parse("MONTHLY"), Some(TimeUnit::Monthly));
//! assert!("1111-2222-3333".parse::<AccountId>().is_err());
//! ```

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod amount;
mod budget;
mod expression;
pub mod live;
mod notification;
pub mod planned;
pub mod policy;

pub use budget::*;
pub use expression::*;
pub use notification::*;

/// Squash a spelling for comparison: case, `-` and `_` do not matter, so
/// `greater-than`, `greater_than` and `GREATER_THAN` all read the same.
pub fn squash(s: &str) -> String {
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

/// An enum with several accepted spellings: budget files' own, AWS's, and
/// aliases. The file format's schema describes it from these.
pub trait Spelled {
    /// The type's name, as schemas call it.
    const NAME: &'static str;
    /// Every spelling accepted, for completion and schemas.
    fn spellings() -> Vec<&'static str>;
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

        impl Spelled for $name {
            const NAME: &'static str = stringify!($name);
            fn spellings() -> Vec<&'static str> {
                $name::spellings()
            }
        }
    };
}

// After the macro: actions declare their enums with it.
mod action;
pub use action::*;
mod response;
pub use response::*;

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

/// A 12-digit AWS account id, checked once where it is read (a file, a
/// flag, a plan document) and trusted from then on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AccountId(String);

/// Text that is not a 12-digit account id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnAccountId(pub String);

impl fmt::Display for NotAnAccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an account id: write its 12 digits, e.g. 111122223333",
            self.0
        )
    }
}

impl std::error::Error for NotAnAccountId {}

impl std::str::FromStr for AccountId {
    type Err = NotAnAccountId;

    /// Every `--account` is read this way (a clap value parser).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AccountId::parse(text).ok_or_else(|| NotAnAccountId(text.to_owned()))
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

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

/// The prefix of budgetctl's own tag keys (an action's name, a response's
/// latest run): budget files may not use it, and plans never show it.
pub const RESERVED_TAG_PREFIX: &str = "budgetctl:";

/// Whether `key` is one of budgetctl's own tag keys.
pub fn is_reserved_tag(key: &str) -> bool {
    key.get(..RESERVED_TAG_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_TAG_PREFIX))
}

/// The latest end date AWS accepts for a budget (TimePeriod end).
pub fn max_end_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2087, 6, 15).expect("valid date")
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
