//! The AWS layer: the only crate that depends on the AWS SDK.
//!
//! [`clients`] builds Budgets clients from the standard credential chain,
//! signed for us-east-1 with adaptive retries, one per account role;
//! [`error`] is the one classifier of SDK errors into a typed
//! [`ErrorKind`]; [`convert`] is the one place SDK types and the model meet;
//! [`read`] reads an account's budgets, notifications, subscribers and tags
//! with the fewest requests the API allows, for plan, the staleness check
//! and import, each in the [`ReadScope`] decided in one place; [`call`]
//! builds every write request; [`catalog`] holds Service Catalog's clients
//! (per account and region) and the calls a response to spend makes;
//! [`organizations`] reads groups of accounts from AWS Organizations.
//!
//! ```
//! assert_eq!(budgetctl_aws::BUDGETS_SIGNING_REGION, "us-east-1");
//! ```

mod actions;
pub mod call;
pub mod catalog;
mod clients;
pub mod convert;
pub mod error;
pub mod organizations;
mod read;
mod scope;
pub mod sns;

pub use actions::{
    AccountAction, HistoryEvent, read_account_actions, read_action_history, read_action_status,
};
/// The SDK itself, for tests that configure a client as a user would.
pub use aws_sdk_budgets as sdk;
pub use aws_sdk_budgets::Client;
pub use call::{ActionUpdate, BudgetAt, create_budget};
pub use clients::{
    BUDGETS_SIGNING_REGION, Clients, Connection, ROLE_SESSION_NAME, caller_account, client,
    client_partition, partition,
};
pub use error::{AwsError, ErrorKind};
pub use read::{
    Pace, ReadError, action_arn, budget_arn, read_account, read_account_paced, read_accounts,
    read_budget, read_budget_actions, read_spend, reserved_tags,
};
pub use scope::{HistoryOf, ReadScope};
