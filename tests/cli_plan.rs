//! `budgetctl plan` as a user and a CI job run it, against budgetctl-local.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use support::repo_root;

/// Run budgetctl in `dir` (where `--local` keeps `.budgetctl/local.json`).
fn budgetctl_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_budgetctl"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("budgetctl runs")
}

fn workspace_with(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let src = repo_root().join(f);
        std::fs::copy(&src, dir.path().join(src.file_name().unwrap())).unwrap();
    }
    dir
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn plan_local_on_the_example_shows_every_budget_as_a_create() {
    let dir = workspace_with(&["budgets.example.yaml"]);
    let out = budgetctl_in(
        dir.path(),
        &["plan", "--local", "-f", "budgets.example.yaml"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("+ create 111122223333/total-monthly"),
        "{text}"
    );
    assert!(text.contains("+ limit: 1000 USD"), "{text}");
    assert!(
        text.contains("+ notification actual > 80% → finops@example.com"),
        "{text}"
    );
    // An absolute threshold reads as the YAML says it, with its unit.
    assert!(
        text.contains("+ notification actual > 400 USD → data-leads@example.com"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 13 to create, 0 to update, 0 to delete; limits daily +75.50 USD, monthly +5,000 GB-Mo, monthly +2,443.37 USD, quarterly +30,000 USD, custom +25,000 USD."),
        "{text}"
    );

    let detailed = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--detailed-exitcode",
            "-f",
            "budgets.example.yaml",
        ],
    );
    assert_eq!(detailed.status.code(), Some(2), "changes → exit 2");
}

#[test]
fn no_changes_says_so_and_exits_0_with_detailed_exitcode() {
    let dir = workspace_with(&["tests/fixtures/plan/snapshot.yaml"]);
    // Seed the local state with exactly these budgets, as apply would leave them.
    let state = seed_local_state(dir.path(), "snapshot.yaml");
    assert!(state.exists());
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--detailed-exitcode",
            "-f",
            "snapshot.yaml",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("No changes. Budgets match the configuration."));
}

/// Create the file's budgets in `dir/.budgetctl/local.json` through a local
/// server, the way apply will.
fn seed_local_state(dir: &Path, file: &str) -> std::path::PathBuf {
    seed_local_state_with_spend(dir, file, &[])
}

/// [`seed_local_state`], then this period's spend of some budgets of
/// account 111122223333: `(name, actual, forecasted)`.
fn seed_local_state_with_spend(
    dir: &Path,
    file: &str,
    spend: &[(&str, &str, &str)],
) -> std::path::PathBuf {
    let state = dir.join(".budgetctl/local.json");
    let loaded = budgetctl_spec::load_paths(&[dir.join(file)]);
    assert!(!loaded.has_errors());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server = budgetctl_local::LocalServer::start(budgetctl_local::LocalOptions {
            state: Some(state.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
        let client = budgetctl_aws::client(&budgetctl_aws::Connection {
            endpoint_url: Some(server.url()),
            local: true,
            ..Default::default()
        })
        .await;
        for d in &loaded.config.budgets {
            budgetctl_aws::create_budget(&client, &d.account, &d.budget)
                .await
                .unwrap();
        }
        for (name, actual, forecasted) in spend {
            server
                .service()
                .seed_spend(&budgetctl_local::SpendRequest {
                    account_id: "111122223333".into(),
                    budget_name: (*name).into(),
                    actual_spend: Some((*actual).into()),
                    forecasted_spend: Some((*forecasted).into()),
                    history: vec![],
                    health_status: None,
                })
                .unwrap();
        }
        server.shutdown().await.unwrap();
    });
    state
}

/// `plan --local --format markdown -f file` in `dir`, which must succeed.
fn markdown_plan(dir: &Path, file: &str) -> String {
    let out = budgetctl_in(
        dir,
        &["plan", "--local", "--format", "markdown", "-f", file],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// None of `raw` survives unescaped, and no table cell was broken open
/// (every row keeps exactly four pipes).
fn assert_escaped(md: &str, raw: &[&str]) {
    let (outside, _) = split_code(md);
    for r in raw {
        assert!(!outside.contains(r), "unescaped {r:?} in:\n{md}");
    }
    for row in outside.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(row.matches('|').count(), 7, "{row}");
    }
}

/// The comment outside its ```` ```diff ```` block, and the block's lines.
/// The block is verbatim (GitHub renders nothing inside it), so what must
/// hold there is that nothing inside closes it: the fence is longer than
/// any run of backticks in it, and every line starts with its diff sign.
fn split_code(md: &str) -> (String, Vec<String>) {
    let mut outside = String::new();
    let mut inside = Vec::new();
    let mut fence: Option<String> = None;
    let mut fences = 0;
    for line in md.lines() {
        match &fence {
            None if line.starts_with("```") && line.ends_with("diff") => {
                fence = Some(line.trim_end_matches("diff").to_owned());
                fences += 1;
            }
            None => {
                outside.push_str(line);
                outside.push('\n');
            }
            Some(f) if line == f => fence = None,
            Some(f) => {
                assert!(
                    !line.contains(f.as_str()),
                    "{line:?} could close the fence {f}"
                );
                assert!(
                    line.starts_with(['+', '-', '!', ' ']),
                    "{line:?} does not start with a diff sign"
                );
                inside.push(line.to_owned());
            }
        }
    }
    assert!(fence.is_none(), "the diff block is never closed:\n{md}");
    assert!(fences <= 1, "one diff block:\n{md}");
    (outside, inside)
}

#[test]
fn the_json_plan_only_changes_on_purpose() {
    let dir = workspace_with(&["tests/fixtures/plan/snapshot.yaml"]);
    let out = budgetctl_in(
        dir.path(),
        &["plan", "--local", "--format", "json", "-f", "snapshot.yaml"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected_path = repo_root().join("tests/fixtures/plan/snapshot.json");
    let actual = serde_json::to_string_pretty(&plan).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    assert_eq!(
        actual, expected,
        "the JSON plan format changed; if on purpose, run with UPDATE_SNAPSHOTS=1 and bump format_version when it breaks readers"
    );
}

#[test]
fn out_saves_the_plan_that_stdout_shows() {
    let dir = workspace_with(&["tests/fixtures/plan/snapshot.yaml"]);
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--out",
            "plan.json",
            "-f",
            "snapshot.yaml",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("plan.json")).unwrap()).unwrap();
    assert_eq!(saved["format_version"], 4);
    assert_eq!(saved["summary"]["create"], 3);
    assert_eq!(
        saved["inputs"].as_object().unwrap().len(),
        1,
        "the files it was made from"
    );
}

#[test]
fn markdown_escapes_every_user_string() {
    let dir = workspace_with(&["tests/fixtures/plan/hostile.yaml"]);
    let md = markdown_plan(dir.path(), "hostile.yaml");
    assert!(
        md.starts_with(
            "<!-- budgetctl-plan -->\n### budgetctl: 3 to create, 0 to update, 0 to delete"
        ),
        "{md}"
    );
    assert_escaped(
        &md,
        &[
            "<img",
            "@team",
            "@platform-team",
            "@ops",
            "<b>",
            "```",
            "`rm",
            "**bold**",
            "[link]",
            "cost | of",
        ],
    );
    assert!(md.contains("&lt;img src=x onerror=alert(1)&gt;"), "{md}");
    assert!(md.contains("cost &#124; of &#64;team"), "{md}");
    let (_, diff) = split_code(&md);
    assert!(
        diff.iter()
            .any(|l| l.ends_with("filters.Service: <b>S3</b> & @ops, x````\\u{a}+ forged line")),
        "{md}"
    );
    assert!(!diff.iter().any(|l| l.starts_with("+ forged")), "{md}");
}

#[test]
fn markdown_shows_the_money_and_what_needs_a_careful_look() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("before.yaml"),
        "version: 1\ndefaults: { account: \"111122223333\" }\nbudgets:\n  - { name: \"cost | of @team\", limit: 500 }\n  - { name: \"<img src=x onerror=alert(1)>\", limit: 10, notifications: [{ on: actual > 8 USD, to: [ops@example.com] }, { on: forecasted > 90%, to: [ops@example.com] }] }\n  - { name: steady, limit: 50 }\n",
    )
    .unwrap();
    seed_local_state_with_spend(
        dir.path(),
        "before.yaml",
        &[
            ("cost | of @team", "300", "450"),
            ("steady", "20", "30"),
            ("<img src=x onerror=alert(1)>", "4", "9"),
        ],
    );
    std::fs::write(
        dir.path().join("after.yaml"),
        "version: 1\ndefaults: { account: \"111122223333\" }\naccounts: { \"111122223333\": { prune: true } }\nbudgets:\n  - { name: \"cost | of @team\", limit: 100 }\n  - { name: steady, limit: 60 }\n  - { name: \"new **one**\", limit: 5 }\n",
    )
    .unwrap();
    let md = markdown_plan(dir.path(), "after.yaml");
    // What the pull request is worth comes first: 500 → 100, 50 → 60, +5, −10.
    assert!(
        md.starts_with(
            "<!-- budgetctl-plan -->\n### budgetctl: 1 to create, 2 to update, 1 to delete · limits monthly −395 USD\n"
        ),
        "{md}"
    );
    // The deletion needs a careful look: what was spent of what, its
    // alerts with their state, and why it goes.
    let careful: Vec<&str> = md
        .lines()
        .skip_while(|l| *l != "> [!CAUTION]")
        .skip(3)
        .take_while(|l| l.starts_with("> - "))
        .collect();
    assert_eq!(careful.len(), 1, "{md}");
    assert!(
        careful[0].starts_with(
            "> - 🗑️ **Deletes** <code>111122223333/&lt;img src=x onerror=alert(1)&gt;</code>: 4 of 10 USD spent this period; alerts <code>actual &gt; 8 USD</code> OK, <code>forecasted &gt; 90%</code> OK (because <code>prune: true</code> for account 111122223333 at "
        ),
        "{md}"
    );
    let row = |name: &str| {
        md.lines()
            .find(|l| l.starts_with("| ") && l.contains(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{md}"))
            .to_owned()
    };
    // Limit before → after, spend with its share of the new limit, and
    // over budget said neutrally: the budget has no alert to fire.
    assert_eq!(
        row("cost &#124; of &#64;team"),
        "| ✏️ | <code>111122223333/cost &#124; of &#64;team</code> | <del>500</del> → **100** USD | 300 (300%) | 450 (450%) | 🔴 300% spent: over budget |"
    );
    assert_eq!(
        row("steady"),
        "| ✏️ | <code>111122223333/steady</code> | <del>50</del> → **60** USD | 20 (33%) | 30 (50%) | limit |"
    );
    assert_eq!(
        row("new &#42;&#42;one"),
        "| ➕ | <code>111122223333/new &#42;&#42;one&#42;&#42;</code> | **5** USD | – | – | new budget |"
    );
    assert!(!md.contains("fires"), "{md}");
    // Ordered by risk: the deletion, the budget over its limit, then the rest.
    let order: Vec<usize> = ["&lt;img", "cost &#124;", "new &#42;", "steady"]
        .iter()
        .map(|n| md.find(&format!("| <code>111122223333/{n}")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{md}");
    // The deletion's field-by-field lines, in the diff block.
    for line in [
        "-   limit: 10 USD\n",
        "-   notification actual > 8 USD (OK)\n",
        "-   notification forecasted > 90% (OK)\n",
    ] {
        assert!(md.contains(line), "{line}:\n{md}");
    }
    assert_escaped(&md, &["<img src", "@team", "**one**", "cost | of"]);
}

#[test]
fn target_and_account_narrow_the_plan() {
    let dir = workspace_with(&["budgets.example.yaml"]);
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--format",
            "json",
            "--target",
            "auto",
            "-f",
            "budgets.example.yaml",
        ],
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["summary"]["create"], 1);
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--format",
            "json",
            "--account",
            "444455556666",
            "-f",
            "budgets.example.yaml",
        ],
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["changes"][0]["name"], "sandbox-monthly");
    assert_eq!(plan["summary"]["create"], 1);
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--target",
            "nope",
            "-f",
            "budgets.example.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--target nope"));
}

#[test]
fn invalid_files_stop_plan_before_any_request() {
    let dir = workspace_with(&["crates/spec/tests/fixtures/invalid/unknown-key.yaml"]);
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "-f",
            "unknown-key.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown key `peroid`"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn access_denied_names_the_account_and_the_permission() {
    let server = budgetctl_local::LocalServer::start(Default::default())
        .await
        .unwrap();
    server.service().set_faults(budgetctl_local::Faults {
        deny_accounts: vec!["111122223333".into()],
        ..Default::default()
    });
    let dir = workspace_with(&["tests/fixtures/plan/snapshot.yaml"]);
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
            .args(["plan", "--endpoint-url", &url, "-f", "snapshot.yaml"])
            .current_dir(dir.path())
            .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
            .env("AWS_SECRET_ACCESS_KEY", "x")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap();
        drop(dir);
        out
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("access denied in account 111122223333"),
        "{err}"
    );
    assert!(err.contains("budgets:ViewBudget"), "{err}");
}

#[test]
fn an_sns_topic_swap_plans_as_one_swap_and_applies() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("budgets.yaml");
    let with_topic = |topic: &str| {
        format!(
            "version: 1\ndefaults: {{account: \"111122223333\"}}\nbudgets:\n  - name: alerts\n    limit: 100\n    notifications:\n      - on: actual > 80%\n        to: [\"arn:aws:sns:us-east-1:111122223333:{topic}\"]\n"
        )
    };
    std::fs::write(&file, with_topic("a")).unwrap();
    let apply = ["apply", "--local", "--auto-approve", "-f", "budgets.yaml"];
    let first = budgetctl_in(dir.path(), &apply);
    assert!(first.status.success(), "{}", stderr(&first));

    std::fs::write(&file, with_topic("b")).unwrap();
    let plan = budgetctl_in(dir.path(), &["plan", "--local", "-f", "budgets.yaml"]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert!(
        text.contains(
            "~ subscriber arn:aws:sns:us-east-1:111122223333:a → arn:aws:sns:us-east-1:111122223333:b on actual > 80%"
        ),
        "{text}"
    );
    let second = budgetctl_in(dir.path(), &apply);
    assert!(
        second.status.success(),
        "{}{}",
        stdout(&second),
        stderr(&second)
    );
    let again = drift_check(dir.path());
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn a_type_change_is_an_error_in_every_format_and_nothing_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("budgets.yaml");
    let typed = |t: &str, limit: &str| {
        format!(
            "version: 1\ndefaults: {{account: \"111122223333\"}}\nbudgets:\n  - name: typed\n    type: {t}\n    limit: \"{limit}\"\n  - name: other\n    limit: 10\n"
        )
    };
    std::fs::write(&file, typed("cost", "5 USD")).unwrap();
    let first = budgetctl_in(
        dir.path(),
        &["apply", "--local", "--auto-approve", "-f", "budgets.yaml"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    std::fs::write(
        &file,
        typed("usage", "5 GB").replace("limit: 10", "limit: 20"),
    )
    .unwrap();
    for format in ["text", "markdown", "json"] {
        let out = budgetctl_in(
            dir.path(),
            &["plan", "--local", "--format", format, "-f", "budgets.yaml"],
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("type cannot change in place"),
            "{format}: {}",
            stdout(&out)
        );
        assert!(
            stderr(&out).contains("111122223333/typed"),
            "{}",
            stderr(&out)
        );
    }
    let applied = budgetctl_in(
        dir.path(),
        &["apply", "--local", "--auto-approve", "-f", "budgets.yaml"],
    );
    assert_eq!(applied.status.code(), Some(1), "{}", stdout(&applied));
    // Nothing was sent: the other budget's limit did not change either.
    std::fs::write(&file, typed("cost", "5 USD")).unwrap();
    let clean = drift_check(dir.path());
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

/// A plan with errors (exit 1) rendered for a pull request says that it
/// failed and why, not "0 to create … No changes" (issue 26, item 10).
#[test]
fn a_failed_plan_comment_says_it_failed_not_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("budgets.yaml");
    let typed = |t: &str, limit: &str| {
        format!(
            "version: 1\ndefaults: {{account: \"111122223333\"}}\nbudgets:\n  - name: typed\n    type: {t}\n    limit: \"{limit}\"\n"
        )
    };
    std::fs::write(&file, typed("cost", "5 USD")).unwrap();
    let first = budgetctl_in(
        dir.path(),
        &["apply", "--local", "--auto-approve", "-f", "budgets.yaml"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    std::fs::write(&file, typed("usage", "5 GB")).unwrap();
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--format",
            "markdown",
            "-f",
            "budgets.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let comment = stdout(&out);
    let headline = comment.lines().nth(1).unwrap_or_default();
    assert!(
        headline.contains("the plan failed") && headline.contains("1 change AWS cannot make"),
        "{comment}"
    );
    assert!(!comment.contains("No changes"), "{comment}");
    assert!(!comment.contains("0 to create"), "{comment}");
    assert!(
        comment.contains("<code>111122223333/typed</code>: type cannot change in place"),
        "{comment}"
    );
}

/// `plan --local --detailed-exitcode` on `budgets.yaml`: exit 0 means clean.
fn drift_check(dir: &Path) -> Output {
    budgetctl_in(
        dir,
        &[
            "plan",
            "--local",
            "--detailed-exitcode",
            "-f",
            "budgets.yaml",
        ],
    )
}

#[test]
fn a_china_region_reads_and_writes_tags_on_aws_cn_arns() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("budgets.yaml");
    let tagged = |owner: &str| {
        format!(
            "version: 1\ndefaults: {{account: \"111122223333\"}}\nbudgets:\n  - name: cn\n    limit: 100\n    tags: {{owner: {owner}}}\n"
        )
    };
    let china = |command: &str| {
        let mut args = vec![command, "--local", "--region", "cn-northwest-1"];
        if command == "apply" {
            args.push("--auto-approve");
        } else {
            args.push("--detailed-exitcode");
        }
        args.extend(["-f", "budgets.yaml"]);
        budgetctl_in(dir.path(), &args)
    };
    std::fs::write(&file, tagged("finops")).unwrap();
    let first = china("apply");
    assert!(first.status.success(), "{}", stderr(&first));
    std::fs::write(&file, tagged("platform")).unwrap();
    let plan = china("plan");
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    assert!(stdout(&plan).contains("owner"), "{}", stdout(&plan));
    let second = china("apply");
    assert!(second.status.success(), "{}", stderr(&second));
    let clean = china("plan");
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

/// The example must not age: on any date it plans without an error or a
/// planned-limit warning (ARCHITECTURE.md, reconciler rule 15).
#[test]
fn the_example_plans_cleanly_on_any_date() {
    let loaded = budgetctl_spec::load_paths(&[repo_root().join("budgets.example.yaml")]);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let live = budgetctl_diff::Live::default();
    for (y, m, d) in [
        (2026, 12, 1),
        (2027, 2, 28),
        (2027, 7, 15),
        (2031, 1, 31),
        (2040, 10, 1),
    ] {
        let today = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let plan = budgetctl_diff::diff(&loaded.config, &live, &[], today);
        assert!(plan.errors.is_empty(), "{today}: {:?}", plan.errors);
        let planned_warnings: Vec<_> = plan
            .warnings
            .iter()
            .filter(|w| {
                matches!(
                    w.kind,
                    budgetctl_diff::WarningKind::PlannedAgedOut
                        | budgetctl_diff::WarningKind::PlannedNotCurrent
                )
            })
            .collect();
        assert!(planned_warnings.is_empty(), "{today}: {planned_warnings:?}");
        assert_eq!(plan.summary.create, loaded.config.budgets.len(), "{today}");
    }
}

/// Control characters from a file and bidirectional ones from AWS never
/// reach a terminal, a PR comment or a JSON plan raw: they are shown as
/// escapes (`\u{1b}`, `\u{202e}`), so nothing can retitle the terminal,
/// forge plan lines, or make a name read as another.
#[test]
fn control_and_bidirectional_characters_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("budgets.yaml"),
        "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets:\n  - name: svc\n    limit: 10\n    filters: {Service: [\"a\\e]0;pwned\\a\\nforged line\"]}\n",
    )
    .unwrap();
    // A budget another tool made, under a name that reads backwards.
    let state = dir.path().join(".budgetctl/local.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let name = "ev\u{202e}latot-dorp";
    std::fs::write(
        &state,
        serde_json::json!({"version": 1, "accounts": {"111122223333": {"budgets": {name: {
            "budget": {"BudgetName": name, "BudgetType": "COST", "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": "5", "Unit": "USD"}},
            "notifications": [], "tags": {}}}}}})
        .to_string(),
    )
    .unwrap();
    for format in ["text", "markdown", "json"] {
        let out = budgetctl_in(dir.path(), &["plan", "--local", "--format", format]);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!all.contains(raw), "{format}: raw {raw:?} in {all:?}");
        }
        assert!(!all.contains("\nforged line"), "{format}: {all}");
        let bidi = if format == "json" {
            "\\u202e"
        } else {
            "\\u{202e}"
        };
        assert!(all.contains(bidi), "{format}: {all}");
        if format == "text" {
            let plan = stdout(&out);
            assert!(
                plan.contains("a\\u{1b}]0;pwned\\u{7}\\u{a}forged line"),
                "{plan}"
            );
            assert!(
                !plan
                    .lines()
                    .any(|l| l.trim_start_matches([' ', '+']).starts_with("forged")),
                "{plan}"
            );
        }
    }
    // An unknown key echoed by validate, with an ESC in it.
    std::fs::write(
        dir.path().join("bad.yaml"),
        "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets:\n  - name: k\n    limit: 1\n    \"li\\e[2Jmit\": 2\n",
    )
    .unwrap();
    let out = budgetctl_in(dir.path(), &["validate", "-f", "bad.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("li\\u{1b}[2Jmit"), "{err}");
}

/// An endpoint that is no URL is refused before anything is read, saying
/// what a URL looks like (not the SDK's Debug output of a request).
#[test]
fn an_endpoint_url_that_is_no_url_is_refused_at_once() {
    let dir = workspace_with(&["budgets.example.yaml"]);
    for bad in ["notaurl", "ftp://example.com", "http://"] {
        let out = budgetctl_in(
            dir.path(),
            &["plan", "--endpoint-url", bad, "-f", "budgets.example.yaml"],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("not an http(s) URL"), "{bad}: {err}");
        assert!(err.contains("http://127.0.0.1:4566"), "{bad}: {err}");
        assert!(!err.contains("DispatchFailure"), "{bad}: {err}");
    }
}

/// A refused connection says which endpoint to check, not the SDK's Debug
/// chain; with a role, it names the role being assumed. (It is also not
/// retried: the time it saves is in the closing note, not asserted here.)
/// An endpoint nothing listens on: a port bound, then closed.
fn closed_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn a_refused_connection_says_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let url = closed_endpoint();
    for (file, role) in [
        ("plain.yaml", None),
        (
            "role.yaml",
            Some("arn:aws:iam::111122223333:role/budgetctl"),
        ),
    ] {
        let accounts = role
            .map(|r| format!("accounts:\n  \"111122223333\": {{role: \"{r}\"}}\n"))
            .unwrap_or_default();
        std::fs::write(
            dir.path().join(file),
            format!("version: 1\ndefaults: {{account: \"111122223333\"}}\n{accounts}budgets:\n  - {{name: a, limit: 5}}\n"),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
            .args(["plan", "-f", file, "--endpoint-url", &url])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}");
        let err = stderr(&out);
        assert!(!err.contains("DispatchFailure"), "{file}: {err}");
        match role {
            None => {
                assert!(err.contains("connection refused"), "{file}: {err}");
                assert!(err.contains("--endpoint-url"), "{file}: {err}");
            }
            Some(role) => {
                assert!(err.contains("cannot get credentials"), "{file}: {err}");
                assert!(err.contains(role), "{file}: {err}");
            }
        }
    }
}

/// When no plan can be made, the pull-request comment says so, with the
/// errors, instead of leaving the last plan's comment standing.
#[test]
fn a_plan_that_cannot_be_made_says_why_in_its_comment() {
    let dir = workspace_with(&["tests/fixtures/cli/many-errors.yaml"]);
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--format",
            "markdown",
            "-f",
            "many-errors.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    assert!(
        md.starts_with("<!-- budgetctl-plan -->\n### budgetctl: the plan failed before a plan was made; nothing can be applied\n"),
        "{md}"
    );
    assert!(
        md.contains("> **The budget files do not validate:**"),
        "{md}"
    );
    assert!(
        md.contains("> - <code>many-errors.yaml:6:5</code>: unknown key <code>peroid</code> in a budget (did you mean <code>period</code>?)"),
        "{md}"
    );
    assert_eq!(md.matches("\n> - ").count(), 7, "{md}");

    // AWS out of reach: the error, as stderr says it.
    let url = closed_endpoint();
    std::fs::write(
        dir.path().join("ok.yaml"),
        "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets:\n  - {name: a, limit: 5}\n",
    )
    .unwrap();
    let out = crate::support::budgetctl_in(dir.path())
        .args([
            "plan",
            "--format",
            "markdown",
            "-f",
            "ok.yaml",
            "--endpoint-url",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    assert!(md.contains("> **No plan could be made:**"), "{md}");
    assert!(
        md.contains("> - cannot reach the Budgets endpoint for account 111122223333 (DescribeBudgets): connection refused"),
        "{md}"
    );
}

#[test]
fn github_format_annotates_the_files_problems_and_the_plans_errors() {
    let dir = workspace_with(&["tests/fixtures/cli/many-errors.yaml"]);
    let out = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--format",
            "github",
            "-f",
            "many-errors.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let shown = stdout(&out);
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("::error file=many-errors.yaml,line=6,col=5,")),
        "{shown}"
    );
    // A valid file plans as text, its blocked changes annotated.
    std::fs::write(
        dir.path().join("ok.yaml"),
        "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets:\n  - {name: a, limit: 5}\n",
    )
    .unwrap();
    let out = budgetctl_in(
        dir.path(),
        &["plan", "--local", "--format", "github", "-f", "ok.yaml"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("+ create 111122223333/a"),
        "{}",
        stdout(&out)
    );
}
