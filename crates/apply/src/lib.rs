//! Talk to AWS Budgets: read live state in bulk and carry out a Plan.
//!
//! This is the only crate that calls AWS (through `aws-sdk-budgets`).
//! [`client`] builds a client from the standard credential chain signed for
//! us-east-1 with adaptive retries; [`read_account`] reads an account's
//! budgets, notifications, subscribers and tags with the fewest requests the
//! API allows and converts them (in [`convert`], the one place SDK types and
//! the model meet) into [`budgetctl_diff::LiveBudget`]s for the diff.
//! [`check_fresh`] re-reads what a saved plan touches and refuses a stale
//! one; [`apply_plan`] carries a plan out with the fewest write calls,
//! settling lost answers by reading back.
//!
//! ```
//! assert_eq!(budgetctl_apply::BUDGETS_SIGNING_REGION, "us-east-1");
//! ```

mod client;
pub mod convert;
mod execute;
mod fresh;
mod read;
mod write;

pub use aws_sdk_budgets::Client;
pub use budgetctl_diff as diff;
pub use client::{
    BUDGETS_SIGNING_REGION, Clients, Connection, ROLE_SESSION_NAME, client, client_partition,
    partition,
};
pub use execute::{
    ApplyOptions, ApplyReport, ChangeResult, DEFAULT_MAX_REQUESTS_PER_SECOND, Progress, Quiet,
    WriteError, apply_plan, new_budget,
};
pub use fresh::{StaleBudget, StaleError, check_fresh, stale_against};
pub use read::{AwsError, ReadScope, budget_arn, read_account, read_budget};
pub use write::create_budget;
