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
        ("budgetctl-spec", &[][..]),
        ("budgetctl-diff", &["budgetctl-spec"][..]),
        ("budgetctl-aws", &["budgetctl-diff", "budgetctl-spec"][..]),
        (
            "budgetctl-engine",
            &[
                "budgetctl-aws",
                "budgetctl-diff",
                "budgetctl-local",
                "budgetctl-spec",
            ][..],
        ),
        ("budgetctl-local", &[][..]),
        (
            "budgetctl-testkit",
            &[
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
                "{krate} depends on {d}: dependencies point one way (cli → engine → aws → diff → spec; local on nothing of ours)"
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
        if krate == "budgetctl-spec" || krate == "budgetctl-diff" {
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
