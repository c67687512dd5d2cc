//! The `/_local/` controls: request counters, reset, faults, seeded spend,
//! budget action statuses, Service Catalog's provisioned products and
//! records, and the organisation Organizations answers about.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::server::durability::persist_or_fail;
use crate::server::{Shared, error_response, json_response};
use crate::{ActionStatusRequest, ApiError, Faults, SpendRequest};

/// The most a control's body may hold: axum's default for a body read
/// whole (2 MiB), said in the refusal so a seed knows to shrink.
pub const CONTROL_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A control's JSON body. Its refusals are answered in JSON as every other
/// refusal is (axum's own are plain text): a body too large (naming the
/// limit), one that cannot be read, or one not JSON of the control's shape.
pub(super) struct ControlJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ControlJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let body = Bytes::from_request(request, state).await.map_err(|e| {
            let status = e.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "the body is larger than the {CONTROL_BODY_LIMIT} bytes a /_local/ control takes: seed in several requests"
                )
            } else {
                e.body_text()
            };
            json_response(
                status,
                &json!({ "__type": "InvalidParameterException", "Message": message }),
                Some("InvalidParameterException"),
            )
        })?;
        serde_json::from_slice(&body)
            .map(ControlJson)
            .map_err(|e| error_response(&ApiError::invalid(e.to_string())))
    }
}

/// What a control changed, saved before it is answered with `answer`.
async fn saved<T>(
    shared: &Shared,
    done: Result<T, ApiError>,
    answer: impl FnOnce(T) -> Response,
) -> Response {
    match done {
        Ok(value) => match persist_or_fail(shared).await {
            Ok(()) => answer(value),
            Err(e) => error_response(&e),
        },
        Err(e) => error_response(&e),
    }
}

fn no_content(_: ()) -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    let counts = shared.service.request_counts();
    let total: u64 = counts.values().sum();
    let applied = shared.service.applied_counts();
    let callers = shared.service.sessions().callers();
    let in_flight = shared.in_flight.load(std::sync::atomic::Ordering::SeqCst);
    axum::Json(json!({
        "counts": counts,
        "total": total,
        "applied": applied,
        "callers": callers,
        "in_flight": in_flight,
        "throttled": shared.service.throttled_count(),
    }))
    .into_response()
}

pub(super) async fn reset_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.service.reset_counts();
    StatusCode::NO_CONTENT
}

pub(super) async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.service.reset();
    match persist_or_fail(&shared).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error_response(&e),
    }
}

pub(super) async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.service.faults()).into_response()
}

pub(super) async fn set_faults(
    State(shared): State<Arc<Shared>>,
    ControlJson(f): ControlJson<Faults>,
) -> Response {
    if ![f.throttle, f.error, f.lost]
        .iter()
        .all(|p| (0.0..=1.0).contains(p))
    {
        return error_response(&ApiError::invalid(
            "throttle, error and lost are probabilities from 0 to 1",
        ));
    }
    shared.service.set_faults(f);
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn seed_spend(
    State(shared): State<Arc<Shared>>,
    ControlJson(request): ControlJson<SpendRequest>,
) -> Response {
    saved(&shared, shared.service.seed_spend(&request), no_content).await
}

pub(super) async fn set_action_status(
    State(shared): State<Arc<Shared>>,
    ControlJson(request): ControlJson<ActionStatusRequest>,
) -> Response {
    let done = shared.service.set_action_status(&request);
    saved(&shared, done, |action| axum::Json(action).into_response()).await
}

pub(super) async fn seed_provisioned_product(
    State(shared): State<Arc<Shared>>,
    ControlJson(request): ControlJson<crate::ProvisionedProductRequest>,
) -> Response {
    let done = shared.service.seed_provisioned_product(&request);
    saved(&shared, done, no_content).await
}

pub(super) async fn set_record_outcome(
    State(shared): State<Arc<Shared>>,
    ControlJson(request): ControlJson<crate::RecordOutcomeRequest>,
) -> Response {
    let done = shared.service.set_record_outcome(&request);
    saved(&shared, done, no_content).await
}

pub(super) async fn seed_organization(
    State(shared): State<Arc<Shared>>,
    ControlJson(request): ControlJson<crate::OrganizationRequest>,
) -> Response {
    let done = shared
        .service
        .seed_organization(&request, &shared.default_account);
    saved(&shared, done, no_content).await
}
