//! What AWS chooses when a file leaves a field out, decided once. The
//! comparison (what never shows as a change), import (what a file need not
//! declare) and the UpdateBudget request (what is sent back as it is live)
//! all ask here (ARCHITECTURE.md, reconciler rule 2).

use std::collections::BTreeMap;

use budgetctl_model::{Budget, CostTypes, TimeUnit, max_end_date};
use chrono::NaiveDate;

use budgetctl_model::planned::period_start;

/// An end as a file means it: `None` for AWS's default end (2087-06-15),
/// which a budget without an end gets.
pub fn declared_end(end: Option<NaiveDate>) -> Option<NaiveDate> {
    end.filter(|e| *e != max_end_date())
}

/// Whether the start of `desired` differs from the live one. An unset
/// start is AWS's to choose (the start of the period the budget was
/// created in): only a declared start is compared.
pub fn start_differs(desired: &Budget, live: &Budget) -> bool {
    desired.start.is_some() && desired.start != live.start
}

/// Whether a live start says more than "the period the budget was created
/// in": custom periods always need theirs, and a start that is not a period
/// boundary or lies in a future period was set by someone.
pub fn start_is_deliberate(time_unit: TimeUnit, start: NaiveDate, today: NaiveDate) -> bool {
    match time_unit {
        TimeUnit::Custom => true,
        _ => start != period_start(time_unit, start) || start > period_start(time_unit, today),
    }
}

/// The cost types a live budget has: AWS's defaults where it reports none.
pub fn live_cost_types(live: &Budget) -> CostTypes {
    live.cost_types.unwrap_or_default()
}

/// Whether a budget's cost types are AWS's rather than a file's: its
/// defaults, or any beside a filter expression (which never takes them).
pub fn cost_types_are_aws(budget: &Budget) -> bool {
    budget.filter_expression.is_some() || budget.cost_types == Some(CostTypes::default())
}

/// Tags as a file declares them: a budget with none declares none.
pub fn declared_tags(tags: &Option<BTreeMap<String, String>>) -> Option<BTreeMap<String, String>> {
    tags.clone().filter(|t| !t.is_empty())
}

/// The NewBudget of an UpdateBudget: the declared budget, with what the file
/// leaves to AWS kept as it is live, so that the call changes exactly the
/// fields the plan showed. An unset start stays where AWS put it; an unset
/// end is AWS's default end, sent explicitly so an earlier end is lifted;
/// undeclared cost types are sent back only where they differ from AWS's
/// defaults (which an UpdateBudget without them would restore), and never
/// beside a filter expression.
pub fn update_request(desired: &Budget, live: Option<&Budget>) -> Budget {
    let mut budget = desired.clone();
    if budget.start.is_none() {
        budget.start = live.and_then(|l| l.start);
    }
    if budget.cost_types.is_none() && budget.filter_expression.is_none() {
        budget.cost_types = live
            .and_then(|l| l.cost_types)
            .filter(|c| *c != CostTypes::default());
    }
    if budget.end.is_none() {
        budget.end = Some(max_end_date());
    }
    budget
}
