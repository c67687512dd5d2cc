//! Reading budget actions for `budgetctl action`: every action of an
//! account with its name, one action as it is now, and an action's history.

use aws_sdk_budgets::Client;
use aws_smithy_types::DateTime;
use budgetctl_model::live::LiveAction;
use budgetctl_model::{AccountId, ActionStatus};

use crate::convert;
use crate::error::{AwsError, ErrorKind};
use crate::read::{ReadError, account_actions, named_action};

/// An action with the budget it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountAction {
    pub account: AccountId,
    pub budget: String,
    pub action: LiveAction,
}

/// Every action of the account (DescribeBudgetActionsForAccount, 100 per
/// page), each with its name tag (one ListTagsForResource each).
pub async fn read_account_actions(
    client: &Client,
    account: &AccountId,
) -> Result<Vec<AccountAction>, ReadError> {
    let found = account_actions(client, account).await?;
    let mut out = Vec::with_capacity(found.len());
    for a in &found {
        out.push(AccountAction {
            account: account.clone(),
            budget: a.budget_name().to_owned(),
            action: named_action(client, account, a).await?,
        });
    }
    Ok(out)
}

/// One action's status now (DescribeBudgetAction); `None` when it is gone.
pub async fn read_action_status(
    client: &Client,
    account: &AccountId,
    budget: &str,
    id: &str,
) -> Result<Option<ActionStatus>, ReadError> {
    let described = client
        .describe_budget_action()
        .account_id(account.as_str())
        .budget_name(budget)
        .action_id(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(account, "DescribeBudgetAction", e));
    let described = match described {
        Ok(d) => d,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match described.action() {
        Some(a) => Ok(Some(convert::action_from_sdk(a)?.0)),
        None => Ok(None),
    }
}

/// One event of an action's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    /// Seconds since the epoch.
    pub at: i64,
    pub status: String,
    pub event: String,
    pub message: String,
}

/// An action's history since `since` (seconds since the epoch), oldest
/// first (DescribeBudgetActionHistories, 100 per page).
pub async fn read_action_history(
    client: &Client,
    account: &AccountId,
    budget: &str,
    id: &str,
    since: Option<i64>,
) -> Result<Vec<HistoryEvent>, ReadError> {
    let mut request = client
        .describe_budget_action_histories()
        .account_id(account.as_str())
        .budget_name(budget)
        .action_id(id)
        .max_results(100);
    if let Some(since) = since {
        request = request.time_period(
            aws_sdk_budgets::types::TimePeriod::builder()
                .start(DateTime::from_secs(since))
                .end(DateTime::from_secs(i64::from(i32::MAX) * 2))
                .build(),
        );
    }
    let mut pages = request.into_paginator().send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::from_sdk(account, "DescribeBudgetActionHistories", e))?;
        for h in page.action_histories {
            out.push(HistoryEvent {
                at: h.timestamp.secs(),
                status: h.status.as_str().to_owned(),
                event: h.event_type.as_str().to_owned(),
                message: h
                    .action_history_details
                    .map(|d| d.message)
                    .unwrap_or_default(),
            });
        }
    }
    out.sort_by_key(|h| h.at);
    Ok(out)
}
