//! Plan renderers: text for terminals, markdown for pull-request comments.
//! (JSON is the Plan itself, serialised.) Each takes a `&Plan` and returns text.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use budgetctl_diff::{Change, ChangeKind, Field, FieldDiff, NotificationChange, Plan};

/// The one-line summary, e.g. `2 to create, 1 to update, 0 to delete`.
pub fn summary(plan: &Plan) -> String {
    let s = plan.summary;
    format!(
        "{} to create, {} to update, {} to delete",
        s.create, s.update, s.delete
    )
}

fn subscriber_list(subs: &[budgetctl_spec::Subscriber]) -> String {
    subs.iter()
        .map(|s| s.address())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The unit of a change's budget: absolute alert thresholds are in it.
fn unit_of(c: &Change) -> Option<&str> {
    c.desired
        .as_ref()
        .or(c.live.as_ref())
        .and_then(|b| b.limit_unit())
}

/// Human lines for one change, each with its sign (`+`, `-`, `~`). Alerts
/// read as the YAML says them (`actual > 80%`, `actual > 400 USD`).
fn change_lines(c: &Change) -> Vec<(char, String)> {
    let mut lines = Vec::new();
    let unit = unit_of(c);
    let alert = |k: &budgetctl_spec::NotificationKey| k.phrase(unit);
    for f in &c.fields {
        lines.extend(field_lines(f));
    }
    if c.action == ChangeKind::Delete {
        // Subscribers are read only for declared budgets; an undeclared
        // one's go with its alerts.
        for n in c.live.iter().flat_map(|b| &b.notifications) {
            let line = if n.subscribers.is_empty() {
                format!("notification {}", alert(&n.key))
            } else {
                format!(
                    "notification {} → {}",
                    alert(&n.key),
                    subscriber_list(&n.subscribers)
                )
            };
            lines.push(('-', line));
        }
    }
    for n in &c.notifications {
        lines.push(match n {
            NotificationChange::Add {
                notification,
                subscribers,
            } => (
                '+',
                format!(
                    "notification {} → {}",
                    alert(notification),
                    subscriber_list(subscribers)
                ),
            ),
            NotificationChange::Remove { notification } => {
                ('-', format!("notification {}", alert(notification)))
            }
            NotificationChange::Change { from, to } => {
                ('~', format!("notification {} → {}", alert(from), alert(to)))
            }
            NotificationChange::Subscribers {
                notification,
                swap,
                add,
                remove,
            } => {
                let notification = alert(notification);
                for w in swap {
                    lines.push((
                        '~',
                        format!(
                            "subscriber {} → {} on {notification}",
                            w.from.address(),
                            w.to.address()
                        ),
                    ));
                }
                for s in add {
                    lines.push(('+', format!("subscriber {} on {notification}", s.address())));
                }
                for s in remove {
                    lines.push(('-', format!("subscriber {} on {notification}", s.address())));
                }
                continue;
            }
        });
    }
    for t in &c.tags {
        lines.push(match (&t.before, &t.after) {
            (None, Some(v)) => ('+', format!("tag {} = {v:?}", t.key)),
            (Some(v), None) => ('-', format!("tag {} = {v:?}", t.key)),
            (Some(b), Some(a)) => ('~', format!("tag {}: {b:?} → {a:?}", t.key)),
            (None, None) => continue,
        });
    }
    lines
}

fn field_lines(f: &FieldDiff) -> Vec<(char, String)> {
    // Only a filter expression is shown as lines (it is YAML); any other
    // value with a line break in it is one value, its break escaped, so
    // that a value cannot forge plan lines.
    let multiline = |v: &Option<String>| v.as_deref().is_some_and(|s| s.trim_end().contains('\n'));
    if f.field == Field::FilterExpression && (multiline(&f.before) || multiline(&f.after)) {
        // Multi-line values (filter expressions) as a unified diff.
        let before = f.before.clone().unwrap_or_default();
        let after = f.after.clone().unwrap_or_default();
        let sign = match (&f.before, &f.after) {
            (None, _) => '+',
            (_, None) => '-',
            _ => '~',
        };
        let mut lines = vec![(sign, format!("{}:", f.field))];
        let diff = similar::TextDiff::from_lines(&before, &after);
        for change in diff.iter_all_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            lines.push((sign, format!("    {}", change.value().trim_end())));
        }
        return lines;
    }
    match (&f.before, &f.after) {
        (None, Some(a)) => vec![('+', format!("{}: {a}", f.field))],
        (Some(b), None) => vec![('-', format!("{}: {b}", f.field))],
        (Some(b), Some(a)) => vec![('~', format!("{}: {b} → {a}", f.field))],
        (None, None) => Vec::new(),
    }
}

fn style(sign: char, color: bool) -> Style {
    if !color {
        return Style::new();
    }
    let c = match sign {
        '+' => AnsiColor::Green,
        '-' => AnsiColor::Red,
        '~' => AnsiColor::Yellow,
        '!' => AnsiColor::Magenta,
        _ => return Style::new(),
    };
    Style::new().fg_color(Some(c.into()))
}

/// `text` in the colour of a plan sign: `+` green, `-` red, `~` yellow.
pub fn painted(text: &str, sign: char, color: bool) -> String {
    let st = style(sign, color);
    format!("{st}{text}{st:#}")
}

fn action_word(a: ChangeKind) -> (char, &'static str) {
    match a {
        ChangeKind::Create => ('+', "create"),
        ChangeKind::Update => ('~', "update"),
        ChangeKind::Delete => ('-', "delete"),
    }
}

/// The plan for a terminal: `+`/`~`/`-` per budget, field changes old → new,
/// warnings, and the summary line.
pub fn text(plan: &Plan, color: bool) -> String {
    let mut out = String::new();
    if plan.has_errors() {
        let st = style('-', color);
        let _ = writeln!(out, "{st}Errors (nothing will be applied):{st:#}");
        for e in &plan.errors {
            let _ = writeln!(
                out,
                "  {st}✗{st:#} {}: {}",
                escape_text(&e.budget.address()),
                escape_text(&e.message)
            );
        }
        out.push('\n');
    }
    for c in &plan.changes {
        let (sign, word) = action_word(c.action);
        let st = style(sign, color);
        let bold = if color { st.bold() } else { st };
        let _ = writeln!(
            out,
            "{bold}{sign} {word} {}{bold:#}",
            escape_text(&c.budget.address())
        );
        for (s, line) in change_lines(c) {
            let st = style(s, color);
            let _ = writeln!(out, "    {st}{s} {}{st:#}", escape_text(&line));
        }
        out.push('\n');
    }
    if !plan.warnings.is_empty() {
        let st = style('!', color);
        let _ = writeln!(out, "{st}Warnings:{st:#}");
        for w in &plan.warnings {
            let _ = writeln!(
                out,
                "  {st}!{st:#} {}: {}",
                escape_text(&w.budget.address()),
                escape_text(&w.message)
            );
        }
        out.push('\n');
    }
    if !plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "Unmanaged (in the account, in no file; set prune: true to delete): {}",
            plan.unmanaged
                .iter()
                .map(|r| escape_text(&r.address()).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !plan.ignored.is_empty() {
        let _ = writeln!(
            out,
            "Ignored (matched by ignore globs): {}",
            plan.ignored
                .iter()
                .map(|r| escape_text(&r.address()).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !plan.has_changes() {
        let _ = writeln!(out, "No changes. Budgets match the configuration.");
    } else {
        let _ = writeln!(out, "Plan: {}.", summary(plan));
    }
    out
}

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
    let alerts: Vec<String> = match c.action {
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
    parts.join("; ")
}

/// Make user text inert in markdown and HTML: no markup, no mentions, no
/// table breaks, no code spans.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '@' => out.push_str("&#64;"),
            '*' => out.push_str("&#42;"),
            '_' => out.push_str("&#95;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '\\' => out.push_str("&#92;"),
            '#' => out.push_str("&#35;"),
            '~' => out.push_str("&#126;"),
            '!' => out.push_str("&#33;"),
            '\n' | '\r' => out.push(' '),
            c if is_unsafe_char(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Whether `c` must not reach a terminal or a review as it is: control
/// characters (they retitle terminals, move the cursor, forge lines), and
/// the bidirectional and invisible characters that make text read as other
/// text (`ev\u{202e}latot-dorp` shows as "evprod-total").
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || budgetctl_spec::rules::is_invisible(c)
}

/// `text` with every unsafe character written as its escape (`\u{1b}`,
/// `\u{202e}`), so that what a user or AWS wrote can neither drive the
/// terminal nor pass for other text.
pub fn escape_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `c` as the escape people read it in: `\u{1b}`, `\u{202e}`.
fn push_escape(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// `escape_text` line by line: the line breaks a message was written with
/// stay, everything else unsafe is escaped.
pub fn escape_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| escape_text(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `1 budget`, `2 budgets`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The hidden marker by which a CI job finds its own PR comment to update.
pub const MARKDOWN_MARKER: &str = "<!-- budgetctl-plan -->";

/// The plan for a pull-request comment: marker, summary line, a warning block
/// for deletions and limits below spend, a table, details per budget.
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}");
    let _ = writeln!(out, "**budgetctl: {}**\n", summary(plan));
    if plan.has_errors() {
        let _ = writeln!(out, "> [!CAUTION]");
        let _ = writeln!(out, "> **This plan cannot be applied:**");
        let _ = writeln!(out, ">");
        for e in &plan.errors {
            let _ = writeln!(
                out,
                "> - <code>{}</code>: {}",
                escape_markdown(&e.budget.address()),
                escape_markdown(&e.message)
            );
        }
        out.push('\n');
    }
    let deletes: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action == ChangeKind::Delete)
        .collect();
    if !deletes.is_empty() || !plan.warnings.is_empty() {
        let _ = writeln!(out, "> [!WARNING]");
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
                escape_markdown(&w.message)
            );
        }
        out.push('\n');
    }
    if plan.has_changes() {
        let _ = writeln!(out, "| Action | Budget | Changes |");
        let _ = writeln!(out, "| --- | --- | --- |");
        for c in &plan.changes {
            let (_, word) = action_word(c.action);
            let icon = match c.action {
                ChangeKind::Create => "➕",
                ChangeKind::Update => "✏️",
                ChangeKind::Delete => "🗑️",
            };
            let what = match c.action {
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
                    parts.join("; ")
                }
            };
            // Deletions and limits under current spend stand out in the table too.
            let word = match c.action {
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
            let (sign, word) = action_word(c.action);
            let _ = writeln!(
                out,
                "<details><summary>{sign} {word} <code>{}</code></summary>\n\n<pre>",
                escape_markdown(&c.budget.address())
            );
            for (s, line) in change_lines(c) {
                let _ = writeln!(out, "{s} {}", escape_markdown(&line));
            }
            let _ = writeln!(out, "</pre>\n</details>\n");
        }
    } else {
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
