//! budgetctl-local's throughput on loopback through the real SDK:
//! CreateBudget, DescribeBudgets pages of 1,000 and UpdateBudget calls, in
//! memory and with a state file.
//! Run with `cargo bench -p budgetctl-local --bench throughput`.

#![allow(clippy::print_stdout, clippy::print_stderr)] // figures are this target's output

use std::time::{Duration, Instant};

use aws_sdk_budgets::types::{Budget, BudgetType, Spend, TimeUnit};
use budgetctl_local::{LocalOptions, LocalServer};

use budgetctl_testkit::ACCOUNT;

fn budget(i: usize, amount: &str) -> Budget {
    Budget::builder()
        .budget_name(format!("bench-{i:05}"))
        .budget_type(BudgetType::Cost)
        .time_unit(TimeUnit::Monthly)
        .budget_limit(Spend::builder().amount(amount).unit("USD").build().unwrap())
        .build()
        .unwrap()
}

/// Run `calls` calls of `op` over `concurrency` tasks; returns the wall time.
async fn concurrently<F, Fut>(calls: usize, concurrency: usize, op: F) -> Duration
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let op = op.clone();
        tasks.spawn(async move {
            let mut i = worker;
            while i < calls {
                op(i).await;
                i += concurrency;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let budgets = if quick { 200 } else { 5_000 };
    // In memory, and with a state file: what saving every acknowledged write
    // before its reply costs.
    let dir = tempfile::tempdir().unwrap();
    for state in [None, Some(dir.path().join("state.json"))] {
        let label = if state.is_some() {
            "state file"
        } else {
            "in memory"
        };
        println!("budgetctl-local, {label}:");
        run(quick, budgets, state).await;
    }
}

async fn run(quick: bool, budgets: usize, state: Option<std::path::PathBuf>) {
    let server = LocalServer::start(LocalOptions {
        state,
        ..LocalOptions::default()
    })
    .await
    .unwrap();
    let client = budgetctl_testkit::sdk_client(
        &server.url(),
        aws_sdk_budgets::config::retry::RetryConfig::standard(),
    );

    let c = client.clone();
    let took = concurrently(budgets, 8, move |i| {
        let c = c.clone();
        async move {
            c.create_budget()
                .account_id(ACCOUNT)
                .budget(budget(i, "100"))
                .send()
                .await
                .unwrap();
        }
    })
    .await;
    println!(
        "CreateBudget: {budgets} calls, 8 concurrent: {:.0} ms, {:.0} calls/s",
        took.as_secs_f64() * 1000.0,
        budgets as f64 / took.as_secs_f64()
    );

    let rounds = if quick { 2 } else { 10 };
    let mut pages = Vec::new();
    for _ in 0..rounds {
        let mut token = None;
        loop {
            let started = Instant::now();
            let page = client
                .describe_budgets()
                .account_id(ACCOUNT)
                .max_results(1000)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            pages.push(started.elapsed());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    pages.sort();
    println!(
        "DescribeBudgets, pages of 1,000 over {budgets} budgets: {} pages, median {:.1} ms, max {:.1} ms per page",
        pages.len(),
        pages[pages.len() / 2].as_secs_f64() * 1000.0,
        pages[pages.len() - 1].as_secs_f64() * 1000.0
    );

    let updates = budgets;
    let c = client.clone();
    let took = concurrently(updates, 8, move |i| {
        let c = c.clone();
        async move {
            c.update_budget()
                .account_id(ACCOUNT)
                .new_budget(budget(i, "200"))
                .send()
                .await
                .unwrap();
        }
    })
    .await;
    println!(
        "UpdateBudget: {updates} calls, 8 concurrent: {:.0} ms, {:.0} calls/s",
        took.as_secs_f64() * 1000.0,
        updates as f64 / took.as_secs_f64()
    );
    server.shutdown().await.unwrap();
}
