//! Shared by apply's integration tests, on top of budgetctl-testkit: a
//! budgetctl-local on a free port with budgetctl's client pointed at it
//! (quick retries), configurations from YAML, the months around today, and
//! a plan of what is live.

use budgetctl_diff::Plan;
use budgetctl_local::LocalOptions;
use budgetctl_spec::Config;
pub use budgetctl_testkit::{ACCOUNT, Local as Env, config};
use budgetctl_testkit::{Retries, local};
use chrono::{Datelike, Months, NaiveDate, Utc};

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub fn month(offset: u32) -> String {
    let first = today().with_day(1).unwrap() + Months::new(offset);
    format!("{}-{:02}", first.year(), first.month())
}

/// A fresh endpoint and a client with short backoffs (`Retries::Quick`).
pub async fn env() -> Env {
    local(LocalOptions::default(), Retries::Quick, None).await
}

/// An endpoint serving `partition`, and a client signing for `region`.
pub async fn env_in(partition: &str, region: &str) -> Env {
    let options = LocalOptions {
        partition: partition.to_owned(),
        ..LocalOptions::default()
    };
    local(options, Retries::Quick, Some(region)).await
}

pub async fn plan(env: &Env, config: &Config) -> Plan {
    budgetctl_testkit::plan_of(&env.client, config, today()).await
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
    let options = LocalOptions {
        state: Some(path),
        ..LocalOptions::default()
    };
    local(options, Retries::Quick, None).await
}
