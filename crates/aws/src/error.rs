//! The one classifier of AWS SDK errors. Every call budgetctl makes, read or
//! write, turns its `SdkError` into an [`AwsError`] here, with a typed
//! [`ErrorKind`] that apply settles lost answers by and the cli chooses its
//! hints by; nothing above this crate looks at error codes or message text.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_budgets::config::http::HttpResponse;
use aws_sdk_budgets::error::{ProvideErrorMetadata, SdkError};
use budgetctl_model::AccountId;

/// What kind of failure a call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// ThrottlingException after every retry.
    Throttled,
    /// AccessDeniedException: the caller may not make this call.
    AccessDenied,
    /// NotFoundException: what the call reads, changes or deletes is not there.
    NotFound,
    /// DuplicateRecordException: what the call would create exists.
    Duplicate,
    /// CreationLimitExceededException: a quota of the account or budget.
    LimitExceeded,
    /// InvalidParameterException: the service refused a value.
    InvalidParameter,
    /// ResourceLockedException: a budget action is in progress; AWS takes
    /// no change until it settles. Service Catalog's InvalidStateException
    /// (the provisioned product is busy) too.
    Locked,
    /// No credentials: the role could not be assumed, or the base
    /// credentials could not be found.
    Credentials,
    /// The endpoint refused the connection: nothing listens there, and the
    /// request was never sent.
    Unreachable,
    /// No answer, or a 5xx: the service may or may not have acted.
    Ambiguous,
    /// Any other refusal of the service, or a request that could not be built.
    Refused,
}

/// A call that failed, naming the account and the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub kind: ErrorKind,
    pub account: AccountId,
    pub operation: &'static str,
    /// The service's error code, when it answered with one.
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let AwsError {
            account,
            operation,
            message,
            ..
        } = self;
        match self.kind {
            ErrorKind::AccessDenied => {
                write!(
                    f,
                    "access denied in account {account} ({operation}): {message}"
                )
            }
            ErrorKind::Throttled => write!(
                f,
                "AWS kept throttling {operation} in account {account} after every retry: {message}"
            ),
            ErrorKind::Unreachable => write!(
                f,
                "cannot reach the Budgets endpoint for account {account} ({operation}): connection refused"
            ),
            ErrorKind::Credentials => write!(
                f,
                "cannot get credentials for account {account} ({operation}): {message}"
            ),
            _ => write!(f, "{operation} failed in account {account}: {message}"),
        }
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    /// The error as a write reports it: the service's code and message
    /// (`CreationLimitExceededException: …`), or what went wrong on the way.
    pub fn brief(&self) -> String {
        match &self.code {
            Some(code) => format!("{code}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// Classify what the SDK returned for `operation` in `account`.
    pub fn from_sdk<E: ProvideErrorMetadata + std::error::Error + 'static>(
        account: &AccountId,
        operation: &'static str,
        e: SdkError<E, HttpResponse>,
    ) -> Self {
        let kind = kind_of(&e);
        let code = match &e {
            SdkError::ServiceError(_) => e.code().map(str::to_owned),
            _ => None,
        };
        let message = match (&e, e.message()) {
            (SdkError::ServiceError(_), Some(m)) => m.to_owned(),
            (SdkError::DispatchFailure(failure), _) if kind == ErrorKind::Credentials => failure
                .as_connector_error()
                .map(|c| error_chain(c))
                .unwrap_or_else(|| error_chain(&e)),
            _ => aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
        };
        AwsError {
            kind,
            account: account.clone(),
            operation,
            code,
            message,
        }
    }
}

fn kind_of<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: &SdkError<E, HttpResponse>,
) -> ErrorKind {
    match e {
        SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
            Some(c) if caused_by(c, is_connection_refused) => ErrorKind::Unreachable,
            Some(c) if is_credentials_failure(c) => ErrorKind::Credentials,
            _ => ErrorKind::Ambiguous,
        },
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => ErrorKind::Ambiguous,
        SdkError::ServiceError(service) => match e.code() {
            Some("ThrottlingException") => ErrorKind::Throttled,
            Some("AccessDeniedException") => ErrorKind::AccessDenied,
            // Budgets' codes, and Service Catalog's for the same kinds.
            Some("NotFoundException" | "ResourceNotFoundException") => ErrorKind::NotFound,
            Some("DuplicateRecordException" | "DuplicateResourceException") => ErrorKind::Duplicate,
            Some("CreationLimitExceededException" | "LimitExceededException") => {
                ErrorKind::LimitExceeded
            }
            Some("InvalidParameterException" | "InvalidParametersException") => {
                ErrorKind::InvalidParameter
            }
            Some("ResourceLockedException" | "InvalidStateException") => ErrorKind::Locked,
            _ if service.raw().status().is_server_error() => ErrorKind::Ambiguous,
            _ => ErrorKind::Refused,
        },
        _ if caused_by(e, is_credentials_error) => ErrorKind::Credentials,
        _ => ErrorKind::Refused,
    }
}

/// Whether any error of the chain from `e` passes `test`.
pub(crate) fn caused_by(
    e: &(dyn std::error::Error + 'static),
    test: fn(&(dyn std::error::Error + 'static)) -> bool,
) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        if test(err) {
            return true;
        }
        next = err.source();
    }
    false
}

/// A refused TCP connection.
pub(crate) fn is_connection_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
}

fn is_credentials_error(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<CredentialsError>().is_some()
}

/// The credential providers' own error anywhere in the chain. The SDK's
/// identity cache reports a provider that never answered only as text (its
/// timeout error type is private), hence the one message looked for.
fn is_credentials_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    caused_by(e, is_credentials_error) || error_chain(e).contains("identity resolver timed out")
}

/// Each error of a chain once, outermost first, without the Debug dump the
/// SDK's own context printer appends.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}
