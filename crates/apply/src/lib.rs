//! The engine: make a Plan, check that a saved or confirmed plan still
//! describes the world, and carry a plan out, through the AWS layer
//! (`budgetctl-aws`).
//!
//! [`plan()`] reads every account in scope and diffs it against the files;
//! [`check_fresh`] re-reads what a saved plan touches and refuses a stale
//! one; [`apply_plan`] carries a plan out with the fewest write calls,
//! settling lost answers by reading back; [`find_action`], [`execute`] and
//! [`wait_until_settled`] operate budget actions; [`respond()`] carries out
//! the responses that spend has made due.
//!
//! ```
//! assert_eq!(budgetctl_apply::BUDGETS_SIGNING_REGION, "us-east-1");
//! ```

mod execute;
mod fresh;
mod operate;
mod plan;
mod respond;

pub use budgetctl_aws as aws;
pub use budgetctl_aws::{
    AccountAction, HistoryEvent, read_account_actions, read_action_history, read_action_status,
    read_budget_actions,
};
pub use budgetctl_aws::{
    AwsError, BUDGETS_SIGNING_REGION, Client, Clients, Connection, ErrorKind, ROLE_SESSION_NAME,
    ReadError, ReadScope, budget_arn, client, client_partition, convert, create_budget, partition,
    read_account, read_accounts, read_budget,
};
pub use budgetctl_diff as diff;
pub use execute::{
    ApplyOptions, ApplyReport, ChangeResult, DEFAULT_MAX_REQUESTS_PER_SECOND, Progress, Quiet,
    WriteError, apply_plan,
};
pub use fresh::{StaleBudget, StaleError, check_fresh, stale_against};
pub use operate::{
    Executed, OperateError, check_execution, execute, find_action, wait_until_settled,
};
pub use plan::{PlanError, PlanOptions, config_accounts, file_digest, plan, roles_of};
pub use respond::{
    EXECUTE_RECORD, Outcome, RespondOptions, ResponseReport, catalog_clients, respond, settling,
};
