//! The HTTP side: the Budgets JSON-1.1 protocol on `POST /`, test controls
//! under `/_local/`, start on a free port, save state, shut down cleanly.
//!
//! Durability: a change is on disk (written, flushed, renamed, directory
//! flushed) before its reply is sent. Requests that arrive while a save runs
//! share the next one, so a burst of writes costs a few saves, not one each.
//! A save that fails fails the request (InternalErrorException); the next
//! change saves everything again. The state file is locked for the server's
//! life, so two servers never write one file.

use crate::server::controls::get_faults;
use crate::server::controls::requests;
use crate::server::controls::reset;
use crate::server::controls::reset_requests;
use crate::server::controls::seed_organization;
use crate::server::controls::seed_provisioned_product;
use crate::server::controls::seed_spend;
use crate::server::controls::set_action_status;
use crate::server::controls::set_faults;
use crate::server::controls::set_record_outcome;
use crate::server::durability::compact;
use crate::server::durability::lock_state;
use crate::server::durability::persist;
use crate::server::durability::persist_or_fail;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::{ApiError, ErrorKind};
use crate::services::{Fault, Service};
use crate::store::{StateError, Store};

mod controls;
mod durability;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Address to bind; 127.0.0.1 unless asked otherwise.
    pub host: IpAddr,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// JSON file to load state from and save it to; `None` keeps it in memory.
    pub state: Option<PathBuf>,
    /// The partition served (`aws`, `aws-cn`, `aws-us-gov`, …): resource ARNs
    /// must name it, as they must on AWS.
    pub partition: String,
    /// When another process holds the state file: wait for it (a `--local`
    /// run) instead of refusing to start (`local serve`).
    pub wait_for_lock: bool,
    /// The account Service Catalog calls act in for credentials that no
    /// AssumeRole issued (Service Catalog has no AccountId parameter).
    pub account: String,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            state: None,
            partition: crate::services::budgets::DEFAULT_PARTITION.to_owned(),
            wait_for_lock: false,
            account: crate::services::sts::BASE_ACCOUNT.to_owned(),
        }
    }
}

/// Why the server could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped with an error: {0}")]
    Serve(String),
    #[error(
        "state file {path} is in use by another budgetctl-local or --local run (its lock {lock} is held); stop that one, wait for it to finish, or pass another --state"
    )]
    Locked { path: PathBuf, lock: PathBuf },
    #[error("cannot lock state file {path} ({lock}): {source}")]
    Lock {
        path: PathBuf,
        lock: PathBuf,
        source: std::io::Error,
    },
}

struct Shared {
    service: Arc<Service>,
    state_path: Option<PathBuf>,
    /// The generation of the state on disk.
    saved: std::sync::atomic::AtomicU64,
    /// Lines in the log since the last snapshot.
    logged: std::sync::atomic::AtomicUsize,
    /// One save at a time; those waiting share the next.
    saving: tokio::sync::Mutex<()>,
    /// Held while the server lives: the OS releases it however the process ends.
    _lock: Option<std::fs::File>,
    /// Budgets requests being served right now, including those whose
    /// client has gone (a killed apply): they may still write.
    in_flight: std::sync::atomic::AtomicUsize,
    /// The account Service Catalog calls act in for credentials that no
    /// AssumeRole issued (`LocalOptions::account`).
    default_account: String,
}

/// Counts one request in `Shared::in_flight` for as long as it lives,
/// however its future ends (finished, or dropped with its connection).
struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a std::sync::atomic::AtomicUsize) -> Self {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlight(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A running budgetctl-local. Dropping it stops the server; `shutdown` also
/// waits for the last save.
pub struct LocalServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), LocalError>>>,
}

impl LocalServer {
    /// Load state (a corrupt file is an error and stays untouched), bind, and serve.
    pub async fn start(options: LocalOptions) -> Result<LocalServer, LocalError> {
        let (store, lock) = match &options.state {
            Some(path) => {
                // Locked before it is read: a second run waits for the first
                // to finish and then sees its budgets.
                let lock = lock_state(path, options.wait_for_lock).await?;
                (Store::load(path)?, Some(lock))
            }
            None => (Store::default(), None),
        };
        Self::serve(store, options, lock).await
    }

    /// Serve `store` as it is (`start` checked it when it came from a file).
    async fn serve(
        store: Store,
        options: LocalOptions,
        lock: Option<std::fs::File>,
    ) -> Result<LocalServer, LocalError> {
        let shared = Arc::new(Shared {
            service: Arc::new(Service::new(store).in_partition(&options.partition)),
            state_path: options.state.clone(),
            saved: std::sync::atomic::AtomicU64::new(0),
            logged: std::sync::atomic::AtomicUsize::new(0),
            saving: tokio::sync::Mutex::new(()),
            default_account: options.account.clone(),
            _lock: lock,
            in_flight: std::sync::atomic::AtomicUsize::new(0),
        });
        let addr = SocketAddr::new(options.host, options.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| LocalError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| LocalError::Bind { addr, source })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(Arc::clone(&shared));
        let task_shared = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            // Whatever is not on disk yet (action executions that settled
            // during reads), then one snapshot for the log; a failure here is
            // the exit status.
            persist(&task_shared).await?;
            compact(&task_shared).await?;
            served.map_err(|e| LocalError::Serve(e.to_string()))
        });
        tracing::info!(%addr, "budgetctl-local listening");
        Ok(LocalServer {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The service behind the endpoint, for in-process test controls.
    pub fn service(&self) -> &Service {
        &self.shared.service
    }

    /// Stop accepting requests, finish those in flight, and save state.
    pub async fn shutdown(mut self) -> Result<(), LocalError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(|e| LocalError::Serve(e.to_string()))?,
            None => Ok(()),
        }
    }

    /// Wait until the server stops (for `budgetctl local serve`).
    pub async fn wait(mut self) -> Result<(), LocalError> {
        match self.task.take() {
            Some(task) => task.await.map_err(|e| LocalError::Serve(e.to_string()))?,
            None => Ok(()),
        }
    }

    /// A handle that stops the server when fired (e.g. on Ctrl-C).
    pub fn stopper(&mut self) -> Option<oneshot::Sender<()>> {
        self.stop.take()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", post(aws_protocol))
        .route("/_local/health", get(|| async { "ok" }))
        .route("/_local/requests", get(requests).delete(reset_requests))
        .route("/_local/reset", post(reset))
        .route("/_local/faults", get(get_faults).post(set_faults))
        .route("/_local/spend", post(seed_spend))
        .route("/_local/actions", post(set_action_status))
        .route(
            "/_local/provisioned-products",
            post(seed_provisioned_product),
        )
        .route("/_local/records", post(set_record_outcome))
        .route("/_local/organization", post(seed_organization))
        .with_state(shared)
}

fn json_response(status: StatusCode, body: &Value, error_type: Option<&str>) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Some(t) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert("x-amzn-errortype", t);
    }
    response
}

fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, &e.body(), Some(e.kind.type_name()))
}

fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("local-{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn aws_protocol(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let organizations = target.strip_prefix(crate::services::organizations::TARGET_PREFIX);
    let (api, operation) = match target.strip_prefix(crate::CATALOG_TARGET_PREFIX) {
        Some(op) => (Api::ServiceCatalog, op.to_owned()),
        None if organizations.is_some() => (
            Api::Organizations,
            organizations.unwrap_or_default().to_owned(),
        ),
        None => (
            Api::Budgets,
            target
                .strip_prefix(crate::TARGET_PREFIX)
                .unwrap_or(target)
                .to_owned(),
        ),
    };
    // SNS (awsQuery, signed for `sns`): the topics lint checks.
    if target.is_empty()
        && crate::services::sts::is_query(&body)
        && signature(&headers).is_some_and(crate::services::sns::is_sns)
    {
        let response = sns_query(&shared, &headers, &body);
        tracing::info!(
            operation = format!("sns:{}", crate::services::sts::Sessions::action_of(&body)),
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
        return response;
    }
    // STS (awsQuery: a form, no X-Amz-Target) for per-account roles.
    if target.is_empty() && crate::services::sts::is_query(&body) {
        let response = sts_query(&shared, &headers, &body);
        tracing::info!(
            operation = format!("sts:{}", crate::services::sts::Sessions::action_of(&body)),
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
        return response;
    }
    let response = {
        let _counted = InFlight::enter(&shared.in_flight);
        handle(&shared, &headers, api, &operation, &body).await
    };
    tracing::info!(
        operation = %operation,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// The SigV4 `Authorization` header, if the request is signed.
fn signature(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("AWS4-HMAC-SHA256"))
}

fn sts_query(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let request_id = request_id();
    let action = crate::services::sts::Sessions::action_of(body);
    shared.service.count(&format!("sts:{action}"));
    let result = match signature(headers) {
        Some(authorization) => shared.service.sessions().query(body, authorization),
        None => Err(crate::services::sts::StsError {
            status: 403,
            code: "MissingAuthenticationToken",
            message: "Request is missing Authentication Token".into(),
        }),
    };
    let (status, xml) = match result {
        Ok(xml) => (StatusCode::OK, xml),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.to_xml(&request_id),
        ),
    };
    let mut response = (status, xml).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}

/// One SNS query, as the account the signing credentials act in and in
/// the region they are signed for.
fn sns_query(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let request_id = request_id();
    let action = crate::services::sts::Sessions::action_of(body);
    shared.service.count(&format!("sns:{action}"));
    let authorization = signature(headers).unwrap_or_default();
    let account = shared
        .service
        .sessions()
        .account_of(authorization, crate::services::sts::BASE_ACCOUNT);
    let region = crate::services::sts::signed_region(authorization).unwrap_or("us-east-1");
    let result = shared
        .service
        .sns_query(body, &account, region, &request_id);
    let (status, xml) = match result {
        Ok(xml) => (StatusCode::OK, xml),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.to_xml(&request_id).replace(
                "https://sts.amazonaws.com/doc/2011-06-15/",
                "http://sns.amazonaws.com/doc/2010-03-31/",
            ),
        ),
    };
    let mut response = (status, xml).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}

/// Which service a JSON-protocol request is for, by its `X-Amz-Target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Budgets,
    ServiceCatalog,
    Organizations,
}

/// A JSON body, `{}` when empty.
fn json_input(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(ApiError::new(
            ErrorKind::Serialization,
            "The request body is not a JSON object",
        )),
    }
}

/// One JSON-protocol request, Budgets or Service Catalog: the signature
/// check, counters, fault injection and latency, the operation (Budgets: its
/// AccountId authorised for the caller; Service Catalog: in the account the
/// credentials act in and the region signed for), the save, and the lost
/// answer.
async fn handle(
    shared: &Shared,
    headers: &HeaderMap,
    api: Api,
    operation: &str,
    body: &[u8],
) -> Response {
    // Any SigV4 signature is accepted, but a request must carry one.
    let Some(authorization) = signature(headers) else {
        return error_response(&ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Missing Authentication Token",
        ));
    };
    let (known, service_name) = match api {
        Api::Budgets => (crate::shapes::MODEL.has_operation(operation), "Budgets"),
        Api::ServiceCatalog => (
            crate::shapes::SERVICE_CATALOG.has_operation(operation),
            "Service Catalog",
        ),
        // No model of Organizations is kept: the four operations served.
        Api::Organizations => (
            crate::services::organizations::OPERATIONS.contains(&operation),
            "Organizations",
        ),
    };
    if operation.is_empty() || !known {
        return error_response(&ApiError::new(
            ErrorKind::UnknownOperation,
            format!("X-Amz-Target names no {service_name} operation: {operation:?}"),
        ));
    }
    let service = &shared.service;
    service.count(operation);
    let (fault, latency_ms) = service.draw_fault(operation);
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    match fault {
        Fault::Throttle => {
            return error_response(&ApiError::new(ErrorKind::Throttling, "Rate exceeded"));
        }
        Fault::InternalError => {
            return error_response(&ApiError::new(
                ErrorKind::InternalError,
                "An internal error occurred (injected by budgetctl-local).",
            ));
        }
        Fault::None | Fault::Lost => {}
    }
    let input = match json_input(body) {
        Ok(v) => v,
        Err(e) => return error_response(&e),
    };
    if api == Api::Budgets
        && let Err(e) = service.authorize(authorization, operation, &input)
    {
        return error_response(&e);
    }
    // Each account's own rate: the account a Budgets call names, or the
    // one a Service Catalog call acts in.
    let account = match api {
        Api::Budgets => input["AccountId"].as_str().unwrap_or_default().to_owned(),
        Api::ServiceCatalog | Api::Organizations => service
            .sessions()
            .account_of(authorization, &shared.default_account),
    };
    if !service.take_token(&account) {
        service.count_throttled();
        return error_response(&ApiError::new(ErrorKind::Throttling, "Rate exceeded"));
    }
    let run = || match api {
        Api::Budgets => service.call(operation, &input),
        Api::ServiceCatalog => {
            let caller = crate::services::catalog::Caller {
                account: service
                    .sessions()
                    .account_of(authorization, &shared.default_account),
                region: crate::services::sts::signed_region(authorization)
                    .unwrap_or("us-east-1")
                    .to_owned(),
            };
            let result = service.catalog_call(operation, &input, &caller);
            if result.is_ok() {
                service.applied(operation);
            }
            result
        }
        Api::Organizations => {
            service.organizations_call(operation, &input, &account, &shared.default_account)
        }
    };
    // A panic in an operation is a bug of budgetctl-local; the client gets
    // an InternalErrorException, never a closed connection.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|_| {
        tracing::error!(operation, "the operation panicked");
        Err(ApiError::new(
            ErrorKind::InternalError,
            format!("budgetctl-local failed on {operation}: this is a bug of budgetctl-local"),
        ))
    });
    if let Err(e) = persist_or_fail(shared).await {
        return error_response(&e);
    }
    match result {
        _ if fault == Fault::Lost => error_response(&ApiError::new(
            ErrorKind::InternalError,
            "An internal error occurred after the request was carried out (injected by budgetctl-local).",
        )),
        Ok(output) => json_response(StatusCode::OK, &output, None),
        Err(e) => error_response(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ARCHITECTURE.md: a server started with the defaults binds 127.0.0.1
    /// on a free port: two at once get two ports.
    #[tokio::test]
    async fn servers_bind_loopback_on_a_free_port() {
        let a = LocalServer::start(LocalOptions::default()).await.unwrap();
        let b = LocalServer::start(LocalOptions::default()).await.unwrap();
        for addr in [a.addr(), b.addr()] {
            assert!(addr.ip().is_loopback(), "{addr}");
            assert_ne!(addr.port(), 0);
            assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
        }
        assert_ne!(a.addr().port(), b.addr().port());
        a.shutdown().await.unwrap();
        b.shutdown().await.unwrap();
    }

    /// ARCHITECTURE.md: a test that drops its server, without calling
    /// `shutdown`, leaves nothing listening on its port.
    #[tokio::test]
    async fn dropping_a_server_stops_it() {
        let server = LocalServer::start(LocalOptions::default()).await.unwrap();
        let addr = server.addr();
        assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
        drop(server);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "{addr} still accepts connections after its server was dropped"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A store the load check would refuse, served anyway: an operation that
    /// meets it answers InternalErrorException instead of dropping the
    /// connection.
    #[tokio::test]
    async fn a_panicking_operation_answers_internal_error() {
        let mut store = Store::default();
        let entry = serde_json::json!({
            "budget": 5, "notifications": [], "tags": {}
        });
        store
            .accounts
            .entry("111122223333".into())
            .or_default()
            .budgets
            .insert("b".into(), serde_json::from_value(entry).unwrap());
        let server = LocalServer::serve(store, LocalOptions::default(), None)
            .await
            .unwrap();
        let response = handle(
            &server.shared,
            &HeaderMap::from_iter([(
                axum::http::header::AUTHORIZATION,
                "AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/budgets/aws4_request, SignedHeaders=host, Signature=0"
                    .parse()
                    .unwrap(),
            )]),
            Api::Budgets,
            "DescribeBudget",
            br#"{"AccountId":"111122223333","BudgetName":"b"}"#,
        )
        .await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
