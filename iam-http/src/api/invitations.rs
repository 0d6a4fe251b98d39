//! Invitations: an administrator invites an e-mail address, and the invitee creates
//! their own account with the one-time token.

use std::fmt;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use iam_core::invitation::{InvitationAcceptance, InvitationStatus};
use iam_core::secret::{Password, hash_secret};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::users::UserDto;
use crate::api::{blocking, created_with};
use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::openapi::{AnonymousWriteErrors, WriteErrors};
use crate::rate_limit::{Decision, PeerAddress};
use crate::state::AppState;

/// The query of an invitation.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct InviteQuery {
    /// The invitee's e-mail address; the new user gets it.
    pub email: Option<String>,
    /// The absolute URL that the application sends the invitee to after acceptance.
    pub redirect_url: Option<String>,
}

/// A new invitation. `token` is shown only in this response; `Debug` leaves it out.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationDto {
    /// The invitation's id.
    pub id: String,
    /// The invitee's e-mail address.
    pub email: String,
    /// The URL that the application sends the invitee to after acceptance, or null.
    pub redirect_url: Option<String>,
    /// `Pending`.
    pub status: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The one-time token that the invitee presents to `POST /v1/invitations/accept`.
    pub token: String,
}

impl fmt::Debug for InvitationDto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvitationDto")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("redirect_url", &self.redirect_url)
            .field("status", &self.status)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The body of an invitation acceptance. `Debug` leaves out the token and password.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptInvitationDto {
    /// The token of the invitation.
    pub token: String,
    /// The full name: at most 256 characters, may be empty.
    #[serde(default)]
    pub full_name: String,
    /// The phone number in E.164 form (`+4712345678`), or null.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The password: 12 to 128 characters.
    pub password: String,
}

impl fmt::Debug for AcceptInvitationDto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptInvitationDto")
            .field("full_name", &self.full_name)
            .field("phone_number", &self.phone_number)
            .finish_non_exhaustive()
    }
}

fn status_name(status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Pending => "Pending",
        InvitationStatus::Accepted => "Accepted",
        InvitationStatus::Expired => "Expired",
    }
}

/// Invites an e-mail address to create an account. The token in the response is shown
/// only here; the user exists only after acceptance.
#[utoipa::path(
    post, path = "/v1/users/invite", tag = "users",
    params(InviteQuery),
    responses((status = 201, description = "The invitation was created", body = InvitationDto), WriteErrors)
)]
async fn invite_user(
    caller: Caller,
    ApiQuery(query): ApiQuery<InviteQuery>,
) -> ApiResult<Response> {
    caller.require("user", Access::Write).await?;
    let Some(email) = query.email.filter(|email| !email.is_empty()) else {
        return Err(ApiError::field("email", "is required"));
    };
    let redirect_url = query.redirect_url.filter(|url| !url.is_empty());
    let (invitation, token) = caller
        .tenant
        .invite_user(&email, redirect_url.as_deref())
        .await?;
    let body = InvitationDto {
        id: invitation.id.to_string(),
        email: invitation.email,
        redirect_url: invitation.redirect_url,
        status: status_name(invitation.status).to_owned(),
        expires_at: invitation.expires_at,
        token: token.expose_secret().to_owned(),
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Accepts an invitation: creates the user with the invitation's e-mail address and the
/// given password. Needs no access token; the invitation token names the tenant. A used,
/// expired or unknown token is 400. Each source address may send as many requests per
/// minute as the token endpoints allow it (`--token-rate-limit-per-address`), counted
/// separately; more get 429 with `Retry-After`.
#[utoipa::path(
    post, path = "/v1/invitations/accept", tag = "users",
    request_body = AcceptInvitationDto,
    responses((status = 201, description = "The user was created", body = UserDto,
        headers(("Location" = String, description = "The user's URL"))),
        (status = 429, description = "Too many requests from this address", body = crate::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next request is allowed"))),
        AnonymousWriteErrors)
)]
async fn accept_invitation(
    State(state): State<AppState>,
    peer: PeerAddress,
    ApiJson(input): ApiJson<AcceptInvitationDto>,
) -> ApiResult<Response> {
    if let Decision::Limited { retry_after_secs } =
        state.rate_limits().check_invitation_address(peer.0)
    {
        return Err(ApiError::too_many_requests(
            format!(
                "too many invitation acceptances from this address; retry after {retry_after_secs} seconds"
            ),
            retry_after_secs,
        ));
    }
    let password = Password::new(input.password)?;
    // The password is hashed before the token is checked, so each request costs one
    // Argon2id hash whether or not its token is valid. The per-address limit above
    // bounds that cost.
    let iam = state.iam().clone();
    let password_hash =
        blocking(move || hash_secret(password.expose_secret().as_bytes(), iam.random())).await??;
    let user = state
        .iam()
        .accept_invitation(
            &input.token,
            InvitationAcceptance {
                full_name: input.full_name,
                phone_number: input.phone_number,
                password_hash,
            },
        )
        .await?;
    let location = format!("/v1/users/{}", user.id);
    created_with(&location, &UserDto::new(user, Vec::new()))
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invite_user))
        .routes(routes!(accept_invitation))
}
