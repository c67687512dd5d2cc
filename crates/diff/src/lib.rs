//! Compare desired budgets with live ones and say what would change.
//!
//! This crate will hold the normalisation rules of DESIGN.md (amounts as
//! decimals, computed fields, AWS defaults) and build a serialisable `Plan` of
//! create / update / delete / no-op changes with field-level before → after.
//! It is pure: no I/O, no printing, no clock reads. It is filled by the
//! `budgetctl plan` issue; for now it re-exports the model it compares.
//!
//! ```
//! use budgetctl_diff::spec::amount::same_amount;
//! // The rule every comparison of amounts starts from.
//! assert!(same_amount("100", "1.0E+2"));
//! ```

pub use budgetctl_spec as spec;
