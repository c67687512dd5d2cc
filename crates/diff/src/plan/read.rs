//! A plan's JSON document read back into a [`Plan`], and plans of
//! disjoint shards merged into one: `budgetctl plan --merge a.json b.json`
//! renders the plans of a CI matrix as one PR comment.
//!
//! Budgets and actions are written in the budget-file form, so they are
//! read back by the budget-file decoder itself
//! ([`budgetctl_spec::budget_from_document`]); notifications and
//! subscribers by this format's own shapes.

use std::collections::{BTreeMap, BTreeSet};

use budgetctl_spec::{
    AccountId, ActionStatus, ComparisonOperator, NotificationKey, NotificationType, Subscriber,
    ThresholdType, action_from_document, budget_from_document, live_budget_from_document,
};
use serde::Deserialize;
use serde_json::Value;

use super::document::{SavedPlanError, out_of_scope, plan_json};
use super::{
    ActionChange, ActionFieldDiff, BlockedChange, BudgetRef, Change, ChangeKind, Consequence,
    ConsequenceKind, FieldDiff, Fingerprint, LimitChange, NotificationChange, Plan, PlanScope,
    PlanTarget, PolicyChange, SubscriberSwap, Summary, TagChange, Warning,
};
use budgetctl_model::live::LiveSpend;

#[derive(Deserialize)]
struct PlanIn {
    summary: Summary,
    changes: Vec<ChangeIn>,
    #[serde(default)]
    unmanaged: Vec<BudgetRef>,
    #[serde(default)]
    ignored: Vec<BudgetRef>,
    #[serde(default)]
    warnings: Vec<Warning>,
    #[serde(default)]
    errors: Vec<BlockedChange>,
    #[serde(default)]
    policy: Vec<PolicyChange>,
    #[serde(default)]
    fingerprints: BTreeMap<String, Fingerprint>,
    #[serde(default)]
    inputs: BTreeMap<String, String>,
    #[serde(default)]
    roles: BTreeMap<AccountId, String>,
    #[serde(default)]
    scope: PlanScope,
    #[serde(default)]
    target: PlanTarget,
}

#[derive(Deserialize)]
struct ChangeIn {
    action: ChangeKind,
    account: AccountId,
    name: String,
    #[serde(default)]
    fields: Vec<FieldDiff>,
    #[serde(default)]
    notifications: Vec<NotificationChangeIn>,
    #[serde(default)]
    tags: Vec<TagChange>,
    #[serde(default)]
    actions: Vec<ActionChangeIn>,
    desired: Option<Value>,
    live: Option<Value>,
    origin: Option<String>,
    #[serde(default)]
    limit: Option<LimitChange>,
    #[serde(default)]
    spend: Option<LiveSpend>,
    #[serde(default)]
    consequences: Vec<ConsequenceIn>,
}

#[derive(Deserialize)]
struct ConsequenceIn {
    kind: ConsequenceKind,
    alert: Option<NotificationIn>,
    action: Option<String>,
    message: String,
}

#[derive(Deserialize)]
struct NotificationIn {
    #[serde(rename = "type")]
    notification_type: String,
    comparison: String,
    threshold: String,
    threshold_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum SubscriberIn {
    Email(String),
    Sns(String),
}

#[derive(Deserialize)]
struct SwapIn {
    from: SubscriberIn,
    to: SubscriberIn,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum NotificationChangeIn {
    Add {
        notification: NotificationIn,
        subscribers: Vec<SubscriberIn>,
    },
    Remove {
        notification: NotificationIn,
    },
    Change {
        from: NotificationIn,
        to: NotificationIn,
    },
    Subscribers {
        notification: NotificationIn,
        #[serde(default)]
        swap: Vec<SwapIn>,
        #[serde(default)]
        add: Vec<SubscriberIn>,
        #[serde(default)]
        remove: Vec<SubscriberIn>,
    },
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ActionChangeIn {
    Create {
        action: Value,
    },
    Update {
        id: String,
        status: String,
        fields: Vec<ActionFieldDiff>,
        tag: bool,
        action: Value,
    },
    Replace {
        id: String,
        status: String,
        from: Value,
        to: Value,
    },
    Delete {
        id: String,
        status: String,
        action: Value,
    },
}

fn key(n: NotificationIn) -> Result<NotificationKey, String> {
    let bad = |what: &str, v: &str| format!("`{v}` is not a notification {what}");
    Ok(NotificationKey {
        notification_type: NotificationType::parse(&n.notification_type)
            .ok_or_else(|| bad("type", &n.notification_type))?,
        comparison: ComparisonOperator::parse(&n.comparison)
            .ok_or_else(|| bad("comparison", &n.comparison))?,
        threshold: budgetctl_spec::amount::parse_amount(&n.threshold)
            .map_err(|_| bad("threshold", &n.threshold))?,
        threshold_type: ThresholdType::parse(&n.threshold_type)
            .ok_or_else(|| bad("threshold type", &n.threshold_type))?,
    })
}

fn subscriber(s: SubscriberIn) -> Subscriber {
    match s {
        SubscriberIn::Email(a) => Subscriber::Email(a),
        SubscriberIn::Sns(a) => Subscriber::Sns(a),
    }
}

fn subscribers(list: Vec<SubscriberIn>) -> Vec<Subscriber> {
    list.into_iter().map(subscriber).collect()
}

fn notification_change(n: NotificationChangeIn) -> Result<NotificationChange, String> {
    Ok(match n {
        NotificationChangeIn::Add {
            notification,
            subscribers: s,
        } => NotificationChange::Add {
            notification: key(notification)?,
            subscribers: subscribers(s),
        },
        NotificationChangeIn::Remove { notification } => NotificationChange::Remove {
            notification: key(notification)?,
        },
        NotificationChangeIn::Change { from, to } => NotificationChange::Change {
            from: key(from)?,
            to: key(to)?,
        },
        NotificationChangeIn::Subscribers {
            notification,
            swap,
            add,
            remove,
        } => NotificationChange::Subscribers {
            notification: key(notification)?,
            swap: swap
                .into_iter()
                .map(|s| SubscriberSwap {
                    from: subscriber(s.from),
                    to: subscriber(s.to),
                })
                .collect(),
            add: subscribers(add),
            remove: subscribers(remove),
        },
    })
}

fn status(text: &str) -> Result<ActionStatus, String> {
    ActionStatus::from_aws(text).ok_or_else(|| format!("`{text}` is not a budget action status"))
}

impl ChangeIn {
    fn into_change(self) -> Result<Change, String> {
        let account = self.account;
        // The budget each action is read as part of: the desired one for
        // what the files declare, the live one for what AWS has.
        let desired_doc = self.desired.as_ref().or(self.live.as_ref());
        let live_doc = self.live.as_ref().or(self.desired.as_ref());
        let action = |budget: Option<&Value>, doc: &Value| {
            let budget = budget.ok_or("an action change comes with its budget")?;
            action_from_document(&account, budget, doc)
        };
        let actions = self
            .actions
            .into_iter()
            .map(|a| {
                Ok(match a {
                    ActionChangeIn::Create { action: doc } => ActionChange::Create {
                        action: action(desired_doc, &doc)?,
                    },
                    ActionChangeIn::Update {
                        id,
                        status: s,
                        fields,
                        tag,
                        action: doc,
                    } => ActionChange::Update {
                        id,
                        status: status(&s)?,
                        fields,
                        tag,
                        action: action(desired_doc, &doc)?,
                    },
                    ActionChangeIn::Replace {
                        id,
                        status: s,
                        from,
                        to,
                    } => ActionChange::Replace {
                        id,
                        status: status(&s)?,
                        from: action(live_doc, &from)?,
                        to: action(desired_doc, &to)?,
                    },
                    ActionChangeIn::Delete {
                        id,
                        status: s,
                        action: doc,
                    } => ActionChange::Delete {
                        id,
                        status: status(&s)?,
                        action: action(live_doc, &doc)?,
                    },
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let desired = self
            .desired
            .as_ref()
            .map(|d| budget_from_document(&account, d))
            .transpose()?;
        let live = self
            .live
            .as_ref()
            .map(|d| live_budget_from_document(&account, d))
            .transpose()?;
        Ok(Change {
            kind: self.action,
            fields: self.fields,
            notifications: self
                .notifications
                .into_iter()
                .map(notification_change)
                .collect::<Result<_, _>>()?,
            tags: self.tags,
            actions,
            desired,
            live,
            origin: self.origin,
            limit: self.limit,
            spend: self.spend,
            consequences: self
                .consequences
                .into_iter()
                .map(|c| {
                    Ok(Consequence {
                        kind: c.kind,
                        alert: c.alert.map(key).transpose()?,
                        action: c.action,
                        message: c.message,
                    })
                })
                .collect::<Result<_, String>>()?,
            budget: BudgetRef {
                account,
                name: self.name,
            },
        })
    }
}

impl Plan {
    /// A plan's JSON document (`plan --format json`, `plan --out`) read
    /// back; one of another format version is refused.
    pub fn from_document(text: &str) -> Result<Plan, SavedPlanError> {
        let value = plan_json(text)?;
        let p: PlanIn = serde_json::from_value(value).map_err(SavedPlanError::Shape)?;
        let changes = p
            .changes
            .into_iter()
            .map(|c| {
                let address = format!("{}/{}", c.account, c.name);
                c.into_change().map_err(|e| SavedPlanError::Change {
                    address,
                    message: e,
                })
            })
            .collect::<Result<Vec<Change>, _>>()?;
        if let Some(outside) = out_of_scope(&p.scope, changes.iter().map(|c| &c.budget)) {
            return Err(outside);
        }
        let counted = Summary::of(&changes, p.summary.unchanged);
        if counted != p.summary || p.summary.unchanged > p.fingerprints.len() {
            return Err(SavedPlanError::Summary {
                written: p.summary,
                counted,
            });
        }
        Ok(Plan {
            summary: counted,
            changes,
            unmanaged: p.unmanaged,
            ignored: p.ignored,
            warnings: p.warnings,
            errors: p.errors,
            policy: p.policy,
            fingerprints: p.fingerprints,
            inputs: p.inputs,
            roles: p.roles,
            scope: p.scope,
            target: p.target,
        })
    }

    /// The plans of the shards of one run (`--shard 1/N` to `N/N`, each
    /// once, made with the same files, scope and target) as one plan, in
    /// account order as the unsharded plan has it. Anything less is
    /// refused: a missing shard's deletions would be missing from the
    /// comment while the apply carries them out. The counts are those of
    /// the changes.
    pub fn merge(mut plans: Vec<Plan>) -> Result<Plan, String> {
        if plans.len() == 1 && plans[0].scope.shard.is_none() {
            return plans.pop().ok_or_else(|| "no plan to merge".to_owned());
        }
        let Some(first) = plans.first() else {
            return Err("no plan to merge".to_owned());
        };
        let mut shards: BTreeMap<u32, (u32, usize)> = BTreeMap::new();
        for (i, p) in plans.iter().enumerate() {
            let Some(shard) = p.scope.shard else {
                return Err(format!(
                    "plan {} of the {} is not a shard's (made without --shard K/N): merge the plans of every shard of one run, or show an unsharded plan on its own",
                    i + 1,
                    plans.len()
                ));
            };
            if let Some((_, j)) = shards.insert(shard.index, (shard.count, i)) {
                return Err(format!(
                    "plans {} and {} are both shard {shard}: merge each shard's plan once",
                    j + 1,
                    i + 1
                ));
            }
        }
        let count = first.scope.shard.map_or(1, |s| s.count);
        if let Some((index, (n, _))) = shards.iter().find(|(_, (n, _))| *n != count) {
            return Err(format!(
                "the plans are shards of different splits ({index}/{n} and {}): merge the shards of one run",
                first.scope.shard.map(|s| s.to_string()).unwrap_or_default()
            ));
        }
        let missing: Vec<String> = (1..=count)
            .filter(|k| !shards.contains_key(k))
            .map(|k| format!("{k}/{count}"))
            .collect();
        if !missing.is_empty() {
            let (noun, verb) = if missing.len() == 1 {
                ("shard", "is")
            } else {
                ("shards", "are")
            };
            return Err(format!(
                "{noun} {} {verb} missing: a merge is every shard of the run or nothing, since a missing shard's changes would be missing from the plan shown",
                missing.join(", ")
            ));
        }
        for p in &plans[1..] {
            if p.target != first.target {
                return Err(format!(
                    "the plans were made against different targets ({} and {}): merge the shards of one run",
                    first.target, p.target
                ));
            }
            if p.inputs != first.inputs {
                return Err(format!(
                    "shards {} and {} were planned from different budget files (their inputs' digests differ): merge the shards of one run, planned from one commit",
                    first.scope.shard.map(|s| s.to_string()).unwrap_or_default(),
                    p.scope.shard.map(|s| s.to_string()).unwrap_or_default(),
                ));
            }
            if (&p.scope.accounts, &p.scope.targets)
                != (&first.scope.accounts, &first.scope.targets)
            {
                return Err(
                    "the shards were planned with different --account or --target: merge the shards of one run"
                        .to_owned(),
                );
            }
        }
        // The accounts a plan read: those of its changes, of the budgets
        // it left alone, and of every live budget it fingerprinted.
        let accounts_of = |p: &Plan| -> BTreeSet<AccountId> {
            p.changes
                .iter()
                .map(|c| c.budget.account.clone())
                .chain(p.unmanaged.iter().map(|b| b.account.clone()))
                .chain(p.ignored.iter().map(|b| b.account.clone()))
                .chain(
                    p.fingerprints
                        .keys()
                        .filter_map(|k| AccountId::parse(k.split('/').next()?)),
                )
                .collect()
        };
        let mut plans = plans.into_iter();
        let Some(mut merged) = plans.next() else {
            return Err("no plan to merge".to_owned());
        };
        let mut seen = accounts_of(&merged);
        let mut unchanged = merged.summary.unchanged;
        for p in plans {
            let theirs = accounts_of(&p);
            if let Some(both) = seen.intersection(&theirs).next() {
                return Err(format!(
                    "two of the plans cover account {both}, which one shard holds: the plans were edited or made differently"
                ));
            }
            seen.extend(theirs);
            unchanged = unchanged
                .checked_add(p.summary.unchanged)
                .ok_or("the plans' counts of unchanged budgets do not add up")?;
            merged.changes.extend(p.changes);
            merged.unmanaged.extend(p.unmanaged);
            merged.ignored.extend(p.ignored);
            merged.warnings.extend(p.warnings);
            merged.errors.extend(p.errors);
            merged.policy.extend(p.policy);
            merged.fingerprints.extend(p.fingerprints);
            merged.roles.extend(p.roles);
        }
        // Each account is in one plan: a stable sort by account keeps
        // every plan's own order within it.
        merged
            .changes
            .sort_by(|a, b| a.budget.account.cmp(&b.budget.account));
        merged.unmanaged.sort_by(|a, b| a.account.cmp(&b.account));
        merged.ignored.sort_by(|a, b| a.account.cmp(&b.account));
        merged
            .warnings
            .sort_by(|a, b| a.budget.account.cmp(&b.budget.account));
        merged
            .errors
            .sort_by(|a, b| a.budget.account.cmp(&b.budget.account));
        merged.summary = Summary::of(&merged.changes, unchanged);
        merged.scope.shard = None;
        Ok(merged)
    }
}
