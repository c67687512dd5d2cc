//! Plan at scale. Run with `cargo bench -p budgetctl-engine --bench plan`.
//!
//! 1. Plan 1,000 budgets with 2 notifications each against budgetctl-local
//!    on loopback: the live reads plus the diff (target ≤ 1 s).
//! 2. The pure diff of 10,000 budgets against identical live state (target ≤ 20 ms).
//! 3. Plan 1,000 budgets with one budget action each: the requests are the
//!    budgets' reads, ⌈actions/100⌉ pages of DescribeBudgetActionsForAccount
//!    and one ListTagsForResource per action.
//! 4. `respond --dry-run` over 1,000 budgets with one response each, half
//!    of them over their line: the requests are DescribeBudgets pages only.

#![allow(clippy::print_stdout, clippy::print_stderr)] // figures are this target's output

use std::time::{Duration, Instant};

use budgetctl_aws::{Clients, create_budget};
use budgetctl_diff::{Live, LiveBudget, PlanScope, diff};
use budgetctl_engine::plan::{PlanOptions, plan};
use budgetctl_local::LocalOptions;
use budgetctl_spec::{Loaded, load_str};
use budgetctl_testkit::{ACCOUNT, Retries, account, local};

fn loaded(n: usize) -> Loaded {
    loaded_with(n, false)
}

/// `n` budgets with two notifications, and one budget action each when `actions`.
fn loaded_with(n: usize, actions: bool) -> Loaded {
    let mut yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - name: team-{i:05}\n    limit: {}.5\n    filters: {{Service: [\"Amazon EC2\"]}}\n    notifications:\n      - {{on: actual > 80%, to: [t{i}@example.com, \"arn:aws:sns:us-east-1:111122223333:alerts\"]}}\n      - {{on: forecasted > 100%, to: [finops@example.com]}}\n",
            100 + i
        ));
        if actions {
            yaml.push_str(&format!(
                "    actions:\n      - {{name: freeze, when: actual > 100%, apply_iam_policy: {{policy: arn:aws:iam::aws:policy/AWSDenyAll, roles: [team-{i:05}]}}, execution_role: \"arn:aws:iam::{ACCOUNT}:role/budget-actions\", to: [t{i}@example.com]}}\n"
            ));
        }
    }
    let loaded = load_str("bench.yaml", &yaml);
    assert!(!loaded.has_errors());
    loaded
}

fn stats(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "min {:.1} ms, median {:.1} ms, max {:.1} ms over {} runs",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len()
    )
}

#[tokio::main]
async fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let account = account();
    let today = chrono::Utc::now().date_naive();

    // 1. Plan 1,000 × 2 against budgetctl-local: the library call plan runs.
    let n = if quick { 50 } else { 1000 };
    let files = loaded(n);
    let desired = &files.config;
    let env = local(LocalOptions::default(), Retries::AsShipped, None).await;
    let (server, c) = (env.server, env.client);
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in desired.budgets.chunks(n.div_ceil(8)) {
        let (c, chunk) = (c.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for d in chunk {
                create_budget(&c, &d.account, &d.budget).await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let clients = Clients::from(c.clone());
    let options = PlanOptions::today(8);
    let mut times = Vec::new();
    for _ in 0..if quick { 1 } else { 5 } {
        server.service().reset_counts();
        let started = Instant::now();
        let plan = plan(&files, &clients, &PlanScope::default(), &options)
            .await
            .unwrap();
        times.push(started.elapsed());
        assert!(plan.changes.is_empty());
    }
    let requests: u64 = server.service().request_counts().values().sum();
    println!(
        "plan {n} budgets x 2 notifications against budgetctl-local: {} ({requests} requests per plan)",
        stats(times)
    );
    server.shutdown().await.unwrap();

    // 2. The pure diff of 10,000 budgets.
    let n = if quick { 500 } else { 10_000 };
    let files = loaded(n);
    let desired = &files.config;
    let live = Live {
        budgets: desired
            .budgets
            .iter()
            .map(|d| LiveBudget {
                account: d.account.clone(),
                budget: d.budget.clone(),
                last_updated: Some("2026-11-22T00:00:00Z".into()),
                spend: None,
                limit_now: None,
                alarms: Vec::new(),
                health: None,
                history: Vec::new(),
                actions: Vec::new(),
            })
            .collect(),
        unreadable: Vec::new(),
    };
    let mut times = Vec::new();
    for _ in 0..if quick { 1 } else { 20 } {
        let started = Instant::now();
        let plan = diff(desired, &live, std::slice::from_ref(&account), today);
        times.push(started.elapsed());
        assert_eq!(plan.summary.unchanged, n);
    }
    println!(
        "diff {n} budgets x 2 notifications, no changes: {}",
        stats(times)
    );

    // 3. Plan 1,000 budgets × 2 notifications × 1 action against budgetctl-local.
    let n = if quick { 50 } else { 1000 };
    let files = loaded_with(n, true);
    let env = local(LocalOptions::default(), Retries::AsShipped, None).await;
    let (server, c) = (env.server, env.client);
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in files.config.budgets.chunks(n.div_ceil(8)) {
        let (c, chunk) = (c.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for d in chunk {
                create_budget(&c, &d.account, &d.budget).await.unwrap();
                let at = budgetctl_aws::BudgetAt {
                    client: &c,
                    account: &d.account,
                    name: &d.budget.name,
                };
                for a in d.budget.actions.iter().flatten() {
                    at.create_action(a).await.unwrap();
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let clients = Clients::from(c.clone());
    let mut times = Vec::new();
    let mut counts = Default::default();
    for _ in 0..if quick { 1 } else { 5 } {
        server.service().reset_counts();
        let started = Instant::now();
        let plan = plan(&files, &clients, &PlanScope::default(), &options)
            .await
            .unwrap();
        times.push(started.elapsed());
        assert!(plan.changes.is_empty(), "{:?}", plan.changes.first());
        counts = server.service().request_counts();
    }
    let requests: u64 = counts.values().sum();
    let expected = 2 * n.div_ceil(1000) + 2 * n + n.div_ceil(100) + n;
    assert_eq!(requests as usize, expected, "{counts:?}");
    println!(
        "plan {n} budgets x 2 notifications x 1 action against budgetctl-local: {} ({requests} requests per plan = {} budget reads + {} DescribeBudgetActionsForAccount pages + {} ListTagsForResource)",
        stats(times),
        2 * n.div_ceil(1000) + 2 * n,
        counts
            .get("DescribeBudgetActionsForAccount")
            .copied()
            .unwrap_or(0),
        counts.get("ListTagsForResource").copied().unwrap_or(0),
    );
    server.shutdown().await.unwrap();

    // 4. respond --dry-run over 1,000 budgets with one response each.
    let n = if quick { 50 } else { 1000 };
    let mut yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\nbudgets:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - name: env-{i:05}\n    limit: 1000\n    responses:\n      - {{name: scale-to-zero, when: actual > 100%, service_catalog: {{region: eu-west-1, provisioned_product: env-{i:05}, action: scale-to-zero}}}}\n"
        ));
    }
    let files = load_str("respond.yaml", &yaml);
    assert!(!files.has_errors());
    let env = local(LocalOptions::default(), Retries::AsShipped, None).await;
    let (server, c) = (env.server, env.client);
    for (i, d) in files.config.budgets.iter().enumerate() {
        create_budget(&c, &d.account, &d.budget).await.unwrap();
        server
            .service()
            .seed_spend(&budgetctl_local::SpendRequest {
                account_id: ACCOUNT.into(),
                budget_name: d.budget.name.clone(),
                actual_spend: Some(if i % 2 == 0 { "1500" } else { "500" }.into()),
                forecasted_spend: None,
                history: Vec::new(),
                health_status: None,
            })
            .unwrap();
    }
    let clients = Clients::from(c.clone());
    let connection = budgetctl_aws::Connection {
        endpoint_url: Some(server.url()),
        local: true,
        ..budgetctl_aws::Connection::default()
    };
    let catalog = budgetctl_engine::respond::catalog_clients(&connection, &files.config).await;
    let options = budgetctl_engine::respond::RespondOptions {
        today,
        dry_run: true,
        wait: None,
        retry_failed: false,
    };
    let mut times = Vec::new();
    let mut counts = Default::default();
    for _ in 0..if quick { 1 } else { 5 } {
        server.service().reset_counts();
        let started = Instant::now();
        let reports =
            budgetctl_engine::respond::respond(&files.config, &clients, &catalog, &options).await;
        times.push(started.elapsed());
        let due = reports
            .iter()
            .filter(|r| r.outcome == budgetctl_engine::respond::Outcome::WouldRun)
            .count();
        assert_eq!(due, n / 2, "half are over the line");
        counts = server.service().request_counts();
    }
    let requests: u64 = counts.values().sum();
    assert_eq!(
        counts.keys().map(String::as_str).collect::<Vec<_>>(),
        ["DescribeBudgets"],
        "{counts:?}"
    );
    println!(
        "respond --dry-run over {n} budgets x 1 response against budgetctl-local: {} ({requests} requests per run, all DescribeBudgets)",
        stats(times)
    );
    server.shutdown().await.unwrap();
}
