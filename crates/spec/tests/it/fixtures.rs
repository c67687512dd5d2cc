//! Every file under tests/fixtures/invalid (this crate's) states the diagnostics it must
//! produce in its header (`# expect: CODE LINE:COL`, `# expect-warning: …`);
//! every file under tests/fixtures/valid must validate without errors.

use std::path::{Path, PathBuf};

use budgetctl_spec::{Severity, load_paths};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", root.display());
    files
}

/// The (severity, code, line, column) a fixture's header promises.
fn expected(path: &Path) -> Vec<(Severity, String, u32, u32)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| {
            let (severity, rest) = if let Some(r) = l.strip_prefix("# expect: ") {
                (Severity::Error, r)
            } else {
                (Severity::Warning, l.strip_prefix("# expect-warning: ")?)
            };
            let (code, place) = rest.split_once(' ').expect("CODE LINE:COL");
            let (line, col) = place.split_once(':').expect("LINE:COL");
            Some((
                severity,
                code.to_owned(),
                line.parse().unwrap(),
                col.parse().unwrap(),
            ))
        })
        .collect()
}

#[test]
fn each_invalid_fixture_reports_exactly_its_expected_diagnostics() {
    let mut failures = Vec::new();
    for path in fixtures("invalid") {
        let want = expected(&path);
        assert!(
            !want.is_empty(),
            "{} has no `# expect:` header",
            path.display()
        );
        let loaded = load_paths(std::slice::from_ref(&path));
        let got: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.severity,
                    d.code.as_str().to_owned(),
                    d.span.pos.line,
                    d.span.pos.column,
                )
            })
            .collect();
        if got != want {
            let messages: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
            failures.push(format!(
                "{}\n  expected {want:?}\n  got      {got:?}\n  {}",
                path.file_name().unwrap().to_string_lossy(),
                messages.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_error_says_what_would_be_right() {
    for path in fixtures("invalid") {
        for d in load_paths(std::slice::from_ref(&path)).diagnostics {
            assert!(d.help.is_some(), "{}: {d} has no hint", path.display());
        }
    }
}

/// Messages a person can act on: none speaks of the parser's internals.
#[test]
fn no_error_speaks_in_parser_internals() {
    for path in fixtures("invalid") {
        for d in load_paths(std::slice::from_ref(&path)).diagnostics {
            let text = format!("{} {}", d.message, d.help.clone().unwrap_or_default());
            for internal in [
                "Option<",
                "deserialize",
                "Documents {",
                // The parser's settings (`DuplicateKeyPolicy`, "float
                // policy"); an IAM or SCP policy is the user's own word.
                "Policy",
                "key policy",
                "float policy",
                "breached",
            ] {
                assert!(
                    !text.contains(internal),
                    "{}: `{internal}` in: {text}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn each_valid_fixture_validates_without_errors() {
    for path in fixtures("valid") {
        let loaded = load_paths(std::slice::from_ref(&path));
        let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            path.display(),
            errors.join("\n")
        );
        assert!(
            !loaded.config.budgets.is_empty(),
            "{} declares no budget",
            path.display()
        );
    }
}

/// A policy every budget of its file keeps (in a directory of its own:
/// one policy holds for a whole configuration, and `valid/` validates as
/// one), read into the model with each rule's level and place.
#[test]
fn a_policy_is_read_with_its_levels_scope_and_exceptions() {
    use budgetctl_spec::policy::{Level, PolicyRule};
    for path in fixtures("policy") {
        let loaded = load_paths(std::slice::from_ref(&path));
        assert!(
            loaded.diagnostics.is_empty(),
            "{}: {:?}",
            path.display(),
            loaded.diagnostics
        );
    }
    let loaded = load_paths(&[std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/policy/kept.yaml"
    ))]);
    let p = &loaded.config.policy;
    let (keys, tags) = p.tags.as_ref().unwrap();
    assert_eq!(
        (keys.as_slice(), tags.level),
        (&["owner".to_owned()][..], Level::Warning)
    );
    assert_eq!(tags.at.line, 13);
    assert_eq!(p.limits[0].accounts[0].as_str(), "444455556666");
    assert_eq!(p.limits[0].max.to_string(), "1000 USD");
    assert_eq!(p.exceptions[0].rules, [PolicyRule::Tags]);
    assert_eq!(p.exceptions[0].reason, "owned by finance");
    assert_eq!(
        p.scope.as_ref().unwrap().len(),
        2,
        "all: both accounts the file names"
    );
}

#[test]
fn an_unreadable_file_means_no_budgets_and_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets: [{name: a, limit: 1}]\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, [0xff, 0xfe, b'\n']).unwrap();
    let loaded = load_paths(&[good.clone(), bad.clone()]);
    assert!(loaded.has_errors());
    assert!(
        loaded.config.budgets.is_empty(),
        "{:?}",
        loaded.config.budgets
    );
    let listed: Vec<&Path> = loaded.files.iter().map(|f| f.path.as_path()).collect();
    assert!(listed.contains(&bad.as_path()), "{listed:?}");
    assert!(
        loaded
            .errors()
            .any(|d| d.span.file.path == bad && d.message.contains("bad.yaml")),
        "{:?}",
        loaded.diagnostics
    );
}

#[test]
fn a_missing_second_path_is_named_not_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.yaml");
    std::fs::write(&first, "version: 1\nbudgets: []\n").unwrap();
    let gone = dir.path().join("gone");
    let loaded = load_paths(&[first, gone.clone()]);
    let error = loaded.errors().next().expect("an error");
    assert_eq!(error.span.file.path, gone, "{error}");
}

/// ARCHITECTURE.md: a configuration with any error yields no budgets, so no
/// caller can plan or apply half a file: every invalid fixture with an
/// error loads to an empty configuration. Breaking the policy is the one
/// exception: the configuration is whole (lint reports on it), and every
/// command that acts refuses it all the same (`has_errors`).
#[test]
fn a_file_with_any_error_yields_no_budgets() {
    let mut checked = 0;
    for path in fixtures("invalid") {
        let loaded = load_paths(std::slice::from_ref(&path));
        let policy_only = loaded.errors().all(|d| d.code.breaks_policy());
        if policy_only && loaded.has_errors() {
            assert!(!loaded.config.budgets.is_empty(), "{}", path.display());
            continue;
        }
        if loaded.has_errors() {
            assert!(
                loaded.config.budgets.is_empty(),
                "{}: {} budgets despite errors",
                path.display(),
                loaded.config.budgets.len()
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} fixtures with errors");
}

/// One `policy:` per configuration: the same in two files is one policy;
/// two that differ are refused, each place named.
#[test]
fn two_files_with_different_policies_are_refused() {
    let file = |name: &str, tags: &str| budgetctl_spec::SourceFile {
        path: name.into(),
        text: format!(
            "version: 1\ndefaults: {{ account: \"111122223333\" }}\npolicy:\n  require: {{ tags: [{tags}] }}\nbudgets:\n  - {{ name: {}, limit: 1, tags: {{ owner: x, team: y }} }}\n",
            name.trim_end_matches(".yaml")
        ),
    };
    let same = budgetctl_spec::load_sources(vec![file("a.yaml", "owner"), file("b.yaml", "owner")]);
    assert!(same.diagnostics.is_empty(), "{:?}", same.diagnostics);
    let differ =
        budgetctl_spec::load_sources(vec![file("a.yaml", "owner"), file("b.yaml", "team")]);
    let conflicts: Vec<String> = differ
        .errors()
        .filter(|d| d.code.as_str() == "policy-conflict")
        .map(|d| format!("{} / {}", d.span, d.related[0].0))
        .collect();
    assert_eq!(conflicts, ["b.yaml:4:3 / a.yaml:4:3"]);
}
