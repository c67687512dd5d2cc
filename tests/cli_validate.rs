//! `budgetctl validate` and `budgetctl schema`, run as a user runs them.

use crate::support;

use support::{budgetctl, repo_root};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_example_file_is_valid() {
    let out = budgetctl(&["validate", "-f", "budgets.example.yaml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("13 budgets in 1 file: valid"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_valid_fixture_validates() {
    let out = budgetctl(&["validate", "-f", "crates/spec/tests/fixtures/valid"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_invalid_file_exits_1_and_shows_file_line_column_caret_and_hint() {
    let out = budgetctl(&[
        "validate",
        "-f",
        "crates/spec/tests/fixtures/invalid/unknown-key.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("crates/spec/tests/fixtures/invalid/unknown-key.yaml:10:5"),
        "{err}"
    );
    assert!(err.contains("unknown key `peroid` in a budget"), "{err}");
    assert!(err.contains("did you mean `period`?"), "{err}");
    assert!(
        err.contains("peroid: monthly"),
        "source line missing: {err}"
    );
    assert!(err.contains("──┬"), "caret missing: {err}");
}

#[test]
fn all_errors_of_a_run_are_reported_in_file_order() {
    let out = budgetctl(&[
        "validate",
        "--format",
        "json",
        "-f",
        "tests/fixtures/cli/many-errors.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["valid"], false);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let places: Vec<(u64, u64, &str)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            (5, 11, "name-pattern"),
            (6, 5, "unknown-key"),
            (7, 12, "amount"),
            (9, 13, "notification-operator"),
            (10, 14, "email"),
            (12, 11, "invalid-enum"),
            (14, 11, "duplicate-budget"),
        ]
    );
    for d in diagnostics {
        assert!(d["file"].as_str().unwrap().ends_with("many-errors.yaml"));
        assert!(!d["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn several_files_merge_and_duplicates_across_files_name_both_places() {
    let out = budgetctl(&[
        "validate",
        "-f",
        "crates/spec/tests/fixtures/multi/a.yaml",
        "-f",
        "crates/spec/tests/fixtures/multi/b.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("budget `shared` is declared twice for account 111122223333"),
        "{err}"
    );
    assert!(
        err.contains("crates/spec/tests/fixtures/multi/b.yaml:6:11"),
        "{err}"
    );
    assert!(
        err.contains("first declared here: crates/spec/tests/fixtures/multi/a.yaml:6:11"),
        "{err}"
    );
}

#[test]
fn a_directory_means_its_yaml_files_sorted() {
    let out = budgetctl(&[
        "validate",
        "--format",
        "json",
        "-f",
        "crates/spec/tests/fixtures/multi",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "crates/spec/tests/fixtures/multi/a.yaml",
            "crates/spec/tests/fixtures/multi/b.yaml"
        ]
    );
}

#[test]
fn validate_defaults_to_budgets_yaml_or_budgets_dir() {
    let dir = std::env::temp_dir().join(format!("budgetctl-default-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("budgets")).unwrap();
    std::fs::copy(
        repo_root().join("crates/spec/tests/fixtures/valid/minimal.yaml"),
        dir.join("budgets/minimal.yaml"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_budgetctl"))
        .arg("validate")
        .current_dir(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 budget in 1 file: valid"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let out = budgetctl(&["validate", "-f", "does-not-exist.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read does-not-exist.yaml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn schema_is_json_that_describes_budgets() {
    let out = budgetctl(&["schema"]);
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "budgetctl budget file");
    let budget = &schema["$defs"]["BudgetDoc"]["properties"];
    for key in [
        "name",
        "type",
        "period",
        "limit",
        "planned",
        "auto_adjust",
        "notifications",
        "tags",
    ] {
        assert!(budget.get(key).is_some(), "schema lacks budget key {key}");
    }
}

#[test]
fn the_committed_schema_is_current() {
    let out = budgetctl(&["schema"]);
    let committed = std::fs::read_to_string(repo_root().join("budgets.schema.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        committed,
        "budgets.schema.json is stale: run `budgetctl schema > budgets.schema.json`"
    );
}

#[test]
fn the_multi_account_example_is_valid() {
    let out = budgetctl(&["validate", "-f", "examples/multi-account/budgets"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("3 budgets in 2 files: valid"),
        "{}",
        stderr(&out)
    );
}

/// Editors check files against the schema, so every valid file must pass it.
#[test]
fn valid_files_satisfy_the_json_schema() {
    let out = budgetctl(&["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut files = vec![repo_root().join("budgets.example.yaml")];
    for dir in [
        "crates/spec/tests/fixtures/valid",
        "crates/spec/tests/fixtures/policy",
        "examples/multi-account/budgets",
    ] {
        for entry in std::fs::read_dir(repo_root().join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let document: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            file.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn the_schema_rejects_what_validate_rejects_by_shape() {
    let out = budgetctl(&["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for bad in [
        "version: 1\nbudgets: [{name: a, peroid: monthly}]\n",
        "version: 1\nbudgets: [{name: a, type: costs}]\n",
        "version: 1\nbudgets: [{name: a, notifications: [{on: actual > 80%}]}]\n",
    ] {
        let document: serde_json::Value = serde_saphyr::from_str(bad).unwrap();
        assert!(!validator.is_valid(&document), "schema accepted {bad}");
    }
}

/// An error past column 65,535 (a one-line flow list of 70,000 characters)
/// is shown without the source line, never as a panic of the renderer.
#[test]
fn an_error_far_along_a_long_line_is_shown_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut line = String::from("budgets: [");
    let mut i = 0;
    while line.len() < 70_000 {
        line.push_str(&format!("{{name: b{i}, limit: 1}}, "));
        i += 1;
    }
    line.push_str("{name: last, limt: 2}]");
    let column = line.find("limt").unwrap() + 1;
    assert!(column > 70_000);
    let file = dir.path().join("long.yaml");
    std::fs::write(
        &file,
        format!("version: 1\ndefaults: {{account: \"111122223333\"}}\n{line}\n"),
    )
    .unwrap();
    let out = budgetctl(&["validate", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("long.yaml:3:{column}")),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        err.contains("unknown key `limt`"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        err.len() < 10_000,
        "the 70,000-character line is not printed"
    );
}

/// A file that never ends (`/dev/zero`, a FIFO) is read only up to the size
/// cap, then refused, instead of read until memory runs out.
#[test]
fn an_endless_input_is_read_only_up_to_the_cap() {
    if !support::needs(std::path::Path::new("/dev/zero").exists(), "/dev/zero") {
        return;
    }
    let out = budgetctl(&["validate", "-f", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("/dev/zero"), "{err}");
    assert!(err.contains("more than"), "{err}");
    assert!(err.contains("split the budgets"), "{err}");
}

/// Invalid UTF-8 is located at its line and column, with a hint that fits.
#[test]
fn invalid_utf8_is_located_by_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.yaml");
    std::fs::write(
        &file,
        b"version: 1\ndefaults: {account: \"111122223333\"}\nbudgets:\n  - name: caf\xe9\n    limit: 1\n",
    )
    .unwrap();
    let out = budgetctl(&["validate", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("latin1.yaml:4:14"), "{err}");
    assert!(err.contains("not UTF-8"), "{err}");
    assert!(err.contains("save the file as UTF-8"), "{err}");
    assert!(!err.contains("permissions"), "{err}");
}

/// Diagnostics as JSON write bidirectional characters from the file as
/// `\uXXXX` escapes, as JSON plans do.
#[test]
fn json_diagnostics_escape_bidirectional_characters() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bidi.yaml");
    std::fs::write(
        &file,
        "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets:\n  - name: a\n    limit: 1\n    \"li\\u202emit\": 2\n",
    )
    .unwrap();
    let out = budgetctl(&["validate", "--format", "json", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(!json.contains('\u{202e}'), "{json}");
    assert!(json.contains("\\u202e"), "{json}");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        parsed["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains('\u{202e}'),
        "the same string to a JSON reader"
    );
}

#[test]
fn github_format_puts_each_problem_on_its_line_of_the_diff() {
    let out = budgetctl(&[
        "validate",
        "--format",
        "github",
        "-f",
        "tests/fixtures/cli/many-errors.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let commands = String::from_utf8_lossy(&out.stdout);
    let first = commands.lines().next().unwrap();
    assert_eq!(
        first,
        "::error file=tests/fixtures/cli/many-errors.yaml,line=5,col=11,endLine=5,endColumn=14,title=budgetctl name-pattern::budget name `a:b` contains `:`, which AWS does not allow%0Ahelp: use `-` or `_` instead of `:` and `\\`"
    );
    let lines: Vec<&str> = commands.lines().collect();
    assert_eq!(lines.len(), 8, "{commands}");
    assert!(
        lines[..7].iter().all(|l| l.starts_with("::error file=")),
        "{commands}"
    );
    // The verdict follows, as in text.
    assert_eq!(lines[7], "7 errors and 0 warnings in 1 file.");
}

#[test]
fn github_format_escapes_what_would_end_a_property_or_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("odd, name: here.yaml");
    std::fs::write(
        &file,
        "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets:\n  - name: b\n    limit: 10\n    \"50%\\noff\": 1\n",
    )
    .unwrap();
    let out = budgetctl(&[
        "validate",
        "--format",
        "github",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert!(
        line.contains("odd%2C name%3A here.yaml,line=6,col=5,"),
        "{line}"
    );
    assert!(
        line.contains("::unknown key `50%25%0Aoff` in a budget%0Ahelp: "),
        "{line}"
    );
    assert_eq!(line.matches("::").count(), 2, "one command: {line}");
}

#[test]
fn text_output_suggests_the_github_format_on_github_actions() {
    let out = support::budgetctl_in(&repo_root())
        .args(["validate", "-f", "tests/fixtures/cli/many-errors.yaml"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let last = stderr(&out).lines().last().unwrap_or_default().to_owned();
    assert!(
        last.contains("budgetctl validate --format github"),
        "{last}"
    );
    let elsewhere = budgetctl(&["validate", "-f", "tests/fixtures/cli/many-errors.yaml"]);
    assert!(!stderr(&elsewhere).contains("--format github"));
}

#[test]
fn sarif_is_a_valid_sarif_2_1_0_log_with_rules_and_regions() {
    let out = budgetctl(&[
        "validate",
        "--format",
        "sarif",
        "-f",
        "tests/fixtures/cli/many-errors.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "budgetctl");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"unknown-key") && rules.contains(&"name-pattern"),
        "{rules:?}"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    let unknown = results
        .iter()
        .find(|r| r["ruleId"] == "unknown-key")
        .unwrap();
    assert_eq!(unknown["level"], "error");
    assert_eq!(
        unknown["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 11})
    );
    assert_eq!(
        rules[unknown["ruleIndex"].as_u64().unwrap() as usize],
        "unknown-key"
    );
    // The duplicate's first declaration is a related location.
    let duplicate = results
        .iter()
        .find(|r| r["ruleId"] == "duplicate-budget")
        .unwrap();
    assert_eq!(
        duplicate["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        11
    );
}

#[test]
fn json_has_a_version_counts_and_end_positions() {
    let out = budgetctl(&[
        "validate",
        "--format",
        "json",
        "-f",
        "tests/fixtures/cli/many-errors.yaml",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["format_version"], 1);
    assert_eq!(
        (report["errors"].as_u64(), report["warnings"].as_u64()),
        (Some(7), Some(0))
    );
    let first = &report["diagnostics"][0];
    assert_eq!(
        (
            &first["line"],
            &first["column"],
            &first["end_line"],
            &first["end_column"]
        ),
        (
            &serde_json::json!(5),
            &serde_json::json!(11),
            &serde_json::json!(5),
            &serde_json::json!(14)
        )
    );
}

/// Without `-f` and without a default file, the error says which files
/// were looked for and what to do: the example beside them (in the
/// repository root), or `budgetctl init`.
#[test]
fn no_budget_file_here_names_what_was_looked_for_and_what_to_do() {
    let out = budgetctl(&["validate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no budget file here: looked for budgets.yaml, budgets.yml and budgets/"),
        "{err}"
    );
    assert!(err.contains("pass -f budgets.example.yaml"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let out = support::budgetctl_in(empty.path())
        .arg("validate")
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("start a file with `budgetctl init`"),
        "{}",
        stderr(&out)
    );
}
