//! Tenant roles, and their assignment to users and clients.

use axum::Json;
use axum::extract::Path;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use iam_core::id::{RoleId, SubjectId};
use iam_core::role::{Role, RoleInput, TENANT_ADMIN};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{created_with, with_etag};
use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::openapi::{ReadErrors, WriteErrors};
use crate::paging::{ItemPage, ItemPageQuery};
use crate::state::AppState;

/// A tenant role.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleDto {
    /// The role's id.
    pub id: String,
    /// The name, unique in the tenant case-insensitively.
    pub name: String,
    /// A description.
    pub description: String,
    /// True for `TenantAdmin`, which can't be deleted.
    pub built_in: bool,
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> Self {
        RoleDto {
            id: role.id.to_string(),
            name: role.name,
            description: role.description,
            built_in: role.built_in,
        }
    }
}

/// The body of role creation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleInputDto {
    /// The name: 1 to 128 characters, unique in the tenant case-insensitively.
    pub name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
}

/// Parses a role id path parameter.
pub(crate) fn parse_role_id(text: &str) -> ApiResult<RoleId> {
    Ok(RoleId::parse("roleId", text)?)
}

/// Lists the tenant's roles, ordered by name.
#[utoipa::path(
    get, path = "/v1/roles", tag = "roles",
    params(ItemPageQuery),
    responses((status = 200, description = "One page of roles", body = ItemPage<RoleDto>), ReadErrors)
)]
async fn list_roles(
    axum::extract::State(state): axum::extract::State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(query): ApiQuery<ItemPageQuery>,
) -> ApiResult<Json<ItemPage<RoleDto>>> {
    caller.require("role", Access::Read).await?;
    let page = caller.tenant.list_roles(&query.request()).await?;
    Ok(Json(ItemPage::new(&state, &uri, page, RoleDto::from)))
}

/// Creates a role.
#[utoipa::path(
    post, path = "/v1/roles", tag = "roles",
    request_body = RoleInputDto,
    responses((status = 201, description = "The role was created", body = RoleDto,
        headers(("Location" = String, description = "The role's URL"))), WriteErrors)
)]
async fn create_role(caller: Caller, ApiJson(input): ApiJson<RoleInputDto>) -> ApiResult<Response> {
    caller.require("role", Access::Write).await?;
    let role = caller
        .tenant
        .create_role(RoleInput {
            name: input.name,
            description: input.description,
        })
        .await?;
    created_with(&format!("/v1/roles/{}", role.id), &RoleDto::from(role))
}

/// Returns one role.
#[utoipa::path(
    get, path = "/v1/roles/{roleId}", tag = "roles",
    params(("roleId" = String, Path, description = "The role's id")),
    responses((status = 200, description = "The role", body = RoleDto,
        headers(("ETag" = String, description = "The role's entity tag"))), ReadErrors)
)]
async fn get_role(caller: Caller, Path(role_id): Path<String>) -> ApiResult<Response> {
    caller.require("role", Access::Read).await?;
    let role = caller.tenant.get_role(parse_role_id(&role_id)?).await?;
    let dto = RoleDto::from(role);
    // Roles can't be changed, so a digest of the body serves as a stable version.
    let body = serde_json::to_vec(&dto).map_err(ApiError::internal)?;
    let digest = Sha256::digest(&body);
    let mut version_bytes = [0u8; 8];
    version_bytes.copy_from_slice(&digest[..8]);
    with_etag(u64::from_be_bytes(version_bytes) >> 1, &dto)
}

/// Deletes a role and every assignment of it. Built-in roles give 409.
#[utoipa::path(
    delete, path = "/v1/roles/{roleId}", tag = "roles",
    params(("roleId" = String, Path, description = "The role's id")),
    responses((status = 204, description = "The role was deleted"), WriteErrors)
)]
async fn delete_role(caller: Caller, Path(role_id): Path<String>) -> ApiResult<StatusCode> {
    caller.require("role", Access::Write).await?;
    caller.tenant.delete_role(parse_role_id(&role_id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Assigns `role_id` to `subject`. Only a `TenantAdmin` may hand out `TenantAdmin`, so
/// that `iam.role.write` can't be turned into full control of the tenant.
pub(crate) async fn assign(
    caller: &Caller,
    subject: &SubjectId,
    role_id: &str,
) -> ApiResult<StatusCode> {
    caller.require("role", Access::Write).await?;
    let role = caller.tenant.get_role(parse_role_id(role_id)?).await?;
    if role.name == TENANT_ADMIN && !caller.is_tenant_admin().await? {
        return Err(ApiError::forbidden(format!(
            "only a holder of `{TENANT_ADMIN}` may assign `{TENANT_ADMIN}`"
        )));
    }
    caller.tenant.assign_role(subject, role.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes `role_id` from `subject`.
pub(crate) async fn unassign(
    caller: &Caller,
    subject: &SubjectId,
    role_id: &str,
) -> ApiResult<StatusCode> {
    caller.require("role", Access::Write).await?;
    let role = caller.tenant.get_role(parse_role_id(role_id)?).await?;
    if role.name == TENANT_ADMIN {
        caller.reject_self_lockout(subject, &format!("remove `{TENANT_ADMIN}` from itself"))?;
    }
    caller.tenant.unassign_role(subject, role.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Returns the roles of `subject` as DTOs.
pub(crate) async fn roles_of(caller: &Caller, subject: &SubjectId) -> ApiResult<Vec<RoleDto>> {
    Ok(caller
        .tenant
        .roles_of(subject)
        .await?
        .into_iter()
        .map(RoleDto::from)
        .collect())
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, delete_role))
}
