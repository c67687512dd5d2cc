//! `budgetctl local serve` as a user runs it, and the other clients that
//! must work against it: the AWS CLI and Terraform's AWS provider, each where
//! it is installed on the machine.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::Datelike;
use support::{Served, repo_root};

const ACCOUNT: &str = "111122223333";

fn installed(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn aws(url: &str, args: &[&str]) -> Output {
    Command::new("aws")
        .arg("budgets")
        .args(args)
        .args(["--endpoint-url", url, "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
        .env("AWS_SECRET_ACCESS_KEY", "local-secret")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("aws runs")
}

fn ok_json(out: Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn local_serve_keeps_state_across_restarts_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("local.json");
    let served = Served::start(&state);
    let body = format!(
        r#"{{"AccountId":"{ACCOUNT}","Budget":{{"BudgetName":"kept","BudgetLimit":{{"Amount":"5","Unit":"USD"}},"TimeUnit":"MONTHLY","BudgetType":"COST"}}}}"#
    );
    let (status, _) = post(&served.url, "CreateBudget", &body);
    assert_eq!(status, 200);
    assert!(served.stop().success());
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(saved.contains("kept"));

    let again = Served::start(&state);
    let (status, body) = post(
        &again.url,
        "DescribeBudget",
        &format!(r#"{{"AccountId":"{ACCOUNT}","BudgetName":"kept"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""Amount":"5.0""#), "{body}");
}

#[test]
fn local_serve_refuses_a_corrupt_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("local.json");
    std::fs::write(&state, "garbage").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
        .args(["local", "serve", "--port", "0", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("left untouched"));
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "garbage");
}

/// One signed-looking JSON-1.1 request over plain HTTP.
fn post(url: &str, operation: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Amz-Target: AWSBudgetServiceGateway.{operation}\r\nContent-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/budgets/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_aws_cli_creates_describes_and_updates_budgets() {
    if !installed("aws") {
        eprintln!(
            "skipped: the AWS CLI is not installed on this machine (see README: budgetctl-local)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("local.json"));
    let budget = |amount: &str| {
        format!(
            r#"{{"BudgetName":"cli","BudgetLimit":{{"Amount":"{amount}","Unit":"USD"}},"TimeUnit":"MONTHLY","BudgetType":"COST"}}"#
        )
    };
    ok_json(aws(
        &served.url,
        &[
            "create-budget",
            "--account-id",
            ACCOUNT,
            "--budget",
            &budget("100"),
        ],
    ));
    let listed = ok_json(aws(
        &served.url,
        &["describe-budgets", "--account-id", ACCOUNT],
    ));
    assert_eq!(listed["Budgets"][0]["BudgetName"], "cli");
    assert_eq!(listed["Budgets"][0]["BudgetLimit"]["Amount"], "100.0");
    ok_json(aws(
        &served.url,
        &[
            "update-budget",
            "--account-id",
            ACCOUNT,
            "--new-budget",
            &budget("250"),
        ],
    ));
    let one = ok_json(aws(
        &served.url,
        &[
            "describe-budget",
            "--account-id",
            ACCOUNT,
            "--budget-name",
            "cli",
        ],
    ));
    assert_eq!(one["Budget"]["BudgetLimit"]["Amount"], "250.0");
    let missing = aws(
        &served.url,
        &[
            "describe-budget",
            "--account-id",
            ACCOUNT,
            "--budget-name",
            "none",
        ],
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("NotFoundException"));
}

/// Terraform's AWS provider from a filesystem mirror on the machine (no
/// registry downloads here): /opt/tf-plugins or $BUDGETCTL_TF_PLUGIN_MIRROR.
fn terraform_mirror() -> Option<PathBuf> {
    let mirror = std::env::var_os("BUDGETCTL_TF_PLUGIN_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tf-plugins"));
    mirror
        .join("registry.terraform.io/hashicorp/aws")
        .is_dir()
        .then_some(mirror)
}

fn terraform(dir: &Path, rc: &Path, args: &[&str]) -> Output {
    Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", rc)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
        .env("AWS_SECRET_ACCESS_KEY", "local-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("terraform runs")
}

fn terraform_config(url: &str, limit: &str, email: &str) -> String {
    let template =
        std::fs::read_to_string(repo_root().join("tests/fixtures/terraform/main.tf")).unwrap();
    let now = chrono::Utc::now().date_naive();
    let month = |offset: u32| {
        let first = now.with_day(1).unwrap() + chrono::Months::new(offset);
        first.format("%Y-%m-01_00:00").to_string()
    };
    template
        .replace("__MONTH1__", &month(0))
        .replace("__MONTH2__", &month(1))
        .replace("__ENDPOINT__", url)
        .replace("__LIMIT__", limit)
        .replace("__EMAIL__", email)
}

#[test]
fn terraform_applies_plans_clean_updates_and_destroys() {
    let Some(mirror) = terraform_mirror().filter(|_| installed("terraform")) else {
        eprintln!("skipped: terraform or a hashicorp/aws provider mirror is not on this machine");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("local.json"));
    let rc = dir.path().join("terraformrc");
    std::fs::write(
        &rc,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    let work = dir.path().join("tf");
    std::fs::create_dir_all(&work).unwrap();
    let write = |limit: &str, email: &str| {
        std::fs::write(
            work.join("main.tf"),
            terraform_config(&served.url, limit, email),
        )
        .unwrap();
    };
    let check = |out: Output, what: &str| {
        assert!(
            out.status.success(),
            "terraform {what} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };

    write("100", "finops@example.com");
    check(
        terraform(&work, &rc, &["init", "-input=false", "-no-color"]),
        "init",
    );
    check(
        terraform(
            &work,
            &rc,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ),
        "apply",
    );
    // Planning again right after apply must show no changes: exit code 0.
    let plan = terraform(
        &work,
        &rc,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    assert_eq!(
        plan.status.code(),
        Some(0),
        "terraform sees a diff after apply:\n{}",
        String::from_utf8_lossy(&plan.stdout)
    );

    write("250", "platform@example.com");
    check(
        terraform(
            &work,
            &rc,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ),
        "update",
    );
    let (_, body) = post(
        &served.url,
        "DescribeBudget",
        &format!(r#"{{"AccountId":"{ACCOUNT}","BudgetName":"tf-monthly"}}"#),
    );
    assert!(body.contains(r#""Amount":"250.0""#), "{body}");
    let plan = terraform(
        &work,
        &rc,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&plan.stdout)
    );

    check(
        terraform(
            &work,
            &rc,
            &["destroy", "-auto-approve", "-input=false", "-no-color"],
        ),
        "destroy",
    );
    let (_, body) = post(
        &served.url,
        "DescribeBudgets",
        &format!(r#"{{"AccountId":"{ACCOUNT}"}}"#),
    );
    assert!(!body.contains("tf-monthly"), "{body}");
}

/// The request log carries no colour codes with `--no-color`, with
/// `NO_COLOR`, or when it goes to a file rather than a terminal.
#[test]
fn local_serve_logs_without_colour_codes_to_a_file() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    for (flags, no_color_env) in [
        (&["--no-color"][..], false),
        (&[][..], true),
        (&[][..], false),
    ] {
        let log = dir.path().join("serve.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_budgetctl"));
        command
            .args(["local", "serve", "--port", "0", "--ephemeral"])
            .args(flags)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        if no_color_env {
            command.env("NO_COLOR", "1");
        } else {
            command.env_remove("NO_COLOR");
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_owned();
        let (status, _) = post(
            &url,
            "DescribeBudgets",
            &format!(r#"{{"AccountId":"{ACCOUNT}"}}"#),
        );
        assert_eq!(status, 200);
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        assert!(child.wait().unwrap().success());
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("DescribeBudgets"), "{flags:?}: {text}");
        assert!(
            !text.contains('\u{1b}'),
            "{flags:?} NO_COLOR={no_color_env}: {text:?}"
        );
    }
}
