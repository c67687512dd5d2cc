//! Errors as the Budgets service returns them: a `__type` naming the
//! exception, a `Message`, and an HTTP status.

use serde_json::json;

/// The exceptions of the Budgets API model, plus the protocol-level ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidParameter,
    NotFound,
    DuplicateRecord,
    CreationLimitExceeded,
    ResourceLocked,
    InvalidNextToken,
    ExpiredNextToken,
    AccessDenied,
    Throttling,
    InternalError,
    ServiceQuotaExceeded,
    /// The request has no SigV4 `Authorization` header.
    MissingAuthenticationToken,
    /// `X-Amz-Target` names no Budgets operation.
    UnknownOperation,
    /// The body is not a JSON object.
    Serialization,
    /// Service Catalog's exceptions.
    ResourceNotFound,
    InvalidParameters,
    InvalidState,
    DuplicateResource,
    /// Organizations' exceptions.
    InvalidInput,
    OrganizationsNotInUse,
    ParentNotFound,
}

impl ErrorKind {
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::InvalidParameter => "InvalidParameterException",
            ErrorKind::NotFound => "NotFoundException",
            ErrorKind::DuplicateRecord => "DuplicateRecordException",
            ErrorKind::CreationLimitExceeded => "CreationLimitExceededException",
            ErrorKind::ResourceLocked => "ResourceLockedException",
            ErrorKind::InvalidNextToken => "InvalidNextTokenException",
            ErrorKind::ExpiredNextToken => "ExpiredNextTokenException",
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::InternalError => "InternalErrorException",
            ErrorKind::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            ErrorKind::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::Serialization => "SerializationException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::InvalidParameters => "InvalidParametersException",
            ErrorKind::InvalidState => "InvalidStateException",
            ErrorKind::DuplicateResource => "DuplicateResourceException",
            ErrorKind::InvalidInput => "InvalidInputException",
            ErrorKind::OrganizationsNotInUse => "AWSOrganizationsNotInUseException",
            ErrorKind::ParentNotFound => "ParentNotFoundException",
        }
    }

    /// The HTTP status AWS uses for this error.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InternalError => 500,
            ErrorKind::MissingAuthenticationToken | ErrorKind::AccessDenied => 403,
            _ => 400,
        }
    }
}

/// A failed call, as it goes back on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.type_name())]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(ErrorKind::InvalidParameter, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(ErrorKind::NotFound, message)
    }

    pub fn duplicate(message: impl Into<String>) -> Self {
        ApiError::new(ErrorKind::DuplicateRecord, message)
    }

    /// The JSON body: `{"__type": "...", "Message": "..."}`.
    pub fn body(&self) -> serde_json::Value {
        json!({ "__type": self.kind.type_name(), "Message": self.message })
    }
}
