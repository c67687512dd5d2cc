//! The Budgets client: credentials and endpoint from the standard AWS chain,
//! signed for us-east-1, with the SDK's adaptive retries.

use aws_config::BehaviorVersion;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_budgets::Client;
use aws_sdk_budgets::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_budgets::config::{Credentials, Region};

/// Budgets is a global service: requests are signed for us-east-1 (DESIGN rule 11).
pub const BUDGETS_SIGNING_REGION: &str = "us-east-1";

/// Where to reach Budgets and as whom.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// A named profile of the shared config files (`--profile`).
    pub profile: Option<String>,
    /// Another endpoint (`--endpoint-url`); `AWS_ENDPOINT_URL` works too.
    pub endpoint_url: Option<String>,
    /// budgetctl-local accepts any signature: sign with fixed local credentials
    /// instead of looking for real ones.
    pub local: bool,
    /// Attempts per call under throttling and transient faults.
    pub max_attempts: Option<u32>,
    /// The signing region; us-east-1 unless the partition needs another
    /// (e.g. cn-northwest-1).
    pub region: Option<String>,
    /// The first retry's backoff ceiling (the SDK's default is one second);
    /// tests against budgetctl-local's injected faults shorten it.
    pub initial_backoff: Option<Duration>,
    /// Retry without the adaptive client-side rate limiter. Adaptive mode
    /// slows down on throttling because AWS throttles by rate; faults that
    /// come at random whatever the rate (budgetctl-local's injection) would
    /// only drive it to its floor of one request every two seconds.
    pub standard_retries: bool,
}

/// How long one attempt of a call may take before it counts as lost and is
/// retried (apply settles what a lost write did by reading back).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Retry tokens of one client (a retry costs 5, a retried timeout 10, and
/// a call that succeeds returns what its retries took). The SDK's default,
/// 500 shared by the whole process, is a circuit breaker for outages; an
/// apply of thousands of budgets under normal throttling would trip it and
/// then fail calls without retrying them. Each client gets its own bucket,
/// twenty times larger.
const RETRY_QUOTA: usize = 10_000;

/// A client from the standard chain (environment, profiles, SSO, IMDS).
pub async fn client(connection: &Connection) -> Client {
    let retry = if connection.standard_retries {
        RetryConfig::standard()
    } else {
        RetryConfig::adaptive()
    };
    let mut retry = retry.with_max_attempts(connection.max_attempts.unwrap_or(8));
    if let Some(backoff) = connection.initial_backoff {
        retry = retry.with_initial_backoff(backoff);
    }
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(
            connection
                .region
                .clone()
                .unwrap_or_else(|| BUDGETS_SIGNING_REGION.to_owned()),
        ))
        .retry_config(retry)
        .timeout_config(timeouts);
    if let Some(profile) = &connection.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &connection.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if connection.local {
        loader = loader.credentials_provider(Credentials::new(
            "budgetctl-local",
            "budgetctl-local",
            None,
            None,
            "budgetctl-local",
        ));
    }
    let config = aws_sdk_budgets::config::Builder::from(&loader.load().await)
        .retry_partition(
            RetryPartition::custom("budgetctl")
                .token_bucket(TokenBucket::new(RETRY_QUOTA))
                .build(),
        )
        .build();
    Client::from_conf(config)
}
