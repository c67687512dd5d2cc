//! Writing budgets. A budget is created in one call, with its notifications,
//! subscribers and tags, so it never exists half-made (ARCHITECTURE.md, reconciler rule 6).

use aws_sdk_budgets::Client;
use budgetctl_spec::{AccountId, Budget};

use crate::convert;
use crate::read::AwsError;

/// CreateBudget with NotificationsWithSubscribers and ResourceTags.
pub async fn create_budget(
    client: &Client,
    account: &AccountId,
    budget: &Budget,
) -> Result<(), AwsError> {
    client
        .create_budget()
        .account_id(account.as_str())
        .budget(convert::budget_to_sdk(budget))
        .set_notifications_with_subscribers(Some(convert::notifications_to_sdk(
            &budget.notifications,
        )))
        .set_resource_tags(budget.tags.as_ref().map(convert::tags_to_sdk))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(account, "CreateBudget", e))?;
    Ok(())
}
