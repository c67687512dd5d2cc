//! Releases as users get them: the archives release/package.sh packs for
//! every target of release/targets.json, the names cargo-binstall's
//! template expects of them, the release workflow that builds them from
//! the same list, its notes from CHANGELOG.md, and the setup action that
//! installs them, run against a fake release on 127.0.0.1.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{installed, needs, repo_root};

fn targets() -> Vec<Value> {
    let text = std::fs::read_to_string(repo_root().join("release/targets.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The cli crate's `[package.metadata.binstall]`, as cargo reads it.
fn binstall() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cli = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "budgetctl")
        .unwrap()
        .clone();
    assert_eq!(cli["repository"], "https://github.com/budgetctl/budgetctl");
    cli["metadata"]["binstall"].clone()
}

/// cargo-binstall's template with its variables filled as it fills them.
fn expand(template: &str, target: &str, format: &str) -> String {
    // binstall's own suffixes: `.tgz` for tgz (not what the release packs).
    let suffix = match format {
        "tgz" => ".tgz",
        "zip" => ".zip",
        other => panic!("a pkg-fmt this test does not know: {other}"),
    };
    let ext = if target.contains("windows") {
        ".exe"
    } else {
        ""
    };
    template
        .replace("{ repo }", "https://github.com/budgetctl/budgetctl")
        .replace("{ name }", "budgetctl")
        .replace("{ version }", "0.1.0")
        .replace("{ target }", target)
        .replace("{ archive-suffix }", suffix)
        .replace("{ bin }", "budgetctl")
        .replace("{ binary-ext }", ext)
}

/// The entries of an archive, as `tar -t` lists them (zip too, with bsdtar
/// or unzip).
fn entries(archive: &Path) -> Vec<String> {
    let out = if archive.extension().is_some_and(|e| e == "zip") {
        Command::new("unzip")
            .arg("-Z1")
            .arg(archive)
            .output()
            .unwrap()
    } else {
        Command::new("tar")
            .arg("-tzf")
            .arg(archive)
            .output()
            .unwrap()
    };
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_owned())
        .collect()
}

#[test]
fn cargo_binstall_finds_the_archives_the_release_packs_for_every_target() {
    if !needs(
        installed("node") && installed("zip") && installed("unzip"),
        "node, zip and unzip (apt-get install nodejs zip unzip)",
    ) {
        return;
    }
    let meta = binstall();
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("budgetctl");
    std::fs::write(&binary, "#!/bin/sh\necho budgetctl\n").unwrap();
    for t in targets() {
        let target = t["target"].as_str().unwrap();
        let format = meta["overrides"][target]["pkg-fmt"]
            .as_str()
            .or(meta["pkg-fmt"].as_str())
            .unwrap();
        let out = Command::new("bash")
            .arg(repo_root().join("release/package.sh"))
            .args([target, "v0.1.0"])
            .arg(&binary)
            .arg(dir.path().join("dist"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let archive = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        // The URL binstall downloads names the archive the release holds.
        let template = meta["overrides"][target]["pkg-url"]
            .as_str()
            .or(meta["pkg-url"].as_str())
            .unwrap();
        let url = expand(template, target, format);
        let name = archive.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            url,
            format!("https://github.com/budgetctl/budgetctl/releases/download/v0.1.0/{name}"),
            "{target}"
        );
        assert_eq!(format!(".{}", t["archive"].as_str().unwrap()), {
            let suffix = if format == "zip" { ".zip" } else { ".tar.gz" };
            suffix.to_owned()
        });
        // And the binary is where binstall looks for it.
        let bin = expand(meta["bin-dir"].as_str().unwrap(), target, format);
        assert!(
            entries(&archive).contains(&bin),
            "{bin} in {:?}",
            entries(&archive)
        );
        // Its .sha256 is the archive's.
        let listed = std::fs::read_to_string(format!("{}.sha256", archive.display())).unwrap();
        let (hex, file) = listed.trim().split_once("  ").unwrap();
        assert_eq!(file, name);
        let sum = Command::new("sha256sum").arg(&archive).output().unwrap();
        assert!(String::from_utf8_lossy(&sum.stdout).starts_with(hex));
    }
}

#[test]
fn the_release_workflow_builds_every_target_of_the_one_list() {
    let text = std::fs::read_to_string(repo_root().join(".github/workflows/release.yml")).unwrap();
    let workflow: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(workflow["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let jobs = &workflow["jobs"];
    // The matrix is release/targets.json, read by the first job.
    let read = jobs["plan"]["steps"].as_array().unwrap().iter().any(|s| {
        s["run"]
            .as_str()
            .is_some_and(|r| r.contains("release/targets.json"))
    });
    assert!(read, "{text}");
    assert_eq!(
        jobs["build"]["strategy"]["matrix"]["include"],
        "${{ fromJSON(needs.plan.outputs.targets) }}"
    );
    let runs: Vec<&str> = jobs["build"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(
        runs.iter().any(|r| r.contains("bash release/package.sh")),
        "{text}"
    );
    assert!(
        runs.iter()
            .any(|r| r.contains("cargo build --release --locked --target"))
    );
    let publish: Vec<&str> = jobs["publish"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(publish.iter().any(|r| r.contains("SHA256SUMS")), "{text}");
    assert!(
        publish.iter().any(|r| r.contains("release/notes.sh")),
        "{text}"
    );
    // Every target has a runner, and the setup action can map a runner to it.
    for t in targets() {
        for key in ["target", "runner", "runner_os", "runner_arch", "archive"] {
            assert!(t[key].is_string(), "{t}: {key}");
        }
    }
}

#[test]
fn release_notes_are_the_tags_section_of_the_changelog() {
    let run = |tag: &str| {
        Command::new("bash")
            .arg(repo_root().join("release/notes.sh"))
            .arg(tag)
            .arg(repo_root().join("CHANGELOG.md"))
            .output()
            .unwrap()
    };
    let version = env!("CARGO_PKG_VERSION");
    let notes = run(&format!("v{version}"));
    assert!(
        notes.status.success(),
        "{}",
        String::from_utf8_lossy(&notes.stderr)
    );
    let notes = String::from_utf8_lossy(&notes.stdout);
    assert!(notes.contains("### Added"), "{notes}");
    assert!(!notes.contains("## ["), "one section only: {notes}");
    // A tag the changelog does not describe goes out without notes never.
    let missing = run("v9.9.9");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no section for 9.9.9"));
}

#[test]
fn the_setup_action_installs_a_checked_release_and_refuses_a_tampered_one() {
    if !needs(installed("node"), "Node.js (apt-get install nodejs)") {
        return;
    }
    let out = Command::new("node")
        .arg(repo_root().join("tests/fixtures/action/setup-check.js"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("setup-budgetctl: ok"));
    // The action runs that script, in two steps around its cache.
    let action: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(repo_root().join("action.yml")).unwrap())
            .unwrap();
    let steps = action["runs"]["steps"].as_array().unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    assert!(
        steps[0]["run"]
            .as_str()
            .unwrap()
            .ends_with("setup-budgetctl.js\" resolve")
    );
    assert!(
        steps[1]["uses"]
            .as_str()
            .unwrap()
            .starts_with("actions/cache@")
    );
    assert!(
        steps[2]["run"]
            .as_str()
            .unwrap()
            .ends_with("setup-budgetctl.js\" install")
    );
    assert_eq!(action["inputs"]["version"]["default"], "latest");
}
