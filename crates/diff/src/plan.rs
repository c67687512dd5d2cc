//! The Plan: what apply would change, as data. Renderers show it, `--out`
//! saves it, apply carries it out. Its JSON form is versioned and documented
//! in README.md; change it only on purpose (a snapshot test guards it).

use std::collections::BTreeMap;

use budgetctl_spec::{AccountId, Budget, NotificationKey, Subscriber};
use serde::{Deserialize, Serialize};

/// The version of the Plan's JSON format.
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub summary: Summary,
    /// Budgets to create, update or delete, in account and name order.
    pub changes: Vec<Change>,
    /// Budgets in the accounts that no file declares and that prune leaves alone.
    pub unmanaged: Vec<BudgetRef>,
    /// Budgets matching an account's `ignore` globs: never touched.
    pub ignored: Vec<BudgetRef>,
    pub warnings: Vec<Warning>,
    /// Changes the files ask for that AWS cannot make (a budget's type).
    /// A plan with errors is not applied: `budgetctl plan` exits 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<PlanError>,
    /// What every live budget the plan read looked like, for apply's staleness check.
    pub fingerprints: BTreeMap<String, Fingerprint>,
    /// The budget files the plan was made from: path → SHA-256 of the content,
    /// so that a saved plan is not applied over other YAML.
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    /// The role assumed for each account read that has one
    /// (`accounts.<id>.role`), so that a saved plan is applied as it was read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<AccountId, String>,
    /// `--account` and `--target` the plan was made with: apply derives a
    /// saved plan again from its inputs within the same scope.
    #[serde(default, skip_serializing_if = "PlanScope::is_empty")]
    pub scope: PlanScope,
    /// Where the plan was read from: apply refuses a saved plan against
    /// another target.
    #[serde(default)]
    pub target: PlanTarget,
}

/// The endpoint and identity a plan was made against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTarget {
    /// budgetctl-local in the working directory (`--local`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub local: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl std::fmt::Display for PlanTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.local {
            f.write_str("budgetctl-local (--local)")?;
        } else if let Some(url) = &self.endpoint_url {
            write!(f, "the endpoint {url}")?;
        } else {
            f.write_str("AWS")?;
        }
        if let Some(p) = &self.profile {
            write!(f, " with profile {p}")?;
        }
        if let Some(r) = &self.region {
            write!(f, " in region {r}")?;
        }
        Ok(())
    }
}

/// The narrowing a plan was made with (`--account`, `--target`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanScope {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
}

impl PlanScope {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.targets.is_empty()
    }
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// A declared change that cannot be made, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanError {
    #[serde(flatten)]
    pub budget: BudgetRef,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// A budget by account and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BudgetRef {
    pub account: AccountId,
    pub name: String,
}

impl BudgetRef {
    /// `ACCOUNT/NAME`, the key of fingerprints and messages.
    pub fn address(&self) -> String {
        format!("{}/{}", self.account, self.name)
    }
}

/// One budget's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub action: Action,
    #[serde(flatten)]
    pub budget: BudgetRef,
    /// Budget fields that differ (UpdateBudget), or that a create sets.
    pub fields: Vec<FieldDiff>,
    pub notifications: Vec<NotificationChange>,
    pub tags: Vec<TagChange>,
    /// The budget as declared (create, update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<Budget>,
    /// The budget as read from AWS (update, delete).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Budget>,
}

impl Change {
    /// Whether the budget itself changes (an UpdateBudget call), as opposed to
    /// only its notifications, subscribers or tags.
    pub fn updates_budget_fields(&self) -> bool {
        self.action == Action::Update && !self.fields.is_empty()
    }
}

/// A budget field, before and after, as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// e.g. `limit`, `end`, `cost_types.tax`, `filters.Service`, `filter_expression`.
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotificationChange {
    /// CreateNotification with these subscribers.
    Add {
        notification: NotificationKey,
        subscribers: Vec<Subscriber>,
    },
    /// DeleteNotification.
    Remove { notification: NotificationKey },
    /// UpdateNotification: the identity changes in place, subscribers stay.
    Change {
        from: NotificationKey,
        to: NotificationKey,
    },
    /// UpdateSubscriber for each swap (a removed and an added subscriber of
    /// the same kind, paired so that a notification at its limit of ten
    /// emails or one SNS topic can still change), then CreateSubscriber for
    /// each added, then DeleteSubscriber for each removed.
    Subscribers {
        notification: NotificationKey,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        swap: Vec<SubscriberSwap>,
        add: Vec<Subscriber>,
        remove: Vec<Subscriber>,
    },
}

/// One subscriber replaced by another of the same kind, in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriberSwap {
    pub from: Subscriber,
    pub to: Subscriber,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagChange {
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    #[serde(flatten)]
    pub budget: BudgetRef,
    /// What the warning is about, for tools and for labels in PR comments.
    #[serde(default)]
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Declared, but matched by the account's ignore globs.
    Ignored,
    /// Planned limits that do not start at the current period.
    PlannedNotCurrent,
    /// Planned limits that ended before the current period.
    PlannedAgedOut,
    /// The new limit is below this period's actual spend.
    BelowActualSpend,
    /// The new limit is below this period's forecasted spend.
    BelowForecastedSpend,
    /// A live budget with a value this budgetctl does not know: left alone.
    Unreadable,
    /// Anything else (and plans saved before warnings had kinds).
    #[default]
    Other,
}

impl WarningKind {
    /// The new limit is under what is being spent: its alerts fire at once.
    pub fn is_below_spend(self) -> bool {
        matches!(
            self,
            WarningKind::BelowActualSpend | WarningKind::BelowForecastedSpend
        )
    }
}

/// What a live budget looked like when planned: its LastUpdatedTime and a
/// hash of its notifications, subscribers and tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub last_updated: Option<String>,
    pub hash: String,
}
