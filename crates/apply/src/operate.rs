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
/// step in progress) or keeps throttling; the SDK retries the rest.
pub async fn execute(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    action: &LiveAction,
    execution: ExecutionType,
) -> Result<(), OperateError> {
    let at = BudgetAt {
        client: clients.for_account(account),
        account,
        name: budget,
    };
    (|| at.execute_action(&action.id, execution))
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(250))
                .with_max_delay(Duration::from_secs(5))
                .with_max_times(8)
                .with_jitter(),
        )
        .when(|e: &AwsError| matches!(e.kind, ErrorKind::Locked | ErrorKind::Throttled))
        .await?;
    Ok(())
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
