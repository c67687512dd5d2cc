//! `budgetctl status` shown: a terminal table with a bar per budget, a
//! markdown table for a job summary or an issue, one self-contained html
//! page with an SVG chart per budget, and a versioned JSON document. Every
//! name and value a user or AWS wrote is escaped for where it goes.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use budgetctl_diff::status::{BudgetStatus, Standing, Total, totals};
use budgetctl_engine::status::Status;
use rust_decimal::Decimal;
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::escape::{escape_html, escape_markdown, escape_text, plural};
use super::money::{amount, signed};

/// The version of the status JSON document.
pub const STATUS_FORMAT_VERSION: u32 = 1;

/// The cells of a bar, besides the limit's mark.
const BAR: usize = 24;

/// The widest a budget's name is shown in text before it is cut.
const NAME_AT_MOST: usize = 48;

/// The bar of one budget: actual filled, forecast shaded, the limit a mark
/// between cells, all on the scale of the largest of the three. Plain
/// characters without colour (`#`, `=`, `|`).
pub fn bar(row: &BudgetStatus, color: bool) -> String {
    let (Some(limit), Some(spend)) = (&row.limit, &row.spend) else {
        return " ".repeat(BAR + 1);
    };
    if limit.unit != spend.unit {
        return " ".repeat(BAR + 1);
    }
    let forecast = spend.forecasted.unwrap_or(spend.actual).max(spend.actual);
    let scale = limit.amount.max(forecast);
    if scale.is_zero() {
        return " ".repeat(BAR + 1);
    }
    let cells = |v: Decimal| -> usize {
        use rust_decimal::prelude::ToPrimitive as _;
        (v * Decimal::from(BAR) / scale)
            .round()
            .to_usize()
            .unwrap_or(0)
            .min(BAR)
    };
    let (actual, forecast, mark) = (cells(spend.actual), cells(forecast), cells(limit.amount));
    let (fill, shade, empty, limit_mark) = if color {
        ('█', '▒', '·', '│')
    } else {
        ('#', '=', '.', '|')
    };
    let style = standing_style(row.standing(), color);
    let mut out = String::new();
    for i in 0..BAR {
        if i == mark {
            let _ = write!(out, "{style:#}{limit_mark}{style}");
        }
        out.push(if i < actual {
            fill
        } else if i < forecast {
            shade
        } else {
            empty
        });
    }
    if mark >= BAR {
        let _ = write!(out, "{style:#}{limit_mark}{style}");
    }
    format!("{style}{out}{style:#}")
}

fn standing_style(standing: Standing, color: bool) -> Style {
    if !color {
        return Style::new();
    }
    let c = match standing {
        Standing::Over => AnsiColor::Red,
        Standing::ForecastOver => AnsiColor::Yellow,
        Standing::OnTrack => AnsiColor::Green,
        Standing::Unknown => return Style::new(),
    };
    Style::new().fg_color(Some(c.into()))
}

/// The last periods' actual spend as a sparkline (`▁▃▅█`), each on the
/// scale of the largest actual or budgeted amount among them.
pub fn sparkline(row: &BudgetStatus) -> String {
    const TICKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = row
        .history
        .iter()
        .flat_map(|p| [p.actual, p.budgeted])
        .flatten()
        .max()
        .unwrap_or_default();
    row.history
        .iter()
        .map(|p| match p.actual {
            Some(a) if !top.is_zero() => {
                use rust_decimal::prelude::ToPrimitive as _;
                let i = (a * Decimal::from(7) / top).round().to_usize().unwrap_or(0);
                TICKS[i.min(7)]
            }
            _ => ' ',
        })
        .collect()
}

/// `123%`, or empty.
fn pct(v: Option<Decimal>) -> String {
    v.map(|p| format!("{p}%")).unwrap_or_default()
}

/// The limit, `15,000 USD`, or `–`.
fn limit_text(row: &BudgetStatus) -> String {
    row.limit.as_ref().map_or_else(
        || "–".to_owned(),
        |l| format!("{} {}", amount(l.amount), l.unit),
    )
}

/// What else a reviewer of the budget should know, as separate notes:
/// alerts with their state, health, actions, responses due, where the
/// limit comes from, and whether the files manage it.
fn notes(row: &BudgetStatus) -> Vec<String> {
    let unit = row.limit.as_ref().map(|l| l.unit.as_str());
    let mut notes = Vec::new();
    if !row.managed {
        notes.push("unmanaged (in no file)".to_owned());
    }
    if let Some(by) = &row.set_by {
        notes.push(format!("limit {by}"));
    }
    if !row.alerts.is_empty() {
        let alerts: Vec<String> = row
            .alerts
            .iter()
            .map(|(k, alarm)| format!("{} {}", k.phrase(unit), if *alarm { "ALARM" } else { "OK" }))
            .collect();
        notes.push(format!("alerts {}", alerts.join(", ")));
    }
    if let Some(h) = &row.health {
        notes.push(match &h.reason {
            Some(r) => format!("health {} ({r})", h.status),
            None => format!("health {}", h.status),
        });
    }
    for (name, status) in &row.actions {
        notes.push(format!("action {name} {}", status.aws_name()));
    }
    for r in &row.responses_due {
        notes.push(format!("response {r} due"));
    }
    notes
}

/// `name` cut to `width` display columns, with an ellipsis when cut.
fn cut(name: &str, width: usize) -> String {
    if name.width() <= width {
        return name.to_owned();
    }
    let mut out = String::new();
    for c in name.chars() {
        if out.width() + c.to_string().width() + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// `text` padded to `width` display columns, on the left or the right.
fn pad(text: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(text.width()));
    if right {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

/// The status for a terminal: a header, one aligned row per budget with
/// its bar, its notes beneath (wrapped at word boundaries to `width`),
/// then totals per account and unit.
pub fn text(status: &Status, rows: &[BudgetStatus], color: bool, width: usize) -> String {
    let mut out = String::new();
    let history = rows.iter().any(|r| !r.history.is_empty());
    let names: Vec<String> = rows
        .iter()
        .map(|r| cut(&escape_text(&r.address()), NAME_AT_MOST))
        .collect();
    let name_width = names.iter().map(|n| n.width()).max().unwrap_or(0).max(6);
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            let spend = r.spend.as_ref();
            [
                r.period.to_string(),
                escape_text(&limit_text(r)).into_owned(),
                spend
                    .map(|s| amount(s.actual))
                    .unwrap_or_else(|| "–".into()),
                pct(r.actual_percent()),
                spend
                    .and_then(|s| s.forecasted)
                    .map(amount)
                    .unwrap_or_else(|| "–".into()),
                pct(r.forecasted_percent()),
                r.variance().map(signed).unwrap_or_default(),
            ]
        })
        .collect();
    let heads = ["period", "limit", "actual", "", "forecast", "", "variance"];
    let widths: Vec<usize> = (0..7)
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].width())
                .chain([heads[i].width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let bold = if color {
        Style::new().bold()
    } else {
        Style::new()
    };
    let mut header = format!("{}  ", pad("budget", name_width, false));
    for (i, h) in heads.iter().enumerate() {
        header.push_str(&pad(h, widths[i], i != 0));
        header.push_str("  ");
    }
    header.push_str(&pad("spend, | the limit", BAR + 1, false));
    if history {
        header.push_str("  history");
    }
    let _ = writeln!(out, "{bold}{}{bold:#}", header.trim_end());
    let indent = name_width + 2;
    for ((r, name), c) in rows.iter().zip(&names).zip(&cells) {
        let mut line = format!("{}  ", pad(name, name_width, false));
        for (i, cell) in c.iter().enumerate() {
            line.push_str(&pad(cell, widths[i], i != 0));
            line.push_str("  ");
        }
        line.push_str(&bar(r, color));
        if history {
            line.push_str("  ");
            line.push_str(&sparkline(r));
        }
        let _ = writeln!(out, "{}", line.trim_end());
        let notes = notes(r);
        if !notes.is_empty() {
            let text = escape_text(&notes.join(" · ")).into_owned();
            let options = textwrap::Options::new(width.saturating_sub(indent).max(40))
                .initial_indent("")
                .subsequent_indent("");
            for l in textwrap::wrap(&text, options) {
                let _ = writeln!(out, "{}{l}", " ".repeat(indent));
            }
        }
    }
    if rows.is_empty() {
        let _ = writeln!(out, "No budgets in the accounts read.");
    }
    let sums = totals(rows);
    if !sums.is_empty() {
        let _ = writeln!(out, "\n{bold}Totals{bold:#}");
        for t in &sums {
            let _ = writeln!(out, "  {}", escape_text(&total_line(t)));
        }
    }
    for u in &status.unreadable {
        let _ = writeln!(
            out,
            "! {}/{}: {} (left out)",
            u.account,
            escape_text(&u.name),
            escape_text(&u.reason)
        );
    }
    let _ = writeln!(out, "{}", summary(status, rows));
    out
}

/// `111122223333 USD: limit 18,443.37, actual 20,231 (110%), forecast 31,091 (169%), 5 budgets`.
fn total_line(t: &Total) -> String {
    let share = |v: Decimal| {
        budgetctl_diff::percent_of(v, t.limit)
            .map(|p| format!(" ({p}%)"))
            .unwrap_or_default()
    };
    format!(
        "{} {}: limit {}, actual {}{}, forecast {}{}, {}",
        t.account,
        t.unit,
        amount(t.limit),
        amount(t.actual),
        share(t.actual),
        amount(t.forecasted),
        share(t.forecasted),
        plural(t.budgets, "budget")
    )
}

/// `12 budgets in 3 accounts on 2026-12-06: 2 over, 1 forecast over.`
fn summary(status: &Status, rows: &[BudgetStatus]) -> String {
    let count = |s| rows.iter().filter(|r| r.standing() == s).count();
    format!(
        "{} in {} on {}: {} over, {} forecast over.",
        plural(rows.len(), "budget"),
        plural(status.accounts, "account"),
        status.today,
        count(Standing::Over),
        count(Standing::ForecastOver)
    )
}

fn standing_icon(s: Standing) -> &'static str {
    match s {
        Standing::Over => "🔴",
        Standing::ForecastOver => "🟠",
        Standing::OnTrack => "🟢",
        Standing::Unknown => "⚪",
    }
}

/// The status as markdown, for a job summary or an issue.
pub fn markdown(status: &Status, rows: &[BudgetStatus]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### budgetctl status: {}\n",
        escape_markdown(&summary(status, rows))
    );
    let history = rows.iter().any(|r| !r.history.is_empty());
    let _ = write!(
        out,
        "| | Budget | Period | Limit | Actual | Forecast | Variance |{}  Notes |\n| :-: | --- | --- | --: | --: | --: | --: |{} --- |\n",
        if history { " History |" } else { "" },
        if history { " --- |" } else { "" }
    );
    for r in rows {
        let spend = r.spend.as_ref();
        let with_pct = |v: Option<Decimal>, p: Option<Decimal>| match v {
            Some(v) => match p {
                Some(p) => format!("{} ({p}%)", amount(v)),
                None => amount(v),
            },
            None => "–".to_owned(),
        };
        let history_cell = if history {
            format!(" {} |", sparkline(r))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} | <code>{}</code> | {} | {} | {} | {} | {} |{history_cell} {} |",
            standing_icon(r.standing()),
            escape_markdown(&r.address()),
            r.period,
            escape_markdown(&limit_text(r)),
            with_pct(spend.map(|s| s.actual), r.actual_percent()),
            with_pct(spend.and_then(|s| s.forecasted), r.forecasted_percent()),
            r.variance().map(signed).unwrap_or_default(),
            escape_markdown(&notes(r).join(" · "))
        );
    }
    let sums = totals(rows);
    if !sums.is_empty() {
        let _ = writeln!(out, "\n**Totals**\n");
        for t in &sums {
            let _ = writeln!(out, "- {}", escape_markdown(&total_line(t)));
        }
    }
    for u in &status.unreadable {
        let _ = writeln!(
            out,
            "\n- <code>{}/{}</code>: {} (left out)",
            u.account,
            escape_markdown(&u.name),
            escape_markdown(&u.reason)
        );
    }
    out
}

/// One budget's chart: past periods' actual spend as bars with what was
/// budgeted as a tick, then this period's actual (filled) and forecast
/// (outlined), the current limit as a dashed line; every value labelled
/// in a `<title>`, so the page reads without script.
fn chart(r: &BudgetStatus) -> String {
    const SLOT: f64 = 36.0;
    const H: f64 = 90.0;
    use rust_decimal::prelude::ToPrimitive as _;
    let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
    let spend = r.spend.as_ref();
    let limit = r.limit.as_ref().map(|l| f(l.amount));
    let mut top: f64 = limit.unwrap_or(0.0);
    for p in &r.history {
        top = top.max(p.actual.map(f).unwrap_or(0.0));
        top = top.max(p.budgeted.map(f).unwrap_or(0.0));
    }
    if let Some(s) = spend {
        top = top.max(f(s.actual)).max(s.forecasted.map(f).unwrap_or(0.0));
    }
    if top <= 0.0 {
        top = 1.0;
    }
    let slots = r.history.len() + 1;
    let slot = SLOT;
    let w = SLOT * slots as f64;
    let y = |v: f64| H - v / top * (H - 4.0);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {H}\" width=\"{w}\" height=\"{H}\" role=\"img\" aria-label=\"{}\">",
        escape_html(&format!("spend of {}", r.address()))
    );
    for (i, p) in r.history.iter().enumerate() {
        let x = i as f64 * slot + 2.0;
        if let Some(a) = p.actual {
            let _ = write!(
                svg,
                "<rect class=\"past\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {} spent of {} budgeted</title></rect>",
                y(f(a)),
                slot - 4.0,
                H - y(f(a)),
                p.start,
                escape_html(&amount(a)),
                escape_html(&p.budgeted.map(amount).unwrap_or_else(|| "–".into()))
            );
        }
        if let Some(b) = p.budgeted {
            let _ = write!(
                svg,
                "<line class=\"budgeted\" x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
                x + slot - 4.0,
                y(f(b)),
                y(f(b))
            );
        }
    }
    let x = (slots - 1) as f64 * slot + 2.0;
    if let Some(s) = spend {
        if let Some(fc) = s.forecasted {
            let _ = write!(
                svg,
                "<rect class=\"forecast\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>forecast {}</title></rect>",
                y(f(fc)),
                slot - 4.0,
                H - y(f(fc)),
                escape_html(&amount(fc))
            );
        }
        let _ = write!(
            svg,
            "<rect class=\"actual {}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>actual {}</title></rect>",
            standing_class(r.standing()),
            y(f(s.actual)),
            slot - 4.0,
            H - y(f(s.actual)),
            escape_html(&amount(s.actual))
        );
    }
    if let Some(l) = limit {
        let _ = write!(
            svg,
            "<line class=\"limit\" x1=\"0\" x2=\"{w}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>limit {}</title></line>",
            y(l),
            y(l),
            escape_html(&limit_text(r))
        );
    }
    svg.push_str("</svg>");
    svg
}

fn standing_class(s: Standing) -> &'static str {
    match s {
        Standing::Over => "over",
        Standing::ForecastOver => "forecast-over",
        Standing::OnTrack => "on-track",
        Standing::Unknown => "unknown",
    }
}

const PAGE_STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1f2328}\
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:middle}\
th{background:#f6f8fa}td.n{text-align:right;white-space:nowrap}code{font-size:12px;white-space:nowrap}\
.over{fill:#cf222e}.forecast-over{fill:#bf8700}.on-track{fill:#1a7f37}.unknown{fill:#8c959f}\
rect.past{fill:#afb8c1}rect.forecast{fill:none;stroke:#57606a;stroke-dasharray:3 2}\
line.budgeted{stroke:#57606a;stroke-width:2}line.limit{stroke:#cf222e;stroke-dasharray:6 3}\
tr.over td:first-child{border-left:4px solid #cf222e}tr.forecast-over td:first-child{border-left:4px solid #bf8700}";

/// One self-contained page: no external asset and no script; the table
/// and a chart per budget.
pub fn html(status: &Status, rows: &[BudgetStatus]) -> String {
    let mut out = String::new();
    let title = summary(status, rows);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>budgetctl status</title><style>{PAGE_STYLE}</style></head><body>\n<h1>budgetctl status</h1>\n<p>{}</p>\n<table>\n<thead><tr><th>Budget</th><th>Period</th><th>Limit</th><th>Actual</th><th>Forecast</th><th>Variance</th><th>Spend</th><th>Notes</th></tr></thead>\n<tbody>\n",
        escape_html(&title)
    );
    for r in rows {
        let spend = r.spend.as_ref();
        let with_pct = |v: Option<Decimal>, p: Option<Decimal>| match (v, p) {
            (Some(v), Some(p)) => format!("{} ({p}%)", amount(v)),
            (Some(v), None) => amount(v),
            _ => "–".to_owned(),
        };
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            standing_class(r.standing()),
            escape_html(&r.address()),
            r.period,
            escape_html(&limit_text(r)),
            with_pct(spend.map(|s| s.actual), r.actual_percent()),
            with_pct(spend.and_then(|s| s.forecasted), r.forecasted_percent()),
            r.variance().map(signed).unwrap_or_default(),
            chart(r),
            escape_html(&notes(r).join(" · "))
        );
    }
    out.push_str("</tbody></table>\n");
    let sums = totals(rows);
    if !sums.is_empty() {
        out.push_str("<h2>Totals</h2>\n<ul>\n");
        for t in &sums {
            let _ = writeln!(out, "<li>{}</li>", escape_html(&total_line(t)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body></html>\n");
    out
}

/// The status as its JSON document, format version 1.
#[derive(Serialize)]
pub struct StatusDocument<'a> {
    pub format_version: u32,
    pub today: chrono::NaiveDate,
    pub accounts: usize,
    pub budgets: Vec<BudgetDoc<'a>>,
    pub totals: Vec<Total>,
    pub unreadable: &'a [budgetctl_diff::Unreadable],
}

#[derive(Serialize)]
pub struct BudgetDoc<'a> {
    pub account: &'a str,
    pub name: &'a str,
    pub period: budgetctl_spec::TimeUnit,
    pub managed: bool,
    pub standing: Standing,
    pub limit: Option<LimitDoc<'a>>,
    pub spend: Option<&'a budgetctl_diff::LiveSpend>,
    pub actual_percent: Option<Decimal>,
    pub forecasted_percent: Option<Decimal>,
    pub variance: Option<Decimal>,
    pub alerts: Vec<AlertDoc>,
    pub health: Option<&'a budgetctl_diff::status::Health>,
    pub actions: Vec<ActionDoc<'a>>,
    pub responses_due: &'a [String],
    pub history: &'a [budgetctl_diff::status::PastPeriod],
}

#[derive(Serialize)]
pub struct LimitDoc<'a> {
    pub amount: Decimal,
    pub unit: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_by: Option<&'a str>,
}

#[derive(Serialize)]
pub struct AlertDoc {
    /// As a budget file says it: `actual > 80%`.
    pub alert: String,
    pub state: &'static str,
}

#[derive(Serialize)]
pub struct ActionDoc<'a> {
    pub name: &'a str,
    pub status: &'static str,
}

/// The JSON document of `rows`.
pub fn document<'a>(status: &'a Status, rows: &'a [BudgetStatus]) -> StatusDocument<'a> {
    StatusDocument {
        format_version: STATUS_FORMAT_VERSION,
        today: status.today,
        accounts: status.accounts,
        budgets: rows
            .iter()
            .map(|r| {
                let unit = r.limit.as_ref().map(|l| l.unit.as_str());
                BudgetDoc {
                    account: r.account.as_str(),
                    name: &r.name,
                    period: r.period,
                    managed: r.managed,
                    standing: r.standing(),
                    limit: r.limit.as_ref().map(|l| LimitDoc {
                        amount: l.amount,
                        unit: &l.unit,
                        set_by: r.set_by.as_deref(),
                    }),
                    spend: r.spend.as_ref(),
                    actual_percent: r.actual_percent(),
                    forecasted_percent: r.forecasted_percent(),
                    variance: r.variance(),
                    alerts: r
                        .alerts
                        .iter()
                        .map(|(k, alarm)| AlertDoc {
                            alert: k.phrase(unit),
                            state: if *alarm { "ALARM" } else { "OK" },
                        })
                        .collect(),
                    health: r.health.as_ref(),
                    actions: r
                        .actions
                        .iter()
                        .map(|(name, s)| ActionDoc {
                            name,
                            status: s.aws_name(),
                        })
                        .collect(),
                    responses_due: &r.responses_due,
                    history: &r.history,
                }
            })
            .collect(),
        totals: totals(rows),
        unreadable: &status.unreadable,
    }
}
