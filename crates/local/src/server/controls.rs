//! The `/_local/` controls: request counters, reset, faults, seeded spend,
//! budget action statuses, Service Catalog's provisioned products and
//! records, and the organisation Organizations answers about.

use super::*;
use axum::extract::rejection::BytesRejection;

/// The most a control's body may hold: axum's default for a body read
/// whole (2 MiB), said in the refusal so a seed knows to shrink.
pub const CONTROL_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A control's body, or its refusal answered in JSON as every other
/// refusal is (axum's own is plain text): too large, or not readable.
fn control_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Box<Response>> {
    body.map_err(|e| {
        let status = e.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the body is larger than the {CONTROL_BODY_LIMIT} bytes a /_local/ control takes: seed in several requests"
            )
        } else {
            e.body_text()
        };
        Box::new(json_response(
            status,
            &json!({ "__type": "InvalidParameterException", "Message": message }),
            Some("InvalidParameterException"),
        ))
    })
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
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match control_body(body) {
        Ok(body) => body,
        Err(refused) => return *refused,
    };
    match serde_json::from_slice::<Faults>(&body) {
        Ok(f)
            if [f.throttle, f.error, f.lost]
                .iter()
                .all(|p| (0.0..=1.0).contains(p)) =>
        {
            shared.service.set_faults(f);
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(_) => error_response(&ApiError::invalid(
            "throttle, error and lost are probabilities from 0 to 1",
        )),
        Err(e) => error_response(&ApiError::invalid(e.to_string())),
    }
}

pub(super) async fn seed_spend(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match control_body(body) {
        Ok(body) => body,
        Err(refused) => return *refused,
    };
    let request: SpendRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_response(&ApiError::invalid(e.to_string())),
    };
    match shared.service.seed_spend(&request) {
        Ok(()) => match persist_or_fail(&shared).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => error_response(&e),
        },
        Err(e) => error_response(&e),
    }
}

pub(super) async fn set_action_status(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match control_body(body) {
        Ok(body) => body,
        Err(refused) => return *refused,
    };
    let request: ActionStatusRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_response(&ApiError::invalid(e.to_string())),
    };
    match shared.service.set_action_status(&request) {
        Ok(action) => match persist_or_fail(&shared).await {
            Ok(()) => axum::Json(action).into_response(),
            Err(e) => error_response(&e),
        },
        Err(e) => error_response(&e),
    }
}

pub(super) async fn seed_provisioned_product(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match control_body(body) {
        Ok(body) => body,
        Err(refused) => return *refused,
    };
    let request: crate::ProvisionedProductRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_response(&ApiError::invalid(e.to_string())),
    };
    match shared.service.seed_provisioned_product(&request) {
        Ok(()) => match persist_or_fail(&shared).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => error_response(&e),
        },
        Err(e) => error_response(&e),
    }
}

pub(super) async fn set_record_outcome(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match control_body(body) {
        Ok(body) => body,
        Err(refused) => return *refused,
    };
    let request: crate::RecordOutcomeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_response(&ApiError::invalid(e.to_string())),
    };
    match shared.service.set_record_outcome(&request) {
        Ok(()) => match persist_or_fail(&shared).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => error_response(&e),
        },
        Err(e) => error_response(&e),
    }
}

pub(super) async fn seed_organization(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match control_body(body) {
        Ok(body) => body,
        Err(refused) => return *refused,
    };
    let request: crate::OrganizationRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_response(&ApiError::invalid(e.to_string())),
    };
    match shared
        .service
        .seed_organization(&request, &shared.default_account)
    {
        Ok(()) => match persist_or_fail(&shared).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => error_response(&e),
        },
        Err(e) => error_response(&e),
    }
}
