//! Users and their tenant roles.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use iam_core::id::{SubjectId, SubjectKind, UserId};
use iam_core::user::{NewUser, User, UserUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::roles::{self, RoleDto};
use crate::api::{created_with, with_etag};
use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, IfMatch, etag};
use crate::openapi::{ReadErrors, WriteErrors};
use crate::paging::{ItemPage, ItemPageQuery};
use crate::state::AppState;

/// A user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    /// The user's id.
    pub id: String,
    /// The sign-in name.
    pub user_name: String,
    /// The e-mail address.
    pub email: String,
    /// The phone number in E.164 form, or null.
    pub phone_number: Option<String>,
    /// Whether a second factor is enrolled.
    pub two_factor_enabled: bool,
    /// The user's tenant roles.
    pub roles: Vec<RoleDto>,
    /// The full name.
    pub full_name: String,
    /// False when the user is disabled.
    pub active: bool,
}

impl UserDto {
    /// Builds the DTO of `user` with its roles.
    pub fn new(user: User, roles: Vec<RoleDto>) -> Self {
        UserDto {
            id: user.id.to_string(),
            user_name: user.user_name,
            email: user.email,
            phone_number: user.phone_number,
            two_factor_enabled: user.two_factor_enabled,
            roles,
            full_name: user.full_name,
            active: user.active,
        }
    }
}

/// The body of a user update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserUpdateDto {
    /// The full name: at most 256 characters, may be empty.
    pub full_name: String,
    /// The phone number in E.164 form (`+4712345678`), or null to remove it.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// False disables the user: checks deny and its tokens stop working.
    pub active: bool,
}

/// The query of direct user creation.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CreateUserQuery {
    /// The e-mail address; its domain must be confirmed for the tenant.
    pub email: Option<String>,
    /// The full name.
    pub full_name: Option<String>,
    /// The phone number in E.164 form.
    pub phone_number: Option<String>,
}

pub(crate) fn parse_user_id(text: &str) -> ApiResult<UserId> {
    match SubjectId::parse_of_kind(SubjectKind::User, "userId", text)? {
        SubjectId::User(id) => Ok(id),
        _ => Err(ApiError::field(
            "userId",
            format!("`{text}` is not a user id"),
        )),
    }
}

/// Returns the DTO of `user` with its roles.
pub(crate) async fn user_dto(caller: &Caller, user: User) -> ApiResult<UserDto> {
    let roles = roles::roles_of(caller, &SubjectId::User(user.id)).await?;
    Ok(UserDto::new(user, roles))
}

/// Lists users, ordered by user name.
#[utoipa::path(
    get, path = "/v1/users", tag = "users",
    params(ItemPageQuery),
    responses((status = 200, description = "One page of users", body = ItemPage<UserDto>), ReadErrors)
)]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(query): ApiQuery<ItemPageQuery>,
) -> ApiResult<Json<ItemPage<UserDto>>> {
    caller.require("user", Access::Read).await?;
    let page = caller.tenant.list_users(&query.request()).await?;
    let mut dtos = Vec::with_capacity(page.items.len());
    for user in page.items.iter().cloned() {
        dtos.push(user_dto(&caller, user).await?);
    }
    let page = iam_core::paging::Page {
        items: dtos,
        page: page.page,
        page_size: page.page_size,
        total_count: page.total_count,
    };
    Ok(Json(ItemPage::new(&state, &uri, page, |dto| dto)))
}

/// Creates a user directly, without an invitation. The e-mail address's domain must be
/// registered and confirmed for the tenant, else 400 on `email`.
#[utoipa::path(
    post, path = "/v1/users/users", tag = "users",
    params(CreateUserQuery),
    responses((status = 201, description = "The user was created", body = UserDto,
        headers(("Location" = String, description = "The user's URL"))), WriteErrors)
)]
async fn create_user(
    caller: Caller,
    ApiQuery(query): ApiQuery<CreateUserQuery>,
) -> ApiResult<Response> {
    caller.require("user", Access::Write).await?;
    let Some(email) = query.email.filter(|email| !email.is_empty()) else {
        return Err(ApiError::field("email", "is required"));
    };
    let input = NewUser {
        email,
        user_name: None,
        full_name: query.full_name.unwrap_or_default(),
        phone_number: query.phone_number.filter(|phone| !phone.is_empty()),
        password_hash: None,
    };
    let user = caller
        .tenant
        .create_user_for_confirmed_domain(input)
        .await?;
    let location = format!("/v1/users/{}", user.id);
    created_with(&location, &user_dto(&caller, user).await?)
}

/// Returns one user.
#[utoipa::path(
    get, path = "/v1/users/{userId}", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`")),
    responses((status = 200, description = "The user", body = UserDto,
        headers(("ETag" = String, description = "The user's version"))), ReadErrors)
)]
async fn get_user(caller: Caller, Path(user_id): Path<String>) -> ApiResult<Response> {
    caller.require("user", Access::Read).await?;
    let user = caller.tenant.get_user(parse_user_id(&user_id)?).await?;
    let version = user.version;
    with_etag(version, &user_dto(&caller, user).await?)
}

/// Changes a user's full name, phone number and active flag.
#[utoipa::path(
    put, path = "/v1/users/{userId}", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the version to replace")),
    request_body = UserUpdateDto,
    responses((status = 200, description = "The updated user", body = UserDto,
        headers(("ETag" = String, description = "The user's new version"))), WriteErrors)
)]
async fn update_user(
    caller: Caller,
    Path(user_id): Path<String>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<UserUpdateDto>,
) -> ApiResult<Response> {
    caller.require("user", Access::Write).await?;
    let id = parse_user_id(&user_id)?;
    let update = UserUpdate {
        full_name: input.full_name,
        phone_number: input.phone_number,
        active: input.active,
    };
    let user = caller
        .tenant
        .update_user(id, update, if_match.expected_version())
        .await
        .map_err(|error| ApiError::from(error).with_precondition(if_match.is_given()))?;
    let version = user.version;
    let dto = user_dto(&caller, user).await?;
    Ok(([(header::ETAG, etag(version))], Json(dto)).into_response())
}

/// Deletes a user with its policies, memberships and role assignments.
#[utoipa::path(
    delete, path = "/v1/users/{userId}", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`")),
    responses((status = 204, description = "The user was deleted"), WriteErrors)
)]
async fn delete_user(caller: Caller, Path(user_id): Path<String>) -> ApiResult<StatusCode> {
    caller.require("user", Access::Write).await?;
    let user_id = parse_user_id(&user_id)?;
    caller.reject_self_lockout(&SubjectId::User(user_id), "delete itself")?;
    caller.tenant.delete_user(user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists the tenant roles of a user.
#[utoipa::path(
    get, path = "/v1/users/{userId}/roles", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`")),
    responses((status = 200, description = "The user's roles, ordered by name", body = Vec<RoleDto>), ReadErrors)
)]
async fn list_user_roles(
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<RoleDto>>> {
    caller.require("user", Access::Read).await?;
    let subject = SubjectId::User(parse_user_id(&user_id)?);
    Ok(Json(roles::roles_of(&caller, &subject).await?))
}

/// Assigns a tenant role to a user. Assigning `TenantAdmin` needs `TenantAdmin`.
#[utoipa::path(
    post, path = "/v1/users/{userId}/roles/{roleId}", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`"),
        ("roleId" = String, Path, description = "The role's id")),
    responses((status = 204, description = "The role is assigned"), WriteErrors)
)]
async fn assign_user_role(
    caller: Caller,
    Path((user_id, role_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let subject = SubjectId::User(parse_user_id(&user_id)?);
    roles::assign(&caller, &subject, &role_id).await
}

/// Removes a tenant role from a user.
#[utoipa::path(
    delete, path = "/v1/users/{userId}/roles/{roleId}", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`"),
        ("roleId" = String, Path, description = "The role's id")),
    responses((status = 204, description = "The role is no longer assigned"), WriteErrors)
)]
async fn unassign_user_role(
    caller: Caller,
    Path((user_id, role_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let subject = SubjectId::User(parse_user_id(&user_id)?);
    roles::unassign(&caller, &subject, &role_id).await
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(list_user_roles))
        .routes(routes!(assign_user_role, unassign_user_role))
}
