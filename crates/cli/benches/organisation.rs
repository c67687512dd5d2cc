//! Plan at organisation scale, through the binary. Run with
//! `cargo bench -p budgetctl --bench organisation` (add `-- --accounts 100`
//! for a quicker run, `--rps N` for another per-account rate limit).
//!
//! budgetctl-local runs in this process with 1,000 accounts × 10 budgets ×
//! 2 notifications seeded, 50 ms of latency on every request and each
//! account rate-limited (5 requests a second unless `--rps` says
//! otherwise). The budget file declares the 10 budgets once for every
//! account (`accounts: [all]`), each account behind its own role
//! (`defaults.role` with `{account}`). `budgetctl plan --detailed-exitcode`
//! runs as a child process, paced at `--account-rps 4` (`--client-rps`),
//! timed, at `--parallelism 128` (requests in
//! flight across accounts) and then at 1 (one request at a time, as before
//! issue 17) on a sample of accounts, scaled up; it must find no changes
//! and surface no ThrottlingException. Printed: wall time, the
//! child's peak RSS, requests by operation, throttles absorbed by retries,
//! and the requests Terraform's aws_budgets_budget would need (per budget:
//! read, tags, and one per notification's subscribers, N·(3+M)).
//!
//! First, `budgetctl status` of the same accounts at the same
//! parallelism and pace, without history (the bulk reads only) and with
//! `--history 12` (one more request per budget): wall time, peak RSS,
//! requests, and the ratio to the floor that requests, latency and
//! parallelism set (`--status 0` skips it). Then `budgetctl lint` of the
//! same accounts against a policy that needs every subscriber read
//! (`--lint 0` skips it). Status runs first, so that the peak RSS printed
//! for it is its own.

#![allow(clippy::print_stdout, clippy::print_stderr)] // figures are this target's output

use std::process::{Command, Stdio};
use std::time::Instant;

use budgetctl_local::{Faults, LocalOptions, LocalServer};
use serde_json::json;

const BUDGETS: usize = 10;
const NOTIFICATIONS: usize = 2;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn account(i: usize) -> String {
    format!("{:012}", 100_000_000_000 + i)
}

/// The peak RSS of the children waited for so far, in MB.
fn children_peak_rss_mb() -> f64 {
    // SAFETY: getrusage writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

fn main() {
    let accounts = arg("--accounts", 1000);
    let rps = arg("--rps", 5) as u32;
    // budgetctl's own pace per account: under the service's limit, as a
    // client should be (AWS's limit is not documented; here it is known).
    let client_rps = arg("--client-rps", 4);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(LocalServer::start(LocalOptions::default()))
        .unwrap();
    let service = server.service();

    // Seed straight into the service: 10,000 CreateBudget calls without
    // the network, before latency and the rate limit are on.
    let started = Instant::now();
    for i in 0..accounts {
        for b in 0..BUDGETS {
            let input = json!({
                "AccountId": account(i),
                "Budget": {
                    "BudgetName": format!("budget-{b:02}"),
                    "BudgetLimit": {"Amount": format!("{}", 100 * (b + 1)), "Unit": "USD"},
                    "TimeUnit": "MONTHLY",
                    "BudgetType": "COST",
                },
                "NotificationsWithSubscribers": [
                    {
                        "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80},
                        "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "finops@example.com"}],
                    },
                    {
                        "Notification": {"NotificationType": "FORECASTED", "ComparisonOperator": "GREATER_THAN", "Threshold": 100},
                        "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "finops@example.com"}],
                    },
                ],
            });
            service.call("CreateBudget", &input).unwrap();
        }
    }
    eprintln!(
        "seeded {accounts} accounts x {BUDGETS} budgets x {NOTIFICATIONS} notifications in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (0..accounts)
        .map(|i| format!("\"{}\"", account(i)))
        .collect();
    // A policy every budget keeps: lint reads subscribers for it.
    let mut yaml = format!(
        "version: 1\ndefaults:\n  role: arn:aws:iam::{{account}}:role/budgetctl\naccount_groups:\n  org: [{}]\npolicy:\n  require:\n    budget_per_account: {{ period: monthly }}\n    alerts: [actual > 100%]\n    subscribers: true\nbudgets:\n",
        ids.join(", ")
    );
    for b in 0..BUDGETS {
        yaml.push_str(&format!(
            "  - name: budget-{b:02}\n    accounts: [org]\n    limit: {}\n    notifications:\n      - {{on: actual > 80%, to: [finops@example.com]}}\n      - {{on: forecasted > 100%, to: [finops@example.com]}}\n",
            100 * (b + 1)
        ));
    }
    std::fs::write(dir.path().join("budgets.yaml"), yaml).unwrap();

    service.set_faults(Faults {
        latency_ms: 50,
        account_rps: rps,
        ..Faults::default()
    });
    let parallelism = arg("--parallelism", 128);
    let bench = Bench {
        server: &server,
        dir: dir.path(),
        accounts,
        parallelism,
        client_rps,
        rps,
    };
    if arg("--status", 1) == 1 {
        status(&bench);
    }
    if arg("--lint", 1) == 1 {
        lint(&bench);
    }
    // One request at a time (as before issue 17) would take
    // 1,000 x 24 x 50 ms = 20 minutes: timed on a sample of accounts, and
    // scaled up (`--sequential-sample 0` skips it).
    let sample = arg("--sequential-sample", 20).min(accounts);
    for (parallelism, only) in [(parallelism, accounts), (1, sample)] {
        if only == 0 {
            continue;
        }
        service.reset_counts();
        let mut args: Vec<String> = [
            "plan",
            "--detailed-exitcode",
            "--parallelism",
            &parallelism.to_string(),
            "--account-rps",
            &client_rps.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if only < accounts {
            for i in 0..only {
                args.extend(["--account".to_owned(), account(i)]);
            }
        }
        let (_, text, ok, wall) = run(&server, dir.path(), &args);
        let wall = std::time::Duration::from_secs_f64(wall);
        assert!(ok, "no changes, no error: {text}");
        assert!(!text.contains("Throttling"), "{text}");
        let counts = service.request_counts();
        let total: u64 = counts.values().sum();
        let budgets = only * BUDGETS;
        let scaled = if only < accounts {
            format!(
                " (for all {accounts} accounts: about {:.0} s)",
                wall.as_secs_f64() * accounts as f64 / only as f64
            )
        } else {
            String::new()
        };
        println!(
            "plan {only} accounts x {BUDGETS} budgets x {NOTIFICATIONS} notifications, 50 ms latency, {rps} requests/s per account (budgetctl paced at {client_rps}), --parallelism {parallelism}: {:.1} s wall{scaled}, peak RSS {:.0} MB (the largest child so far), {total} requests ({} throttled and absorbed by retries); Terraform's provider would need {}",
            wall.as_secs_f64(),
            children_peak_rss_mb(),
            service.throttled_count(),
            budgets * (3 + NOTIFICATIONS),
        );
        println!("  requests by operation: {counts:?}");
    }
    runtime.block_on(server.shutdown()).unwrap();
}

/// `budgetctl` with `args` in `dir` against the server, off a terminal:
/// its stdout, stdout and stderr together, whether it succeeded, its wall
/// time.
fn run(
    server: &LocalServer,
    dir: &std::path::Path,
    args: &[String],
) -> (String, String, bool, f64) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_budgetctl"))
        .args(args)
        .args(["--endpoint-url", &server.url()])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        text,
        out.status.success(),
        wall,
    )
}

/// What a timed run shares: the server, the files, the accounts and the
/// pace it runs at.
struct Bench<'a> {
    server: &'a LocalServer,
    dir: &'a std::path::Path,
    accounts: usize,
    parallelism: usize,
    client_rps: usize,
    rps: u32,
}

impl Bench<'_> {
    /// `budgetctl COMMAND --format json … extra`, at the bench's
    /// parallelism and pace, against a fresh request count: its JSON, its
    /// wall time, the requests it made and the floor they set (their
    /// latency spread over the requests in flight, or an account's
    /// requests at its pace: a burst of one second's worth, then the rest
    /// at the rate), whichever is longer.
    fn timed(&self, command: &str, extra: &[&str]) -> (serde_json::Value, f64, u64, f64) {
        let service = self.server.service();
        service.reset_counts();
        let mut args: Vec<String> = [
            command,
            "--format",
            "json",
            "--parallelism",
            &self.parallelism.to_string(),
            "--account-rps",
            &self.client_rps.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let (stdout, text, ok, wall) = run(self.server, self.dir, &args);
        assert!(ok, "{command}: {text}");
        assert!(!text.contains("Throttling"), "{text}");
        let counts = service.request_counts();
        let total: u64 = counts.values().sum();
        let per_account = total as f64 / self.accounts as f64;
        let client_rps = self.client_rps as f64;
        let floor = (total as f64 * 0.050 / self.parallelism as f64)
            .max((per_account - client_rps).max(0.0) / client_rps);
        println!("  requests by operation: {counts:?}");
        (serde_json::from_str(&stdout).unwrap(), wall, total, floor)
    }

    /// How the run was paced, for the figures' lines.
    fn pace(&self) -> String {
        format!(
            "50 ms latency, {} requests/s per account (budgetctl paced at {}), --parallelism {}",
            self.rps, self.client_rps, self.parallelism
        )
    }
}

/// `budgetctl status` of every account, without history and with 12.
fn status(bench: &Bench<'_>) {
    for history in [0usize, 12] {
        let (doc, wall, total, floor) = bench.timed("status", &["--history", &history.to_string()]);
        assert_eq!(
            doc["budgets"].as_array().unwrap().len(),
            bench.accounts * BUDGETS
        );
        println!(
            "status {} accounts x {BUDGETS} budgets, --history {history}, {}: {wall:.1} s wall, floor {floor:.1} s ({:.2}x), peak RSS {:.0} MB, {total} requests ({} throttled and absorbed by retries)",
            bench.accounts,
            bench.pace(),
            wall / floor,
            children_peak_rss_mb(),
            bench.server.service().throttled_count(),
        );
    }
}

/// `budgetctl lint` of every account against a policy needing subscribers.
fn lint(bench: &Bench<'_>) {
    let (doc, wall, total, floor) = bench.timed("lint", &[]);
    assert_eq!(doc["errors"], 0, "a policy every budget keeps: {doc}");
    println!(
        "lint {} accounts x {BUDGETS} budgets x {NOTIFICATIONS} notifications (policy: budget_per_account, alerts, subscribers), {}: {wall:.1} s wall, floor {floor:.1} s ({:.2}x), peak RSS {:.0} MB (the largest child so far), {total} requests",
        bench.accounts,
        bench.pace(),
        wall / floor,
        children_peak_rss_mb(),
    );
}
