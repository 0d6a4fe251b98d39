//! Extractors whose failures return problem details: JSON bodies, query strings and
//! `If-Match`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ProblemKind};

/// The largest accepted request body, in bytes (64 KiB), except where a route sets
/// another limit.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The deepest nesting of arrays and objects that a JSON body may have. No request type
/// nests deeper than a few levels, and the check runs before deserialization, so a
/// deeply nested body costs one linear scan and never reaches serde's recursion (whose own
/// limit is 128).
pub const MAX_JSON_DEPTH: usize = 32;

/// Request fields whose values are secret: a deserialization error on them never quotes
/// the value.
const SECRET_FIELDS: [&str; 4] = ["value", "password", "token", "clientSecret"];

/// A JSON request body. Rejects a content type other than JSON with 415, a body over
/// [`MAX_BODY_BYTES`] with 413, and malformed JSON, unknown fields and wrong types with
/// 400 naming the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(request.headers()) {
            return Err(ApiError::new(
                ProblemKind::UnsupportedMediaType,
                "the request body must have the content type `application/json`",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        ProblemKind::PayloadTooLarge,
                        "the request body is larger than this endpoint accepts (64 KiB; 1 MiB for `/v1/policies/check-batch`)",
                    )
                } else {
                    ApiError::new(ProblemKind::Validation, "the request body could not be read")
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body, naming the field of the first error.
///
/// # Errors
///
/// A 400 [`ApiError`] with the field path (or `body` for the document itself).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    check_json_depth(bytes, MAX_JSON_DEPTH)?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        if let Some(missing) = missing_field(&error.inner().to_string()) {
            let field = if path == "." {
                missing
            } else {
                format!("{path}.{missing}")
            };
            return ApiError::field(&field, "is required");
        }
        let field = if path == "." { "body".to_owned() } else { path };
        let last = field.rsplit('.').next().unwrap_or_default();
        let message = if SECRET_FIELDS.contains(&last) {
            "must be a string".to_owned()
        } else {
            error.into_inner().to_string()
        };
        ApiError::field(&field, message)
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::field("body", error.to_string()))?;
    Ok(value)
}

/// Rejects a JSON text whose arrays and objects nest deeper than `max_depth`. Brackets
/// inside strings are skipped. The scan does not validate the JSON, because the parser
/// that runs next does.
///
/// # Errors
///
/// A 400 [`ApiError`] on the field `body`.
pub fn check_json_depth(bytes: &[u8], max_depth: usize) -> Result<(), ApiError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return Err(ApiError::field(
                        "body",
                        format!("nests arrays and objects deeper than {max_depth} levels"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Returns the field that serde's "missing field `name`" message names, because serde
/// reports a missing field at the path of the object that lacks it.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

/// Returns true for `application/json` and `application/<anything>+json`, with any
/// parameters.
pub fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A query string decoded into `T`. A value of the wrong type gives a 400 naming the
/// parameter. Unknown parameters are ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let path = error.path().to_string();
                let field = if path == "." {
                    "query".to_owned()
                } else {
                    path
                };
                ApiError::field(&field, error.into_inner().to_string())
            })
    }
}

/// The `If-Match` request header, for optimistic concurrency on `PUT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// No `If-Match` header.
    Absent,
    /// `If-Match: *`, which matches any current version.
    Any,
    /// `If-Match: "<version>"`.
    Version(u64),
}

impl IfMatch {
    /// Returns the version the update must find, if any.
    pub fn expected_version(self) -> Option<u64> {
        match self {
            IfMatch::Version(version) => Some(version),
            IfMatch::Absent | IfMatch::Any => None,
        }
    }

    /// Returns true when the header was sent.
    pub fn is_given(self) -> bool {
        self != IfMatch::Absent
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch::Absent);
        };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(IfMatch::Any);
        }
        // Entity tags here are always strong, so a weak tag (`W/"3"`) never matches.
        text.strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .and_then(|version| version.parse::<u64>().ok())
            .map(IfMatch::Version)
            .ok_or_else(|| {
                ApiError::new(
                    ProblemKind::PreconditionFailed,
                    format!("`If-Match` value `{}` matches no version of this resource; send the `ETag` of a GET", text.escape_default()),
                )
            })
    }
}

/// Returns the strong entity tag of a stored version: `"<version>"`.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}
