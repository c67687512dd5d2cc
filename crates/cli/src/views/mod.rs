//! How the cli shows what the libraries return: plans as text, markdown or
//! JSON, diagnostics, apply's progress and result, and the hint for each
//! kind of error. Nothing here decides what to do.

pub mod actions;
pub mod apply;
pub mod diagnostics;
pub mod escape;
pub mod hints;
pub mod json;
pub mod money;
pub mod plan_markdown;
pub mod plan_text;
pub mod respond;
pub mod status;
pub mod table;
