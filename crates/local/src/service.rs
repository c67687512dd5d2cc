//! The Budgets operations: the service's behaviour, separate from HTTP.
//!
//! `Service::call` takes an operation name and its JSON input, validates the
//! input against the service model, and runs the operation against the store.
//! Test controls (seeded spend, counters, faults, reset) are methods here too;
//! the server exposes them under `/_local/`.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ErrorKind};
use crate::render;
use crate::shapes::MODEL;
use crate::store::{
    LogRecord, PeriodSpend, Settle, SpendSeed, Store, StoredAction, StoredBudget,
    StoredNotification,
};

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

/// Fault injection: probabilities per request, added latency, and a seed so
/// that a run repeats.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Faults {
    /// Probability (0..=1) of answering ThrottlingException.
    #[serde(default)]
    pub throttle: f64,
    /// Probability (0..=1) of answering HTTP 500 InternalErrorException.
    #[serde(default)]
    pub error: f64,
    /// Probability (0..=1) of carrying a request out and then answering HTTP
    /// 500 all the same, as when a response is lost after the service acted:
    /// the ambiguous outcome a client must resolve by reading, not by
    /// repeating a create.
    #[serde(default)]
    pub lost: f64,
    /// Milliseconds added to every AWS-protocol request.
    #[serde(default)]
    pub latency_ms: u64,
    /// Milliseconds an executed budget action stays `*_IN_PROGRESS` (0: it
    /// finishes within the ExecuteBudgetAction call).
    #[serde(default)]
    pub action_ms: u64,
    /// Accounts whose every call is AccessDeniedException, as for a caller
    /// without the IAM permission.
    #[serde(default)]
    pub deny_accounts: Vec<String>,
    /// How long pagination tokens stay valid, in ms (default one hour);
    /// older ones are ExpiredNextTokenException.
    #[serde(default)]
    pub token_ttl_ms: Option<u64>,
    /// Operations the faults above apply to (empty: every operation), so a
    /// test can lose the answer of one write while its read-back goes through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<String>,
    #[serde(default)]
    pub seed: u64,
}

/// What a fault draw decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttle,
    InternalError,
    /// Carry the request out, then answer InternalError.
    Lost,
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
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct HistoryRequest {
    pub start: String,
    pub end: String,
    pub budgeted: String,
    pub actual: String,
}

struct FaultState {
    faults: Faults,
    rng: StdRng,
}

/// budgetctl-local's behaviour: the store, counters and fault injection.
pub struct Service {
    store: Mutex<Store>,
    counts: Mutex<BTreeMap<String, u64>>,
    /// Operations carried out (the service acted), per operation.
    applied: Mutex<BTreeMap<String, u64>>,
    faults: Mutex<FaultState>,
    /// Keys the hash that signs pagination tokens, so forged ones are refused.
    token_key: std::hash::RandomState,
    /// Changes made so far; the server saves up to a generation.
    generation: AtomicU64,
    /// Budgets changed since the last `take_changes`, or everything.
    changed: Mutex<Changed>,
    /// Credentials issued by STS AssumeRole, and who called which account.
    sessions: crate::sts::Sessions,
    /// The partition served (`aws`, `aws-cn`, …): budget ARNs of another are refused.
    partition: String,
}

type Result<T> = std::result::Result<T, ApiError>;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

impl Service {
    pub fn new(store: Store) -> Self {
        Service {
            store: Mutex::new(store),
            counts: Mutex::new(BTreeMap::new()),
            applied: Mutex::new(BTreeMap::new()),
            faults: Mutex::new(FaultState {
                faults: Faults::default(),
                rng: StdRng::seed_from_u64(0),
            }),
            token_key: std::hash::RandomState::new(),
            sessions: crate::sts::Sessions::default(),
            generation: AtomicU64::new(0),
            changed: Mutex::new(Changed::default()),
            partition: DEFAULT_PARTITION.to_owned(),
        }
    }

    /// The same service, answering for `partition` (`aws-cn` for China).
    pub fn in_partition(mut self, partition: &str) -> Self {
        partition.clone_into(&mut self.partition);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the state.
    pub fn snapshot(&self) -> Store {
        self.lock().clone()
    }

    /// What changed since the last call, for saving, and the generation it
    /// covers: read under the store's lock, and a change counts only once it
    /// is in the store (`mark` and `touch` follow it).
    pub fn take_changes(&self) -> (Changes, u64) {
        let store = self.lock();
        let generation = self.generation.load(Ordering::Acquire);
        let changed = std::mem::take(&mut *self.changed.lock().unwrap_or_else(|e| e.into_inner()));
        let changes = if changed.everything {
            Changes::Full(store.clone())
        } else {
            Changes::Records(
                changed
                    .budgets
                    .into_iter()
                    .map(|(account, name)| {
                        let budget = store
                            .accounts
                            .get(&account)
                            .and_then(|a| a.budgets.get(&name))
                            .cloned();
                        LogRecord {
                            account,
                            name,
                            budget,
                        }
                    })
                    .collect(),
            )
        };
        (changes, generation)
    }

    /// How many budgets the state holds.
    pub fn budget_count(&self) -> usize {
        self.lock().accounts.values().map(|a| a.budgets.len()).sum()
    }

    /// After a failed save: the next one writes the whole state.
    pub fn mark_everything(&self) {
        self.mark(None);
    }

    /// Record that a budget changed (`None`: anything may have).
    fn mark(&self, budget: Option<(String, String)>) {
        let mut changed = self.changed.lock().unwrap_or_else(|e| e.into_inner());
        match budget {
            Some(key) => {
                changed.budgets.insert(key);
            }
            None => changed.everything = true,
        }
    }

    /// How many changes the state has seen; grows with every change.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn touch(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Count one request of `operation` (every request received, faulted or not).
    pub fn count(&self, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(operation.to_owned()).or_default() += 1;
    }

    /// Requests received per operation since start or the last reset.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Operations carried out per operation since start or the last reset:
    /// requests that succeeded, including those whose answer was lost
    /// (`Faults::lost`), and not those refused or faulted.
    pub fn applied_counts(&self) -> BTreeMap<String, u64> {
        self.applied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Role sessions issued by STS AssumeRole, and who called which account.
    pub fn sessions(&self) -> &crate::sts::Sessions {
        &self.sessions
    }

    /// Refuse a call signed with a role session of another account, and
    /// count who called: see [`crate::sts`].
    pub fn authorize(&self, authorization: &str, operation: &str, input: &Value) -> Result<()> {
        self.sessions.authorize(
            authorization,
            iam_action(operation),
            &account_of(input, &self.partition),
        )
    }

    pub fn reset_counts(&self) {
        self.sessions.reset_callers();
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.applied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Forget every budget and counter, and turn faults off.
    pub fn reset(&self) {
        *self.lock() = Store::default();
        self.reset_counts();
        self.set_faults(Faults::default());
        self.mark(None);
        self.touch();
    }

    pub fn set_faults(&self, faults: Faults) {
        let mut state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        state.rng = StdRng::seed_from_u64(faults.seed);
        state.faults = faults;
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .faults
            .clone()
    }

    /// Draw the fault (if any) for the next request, and the latency to add.
    pub fn draw_fault(&self, operation: &str) -> (Fault, u64) {
        let mut state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let FaultState { faults, rng } = &mut *state;
        if !faults.operations.is_empty() && !faults.operations.iter().any(|o| o == operation) {
            return (Fault::None, faults.latency_ms);
        }
        let roll: f64 = rng.random();
        let fault = if roll < faults.throttle {
            Fault::Throttle
        } else if roll < faults.throttle + faults.error {
            Fault::InternalError
        } else if roll < faults.throttle + faults.error + faults.lost {
            Fault::Lost
        } else {
            Fault::None
        };
        (fault, faults.latency_ms)
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
            let mut applied = self.applied.lock().unwrap_or_else(|e| e.into_inner());
            *applied.entry(operation.to_owned()).or_default() += 1;
        }
        result
    }

    // ----- budgets -----

    fn create_budget(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let budget = normalize_budget(&input["Budget"], None)?;
        let name = s(&budget["BudgetName"]).to_owned();
        let mut notifications = Vec::new();
        for nws in input["NotificationsWithSubscribers"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let notification = normalize_notification(&nws["Notification"]);
            if notifications
                .iter()
                .any(|n: &StoredNotification| same_notification(&n.notification, &notification))
            {
                return Err(ApiError::invalid(
                    "Duplicate notifications: each notification of a budget needs a distinct type, comparison, threshold and threshold type",
                ));
            }
            let subscribers: Vec<Value> =
                nws["Subscribers"].as_array().cloned().unwrap_or_default();
            check_subscribers(&subscribers)?;
            notifications.push(StoredNotification {
                notification,
                subscribers,
            });
        }
        let tags = tag_map(&input["ResourceTags"])?;
        let mut store = self.lock();
        let acct = store.accounts.entry(account.to_owned()).or_default();
        if acct.budgets.contains_key(&name) {
            return Err(ApiError::duplicate(format!(
                "Error creating budget: {name} - the budget already exists."
            )));
        }
        if acct.budgets.len() >= MAX_BUDGETS_PER_ACCOUNT {
            return Err(ApiError::new(
                ErrorKind::CreationLimitExceeded,
                format!(
                    "You've reached the limit of {MAX_BUDGETS_PER_ACCOUNT} budgets for account {account}"
                ),
            ));
        }
        acct.budgets.insert(
            name,
            StoredBudget {
                budget,
                notifications,
                tags,
                actions: Vec::new(),
                spend: SpendSeed::default(),
                history: Vec::new(),
            },
        );
        Ok(json!({}))
    }

    fn describe_budget(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let show = input["ShowFilterExpression"].as_bool().unwrap_or(false);
        Ok(json!({ "Budget": render_budget(b, show) }))
    }

    fn describe_budgets(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let show = input["ShowFilterExpression"].as_bool().unwrap_or(false);
        let store = self.lock();
        let all: Vec<&StoredBudget> = store
            .accounts
            .get(account)
            .map(|a| a.budgets.values().collect())
            .unwrap_or_default();
        let (page, next) = self.page(&all, input, 100, &format!("DescribeBudgets/{account}"))?;
        let budgets: Vec<Value> = page.iter().map(|b| render_budget(b, show)).collect();
        Ok(with_token(json!({ "Budgets": budgets }), next))
    }

    fn update_budget(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let name = s(&input["NewBudget"]["BudgetName"]);
        let mut store = self.lock();
        let stored = store
            .accounts
            .get_mut(account)
            .and_then(|a| a.budgets.get_mut(name))
            .ok_or_else(|| budget_not_found(name))?;
        let budget = normalize_budget(&input["NewBudget"], Some(&stored.budget))?;
        if budget["BudgetType"] != stored.budget["BudgetType"] {
            return Err(ApiError::invalid(format!(
                "The budget type of {name} cannot change from {} to {}",
                s(&stored.budget["BudgetType"]),
                s(&budget["BudgetType"])
            )));
        }
        stored.budget = budget;
        // Every update starts the spend calculation over.
        stored.spend = SpendSeed {
            actual: Some("0".into()),
            forecasted: Some("0".into()),
        };
        Ok(json!({}))
    }

    fn delete_budget(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let name = s(&input["BudgetName"]);
        let mut store = self.lock();
        store
            .accounts
            .get_mut(account)
            .and_then(|a| a.budgets.remove(name))
            .ok_or_else(|| budget_not_found(name))?;
        Ok(json!({}))
    }

    // ----- notifications -----

    fn create_notification(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let subscribers = input["Subscribers"].as_array().cloned().unwrap_or_default();
        check_subscribers(&subscribers)?;
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        if b.notifications
            .iter()
            .any(|n| same_notification(&n.notification, &notification))
        {
            return Err(ApiError::duplicate(
                "Error creating notification: the notification already exists.",
            ));
        }
        if b.notifications.len() >= MAX_NOTIFICATIONS {
            return Err(ApiError::new(
                ErrorKind::CreationLimitExceeded,
                format!("A budget can have at most {MAX_NOTIFICATIONS} notifications"),
            ));
        }
        b.notifications.push(StoredNotification {
            notification,
            subscribers,
        });
        Ok(json!({}))
    }

    fn update_notification(&self, input: &Value) -> Result<Value> {
        let old = normalize_notification(&input["OldNotification"]);
        let new = normalize_notification(&input["NewNotification"]);
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &old)?;
        if !same_notification(&old, &new)
            && b.notifications
                .iter()
                .any(|n| same_notification(&n.notification, &new))
        {
            return Err(ApiError::duplicate(
                "Error updating notification: the new notification already exists.",
            ));
        }
        b.notifications[index].notification = new;
        Ok(json!({}))
    }

    fn delete_notification(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &notification)?;
        b.notifications.remove(index);
        Ok(json!({}))
    }

    fn describe_notifications_for_budget(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let rendered: Vec<Value> = b
            .notifications
            .iter()
            .map(|n| render_notification(b, n))
            .collect();
        let scope = format!(
            "DescribeNotificationsForBudget/{}/{}",
            s(&input["AccountId"]),
            s(&input["BudgetName"])
        );
        let (page, next) = self.page(&rendered, input, 100, &scope)?;
        Ok(with_token(json!({ "Notifications": page }), next))
    }

    fn describe_notifications_for_account(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let store = self.lock();
        let entries: Vec<Value> = store
            .accounts
            .get(account)
            .map(|a| {
                a.budgets
                    .iter()
                    .filter(|(_, b)| !b.notifications.is_empty())
                    .map(|(name, b)| {
                        json!({
                            "BudgetName": name,
                            "Notifications": b.notifications.iter().map(|n| render_notification(b, n)).collect::<Vec<_>>(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let scope = format!("DescribeBudgetNotificationsForAccount/{account}");
        let (page, next) = self.page(&entries, input, 100, &scope)?;
        Ok(with_token(
            json!({ "BudgetNotificationsForAccount": page }),
            next,
        ))
    }

    // ----- subscribers -----

    fn create_subscriber(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let subscriber = input["Subscriber"].clone();
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &notification)?;
        let subscribers = &mut b.notifications[index].subscribers;
        if subscribers.iter().any(|x| same_subscriber(x, &subscriber)) {
            return Err(ApiError::duplicate(format!(
                "Error creating subscriber: {} is already subscribed.",
                s(&subscriber["Address"])
            )));
        }
        let mut after = subscribers.clone();
        after.push(subscriber.clone());
        check_subscriber_counts(&after)
            .map_err(|e| ApiError::new(ErrorKind::CreationLimitExceeded, e.message))?;
        subscribers.push(subscriber);
        Ok(json!({}))
    }

    fn update_subscriber(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let old = &input["OldSubscriber"];
        let new = input["NewSubscriber"].clone();
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &notification)?;
        let subscribers = &mut b.notifications[index].subscribers;
        let at = subscribers
            .iter()
            .position(|x| same_subscriber(x, old))
            .ok_or_else(|| {
                ApiError::not_found(format!("Subscriber {} does not exist.", s(&old["Address"])))
            })?;
        if !same_subscriber(old, &new) && subscribers.iter().any(|x| same_subscriber(x, &new)) {
            return Err(ApiError::duplicate(format!(
                "Error updating subscriber: {} is already subscribed.",
                s(&new["Address"])
            )));
        }
        let mut after = subscribers.clone();
        after[at] = new.clone();
        check_subscriber_counts(&after)?;
        subscribers[at] = new;
        Ok(json!({}))
    }

    fn delete_subscriber(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let subscriber = &input["Subscriber"];
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let index = notification_index(b, &notification)?;
        let subscribers = &mut b.notifications[index].subscribers;
        let at = subscribers
            .iter()
            .position(|x| same_subscriber(x, subscriber))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "Subscriber {} does not exist.",
                    s(&subscriber["Address"])
                ))
            })?;
        subscribers.remove(at);
        // AWS deletes a notification together with its last subscriber.
        if subscribers.is_empty() {
            b.notifications.remove(index);
        }
        Ok(json!({}))
    }

    fn describe_subscribers(&self, input: &Value) -> Result<Value> {
        let notification = normalize_notification(&input["Notification"]);
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let n = b
            .notifications
            .iter()
            .find(|n| same_notification(&n.notification, &notification))
            .ok_or_else(notification_not_found)?;
        let scope = format!(
            "DescribeSubscribersForNotification/{}/{}/{}",
            s(&input["AccountId"]),
            s(&input["BudgetName"]),
            notification_key(&notification)
        );
        let (page, next) = self.page(&n.subscribers, input, 100, &scope)?;
        Ok(with_token(json!({ "Subscribers": page }), next))
    }

    // ----- tags -----

    fn tag_resource(&self, input: &Value) -> Result<Value> {
        let (account, name) = parse_budget_arn(s(&input["ResourceARN"]), &self.partition)?;
        let add = tag_map(&input["ResourceTags"])?;
        let mut store = self.lock();
        let b = budget_by_arn(&mut store, &self.partition, &account, &name)?;
        let mut after = b.tags.clone();
        after.extend(add);
        if after.len() > MAX_TAGS {
            return Err(ApiError::new(
                ErrorKind::ServiceQuotaExceeded,
                format!("A budget can have at most {MAX_TAGS} tags"),
            ));
        }
        b.tags = after;
        Ok(json!({}))
    }

    fn untag_resource(&self, input: &Value) -> Result<Value> {
        let (account, name) = parse_budget_arn(s(&input["ResourceARN"]), &self.partition)?;
        let mut store = self.lock();
        let b = budget_by_arn(&mut store, &self.partition, &account, &name)?;
        for key in input["ResourceTagKeys"].as_array().into_iter().flatten() {
            b.tags.remove(s(key));
        }
        Ok(json!({}))
    }

    fn list_tags(&self, input: &Value) -> Result<Value> {
        let (account, name) = parse_budget_arn(s(&input["ResourceARN"]), &self.partition)?;
        let mut store = self.lock();
        let b = budget_by_arn(&mut store, &self.partition, &account, &name)?;
        let tags: Vec<Value> = b
            .tags
            .iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
        Ok(json!({ "ResourceTags": tags }))
    }

    // ----- budget actions -----

    fn create_action(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]).to_owned();
        let name = s(&input["BudgetName"]).to_owned();
        check_action_subscribers(&input["Subscribers"])?;
        check_definition(s(&input["ActionType"]), &input["Definition"])?;
        let id = new_action_id();
        let action = json!({
            "ActionId": id,
            "BudgetName": name,
            "NotificationType": input["NotificationType"],
            "ActionType": input["ActionType"],
            "ActionThreshold": input["ActionThreshold"],
            "Definition": input["Definition"],
            "ExecutionRoleArn": input["ExecutionRoleArn"],
            "ApprovalModel": input["ApprovalModel"],
            "Status": "STANDBY",
            "Subscribers": input["Subscribers"],
        });
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        if b.actions.len() >= MAX_ACTIONS_PER_BUDGET {
            return Err(ApiError::new(
                ErrorKind::CreationLimitExceeded,
                format!("A budget can have at most {MAX_ACTIONS_PER_BUDGET} actions"),
            ));
        }
        let history = vec![history_entry(&action, "CREATE_ACTION", "Action created")];
        b.actions.push(StoredAction {
            action,
            history,
            settles: None,
        });
        Ok(json!({ "AccountId": account, "BudgetName": name, "ActionId": id }))
    }

    fn describe_action(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let a = action_in(b, s(&input["ActionId"]))?;
        Ok(json!({
            "AccountId": input["AccountId"],
            "BudgetName": input["BudgetName"],
            "Action": a.action,
        }))
    }

    fn update_action(&self, input: &Value) -> Result<Value> {
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let a = action_in_mut(b, s(&input["ActionId"]))?;
        refuse_if_in_progress(&a.action)?;
        let old = a.action.clone();
        for key in [
            "NotificationType",
            "ActionThreshold",
            "Definition",
            "ExecutionRoleArn",
            "ApprovalModel",
            "Subscribers",
        ] {
            if !input[key].is_null() {
                a.action[key] = input[key].clone();
            }
        }
        check_action_subscribers(&a.action["Subscribers"])?;
        check_definition(s(&a.action["ActionType"]), &a.action["Definition"])?;
        let entry = history_entry(&a.action, "UPDATE_ACTION", "Action updated");
        a.history.push(entry);
        Ok(json!({
            "AccountId": input["AccountId"],
            "BudgetName": input["BudgetName"],
            "OldAction": old,
            "NewAction": a.action,
        }))
    }

    fn delete_action(&self, input: &Value) -> Result<Value> {
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let id = s(&input["ActionId"]);
        let a = action_in(b, id)?;
        refuse_if_in_progress(&a.action)?;
        let at = b
            .actions
            .iter()
            .position(|a| a.action["ActionId"] == id)
            .unwrap_or(0);
        let removed = b.actions.remove(at);
        Ok(json!({
            "AccountId": input["AccountId"],
            "BudgetName": input["BudgetName"],
            "Action": removed.action,
        }))
    }

    fn describe_actions_for_account(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let store = self.lock();
        let actions: Vec<&Value> = store
            .accounts
            .get(account)
            .map(|a| {
                a.budgets
                    .values()
                    .flat_map(|b| b.actions.iter().map(|x| &x.action))
                    .collect()
            })
            .unwrap_or_default();
        let (page, next) = self.page(
            &actions,
            input,
            100,
            &format!("DescribeBudgetActionsForAccount/{account}"),
        )?;
        Ok(with_token(json!({ "Actions": page }), next))
    }

    fn describe_actions_for_budget(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let actions: Vec<&Value> = b.actions.iter().map(|a| &a.action).collect();
        let scope = format!(
            "DescribeBudgetActionsForBudget/{}/{}",
            s(&input["AccountId"]),
            s(&input["BudgetName"])
        );
        let (page, next) = self.page(&actions, input, 100, &scope)?;
        Ok(with_token(json!({ "Actions": page }), next))
    }

    fn describe_action_histories(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let a = action_in(b, s(&input["ActionId"]))?;
        let (from, to) = time_window(&input["TimePeriod"]);
        let entries: Vec<&Value> = a
            .history
            .iter()
            .filter(|h| {
                let t = h["Timestamp"].as_f64().unwrap_or(0.0);
                t >= from && t < to
            })
            .collect();
        let scope = format!("DescribeBudgetActionHistories/{}", s(&input["ActionId"]));
        let (page, next) = self.page(&entries, input, 100, &scope)?;
        Ok(with_token(json!({ "ActionHistories": page }), next))
    }

    fn execute_action(&self, input: &Value) -> Result<Value> {
        let execution = s(&input["ExecutionType"]).to_owned();
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let a = action_in_mut(b, s(&input["ActionId"]))?;
        let status = s(&a.action["Status"]).to_owned();
        refuse_if_in_progress(&a.action)?;
        // budgetctl-local carries out actions at once: each legal step goes
        // through its in-progress state to its outcome in one call.
        let steps: &[&str] = match (execution.as_str(), status.as_str()) {
            ("APPROVE_BUDGET_ACTION", "PENDING") => &["EXECUTION_IN_PROGRESS", "EXECUTION_SUCCESS"],
            ("RETRY_BUDGET_ACTION", "EXECUTION_FAILURE") => {
                &["EXECUTION_IN_PROGRESS", "EXECUTION_SUCCESS"]
            }
            ("RETRY_BUDGET_ACTION", "REVERSE_FAILURE") => {
                &["REVERSE_IN_PROGRESS", "REVERSE_SUCCESS"]
            }
            ("RETRY_BUDGET_ACTION", "RESET_FAILURE") => &["RESET_IN_PROGRESS", "STANDBY"],
            ("REVERSE_BUDGET_ACTION", "EXECUTION_SUCCESS") => {
                &["REVERSE_IN_PROGRESS", "REVERSE_SUCCESS"]
            }
            (
                "RESET_BUDGET_ACTION",
                "PENDING" | "EXECUTION_SUCCESS" | "EXECUTION_FAILURE" | "REVERSE_SUCCESS"
                | "REVERSE_FAILURE",
            ) => &["RESET_IN_PROGRESS", "STANDBY"],
            _ => {
                return Err(ApiError::invalid(format!(
                    "{execution} is not possible for an action in status {status}"
                )));
            }
        };
        let delay_ms = self.faults().action_ms;
        let (now_steps, later) = match steps.split_last() {
            Some((last, first)) if delay_ms > 0 => (first, Some(*last)),
            _ => (steps, None),
        };
        for step in now_steps {
            a.action["Status"] = json!(step);
            let entry = history_entry(&a.action, "EXECUTE_ACTION", &format!("{execution}: {step}"));
            a.history.push(entry);
        }
        if let Some(last) = later {
            a.settles = Some(Settle {
                at: render::now() + delay_ms as f64 / 1000.0,
                status: (*last).to_owned(),
                message: format!("{execution}: {last}"),
            });
        }
        Ok(json!({
            "AccountId": input["AccountId"],
            "BudgetName": input["BudgetName"],
            "ActionId": input["ActionId"],
            "ExecutionType": execution,
        }))
    }

    // ----- performance history -----

    fn describe_performance_history(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let unit = limit_unit(&b.budget);
        let (from, to) = time_window(&input["TimePeriod"]);
        let entries: Vec<Value> = b
            .history
            .iter()
            .filter(|h| h.start >= from && h.start < to)
            .map(|h| {
                json!({
                    "BudgetedAmount": { "Amount": render::amount(&h.budgeted), "Unit": unit },
                    "ActualAmount": { "Amount": render::amount(&h.actual), "Unit": unit },
                    "TimePeriod": { "Start": h.start, "End": h.end },
                })
            })
            .collect();
        let scope = format!(
            "DescribeBudgetPerformanceHistory/{}/{}",
            s(&input["AccountId"]),
            s(&input["BudgetName"])
        );
        let (page, next) = self.page(&entries, input, 100, &scope)?;
        let mut history = json!({
            "BudgetName": b.budget["BudgetName"],
            "BudgetType": b.budget["BudgetType"],
            "TimeUnit": b.budget["TimeUnit"],
            "BudgetedAndActualAmountsList": page,
        });
        for key in [
            "CostFilters",
            "CostTypes",
            "BillingViewArn",
            "FilterExpression",
            "Metrics",
        ] {
            if !b.budget[key].is_null() {
                history[key] = b.budget[key].clone();
            }
        }
        Ok(with_token(
            json!({ "BudgetPerformanceHistory": history }),
            next,
        ))
    }

    /// AccessDeniedException for the accounts the faults deny, naming the
    /// IAM action that would be needed, as AWS does.
    fn check_access(&self, operation: &str, input: &Value) -> Result<()> {
        let state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let (denied, only) = (&state.faults.deny_accounts, &state.faults.operations);
        if denied.is_empty() || (!only.is_empty() && !only.iter().any(|o| o == operation)) {
            return Ok(());
        }
        let account = account_of(input, &self.partition);
        if !denied.contains(&account) {
            return Ok(());
        }
        let action = iam_action(operation);
        Err(ApiError::new(
            ErrorKind::AccessDenied,
            format!(
                "User: arn:{p}:iam::{account}:user/budgetctl-local is not authorized to perform: {action} on resource: arn:{p}:budgets::{account}:budget/*",
                p = self.partition
            ),
        ))
    }

    /// Finish the in-progress executions of an account whose time has come.
    fn settle_actions(&self, account: &str) {
        let mut store = self.lock();
        let Some(acct) = store.accounts.get_mut(account) else {
            return;
        };
        let now = render::now();
        for a in acct.budgets.values_mut().flat_map(|b| b.actions.iter_mut()) {
            if let Some(settle) = a.settles.take_if(|s| s.at <= now) {
                a.action["Status"] = json!(settle.status);
                let entry = history_entry(&a.action, "EXECUTE_ACTION", &settle.message);
                a.history.push(entry);
            }
        }
    }

    // ----- test controls -----

    /// Seed a budget's current spend and past periods. Notifications and
    /// actions react as AWS's would when spend crosses their thresholds.
    pub fn seed_spend(&self, request: &SpendRequest) -> Result<()> {
        let mut store = self.lock();
        let b = store
            .accounts
            .get_mut(&request.account_id)
            .and_then(|a| a.budgets.get_mut(&request.budget_name))
            .ok_or_else(|| budget_not_found(&request.budget_name))?;
        for amount in [&request.actual_spend, &request.forecasted_spend]
            .into_iter()
            .flatten()
        {
            if render::decimal(amount).is_none() {
                return Err(ApiError::invalid(format!("`{amount}` is not an amount")));
            }
        }
        if request.actual_spend.is_some() {
            b.spend.actual.clone_from(&request.actual_spend);
        }
        if request.forecasted_spend.is_some() {
            b.spend.forecasted.clone_from(&request.forecasted_spend);
        }
        for h in &request.history {
            let start = parse_day(&h.start)?;
            let end = parse_day(&h.end)?;
            b.history.retain(|p| p.start != start);
            b.history.push(PeriodSpend {
                start,
                end,
                budgeted: h.budgeted.clone(),
                actual: h.actual.clone(),
            });
        }
        b.history.sort_by(|x, y| x.start.total_cmp(&y.start));
        trigger_actions(b);
        drop(store);
        self.mark(Some((
            request.account_id.clone(),
            request.budget_name.clone(),
        )));
        self.touch();
        Ok(())
    }

    /// One page of `items` per the request's MaxResults and NextToken.
    fn page<T: Clone>(
        &self,
        items: &[T],
        input: &Value,
        default_max: usize,
        scope: &str,
    ) -> Result<(Vec<T>, Option<String>)> {
        let max = input["MaxResults"]
            .as_u64()
            .map(|m| m as usize)
            .unwrap_or(default_max)
            .max(1);
        let start = match input["NextToken"].as_str() {
            None => 0,
            Some(token) => self.read_token(token, scope)?,
        };
        let end = (start + max).min(items.len());
        let page = items.get(start..end).map(<[T]>::to_vec).unwrap_or_default();
        let next = (end < items.len()).then(|| self.make_token(scope, end));
        Ok((page, next))
    }

    fn sign(&self, scope: &str, index: usize, issued_ms: u64) -> u64 {
        let mut h = self.token_key.build_hasher();
        h.write(scope.as_bytes());
        h.write_usize(index);
        h.write_u64(issued_ms);
        h.finish()
    }

    /// A token names the listing, the position and when it was issued, signed.
    fn make_token(&self, scope: &str, index: usize) -> String {
        let issued = (render::now() * 1000.0) as u64;
        URL_SAFE_NO_PAD.encode(format!(
            "{index}:{issued}:{:016x}",
            self.sign(scope, index, issued)
        ))
    }

    fn read_token(&self, token: &str, scope: &str) -> Result<usize> {
        let invalid = || {
            ApiError::new(
                ErrorKind::InvalidNextToken,
                "The pagination token is invalid.",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(3, ':');
        let (Some(index), Some(issued), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let index: usize = index.parse().map_err(|_| invalid())?;
        let issued: u64 = issued.parse().map_err(|_| invalid())?;
        if format!("{:016x}", self.sign(scope, index, issued)) != signature {
            return Err(invalid());
        }
        let age_ms = ((render::now() * 1000.0) as u64).saturating_sub(issued);
        if age_ms > self.faults().token_ttl_ms.unwrap_or(TOKEN_TTL_MS) {
            return Err(ApiError::new(
                ErrorKind::ExpiredNextToken,
                "The pagination token has expired: start the listing again.",
            ));
        }
        Ok(index)
    }
}

/// The IAM action a Budgets operation needs.
/// The account a call is for: its AccountId, or the account of its ResourceARN.
fn account_of(input: &Value, partition: &str) -> String {
    match input["AccountId"].as_str() {
        Some(a) => a.to_owned(),
        None => parse_budget_arn(s(&input["ResourceARN"]), partition)
            .map(|(a, _)| a)
            .unwrap_or_default(),
    }
}

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

/// The budget a write changed, from its input: every Budgets write names
/// one (BudgetName, the Budget's or NewBudget's name, or a ResourceARN).
fn touched(input: &Value, partition: &str) -> Option<(String, String)> {
    let name = input["BudgetName"]
        .as_str()
        .or_else(|| input["Budget"]["BudgetName"].as_str())
        .or_else(|| input["NewBudget"]["BudgetName"].as_str());
    match (input["AccountId"].as_str(), name) {
        (Some(account), Some(name)) => Some((account.to_owned(), name.to_owned())),
        _ => parse_budget_arn(s(&input["ResourceARN"]), partition).ok(),
    }
}

/// Budgets changed since the last save.
#[derive(Debug, Default)]
struct Changed {
    budgets: std::collections::BTreeSet<(String, String)>,
    everything: bool,
}

/// What a save writes: the changed budgets, or the whole state.
pub enum Changes {
    Records(Vec<LogRecord>),
    Full(Store),
}

fn is_write(operation: &str) -> bool {
    !(operation.starts_with("Describe") || operation.starts_with("List"))
}

fn with_token(mut body: Value, next: Option<String>) -> Value {
    if let Some(token) = next {
        body["NextToken"] = json!(token);
    }
    body
}

fn budget_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!(
        "Unable to get budget: {name} - the budget doesn't exist."
    ))
}

fn notification_not_found() -> ApiError {
    ApiError::not_found("Unable to find the notification: the notification doesn't exist.")
}

fn find_budget<'s>(store: &'s Store, input: &Value) -> Result<&'s StoredBudget> {
    let name = s(&input["BudgetName"]);
    store
        .accounts
        .get(s(&input["AccountId"]))
        .and_then(|a| a.budgets.get(name))
        .ok_or_else(|| budget_not_found(name))
}

fn find_budget_mut<'s>(store: &'s mut Store, input: &Value) -> Result<&'s mut StoredBudget> {
    let name = s(&input["BudgetName"]);
    store
        .accounts
        .get_mut(s(&input["AccountId"]))
        .and_then(|a| a.budgets.get_mut(name))
        .ok_or_else(|| budget_not_found(name))
}

fn budget_by_arn<'s>(
    store: &'s mut Store,
    partition: &str,
    account: &str,
    name: &str,
) -> Result<&'s mut StoredBudget> {
    store
        .accounts
        .get_mut(account)
        .and_then(|a| a.budgets.get_mut(name))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Resource arn:{partition}:budgets::{account}:budget/{name} doesn't exist."
            ))
        })
}

/// `arn:PARTITION:budgets::ACCOUNT:budget/NAME` → (account, name), for the
/// partition served: a budget ARN of another partition names nothing here.
fn parse_budget_arn(arn: &str, serves: &str) -> Result<(String, String)> {
    let invalid = || {
        ApiError::invalid(format!(
            "{arn} is not a budget ARN (arn:{serves}:budgets::ACCOUNT_ID:budget/NAME)"
        ))
    };
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("budgets"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    if partition != serves && partition.starts_with("aws") {
        return Err(ApiError::invalid(format!(
            "{arn} is in partition {partition}, but this endpoint serves {serves}: budget ARNs here start arn:{serves}:budgets::"
        )));
    }
    if partition != serves || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let name = resource.strip_prefix("budget/").ok_or_else(invalid)?;
    Ok((account.to_owned(), name.to_owned()))
}

fn tag_map(tags: &Value) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for tag in tags.as_array().into_iter().flatten() {
        let key = s(&tag["Key"]);
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid(format!(
                "Tag keys starting with aws: are reserved for AWS use: {key}"
            )));
        }
        out.insert(key.to_owned(), s(&tag["Value"]).to_owned());
    }
    Ok(out)
}

/// Validate and normalise a Budget for storage: exactly one way to set the
/// limit, RI/SP limits of 100, defaults for dates and cost types.
fn normalize_budget(input: &Value, previous: Option<&Value>) -> Result<Value> {
    let mut b = input.clone();
    let Some(obj) = b.as_object_mut() else {
        return Err(ApiError::invalid("Budget must be a structure"));
    };
    // Computed fields are the service's, not the caller's.
    for computed in ["CalculatedSpend", "LastUpdatedTime", "HealthStatus"] {
        obj.remove(computed);
    }
    let budget_type = s(&obj["BudgetType"]).to_owned();
    let time_unit = s(&obj["TimeUnit"]).to_owned();
    let has_limit = obj.get("BudgetLimit").is_some_and(|v| !v.is_null());
    let has_planned = obj.get("PlannedBudgetLimits").is_some_and(|v| !v.is_null());
    let has_auto = obj.get("AutoAdjustData").is_some_and(|v| !v.is_null());
    if has_limit && has_planned {
        return Err(ApiError::invalid(
            "You can't use BudgetLimit with PlannedBudgetLimits: set one of them",
        ));
    }
    if has_planned && has_auto {
        return Err(ApiError::invalid(
            "You can't use PlannedBudgetLimits with AutoAdjustData: set one of them",
        ));
    }
    // "Use either FilterExpression and Metrics, or CostFilters and
    // CostTypes, not both" (CreateBudget / UpdateBudget in the model).
    let present = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Object(m)) => !m.is_empty() || key == "CostTypes",
        Some(_) => true,
    };
    if present("FilterExpression") {
        for legacy in ["CostFilters", "CostTypes"] {
            if present(legacy) {
                return Err(ApiError::invalid(format!(
                    "FilterExpression cannot be used with {legacy}: use either FilterExpression and Metrics, or CostFilters and CostTypes"
                )));
            }
        }
    }
    let ri_or_sp = !matches!(budget_type.as_str(), "COST" | "USAGE");
    if ri_or_sp {
        if has_planned || has_auto {
            return Err(ApiError::invalid(format!(
                "{budget_type} budgets support neither PlannedBudgetLimits nor AutoAdjustData"
            )));
        }
        if has_limit {
            let amount = render::decimal(s(&obj["BudgetLimit"]["Amount"]));
            if amount != Some(rust_decimal::Decimal::ONE_HUNDRED) {
                return Err(ApiError::invalid(format!(
                    "The BudgetLimit of {budget_type} budgets must be 100"
                )));
            }
        }
        obj.insert(
            "BudgetLimit".into(),
            json!({ "Amount": "100", "Unit": "PERCENTAGE" }),
        );
    } else if !has_limit && !has_planned && !has_auto {
        return Err(ApiError::invalid(
            "A COST or USAGE budget needs a BudgetLimit, PlannedBudgetLimits or AutoAdjustData",
        ));
    }
    if has_planned && !matches!(time_unit.as_str(), "MONTHLY" | "QUARTERLY") {
        return Err(ApiError::invalid(
            "PlannedBudgetLimits are supported for MONTHLY and QUARTERLY budgets only",
        ));
    }
    if has_auto && time_unit == "CUSTOM" {
        return Err(ApiError::invalid(
            "Auto-adjusting budgets cannot have a CUSTOM TimeUnit",
        ));
    }
    // Amounts are kept as plain decimals; responses re-render them.
    if let Some(limit) = obj.get_mut("BudgetLimit").filter(|v| !v.is_null()) {
        normalize_spend(limit)?;
    }
    if let Some(planned) = obj
        .get_mut("PlannedBudgetLimits")
        .and_then(Value::as_object_mut)
    {
        for spend in planned.values_mut() {
            normalize_spend(spend)?;
        }
    }
    if let Some(auto) = obj.get_mut("AutoAdjustData").and_then(Value::as_object_mut) {
        let kind = s(&auto["AutoAdjustType"]).to_owned();
        if kind == "HISTORICAL" {
            let periods = auto
                .get("HistoricalOptions")
                .and_then(|h| h["BudgetAdjustmentPeriod"].as_u64())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "HISTORICAL auto-adjustment needs HistoricalOptions.BudgetAdjustmentPeriod",
                    )
                })?;
            let max = match time_unit.as_str() {
                "DAILY" => 60,
                "MONTHLY" => 12,
                "QUARTERLY" => 4,
                _ => 1,
            };
            if periods == 0 || periods > max {
                return Err(ApiError::invalid(format!(
                    "BudgetAdjustmentPeriod for a {time_unit} budget must be between 1 and {max}"
                )));
            }
            auto.insert(
                "HistoricalOptions".into(),
                json!({ "BudgetAdjustmentPeriod": periods, "LookBackAvailablePeriods": periods }),
            );
        }
        let last = previous
            .and_then(|p| p["AutoAdjustData"]["LastAutoAdjustTime"].as_f64())
            .unwrap_or_else(render::now);
        auto.insert("LastAutoAdjustTime".into(), json!(last));
    }
    // AWS fills in every cost type of a cost budget.
    if budget_type == "COST" {
        let mut cost_types = Map::new();
        for (key, default) in COST_TYPE_DEFAULTS {
            let given = obj
                .get("CostTypes")
                .and_then(|c| c.get(key))
                .and_then(Value::as_bool);
            cost_types.insert(key.to_owned(), json!(given.unwrap_or(default)));
        }
        obj.insert("CostTypes".into(), Value::Object(cost_types));
    }
    if obj.get("CostFilters").is_none_or(Value::is_null) {
        obj.insert("CostFilters".into(), json!({}));
    }
    // Default dates: the start of the current period, and 2087-06-15.
    let now = render::now();
    let period = obj.get("TimePeriod").cloned().unwrap_or(Value::Null);
    let start = period["Start"]
        .as_f64()
        .or_else(|| previous.and_then(|p| p["TimePeriod"]["Start"].as_f64()))
        .unwrap_or_else(|| render::period_start(&time_unit, now));
    let end = period["End"].as_f64().unwrap_or_else(render::default_end);
    if start >= end {
        return Err(ApiError::invalid(
            "The TimePeriod start must come before its end",
        ));
    }
    if end > render::default_end() {
        return Err(ApiError::invalid(
            "The TimePeriod end must be on or before 2087-06-15",
        ));
    }
    if let Some(planned) = obj.get("PlannedBudgetLimits").and_then(Value::as_object) {
        check_planned_keys(planned, &time_unit, start, now)?;
    }
    obj.insert("TimePeriod".into(), json!({ "Start": start, "End": end }));
    obj.insert("LastUpdatedTime".into(), json!(now));
    Ok(b)
}

/// PlannedBudgetLimits as the Budget shape documents them: keyed by the
/// start of a month (or quarter) in UTC epoch seconds, from the current
/// period (or the budget's start, when later) on, at most 12 months or 4
/// quarters.
fn check_planned_keys(
    planned: &Map<String, Value>,
    time_unit: &str,
    start: f64,
    now: f64,
) -> Result<()> {
    let max = if time_unit == "QUARTERLY" { 4 } else { 12 };
    if planned.len() > max {
        return Err(ApiError::invalid(format!(
            "PlannedBudgetLimits of a {time_unit} budget take at most {max} entries, not {}",
            planned.len()
        )));
    }
    let current = render::period_start(time_unit, now).max(render::period_start(time_unit, start));
    let mut has_current = false;
    for key in planned.keys() {
        let at = key.parse::<f64>().map_err(|_| {
            ApiError::invalid(format!(
                "PlannedBudgetLimits key {key:?} is not a time in epoch seconds"
            ))
        })?;
        if render::period_start(time_unit, at) != at {
            return Err(ApiError::invalid(format!(
                "PlannedBudgetLimits key {key} is not the start of a {time_unit} period (UTC)"
            )));
        }
        if at < current {
            return Err(ApiError::invalid(format!(
                "PlannedBudgetLimits key {key} lies before the current period: planned limits start from the current period"
            )));
        }
        has_current |= at == current;
    }
    if !has_current {
        return Err(ApiError::invalid(format!(
            "PlannedBudgetLimits must include the current period (key {})",
            current as i64
        )));
    }
    Ok(())
}

const COST_TYPE_DEFAULTS: [(&str, bool); 11] = [
    ("IncludeTax", true),
    ("IncludeSubscription", true),
    ("UseBlended", false),
    ("IncludeRefund", true),
    ("IncludeCredit", true),
    ("IncludeUpfront", true),
    ("IncludeRecurring", true),
    ("IncludeOtherSubscription", true),
    ("IncludeSupport", true),
    ("IncludeDiscount", true),
    ("UseAmortized", false),
];

fn normalize_spend(spend: &mut Value) -> Result<()> {
    let amount = s(&spend["Amount"]).to_owned();
    let value = render::decimal(&amount)
        .ok_or_else(|| ApiError::invalid(format!("{amount} is not a valid amount")))?;
    spend["Amount"] = json!(value.normalize().to_string());
    Ok(())
}

fn limit_unit(budget: &Value) -> String {
    let unit = budget["BudgetLimit"]["Unit"].as_str().or_else(|| {
        budget["PlannedBudgetLimits"]
            .as_object()
            .and_then(|p| p.values().next())
            .and_then(|v| v["Unit"].as_str())
    });
    unit.unwrap_or("USD").to_owned()
}

/// The budget as AWS returns it.
fn render_budget(stored: &StoredBudget, show_filter_expression: bool) -> Value {
    let mut b = stored.budget.clone();
    let unit = limit_unit(&b);
    let now = render::now();
    // Planned and auto-adjusting budgets also carry the current period's limit.
    if let Some(planned) = b["PlannedBudgetLimits"].as_object() {
        let current = current_planned(planned, &b, now);
        if let Some(current) = current {
            b["BudgetLimit"] = current;
        }
    } else if b["AutoAdjustData"].is_object() {
        b["BudgetLimit"] = json!({ "Amount": auto_adjusted_amount(stored), "Unit": unit });
    }
    if let Some(limit) = b.get_mut("BudgetLimit").filter(|v| v.is_object()) {
        limit["Amount"] = json!(render::amount(s(&limit["Amount"])));
    }
    if let Some(planned) = b
        .get_mut("PlannedBudgetLimits")
        .and_then(Value::as_object_mut)
    {
        for spend in planned.values_mut() {
            spend["Amount"] = json!(render::amount(s(&spend["Amount"])));
        }
    }
    b["CalculatedSpend"] = json!({
        "ActualSpend": { "Amount": render::amount(stored.spend.actual.as_deref().unwrap_or("0")), "Unit": unit },
        "ForecastedSpend": { "Amount": render::amount(stored.spend.forecasted.as_deref().unwrap_or("0")), "Unit": unit },
    });
    if !show_filter_expression && let Some(obj) = b.as_object_mut() {
        obj.remove("FilterExpression");
        obj.remove("Metrics");
    }
    b
}

/// The planned limit of the period containing `now`; before the first key the
/// first, after the last key the last (AWS keeps using it).
fn current_planned(planned: &Map<String, Value>, budget: &Value, now: f64) -> Option<Value> {
    let start = render::period_start(s(&budget["TimeUnit"]), now);
    let mut entries: Vec<(f64, &Value)> = planned
        .iter()
        .filter_map(|(k, v)| k.parse::<f64>().ok().map(|t| (t, v)))
        .collect();
    entries.sort_by(|a, b| a.0.total_cmp(&b.0));
    entries
        .iter()
        .rev()
        .find(|(t, _)| *t <= start)
        .or(entries.first())
        .map(|(_, v)| (*v).clone())
}

fn auto_adjusted_amount(stored: &StoredBudget) -> String {
    let periods = stored.budget["AutoAdjustData"]["HistoricalOptions"]["BudgetAdjustmentPeriod"]
        .as_u64()
        .unwrap_or(1) as usize;
    let recent: Vec<rust_decimal::Decimal> = stored
        .history
        .iter()
        .rev()
        .take(periods.max(1))
        .filter_map(|h| render::decimal(&h.actual))
        .collect();
    if s(&stored.budget["AutoAdjustData"]["AutoAdjustType"]) == "FORECAST" {
        if let Some(f) = stored.spend.forecasted.as_deref() {
            return f.to_owned();
        }
    } else if !recent.is_empty() {
        let sum: rust_decimal::Decimal = recent.iter().sum();
        return (sum / rust_decimal::Decimal::from(recent.len()))
            .round_dp(2)
            .to_string();
    }
    stored.budget["BudgetLimit"]["Amount"]
        .as_str()
        .unwrap_or("0")
        .to_owned()
}

/// Stored form of a notification: ThresholdType always present.
fn normalize_notification(n: &Value) -> Value {
    json!({
        "NotificationType": n["NotificationType"],
        "ComparisonOperator": n["ComparisonOperator"],
        "Threshold": n["Threshold"].as_f64().unwrap_or(0.0),
        "ThresholdType": n["ThresholdType"].as_str().unwrap_or("PERCENTAGE"),
    })
}

fn same_notification(a: &Value, b: &Value) -> bool {
    a["NotificationType"] == b["NotificationType"]
        && a["ComparisonOperator"] == b["ComparisonOperator"]
        && a["Threshold"].as_f64() == b["Threshold"].as_f64()
        && a["ThresholdType"] == b["ThresholdType"]
}

fn notification_key(n: &Value) -> String {
    format!(
        "{}:{}:{}:{}",
        s(&n["NotificationType"]),
        s(&n["ComparisonOperator"]),
        n["Threshold"].as_f64().unwrap_or(0.0),
        s(&n["ThresholdType"])
    )
}

fn notification_index(b: &StoredBudget, n: &Value) -> Result<usize> {
    b.notifications
        .iter()
        .position(|x| same_notification(&x.notification, n))
        .ok_or_else(notification_not_found)
}

/// The notification as AWS returns it: ThresholdType left out when it is
/// PERCENTAGE, and the state computed from the seeded spend.
fn render_notification(b: &StoredBudget, n: &StoredNotification) -> Value {
    let mut out = n.notification.clone();
    if out["ThresholdType"] == "PERCENTAGE"
        && let Some(obj) = out.as_object_mut()
    {
        obj.remove("ThresholdType");
    }
    out["NotificationState"] = json!(if in_alarm(b, &n.notification) {
        "ALARM"
    } else {
        "OK"
    });
    out
}

/// Whether the seeded spend has crossed a notification's threshold.
fn in_alarm(b: &StoredBudget, n: &Value) -> bool {
    let spend = if n["NotificationType"] == "FORECASTED" {
        &b.spend.forecasted
    } else {
        &b.spend.actual
    };
    let Some(spend) = spend.as_deref().and_then(render::decimal) else {
        return false;
    };
    let threshold =
        rust_decimal::Decimal::try_from(n["Threshold"].as_f64().unwrap_or(0.0)).unwrap_or_default();
    let limit = render::decimal(&auto_adjusted_or_fixed(b)).unwrap_or_default();
    let line = if n["ThresholdType"] == "ABSOLUTE_VALUE" {
        threshold
    } else {
        limit * threshold / rust_decimal::Decimal::ONE_HUNDRED
    };
    match s(&n["ComparisonOperator"]) {
        "GREATER_THAN" => spend > line,
        "LESS_THAN" => spend < line,
        _ => spend == line,
    }
}

fn auto_adjusted_or_fixed(b: &StoredBudget) -> String {
    let rendered = render_budget(b, false);
    s(&rendered["BudgetLimit"]["Amount"]).to_owned()
}

fn same_subscriber(a: &Value, b: &Value) -> bool {
    a["SubscriptionType"] == b["SubscriptionType"] && a["Address"] == b["Address"]
}

fn check_subscriber_counts(subscribers: &[Value]) -> Result<()> {
    let sns = subscribers
        .iter()
        .filter(|x| x["SubscriptionType"] == "SNS")
        .count();
    let email = subscribers.len() - sns;
    if sns > MAX_SNS_SUBSCRIBERS {
        return Err(ApiError::invalid(
            "A notification can have at most one SNS subscriber",
        ));
    }
    if email > MAX_EMAIL_SUBSCRIBERS {
        return Err(ApiError::invalid(
            "A notification can have at most 10 email subscribers",
        ));
    }
    Ok(())
}

fn check_subscribers(subscribers: &[Value]) -> Result<()> {
    check_subscriber_counts(subscribers)?;
    for (i, a) in subscribers.iter().enumerate() {
        if s(&a["Address"]).contains(['\n', '\r']) {
            return Err(ApiError::invalid(
                "A subscriber address can't contain line breaks",
            ));
        }
        if subscribers[..i].iter().any(|b| same_subscriber(a, b)) {
            return Err(ApiError::invalid(format!(
                "Duplicate subscriber {}",
                s(&a["Address"])
            )));
        }
    }
    Ok(())
}

fn check_action_subscribers(subscribers: &Value) -> Result<()> {
    check_subscribers(subscribers.as_array().map(Vec::as_slice).unwrap_or(&[]))
}

fn check_definition(action_type: &str, definition: &Value) -> Result<()> {
    let wanted = match action_type {
        "APPLY_IAM_POLICY" => "IamActionDefinition",
        "APPLY_SCP_POLICY" => "ScpActionDefinition",
        _ => "SsmActionDefinition",
    };
    let given: Vec<&String> = definition
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    if given.len() != 1 || given[0] != wanted {
        return Err(ApiError::invalid(format!(
            "An action of type {action_type} needs exactly one Definition: {wanted}"
        )));
    }
    Ok(())
}

fn action_in<'b>(b: &'b StoredBudget, id: &str) -> Result<&'b StoredAction> {
    b.actions
        .iter()
        .find(|a| a.action["ActionId"] == id)
        .ok_or_else(|| ApiError::not_found(format!("Action {id} doesn't exist.")))
}

fn action_in_mut<'b>(b: &'b mut StoredBudget, id: &str) -> Result<&'b mut StoredAction> {
    b.actions
        .iter_mut()
        .find(|a| a.action["ActionId"] == id)
        .ok_or_else(|| ApiError::not_found(format!("Action {id} doesn't exist.")))
}

fn refuse_if_in_progress(action: &Value) -> Result<()> {
    let status = s(&action["Status"]);
    if status.ends_with("_IN_PROGRESS") {
        return Err(ApiError::new(
            ErrorKind::ResourceLocked,
            format!("The action is {status}; try again when it has finished"),
        ));
    }
    Ok(())
}

fn history_entry(action: &Value, event: &str, message: &str) -> Value {
    json!({
        "Timestamp": render::now(),
        "Status": action["Status"],
        "EventType": event,
        "ActionHistoryDetails": { "Message": message, "Action": action },
    })
}

/// Actions whose threshold the seeded spend has crossed leave STANDBY:
/// MANUAL ones wait in PENDING for approval, AUTOMATIC ones run.
fn trigger_actions(b: &mut StoredBudget) {
    let limit = render::decimal(&auto_adjusted_or_fixed(b)).unwrap_or_default();
    let spend = |kind: &Value| {
        let seeded = if kind == "FORECASTED" {
            &b.spend.forecasted
        } else {
            &b.spend.actual
        };
        seeded.as_deref().and_then(render::decimal)
    };
    let mut crossed = Vec::new();
    for (i, a) in b.actions.iter().enumerate() {
        if a.action["Status"] != "STANDBY" {
            continue;
        }
        let Some(spent) = spend(&a.action["NotificationType"]) else {
            continue;
        };
        let t = &a.action["ActionThreshold"];
        let value =
            rust_decimal::Decimal::try_from(t["ActionThresholdValue"].as_f64().unwrap_or(0.0))
                .unwrap_or_default();
        let line = if t["ActionThresholdType"] == "ABSOLUTE_VALUE" {
            value
        } else {
            limit * value / rust_decimal::Decimal::ONE_HUNDRED
        };
        if spent > line {
            crossed.push(i);
        }
    }
    for i in crossed {
        let a = &mut b.actions[i];
        let steps: &[&str] = if a.action["ApprovalModel"] == "AUTOMATIC" {
            &["EXECUTION_IN_PROGRESS", "EXECUTION_SUCCESS"]
        } else {
            &["PENDING"]
        };
        for step in steps {
            a.action["Status"] = json!(step);
            let entry = history_entry(&a.action, "SYSTEM", "Budget threshold exceeded");
            a.history.push(entry);
        }
    }
}

fn new_action_id() -> String {
    let mut rng = StdRng::from_os_rng();
    let bytes: [u8; 16] = rng.random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn time_window(period: &Value) -> (f64, f64) {
    (
        period["Start"].as_f64().unwrap_or(f64::MIN),
        period["End"].as_f64().unwrap_or(f64::MAX),
    )
}

fn parse_day(text: &str) -> Result<f64> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp() as f64)
        .ok_or_else(|| ApiError::invalid(format!("`{text}` is not a date (YYYY-MM-DD)")))
}
