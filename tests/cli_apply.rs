//! `budgetctl apply` as a user and a merge job run it: the quickstart, the
//! approval rule, saved plans and their staleness checks, JSON results, and
//! a process killed midway whose next apply finishes the job.

use crate::support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{Served, repo_root};

use budgetctl_testkit::ACCOUNT;

/// budgetctl in `dir`, never on a terminal, with credentials for a
/// standalone budgetctl-local (which accepts any signature).
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = support::budgetctl_in(dir);
    c.args(args);
    c
}

fn budgetctl_in(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("budgetctl runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn workspace_with_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("budgets.example.yaml"),
        dir.path().join("budgets.example.yaml"),
    )
    .unwrap();
    dir
}

#[test]
fn quickstart_apply_local_then_plan_shows_no_changes() {
    let dir = workspace_with_example();
    let applied = budgetctl_in(
        dir.path(),
        &[
            "apply",
            "--local",
            "--auto-approve",
            "-f",
            "budgets.example.yaml",
        ],
    );
    assert!(applied.status.success(), "{}", text(&applied));
    let out = text(&applied);
    assert!(
        out.contains("Apply complete: 13 created, 0 updated, 0 deleted"),
        "{out}"
    );
    assert!(
        out.contains("created 111122223333/total-monthly (CreateBudget)"),
        "plain progress lines off a terminal: {out}"
    );

    let plan = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--detailed-exitcode",
            "-f",
            "budgets.example.yaml",
        ],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(text(&plan).contains("No changes. Budgets match the configuration."));

    // Nothing left to do: apply says so and succeeds.
    let again = budgetctl_in(
        dir.path(),
        &["apply", "--local", "-f", "budgets.example.yaml"],
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("No changes."));
}

#[test]
fn apply_off_a_terminal_refuses_without_auto_approve_and_changes_nothing() {
    let dir = workspace_with_example();
    let refused = budgetctl_in(
        dir.path(),
        &["apply", "--local", "-f", "budgets.example.yaml"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused).contains("--auto-approve"),
        "{}",
        text(&refused)
    );
    let plan = budgetctl_in(
        dir.path(),
        &["plan", "--local", "-f", "budgets.example.yaml"],
    );
    assert!(
        text(&plan).contains("Plan: 13 to create"),
        "nothing was created: {}",
        text(&plan)
    );
}

#[test]
fn a_saved_plan_applies_and_is_refused_once_the_files_change() {
    let dir = workspace_with_example();
    let saved = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "-f",
            "budgets.example.yaml",
            "--out",
            "plan.json",
        ],
    );
    assert!(saved.status.success(), "{}", text(&saved));

    // Edited after the plan was made: the plan no longer says what the files say.
    let file = dir.path().join("budgets.example.yaml");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, original.replace("limit: 1000", "limit: 1001")).unwrap();
    let refused = budgetctl_in(dir.path(), &["apply", "--local", "plan.json"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused).contains("budgets.example.yaml changed"),
        "{}",
        text(&refused)
    );

    std::fs::write(&file, &original).unwrap();
    let applied = budgetctl_in(
        dir.path(),
        &["apply", "--local", "--format", "json", "plan.json"],
    );
    assert!(applied.status.success(), "{}", text(&applied));
    let result: serde_json::Value = serde_json::from_slice(&applied.stdout).unwrap();
    assert_eq!(result["summary"]["created"], 13, "{result}");
    assert_eq!(result["summary"]["failed"], 0, "{result}");
    let first = &result["results"][0];
    assert_eq!(first["action"], "create");
    assert_eq!(first["calls"], serde_json::json!(["CreateBudget"]));

    // The same plan again: the budgets it would create exist now.
    let stale = budgetctl_in(dir.path(), &["apply", "--local", "plan.json"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        text(&stale).contains("the plan is stale") && text(&stale).contains("created since"),
        "{}",
        text(&stale)
    );
}

#[test]
fn a_saved_plan_is_refused_when_a_budget_changed_since() {
    let dir = tempfile::tempdir().unwrap();
    let write = |limit: u32| {
        std::fs::write(
            dir.path().join("budgets.yaml"),
            format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - {{name: team, limit: {limit}}}\n"),
        )
        .unwrap();
    };
    write(100);
    assert!(
        budgetctl_in(dir.path(), &["apply", "--local", "--auto-approve"])
            .status
            .success()
    );
    write(200);
    assert!(
        budgetctl_in(dir.path(), &["plan", "--local", "--out", "plan.json"])
            .status
            .success()
    );
    // Someone else changes the budget before the saved plan is applied.
    std::fs::create_dir(dir.path().join("other")).unwrap();
    std::fs::write(
        dir.path().join("other/budgets.yaml"),
        format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - {{name: team, limit: 300}}\n"),
    )
    .unwrap();
    let meddled = budgetctl_in(
        dir.path(),
        &[
            "apply",
            "--local",
            "--auto-approve",
            "-f",
            "other/budgets.yaml",
        ],
    );
    assert!(meddled.status.success(), "{}", text(&meddled));

    let refused = budgetctl_in(dir.path(), &["apply", "--local", "plan.json"]);
    assert_eq!(refused.status.code(), Some(1));
    let out = text(&refused);
    assert!(out.contains("the plan is stale"), "{out}");
    assert!(out.contains("111122223333/team"), "{out}");
    assert!(out.contains("Run plan again"), "{out}");
}

#[test]
fn apply_killed_midway_finishes_on_the_next_apply() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("state.json"));
    let mut yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n");
    for i in 0..500 {
        yaml.push_str(&format!(
            "  - name: team-{i:03}\n    limit: {}\n    notifications:\n      - on: actual > 80%\n        to: [team-{i:03}@example.com]\n",
            100 + i
        ));
    }
    std::fs::write(dir.path().join("budgets.yaml"), yaml).unwrap();
    // Slow every call down so that the kill lands in the middle.
    served.control("POST", "/_local/faults", r#"{"latency_ms": 20}"#);
    let endpoint = ["--endpoint-url", served.url.as_str()];
    let args = |extra: &[&'static str]| {
        let mut a = vec!["apply", "--auto-approve", "--max-rps", "0"];
        a.extend_from_slice(&endpoint);
        a.extend_from_slice(extra);
        a
    };

    let mut apply = command(dir.path(), &args(&[]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while served.applied("CreateBudget") < 100 {
        assert!(Instant::now() < deadline, "apply made no progress");
        assert!(apply.try_wait().unwrap().is_none(), "apply ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    apply.kill().unwrap(); // SIGKILL: no chance to clean up
    apply.wait().unwrap();
    // Requests the killed apply had sent may still be carried out; count
    // only once the server has finished them.
    served.quiesce();
    let created = served.applied("CreateBudget");
    assert!(created < 500, "killed midway, after {created} creates");

    served.control("POST", "/_local/faults", r#"{}"#);
    let finished = budgetctl_in(dir.path(), &args(&[]));
    assert!(finished.status.success(), "{}", text(&finished));
    assert!(
        text(&finished).contains(&format!("Apply complete: {} created", 500 - created)),
        "{}",
        text(&finished)
    );
    assert_eq!(
        served.applied("CreateBudget"),
        500,
        "each budget created once"
    );

    let mut plan_args = vec!["plan", "--detailed-exitcode"];
    plan_args.extend_from_slice(&endpoint);
    let plan = budgetctl_in(dir.path(), &plan_args);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}

/// Writes budgetctl-local carried out, by operation.
fn writes(served: &Served) -> u64 {
    budgetctl_testkit::WRITE_OPERATIONS
        .iter()
        .map(|op| served.applied(op))
        .sum()
}

/// A saved plan is a promise that apply checks, not a script: apply derives
/// the plan again from the files it names, against live state, and refuses
/// one whose changes differ, change for change. Each tampering below is
/// refused with a clear message and nothing written; the honest plan applies.
#[test]
fn a_tampered_saved_plan_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("state.json"));
    let endpoint = ["--endpoint-url", served.url.as_str()];
    let run = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(&endpoint);
        budgetctl_in(dir.path(), &a)
    };
    let files = |limit: u32| {
        format!(
            "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\naccounts:\n  \"{ACCOUNT}\": {{ignore: [\"legacy-*\"]}}\nbudgets:\n  - name: team\n    limit: {limit}\n    notifications:\n      - on: actual > 80%\n        to: [finops@example.com]\n"
        )
    };
    std::fs::create_dir(dir.path().join("legacy")).unwrap();
    std::fs::write(
        dir.path().join("legacy/budgets.yaml"),
        format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - {{name: legacy-old, limit: 5}}\n"),
    )
    .unwrap();
    assert!(
        run(&["apply", "--auto-approve", "-f", "legacy/budgets.yaml"])
            .status
            .success()
    );
    std::fs::write(dir.path().join("budgets.yaml"), files(500)).unwrap();
    assert!(run(&["apply", "--auto-approve"]).status.success());
    std::fs::write(dir.path().join("budgets.yaml"), files(1000)).unwrap();
    let saved = run(&["plan", "--out", "plan.json"]);
    assert!(saved.status.success(), "{}", text(&saved));
    let honest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(honest["changes"].as_array().unwrap().len(), 1, "{honest}");

    type Tamper = Box<dyn Fn(&mut serde_json::Value)>;
    let tampered: [(&str, Tamper, &str); 5] = [
        (
            "a limit and a subscriber the displayed fields do not show",
            Box::new(|p| {
                let d = &mut p["changes"][0]["desired"];
                d["limit"] = 999999.into();
                d["notifications"][0]["to"] =
                    serde_json::json!(["finops@example.com", "attacker@evil.example"]);
            }),
            "does not match what the files say",
        ),
        (
            "a create in an account no file names",
            Box::new(|p| {
                let mut c = p["changes"][0].clone();
                c["action"] = "create".into();
                c["account"] = "999988887777".into();
                c["live"] = serde_json::Value::Null;
                p["changes"].as_array_mut().unwrap().push(c);
            }),
            "does not match what the files say",
        ),
        (
            "a delete of an ignored budget in an account without prune",
            Box::new(|p| {
                p["changes"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({
                        "action": "delete", "account": ACCOUNT, "name": "legacy-old",
                        "fields": [], "notifications": [], "tags": [],
                        "desired": null, "live": null
                    }));
            }),
            "does not match what the files say",
        ),
        (
            "a create under another name than the one it reports",
            Box::new(|p| {
                p["changes"][0]["desired"]["name"] = "shadow".into();
            }),
            "does not match what the files say",
        ),
        (
            "no inputs, so no file check",
            Box::new(|p| p["inputs"] = serde_json::json!({})),
            "names no budget files",
        ),
    ];
    for (what, tamper, expected) in tampered {
        assert!(
            honest["changes"][0]["desired"]["limit"] == 1000,
            "the plan shows the budget as its file does: {honest}"
        );
        let mut plan = honest.clone();
        tamper(&mut plan);
        std::fs::write(
            dir.path().join("tampered.json"),
            serde_json::to_string(&plan).unwrap(),
        )
        .unwrap();
        let before = writes(&served);
        let out = run(&["apply", "tampered.json"]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out));
        assert!(text(&out).contains(expected), "{what}: {}", text(&out));
        assert!(
            text(&out).contains("nothing was applied"),
            "{what}: {}",
            text(&out)
        );
        assert_eq!(writes(&served), before, "{what}: nothing written");
    }

    // A plan of the format before this one is refused, nothing written.
    let mut older = honest.clone();
    older["format_version"] = 3.into();
    std::fs::write(
        dir.path().join("older.json"),
        serde_json::to_string(&older).unwrap(),
    )
    .unwrap();
    let before = writes(&served);
    let out = run(&["apply", "older.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(
            "older.json is a plan of format version 3, and this budgetctl reads version 4: run plan again"
        ),
        "{}",
        text(&out)
    );
    assert_eq!(writes(&served), before, "an older plan: nothing written");

    let applied = run(&["apply", "plan.json"]);
    assert!(applied.status.success(), "{}", text(&applied));
    let clean = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
}

/// Two `--local` applies in one directory at once both land: the second
/// waits for the first's state file and then plans against it.
#[test]
fn two_concurrent_local_applies_keep_both_files_budgets() {
    let dir = tempfile::tempdir().unwrap();
    for prefix in ["a", "b"] {
        let mut yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n");
        for i in 0..60 {
            yaml.push_str(&format!("  - {{name: {prefix}-{i:02}, limit: 10}}\n"));
        }
        std::fs::write(dir.path().join(format!("{prefix}.yaml")), yaml).unwrap();
    }
    let spawn = |file: &str| {
        command(
            dir.path(),
            &["apply", "--local", "--auto-approve", "-f", file],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let (a, b) = (spawn("a.yaml"), spawn("b.yaml"));
    for run in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
        assert!(run.status.success(), "{}", text(&run));
    }
    let both = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "--detailed-exitcode",
            "-f",
            "a.yaml",
            "-f",
            "b.yaml",
        ],
    );
    assert_eq!(both.status.code(), Some(0), "{}", text(&both));
}

/// A saved plan remembers where it was made: applied against another
/// target it is refused before anything is shown or read.
#[test]
fn a_saved_plan_is_refused_against_another_target() {
    let dir = workspace_with_example();
    let saved = budgetctl_in(
        dir.path(),
        &[
            "plan",
            "--local",
            "-f",
            "budgets.example.yaml",
            "--out",
            "plan.json",
        ],
    );
    assert!(saved.status.success(), "{}", text(&saved));
    for other in [
        &["apply", "plan.json"][..],
        &["apply", "--endpoint-url", "http://127.0.0.1:9", "plan.json"][..],
    ] {
        let out = budgetctl_in(dir.path(), other);
        assert_eq!(out.status.code(), Some(1), "{other:?}: {}", text(&out));
        let all = text(&out);
        assert!(
            all.contains("was made against budgetctl-local (--local)"),
            "{other:?}: {all}"
        );
        assert!(
            !all.contains("+ create"),
            "{other:?}: the plan is not shown: {all}"
        );
    }
    let applied = budgetctl_in(dir.path(), &["apply", "--local", "plan.json"]);
    assert!(applied.status.success(), "{}", text(&applied));
}

/// RUST_LOG works for every command: a trace run of plan shows each AWS
/// request's operation, account and duration, and never the secret key, the
/// session token or the signature.
#[test]
fn a_trace_run_logs_requests_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("state.json"));
    std::fs::write(
        dir.path().join("budgets.yaml"),
        format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - {{name: logged, limit: 5, notifications: [{{on: actual > 80%, to: [a@example.com]}}]}}\n"),
    )
    .unwrap();
    let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETKEY";
    let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";
    let run = |rust_log: &str, args: &[&str]| {
        let mut c = command(dir.path(), args);
        c.env("AWS_ACCESS_KEY_ID", "AKIDTRACETEST")
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_SESSION_TOKEN", token)
            .env("RUST_LOG", rust_log);
        c.output().unwrap()
    };
    let endpoint = ["--endpoint-url", served.url.as_str()];
    let applied = run(
        "trace",
        &["apply", "--auto-approve", endpoint[0], endpoint[1]],
    );
    assert!(applied.status.success(), "{}", text(&applied));
    let out = run("trace", &["plan", endpoint[0], endpoint[1]]);
    assert!(out.status.success(), "{}", text(&out));
    let log = String::from_utf8_lossy(&out.stderr);
    let request = log
        .lines()
        .find(|l| l.contains("budgetctl::aws") && l.contains("DescribeBudgets"))
        .unwrap_or_else(|| panic!("no request line in:\n{}", &log[..log.len().min(3000)]));
    assert!(request.contains(&format!("account={ACCOUNT}")), "{request}");
    assert!(request.contains("ms="), "{request}");
    for leak in [secret, token, "Signature="] {
        assert!(!log.contains(leak), "the trace log holds {leak}");
    }
    // validate logs too (nothing to say at info, but RUST_LOG is read).
    let validated = run("debug", &["validate"]);
    assert!(validated.status.success(), "{}", text(&validated));
}

/// A write AWS refuses for want of permission, or keeps throttling, says
/// what to do about it, as a failed read does.
#[test]
fn a_failed_write_gets_the_hint_of_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("state.json"));
    std::fs::write(
        dir.path().join("budgets.yaml"),
        format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - {{name: team, limit: 300}}\n"),
    )
    .unwrap();
    // Reads go through; only the create is denied.
    served.control(
        "POST",
        "/_local/faults",
        &format!(r#"{{"deny_accounts": ["{ACCOUNT}"], "operations": ["CreateBudget"]}}"#),
    );
    let denied = budgetctl_in(
        dir.path(),
        &["apply", "--auto-approve", "--endpoint-url", &served.url],
    );
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied));
    let out = text(&denied);
    assert!(out.contains("AccessDeniedException"), "{out}");
    assert!(
        out.contains("hint: apply needs budgets:ModifyBudget"),
        "{out}"
    );
    assert_eq!(served.applied("CreateBudget"), 0);
}

/// A saved plan whose scope was edited, whose format version is written
/// as text, or that never ends, is refused saying what is wrong with it,
/// and nothing is written.
#[test]
fn an_edited_scope_a_textual_version_and_an_endless_plan_are_refused_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("state.json"));
    let run = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--endpoint-url", served.url.as_str()]);
        budgetctl_in(dir.path(), &a)
    };
    let file = |limit: u32| {
        format!(
            "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - {{name: team, limit: {limit}}}\n"
        )
    };
    std::fs::write(dir.path().join("budgets.yaml"), file(500)).unwrap();
    assert!(run(&["apply", "--auto-approve"]).status.success());
    std::fs::write(dir.path().join("budgets.yaml"), file(1000)).unwrap();
    let listed = run(&["accounts", "--shards", "2", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let other = if listed["accounts"][0]["shard"] == "1/2" {
        "2/2"
    } else {
        "1/2"
    };
    let saved = run(&["plan", "--out", "plan.json"]);
    assert!(saved.status.success(), "{}", text(&saved));
    let honest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("plan.json")).unwrap())
            .unwrap();
    let before = writes(&served);
    let refused = |edit: &dyn Fn(&mut serde_json::Value), expected: &str| {
        let mut plan = honest.clone();
        edit(&mut plan);
        std::fs::write(dir.path().join("edited.json"), plan.to_string()).unwrap();
        let out = run(&["apply", "edited.json"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains(expected), "{}", text(&out));
        assert!(text(&out).contains("nothing was applied"), "{}", text(&out));
        assert!(
            !text(&out).lines().any(|l| l.starts_with("forged")),
            "a name's line break stays on its line: {}",
            text(&out)
        );
    };
    refused(
        &|p| p["scope"] = serde_json::json!({ "shard": other }),
        &format!(
            "its scope is shard {other}, which does not hold account {ACCOUNT}: the plan's scope does not match its changes"
        ),
    );
    refused(
        &|p| p["changes"][0]["name"] = "team\nforged: nothing to see".into(),
        r"team\u{a}forged: nothing to see",
    );
    refused(
        &|p| p["format_version"] = "4".into(),
        "`format_version` is \"4\", and must be the number 4",
    );
    for endless in [["apply", "/dev/zero"], ["plan", "--merge"]] {
        let mut args = endless.to_vec();
        if args[0] == "plan" {
            args.push("/dev/zero");
        }
        let out = budgetctl_in(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains(
                "/dev/zero holds more than 67108864 bytes; plans may be at most that large"
            ),
            "{}",
            text(&out)
        );
    }
    assert_eq!(writes(&served), before, "nothing written");
}
