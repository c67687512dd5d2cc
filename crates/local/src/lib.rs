//! budgetctl-local: an AWS Budgets endpoint that runs on your machine.
//!
//! It speaks the Budgets JSON-1.1 protocol (`POST /` with `X-Amz-Target:
//! AWSBudgetServiceGateway.<Operation>`), so the unmodified `aws-sdk-budgets`
//! client, the AWS CLI and Terraform talk to it as to AWS. All 26 operations
//! are served; every request is validated against the service model; AWS's
//! observable quirks are kept (amounts re-rendered as `100.0` and `1.53E+7`,
//! defaults filled in, CalculatedSpend reset by UpdateBudget, FilterExpression
//! only on request, the last subscriber taking its notification along). State
//! is kept per account and can persist to a JSON file. Test controls live off
//! the AWS path under `/_local/`:
//!
//! | route | what it does |
//! | --- | --- |
//! | `GET /_local/health` | `ok` |
//! | `GET /_local/requests` | requests received per operation: `{"counts": {...}, "total": N, "applied": {...}, "in_flight": N}` (`in_flight`: Budgets requests still being served, including those whose client is gone) |
//! | `DELETE /_local/requests` | reset the counters |
//! | `POST /_local/reset` | forget all state, counters and faults |
//! | `GET`/`POST /_local/faults` | `{"throttle": 0.3, "error": 0.05, "latency_ms": 0, "seed": 7, "action_ms": 0, "deny_accounts": [], "token_ttl_ms": 3600000, "operations": []}` (`operations`: the faults and denials hit only these) |
//! | `POST /_local/organization` | seed (replace) the organisation AWS Organizations answers about: `{"ManagementAccountId", "RootId", "OrganizationalUnits": [{"Id", "ParentId", "Name"}], "Accounts": [{"Id", "ParentId", "Name", "Email", "State"}]}` |
//! | `POST /_local/spend` | seed spend: `{"AccountId", "BudgetName", "ActualSpend", "ForecastedSpend", "History": [{"Start", "End", "Budgeted", "Actual"}], "HealthStatus": {"Status", "StatusReason"}}` |
//!
//! It depends on nothing else in the workspace.
//!
//! ```no_run
//! # async fn demo() -> Result<(), budgetctl_local::LocalError> {
//! let server = budgetctl_local::LocalServer::start(Default::default()).await?;
//! println!("point the SDK at {}", server.url());
//! server.shutdown().await
//! # }
//! ```

pub mod error;
pub mod render;
pub mod server;
pub mod services;
pub mod shapes;
pub mod store;

pub use error::{ApiError, ErrorKind};
pub use server::{LocalError, LocalOptions, LocalServer};
pub use services::budgets::{ActionStatusRequest, HealthRequest, HistoryRequest, SpendRequest};
pub use services::catalog::{Caller, ProvisionedProductRequest, RecordOutcomeRequest};
pub use services::organizations::{AccountSeed, OrganizationRequest, OuSeed};
pub use services::{Faults, Service};
pub use store::{StateError, Store};

/// The `X-Amz-Target` prefix of every Budgets operation.
pub const TARGET_PREFIX: &str = "AWSBudgetServiceGateway.";

/// The `X-Amz-Target` prefix of Service Catalog operations.
pub const CATALOG_TARGET_PREFIX: &str = "AWS242ServiceCatalogService.";
