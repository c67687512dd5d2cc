//! budgetctl-local: an AWS Budgets endpoint that runs on your machine.
//!
//! It will speak the Budgets JSON-1.1 protocol (`X-Amz-Target:
//! AWSBudgetServiceGateway.<Operation>`) so the unmodified `aws-sdk-budgets`
//! client, the AWS CLI and Terraform can talk to it, keep AWS's validation and
//! quirks, persist to a JSON file, and offer test controls (seeded spend,
//! request counters, fault injection) under `/_local/`. Every test of plan and
//! apply runs against it. It depends on nothing else in the workspace and is
//! built by the budgetctl-local issue; for now it names the protocol it speaks.
//!
//! ```
//! assert_eq!(budgetctl_local::TARGET_PREFIX, "AWSBudgetServiceGateway.");
//! ```

/// The `X-Amz-Target` prefix of every Budgets operation.
pub const TARGET_PREFIX: &str = "AWSBudgetServiceGateway.";
