//! `apply`: carry a plan out. A fresh plan is re-read before any write
//! when a person took time to approve it ([`check_fresh`]); a saved plan
//! is checked, never trusted ([`check_saved_inputs`], then
//! [`rederive_saved`]); then [`apply_plan`] makes the changes.

mod carry_out;
mod fresh;
mod saved;

pub use carry_out::{
    ApplyOptions, ApplyReport, ChangeResult, DEFAULT_MAX_REQUESTS_PER_SECOND, Progress, Quiet,
    WriteError, apply_plan,
};
pub use fresh::{StaleBudget, StaleError, check_fresh, stale_against};
pub use saved::{SavedPlanRefusal, check_saved_inputs, rederive_saved};
