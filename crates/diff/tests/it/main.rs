//! budgetctl-diff's integration tests, in one binary: the reconciler rules
//! over hand-built live budgets (`rules`), planned limits against the
//! calendar (`calendar`), and money in the plan (`money`). No I/O: "today" is set by each test.

mod actions;
mod calendar;
mod money;
mod rules;
