//! The plan as a pull-request comment: marker, summary line, a warning
//! block for deletions and limits below spend, a table, details per budget.

use std::fmt::Write as _;

use budgetctl_diff::{
    ActionChange, Change, ChangeKind, Field, FieldDiff, NotificationChange, Plan,
};

use super::escape::{escape_markdown, markdown_message, plural};
use super::plan_text::{action_word, change_lines, summary, unit_of};

/// What a created or deleted budget holds, for its table row: the limit
/// and the alerts, e.g. `limit 100 USD; alerts actual > 80%, forecasted >
/// 100%; 2 tags`. Long planned schedules are cut to their first periods.
fn contents(c: &Change) -> String {
    let mut parts = Vec::new();
    let value = |f: &FieldDiff| f.after.as_ref().or(f.before.as_ref()).cloned();
    if let Some((field, v)) = c
        .fields
        .iter()
        .filter(|f| f.field.is_limit())
        .find_map(|f| Some((&f.field, value(f)?)))
    {
        let periods: Vec<&str> = v.split(", ").collect();
        let v = if *field == Field::Planned && periods.len() > 3 {
            format!(
                "{}, … ({} more)",
                periods[..2].join(", "),
                periods.len() - 2
            )
        } else {
            v
        };
        parts.push(format!("{field} {v}"));
    }
    let unit = unit_of(c);
    let alerts: Vec<String> = match c.kind {
        ChangeKind::Delete => c
            .live
            .iter()
            .flat_map(|b| &b.notifications)
            .map(|n| n.key.phrase(unit))
            .collect(),
        _ => c
            .notifications
            .iter()
            .filter_map(|n| match n {
                NotificationChange::Add { notification, .. } => Some(notification.phrase(unit)),
                _ => None,
            })
            .collect(),
    };
    match alerts.len() {
        0 => parts.push("no alerts".to_owned()),
        1 => parts.push(format!("alert {}", alerts[0])),
        _ => parts.push(format!("alerts {}", alerts.join(", "))),
    }
    if !c.tags.is_empty() {
        parts.push(plural(c.tags.len(), "tag"));
    }
    if !c.actions.is_empty() {
        parts.push(plural(c.actions.len(), "budget action"));
    }
    parts.join("; ")
}

/// The hidden marker by which a CI job finds its own PR comment to update.
pub const MARKDOWN_MARKER: &str = "<!-- budgetctl-plan -->";

/// The plan for a pull-request comment: marker, summary line, a warning block
/// for deletions and limits below spend, a table, details per budget.
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}");
    if plan.has_errors() {
        // A failed plan says so first: a reviewer must not read it as
        // "no changes", nor the last comment as current.
        let _ = writeln!(
            out,
            "**budgetctl: the plan failed: {} AWS cannot make; nothing can be applied until the files change**\n",
            plural(plan.errors.len(), "change")
        );
        let _ = writeln!(out, "> [!CAUTION]");
        let _ = writeln!(out, "> **Fix these, then push again:**");
        let _ = writeln!(out, ">");
        for e in &plan.errors {
            let _ = writeln!(
                out,
                "> - <code>{}</code>: {}",
                escape_markdown(&e.budget.address()),
                markdown_message(&e.message)
            );
        }
        out.push('\n');
    } else {
        let _ = writeln!(out, "**budgetctl: {}**\n", summary(plan));
    }
    let deletes: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Delete)
        .collect();
    // Budget actions that go: alone, replaced, or with their budget.
    let deleted_actions: Vec<String> = plan
        .changes
        .iter()
        .flat_map(|c| {
            c.actions.iter().filter_map(move |a| match a {
                ActionChange::Delete { .. } | ActionChange::Replace { .. } => Some(format!(
                    "<code>{}/{}</code>",
                    escape_markdown(&c.budget.address()),
                    escape_markdown(a.name())
                )),
                _ => None,
            })
        })
        .collect();
    if !deletes.is_empty() || !plan.warnings.is_empty() || !deleted_actions.is_empty() {
        let _ = writeln!(out, "> [!WARNING]");
        if !deleted_actions.is_empty() {
            let _ = writeln!(
                out,
                "> - **{} will be deleted:** {}",
                plural(deleted_actions.len(), "budget action"),
                deleted_actions.join(", ")
            );
        }
        if !deletes.is_empty() {
            let names: Vec<String> = deletes
                .iter()
                .map(|c| format!("<code>{}</code>", escape_markdown(&c.budget.address())))
                .collect();
            let _ = writeln!(
                out,
                "> - **{} will be deleted:** {}",
                plural(deletes.len(), "budget"),
                names.join(", ")
            );
        }
        for w in &plan.warnings {
            let _ = writeln!(
                out,
                "> - <code>{}</code>: {}",
                escape_markdown(&w.budget.address()),
                markdown_message(&w.message)
            );
        }
        out.push('\n');
    }
    if plan.has_changes() {
        let _ = writeln!(out, "| Action | Budget | Changes |");
        let _ = writeln!(out, "| --- | --- | --- |");
        for c in &plan.changes {
            let (_, word) = action_word(c.kind);
            let icon = match c.kind {
                ChangeKind::Create => "➕",
                ChangeKind::Update => "✏️",
                ChangeKind::Delete => "🗑️",
            };
            let what = match c.kind {
                ChangeKind::Create => escape_markdown(&contents(c)),
                ChangeKind::Delete => format!("**deletes** {}", escape_markdown(&contents(c))),
                ChangeKind::Update => {
                    let fields: Vec<String> = c
                        .fields
                        .iter()
                        .map(|f| escape_markdown(&f.field.to_string()))
                        .collect();
                    let mut parts = Vec::new();
                    if !fields.is_empty() {
                        parts.push(fields.join(", "));
                    }
                    if !c.notifications.is_empty() {
                        parts.push(plural(c.notifications.len(), "alert change"));
                    }
                    if !c.tags.is_empty() {
                        parts.push(plural(c.tags.len(), "tag change"));
                    }
                    if !c.actions.is_empty() {
                        parts.push(plural(c.actions.len(), "action change"));
                    }
                    parts.join("; ")
                }
            };
            // Deletions and limits under current spend stand out in the table too.
            let word = match c.kind {
                ChangeKind::Delete => format!("**{word}**"),
                _ => word.to_owned(),
            };
            let below_spend = plan
                .warnings
                .iter()
                .any(|w| w.budget == c.budget && w.kind.is_below_spend());
            let what = if below_spend {
                format!("⚠️ **limit below spend**; {what}")
            } else {
                what
            };
            let _ = writeln!(
                out,
                "| {icon} {word} | <code>{}</code> | {what} |",
                escape_markdown(&c.budget.address())
            );
        }
        out.push('\n');
        for c in &plan.changes {
            let (sign, word) = action_word(c.kind);
            let from = c
                .origin
                .as_deref()
                .map(|o| format!(" ({})", escape_markdown(o)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<details><summary>{sign} {word} <code>{}</code>{from}</summary>\n\n<pre>",
                escape_markdown(&c.budget.address())
            );
            for (s, line) in change_lines(c) {
                let _ = writeln!(out, "{s} {}", escape_markdown(&line));
            }
            let _ = writeln!(out, "</pre>\n</details>\n");
        }
    } else if !plan.has_errors() {
        let _ = writeln!(out, "No changes. Budgets match the configuration.\n");
    }
    if !plan.unmanaged.is_empty() {
        let names: Vec<String> = plan
            .unmanaged
            .iter()
            .map(|r| format!("<code>{}</code>", escape_markdown(&r.address())))
            .collect();
        let _ = writeln!(
            out,
            "Unmanaged budgets (not in any file, `prune: false`): {}",
            names.join(", ")
        );
    }
    out
}
