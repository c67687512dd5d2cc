//! `budgetctl lint` through the binary against budgetctl-local: the policy
//! on live accounts (an OU's account without a budget, an unmanaged budget
//! whose alert reaches no one), AWS's own warnings (an unhealthy budget),
//! topics budgets cannot publish to (`--check-sns`, set up through the AWS
//! CLI), exit codes, and the markdown, GitHub and SARIF outputs.

use budgetctl_local::{AccountSeed, LocalOptions, LocalServer, OrganizationRequest, OuSeed};

use crate::support::{budgetctl_against, installed, needs, repo_root, text};

/// The organisation: the sandbox OU with two ACTIVE accounts.
fn organization() -> OrganizationRequest {
    let account = |id: &str| AccountSeed {
        id: id.into(),
        parent_id: "ou-ab12-sandbox1".into(),
        name: format!("account {id}"),
        email: format!("{id}@example.com"),
        state: "ACTIVE".into(),
    };
    OrganizationRequest {
        management_account_id: None,
        root_id: "r-ab12".into(),
        organizational_units: vec![OuSeed {
            id: "ou-ab12-sandbox1".into(),
            parent_id: "r-ab12".into(),
            name: "sandbox".into(),
        }],
        accounts: vec![account("222233334444"), account("333344445555")],
    }
}

const POLICY: &str = "policy:\n  require:\n    budget_per_account: { period: monthly }\n    subscribers: true\n  scope: [sandbox]\n";

/// The codes of a JSON lint report's findings, in order.
fn codes(doc: &serde_json::Value) -> Vec<&str> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

async fn server() -> LocalServer {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let management = LocalOptions::default().account;
    server
        .service()
        .seed_organization(&organization(), &management)
        .unwrap();
    server
}

fn write(dir: &std::path::Path, body: &str) {
    std::fs::write(
        dir.join("budgets.yaml"),
        format!("version: 1\naccount_groups:\n  sandbox: {{ organizations: {{ ou: ou-ab12-sandbox1 }} }}\n{body}"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_of_the_ou_without_a_budget_is_found_until_a_template_covers_it() {
    let server = server().await;
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    // One account's budget, applied before the policy was written.
    write(
        dir.path(),
        "budgets:\n  - { name: team, account: \"222233334444\", limit: 100, notifications: [{ on: actual > 80%, to: [a@example.com] }] }\n",
    );
    let apply = budgetctl_against(dir.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));

    write(
        dir.path(),
        &format!(
            "{POLICY}budgets:\n  - {{ name: team, account: \"222233334444\", limit: 100, notifications: [{{ on: actual > 80%, to: [a@example.com] }}] }}\n"
        ),
    );
    let lint = budgetctl_against(dir.path(), &url, &["lint", "--format", "json"]).await;
    assert_eq!(lint.status.code(), Some(1), "{}", text(&lint));
    let doc: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    assert_eq!(doc["errors"], 1, "{doc:#}");
    let f = &doc["findings"][0];
    assert_eq!(
        (f["code"].as_str(), f["account"].as_str(), &f["budget"]),
        (
            Some("policy-budget-per-account"),
            Some("333344445555"),
            &serde_json::Value::Null
        )
    );
    assert_eq!(f["rule_at"], "budgets.yaml:6:25");

    // A template over the group covers the new account: apply, then clean.
    write(
        dir.path(),
        &format!(
            "{POLICY}budgets:\n  - {{ name: team, account: \"222233334444\", limit: 100, notifications: [{{ on: actual > 80%, to: [a@example.com] }}] }}\n  - {{ name: guardrail, accounts: [sandbox], limit: 300, notifications: [{{ on: forecasted > 100%, to: [a@example.com] }}] }}\n"
        ),
    );
    let apply = budgetctl_against(dir.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    let lint = budgetctl_against(dir.path(), &url, &["lint"]).await;
    assert_eq!(lint.status.code(), Some(0), "{}", text(&lint));
    assert!(text(&lint).contains("No findings"), "{}", text(&lint));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn unmanaged_and_unhealthy_budgets_are_found_in_every_format() {
    let server = server().await;
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    // A budget another tool made, with no alert: no one hears of it.
    let client = budgetctl_aws::client(&budgetctl_aws::Connection {
        endpoint_url: Some(url.clone()),
        local: true,
        ..Default::default()
    })
    .await;
    let budget = budgetctl_spec::load_str(
        "x.yaml",
        "version: 1\nbudgets: [{ name: console-made, account: \"333344445555\", limit: 50 }]\n",
    )
    .config
    .budgets[0]
        .budget
        .clone();
    let account = "333344445555".parse().unwrap();
    budgetctl_aws::create_budget(&client, &account, &budget)
        .await
        .unwrap();
    server
        .service()
        .seed_spend(&budgetctl_local::SpendRequest {
            account_id: "333344445555".into(),
            budget_name: "console-made".into(),
            actual_spend: None,
            forecasted_spend: None,
            history: Vec::new(),
            health_status: Some(budgetctl_local::HealthRequest {
                status: "UNHEALTHY".into(),
                status_reason: Some("FILTER_INVALID".into()),
            }),
        })
        .unwrap();
    write(
        dir.path(),
        &format!(
            "{POLICY}budgets:\n  - {{ name: team, accounts: [sandbox], limit: 100, notifications: [{{ on: actual > 80%, to: [a@example.com] }}] }}\n"
        ),
    );
    let apply = budgetctl_against(dir.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));

    let lint = budgetctl_against(dir.path(), &url, &["lint", "--format", "json"]).await;
    assert_eq!(lint.status.code(), Some(1), "{}", text(&lint));
    let doc: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    let found: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["budget"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("policy-subscribers", "console-made"),
            ("unhealthy", "console-made")
        ],
        "{doc:#}"
    );

    let md = budgetctl_against(dir.path(), &url, &["lint", "--format", "markdown"]).await;
    let md = String::from_utf8_lossy(&md.stdout).into_owned();
    assert!(
        md.starts_with(
            "### budgetctl lint: lint: 2 errors and 0 warnings in 3 budgets of 2 accounts."
        ),
        "{md}"
    );
    assert!(
        md.contains("| 🔴 | <code>333344445555/console-made</code> | <code>policy-subscribers</code>: budget <code>console-made</code> has no alert: no one hears of its spend |"),
        "{md}"
    );

    let github = budgetctl_against(dir.path(), &url, &["lint", "--format", "github"]).await;
    assert_eq!(github.status.code(), Some(1));
    let commands = String::from_utf8_lossy(&github.stdout).into_owned();
    // An unmanaged budget is on no line of a file.
    assert!(
        commands
            .starts_with("::error title=budgetctl policy-subscribers::333344445555/console-made: "),
        "{commands}"
    );

    let sarif = budgetctl_against(dir.path(), &url, &["lint", "--format", "sarif"]).await;
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 2);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn check_sns_finds_topics_budgets_cannot_publish_to() {
    if !needs(installed("aws"), "the AWS CLI (pip install awscli)") {
        return;
    }
    let server = server().await;
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let aws = |args: &[&str]| {
        let out = std::process::Command::new("aws")
            .args(args)
            .args([
                "--endpoint-url",
                &url,
                "--region",
                "us-east-1",
                "--output",
                "json",
            ])
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let created = aws(&["sns", "create-topic", "--name", "alerts"]);
    assert!(
        created.contains("arn:aws:sns:us-east-1:111122223333:alerts"),
        "{created}"
    );
    write(
        dir.path(),
        "budgets:\n  - name: total\n    account: \"111122223333\"\n    limit: 100\n    notifications:\n      - { on: actual > 80%, to: [\"arn:aws:sns:us-east-1:111122223333:alerts\"] }\n      - { on: forecasted > 100%, to: [\"arn:aws:sns:us-east-1:111122223333:nowhere\"] }\n",
    );
    let apply = budgetctl_against(dir.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));

    // lint --check-sns of the topic's account, as JSON.
    let check_sns = || {
        budgetctl_against(
            dir.path(),
            &url,
            &[
                "lint",
                "--check-sns",
                "--format",
                "json",
                "--account",
                "111122223333",
            ],
        )
    };
    // Without --check-sns no topic is read.
    let lint = budgetctl_against(dir.path(), &url, &["lint", "--account", "111122223333"]).await;
    assert_eq!(lint.status.code(), Some(0), "{}", text(&lint));

    let lint = check_sns().await;
    assert_eq!(lint.status.code(), Some(1), "{}", text(&lint));
    let doc: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    assert_eq!(
        codes(&doc),
        ["sns-topic-missing", "sns-topic-policy"],
        "{doc:#}"
    );
    assert_eq!(doc["findings"][1]["declared_at"], "budgets.yaml:5:5");

    // The documented statement lets budgets publish: that finding goes.
    aws(&[
        "sns",
        "set-topic-attributes",
        "--topic-arn",
        "arn:aws:sns:us-east-1:111122223333:alerts",
        "--attribute-name",
        "Policy",
        "--attribute-value",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"budgets","Effect":"Allow","Principal":{"Service":"budgets.amazonaws.com"},"Action":"SNS:Publish","Resource":"arn:aws:sns:us-east-1:111122223333:alerts"}]}"#,
    ]);
    let lint = check_sns().await;
    let doc: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    assert_eq!(codes(&doc), ["sns-topic-missing"], "{doc:#}");
    server.shutdown().await.unwrap();
}

/// Plan shows the rules its changes come to break or stop breaking, for
/// the budgets they touch, in every format; a change the files may make
/// (a warning-level rule) still plans, and one an error-level rule forbids
/// never reaches a plan (validate refuses its files).
#[test]
fn plan_shows_the_rules_its_changes_break_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let write = |body: &str| {
        std::fs::write(
            dir.path().join("budgets.yaml"),
            format!("version: 1\ndefaults: {{ account: \"111122223333\" }}\n{body}"),
        )
        .unwrap();
    };
    let run = |args: &[&str]| {
        crate::support::budgetctl_in(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    // Live: `lax` without tags, `tagged` with its owner.
    write(
        "budgets:\n  - { name: lax, limit: 100, notifications: [{ on: actual > 80%, to: [a@example.com] }] }\n  - { name: tagged, limit: 100, notifications: [{ on: actual > 80%, to: [a@example.com] }], tags: { owner: x } }\n",
    );
    assert!(
        run(&["apply", "--local", "--auto-approve"])
            .status
            .success()
    );
    // The policy arrives: `lax` gets its tag (fixed), `tagged` loses its
    // (a warning-level rule: it plans, said as broken).
    write(
        "policy:\n  require: { tags: { keys: [owner], level: warning } }\nbudgets:\n  - { name: lax, limit: 100, notifications: [{ on: actual > 80%, to: [a@example.com] }], tags: { owner: y } }\n  - { name: tagged, limit: 100, notifications: [{ on: actual > 80%, to: [a@example.com] }], tags: {} }\n",
    );
    let plan = run(&["plan", "--local", "--format", "json"]);
    assert!(plan.status.success(), "{}", text(&plan));
    let doc: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let found: Vec<(&str, &str, &str)> = doc["policy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["budget"].as_str().unwrap(),
                p["rule"].as_str().unwrap(),
                p["change"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("tagged", "tags", "introduced"), ("lax", "tags", "fixed")],
        "{doc:#}"
    );
    let shown = text(&run(&["plan", "--local"]));
    assert!(shown.contains("Policy:\n  - breaks `tags` (warning): budget `tagged` has no tag `owner`\n  + fixes `tags` (warning): budget `lax` has no tag `owner`\n"), "{shown}");
    let md = String::from_utf8_lossy(&run(&["plan", "--local", "--format", "markdown"]).stdout)
        .into_owned();
    assert!(md.contains("**Policy**\n\n- 🚫 breaks <code>tags</code> (warning): budget <code>tagged</code> has no tag <code>owner</code>\n"), "{md}");

    // At error level the same files do not validate, and nothing is planned.
    write(
        "policy:\n  require: { tags: [owner] }\nbudgets:\n  - { name: tagged, limit: 100, notifications: [{ on: actual > 80%, to: [a@example.com] }], tags: {} }\n",
    );
    let refused = run(&["plan", "--local"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("policy-tags"), "{}", text(&refused));
}
