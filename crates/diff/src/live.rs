//! Live state as the AWS layer reads it, converted to the model.

use budgetctl_spec::{AccountId, Budget};
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
