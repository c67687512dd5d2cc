//! `budgetctl local serve` as a user runs it, and the other clients that
//! must work against it: the AWS CLI and Terraform's AWS provider, each where
//! it is installed on the machine.

use crate::support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::{Served, installed, needs};

use budgetctl_testkit::ACCOUNT;

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
pub(crate) fn post(url: &str, operation: &str, body: &str) -> (u16, String) {
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
    if !needs(installed("aws"), "the AWS CLI (pip install awscli)") {
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

/// NotificationState moves with the spend budgetctl-local is given, as the
/// AWS CLI reads it: OK under an alert's line, ALARM over it, and OK again
/// (what plans that weigh alerts against spend read; issue 26, item 12).
#[test]
fn the_aws_cli_sees_an_alert_go_into_alarm_with_spend() {
    if !needs(installed("aws"), "the AWS CLI (pip install awscli)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("local.json"));
    ok_json(aws(
        &served.url,
        &[
            "create-budget",
            "--account-id",
            ACCOUNT,
            "--budget",
            r#"{"BudgetName":"alarmed","BudgetLimit":{"Amount":"100","Unit":"USD"},"TimeUnit":"MONTHLY","BudgetType":"COST"}"#,
            "--notifications-with-subscribers",
            r#"[{"Notification":{"NotificationType":"ACTUAL","ComparisonOperator":"GREATER_THAN","Threshold":80},"Subscribers":[{"SubscriptionType":"EMAIL","Address":"finops@example.com"}]},{"Notification":{"NotificationType":"FORECASTED","ComparisonOperator":"GREATER_THAN","Threshold":100},"Subscribers":[{"SubscriptionType":"EMAIL","Address":"finops@example.com"}]}]"#,
        ],
    ));
    let states = |actual: &str, forecasted: &str| {
        let answer = served.control(
            "POST",
            "/_local/spend",
            &format!(
                r#"{{"AccountId": "{ACCOUNT}", "BudgetName": "alarmed", "ActualSpend": "{actual}", "ForecastedSpend": "{forecasted}"}}"#
            ),
        );
        assert!(!answer.contains("__type"), "{answer}");
        let listed = ok_json(aws(
            &served.url,
            &[
                "describe-notifications-for-budget",
                "--account-id",
                ACCOUNT,
                "--budget-name",
                "alarmed",
            ],
        ));
        let mut states: Vec<(String, String)> = listed["Notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["NotificationType"].as_str().unwrap().to_owned(),
                    n["NotificationState"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        states.sort();
        states
    };
    let pair = |actual: &str, forecasted: &str| {
        vec![
            ("ACTUAL".to_owned(), actual.to_owned()),
            ("FORECASTED".to_owned(), forecasted.to_owned()),
        ]
    };
    assert_eq!(states("10", "50"), pair("OK", "OK"));
    assert_eq!(states("85", "95"), pair("ALARM", "OK"));
    assert_eq!(states("90", "130"), pair("ALARM", "ALARM"));
    assert_eq!(states("20", "60"), pair("OK", "OK"));
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

/// Names of the budgets in a state file, for one account.
/// (The snapshot and its log, read as a restart reads them.)
fn saved_budgets(state: &Path) -> std::collections::BTreeSet<String> {
    budgetctl_local::Store::load(state)
        .unwrap()
        .accounts
        .get(ACCOUNT)
        .map(|a| a.budgets.keys().cloned().collect())
        .unwrap_or_default()
}

/// A write is on disk before it is acknowledged: SIGKILL at several points
/// of a 500-create apply loses no budget that apply was told was created.
#[test]
fn sigkill_loses_no_acknowledged_write() {
    use std::io::Read;
    let mut yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n");
    for i in 0..500 {
        yaml.push_str(&format!("  - {{name: team-{i:03}, limit: {}}}\n", 100 + i));
    }
    for kill_after in [20, 150, 350] {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        std::fs::write(dir.path().join("budgets.yaml"), &yaml).unwrap();
        let served = Served::start(&state);
        served.control("POST", "/_local/faults", r#"{"latency_ms": 2}"#);
        let mut apply = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
            .args([
                "apply",
                "--auto-approve",
                "--max-rps",
                "0",
                "--endpoint-url",
                &served.url,
            ])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while served.applied("CreateBudget") < kill_after {
            assert!(
                std::time::Instant::now() < deadline,
                "apply made no progress"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        served.kill_hard();
        let _ = apply.kill();
        let mut log = String::new();
        apply
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        apply.wait().unwrap();
        let acknowledged: Vec<&str> = log
            .lines()
            .filter_map(|l| l.strip_prefix("created 111122223333/"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(!acknowledged.is_empty(), "kill after {kill_after}: {log}");
        let saved = saved_budgets(&state);
        let lost: Vec<&&str> = acknowledged
            .iter()
            .filter(|n| !saved.contains(**n))
            .collect();
        assert!(
            lost.is_empty(),
            "kill after {kill_after}: {} acknowledged, {} saved, lost {lost:?}",
            acknowledged.len(),
            saved.len()
        );
    }
}

/// A save that fails fails the request, is tried again with the next
/// change, and a server that could not save its state exits non-zero.
#[test]
fn a_failed_save_is_not_acknowledged_and_shutdown_says_so() {
    let create = |url: &str, name: &str| {
        post(
            url,
            "CreateBudget",
            &format!(
                r#"{{"AccountId":"{ACCOUNT}","Budget":{{"BudgetName":"{name}","BudgetLimit":{{"Amount":"5","Unit":"USD"}},"TimeUnit":"MONTHLY","BudgetType":"COST"}}}}"#
            ),
        )
    };
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("state");
    std::fs::create_dir(&dir).unwrap();
    let state = dir.join("local.json");
    // Where the state's directory is replaced by a file, no save can succeed.
    let break_dir = || {
        std::fs::rename(&dir, root.path().join("moved")).unwrap();
        std::fs::write(&dir, "not a directory").unwrap();
    };
    let restore_dir = || {
        std::fs::remove_file(&dir).unwrap();
        std::fs::rename(root.path().join("moved"), &dir).unwrap();
    };

    let served = Served::start(&state);
    assert_eq!(create(&served.url, "kept").0, 200);
    break_dir();
    let (status, body) = create(&served.url, "unsaved");
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("InternalErrorException"), "{body}");
    assert!(body.contains("could not be saved"), "{body}");
    restore_dir();
    let (status, body) = create(&served.url, "after");
    assert_eq!(status, 200, "{body}");
    // The next save carried everything, the unacknowledged change too.
    let saved = saved_budgets(&state);
    assert!(
        ["kept", "unsaved", "after"]
            .iter()
            .all(|n| saved.contains(*n)),
        "{saved:?}"
    );

    break_dir();
    let (status, _) = create(&served.url, "lost");
    assert_eq!(status, 500);
    let exit = served.stop();
    assert!(
        !exit.success(),
        "shutdown with unsaved state must fail: {exit:?}"
    );
}

/// Two servers never write one state file: the second is refused, naming
/// the file, while the first runs.
#[test]
fn a_second_server_on_one_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("local.json");
    let first = Served::start(&state);
    let mut second = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
        .args(["local", "serve", "--port", "0", "--state"])
        .arg(&state)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A second server that starts would serve until stopped: give it ten
    // seconds to refuse, then stop it and fail.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second server on {} started", state.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("is in use by another"), "{err}");
    assert!(err.contains("local.json"), "{err}");
    assert!(first.stop().success());
}

/// A budget action made with the AWS CLI, which knows nothing of budgetctl's
/// name tag, is adopted by content: the plan tags it, never recreates it.
#[test]
fn an_action_made_with_the_aws_cli_is_adopted_not_recreated() {
    if !needs(installed("aws"), "the AWS CLI (pip install awscli)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("local.json"));
    ok_json(aws(
        &served.url,
        &[
            "create-budget",
            "--account-id",
            ACCOUNT,
            "--budget",
            r#"{"BudgetName":"sandbox","BudgetLimit":{"Amount":"500","Unit":"USD"},"TimeUnit":"MONTHLY","BudgetType":"COST"}"#,
        ],
    ));
    let created = ok_json(aws(
        &served.url,
        &[
            "create-budget-action",
            "--account-id",
            ACCOUNT,
            "--budget-name",
            "sandbox",
            "--notification-type",
            "ACTUAL",
            "--action-type",
            "APPLY_IAM_POLICY",
            "--action-threshold",
            "ActionThresholdValue=100,ActionThresholdType=PERCENTAGE",
            "--definition",
            r#"{"IamActionDefinition":{"PolicyArn":"arn:aws:iam::aws:policy/AWSDenyAll","Roles":["developer"]}}"#,
            "--execution-role-arn",
            "arn:aws:iam::111122223333:role/budgetctl-actions",
            "--approval-model",
            "MANUAL",
            "--subscribers",
            "SubscriptionType=EMAIL,Address=finops@example.com",
        ],
    ));
    let id = created["ActionId"].as_str().unwrap().to_owned();
    std::fs::write(
        dir.path().join("budgets.yaml"),
        format!(
            "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - name: sandbox\n    limit: 500\n    actions:\n      - name: freeze\n        when: actual > 100%\n        apply_iam_policy: {{ policy: arn:aws:iam::aws:policy/AWSDenyAll, roles: [developer] }}\n        execution_role: arn:aws:iam::111122223333:role/budgetctl-actions\n        to: [finops@example.com]\n"
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_budgetctl"))
            .args(args)
            .args(["--endpoint-url", &served.url])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
            .env("AWS_SECRET_ACCESS_KEY", "local-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let plan = run(&["plan", "--detailed-exitcode"]);
    let shown = support::text(&plan);
    assert_eq!(plan.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains(&format!("on the live action {id} (adopted, not recreated)")),
        "{shown}"
    );
    assert!(
        shown.contains("0 to create, 1 to update, 0 to delete"),
        "{shown}"
    );
    let applied = run(&["apply", "--auto-approve"]);
    assert!(applied.status.success(), "{}", support::text(&applied));
    let tags = ok_json(
        Command::new("aws")
            .args(["budgets", "list-tags-for-resource", "--resource-arn"])
            .arg(format!(
                "arn:aws:budgets::{ACCOUNT}:budget/sandbox/action/{id}"
            ))
            .args(["--endpoint-url", &served.url, "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
            .env("AWS_SECRET_ACCESS_KEY", "local-secret")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap(),
    );
    assert_eq!(
        tags["ResourceTags"],
        serde_json::json!([{"Key": "budgetctl:action", "Value": "freeze"}])
    );
    let plan = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", support::text(&plan));
}

/// The AWS CLI's `servicecatalog` commands, unmodified, against
/// budgetctl-local: a seeded provisioned product, a service action made and
/// associated through the API, executed once per token, its record read.
#[test]
fn the_aws_cli_runs_a_service_catalog_action() {
    if !needs(installed("aws"), "the AWS CLI (pip install awscli)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("local.json"));
    let seeded = served.control(
        "POST",
        "/_local/provisioned-products",
        &format!(
            r#"{{"AccountId": "{ACCOUNT}", "Region": "eu-west-1", "Id": "pp-abcd1234efgh5", "Name": "dev-env", "ProductId": "prod-abcd1234efgh5", "ProvisioningArtifactId": "pa-abcd1234efgh5", "Status": "AVAILABLE"}}"#
        ),
    );
    assert!(seeded.is_empty(), "{seeded}");
    let sc = |args: &[&str]| {
        ok_json(
            Command::new("aws")
                .arg("servicecatalog")
                .args(args)
                .args([
                    "--endpoint-url",
                    &served.url,
                    "--region",
                    "eu-west-1",
                    "--output",
                    "json",
                ])
                .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
                .env("AWS_SECRET_ACCESS_KEY", "local-secret")
                .env("AWS_CONFIG_FILE", "/dev/null")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .output()
                .expect("aws runs"),
        )
    };
    let created = sc(&[
        "create-service-action",
        "--name",
        "scale-to-zero",
        "--definition-type",
        "SSM_AUTOMATION",
        "--definition",
        "Name=AWS-StopEC2Instance,Version=1,AssumeRole=LAUNCH_ROLE",
        "--idempotency-token",
        "create-1",
    ]);
    let action = created["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    sc(&[
        "associate-service-action-with-provisioning-artifact",
        "--product-id",
        "prod-abcd1234efgh5",
        "--provisioning-artifact-id",
        "pa-abcd1234efgh5",
        "--service-action-id",
        &action,
    ]);
    let pp = sc(&["describe-provisioned-product", "--name", "dev-env"]);
    assert_eq!(pp["ProvisionedProductDetail"]["Id"], "pp-abcd1234efgh5");
    let execute = || {
        sc(&[
            "execute-provisioned-product-service-action",
            "--provisioned-product-id",
            "pp-abcd1234efgh5",
            "--service-action-id",
            &action,
            "--execute-token",
            "respond-2026-12",
        ])
    };
    let first = execute();
    let again = execute();
    let record = first["RecordDetail"]["RecordId"].as_str().unwrap();
    assert_eq!(
        again["RecordDetail"]["RecordId"], record,
        "one record per token"
    );
    let described = sc(&["describe-record", "--id", record]);
    assert_eq!(described["RecordDetail"]["Status"], "SUCCEEDED");
    let history = sc(&[
        "list-record-history",
        "--search-filter",
        "Key=provisionedproduct,Value=pp-abcd1234efgh5",
    ]);
    assert_eq!(history["RecordDetails"].as_array().unwrap().len(), 1);
}

/// A control's body past its limit is refused in JSON, as every other
/// refusal is, saying the limit; so is a body that is not JSON.
#[test]
fn control_refusals_are_json_and_name_the_body_limit() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("local.json"));
    let accounts: Vec<String> = (0..40_000)
        .map(|i| {
            format!(
                r#"{{"Id": "{:012}", "ParentId": "r-abcd", "Name": "account number {i}"}}"#,
                100_000_000_000u64 + i
            )
        })
        .collect();
    let seed = format!(
        r#"{{"RootId": "r-abcd", "Accounts": [{}]}}"#,
        accounts.join(",")
    );
    assert!(seed.len() > 2_500_000, "{}", seed.len());
    for (body, expected) in [
        (
            seed.as_str(),
            "larger than the 2097152 bytes a /_local/ control takes",
        ),
        ("{ not json", "key must be a string"),
    ] {
        let answer = served.control("POST", "/_local/organization", body);
        let v: serde_json::Value =
            serde_json::from_str(&answer).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"));
        assert_eq!(v["__type"], "InvalidParameterException", "{v}");
        assert!(v["Message"].as_str().unwrap().contains(expected), "{v}");
    }
}
