//! Responses: what `budgetctl respond` does, once per budget period, when
//! spend crosses a threshold. They are not AWS resources: a budget's
//! responses live in its files only, and changing them changes nothing
//! remote.

use super::*;

aws_enum! {
    /// The language Service Catalog answers in (its AcceptLanguage).
    pub enum Language {
        En => "en", "en";
        Jp => "jp", "jp";
        Zh => "zh", "zh";
    }
}

/// What a response does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseAction {
    /// Run a Service Catalog self-service action on a provisioned product
    /// (ExecuteProvisionedProductServiceAction).
    ServiceCatalog(ServiceCatalogAction),
    /// Approve this budget's budget action of that name when it is PENDING
    /// (ExecuteBudgetAction APPROVE_BUDGET_ACTION).
    ApproveAction(String),
}

/// A self-service action on a provisioned product, in one region of the
/// budget's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCatalogAction {
    pub region: String,
    /// A provisioned product's name, or its `pp-…` id.
    pub provisioned_product: String,
    /// A service action's name, or its `act-…` id.
    pub action: String,
    /// ExecuteProvisionedProductServiceAction's Parameters.
    pub parameters: BTreeMap<String, Vec<String>>,
    pub language: Option<Language>,
}

/// A response as declared: when (`actual > 120%`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Unique in its budget; part of the response's ExecuteToken.
    pub name: String,
    pub notification_type: NotificationType,
    pub threshold: Decimal,
    pub threshold_type: ThresholdType,
    pub action: ResponseAction,
}

impl Response {
    /// When it is due, as a budget file says it: `forecasted > 110%`.
    pub fn when(&self, unit: Option<&str>) -> String {
        NotificationKey::over(self.notification_type, self.threshold, self.threshold_type)
            .phrase(unit)
    }
}

impl ResponseAction {
    /// What it does, in a sentence.
    pub fn describe(&self) -> String {
        match self {
            ResponseAction::ServiceCatalog(sc) => format!(
                "run service action {} on provisioned product {} in {}",
                sc.action, sc.provisioned_product, sc.region
            ),
            ResponseAction::ApproveAction(name) => format!("approve budget action {name}"),
        }
    }
}
