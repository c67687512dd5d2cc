//! Terraform's AWS provider, unmodified, against budgetctl-local: a client
//! no one here wrote judges the endpoint (create, plan clean after apply,
//! update in place, destroy) for budgets and for budget actions.
//!
//! The slowest test of the suite (the provider waits five seconds before
//! each read): its module sorts before the `cli_*` ones, so that libtest,
//! which starts tests in name order, starts it first and the others run
//! beside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use budgetctl_testkit::ACCOUNT;
use chrono::Datelike;

use crate::cli_local::post;
use crate::support::{Served, installed, needs, repo_root};

/// What the Terraform tests need.
const TERRAFORM: &str = "terraform with a hashicorp/aws provider mirror (/opt/tf-plugins or $BUDGETCTL_TF_PLUGIN_MIRROR)";

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

/// A CLI config that installs providers from `mirror` only, and an empty
/// working directory for the configuration, under `dir`.
fn terraform_workspace(dir: &Path, mirror: &Path) -> (PathBuf, PathBuf) {
    let rc = dir.join("terraformrc");
    std::fs::write(
        &rc,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    let work = dir.join("tf");
    std::fs::create_dir_all(&work).unwrap();
    (rc, work)
}

/// The shared installation of the provider: one `terraform init` for
/// every configuration the tests run (`TF_DATA_DIR`), from one mirror.
struct Terraform {
    rc: PathBuf,
    data: PathBuf,
    lock: PathBuf,
}

impl Terraform {
    /// `terraform init` once, under `dir`.
    fn init(dir: &Path, mirror: &Path) -> Terraform {
        let (rc, work) = terraform_workspace(dir, mirror);
        std::fs::write(
            work.join("main.tf"),
            "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n",
        )
        .unwrap();
        let out = terraform(&work, &rc, &["init", "-input=false", "-no-color"]);
        assert!(
            out.status.success(),
            "terraform init failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Terraform {
            rc,
            data: work.join(".terraform"),
            lock: work.join(".terraform.lock.hcl"),
        }
    }

    /// A working directory `name` under `dir` that uses the installation.
    fn workspace(&self, dir: &Path, name: &str) -> PathBuf {
        let work = dir.join(name);
        std::fs::create_dir_all(&work).unwrap();
        std::fs::copy(&self.lock, work.join(".terraform.lock.hcl")).unwrap();
        work
    }

    fn run(&self, work: &Path, args: &[&str]) -> Output {
        let mut command = terraform_command(work, &self.rc, args);
        command.env("TF_DATA_DIR", &self.data);
        command.output().expect("terraform runs")
    }
}

fn terraform(dir: &Path, rc: &Path, args: &[&str]) -> Output {
    terraform_command(dir, rc, args)
        .output()
        .expect("terraform runs")
}

fn terraform_command(dir: &Path, rc: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("terraform");
    command
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", rc)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
        .env("AWS_SECRET_ACCESS_KEY", "local-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
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

/// Terraform's AWS provider, unmodified, against budgetctl-local, two
/// configurations at once from one `terraform init` (each read of the
/// provider waits five seconds before it asks, so the two share the wait):
/// budgets, and budget actions.
#[test]
fn terraform_manages_budgets_and_budget_actions() {
    let Some(mirror) = terraform_mirror().filter(|_| installed("terraform")) else {
        needs(false, TERRAFORM);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tf = Terraform::init(dir.path(), &mirror);
    std::thread::scope(|s| {
        s.spawn(|| terraform_applies_plans_clean_updates_and_destroys(&tf, dir.path()));
        s.spawn(|| terraform_manages_a_budget_action_create_plan_update_destroy(&tf, dir.path()));
    });
}

/// An apply of a changed configuration right after a plan that read
/// everything: no second refresh (each costs the provider's five seconds a
/// resource). What the update sends is what is judged.
const UPDATE: [&str; 5] = [
    "apply",
    "-auto-approve",
    "-refresh=false",
    "-input=false",
    "-no-color",
];

/// aws_budgets_budget: create, plan clean, update in place, destroy.
fn terraform_applies_plans_clean_updates_and_destroys(tf: &Terraform, dir: &Path) {
    let served = Served::start(&dir.join("budgets.json"));
    let work = tf.workspace(dir, "budgets");
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

    let plans_clean = |when: &str| {
        let plan = tf.run(
            &work,
            &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        );
        assert_eq!(
            plan.status.code(),
            Some(0),
            "terraform sees a diff {when}:\n{}",
            String::from_utf8_lossy(&plan.stdout)
        );
    };

    write("100", "finops@example.com");
    check(
        tf.run(
            &work,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ),
        "apply",
    );
    // Planning again right after apply must show no changes: exit code 0.
    plans_clean("after apply");

    write("250", "platform@example.com");
    check(tf.run(&work, &UPDATE), "update");
    let (_, body) = post(
        &served.url,
        "DescribeBudget",
        &format!(r#"{{"AccountId":"{ACCOUNT}","BudgetName":"tf-monthly"}}"#),
    );
    assert!(body.contains(r#""Amount":"250.0""#), "{body}");
    plans_clean("after the update");

    check(
        tf.run(
            &work,
            // The plan just before read everything: no second refresh.
            &[
                "destroy",
                "-auto-approve",
                "-refresh=false",
                "-input=false",
                "-no-color",
            ],
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

/// Terraform's aws_budgets_budget_action, unmodified, against
/// budgetctl-local: create, plan clean, change the threshold in place,
/// destroy.
fn terraform_manages_a_budget_action_create_plan_update_destroy(tf: &Terraform, dir: &Path) {
    let served = Served::start(&dir.join("actions.json"));
    let work = tf.workspace(dir, "actions");
    let template =
        std::fs::read_to_string(repo_root().join("tests/fixtures/terraform-action/main.tf"))
            .unwrap();
    let write = |threshold: &str| {
        std::fs::write(
            work.join("main.tf"),
            template
                .replace("__ENDPOINT__", &served.url)
                .replace("__THRESHOLD__", threshold),
        )
        .unwrap();
    };
    let run = |args: &[&str]| {
        let out = tf.run(&work, args);
        (
            out.status.code(),
            format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let apply = ["apply", "-auto-approve", "-input=false", "-no-color"];
    let plan = ["plan", "-detailed-exitcode", "-input=false", "-no-color"];
    let action_thresholds = || {
        let (_, body) = post(
            &served.url,
            "DescribeBudgetActionsForBudget",
            &format!(r#"{{"AccountId":"{ACCOUNT}","BudgetName":"tf-sandbox"}}"#),
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["Actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                a["ActionThreshold"]["ActionThresholdValue"]
                    .as_f64()
                    .unwrap()
            })
            .collect::<Vec<f64>>()
    };

    write("100");
    let (code, log) = run(&apply);
    assert_eq!(code, Some(0), "apply: {log}");
    assert_eq!(action_thresholds(), [100.0]);
    let (code, log) = run(&plan);
    assert_eq!(code, Some(0), "terraform sees a diff after apply: {log}");

    write("90");
    let (code, log) = run(&UPDATE);
    assert_eq!(code, Some(0), "update: {log}");
    assert_eq!(
        action_thresholds(),
        [90.0],
        "changed in place, not recreated"
    );
    let (code, log) = run(&plan);
    assert_eq!(code, Some(0), "{log}");

    // The plan just before read everything: no second refresh.
    let (code, log) = run(&[
        "destroy",
        "-auto-approve",
        "-refresh=false",
        "-input=false",
        "-no-color",
    ]);
    assert_eq!(code, Some(0), "destroy: {log}");
    let (_, body) = post(
        &served.url,
        "DescribeBudgetActionsForAccount",
        &format!(r#"{{"AccountId":"{ACCOUNT}"}}"#),
    );
    assert!(!body.contains("ActionId"), "{body}");
}
