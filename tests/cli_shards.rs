//! Sharding a run across CI jobs, through the binary against
//! budgetctl-local: `accounts --shards 4` puts every account in one shard,
//! the union of the `plan --shard k/4` plans is the unsharded plan, and
//! `plan --merge` renders the shards' JSON plans as the same PR comment.

use crate::support;

use budgetctl_local::{LocalOptions, LocalServer};
use support::{budgetctl_against, text};

const ACCOUNTS: [&str; 12] = [
    "100000000001",
    "100000000002",
    "100000000003",
    "100000000004",
    "100000000005",
    "100000000006",
    "100000000007",
    "100000000008",
    "100000000009",
    "100000000010",
    "100000000011",
    "100000000012",
];

fn file(limit: u32, approval: &str, extra: &str) -> String {
    let ids: Vec<String> = ACCOUNTS.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "version: 1
defaults:
  role: arn:aws:iam::{{account}}:role/budgetctl
account_groups:
  everyone: [{}]
accounts:
  \"100000000003\": {{ prune: true }}
budgets:
  - name: monthly-total
    accounts: [everyone]
    limit: {limit}
    notifications: [{{ on: actual > 80%, to: [finops@example.com] }}]
    actions:
      - name: deny-ec2
        when: actual > 100%
        to: [finops@example.com]
        apply_iam_policy:
          policy: arn:aws:iam::aws:policy/AWSDenyAll
          roles: [developers]
        approval: {approval}
        execution_role: arn:aws:iam::{{account}}:role/budgets-actions
{extra}",
        ids.join(", ")
    )
}

const OLD: &str = "  - name: legacy
    account: \"100000000003\"
    limit: 10
    notifications: [{ on: actual > 90%, to: [finops@example.com] }]
";

const NEW: &str = "  - name: sandbox
    accounts: [\"100000000005\", \"100000000011\"]
    limit: 25
";

#[tokio::test(flavor = "multi_thread")]
async fn the_shards_plans_merge_into_the_unsharded_plan() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("budgets.yaml");
    std::fs::write(&path, file(100, "manual", OLD)).unwrap();
    let apply = budgetctl_against(dir.path(), &url, &["apply", "--auto-approve"]).await;
    assert!(apply.status.success(), "{}", text(&apply));
    // Now: every limit and action changes, two budgets are new, one is pruned.
    std::fs::write(&path, file(150, "automatic", NEW)).unwrap();

    // Every account is in exactly one of the four shards.
    let listed = support::budgetctl_in(dir.path())
        .args(["accounts", "--shards", "4", "--format", "json"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", text(&listed));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        listed["shards"],
        serde_json::json!(["1/4", "2/4", "3/4", "4/4"])
    );
    let accounts = listed["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), ACCOUNTS.len(), "{listed}");
    let mut per_shard = std::collections::BTreeMap::<String, Vec<String>>::new();
    for a in accounts {
        assert_eq!(a["groups"], serde_json::json!(["everyone"]), "{a}");
        per_shard
            .entry(a["shard"].as_str().unwrap().to_owned())
            .or_default()
            .push(a["id"].as_str().unwrap().to_owned());
    }
    assert!(
        per_shard.len() > 1,
        "a stable hash spreads 12 accounts: {per_shard:?}"
    );

    let whole = budgetctl_against(dir.path(), &url, &["plan", "--format", "json"]).await;
    assert!(whole.status.success(), "{}", text(&whole));
    let whole: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert_eq!(whole["summary"]["update"], 12, "{}", whole["summary"]);
    assert_eq!(whole["summary"]["create"], 2, "{}", whole["summary"]);
    assert_eq!(whole["summary"]["delete"], 1, "{}", whole["summary"]);
    let action_changes = whole["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["actions"][0]["kind"] == "update")
        .count();
    assert_eq!(action_changes, 12, "{whole}");

    let mut shard_files = Vec::new();
    for k in 1..=4 {
        let shard = format!("{k}/4");
        let out = budgetctl_against(
            dir.path(),
            &url,
            &["plan", "--shard", &shard, "--format", "json"],
        )
        .await;
        assert!(out.status.success(), "{}", text(&out));
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // A shard plans only its own accounts.
        let own = per_shard.get(&shard).cloned().unwrap_or_default();
        for c in plan["changes"].as_array().unwrap() {
            assert!(
                own.iter().any(|a| a == c["account"].as_str().unwrap()),
                "{shard}: {c}"
            );
        }
        assert_eq!(plan["scope"]["shard"], shard.as_str());
        let name = format!("plan-{k}.json");
        std::fs::write(dir.path().join(&name), &out.stdout).unwrap();
        shard_files.push(name);
    }

    let mut merge: Vec<&str> = vec!["plan", "--merge"];
    merge.extend(shard_files.iter().map(String::as_str));
    let merged = support::budgetctl_in(dir.path())
        .args(&merge)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(merged.status.success(), "{}", text(&merged));
    let merged: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(
        merged, whole,
        "the union of the shards is the unsharded plan"
    );

    // One PR comment, the same as the unsharded plan's.
    let comment = support::budgetctl_in(dir.path())
        .args(&merge)
        .args(["--format", "markdown", "--detailed-exitcode"])
        .args(["--footer", "one run"])
        .output()
        .unwrap();
    assert_eq!(comment.status.code(), Some(2), "{}", text(&comment));
    let unsharded = budgetctl_against(
        dir.path(),
        &url,
        &["plan", "--format", "markdown", "--footer", "one run"],
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&comment.stdout),
        String::from_utf8_lossy(&unsharded.stdout)
    );

    // The same shard twice is not a run's plan.
    let busy = (1..=4)
        .position(|k| per_shard.contains_key(&format!("{k}/4")))
        .unwrap();
    let twice = support::budgetctl_in(dir.path())
        .args(["plan", "--merge", &shard_files[busy], &shard_files[busy]])
        .output()
        .unwrap();
    let shown = text(&twice);
    assert_eq!(twice.status.code(), Some(1), "{shown}");
    assert!(shown.contains("are both shard"), "{shown}");

    refusals_of_what_is_not_one_run(dir.path(), &url, &shard_files).await;
    server.shutdown().await.unwrap();
}

/// `plan --merge` of `files` (in `dir`), as markdown: (exit code, text).
fn merged(dir: &std::path::Path, files: &[String]) -> (Option<i32>, String) {
    let out = support::budgetctl_in(dir)
        .args(["plan", "--merge"])
        .args(files)
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    (out.status.code(), text(&out))
}

/// Edit the shard plan `file` in `dir` with `edit`, saved as `to`.
fn edited(dir: &std::path::Path, file: &str, to: &str, edit: impl Fn(&mut serde_json::Value)) {
    let mut plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
    edit(&mut plan);
    std::fs::write(dir.join(to), plan.to_string()).unwrap();
}

/// A merge is every shard of one run, or an error: a missing shard, a
/// shard of another split, shards of other files, and an edited count
/// are refused; a deleted budget whose alert has no subscriber (as a live
/// one may) reads back.
async fn refusals_of_what_is_not_one_run(dir: &std::path::Path, url: &str, shards: &[String]) {
    let (code, shown) = merged(dir, &shards[..3]);
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("shard 4/4 is missing"), "{shown}");

    let half = budgetctl_against(dir, url, &["plan", "--shard", "1/2", "--format", "json"]).await;
    assert!(half.status.success(), "{}", text(&half));
    std::fs::write(dir.join("half.json"), &half.stdout).unwrap();
    let mut mixed = shards[1..].to_vec();
    mixed.push("half.json".to_owned());
    let (code, shown) = merged(dir, &mixed);
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("shards of different splits"), "{shown}");

    let with_delete = shards
        .iter()
        .position(|f| {
            let plan: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.join(f)).unwrap()).unwrap();
            plan["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["action"] == "delete")
        })
        .expect("one shard deletes legacy");
    let mut others = shards.to_vec();
    others[with_delete] = "edited.json".to_owned();

    edited(dir, &shards[with_delete], "edited.json", |p| {
        p["summary"]["delete"] = 0.into();
    });
    let (code, shown) = merged(dir, &others);
    assert_eq!(code, Some(1), "{shown}");
    assert!(
        shown.contains("0 to delete (0 unchanged) in its summary"),
        "{shown}"
    );
    assert!(shown.contains("1 to delete (and at most"), "{shown}");

    edited(dir, &shards[with_delete], "edited.json", |p| {
        p["summary"]["unchanged"] = u64::MAX.into();
    });
    let (code, shown) = merged(dir, &others);
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("unchanged"), "{shown}");

    edited(dir, &shards[with_delete], "edited.json", |p| {
        let inputs = p["inputs"].as_object_mut().unwrap();
        for digest in inputs.values_mut() {
            *digest = "0".repeat(64).into();
        }
    });
    let (code, shown) = merged(dir, &others);
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("different budget files"), "{shown}");

    edited(dir, &shards[with_delete], "edited.json", |p| {
        for c in p["changes"].as_array_mut().unwrap() {
            if c["action"] == "delete" {
                c["live"]["notifications"][0]["to"] = serde_json::json!([]);
            }
        }
    });
    let (code, shown) = merged(dir, &others);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("legacy"), "{shown}");
}

#[test]
fn a_malformed_shard_is_refused_with_its_form() {
    for bad in ["0/4", "5/4", "4", "a/b", "1/300"] {
        let out = support::budgetctl(&["plan", "--shard", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(text(&out).contains("write K/N"), "{bad}: {}", text(&out));
    }
}
