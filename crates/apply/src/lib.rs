//! Talk to AWS Budgets: read live state in bulk and carry out a Plan.
//!
//! This is the only crate that calls AWS (through `aws-sdk-budgets`): it reads
//! budgets, notifications, subscribers and tags with the fewest requests
//! DESIGN.md allows, converts between SDK types and the model in one module,
//! and executes a `Plan` with retries, a client-side rate limit and staleness
//! checks. It is filled by the plan and apply issues; for now it only names
//! the endpoint conventions every later call follows.
//!
//! ```
//! assert_eq!(budgetctl_apply::BUDGETS_SIGNING_REGION, "us-east-1");
//! ```

pub use budgetctl_diff as diff;

/// Budgets is a global service: requests are signed for us-east-1 (DESIGN rule 11).
pub const BUDGETS_SIGNING_REGION: &str = "us-east-1";
