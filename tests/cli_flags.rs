//! One meaning per flag across commands: `--yes` and `--auto-approve` are
//! one flag wherever budgetctl asks, `--parallelism` is requests in flight
//! wherever requests are made, `--max-rps` (the run) and `--account-rps`
//! (each account) are on every command that calls AWS, `--format` and
//! `-f` say the same everywhere, and old spellings say what replaces them.

use crate::support::{budgetctl, budgetctl_in, text};

fn help(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push("--help");
    let out = budgetctl(&all);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every command that asks before it acts.
const ASKING: [&[&str]; 5] = [
    &["apply"],
    &["action", "approve"],
    &["action", "retry"],
    &["action", "reverse"],
    &["action", "reset"],
];

/// Every command that calls AWS.
const CALLING: [&[&str]; 11] = [
    &["plan"],
    &["apply"],
    &["import"],
    &["status"],
    &["lint"],
    &["respond"],
    &["accounts"],
    &["init"],
    &["action", "list"],
    &["action", "history"],
    &["action", "approve"],
];

#[test]
fn yes_and_auto_approve_are_one_flag_on_every_command_that_asks() {
    for command in ASKING {
        let shown = help(command);
        assert!(
            shown.contains("-y, --yes") && shown.contains("[alias: --auto-approve]"),
            "{command:?}:\n{shown}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let budget = |limit: u32| {
        format!(
            "version: 1\ndefaults: {{account: \"111122223333\"}}\nbudgets:\n  - name: team\n    limit: {limit}\n"
        )
    };
    std::fs::write(dir.path().join("budgets.yaml"), budget(100)).unwrap();
    let unasked = budgetctl_in(dir.path())
        .args(["apply", "--local"])
        .output()
        .unwrap();
    assert_eq!(unasked.status.code(), Some(1));
    assert!(
        text(&unasked).contains("pass --yes (or --auto-approve"),
        "{}",
        text(&unasked)
    );
    for (limit, flag) in [(100, "--yes"), (200, "--auto-approve"), (300, "-y")] {
        std::fs::write(dir.path().join("budgets.yaml"), budget(limit)).unwrap();
        let out = budgetctl_in(dir.path())
            .args(["apply", "--local", flag])
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}: {}", text(&out));
        let plan = budgetctl_in(dir.path())
            .args(["plan", "--local", "--detailed-exitcode"])
            .output()
            .unwrap();
        assert_eq!(
            plan.status.code(),
            Some(0),
            "{flag} applied nothing: {}",
            text(&plan)
        );
    }
}

#[test]
fn parallelism_is_requests_in_flight_on_every_command_that_reads() {
    for command in [
        &["plan"][..],
        &["apply"],
        &["import"],
        &["status"],
        &["lint"],
    ] {
        let shown = help(command);
        let line = shown
            .lines()
            .skip_while(|l| !l.contains("--parallelism <N>"))
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            line.contains("Requests in flight at once"),
            "{command:?}:\n{shown}"
        );
    }
    // Apply's budgets written at once has its own name.
    assert!(help(&["apply"]).contains("--budgets-at-once <N>"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("budgets.yaml"),
        "version: 1\ndefaults: {account: \"111122223333\"}\nbudgets:\n  - name: a\n    limit: 1\n  - name: b\n    limit: 2\n",
    )
    .unwrap();
    let out = budgetctl_in(dir.path())
        .args([
            "apply",
            "--local",
            "--yes",
            "--parallelism",
            "256",
            "--budgets-at-once",
            "1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 created"), "{}", text(&out));
}

#[test]
fn rate_flags_are_named_for_what_they_limit_on_every_command_that_calls_aws() {
    for command in CALLING {
        let shown = help(command);
        assert!(
            shown.contains("--max-rps <N>") && shown.contains("across the whole run"),
            "{command:?}:\n{shown}"
        );
        assert!(
            shown.contains("--account-rps <N>") && shown.contains("to each account"),
            "{command:?}:\n{shown}"
        );
    }
    // Both hold a read to its rate and change nothing of what it finds.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::support::repo_root().join("budgets.example.yaml"),
        dir.path().join("budgets.yaml"),
    )
    .unwrap();
    let plan = |extra: &[&str]| {
        let out = budgetctl_in(dir.path())
            .args(["plan", "--local", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{extra:?}: {}", text(&out));
        let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc.as_object_mut().unwrap().remove("created_at");
        doc
    };
    assert_eq!(plan(&[]), plan(&["--max-rps", "50", "--account-rps", "20"]));
}

#[test]
fn format_and_file_say_the_same_on_every_command() {
    let commands: [&[&str]; 11] = [
        &["validate"],
        &["plan"],
        &["apply"],
        &["status"],
        &["lint"],
        &["respond"],
        &["accounts"],
        &["action", "list"],
        &["action", "history"],
        &["action", "approve"],
        &["import"],
    ];
    let file_help = "A budget file, or a directory of *.yaml/*.yml files; repeatable";
    for command in commands {
        let shown = help(command);
        if shown.contains("-f, --file") {
            assert!(shown.contains(file_help), "{command:?}:\n{shown}");
        }
        if let Some(at) = shown.find("--format <FORMAT>") {
            let described = &shown[at..].lines().take(2).collect::<Vec<_>>().join(" ");
            assert!(
                described.contains("text for") || described.contains("json for"),
                "{command:?}: --format is not described:\n{shown}"
            );
        }
        assert!(
            shown.contains("Examples:\n  budgetctl "),
            "{command:?}:\n{shown}"
        );
    }
}

#[test]
fn no_color_still_works_and_says_it_is_deprecated() {
    let out = budgetctl(&[
        "--no-color",
        "accounts",
        "-f",
        "budgets.example.yaml",
        "--color",
        "always",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "note: --no-color is deprecated and goes in the next release: use --color never"
        ),
        "{err}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains('\u{1b}'),
        "--no-color coloured"
    );
}

#[test]
fn completions_are_offered_for_the_four_shells_readme_names() {
    let shown = help(&["completions"]);
    assert!(
        shown.contains("[possible values: bash, zsh, fish, powershell]"),
        "{shown}"
    );
    let out = budgetctl(&["completions", "elvish"]);
    assert_eq!(out.status.code(), Some(2));
}
