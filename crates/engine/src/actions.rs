//! `actions`: the budget-action operations (`budgetctl action`). List the
//! actions of accounts, show one's history, find an action by its
//! `BUDGET/ACTION` handle (its `budgetctl:action` name or its id), check
//! that an execution is possible from its status before any write, run
//! ExecuteBudgetAction at most once on exactly the action that was shown,
//! and follow its status until it settles.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
pub use budgetctl_aws::{AccountAction, HistoryEvent};
use budgetctl_aws::{
    AwsError, BudgetAt, Clients, ErrorKind, ReadError, read_account_actions, read_action_history,
    read_action_status, read_budget_actions,
};
use budgetctl_diff::LiveAction;
use budgetctl_spec::rules::inert;
use budgetctl_spec::{AccountId, ActionStatus, Config, ExecutionType};

/// Why an action could not be listed, found or operated.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Read(#[from] ReadError),
    /// An account's actions could not be listed; `role` is its role.
    #[error("{error}")]
    ReadAccount {
        error: ReadError,
        role: Option<String>,
    },
    /// `action list` with no account to list.
    #[error(
        "no account to list: no --account, and no budget file names one (without -f, budgetctl looks for budgets.yaml, budgets.yml and budgets/); pass --account ID, or -f PATH for budget files that name accounts (-f budgets.example.yaml in budgetctl's repository)"
    )]
    NoAccount,
    /// No file declares the handle's budget, and no `--account` says where.
    #[error(
        "no budget file declares `{}`: pass --account ID (or --file for the files that do)",
        inert(.0)
    )]
    Undeclared(String),
    /// The handle's budget is declared in several accounts.
    #[error(
        "`{}` is declared in accounts {}: pass --account ID",
        inert(.budget),
        .accounts.iter().map(AccountId::as_str).collect::<Vec<_>>().join(", ")
    )]
    DeclaredInMany {
        budget: String,
        accounts: Vec<AccountId>,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// No such action, or an execution its status does not allow: refused
    /// before any write.
    #[error("{0}")]
    Refused(String),
    /// The action changed since it was shown: nothing was executed.
    #[error(
        "action `{action}` of budget `{budget}` changed since it was shown ({}): nothing was executed; run the command again to see it as it is now",
        changes.join("; ")
    )]
    Changed {
        action: String,
        budget: String,
        changes: Vec<String>,
    },
    /// The action's status moved on after it was shown (another run, or
    /// AWS, executed it first): this run executed nothing.
    #[error(
        "action `{action}` of budget `{budget}` is now {}, no longer {}: another run got there first, and this one executed nothing",
        status.aws_name(),
        was.aws_name()
    )]
    Overtaken {
        action: String,
        budget: String,
        was: ActionStatus,
        status: ActionStatus,
    },
}

/// The action `handle` names in a budget: its `budgetctl:action` name, or
/// its ActionId.
pub async fn find_action(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    handle: &str,
) -> Result<LiveAction, ActionError> {
    let actions = read_budget_actions(clients.for_account(account), account, budget).await?;
    if let Some(a) = actions
        .iter()
        .find(|a| a.name.as_deref() == Some(handle))
        .or_else(|| actions.iter().find(|a| a.id == handle))
    {
        return Ok(a.clone());
    }
    // Names read from AWS go into the message inert: a tag with a line
    // break must not print a line of its own.
    let known: Vec<String> = actions
        .iter()
        .map(|a| inert(a.label()).into_owned())
        .collect();
    let (budget, handle) = (inert(budget), inert(handle));
    Err(ActionError::Refused(if known.is_empty() {
        format!("budget `{budget}` in account {account} has no actions (or does not exist)")
    } else {
        format!(
            "budget `{budget}` in account {account} has no action `{handle}`; it has: {}",
            known.join(", ")
        )
    }))
}

/// Refuse, before any write, an execution the action's status does not allow.
pub fn check_execution(
    budget: &str,
    action: &LiveAction,
    execution: ExecutionType,
) -> Result<(), ActionError> {
    if execution.allowed_from(action.status) {
        return Ok(());
    }
    let from: Vec<&str> = execution
        .allowed_statuses()
        .iter()
        .map(|s| s.aws_name())
        .collect();
    let now = match action.status {
        s if s.in_progress() => " (AWS is working on it: wait for it to settle)".to_owned(),
        ActionStatus::Standby => " (its threshold has not been crossed)".to_owned(),
        _ => String::new(),
    };
    Err(ActionError::Refused(format!(
        "cannot {execution} action `{}` of budget `{}`: it is {}{now}, and {execution} is possible only from {}",
        inert(action.label()),
        inert(budget),
        action.status.aws_name(),
        from.join(" or ")
    )))
}

/// How an execution this command asked for went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executed {
    /// ExecuteBudgetAction answered: AWS took this call.
    Accepted,
    /// The answer was lost; the action's history shows an execution that
    /// started after this command read it, so the call went through.
    SettledByHistory,
}

/// What differs between what the action does as it was shown and as it
/// is now: each changed field as `field: before → after`.
fn changes_since(shown: &LiveAction, now: &LiveAction) -> Vec<String> {
    budgetctl_diff::action_fields(&shown.action, &now.action, None)
        .into_iter()
        .map(|f| format!("{}: {} → {}", f.field, inert(&f.after), inert(&f.before)))
        .collect()
}

/// The statuses an execution moves an action through from `from`: its
/// in-progress step and its outcomes.
fn statuses_of(execution: ExecutionType, from: ActionStatus) -> &'static [ActionStatus] {
    use ActionStatus::*;
    const EXECUTING: &[ActionStatus] = &[ExecutionInProgress, ExecutionSuccess, ExecutionFailure];
    const REVERSING: &[ActionStatus] = &[ReverseInProgress, ReverseSuccess, ReverseFailure];
    const RESETTING: &[ActionStatus] = &[ResetInProgress, Standby, ResetFailure];
    match (execution, from) {
        (ExecutionType::Approve, _) | (ExecutionType::Retry, ExecutionFailure) => EXECUTING,
        (ExecutionType::Reverse, _) | (ExecutionType::Retry, ReverseFailure) => REVERSING,
        (ExecutionType::Reset, _) | (ExecutionType::Retry, _) => RESETTING,
    }
}

/// Whether `after` (the history now) holds an execution event that
/// `before` (the history read before the call) did not, moving the action
/// the way `execution` moves it from `from`. Histories only grow.
fn started_since(
    before: &[HistoryEvent],
    after: &[HistoryEvent],
    execution: ExecutionType,
    from: ActionStatus,
) -> bool {
    let moves = statuses_of(execution, from);
    after.iter().skip(before.len()).any(|e| {
        e.event == "EXECUTE_ACTION"
            && ActionStatus::parse(&e.status).is_some_and(|s| moves.contains(&s))
    })
}

/// Run ExecuteBudgetAction on `shown`, the action as the person (or the
/// files) saw it, at most once.
///
/// The action is read again first, and nothing runs when anything that
/// was shown changed since: what it does (definition, approval, role,
/// threshold, subscribers: [`ActionError::Changed`]) or its status
/// ([`ActionError::Overtaken`]). The SDK never repeats the call (a repeat after a
/// lost answer, or after the execution failed again, would run the action
/// a second time): a refusal AWS answered without acting (locked,
/// throttled) is tried again after a pause; a lost answer is settled by
/// reading the action's history, an execution event that was not there
/// before the call being this call's; AWS refusing the execution because
/// the status moved on means another run got there first
/// ([`ActionError::Overtaken`]), and this one executed nothing.
pub async fn execute(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    shown: &LiveAction,
    execution: ExecutionType,
) -> Result<Executed, ActionError> {
    let client = clients.for_account(account);
    let actions = read_budget_actions(client, account, budget).await?;
    let Some(now) = actions.iter().find(|a| a.id == shown.id) else {
        return Err(ActionError::Refused(format!(
            "action `{}` of budget `{}` was deleted since it was shown: nothing was executed",
            inert(shown.label()),
            inert(budget)
        )));
    };
    let changed = changes_since(shown, now);
    if !changed.is_empty() {
        return Err(ActionError::Changed {
            action: inert(shown.label()).into_owned(),
            budget: inert(budget).into_owned(),
            changes: changed,
        });
    }
    if now.status != shown.status {
        return Err(ActionError::Overtaken {
            action: inert(shown.label()).into_owned(),
            budget: inert(budget).into_owned(),
            was: shown.status,
            status: now.status,
        });
    }
    check_execution(budget, now, execution)?;
    let before = read_action_history(client, account, budget, &now.id, None).await?;
    let at = BudgetAt {
        client,
        account,
        name: budget,
    };
    let mut pauses = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(250))
        .with_max_delay(Duration::from_secs(5))
        .with_max_times(8)
        .with_jitter()
        .build();
    loop {
        let e = match at.execute_action(&now.id, execution).await {
            Ok(()) => return Ok(Executed::Accepted),
            Err(e) => e,
        };
        match e.kind {
            // Answered without acting: the same call may go through later.
            ErrorKind::Locked | ErrorKind::Throttled => {}
            ErrorKind::Ambiguous => {
                let after = read_action_history(client, account, budget, &now.id, None).await?;
                if started_since(&before, &after, execution, now.status) {
                    return Ok(Executed::SettledByHistory);
                }
            }
            ErrorKind::InvalidParameter => {
                return match read_action_status(client, account, budget, &now.id).await? {
                    Some(status) if status != now.status => Err(ActionError::Overtaken {
                        action: inert(now.label()).into_owned(),
                        budget: inert(budget).into_owned(),
                        was: now.status,
                        status,
                    }),
                    _ => Err(e.into()),
                };
            }
            _ => return Err(e.into()),
        }
        match pauses.next() {
            Some(pause) => tokio::time::sleep(pause).await,
            None => return Err(e.into()),
        }
    }
}

/// Follow the action's status until no step is in progress, telling
/// `seen` of each status read; the status it settled in. Gives up after
/// `timeout`, returning the status last read.
pub async fn wait_until_settled(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    id: &str,
    poll: Duration,
    timeout: Duration,
    seen: &(dyn Fn(ActionStatus) + Sync),
) -> Result<ActionStatus, ActionError> {
    let started = tokio::time::Instant::now();
    loop {
        let status = read_action_status(clients.for_account(account), account, budget, id)
            .await?
            .ok_or_else(|| {
                ActionError::Refused(format!(
                    "action {} of budget `{}` was deleted while being followed",
                    inert(id),
                    inert(budget)
                ))
            })?;
        seen(status);
        if !status.in_progress() || started.elapsed() >= timeout {
            return Ok(status);
        }
        tokio::time::sleep(poll).await;
    }
}

/// `BUDGET/ACTION`: an action's name (its `budgetctl:action` tag) or id, in
/// a budget. Split at the last `/`: action names hold none, budget names may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionHandle {
    pub budget: String,
    pub action: String,
}

impl std::str::FromStr for ActionHandle {
    type Err = String;

    fn from_str(handle: &str) -> Result<Self, Self::Err> {
        match handle.rsplit_once('/') {
            Some((budget, action)) if !budget.is_empty() && !action.is_empty() => {
                Ok(ActionHandle {
                    budget: budget.to_owned(),
                    action: action.to_owned(),
                })
            }
            _ => Err(format!(
                "`{}` does not name an action: write BUDGET/ACTION, e.g. sandbox-monthly/freeze-sandbox",
                inert(handle)
            )),
        }
    }
}

/// The account of `budget`: `account` when given, else the one account
/// the files declare it in.
pub fn account_of(
    budget: &str,
    account: Option<&AccountId>,
    config: &Config,
) -> Result<AccountId, ActionError> {
    if let Some(account) = account {
        return Ok(account.clone());
    }
    let declared: std::collections::BTreeSet<&AccountId> = config
        .budgets
        .iter()
        .filter(|b| b.budget.name == budget)
        .map(|b| &b.account)
        .collect();
    let mut declared = declared.into_iter();
    match (declared.next(), declared.len()) {
        (Some(one), 0) => Ok(one.clone()),
        (None, _) => Err(ActionError::Undeclared(budget.to_owned())),
        (Some(first), _) => Err(ActionError::DeclaredInMany {
            budget: budget.to_owned(),
            accounts: std::iter::once(first.clone())
                .chain(declared.cloned())
                .collect(),
        }),
    }
}

/// Every budget action of `accounts` (every account the files name when
/// none are given), in `status` when given: pending ones first, then by
/// account, budget and name.
pub async fn list(
    clients: &Clients,
    config: &Config,
    accounts: &[AccountId],
    status: Option<ActionStatus>,
) -> Result<Vec<AccountAction>, ActionError> {
    let accounts: Vec<AccountId> = if accounts.is_empty() {
        config.accounts().into_iter().collect()
    } else {
        accounts.to_vec()
    };
    if accounts.is_empty() {
        return Err(ActionError::NoAccount);
    }
    let mut all = Vec::new();
    for account in &accounts {
        let found = read_account_actions(clients.for_account(account), account)
            .await
            .map_err(|error| ActionError::ReadAccount {
                error,
                role: config.accounts.get(account).and_then(|s| s.role.clone()),
            })?;
        all.extend(found);
    }
    if let Some(status) = status {
        all.retain(|a| a.action.status == status);
    }
    // Pending first: they wait for someone.
    all.sort_by(|a, b| {
        let pending = |x: &AccountAction| x.action.status != ActionStatus::Pending;
        (pending(a), &a.account, &a.budget, a.action.label()).cmp(&(
            pending(b),
            &b.account,
            &b.budget,
            b.action.label(),
        ))
    });
    Ok(all)
}

/// The history of the action `handle` names in `account`: each status it
/// went through, oldest first, from `since` (seconds since the epoch).
pub async fn history(
    clients: &Clients,
    account: &AccountId,
    handle: &ActionHandle,
    since: Option<i64>,
) -> Result<Vec<HistoryEvent>, ActionError> {
    let action = find_action(clients, account, &handle.budget, &handle.action).await?;
    let client = clients.for_account(account);
    Ok(read_action_history(client, account, &handle.budget, &action.id, since).await?)
}
