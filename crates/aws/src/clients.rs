//! The Budgets client: credentials and endpoint from the standard AWS chain,
//! signed for us-east-1, with the SDK's adaptive retries.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_budgets::config::SharedCredentialsProvider;
use budgetctl_model::AccountId;

use crate::error::AwsError;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_budgets::Client;
use aws_sdk_budgets::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_budgets::config::{Credentials, Region};

/// Budgets is a global service: requests are signed for us-east-1 (ARCHITECTURE.md, reconciler rule 11).
pub const BUDGETS_SIGNING_REGION: &str = "us-east-1";

/// The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`, …), as
/// the SDK's endpoint resolution decides it: the `regionRegex` of each
/// partition in the partitions table the SDK embeds (aws-sdk-budgets
/// `endpoint_lib`), plus each partition's global pseudo-region. The one
/// place budgetctl knows partitions; budget ARNs are built from it.
pub fn partition(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    for (prefix, partition) in PREFIXES {
        if region.starts_with(prefix) || region == format!("{partition}-global") {
            return partition;
        }
    }
    "aws"
}

/// The partition a client's calls go to, from the region it signs for.
pub fn client_partition(client: &Client) -> &'static str {
    partition(
        client
            .config()
            .region()
            .map_or(BUDGETS_SIGNING_REGION, |r| r.as_ref()),
    )
}

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
    /// Requests per second to each account, client side, when reading
    /// (`None`: no limit, the SDK's adaptive retries alone). AWS documents
    /// no rate for Budgets (its ThrottlingException names only "the maximum
    /// allowed API request throttling limit for the account"): an
    /// organisation sets it at or under its accounts' limit, so that many
    /// accounts read at once are never throttled.
    pub account_rps: Option<NonZeroU32>,
    /// Requests per second across every account of the run, client side,
    /// when reading (`None`: no limit): `--max-rps`.
    pub max_rps: Option<NonZeroU32>,
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
    budgets_client(&sdk_config(connection).await, None)
}

/// Budgets clients per account: where an account has a role
/// (`accounts.<id>.role`), its calls are signed with that role's session
/// credentials, obtained through STS AssumeRole with the base credentials
/// (and refreshed before they expire); other accounts use the base client.
#[derive(Debug, Clone)]
pub struct Clients {
    base: Client,
    by_account: HashMap<String, Client>,
    /// Requests per second to each account, client side (`None`: no limit).
    account_rps: Option<NonZeroU32>,
    /// Each account's limiter, made on first use.
    /// Shared by the clones: one rate per account, whoever reads it.
    limiters: Arc<Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>>,
    /// The limiter of every request read, whatever its account (`None`
    /// without `max_rps`).
    total: Option<Arc<DefaultDirectRateLimiter>>,
}

impl From<Client> for Clients {
    /// One client for every account, with no client-side rate limit.
    fn from(base: Client) -> Self {
        Clients {
            base,
            by_account: HashMap::new(),
            account_rps: None,
            limiters: Arc::default(),
            total: None,
        }
    }
}

impl Clients {
    /// The base client, and one per role in `roles` (account id → role ARN).
    /// Nothing is called yet: each role is assumed on its client's first call.
    pub async fn new(connection: &Connection, roles: &BTreeMap<AccountId, String>) -> Clients {
        let sdk = sdk_config(connection).await;
        let by_account = role_providers(&sdk, roles)
            .await
            .into_iter()
            .map(|(account, provider)| (account, budgets_client(&sdk, Some(provider))))
            .collect();
        Clients {
            base: budgets_client(&sdk, None),
            by_account,
            account_rps: connection.account_rps,
            limiters: Arc::default(),
            total: connection
                .max_rps
                .map(|rps| Arc::new(RateLimiter::direct(Quota::per_second(rps)))),
        }
    }

    /// The limiter every read of the run shares (`None` without a rate).
    pub fn total_limiter(&self) -> Option<Arc<DefaultDirectRateLimiter>> {
        self.total.clone()
    }

    /// The limiter of requests to `account` (`None` without a rate).
    pub fn limiter(&self, account: &AccountId) -> Option<Arc<DefaultDirectRateLimiter>> {
        let rps = self.account_rps?;
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        Some(Arc::clone(
            limiters
                .entry(account.as_str().to_owned())
                .or_insert_with(|| Arc::new(RateLimiter::direct(Quota::per_second(rps)))),
        ))
    }

    /// The client that reaches `account`.
    pub fn for_account(&self, account: impl AsRef<str>) -> &Client {
        self.by_account.get(account.as_ref()).unwrap_or(&self.base)
    }
}

/// A credentials provider per account role (`accounts.<id>.role`), each
/// assuming its role through STS with the base credentials of `sdk`.
pub(crate) async fn role_providers(
    sdk: &SdkConfig,
    roles: &BTreeMap<AccountId, String>,
) -> HashMap<String, SharedCredentialsProvider> {
    let mut providers = HashMap::new();
    for (account, role) in roles {
        let provider = AssumeRoleProvider::builder(role)
            .session_name(ROLE_SESSION_NAME)
            .configure(sdk)
            .build()
            .await;
        providers.insert(
            account.as_str().to_owned(),
            SharedCredentialsProvider::new(provider),
        );
    }
    providers
}

/// The account the base credentials of `connection` belong to
/// (STS GetCallerIdentity).
pub async fn caller_account(connection: &Connection) -> Result<AccountId, AwsError> {
    let sdk = sdk_config(connection).await;
    // Errors are about no account yet: they name the one AWS documents.
    let unknown = AccountId::parse("000000000000").expect("twelve digits");
    let who = aws_sdk_sts::Client::new(&sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(&unknown, "GetCallerIdentity", e))?;
    who.account()
        .and_then(AccountId::parse)
        .ok_or_else(|| AwsError {
            kind: crate::error::ErrorKind::Refused,
            account: unknown,
            operation: "GetCallerIdentity",
            code: None,
            message: "STS answered without an account id".to_owned(),
        })
}

/// The session name roles are assumed with; CloudTrail shows it.
pub const ROLE_SESSION_NAME: &str = "budgetctl";

/// The SDK configuration every client of a run is built from.
pub(crate) async fn sdk_config(connection: &Connection) -> SdkConfig {
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
        .http_client(shared_http_client())
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
    loader.load().await
}

/// The HTTP client every SDK client built from one [`sdk_config`] shares
/// (every account's Budgets client, and the STS client of each role): one
/// connection pool and one TLS configuration (rustls with aws-lc and the
/// platform's roots, proxies from the environment), made as the SDK's
/// default is. Left to itself, each SDK client makes its own on its first
/// request. Not one per process: pooled connections belong to the tokio
/// runtime that opened them.
fn shared_http_client() -> aws_sdk_budgets::config::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// A refused connection is final: nothing listens at the endpoint, and
/// retrying with backoff only makes the user wait (44 s with the defaults)
/// for the same answer. Throttling, timeouts and 5xx are still retried.
#[derive(Debug)]
struct RefusedIsFinal;

impl aws_sdk_budgets::config::retry::ClassifyRetry for RefusedIsFinal {
    fn classify_retry(
        &self,
        ctx: &aws_sdk_budgets::config::interceptors::InterceptorContext,
    ) -> aws_sdk_budgets::config::retry::RetryAction {
        use aws_sdk_budgets::config::retry::RetryAction;
        match ctx.output_or_error() {
            Some(Err(e))
                if e.as_connector_error().is_some_and(|c| {
                    crate::error::caused_by(c, crate::error::is_connection_refused)
                }) =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "budgetctl: connection refused is final"
    }

    // RetryForbidden overrides what any other classifier decides, so the
    // default priority will do.
}

/// Logs every attempt of every Budgets call at debug level (target
/// `budgetctl::aws`): the operation, the account, the HTTP status and how
/// long it took. Never a header or a credential: only what is named here.
#[derive(Debug)]
struct RequestLog;

#[derive(Debug, Clone)]
struct Attempt {
    started: std::time::Instant,
    operation: String,
    account: String,
}

impl aws_smithy_types::config_bag::Storable for Attempt {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

impl aws_sdk_budgets::config::Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "budgetctl request log"
    }

    fn read_before_attempt(
        &self,
        context: &aws_sdk_budgets::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_budgets::config::RuntimeComponents,
        cfg: &mut aws_sdk_budgets::config::ConfigBag,
    ) -> Result<(), aws_sdk_budgets::error::BoxError> {
        let request = context.request();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("?")
            .to_owned();
        let account = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
            .and_then(|v| v.get("AccountId")?.as_str().map(str::to_owned))
            .unwrap_or_default();
        cfg.interceptor_state().store_put(Attempt {
            started: std::time::Instant::now(),
            operation,
            account,
        });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &aws_sdk_budgets::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _components: &aws_sdk_budgets::config::RuntimeComponents,
        cfg: &mut aws_sdk_budgets::config::ConfigBag,
    ) -> Result<(), aws_sdk_budgets::error::BoxError> {
        if let Some(a) = cfg.load::<Attempt>() {
            let status = context.response().map(|r| r.status().as_u16());
            tracing::debug!(
                target: "budgetctl::aws",
                operation = %a.operation,
                account = %a.account,
                status = ?status,
                ms = a.started.elapsed().as_millis() as u64,
                "request"
            );
        }
        Ok(())
    }
}

fn budgets_client(sdk: &SdkConfig, credentials: Option<SharedCredentialsProvider>) -> Client {
    let mut config = aws_sdk_budgets::config::Builder::from(sdk)
        .retry_partition(
            RetryPartition::custom("budgetctl")
                .token_bucket(TokenBucket::new(RETRY_QUOTA))
                .build(),
        )
        .interceptor(RequestLog)
        .retry_classifier(RefusedIsFinal);
    if let Some(credentials) = credentials {
        config = config.credentials_provider(credentials);
    }
    Client::from_conf(config.build())
}

#[cfg(test)]
mod tests {
    use super::partition;
    use aws_sdk_budgets::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};

    #[test]
    fn partitions_follow_the_regions_prefix() {
        for (region, expected) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("aws-global", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("cn-north-1", "aws-cn"),
            ("aws-cn-global", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(partition(region), expected, "{region}");
        }
    }

    /// The SDK resolves China regions to the aws-cn endpoint: the same
    /// decision `partition` makes.
    #[tokio::test]
    async fn the_sdk_sends_china_regions_to_the_china_endpoint() {
        async fn resolve(region: &str) -> String {
            let params = Params::builder().region(region).build().unwrap();
            let resolver = DefaultResolver::new();
            let endpoint = ResolveEndpoint::resolve_endpoint(&resolver, &params).await;
            endpoint.unwrap().url().to_owned()
        }
        assert_eq!(
            resolve("cn-northwest-1").await,
            "https://budgets.amazonaws.com.cn"
        );
        assert_eq!(partition("cn-northwest-1"), "aws-cn");
        assert_eq!(resolve("us-east-1").await, "https://budgets.amazonaws.com");
        assert_eq!(partition("us-east-1"), "aws");
    }
}
