//! Compare desired budgets with live ones and say what would change.
//!
//! [`diff`] normalises both sides (amounts as decimals, computed fields,
//! AWS's defaults for dates and cost types, omitted threshold types) and
//! compares them field by field into a [`Plan`]: per budget a create, update
//! or delete with before → after values, notification and subscriber changes,
//! tag changes, the unmanaged and ignored budgets, spend warnings, and a
//! fingerprint of every live budget read. It is pure: no I/O, no printing, and
//! "today" is a parameter.
//!
//! ```
//! use budgetctl_diff::{Live, diff};
//! let config = budgetctl_spec::load_str(
//!     "b.yaml",
//!     "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets: [{name: a, limit: 10}]\n",
//! )
//! .config;
//! let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
//! let plan = diff(&config, &Live::default(), &[], today);
//! assert_eq!(plan.summary.create, 1);
//! ```

mod compare;
mod import;
pub mod normalize;
pub mod plan;
pub mod respond;
pub mod status;

pub use budgetctl_model::live::{Live, LiveAction, LiveBudget, LiveSpend, Unreadable};
pub use budgetctl_model::planned::period_start;
pub use compare::{action_fields, compare_budget, diff, fingerprint, percent_of};
pub use import::declare;
pub use plan::*;
