//! One budget declared for many accounts, through the binary against
//! budgetctl-local: `accounts:` with ids, groups and `all`, an override,
//! `{account}` roles (each account reached through its own), where each
//! budget came from in plan and validate, the errors with line:col, and
//! import with a role template.

use crate::support;

use budgetctl_local::services::sts::BASE_CREDENTIALS;
use budgetctl_local::{LocalOptions, LocalServer};
use support::{budgetctl_against, text};

const FILE: &str = "version: 1
defaults:
  role: arn:aws:iam::{account}:role/budgetctl
account_groups:
  sandboxes: [\"111122223333\", \"444455556666\"]
budgets:
  - name: monthly-total
    accounts: [sandboxes, \"555566667777\"]
    limit: 500
    notifications: [{ on: actual > 80%, to: [finops@example.com] }]
  - name: monthly-total
    account: \"444455556666\"
    limit: 5000
  - name: everywhere
    accounts: [all]
    limit: 100
";

const ACCOUNTS: [&str; 3] = ["111122223333", "444455556666", "555566667777"];

#[tokio::test(flavor = "multi_thread")]
async fn a_template_plans_applies_and_reaches_each_account_through_its_role() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("budgets.yaml"), FILE).unwrap();

    let validate = support::budgetctl_in(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    assert!(validate.status.success(), "{}", text(&validate));
    assert!(
        text(&validate)
            .contains("6 budgets (5 from templates, 1 replacing a template's) in 1 file: valid."),
        "{}",
        text(&validate)
    );

    let plan = budgetctl_against(dir.path(), &url, &["plan"]).await;
    let shown = text(&plan);
    assert!(plan.status.success(), "{shown}");
    assert!(
        shown.contains("+ create 555566667777/monthly-total (from template budgets.yaml:7:5)"),
        "{shown}"
    );
    assert!(
        shown.contains("+ create 444455556666/monthly-total (from budgets.yaml:11:5, replacing template budgets.yaml:7:5 for this account)"),
        "{shown}"
    );
    assert!(shown.contains("6 to create"), "{shown}");

    let apply = budgetctl_against(dir.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    // Every account through its own role, filled in from `defaults.role`.
    let callers = server.service().sessions().callers();
    assert!(!callers.contains_key(BASE_CREDENTIALS), "{callers:?}");
    for account in ACCOUNTS {
        let role = format!("arn:aws:iam::{account}:role/budgetctl");
        assert!(callers[&role][account] > 0, "{callers:?}");
    }
    let again = budgetctl_against(dir.path(), &url, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    server.shutdown().await.unwrap();
}

/// Errors with file:line:col: an unknown group, a malformed placeholder,
/// two templates making one budget.
#[tokio::test(flavor = "multi_thread")]
async fn template_errors_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text_in, place, message) in [
        (
            "unknown-group.yaml",
            "version: 1\nbudgets:\n  - name: m\n    accounts: [sandboxs]\n    limit: 5\n",
            "unknown-group.yaml:4:16",
            "no group is named `sandboxs`",
        ),
        (
            "placeholder.yaml",
            "version: 1\ndefaults:\n  role: arn:aws:iam::{acount}:role/budgetctl\nbudgets:\n  - {name: m, account: \"111122223333\", limit: 5}\n",
            "placeholder.yaml:3:9",
            "`defaults.role` has `{acount}`; the only placeholder is `{account}`",
        ),
        (
            "collision.yaml",
            "version: 1\nbudgets:\n  - {name: m, accounts: [\"111122223333\"], limit: 5}\n  - {name: m, accounts: [\"111122223333\"], limit: 6}\n",
            "collision.yaml:4:12",
            "budget `m` for account 111122223333 comes from two templates",
        ),
    ] {
        std::fs::write(dir.path().join(name), text_in).unwrap();
        let out = support::budgetctl_in(dir.path())
            .args(["validate", "-f", name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let shown = text(&out);
        assert!(
            shown.contains(place) && shown.contains(message),
            "{name}: {shown}"
        );
    }
}

/// `import --role` reads each account through its role and writes the
/// role into each file, which then plans clean through it.
#[tokio::test(flavor = "multi_thread")]
async fn import_with_a_role_template_writes_each_accounts_role() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("budgets.yaml"), FILE).unwrap();
    support::applied_then_removed(dir.path(), &url).await;

    let mut args = vec![
        "import",
        "--out",
        "imported/",
        "--role",
        "arn:aws:iam::{account}:role/budgetctl",
    ];
    for a in ACCOUNTS {
        args.extend(["--account", a]);
    }
    let import = budgetctl_against(dir.path(), &url, &args).await;
    assert!(import.status.success(), "{}", text(&import));
    let written = std::fs::read_to_string(dir.path().join("imported/444455556666.yaml")).unwrap();
    assert!(
        written.contains("role: arn:aws:iam::444455556666:role/budgetctl"),
        "{written}"
    );
    support::assert_plans_clean(dir.path(), &url, "imported").await;
    server.shutdown().await.unwrap();
}
