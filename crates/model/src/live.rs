//! Live state as the AWS layer reads it, converted to the model: what the
//! diff compares the files with, and what respond decides on.

use crate::{AccountId, ActionStatus, Budget, BudgetAction, NotificationKey, Spend};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A budget as read from AWS, converted to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveBudget {
    pub account: AccountId,
    /// `tags` is `Some` only where they were read (the YAML manages them).
    pub budget: Budget,
    /// LastUpdatedTime as AWS sent it.
    pub last_updated: Option<String>,
    /// This period's CalculatedSpend, when AWS returned it.
    pub spend: Option<LiveSpend>,
    /// The BudgetLimit AWS returned: the amount in force this period, which
    /// for an auto-adjusting budget AWS computes (no file says it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_now: Option<Spend>,
    /// The notifications whose NotificationState is ALARM: their line was
    /// crossed this period, and AWS has sent their alert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<NotificationKey>,
    /// HealthStatus, when AWS reports one (a budget over a billing view or
    /// a filter AWS can no longer evaluate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// Past periods' budgeted and actual amounts, oldest first, where they
    /// were read (DescribeBudgetPerformanceHistory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PastPeriod>,
    /// The budget's actions (DescribeBudgetActionsForAccount), in the order
    /// AWS returned them.
    pub actions: Vec<LiveAction>,
}

/// A budget action as read from AWS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveAction {
    /// AWS's ActionId.
    pub id: String,
    pub status: ActionStatus,
    /// Its `budgetctl:action` tag: `None` when it has none, or when its
    /// tags were not read (the files do not manage the budget's actions).
    pub name: Option<String>,
    /// The action in the model; its `name` is the tag's, or empty.
    pub action: BudgetAction,
}

impl LiveAction {
    /// How people tell it apart: its name, or its id when it has none.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A live budget holding a value this budgetctl does not know (a newer API
/// value, or one another tool wrote): it is skipped with a warning, and never
/// updated or deleted (ARCHITECTURE.md, reconciler rule 14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub account: AccountId,
    pub name: String,
    /// What could not be read, e.g. "AWS returned the time unit `WEEKLY`".
    pub reason: String,
}

/// What was read of the accounts: the budgets converted to the model, and
/// those that could not be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    pub budgets: Vec<LiveBudget>,
    pub unreadable: Vec<Unreadable>,
}

/// A budget's HealthStatus as AWS wrote it: `HEALTHY` or `UNHEALTHY`, and
/// why (`FILTER_INVALID`, `BILLING_VIEW_NO_ACCESS`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub reason: Option<String>,
}

impl Health {
    pub fn is_healthy(&self) -> bool {
        self.status == "HEALTHY"
    }
}

/// One past period of a budget: what was budgeted and what was spent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastPeriod {
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    pub budgeted: Option<Decimal>,
    pub actual: Option<Decimal>,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveSpend {
    pub actual: Decimal,
    pub forecasted: Option<Decimal>,
    pub unit: String,
}

impl Live {
    /// Add what was read of another account.
    pub fn extend(&mut self, other: Live) {
        self.budgets.extend(other.budgets);
        self.unreadable.extend(other.unreadable);
    }
}

/// What DescribeBudgets says of a budget that respond needs: this period's
/// spend, and the limit AWS holds (for an auto-adjusting budget, the
/// amount it computed).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetSpend {
    pub name: String,
    pub limit: Option<Spend>,
    pub spend: Option<LiveSpend>,
}
