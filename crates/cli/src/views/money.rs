//! Amounts as people read them in a plan: thousands separated, signs for
//! net changes, percentages of a limit. Shared by the text and markdown
//! views so that both say the same numbers the same way.

use budgetctl_diff::{Change, ChangeKind, ConsequenceKind, NetChange, Plan, percent_of};
use budgetctl_spec::amount::grouped;
use rust_decimal::Decimal;

/// `25,000`, `1,243.37`.
pub fn amount(value: Decimal) -> String {
    grouped(value)
}

/// `+200`, `−10,000` (a true minus sign), `±0`.
pub fn signed(value: Decimal) -> String {
    if value.is_zero() {
        "±0".to_owned()
    } else if value.is_sign_negative() {
        format!("−{}", grouped(-value))
    } else {
        format!("+{}", grouped(value))
    }
}

/// `monthly −1,900 USD, custom −10,000 USD`: what a plan is worth, or
/// `None` when its limits net to nothing.
pub fn net(plan: &Plan) -> Option<String> {
    let net = plan.net_limit_change();
    (!net.is_empty()).then(|| {
        net.iter()
            .map(
                |NetChange {
                     period,
                     unit,
                     amount,
                 }| { format!("{period} {} {unit}", signed(*amount)) },
            )
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// `123%`: `part` as a whole percentage of `of`.
pub fn percent(part: Decimal, of: Decimal) -> Option<String> {
    percent_of(part, of).map(|p| format!("{p}%"))
}

/// The spend of a change as one line of text: `spent 18,400 USD (123%) ·
/// forecast 27,900 USD (186%)`, percentages of the new limit (the old
/// one for a deletion); `None` where AWS knows none.
pub fn spend_line(c: &Change) -> Option<String> {
    let s = c.spend.as_ref()?;
    let limit = c.limit.as_ref().and_then(|l| match c.kind {
        ChangeKind::Delete => l.before,
        _ => l.after,
    });
    let pct = |v: Decimal| {
        limit
            .filter(|_| c.limit.as_ref().is_some_and(|l| l.unit == s.unit))
            .and_then(|l| percent(v, l))
            .map(|p| format!(" ({p})"))
            .unwrap_or_default()
    };
    let mut line = format!("spent {} {}{}", amount(s.actual), s.unit, pct(s.actual));
    if let Some(f) = s.forecasted {
        line.push_str(&format!(" · forecast {} {}{}", amount(f), s.unit, pct(f)));
    }
    Some(line)
}

/// The limit of a change as one line of text: `limit 25,000 → 15,000 USD
/// (planned for 2026-12)`.
pub fn limit_line(c: &Change) -> Option<String> {
    let l = c.limit.as_ref()?;
    let side = |v: Option<Decimal>| v.map_or_else(|| "–".to_owned(), amount);
    let amounts = match (c.kind, l.before, l.after) {
        (ChangeKind::Create, _, after) => side(after),
        (ChangeKind::Delete, before, _) => side(before),
        (_, before, after) if before == after => side(after),
        (_, before, after) => format!("{} → {}", side(before), side(after)),
    };
    let by = l
        .set_by
        .as_deref()
        .map(|b| format!(" ({b})"))
        .unwrap_or_default();
    Some(format!("limit {amounts} {}{by}", l.unit))
}

/// The mark a consequence is shown with.
pub fn icon(kind: ConsequenceKind) -> &'static str {
    match kind {
        ConsequenceKind::ActionRuns => "⚡",
        ConsequenceKind::DeletedWithSpend => "🗑️",
        ConsequenceKind::AlertFires => "🔔",
        ConsequenceKind::AutomaticAction => "🔒",
        ConsequenceKind::AlertSilenced => "🔕",
        ConsequenceKind::OverLimit => "🔴",
        ConsequenceKind::ForecastOverLimit => "🟠",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_changes_read_with_their_sign() {
        assert_eq!(signed(Decimal::from(200)), "+200");
        assert_eq!(signed(Decimal::from(-10000)), "−10,000");
        assert_eq!(signed(Decimal::ZERO), "±0");
        assert_eq!(
            percent(Decimal::from(18400), Decimal::from(15000)).as_deref(),
            Some("123%")
        );
        assert_eq!(percent(Decimal::ONE, Decimal::ZERO), None);
    }
}
