//! Reading live state with the fewest requests the API allows (ARCHITECTURE.md,
//! reconciler rule 8): DescribeBudgets and DescribeBudgetNotificationsForAccount by
//! 1,000 per page, DescribeSubscribersForNotification only for the budgets
//! the files manage (there is no bulk call), concurrently with a bound,
//! ListTagsForResource only where the files manage tags, and budget actions
//! by DescribeBudgetActionsForAccount (100 per page, the most AWS allows),
//! with one ListTagsForResource per action (their names are tags).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_budgets::Client;
use budgetctl_model::amount::parse_amount;
use budgetctl_model::live::BudgetSpend;
use budgetctl_model::live::{Live, LiveAction, LiveBudget, LiveSpend, Unreadable};
use budgetctl_model::{ACTION_TAG, AccountId, Notification};
use futures_util::StreamExt as _;
use governor::DefaultDirectRateLimiter;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Clients;
use crate::convert;
use crate::error::{AwsError, ErrorKind};
use crate::scope::{HistoryOf, ReadScope};

/// Why an account or a budget could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Convert(#[from] convert::ConvertError),
}

/// Accounts read at once. Each waits on its own client-side rate and on
/// the requests in flight across all of them, so this bounds what is held
/// in memory and in the task set, not the load. 512: 1,000 accounts of 24
/// reads each take 12.6 s unpaced and 14.5 s at 4 requests a second per
/// account, peaking at 151 MB (256 at once took 21.5 s, measured before
/// the HTTP client was shared; the organisation bench,
/// crates/cli/benches/organisation.rs).
const ACCOUNTS_AT_ONCE: usize = 512;

/// How an account's reads take turns: its own client-side rate (requests
/// per second to the account), then one of the account's share of the
/// requests in flight, then one of the requests in flight across every
/// account being read.
#[derive(Clone)]
pub struct Pace {
    rate: Option<Arc<DefaultDirectRateLimiter>>,
    /// The run's rate across accounts (`--max-rps`).
    total: Option<Arc<DefaultDirectRateLimiter>>,
    share: Arc<Semaphore>,
    in_flight: Arc<Semaphore>,
}

impl Pace {
    /// `share` requests of this account in flight at most, of the
    /// `in_flight` shared by all.
    pub fn new(
        rate: Option<Arc<DefaultDirectRateLimiter>>,
        share: usize,
        in_flight: Arc<Semaphore>,
    ) -> Pace {
        Pace {
            rate,
            total: None,
            share: Arc::new(Semaphore::new(share.max(1))),
            in_flight,
        }
    }

    /// The same pace, also held to the run's rate across accounts.
    pub fn with_total(mut self, total: Option<Arc<DefaultDirectRateLimiter>>) -> Pace {
        self.total = total;
        self
    }

    /// No rate, and `parallelism` requests in flight.
    pub fn unpaced(parallelism: usize) -> Pace {
        Pace::new(
            None,
            parallelism,
            Arc::new(Semaphore::new(parallelism.max(1))),
        )
    }

    /// Wait for the account's rate, then for a slot of its share and one of
    /// all; both are held until the permits are dropped.
    async fn turn(&self) -> (Option<OwnedSemaphorePermit>, Option<OwnedSemaphorePermit>) {
        if let Some(rate) = &self.rate {
            rate.until_ready().await;
        }
        if let Some(total) = &self.total {
            total.until_ready().await;
        }
        // The semaphores are never closed: permits always come.
        let share = Arc::clone(&self.share).acquire_owned().await.ok();
        let slot = Arc::clone(&self.in_flight).acquire_owned().await.ok();
        (share, slot)
    }
}

/// Every account of `scopes`, each with its own scope, through the client
/// that reaches it: plan, the staleness check and import all read this way.
/// Many accounts are read at once, each at the client-side rate `clients`
/// has for it, with at most `parallelism` requests in flight across all of
/// them; what was read is returned in the order of `scopes`, and the first
/// account that fails (in that order) fails the read. `reading` is told of
/// each account as its read starts.
pub async fn read_accounts<'a>(
    clients: &Clients,
    scopes: impl IntoIterator<Item = (&'a AccountId, &'a ReadScope)>,
    parallelism: usize,
    reading: &(dyn Fn(&AccountId) + Sync),
) -> Result<Live, ReadError> {
    let scopes: Vec<(&AccountId, &ReadScope)> = scopes.into_iter().collect();
    let in_flight = Arc::new(Semaphore::new(parallelism.max(1)));
    // Each account's fair share of the requests in flight: all of them for
    // one account, one each for hundreds. A throttled account's requests
    // wait out their backoff and the SDK's adaptive rate holding its share
    // only: without it, they held every slot while the other accounts
    // waited. 100 accounts limited to 5 requests a second, read unpaced:
    // 8.7 s with 200 throttles absorbed, where 4.8 s is the floor (50
    // accounts took 349 s without shares); paced at 8, above the limit:
    // 27.4 s, was 80.8 s (the organisation bench).
    let share = parallelism.max(1) / scopes.len().clamp(1, ACCOUNTS_AT_ONCE);
    let reads = scopes.into_iter().map(|(account, scope)| {
        let pace = Pace::new(clients.limiter(account), share, Arc::clone(&in_flight))
            .with_total(clients.total_limiter());
        async move {
            reading(account);
            read_account_paced(clients.for_account(account), account, scope, &pace).await
        }
    });
    // `buffered` keeps the order of the accounts while reading several at
    // once: plans come out the same whatever answers first.
    let mut results = futures_util::stream::iter(reads).buffered(ACCOUNTS_AT_ONCE);
    let mut live = Live::default();
    while let Some(read) = results.next().await {
        live.extend(read?);
    }
    Ok(live)
}

/// This period's CalculatedSpend of a budget, when AWS returned one.
fn spend_of(b: &aws_sdk_budgets::types::Budget) -> Option<LiveSpend> {
    let s = b.calculated_spend()?;
    let actual = s.actual_spend()?;
    Some(LiveSpend {
        actual: parse_amount(actual.amount()).ok()?,
        forecasted: s
            .forecasted_spend()
            .and_then(|f| parse_amount(f.amount()).ok()),
        unit: actual.unit().to_owned(),
    })
}

/// Every budget's spend and limit in an account, from DescribeBudgets
/// alone (1,000 a page): all `budgetctl respond` needs to decide. `only`
/// keeps the budgets of those names.
pub async fn read_spend(
    client: &Client,
    account: &AccountId,
    only: &std::collections::HashSet<&str>,
) -> Result<Vec<BudgetSpend>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_budgets()
        .account_id(account.as_str())
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk(account, "DescribeBudgets", e))?;
        for b in page.budgets() {
            if !only.contains(b.budget_name()) {
                continue;
            }
            out.push(BudgetSpend {
                name: b.budget_name().to_owned(),
                limit: b.budget_limit().and_then(|l| convert::spend(l).ok()),
                spend: spend_of(b),
            });
        }
    }
    Ok(out)
}

/// Every budget of an account, converted, with subscribers and tags where
/// the scope asks. A budget holding a value the model has no place for is
/// returned as [`Unreadable`] rather than failing the account
/// (ARCHITECTURE.md, reconciler rule 14).
pub async fn read_account(
    client: &Client,
    account: &AccountId,
    scope: &ReadScope,
    parallelism: usize,
) -> Result<Live, ReadError> {
    read_account_paced(client, account, scope, &Pace::unpaced(parallelism)).await
}

/// [`read_account`], each request taking its turn with `pace`: the three
/// bulk reads, then each budget converted with its notifications and
/// actions, its subscribers, tags and action names read at once, and
/// every answer gathered into its budget.
pub async fn read_account_paced(
    client: &Client,
    account: &AccountId,
    scope: &ReadScope,
    pace: &Pace,
) -> Result<Live, ReadError> {
    let budgets = budget_pages(client, account, scope, pace).await?;
    let mut notifications = notification_pages(client, account, pace).await?;
    let mut actions = action_pages(client, account, pace).await?;
    let mut reads = Reads {
        client,
        account,
        pace,
        tasks: tokio::task::JoinSet::new(),
    };
    let mut live: Vec<Option<LiveBudget>> = Vec::with_capacity(budgets.len());
    let mut unreadable = Vec::new();
    for b in &budgets {
        let name = b.budget_name();
        let converted = converted(
            b,
            notifications.remove(name).unwrap_or_default(),
            actions.remove(name).unwrap_or_default(),
        );
        let (mut budget, keys, budget_actions) = match converted {
            Ok(converted) => converted,
            Err(e) => {
                unreadable.push(cannot_read(account, name, e));
                continue;
            }
        };
        let index = live.len();
        // Every action's name, declared budget or not: plans show them, a
        // pruned budget's included, and the staleness check reads alike.
        reads.action_names(
            index,
            &budget.name,
            &budget_actions,
            scope.only_active_action_names,
        );
        if let Some(history) = scope.history {
            reads.history(index, &budget, history);
        }
        let managed =
            scope.everything || scope.all_subscribers || scope.managed.contains(&budget.name);
        let alarms = keys
            .iter()
            .filter(|(_, n)| {
                n.notification_state() == Some(&aws_sdk_budgets::types::NotificationState::Alarm)
            })
            .map(|(key, _)| key.clone())
            .collect();
        for (key, n) in keys {
            budget.notifications.push(Notification {
                key,
                subscribers: Vec::new(),
            });
            if managed {
                reads.subscribers(index, budget.notifications.len() - 1, &budget.name, n);
            }
        }
        if scope.everything || scope.all_tags || scope.tagged.contains(&budget.name) {
            reads.tags(index, &budget.name);
        }
        live.push(Some(LiveBudget {
            account: account.clone(),
            budget,
            last_updated: b.last_updated_time().map(|t| t.to_string()),
            spend: spend_of(b),
            limit_now: b.budget_limit().and_then(|l| convert::spend(l).ok()),
            alarms,
            health: b.health_status().and_then(|h| {
                Some(budgetctl_model::live::Health {
                    status: h.status()?.as_str().to_owned(),
                    reason: h.status_reason().map(|r| r.as_str().to_owned()),
                })
            }),
            history: Vec::new(),
            actions: budget_actions,
        }));
    }
    gather(reads.tasks, account, &mut live, &mut unreadable).await?;
    Ok(Live {
        budgets: live.into_iter().flatten().collect(),
        unreadable,
    })
}

/// DescribeBudgets, every page, narrowed to `scope.only`.
async fn budget_pages(
    client: &Client,
    account: &AccountId,
    scope: &ReadScope,
    pace: &Pace,
) -> Result<Vec<aws_sdk_budgets::types::Budget>, AwsError> {
    let _turn = pace.turn().await;
    let mut budgets = Vec::new();
    let mut pages = client
        .describe_budgets()
        .account_id(account.as_str())
        .max_results(1000)
        .show_filter_expression(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk(account, "DescribeBudgets", e))?;
        budgets.extend(page.budgets.unwrap_or_default());
    }
    if let Some(only) = &scope.only {
        budgets.retain(|b| only.contains(b.budget_name()));
    }
    Ok(budgets)
}

/// DescribeBudgetNotificationsForAccount, every page, by budget.
async fn notification_pages(
    client: &Client,
    account: &AccountId,
    pace: &Pace,
) -> Result<HashMap<String, Vec<aws_sdk_budgets::types::Notification>>, AwsError> {
    let _turn = pace.turn().await;
    let mut notifications: HashMap<String, Vec<aws_sdk_budgets::types::Notification>> =
        HashMap::new();
    let mut pages = client
        .describe_budget_notifications_for_account()
        .account_id(account.as_str())
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| AwsError::from_sdk(account, "DescribeBudgetNotificationsForAccount", e))?;
        for entry in page.budget_notifications_for_account.unwrap_or_default() {
            if let Some(name) = entry.budget_name {
                notifications
                    .entry(name)
                    .or_default()
                    .extend(entry.notifications.unwrap_or_default());
            }
        }
    }
    Ok(notifications)
}

/// DescribeBudgetActionsForAccount, every page, by budget.
async fn action_pages(
    client: &Client,
    account: &AccountId,
    pace: &Pace,
) -> Result<HashMap<String, Vec<aws_sdk_budgets::types::Action>>, AwsError> {
    let _turn = pace.turn().await;
    let mut actions: HashMap<String, Vec<aws_sdk_budgets::types::Action>> = HashMap::new();
    for a in account_actions(client, account).await? {
        actions
            .entry(a.budget_name().to_owned())
            .or_default()
            .push(a);
    }
    Ok(actions)
}

/// A notification as the model keys it, with the SDK's for its subscribers.
type Keyed = (
    budgetctl_model::NotificationKey,
    aws_sdk_budgets::types::Notification,
);

/// One budget in the model, its notifications keyed and its actions
/// converted; the first value this budgetctl cannot read makes the whole
/// budget unreadable.
fn converted(
    b: &aws_sdk_budgets::types::Budget,
    notifications: Vec<aws_sdk_budgets::types::Notification>,
    actions: Vec<aws_sdk_budgets::types::Action>,
) -> Result<(budgetctl_model::Budget, Vec<Keyed>, Vec<LiveAction>), convert::ConvertError> {
    let budget = convert::budget_from_sdk(b)?;
    let keys = notifications
        .into_iter()
        .map(|n| Ok((convert::notification_key_from_sdk(&n)?, n)))
        .collect::<Result<Vec<_>, convert::ConvertError>>()?;
    let actions = actions
        .iter()
        .map(|a| {
            let (status, action) = convert::action_from_sdk(a)?;
            Ok(LiveAction {
                id: a.action_id().to_owned(),
                status,
                name: None,
                action,
            })
        })
        .collect::<Result<Vec<_>, convert::ConvertError>>()?;
    Ok((budget, keys, actions))
}

fn cannot_read(account: &AccountId, name: &str, e: convert::ConvertError) -> Unreadable {
    Unreadable {
        account: account.clone(),
        name: name.to_owned(),
        reason: e.reason(),
    }
}

/// The reads of one account that run at once, each waiting its turn. Each
/// task boxes its request only once it has one (`Box::pin` after the
/// turn): a waiting task holds a few hundred bytes, not the SDK call's
/// whole state, so thousands waiting across accounts stay small.
struct Reads<'a> {
    client: &'a Client,
    account: &'a AccountId,
    pace: &'a Pace,
    tasks: tokio::task::JoinSet<Result<Fetched, ReadError>>,
}

impl Reads<'_> {
    /// One read, waiting its turn; `read` makes the request only then, so
    /// a waiting task holds its captures and not the request's state.
    fn spawn<F, Fut>(&mut self, read: F)
    where
        F: FnOnce(Client, AccountId) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Fetched, ReadError>> + Send + 'static,
    {
        let (client, account, pace) =
            (self.client.clone(), self.account.clone(), self.pace.clone());
        self.tasks.spawn(async move {
            let _turn = pace.turn().await;
            Box::pin(read(client, account)).await
        });
    }

    fn action_names(
        &mut self,
        index: usize,
        budget: &str,
        actions: &[LiveAction],
        only_active: bool,
    ) {
        for (slot, a) in actions.iter().enumerate() {
            if only_active && a.status == budgetctl_model::ActionStatus::Standby {
                continue;
            }
            let arn = action_arn(self.client, self.account, budget, &a.id);
            self.spawn(move |client, account| async move {
                let tags = tags_at(&client, &account, arn).await?;
                Ok(Fetched::ActionName {
                    index,
                    slot,
                    name: tags.get(ACTION_TAG).cloned(),
                })
            });
        }
    }

    fn subscribers(
        &mut self,
        index: usize,
        slot: usize,
        budget: &str,
        n: aws_sdk_budgets::types::Notification,
    ) {
        let name = budget.to_owned();
        self.spawn(move |client, account| async move {
            let subscribers = subscribers_of(&client, &account, &name, n).await?;
            Ok(Fetched::Subscribers {
                index,
                slot,
                subscribers,
            })
        });
    }

    /// The budget's last `periods` periods before the current one
    /// (DescribeBudgetPerformanceHistory, every page).
    fn history(&mut self, index: usize, budget: &budgetctl_model::Budget, of: HistoryOf) {
        let Some(kept) = budgetctl_model::planned::history_kept(budget.time_unit) else {
            return;
        };
        let periods = of.periods.min(kept);
        if periods == 0 {
            return;
        }
        let current = budgetctl_model::planned::period_start(budget.time_unit, of.today);
        let from = budgetctl_model::planned::periods_before(budget.time_unit, current, periods);
        let name = budget.name.clone();
        self.spawn(move |client, account| async move {
            let periods = history_of(&client, &account, &name, from, current).await?;
            Ok(Fetched::History { index, periods })
        });
    }

    fn tags(&mut self, index: usize, budget: &str) {
        let name = budget.to_owned();
        self.spawn(move |client, account| async move {
            let tags = tags_of(&client, &account, &name).await?;
            Ok(Fetched::Tags { index, tags })
        });
    }
}

/// Every answer into its budget; a budget whose answer this budgetctl
/// cannot read becomes unreadable, and any other error ends the read.
async fn gather(
    mut tasks: tokio::task::JoinSet<Result<Fetched, ReadError>>,
    account: &AccountId,
    live: &mut [Option<LiveBudget>],
    unreadable: &mut Vec<Unreadable>,
) -> Result<(), ReadError> {
    while let Some(done) = tasks.join_next().await {
        match done.expect("read task does not panic") {
            Ok(Fetched::Subscribers {
                index,
                slot,
                subscribers,
            }) => {
                if let Some(l) = &mut live[index] {
                    l.budget.notifications[slot].subscribers = subscribers;
                }
            }
            Ok(Fetched::Tags { index, tags }) => {
                if let Some(l) = &mut live[index] {
                    l.budget.tags = Some(tags);
                }
            }
            Ok(Fetched::History { index, periods }) => {
                if let Some(l) = &mut live[index] {
                    l.history = periods;
                }
            }
            Ok(Fetched::ActionName { index, slot, name }) => {
                if let Some(l) = &mut live[index] {
                    l.actions[slot].name = name;
                }
            }
            Err(ReadError::Convert(e)) => {
                if let Some(i) = live
                    .iter()
                    .position(|l| l.as_ref().is_some_and(|l| l.budget.name == e.budget))
                    && let Some(l) = live[i].take()
                {
                    unreadable.push(cannot_read(account, &l.budget.name, e));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

enum Fetched {
    History {
        index: usize,
        periods: Vec<budgetctl_model::live::PastPeriod>,
    },
    Subscribers {
        index: usize,
        slot: usize,
        subscribers: Vec<budgetctl_model::Subscriber>,
    },
    Tags {
        index: usize,
        tags: std::collections::BTreeMap<String, String>,
    },
    ActionName {
        index: usize,
        slot: usize,
        name: Option<String>,
    },
}

/// One budget read back in full (DescribeBudget, its notifications, their
/// subscribers, and its tags where `tags` is set), or `None` when it does not
/// exist. Apply uses it to settle what a call whose answer was lost did.
pub async fn read_budget(
    client: &Client,
    account: &AccountId,
    name: &str,
    tags: bool,
) -> Result<Option<LiveBudget>, ReadError> {
    let described = match client
        .describe_budget()
        .account_id(account.as_str())
        .budget_name(name)
        .show_filter_expression(true)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(account, "DescribeBudget", e))
    {
        Ok(out) => out,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(b) = described.budget() else {
        return Ok(None);
    };
    let mut budget = convert::budget_from_sdk(b)?;
    let mut notifications = Vec::new();
    let mut pages = client
        .describe_notifications_for_budget()
        .account_id(account.as_str())
        .budget_name(name)
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::from_sdk(account, "DescribeNotificationsForBudget", e))?;
        notifications.extend(page.notifications.unwrap_or_default());
    }
    for n in notifications {
        let key = convert::notification_key_from_sdk(&n).map_err(|e| e.in_budget(name))?;
        let subscribers = subscribers_of(client, account, name, n).await?;
        budget.notifications.push(Notification { key, subscribers });
    }
    if tags {
        budget.tags = Some(tags_of(client, account, name).await?);
    }
    Ok(Some(LiveBudget {
        account: account.clone(),
        budget,
        last_updated: b.last_updated_time().map(|t| t.to_string()),
        spend: None,
        limit_now: None,
        alarms: Vec::new(),
        health: None,
        history: Vec::new(),
        actions: Vec::new(),
    }))
}

/// Every action of the account as AWS returns it
/// (DescribeBudgetActionsForAccount, 100 per page, the most it allows).
pub(crate) async fn account_actions(
    client: &Client,
    account: &AccountId,
) -> Result<Vec<aws_sdk_budgets::types::Action>, AwsError> {
    let mut found = Vec::new();
    let mut pages = client
        .describe_budget_actions_for_account()
        .account_id(account.as_str())
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::from_sdk(account, "DescribeBudgetActionsForAccount", e))?;
        found.extend(page.actions);
    }
    Ok(found)
}

/// One budget's actions with their names (DescribeBudgetActionsForBudget
/// and a ListTagsForResource per action): apply settles a lost
/// CreateBudgetAction with it, and `budgetctl action` finds actions by it.
/// A budget that does not exist has none.
pub async fn read_budget_actions(
    client: &Client,
    account: &AccountId,
    name: &str,
) -> Result<Vec<LiveAction>, ReadError> {
    let mut found = Vec::new();
    let mut pages = client
        .describe_budget_actions_for_budget()
        .account_id(account.as_str())
        .budget_name(name)
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page
            .map_err(|e| AwsError::from_sdk(account, "DescribeBudgetActionsForBudget", e))
        {
            Ok(page) => page,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        found.extend(page.actions);
    }
    let mut out = Vec::with_capacity(found.len());
    for a in &found {
        out.push(named_action(client, account, a).await?);
    }
    Ok(out)
}

/// An action from AWS, converted, with its name read from its tags (one
/// ListTagsForResource).
pub(crate) async fn named_action(
    client: &Client,
    account: &AccountId,
    a: &aws_sdk_budgets::types::Action,
) -> Result<LiveAction, ReadError> {
    let (status, action) = convert::action_from_sdk(a)?;
    let arn = action_arn(client, account, a.budget_name(), a.action_id());
    let tags = tags_at(client, account, arn).await?;
    Ok(LiveAction {
        id: a.action_id().to_owned(),
        status,
        name: tags.get(ACTION_TAG).cloned(),
        action,
    })
}

/// Every subscriber of one notification (there is no bulk call).
async fn subscribers_of(
    client: &Client,
    account: &AccountId,
    name: &str,
    notification: aws_sdk_budgets::types::Notification,
) -> Result<Vec<budgetctl_model::Subscriber>, ReadError> {
    let mut subscribers = Vec::new();
    let mut pages = client
        .describe_subscribers_for_notification()
        .account_id(account.as_str())
        .budget_name(name)
        .notification(notification)
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::from_sdk(account, "DescribeSubscribersForNotification", e))?;
        for s in page.subscribers.unwrap_or_default() {
            subscribers.push(convert::subscriber_from_sdk(&s).map_err(|e| e.in_budget(name))?);
        }
    }
    Ok(subscribers)
}

/// A budget's budgeted and actual amounts of the periods starting from
/// `from` up to `to` (DescribeBudgetPerformanceHistory, every page), oldest
/// first.
async fn history_of(
    client: &Client,
    account: &AccountId,
    name: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<budgetctl_model::live::PastPeriod>, ReadError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_budget_performance_history()
        .account_id(account.as_str())
        .budget_name(name)
        .time_period(convert::time_period(from, to))
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::from_sdk(account, "DescribeBudgetPerformanceHistory", e))?;
        let Some(history) = page.budget_performance_history else {
            continue;
        };
        for p in history.budgeted_and_actual_amounts_list.unwrap_or_default() {
            if let Some(period) = convert::past_period(&p) {
                out.push(period);
            }
        }
    }
    out.sort_by_key(|p| p.start);
    Ok(out)
}

/// A budget's tags as the files manage them (ListTagsForResource):
/// budgetctl's own (`budgetctl:`, a response's latest run) left out, so
/// that plan never diffs, fingerprints, imports or removes them.
async fn tags_of(
    client: &Client,
    account: &AccountId,
    name: &str,
) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let mut tags = tags_at(client, account, budget_arn(client, account, name)).await?;
    tags.retain(|k, _| !budgetctl_model::is_reserved_tag(k));
    Ok(tags)
}

/// A budget's own `budgetctl:` tags (ListTagsForResource), which `respond`
/// keeps its responses' latest runs in.
pub async fn reserved_tags(
    client: &Client,
    account: &AccountId,
    name: &str,
) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let mut tags = tags_at(client, account, budget_arn(client, account, name)).await?;
    tags.retain(|k, _| budgetctl_model::is_reserved_tag(k));
    Ok(tags)
}

/// The tags of a budget or action ARN (ListTagsForResource).
pub(crate) async fn tags_at(
    client: &Client,
    account: &AccountId,
    arn: String,
) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let listed = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(account, "ListTagsForResource", e))?;
    Ok(listed
        .resource_tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect())
}

/// The ARN that tags are read and written on, in the partition of the
/// region `client` signs for (`arn:aws-cn:budgets::…` in China).
pub fn budget_arn(client: &Client, account: &AccountId, name: &str) -> String {
    let partition = crate::clients::client_partition(client);
    format!("arn:{partition}:budgets::{account}:budget/{name}")
}

/// The ARN of a budget action, which its tags are read and written on:
/// `arn:aws:budgets::ACCOUNT:budget/NAME/action/ID`.
pub fn action_arn(client: &Client, account: &AccountId, budget: &str, id: &str) -> String {
    format!("{}/action/{id}", budget_arn(client, account, budget))
}
