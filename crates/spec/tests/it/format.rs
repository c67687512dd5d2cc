//! `budgetctl fmt`'s formatter: on every budget file of the repository
//! (the example, every fixture, the examples), formatting keeps what the
//! file means and every comment, and formatting again changes nothing.

use std::path::{Path, PathBuf};

use budgetctl_spec::format::{BUDGET_KEY_ORDER, format};
use budgetctl_spec::load_str;

/// Every `*.yaml` budget file of the repository (workflows are not).
fn budget_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("budgets.example.yaml")];
    for dir in ["tests/fixtures", "crates/spec/tests/fixtures", "examples"] {
        walk(&root.join(dir), &mut files);
    }
    files.retain(|p| !p.components().any(|c| c.as_os_str() == "workflows"));
    assert!(files.len() > 100, "found only {} budget files", files.len());
    files
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}

/// What a file means: its configuration without the positions things were
/// declared at (formatting moves lines), or, for a file with errors, the
/// codes of its diagnostics.
fn meaning(path: &Path, text: &str) -> serde_json::Value {
    let loaded = load_str(path, text);
    if loaded.has_errors() {
        let mut codes: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|d| format!("{:?} {:?}", d.severity, d.code))
            .collect();
        codes.sort();
        return serde_json::json!({ "errors": codes });
    }
    let mut config = serde_json::to_value(&loaded.config).unwrap();
    strip_origins(&mut config);
    config
}

/// Without the `{file, line, column}` objects.
fn strip_origins(value: &mut serde_json::Value) {
    let is_origin = |v: &serde_json::Value| {
        v.as_object().is_some_and(|o| {
            o.len() == 3
                && o.contains_key("file")
                && o.contains_key("line")
                && o.contains_key("column")
        })
    };
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !is_origin(v));
            map.values_mut().for_each(strip_origins);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_origins),
        _ => {}
    }
}

/// The comments of a YAML text, in order, as written.
fn comments(text: &str) -> Vec<String> {
    let Ok(tree) = yaml_parser::parse(text) else {
        return Vec::new();
    };
    let mut found: Vec<String> = tree
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == yaml_parser::SyntaxKind::COMMENT)
        .map(|t| t.text().trim_end().to_owned())
        .collect();
    // Reordering a budget's keys moves comments with them: compare as sets.
    found.sort();
    found
}

#[test]
fn formatting_every_budget_file_keeps_its_meaning_and_comments_and_is_stable() {
    let mut formatted_files = 0;
    for path in budget_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(once) = format(&text) else {
            // Only a file of broken YAML (a duplicate key among them) does
            // not format, and says where.
            assert!(
                text.contains("# expect: yaml-syntax"),
                "{} does not format",
                path.display()
            );
            continue;
        };
        formatted_files += 1;
        assert_eq!(
            meaning(&path, &text),
            meaning(&path, &once),
            "formatting changed what {} means:\n{once}",
            path.display()
        );
        assert_eq!(
            comments(&text),
            comments(&once),
            "formatting lost or changed a comment of {}:\n{once}",
            path.display()
        );
        let twice = format(&once).unwrap();
        assert_eq!(
            once,
            twice,
            "formatting {} twice changed it again",
            path.display()
        );
    }
    assert!(formatted_files > 100);
}

#[test]
fn formatting_quotes_account_ids_inlines_short_lists_and_orders_a_budgets_keys() {
    let text = "\
version: 1
defaults:
    account: 111122223333
accounts:
    444455556666:
        prune: true   # prune it
        ignore:
            - legacy-*
            - \"console-?\"
budgets:
    # first budget
    - limit: 100   # the limit
      # who hears
      notifications:
          - on: actual > 80%
            to:
                - a@example.com
                - arn:aws:sns:us-east-1:111122223333:alerts,b
      name: one
      metrics:
          - amortized-cost   # how it counts
    - name: two
      account: 444455556666
      limit: 5
";
    let expected = "\
version: 1
defaults:
  account: \"111122223333\"
accounts:
  \"444455556666\":
    prune: true # prune it
    ignore: [legacy-*, \"console-?\"]
budgets:
  # first budget
  - name: one
    limit: 100 # the limit
    metrics: [amortized-cost] # how it counts
    # who hears
    notifications:
      - on: actual > 80%
        to: [a@example.com, \"arn:aws:sns:us-east-1:111122223333:alerts,b\"]
  - name: two
    account: \"444455556666\"
    limit: 5
";
    assert_eq!(format(text).unwrap(), expected);
}

#[test]
fn a_file_that_is_not_yaml_is_refused_with_its_line_and_column() {
    let error = format("version: 1\nbudgets:\n  - name: a\n    limit: [100\n").unwrap_err();
    assert_eq!((error.line, error.column), (4, 12), "{error}");
}

#[test]
fn the_key_order_names_every_key_of_a_budget_in_the_schema() {
    let schema = budgetctl_spec::json_schema();
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .unwrap();
    let mut keys: Vec<&str> = defs["BudgetDoc"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    let mut ordered = BUDGET_KEY_ORDER.to_vec();
    ordered.sort();
    assert_eq!(keys, ordered);
}

#[test]
fn a_file_nested_too_deep_to_lay_out_is_refused_not_a_panic() {
    // yaml_parser tracks indentation in a 64-bit mask: these overflowed it.
    for text in [
        format!("a:\n{}b: 1\n", " ".repeat(70)),
        format!("{}x\n", "- ".repeat(40)),
    ] {
        let error = format(&text).unwrap_err();
        assert!(error.message.contains("deep"), "{error}");
    }
}

/// Found by the formatting fuzzer: nesting past the reader's bound
/// overflowed the stack in the formatter; it is refused first.
#[test]
fn a_file_nested_past_the_readers_bound_is_refused_before_the_stack_runs_out() {
    let text = format!("budgets: {}1{}\n", "[".repeat(400), "]".repeat(400));
    let error = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || format(&text).unwrap_err())
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert!(error.message.contains("recursion limit"), "{error}");
}
