//! Operating budget actions (`budgetctl action`): find an action by its
//! `budgetctl:action` name or its id, check that an execution is possible
//! from its status before any write, run ExecuteBudgetAction (retrying
//! while the action is locked), and follow its status until it settles.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use budgetctl_aws::{
    AwsError, BudgetAt, Clients, ErrorKind, ReadError, read_action_status, read_budget_actions,
};
use budgetctl_diff::LiveAction;
use budgetctl_spec::{AccountId, ActionStatus, ExecutionType};

/// Why an action could not be operated.
#[derive(Debug, thiserror::Error)]
pub enum OperateError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// No such action, or an execution its status does not allow: refused
    /// before any write.
    #[error("{0}")]
    Refused(String),
}

/// The action `handle` names in a budget: its `budgetctl:action` name, or
/// its ActionId.
pub async fn find_action(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    handle: &str,
) -> Result<LiveAction, OperateError> {
    let actions = read_budget_actions(clients.for_account(account), account, budget).await?;
    if let Some(a) = actions
        .iter()
        .find(|a| a.name.as_deref() == Some(handle))
        .or_else(|| actions.iter().find(|a| a.id == handle))
    {
        return Ok(a.clone());
    }
    let known: Vec<&str> = actions.iter().map(LiveAction::label).collect();
    Err(OperateError::Refused(if known.is_empty() {
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
) -> Result<(), OperateError> {
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
    Err(OperateError::Refused(format!(
        "cannot {execution} action `{}` of budget `{budget}`: it is {}{now}, and {execution} is possible only from {}",
        action.label(),
        action.status.aws_name(),
        from.join(" or ")
    )))
}

/// ExecuteBudgetAction, retried while AWS reports the action locked (a
/// step in progress) or keeps throttling; the SDK retries the rest. A call
/// whose answer was lost may have gone through, and the SDK's repeat of it
/// is then refused (the status moved on): settled by reading the status
/// back, done when it moved the way this execution moves it.
pub async fn execute(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    action: &LiveAction,
    execution: ExecutionType,
) -> Result<(), OperateError> {
    let client = clients.for_account(account);
    let at = BudgetAt {
        client,
        account,
        name: budget,
    };
    let result = (|| at.execute_action(&action.id, execution))
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(250))
                .with_max_delay(Duration::from_secs(5))
                .with_max_times(8)
                .with_jitter(),
        )
        .when(|e: &AwsError| matches!(e.kind, ErrorKind::Locked | ErrorKind::Throttled))
        .await;
    match result {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.kind, ErrorKind::InvalidParameter | ErrorKind::Ambiguous) => {
            let now = read_action_status(client, account, budget, &action.id).await?;
            match now {
                Some(now) if moved_by(execution, action.status, now) => Ok(()),
                _ => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the action's status went from `from` to `now` the way
/// `execution` takes it: through its in-progress step to an outcome.
fn moved_by(execution: ExecutionType, from: ActionStatus, now: ActionStatus) -> bool {
    use ActionStatus::*;
    let executing = matches!(
        now,
        ExecutionInProgress | ExecutionSuccess | ExecutionFailure
    );
    let reversing = matches!(now, ReverseInProgress | ReverseSuccess | ReverseFailure);
    let resetting = matches!(now, ResetInProgress | Standby | ResetFailure);
    now != from
        && match (execution, from) {
            (ExecutionType::Approve, _) | (ExecutionType::Retry, ExecutionFailure) => executing,
            (ExecutionType::Reverse, _) | (ExecutionType::Retry, ReverseFailure) => reversing,
            (ExecutionType::Reset, _) | (ExecutionType::Retry, _) => resetting,
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
) -> Result<ActionStatus, OperateError> {
    let started = tokio::time::Instant::now();
    loop {
        let status = read_action_status(clients.for_account(account), account, budget, id)
            .await?
            .ok_or_else(|| {
                OperateError::Refused(format!(
                    "action {id} of budget `{budget}` was deleted while being followed"
                ))
            })?;
        seen(status);
        if !status.in_progress() || started.elapsed() >= timeout {
            return Ok(status);
        }
        tokio::time::sleep(poll).await;
    }
}
