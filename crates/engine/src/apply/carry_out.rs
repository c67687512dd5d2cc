//! Carrying out a Plan with the fewest write calls (ARCHITECTURE.md,
//! reconciler rules 4–6, 9):
//! one CreateBudget per new budget with its notifications, subscribers and
//! tags; UpdateBudget only when a budget field changed; notifications changed
//! in place; subscribers swapped in place, the rest added before any are
//! removed; budget actions after their budget (deletions first, then
//! replacements, updates in one UpdateBudgetAction each, creations);
//! DeleteBudget last.
//!
//! Each budget's steps run in order, budgets in parallel up to a bound, every
//! call behind a client-side rate limit and the SDK's adaptive retries. A
//! call whose answer was lost (a timeout or a 5xx after the service may have
//! acted) is settled by reading back, never by blindly sending a create again:
//! a retried create that meets DuplicateRecordException is done when the
//! budget read back is the one declared, a retried delete that meets
//! NotFoundException is done, and so on for each step.

use std::collections::BTreeMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use budgetctl_aws::{
    ActionUpdate, AwsError, BudgetAt, Clients, ErrorKind, create_budget, read_budget,
    read_budget_actions,
};
use budgetctl_diff::normalize::update_request;
use budgetctl_diff::{
    ActionChange, ActionField, BudgetRef, Change, ChangeKind, NotificationChange, Plan,
    SubscriberSwap, compare_budget,
};
use budgetctl_spec::{Budget, BudgetAction, NotificationKey, Subscriber};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use tokio::sync::Semaphore;

/// How apply runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Budgets worked on at once; each budget's own steps stay in order.
    pub parallelism: usize,
    /// Requests per second across all budgets, before the SDK's own
    /// adaptive limit; `None` for no client-side limit.
    pub max_requests_per_second: Option<NonZeroU32>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 8,
            max_requests_per_second: NonZeroU32::new(DEFAULT_MAX_REQUESTS_PER_SECOND),
        }
    }
}

/// The client-side rate limit unless told otherwise: well under what the
/// Budgets API sustains, so that throttling stays the exception.
pub const DEFAULT_MAX_REQUESTS_PER_SECOND: u32 = 20;

/// What happened to one change of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeResult {
    pub action: ChangeKind,
    #[serde(flatten)]
    pub budget: BudgetRef,
    /// The write calls made, in order (each once; the SDK's retries of a call
    /// are not listed).
    pub calls: Vec<&'static str>,
    /// Why the change stopped part way, when it did. The calls before it were made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<WriteError>,
}

impl ChangeResult {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// A write that failed after every retry, or a change apply will not make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct WriteError {
    pub operation: &'static str,
    pub message: String,
    /// How the call failed, when AWS said; `None` for a change apply will
    /// not make. The cli chooses its hint by it.
    #[serde(skip)]
    pub kind: Option<ErrorKind>,
}

impl WriteError {
    fn refused(operation: &'static str, message: impl Into<String>) -> Self {
        WriteError {
            operation,
            message: message.into(),
            kind: None,
        }
    }
}

impl From<AwsError> for WriteError {
    fn from(e: AwsError) -> Self {
        WriteError {
            operation: e.operation,
            message: e.brief(),
            kind: Some(e.kind),
        }
    }
}

/// Every change's result, in plan order, and the time taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplyReport {
    pub results: Vec<ChangeResult>,
    pub elapsed_ms: u64,
}

impl ApplyReport {
    /// Changes of this action that were made in full.
    pub fn count(&self, action: ChangeKind) -> usize {
        self.results
            .iter()
            .filter(|r| r.action == action && r.succeeded())
            .count()
    }

    pub fn failures(&self) -> impl Iterator<Item = &ChangeResult> {
        self.results.iter().filter(|r| !r.succeeded())
    }

    pub fn elapsed(&self) -> Duration {
        Duration::from_millis(self.elapsed_ms)
    }
}

/// Told as changes start and finish, so the cli can show progress; called
/// from many tasks at once.
pub trait Progress: Send + Sync {
    fn started(&self, _budget: &BudgetRef, _action: ChangeKind) {}
    fn finished(&self, _result: &ChangeResult) {}
}

/// No progress reporting.
pub struct Quiet;
impl Progress for Quiet {}

/// Carry out every change of `plan`: creates and updates first, in parallel,
/// then deletions. A change that fails stops that budget's remaining steps
/// and is reported; the other budgets go on.
pub async fn apply_plan(
    clients: &Clients,
    plan: &Plan,
    options: &ApplyOptions,
    progress: Arc<dyn Progress>,
) -> ApplyReport {
    let started = Instant::now();
    let writer = Arc::new(Writer {
        clients: clients.clone(),
        limiter: options
            .max_requests_per_second
            .map(|rps| RateLimiter::direct(Quota::per_second(rps))),
    });
    let mut results: BTreeMap<usize, ChangeResult> = BTreeMap::new();
    // DeleteBudget last: nothing is removed before everything declared is in place.
    let (deletes, others): (Vec<_>, Vec<_>) = plan
        .changes
        .iter()
        .enumerate()
        .partition(|(_, c)| c.kind == ChangeKind::Delete);
    for phase in [others, deletes] {
        let limit = Arc::new(Semaphore::new(options.parallelism.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, change) in phase {
            let (writer, limit, progress, change) = (
                Arc::clone(&writer),
                Arc::clone(&limit),
                Arc::clone(&progress),
                change.clone(),
            );
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                progress.started(&change.budget, change.kind);
                let result = writer.apply_change(&change).await;
                progress.finished(&result);
                (index, result)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (index, result) = done.expect("apply tasks do not panic");
            results.insert(index, result);
        }
    }
    ApplyReport {
        results: results.into_values().collect(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// A step is done when its call succeeded, or failed only because its work
/// was done already (`done`: the Duplicate of a repeated add, the NotFound
/// of a repeated removal after a lost answer).
fn already_done(result: Result<(), AwsError>, done: ErrorKind) -> Result<(), WriteError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind == done => Ok(()),
        Err(e) => Err(e.into()),
    }
}

struct Writer {
    clients: Clients,
    limiter: Option<DefaultDirectRateLimiter>,
}

/// One budget's calls so far, and where it stopped.
struct Steps<'a> {
    change: &'a Change,
    calls: Vec<&'static str>,
}

impl Writer {
    /// Send one request behind the rate limit; the call is recorded as made
    /// whatever its answer.
    async fn call<T>(
        &self,
        steps: &mut Steps<'_>,
        operation: &'static str,
        request: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        steps.calls.push(operation);
        request.await
    }

    /// The budget a change is about, through its account's client.
    fn at<'a>(&'a self, change: &'a Change) -> BudgetAt<'a> {
        BudgetAt {
            client: self.clients.for_account(&change.budget.account),
            account: &change.budget.account,
            name: &change.budget.name,
        }
    }

    async fn apply_change(&self, change: &Change) -> ChangeResult {
        let mut steps = Steps {
            change,
            calls: Vec::new(),
        };
        let outcome = match change.kind {
            ChangeKind::Create => self.create(&mut steps).await,
            ChangeKind::Update => self.update(&mut steps).await,
            ChangeKind::Delete => self.delete(&mut steps).await,
        };
        ChangeResult {
            action: change.kind,
            budget: change.budget.clone(),
            calls: steps.calls,
            error: outcome.err(),
        }
    }

    fn desired<'a>(change: &'a Change, operation: &'static str) -> Result<&'a Budget, WriteError> {
        change.desired.as_ref().ok_or_else(|| {
            WriteError::refused(
                operation,
                "the plan holds no declared budget for this change; run plan again",
            )
        })
    }

    async fn create(&self, steps: &mut Steps<'_>) -> Result<(), WriteError> {
        let change = steps.change;
        let desired = Self::desired(change, "CreateBudget")?;
        let account = &change.budget.account;
        let client = self.clients.for_account(account);
        let request = create_budget(client, account, desired);
        let e = match self.call(steps, "CreateBudget", request).await {
            Ok(()) => return self.actions(steps).await,
            Err(e) if matches!(e.kind, ErrorKind::Duplicate | ErrorKind::Ambiguous) => e,
            Err(e) => return Err(e.into()),
        };
        // The budget may exist because an earlier attempt of this very call
        // went through before its answer was lost: read it back and accept it
        // only if it is the budget declared.
        let live = read_budget(client, account, &desired.name, desired.tags.is_some())
            .await
            .map_err(|read| {
                let mut error = WriteError::from(e.clone());
                error.message = format!(
                    "{}; reading the budget back to settle it failed: {read}",
                    error.message
                );
                error
            })?;
        match live {
            Some(live) if compare_budget(change.budget.clone(), desired, &live).is_none() => {
                self.actions(steps).await
            }
            Some(_) => Err(WriteError::refused(
                "CreateBudget",
                "a budget of this name exists and differs from the plan: it appeared after the plan was made; run plan again",
            )),
            None => Err(e.into()),
        }
    }

    async fn update(&self, steps: &mut Steps<'_>) -> Result<(), WriteError> {
        let change = steps.change;
        let at = self.at(change);
        if change.updates_budget_fields() {
            let desired = Self::desired(change, "UpdateBudget")?;
            let budget = update_request(desired, change.live.as_ref());
            self.call(steps, "UpdateBudget", at.update(&budget)).await?;
        }

        // Removals first, so that additions never meet the limit of ten
        // notifications; then identities changed in place; then subscribers,
        // each added before any is removed so no notification is left without
        // one (AWS deletes a notification with its last subscriber); then new
        // notifications.
        let order = |n: &NotificationChange| match n {
            NotificationChange::Remove { .. } => 0,
            NotificationChange::Change { .. } => 1,
            NotificationChange::Subscribers { .. } => 2,
            NotificationChange::Add { .. } => 3,
        };
        let mut notifications: Vec<&NotificationChange> = change.notifications.iter().collect();
        notifications.sort_by_key(|n| order(n));
        for n in notifications {
            self.notification_change(steps, n).await?;
        }

        let (set, unset): (Vec<_>, Vec<_>) = change.tags.iter().partition(|t| t.after.is_some());
        if !set.is_empty() {
            let tags: BTreeMap<String, String> = set
                .iter()
                .filter_map(|t| Some((t.key.clone(), t.after.clone()?)))
                .collect();
            self.call(steps, "TagResource", at.tag(&tags)).await?;
        }
        if !unset.is_empty() {
            let keys = unset.iter().map(|t| t.key.clone()).collect();
            self.call(steps, "UntagResource", at.untag(keys)).await?;
        }
        self.actions(steps).await
    }

    /// The budget's action changes: deletions first (so that a budget at
    /// its count of actions can take new ones), then replacements, updates
    /// and creations.
    async fn actions(&self, steps: &mut Steps<'_>) -> Result<(), WriteError> {
        let order = |a: &ActionChange| match a {
            ActionChange::Delete { .. } => 0,
            ActionChange::Replace { .. } => 1,
            ActionChange::Update { .. } => 2,
            ActionChange::Create { .. } => 3,
        };
        let mut changes: Vec<&ActionChange> = steps.change.actions.iter().collect();
        changes.sort_by_key(|a| order(a));
        for a in changes {
            self.action_change(steps, a).await?;
        }
        Ok(())
    }

    async fn action_change(
        &self,
        steps: &mut Steps<'_>,
        a: &ActionChange,
    ) -> Result<(), WriteError> {
        let at = self.at(steps.change);
        match a {
            ActionChange::Create { action } => self.create_action(steps, action).await,
            ActionChange::Delete { id, .. } => already_done(
                self.call(steps, "DeleteBudgetAction", at.delete_action(id))
                    .await,
                ErrorKind::NotFound,
            ),
            ActionChange::Replace { id, to, .. } => {
                already_done(
                    self.call(steps, "DeleteBudgetAction", at.delete_action(id))
                        .await,
                    ErrorKind::NotFound,
                )?;
                self.create_action(steps, to).await
            }
            ActionChange::Update {
                id,
                fields,
                tag,
                action,
                ..
            } => {
                if !fields.is_empty() {
                    let has = |f: ActionField| fields.iter().any(|d| d.field == f);
                    let send = ActionUpdate {
                        when: has(ActionField::When),
                        definition: has(ActionField::Definition),
                        approval: has(ActionField::Approval),
                        execution_role: has(ActionField::ExecutionRole),
                        subscribers: has(ActionField::Subscribers),
                    };
                    self.call(
                        steps,
                        "UpdateBudgetAction",
                        at.update_action(id, action, send),
                    )
                    .await?;
                }
                if *tag {
                    self.call(steps, "TagResource", at.tag_action(id, &action.name))
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// CreateBudgetAction; a lost answer is settled by looking for the
    /// action's name tag, so that no action is ever made twice.
    async fn create_action(
        &self,
        steps: &mut Steps<'_>,
        action: &BudgetAction,
    ) -> Result<(), WriteError> {
        let at = self.at(steps.change);
        // Throttled means not made: retried here, since the SDK does not
        // repeat this call.
        let calls = std::sync::Mutex::new(std::mem::take(&mut steps.calls));
        let attempt = || async {
            if let Some(limiter) = &self.limiter {
                limiter.until_ready().await;
            }
            calls
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push("CreateBudgetAction");
            at.create_action(action).await
        };
        let result = attempt
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_times(6)
                    .with_jitter(),
            )
            .when(|e: &AwsError| e.kind == ErrorKind::Throttled)
            .await;
        steps.calls = calls.into_inner().unwrap_or_else(|p| p.into_inner());
        let e = match result {
            Ok(_) => return Ok(()),
            Err(e) if e.kind == ErrorKind::Ambiguous => e,
            Err(e) => return Err(e.into()),
        };
        let live = read_budget_actions(at.client, at.account, at.name)
            .await
            .map_err(|read| {
                let mut error = WriteError::from(e.clone());
                error.message = format!(
                    "{}; reading the actions back to settle it failed: {read}",
                    error.message
                );
                error
            })?;
        if live
            .iter()
            .any(|l| l.name.as_deref() == Some(action.name.as_str()))
        {
            Ok(())
        } else {
            Err(e.into())
        }
    }

    async fn notification_change(
        &self,
        steps: &mut Steps<'_>,
        n: &NotificationChange,
    ) -> Result<(), WriteError> {
        let at = self.at(steps.change);
        match n {
            NotificationChange::Remove { notification } => already_done(
                self.call(
                    steps,
                    "DeleteNotification",
                    at.delete_notification(notification),
                )
                .await,
                ErrorKind::NotFound,
            ),
            NotificationChange::Change { from, to } => {
                match self
                    .call(
                        steps,
                        "UpdateNotification",
                        at.update_notification(from, to),
                    )
                    .await
                {
                    Ok(()) => Ok(()),
                    // A retry of a change that went through finds `from` gone
                    // (or `to` present): done if the budget now has `to` and not `from`.
                    Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Duplicate) => {
                        if self.has_notifications(steps, to, from).await? {
                            Ok(())
                        } else {
                            Err(e.into())
                        }
                    }
                    Err(e) => Err(e.into()),
                }
            }
            NotificationChange::Subscribers {
                notification,
                swap,
                add,
                remove,
            } => {
                // Swaps first (each one call, at any subscriber count), then
                // additions before removals, so the notification never loses
                // its last subscriber (AWS would delete it with that one).
                for SubscriberSwap { from, to } in swap {
                    let request = at.update_subscriber(notification, from, to);
                    match self.call(steps, "UpdateSubscriber", request).await {
                        Ok(()) => {}
                        // A lost answer, or a retry of a swap that went
                        // through (finding `from` gone or `to` present): done
                        // if the notification now has `to` and not `from`.
                        Err(e)
                            if matches!(
                                e.kind,
                                ErrorKind::NotFound | ErrorKind::Duplicate | ErrorKind::Ambiguous
                            ) =>
                        {
                            if !self.has_subscribers(steps, notification, to, from).await? {
                                return Err(e.into());
                            }
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                for s in add {
                    let request = at.create_subscriber(notification, s);
                    already_done(
                        self.call(steps, "CreateSubscriber", request).await,
                        ErrorKind::Duplicate,
                    )?;
                }
                for s in remove {
                    let request = at.delete_subscriber(notification, s);
                    already_done(
                        self.call(steps, "DeleteSubscriber", request).await,
                        ErrorKind::NotFound,
                    )?;
                }
                Ok(())
            }
            NotificationChange::Add {
                notification,
                subscribers,
            } => already_done(
                self.call(
                    steps,
                    "CreateNotification",
                    at.create_notification(notification, subscribers),
                )
                .await,
                ErrorKind::Duplicate,
            ),
        }
    }

    /// The budget's notifications and subscribers as they are now, to settle
    /// what a call of `operation` whose answer was lost did.
    async fn read_back(
        &self,
        steps: &Steps<'_>,
        operation: &'static str,
    ) -> Result<Vec<budgetctl_spec::Notification>, WriteError> {
        let r = &steps.change.budget;
        let live = read_budget(
            self.clients.for_account(&r.account),
            &r.account,
            &r.name,
            false,
        )
        .await
        .map_err(|e| {
            WriteError::refused(
                operation,
                format!("reading the notifications back failed: {e}"),
            )
        })?;
        Ok(live.map(|l| l.budget.notifications).unwrap_or_default())
    }

    /// Whether `notification` has subscriber `present` and not `absent`.
    async fn has_subscribers(
        &self,
        steps: &Steps<'_>,
        notification: &NotificationKey,
        present: &Subscriber,
        absent: &Subscriber,
    ) -> Result<bool, WriteError> {
        let notifications = self.read_back(steps, "UpdateSubscriber").await?;
        Ok(notifications
            .iter()
            .find(|n| &n.key == notification)
            .is_some_and(|n| n.subscribers.contains(present) && !n.subscribers.contains(absent)))
    }

    /// Whether the budget has notification `present` and not `absent`.
    async fn has_notifications(
        &self,
        steps: &Steps<'_>,
        present: &NotificationKey,
        absent: &NotificationKey,
    ) -> Result<bool, WriteError> {
        let notifications = self.read_back(steps, "UpdateNotification").await?;
        let has = |k: &NotificationKey| notifications.iter().any(|n| &n.key == k);
        Ok(has(present) && !has(absent))
    }

    async fn delete(&self, steps: &mut Steps<'_>) -> Result<(), WriteError> {
        let at = self.at(steps.change);
        already_done(
            self.call(steps, "DeleteBudget", at.delete()).await,
            ErrorKind::NotFound,
        )
    }
}
