//! `budgetctl status` through the binary against budgetctl-local with
//! spend, alert states, history and a HealthStatus seeded: each format's
//! numbers and order, `--fail-on`, `--over`, `--history` and its requests,
//! escaping of hostile names, and the html page in a browser.

use chrono::{Datelike, Months, NaiveDate};
use serde_json::Value;

use crate::support::{Served, budgetctl_in, installed, needs, repo_root, text};

const HOSTILE: &str = "<img src=x onerror=alert(1)> | @team `x`";
const LONG: &str = "a-very-long-budget-name-that-goes-on-and-on-past-any-reasonable-column-width";

/// `(account, budget, actual, forecasted)`.
const SPEND: &[(&str, &str, &str, &str)] = &[
    ("111122223333", "over", "1200", "1500"),
    ("111122223333", "forecast-over", "300", "600"),
    ("111122223333", "on-track", "100", "200"),
    ("111122223333", HOSTILE, "50", "60"),
    ("111122223333", LONG, "1", "2"),
    ("111122223333", "legacy", "5", "10"),
    ("444455556666", "sandbox", "190", "250"),
];

/// budgetctl-local holding the status fixtures (`legacy` unmanaged), spend
/// and health seeded, and three months of `over`'s history.
struct Statused {
    dir: tempfile::TempDir,
    served: Served,
}

/// The first day of the month `back` months before this one.
fn month_start(back: u32) -> NaiveDate {
    let today = chrono::Utc::now().date_naive();
    let first = today.with_day(1).unwrap();
    first.checked_sub_months(Months::new(back)).unwrap()
}

impl Statused {
    fn start() -> Statused {
        let dir = tempfile::tempdir().unwrap();
        for file in ["budgets.yaml", "extra.yaml"] {
            std::fs::copy(
                repo_root().join("tests/fixtures/status").join(file),
                dir.path().join(file),
            )
            .unwrap();
        }
        let served = Served::start(&dir.path().join("state.json"));
        let s = Statused { dir, served };
        let apply = s.run(&[
            "apply",
            "--auto-approve",
            "-f",
            "budgets.yaml",
            "-f",
            "extra.yaml",
        ]);
        assert!(apply.status.success(), "{}", text(&apply));
        for (account, budget, actual, forecasted) in SPEND {
            let body = serde_json::json!({
                "AccountId": account,
                "BudgetName": budget,
                "ActualSpend": actual,
                "ForecastedSpend": forecasted,
            });
            s.seed(&body);
        }
        s.seed(&serde_json::json!({
            "AccountId": "111122223333",
            "BudgetName": "on-track",
            "HealthStatus": {"Status": "UNHEALTHY", "StatusReason": "FILTER_INVALID"},
        }));
        let history: Vec<Value> = [(3, "900"), (2, "1000"), (1, "1100")]
            .iter()
            .map(|(back, actual)| {
                serde_json::json!({
                    "Start": month_start(*back).to_string(),
                    "End": month_start(back - 1).to_string(),
                    "Budgeted": "1000",
                    "Actual": actual,
                })
            })
            .collect();
        s.seed(&serde_json::json!({
            "AccountId": "111122223333",
            "BudgetName": "over",
            "History": history,
        }));
        s
    }

    fn seed(&self, body: &Value) {
        let answer = self
            .served
            .control("POST", "/_local/spend", &body.to_string());
        assert!(!answer.contains("__type"), "{answer}");
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        budgetctl_in(self.dir.path())
            .args(args)
            .args(["--endpoint-url", &self.served.url])
            .output()
            .unwrap()
    }

    /// `status -f budgets.yaml` with `args`, which must exit 0.
    fn status(&self, args: &[&str]) -> String {
        let mut all = vec!["status", "-f", "budgets.yaml"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.status(&all)).unwrap()
    }

    /// Requests received per operation since the last call.
    fn requests(&self) -> Value {
        let counts: Value =
            serde_json::from_str(&self.served.control("GET", "/_local/requests", "")).unwrap();
        self.served.control("DELETE", "/_local/requests", "");
        counts["counts"].clone()
    }
}

fn names(doc: &Value) -> Vec<&str> {
    doc["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect()
}

fn budget<'d>(doc: &'d Value, name: &str) -> &'d Value {
    doc["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc:#}"))
}

#[test]
fn every_budget_stands_in_json_with_its_numbers_in_risk_order() {
    let s = Statused::start();
    let doc = s.json(&[]);
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["accounts"], 2);
    // Over, then forecast over by the larger share, then the rest by it.
    assert_eq!(
        names(&doc),
        [
            "over",
            "sandbox",
            "forecast-over",
            HOSTILE,
            LONG,
            "legacy",
            "on-track"
        ]
    );
    let over = budget(&doc, "over");
    assert_eq!(over["standing"], "over");
    assert_eq!(
        over["limit"],
        serde_json::json!({"amount": "1000", "unit": "USD"})
    );
    assert_eq!(
        over["spend"],
        serde_json::json!({"actual": "1200", "forecasted": "1500", "unit": "USD"})
    );
    assert_eq!(
        (
            &over["actual_percent"],
            &over["forecasted_percent"],
            &over["variance"]
        ),
        (
            &Value::from("120"),
            &Value::from("150"),
            &Value::from("500")
        )
    );
    assert_eq!(
        over["alerts"],
        serde_json::json!([{"alert": "actual > 100%", "state": "ALARM"}])
    );
    assert_eq!(budget(&doc, "forecast-over")["standing"], "forecast_over");
    assert_eq!(
        budget(&doc, "forecast-over")["alerts"][0]["state"],
        "ALARM",
        "forecast 600 is past 100% of 500"
    );
    assert_eq!(
        budget(&doc, "on-track")["health"],
        serde_json::json!({"status": "UNHEALTHY", "reason": "FILTER_INVALID"})
    );
    let sandbox = budget(&doc, "sandbox");
    assert_eq!(
        sandbox["actions"],
        serde_json::json!([{"name": "freeze", "status": "PENDING"}])
    );
    assert_eq!(
        sandbox["responses_due"],
        serde_json::json!(["approve-freeze"])
    );
    assert_eq!(budget(&doc, "legacy")["managed"], false);
    assert_eq!(budget(&doc, "over")["managed"], true);
    assert_eq!(
        doc["totals"],
        serde_json::json!([
            {"account": "111122223333", "unit": "USD", "limit": "3660", "actual": "1656", "forecasted": "2372", "budgets": 6},
            {"account": "444455556666", "unit": "USD", "limit": "200", "actual": "190", "forecasted": "250", "budgets": 1},
        ])
    );
    // Sorted otherwise on request.
    let by_spend = s.json(&["--sort", "spend"]);
    assert_eq!(names(&by_spend)[..3], ["over", "forecast-over", "sandbox"]);
    let by_name = s.json(&["--sort", "name"]);
    assert_eq!(names(&by_name)[0], HOSTILE, "`<` sorts first");
}

#[test]
fn text_shows_aligned_columns_bars_notes_and_totals() {
    let s = Statused::start();
    let out = s.status(&[]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("budget "), "{out}");
    for column in ["period", "limit", "actual", "forecast", "variance"] {
        assert!(lines[0].contains(column), "{out}");
    }
    let row = |name: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name}:\n{out}"))
    };
    let over = row("111122223333/over ");
    for cell in [
        "monthly",
        "1,000 USD",
        "1,200",
        "120%",
        "1,500",
        "150%",
        "+500",
    ] {
        assert!(over.contains(cell), "{cell}: {over}");
    }
    // Off a terminal: plain characters. 1,200 and 1,500 on a scale of
    // 1,500 over 24 cells: 19 filled, 5 shaded, the limit after 16.
    assert!(over.ends_with("  ################|###====="), "{over}");
    // Amount columns end at the same place on every row.
    let end_of = |l: &str, cell: &str| l.find(cell).map(|i| i + cell.len());
    assert_eq!(
        end_of(row("111122223333/on-track"), "2,000 USD"),
        end_of(over, "1,000 USD"),
        "{out}"
    );
    // A long name is cut with an ellipsis, never wrapped.
    assert!(
        out.contains("111122223333/a-very-long-budget-name-that-goes-…  monthly"),
        "{out}"
    );
    assert!(!out.contains(LONG), "{out}");
    // Notes under their row: alerts with state, health, actions, responses.
    assert!(out.contains("alerts actual > 100% ALARM"), "{out}");
    assert!(out.contains("health UNHEALTHY (FILTER_INVALID)"), "{out}");
    assert!(
        out.contains("action freeze PENDING · response approve-freeze due"),
        "{out}"
    );
    assert!(out.contains("unmanaged (in no file)"), "{out}");
    assert!(
        out.contains(
            "  111122223333 USD: limit 3,660, actual 1,656 (45%), forecast 2,372 (65%), 6 budgets"
        ),
        "{out}"
    );
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("7 budgets in 2 accounts on 20"), "{out}");
    assert!(last.ends_with(": 1 over, 2 forecast over."), "{out}");
}

#[test]
fn fail_on_exits_1_when_a_budget_is_over_and_over_keeps_the_share_asked() {
    let s = Statused::start();
    let code = |args: &[&str]| {
        let mut all = vec!["status", "-f", "budgets.yaml"];
        all.extend_from_slice(args);
        let out = s.run(&all);
        (out.status.code(), text(&out))
    };
    assert_eq!(code(&[]).0, Some(0));
    let (over, shown) = code(&["--fail-on", "over"]);
    assert_eq!(over, Some(1), "{shown}");
    assert!(
        shown.contains("error: 1 budget is over its limit (--fail-on over): 111122223333/over"),
        "{shown}"
    );
    // The status is still shown in full.
    assert!(shown.contains("111122223333/on-track"), "{shown}");
    let (forecast, shown) = code(&["--fail-on", "forecast-over"]);
    assert_eq!(forecast, Some(1), "{shown}");
    assert!(
        shown.contains("3 budgets are over their limits or forecast to be"),
        "{shown}"
    );
    // Only the accounts without an over budget: a green night.
    let (fine, shown) = code(&["--fail-on", "over", "--account", "444455556666"]);
    assert_eq!(fine, Some(0), "{shown}");

    let doc = s.json(&["--over", "100"]);
    assert_eq!(names(&doc), ["over", "sandbox", "forecast-over"]);
    let doc = s.json(&["--over", "60"]);
    assert_eq!(
        names(&doc),
        ["over", "sandbox", "forecast-over", HOSTILE],
        "the hostile budget's forecast is 60% of its limit"
    );
}

#[test]
fn history_reads_one_request_per_budget_and_shows_as_numbers_and_a_sparkline() {
    let s = Statused::start();
    s.requests();
    let doc = s.json(&[]);
    let reads = s.requests();
    // Two accounts: DescribeBudgets, notifications and actions once each,
    // and the name of the one action that is not in STANDBY.
    assert_eq!(
        reads,
        serde_json::json!({
            "DescribeBudgets": 2,
            "DescribeBudgetNotificationsForAccount": 2,
            "DescribeBudgetActionsForAccount": 2,
            "ListTagsForResource": 1,
        })
    );
    assert_eq!(budget(&doc, "over")["history"], serde_json::json!([]));

    let doc = s.json(&["--history", "3"]);
    let reads = s.requests();
    assert_eq!(reads["DescribeBudgetPerformanceHistory"], 7, "{reads}");
    assert_eq!(reads["DescribeBudgets"], 2, "{reads}");
    let history: Vec<(&str, &str)> = budget(&doc, "over")["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["start"].as_str().unwrap(), p["actual"].as_str().unwrap()))
        .collect();
    let (m3, m2, m1) = (
        month_start(3).to_string(),
        month_start(2).to_string(),
        month_start(1).to_string(),
    );
    assert_eq!(
        history,
        [
            (m3.as_str(), "900"),
            (m2.as_str(), "1000"),
            (m1.as_str(), "1100")
        ]
    );
    // 900, 1,000 and 1,100 on a scale of 1,100, in eighths: ▇▇█.
    let text = s.status(&["--history", "3"]);
    let over = text
        .lines()
        .find(|l| l.starts_with("111122223333/over "))
        .unwrap();
    assert!(over.ends_with("  ▇▇█"), "{over}");
    assert!(text.lines().next().unwrap().ends_with("history"), "{text}");
    let md = s.status(&["--history", "3", "--format", "markdown"]);
    assert!(md.contains("| ▇▇█ |"), "{md}");
}

#[test]
fn every_format_escapes_what_a_user_or_aws_wrote() {
    let s = Statused::start();
    let md = s.status(&["--format", "markdown"]);
    for raw in ["<img", "@team", "`x`", "| @"] {
        assert!(!md.contains(raw), "unescaped {raw:?}:\n{md}");
    }
    assert!(
        md.contains("<code>111122223333/&lt;img src=x onerror=alert(1)&gt; &#124; &#64;team &#96;x&#96;</code>"),
        "{md}"
    );
    for row in md.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(row.matches('|').count(), 9, "{row}");
    }
    let html = s.status(&["--format", "html"]);
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("111122223333/&lt;img src=x onerror=alert(1)&gt; | @team `x`"),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script: {html}");
    assert!(!html.contains("http"), "no external asset: {html}");
    // Numbers, the same in each format.
    assert!(
        md.contains("| 🔴 | <code>111122223333/over</code> | monthly | 1,000 USD | 1,200 (120%) | 1,500 (150%) | +500 | alerts actual &gt; 100% ALARM |"),
        "{md}"
    );
    assert!(
        html.contains("<td class=\"n\">1,000 USD</td><td class=\"n\">1,200 (120%)</td><td class=\"n\">1,500 (150%)</td><td class=\"n\">+500</td>"),
        "{html}"
    );

    // A name another tool gave a budget, with a terminal's control
    // characters in it (AWS's pattern allows them): escaped in text, never
    // sent raw to a terminal, and inert in markdown and html.
    let evil = "evil\u{1b}]0;pwned\u{7}\u{1b}[31m";
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = budgetctl_aws::client(&budgetctl_aws::Connection {
            endpoint_url: Some(s.served.url.clone()),
            local: true,
            ..Default::default()
        })
        .await;
        let budget = budgetctl_spec::load_str(
            "evil.yaml",
            "version: 1\nbudgets: [{name: stand-in, account: \"111122223333\", limit: 5}]\n",
        )
        .config
        .budgets[0]
            .budget
            .clone();
        let mut budget = budget;
        budget.name = evil.to_owned();
        budgetctl_aws::create_budget(&client, &"111122223333".parse().unwrap(), &budget)
            .await
            .unwrap();
    });
    let text = s.status(&[]);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.contains("111122223333/evil\\u{1b}]0;pwned\\u{7}\\u{1b}[31m"),
        "{text}"
    );
    for format in ["markdown", "html", "json"] {
        let out = s.status(&["--format", format]);
        if format == "json" {
            // JSON escapes control characters itself.
            assert!(out.contains("evil\\u001b]0;pwned\\u0007"), "{out}");
        }
        assert!(!out.contains('\u{1b}'), "{format}: {out:?}");
    }
}

/// The html page as a person sees it: Chromium renders the table, a chart
/// per budget, and no script is needed.
#[test]
fn the_html_page_renders_its_table_and_charts_in_a_browser() {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| installed(b));
    if !needs(browser.is_some(), "Chromium (apt-get install chromium)") {
        return;
    }
    let s = Statused::start();
    let out = s.run(&[
        "status",
        "-f",
        "budgets.yaml",
        "--history",
        "3",
        "--format",
        "html",
        "--out",
        "status.html",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let page = s.dir.path().join("status.html");
    let dom = std::process::Command::new(browser.unwrap())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(dom.matches("<tr class=").count(), 7, "{dom}");
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), 7, "{dom}");
    // Three past months of `over` and this one, its limit a line.
    let over = dom
        .split("<tr class=")
        .find(|r| r.contains("111122223333/over<"))
        .unwrap();
    assert_eq!(over.matches("class=\"past\"").count(), 3, "{over}");
    assert!(over.contains("class=\"limit\""), "{over}");
    assert!(over.contains("<title>actual 1,200</title>"), "{over}");
}
