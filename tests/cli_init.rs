//! `budgetctl init`: starting from nothing, files that validate and plan,
//! written only where nothing would be overwritten.

use crate::support::{budgetctl_in, repo_root, text};

#[test]
fn init_writes_a_budget_that_validates_and_plans_and_the_workflows() {
    let dir = tempfile::tempdir().unwrap();
    let out = budgetctl_in(dir.path())
        .args([
            "init",
            "--dir",
            "repo",
            "--account",
            "444455556666",
            "--github",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    // The next three commands.
    for next in [
        "cd repo && budgetctl validate",
        "cd repo && budgetctl plan --local",
        "cd repo && budgetctl plan ",
    ] {
        assert!(shown.contains(next), "{next}: {shown}");
    }
    let repo = dir.path().join("repo");
    let budgets = std::fs::read_to_string(repo.join("budgets/budgets.yaml")).unwrap();
    assert!(budgets.contains("account: \"444455556666\""), "{budgets}");
    // The workflows are the examples, which tests/cli_workflows.rs runs.
    for (written, example) in [
        (
            ".github/workflows/budgetctl-plan.yml",
            "examples/github-actions/workflows/budgetctl-plan.yml",
        ),
        (
            ".github/workflows/budgetctl-apply.yml",
            "examples/github-actions/workflows/budgetctl-apply.yml",
        ),
        (
            ".github/workflows/budgetctl-drift.yml",
            "examples/github-actions/workflows/budgetctl-drift.yml",
        ),
        (
            ".github/budgetctl/plan-comment.js",
            "examples/github-actions/plan-comment.js",
        ),
    ] {
        assert_eq!(
            std::fs::read_to_string(repo.join(written)).unwrap(),
            std::fs::read_to_string(repo_root().join(example)).unwrap(),
            "{written}"
        );
    }
    // What it wrote is formatted already (the plan workflow checks it).
    let fmt = budgetctl_in(&repo)
        .args(["fmt", "--check"])
        .output()
        .unwrap();
    assert!(fmt.status.success(), "{}", text(&fmt));
    // What it wrote validates, and plans, as the defaults find it.
    let validate = budgetctl_in(&repo).arg("validate").output().unwrap();
    assert!(validate.status.success(), "{}", text(&validate));
    assert!(
        text(&validate).contains("1 budget in 1 file: valid"),
        "{}",
        text(&validate)
    );
    let plan = budgetctl_in(&repo)
        .args(["plan", "--local"])
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", text(&plan));
    assert!(
        text(&plan).contains("+ create 444455556666/total-monthly"),
        "{}",
        text(&plan)
    );
}

#[test]
fn init_never_overwrites_a_file_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let init = |extra: &[&str]| {
        let mut args = vec!["init", "--account", "111122223333", "--github"];
        args.extend_from_slice(extra);
        budgetctl_in(dir.path()).args(&args).output().unwrap()
    };
    assert!(init(&[]).status.success());
    let file = dir.path().join("budgets/budgets.yaml");
    std::fs::write(&file, "# mine\n").unwrap();
    std::fs::remove_file(dir.path().join(".github/workflows/budgetctl-drift.yml")).unwrap();
    let again = init(&[]);
    assert_eq!(again.status.code(), Some(1));
    let shown = text(&again);
    assert!(
        shown.contains("error: ./budgets/budgets.yaml, ./.github/workflows/budgetctl-plan.yml"),
        "{shown}"
    );
    assert!(shown.contains("nothing was written"), "{shown}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
    assert!(
        !dir.path()
            .join(".github/workflows/budgetctl-drift.yml")
            .exists(),
        "nothing written, not even what was missing"
    );
    let forced = init(&["--force"]);
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("total-monthly")
    );
}

#[test]
fn init_reads_the_callers_account_through_sts() {
    let dir = tempfile::tempdir().unwrap();
    let out = budgetctl_in(dir.path())
        .args(["init", "--local"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let budgets = std::fs::read_to_string(dir.path().join("budgets/budgets.yaml")).unwrap();
    // budgetctl-local's GetCallerIdentity answers for its base account.
    assert!(budgets.contains("account: \"111122223333\""), "{budgets}");
}
