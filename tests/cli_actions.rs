//! Budget actions end to end, through the binary against budgetctl-local:
//! declared in YAML and reconciled with the fewest calls, adopted by
//! content, imported, operated with `budgetctl action`, and never deleted
//! while their effect is in place.

use crate::support;

use std::path::Path;
use std::process::Output;

use support::Served;

use budgetctl_testkit::ACCOUNT;

fn budgetctl_in(dir: &Path, args: &[&str]) -> Output {
    support::budgetctl_in(dir)
        .args(args)
        .output()
        .expect("budgetctl runs")
}

fn text(o: &Output) -> String {
    support::text(o)
}

const FREEZE: &str = "      - name: freeze
        when: actual > 100%
        apply_iam_policy: { policy: arn:aws:iam::aws:policy/AWSDenyAll, roles: [developer] }
        execution_role: arn:aws:iam::111122223333:role/budgetctl-actions
        to: [finops@example.com]
";

/// A workspace with budgetctl-local served and `budgets.yaml` declaring
/// budget `sandbox` with `actions` (None: no `actions:` key).
struct World {
    dir: tempfile::TempDir,
    served: Served,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let served = Served::start(&dir.path().join("state.json"));
        World { dir, served }
    }

    fn write(&self, actions: Option<&str>) {
        let actions = match actions {
            Some(a) => format!("    actions:\n{a}"),
            None => String::new(),
        };
        std::fs::write(
            self.dir.path().join("budgets.yaml"),
            format!(
                "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n  - name: sandbox\n    limit: 500\n{actions}"
            ),
        )
        .unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--endpoint-url", self.served.url.as_str()]);
        budgetctl_in(self.dir.path(), &all)
    }

    fn apply(&self) -> Output {
        let out = self.run(&["apply", "--auto-approve"]);
        assert!(out.status.success(), "{}", text(&out));
        out
    }

    fn plan_is_clean(&self) {
        let out = self.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }

    fn requests(&self) -> serde_json::Value {
        serde_json::from_str(&self.served.control("GET", "/_local/requests", "")).unwrap()
    }

    fn reset_requests(&self) {
        self.served.control("DELETE", "/_local/requests", "");
    }

    /// Writes made since the last reset, by operation.
    fn writes(&self) -> Vec<(String, u64)> {
        let v = self.requests();
        budgetctl_testkit::WRITE_OPERATIONS
            .iter()
            .filter_map(|op| {
                let n = v["applied"][op].as_u64().unwrap_or(0);
                (n > 0).then(|| ((*op).to_owned(), n))
            })
            .collect()
    }

    /// Move the action to a status through budgetctl-local's control.
    fn move_to(&self, action: &str, status: &str) {
        let body = self.served.control(
            "POST",
            "/_local/actions",
            &format!(
                r#"{{"AccountId": "{ACCOUNT}", "BudgetName": "sandbox", "Action": "{action}", "Status": "{status}"}}"#
            ),
        );
        assert!(body.contains("ActionId"), "{body}");
    }

    /// A workspace whose `freeze` action is applied and moved to `status`.
    fn with_freeze_in(status: &str) -> World {
        let w = World::new();
        w.write(Some(FREEZE));
        w.apply();
        w.move_to("freeze", status);
        w
    }

    /// `action approve` of `freeze` (PENDING) run on a
    /// terminal, waiting at its prompt; `None` where no terminal can be
    /// given (the test skips, saying so).
    fn approve_at_the_prompt(&self) -> Option<support::OnTerminal> {
        let url = self.served.url.clone();
        let prompt = support::OnTerminal::start(
            self.dir.path(),
            &[
                "action",
                "approve",
                "sandbox/freeze",
                "--endpoint-url",
                &url,
            ],
        )?;
        prompt.wait_for("Enter a value:");
        Some(prompt)
    }

    /// The live actions: (id, status, name tag).
    /// Write `name` into the `budgetctl:action` tag of action `id` of
    /// `sandbox`, through the SDK as anyone with TagResource can.
    fn name_action(&self, id: &str, name: &str) {
        let client = budgetctl_testkit::sdk_client(
            &self.served.url,
            aws_sdk_budgets::config::retry::RetryConfig::standard(),
        );
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            client
                .tag_resource()
                .resource_arn(format!(
                    "arn:aws:budgets::{ACCOUNT}:budget/sandbox/action/{id}"
                ))
                .resource_tags(
                    aws_sdk_budgets::types::ResourceTag::builder()
                        .key("budgetctl:action")
                        .value(name)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        });
    }

    fn actions(&self) -> Vec<serde_json::Value> {
        let out = self.run(&["action", "list", "--account", ACCOUNT, "--format", "json"]);
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn writes(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(o, n)| ((*o).to_owned(), *n)).collect()
}

#[test]
fn an_action_is_created_with_its_tag_and_then_plans_clean() {
    let w = World::new();
    w.write(Some(FREEZE));
    let plan = w.run(&["plan"]);
    assert!(text(&plan).contains("+ action freeze: when actual > 100%: attach IAM policy arn:aws:iam::aws:policy/AWSDenyAll to roles developer"), "{}", text(&plan));
    w.reset_requests();
    w.apply();
    assert_eq!(
        w.writes(),
        writes(&[("CreateBudget", 1), ("CreateBudgetAction", 1)])
    );
    let actions = w.actions();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["name"], "freeze");
    assert_eq!(actions[0]["status"], "STANDBY");
    w.plan_is_clean();
}

#[test]
fn each_updatable_field_changes_with_exactly_one_update_budget_action() {
    let w = World::new();
    w.write(Some(FREEZE));
    w.apply();
    let id = w.actions()[0]["id"].as_str().unwrap().to_owned();
    let mut current = FREEZE.to_owned();
    for (from, to) in [
        ("actual > 100%", "forecasted > 90%"),
        ("roles: [developer]", "roles: [developer, tester]"),
        (
            "        to: [",
            "        approval: automatic\n        to: [",
        ),
        ("role/budgetctl-actions", "role/other-actions"),
        ("to: [finops@example.com]", "to: [oncall@example.com]"),
    ] {
        current = current.replace(from, to);
        w.write(Some(&current));
        w.reset_requests();
        w.apply();
        assert_eq!(w.writes(), writes(&[("UpdateBudgetAction", 1)]), "{to}");
        w.plan_is_clean();
        assert_eq!(w.actions()[0]["id"], id.as_str(), "updated in place");
    }
}

#[test]
fn a_type_change_is_a_delete_and_a_create_and_the_plan_says_so() {
    let w = World::new();
    w.write(Some(FREEZE));
    w.apply();
    w.write(Some(&FREEZE.replace(
        "apply_iam_policy: { policy: arn:aws:iam::aws:policy/AWSDenyAll, roles: [developer] }",
        "apply_scp: { policy: p-abcd1234, targets: [ou-ab12-cdef3456] }",
    )));
    let plan = w.run(&["plan"]);
    assert!(
        text(&plan).contains("its type changes, so it is deleted"),
        "{}",
        text(&plan)
    );
    assert!(
        text(&plan).contains("cannot change in place"),
        "{}",
        text(&plan)
    );
    w.reset_requests();
    w.apply();
    assert_eq!(
        w.writes(),
        writes(&[("CreateBudgetAction", 1), ("DeleteBudgetAction", 1)])
    );
    w.plan_is_clean();
}

#[test]
fn an_action_left_out_of_the_list_is_deleted_and_without_a_list_left_alone() {
    let w = World::new();
    w.write(Some(FREEZE));
    w.apply();
    // No `actions:` key: the live action is not the file's business.
    w.write(None);
    w.plan_is_clean();
    // `actions: []`: the file says the budget has none.
    w.write(Some("      []\n"));
    let plan = w.run(&["plan"]);
    assert!(
        text(&plan).contains("- action freeze (STANDBY)"),
        "{}",
        text(&plan)
    );
    w.reset_requests();
    w.apply();
    assert_eq!(w.writes(), writes(&[("DeleteBudgetAction", 1)]));
    assert!(w.actions().is_empty());
}

/// An action made outside budgetctl (here through the SDK, untagged) is
/// adopted by content: a tag, never a recreate.
#[tokio::test]
async fn an_untagged_action_is_adopted_by_content_with_one_tag_call() {
    let w = World::new();
    w.write(None);
    w.apply();
    let c = budgetctl_testkit::sdk_client(
        &w.served.url,
        aws_sdk_budgets::config::retry::RetryConfig::disabled(),
    );
    create_untagged(&c).await;
    w.write(Some(FREEZE));
    let plan = w.run(&["plan"]);
    assert!(
        text(&plan).contains("(adopted, not recreated)"),
        "{}",
        text(&plan)
    );
    w.reset_requests();
    w.apply();
    assert_eq!(w.writes(), writes(&[("TagResource", 1)]));
    w.plan_is_clean();
    assert_eq!(w.actions()[0]["name"], "freeze");
}

async fn create_untagged(c: &aws_sdk_budgets::Client) {
    use aws_sdk_budgets::types::*;
    c.create_budget_action()
        .account_id(ACCOUNT)
        .budget_name("sandbox")
        .notification_type(NotificationType::Actual)
        .action_type(ActionType::Iam)
        .action_threshold(
            ActionThreshold::builder()
                .action_threshold_value(100.0)
                .action_threshold_type(ThresholdType::Percentage)
                .build()
                .unwrap(),
        )
        .definition(
            Definition::builder()
                .iam_action_definition(
                    IamActionDefinition::builder()
                        .policy_arn("arn:aws:iam::aws:policy/AWSDenyAll")
                        .roles("developer")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .execution_role_arn("arn:aws:iam::111122223333:role/budgetctl-actions")
        .approval_model(ApprovalModel::Manual)
        .subscribers(
            Subscriber::builder()
                .subscription_type(SubscriptionType::Email)
                .address("finops@example.com")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn import_of_an_account_with_actions_writes_yaml_that_plans_clean_once_tagged() {
    let w = World::new();
    w.write(None);
    w.apply();
    let c = budgetctl_testkit::sdk_client(
        &w.served.url,
        aws_sdk_budgets::config::retry::RetryConfig::disabled(),
    );
    create_untagged(&c).await;
    std::fs::remove_file(w.dir.path().join("budgets.yaml")).unwrap();
    let out = w.run(&["import", "--account", ACCOUNT, "--out", "budgets.yaml"]);
    assert!(out.status.success(), "{}", text(&out));
    let yaml = std::fs::read_to_string(w.dir.path().join("budgets.yaml")).unwrap();
    assert!(yaml.contains("name: iam-policy-AWSDenyAll"), "{yaml}");
    // The invented name is not a tag yet: the plan tags it, nothing more.
    let plan = w.run(&["plan"]);
    assert!(
        text(&plan).contains("(adopted, not recreated)"),
        "{}",
        text(&plan)
    );
    w.reset_requests();
    w.apply();
    assert_eq!(w.writes(), writes(&[("TagResource", 1)]));
    w.plan_is_clean();
}

#[test]
fn approve_makes_one_execute_and_wait_reports_execution_success() {
    let w = World::with_freeze_in("PENDING");
    let listed = w.run(&["action", "list", "--account", ACCOUNT]);
    assert!(
        text(&listed)
            .lines()
            .nth(1)
            .unwrap_or("")
            .starts_with("PENDING  sandbox/freeze"),
        "{}",
        text(&listed)
    );
    w.reset_requests();
    let out = w.run(&["action", "approve", "sandbox/freeze", "--yes", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "EXECUTION_SUCCESS"
    );
    assert!(
        text(&out)
            .contains("attach IAM policy arn:aws:iam::aws:policy/AWSDenyAll to roles developer"),
        "{}",
        text(&out)
    );
    assert_eq!(w.writes(), writes(&[("ExecuteBudgetAction", 1)]));
    let history = w.run(&["action", "history", "sandbox/freeze", "--format", "json"]);
    let events: Vec<serde_json::Value> = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(
        events.last().unwrap()["status"],
        "EXECUTION_SUCCESS",
        "{events:?}"
    );
}

/// Every (status, execution) pair the lifecycle does not allow is refused
/// before any write; every allowed one goes through.
#[test]
fn every_invalid_status_and_execution_pair_is_refused_before_any_write() {
    use budgetctl_spec::{ActionStatus, ExecutionType};
    let w = World::new();
    w.write(Some(FREEZE));
    w.apply();
    for status in [
        ActionStatus::Standby,
        ActionStatus::Pending,
        ActionStatus::ExecutionSuccess,
        ActionStatus::ExecutionFailure,
        ActionStatus::ReverseSuccess,
        ActionStatus::ReverseFailure,
        ActionStatus::ResetFailure,
    ] {
        for execution in ExecutionType::ALL {
            w.move_to("freeze", status.aws_name());
            w.reset_requests();
            let out = w.run(&["action", execution.as_str(), "sandbox/freeze", "--yes"]);
            let pair = format!("{} from {}", execution.as_str(), status.aws_name());
            if execution.allowed_from(status) {
                assert!(out.status.success(), "{pair}: {}", text(&out));
                assert_eq!(w.writes(), writes(&[("ExecuteBudgetAction", 1)]), "{pair}");
            } else {
                assert_eq!(out.status.code(), Some(1), "{pair}: {}", text(&out));
                assert!(
                    text(&out).contains("is possible only from"),
                    "{pair}: {}",
                    text(&out)
                );
                assert!(w.writes().is_empty(), "{pair}: {:?}", w.writes());
            }
        }
    }
    // Off a terminal, no --yes: refused, nothing written.
    w.move_to("freeze", "PENDING");
    w.reset_requests();
    let out = w.run(&["action", "approve", "sandbox/freeze"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--yes"), "{}", text(&out));
    assert!(w.writes().is_empty());
}

#[test]
fn a_saved_plan_is_stale_when_an_action_changed_since() {
    let w = World::new();
    w.write(Some(FREEZE));
    w.apply();
    w.write(Some(&FREEZE.replace("100%", "90%")));
    let out = w.run(&["plan", "--out", "plan.json"]);
    assert!(out.status.success(), "{}", text(&out));
    w.move_to("freeze", "PENDING");
    w.reset_requests();
    let out = w.run(&["apply", "plan.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("changed since"), "{}", text(&out));
    assert!(w.writes().is_empty(), "{:?}", w.writes());
}

#[test]
fn an_executed_action_is_never_deleted_and_the_plan_names_reverse() {
    let w = World::with_freeze_in("EXECUTION_SUCCESS");
    w.write(Some("      []\n"));
    let plan = w.run(&["plan"]);
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    assert!(
        text(&plan).contains("budgetctl action reverse sandbox/freeze"),
        "{}",
        text(&plan)
    );
    // Nor with its budget, under prune.
    std::fs::write(
        w.dir.path().join("budgets.yaml"),
        format!("version: 1\naccounts: {{\"{ACCOUNT}\": {{prune: true}}}}\nbudgets: []\n"),
    )
    .unwrap();
    let plan = w.run(&["plan", "--account", ACCOUNT]);
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    assert!(
        text(&plan).contains("deleting its budget would leave its effect in place"),
        "{}",
        text(&plan)
    );
    // Reversed, it goes, and the plan lists it with its budget.
    let out = w.run(&[
        "action",
        "reverse",
        "sandbox/freeze",
        "--account",
        ACCOUNT,
        "--yes",
        "--wait",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let plan = w.run(&["plan", "--account", ACCOUNT]);
    assert!(plan.status.success(), "{}", text(&plan));
    assert!(
        text(&plan).contains("- action freeze (REVERSE_SUCCESS)"),
        "{}",
        text(&plan)
    );
}

/// CreateBudget first, then CreateBudgetAction: when the action's create
/// fails the budget stays, and the next apply makes the action once.
#[test]
fn an_action_that_failed_after_its_budget_is_made_by_the_next_apply_once() {
    let w = World::new();
    w.write(Some(FREEZE));
    w.served.control(
        "POST",
        "/_local/faults",
        r#"{"error": 1.0, "operations": ["CreateBudgetAction"]}"#,
    );
    let out = w.run(&["apply", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(w.actions().is_empty());
    w.served.control("POST", "/_local/faults", "{}");
    let plan = w.run(&["plan"]);
    assert!(text(&plan).contains("+ action freeze"), "{}", text(&plan));
    w.reset_requests();
    w.apply();
    assert_eq!(w.writes(), writes(&[("CreateBudgetAction", 1)]));
    assert_eq!(w.actions().len(), 1);
    w.plan_is_clean();
}

/// A CreateBudgetAction carried out whose answer was lost is settled by
/// finding the action's name tag: one action, never two.
#[test]
fn a_lost_create_budget_action_answer_makes_no_second_action() {
    let w = World::new();
    w.write(None);
    w.apply();
    w.write(Some(FREEZE));
    w.served.control(
        "POST",
        "/_local/faults",
        r#"{"lost": 1.0, "operations": ["CreateBudgetAction"]}"#,
    );
    w.reset_requests();
    w.apply();
    w.served.control("POST", "/_local/faults", "{}");
    assert_eq!(w.writes(), writes(&[("CreateBudgetAction", 1)]));
    assert_eq!(w.actions().len(), 1);
    w.plan_is_clean();
}

#[test]
fn an_access_denied_execution_names_the_permission_it_needs() {
    let w = World::with_freeze_in("PENDING");
    w.served.control(
        "POST",
        "/_local/faults",
        &format!(r#"{{"deny_accounts": ["{ACCOUNT}"], "operations": ["ExecuteBudgetAction"]}}"#),
    );
    let out = w.run(&["action", "approve", "sandbox/freeze", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(
            "ExecuteBudgetAction needs budgets:ExecuteBudgetAction in account 111122223333"
        ),
        "{}",
        text(&out)
    );
}

/// Once tagged, an imported account's actions import under their names and
/// plan clean straight away.
#[test]
fn import_of_tagged_actions_plans_clean() {
    let w = World::new();
    w.write(Some(FREEZE));
    w.apply();
    std::fs::remove_file(w.dir.path().join("budgets.yaml")).unwrap();
    let out = w.run(&["import", "--account", ACCOUNT, "--out", "budgets.yaml"]);
    assert!(out.status.success(), "{}", text(&out));
    let yaml = std::fs::read_to_string(w.dir.path().join("budgets.yaml")).unwrap();
    assert!(yaml.contains("name: freeze"), "{yaml}");
    assert!(yaml.contains("when: actual > 100%"), "{yaml}");
    w.plan_is_clean();
}

/// An approve carried out whose answer was lost: the SDK's repeat is
/// refused (the action is no longer PENDING), and the status read back
/// settles it as done. One execution.
#[test]
fn a_lost_execute_answer_is_settled_by_the_status_it_left() {
    let w = World::with_freeze_in("PENDING");
    w.served.control(
        "POST",
        "/_local/faults",
        r#"{"lost": 1.0, "operations": ["ExecuteBudgetAction"]}"#,
    );
    w.reset_requests();
    let out = w.run(&["action", "approve", "sandbox/freeze", "--yes", "--wait"]);
    w.served.control("POST", "/_local/faults", "{}");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "EXECUTION_SUCCESS"
    );
    assert_eq!(w.writes(), writes(&[("ExecuteBudgetAction", 1)]));
}

/// An execution that ends in a failure exits 1 with `--wait`, naming
/// retry; the retry, once the cause is gone, runs it.
#[test]
fn a_failed_execution_exits_1_and_retry_runs_it() {
    let w = World::with_freeze_in("PENDING");
    w.served
        .control("POST", "/_local/faults", r#"{"action_fails": true}"#);
    let out = w.run(&["action", "approve", "sandbox/freeze", "--yes", "--wait"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "EXECUTION_FAILURE"
    );
    assert!(
        text(&out).contains("budgetctl action retry"),
        "{}",
        text(&out)
    );
    w.served.control("POST", "/_local/faults", "{}");
    let out = w.run(&["action", "retry", "sandbox/freeze", "--yes", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "EXECUTION_SUCCESS"
    );
}

/// The prompt shows the action; while it waits for `yes`, someone changes
/// what the action does. The `yes` answered what was shown, not what the
/// action became: nothing is executed, and the exit is 1.
#[test]
fn an_action_changed_while_the_prompt_waits_is_not_executed() {
    let w = World::with_freeze_in("PENDING");
    let Some(mut prompt) = w.approve_at_the_prompt() else {
        return;
    };
    w.write(Some(&FREEZE.replace("AWSDenyAll", "AdministratorAccess")));
    w.apply();
    w.reset_requests();
    prompt.answer("yes");
    let (code, shown) = prompt.finish();
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("changed since it was shown"), "{shown}");
    assert!(
        shown.contains("definition: attach IAM policy arn:aws:iam::aws:policy/AWSDenyAll to roles developer → attach IAM policy arn:aws:iam::aws:policy/AdministratorAccess"),
        "{shown}"
    );
    assert!(shown.contains("nothing was executed"), "{shown}");
    assert_eq!(w.writes(), writes(&[]));
    assert_eq!(w.actions()[0]["status"], "PENDING");
}

/// The same `yes`, with nothing changed meanwhile, executes once.
#[test]
fn yes_at_the_prompt_executes_the_action_shown_once() {
    let w = World::with_freeze_in("PENDING");
    let Some(mut prompt) = w.approve_at_the_prompt() else {
        return;
    };
    w.reset_requests();
    prompt.answer("yes");
    let (code, shown) = prompt.finish();
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("run as arn:aws:iam::111122223333:role/budgetctl-actions"),
        "{shown}"
    );
    assert_eq!(w.writes(), writes(&[("ExecuteBudgetAction", 1)]));
}

/// With every answer lost and every execution failing (and taking a
/// while), one `retry --yes` is one execution: the SDK never repeats
/// ExecuteBudgetAction, and the lost answer is settled by the history.
#[test]
fn one_retry_is_one_execution_when_answers_are_lost_and_executions_fail() {
    let w = World::with_freeze_in("EXECUTION_FAILURE");
    w.served.control(
        "POST",
        "/_local/faults",
        r#"{"lost": 1.0, "operations": ["ExecuteBudgetAction"], "action_fails": true, "action_ms": 300}"#,
    );
    w.reset_requests();
    let out = w.run(&["action", "retry", "sandbox/freeze", "--yes"]);
    std::thread::sleep(std::time::Duration::from_millis(600));
    w.served.control("POST", "/_local/faults", "{}");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("its answer was lost"), "{}", text(&out));
    assert_eq!(w.writes(), writes(&[("ExecuteBudgetAction", 1)]));
    let history = w.run(&["action", "history", "sandbox/freeze", "--format", "json"]);
    let events: Vec<serde_json::Value> = serde_json::from_slice(&history.stdout).unwrap();
    let retries = events
        .iter()
        .filter(|e| {
            e["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("RETRY_BUDGET_ACTION: EXECUTION_IN_PROGRESS")
        })
        .count();
    assert_eq!(retries, 1, "{events:?}");
}

/// Four approvals at once: one executes; the others say that another run
/// got there first and exit 1. What they report is what happened.
#[test]
fn concurrent_approvals_execute_once_and_say_who_did() {
    let w = World::with_freeze_in("PENDING");
    w.served.control(
        "POST",
        "/_local/faults",
        r#"{"action_ms": 200, "latency_ms": 300}"#,
    );
    w.reset_requests();
    let url = w.served.url.clone();
    let outs = support::at_once(4, || {
        let mut run = support::budgetctl_in(w.dir.path());
        run.args([
            "action",
            "approve",
            "sandbox/freeze",
            "--yes",
            "--endpoint-url",
            &url,
        ]);
        run
    });
    w.served.control("POST", "/_local/faults", "{}");
    let accepted = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(w.writes(), writes(&[("ExecuteBudgetAction", 1)]));
    assert_eq!(
        accepted,
        1,
        "{:?}",
        outs.iter().map(text).collect::<Vec<_>>()
    );
    for o in outs.iter().filter(|o| !o.status.success()) {
        assert!(
            text(o).contains("another run got there first") || text(o).contains("it is EXECUTION"),
            "{}",
            text(o)
        );
    }
}

/// A `budgetctl:action` tag holding a line break (anyone with TagResource
/// can write one) stays on its line wherever the name is shown: it cannot
/// forge a line such as "AWS will attach nothing".
#[test]
fn a_line_break_in_an_action_name_from_aws_forges_no_line() {
    let w = World::with_freeze_in("PENDING");
    let id = w.actions()[0]["id"].as_str().unwrap().to_owned();
    let forged = "freeze\nAWS will attach nothing: this approval is a no-op";
    w.name_action(&id, forged);
    for args in [
        &["action", "approve", "sandbox/nothing", "--yes"][..],
        &["action", "list", "--account", ACCOUNT],
    ] {
        let out = w.run(args);
        let shown = text(&out);
        assert!(
            shown.contains(r"freeze\u{a}AWS will attach nothing"),
            "{args:?}: {shown}"
        );
        assert!(
            !shown
                .lines()
                .any(|l| l.starts_with("AWS will attach nothing")),
            "{args:?}: {shown}"
        );
    }
    let out = w.run(&["action", "approve", &format!("sandbox/{id}"), "--yes"]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        !shown
            .lines()
            .any(|l| l.starts_with("AWS will attach nothing")),
        "{shown}"
    );
}

/// `action list` is a table: a header, every column starting where its
/// header does, rows cut with an ellipsis at 80 columns (COLUMNS, as off a
/// terminal), a name from AWS escaped in its cell, PENDING coloured when
/// colour is asked for.
#[test]
fn action_list_is_an_aligned_table_cut_at_80_columns_with_names_escaped() {
    let w = World::with_freeze_in("PENDING");
    let id = w.actions()[0]["id"].as_str().unwrap().to_owned();
    let long = format!("freeze\u{1b}[31m-{}", "x".repeat(80));
    w.name_action(&id, &long);
    // `action list` at 80 columns (as COLUMNS says off a terminal).
    let list_at_80 = |extra: &[&str]| {
        support::budgetctl_in(w.dir.path())
            .args([
                "action",
                "list",
                "--account",
                ACCOUNT,
                "--endpoint-url",
                &w.served.url,
            ])
            .args(extra)
            .env("COLUMNS", "80")
            .output()
            .unwrap()
    };
    let listed = list_at_80(&[]);
    let shown = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.status.success(), "{}", text(&listed));
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    let header = lines[0];
    assert!(header.starts_with("STATUS"), "{shown}");
    for column in ["BUDGET/ACTION", "TYPE", "ACCOUNT", "WHEN", "APPROVAL"] {
        let at = header
            .find(column)
            .unwrap_or_else(|| panic!("{column}: {shown}"));
        let below = lines[1].chars().nth(at).unwrap();
        assert!(
            below != ' ' && lines[1].chars().nth(at - 1) == Some(' '),
            "{column} is not aligned:\n{shown}"
        );
    }
    for line in &lines {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
    assert!(lines[1].starts_with("PENDING  sandbox/free"), "{shown}");
    assert!(lines[1].contains('…'), "the long name is cut: {shown}");
    assert!(
        !shown.contains('\u{1b}'),
        "a raw escape reached the terminal: {shown:?}"
    );
    assert!(lines[1].contains("APPLY_IAM_POLICY"), "{shown}");

    // Coloured when asked: PENDING in bold yellow, the name still inert.
    let coloured = list_at_80(&["--color", "always"]);
    let shown = String::from_utf8_lossy(&coloured.stdout).into_owned();
    assert!(
        shown.contains("\u{1b}[1m\u{1b}[33mPENDING\u{1b}[0m"),
        "{shown:?}"
    );
    assert!(!shown.contains("\u{1b}[31m"), "{shown:?}");

    // Off a terminal without COLUMNS, rows are whole (for grep), escaped.
    let whole = w.run(&["action", "list", "--account", ACCOUNT]);
    let shown = String::from_utf8_lossy(&whole.stdout).into_owned();
    assert!(
        shown.contains(&format!("sandbox/freeze\\u{{1b}}[31m-{}", "x".repeat(80))),
        "{shown}"
    );
}
