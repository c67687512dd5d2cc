//! `budgetctl respond` end to end, through the binary against budgetctl-local:
//! a response runs when spend crosses its line, once per budget period,
//! whether the job is rerun, run twice at once, killed midway or loses an
//! answer; failures exit 1 and are not re-run unless asked; bad targets
//! run nothing.

use crate::support;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use budgetctl_testkit::ACCOUNT;
use serde_json::Value;
use support::{Served, budgetctl_in as budgetctl};

const PRODUCT: &str = "pp-abcd1234efgh5";

fn text(o: &Output) -> String {
    support::text(o)
}

/// The budget file: `dev-env-monthly` (limit 2000) responding to
/// `actual > 100%` by running `scale-to-zero` on `dev-env`, and `extra`
/// appended to the budget.
fn budgets(when: &str, extra: &str) -> String {
    format!(
        "version: 1
defaults: {{account: \"{ACCOUNT}\"}}
budgets:
  - name: dev-env-monthly
    limit: 2000
    responses:
      - name: scale-dev-to-zero
        when: {when}
        service_catalog:
          region: eu-west-1
          provisioned_product: dev-env
          action: scale-to-zero
          parameters: {{ Mode: [full] }}
{extra}"
    )
}

/// budgetctl-local served for a workspace whose budgets are applied, with
/// the provisioned product `dev-env` and its associated `scale-to-zero`.
struct World {
    dir: tempfile::TempDir,
    served: Served,
}

impl World {
    fn new(file: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let served = Served::start(&dir.path().join("state.json"));
        let world = World { dir, served };
        world.write(file);
        let out = world.run(&["apply", "--auto-approve"]);
        assert!(out.status.success(), "{}", text(&out));
        world.product("dev-env", PRODUCT, "AVAILABLE");
        let action = world.service_action("scale-to-zero");
        world.associate(PRODUCT, &action);
        world
    }

    fn write(&self, file: &str) {
        std::fs::write(self.dir.path().join("budgets.yaml"), file).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        budgetctl(self.dir.path())
            .args(args)
            .args(["--endpoint-url", self.served.url.as_str()])
            .output()
            .expect("budgetctl runs")
    }

    /// Seed a provisioned product; its id is `pp-<suffix of id>`.
    fn product(&self, name: &str, id: &str, status: &str) {
        let tail = id.trim_start_matches("pp-");
        let body = format!(
            r#"{{"AccountId": "{ACCOUNT}", "Region": "eu-west-1", "Id": "{id}", "Name": "{name}", "ProductId": "prod-{tail}", "ProvisioningArtifactId": "pa-{tail}", "Status": "{status}"}}"#
        );
        let answer = self
            .served
            .control("POST", "/_local/provisioned-products", &body);
        assert!(!answer.contains("__type"), "{answer}");
    }

    /// CreateServiceAction, as a person sets a product up; its id.
    fn service_action(&self, name: &str) -> String {
        let answer = self.served.service_catalog(
            "eu-west-1",
            "CreateServiceAction",
            &format!(
                r#"{{"Name": "{name}", "DefinitionType": "SSM_AUTOMATION", "Definition": {{"Name": "AWS-StopEC2Instance", "Version": "1"}}, "IdempotencyToken": "create-{name}"}}"#
            ),
        );
        let v: Value = serde_json::from_str(&answer).unwrap();
        v["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"))
            .to_owned()
    }

    fn associate(&self, product: &str, action: &str) {
        let tail = product.trim_start_matches("pp-");
        let answer = self.served.service_catalog(
            "eu-west-1",
            "AssociateServiceActionWithProvisioningArtifact",
            &format!(
                r#"{{"ProductId": "prod-{tail}", "ProvisioningArtifactId": "pa-{tail}", "ServiceActionId": "{action}"}}"#
            ),
        );
        assert!(!answer.contains("__type"), "{answer}");
    }

    fn spend(&self, budget: &str, actual: &str) {
        let answer = self.served.control(
            "POST",
            "/_local/spend",
            &format!(
                r#"{{"AccountId": "{ACCOUNT}", "BudgetName": "{budget}", "ActualSpend": "{actual}"}}"#
            ),
        );
        assert!(!answer.contains("__type"), "{answer}");
    }

    fn faults(&self, body: &str) {
        self.served.control("POST", "/_local/faults", body);
    }

    /// The product's records (ListRecordHistory), newest first.
    fn records(&self, product: &str) -> Vec<Value> {
        let answer = self.served.service_catalog(
            "eu-west-1",
            "ListRecordHistory",
            &format!(
                r#"{{"SearchFilter": {{"Key": "provisionedproduct", "Value": "{product}"}}}}"#
            ),
        );
        let v: Value = serde_json::from_str(&answer).unwrap();
        v["RecordDetails"].as_array().cloned().unwrap_or_default()
    }

    /// ExecuteProvisionedProductServiceAction calls since the last reset.
    fn executions(&self) -> u64 {
        let body = self.served.control("GET", "/_local/requests", "");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["counts"]["ExecuteProvisionedProductServiceAction"]
            .as_u64()
            .unwrap_or(0)
    }

    fn reset_requests(&self) {
        self.served.control("DELETE", "/_local/requests", "");
    }

    fn respond_json(&self, args: &[&str]) -> (Output, Value) {
        let mut all = vec!["respond", "--format", "json"];
        all.extend(args);
        let out = self.run(&all);
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        (out, v)
    }
}

/// Below the line nothing runs; over it one execution, followed to
/// SUCCEEDED; a second run in the period executes nothing; the next
/// period runs again.
#[test]
fn a_response_runs_once_per_period_when_spend_crosses_its_line() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "1500");
    let (out, v) = w.respond_json(&["--wait", "--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "not-due", "{v}");
    assert_eq!(v["responses"][0]["line"], "2000");
    assert_eq!(w.executions(), 0);

    w.spend("dev-env-monthly", "2500");
    let out = w.run(&["respond", "--wait", "--today", "2026-12-01"]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("ran "), "{shown}");
    assert!(
        shown.contains("actual 2500 USD > 2000 USD (100% of 2000 USD)"),
        "{shown}"
    );
    assert!(shown.contains("SUCCEEDED"), "{shown}");
    assert_eq!(w.executions(), 1);
    assert_eq!(w.records(PRODUCT).len(), 1);

    w.reset_requests();
    let (out, v) = w.respond_json(&["--today", "2026-12-20"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "already-ran", "{v}");
    assert_eq!(v["responses"][0]["record"]["status"], "SUCCEEDED");
    assert_eq!(w.executions(), 0, "no execution the second time");
    assert_eq!(w.records(PRODUCT).len(), 1);

    // January is another period: another token, another record.
    let (out, v) = w.respond_json(&["--wait", "--today", "2027-01-02"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "ran", "{v}");
    assert_eq!(v["responses"][0]["period"], "2027-01-01");
    assert_ne!(
        v["responses"][0]["token"],
        Value::Null,
        "the token is reported"
    );
    assert_eq!(w.records(PRODUCT).len(), 2);
}

/// `--dry-run` says what would run and why, with the token, and reads
/// only the budgets (DescribeBudgets).
#[test]
fn a_dry_run_shows_the_due_response_and_changes_nothing() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    w.reset_requests();
    let out = w.run(&["respond", "--dry-run", "--today", "2026-12-01"]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("due "), "{shown}");
    assert!(shown.contains("would run service action scale-to-zero on provisioned product dev-env in eu-west-1 (ExecuteToken budgetctl-"), "{shown}");
    let row = shown.lines().find(|l| l.starts_with("due ")).unwrap_or("");
    assert!(row.contains("  2026-12-01  "), "the period: {shown}");
    let body = w.served.control("GET", "/_local/requests", "");
    let v: Value = serde_json::from_str(&body).unwrap();
    let counts = v["counts"].as_object().unwrap();
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        ["DescribeBudgets"],
        "{body}"
    );
    assert!(w.records(PRODUCT).is_empty());
}

/// Two respond processes started at once: one execution in total (the
/// shared ExecuteToken), both report success.
#[test]
fn two_concurrent_runs_make_one_record() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    let start = |w: &World| {
        budgetctl(w.dir.path())
            .args(["respond", "--today", "2026-12-01", "--endpoint-url"])
            .arg(&w.served.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(&w), start(&w));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", text(&a));
    assert!(b.status.success(), "{}", text(&b));
    assert_eq!(w.records(PRODUCT).len(), 1);
}

/// A process killed after ExecuteProvisionedProductServiceAction, before
/// it printed anything: the next run reports the response as already run.
#[test]
fn a_run_killed_after_executing_is_reported_as_already_run_next_time() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    // The record stays IN_PROGRESS a minute: `--wait` is polling it when killed.
    w.faults(r#"{"record_ms": 60000}"#);
    let mut child = budgetctl(w.dir.path())
        .args([
            "respond",
            "--wait",
            "--today",
            "2026-12-01",
            "--endpoint-url",
        ])
        .arg(&w.served.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while w.executions() == 0 {
        assert!(Instant::now() < deadline, "respond never executed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let killed = child.wait_with_output().unwrap();
    assert!(killed.stdout.is_empty(), "{}", text(&killed));
    w.served.quiesce();
    w.reset_requests();
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "already-ran", "{v}");
    // Killed after marking, the next run reads the mark and calls nothing;
    // killed before, it repeats the call with the same token, and Service
    // Catalog answers with the record it made. Either way, one record.
    assert!(w.executions() <= 1);
    assert_eq!(w.records(PRODUCT).len(), 1);
}

/// The execute call's answer lost (the call acts, then 500; the seed
/// makes the first answer lost and a later one arrive): the SDK's retries
/// carry the same token, so exactly one record, reported as run. (Every
/// answer lost is settled by reading the history: the apply crate's test.)
#[test]
fn a_lost_answer_makes_exactly_one_record() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    w.faults(
        r#"{"lost": 0.5, "seed": 8, "operations": ["ExecuteProvisionedProductServiceAction"]}"#,
    );
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(w.executions() > 1, "the SDK retried");
    assert_eq!(v["responses"][0]["outcome"], "ran", "{v}");
    assert_eq!(w.records(PRODUCT).len(), 1);
}

/// A FAILED record: exit 1 with the record's errors; the next run in the
/// period reports the failure without running again; `--retry-failed`
/// runs it once more.
#[test]
fn a_failed_record_exits_1_and_is_rerun_only_with_retry_failed() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    w.faults(r#"{"record_fails": true}"#);
    let out = w.run(&["respond", "--wait", "--today", "2026-12-01"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("failed "), "{shown}");
    assert!(shown.contains("AUTOMATION_FAILED"), "{shown}");

    w.reset_requests();
    let out = w.run(&["respond", "--today", "2026-12-01"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("this period's run failed"), "{shown}");
    assert!(shown.contains("--retry-failed"), "{shown}");
    assert_eq!(w.executions(), 0, "a failure is not re-run silently");

    w.faults("{}");
    let (out, v) = w.respond_json(&["--retry-failed", "--wait", "--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "ran", "{v}");
    assert_eq!(v["responses"][0]["record"]["status"], "SUCCEEDED");
    assert_eq!(w.records(PRODUCT).len(), 2);
    // Succeeded now: nothing more this period, retry or not.
    let (_, v) = w.respond_json(&["--retry-failed", "--today", "2026-12-01"]);
    assert_eq!(v["responses"][0]["outcome"], "already-ran", "{v}");
}

/// An unknown product, an action not associated with the product, a busy
/// product: each a clear error, exit 1, and no record anywhere.
#[test]
fn bad_targets_are_clear_errors_and_run_nothing() {
    let extra = "  - name: other-monthly
    limit: 100
    responses:
      - name: nowhere
        when: actual > 10%
        service_catalog: { region: eu-west-1, provisioned_product: no-such-env, action: scale-to-zero }
      - name: unassociated
        when: actual > 10%
        service_catalog: { region: eu-west-1, provisioned_product: lonely-env, action: scale-to-zero }
      - name: busy
        when: actual > 10%
        service_catalog: { region: eu-west-1, provisioned_product: busy-env, action: scale-to-zero }
";
    let w = World::new(&budgets("actual > 100%", extra));
    w.product("lonely-env", "pp-lonely0000001", "AVAILABLE");
    w.product("busy-env", "pp-busy000000001", "UNDER_CHANGE");
    let action = w.service_action("scale-to-zero");
    w.associate("pp-busy000000001", &action);
    w.spend("other-monthly", "50");
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let message = |name: &str| {
        v["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["response"] == name)
            .map(|r| {
                (
                    r["outcome"].clone(),
                    r["message"].as_str().unwrap().to_owned(),
                )
            })
            .unwrap()
    };
    let (outcome, m) = message("nowhere");
    assert_eq!(outcome, "error");
    assert!(
        m.contains("provisioned product `no-such-env` is not in account"),
        "{m}"
    );
    let (outcome, m) = message("unassociated");
    assert_eq!(outcome, "error");
    assert!(
        m.contains("no service action is associated with provisioned product `lonely-env`"),
        "{m}"
    );
    assert!(
        m.contains("AssociateServiceActionWithProvisioningArtifact"),
        "{m}"
    );
    let (outcome, m) = message("busy");
    assert_eq!(outcome, "error");
    assert!(m.contains("busy-env is busy"), "{m}");
    assert!(m.contains("nothing was run"), "{m}");
    for product in [PRODUCT, "pp-lonely0000001", "pp-busy000000001"] {
        assert!(w.records(product).is_empty(), "{product}");
    }
}

/// The threshold is a percentage of the limit in force this period: the
/// planned amount of the period `--today` falls in.
#[test]
fn planned_budgets_decide_against_this_periods_limit() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    // The same budget, planned: 2000 in November, 5000 in December.
    let planned = budgets("actual > 100%", "").replace(
        "    limit: 2000\n",
        "    planned:\n      2026-11: 2000\n      2026-12: 5000\n",
    );
    w.write(&planned);
    let (out, v) = w.respond_json(&["--dry-run", "--today", "2026-11-15"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "due", "{v}");
    assert_eq!(v["responses"][0]["limit"], "2000 USD");
    let (out, v) = w.respond_json(&["--dry-run", "--today", "2026-12-15"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "not-due", "{v}");
    assert_eq!(v["responses"][0]["limit"], "5000 USD");
    assert_eq!(v["responses"][0]["line"], "5000");
}

/// `approve_action` approves the budget's PENDING action, and finds nothing
/// to approve once it ran.
#[test]
fn an_approve_action_response_approves_a_pending_action() {
    let w = World::new(&approving("arn:aws:iam::aws:policy/AWSDenyAll"));
    w.pending("freeze");
    w.spend("sandbox", "700");
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "ran", "{v}");
    let list = w.run(&["action", "list", "--account", ACCOUNT]);
    assert!(text(&list).contains("EXECUTION_SUCCESS"), "{}", text(&list));
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "already-ran", "{v}");
    assert!(
        v["responses"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nothing to approve: the action is EXECUTION_SUCCESS"),
        "{v}"
    );
}

/// Plan shows a new budget's responses, and warns where live spend already
/// crosses a response's line; neither is a change.
#[test]
fn plan_shows_responses_and_warns_when_one_is_due() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    let out = w.run(&["plan", "--detailed-exitcode"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "no change: {shown}");
    assert!(
        shown.contains("the next `budgetctl respond` will run service action scale-to-zero"),
        "{shown}"
    );
    let renamed = budgets("actual > 100%", "").replace("dev-env-monthly", "dev-env-2");
    w.write(&renamed);
    let out = w.run(&["plan"]);
    let shown = text(&out);
    assert!(
        shown.contains("response scale-dev-to-zero: when actual > 100%: run service action"),
        "{shown}"
    );
}

/// Service Catalog acts in the caller's account: a budget of another
/// account, reached without a role, is refused rather than run in the
/// wrong account.
#[test]
fn a_response_is_never_run_in_another_account_than_its_budgets() {
    let extra = "  - name: elsewhere
    account: \"444455556666\"
    limit: 100
    responses:
      - name: scale-elsewhere
        when: actual > 10%
        service_catalog: { region: eu-west-1, provisioned_product: dev-env, action: scale-to-zero }
";
    let w = World::new(&budgets("actual > 100%", extra));
    w.served.control(
        "POST",
        "/_local/spend",
        r#"{"AccountId": "444455556666", "BudgetName": "elsewhere", "ActualSpend": "50"}"#,
    );
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let refused = v["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["response"] == "scale-elsewhere")
        .unwrap();
    assert_eq!(refused["outcome"], "error", "{v}");
    let m = refused["message"].as_str().unwrap();
    assert!(
        m.contains("would act in account 111122223333")
            && m.contains("give account 444455556666 a role"),
        "{m}"
    );
    assert!(w.records(PRODUCT).is_empty(), "nothing ran in 111122223333");
}

/// A call the role may not make: an error naming the permission, exit 1,
/// nothing run; the next run (with the permission) runs it.
#[test]
fn an_access_denied_names_the_permission_and_runs_nothing() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    w.faults(&format!(
        r#"{{"deny_accounts": ["{ACCOUNT}"], "operations": ["ExecuteProvisionedProductServiceAction"]}}"#
    ));
    let out = w.run(&["respond", "--today", "2026-12-01"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("hint: ExecuteProvisionedProductServiceAction needs servicecatalog:ExecuteProvisionedProductServiceAction in account 111122223333"),
        "{shown}"
    );
    assert!(w.records(PRODUCT).is_empty());
    w.faults("{}");
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "ran", "{v}");
}

/// An auto-adjusting budget's percentage is of the amount AWS computed
/// (here the average of the last three months).
#[test]
fn an_auto_adjusted_budget_decides_against_the_amount_aws_computed() {
    let file = budgets("actual > 100%", "")
        .replace("    limit: 2000\n", "    auto_adjust: { historical: 3 }\n");
    let w = World::new(&file);
    let seed = |actual: &str, monthly: &str| {
        let history: Vec<String> = ["2026-09", "2026-10", "2026-11"]
            .iter()
            .zip(["2026-10", "2026-11", "2026-12"])
            .map(|(start, end)| {
                format!(
                    r#"{{"Start": "{start}-01", "End": "{end}-01", "Budgeted": "{monthly}", "Actual": "{monthly}"}}"#
                )
            })
            .collect();
        let answer = w.served.control(
            "POST",
            "/_local/spend",
            &format!(
                r#"{{"AccountId": "{ACCOUNT}", "BudgetName": "dev-env-monthly", "ActualSpend": "{actual}", "History": [{}]}}"#,
                history.join(", ")
            ),
        );
        assert!(!answer.contains("__type"), "{answer}");
    };
    seed("1500", "1200");
    let (out, v) = w.respond_json(&["--dry-run", "--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["limit"], "1200 USD", "{v}");
    assert_eq!(v["responses"][0]["outcome"], "due", "{v}");
    seed("1500", "1800");
    let (_, v) = w.respond_json(&["--dry-run", "--today", "2026-12-01"]);
    assert_eq!(v["responses"][0]["limit"], "1800 USD", "{v}");
    assert_eq!(v["responses"][0]["outcome"], "not-due", "{v}");
}

/// A budget with `freeze` (manual approval) and a response approving it
/// past 120% of 500.
fn approving(definition: &str) -> String {
    format!(
        "version: 1
defaults: {{account: \"{ACCOUNT}\"}}
budgets:
  - name: sandbox
    limit: 500
    actions:
      - name: freeze
        when: actual > 100%
        apply_iam_policy: {{ policy: {definition}, roles: [developer] }}
        execution_role: arn:aws:iam::{ACCOUNT}:role/budgetctl-actions
        to: [finops@example.com]
    responses:
      - name: approve-freeze
        when: actual > 120%
        approve_action: freeze
"
    )
}

impl World {
    fn pending(&self, action: &str) {
        let moved = self.served.control(
            "POST",
            "/_local/actions",
            &format!(
                r#"{{"AccountId": "{ACCOUNT}", "BudgetName": "sandbox", "Action": "{action}", "Status": "PENDING"}}"#
            ),
        );
        assert!(moved.contains("ActionId"), "{moved}");
    }

    fn action_executions(&self) -> u64 {
        self.served.applied("ExecuteBudgetAction")
    }
}

/// The live action drifted from the files (someone changed its policy):
/// the response approves nothing, says so and names `budgetctl plan`.
#[test]
fn an_approve_action_response_refuses_an_action_that_drifted_from_the_files() {
    let declared = approving("arn:aws:iam::aws:policy/AWSDenyAll");
    let w = World::new(&approving("arn:aws:iam::aws:policy/AdministratorAccess"));
    w.write(&declared);
    w.pending("freeze");
    w.spend("sandbox", "700");
    w.reset_requests();
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = &v["responses"][0];
    assert_eq!(r["outcome"], "error", "{v}");
    let message = r["message"].as_str().unwrap();
    assert!(message.contains("differs from the files"), "{message}");
    assert!(message.contains("AdministratorAccess"), "{message}");
    assert!(message.contains("budgetctl plan"), "{message}");
    assert_eq!(w.action_executions(), 0);
}

/// Four respond runs at once over one due approval: one execution, and
/// exactly one run says it ran; the others found it already done.
#[test]
fn concurrent_approving_runs_report_one_approval() {
    let w = World::new(&approving("arn:aws:iam::aws:policy/AWSDenyAll"));
    w.pending("freeze");
    w.spend("sandbox", "700");
    w.faults(r#"{"action_ms": 200, "latency_ms": 300}"#);
    w.reset_requests();
    let outs = support::at_once(4, || {
        let mut run = budgetctl(w.dir.path());
        run.args(["respond", "--format", "json", "--today", "2026-12-01"])
            .args(["--endpoint-url", w.served.url.as_str()]);
        run
    });
    w.faults("{}");
    let outcomes: Vec<String> = outs
        .iter()
        .map(|o| {
            let v: Value =
                serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)));
            v["responses"][0]["outcome"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(w.action_executions(), 1, "{outcomes:?}");
    assert_eq!(
        outcomes.iter().filter(|o| *o == "ran").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|o| o == "ran" || o == "already-ran"),
        "{outcomes:?}"
    );
}

/// Plan warns that the next respond will approve a PENDING action; once
/// the action ran, it no longer does.
#[test]
fn plan_warns_of_an_approval_only_while_the_action_waits_for_one() {
    let w = World::new(&approving("arn:aws:iam::aws:policy/AWSDenyAll"));
    w.pending("freeze");
    w.spend("sandbox", "700");
    let out = w.run(&["plan"]);
    assert!(
        text(&out).contains("the next `budgetctl respond` will approve budget action freeze"),
        "{}",
        text(&out)
    );
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "ran", "{v}");
    let out = w.run(&["plan"]);
    assert!(!text(&out).contains("will approve"), "{}", text(&out));
}

/// Amounts at the edge of what validate accepts never panic: a schedule
/// growing past what an amount holds is refused by validate (and so by
/// plan and respond); the largest limit times a huge percentage is a line
/// no spend crosses.
#[test]
fn amounts_at_the_edge_are_refused_or_decided_never_a_panic() {
    let huge = budgets("actual > 15000000000000%", "")
        .replace("limit: 2000", "limit: 79228162514264337593543950335");
    let w = World::new(&huge);
    w.spend("dev-env-monthly", "1500");
    let (out, v) = w.respond_json(&["--dry-run", "--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "not-due", "{v}");
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    let growing = budgets("actual > 100%", "").replace(
        "limit: 2000",
        "planned: {every: 1000, grow: 2%, from: 0001-01}",
    );
    w.write(&growing);
    for args in [&["plan"][..], &["respond", "--dry-run"], &["validate"]] {
        let out = if args[0] == "validate" {
            budgetctl(w.dir.path()).args(args).output().unwrap()
        } else {
            w.run(args)
        };
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("the amount passes what an amount can hold"),
            "{args:?}: {}",
            text(&out)
        );
        assert!(!text(&out).contains("panicked"), "{}", text(&out));
    }
}

/// Someone else's execution on the same product (another token, FAILED)
/// is not this response's: the response runs, and what it reports is its
/// own record; `--retry-failed` then finds nothing of its own to retry.
#[test]
fn another_record_on_the_product_never_changes_the_verdict() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    let theirs = w.service_action("restart");
    w.associate(PRODUCT, &theirs);
    w.faults(r#"{"record_fails": true}"#);
    let answer = w.served.service_catalog(
        "eu-west-1",
        "ExecuteProvisionedProductServiceAction",
        &format!(
            r#"{{"ProvisionedProductId": "{PRODUCT}", "ServiceActionId": "{theirs}", "ExecuteToken": "someone-else-1"}}"#
        ),
    );
    assert!(answer.contains("RecordDetail"), "{answer}");
    w.faults("{}");
    let (out, v) = w.respond_json(&["--wait", "--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "ran", "{v}");
    let ours = v["responses"][0]["record"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(w.records(PRODUCT).len(), 2);
    w.reset_requests();
    let (out, v) = w.respond_json(&["--retry-failed", "--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "already-ran", "{v}");
    assert_eq!(v["responses"][0]["record"]["id"], ours.as_str(), "{v}");
    assert_eq!(w.executions(), 0);
}

/// A run on the last day of a period whose record is created later (here:
/// the machine's clock is past both periods) is that period's run: the
/// next period's response still runs, once. The mark is a budget tag that
/// plan neither shows nor removes, where the file manages tags.
#[test]
fn whether_a_response_ran_is_decided_by_its_tokens_period() {
    let w = World::new(&budgets("actual > 100%", "    tags: { owner: finops }\n"));
    w.spend("dev-env-monthly", "2500");
    for (today, outcome) in [
        ("2026-11-30", "ran"),
        ("2026-11-30", "already-ran"),
        ("2026-12-01", "ran"),
        ("2026-12-02", "already-ran"),
    ] {
        let (out, v) = w.respond_json(&["--wait", "--today", today]);
        assert!(out.status.success(), "{today}: {}", text(&out));
        assert_eq!(v["responses"][0]["outcome"], outcome, "{today}: {v}");
    }
    assert_eq!(w.records(PRODUCT).len(), 2);
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(
        !text(&plan).contains("budgetctl:response"),
        "{}",
        text(&plan)
    );
}

/// The mark cannot be kept (TagResource denied): the run says it ran but
/// exits 1 naming the permission; the next run finds the record again
/// through its ExecuteToken and runs nothing more.
#[test]
fn an_unmarked_run_is_found_again_through_its_token() {
    let w = World::new(&budgets("actual > 100%", ""));
    w.spend("dev-env-monthly", "2500");
    w.faults(&format!(
        r#"{{"deny_accounts": ["{ACCOUNT}"], "operations": ["TagResource"]}}"#
    ));
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "ran", "{v}");
    assert!(
        v["responses"][0]["message"]
            .as_str()
            .unwrap()
            .contains("its mark could not be kept"),
        "{v}"
    );
    w.faults("{}");
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["responses"][0]["outcome"], "already-ran", "{v}");
    assert_eq!(w.records(PRODUCT).len(), 1);
}

/// One product named two ways (`dev-env` in one budget, its pp- id in
/// another): validate warns that only run time can tell; respond resolves
/// both, refuses both, and runs nothing.
#[test]
fn one_product_under_two_names_is_refused_at_run_time() {
    let second = format!(
        "  - name: dev-env-2
    limit: 2000
    responses:
      - name: stop-dev
        when: actual > 100%
        service_catalog:
          region: eu-west-1
          provisioned_product: {PRODUCT}
          action: scale-to-zero
"
    );
    let w = World::new(&budgets("actual > 100%", &second));
    let validated = budgetctl(w.dir.path()).args(["validate"]).output().unwrap();
    let shown = text(&validated);
    assert!(validated.status.success(), "{shown}");
    assert!(shown.contains("product-named-two-ways"), "{shown}");
    assert!(shown.contains("known only at run time"), "{shown}");
    w.spend("dev-env-monthly", "2500");
    w.spend("dev-env-2", "2500");
    let (out, v) = w.respond_json(&["--today", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for r in v["responses"].as_array().unwrap() {
        assert_eq!(r["outcome"], "error", "{v}");
        let message = r["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("name one provisioned product, {PRODUCT}")),
            "{message}"
        );
        assert!(message.contains("(as `dev-env`)"), "{message}");
    }
    assert_eq!(w.records(PRODUCT).len(), 0);
}
