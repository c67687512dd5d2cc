//! What to do about an error, chosen by its kind (`ErrorKind`), never by
//! its message text: reads (plan, import, the staleness check) and writes.

use budgetctl_engine::error::{AwsError, ErrorKind, ReadError};

/// A read error with what to do about it; `role` is the account's role.
pub fn explain_read(e: &ReadError, role: Option<&str>) -> String {
    match (e, role) {
        (ReadError::Aws(aws), Some(role))
            if matches!(aws.kind, ErrorKind::Credentials | ErrorKind::Unreachable) =>
        {
            format!(
                "{}\n  account {} is read through the role {role} (sts:AssumeRole, through the same endpoint)",
                explain(aws),
                aws.account
            )
        }
        (ReadError::Aws(aws), _) => explain(aws),
        (ReadError::Convert(c), _) => c.to_string(),
    }
}

/// The IAM permission a budget action or Service Catalog operation needs,
/// for the hint of an access denied; `None` for the budget reads, whose
/// hint is plan's.
fn action_permission(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "ExecuteBudgetAction" => "budgets:ExecuteBudgetAction",
        "CreateBudgetAction" => {
            "budgets:CreateBudgetAction and iam:PassRole on the action's execution role"
        }
        "UpdateBudgetAction" => {
            "budgets:UpdateBudgetAction and iam:PassRole on the action's execution role"
        }
        "DeleteBudgetAction" => "budgets:DeleteBudgetAction",
        "DescribeBudgetAction" => "budgets:DescribeBudgetAction",
        "DescribeBudgetActionsForAccount" => "budgets:DescribeBudgetActionsForAccount",
        "DescribeBudgetActionsForBudget" => "budgets:DescribeBudgetActionsForBudget",
        "DescribeBudgetActionHistories" => "budgets:DescribeBudgetActionHistories",
        // budgetctl respond's Service Catalog calls.
        "DescribeProvisionedProduct" => "servicecatalog:DescribeProvisionedProduct",
        "ListRecordHistory" => "servicecatalog:ListRecordHistory",
        "ListServiceActionsForProvisioningArtifact" => {
            "servicecatalog:ListServiceActionsForProvisioningArtifact"
        }
        "DescribeServiceAction" => "servicecatalog:DescribeServiceAction",
        "ExecuteProvisionedProductServiceAction" => {
            "servicecatalog:ExecuteProvisionedProductServiceAction"
        }
        "DescribeRecord" => "servicecatalog:DescribeRecord",
        "GetCallerIdentity" => "sts:GetCallerIdentity",
        // Groups from AWS Organizations, read in the management account.
        "ListAccounts" => {
            "organizations:ListAccounts (groups from Organizations are read in the management account, or through `organizations.role`)"
        }
        "ListAccountsForParent" => {
            "organizations:ListAccountsForParent (groups from Organizations are read in the management account, or through `organizations.role`)"
        }
        "ListChildren" => {
            "organizations:ListChildren (groups from Organizations are read in the management account, or through `organizations.role`)"
        }
        _ => return None,
    })
}

/// An AWS error with what to do about it, chosen by its kind.
pub fn explain(aws: &AwsError) -> String {
    // What AWS said, as one line: its message cannot forge the hint's.
    let e = super::escape::escape_text(&aws.to_string()).into_owned();
    let e = &e;
    explained(aws, e)
}

fn explained(aws: &AwsError, e: &str) -> String {
    let account = &aws.account;
    match aws.kind {
        ErrorKind::AccessDenied => match action_permission(aws.operation) {
            Some(permission) => format!(
                "{e}\n  hint: {} needs {permission} in account {account}",
                aws.operation
            ),
            None => format!(
                "{e}\n  hint: plan needs budgets:ViewBudget (and budgets:ListTagsForResource where files manage tags, budgets:DescribeBudgetActionsForAccount for budget actions) in that account"
            ),
        },
        ErrorKind::Throttled => {
            format!("{e}\n  hint: lower --parallelism, or run again later")
        }
        ErrorKind::Unreachable => format!(
            "{e}\n  hint: nothing listens at the endpoint: check --endpoint-url (or AWS_ENDPOINT_URL); for budgetctl-local run `budgetctl local serve`, or use --local"
        ),
        ErrorKind::Credentials => format!(
            "{e}\n  hint: where the account has `role:`, check that the role exists, trusts the credentials budgetctl runs with, and that they may sts:AssumeRole it; otherwise set AWS credentials (environment, --profile, SSO login) or use --local"
        ),
        _ => e.to_owned(),
    }
}

/// What to do about a write that failed this way, chosen by its kind.
pub fn write_hint(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::AccessDenied => Some(
            "apply needs budgets:ModifyBudget (and budgets:TagResource, budgets:UntagResource where files manage tags; budgets:CreateBudgetAction, UpdateBudgetAction, DeleteBudgetAction and iam:PassRole on the execution role where files declare actions) in that account",
        ),
        ErrorKind::Throttled => Some(
            "lower --max-rps or --parallelism, or run apply again later: it carries out what remains",
        ),
        ErrorKind::Credentials => Some(
            "where the account has `role:`, check that the role exists and may be assumed; otherwise set AWS credentials (environment, --profile, SSO login)",
        ),
        _ => None,
    }
}
