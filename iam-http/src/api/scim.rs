//! SCIM tokens, with which an identity provider provisions users into the tenant.

use std::fmt;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use iam_core::scim::{ScimToken, ScimTokenInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::openapi::{ReadErrors, WriteErrors};
use crate::paging::{ItemPage, ItemPageQuery};
use crate::state::AppState;

/// The body of SCIM token creation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScimTokenInputDto {
    /// The scheme of an existing SSO provider of the tenant, in any letter case.
    pub provider: String,
    /// A name for the provider shown in token lists: 1 to 200 characters.
    pub provider_display_name: String,
}

/// A new SCIM token. `token` is shown only in this response. `Debug` leaves it out.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedScimTokenDto {
    /// The token's id.
    pub id: String,
    /// The token to give to the identity provider; the server keeps only its digest.
    pub token: String,
    /// The scheme of the SSO provider, as the provider spells it.
    pub provider: String,
    /// The name shown in token lists.
    pub provider_display_name: String,
}

impl fmt::Debug for CreatedScimTokenDto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedScimTokenDto")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("provider_display_name", &self.provider_display_name)
            .finish_non_exhaustive()
    }
}

/// A SCIM token's metadata.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimTokenDto {
    /// The token's id.
    pub id: String,
    /// The scheme of the SSO provider.
    pub provider: String,
    /// The name shown in token lists.
    pub provider_display_name: String,
    /// When the token was created.
    pub created: DateTime<Utc>,
    /// When the token was last presented (to the minute), or null.
    pub last_used: Option<DateTime<Utc>>,
}

impl From<ScimToken> for ScimTokenDto {
    fn from(token: ScimToken) -> Self {
        ScimTokenDto {
            id: token.id.to_string(),
            provider: token.provider,
            provider_display_name: token.provider_display_name,
            created: token.created,
            last_used: token.last_used,
        }
    }
}

/// Creates a SCIM token for an SSO provider. The token is shown only in this response.
#[utoipa::path(
    post, path = "/v1/scim", tag = "scim",
    request_body = ScimTokenInputDto,
    responses((status = 200, description = "The token was created", body = CreatedScimTokenDto), WriteErrors)
)]
async fn create_scim_token(
    caller: Caller,
    ApiJson(input): ApiJson<ScimTokenInputDto>,
) -> ApiResult<Response> {
    caller.require("scim", Access::Write).await?;
    let (token, credential) = caller
        .tenant
        .create_scim_token(ScimTokenInput {
            provider: input.provider,
            provider_display_name: input.provider_display_name,
        })
        .await?;
    let body = CreatedScimTokenDto {
        id: token.id.to_string(),
        token: credential.expose_secret().to_owned(),
        provider: token.provider,
        provider_display_name: token.provider_display_name,
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Lists the SCIM tokens, ordered by creation time. No item contains a token.
#[utoipa::path(
    get, path = "/v1/scim", tag = "scim",
    params(ItemPageQuery),
    responses((status = 200, description = "One page of SCIM tokens", body = ItemPage<ScimTokenDto>), ReadErrors)
)]
async fn list_scim_tokens(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(query): ApiQuery<ItemPageQuery>,
) -> ApiResult<Json<ItemPage<ScimTokenDto>>> {
    caller.require("scim", Access::Read).await?;
    let page = caller.tenant.list_scim_tokens(&query.request()).await?;
    Ok(Json(ItemPage::new(&state, &uri, page, ScimTokenDto::from)))
}

/// Deletes a SCIM token; it stops working at once.
#[utoipa::path(
    delete, path = "/v1/scim/{id}", tag = "scim",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "The token was deleted"), WriteErrors)
)]
async fn delete_scim_token(caller: Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    caller.require("scim", Access::Write).await?;
    let id = Uuid::try_parse(&id)
        .map_err(|_| ApiError::field("id", format!("`{id}` is not a valid SCIM token id")))?;
    caller.tenant.delete_scim_token(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_scim_token, list_scim_tokens))
        .routes(routes!(delete_scim_token))
}
