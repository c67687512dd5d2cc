//! The engine: one module per use case, each taking typed options and
//! returning a typed report or a typed error. The cli builds the options
//! from its flags, calls one function here and renders what it returns.
//!
//! - [`session`]: where the Budgets API is and as whom to call it, the
//!   clients of one run, budgetctl-local for `--local`, groups from AWS
//!   Organizations.
//! - [`plan`](mod@plan): the files against live state.
//! - [`apply`]: carry a plan out; check a saved plan, re-read a stale one.
//! - [`import`](mod@import): live budgets as budget files.
//! - [`actions`]: list, history and execution of budget actions.
//! - [`respond`](mod@respond): the responses that spend has made due.
//! - [`accounts`](mod@accounts): the accounts the files resolve to.
//! - [`status`](mod@status): where every budget stands this period.
//! - [`lint`](mod@lint): live accounts against the policy and AWS's warnings.
//!
//! ```
//! let options = budgetctl_engine::session::SessionOptions {
//!     local: true,
//!     ..Default::default()
//! };
//! assert!(options.target().local);
//! ```

pub mod accounts;
pub mod actions;
pub mod apply;
pub mod error;
pub mod import;
pub mod lint;
pub mod plan;
pub mod respond;
pub mod session;
pub mod status;
