//! `budgetctl fmt`: rewrites budget files in the canonical style with their
//! comments, `--check` lists what is not formatted and exits 1 (changing
//! nothing), `--diff` shows it, and broken YAML is refused with its place.

use crate::support::{budgetctl_in, text};

const MESSY: &str = "\
version: 1
defaults:
    account: 111122223333   # the account
budgets:
    - limit: 100
      name: team   # the team's
      metrics:
          - amortized-cost
";

const FORMATTED: &str = "\
version: 1
defaults:
  account: \"111122223333\" # the account
budgets:
  - name: team # the team's
    limit: 100
    metrics: [amortized-cost]
";

#[test]
fn fmt_check_lists_unformatted_files_exits_1_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("budgets")).unwrap();
    std::fs::write(dir.path().join("budgets/messy.yaml"), MESSY).unwrap();
    std::fs::write(dir.path().join("budgets/tidy.yaml"), FORMATTED).unwrap();

    let check = budgetctl_in(dir.path())
        .args(["fmt", "--check"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let listed = String::from_utf8_lossy(&check.stdout);
    assert_eq!(listed.trim(), "budgets/messy.yaml", "{}", text(&check));
    assert!(text(&check).contains("1 file not formatted: run `budgetctl fmt`"));
    let unchanged = std::fs::read_to_string(dir.path().join("budgets/messy.yaml")).unwrap();
    assert_eq!(unchanged, MESSY, "--check wrote the file");

    // --diff shows the change as a unified diff, still writing nothing.
    let diff = budgetctl_in(dir.path())
        .args(["fmt", "--check", "--diff", "budgets"])
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1));
    let shown = String::from_utf8_lossy(&diff.stdout);
    assert!(shown.contains("--- budgets/messy.yaml"), "{shown}");
    assert!(
        shown.contains("-    account: 111122223333   # the account"),
        "{shown}"
    );
    assert!(
        shown.contains("+  account: \"111122223333\" # the account"),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("budgets/messy.yaml")).unwrap(),
        MESSY
    );

    // fmt formats it, comments kept; then --check passes.
    let fmt = budgetctl_in(dir.path()).arg("fmt").output().unwrap();
    assert!(fmt.status.success(), "{}", text(&fmt));
    assert_eq!(
        String::from_utf8_lossy(&fmt.stdout).trim(),
        "budgets/messy.yaml"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("budgets/messy.yaml")).unwrap(),
        FORMATTED
    );
    let again = budgetctl_in(dir.path())
        .args(["fmt", "--check"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(again.stdout.is_empty());
}

#[test]
fn fmt_refuses_broken_yaml_with_its_line_and_column_and_leaves_it() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "version: 1\nbudgets:\n  - name: a\n    limit: [100\n";
    std::fs::write(dir.path().join("budgets.yaml"), broken).unwrap();
    let out = budgetctl_in(dir.path()).arg("fmt").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("error: budgets.yaml:4:12: the YAML does not parse"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("budgets.yaml")).unwrap(),
        broken
    );
}

#[test]
fn fmt_without_a_budget_file_says_what_it_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let out = budgetctl_in(dir.path()).arg("fmt").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("looked for budgets.yaml, budgets.yml and budgets/"),
        "{}",
        text(&out)
    );
}
