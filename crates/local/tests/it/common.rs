//! Shared by budgetctl-local's tests: a server on a free port and the real
//! `aws-sdk-budgets` client pointed at it.

use aws_sdk_budgets::Client;
use aws_sdk_budgets::types::{
    Budget, BudgetType, ComparisonOperator, Notification, NotificationType, Spend, Subscriber,
    SubscriptionType, ThresholdType, TimeUnit,
};
use aws_smithy_types::retry::RetryConfig;
use budgetctl_local::{LocalOptions, LocalServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use budgetctl_testkit::ACCOUNT;

pub async fn server() -> LocalServer {
    LocalServer::start(LocalOptions::default())
        .await
        .expect("server starts")
}

/// The SDK exactly as a user configures it, with retries off so that each
/// test sees the service's own answer.
pub fn client(server: &LocalServer) -> Client {
    client_with_retries(server, RetryConfig::disabled())
}

pub fn client_with_retries(server: &LocalServer, retry: RetryConfig) -> Client {
    budgetctl_testkit::sdk_client(&server.url(), retry)
}

pub fn spend(amount: &str, unit: &str) -> Spend {
    Spend::builder().amount(amount).unit(unit).build().unwrap()
}

pub fn cost_budget(name: &str, amount: &str) -> Budget {
    Budget::builder()
        .budget_name(name)
        .budget_type(BudgetType::Cost)
        .time_unit(TimeUnit::Monthly)
        .budget_limit(spend(amount, "USD"))
        .build()
        .unwrap()
}

pub fn notification(threshold: f64) -> Notification {
    Notification::builder()
        .notification_type(NotificationType::Actual)
        .comparison_operator(ComparisonOperator::GreaterThan)
        .threshold(threshold)
        .threshold_type(ThresholdType::Percentage)
        .build()
        .unwrap()
}

pub fn email(address: &str) -> Subscriber {
    Subscriber::builder()
        .subscription_type(SubscriptionType::Email)
        .address(address)
        .build()
        .unwrap()
}

pub fn sns(topic: &str) -> Subscriber {
    Subscriber::builder()
        .subscription_type(SubscriptionType::Sns)
        .address(format!("arn:aws:sns:us-east-1:{ACCOUNT}:{topic}"))
        .build()
        .unwrap()
}

/// The error code (`__type`) of a failed SDK call.
pub fn code<E, R>(result: Result<impl Sized, aws_sdk_budgets::error::SdkError<E, R>>) -> String
where
    E: aws_sdk_budgets::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => "no error".to_owned(),
        Err(e) => e
            .as_service_error()
            .and_then(|s| s.code())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("not a service error: {e:?}")),
    }
}

/// The message of a failed SDK call.
pub fn message<E, R>(result: Result<impl Sized, aws_sdk_budgets::error::SdkError<E, R>>) -> String
where
    E: aws_sdk_budgets::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => String::new(),
        Err(e) => e
            .as_service_error()
            .and_then(|s| s.message())
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Seed this period's spend of a budget (the `/_local/spend` control, in process).
pub fn seed_spend(
    server: &LocalServer,
    budget: &str,
    actual: Option<&str>,
    forecasted: Option<&str>,
) {
    server
        .service()
        .seed_spend(&budgetctl_local::SpendRequest {
            account_id: ACCOUNT.into(),
            budget_name: budget.into(),
            actual_spend: actual.map(Into::into),
            forecasted_spend: forecasted.map(Into::into),
            history: vec![],
            health_status: None,
        })
        .unwrap();
}

/// Seed past periods of a budget: (start, end, budgeted, actual).
pub fn seed_history(server: &LocalServer, budget: &str, periods: &[(&str, &str, &str, &str)]) {
    server
        .service()
        .seed_spend(&budgetctl_local::SpendRequest {
            account_id: ACCOUNT.into(),
            budget_name: budget.into(),
            actual_spend: None,
            forecasted_spend: None,
            history: periods
                .iter()
                .map(
                    |(start, end, budgeted, actual)| budgetctl_local::HistoryRequest {
                        start: (*start).into(),
                        end: (*end).into(),
                        budgeted: (*budgeted).into(),
                        actual: (*actual).into(),
                    },
                )
                .collect(),
            health_status: None,
        })
        .unwrap();
}

/// A raw HTTP/1.1 exchange, for what the SDK never sends.
pub async fn http(
    server: &LocalServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}
