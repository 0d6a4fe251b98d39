//! Routes of features that are not available yet: domains, SSO providers, SCIM tokens,
//! invitations and user claims. Each returns 501 with a problem body, so clients can tell
//! a missing feature from a wrong path, and each is listed in the OpenAPI document.
//! They respond before authentication because they touch no data.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::openapi::NotImplementedErrors;
use crate::state::AppState;

/// Not available yet: list domains.
#[utoipa::path(
    get, path = "/v1/domains", tag = "domains",
    params(("filter" = Option<String>, Query, description = "Only domains that contain this text")),
    responses(NotImplementedErrors)
)]
async fn list_domains() -> ApiError {
    ApiError::not_implemented("domains")
}

/// Not available yet: register domain.
#[utoipa::path(
    post, path = "/v1/domains", tag = "domains",
    params(("domain" = String, Query, description = "The domain name")),
    responses(NotImplementedErrors)
)]
async fn register_domain() -> ApiError {
    ApiError::not_implemented("domains")
}

/// Not available yet: delete domain.
#[utoipa::path(
    delete, path = "/v1/domains", tag = "domains",
    params(("domain" = String, Query, description = "The domain name")),
    responses(NotImplementedErrors)
)]
async fn delete_domain() -> ApiError {
    ApiError::not_implemented("domains")
}

/// Not available yet: domain status.
#[utoipa::path(
    get, path = "/v1/domains/status", tag = "domains",
    params(("domain" = String, Query, description = "The domain name")),
    responses(NotImplementedErrors)
)]
async fn domain_status() -> ApiError {
    ApiError::not_implemented("domains")
}

/// Not available yet: verify domain.
#[utoipa::path(
    post, path = "/v1/domains/verify", tag = "domains",
    params(("domain" = String, Query, description = "The domain name")),
    responses(NotImplementedErrors)
)]
async fn verify_domain() -> ApiError {
    ApiError::not_implemented("domains")
}

/// Not available yet: list sso providers.
#[utoipa::path(get, path = "/v1/sso", tag = "sso", responses(NotImplementedErrors))]
async fn list_sso_providers() -> ApiError {
    ApiError::not_implemented("SSO providers")
}

/// Not available yet: create sso provider.
#[utoipa::path(
    post, path = "/v1/sso/{type}", tag = "sso",
    params(("type" = String, Path, description = "`azuread`, `custom`, `google` or `signicat`")),
    responses(NotImplementedErrors)
)]
async fn create_sso_provider() -> ApiError {
    ApiError::not_implemented("SSO providers")
}

/// Not available yet: get sso provider.
#[utoipa::path(
    get, path = "/v1/sso/{type}/{id}", tag = "sso",
    params(("type" = String, Path, description = "The provider type"), ("id" = u64, Path, description = "The provider's id")),
    responses(NotImplementedErrors)
)]
async fn get_sso_provider() -> ApiError {
    ApiError::not_implemented("SSO providers")
}

/// Not available yet: update sso provider.
#[utoipa::path(
    put, path = "/v1/sso/{type}/{id}", tag = "sso",
    params(("type" = String, Path, description = "The provider type"), ("id" = u64, Path, description = "The provider's id")),
    responses(NotImplementedErrors)
)]
async fn update_sso_provider() -> ApiError {
    ApiError::not_implemented("SSO providers")
}

/// Not available yet: delete sso provider.
#[utoipa::path(
    delete, path = "/v1/sso/{type}/{id}", tag = "sso",
    params(("type" = String, Path, description = "The provider type"), ("id" = u64, Path, description = "The provider's id")),
    responses(NotImplementedErrors)
)]
async fn delete_sso_provider() -> ApiError {
    ApiError::not_implemented("SSO providers")
}

/// Not available yet: create scim token.
#[utoipa::path(post, path = "/v1/scim", tag = "scim", responses(NotImplementedErrors))]
async fn create_scim_token() -> ApiError {
    ApiError::not_implemented("SCIM tokens")
}

/// Not available yet: list scim tokens.
#[utoipa::path(get, path = "/v1/scim", tag = "scim", responses(NotImplementedErrors))]
async fn list_scim_tokens() -> ApiError {
    ApiError::not_implemented("SCIM tokens")
}

/// Not available yet: delete scim token.
#[utoipa::path(
    delete, path = "/v1/scim/{id}", tag = "scim",
    params(("id" = String, Path, description = "The token's id")),
    responses(NotImplementedErrors)
)]
async fn delete_scim_token() -> ApiError {
    ApiError::not_implemented("SCIM tokens")
}

/// Not available yet: invite user.
#[utoipa::path(
    post, path = "/v1/users/invite", tag = "users",
    params(("email" = String, Query, description = "The invitee's e-mail address"), ("redirectUrl" = String, Query, description = "Where the invitee goes after accepting")),
    responses(NotImplementedErrors)
)]
async fn invite_user() -> ApiError {
    ApiError::not_implemented("invitations")
}

/// Not available yet: accept invitation.
#[utoipa::path(
    post,
    path = "/v1/invitations/accept",
    tag = "users",
    responses(NotImplementedErrors)
)]
async fn accept_invitation() -> ApiError {
    ApiError::not_implemented("invitations")
}

/// Not available yet: list user claims.
#[utoipa::path(
    get, path = "/v1/users/{userId}/claims", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`")),
    responses(NotImplementedErrors)
)]
async fn list_user_claims() -> ApiError {
    ApiError::not_implemented("user claims")
}

/// Not available yet: add user claim.
#[utoipa::path(
    post, path = "/v1/users/{userId}/claims", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`")),
    responses(NotImplementedErrors)
)]
async fn add_user_claim() -> ApiError {
    ApiError::not_implemented("user claims")
}

/// Not available yet: delete user claim.
#[utoipa::path(
    delete, path = "/v1/users/{userId}/claims/{claimId}", tag = "users",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`"), ("claimId" = u64, Path, description = "The claim's id")),
    responses(NotImplementedErrors)
)]
async fn delete_user_claim() -> ApiError {
    ApiError::not_implemented("user claims")
}

/// Not available yet: my claims.
#[utoipa::path(
    get,
    path = "/v1/me/claims",
    tag = "me",
    responses(NotImplementedErrors)
)]
async fn my_claims() -> ApiError {
    ApiError::not_implemented("user claims")
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_domains, register_domain, delete_domain))
        .routes(routes!(domain_status))
        .routes(routes!(verify_domain))
        .routes(routes!(list_sso_providers))
        .routes(routes!(create_sso_provider))
        .routes(routes!(
            get_sso_provider,
            update_sso_provider,
            delete_sso_provider
        ))
        .routes(routes!(create_scim_token, list_scim_tokens))
        .routes(routes!(delete_scim_token))
        .routes(routes!(invite_user))
        .routes(routes!(accept_invitation))
        .routes(routes!(list_user_claims, add_user_claim))
        .routes(routes!(delete_user_claim))
        .routes(routes!(my_claims))
}
