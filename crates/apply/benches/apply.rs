//! Apply at scale. Run with `cargo bench -p budgetctl-apply --bench apply`.
//!
//! Against budgetctl-local on loopback, with apply's defaults (parallelism
//! 8) and no client-side rate limit (`--max-rps 0`), so that the figures are
//! budgetctl's own cost:
//! 1. apply 1,000 creates (budgets with 2 notifications each): wall time and
//!    requests (one CreateBudget each);
//! 2. apply 1,000 updates (a new limit, one subscriber replaced, a tag
//!    changed): wall time and requests;
//!
//! each with budgetctl-local in memory and with a state file (every
//! acknowledged write saved before the reply).

#![allow(clippy::print_stdout, clippy::print_stderr)] // figures are this target's output

use std::sync::Arc;
use std::time::Instant;

use budgetctl_apply::{
    ApplyOptions, Clients, Connection, Quiet, ReadScope, apply_plan, client, read_account,
};
use budgetctl_diff::{Plan, diff};
use budgetctl_local::{LocalOptions, LocalServer};
use budgetctl_spec::{AccountId, Config, load_str};

const ACCOUNT: &str = "111122223333";

fn config(n: usize, limit: u32, subscriber: &str, owner: &str) -> Config {
    let mut yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - name: team-{i:05}\n    limit: {limit}\n    notifications:\n      - {{on: actual > 80%, to: [{subscriber}, \"arn:aws:sns:us-east-1:111122223333:alerts\"]}}\n      - {{on: forecasted > 100%, to: [finops@example.com]}}\n    tags: {{owner: {owner}}}\n"
        ));
    }
    let loaded = load_str("bench.yaml", &yaml);
    assert!(!loaded.has_errors());
    loaded.config
}

async fn plan(c: &aws_sdk_budgets::Client, desired: &Config) -> Plan {
    let account = AccountId::parse(ACCOUNT).unwrap();
    let names = || desired.budgets.iter().map(|d| d.budget.name.clone());
    let scope = ReadScope {
        managed: names().collect(),
        tagged: names().collect(),
        only: None,
        everything: false,
    };
    let live = read_account(c, &account, &scope, 8).await.unwrap();
    diff(desired, &live, &[account], chrono::Utc::now().date_naive())
}

#[tokio::main]
async fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick { 50 } else { 1000 };
    let dir = tempfile::tempdir().unwrap();
    // In memory, and with a state file: the cost of saving every
    // acknowledged write before the reply.
    for state in [None, Some(dir.path().join("state.json"))] {
        let label = if state.is_some() {
            "state file"
        } else {
            "in memory"
        };
        run(n, label, state).await;
    }
}

async fn run(n: usize, label: &str, state: Option<std::path::PathBuf>) {
    let server = LocalServer::start(LocalOptions {
        state,
        ..LocalOptions::default()
    })
    .await
    .unwrap();
    let c = client(&Connection {
        endpoint_url: Some(server.url()),
        local: true,
        ..Connection::default()
    })
    .await;
    let options = ApplyOptions {
        parallelism: 8,
        max_requests_per_second: None,
    };

    for (what, desired) in [
        ("creates", config(n, 100, "a@example.com", "finops")),
        ("updates", config(n, 150, "b@example.com", "platform")),
    ] {
        let p = plan(&c, &desired).await;
        server.service().reset_counts();
        let started = Instant::now();
        let report = apply_plan(&Clients::from(c.clone()), &p, &options, Arc::new(Quiet)).await;
        let elapsed = started.elapsed();
        assert_eq!(report.failures().count(), 0);
        assert_eq!(report.results.len(), n);
        let counts = server.service().request_counts();
        let total: u64 = counts.values().sum();
        println!(
            "apply {n} {what} ({label}): {:.0} ms wall, {total} requests ({counts:?})",
            elapsed.as_secs_f64() * 1000.0
        );
        assert!(!plan(&c, &desired).await.has_changes());
    }
    server.shutdown().await.unwrap();
}
