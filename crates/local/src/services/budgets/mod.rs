//! The Budgets operations: the service's behaviour, separate from HTTP.
//!
//! `Service::call` takes an operation name and its JSON input, validates the
//! input against the service model, and runs the operation against the store.
//! Test controls (seeded spend, counters, faults, reset) are methods here too;
//! the server exposes them under `/_local/`. Each resource's operations live
//! in their own module: `budget`, `shape` (what AWS makes of a budget sent),
//! `notifications`, `subscribers`, `tags`, `actions`, `spend`; `access`
//! holds fault injection and denied accounts, `paging` the tokens.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Result, Service, s};
use crate::error::{ApiError, ErrorKind};
use crate::services::budgets::tags::parse_budget_arn;
use crate::shapes::MODEL;

mod actions;
mod budget;
mod notifications;
mod paging;
mod shape;
mod spend;
mod subscribers;
mod tags;

/// The partition served unless told otherwise.
pub const DEFAULT_PARTITION: &str = "aws";

/// How long a pagination token stays valid.
pub const TOKEN_TTL_MS: u64 = 60 * 60 * 1000;

/// Budgets one account may hold (the AWS quota).
pub const MAX_BUDGETS_PER_ACCOUNT: usize = 20_000;
const MAX_NOTIFICATIONS: usize = 10;
const MAX_EMAIL_SUBSCRIBERS: usize = 10;
const MAX_SNS_SUBSCRIBERS: usize = 1;
const MAX_TAGS: usize = 200;
const MAX_ACTIONS_PER_BUDGET: usize = 10;

/// A budget action moved to a status (`POST /_local/actions`), as if AWS
/// had got there: PENDING as if its threshold were crossed, a failure
/// status, or any status reached through its `*_IN_PROGRESS` step, which
/// lasts `ThroughMs` milliseconds. The action is named by its ActionId or
/// its `budgetctl:action` tag.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ActionStatusRequest {
    pub account_id: String,
    pub budget_name: String,
    pub action: String,
    pub status: String,
    #[serde(default)]
    pub through_ms: Option<u64>,
}

/// Spend to seed for a budget (`POST /_local/spend`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SpendRequest {
    pub account_id: String,
    pub budget_name: String,
    pub actual_spend: Option<String>,
    pub forecasted_spend: Option<String>,
    /// Past periods: `{ "Start": "2026-01-01", "End": "2026-02-01", "Budgeted": "100", "Actual": "90" }`.
    #[serde(default)]
    pub history: Vec<HistoryRequest>,
    /// The budget's HealthStatus from now on: `{ "Status": "UNHEALTHY",
    /// "StatusReason": "FILTER_INVALID" }`, values from the model's enums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<HealthRequest>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct HealthRequest {
    pub status: String,
    #[serde(default)]
    pub status_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct HistoryRequest {
    pub start: String,
    pub end: String,
    pub budgeted: String,
    pub actual: String,
}

impl Service {
    /// Refuse a call signed with a role session of another account, and
    /// count who called: see [`crate::services::sts`].
    pub fn authorize(&self, authorization: &str, operation: &str, input: &Value) -> Result<()> {
        self.sessions.authorize(
            authorization,
            iam_action(operation),
            &account_of(input, &self.partition),
        )
    }

    /// AccessDeniedException for the accounts the faults deny, naming the
    /// IAM action that would be needed, as AWS does.
    fn check_access(&self, operation: &str, input: &Value) -> Result<()> {
        let account = account_of(input, &self.partition);
        let resource = format!("arn:{}:budgets::{account}:budget/*", self.partition);
        self.deny(operation, iam_action(operation), &account, &resource)
    }

    /// Run one operation.
    pub fn call(&self, operation: &str, input: &Value) -> Result<Value> {
        if !MODEL.has_operation(operation) {
            return Err(ApiError::new(
                ErrorKind::UnknownOperation,
                format!("Unknown operation {operation}"),
            ));
        }
        MODEL.validate(operation, input)?;
        self.check_access(operation, input)?;
        self.settle_actions(s(&input["AccountId"]));
        let result = match operation {
            "CreateBudget" => self.create_budget(input),
            "DescribeBudget" => self.describe_budget(input),
            "DescribeBudgets" => self.describe_budgets(input),
            "UpdateBudget" => self.update_budget(input),
            "DeleteBudget" => self.delete_budget(input),
            "CreateNotification" => self.create_notification(input),
            "UpdateNotification" => self.update_notification(input),
            "DeleteNotification" => self.delete_notification(input),
            "DescribeNotificationsForBudget" => self.describe_notifications_for_budget(input),
            "DescribeBudgetNotificationsForAccount" => {
                self.describe_notifications_for_account(input)
            }
            "CreateSubscriber" => self.create_subscriber(input),
            "UpdateSubscriber" => self.update_subscriber(input),
            "DeleteSubscriber" => self.delete_subscriber(input),
            "DescribeSubscribersForNotification" => self.describe_subscribers(input),
            "TagResource" => self.tag_resource(input),
            "UntagResource" => self.untag_resource(input),
            "ListTagsForResource" => self.list_tags(input),
            "CreateBudgetAction" => self.create_action(input),
            "DescribeBudgetAction" => self.describe_action(input),
            "UpdateBudgetAction" => self.update_action(input),
            "DeleteBudgetAction" => self.delete_action(input),
            "DescribeBudgetActionsForAccount" => self.describe_actions_for_account(input),
            "DescribeBudgetActionsForBudget" => self.describe_actions_for_budget(input),
            "DescribeBudgetActionHistories" => self.describe_action_histories(input),
            "ExecuteBudgetAction" => self.execute_action(input),
            "DescribeBudgetPerformanceHistory" => self.describe_performance_history(input),
            other => Err(ApiError::new(
                ErrorKind::UnknownOperation,
                format!("Unknown operation {other}"),
            )),
        };
        if result.is_ok() {
            if is_write(operation) {
                self.mark(touched(input, &self.partition));
                self.touch();
            }
            self.applied(operation);
        }
        result
    }
}

/// The account a call is for: its AccountId, or the account of its ResourceARN.
fn account_of(input: &Value, partition: &str) -> String {
    match input["AccountId"].as_str() {
        Some(a) => a.to_owned(),
        None => parse_budget_arn(s(&input["ResourceARN"]), partition)
            .map(|arn| arn.account)
            .unwrap_or_default(),
    }
}

/// The budget a write changed, from its input: every Budgets write names
/// one (BudgetName, the Budget's or NewBudget's name, or a ResourceARN).
fn touched(input: &Value, partition: &str) -> Option<(String, String)> {
    let name = input["BudgetName"]
        .as_str()
        .or_else(|| input["Budget"]["BudgetName"].as_str())
        .or_else(|| input["NewBudget"]["BudgetName"].as_str());
    match (input["AccountId"].as_str(), name) {
        (Some(account), Some(name)) => Some((account.to_owned(), name.to_owned())),
        _ => parse_budget_arn(s(&input["ResourceARN"]), partition)
            .ok()
            .map(|arn| (arn.account, arn.budget)),
    }
}

fn is_write(operation: &str) -> bool {
    !(operation.starts_with("Describe") || operation.starts_with("List"))
}

/// The IAM action a Budgets operation needs, as AWS names it when it
/// refuses one.
fn iam_action(operation: &str) -> &'static str {
    match operation {
        "TagResource" => "budgets:TagResource",
        "UntagResource" => "budgets:UntagResource",
        "ListTagsForResource" => "budgets:ListTagsForResource",
        "CreateBudgetAction" => "budgets:CreateBudgetAction",
        "UpdateBudgetAction" => "budgets:UpdateBudgetAction",
        "DeleteBudgetAction" => "budgets:DeleteBudgetAction",
        "ExecuteBudgetAction" => "budgets:ExecuteBudgetAction",
        "DescribeBudgetAction" => "budgets:DescribeBudgetAction",
        "DescribeBudgetActionHistories" => "budgets:DescribeBudgetActionHistories",
        "DescribeBudgetActionsForAccount" => "budgets:DescribeBudgetActionsForAccount",
        "DescribeBudgetActionsForBudget" => "budgets:DescribeBudgetActionsForBudget",
        op if op.starts_with("Describe") => "budgets:ViewBudget",
        _ => "budgets:ModifyBudget",
    }
}
