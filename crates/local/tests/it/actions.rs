//! Budget actions and performance history through the real SDK.

use crate::common;

use aws_sdk_budgets::types::{
    ActionStatus, ActionThreshold, ActionType, ApprovalModel, Definition, ExecutionType,
    IamActionDefinition, NotificationType, ThresholdType, TimePeriod,
};
use aws_smithy_types::DateTime;
use common::*;

const ROLE: &str = "arn:aws:iam::111122223333:role/budget-actions";
const POLICY: &str = "arn:aws:iam::aws:policy/AWSDenyAll";

/// CreateBudgetAction of an IAM action on `budget` (which it creates),
/// ready to send or to add to.
async fn action_request(
    c: &aws_sdk_budgets::Client,
    budget: &str,
    approval: ApprovalModel,
) -> aws_sdk_budgets::operation::create_budget_action::builders::CreateBudgetActionFluentBuilder {
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget(budget, "100"))
        .send()
        .await
        .unwrap();
    c.create_budget_action()
        .account_id(ACCOUNT)
        .budget_name(budget)
        .notification_type(NotificationType::Actual)
        .action_type(ActionType::Iam)
        .action_threshold(
            ActionThreshold::builder()
                .action_threshold_value(90.0)
                .action_threshold_type(ThresholdType::Percentage)
                .build()
                .unwrap(),
        )
        .definition(
            Definition::builder()
                .iam_action_definition(
                    IamActionDefinition::builder()
                        .policy_arn(POLICY)
                        .roles("developers")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .execution_role_arn(ROLE)
        .approval_model(approval)
        .subscribers(email("finops@example.com"))
}

async fn action(c: &aws_sdk_budgets::Client, budget: &str, approval: ApprovalModel) -> String {
    action_request(c, budget, approval)
        .await
        .send()
        .await
        .unwrap()
        .action_id
}

async fn status(c: &aws_sdk_budgets::Client, budget: &str, id: &str) -> ActionStatus {
    c.describe_budget_action()
        .account_id(ACCOUNT)
        .budget_name(budget)
        .action_id(id)
        .send()
        .await
        .unwrap()
        .action
        .unwrap()
        .status
}

fn spend_over(server: &budgetctl_local::LocalServer, budget: &str, amount: &str) {
    seed_spend(server, budget, Some(amount), None);
}

async fn execute(c: &aws_sdk_budgets::Client, budget: &str, id: &str, t: ExecutionType) -> String {
    code(
        c.execute_budget_action()
            .account_id(ACCOUNT)
            .budget_name(budget)
            .action_id(id)
            .execution_type(t)
            .send()
            .await,
    )
}

#[tokio::test]
async fn a_manual_action_waits_for_approval_then_reverses_and_resets() {
    let server = server().await;
    let c = client(&server);
    let id = action(&c, "b", ApprovalModel::Manual).await;
    assert_eq!(status(&c, "b", &id).await, ActionStatus::Standby);
    // Approving in STANDBY is not legal.
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ApproveBudgetAction).await,
        "InvalidParameterException"
    );

    spend_over(&server, "b", "95");
    assert_eq!(status(&c, "b", &id).await, ActionStatus::Pending);
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ReverseBudgetAction).await,
        "InvalidParameterException"
    );
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ApproveBudgetAction).await,
        "no error"
    );
    assert_eq!(status(&c, "b", &id).await, ActionStatus::ExecutionSuccess);
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::RetryBudgetAction).await,
        "InvalidParameterException"
    );
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ReverseBudgetAction).await,
        "no error"
    );
    assert_eq!(status(&c, "b", &id).await, ActionStatus::ReverseSuccess);
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ResetBudgetAction).await,
        "no error"
    );
    assert_eq!(status(&c, "b", &id).await, ActionStatus::Standby);

    let history = c
        .describe_budget_action_histories()
        .account_id(ACCOUNT)
        .budget_name("b")
        .action_id(&id)
        .send()
        .await
        .unwrap();
    let statuses: Vec<&str> = history
        .action_histories()
        .iter()
        .map(|h| h.status().as_str())
        .collect();
    assert_eq!(
        statuses,
        [
            "STANDBY",
            "PENDING",
            "EXECUTION_IN_PROGRESS",
            "EXECUTION_SUCCESS",
            "REVERSE_IN_PROGRESS",
            "REVERSE_SUCCESS",
            "RESET_IN_PROGRESS",
            "STANDBY"
        ]
    );
    let past = c
        .describe_budget_action_histories()
        .account_id(ACCOUNT)
        .budget_name("b")
        .action_id(&id)
        .time_period(
            TimePeriod::builder()
                .start(DateTime::from_secs(0))
                .end(DateTime::from_secs(1))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(past.action_histories().is_empty());
}

#[tokio::test]
async fn an_automatic_action_runs_when_spend_crosses_its_threshold() {
    let server = server().await;
    let c = client(&server);
    let id = action(&c, "b", ApprovalModel::Auto).await;
    spend_over(&server, "b", "50");
    assert_eq!(
        status(&c, "b", &id).await,
        ActionStatus::Standby,
        "50 is below 90%"
    );
    spend_over(&server, "b", "91");
    assert_eq!(status(&c, "b", &id).await, ActionStatus::ExecutionSuccess);
}

#[tokio::test]
async fn actions_are_listed_updated_and_deleted() {
    let server = server().await;
    let c = client(&server);
    let first = action(&c, "a", ApprovalModel::Manual).await;
    let second = action(&c, "b", ApprovalModel::Auto).await;
    let for_account = c
        .describe_budget_actions_for_account()
        .account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    assert_eq!(for_account.actions().len(), 2);
    let for_budget = c
        .describe_budget_actions_for_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap();
    assert_eq!(for_budget.actions()[0].action_id(), second);

    let updated = c
        .update_budget_action()
        .account_id(ACCOUNT)
        .budget_name("a")
        .action_id(&first)
        .approval_model(ApprovalModel::Auto)
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.old_action().unwrap().approval_model(),
        &ApprovalModel::Manual
    );
    assert_eq!(
        updated.new_action().unwrap().approval_model(),
        &ApprovalModel::Auto
    );

    let deleted = c
        .delete_budget_action()
        .account_id(ACCOUNT)
        .budget_name("a")
        .action_id(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.action().unwrap().action_id(), first);
    let gone = c
        .describe_budget_action()
        .account_id(ACCOUNT)
        .budget_name("a")
        .action_id(&first)
        .send()
        .await;
    assert_eq!(code(gone), "NotFoundException");
    let no_budget = c
        .describe_budget_actions_for_budget()
        .account_id(ACCOUNT)
        .budget_name("none")
        .send()
        .await;
    assert_eq!(code(no_budget), "NotFoundException");
}

#[tokio::test]
async fn an_action_needs_the_definition_of_its_type() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("b", "100"))
        .send()
        .await
        .unwrap();
    let wrong = c
        .create_budget_action()
        .account_id(ACCOUNT)
        .budget_name("b")
        .notification_type(NotificationType::Actual)
        .action_type(ActionType::Scp)
        .action_threshold(
            ActionThreshold::builder()
                .action_threshold_value(90.0)
                .action_threshold_type(ThresholdType::Percentage)
                .build()
                .unwrap(),
        )
        .definition(
            Definition::builder()
                .iam_action_definition(
                    IamActionDefinition::builder()
                        .policy_arn(POLICY)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .execution_role_arn(ROLE)
        .approval_model(ApprovalModel::Manual)
        .subscribers(email("finops@example.com"))
        .send()
        .await;
    assert_eq!(code(wrong), "InvalidParameterException");
}

#[tokio::test]
async fn performance_history_comes_from_seeded_spend() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("b", "100"))
        .send()
        .await
        .unwrap();
    seed_history(
        &server,
        "b",
        &[
            ("2026-09-01", "2026-10-01", "100", "80"),
            ("2026-10-01", "2026-11-01", "100", "120.5"),
        ],
    );
    let history = c
        .describe_budget_performance_history()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap()
        .budget_performance_history
        .unwrap();
    let amounts: Vec<(&str, &str)> = history
        .budgeted_and_actual_amounts_list()
        .iter()
        .map(|p| {
            (
                p.budgeted_amount().unwrap().amount(),
                p.actual_amount().unwrap().amount(),
            )
        })
        .collect();
    assert_eq!(amounts, [("100.0", "80.0"), ("100.0", "120.5")]);
    assert_eq!(history.budget_name(), Some("b"));
}

#[tokio::test]
async fn an_action_in_progress_is_locked_until_it_finishes() {
    let server = server().await;
    let c = client(&server);
    let id = action(&c, "b", ApprovalModel::Manual).await;
    spend_over(&server, "b", "95");
    server.service().set_faults(budgetctl_local::Faults {
        action_ms: 3_000,
        ..Default::default()
    });
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ApproveBudgetAction).await,
        "no error"
    );
    assert_eq!(
        status(&c, "b", &id).await,
        ActionStatus::ExecutionInProgress
    );
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ResetBudgetAction).await,
        "ResourceLockedException"
    );
    let update = c
        .update_budget_action()
        .account_id(ACCOUNT)
        .budget_name("b")
        .action_id(&id)
        .approval_model(ApprovalModel::Auto)
        .send()
        .await;
    assert_eq!(code(update), "ResourceLockedException");
    let delete = c
        .delete_budget_action()
        .account_id(ACCOUNT)
        .budget_name("b")
        .action_id(&id)
        .send()
        .await;
    assert_eq!(code(delete), "ResourceLockedException");

    // The window is wide so that a loaded machine still makes the calls
    // above inside it; past it, the execution has finished.
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    assert_eq!(status(&c, "b", &id).await, ActionStatus::ExecutionSuccess);
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ReverseBudgetAction).await,
        "no error"
    );
}

fn move_to(
    server: &budgetctl_local::LocalServer,
    budget: &str,
    id: &str,
    to: &str,
    through_ms: Option<u64>,
) {
    server
        .service()
        .set_action_status(&budgetctl_local::ActionStatusRequest {
            account_id: ACCOUNT.into(),
            budget_name: budget.into(),
            action: id.into(),
            status: to.into(),
            through_ms,
        })
        .unwrap();
}

#[tokio::test]
async fn an_action_keeps_its_resource_tags_on_its_own_arn() {
    let server = server().await;
    let c = client(&server);
    let id = action_request(&c, "b", ApprovalModel::Manual)
        .await
        .resource_tags(
            aws_sdk_budgets::types::ResourceTag::builder()
                .key("budgetctl:action")
                .value("freeze")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .action_id;
    let arn = format!("arn:aws:budgets::{ACCOUNT}:budget/b/action/{id}");
    let tags = |c: aws_sdk_budgets::Client, arn: String| async move {
        let listed = c
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap();
        listed
            .resource_tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        tags(c.clone(), arn.clone()).await,
        [("budgetctl:action".to_owned(), "freeze".to_owned())]
    );
    c.tag_resource()
        .resource_arn(&arn)
        .resource_tags(
            aws_sdk_budgets::types::ResourceTag::builder()
                .key("team")
                .value("finops")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.untag_resource()
        .resource_arn(&arn)
        .resource_tag_keys("budgetctl:action")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags(c.clone(), arn.clone()).await,
        [("team".to_owned(), "finops".to_owned())]
    );
    // The budget's own tags are another resource's.
    assert!(
        tags(c.clone(), format!("arn:aws:budgets::{ACCOUNT}:budget/b"))
            .await
            .is_empty()
    );
    let unknown = c
        .list_tags_for_resource()
        .resource_arn(format!(
            "arn:aws:budgets::{ACCOUNT}:budget/b/action/00000000-0000-0000-0000-000000000000"
        ))
        .send()
        .await;
    assert_eq!(code(unknown), "NotFoundException");
}

#[tokio::test]
async fn failures_are_reached_through_the_local_control_and_retried() {
    let server = server().await;
    let c = client(&server);
    let id = action(&c, "b", ApprovalModel::Manual).await;
    for (failure, after_retry) in [
        ("EXECUTION_FAILURE", ActionStatus::ExecutionSuccess),
        ("REVERSE_FAILURE", ActionStatus::ReverseSuccess),
        ("RESET_FAILURE", ActionStatus::Standby),
    ] {
        move_to(&server, "b", &id, failure, None);
        assert_eq!(status(&c, "b", &id).await.as_str(), failure);
        assert_eq!(
            execute(&c, "b", &id, ExecutionType::RetryBudgetAction).await,
            "no error",
            "{failure}"
        );
        assert_eq!(status(&c, "b", &id).await, after_retry, "{failure}");
    }
    // Through its in-progress step, locked until it settles.
    move_to(&server, "b", &id, "PENDING", None);
    move_to(&server, "b", &id, "EXECUTION_SUCCESS", Some(60_000));
    assert_eq!(
        status(&c, "b", &id).await,
        ActionStatus::ExecutionInProgress
    );
    assert_eq!(
        execute(&c, "b", &id, ExecutionType::ReverseBudgetAction).await,
        "ResourceLockedException"
    );
}

/// The lifecycle, pair by pair: which execution types each status takes.
#[tokio::test]
async fn every_status_takes_exactly_the_executions_its_lifecycle_allows() {
    let server = server().await;
    let c = client(&server);
    let id = action(&c, "b", ApprovalModel::Manual).await;
    let allowed = [
        ("PENDING", "APPROVE_BUDGET_ACTION"),
        ("EXECUTION_FAILURE", "RETRY_BUDGET_ACTION"),
        ("REVERSE_FAILURE", "RETRY_BUDGET_ACTION"),
        ("RESET_FAILURE", "RETRY_BUDGET_ACTION"),
        ("EXECUTION_SUCCESS", "REVERSE_BUDGET_ACTION"),
        ("REVERSE_SUCCESS", "RESET_BUDGET_ACTION"),
    ];
    for from in [
        "STANDBY",
        "PENDING",
        "EXECUTION_SUCCESS",
        "EXECUTION_FAILURE",
        "REVERSE_SUCCESS",
        "REVERSE_FAILURE",
        "RESET_FAILURE",
    ] {
        for execution in ExecutionType::values() {
            move_to(&server, "b", &id, from, None);
            let got = execute(&c, "b", &id, ExecutionType::from(*execution)).await;
            let want = if allowed.contains(&(from, execution)) {
                "no error"
            } else {
                "InvalidParameterException"
            };
            assert_eq!(got, want, "{execution} from {from}");
        }
    }
}

#[tokio::test]
async fn deleting_an_action_ends_its_history_with_delete_action() {
    let server = server().await;
    let c = client(&server);
    let id = action(&c, "b", ApprovalModel::Manual).await;
    c.delete_budget_action()
        .account_id(ACCOUNT)
        .budget_name("b")
        .action_id(&id)
        .send()
        .await
        .unwrap();
    let history = c
        .describe_budget_action_histories()
        .account_id(ACCOUNT)
        .budget_name("b")
        .action_id(&id)
        .send()
        .await
        .unwrap();
    let events: Vec<&str> = history
        .action_histories()
        .iter()
        .map(|h| h.event_type().as_str())
        .collect();
    assert_eq!(events, ["CREATE_ACTION", "DELETE_ACTION"]);
}

#[tokio::test]
async fn an_execution_role_outside_the_models_pattern_is_refused() {
    let server = server().await;
    let c = client(&server);
    let id = action(&c, "b", ApprovalModel::Manual).await;
    let update = c
        .update_budget_action()
        .account_id(ACCOUNT)
        .budget_name("b")
        .action_id(&id)
        .execution_role_arn("arn:aws:iam::aws:role/not-an-account-role")
        .send()
        .await;
    assert_eq!(code(update), "InvalidParameterException");
}
