//! A budget: its limit (fixed, planned, scheduled or auto-adjusting), where
//! it was declared, and the configuration of all files.

use super::*;

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
    /// `None` when the file does not manage this budget's actions (no
    /// `actions:` key: live ones are left alone); `Some` when it lists every
    /// action the budget has, so that one left out is deleted.
    pub actions: Option<Vec<BudgetAction>>,
    /// What `budgetctl respond` does when spend crosses a line; files only,
    /// never sent to AWS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<Response>,
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
    /// Where its definition is: its own entry, or the template it was
    /// expanded from.
    pub origin: Origin,
    /// The template (`accounts:`) that made it or that its own entry
    /// replaces for its account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Origin>,
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
    /// `account_groups`, by name, with the accounts each resolved to.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, Group>,
    /// `organizations.role`: the role in the management account that
    /// groups from AWS Organizations are read through (`None`: the base
    /// credentials, which must then be the management account's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizations_role: Option<String>,
    /// Where each account's settings (`accounts.<id>`) are declared: a
    /// plan names it as the reason a pruned budget is deleted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings_at: BTreeMap<AccountId, Origin>,
    /// `policy:`: the rules budgets and accounts must keep.
    #[serde(default, skip_serializing_if = "crate::policy::Policy::is_empty")]
    pub policy: crate::policy::Policy,
}

impl Config {
    /// Every account the files name, with settings or with budgets, each
    /// once and in order: the accounts a run reads unless `--account`
    /// narrows it.
    pub fn accounts(&self) -> std::collections::BTreeSet<AccountId> {
        let mut all: std::collections::BTreeSet<AccountId> =
            self.accounts.keys().cloned().collect();
        all.extend(self.budgets.iter().map(|b| b.account.clone()));
        all
    }

    /// The accounts budgets are declared in, each once and in order.
    pub fn budget_accounts(&self) -> std::collections::BTreeSet<AccountId> {
        self.budgets.iter().map(|b| b.account.clone()).collect()
    }

    /// The role of every account that has one.
    pub fn roles(&self) -> BTreeMap<AccountId, String> {
        self.accounts
            .iter()
            .filter_map(|(a, s)| Some((a.clone(), s.role.clone()?)))
            .collect()
    }
}

/// An `account_groups` entry: its accounts, listed or read from AWS
/// Organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The accounts, sorted; for a group from Organizations, its ACTIVE
    /// accounts as read (none when the files were only validated).
    pub accounts: Vec<AccountId>,
    /// Where the accounts come from in AWS Organizations, for such a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationSource>,
    /// Whether the accounts are known: false for a group from
    /// Organizations that was not read (`validate` reads nothing).
    pub resolved: bool,
}

/// Where a group's accounts come from in AWS Organizations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationSource {
    /// `organizations: all`: every account of the organisation (ListAccounts).
    All,
    /// `organizations: { ou: ID, recursive: BOOL }`: the accounts directly
    /// in an OU or root (ListAccountsForParent), and with `recursive`
    /// those of every OU under it (ListChildren).
    Ou { id: String, recursive: bool },
}

impl fmt::Display for OrganizationSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrganizationSource::All => f.write_str("every account of the organization"),
            OrganizationSource::Ou {
                id,
                recursive: false,
            } => write!(f, "the accounts in {id}"),
            OrganizationSource::Ou {
                id,
                recursive: true,
            } => {
                write!(f, "the accounts in {id} and the OUs under it")
            }
        }
    }
}

/// Groups from AWS Organizations as read: each source's ACTIVE accounts.
pub type OrganizationAccounts = BTreeMap<OrganizationSource, Vec<AccountId>>;
