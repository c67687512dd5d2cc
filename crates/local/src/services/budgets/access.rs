//! Fault injection and AccessDeniedException for denied accounts.

use super::*;

impl Service {
    pub fn set_faults(&self, faults: Faults) {
        let mut state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        state.rng = StdRng::seed_from_u64(faults.seed);
        state.faults = faults;
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .faults
            .clone()
    }

    /// Draw the fault (if any) for the next request, and the latency to add.
    pub fn draw_fault(&self, operation: &str) -> (Fault, u64) {
        let mut state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let FaultState { faults, rng } = &mut *state;
        if !faults.operations.is_empty() && !faults.operations.iter().any(|o| o == operation) {
            return (Fault::None, faults.latency_ms);
        }
        let roll: f64 = rng.random();
        let fault = if roll < faults.throttle {
            Fault::Throttle
        } else if roll < faults.throttle + faults.error {
            Fault::InternalError
        } else if roll < faults.throttle + faults.error + faults.lost {
            Fault::Lost
        } else {
            Fault::None
        };
        (fault, faults.latency_ms)
    }

    /// AccessDeniedException for the accounts the faults deny, naming the
    /// IAM action that would be needed, as AWS does.
    pub(super) fn check_access(&self, operation: &str, input: &Value) -> Result<()> {
        let account = account_of(input, &self.partition);
        let resource = format!("arn:{}:budgets::{account}:budget/*", self.partition);
        self.deny(operation, iam_action(operation), &account, &resource)
    }

    /// The same for a Service Catalog call made in `account` and `region`.
    pub(crate) fn check_catalog_access(
        &self,
        operation: &str,
        account: &str,
        region: &str,
    ) -> Result<()> {
        let action = format!("servicecatalog:{operation}");
        let resource = format!("arn:{}:servicecatalog:{region}:{account}:*", self.partition);
        self.deny(operation, &action, account, &resource)
    }

    fn deny(&self, operation: &str, action: &str, account: &str, resource: &str) -> Result<()> {
        let state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let (denied, only) = (&state.faults.deny_accounts, &state.faults.operations);
        if denied.is_empty() || (!only.is_empty() && !only.iter().any(|o| o == operation)) {
            return Ok(());
        }
        if !denied.iter().any(|d| d == account) {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorKind::AccessDenied,
            format!(
                "User: arn:{p}:iam::{account}:user/budgetctl-local is not authorized to perform: {action} on resource: {resource}",
                p = self.partition
            ),
        ))
    }
}

pub(super) fn iam_action(operation: &str) -> &'static str {
    match operation {
        "TagResource" => "budgets:TagResource",
        "UntagResource" => "budgets:UntagResource",
        "ListTagsForResource" => "budgets:ListTagsForResource",
        "CreateBudgetAction" => "budgets:CreateBudgetAction",
        "UpdateBudgetAction" => "budgets:UpdateBudgetAction",
        "DeleteBudgetAction" => "budgets:DeleteBudgetAction",
        "ExecuteBudgetAction" => "budgets:ExecuteBudgetAction",
        "DescribeBudgetAction" => "budgets:DescribeBudgetAction",
        "DescribeBudgetActionHistories" => "budgets:DescribeBudgetActionHistories",
        "DescribeBudgetActionsForAccount" => "budgets:DescribeBudgetActionsForAccount",
        "DescribeBudgetActionsForBudget" => "budgets:DescribeBudgetActionsForBudget",
        op if op.starts_with("Describe") => "budgets:ViewBudget",
        _ => "budgets:ModifyBudget",
    }
}
