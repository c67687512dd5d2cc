//! What a shell sees of budgetctl: completion scripts that load, a
//! `--version` that names the commit, and commands that survive a closed
//! stdout or stderr.

use crate::support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{budgetctl, repo_root};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `shell` can be run here.
fn have(shell: &str) -> bool {
    Command::new(shell)
        .arg("-c")
        .arg("exit 0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `shell -n` (parse only) over `script`: its exit status and complaints.
fn syntax_check(shell: &str, script: &str) -> (bool, String) {
    let mut child = Command::new(shell)
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the shell starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bash_completions_load_in_bash_and_complete_every_command() {
    let out = budgetctl(&["completions", "bash"]);
    assert!(out.status.success());
    let script = stdout(&out);
    let (ok, complaints) = syntax_check("bash", &script);
    assert!(ok, "bash -n rejects the script: {complaints}");
    // Sourcing it registers the completion function for `budgetctl`.
    let loaded = Command::new("bash")
        .arg("-c")
        .arg("source /dev/stdin && complete -p budgetctl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(script.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(loaded.status.success());
    assert!(stdout(&loaded).contains("budgetctl"), "{}", stdout(&loaded));
    for command in [
        "validate",
        "plan",
        "apply",
        "import",
        "schema",
        "completions",
    ] {
        assert!(script.contains(command), "no completion for {command}");
    }
    assert!(script.contains("--detailed-exitcode"));
}

#[test]
fn zsh_and_fish_completions_parse_where_those_shells_exist() {
    for shell in ["zsh", "fish"] {
        let out = budgetctl(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = stdout(&out);
        assert!(script.contains("budgetctl"), "{shell}");
        if have(shell) {
            let (ok, complaints) = syntax_check(shell, &script);
            assert!(ok, "{shell} -n rejects the script: {complaints}");
        }
    }
    let out = budgetctl(&["completions", "powershell"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("Register-ArgumentCompleter"));
}

#[test]
fn an_unknown_shell_is_refused_with_the_choices() {
    let out = budgetctl(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bash") && err.contains("powershell"), "{err}");
}

#[test]
fn version_names_the_package_version_the_commit_and_the_target_built_for() {
    let out = budgetctl(&["--version"]);
    assert!(out.status.success());
    let line = stdout(&out);
    let rest = line
        .trim()
        .strip_prefix(&format!("budgetctl {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("unexpected version line: {line}"));
    let (commit, target) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", "))
        .unwrap_or_else(|| panic!("unexpected version line: {line}"));
    // The target triple this binary was built for: this machine's here.
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains(std::env::consts::OS),
        "{target}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo_root())
        .output();
    match head {
        // Built from this checkout: the commit is HEAD's.
        Ok(head) if head.status.success() => {
            let head = String::from_utf8_lossy(&head.stdout);
            assert!(
                commit.len() >= 7 && head.trim().starts_with(commit),
                "version says {commit}, HEAD is {head}"
            );
        }
        // Not a git checkout: the build could not know the commit.
        _ => assert_eq!(commit, "unknown"),
    }
}

/// Every command whose stdout or stderr is a pipe nobody reads any more (as
/// `| head -1` or a CI log collector that went away leave it) finishes with
/// its own exit code, never a panic's 101.
#[test]
fn every_command_survives_a_closed_stdout_or_stderr() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("budgets.example.yaml"),
        dir.path().join("budgets.yaml"),
    )
    .unwrap();
    let commands: [&[&str]; 6] = [
        &["validate"],
        &["plan", "--local"],
        &["apply", "--local", "--auto-approve"],
        &[
            "import",
            "--local",
            "--account",
            "111122223333",
            "--force",
            "--out",
            "imported.yaml",
        ],
        &["schema"],
        &["completions", "bash"],
    ];
    for (close_out, close_err) in [(false, true), (true, false), (true, true)] {
        for args in commands {
            let mut child = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
                .args(args)
                .current_dir(dir.path())
                .env("NO_COLOR", "1")
                .env_remove("AWS_ENDPOINT_URL")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Close the read ends at once: every write then fails (EPIPE).
            let out = child.stdout.take().unwrap();
            let err = child.stderr.take().unwrap();
            let (keep_out, keep_err) = ((!close_out).then_some(out), (!close_err).then_some(err));
            let drain = |pipe: Option<std::process::ChildStdout>| {
                std::thread::spawn(move || {
                    if let Some(mut p) = pipe {
                        let _ = std::io::copy(&mut p, &mut std::io::sink());
                    }
                })
            };
            let out_thread = drain(keep_out);
            let err_thread = std::thread::spawn(move || {
                if let Some(mut p) = keep_err {
                    let _ = std::io::copy(&mut p, &mut std::io::sink());
                }
            });
            let status = child.wait().unwrap();
            out_thread.join().unwrap();
            err_thread.join().unwrap();
            assert_ne!(
                status.code(),
                Some(101),
                "{args:?} (stdout closed: {close_out}, stderr closed: {close_err}): panicked"
            );
            if !close_out {
                assert_eq!(status.code(), Some(0), "{args:?} with stderr closed");
            }
        }
    }
}

/// `apply --dry-run` (respond has a dry run) says what to run instead,
/// rather than clap's tip to pass it as a plan file's name.
#[test]
fn apply_has_no_dry_run_and_says_what_shows_one() {
    let out = budgetctl(&["apply", "--dry-run"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: apply has no dry run: `budgetctl plan` shows what apply would do"),
        "{err}"
    );
    assert!(!err.contains("-- --dry-run"), "{err}");
}

/// Colour off a terminal only when asked: CLICOLOR_FORCE or FORCE_COLOR
/// (not `0`), or `--color always`; NO_COLOR, `--no-color` and `--color
/// never` beat the variables.
#[test]
fn colour_is_forced_by_the_conventional_variables_and_never_beats_them() {
    let coloured = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_budgetctl"));
        c.args(["validate", "-f", "tests/fixtures/cli/many-errors.yaml"])
            .args(args)
            .current_dir(repo_root())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        out.stderr.contains(&0x1b)
    };
    assert!(!coloured(&[], &[]), "a pipe is not coloured");
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(coloured(&[("FORCE_COLOR", "1")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "0")], &[]));
    assert!(coloured(&[], &["--color", "always"]));
    assert!(!coloured(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]));
    assert!(!coloured(&[("FORCE_COLOR", "1")], &["--no-color"]));
    assert!(!coloured(
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
        &[]
    ));
    assert!(coloured(&[("NO_COLOR", "1")], &["--color", "always"]));
}
