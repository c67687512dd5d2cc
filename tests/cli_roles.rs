//! Per-account roles (`accounts.<id>.role`): plan and apply reach each
//! account through its role, assumed with STS against budgetctl-local, and
//! a saved plan is applied through the roles it was read with.

use crate::support;

use budgetctl_local::services::sts::BASE_CREDENTIALS;
use budgetctl_local::{LocalOptions, LocalServer};
use support::{budgetctl_against, text};

const A: &str = "111122223333";
const B: &str = "444455556666";

fn role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/budgetctl")
}

fn file(roles: [(&str, String); 2]) -> String {
    format!(
        "version: 1\naccounts:\n  \"{}\": {{ role: \"{}\" }}\n  \"{}\": {{ role: \"{}\" }}\nbudgets:\n  - {{ name: a, account: \"{A}\", limit: 10 }}\n  - {{ name: b, account: \"{B}\", limit: 20, tags: {{ team: x }} }}\n",
        roles[0].0, roles[0].1, roles[1].0, roles[1].1
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_and_apply_reach_each_account_through_its_role() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("budgets.yaml"),
        file([(A, role(A)), (B, role(B))]),
    )
    .unwrap();

    let plan = budgetctl_against(dir.path(), &url, &["plan", "--out", "plan.json", "-v"]).await;
    assert!(plan.status.success(), "{}", text(&plan));
    assert!(
        text(&plan).contains(&format!("reading account {A} as {}", role(A))),
        "{}",
        text(&plan)
    );
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("plan.json")).unwrap()).unwrap();
    assert_eq!(saved["roles"][A], role(A));
    assert_eq!(saved["roles"][B], role(B));

    let apply = budgetctl_against(dir.path(), &url, &["apply", "plan.json"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    assert!(
        text(&apply).contains("Apply complete: 2 created"),
        "{}",
        text(&apply)
    );

    // Every Budgets call went to its account through that account's role;
    // the runner's own credentials reached no account.
    let callers = server.service().sessions().callers();
    assert!(!callers.contains_key(BASE_CREDENTIALS), "{callers:?}");
    for (account, other) in [(A, B), (B, A)] {
        let through_role = &callers[&role(account)];
        assert!(through_role[account] > 0, "{callers:?}");
        assert!(!through_role.contains_key(other), "{callers:?}");
    }
    // One AssumeRole per role and process (plan, then apply).
    assert_eq!(server.service().request_counts()["sts:AssumeRole"], 4);

    let again = budgetctl_against(dir.path(), &url, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_of_another_account_is_refused_with_the_principal_and_the_action() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    // B's role is really one of A's: AWS refuses B's budgets to it.
    std::fs::write(
        dir.path().join("budgets.yaml"),
        file([
            (A, role(A)),
            (B, "arn:aws:iam::111122223333:role/other".into()),
        ]),
    )
    .unwrap();
    let plan = budgetctl_against(dir.path(), &url, &["plan"]).await;
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    let out = text(&plan);
    assert!(
        out.contains(&format!("access denied in account {B}")),
        "{out}"
    );
    assert!(
        out.contains("arn:aws:sts::111122223333:assumed-role/other/budgetctl is not authorized to perform: budgets:ViewBudget"),
        "{out}"
    );
    assert!(
        server
            .service()
            .applied_counts()
            .keys()
            .all(|op| op.starts_with("Describe"))
    );
    server.shutdown().await.unwrap();
}
