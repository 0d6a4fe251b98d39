//! SSO identity providers of the tenant.
//!
//! The client secret in a provider's properties is write-only: it is encrypted at rest,
//! never returned, and `properties.hasClientSecret` states whether one is stored.

use std::fmt;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use iam_core::sso::{SsoProperties, SsoProvider, SsoProviderInput, SsoProviderType};
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

/// The read-only member of `properties` in responses, ignored in request bodies so that
/// a client can send back what it read.
const HAS_CLIENT_SECRET: &str = "hasClientSecret";

/// An SSO provider in lists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SsoProviderSummaryDto {
    /// The provider's id: a positive integer.
    pub id: u64,
    /// The name that sign-in requests use, unique in the tenant case-insensitively.
    pub scheme: String,
    /// The name shown to users.
    pub display_name: String,
    /// Whether the provider is in use.
    pub enabled: bool,
    /// The sign-in protocol, `oidc`.
    #[serde(rename = "type")]
    pub protocol: String,
    /// The provider type of the path `/v1/sso/{type}/{id}`: `azuread`, `custom`,
    /// `google` or `signicat`.
    pub provider_type: String,
}

impl From<SsoProvider> for SsoProviderSummaryDto {
    fn from(provider: SsoProvider) -> Self {
        SsoProviderSummaryDto {
            id: provider.id,
            provider_type: provider.provider_type().as_str().to_owned(),
            scheme: provider.scheme,
            display_name: provider.display_name,
            enabled: provider.enabled,
            protocol: provider.protocol.as_str().to_owned(),
        }
    }
}

/// An SSO provider with its properties.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SsoProviderDto {
    /// The provider's id: a positive integer.
    pub id: u64,
    /// The name that sign-in requests use, unique in the tenant case-insensitively.
    pub scheme: String,
    /// The name shown to users.
    pub display_name: String,
    /// Whether the provider is in use.
    pub enabled: bool,
    /// The sign-in protocol, `oidc`.
    #[serde(rename = "type")]
    pub protocol: String,
    /// The provider type of the path: `azuread`, `custom`, `google` or `signicat`.
    pub provider_type: String,
    /// The properties of the provider type, without `clientSecret`, with
    /// `hasClientSecret` telling whether a client secret is stored.
    #[schema(value_type = Object)]
    pub properties: serde_json::Value,
}

impl SsoProviderDto {
    fn new(provider: &SsoProvider) -> ApiResult<Self> {
        Ok(SsoProviderDto {
            id: provider.id,
            scheme: provider.scheme.clone(),
            display_name: provider.display_name.clone(),
            enabled: provider.enabled,
            protocol: provider.protocol.as_str().to_owned(),
            provider_type: provider.provider_type().as_str().to_owned(),
            properties: provider.properties_json()?,
        })
    }
}

/// The body of provider creation and update. `Debug` leaves out the properties, which
/// may contain the client secret.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SsoProviderInputDto {
    /// The name that sign-in requests use: 1 to 64 of `A-Z`, `a-z`, `0-9`, `_` and `-`,
    /// unique in the tenant case-insensitively.
    pub scheme: String,
    /// The name shown to users: 1 to 200 characters.
    pub display_name: String,
    /// Whether the provider is in use.
    pub enabled: bool,
    /// The sign-in protocol: `oidc`.
    #[serde(rename = "type")]
    pub protocol: String,
    /// The properties of the provider type. `loginEnabled`, `visible`,
    /// `delegationEnabled`, `autoProvisioningEnabled` and `clientId` are required.
    /// `clientSecret` is write-only: on update, a missing or null value keeps the stored
    /// secret and an empty string removes it.
    #[schema(value_type = Object)]
    pub properties: serde_json::Value,
}

impl fmt::Debug for SsoProviderInputDto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoProviderInputDto")
            .field("scheme", &self.scheme)
            .field("display_name", &self.display_name)
            .field("enabled", &self.enabled)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl SsoProviderInputDto {
    fn into_input(self, provider_type: SsoProviderType) -> ApiResult<SsoProviderInput> {
        let mut properties = self.properties;
        let serde_json::Value::Object(object) = &mut properties else {
            // Serde's type error would quote the value, which may be a secret.
            return Err(ApiError::field("properties", "must be a JSON object"));
        };
        object.remove(HAS_CLIENT_SECRET);
        Ok(SsoProviderInput {
            scheme: self.scheme,
            display_name: self.display_name,
            enabled: self.enabled,
            protocol: self.protocol,
            properties: SsoProperties::from_json(provider_type, properties)?,
        })
    }
}

/// A link to an operation on a created resource.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkDto {
    /// The relation: `self`, `update` or `delete`.
    pub rel: String,
    /// The path of the resource.
    pub href: String,
    /// The HTTP method of the operation.
    pub method: String,
}

/// Parses the `{type}` path segment; an unknown type is 404, like an unknown path.
fn parse_type(text: &str) -> ApiResult<SsoProviderType> {
    SsoProviderType::parse(text).ok_or_else(|| {
        ApiError::not_found(format!(
            "unknown SSO provider type `{text}`; expected `azuread`, `custom`, `google` or `signicat`"
        ))
    })
}

/// Parses the `{id}` path segment: a positive integer.
fn parse_id(text: &str) -> ApiResult<u64> {
    text.parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::field("id", format!("`{text}` is not a positive integer")))
}

fn provider_path(provider_type: SsoProviderType, id: u64) -> String {
    format!("/v1/sso/{provider_type}/{id}")
}

/// Lists the SSO providers of every type, ordered by scheme.
#[utoipa::path(
    get, path = "/v1/sso", tag = "sso",
    params(ItemPageQuery),
    responses((status = 200, description = "One page of SSO providers", body = ItemPage<SsoProviderSummaryDto>), ReadErrors)
)]
async fn list_sso_providers(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(query): ApiQuery<ItemPageQuery>,
) -> ApiResult<Json<ItemPage<SsoProviderSummaryDto>>> {
    caller.require("sso", Access::Read).await?;
    let page = caller.tenant.list_sso_providers(&query.request()).await?;
    Ok(Json(ItemPage::new(
        &state,
        &uri,
        page,
        SsoProviderSummaryDto::from,
    )))
}

/// Creates an SSO provider of `{type}`. The response lists links to read, update and
/// delete it.
#[utoipa::path(
    post, path = "/v1/sso/{type}", tag = "sso",
    params(("type" = String, Path, description = "`azuread`, `custom`, `google` or `signicat`")),
    request_body = SsoProviderInputDto,
    responses((status = 201, description = "The provider was created", body = Vec<LinkDto>,
        headers(("Location" = String, description = "The provider's URL"))), WriteErrors)
)]
async fn create_sso_provider(
    caller: Caller,
    Path(provider_type): Path<String>,
    ApiJson(input): ApiJson<SsoProviderInputDto>,
) -> ApiResult<Response> {
    caller.require("sso", Access::Write).await?;
    let provider_type = parse_type(&provider_type)?;
    let input = input.into_input(provider_type)?;
    let provider = caller
        .tenant
        .create_sso_provider(provider_type, input)
        .await?;
    let path = provider_path(provider_type, provider.id);
    let links: Vec<LinkDto> = [("self", "GET"), ("update", "PUT"), ("delete", "DELETE")]
        .into_iter()
        .map(|(rel, method)| LinkDto {
            rel: rel.to_owned(),
            href: path.clone(),
            method: method.to_owned(),
        })
        .collect();
    created_with(&path, &links)
}

/// Returns one SSO provider. A provider of another type is 404.
#[utoipa::path(
    get, path = "/v1/sso/{type}/{id}", tag = "sso",
    params(("type" = String, Path, description = "The provider type"), ("id" = u64, Path, description = "The provider's id")),
    responses((status = 200, description = "The provider", body = SsoProviderDto,
        headers(("ETag" = String, description = "The provider's version"))), ReadErrors)
)]
async fn get_sso_provider(
    caller: Caller,
    Path((provider_type, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.require("sso", Access::Read).await?;
    let provider_type = parse_type(&provider_type)?;
    let provider = caller
        .tenant
        .get_sso_provider(provider_type, parse_id(&id)?)
        .await?;
    with_etag(provider.version, &SsoProviderDto::new(&provider)?)
}

/// Replaces an SSO provider's scheme, display name, enabled flag and properties. A
/// missing or null `clientSecret` keeps the stored secret, an empty string removes it.
#[utoipa::path(
    put, path = "/v1/sso/{type}/{id}", tag = "sso",
    params(("type" = String, Path, description = "The provider type"), ("id" = u64, Path, description = "The provider's id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the version to replace")),
    request_body = SsoProviderInputDto,
    responses((status = 200, description = "The provider was updated; the body is empty",
        headers(("ETag" = String, description = "The provider's new version"))), WriteErrors)
)]
async fn update_sso_provider(
    caller: Caller,
    Path((provider_type, id)): Path<(String, String)>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<SsoProviderInputDto>,
) -> ApiResult<Response> {
    caller.require("sso", Access::Write).await?;
    let provider_type = parse_type(&provider_type)?;
    let id = parse_id(&id)?;
    // A provider of another type is 404 even when the body is invalid for `{type}`.
    caller.tenant.get_sso_provider(provider_type, id).await?;
    let input = input.into_input(provider_type)?;
    let provider = caller
        .tenant
        .update_sso_provider(provider_type, id, input, if_match.expected_version())
        .await
        .map_err(|error| ApiError::from(error).with_precondition(if_match.is_given()))?;
    Ok(([(header::ETAG, etag(provider.version))], StatusCode::OK).into_response())
}

/// Deletes an SSO provider with its client secret; 409 while SCIM tokens name its scheme.
#[utoipa::path(
    delete, path = "/v1/sso/{type}/{id}", tag = "sso",
    params(("type" = String, Path, description = "The provider type"), ("id" = u64, Path, description = "The provider's id")),
    responses((status = 204, description = "The provider was deleted"), WriteErrors)
)]
async fn delete_sso_provider(
    caller: Caller,
    Path((provider_type, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require("sso", Access::Write).await?;
    let provider_type = parse_type(&provider_type)?;
    caller
        .tenant
        .delete_sso_provider(provider_type, parse_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sso_providers))
        .routes(routes!(create_sso_provider))
        .routes(routes!(
            get_sso_provider,
            update_sso_provider,
            delete_sso_provider
        ))
}
