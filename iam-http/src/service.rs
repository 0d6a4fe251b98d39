//! Service endpoints: liveness, readiness and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use iam_core::store::{Namespace, RecordKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ProblemKind};
use crate::openapi::{ServiceErrors, openapi_document};
use crate::signing::SIGNING_KEY_KIND;
use crate::state::AppState;

/// The body of the health endpoints.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HealthDto {
    /// `ok`.
    pub status: String,
}

/// Returns 200 while the process is up.
#[utoipa::path(
    get, path = "/healthz", tag = "service",
    responses((status = 200, description = "The process is up", body = HealthDto))
)]
async fn healthz() -> Json<HealthDto> {
    Json(HealthDto {
        status: "ok".to_owned(),
    })
}

/// Returns 200 while the store can be read, else 503.
#[utoipa::path(
    get, path = "/readyz", tag = "service",
    responses((status = 200, description = "The store is reachable", body = HealthDto),
        (status = 503, description = "The store is not reachable", body = crate::error::Problem, content_type = "application/problem+json"))
)]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<HealthDto>> {
    let key = RecordKey::new(Namespace::Global, SIGNING_KEY_KIND, "current");
    state.iam().store().get(&key).await.map_err(|error| {
        ApiError::new(ProblemKind::Unavailable, "the store is not reachable").with_cause(error)
    })?;
    Ok(Json(HealthDto {
        status: "ok".to_owned(),
    }))
}

/// Returns this OpenAPI 3.1 document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"), ServiceErrors)
)]
async fn openapi_json() -> ApiResult<Response> {
    let body = openapi_document().to_json().map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(openapi_json))
}
