//! The plan as a pull-request comment, money first: a headline with the
//! counts and what the limits net to, one block of what needs a careful
//! look (deletions, actions that run, alerts that fire), a table ordered
//! by risk with the limit before → after and this period's spend, the
//! field-by-field changes in one ```` ```diff ```` block, what the plan
//! leaves unchanged but is off track, and a footer.
//!
//! Budgets a template made with the same change are one row (`name × 40
//! accounts`), so that a template over a thousand accounts still fits
//! GitHub's 65,536-character comment.

use std::collections::HashMap;
use std::fmt::Write as _;

use budgetctl_diff::{
    ActionChange, Change, ChangeKind, Consequence, ConsequenceKind, NotificationChange, Plan,
    Warning,
};
use rust_decimal::Decimal;

use super::escape::{escape_markdown, escape_text, markdown_message, plural};
use super::money::{self, amount, icon, percent};
use super::plan_text::{action_word, change_lines, summary, unit_of};

/// The hidden marker by which a CI job finds its own PR comment to update.
pub const MARKDOWN_MARKER: &str = "<!-- budgetctl-plan -->";

/// The most items a list of the comment shows before it says how many more
/// there are: a comment must fit in 65,536 characters.
const LIST_AT_MOST: usize = 50;

/// The last line of the comment: which commit the plan was made from,
/// when, and what merging does; or what another CI says instead.
#[derive(Debug, Clone, Default)]
pub struct Footer {
    /// The commit (`GITHUB_SHA`), shown by its first seven characters.
    pub commit: Option<String>,
    /// When the plan was made, as people read it: `2026-12-06 04:39 UTC`.
    pub at: String,
    /// The whole line instead (`--footer`), its code spans as code.
    pub text: Option<String>,
}

impl Footer {
    fn render(&self) -> String {
        if let Some(text) = &self.text {
            return format!("<sub>{}</sub>", markdown_message(text));
        }
        let made = match &self.commit {
            Some(sha) => format!(
                "Plan of <code>{}</code> · {}",
                escape_markdown(&sha.chars().take(7).collect::<String>()),
                escape_markdown(&self.at)
            ),
            None => format!("Plan made {}", escape_markdown(&self.at)),
        };
        format!("<sub>{made} · merging runs <code>budgetctl apply</code></sub>")
    }
}

/// Changes shown as one: a budget alone, or the budgets a template made
/// with the same change in several accounts.
struct Row<'p> {
    changes: Vec<&'p Change>,
}

impl<'p> Row<'p> {
    fn first(&self) -> &'p Change {
        self.changes[0]
    }

    fn is_group(&self) -> bool {
        self.changes.len() > 1
    }

    /// `<code>111122223333/name</code>`, or `<code>name</code> × 40 accounts`.
    fn label(&self) -> String {
        let c = self.first();
        if self.is_group() {
            format!(
                "<code>{}</code> × {} accounts",
                escape_markdown(&c.budget.name),
                self.changes.len()
            )
        } else {
            format!("<code>{}</code>", escape_markdown(&c.budget.address()))
        }
    }

    /// The same in plain text, for the diff block.
    fn plain_label(&self) -> String {
        let c = self.first();
        if self.is_group() {
            format!("{} × {} accounts", c.budget.name, self.changes.len())
        } else {
            c.budget.address()
        }
    }
}

/// What makes two template-made changes one row: the kind, the budget's
/// name, the template, and every line of the change.
type Shape<'p> = (ChangeKind, &'p str, &'p str, Vec<(char, String)>);

/// The changes as rows: template-made budgets with the same change in
/// several accounts together, then ordered by risk, then by name.
fn rows(plan: &Plan) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    let mut by_shape: HashMap<Shape<'_>, usize> = HashMap::new();
    for c in &plan.changes {
        let template = c
            .origin
            .as_deref()
            .filter(|o| o.starts_with("from template "));
        let Some(template) = template else {
            rows.push(Row { changes: vec![c] });
            continue;
        };
        let key = (c.kind, c.budget.name.as_str(), template, change_lines(c));
        match by_shape.get(&key) {
            Some(&i) => rows[i].changes.push(c),
            None => {
                by_shape.insert(key, rows.len());
                rows.push(Row { changes: vec![c] });
            }
        }
    }
    rows.sort_by(|a, b| {
        let risk = |r: &Row<'_>| r.changes.iter().map(|c| c.risk()).min();
        (risk(a), &a.first().budget.name, &a.first().budget.account).cmp(&(
            risk(b),
            &b.first().budget.name,
            &b.first().budget.account,
        ))
    });
    rows
}

/// The plan for a pull-request comment.
pub fn markdown(plan: &Plan, footer: &Footer) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}");
    if plan.has_errors() {
        failed(&mut out, plan);
    } else {
        let worth = money::net(plan)
            .map(|n| format!(" · limits {}", escape_markdown(&n)))
            .unwrap_or_default();
        let _ = writeln!(out, "### budgetctl: {}{worth}\n", summary(plan));
    }
    let rows = rows(plan);
    let (unchanged, about_changes) = plan.warnings_by_change();
    careful_look(&mut out, &rows, &about_changes);
    if plan.has_changes() {
        table(&mut out, &rows);
        details(&mut out, &rows);
    } else if !plan.has_errors() {
        let _ = writeln!(out, "No changes. Budgets match the configuration.\n");
    }
    policy(&mut out, plan);
    off_track(&mut out, &unchanged);
    if !plan.unmanaged.is_empty() {
        let names = capped(
            plan.unmanaged
                .iter()
                .map(|r| format!("<code>{}</code>", escape_markdown(&r.address()))),
        );
        let _ = writeln!(
            out,
            "Unmanaged, **not deleted** (<code>prune: false</code>): {}: in AWS, in no file, left as they are.\n",
            names.join(", ")
        );
    }
    let _ = writeln!(out, "{}", footer.render());
    out
}

/// A failed plan says so first: a reviewer must not read it as "no
/// changes", nor the last comment as current.
fn failed(out: &mut String, plan: &Plan) {
    let _ = writeln!(
        out,
        "### budgetctl: the plan failed: {} AWS cannot make; nothing can be applied until the files change\n",
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
}

/// The comment when no plan could be made: what went wrong, each error
/// with where it is (`budgets.yaml:5:11`, or nowhere), so that the last
/// plan's comment does not stand as if it were current.
pub fn failed_before(what: &str, errors: &[(String, String)], footer: &Footer) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}");
    let _ = writeln!(
        out,
        "### budgetctl: the plan failed before a plan was made; nothing can be applied\n"
    );
    let _ = writeln!(out, "> [!CAUTION]");
    let _ = writeln!(out, "> **{}:**", escape_markdown(what));
    let _ = writeln!(out, ">");
    for item in capped(errors.iter().map(|(at, message)| {
        if at.is_empty() {
            markdown_message(message)
        } else {
            format!(
                "<code>{}</code>: {}",
                escape_markdown(at),
                markdown_message(message)
            )
        }
    })) {
        let _ = writeln!(out, "> - {item}");
    }
    let _ = writeln!(out, "\n{}", footer.render());
    out
}

/// At most [`LIST_AT_MOST`] items, then how many more.
fn capped(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.collect();
    if items.len() > LIST_AT_MOST {
        let more = items.len() - LIST_AT_MOST;
        items.truncate(LIST_AT_MOST);
        items.push(format!("and {more} more"));
    }
    items
}

/// ` in 3 of 40 accounts` for a row of several budgets.
fn share(row: &Row<'_>, count: usize) -> String {
    if row.is_group() {
        format!(" (in {count} of {} accounts)", row.changes.len())
    } else {
        String::new()
    }
}

/// A row's consequences of one kind, alert and action together: the first
/// of them, and in how many of the row's budgets.
fn consequences<'p>(row: &Row<'p>) -> Vec<(&'p Consequence, usize)> {
    let mut seen: Vec<(&'p Consequence, usize)> = Vec::new();
    for c in &row.changes {
        for x in &c.consequences {
            match seen
                .iter_mut()
                .find(|(s, _)| s.kind == x.kind && s.alert == x.alert && s.action == x.action)
            {
                Some((_, n)) => *n += 1,
                None => seen.push((x, 1)),
            }
        }
    }
    seen
}

/// The alerts of a deleted budget, with the state of those in ALARM.
fn deleted_alerts(c: &Change) -> String {
    let unit = unit_of(c);
    let alarms: Vec<_> = c
        .consequences
        .iter()
        .filter(|x| x.kind == ConsequenceKind::AlertSilenced)
        .filter_map(|x| x.alert.as_ref())
        .collect();
    let alerts: Vec<String> = c
        .live
        .iter()
        .flat_map(|b| &b.notifications)
        .map(|n| {
            let state = if alarms.contains(&&n.key) {
                " **in ALARM**"
            } else {
                " OK"
            };
            format!(
                "<code>{}</code>{state}",
                escape_markdown(&n.key.phrase(unit))
            )
        })
        .collect();
    match alerts.len() {
        0 => "no alerts".to_owned(),
        1 => format!("alert {}", alerts[0]),
        _ => format!("alerts {}", alerts.join(", ")),
    }
}

/// Deletions, actions that run or run without approval, alerts that fire
/// or fall silent, actions deleted, and the warnings about the changes.
fn careful_look(out: &mut String, rows: &[Row<'_>], warnings: &[&Warning]) {
    let mut items = Vec::new();
    for row in rows {
        let c = row.first();
        if c.kind == ChangeKind::Delete {
            let mut facts = Vec::new();
            let limit = c.limit.as_ref().and_then(|l| Some((l.before?, &l.unit)));
            match (c.spend.as_ref(), limit) {
                (Some(s), Some((limit, unit))) if *unit == s.unit => facts.push(format!(
                    "{} of {} {} spent this period",
                    amount(s.actual),
                    amount(limit),
                    escape_markdown(unit)
                )),
                (Some(s), _) => facts.push(format!(
                    "{} {} spent this period",
                    amount(s.actual),
                    escape_markdown(&s.unit)
                )),
                (None, Some((limit, unit))) => {
                    facts.push(format!("limit {} {}", amount(limit), escape_markdown(unit)))
                }
                (None, None) => {}
            }
            facts.push(deleted_alerts(c));
            let why = c
                .origin
                .as_deref()
                .map(|o| format!(" (because {})", markdown_message(&with_code_span(o))))
                .unwrap_or_default();
            items.push(format!(
                "🗑️ **Deletes** {}: {}{why}",
                row.label(),
                facts.join("; ")
            ));
        }
        for (x, count) in consequences(row) {
            let already_said = c.kind == ChangeKind::Delete
                && matches!(
                    x.kind,
                    ConsequenceKind::DeletedWithSpend | ConsequenceKind::AlertSilenced
                );
            if !x.kind.needs_a_careful_look() || already_said {
                continue;
            }
            items.push(format!(
                "{} {}: {}{}",
                icon(x.kind),
                row.label(),
                markdown_message(&x.message),
                share(row, count)
            ));
        }
        for a in &c.actions {
            let what = match a {
                ActionChange::Delete { status, .. } if c.kind != ChangeKind::Delete => {
                    format!("**deletes** it ({})", status.aws_name())
                }
                ActionChange::Delete { status, .. } => {
                    format!("goes with the budget ({})", status.aws_name())
                }
                ActionChange::Replace { status, .. } => format!(
                    "its type changes, so it is **deleted** ({}) and created again",
                    status.aws_name()
                ),
                _ => continue,
            };
            items.push(format!(
                "🗑️ {}: action <code>{}</code> {what}",
                row.label(),
                escape_markdown(a.name())
            ));
        }
    }
    // Warnings about the changes, each message once.
    let mut said: Vec<(&str, Vec<&Warning>)> = Vec::new();
    for w in warnings {
        match said.iter_mut().find(|(m, _)| *m == w.message) {
            Some((_, ws)) => ws.push(w),
            None => said.push((&w.message, vec![w])),
        }
    }
    for (message, ws) in said {
        let more = match ws.len() {
            1 => String::new(),
            n => format!(" and {}", plural(n - 1, "more budget")),
        };
        items.push(format!(
            "⚠️ <code>{}</code>{more}: {}",
            escape_markdown(&ws[0].budget.address()),
            markdown_message(message)
        ));
    }
    if items.is_empty() {
        return;
    }
    let count = items.len();
    let _ = writeln!(out, "> [!CAUTION]");
    let _ = writeln!(out, "> **Needs a careful look ({count})**");
    let _ = writeln!(out, ">");
    for item in capped(items.into_iter()) {
        let _ = writeln!(out, "> - {item}");
    }
    out.push('\n');
}

/// `prune: true for account …` with its setting as a code span.
fn with_code_span(origin: &str) -> String {
    match origin.strip_prefix("prune: true") {
        Some(rest) => format!("`prune: true`{rest}"),
        None => origin.to_owned(),
    }
}

/// One row per budget, or per template's budgets changed alike.
fn table(out: &mut String, rows: &[Row<'_>]) {
    let _ = writeln!(
        out,
        "| | Budget | Limit | Spent | Forecast | After this PR |"
    );
    let _ = writeln!(out, "| :-: | --- | --: | --: | --: | --- |");
    for row in rows {
        let c = row.first();
        let mark = match c.kind {
            ChangeKind::Create => "➕",
            ChangeKind::Update => "✏️",
            ChangeKind::Delete => "🗑️",
        };
        let period = c
            .period()
            .filter(|p| *p != budgetctl_spec::TimeUnit::Monthly)
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        let (spent, forecast) = spend_cells(row);
        let _ = writeln!(
            out,
            "| {mark} | {}{period} | {} | {spent} | {forecast} | {} |",
            row.label(),
            limit_cell(row),
            after_cell(row)
        );
    }
    out.push('\n');
}

/// `<del>25,000</del> → **15,000** USD`, with what sets it beneath.
fn limit_cell(row: &Row<'_>) -> String {
    let c = row.first();
    let Some(l) = &c.limit else {
        return "–".to_owned();
    };
    let side = |v: Option<Decimal>| v.map_or_else(|| "–".to_owned(), amount);
    let amounts = match (c.kind, l.before, l.after) {
        (ChangeKind::Create, _, after) => format!("**{}**", side(after)),
        (ChangeKind::Delete, before, _) => {
            return format!(
                "<del>{} {}</del> → –",
                side(before),
                escape_markdown(&l.unit)
            );
        }
        (_, before, after) if before == after => side(after),
        (_, before, after) => format!("<del>{}</del> → **{}**", side(before), side(after)),
    };
    let each = if row.is_group() { " each" } else { "" };
    let by = l
        .set_by
        .as_deref()
        .map(|b| format!("<br><sub>{}</sub>", escape_markdown(b)))
        .unwrap_or_default();
    format!("{amounts} {}{each}{by}", escape_markdown(&l.unit))
}

/// This period's actual and forecasted spend, each with its share of the
/// new limit (the old one for a deletion); a row of several budgets shows
/// their totals.
fn spend_cells(row: &Row<'_>) -> (String, String) {
    let spends: Vec<_> = row
        .changes
        .iter()
        .filter_map(|c| c.spend.as_ref())
        .collect();
    if spends.is_empty() {
        return ("–".to_owned(), "–".to_owned());
    }
    let c = row.first();
    let limit = c
        .limit
        .as_ref()
        .filter(|l| l.unit == spends[0].unit)
        .and_then(|l| match c.kind {
            ChangeKind::Delete => l.before,
            _ => l.after,
        })
        .map(|l| l * Decimal::from(spends.len()));
    let cell = |v: Decimal| {
        let pct = limit
            .and_then(|l| percent(v, l))
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        let total = if row.is_group() { " total" } else { "" };
        format!("{}{total}{pct}", amount(v))
    };
    let actual: Decimal = spends.iter().map(|s| s.actual).sum();
    let forecasts: Vec<Decimal> = spends.iter().filter_map(|s| s.forecasted).collect();
    let forecast = if forecasts.is_empty() {
        "–".to_owned()
    } else {
        cell(forecasts.iter().copied().sum())
    };
    (cell(actual), forecast)
}

/// What the change sets off, shortly; or what it changes.
fn after_cell(row: &Row<'_>) -> String {
    let c = row.first();
    let unit = unit_of(c);
    // A budget's own percentages; a row of several has its totals beside.
    let pct = |v: Option<Decimal>| {
        let limit = c.limit.as_ref()?.after?;
        (!row.is_group()).then(|| percent(v?, limit)).flatten()
    };
    let actual = pct(c.spend.as_ref().map(|s| s.actual));
    let forecast = pct(c.spend.as_ref().and_then(|s| s.forecasted));
    let said: Vec<String> = consequences(row)
        .into_iter()
        .map(|(x, count)| {
            let alert = || {
                x.alert
                    .as_ref()
                    .map(|a| format!("<code>{}</code>", escape_markdown(&a.phrase(unit))))
                    .unwrap_or_default()
            };
            let action = || {
                format!(
                    "<code>{}</code>",
                    escape_markdown(x.action.as_deref().unwrap_or(""))
                )
            };
            let short = match x.kind {
                ConsequenceKind::ActionRuns => format!("action {} runs at once", action()),
                ConsequenceKind::AutomaticAction => {
                    format!("action {} runs without approval", action())
                }
                ConsequenceKind::AlertFires => format!("alert {} fires at once", alert()),
                ConsequenceKind::AlertSilenced => {
                    format!("alert {} in ALARM falls silent", alert())
                }
                ConsequenceKind::DeletedWithSpend => "tracking and alerts stop".to_owned(),
                ConsequenceKind::OverLimit => match &actual {
                    Some(p) => format!("{p} spent: over budget"),
                    None => "over budget".to_owned(),
                },
                ConsequenceKind::ForecastOverLimit => match &forecast {
                    Some(p) => format!("forecast {p} of the new limit"),
                    None => "forecast over the new limit".to_owned(),
                },
            };
            format!("{} {short}{}", icon(x.kind), share(row, count))
        })
        .collect();
    if !said.is_empty() {
        return said.join("<br>");
    }
    match c.kind {
        ChangeKind::Delete => "alerts stop".to_owned(),
        ChangeKind::Create => match &c.origin {
            Some(o) => markdown_message(&template_span(o)),
            None => "new budget".to_owned(),
        },
        ChangeKind::Update => what_changes(c),
    }
}

/// `from template budgets.yaml:190:5` with the place as a code span.
fn template_span(origin: &str) -> String {
    match origin.strip_prefix("from template ") {
        Some(at) => format!("from template `{at}`"),
        None => origin.to_owned(),
    }
}

/// An update's parts that change: `limit, tags; 1 alert change`.
fn what_changes(c: &Change) -> String {
    let mut parts = Vec::new();
    let fields: Vec<String> = c
        .fields
        .iter()
        .map(|f| escape_markdown(&f.field.to_string()))
        .collect();
    if !fields.is_empty() {
        parts.push(fields.join(", "));
    }
    let subscribers: usize = c
        .notifications
        .iter()
        .map(|n| match n {
            NotificationChange::Subscribers {
                swap, add, remove, ..
            } => swap.len() + add.len() + remove.len(),
            _ => 0,
        })
        .sum();
    let alerts = c
        .notifications
        .iter()
        .filter(|n| !matches!(n, NotificationChange::Subscribers { .. }))
        .count();
    if alerts > 0 {
        parts.push(format!("alerts: {}", plural(alerts, "change")));
    }
    if subscribers > 0 {
        parts.push(format!(
            "alerts: {}",
            plural(subscribers, "subscriber change")
        ));
    }
    if !c.tags.is_empty() {
        parts.push(plural(c.tags.len(), "tag change"));
    }
    if !c.actions.is_empty() {
        let fields: Vec<String> = c
            .actions
            .iter()
            .flat_map(|a| match a {
                ActionChange::Update { fields, .. } => {
                    fields.iter().map(|f| f.field.to_string()).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        if fields.is_empty() {
            parts.push(plural(c.actions.len(), "action change"));
        } else {
            parts.push(format!(
                "action {} changed",
                escape_markdown(&fields.join(", "))
            ));
        }
    }
    parts.join("; ")
}

/// The field-by-field changes in one ```` ```diff ```` block that GitHub
/// colours: `+` added, `-` removed, `!` changed. Every line is escaped
/// for a terminal (a value cannot start a line of its own), and the fence
/// is longer than any run of backticks inside it (a value cannot close it).
fn details(out: &mut String, rows: &[Row<'_>]) {
    let mut block = String::new();
    for row in rows {
        let c = row.first();
        let (sign, word) = action_word(c.kind);
        let sign = diff_sign(sign);
        let from = c
            .origin
            .as_deref()
            .map(|o| format!(" ({o})"))
            .unwrap_or_default();
        let _ = writeln!(
            block,
            "{sign} {word} {}",
            escape_text(&format!("{}{from}", row.plain_label()))
        );
        for (s, line) in change_lines(c) {
            let _ = writeln!(block, "{}   {}", diff_sign(s), escape_text(&line));
        }
        if row.is_group() {
            let accounts: Vec<&str> = row
                .changes
                .iter()
                .map(|c| c.budget.account.as_str())
                .collect();
            for chunk in accounts.chunks(8) {
                let _ = writeln!(block, "    in {}", chunk.join(", "));
            }
        }
    }
    let longest = block.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let budgets: usize = rows.iter().map(|r| r.changes.len()).sum();
    let _ = writeln!(
        out,
        "<details><summary>Field-by-field changes ({})</summary>\n\n{fence}diff\n{block}{fence}\n\n</details>\n",
        plural(budgets, "budget")
    );
}

/// A plan sign as a diff block colours it: `~` is `!`.
fn diff_sign(sign: char) -> char {
    match sign {
        '~' => '!',
        other => other,
    }
}

/// The policy rules the changes come to break or stop breaking, a line each.
fn policy(out: &mut String, plan: &Plan) {
    if plan.policy.is_empty() {
        return;
    }
    let _ = writeln!(out, "**Policy**\n");
    for item in capped(plan.policy.iter().map(|p| {
        let (icon, what) = match p.change {
            budgetctl_diff::PolicyEffect::Introduced => ("🚫", "breaks"),
            budgetctl_diff::PolicyEffect::Fixed => ("✅", "fixes"),
        };
        let level = match p.level {
            budgetctl_spec::policy::Level::Error => "",
            budgetctl_spec::policy::Level::Warning => " (warning)",
        };
        format!(
            "{icon} {what} <code>{}</code>{level}: {}",
            p.rule,
            markdown_message(&p.message)
        )
    })) {
        let _ = writeln!(out, "- {item}");
    }
    out.push('\n');
}

/// Warnings about budgets the plan leaves as they are: apart from the
/// changes, collapsed.
fn off_track(out: &mut String, warnings: &[&Warning]) {
    if warnings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Not changed by this PR, but off track ({})</summary>\n",
        warnings.len()
    );
    for item in capped(warnings.iter().map(|w| {
        format!(
            "<code>{}</code>: {}",
            escape_markdown(&w.budget.address()),
            markdown_message(&w.message)
        )
    })) {
        let _ = writeln!(out, "- {item}");
    }
    let _ = writeln!(out, "\n</details>\n");
}
