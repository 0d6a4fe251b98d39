//! RFC 9457 problem details: the one error type of the `/v1` API.
//!
//! Handlers return [`ApiError`]. Its response carries an `application/problem+json` body
//! with `type` (`urn:iam:problem:<code>`), `title`, `status`, `detail` and, for
//! validation failures, `errors` (field name to messages). The problem middleware
//! ([`crate::middleware`]) adds `instance` (the request path) and `requestId`, and logs
//! the cause of internal errors with the request id. Internal errors never show their
//! cause to the client.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iam_core::IamError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The kinds of problem, each with its status and `urn:iam:problem:<code>` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// 400: the request is invalid.
    Validation,
    /// 401: no valid access token.
    Unauthorized,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 404: no such object or route.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 408: the request took too long.
    Timeout,
    /// 409: the request contradicts the current state.
    Conflict,
    /// 412: `If-Match` does not match the current version.
    PreconditionFailed,
    /// 413: the body is larger than allowed.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 429: the caller sent too many requests; `Retry-After` says when to try again.
    TooManyRequests,
    /// 500: the server failed.
    Internal,
    /// 501: the feature is not available yet.
    NotImplemented,
    /// 503: a dependency, such as the store, is not reachable.
    Unavailable,
}

impl ProblemKind {
    /// Returns the HTTP status.
    pub const fn status(self) -> StatusCode {
        match self {
            ProblemKind::Validation => StatusCode::BAD_REQUEST,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::Timeout => StatusCode::REQUEST_TIMEOUT,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Returns the code that ends the problem type URN.
    pub const fn code(self) -> &'static str {
        match self {
            ProblemKind::Validation => "validation",
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Timeout => "timeout",
            ProblemKind::Conflict => "conflict",
            ProblemKind::PreconditionFailed => "precondition-failed",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::TooManyRequests => "too-many-requests",
            ProblemKind::Internal => "internal",
            ProblemKind::NotImplemented => "not-implemented",
            ProblemKind::Unavailable => "unavailable",
        }
    }

    /// Returns the short, fixed title.
    pub const fn title(self) -> &'static str {
        match self {
            ProblemKind::Validation => "Invalid request",
            ProblemKind::Unauthorized => "Unauthorized",
            ProblemKind::Forbidden => "Forbidden",
            ProblemKind::NotFound => "Not found",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::Timeout => "Request timed out",
            ProblemKind::Conflict => "Conflict",
            ProblemKind::PreconditionFailed => "Precondition failed",
            ProblemKind::PayloadTooLarge => "Payload too large",
            ProblemKind::UnsupportedMediaType => "Unsupported media type",
            ProblemKind::TooManyRequests => "Too many requests",
            ProblemKind::Internal => "Internal server error",
            ProblemKind::NotImplemented => "Not implemented",
            ProblemKind::Unavailable => "Service unavailable",
        }
    }

    /// Returns the kind of a status that a layer or the router produced by itself.
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => ProblemKind::Unauthorized,
            StatusCode::FORBIDDEN => ProblemKind::Forbidden,
            StatusCode::NOT_FOUND => ProblemKind::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ProblemKind::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => ProblemKind::Timeout,
            StatusCode::CONFLICT => ProblemKind::Conflict,
            StatusCode::PRECONDITION_FAILED => ProblemKind::PreconditionFailed,
            StatusCode::PAYLOAD_TOO_LARGE => ProblemKind::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ProblemKind::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => ProblemKind::TooManyRequests,
            StatusCode::NOT_IMPLEMENTED => ProblemKind::NotImplemented,
            StatusCode::SERVICE_UNAVAILABLE => ProblemKind::Unavailable,
            status if status.is_client_error() => ProblemKind::Validation,
            _ => ProblemKind::Internal,
        }
    }

    /// Returns the detail shown when nothing more specific is known.
    pub const fn generic_detail(self) -> &'static str {
        match self {
            ProblemKind::Validation => "the request is invalid",
            ProblemKind::Unauthorized => "a valid bearer access token is required",
            ProblemKind::Forbidden => "the caller is not allowed to perform this operation",
            ProblemKind::NotFound => "no resource exists at this path",
            ProblemKind::MethodNotAllowed => "this path does not support the request method",
            ProblemKind::Timeout => "the request took too long and was cancelled",
            ProblemKind::Conflict => "the request conflicts with the current state",
            ProblemKind::PreconditionFailed => "`If-Match` does not match the current version",
            ProblemKind::PayloadTooLarge => "the request body is larger than 64 KiB",
            ProblemKind::UnsupportedMediaType => "the request body must be `application/json`",
            ProblemKind::TooManyRequests => {
                "too many requests; wait for the seconds in `Retry-After` and try again"
            }
            ProblemKind::Internal => {
                "the server failed to handle the request; quote the request id when reporting it"
            }
            ProblemKind::NotImplemented => "this feature is not available yet",
            ProblemKind::Unavailable => "the service is not ready",
        }
    }
}

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// `urn:iam:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// The explanation of this occurrence.
    pub detail: String,
    /// The request path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id, also sent as the `x-request-id` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For validation failures: the messages by field name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

impl Problem {
    /// Creates a problem of `kind` with `detail`.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("urn:iam:problem:{}", kind.code()),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            instance: None,
            request_id: None,
            errors: None,
        }
    }
}

/// The error of every `/v1` handler, turned into a problem details response.
#[derive(Debug, Clone)]
pub struct ApiError {
    kind: ProblemKind,
    detail: String,
    errors: Option<BTreeMap<String, Vec<String>>>,
    /// The hidden cause of an internal error, logged by the problem middleware.
    cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
    /// The `WWW-Authenticate` challenge of a 401.
    challenge: Option<&'static str>,
    /// True for a conflict that comes from a stale version.
    version_mismatch: bool,
    /// The `Retry-After` seconds of a 429.
    retry_after_secs: Option<u64>,
}

impl ApiError {
    /// Creates an error of `kind` with `detail`.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            errors: None,
            cause: None,
            challenge: None,
            version_mismatch: false,
            retry_after_secs: None,
        }
    }

    /// Creates a 429 with `Retry-After: <retry_after_secs>`.
    pub fn too_many_requests(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(ProblemKind::TooManyRequests, detail)
        }
    }

    /// Creates a 400 with messages for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut errors = BTreeMap::new();
        errors.insert(field.to_owned(), vec![message.clone()]);
        Self {
            errors: Some(errors),
            ..Self::new(
                ProblemKind::Validation,
                format!("invalid `{field}`: {message}"),
            )
        }
    }

    /// Creates a 401 with the `WWW-Authenticate: Bearer` challenge. `token_given` adds
    /// `error="invalid_token"` (RFC 6750, section 3.1).
    pub fn unauthorized(detail: impl Into<String>, token_given: bool) -> Self {
        Self {
            challenge: Some(if token_given {
                r#"Bearer error="invalid_token""#
            } else {
                "Bearer"
            }),
            ..Self::new(ProblemKind::Unauthorized, detail)
        }
    }

    /// Creates a 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::Forbidden, detail)
    }

    /// Creates a 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::NotFound, detail)
    }

    /// Creates a 500 that hides `cause` from the client; the cause is logged.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            cause: Some(Arc::from(cause.into())),
            ..Self::new(
                ProblemKind::Internal,
                ProblemKind::Internal.generic_detail(),
            )
        }
    }

    /// Attaches a cause that is logged with the request id but never returned.
    pub fn with_cause(self, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            cause: Some(Arc::from(cause.into())),
            ..self
        }
    }

    /// Returns the kind.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// Returns the problem body without `instance` and `requestId`.
    pub fn problem(&self) -> Problem {
        Problem {
            errors: self.errors.clone(),
            ..Problem::new(self.kind, self.detail.clone())
        }
    }

    /// Turns a version mismatch into 412 when the caller sent `If-Match`. Without it the
    /// mismatch stays 409, because another writer won a race the caller did not know of.
    pub fn with_precondition(self, if_match_given: bool) -> Self {
        if if_match_given && self.version_mismatch {
            Self::new(ProblemKind::PreconditionFailed, self.detail)
        } else {
            self
        }
    }
}

impl From<IamError> for ApiError {
    fn from(error: IamError) -> Self {
        match &error {
            IamError::Validation(errors) => Self {
                errors: Some(errors.fields().clone()),
                ..Self::new(ProblemKind::Validation, error.to_string())
            },
            IamError::NotFound { .. } | IamError::NotFoundMany { .. } => {
                Self::new(ProblemKind::NotFound, error.to_string())
            }
            IamError::AlreadyExists { .. } | IamError::Conflict { .. } => {
                Self::new(ProblemKind::Conflict, error.to_string())
            }
            IamError::VersionMismatch { .. } => Self {
                version_mismatch: true,
                ..Self::new(ProblemKind::Conflict, error.to_string())
            },
            // The lookup error names the domain and the resolver's reason, no secret.
            IamError::Dns(_) => Self::new(
                ProblemKind::Unavailable,
                format!("{error}; the domain stays pending, try again later"),
            ),
            _ => Self::internal(error),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::internal(error)
    }
}

/// The problem and hidden cause that the problem middleware reads from a response.
#[derive(Debug, Clone)]
pub struct ProblemExtension {
    /// The body without `instance` and `requestId`.
    pub problem: Problem,
    /// The hidden cause of an internal error.
    pub cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// Builds a problem details response. The middleware rewrites the body with `instance`
/// and `requestId`; without it the body is still complete except for those two fields.
pub fn problem_response(
    problem: Problem,
    cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
        .extensions_mut()
        .insert(ProblemExtension { problem, cause });
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let mut response = problem_response(problem, self.cause);
        if let Some(challenge) = self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(seconds) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
