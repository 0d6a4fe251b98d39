//! The calling user.

use axum::Json;
use iam_core::id::SubjectId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
    let SubjectId::User(id) = caller.subject else {
        return Err(ApiError::forbidden(format!(
            "`/v1/me` is for users; the caller `{}` is not a user",
            caller.subject
        )));
    };
    let user = caller.tenant.get_user(id).await?;
    Ok(Json(user_dto(&caller, user).await?))
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
        .routes(routes!(my_permissions))
}
