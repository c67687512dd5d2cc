//! Money on the page: the plan a reviewer reads shows what is spent, what
//! is at stake and what will fire, in JSON (format version 4), text and
//! the pull-request comment. Each test plans tests/fixtures/plan/
//! review-after.yaml against budgetctl-local holding review-before.yaml
//! with this period's spend seeded.

use std::path::Path;

use serde_json::Value;

use crate::support::{Served, budgetctl_in, repo_root, text};

/// `(account, budget, actual, forecasted)` seeded after the apply.
const SPEND: &[(&str, &str, &str, &str)] = &[
    ("111122223333", "migration-project", "18400", "27900"),
    ("111122223333", "total-monthly", "870", "1480"),
    ("111122223333", "data-team-daily", "61", "80"),
    ("111122223333", "steady", "900", "1390"),
    ("444455556666", "hackathon-gpu", "2100", "2600"),
    ("444455556666", "sandbox-monthly", "185", "240"),
];

/// budgetctl-local holding review-before.yaml with its spend seeded, and a
/// directory holding review-after.yaml.
struct Review {
    dir: tempfile::TempDir,
    served: Served,
}

impl Review {
    fn start() -> Review {
        let dir = tempfile::tempdir().unwrap();
        for file in ["review-before.yaml", "review-after.yaml"] {
            std::fs::copy(
                repo_root().join("tests/fixtures/plan").join(file),
                dir.path().join(file),
            )
            .unwrap();
        }
        let served = Served::start(&dir.path().join("state.json"));
        let review = Review { dir, served };
        let apply = review.run(
            &["apply", "--auto-approve", "-f", "review-before.yaml"],
            &[],
        );
        assert!(apply.status.success(), "{}", text(&apply));
        for (account, budget, actual, forecasted) in SPEND {
            let answer = review.served.control(
                "POST",
                "/_local/spend",
                &format!(
                    r#"{{"AccountId": "{account}", "BudgetName": "{budget}", "ActualSpend": "{actual}", "ForecastedSpend": "{forecasted}"}}"#
                ),
            );
            assert!(!answer.contains("__type"), "{answer}");
        }
        review
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut command = budgetctl_in(self.dir.path());
        command
            .args(args)
            .args(["--endpoint-url", &self.served.url]);
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().unwrap()
    }

    /// The plan of review-after.yaml in `format`; it has changes (exit 2).
    fn plan(&self, format: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "plan",
            "--detailed-exitcode",
            "-f",
            "review-after.yaml",
            "--format",
            format,
        ];
        args.extend_from_slice(extra);
        let out = self.run(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.plan("json", &[])).unwrap()
    }

    fn markdown(&self) -> String {
        self.plan("markdown", &["--footer", "review"])
    }
}

/// The change of `account/name` in a JSON plan.
fn change<'p>(plan: &'p Value, address: &str) -> &'p Value {
    let (account, name) = address.split_once('/').unwrap();
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account"] == account && c["name"] == name)
        .unwrap_or_else(|| panic!("no change of {address} in {plan:#}"))
}

/// The kinds of a change's consequences, in order.
fn kinds(change: &Value) -> Vec<&str> {
    change["consequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect()
}

/// The table row of the markdown comment whose budget cell holds `label`.
fn row(md: &str, label: &str) -> Vec<String> {
    let line = md
        .lines()
        .find(|l| l.starts_with("| ") && l.contains(&format!("<code>{label}</code>")))
        .unwrap_or_else(|| panic!("no row for {label}:\n{md}"));
    line.trim_matches('|')
        .split(" | ")
        .map(|cell| cell.trim().to_owned())
        .collect()
}

/// The items of the "needs a careful look" block.
fn careful_look(md: &str) -> Vec<&str> {
    md.lines()
        .skip_while(|l| !l.starts_with("> **Needs a careful look"))
        .filter_map(|l| l.strip_prefix("> - "))
        .collect()
}

#[test]
fn each_change_shows_its_limit_before_and_after_and_this_periods_spend() {
    let review = Review::start();
    let plan = review.json();
    let cut = change(&plan, "111122223333/migration-project");
    assert_eq!(
        cut["limit"],
        serde_json::json!({"before": "25000", "after": "15000", "unit": "USD"})
    );
    assert_eq!(
        cut["spend"],
        serde_json::json!({"actual": "18400", "forecasted": "27900", "unit": "USD"})
    );
    // A create: AWS knows no spend yet.
    let made = change(&plan, "222233334444/sandbox-guardrail");
    assert_eq!(made["limit"]["before"], Value::Null);
    assert_eq!(made["limit"]["after"], "300");
    assert_eq!(made["spend"], Value::Null);

    let md = review.markdown();
    assert_eq!(
        row(&md, "111122223333/migration-project")[2..5],
        [
            "<del>25,000</del> → **15,000** USD",
            "18,400 (123%)",
            "27,900 (186%)"
        ]
    );
    // A limit that does not change reads once; a daily one says its period.
    let daily = row(&md, "111122223333/data-team-daily");
    assert_eq!(
        daily[1],
        "<code>111122223333/data-team-daily</code> (daily)"
    );
    assert_eq!(daily[2..5], ["75.50 USD", "61 (81%)", "80 (106%)"]);

    let text = review.plan("text", &[]);
    assert!(
        text.contains(
            "      limit 25,000 → 15,000 USD · spent 18,400 USD (123%) · forecast 27,900 USD (186%)\n"
        ),
        "{text}"
    );
}

#[test]
fn the_headline_says_what_the_limits_net_to_per_period_and_unit() {
    let review = Review::start();
    // total-monthly +200, three sandbox-guardrails +900, hackathon-gpu
    // −3,000; migration-project (custom) −10,000.
    let plan = review.json();
    assert_eq!(
        plan["limit_change"],
        serde_json::json!([
            {"period": "monthly", "unit": "USD", "amount": "-1900"},
            {"period": "custom", "unit": "USD", "amount": "-10000"},
        ])
    );
    let md = review.markdown();
    assert_eq!(
        md.lines().nth(1),
        Some(
            "### budgetctl: 3 to create, 4 to update, 1 to delete · limits monthly −1,900 USD, custom −10,000 USD"
        )
    );
    let text = review.plan("text", &[]);
    assert!(
        text.ends_with(
            "Plan: 3 to create, 4 to update, 1 to delete; limits monthly −1,900 USD, custom −10,000 USD.\n"
        ),
        "{text}"
    );
}

#[test]
fn only_alerts_whose_line_spend_passes_fire_and_alerts_in_alarm_that_stop_are_named() {
    let review = Review::start();
    let plan = review.json();
    // 18,400 is past 80% of 15,000: the alert fires, named.
    let cut = change(&plan, "111122223333/migration-project");
    let fires: Vec<&Value> = cut["consequences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "alert_fires")
        .collect();
    assert_eq!(fires.len(), 1, "{cut:#}");
    assert_eq!(
        fires[0]["alert"],
        serde_json::json!({"type": "actual", "comparison": "greater-than", "threshold": "80", "threshold_type": "percentage"})
    );
    // total-monthly's `actual > 80%` is in ALARM (870 of 1,000); the change
    // moves it to 90% of 1,200 (1,080): it falls silent. Its forecast is
    // over the new limit, said neutrally: no alert of its fires.
    let raised = change(&plan, "111122223333/total-monthly");
    assert_eq!(
        kinds(raised),
        ["alert_silenced", "forecast_over_limit", "automatic_action"]
    );
    assert_eq!(raised["consequences"][0]["alert"]["threshold"], "80");
    // A budget without alerts past its line gets no alert text at all.
    for c in plan["changes"].as_array().unwrap() {
        if c["name"] == "data-team-daily" || c["name"] == "sandbox-guardrail" {
            assert_eq!(kinds(c), Vec::<&str>::new(), "{c:#}");
        }
    }

    let md = review.markdown();
    assert_eq!(
        row(&md, "111122223333/migration-project")[5],
        "🔔 alert <code>actual &gt; 80%</code> fires at once<br>🔴 123% spent: over budget<br>⚡ action <code>stop-gpu</code> runs at once"
    );
    assert!(
        careful_look(&md).contains(
            &"🔕 <code>111122223333/total-monthly</code>: alert <code>actual &gt; 80%</code> is in ALARM now, and under the new limit spend is back within its line"
        ),
        "{md}"
    );
}

#[test]
fn automatic_actions_are_a_careful_look_and_a_crossed_one_runs_at_once() {
    let review = Review::start();
    let plan = review.json();
    // stop-gpu triggers above 100% of 15,000; 18,400 is spent: it runs.
    let cut = change(&plan, "111122223333/migration-project");
    let runs = &cut["consequences"][2];
    assert_eq!(runs["kind"], "action_runs");
    assert_eq!(runs["action"], "stop-gpu");
    // A new automatic SCP action not yet crossed, and a PENDING action
    // switched to automatic: both named, whatever the spend.
    let scp = &change(&plan, "111122223333/total-monthly")["consequences"][2];
    assert_eq!(
        (scp["kind"].as_str(), scp["action"].as_str()),
        (Some("automatic_action"), Some("deny-ec2-launch"))
    );
    let pending = change(&plan, "444455556666/sandbox-monthly");
    assert_eq!(kinds(pending), ["automatic_action"]);
    assert_eq!(pending["consequences"][0]["action"], "freeze-sandbox");

    let md = review.markdown();
    let items = careful_look(&md);
    for expected in [
        "⚡ <code>111122223333/migration-project</code>: action <code>stop-gpu</code> runs at once, without approval: stop EC2 instances i-0abc1234def567890 in eu-west-1",
        "🔒 <code>111122223333/total-monthly</code>: new action <code>deny-ec2-launch</code> runs without approval when <code>actual &gt; 110%</code>: attach SCP p-abcd1234 to ou-ab12-cdef3456",
        "🔒 <code>444455556666/sandbox-monthly</code>: action <code>freeze-sandbox</code> is PENDING, and its approval goes manual → automatic: attach IAM policy arn:aws:iam::aws:policy/AWSDenyAll to roles developer",
    ] {
        assert!(
            items.iter().any(|i| i.starts_with(expected)),
            "{expected}\n{md}"
        );
    }
}

#[test]
fn a_deletion_shows_its_limit_spend_alerts_in_alarm_and_why() {
    let review = Review::start();
    let plan = review.json();
    let gone = change(&plan, "444455556666/hackathon-gpu");
    assert_eq!(gone["action"], "delete");
    assert_eq!(gone["limit"]["before"], "3000");
    assert_eq!(gone["spend"]["actual"], "2100");
    assert_eq!(kinds(gone), ["deleted_with_spend", "alert_silenced"]);
    assert_eq!(
        gone["origin"],
        "prune: true for account 444455556666 at review-after.yaml:9:3"
    );

    let md = review.markdown();
    assert_eq!(
        careful_look(&md)[0],
        "🗑️ **Deletes** <code>444455556666/hackathon-gpu</code>: 2,100 of 3,000 USD spent this period; alert <code>actual &gt; 50%</code> **in ALARM** (because <code>prune: true</code> for account 444455556666 at review-after.yaml:9:3)"
    );
    assert_eq!(
        row(&md, "444455556666/hackathon-gpu")[2..5],
        ["<del>3,000 USD</del> → –", "2,100 (70%)", "2,600 (87%)"]
    );
    assert!(
        md.contains("-   notification actual > 50% (in ALARM)\n"),
        "{md}"
    );
}

#[test]
fn budgets_the_plan_leaves_unchanged_are_shown_apart_and_collapsed() {
    let review = Review::start();
    let plan = review.json();
    // `steady` is not a change; its forecast (1,390) is over its limit.
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "steady")
    );
    let warned: Vec<&Value> = plan["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["name"] == "steady")
        .collect();
    assert_eq!(warned.len(), 1, "{plan:#}");
    assert_eq!(warned[0]["kind"], "below_forecasted_spend");

    let md = review.markdown();
    let section = md
        .split("<details><summary>Not changed by this PR, but off track (1)</summary>")
        .nth(1)
        .and_then(|s| s.split("</details>").next())
        .unwrap_or_else(|| panic!("no collapsed section:\n{md}"));
    assert!(
        section.contains("<code>111122223333/steady</code>: forecast over budget: forecasted spend 1,390 USD is over the limit 1,243.37 USD (112%)"),
        "{section}"
    );
    // Not in the table of changes, nor in the careful look.
    assert!(
        !md.lines()
            .any(|l| l.starts_with("| ") && l.contains("steady"))
    );
    assert!(!careful_look(&md).iter().any(|i| i.contains("steady")));
}

#[test]
fn the_comment_is_ordered_by_risk_with_one_row_per_template() {
    let review = Review::start();
    let md = review.markdown();
    let order: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("<code>"))
        .map(|l| {
            l.split("<code>")
                .nth(1)
                .unwrap()
                .split("</code>")
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        order,
        [
            // What acts or goes, by name; then over the new limit; then the rest.
            "444455556666/hackathon-gpu",
            "111122223333/migration-project",
            "444455556666/sandbox-monthly",
            "111122223333/total-monthly",
            "sandbox-guardrail",
            "111122223333/data-team-daily",
        ]
    );
    assert_eq!(
        row(&md, "sandbox-guardrail")[1..3],
        [
            "<code>sandbox-guardrail</code> × 3 accounts",
            "**300** USD each"
        ]
    );
    assert!(
        md.contains("    in 222233334444, 444455556666, 777788889999\n"),
        "{md}"
    );
}

/// The comment a reviewer reads for the example change set, as a file to
/// review by eye: `UPDATE_SNAPSHOTS=1` writes it again after a change on
/// purpose.
#[test]
fn the_comment_for_the_example_change_set_matches_its_snapshot() {
    let review = Review::start();
    let md = review.markdown();
    let path = repo_root().join("tests/fixtures/plan/review.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &md).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        md, expected,
        "the comment changed; if on purpose, run with UPDATE_SNAPSHOTS=1 and look at it rendered"
    );
}

#[test]
fn the_footer_names_the_commit_the_time_and_what_merging_does() {
    let review = Review::start();
    let out = review.run(
        &["plan", "-f", "review-after.yaml", "--format", "markdown"],
        &[("GITHUB_SHA", "3f2a1c9d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f")],
    );
    let md = String::from_utf8(out.stdout).unwrap();
    let footer = md.lines().last().unwrap();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        footer.starts_with(&format!("<sub>Plan of <code>3f2a1c9</code> · {today} ")),
        "{footer}"
    );
    assert!(
        footer.ends_with(" UTC · merging runs <code>budgetctl apply</code></sub>"),
        "{footer}"
    );
    // Another CI says its own, escaped, its code spans as code.
    let md = review.plan("markdown", &["--footer", "built by `ci` for <@team>"]);
    assert_eq!(
        md.lines().last(),
        Some("<sub>built by <code>ci</code> for &lt;&#64;team&gt;</sub>")
    );
}

/// A template over 1,000 accounts with the same change is one row and one
/// block of lines: the comment fits GitHub's 65,536 characters.
#[test]
fn a_template_over_a_thousand_accounts_fits_in_one_comment() {
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = String::from("version: 1\naccount_groups:\n  sandboxes:\n");
    for i in 0..1000u64 {
        yaml.push_str(&format!("    - \"{:012}\"\n", 100_000_000_000 + i * 7));
    }
    yaml.push_str(
        "budgets:\n  - name: sandbox-guardrail\n    accounts: [sandboxes]\n    limit: 300\n    notifications:\n      - { on: actual > 80%, to: [sandbox-owners@example.com] }\n      - { on: forecasted > 100%, to: [sandbox-owners@example.com] }\n    tags: { owner: platform, cost-center: \"1234\" }\n",
    );
    write(dir.path(), "budgets.yaml", &yaml);
    let out = budgetctl_in(dir.path())
        .args(["plan", "--local", "--format", "markdown", "--footer", "x"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains(
            "### budgetctl: 1000 to create, 0 to update, 0 to delete · limits monthly +300,000 USD"
        ),
        "{}",
        &md[..500]
    );
    let rows = md.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, 3, "a header, its rule and one row");
    let chars = md.chars().count();
    assert!(chars < 65_536, "{chars} characters");
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}
