//! The Plan: what apply would change, as data. Renderers show it, apply
//! carries it out. Its JSON form (`--format json`, `--out`) is its own type,
//! [`document`]: versioned, documented in docs/src/reference/plan-json.md, and independent of the
//! model's serde derives; change it only on purpose (a snapshot test guards it).

use std::collections::BTreeMap;

use budgetctl_model::live::LiveSpend;
use budgetctl_model::{
    AccountId, ActionStatus, Budget, BudgetAction, NotificationKey, Subscriber, TimeUnit,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod document;
mod read;

/// The version of the Plan's JSON format: 2 since budgets are written in
/// the budget-file form and notifications in their own; 3 since changes
/// carry their budget actions; 4 since changes carry their money (the
/// limit before and after, this period's spend) and consequences.
pub const PLAN_FORMAT_VERSION: u32 = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
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
    pub errors: Vec<BlockedChange>,
    /// The policy rules the changes come to break, or stop breaking, for
    /// the budgets and accounts they touch.
    pub policy: Vec<PolicyChange>,
    /// What every live budget the plan read looked like, for apply's staleness check.
    pub fingerprints: BTreeMap<String, Fingerprint>,
    /// The budget files the plan was made from: path → SHA-256 of the content,
    /// so that a saved plan is not applied over other YAML.
    pub inputs: BTreeMap<String, String>,
    /// The role assumed for each account read that has one
    /// (`accounts.<id>.role`), so that a saved plan is applied as it was read.
    pub roles: BTreeMap<AccountId, String>,
    /// `--account` and `--target` the plan was made with: apply derives a
    /// saved plan again from its inputs within the same scope.
    pub scope: PlanScope,
    /// Where the plan was read from: apply refuses a saved plan against
    /// another target.
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

/// The narrowing a plan was made with (`--account`, `--target`, `--shard`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanScope {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

impl PlanScope {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.targets.is_empty() && self.shard.is_none()
    }
}

/// Shard K of N (`--shard K/N`): the accounts whose stable hash falls in
/// it. The hash is XXH3-64 of the 12-digit id, a published algorithm, so
/// every run, machine and version of budgetctl puts an account in the
/// same shard, and the N shards of one N cover every account once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1 to `count`.
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The most shards a run is split into (GitHub Actions runs at most
    /// 256 jobs of one matrix).
    pub const MAX: u32 = 256;

    /// Whether `account` is in this shard.
    pub fn contains(&self, account: &AccountId) -> bool {
        let hash = xxhash_rust::xxh3::xxh3_64(account.as_str().as_bytes());
        hash % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let usage = || {
            format!(
                "`{text}` is not a shard: write K/N, shard K of N, with 1 <= K <= N <= {}, e.g. 2/4",
                Shard::MAX
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(usage)?;
        let (index, count) = (
            k.trim().parse::<u32>().map_err(|_| usage())?,
            n.trim().parse::<u32>().map_err(|_| usage())?,
        );
        if index == 0 || index > count || count > Shard::MAX {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The net change of the declared limits of one period and unit: what a
/// plan is worth, `monthly +200 USD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetChange {
    pub period: TimeUnit,
    pub unit: String,
    pub amount: Decimal,
}

impl Plan {
    /// The net change of the limits in force, per period and unit, in
    /// that order, leaving out those that net to zero: created limits
    /// count in full, deleted ones go, updates count their difference.
    /// Limits no one knows yet (auto-adjusting) count for nothing.
    pub fn net_limit_change(&self) -> Vec<NetChange> {
        let mut net: BTreeMap<(TimeUnit, &str), Decimal> = BTreeMap::new();
        for c in &self.changes {
            let (Some(limit), Some(period)) = (&c.limit, c.period()) else {
                continue;
            };
            let delta = limit.after.unwrap_or_default() - limit.before.unwrap_or_default();
            *net.entry((period, limit.unit.as_str())).or_default() += delta;
        }
        net.into_iter()
            .filter(|(_, amount)| !amount.is_zero())
            .map(|((period, unit), amount)| NetChange {
                period,
                unit: unit.to_owned(),
                amount: amount.normalize(),
            })
            .collect()
    }

    /// The warnings about budgets the plan leaves unchanged, and those
    /// about the changes: a pull request shows them apart.
    pub fn warnings_by_change(&self) -> (Vec<&Warning>, Vec<&Warning>) {
        let changed: std::collections::BTreeSet<&BudgetRef> =
            self.changes.iter().map(|c| &c.budget).collect();
        self.warnings
            .iter()
            .partition(|w| !changed.contains(&w.budget))
    }

    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// A policy rule a change comes to break, or stops breaking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyChange {
    pub account: AccountId,
    /// The budget, unless the account as a whole is concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    pub rule: budgetctl_model::policy::PolicyRule,
    pub level: budgetctl_model::policy::Level,
    /// `introduced` (the change breaks it) or `fixed`.
    pub change: PolicyEffect,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyEffect {
    Introduced,
    Fixed,
}

/// A declared change that cannot be made, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedChange {
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

impl Summary {
    /// The counts of `changes`, with `unchanged` budgets besides: a plan's
    /// counts come from its changes, never from what a file says of them.
    pub fn of(changes: &[Change], unchanged: usize) -> Summary {
        let count = |kind| changes.iter().filter(|c| c.kind == kind).count();
        Summary {
            create: count(ChangeKind::Create),
            update: count(ChangeKind::Update),
            delete: count(ChangeKind::Delete),
            unchanged,
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to create, {} to update, {} to delete",
            self.create, self.update, self.delete
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

impl ChangeKind {
    /// `create`, `update`, `delete`, as the plan's JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        }
    }
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
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub budget: BudgetRef,
    /// Budget fields that differ (UpdateBudget), or that a create sets.
    pub fields: Vec<FieldDiff>,
    pub notifications: Vec<NotificationChange>,
    pub tags: Vec<TagChange>,
    /// Budget actions created, changed or deleted; for a budget deletion,
    /// the actions that go with it.
    pub actions: Vec<ActionChange>,
    /// The budget as declared (create, update).
    pub desired: Option<Budget>,
    /// The budget as read from AWS (update, delete).
    pub live: Option<Budget>,
    /// For a budget made by a template (`accounts:`), where it came from:
    /// `from template budgets.yaml:10:5`, or its own entry and the
    /// template it replaces; for a deletion, why: `prune: true for
    /// account … at budgets.yaml:3:3`.
    pub origin: Option<String>,
    /// The limit in force this period, before and after; `None` for a
    /// budget whose limit is no amount (RI and Savings Plans budgets).
    pub limit: Option<LimitChange>,
    /// This period's spend as AWS computed it: `None` for a create, and
    /// where AWS returned none.
    pub spend: Option<LiveSpend>,
    /// What applying it sets off, from the declared alerts and actions and
    /// live spend: alerts that fire or fall silent, actions that run.
    pub consequences: Vec<Consequence>,
}

/// A budget's limit in force this period, before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitChange {
    /// `None` for a create, or an auto-adjusting budget AWS has not sized.
    pub before: Option<Decimal>,
    /// `None` for a deletion, or an auto-adjusting budget AWS sizes next.
    pub after: Option<Decimal>,
    pub unit: String,
    /// What sets the amount when the file does not write one: `planned for
    /// 2026-12`, `auto-adjusting: forecast`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_by: Option<String>,
}

impl LimitChange {
    /// Whether the amount in force changes.
    pub fn changes(&self) -> bool {
        self.before != self.after
    }
}

/// Something applying a change sets off, or that a reviewer must see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consequence {
    pub kind: ConsequenceKind,
    /// The alert it concerns.
    pub alert: Option<NotificationKey>,
    /// The budget action it concerns, by name.
    pub action: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsequenceKind {
    /// A budget action whose trigger is crossed and that needs no approval:
    /// it runs as soon as AWS evaluates the budget.
    ActionRuns,
    /// A deleted budget with spend this period: its tracking and alerts go.
    DeletedWithSpend,
    /// An alert whose line spend is over once the change applies, not in
    /// ALARM now: AWS sends it at once.
    AlertFires,
    /// A new or changed action that runs without approval, or a PENDING one
    /// switched to automatic.
    AutomaticAction,
    /// An alert in ALARM now that the change removes or puts back under its line.
    AlertSilenced,
    /// Actual spend is over the new limit (whatever the alerts).
    OverLimit,
    /// Forecasted spend is over the new limit.
    ForecastOverLimit,
}

impl ConsequenceKind {
    /// `alert_fires`, as the plan's JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsequenceKind::ActionRuns => "action_runs",
            ConsequenceKind::DeletedWithSpend => "deleted_with_spend",
            ConsequenceKind::AlertFires => "alert_fires",
            ConsequenceKind::AutomaticAction => "automatic_action",
            ConsequenceKind::AlertSilenced => "alert_silenced",
            ConsequenceKind::OverLimit => "over_limit",
            ConsequenceKind::ForecastOverLimit => "forecast_over_limit",
        }
    }

    /// Whether a reviewer must look at it before merging: what runs,
    /// fires, or goes.
    pub fn needs_a_careful_look(self) -> bool {
        matches!(
            self,
            ConsequenceKind::ActionRuns
                | ConsequenceKind::DeletedWithSpend
                | ConsequenceKind::AlertFires
                | ConsequenceKind::AutomaticAction
                | ConsequenceKind::AlertSilenced
        )
    }
}

/// How much a change asks of a reviewer, most first: what acts or goes,
/// then spend over the new limit, then a limit that moves, then the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    CarefulLook,
    OverLimit,
    LimitMoves,
    Other,
}

impl Change {
    /// How much it asks of a reviewer: the order of a pull-request table.
    pub fn risk(&self) -> Risk {
        if self.kind == ChangeKind::Delete
            || self
                .consequences
                .iter()
                .any(|c| c.kind.needs_a_careful_look())
            || self.actions.iter().any(|a| {
                matches!(
                    a,
                    ActionChange::Delete { .. } | ActionChange::Replace { .. }
                )
            })
        {
            Risk::CarefulLook
        } else if self.consequences.iter().any(|c| {
            matches!(
                c.kind,
                ConsequenceKind::OverLimit | ConsequenceKind::ForecastOverLimit
            )
        }) {
            Risk::OverLimit
        } else if self.limit.as_ref().is_some_and(LimitChange::changes) {
            Risk::LimitMoves
        } else {
            Risk::Other
        }
    }

    /// The budget's period, as declared or as read.
    pub fn period(&self) -> Option<TimeUnit> {
        self.desired
            .as_ref()
            .or(self.live.as_ref())
            .map(|b| b.time_unit)
    }

    /// Whether the budget itself changes (an UpdateBudget call), as opposed to
    /// only its notifications, subscribers or tags.
    pub fn updates_budget_fields(&self) -> bool {
        self.kind == ChangeKind::Update && !self.fields.is_empty()
    }
}

/// A budget field, before and after, as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub field: Field,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A field of a budget that a change sets or changes (those UpdateBudget
/// carries). Written as the file names it: `limit`, `end`,
/// `cost_types.tax`, `filters.Service`, `filter_expression`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Type,
    Period,
    /// A fixed amount.
    Limit,
    /// Planned amounts per period, or a planned schedule.
    Planned,
    AutoAdjust,
    Start,
    End,
    /// One flag of `cost_types`, by its key in the file.
    CostType(String),
    /// One filter of the legacy `filters`, by its name.
    Filter(String),
    FilterExpression,
    Metrics,
    BillingViewArn,
}

impl Field {
    /// Whether this field is the budget's limit, in whichever form.
    pub fn is_limit(&self) -> bool {
        matches!(self, Field::Limit | Field::Planned | Field::AutoAdjust)
    }

    fn parse(text: &str) -> Option<Field> {
        Some(match text {
            "type" => Field::Type,
            "period" => Field::Period,
            "limit" => Field::Limit,
            "planned" => Field::Planned,
            "auto_adjust" => Field::AutoAdjust,
            "start" => Field::Start,
            "end" => Field::End,
            "filter_expression" => Field::FilterExpression,
            "metrics" => Field::Metrics,
            "billing_view_arn" => Field::BillingViewArn,
            other => {
                if let Some(key) = other.strip_prefix("cost_types.") {
                    Field::CostType(key.to_owned())
                } else {
                    Field::Filter(other.strip_prefix("filters.")?.to_owned())
                }
            }
        })
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Type => "type",
            Field::Period => "period",
            Field::Limit => "limit",
            Field::Planned => "planned",
            Field::AutoAdjust => "auto_adjust",
            Field::Start => "start",
            Field::End => "end",
            Field::CostType(key) => return write!(f, "cost_types.{key}"),
            Field::Filter(name) => return write!(f, "filters.{name}"),
            Field::FilterExpression => "filter_expression",
            Field::Metrics => "metrics",
            Field::BillingViewArn => "billing_view_arn",
        })
    }
}

impl PartialEq<&str> for Field {
    fn eq(&self, other: &&str) -> bool {
        Field::parse(other).as_ref() == Some(self)
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Field::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown budget field `{text}`")))
    }
}

/// One budget action's change. Live actions are named by their ActionId
/// and status as read, so that apply acts on the action the plan showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionChange {
    /// CreateBudgetAction, tagged `budgetctl:action` = its name.
    Create { action: BudgetAction },
    /// One UpdateBudgetAction with the fields that differ (when any), and
    /// one TagResource when the live action lacks its name tag (`tag`:
    /// adopted by content, or renamed in the file).
    Update {
        id: String,
        status: ActionStatus,
        fields: Vec<ActionFieldDiff>,
        tag: bool,
        action: BudgetAction,
    },
    /// The type changed, which AWS cannot change in place:
    /// DeleteBudgetAction, then CreateBudgetAction.
    Replace {
        id: String,
        status: ActionStatus,
        from: BudgetAction,
        to: BudgetAction,
    },
    /// DeleteBudgetAction (or, in a budget's deletion, gone with it).
    Delete {
        id: String,
        status: ActionStatus,
        action: BudgetAction,
    },
}

impl ActionChange {
    /// The action's name, as the file has it (or the live tag's).
    pub fn name(&self) -> &str {
        match self {
            ActionChange::Create { action }
            | ActionChange::Update { action, .. }
            | ActionChange::Replace { to: action, .. }
            | ActionChange::Delete { action, .. } => &action.name,
        }
    }
}

/// A field of a budget action, before and after, as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFieldDiff {
    pub field: ActionField,
    pub before: String,
    pub after: String,
}

/// The fields UpdateBudgetAction changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionField {
    /// NotificationType and ActionThreshold.
    When,
    Definition,
    Approval,
    ExecutionRole,
    Subscribers,
}

impl std::fmt::Display for ActionField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ActionField::When => "when",
            ActionField::Definition => "definition",
            ActionField::Approval => "approval",
            ActionField::ExecutionRole => "execution_role",
            ActionField::Subscribers => "subscribers",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
        swap: Vec<SubscriberSwap>,
        add: Vec<Subscriber>,
        remove: Vec<Subscriber>,
    },
}

/// One subscriber replaced by another of the same kind, in place.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// A budget action changes while it is not in STANDBY (pending, or
    /// executed): what the change does to it.
    ActionNotStandby,
    /// A budget action's type changes: it is deleted and created again.
    ActionReplaced,
    /// Live spend already crosses a response's line: the next `budgetctl
    /// respond` acts.
    ResponseDue,

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
