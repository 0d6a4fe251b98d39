//! Access tokens for users, issued by the operator.
//!
//! Users can't sign in interactively yet, so `iam-server token` issues a user's access
//! token directly from the store. The token has the claims of a `client_credentials`
//! token, except that `sub` is `user-<uuid>` and `client_id` is [`OPERATOR_CLIENT_ID`].
//! The server accepts it like any other token it signed: until it expires, is revoked,
//! or the user is deleted or disabled.

use iam_core::id::{SubjectId, SubjectKind};
use iam_core::token::{ACCESS_TOKEN_LIFETIME_SECS, AccessTokenClaims, issuer_url};
use iam_core::user::User;
use iam_core::{Actor, Iam, IamError};

use crate::signing::TokenSigner;

/// The `client_id` claim of tokens that the operator issues; no client has this id.
pub const OPERATOR_CLIENT_ID: &str = "iam-server";

/// The failure to issue a user token. Messages never contain a token.
#[derive(Debug, thiserror::Error)]
pub enum UserTokenError {
    /// No tenant has this id or name.
    #[error("tenant `{0}` not found")]
    TenantNotFound(String),
    /// The tenant has no user with this e-mail address or id.
    #[error("tenant `{tenant}` has no user `{user}`; give the user's e-mail address or id")]
    UserNotFound {
        /// The tenant as given.
        tenant: String,
        /// The user as given.
        user: String,
    },
    /// The user is disabled, so the server would reject the token.
    #[error("user `{0}` is disabled; enable it before issuing a token")]
    UserDisabled(String),
    /// No scope was requested.
    #[error("no scope requested; pass at least one, such as `services.iam`")]
    NoScope,
    /// A requested scope does not exist in the tenant.
    #[error("scope `{0}` does not exist in the tenant")]
    UnknownScope(String),
    /// A library operation failed.
    #[error(transparent)]
    Iam(#[from] IamError),
    /// The claims could not be signed.
    #[error("the access token could not be signed")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// Issues an access token for the user `user` (an e-mail address, a user id or
/// `user-<uuid>`) of the tenant `tenant` (an id or name), with the space-separated
/// `scope` and the user's current tenant roles. `public_url` must be the server's public
/// base URL, because the issuer claim is built from it.
///
/// # Errors
///
/// [`UserTokenError`] naming the tenant, user or scope that is not usable.
pub async fn issue_user_token(
    iam: &Iam,
    signer: &TokenSigner,
    public_url: &str,
    tenant: &str,
    user: &str,
    scope: &str,
) -> Result<String, UserTokenError> {
    issue_user_token_with_lifetime(
        iam,
        signer,
        public_url,
        tenant,
        user,
        scope,
        ACCESS_TOKEN_LIFETIME_SECS,
    )
    .await
}

/// Issues a user token as [`issue_user_token`] does, valid for `lifetime_secs` seconds
/// from now. A lifetime of 0 or less gives a token that has already expired.
///
/// # Errors
///
/// [`UserTokenError`] naming the tenant, user or scope that is not usable.
pub async fn issue_user_token_with_lifetime(
    iam: &Iam,
    signer: &TokenSigner,
    public_url: &str,
    tenant: &str,
    user: &str,
    scope: &str,
    lifetime_secs: i64,
) -> Result<String, UserTokenError> {
    let Some(found) = iam.find_tenant(tenant).await? else {
        return Err(UserTokenError::TenantNotFound(tenant.to_owned()));
    };
    let handle = iam.tenant(found.id, Actor::Operator).await?;
    let account = find_user(&handle, user)
        .await?
        .ok_or_else(|| UserTokenError::UserNotFound {
            tenant: tenant.to_owned(),
            user: user.to_owned(),
        })?;
    if !account.active {
        return Err(UserTokenError::UserDisabled(user.to_owned()));
    }

    let mut scopes: Vec<&str> = Vec::new();
    for name in scope.split_ascii_whitespace() {
        match handle.get_scope(name).await {
            Ok(_) => {}
            Err(IamError::NotFound { .. }) => {
                return Err(UserTokenError::UnknownScope(name.to_owned()));
            }
            Err(other) => return Err(other.into()),
        }
        if !scopes.contains(&name) {
            scopes.push(name);
        }
    }
    if scopes.is_empty() {
        return Err(UserTokenError::NoScope);
    }

    let subject = SubjectId::User(account.id);
    let roles = handle
        .roles_of(&subject)
        .await?
        .into_iter()
        .map(|role| role.name)
        .collect();
    let issued_at = iam.clock().now().timestamp();
    let claims = AccessTokenClaims {
        iss: issuer_url(public_url, &found.name),
        sub: subject.to_string(),
        tid: found.id,
        client_id: OPERATOR_CLIENT_ID.to_owned(),
        scope: scopes.join(" "),
        role: roles,
        iat: issued_at,
        nbf: issued_at,
        exp: issued_at + lifetime_secs,
        jti: iam.random().uuid()?.to_string(),
    };
    signer.sign(&claims).map_err(UserTokenError::Sign)
}

/// Finds a user by e-mail address when `text` contains `@`, else by id.
async fn find_user(
    handle: &iam_core::TenantIam,
    text: &str,
) -> Result<Option<User>, UserTokenError> {
    if text.contains('@') {
        return Ok(handle.find_user_by_email(text).await?);
    }
    let SubjectId::User(id) = SubjectId::parse_of_kind(SubjectKind::User, "user", text)? else {
        return Ok(None);
    };
    match handle.get_user(id).await {
        Ok(user) => Ok(Some(user)),
        Err(IamError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}
