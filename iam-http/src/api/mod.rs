//! The `/v1` REST surface, one module per API area.

pub mod actions;
pub mod audit;
pub mod claims;
pub mod clients;
pub mod domains;
pub mod invitations;
pub mod me;
pub mod policies;
pub mod roles;
pub mod scim;
pub mod scopes;
pub mod sso;
pub mod subjects;
pub mod users;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::etag;

/// Returns 201 with `Location` and no body.
pub(crate) fn created_empty(location: &str) -> ApiResult<Response> {
    let mut response = StatusCode::CREATED.into_response();
    insert_location(&mut response, location)?;
    Ok(response)
}

/// Returns 201 with `Location` and `body`.
pub(crate) fn created_with<T: Serialize>(location: &str, body: &T) -> ApiResult<Response> {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    insert_location(&mut response, location)?;
    Ok(response)
}

fn insert_location(response: &mut Response, location: &str) -> ApiResult<()> {
    let value = HeaderValue::from_str(location).map_err(ApiError::internal)?;
    response.headers_mut().insert(header::LOCATION, value);
    Ok(())
}

/// Returns 200 with `body` and `ETag: "<version>"`.
pub(crate) fn with_etag<T: Serialize>(version: u64, body: &T) -> ApiResult<Response> {
    let mut response = axum::Json(body).into_response();
    let value = HeaderValue::from_str(&etag(version)).map_err(ApiError::internal)?;
    response.headers_mut().insert(header::ETAG, value);
    Ok(response)
}

/// Runs blocking work, such as Argon2id hashing, on the blocking thread pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    Ok(tokio::task::spawn_blocking(work).await?)
}
