//! Apply at scale. Run with `cargo bench -p budgetctl-engine --bench apply`.
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

use budgetctl_aws::Clients;
use budgetctl_engine::apply::{ApplyOptions, Quiet, apply_plan};
use budgetctl_local::LocalOptions;
use budgetctl_spec::{Config, load_str};
use budgetctl_testkit::{ACCOUNT, Retries, local, plan_of};

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
    let options = LocalOptions {
        state,
        ..LocalOptions::default()
    };
    let env = local(options, Retries::AsShipped, None).await;
    let (server, c) = (env.server, env.client);
    let options = ApplyOptions {
        parallelism: 8,
        max_requests_per_second: None,
    };

    for (what, desired) in [
        ("creates", config(n, 100, "a@example.com", "finops")),
        ("updates", config(n, 150, "b@example.com", "platform")),
    ] {
        let p = plan_of(&c, &desired, chrono::Utc::now().date_naive()).await;
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
        let after = plan_of(&c, &desired, chrono::Utc::now().date_naive()).await;
        assert!(!after.has_changes());
    }
    server.shutdown().await.unwrap();
}
