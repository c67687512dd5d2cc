//! Shared by apply's integration tests: a budgetctl-local on a free port, the
//! real SDK client pointed at it, configurations from YAML, and a plan of
//! what is live.

use std::time::Duration;

use budgetctl_apply::{Connection, ReadScope, client, read_account};
use budgetctl_diff::{Plan, diff};
use budgetctl_local::{LocalOptions, LocalServer};
use budgetctl_spec::{AccountId, Config, load_str};
use chrono::{Datelike, Months, NaiveDate, Utc};

pub const ACCOUNT: &str = "111122223333";

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub fn month(offset: u32) -> String {
    let first = today().with_day(1).unwrap() + Months::new(offset);
    format!("{}-{:02}", first.year(), first.month())
}

pub fn config(body: &str) -> Config {
    let yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\n{body}");
    let loaded = load_str("test.yaml", &yaml);
    let errors: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(!loaded.has_errors(), "{}", errors.join("\n"));
    loaded.config
}

pub struct Env {
    pub server: LocalServer,
    pub client: aws_sdk_budgets::Client,
}

/// A fresh endpoint and a client with short backoffs. Standard retries:
/// budgetctl-local's throttling is random, not by rate, so adaptive mode's
/// rate limiter would sink to its floor and these tests would measure only
/// the wait (`Connection::standard_retries`).
pub async fn env() -> Env {
    serve(LocalOptions::default()).await
}

/// An endpoint serving `partition`, and a client signing for `region`.
pub async fn env_in(partition: &str, region: &str) -> Env {
    serve_for(
        LocalOptions {
            partition: partition.to_owned(),
            ..LocalOptions::default()
        },
        Some(region),
    )
    .await
}

async fn serve(options: LocalOptions) -> Env {
    serve_for(options, None).await
}

async fn serve_for(options: LocalOptions, region: Option<&str>) -> Env {
    let server = LocalServer::start(options).await.unwrap();
    let client = client(&Connection {
        endpoint_url: Some(server.url()),
        region: region.map(str::to_owned),
        local: true,
        max_attempts: Some(10),
        initial_backoff: Some(Duration::from_millis(5)),
        standard_retries: true,
        ..Connection::default()
    })
    .await;
    Env { server, client }
}

pub async fn plan(env: &Env, config: &Config) -> Plan {
    let account = AccountId::parse(ACCOUNT).unwrap();
    let declared = || config.budgets.iter().filter(|d| d.account == account);
    let scope = ReadScope {
        managed: declared().map(|d| d.budget.name.clone()).collect(),
        tagged: declared()
            .filter(|d| d.budget.tags.is_some())
            .map(|d| d.budget.name.clone())
            .collect(),
        only: None,
        everything: false,
    };
    let live = read_account(&env.client, &account, &scope, 8)
        .await
        .unwrap();
    diff(config, &live, &[account], today())
}

/// The same state served again after `edit` changed the stored budgets'
/// JSON, as when another tool (or a newer API) wrote values this budgetctl
/// does not know. The state file lives in `dir`.
pub async fn reopened(
    env: Env,
    dir: &std::path::Path,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Env {
    let mut state = serde_json::to_value(env.server.service().snapshot()).unwrap();
    env.server.shutdown().await.unwrap();
    edit(&mut state);
    let path = dir.join("state.json");
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    serve(LocalOptions {
        state: Some(path),
        ..LocalOptions::default()
    })
    .await
}
