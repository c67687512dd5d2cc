//! budgetctl-spec's integration tests, in one binary: the fixtures' expected
//! diagnostics and the property tests. (`fuzz.rs` is a binary of its own:
//! its counting allocator measures the whole process.)

mod fixtures;
mod format;
mod properties;
mod templates;
