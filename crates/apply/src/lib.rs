//! Talk to AWS Budgets: read live state in bulk and carry out a Plan.
//!
//! This is the only crate that calls AWS (through `aws-sdk-budgets`).
//! [`client`] builds a client from the standard credential chain signed for
//! us-east-1 with adaptive retries; [`read_account`] reads an account's
//! budgets, notifications, subscribers and tags with the fewest requests the
//! API allows and converts them (in [`convert`], the one place SDK types and
//! the model meet) into [`budgetctl_diff::LiveBudget`]s for the diff.
//!
//! ```
//! assert_eq!(budgetctl_apply::BUDGETS_SIGNING_REGION, "us-east-1");
//! ```

mod client;
pub mod convert;
mod read;
mod write;

pub use budgetctl_diff as diff;
pub use client::{BUDGETS_SIGNING_REGION, Connection, client};
pub use read::{AwsError, ReadScope, read_account};
pub use write::create_budget;
