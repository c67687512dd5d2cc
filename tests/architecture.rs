//! The architecture invariants of ARCHITECTURE.md that a machine can check:
//! dependencies between the workspace's crates point one way, and only the
//! AWS layer depends on the AWS SDK.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Normal (not dev or build) dependencies of each workspace crate, by name.
fn workspace_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .collect();
            (p["name"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

/// ARCHITECTURE.md: dependencies point one way, cli → engine → aws → diff →
/// spec, and budgetctl-local depends on nothing of ours.
#[test]
fn dependencies_between_crates_point_one_way() {
    let allowed: BTreeMap<&str, &[&str]> = [
        ("budgetctl-model", &[][..]),
        ("budgetctl-spec", &["budgetctl-model"][..]),
        // Plans write and read budgets in the budget-file form.
        ("budgetctl-diff", &["budgetctl-model", "budgetctl-spec"][..]),
        ("budgetctl-aws", &["budgetctl-model"][..]),
        (
            "budgetctl-engine",
            &[
                "budgetctl-aws",
                "budgetctl-diff",
                "budgetctl-local",
                "budgetctl-model",
                "budgetctl-spec",
            ][..],
        ),
        ("budgetctl-local", &[][..]),
        (
            "budgetctl-testkit",
            &[
                "budgetctl-model",
                "budgetctl-aws",
                "budgetctl-diff",
                "budgetctl-local",
                "budgetctl-spec",
            ][..],
        ),
        // The cli renders spec's and diff's types and serves
        // budgetctl-local; everything it does goes through the engine,
        // never the AWS layer.
        (
            "budgetctl",
            &[
                "budgetctl-engine",
                "budgetctl-diff",
                "budgetctl-model",
                "budgetctl-spec",
                "budgetctl-local",
            ][..],
        ),
    ]
    .into();
    let deps = workspace_dependencies();
    for (krate, deps) in &deps {
        let ours: Vec<&String> = deps.iter().filter(|d| d.starts_with("budgetctl")).collect();
        let Some(allowed) = allowed.get(krate.as_str()) else {
            panic!(
                "{krate}: a crate ARCHITECTURE.md does not place; add it to this test and the code map"
            );
        };
        for d in ours {
            assert_ne!(
                d, "budgetctl-testkit",
                "{krate} depends on budgetctl-testkit: it is for tests and benches only (a dev-dependency)"
            );
            assert!(
                allowed.contains(&d.as_str()),
                "{krate} depends on {d}: dependencies point one way (cli → engine → aws, diff → spec → model; local on nothing of ours)"
            );
        }
    }
}

/// ARCHITECTURE.md: only the AWS layer (crates/aws) depends on the AWS SDK.
#[test]
fn only_the_aws_layer_depends_on_the_aws_sdk() {
    for (krate, deps) in workspace_dependencies() {
        for d in deps {
            if d.starts_with("aws-sdk-") || d == "aws-config" {
                assert_eq!(
                    krate, "budgetctl-aws",
                    "{krate} depends on {d}: only the AWS layer may"
                );
            }
        }
    }
}

/// ARCHITECTURE.md: spec and diff do no network I/O (nor async at all):
/// neither depends on a runtime, an HTTP stack or the AWS layer.
#[test]
fn the_pure_crates_depend_on_no_network_crate() {
    let io = |d: &str| {
        matches!(
            d,
            "tokio" | "hyper" | "axum" | "reqwest" | "budgetctl-aws" | "budgetctl-local"
        ) || d.starts_with("aws-")
    };
    for (krate, deps) in workspace_dependencies() {
        if matches!(
            krate.as_str(),
            "budgetctl-model" | "budgetctl-spec" | "budgetctl-diff"
        ) {
            let found: Vec<&String> = deps.iter().filter(|d| io(d)).collect();
            assert!(
                found.is_empty(),
                "{krate} depends on {found:?}: spec and diff do no I/O beyond reading the files given"
            );
        }
    }
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out
}

/// ARCHITECTURE.md: serde-saphyr is the only YAML parser, reached only
/// through `yaml::parse`: no other source of any crate deserializes YAML
/// (writing YAML, in `document/`, goes through serde-saphyr's serializer).
#[test]
fn yaml_is_parsed_only_in_spec_yaml_rs() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        for (path, text) in sources(&src) {
            let parses = [
                "serde_saphyr::from_",
                "serde_saphyr::Deserializer",
                "serde_yaml",
            ]
            .iter()
            .any(|p| text.contains(p));
            assert!(
                !parses || path.ends_with("spec/src/yaml.rs"),
                "{} parses YAML itself: go through budgetctl_spec::yaml::parse",
                path.display()
            );
        }
    }
}

/// The top-level modules of a crate's `src` (a file or a directory each),
/// and for each the others it names (`crate::other`, or `super::other` from
/// a file directly under `src`).
fn module_edges(src: &std::path::Path) -> BTreeMap<String, BTreeSet<String>> {
    let module_of = |path: &std::path::Path| -> Option<String> {
        let rel = path.strip_prefix(src).ok()?;
        let first = rel.components().next()?.as_os_str().to_string_lossy();
        let name = first.trim_end_matches(".rs").to_owned();
        (name != "lib" && name != "main").then_some(name)
    };
    let files = sources(src);
    let modules: BTreeSet<String> = files.iter().filter_map(|(p, _)| module_of(p)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &files {
        let Some(from) = module_of(path) else {
            continue;
        };
        let top_level_file = path.parent() == Some(src);
        // Test modules may reach anywhere; only the code's own edges count.
        let code = text.split("#[cfg(test)]").next().unwrap_or(text);
        for to in &modules {
            let named = code.contains(&format!("crate::{to}::"))
                || code.contains(&format!("crate::{to}::{{"))
                || code.contains(&format!("use crate::{to};"))
                || (top_level_file && code.contains(&format!("super::{to}::")));
            if named && to != &from {
                edges.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    edges
}

/// A cycle in `edges`, as the modules round it, if there is one.
fn a_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

/// ARCHITECTURE.md: within a crate, the top-level modules import one
/// another one way: no module reaches, through others, back to itself.
#[test]
fn no_module_of_a_crate_imports_back_round_a_cycle() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cycles = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let src = dir.join("src");
        if !src.is_dir() {
            continue;
        }
        if let Some(cycle) = a_cycle(&module_edges(&src)) {
            cycles.push(format!(
                "{}: {}",
                dir.file_name().unwrap().to_string_lossy(),
                cycle.join(" → ")
            ));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn a_cycle_is_found_and_a_line_is_not() {
    let edges = |pairs: &[(&str, &str)]| {
        let mut e: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            e.entry((*a).to_owned())
                .or_default()
                .insert((*b).to_owned());
        }
        e
    };
    assert_eq!(a_cycle(&edges(&[("a", "b"), ("b", "c")])), None);
    assert!(a_cycle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")])).is_some());
}

/// ARCHITECTURE.md: the model is the domain and nothing else: no file
/// format (YAML, a schema), no parallelism, no I/O.
#[test]
fn the_model_depends_on_no_file_format_and_no_io() {
    let deps = workspace_dependencies();
    let model = &deps["budgetctl-model"];
    for forbidden in [
        "serde-saphyr",
        "schemars",
        "rayon",
        "serde_json",
        "tokio",
        "regex",
    ] {
        assert!(
            !model.contains(forbidden),
            "budgetctl-model depends on {forbidden}: the model has no file format and does no I/O"
        );
    }
}

/// ARCHITECTURE.md: the cli reaches AWS only through the engine.
#[test]
fn the_cli_depends_on_no_aws_crate() {
    let deps = workspace_dependencies();
    let found: Vec<&String> = deps["budgetctl"]
        .iter()
        .filter(|d| d.starts_with("aws-") || *d == "budgetctl-aws")
        .collect();
    assert!(
        found.is_empty(),
        "the cli depends on {found:?}: it calls the engine, which calls the AWS layer"
    );
}

/// Every crate of the workspace opts into the workspace's lints (no
/// printing below the cli, among them).
#[test]
fn every_crate_opts_into_the_workspace_lints() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for entry in std::fs::read_dir(&crates).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        assert!(
            text.contains("[lints]\nworkspace = true"),
            "{} does not opt into the workspace lints: add [lints] workspace = true",
            manifest.display()
        );
    }
}

/// Every Rust file opens with a `//!` line saying what it is for.
#[test]
fn every_module_opens_with_a_doc_line() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs = vec![root.join("tests")];
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        dirs.extend(["src", "tests", "benches"].map(|d| dir.join(d)));
    }
    let mut bare = Vec::new();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        for (path, text) in sources(dir) {
            if !text.trim_start().starts_with("//!") {
                bare.push(path.display().to_string());
            }
        }
    }
    assert!(bare.is_empty(), "no //! line at the top: {bare:?}");
}
