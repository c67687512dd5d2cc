//! A budget's own fields compared, and shown as the plan shows them:
//! limits, planned amounts, dates, filters, cost types, auto-adjust.

use super::*;

pub(super) fn spend_text(s: &Spend) -> String {
    format!("{} {}", to_aws_string(s.amount), s.unit)
}

pub(super) fn limit_text(
    limit: &BudgetLimit,
    time_unit: budgetctl_model::TimeUnit,
) -> (Field, String) {
    match limit {
        BudgetLimit::Fixed(s) => (Field::Limit, spend_text(s)),
        BudgetLimit::Planned(p) => (Field::Planned, planned_text(p, time_unit)),
        BudgetLimit::Schedule(sc) => {
            let mut text = format!("every: {}", spend_text(&sc.every));
            if let (Some(grow), Some(from)) = (sc.grow, sc.from) {
                let _ = write!(
                    text,
                    ", grow: {}%, from: {}",
                    grow.normalize(),
                    format_period(from, time_unit)
                );
            }
            if !sc.overrides.is_empty() {
                let _ = write!(text, ", {}", planned_text(&sc.overrides, time_unit));
            }
            (Field::Planned, text)
        }
        BudgetLimit::AutoAdjust(AutoAdjust::Historical { periods }) => {
            (Field::AutoAdjust, format!("historical: {periods}"))
        }
        BudgetLimit::AutoAdjust(AutoAdjust::Forecast) => (Field::AutoAdjust, "forecast".into()),
    }
}

/// Periods with their amounts, a run of equal amounts as one range:
/// `2026-12 to 2027-05: 1000 USD, 2027-06: 1500 USD`.
pub(super) fn planned_text(p: &BTreeMap<NaiveDate, Spend>, time_unit: TimeUnit) -> String {
    let mut runs: Vec<(NaiveDate, NaiveDate, &Spend)> = Vec::new();
    for (d, s) in p {
        match runs.last_mut() {
            Some((_, last, spend)) if spend.amount == s.amount && spend.unit == s.unit => {
                *last = *d
            }
            _ => runs.push((*d, *d, s)),
        }
    }
    runs.iter()
        .map(|(first, last, s)| {
            if first == last {
                format!("{}: {}", format_period(*first, time_unit), spend_text(s))
            } else {
                format!(
                    "{} to {}: {}",
                    format_period(*first, time_unit),
                    format_period(*last, time_unit),
                    spend_text(s)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn same_limit(a: &BudgetLimit, b: &BudgetLimit) -> bool {
    match (a, b) {
        (BudgetLimit::Fixed(x), BudgetLimit::Fixed(y)) => x.amount == y.amount && x.unit == y.unit,
        (BudgetLimit::Planned(x), BudgetLimit::Planned(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|((dx, sx), (dy, sy))| {
                    dx == dy && sx.amount == sy.amount && sx.unit == sy.unit
                })
        }
        (BudgetLimit::AutoAdjust(x), BudgetLimit::AutoAdjust(y)) => x == y,
        _ => false,
    }
}

pub(super) fn opt_text<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

pub(super) fn push(
    fields: &mut Vec<FieldDiff>,
    field: Field,
    before: Option<String>,
    after: Option<String>,
) {
    if before != after {
        fields.push(FieldDiff {
            field,
            before,
            after,
        });
    }
}

/// The budget-level differences (those UpdateBudget carries), normalised.
/// Values are compared typed and only formatted when they differ: this runs
/// for every budget of every plan.
pub(super) fn field_diffs(live: &Budget, desired: &Budget) -> Vec<FieldDiff> {
    let mut fields = Vec::new();
    if live.budget_type != desired.budget_type {
        push(
            &mut fields,
            Field::Type,
            Some(live.budget_type.to_string()),
            Some(desired.budget_type.to_string()),
        );
    }
    if live.time_unit != desired.time_unit {
        push(
            &mut fields,
            Field::Period,
            Some(live.time_unit.to_string()),
            Some(desired.time_unit.to_string()),
        );
    }
    if !same_limit(&live.limit, &desired.limit) {
        let (bf, bt) = limit_text(&live.limit, live.time_unit);
        let (af, at) = limit_text(&desired.limit, desired.time_unit);
        if bf == af {
            push(&mut fields, af, Some(bt), Some(at));
        } else {
            push(&mut fields, bf, Some(bt), None);
            push(&mut fields, af, None, Some(at));
        }
    }
    if crate::normalize::start_differs(desired, live) {
        push(
            &mut fields,
            Field::Start,
            opt_text(&live.start),
            opt_text(&desired.start),
        );
    }
    let end = crate::normalize::declared_end;
    if end(live.end) != end(desired.end) {
        push(
            &mut fields,
            Field::End,
            opt_text(&end(live.end)),
            opt_text(&end(desired.end)),
        );
    }
    if let Some(want) = &desired.cost_types {
        let have = crate::normalize::live_cost_types(live);
        if have != *want {
            for ((key, _, w), (_, _, h)) in want.flags().iter().zip(have.flags().iter()) {
                if w != h {
                    push(
                        &mut fields,
                        Field::CostType(key.to_string()),
                        Some(h.to_string()),
                        Some(w.to_string()),
                    );
                }
            }
        }
    }
    // Filter values are a set: AWS may return them in another order.
    fn as_set(v: Option<&Vec<String>>) -> Option<BTreeSet<&String>> {
        v.map(|v| v.iter().collect())
    }
    if live.cost_filters.len() != desired.cost_filters.len()
        || live
            .cost_filters
            .iter()
            .any(|(k, v)| as_set(Some(v)) != as_set(desired.cost_filters.get(k)))
    {
        let keys: BTreeSet<&String> = live
            .cost_filters
            .keys()
            .chain(desired.cost_filters.keys())
            .collect();
        for key in keys {
            let values = |b: &Budget| {
                as_set(b.cost_filters.get(key))
                    .map(|set| set.into_iter().cloned().collect::<Vec<_>>().join(", "))
            };
            push(
                &mut fields,
                Field::Filter(key.clone()),
                values(live),
                values(desired),
            );
        }
    }
    if live.filter_expression != desired.filter_expression {
        push(
            &mut fields,
            Field::FilterExpression,
            live.filter_expression.as_ref().map(expression_to_yaml),
            desired.filter_expression.as_ref().map(expression_to_yaml),
        );
    }
    if live.metrics != desired.metrics {
        let metrics = |b: &Budget| {
            (!b.metrics.is_empty()).then(|| {
                b.metrics
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        push(&mut fields, Field::Metrics, metrics(live), metrics(desired));
    }
    if live.billing_view_arn != desired.billing_view_arn {
        push(
            &mut fields,
            Field::BillingViewArn,
            live.billing_view_arn.clone(),
            desired.billing_view_arn.clone(),
        );
    }
    fields
}
