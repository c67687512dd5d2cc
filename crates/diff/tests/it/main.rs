//! budgetctl-diff's integration tests, in one binary: the reconciler rules
//! over hand-built live budgets (`rules`), and planned limits against the
//! calendar (`calendar`). No I/O: "today" is set by each test.

mod actions;
mod calendar;
mod rules;
