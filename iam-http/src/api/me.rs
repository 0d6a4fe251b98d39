//! The calling user.

use axum::Json;
use iam_core::id::{SubjectId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::claims::ClaimDto;
use crate::api::policies::{PermissionDto, permissions_of};
use crate::api::users::{UserDto, user_dto};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi::ReadErrors;
use crate::state::AppState;

/// Returns the calling user. Any authenticated user may read itself; a client caller
/// gets 403.
#[utoipa::path(
    get, path = "/v1/me", tag = "me",
    responses((status = 200, description = "The calling user", body = UserDto), ReadErrors)
)]
async fn get_me(caller: Caller) -> ApiResult<Json<UserDto>> {
    let id = calling_user(&caller, "/v1/me")?;
    let user = caller.tenant.get_user(id).await?;
    Ok(Json(user_dto(&caller, user).await?))
}

/// Returns the calling user's claims, ordered by claim id. Any authenticated user may
/// read its own; a client caller gets 403.
#[utoipa::path(
    get, path = "/v1/me/claims", tag = "me",
    responses((status = 200, description = "The calling user's claims", body = Vec<ClaimDto>), ReadErrors)
)]
async fn my_claims(caller: Caller) -> ApiResult<Json<Vec<ClaimDto>>> {
    let id = calling_user(&caller, "/v1/me/claims")?;
    let claims = caller.tenant.list_user_claims(id).await?;
    Ok(Json(claims.into_iter().map(ClaimDto::from).collect()))
}

/// Returns the caller's user id, or 403 naming `path` when the caller is not a user.
fn calling_user(caller: &Caller, path: &str) -> ApiResult<UserId> {
    match caller.subject {
        SubjectId::User(id) => Ok(id),
        other => Err(ApiError::forbidden(format!(
            "`{path}` is for users; the caller `{other}` is not a user"
        ))),
    }
}

/// Returns the caller's effective permissions, as for subjects. Any authenticated
/// caller may read its own.
#[utoipa::path(
    get, path = "/v1/me/permissions", tag = "me",
    responses((status = 200, description = "The caller's effective permissions", body = Vec<PermissionDto>), ReadErrors)
)]
async fn my_permissions(caller: Caller) -> ApiResult<Json<Vec<PermissionDto>>> {
    let subject = caller.subject;
    Ok(Json(permissions_of(&caller, &subject).await?))
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(my_claims))
        .routes(routes!(my_permissions))
}
