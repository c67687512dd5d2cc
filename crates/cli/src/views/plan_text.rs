//! The plan as text for terminals, and the lines of a change that the
//! markdown view shows too.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use budgetctl_diff::{
    ActionChange, Change, ChangeKind, Field, FieldDiff, NotificationChange, Plan,
};
use budgetctl_spec::{ApprovalModel, BudgetAction};

use super::escape::escape_text;
use super::money;

/// The one-line summary, e.g. `2 to create, 1 to update, 0 to delete`.
pub fn summary(plan: &Plan) -> String {
    let s = plan.summary;
    format!(
        "{} to create, {} to update, {} to delete",
        s.create, s.update, s.delete
    )
}

pub(crate) fn subscriber_list(subs: &[budgetctl_spec::Subscriber]) -> String {
    subs.iter()
        .map(|s| s.address())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The unit of a change's budget: absolute alert thresholds are in it.
pub(crate) fn unit_of(c: &Change) -> Option<&str> {
    c.desired
        .as_ref()
        .or(c.live.as_ref())
        .and_then(|b| b.limit_unit())
}

/// Human lines for one change, each with its sign (`+`, `-`, `~`). Alerts
/// read as the YAML says them (`actual > 80%`, `actual > 400 USD`).
pub(crate) fn change_lines(c: &Change) -> Vec<(char, String)> {
    let mut lines = Vec::new();
    let unit = unit_of(c);
    let alert = |k: &budgetctl_spec::NotificationKey| k.phrase(unit);
    for f in &c.fields {
        lines.extend(field_lines(f));
    }
    if c.kind == ChangeKind::Delete {
        // Subscribers are read only for declared budgets; an undeclared
        // one's go with its alerts.
        for n in c.live.iter().flat_map(|b| &b.notifications) {
            let in_alarm = c.consequences.iter().any(|x| {
                x.kind == budgetctl_diff::ConsequenceKind::AlertSilenced
                    && x.alert.as_ref() == Some(&n.key)
            });
            let state = if in_alarm { " (in ALARM)" } else { " (OK)" };
            let line = if n.subscribers.is_empty() {
                format!("notification {}{state}", alert(&n.key))
            } else {
                format!(
                    "notification {}{state} → {}",
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
    lines.extend(action_lines(c, unit));
    // Responses are the files' alone: shown with the budget they belong
    // to, never sent to AWS.
    if c.kind == ChangeKind::Create {
        for r in c.desired.iter().flat_map(|b| &b.responses) {
            lines.push((
                '+',
                format!(
                    "response {}: when {}: {} (run by budgetctl respond; not an AWS resource)",
                    r.name,
                    r.when(unit),
                    r.action.describe()
                ),
            ));
        }
    }
    lines
}

/// What an action does, in one line: `when actual > 100%: attach IAM
/// policy … to roles developer; manual approval → finops@example.com`.
pub(crate) fn action_summary(a: &BudgetAction, unit: Option<&str>) -> String {
    let approval = match a.approval {
        ApprovalModel::Manual => "manual approval",
        ApprovalModel::Automatic => "runs without approval",
    };
    format!(
        "when {}: {}; {approval} → {}",
        a.when(unit),
        a.definition.describe(),
        subscriber_list(&a.subscribers)
    )
}

fn action_lines(c: &Change, unit: Option<&str>) -> Vec<(char, String)> {
    let mut lines = Vec::new();
    for a in &c.actions {
        match a {
            ActionChange::Create { action } => lines.push((
                '+',
                format!("action {}: {}", action.name, action_summary(action, unit)),
            )),
            ActionChange::Update {
                id,
                status,
                fields,
                tag,
                action,
            } => {
                for f in fields {
                    lines.push((
                        '~',
                        format!(
                            "action {} ({}): {}: {} → {}",
                            action.name,
                            status.aws_name(),
                            f.field,
                            f.before,
                            f.after
                        ),
                    ));
                }
                if *tag {
                    lines.push((
                        '~',
                        format!(
                            "action {}: tag budgetctl:action = {:?} on the live action {id} (adopted, not recreated)",
                            action.name, action.name
                        ),
                    ));
                }
            }
            ActionChange::Replace {
                status, from, to, ..
            } => {
                lines.push((
                    '-',
                    format!(
                        "action {} ({}, {} — its type changes, so it is deleted): {}",
                        from.name,
                        status.aws_name(),
                        from.action_type(),
                        action_summary(from, unit)
                    ),
                ));
                lines.push((
                    '+',
                    format!(
                        "action {} (created again as {}): {}",
                        to.name,
                        to.action_type(),
                        action_summary(to, unit)
                    ),
                ));
            }
            ActionChange::Delete { status, action, .. } => lines.push((
                '-',
                format!(
                    "action {} ({}): {}",
                    action.name,
                    status.aws_name(),
                    action_summary(action, unit)
                ),
            )),
        }
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

pub(crate) fn action_word(a: ChangeKind) -> (char, &'static str) {
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
        let (sign, word) = action_word(c.kind);
        let st = style(sign, color);
        let bold = if color { st.bold() } else { st };
        let from = c
            .origin
            .as_deref()
            .map(|o| format!(" ({})", escape_text(o)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{bold}{sign} {word} {}{bold:#}{from}",
            escape_text(&c.budget.address())
        );
        let figures: Vec<String> = [money::limit_line(c), money::spend_line(c)]
            .into_iter()
            .flatten()
            .collect();
        if !figures.is_empty() {
            let _ = writeln!(out, "      {}", escape_text(&figures.join(" · ")));
        }
        let warn = style('!', color);
        for x in &c.consequences {
            let _ = writeln!(out, "    {warn}!{warn:#} {}", escape_text(&x.message));
        }
        for (s, line) in change_lines(c) {
            let st = style(s, color);
            let _ = writeln!(out, "    {st}{s} {}{st:#}", escape_text(&line));
        }
        out.push('\n');
    }
    let (unchanged, about_changes) = plan.warnings_by_change();
    for (title, warnings) in [
        ("Warnings:", about_changes),
        ("Not changed by this plan, but off track:", unchanged),
    ] {
        if warnings.is_empty() {
            continue;
        }
        let st = style('!', color);
        let _ = writeln!(out, "{st}{title}{st:#}");
        for w in warnings {
            let _ = writeln!(
                out,
                "  {st}!{st:#} {}: {}",
                escape_text(&w.budget.address()),
                escape_text(&w.message)
            );
        }
        out.push('\n');
    }
    if !plan.policy.is_empty() {
        let st = style('!', color);
        let _ = writeln!(out, "{st}Policy:{st:#}");
        for p in &plan.policy {
            let (sign, what) = match p.change {
                budgetctl_diff::PolicyEffect::Introduced => ('-', "breaks"),
                budgetctl_diff::PolicyEffect::Fixed => ('+', "fixes"),
            };
            let level = match p.level {
                budgetctl_spec::policy::Level::Error => "",
                budgetctl_spec::policy::Level::Warning => " (warning)",
            };
            let st = style(sign, color);
            let _ = writeln!(
                out,
                "  {st}{sign}{st:#} {what} `{}`{level}: {}",
                p.rule,
                escape_text(&p.message)
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
        let worth = money::net(plan)
            .map(|n| format!("; limits {n}"))
            .unwrap_or_default();
        let _ = writeln!(out, "Plan: {}{}.", summary(plan), escape_text(&worth));
    }
    out
}
