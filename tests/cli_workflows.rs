//! The GitHub Actions workflows of examples/github-actions: they parse, they
//! hold to what the docs promise (OIDC roles, no stored keys, one apply at
//! a time), and the shell steps they run work, run here as a runner runs
//! them, against budgetctl-local. The comment script runs under Node.js
//! against an in-memory pull request where Node.js is installed.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use budgetctl_local::{LocalOptions, LocalServer};
use serde_json::Value;
use support::repo_root;

const WORKFLOWS: &str = "examples/github-actions/workflows";

fn workflow(name: &str) -> Value {
    let path = repo_root().join(WORKFLOWS).join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn steps<'a>(workflow: &'a Value, job: &str) -> &'a Vec<Value> {
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("job {job} has steps"))
}

fn step_using<'a>(workflow: &'a Value, job: &str, action: &str) -> &'a Value {
    steps(workflow, job)
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .unwrap_or_else(|| panic!("job {job} uses {action}"))
}

#[test]
fn every_workflow_parses_and_assumes_a_role_through_oidc() {
    let names: Vec<String> = std::fs::read_dir(repo_root().join(WORKFLOWS))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    for name in names {
        let text = std::fs::read_to_string(repo_root().join(WORKFLOWS).join(&name)).unwrap();
        assert!(text.starts_with("# "), "{name} begins with a comment");
        let w = workflow(&name);
        assert!(w["name"].is_string() && w["on"].is_object(), "{name}");
        let job = w["jobs"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        // OIDC, for the workflow or for the job that assumes the role.
        assert!(
            w["permissions"]["id-token"] == "write"
                || w["jobs"][&job]["permissions"]["id-token"] == "write",
            "{name}: OIDC"
        );
        let creds = step_using(&w, &job, "aws-actions/configure-aws-credentials@");
        assert!(
            creds["with"]["role-to-assume"]
                .as_str()
                .is_some_and(|r| r.contains("vars.BUDGETCTL_")),
            "{name}"
        );
        assert_eq!(creds["with"]["aws-region"], "us-east-1", "{name}");
        for key in ["aws-access-key-id", "aws-secret-access-key", "secrets."] {
            assert!(!text.contains(key), "{name}: no long-lived keys ({key})");
        }
        // Every action pinned by commit, its version said beside it; and
        // budgetctl installed by the setup action, not compiled.
        for line in text.lines().filter(|l| {
            l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:")
        }) {
            let pin = line.split("uses:").nth(1).unwrap().trim();
            let (action, rest) = pin.split_once('@').unwrap();
            let (sha, version) = rest
                .split_once(" # v")
                .unwrap_or_else(|| panic!("{name}: {line}"));
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{name}: {action} pinned by commit: {line}"
            );
            assert!(
                version.starts_with(|c: char| c.is_ascii_digit()),
                "{name}: {line}"
            );
        }
        assert!(!text.contains("cargo install"), "{name}");
        assert!(text.contains("uses: budgetctl/budgetctl@"), "{name}");
    }
}

#[test]
fn each_workflow_runs_when_it_should() {
    let plan = workflow("budgetctl-plan.yml");
    assert!(plan["on"]["pull_request"].is_object());
    assert_eq!(plan["permissions"]["pull-requests"], "write");
    let script = step_using(&plan, "plan", "actions/github-script@")["with"]["script"]
        .as_str()
        .unwrap();
    assert!(script.contains("require('./.github/budgetctl/plan-comment.js')"));

    let apply = workflow("budgetctl-apply.yml");
    assert_eq!(apply["on"]["push"]["branches"][0], "main");
    assert_eq!(apply["concurrency"]["group"], "budgetctl-apply");
    assert_eq!(
        apply["concurrency"]["cancel-in-progress"], false,
        "a running apply is never cancelled"
    );

    let drift = workflow("budgetctl-drift.yml");
    let cron = drift["on"]["schedule"][0]["cron"].as_str().unwrap();
    assert_eq!(cron.split_whitespace().count(), 5, "{cron}");

    // Approving a budget action: by hand, behind an environment's reviewers.
    let approve = workflow("budgetctl-approve.yml");
    let inputs = &approve["on"]["workflow_dispatch"]["inputs"];
    for input in ["budget", "action", "execution"] {
        assert_eq!(inputs[input]["required"], true, "{input}");
    }
    assert_eq!(
        inputs["execution"]["options"],
        serde_json::json!(["approve", "retry", "reverse", "reset"])
    );
    assert_eq!(approve["jobs"]["approve"]["environment"], "budget-actions");
    let run = steps(&approve, "approve")
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains("budgetctl action")))
        .unwrap();
    assert!(run.contains("--yes --wait"), "{run}");
    assert!(
        !run.contains("${{"),
        "inputs reach the script as variables: {run}"
    );

    // Responding to spend: on a schedule, one run at a time, never cancelled.
    let respond = workflow("budgetctl-respond.yml");
    let cron = respond["on"]["schedule"][0]["cron"].as_str().unwrap();
    assert!(cron.ends_with("* * * *"), "hourly: {cron}");
    assert_eq!(respond["concurrency"]["group"], "budgetctl-respond");
    assert_eq!(respond["concurrency"]["cancel-in-progress"], false);
}

/// What a job run left behind.
struct JobRun {
    /// The exit status of the step that failed the job, if one did.
    failed: Option<(String, i32)>,
    /// `GITHUB_OUTPUT` per step id.
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    summary: String,
    log: String,
}

/// Evaluate the `if:` expressions the example workflows use:
/// `steps.ID.outputs.NAME == 'v'` (or `!=`), `always()`, `!cancelled()`,
/// joined by `&&` and `||`.
fn condition(expr: &str, outputs: &BTreeMap<String, BTreeMap<String, String>>) -> bool {
    expr.split("||").any(|all| {
        all.split("&&").all(|atom| {
            let atom = atom.trim();
            if atom == "always()" || atom == "!cancelled()" {
                return true;
            }
            let (lhs, rhs, equal) = match atom.split_once("==") {
                Some((l, r)) => (l, r, true),
                None => {
                    let (l, r) = atom
                        .split_once("!=")
                        .unwrap_or_else(|| panic!("unsupported condition {atom}"));
                    (l, r, false)
                }
            };
            let path: Vec<&str> = lhs.trim().split('.').collect();
            let ["steps", id, "outputs", name] = path[..] else {
                panic!("unsupported condition {atom}");
            };
            let value = outputs
                .get(id)
                .and_then(|o| o.get(name))
                .map(String::as_str)
                .unwrap_or("");
            (value == rhs.trim().trim_matches('\'')) == equal
        })
    })
}

/// Run a job's shell steps in `dir` the way a runner does (`bash -eo
/// pipefail`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, step conditions; after
/// a failure, only the steps whose condition says `always()` or
/// `!cancelled()`),
/// with `budgetctl` on the PATH (as the setup action leaves it) and AWS
/// pointed at `endpoint`. Steps that use actions are the runner's business
/// and skipped.
fn run_job(workflow: &Value, job: &str, dir: &Path, endpoint: &str) -> JobRun {
    run_dispatched(workflow, job, dir, endpoint, &BTreeMap::new())
}

/// `run_job` for a `workflow_dispatch` run with these inputs: a step's
/// `env:` values `${{ inputs.NAME }}` (or, for a matrix job,
/// `${{ matrix.NAME }}`) are the inputs given (or empty).
fn run_dispatched(
    workflow: &Value,
    job: &str,
    dir: &Path,
    endpoint: &str,
    inputs: &BTreeMap<&str, &str>,
) -> JobRun {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_budgetctl"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let summary_file = dir.join("step-summary.md");
    std::fs::write(&summary_file, "").unwrap();
    let mut run = JobRun {
        failed: None,
        outputs: BTreeMap::new(),
        summary: String::new(),
        log: String::new(),
    };
    for (i, step) in steps(workflow, job).iter().enumerate() {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        let expr = step["if"].as_str();
        if run.failed.is_some()
            && !expr.is_some_and(|e| e.contains("always()") || e.contains("!cancelled()"))
        {
            continue;
        }
        if let Some(expr) = expr
            && !condition(expr, &run.outputs)
        {
            continue;
        }
        assert!(
            !script.contains("${{"),
            "scripts take values through env, never ${{{{ }}}} inlined: {script}"
        );
        let id = step["id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or(i.to_string());
        let output_file = dir.join(format!("output-{id}"));
        std::fs::write(&output_file, "").unwrap();
        let script_file = dir.join(format!("step-{id}.sh"));
        std::fs::write(&script_file, script).unwrap();
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(dir)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("GITHUB_SHA", "3f2a1c9d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f")
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "ASIALOCAL")
            .env("AWS_SECRET_ACCESS_KEY", "x")
            .env("AWS_SESSION_TOKEN", "from-oidc")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null());
        for (k, v) in workflow["env"].as_object().into_iter().flatten() {
            command.env(k, v.as_str().unwrap());
        }
        for (k, v) in step["env"].as_object().into_iter().flatten() {
            let v = v.as_str().unwrap().trim();
            let value = match v
                .strip_prefix("${{ inputs.")
                .or_else(|| v.strip_prefix("${{ matrix."))
                .and_then(|r| r.strip_suffix(" }}"))
            {
                Some(input) => inputs.get(input).copied().unwrap_or(""),
                None => v,
            };
            command.env(k, value);
        }
        let out: Output = command.output().unwrap();
        run.log.push_str(&String::from_utf8_lossy(&out.stdout));
        run.log.push_str(&String::from_utf8_lossy(&out.stderr));
        let outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
        run.outputs.insert(id.clone(), outputs);
        if !out.status.success() && run.failed.is_none() {
            run.failed = Some((id, out.status.code().unwrap_or(-1)));
        }
    }
    run.summary = std::fs::read_to_string(&summary_file).unwrap();
    run
}

/// `GITHUB_OUTPUT` as the runner reads it: `name=value` lines, and
/// `name<<DELIMITER` followed by lines up to the delimiter.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(name.to_owned(), value.join("\n"));
        } else if let Some((k, v)) = line.split_once('=') {
            outputs.insert(k.to_owned(), v.to_owned());
        }
    }
    outputs
}

fn output<'a>(run: &'a JobRun, step: &str, name: &str) -> &'a str {
    run.outputs
        .get(step)
        .and_then(|o| o.get(name))
        .map(String::as_str)
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_workflow_steps_plan_apply_and_catch_drift_against_budgetctl_local() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let repo = example_repo();
    let dir = repo.path().to_owned();
    let job = move |file: &'static str, job: &'static str| {
        let (dir, url) = (dir.clone(), url.clone());
        tokio::task::spawn_blocking(move || run_job(&workflow(file), job, &dir, &url))
    };

    // A pull request adds the budgets: the plan shows them and exits 2,
    // which the step reports instead of failing on.
    let pr = job("budgetctl-plan.yml", "plan").await.unwrap();
    assert_eq!(pr.failed, None, "{}", pr.log);
    assert_eq!(output(&pr, "plan", "exitcode"), "2");
    assert_eq!(
        output(&pr, "plan", "summary"),
        "budgetctl: 13 to create, 0 to update, 0 to delete"
    );
    let md = std::fs::read_to_string(repo.path().join("plan.md")).unwrap();
    assert!(md.starts_with("<!-- budgetctl-plan -->\n"), "{md}");
    assert!(
        pr.summary
            .contains("| ➕ | <code>111122223333/total-monthly</code> | **1,000** USD | – | – |")
    );
    assert!(repo.path().join("plan.json").exists());

    // Merged: apply carries it out.
    let merged = job("budgetctl-apply.yml", "apply").await.unwrap();
    assert_eq!(merged.failed, None, "{}", merged.log);
    assert_eq!(output(&merged, "plan", "exitcode"), "2");
    assert!(
        merged
            .summary
            .contains("Apply complete: 13 created, 0 updated, 0 deleted"),
        "{}",
        merged.summary
    );

    // Afterwards: the next plan has nothing to say, apply skips, no drift.
    let pr = job("budgetctl-plan.yml", "plan").await.unwrap();
    assert_eq!(pr.failed, None, "{}", pr.log);
    assert_eq!(output(&pr, "plan", "exitcode"), "0");
    assert_eq!(
        output(&pr, "plan", "summary"),
        "budgetctl: 0 to create, 0 to update, 0 to delete"
    );
    let again = job("budgetctl-apply.yml", "apply").await.unwrap();
    assert_eq!(again.failed, None, "{}", again.log);
    assert!(!again.log.contains("Apply complete"), "{}", again.log);
    let nightly = job("budgetctl-drift.yml", "drift").await.unwrap();
    assert_eq!(nightly.failed, None, "{}", nightly.log);

    // Someone deletes a budget in the console: the nightly check fails
    // with exit 2 and says what drifted.
    let client = budgetctl_aws::client(&budgetctl_aws::Connection {
        endpoint_url: Some(server.url()),
        local: true,
        ..Default::default()
    })
    .await;
    client
        .delete_budget()
        .account_id("111122223333")
        .budget_name("total-monthly")
        .send()
        .await
        .unwrap();
    let nightly = job("budgetctl-drift.yml", "drift").await.unwrap();
    let (step, code) = nightly.failed.clone().expect("drift fails the job");
    assert_eq!(code, 2, "step {step}: {}", nightly.log);
    assert!(
        nightly.log.contains("::error title=Budgets drifted::"),
        "{}",
        nightly.log
    );
    assert!(
        nightly
            .summary
            .contains("### budgetctl: 1 to create, 0 to update, 0 to delete"),
        "{}",
        nightly.summary
    );
    // Then where every budget stands, in the same summary.
    assert!(
        nightly
            .summary
            .contains("### budgetctl status: 12 budgets in 2 accounts on "),
        "{}",
        nightly.summary
    );
    // A drift check's footer says what it checked, not what merging does.
    assert!(
        nightly.summary.contains(
            "<sub>Drift check of 3f2a1c9: <code>budgetctl apply</code> on the default branch"
        ),
        "{}",
        nightly.summary
    );
    server.shutdown().await.unwrap();
}

/// A plan that fails, before a plan is made or with changes AWS cannot
/// make, replaces the pull request's comment with the failure: the last
/// comment must not stand as if it were current (issue 26, item 10).
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_plan_replaces_the_comment_with_the_failure() {
    let plan_workflow = workflow("budgetctl-plan.yml");
    let comment_step = step_using(&plan_workflow, "plan", "actions/github-script");
    let posts = |run: &JobRun| {
        condition(comment_step["if"].as_str().unwrap(), &run.outputs)
            && comment_step["env"]["PLAN_EXITCODE"].is_string()
    };

    // The files do not validate: no plan is made, and the comment says so.
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join("budgets")).unwrap();
    std::fs::write(
        repo.path().join("budgets/main.yaml"),
        "version: 1\nbudgets: [{name: x, peroid: monthly}]\n",
    )
    .unwrap();
    let run = run_job(&plan_workflow, "plan", repo.path(), "http://127.0.0.1:9");
    assert_eq!(run.failed.as_ref().map(|(_, code)| *code), Some(1));
    assert_eq!(output(&run, "plan", "exitcode"), "1", "{}", run.log);
    let md = std::fs::read_to_string(repo.path().join("plan.md")).unwrap();
    assert!(md.starts_with("<!-- budgetctl-plan -->\n"), "{md}");
    assert!(md.contains("the plan failed"), "{md}");
    assert!(posts(&run), "the comment step runs after a failed plan");

    // A plan with a change AWS cannot make: the comment is that plan.
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let typed = |t: &str, limit: &str| {
        format!(
            "version: 1\ndefaults: {{account: \"111122223333\"}}\nbudgets:\n  - {{name: typed, type: {t}, limit: \"{limit}\"}}\n"
        )
    };
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join("budgets")).unwrap();
    std::fs::write(
        repo.path().join("budgets/main.yaml"),
        typed("cost", "5 USD"),
    )
    .unwrap();
    let dir = repo.path().to_owned();
    let (first_dir, first_url) = (dir.clone(), url.clone());
    let applied = tokio::task::spawn_blocking(move || {
        run_job(
            &workflow("budgetctl-apply.yml"),
            "apply",
            &first_dir,
            &first_url,
        )
    })
    .await
    .unwrap();
    assert_eq!(applied.failed, None, "{}", applied.log);
    std::fs::write(
        repo.path().join("budgets/main.yaml"),
        typed("usage", "5 GB"),
    )
    .unwrap();
    let run = tokio::task::spawn_blocking(move || {
        run_job(&workflow("budgetctl-plan.yml"), "plan", &dir, &url)
    })
    .await
    .unwrap();
    assert_eq!(output(&run, "plan", "exitcode"), "1", "{}", run.log);
    let md = std::fs::read_to_string(repo.path().join("plan.md")).unwrap();
    assert!(
        md.contains("the plan failed: 1 change AWS cannot make"),
        "{md}"
    );
    assert!(md.contains("type cannot change in place"), "{md}");
    assert!(posts(&run), "the comment step runs after a failed plan");
    server.shutdown().await.unwrap();
}

#[test]
fn a_failing_plan_fails_the_pull_request_check() {
    // An invalid file: validate fails the job before AWS is asked anything.
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join("budgets")).unwrap();
    std::fs::write(
        repo.path().join("budgets/main.yaml"),
        "version: 1\nbudgets: [{name: x, peroid: monthly}]\n",
    )
    .unwrap();
    let run = run_job(
        &workflow("budgetctl-plan.yml"),
        "plan",
        repo.path(),
        "http://127.0.0.1:9",
    );
    let (_, code) = run.failed.expect("the job fails");
    assert_eq!(code, 1);
    assert!(run.log.contains("did you mean `period`?"), "{}", run.log);
}

#[test]
fn the_comment_script_keeps_one_comment_per_pull_request() {
    if !support::needs(support::installed("node"), "Node.js") {
        return;
    }
    // Real plans to post: one with changes, one without.
    let dir = tempfile::tempdir().unwrap();
    let plan = |file: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
            .args(["plan", "--local", "--format", "markdown", "-f", file])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    std::fs::copy(
        repo_root().join("budgets.example.yaml"),
        dir.path().join("budgets.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.yaml"), "version: 1\nbudgets: []\n").unwrap();
    std::fs::write(dir.path().join("changes.md"), plan("budgets.yaml")).unwrap();
    std::fs::write(dir.path().join("none.md"), plan("empty.yaml")).unwrap();
    let out = Command::new("node")
        .arg(repo_root().join("tests/fixtures/workflows/plan-comment-check.js"))
        .arg(dir.path().join("changes.md"))
        .arg(dir.path().join("none.md"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("plan comment: ok"));
}

/// A repository whose `budgets/` holds the example.
fn example_repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join("budgets")).unwrap();
    std::fs::copy(
        repo_root().join("budgets.example.yaml"),
        repo.path().join("budgets/main.yaml"),
    )
    .unwrap();
    repo
}

/// budgetctl-local with the example applied by the apply workflow's step,
/// from a repository whose `budgets/` holds the example.
async fn example_applied() -> (LocalServer, tempfile::TempDir) {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let repo = example_repo();
    let dir = repo.path().to_owned();
    let merged = tokio::task::spawn_blocking(move || {
        run_job(&workflow("budgetctl-apply.yml"), "apply", &dir, &url)
    })
    .await
    .unwrap();
    assert_eq!(merged.failed, None, "{}", merged.log);
    (server, repo)
}

/// The approve workflow, dispatched with its inputs, approves a pending
/// budget action of the example and waits for it to run.
#[tokio::test(flavor = "multi_thread")]
async fn the_approve_workflow_approves_a_pending_action_against_budgetctl_local() {
    let (server, repo) = example_applied().await;
    let (url, dir) = (server.url(), repo.path().to_owned());
    server
        .service()
        .set_action_status(&budgetctl_local::ActionStatusRequest {
            account_id: "444455556666".into(),
            budget_name: "sandbox-monthly".into(),
            action: "freeze-sandbox".into(),
            status: "PENDING".into(),
            through_ms: None,
        })
        .unwrap();
    let run = tokio::task::spawn_blocking(move || {
        let inputs = BTreeMap::from([
            ("budget", "sandbox-monthly"),
            ("action", "freeze-sandbox"),
            ("execution", "approve"),
        ]);
        run_dispatched(
            &workflow("budgetctl-approve.yml"),
            "approve",
            &dir,
            &url,
            &inputs,
        )
    })
    .await
    .unwrap();
    assert_eq!(run.failed, None, "{}", run.log);
    assert!(run.summary.contains("EXECUTION_SUCCESS"), "{}", run.summary);
}

/// The respond workflow's step, against budgetctl-local: the example's
/// sandbox response runs once when spend crosses its line, and a second
/// scheduled run finds it already run.
#[tokio::test(flavor = "multi_thread")]
async fn the_respond_workflow_runs_a_due_response_once_against_budgetctl_local() {
    let (server, repo) = example_applied().await;
    let (url, dir) = (server.url(), repo.path().to_owned());
    // The sandbox product and its self-service action, in the sandbox
    // account (reached through its role).
    let service = server.service();
    service
        .seed_provisioned_product(&budgetctl_local::ProvisionedProductRequest {
            account_id: "444455556666".into(),
            region: "eu-west-1".into(),
            id: "pp-sandbox00000001".into(),
            name: "sandbox-env".into(),
            product_id: "prod-sandbox0000001".into(),
            provisioning_artifact_id: "pa-sandbox0000001".into(),
            status: "AVAILABLE".into(),
            product_type: "CFN_STACK".into(),
        })
        .unwrap();
    let caller = budgetctl_local::Caller {
        account: "444455556666".into(),
        region: "eu-west-1".into(),
    };
    let created = service
        .catalog_call(
            "CreateServiceAction",
            &serde_json::json!({"Name": "scale-to-zero", "DefinitionType": "SSM_AUTOMATION",
                "Definition": {"Name": "AWS-StopEC2Instance"}, "IdempotencyToken": "t1"}),
            &caller,
        )
        .unwrap();
    let action = created["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    service
        .catalog_call(
            "AssociateServiceActionWithProvisioningArtifact",
            &serde_json::json!({"ProductId": "prod-sandbox0000001",
                "ProvisioningArtifactId": "pa-sandbox0000001", "ServiceActionId": action}),
            &caller,
        )
        .unwrap();
    service
        .seed_spend(&budgetctl_local::SpendRequest {
            account_id: "444455556666".into(),
            budget_name: "sandbox-monthly".into(),
            actual_spend: Some("150".into()),
            forecasted_spend: Some("300".into()),
            history: Vec::new(),
            health_status: None,
        })
        .unwrap();
    let respond = |dir: PathBuf, url: String| async move {
        tokio::task::spawn_blocking(move || {
            run_job(&workflow("budgetctl-respond.yml"), "respond", &dir, &url)
        })
        .await
        .unwrap()
    };
    let first = respond(dir.clone(), url.clone()).await;
    assert_eq!(first.failed, None, "{}", first.log);
    assert!(first.summary.contains("SUCCEEDED"), "{}", first.summary);
    let second = respond(dir, url).await;
    assert_eq!(second.failed, None, "{}", second.log);
    assert!(second.summary.contains("already-ran"), "{}", second.summary);
}

/// The sharded plan workflow, job by job as the runner would: the
/// accounts job lists the shards, a plan job per shard of the matrix plans
/// its accounts, and the comment job merges their plans (placed as
/// download-artifact places them) into the comment the unsharded workflow
/// posts.
#[tokio::test(flavor = "multi_thread")]
async fn the_sharded_plan_workflow_posts_the_unsharded_plans_comment() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let url = server.url();
    let repo = example_repo();
    let dir = repo.path().to_owned();
    let (whole, comment) = tokio::task::spawn_blocking(move || {
        let unsharded = run_job(&workflow("budgetctl-plan.yml"), "plan", &dir, &url);
        assert_eq!(unsharded.failed, None, "{}", unsharded.log);
        let whole = std::fs::read_to_string(dir.join("plan.md")).unwrap();
        std::fs::remove_file(dir.join("plan.md")).unwrap();

        let sharded = workflow("budgetctl-plan-sharded.yml");
        assert_eq!(
            sharded["jobs"]["plan"]["strategy"]["matrix"]["shard"],
            "${{ fromJSON(needs.accounts.outputs.accounts).shards }}"
        );
        let accounts = run_job(&sharded, "accounts", &dir, &url);
        assert_eq!(accounts.failed, None, "{}", accounts.log);
        let listed: Value =
            serde_json::from_str(output(&accounts, "accounts", "accounts")).unwrap();
        let shards: Vec<String> = listed["shards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(shards, ["1/4", "2/4", "3/4", "4/4"]);
        for shard in &shards {
            let inputs = BTreeMap::from([("shard", shard.as_str())]);
            let run = run_dispatched(&sharded, "plan", &dir, &url, &inputs);
            assert_eq!(run.failed, None, "{shard}: {}", run.log);
            let artifact = output(&run, "plan", "artifact");
            assert!(!artifact.contains('/'), "{artifact}");
            let place = dir.join("shards").join(artifact);
            std::fs::create_dir_all(&place).unwrap();
            std::fs::rename(dir.join("plan.json"), place.join("plan.json")).unwrap();
        }
        let comment = run_job(&sharded, "comment", &dir, &url);
        assert_eq!(comment.failed, None, "{}", comment.log);
        assert_eq!(output(&comment, "merge", "exitcode"), "2");
        (whole, std::fs::read_to_string(dir.join("plan.md")).unwrap())
    })
    .await
    .unwrap();
    // The same comment but for its footer's time, which is each run's.
    let unstamped = |md: &str| {
        md.lines()
            .filter(|l| !l.starts_with("<sub>Plan of <code>3f2a1c9</code> · "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        whole.contains("<sub>Plan of <code>3f2a1c9</code> · "),
        "{whole}"
    );
    assert_eq!(unstamped(&comment), unstamped(&whole));
    assert!(comment.contains("budgetctl: 13 to create"), "{comment}");
}

/// zizmor (GitHub Actions security analysis) finds nothing of medium
/// severity or above in the repository's workflows, the examples and the
/// setup action: actions pinned by commit, no credentials left on disk,
/// no template injection, permissions per job.
#[test]
fn every_workflow_and_the_setup_action_pass_zizmor() {
    if !crate::support::needs(
        crate::support::installed("zizmor"),
        "zizmor (pip install zizmor)",
    ) {
        return;
    }
    let out = Command::new("zizmor")
        .args(["--offline", "--min-severity", "medium", "--no-progress"])
        .args([".github/workflows", WORKFLOWS, "action.yml"])
        .current_dir(repo_root())
        .output()
        .unwrap();
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("No findings to report"), "{shown}");
}
