//! What budgetctl's tests and benches share, so that none keeps its own
//! copy: budgetctl-local started in process on a free port, SDK clients
//! pointed at it (budgetctl's own, or the SDK exactly as a user configures
//! it), configurations from YAML, and a plan of what is live.
//!
//! Only ever a dev-dependency (`tests/architecture.rs` checks it).
//!
//! ```
//! assert_eq!(budgetctl_testkit::account().as_str(), budgetctl_testkit::ACCOUNT);
//! ```

use std::time::Duration;

use budgetctl_aws::sdk::config::retry::RetryConfig;
use budgetctl_aws::sdk::config::{BehaviorVersion, Credentials, Region};
use budgetctl_aws::{Client, Connection, ReadScope, read_account};
use budgetctl_diff::{Plan, diff};
use budgetctl_local::{LocalOptions, LocalServer};
use budgetctl_spec::{AccountId, Config, load_str};
use chrono::NaiveDate;

/// The Budgets operations that write budgets, notifications, subscribers,
/// tags and budget actions: those apply and `budgetctl action` make.
pub const WRITE_OPERATIONS: [&str; 15] = [
    "CreateBudget",
    "UpdateBudget",
    "DeleteBudget",
    "CreateNotification",
    "UpdateNotification",
    "DeleteNotification",
    "CreateSubscriber",
    "UpdateSubscriber",
    "DeleteSubscriber",
    "TagResource",
    "UntagResource",
    "CreateBudgetAction",
    "UpdateBudgetAction",
    "DeleteBudgetAction",
    "ExecuteBudgetAction",
];

/// The account the tests declare budgets in.
pub const ACCOUNT: &str = "111122223333";

pub fn account() -> AccountId {
    AccountId::parse(ACCOUNT).expect("a 12-digit account id")
}

/// A configuration from `body` (the YAML after `version` and `defaults`),
/// with [`ACCOUNT`] as the default account; it must validate.
pub fn config(body: &str) -> Config {
    let yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\n{body}");
    let loaded = load_str("test.yaml", &yaml);
    let errors: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(!loaded.has_errors(), "{}", errors.join("\n"));
    loaded.config
}

/// budgetctl-local in process, and budgetctl's own client pointed at it.
pub struct Local {
    pub server: LocalServer,
    pub client: Client,
}

/// How the client of a [`Local`] retries.
#[derive(Debug, Clone, Copy, Default)]
pub enum Retries {
    /// budgetctl's defaults, as a run against AWS has them.
    #[default]
    AsShipped,
    /// Standard retries with 5 ms backoffs and 10 attempts: budgetctl-local's
    /// throttling is random, not by rate, so adaptive mode's rate limiter
    /// would sink to its floor and a test would measure only the wait
    /// (`Connection::standard_retries`).
    Quick,
}

/// Start budgetctl-local with `options` and connect budgetctl's client,
/// signing for `region` (us-east-1 when `None`).
pub async fn local(options: LocalOptions, retries: Retries, region: Option<&str>) -> Local {
    let server = LocalServer::start(options)
        .await
        .expect("budgetctl-local starts");
    let mut connection = Connection {
        endpoint_url: Some(server.url()),
        region: region.map(str::to_owned),
        local: true,
        ..Connection::default()
    };
    if let Retries::Quick = retries {
        connection.max_attempts = Some(10);
        connection.initial_backoff = Some(Duration::from_millis(5));
        connection.standard_retries = true;
    }
    let client = budgetctl_aws::client(&connection).await;
    Local { server, client }
}

/// The SDK exactly as a user configures it, pointed at `url`: none of
/// budgetctl's interceptors or retry settings, so a test sees the
/// service's own answers.
pub fn sdk_client(url: &str, retry: RetryConfig) -> Client {
    let config = budgetctl_aws::sdk::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDLOCAL",
            "local-secret",
            None,
            None,
            "tests",
        ))
        .endpoint_url(url)
        .retry_config(retry)
        .build();
    Client::from_conf(config)
}

/// What plan would show for [`ACCOUNT`] on `today`: read as plan reads it
/// (`ReadScope::for_config`), then diffed.
pub async fn plan_of(client: &Client, config: &Config, today: NaiveDate) -> Plan {
    let account = account();
    let scope = ReadScope::for_config(config, &account, &[]);
    let live = read_account(client, &account, &scope, 8)
        .await
        .expect("the account reads");
    diff(config, &live, &[account], today)
}
