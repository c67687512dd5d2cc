//! Groups read from AWS Organizations, through the binary against
//! budgetctl-local's Organizations: an OU with and without the OUs under
//! it, `organizations: all` through `organizations.role`, only ACTIVE
//! accounts, a new account in the OU showing as creates in the next plan,
//! and what validate (which reads nothing remote) says of such a group.

use crate::support;

use budgetctl_local::{AccountSeed, LocalOptions, LocalServer, OrganizationRequest, OuSeed};
use support::{budgetctl_against, text};

const FILE: &str = "version: 1
defaults:
  role: arn:aws:iam::{account}:role/budgetctl
account_groups:
  direct: { organizations: { ou: ou-ab12-workload } }
  deep: { organizations: { ou: ou-ab12-workload, recursive: true } }
budgets:
  - name: direct-only
    accounts: [direct]
    limit: 100
  - name: everything-under
    accounts: [deep]
    limit: 200
    notifications: [{ on: actual > 80%, to: [finops@example.com] }]
";

fn account(id: &str, parent: &str, state: &str) -> AccountSeed {
    AccountSeed {
        id: id.into(),
        parent_id: parent.into(),
        name: format!("account {id}"),
        email: format!("{id}@example.com"),
        state: state.into(),
    }
}

/// The organisation: a root, the workload OU with an ACTIVE and a
/// SUSPENDED account, and a team OU under it with one more account.
fn organization(extra: &[AccountSeed]) -> OrganizationRequest {
    let mut accounts = vec![
        account("111122223333", "ou-ab12-workload", "ACTIVE"),
        account("222233334444", "ou-ab12-workload", "SUSPENDED"),
        account("333344445555", "ou-ab12-teamsone", "ACTIVE"),
        account("999988887777", "r-ab12", "ACTIVE"),
    ];
    accounts.extend_from_slice(extra);
    OrganizationRequest {
        management_account_id: None,
        root_id: "r-ab12".into(),
        organizational_units: vec![
            OuSeed {
                id: "ou-ab12-workload".into(),
                parent_id: "r-ab12".into(),
                name: "workloads".into(),
            },
            OuSeed {
                id: "ou-ab12-teamsone".into(),
                parent_id: "ou-ab12-workload".into(),
                name: "team one".into(),
            },
        ],
        accounts,
    }
}

fn creates(plan: &str) -> Vec<&str> {
    let mut found: Vec<&str> = plan
        .lines()
        .filter_map(|l| l.trim().strip_prefix("+ create "))
        .map(|l| l.split(' ').next().unwrap_or_default())
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn ou_groups_plan_their_active_accounts_and_pick_up_a_new_one() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let management = LocalOptions::default().account;
    server
        .service()
        .seed_organization(&organization(&[]), &management)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("budgets.yaml"), FILE).unwrap();

    let plan = budgetctl_against(dir.path(), &url, &["plan"]).await;
    let shown = text(&plan);
    assert!(plan.status.success(), "{shown}");
    // Not recursive: the OU's own ACTIVE account. Recursive: the team's
    // too. Never the SUSPENDED one, nor the root's.
    assert_eq!(
        creates(&shown),
        [
            "111122223333/direct-only",
            "111122223333/everything-under",
            "333344445555/everything-under",
        ],
        "{shown}"
    );
    assert!(
        shown.contains("(from template budgets.yaml:8:5)"),
        "{shown}"
    );

    let apply = budgetctl_against(dir.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    let clean = budgetctl_against(dir.path(), &url, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    // Budgets went through each account's role; Organizations was read
    // with the base credentials (the management account's).
    let callers = server.service().sessions().callers();
    assert!(
        callers["arn:aws:iam::333344445555:role/budgetctl"]["333344445555"] > 0,
        "{callers:?}"
    );

    // A new account in the team OU: the next plan creates its budget.
    server
        .service()
        .seed_organization(
            &organization(&[account("444455556666", "ou-ab12-teamsone", "ACTIVE")]),
            &management,
        )
        .unwrap();
    let next = budgetctl_against(dir.path(), &url, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(next.status.code(), Some(2), "{}", text(&next));
    assert_eq!(
        creates(&text(&next)),
        ["444455556666/everything-under"],
        "{}",
        text(&next)
    );

    // validate reads nothing remote, and says so.
    let validate = support::budgetctl_in(dir.path())
        .arg("validate")
        .output()
        .unwrap();
    assert!(validate.status.success(), "{}", text(&validate));
    assert!(
        text(&validate).contains("note: group `deep` is the accounts in ou-ab12-workload and the OUs under it in AWS Organizations"),
        "{}",
        text(&validate)
    );
    server.shutdown().await.unwrap();
}

/// `organizations: all` is read in the management account: without
/// `organizations.role` the base credentials (another account) are
/// refused with a hint naming the permission; with it, every ACTIVE
/// account of the organisation gets its budget.
#[tokio::test(flavor = "multi_thread")]
async fn the_whole_organization_is_read_through_the_management_role() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let mut org = organization(&[]);
    org.management_account_id = Some("999988887777".into());
    server
        .service()
        .seed_organization(&org, &LocalOptions::default().account)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let body = "account_groups:
  everyone: { organizations: all }
budgets:
  - name: guardrail
    accounts: [everyone]
    limit: 50
";
    std::fs::write(
        dir.path().join("budgets.yaml"),
        format!("version: 1\n{body}"),
    )
    .unwrap();
    let refused = budgetctl_against(dir.path(), &url, &["plan"]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("hint: ListAccounts needs organizations:ListAccounts"),
        "{}",
        text(&refused)
    );
    assert!(
        server
            .service()
            .request_counts()
            .keys()
            .all(|op| !op.starts_with("Describe")),
        "no budget was read: {:?}",
        server.service().request_counts()
    );

    std::fs::write(
        dir.path().join("budgets.yaml"),
        format!(
            "version: 1\norganizations:\n  role: arn:aws:iam::999988887777:role/org-reader\n{body}"
        ),
    )
    .unwrap();
    let plan = budgetctl_against(dir.path(), &url, &["plan"]).await;
    let shown = text(&plan);
    assert!(plan.status.success(), "{shown}");
    assert_eq!(
        creates(&shown),
        [
            "111122223333/guardrail",
            "333344445555/guardrail",
            "999988887777/guardrail",
        ],
        "{shown}"
    );
    // Only the role's session is the management account's: the plan
    // above could read the organisation through nothing else.
    server.shutdown().await.unwrap();
}

/// `import --ou ... --recursive --role` writes one file per ACTIVE account
/// of the OU, each with its role, and each plans clean.
#[tokio::test(flavor = "multi_thread")]
async fn import_reads_an_ou_into_one_file_per_account() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    server
        .service()
        .seed_organization(&organization(&[]), &LocalOptions::default().account)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("budgets.yaml"), FILE).unwrap();
    support::applied_then_removed(dir.path(), &url).await;

    let import = budgetctl_against(
        dir.path(),
        &url,
        &[
            "import",
            "--ou",
            "ou-ab12-workload",
            "--recursive",
            "--role",
            "arn:aws:iam::{account}:role/budgetctl",
            "--out",
            "imported/",
        ],
    )
    .await;
    assert!(import.status.success(), "{}", text(&import));
    let mut written: Vec<String> = std::fs::read_dir(dir.path().join("imported"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    // The OU's ACTIVE accounts, the team OU's included; not the SUSPENDED one.
    assert_eq!(written, ["111122223333.yaml", "333344445555.yaml"]);
    let one = std::fs::read_to_string(dir.path().join("imported/333344445555.yaml")).unwrap();
    assert!(
        one.contains("role: arn:aws:iam::333344445555:role/budgetctl"),
        "{one}"
    );
    support::assert_plans_clean(dir.path(), &url, "imported").await;

    let refused = budgetctl_against(dir.path(), &url, &["import", "--ou", "ou-nope"]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("`ou-nope` is not an OU or root id"),
        "{}",
        text(&refused)
    );
    server.shutdown().await.unwrap();
}
