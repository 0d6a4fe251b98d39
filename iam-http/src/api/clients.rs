//! OAuth clients, their secrets and their tenant roles.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use iam_core::client::{Client, ClientInput, ClientSecretInfo, NewClientSecret};
use iam_core::id::{ClientId, SubjectId};
use iam_core::secret::{ClientSecretValue, hash_secret};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::roles::{self, RoleDto};
use crate::api::{blocking, created_empty, with_etag};
use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, IfMatch, etag};
use crate::openapi::{ReadErrors, WriteErrors};
use crate::paging::{ItemPage, ItemPageQuery, PlainPageQuery};
use crate::state::AppState;

/// A client in a list. It allows no other properties, so that a list item matches exactly
/// one of the summary and the details schema.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientDto {
    /// The generated client id.
    pub client_id: String,
    /// The display name.
    pub name: String,
    /// A description.
    pub description: String,
}

/// A client with every field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientDetailsDto {
    /// The generated client id.
    pub client_id: String,
    /// The display name.
    pub name: String,
    /// A description.
    pub description: String,
    /// The grant types the client may use.
    pub allowed_grant_types: Vec<String>,
    /// The redirect URIs for `authorization_code`.
    pub redirect_uris: Vec<String>,
    /// The OAuth scopes the client may request.
    pub allowed_scopes: Vec<String>,
    /// When the client was created.
    pub created: DateTime<Utc>,
}

/// A client list item: the summary, or every field with `details=true`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ClientListItem {
    /// Every field.
    Details(ClientDetailsDto),
    /// The summary.
    Summary(ClientDto),
}

impl From<Client> for ClientDetailsDto {
    fn from(client: Client) -> Self {
        ClientDetailsDto {
            client_id: client.client_id.to_string(),
            name: client.name,
            description: client.description,
            allowed_grant_types: client
                .allowed_grant_types
                .iter()
                .map(|grant| grant.as_str().to_owned())
                .collect(),
            redirect_uris: client.redirect_uris,
            allowed_scopes: client.allowed_scopes,
            created: client.created,
        }
    }
}

impl From<Client> for ClientDto {
    fn from(client: Client) -> Self {
        ClientDto {
            client_id: client.client_id.to_string(),
            name: client.name,
            description: client.description,
        }
    }
}

/// The body of client creation and update; every field is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientInputDto {
    /// The display name: 1 to 200 characters.
    pub name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
    /// At least one of `client_credentials`, `authorization_code`, `refresh_token` and
    /// `delegation`; `password` and `implicit` are rejected as unsafe.
    pub allowed_grant_types: Vec<String>,
    /// Absolute `https` URIs without fragment, or `http` on a loopback host; required
    /// when `authorization_code` is allowed.
    pub redirect_uris: Vec<String>,
    /// Names of existing OAuth scopes.
    pub allowed_scopes: Vec<String>,
}

impl From<ClientInputDto> for ClientInput {
    fn from(input: ClientInputDto) -> Self {
        ClientInput {
            name: input.name,
            description: input.description,
            allowed_grant_types: input.allowed_grant_types,
            redirect_uris: input.redirect_uris,
            allowed_scopes: input.allowed_scopes,
        }
    }
}

/// The `details` switch of the client list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetailsQuery {
    /// Return every field of each client.
    pub details: Option<bool>,
}

/// A client secret's metadata; the value is never returned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientSecretDto {
    /// The secret's number within its client.
    pub id: u64,
    /// Always `SharedSecret`.
    #[serde(rename = "type")]
    pub secret_type: String,
    /// A description.
    pub description: String,
    /// When the secret stops being valid, or null.
    pub expiration: Option<DateTime<Utc>>,
    /// When the secret was added.
    pub created: DateTime<Utc>,
}

impl From<ClientSecretInfo> for ClientSecretDto {
    fn from(info: ClientSecretInfo) -> Self {
        ClientSecretDto {
            id: info.id,
            secret_type: "SharedSecret".to_owned(),
            description: info.description,
            expiration: info.expiration,
            created: info.created,
        }
    }
}

/// The body of secret creation. `Debug` hides the value.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientSecretInputDto {
    /// The secret: 8 to 32 characters. It is stored only as an Argon2id hash.
    pub value: String,
    /// A description (required, may be empty): at most 1,024 characters.
    pub description: String,
    /// When the secret stops being valid; must be in the future. Without it the secret
    /// never expires.
    #[serde(default)]
    pub expiration: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for ClientSecretInputDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecretInputDto")
            .field("value", &"[REDACTED]")
            .field("description", &self.description)
            .field("expiration", &self.expiration)
            .finish()
    }
}

pub(crate) fn parse_client_id(text: &str) -> ApiResult<ClientId> {
    match SubjectId::parse_of_kind(iam_core::id::SubjectKind::Client, "clientId", text)? {
        SubjectId::Client(id) => Ok(id),
        _ => Err(ApiError::field(
            "clientId",
            format!("`{text}` is not a client id"),
        )),
    }
}

/// Lists clients, ordered by name, then client id.
#[utoipa::path(
    get, path = "/v1/clients", tag = "clients",
    params(ItemPageQuery, DetailsQuery),
    responses((status = 200, description = "One page of clients", body = ItemPage<ClientListItem>), ReadErrors)
)]
async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(query): ApiQuery<ItemPageQuery>,
    ApiQuery(details): ApiQuery<DetailsQuery>,
) -> ApiResult<Json<ItemPage<ClientListItem>>> {
    caller.require("client", Access::Read).await?;
    let page = caller.tenant.list_clients(&query.request()).await?;
    let details = details.details.unwrap_or(false);
    Ok(Json(ItemPage::new(&state, &uri, page, |client| {
        if details {
            ClientListItem::Details(client.into())
        } else {
            ClientListItem::Summary(client.into())
        }
    })))
}

/// Creates a client with a generated client id.
#[utoipa::path(
    post, path = "/v1/clients", tag = "clients",
    request_body = ClientInputDto,
    responses((status = 201, description = "The client was created",
        headers(("Location" = String, description = "The client's URL"))), WriteErrors)
)]
async fn create_client(
    caller: Caller,
    ApiJson(input): ApiJson<ClientInputDto>,
) -> ApiResult<Response> {
    caller.require("client", Access::Write).await?;
    let client = caller.tenant.create_client(input.into()).await?;
    created_empty(&format!("/v1/clients/{}", client.client_id))
}

/// Returns one client with every field.
#[utoipa::path(
    get, path = "/v1/clients/{clientId}", tag = "clients",
    params(("clientId" = String, Path, description = "The client id")),
    responses((status = 200, description = "The client", body = ClientDetailsDto,
        headers(("ETag" = String, description = "The client's version"))), ReadErrors)
)]
async fn get_client(caller: Caller, Path(client_id): Path<String>) -> ApiResult<Response> {
    caller.require("client", Access::Read).await?;
    let client = caller
        .tenant
        .get_client(parse_client_id(&client_id)?)
        .await?;
    let version = client.version;
    with_etag(version, &ClientDetailsDto::from(client))
}

/// Replaces a client's fields. With `If-Match`, the update fails with 412 unless the
/// client still has that version.
#[utoipa::path(
    put, path = "/v1/clients/{clientId}", tag = "clients",
    params(("clientId" = String, Path, description = "The client id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the version to replace")),
    request_body = ClientInputDto,
    responses((status = 200, description = "The client was updated",
        headers(("ETag" = String, description = "The client's new version"))), WriteErrors)
)]
async fn update_client(
    caller: Caller,
    Path(client_id): Path<String>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<ClientInputDto>,
) -> ApiResult<Response> {
    caller.require("client", Access::Write).await?;
    let id = parse_client_id(&client_id)?;
    let client = caller
        .tenant
        .update_client(id, input.into(), if_match.expected_version())
        .await
        .map_err(|error| ApiError::from(error).with_precondition(if_match.is_given()))?;
    Ok((
        [(axum::http::header::ETAG, etag(client.version))],
        StatusCode::OK,
    )
        .into_response())
}

/// Deletes a client with its secrets, policies, memberships and role assignments.
#[utoipa::path(
    delete, path = "/v1/clients/{clientId}", tag = "clients",
    params(("clientId" = String, Path, description = "The client id")),
    responses((status = 204, description = "The client was deleted"), WriteErrors)
)]
async fn delete_client(caller: Caller, Path(client_id): Path<String>) -> ApiResult<StatusCode> {
    caller.require("client", Access::Write).await?;
    let client_id = parse_client_id(&client_id)?;
    caller.reject_self_lockout(&SubjectId::Client(client_id), "delete itself")?;
    caller.tenant.delete_client(client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a client's secrets (metadata only), ordered by id.
#[utoipa::path(
    get, path = "/v1/clients/{clientId}/secrets", tag = "clients",
    params(("clientId" = String, Path, description = "The client id"), PlainPageQuery),
    responses((status = 200, description = "One page of secrets", body = ItemPage<ClientSecretDto>), ReadErrors)
)]
async fn list_secrets(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    Path(client_id): Path<String>,
    ApiQuery(query): ApiQuery<PlainPageQuery>,
) -> ApiResult<Json<ItemPage<ClientSecretDto>>> {
    caller.require("client", Access::Read).await?;
    let id = parse_client_id(&client_id)?;
    let page = caller
        .tenant
        .list_client_secrets(id, &query.request())
        .await?;
    Ok(Json(ItemPage::new(
        &state,
        &uri,
        page,
        ClientSecretDto::from,
    )))
}

/// Adds a secret to a client. The value is hashed with Argon2id and never returned.
/// A client may have at most 20 secrets (409 beyond).
#[utoipa::path(
    post, path = "/v1/clients/{clientId}/secrets", tag = "clients",
    params(("clientId" = String, Path, description = "The client id")),
    request_body = ClientSecretInputDto,
    responses((status = 201, description = "The secret was added",
        headers(("Location" = String, description = "The secret's URL"))), WriteErrors)
)]
async fn create_secret(
    caller: Caller,
    Path(client_id): Path<String>,
    ApiJson(input): ApiJson<ClientSecretInputDto>,
) -> ApiResult<Response> {
    caller.require("client", Access::Write).await?;
    let id = parse_client_id(&client_id)?;
    let value = ClientSecretValue::new(input.value)?;
    // Fail fast for an unknown client before spending a hash on it.
    caller.tenant.get_client(id).await?;

    let iam = caller.tenant.iam().clone();
    let tag = iam.client_secret_tag(value.expose_secret().as_bytes());
    let hash =
        blocking(move || hash_secret(value.expose_secret().as_bytes(), iam.random())).await??;
    let secret = caller
        .tenant
        .add_client_secret(
            id,
            NewClientSecret {
                hash,
                description: input.description,
                expiration: input.expiration,
                tag,
            },
        )
        .await?;
    created_empty(&format!("/v1/clients/{id}/secrets/{}", secret.id))
}

/// Deletes one secret of a client; it stops working at once.
#[utoipa::path(
    delete, path = "/v1/clients/{clientId}/secrets/{clientSecretId}", tag = "clients",
    params(("clientId" = String, Path, description = "The client id"),
        ("clientSecretId" = u64, Path, description = "The secret's id")),
    responses((status = 204, description = "The secret was deleted"), WriteErrors)
)]
async fn delete_secret(
    caller: Caller,
    Path((client_id, secret_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require("client", Access::Write).await?;
    let id = parse_client_id(&client_id)?;
    let secret_id = secret_id.parse::<u64>().map_err(|_| {
        ApiError::field(
            "clientSecretId",
            format!("`{secret_id}` is not a secret id; expected a number"),
        )
    })?;
    caller.tenant.delete_client_secret(id, secret_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists the tenant roles of a client.
#[utoipa::path(
    get, path = "/v1/clients/{clientId}/roles", tag = "clients",
    params(("clientId" = String, Path, description = "The client id")),
    responses((status = 200, description = "The client's roles, ordered by name", body = Vec<RoleDto>), ReadErrors)
)]
async fn list_client_roles(
    caller: Caller,
    Path(client_id): Path<String>,
) -> ApiResult<Json<Vec<RoleDto>>> {
    caller.require("client", Access::Read).await?;
    let subject = SubjectId::Client(parse_client_id(&client_id)?);
    Ok(Json(roles::roles_of(&caller, &subject).await?))
}

/// Assigns a tenant role to a client. Assigning `TenantAdmin` needs `TenantAdmin`.
#[utoipa::path(
    post, path = "/v1/clients/{clientId}/roles/{roleId}", tag = "clients",
    params(("clientId" = String, Path, description = "The client id"),
        ("roleId" = String, Path, description = "The role's id")),
    responses((status = 204, description = "The role is assigned"), WriteErrors)
)]
async fn assign_client_role(
    caller: Caller,
    Path((client_id, role_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let subject = SubjectId::Client(parse_client_id(&client_id)?);
    roles::assign(&caller, &subject, &role_id).await
}

/// Removes a tenant role from a client.
#[utoipa::path(
    delete, path = "/v1/clients/{clientId}/roles/{roleId}", tag = "clients",
    params(("clientId" = String, Path, description = "The client id"),
        ("roleId" = String, Path, description = "The role's id")),
    responses((status = 204, description = "The role is no longer assigned"), WriteErrors)
)]
async fn unassign_client_role(
    caller: Caller,
    Path((client_id, role_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let subject = SubjectId::Client(parse_client_id(&client_id)?);
    roles::unassign(&caller, &subject, &role_id).await
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(list_secrets, create_secret))
        .routes(routes!(delete_secret))
        .routes(routes!(list_client_roles))
        .routes(routes!(assign_client_role, unassign_client_role))
}
