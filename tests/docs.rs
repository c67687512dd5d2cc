//! The docs cannot rot: every `sh` block of README.md and of the book
//! (docs/src) runs, as written, from a copy of the repository root; the
//! book's links lead somewhere; the commands reference is the binary's own
//! `--help`; the YAML reference names every key of the schema; README's
//! review excerpt is the comment the plan renders.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::repo_root;

/// README.md, then every page of the book, in order.
fn documents() -> Vec<PathBuf> {
    let mut pages = Vec::new();
    walk(&repo_root().join("docs/src"), &mut pages);
    pages.sort();
    let mut all = vec![repo_root().join("README.md")];
    all.extend(pages);
    all
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, found);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
}

fn shown(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A fenced block: its info string, first line (1-based), text, and the
/// `<!-- not run: why -->` written just above it.
struct Block {
    info: String,
    line: usize,
    text: String,
    not_run: Option<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    let mut above: Option<&str> = None;
    while let Some((i, line)) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let mut body = String::new();
            for (_, inner) in lines.by_ref() {
                if inner.starts_with("```") {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            let not_run = above
                .and_then(|a| a.strip_prefix("<!-- not run:"))
                .and_then(|a| a.strip_suffix("-->"))
                .map(|why| why.trim().to_owned());
            out.push(Block {
                info: info.trim().to_owned(),
                line: i + 1,
                text: body,
                not_run,
            });
        }
        if !line.trim().is_empty() {
            above = Some(line.trim());
        }
    }
    out
}

/// Lines that are this very test suite: shown to be run by people, not
/// run again from inside it.
const THE_TESTS: [&str; 2] = ["cargo test --workspace", "bash .ci/run"];

/// A copy of what a reader at the repository root has to work with.
fn repository_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["budgets.example.yaml", "budgets.schema.json"] {
        std::fs::copy(repo_root().join(file), dir.path().join(file)).unwrap();
    }
    copy_dir(&repo_root().join("examples"), &dir.path().join("examples"));
    std::fs::create_dir(dir.path().join("home")).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn every_command_the_readme_and_the_book_show_runs_from_the_repository_root() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_budgetctl"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (mut ran, mut skipped) = (0, Vec::new());
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        // One copy per document: its blocks run in order, as a reader
        // following the page runs them.
        let root = repository_copy();
        for block in blocks(&text).into_iter().filter(|b| b.info == "sh") {
            let place = format!("{}:{}", shown(&doc), block.line);
            if let Some(why) = block.not_run {
                assert!(!why.is_empty(), "{place}: say why the block is not run");
                skipped.push(format!("{place} ({why})"));
                continue;
            }
            let script: String = block
                .text
                .lines()
                .filter(|l| !THE_TESTS.iter().any(|t| l.trim_start().starts_with(t)))
                .map(|l| l.replace("cargo run -p budgetctl -- ", "budgetctl "))
                .collect::<Vec<_>>()
                .join("\n");
            // A block that serves budgetctl-local on the documented port
            // gets a free one.
            let script = script.replace("4566", &free_port().to_string());
            let (status, stdout, stderr) = run_block(&script, root.path(), &path);
            assert!(
                status.success(),
                "{place}: the block fails ({status}):\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
            );
            ran += 1;
        }
    }
    assert!(
        ran >= 15,
        "only {ran} blocks ran; not run:\n  {}",
        skipped.join("\n  ")
    );
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Run a block under `bash -euo pipefail` in `dir`, in a process group of
/// its own that is killed once bash ends, so that a server it started in
/// the background (and did not stop, because a command failed) stops too.
/// Output goes to files: a background process would hold pipes open.
fn run_block(script: &str, dir: &Path, path: &str) -> (std::process::ExitStatus, String, String) {
    use std::os::unix::process::CommandExt as _;
    let logs = tempfile::tempdir().unwrap();
    let (out, err) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut bash = Command::new("bash");
    crate::support::as_a_user(&mut bash, dir);
    let mut child = bash
        .args(["-euo", "pipefail", "-c", script])
        .env("PATH", path)
        .env("HOME", dir.join("home"))
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let status = child.wait().unwrap();
    if let Ok(group) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals that process group
        // (the block's own, made by process_group(0)); no memory is shared.
        unsafe { libc::kill(-group, libc::SIGTERM) };
    }
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (status, read(&out), read(&err))
}

/// GitHub's and mdBook's anchor of a heading.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut fence = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fence = !fence;
        } else if !fence && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

/// Every `](target)` of a markdown text outside code.
fn links(text: &str) -> Vec<String> {
    let mut fence = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
    out
}

#[test]
fn every_link_of_the_readme_and_the_book_leads_somewhere() {
    let mut broken = Vec::new();
    for doc in documents().into_iter().chain([
        repo_root().join("ARCHITECTURE.md"),
        repo_root().join("CHANGELOG.md"),
    ]) {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let dest = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            if !dest.exists() {
                broken.push(format!("{}: {target} (no such file)", shown(&doc)));
                continue;
            }
            if !fragment.is_empty() && dest.extension().is_some_and(|e| e == "md") {
                let there = std::fs::read_to_string(&dest).unwrap();
                if !anchors(&there).iter().any(|a| a == fragment) {
                    broken.push(format!("{}: {target} (no such heading)", shown(&doc)));
                }
            }
        }
    }
    // Every page of the book is in its table of contents.
    let summary = std::fs::read_to_string(repo_root().join("docs/src/SUMMARY.md")).unwrap();
    for page in documents().into_iter().skip(1) {
        let relative = page
            .strip_prefix(repo_root().join("docs/src"))
            .unwrap()
            .display()
            .to_string();
        if relative != "SUMMARY.md" && !summary.contains(&format!("]({relative})")) {
            broken.push(format!(
                "docs/src/{relative} is in no chapter of SUMMARY.md"
            ));
        }
    }
    assert!(
        broken.is_empty(),
        "broken links:\n  {}",
        broken.join("\n  ")
    );
}

/// Every command of the binary, as `budgetctl … -h` lists them.
fn command_paths() -> Vec<Vec<String>> {
    let mut paths = vec![Vec::new()];
    let mut at = 0;
    while at < paths.len() {
        let path = paths[at].clone();
        at += 1;
        for sub in subcommands(&help_of(&path)) {
            let mut next = path.clone();
            next.push(sub);
            paths.push(next);
        }
    }
    paths
}

fn help_of(path: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
        .args(path)
        .arg("-h")
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{path:?} -h");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// The commands reference as the binary's help makes it.
fn commands_reference() -> String {
    let mut out = String::from(
        "# Commands\n\nEvery command's `-h`, as the binary prints it: this page is generated\nfrom it (`tests/docs.rs` fails when they differ, and writes the page to\ncopy here). `--help` prints the same, with longer descriptions where there\nare some.\n",
    );
    for path in command_paths() {
        let name = std::iter::once("budgetctl".to_owned())
            .chain(path.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!("\n## {name}\n\n```text\n{}```\n", help_of(&path)));
    }
    out
}

#[test]
fn the_commands_reference_is_the_help_of_every_command() {
    let page = repo_root().join("docs/src/reference/commands.md");
    let expected = commands_reference();
    let written = std::fs::read_to_string(&page).unwrap_or_default();
    if written != expected {
        let fresh = Path::new(env!("CARGO_TARGET_TMPDIR")).join("commands.md");
        std::fs::write(&fresh, &expected).unwrap();
        panic!(
            "docs/src/reference/commands.md is not the binary's help: review and copy the generated page:\n  cp {} docs/src/reference/commands.md",
            fresh.display()
        );
    }
}

#[test]
fn the_yaml_reference_names_every_key_of_the_schema() {
    let reference = std::fs::read_to_string(repo_root().join("docs/src/reference/yaml.md"))
        .unwrap()
        + &std::fs::read_to_string(repo_root().join("docs/src/guides/policy.md")).unwrap()
        + &std::fs::read_to_string(repo_root().join("docs/src/guides/actions.md")).unwrap()
        + &std::fs::read_to_string(repo_root().join("docs/src/guides/responses.md")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("budgets.schema.json")).unwrap(),
    )
    .unwrap();
    let mut missing = Vec::new();
    let mut keys = Vec::new();
    collect_keys(&schema, &mut keys);
    keys.sort();
    keys.dedup();
    for key in &keys {
        // Named in prose (`key`, `parent.key`) or written in an example (`key:`).
        let named = [format!("`{key}"), format!(".{key}"), format!("{key}:")];
        if !named.iter().any(|n| reference.contains(n.as_str())) {
            missing.push(key.clone());
        }
    }
    assert!(keys.len() > 60, "{keys:?}");
    assert!(
        missing.is_empty(),
        "keys of budgets.schema.json the YAML reference does not name: {missing:?}"
    );
}

fn collect_keys(value: &serde_json::Value, keys: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                keys.extend(properties.keys().cloned());
            }
            map.values().for_each(|v| collect_keys(v, keys));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_keys(v, keys)),
        _ => {}
    }
}

#[test]
fn every_complete_budget_file_the_docs_show_validates() {
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for block in blocks(&text)
            .into_iter()
            .filter(|b| b.info == "yaml" && b.text.starts_with("version: 1\n"))
        {
            let loaded = budgetctl_spec::load_str("shown.yaml", &block.text);
            assert!(
                !loaded.has_errors(),
                "{}:{}: {:?}",
                shown(&doc),
                block.line,
                loaded.diagnostics
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} budget files checked");
}

#[test]
fn readme_is_the_pitch_and_its_review_excerpt_is_the_comment_plan_renders() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines: the manual belongs in docs/"
    );
    let review =
        std::fs::read_to_string(repo_root().join("tests/fixtures/plan/review.md")).unwrap();
    let excerpt: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("> "))
        .filter(|l| l.starts_with('|') || l.starts_with("###"))
        .collect();
    assert!(excerpt.len() >= 4, "{excerpt:?}");
    for line in excerpt {
        assert!(
            review.lines().any(|r| r == line),
            "not in review.md: {line}"
        );
    }
    // The first screen holds the first budget and the quickstart.
    let first_screen: String = readme.lines().take(60).collect::<Vec<_>>().join("\n");
    assert!(
        first_screen.contains("version: 1"),
        "no budget in the first screen"
    );
    assert!(first_screen.contains("plan --local -f budgets.example.yaml"));
}

/// In the repository root (which has `budgets.example.yaml` and no
/// `budgets.yaml`), bare commands say which files they looked for and
/// suggest the example, and start nothing (no `.budgetctl/` appears).
#[test]
fn bare_commands_in_the_repository_root_name_the_files_looked_for_and_the_example() {
    let state = repo_root().join(".budgetctl");
    let had_state = state.exists();
    assert!(!repo_root().join("budgets.yaml").exists());
    let commands: [&[&str]; 9] = [
        &["validate"],
        &["accounts"],
        &["fmt", "--check"],
        &["plan", "--local"],
        &["apply", "--local"],
        &["status", "--local"],
        &["lint", "--local"],
        &["respond", "--dry-run", "--local"],
        &["action", "list", "--status", "pending"],
    ];
    for args in commands {
        let out = crate::support::budgetctl(args);
        let said = crate::support::text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {said}");
        assert!(
            said.contains("budgets.yaml, budgets.yml and budgets/")
                && said.contains("-f budgets.example.yaml"),
            "{args:?} does not say what it looked for and what to pass: {said}"
        );
        assert!(
            !said.contains("cannot read budgets.yaml"),
            "{args:?}: {said}"
        );
    }
    if !had_state {
        assert!(
            !state.exists(),
            "a bare --local command started budgetctl-local here"
        );
    }
}

/// The YAML reference lists a budget's keys in the order `fmt` puts them.
#[test]
fn the_yaml_reference_lists_a_budgets_keys_in_the_order_fmt_writes_them() {
    let reference =
        std::fs::read_to_string(repo_root().join("docs/src/reference/yaml.md")).unwrap();
    let section = reference
        .split("\n## ")
        .find(|s| s.starts_with("A budget"))
        .expect("the reference has `## A budget`");
    let listed: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let order = budgetctl_spec::format::BUDGET_KEY_ORDER;
    let ranks: Vec<usize> = listed
        .iter()
        .map(|k| {
            order
                .iter()
                .position(|o| o == k)
                .unwrap_or_else(|| panic!("`{k}` is no budget key"))
        })
        .collect();
    assert!(listed.len() >= 15, "{listed:?}");
    assert!(
        ranks.windows(2).all(|w| w[0] < w[1]),
        "out of fmt's order: {listed:?}"
    );
}
