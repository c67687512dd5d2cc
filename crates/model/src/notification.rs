//! Notifications, identified by type, comparison, threshold and threshold
//! type, and their subscribers.

use super::*;

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
    /// The trigger of an action or a response (`>` only), as a key.
    pub fn over(
        notification_type: NotificationType,
        threshold: Decimal,
        threshold_type: ThresholdType,
    ) -> NotificationKey {
        NotificationKey {
            notification_type,
            comparison: ComparisonOperator::GreaterThan,
            threshold,
            threshold_type,
        }
    }

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
