//! The plan as JSON, format version 4: what `plan --format json` prints and
//! `plan --out` saves, and what apply reads back. It is its own serde type,
//! written from a [`Plan`] and never read into one: the spec model's derives
//! are not part of it. Budgets are written in the budget-file form
//! (`budgetctl schema`), notifications and subscribers in this format's own.
//!
//! A saved plan is a promise that apply checks: [`SavedPlan`] holds what the
//! check needs (the inputs, scope, roles, target, fingerprints), and its
//! changes as written, which [`SavedPlan::first_difference`] compares with
//! the document of the plan derived again from the files.

use std::collections::BTreeMap;

use budgetctl_spec::amount::to_aws_string;
use budgetctl_spec::{
    AccountId, ActionDoc, ActionStatus, BudgetAction, BudgetDoc, NotificationKey, Subscriber,
    action_document, budget_document,
};
use serde::{Deserialize, Serialize};

use super::{
    ActionChange, ActionFieldDiff, BlockedChange, BudgetRef, Change, ChangeKind, Consequence,
    ConsequenceKind, FieldDiff, Fingerprint, LimitChange, NetChange, NotificationChange,
    PLAN_FORMAT_VERSION, Plan, PlanScope, PlanTarget, Summary, TagChange, Warning,
};
use budgetctl_model::live::LiveSpend;

/// A plan as its JSON document.
#[derive(Debug, Serialize)]
pub struct PlanDocument<'p> {
    pub format_version: u32,
    pub summary: &'p Summary,
    /// The net change of the limits in force, per period and unit.
    pub limit_change: Vec<NetChange>,
    pub changes: Vec<ChangeDoc<'p>>,
    pub unmanaged: &'p [BudgetRef],
    pub ignored: &'p [BudgetRef],
    pub warnings: &'p [Warning],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub errors: &'p [BlockedChange],
    /// The policy rules the changes come to break, or stop breaking.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub policy: &'p [super::PolicyChange],
    pub fingerprints: &'p BTreeMap<String, Fingerprint>,
    pub inputs: &'p BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<&'p str, &'p str>,
    #[serde(skip_serializing_if = "PlanScope::is_empty")]
    pub scope: &'p PlanScope,
    pub target: &'p PlanTarget,
}

/// One budget's change.
#[derive(Debug, Serialize)]
pub struct ChangeDoc<'p> {
    pub action: ChangeKind,
    pub account: &'p str,
    pub name: &'p str,
    pub fields: &'p [FieldDiff],
    pub notifications: Vec<NotificationChangeDoc>,
    pub tags: &'p [TagChange],
    pub actions: Vec<ActionChangeDoc<'p>>,
    /// The budget as the files declare it (create, update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<BudgetDoc>,
    /// The budget as read from AWS (update, delete), in the same form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<BudgetDoc>,
    /// Where a budget made by a template came from; why a deletion is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<&'p str>,
    /// The limit in force this period, before and after (null for a budget
    /// whose limit is no amount).
    pub limit: Option<&'p LimitChange>,
    /// This period's spend (null where AWS knows none, as for a create).
    pub spend: Option<&'p LiveSpend>,
    pub consequences: Vec<ConsequenceDoc<'p>>,
}

/// Something applying a change sets off.
#[derive(Debug, Serialize)]
pub struct ConsequenceDoc<'p> {
    pub kind: ConsequenceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<NotificationDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'p str>,
    pub message: &'p str,
}

impl<'p> ConsequenceDoc<'p> {
    fn of(c: &'p Consequence) -> Self {
        ConsequenceDoc {
            kind: c.kind,
            alert: c.alert.as_ref().map(notification),
            action: c.action.as_deref(),
            message: &c.message,
        }
    }
}

/// What a saved plan holds that moves with spend, not with the files:
/// apply compares saved changes without them.
const MOVES_WITH_SPEND: [&str; 3] = ["limit", "spend", "consequences"];

/// A change as written, without what moves with spend.
fn settled(mut change: serde_json::Value) -> serde_json::Value {
    if let Some(fields) = change.as_object_mut() {
        for key in MOVES_WITH_SPEND {
            fields.remove(key);
        }
    }
    change
}

/// A notification by its identity.
#[derive(Debug, Serialize)]
pub struct NotificationDoc {
    #[serde(rename = "type")]
    pub notification_type: String,
    pub comparison: String,
    /// A decimal, as text.
    pub threshold: String,
    pub threshold_type: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberDoc {
    Email(String),
    Sns(String),
}

#[derive(Debug, Serialize)]
pub struct SwapDoc {
    pub from: SubscriberDoc,
    pub to: SubscriberDoc,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotificationChangeDoc {
    Add {
        notification: NotificationDoc,
        subscribers: Vec<SubscriberDoc>,
    },
    Remove {
        notification: NotificationDoc,
    },
    Change {
        from: NotificationDoc,
        to: NotificationDoc,
    },
    Subscribers {
        notification: NotificationDoc,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        swap: Vec<SwapDoc>,
        add: Vec<SubscriberDoc>,
        remove: Vec<SubscriberDoc>,
    },
}

/// A budget action's change. Actions are written in the budget-file form;
/// a live one is named by its ActionId and the status it had.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionChangeDoc<'p> {
    Create {
        name: &'p str,
        action: ActionDoc,
    },
    Update {
        name: &'p str,
        id: &'p str,
        status: &'static str,
        fields: &'p [ActionFieldDiff],
        /// TagResource `budgetctl:action` = name.
        tag: bool,
        action: ActionDoc,
    },
    Replace {
        name: &'p str,
        id: &'p str,
        status: &'static str,
        from: Box<ActionDoc>,
        to: Box<ActionDoc>,
    },
    Delete {
        name: &'p str,
        id: &'p str,
        status: &'static str,
        action: ActionDoc,
    },
}

fn action_change<'p>(a: &'p ActionChange, unit: Option<&str>) -> ActionChangeDoc<'p> {
    let doc = |a: &BudgetAction| action_document(a, unit);
    let status = |s: &ActionStatus| s.aws_name();
    match a {
        ActionChange::Create { action } => ActionChangeDoc::Create {
            name: &action.name,
            action: doc(action),
        },
        ActionChange::Update {
            id,
            status: s,
            fields,
            tag,
            action,
        } => ActionChangeDoc::Update {
            name: &action.name,
            id,
            status: status(s),
            fields,
            tag: *tag,
            action: doc(action),
        },
        ActionChange::Replace {
            id,
            status: s,
            from,
            to,
        } => ActionChangeDoc::Replace {
            name: &to.name,
            id,
            status: status(s),
            from: Box::new(doc(from)),
            to: Box::new(doc(to)),
        },
        ActionChange::Delete {
            id,
            status: s,
            action,
        } => ActionChangeDoc::Delete {
            name: &action.name,
            id,
            status: status(s),
            action: doc(action),
        },
    }
}

fn notification(k: &NotificationKey) -> NotificationDoc {
    NotificationDoc {
        notification_type: k.notification_type.to_string(),
        comparison: k.comparison.to_string(),
        threshold: to_aws_string(k.threshold),
        threshold_type: k.threshold_type.to_string(),
    }
}

fn subscriber(s: &Subscriber) -> SubscriberDoc {
    match s {
        Subscriber::Email(a) => SubscriberDoc::Email(a.clone()),
        Subscriber::Sns(a) => SubscriberDoc::Sns(a.clone()),
    }
}

fn subscribers(list: &[Subscriber]) -> Vec<SubscriberDoc> {
    list.iter().map(subscriber).collect()
}

fn notification_change(n: &NotificationChange) -> NotificationChangeDoc {
    match n {
        NotificationChange::Add {
            notification: k,
            subscribers: s,
        } => NotificationChangeDoc::Add {
            notification: notification(k),
            subscribers: subscribers(s),
        },
        NotificationChange::Remove { notification: k } => NotificationChangeDoc::Remove {
            notification: notification(k),
        },
        NotificationChange::Change { from, to } => NotificationChangeDoc::Change {
            from: notification(from),
            to: notification(to),
        },
        NotificationChange::Subscribers {
            notification: k,
            swap,
            add,
            remove,
        } => NotificationChangeDoc::Subscribers {
            notification: notification(k),
            swap: swap
                .iter()
                .map(|s| SwapDoc {
                    from: subscriber(&s.from),
                    to: subscriber(&s.to),
                })
                .collect(),
            add: subscribers(add),
            remove: subscribers(remove),
        },
    }
}

impl<'p> ChangeDoc<'p> {
    fn of(c: &'p Change) -> Self {
        ChangeDoc {
            action: c.kind,
            account: c.budget.account.as_str(),
            name: &c.budget.name,
            fields: &c.fields,
            notifications: c.notifications.iter().map(notification_change).collect(),
            tags: &c.tags,
            actions: {
                let unit = c
                    .desired
                    .as_ref()
                    .or(c.live.as_ref())
                    .and_then(|b| b.limit_unit());
                c.actions.iter().map(|a| action_change(a, unit)).collect()
            },
            desired: c.desired.as_ref().map(budget_document),
            live: c.live.as_ref().map(budget_document),
            origin: c.origin.as_deref(),
            limit: c.limit.as_ref(),
            spend: c.spend.as_ref(),
            consequences: c.consequences.iter().map(ConsequenceDoc::of).collect(),
        }
    }
}

impl Plan {
    /// The plan's JSON document.
    pub fn document(&self) -> PlanDocument<'_> {
        PlanDocument {
            format_version: PLAN_FORMAT_VERSION,
            summary: &self.summary,
            limit_change: self.net_limit_change(),
            changes: self.changes.iter().map(ChangeDoc::of).collect(),
            unmanaged: &self.unmanaged,
            ignored: &self.ignored,
            warnings: &self.warnings,
            errors: &self.errors,
            policy: &self.policy,
            fingerprints: &self.fingerprints,
            inputs: &self.inputs,
            roles: self
                .roles
                .iter()
                .map(|(a, r)| (a.as_str(), r.as_str()))
                .collect(),
            scope: &self.scope,
            target: &self.target,
        }
    }
}

/// Why a file is not a plan this budgetctl can apply (each reads after
/// the file's name).
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error(
        "is a plan of format version {found}, and this budgetctl reads version {PLAN_FORMAT_VERSION}: run plan again with this budgetctl"
    )]
    Version { found: u64 },
    #[error("is not a plan saved by `budgetctl plan --out`: {0}")]
    Shape(serde_json::Error),
    #[error("holds a change of {address} that does not read back: {message}")]
    Change { address: String, message: String },
    #[error(
        "has a change of {change}, but {why}: the plan's scope does not match its changes (the file was edited); make it again with `budgetctl plan`"
    )]
    Scope { change: String, why: String },
    #[error(
        "says {written} ({} unchanged) in its summary, but its changes are {counted} (and at most as many unchanged as the live budgets it read): the file was edited; make it again with `budgetctl plan`",
        written.unchanged
    )]
    Summary { written: Summary, counted: Summary },
}

/// A plan document's JSON, refused when it is of another format version.
pub(super) fn plan_json(text: &str) -> Result<serde_json::Value, SavedPlanError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(SavedPlanError::NotJson)?;
    match value.get("format_version") {
        Some(v) => match v.as_u64() {
            Some(v) if v == u64::from(PLAN_FORMAT_VERSION) => Ok(value),
            Some(found) => Err(SavedPlanError::Version { found }),
            None => Err(SavedPlanError::Shape(serde::de::Error::custom(format!(
                "`format_version` is {v}, and must be the number {PLAN_FORMAT_VERSION}"
            )))),
        },
        None => Err(SavedPlanError::Shape(serde::de::Error::missing_field(
            "format_version",
        ))),
    }
}

/// A saved plan as apply reads it back: what the check needs, and the
/// changes as written.
#[derive(Debug, Clone)]
pub struct SavedPlan {
    pub inputs: BTreeMap<String, String>,
    pub roles: BTreeMap<AccountId, String>,
    pub scope: PlanScope,
    pub target: PlanTarget,
    pub fingerprints: BTreeMap<String, Fingerprint>,
    /// Each change's kind and budget, in order.
    pub changes: Vec<(ChangeKind, BudgetRef)>,
    /// The changes as written, for the change-for-change comparison.
    written: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    inputs: BTreeMap<String, String>,
    #[serde(default)]
    roles: BTreeMap<AccountId, String>,
    #[serde(default)]
    scope: PlanScope,
    #[serde(default)]
    target: PlanTarget,
    fingerprints: BTreeMap<String, Fingerprint>,
    changes: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct ChangeHead {
    action: ChangeKind,
    account: AccountId,
    name: String,
}

/// The first change of an account that `scope` (`--account`, `--shard`)
/// does not hold: a plan so made was edited, and what its scope re-derives
/// would not be what it shows.
pub(super) fn out_of_scope<'a>(
    scope: &PlanScope,
    mut budgets: impl Iterator<Item = &'a BudgetRef>,
) -> Option<SavedPlanError> {
    budgets.find_map(|budget| {
        let account = &budget.account;
        let why = if !scope.accounts.is_empty() && !scope.accounts.contains(account) {
            format!(
                "its scope names accounts {}",
                scope
                    .accounts
                    .iter()
                    .map(AccountId::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            match scope.shard {
                Some(shard) if !shard.contains(account) => {
                    format!("its scope is shard {shard}, which does not hold account {account}")
                }
                _ => return None,
            }
        };
        Some(SavedPlanError::Scope {
            change: budget.address(),
            why,
        })
    })
}

impl SavedPlan {
    /// Read a saved plan; one of another format version is refused.
    pub fn parse(text: &str) -> Result<SavedPlan, SavedPlanError> {
        let value = plan_json(text)?;
        let head: Head = serde_json::from_value(value).map_err(SavedPlanError::Shape)?;
        let changes: Vec<(ChangeKind, BudgetRef)> = head
            .changes
            .iter()
            .map(|c| {
                let h: ChangeHead = serde_json::from_value(c.clone())?;
                Ok((
                    h.action,
                    BudgetRef {
                        account: h.account,
                        name: h.name,
                    },
                ))
            })
            .collect::<Result<_, serde_json::Error>>()
            .map_err(SavedPlanError::Shape)?;
        if let Some(outside) = out_of_scope(&head.scope, changes.iter().map(|(_, b)| b)) {
            return Err(outside);
        }
        Ok(SavedPlan {
            inputs: head.inputs,
            roles: head.roles,
            scope: head.scope,
            target: head.target,
            fingerprints: head.fingerprints,
            changes,
            written: head.changes.into_iter().map(settled).collect(),
        })
    }

    /// Where `now` (the plan derived again) differs from what was saved,
    /// change for change: the index of the first change that differs, or
    /// `None` when every change is the same, in every field written.
    pub fn first_difference(&self, now: &Plan) -> Option<usize> {
        let derived: Vec<serde_json::Value> = now
            .changes
            .iter()
            .map(|c| {
                // Through text, as the saved side came: numbers compare alike.
                let text = serde_json::to_string(&ChangeDoc::of(c)).unwrap_or_default();
                settled(serde_json::from_str(&text).unwrap_or_default())
            })
            .collect();
        self.written
            .iter()
            .zip(&derived)
            .position(|(a, b)| a != b)
            .or_else(|| {
                (self.written.len() != derived.len()).then(|| self.written.len().min(derived.len()))
            })
    }

    /// How many changes were saved.
    pub fn len(&self) -> usize {
        self.written.len()
    }

    pub fn is_empty(&self) -> bool {
        self.written.is_empty()
    }
}
