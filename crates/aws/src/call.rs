//! The Budgets write calls, one function each, every request built here and
//! every failure classified by [`crate::error`]. A budget is created in one
//! call, with its notifications, subscribers and tags, so it never exists
//! half-made (ARCHITECTURE.md, reconciler rule 6).

use std::collections::BTreeMap;

use aws_sdk_budgets::Client;
use budgetctl_model::{
    ACTION_TAG, AccountId, Budget, BudgetAction, ExecutionType, NotificationKey, Subscriber,
};

use crate::convert;
use crate::error::AwsError;
use crate::read::{action_arn, budget_arn};

/// One budget of one account, through the client that reaches the account.
#[derive(Debug, Clone, Copy)]
pub struct BudgetAt<'a> {
    pub client: &'a Client,
    pub account: &'a AccountId,
    pub name: &'a str,
}

impl BudgetAt<'_> {
    fn arn(&self) -> String {
        budget_arn(self.client, self.account, self.name)
    }

    fn error<E>(
        &self,
        operation: &'static str,
    ) -> impl FnOnce(
        aws_sdk_budgets::error::SdkError<E, aws_sdk_budgets::config::http::HttpResponse>,
    ) -> AwsError
    where
        E: aws_sdk_budgets::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let account = self.account;
        move |e| AwsError::from_sdk(account, operation, e)
    }

    /// UpdateBudget with `budget` as the NewBudget.
    pub async fn update(&self, budget: &Budget) -> Result<(), AwsError> {
        self.client
            .update_budget()
            .account_id(self.account.as_str())
            .new_budget(convert::budget_to_sdk(budget))
            .send()
            .await
            .map_err(self.error("UpdateBudget"))?;
        Ok(())
    }

    pub async fn delete(&self) -> Result<(), AwsError> {
        self.client
            .delete_budget()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .send()
            .await
            .map_err(self.error("DeleteBudget"))?;
        Ok(())
    }

    pub async fn create_notification(
        &self,
        notification: &NotificationKey,
        subscribers: &[Subscriber],
    ) -> Result<(), AwsError> {
        self.client
            .create_notification()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .notification(convert::notification_to_sdk(notification))
            .set_subscribers(Some(convert::subscribers_to_sdk(subscribers)))
            .send()
            .await
            .map_err(self.error("CreateNotification"))?;
        Ok(())
    }

    pub async fn update_notification(
        &self,
        from: &NotificationKey,
        to: &NotificationKey,
    ) -> Result<(), AwsError> {
        self.client
            .update_notification()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .old_notification(convert::notification_to_sdk(from))
            .new_notification(convert::notification_to_sdk(to))
            .send()
            .await
            .map_err(self.error("UpdateNotification"))?;
        Ok(())
    }

    pub async fn delete_notification(
        &self,
        notification: &NotificationKey,
    ) -> Result<(), AwsError> {
        self.client
            .delete_notification()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .notification(convert::notification_to_sdk(notification))
            .send()
            .await
            .map_err(self.error("DeleteNotification"))?;
        Ok(())
    }

    pub async fn create_subscriber(
        &self,
        notification: &NotificationKey,
        subscriber: &Subscriber,
    ) -> Result<(), AwsError> {
        self.client
            .create_subscriber()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .notification(convert::notification_to_sdk(notification))
            .subscriber(convert::subscriber_to_sdk(subscriber))
            .send()
            .await
            .map_err(self.error("CreateSubscriber"))?;
        Ok(())
    }

    pub async fn update_subscriber(
        &self,
        notification: &NotificationKey,
        from: &Subscriber,
        to: &Subscriber,
    ) -> Result<(), AwsError> {
        self.client
            .update_subscriber()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .notification(convert::notification_to_sdk(notification))
            .old_subscriber(convert::subscriber_to_sdk(from))
            .new_subscriber(convert::subscriber_to_sdk(to))
            .send()
            .await
            .map_err(self.error("UpdateSubscriber"))?;
        Ok(())
    }

    pub async fn delete_subscriber(
        &self,
        notification: &NotificationKey,
        subscriber: &Subscriber,
    ) -> Result<(), AwsError> {
        self.client
            .delete_subscriber()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .notification(convert::notification_to_sdk(notification))
            .subscriber(convert::subscriber_to_sdk(subscriber))
            .send()
            .await
            .map_err(self.error("DeleteSubscriber"))?;
        Ok(())
    }

    /// TagResource: set these tags, leaving the others.
    pub async fn tag(&self, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
        self.client
            .tag_resource()
            .resource_arn(self.arn())
            .set_resource_tags(Some(convert::tags_to_sdk(tags)))
            .send()
            .await
            .map_err(self.error("TagResource"))?;
        Ok(())
    }

    /// UntagResource: remove these tag keys.
    pub async fn untag(&self, keys: Vec<String>) -> Result<(), AwsError> {
        self.client
            .untag_resource()
            .resource_arn(self.arn())
            .set_resource_tag_keys(Some(keys))
            .send()
            .await
            .map_err(self.error("UntagResource"))?;
        Ok(())
    }
}

/// The tag that names a budget action: `budgetctl:action` = `name`.
fn name_tag(name: &str) -> Vec<aws_sdk_budgets::types::ResourceTag> {
    convert::tags_to_sdk(&BTreeMap::from([(ACTION_TAG.to_owned(), name.to_owned())]))
}

/// Which parts of a budget action UpdateBudgetAction sends: only those
/// that changed, the others keep AWS's values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionUpdate {
    pub when: bool,
    pub definition: bool,
    pub approval: bool,
    pub execution_role: bool,
    pub subscribers: bool,
}

impl BudgetAt<'_> {
    /// CreateBudgetAction, tagged `budgetctl:action` = its name; the new
    /// action's id.
    pub async fn create_action(&self, action: &BudgetAction) -> Result<String, AwsError> {
        let created = self
            .client
            .create_budget_action()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .notification_type(action.notification_type.aws_name().into())
            .action_type(convert::action_type_to_sdk(&action.definition))
            .action_threshold(convert::action_threshold_to_sdk(action))
            .definition(convert::action_definition_to_sdk(&action.definition))
            .execution_role_arn(&action.execution_role)
            .approval_model(action.approval.aws_name().into())
            .set_subscribers(Some(convert::subscribers_to_sdk(&action.subscribers)))
            .set_resource_tags(Some(name_tag(&action.name)))
            // Never repeated by the SDK: a repeat after a lost answer would
            // make a second action (there is no idempotency token). The
            // caller settles a lost answer by reading back, and retries a
            // throttled call itself.
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(self.error("CreateBudgetAction"))?;
        Ok(created.action_id)
    }

    /// UpdateBudgetAction with the parts `send` names, in one call.
    pub async fn update_action(
        &self,
        id: &str,
        action: &BudgetAction,
        send: ActionUpdate,
    ) -> Result<(), AwsError> {
        let mut request = self
            .client
            .update_budget_action()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .action_id(id);
        if send.when {
            request = request
                .notification_type(action.notification_type.aws_name().into())
                .action_threshold(convert::action_threshold_to_sdk(action));
        }
        if send.definition {
            request = request.definition(convert::action_definition_to_sdk(&action.definition));
        }
        if send.approval {
            request = request.approval_model(action.approval.aws_name().into());
        }
        if send.execution_role {
            request = request.execution_role_arn(&action.execution_role);
        }
        if send.subscribers {
            request =
                request.set_subscribers(Some(convert::subscribers_to_sdk(&action.subscribers)));
        }
        request
            .send()
            .await
            .map_err(self.error("UpdateBudgetAction"))?;
        Ok(())
    }

    pub async fn delete_action(&self, id: &str) -> Result<(), AwsError> {
        self.client
            .delete_budget_action()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .action_id(id)
            .send()
            .await
            .map_err(self.error("DeleteBudgetAction"))?;
        Ok(())
    }

    /// TagResource on the action: `budgetctl:action` = `name`.
    pub async fn tag_action(&self, id: &str, name: &str) -> Result<(), AwsError> {
        self.client
            .tag_resource()
            .resource_arn(action_arn(self.client, self.account, self.name, id))
            .set_resource_tags(Some(name_tag(name)))
            .send()
            .await
            .map_err(self.error("TagResource"))?;
        Ok(())
    }

    /// ExecuteBudgetAction, sent once. Never repeated by the SDK: a repeat
    /// after a lost answer, or after an execution that already failed again,
    /// runs the action a second time (there is no idempotency token). The
    /// caller settles a lost answer by reading the action's history, and
    /// retries a call AWS refused without acting (locked, throttled) itself.
    pub async fn execute_action(&self, id: &str, execution: ExecutionType) -> Result<(), AwsError> {
        self.client
            .execute_budget_action()
            .account_id(self.account.as_str())
            .budget_name(self.name)
            .action_id(id)
            .execution_type(execution.aws_name().into())
            .customize()
            .config_override(once())
            .send()
            .await
            .map_err(self.error("ExecuteBudgetAction"))?;
        Ok(())
    }
}

/// The configuration of a write that must reach AWS at most once per call:
/// no SDK retry.
fn once() -> aws_sdk_budgets::config::Builder {
    aws_sdk_budgets::config::Builder::default()
        .retry_config(aws_sdk_budgets::config::retry::RetryConfig::disabled())
}

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
