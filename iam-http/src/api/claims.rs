//! Claims of users: typed values that are emitted into the user's tokens.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use iam_core::claim::UserClaim;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::created_with;
use crate::api::users::parse_user_id;
use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::openapi::{ReadErrors, WriteErrors};
use crate::state::AppState;

/// A claim of a user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaimDto {
    /// The claim's number, unique in the tenant.
    pub claim_id: u64,
    /// The id of the user it belongs to.
    pub user_id: String,
    /// The claim type, such as `department`.
    pub claim_type: String,
    /// The value.
    pub claim_value: String,
}

impl From<UserClaim> for ClaimDto {
    fn from(claim: UserClaim) -> Self {
        ClaimDto {
            claim_id: claim.claim_id,
            user_id: claim.user_id.to_string(),
            claim_type: claim.claim_type,
            claim_value: claim.claim_value,
        }
    }
}

/// The body of claim creation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimInputDto {
    /// The claim type: 1 to 256 characters.
    pub claim_type: String,
    /// The value: at most 4,096 characters.
    pub claim_value: String,
}

fn parse_claim_id(text: &str) -> ApiResult<u64> {
    text.parse::<u64>()
        .map_err(|_| ApiError::field("claimId", format!("`{text}` is not a claim number")))
}

/// Lists the claims of a user, ordered by claim id.
#[utoipa::path(
    get, path = "/v1/users/{userId}/claims", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`")),
    responses((status = 200, description = "The user's claims", body = Vec<ClaimDto>), ReadErrors)
)]
async fn list_user_claims(
    caller: Caller,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<ClaimDto>>> {
    caller.require("user", Access::Read).await?;
    let claims = caller
        .tenant
        .list_user_claims(parse_user_id(&user_id)?)
        .await?;
    Ok(Json(claims.into_iter().map(ClaimDto::from).collect()))
}

/// Adds a claim to a user.
#[utoipa::path(
    post, path = "/v1/users/{userId}/claims", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`")),
    request_body = ClaimInputDto,
    responses((status = 201, description = "The claim was added", body = ClaimDto,
        headers(("Location" = String, description = "The claim's URL"))), WriteErrors)
)]
async fn add_user_claim(
    caller: Caller,
    Path(user_id): Path<String>,
    ApiJson(input): ApiJson<ClaimInputDto>,
) -> ApiResult<Response> {
    caller.require("user", Access::Write).await?;
    let claim = caller
        .tenant
        .add_user_claim(
            parse_user_id(&user_id)?,
            &input.claim_type,
            &input.claim_value,
        )
        .await?;
    let location = format!("/v1/users/{}/claims/{}", claim.user_id, claim.claim_id);
    created_with(&location, &ClaimDto::from(claim))
}

/// Deletes a claim of a user.
#[utoipa::path(
    delete, path = "/v1/users/{userId}/claims/{claimId}", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`"), ("claimId" = u64, Path, description = "The claim's number")),
    responses((status = 204, description = "The claim was deleted"), WriteErrors)
)]
async fn delete_user_claim(
    caller: Caller,
    Path((user_id, claim_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require("user", Access::Write).await?;
    caller
        .tenant
        .delete_user_claim(parse_user_id(&user_id)?, parse_claim_id(&claim_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_user_claims, add_user_claim))
        .routes(routes!(delete_user_claim))
}
