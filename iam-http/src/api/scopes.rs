//! OAuth scopes: the built-in ones and the tenant's own.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use iam_core::oauth_scope::{OAuthScope, OAuthScopeInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{created_with, with_etag};
use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, IfMatch, etag};
use crate::openapi::{ReadErrors, WriteErrors};
use crate::paging::{ItemPage, ItemPageQuery};
use crate::state::AppState;

/// An OAuth scope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeDto {
    /// The name clients request.
    pub name: String,
    /// The name shown to people.
    pub display_name: String,
    /// A description.
    pub description: String,
    /// True for the built-in scopes, which can't be changed or deleted.
    pub built_in: bool,
}

impl From<OAuthScope> for ScopeDto {
    fn from(scope: OAuthScope) -> Self {
        ScopeDto {
            name: scope.name,
            display_name: scope.display_name,
            description: scope.description,
            built_in: scope.built_in,
        }
    }
}

/// The body of scope creation and update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScopeInputDto {
    /// The name: 1 to 200 printable ASCII characters other than space, `"` and `\`.
    /// An update must repeat the scope's name.
    pub name: String,
    /// The display name: 1 to 200 characters.
    pub display_name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
}

impl From<ScopeInputDto> for OAuthScopeInput {
    fn from(input: ScopeInputDto) -> Self {
        OAuthScopeInput {
            name: input.name,
            display_name: input.display_name,
            description: input.description,
        }
    }
}

/// Returns the path of a scope, with the name percent-encoded as one path segment.
fn scope_path(name: &str) -> ApiResult<String> {
    let mut url = url::Url::parse("http://localhost/v1/scopes").map_err(ApiError::internal)?;
    url.path_segments_mut()
        .map_err(|()| ApiError::internal("the scope URL base can't have path segments"))?
        .push(name);
    Ok(url.path().to_owned())
}

/// Lists the scopes, built-in and the tenant's own, ordered by name.
#[utoipa::path(
    get, path = "/v1/scopes", tag = "scopes",
    params(ItemPageQuery),
    responses((status = 200, description = "One page of scopes", body = ItemPage<ScopeDto>), ReadErrors)
)]
async fn list_scopes(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(query): ApiQuery<ItemPageQuery>,
) -> ApiResult<Json<ItemPage<ScopeDto>>> {
    caller.require("scope", Access::Read).await?;
    let page = caller.tenant.list_scopes(&query.request()).await?;
    Ok(Json(ItemPage::new(&state, &uri, page, ScopeDto::from)))
}

/// Creates a tenant scope.
#[utoipa::path(
    post, path = "/v1/scopes", tag = "scopes",
    request_body = ScopeInputDto,
    responses((status = 201, description = "The scope was created", body = ScopeDto,
        headers(("Location" = String, description = "The scope's URL"))), WriteErrors)
)]
async fn create_scope(
    caller: Caller,
    ApiJson(input): ApiJson<ScopeInputDto>,
) -> ApiResult<Response> {
    caller.require("scope", Access::Write).await?;
    let scope = caller.tenant.create_scope(input.into()).await?;
    created_with(&scope_path(&scope.name)?, &ScopeDto::from(scope))
}

/// Returns one scope.
#[utoipa::path(
    get, path = "/v1/scopes/{name}", tag = "scopes",
    params(("name" = String, Path, description = "The scope's name")),
    responses((status = 200, description = "The scope", body = ScopeDto,
        headers(("ETag" = String, description = "The scope's version; `\"0\"` for built-ins"))), ReadErrors)
)]
async fn get_scope(caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    caller.require("scope", Access::Read).await?;
    let scope = caller.tenant.get_scope(&name).await?;
    with_etag(scope.version, &ScopeDto::from(scope))
}

/// Changes a tenant scope's display name and description. Built-ins give 409.
#[utoipa::path(
    put, path = "/v1/scopes/{name}", tag = "scopes",
    params(("name" = String, Path, description = "The scope's name"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the version to replace")),
    request_body = ScopeInputDto,
    responses((status = 200, description = "The updated scope", body = ScopeDto,
        headers(("ETag" = String, description = "The scope's new version"))), WriteErrors)
)]
async fn update_scope(
    caller: Caller,
    Path(name): Path<String>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<ScopeInputDto>,
) -> ApiResult<Response> {
    caller.require("scope", Access::Write).await?;
    let scope = caller
        .tenant
        .update_scope(&name, input.into(), if_match.expected_version())
        .await
        .map_err(|error| ApiError::from(error).with_precondition(if_match.is_given()))?;
    let version = scope.version;
    Ok(([(header::ETAG, etag(version))], Json(ScopeDto::from(scope))).into_response())
}

/// Deletes a tenant scope. Built-ins, and scopes that clients allow, give 409.
#[utoipa::path(
    delete, path = "/v1/scopes/{name}", tag = "scopes",
    params(("name" = String, Path, description = "The scope's name")),
    responses((status = 204, description = "The scope was deleted"), WriteErrors)
)]
async fn delete_scope(caller: Caller, Path(name): Path<String>) -> ApiResult<StatusCode> {
    caller.require("scope", Access::Write).await?;
    caller.tenant.delete_scope(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_scopes, create_scope))
        .routes(routes!(get_scope, update_scope, delete_scope))
}
