//! Authentication and authorization of `/v1` calls.
//!
//! A call is authenticated by a bearer access token that this server signed. The token
//! must be inside its time window, issued by the issuer of the tenant it names (`tid`),
//! carry the `services.iam` scope and not be revoked. Its subject must still exist and,
//! for a user, be active. Anything else is 401 with `WWW-Authenticate: Bearer`.
//!
//! The caller is then authorized per operation: the `TenantAdmin` role allows every
//! operation of its tenant; otherwise the caller must be allowed the operation's built-in
//! action (`iam.<area>.read` for reads, `iam.<area>.write` for changes) on the scope `/`,
//! or on the policy's own scope for policy changes. Anything else is 403.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use iam_core::id::{SubjectId, TenantId};
use iam_core::oauth_scope::SERVICES_IAM;
use iam_core::role::TENANT_ADMIN;
use iam_core::store::{Kind, Namespace, RecordKey};
use iam_core::subject::Subject;
use iam_core::token::AccessTokenClaims;
use iam_core::{Actor, IamError, TenantIam};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The store kind of revoked token ids (`jti`), kept in the tenant's namespace until the
/// token would have expired anyway.
pub const REVOKED_TOKEN_KIND: Kind = Kind::custom("revoked_token");

/// Whether an operation reads or changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `iam.<area>.read`.
    Read,
    /// `iam.<area>.write`.
    Write,
}

/// Returns the built-in action of `access` in `area`, such as `iam.client.read`.
pub fn area_action(area: &str, access: Access) -> String {
    match access {
        Access::Read => format!("iam.{area}.read"),
        Access::Write => format!("iam.{area}.write"),
    }
}

/// The reason a presented access token is not accepted. Messages never quote the token.
#[derive(Debug, thiserror::Error)]
pub enum TokenProblem {
    /// The token is not valid, for the reason in the message.
    #[error("{0}")]
    Invalid(String),
    /// Checking the token failed (for example the store is down).
    #[error("the access token could not be checked")]
    Failed(#[source] IamError),
}

impl From<IamError> for TokenProblem {
    fn from(error: IamError) -> Self {
        TokenProblem::Failed(error)
    }
}

/// A token that passed every check, with the tenant handle of its subject.
#[derive(Debug, Clone)]
pub struct ValidToken {
    /// The claims.
    pub claims: AccessTokenClaims,
    /// The subject.
    pub subject: SubjectId,
    /// The tenant, acting as the subject.
    pub tenant: TenantIam,
}

/// Checks `token` completely: signature, time window, issuer, tenant (which must be
/// `expected_tenant` when given), revocation and the subject's existence and state.
/// The `services.iam` scope is not checked here.
///
/// # Errors
///
/// [`TokenProblem::Invalid`] for a token that must be refused, [`TokenProblem::Failed`]
/// when the store fails.
pub async fn validate_token(
    state: &AppState,
    token: &str,
    expected_tenant: Option<TenantId>,
) -> Result<ValidToken, TokenProblem> {
    let invalid = |message: &str| TokenProblem::Invalid(message.to_owned());
    let claims = state
        .signer()
        .verify(token)
        .map_err(|rejection| TokenProblem::Invalid(rejection.to_string()))?;
    if expected_tenant.is_some_and(|tenant| tenant != claims.tid) {
        return Err(invalid("the access token was not issued for this tenant"));
    }
    let Some(tenant) = state.iam().find_tenant(&claims.tid.to_string()).await? else {
        return Err(invalid("the tenant of the access token does not exist"));
    };
    claims
        .validate(&state.issuer(&tenant), state.iam().clock().now())
        .map_err(|rejection| TokenProblem::Invalid(rejection.to_string()))?;
    let subject = claims
        .subject()
        .ok_or_else(|| invalid("the access token names no valid subject"))?;

    let revoked = RecordKey::new(
        Namespace::Tenant(tenant.id),
        REVOKED_TOKEN_KIND,
        claims.jti.clone(),
    );
    if state
        .iam()
        .store()
        .get(&revoked)
        .await
        .map_err(IamError::from)?
        .is_some()
    {
        return Err(invalid("the access token has been revoked"));
    }

    let handle = state
        .iam()
        .tenant(tenant.id, Actor::Subject(subject))
        .await?;
    match handle.get_subject(&subject).await {
        Ok(Subject::User(user)) if !user.active => {
            return Err(invalid("the user of the access token is disabled"));
        }
        Ok(_) => {}
        Err(IamError::NotFound { .. }) => {
            return Err(invalid("the subject of the access token no longer exists"));
        }
        Err(other) => return Err(other.into()),
    }
    Ok(ValidToken {
        claims,
        subject,
        tenant: handle,
    })
}

/// Returns the bearer token of the `Authorization` header, if there is one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// The authenticated caller of a `/v1` operation.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's tenant, acting as the caller (for audit events).
    pub tenant: TenantIam,
    /// The caller's subject id.
    pub subject: SubjectId,
    /// The access token's claims.
    pub claims: AccessTokenClaims,
}

impl Caller {
    /// Rejects an operation that would lock the caller out of its own tenant: deleting
    /// itself or removing its own `TenantAdmin` role. Another caller with the right
    /// permissions can still make the change.
    ///
    /// # Errors
    ///
    /// A 409 conflict when `target` is the caller.
    pub fn reject_self_lockout(&self, target: &SubjectId, what: &str) -> Result<(), ApiError> {
        if target == &self.subject {
            return Err(IamError::conflict(format!(
                "a caller can't {what}; use another administrator's token"
            ))
            .into());
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer_token(&parts.headers) else {
            return Err(ApiError::unauthorized(
                "this operation needs an `Authorization: Bearer <access token>` header",
                false,
            ));
        };
        let valid = match validate_token(state, token, None).await {
            Ok(valid) => valid,
            Err(TokenProblem::Invalid(message)) => {
                return Err(ApiError::unauthorized(message, true));
            }
            Err(TokenProblem::Failed(error)) => return Err(error.into()),
        };
        if !valid.claims.has_scope(SERVICES_IAM) {
            return Err(ApiError::unauthorized(
                format!("the access token lacks the `{SERVICES_IAM}` scope that the IAM API needs"),
                true,
            ));
        }
        Ok(Caller {
            tenant: valid.tenant,
            subject: valid.subject,
            claims: valid.claims,
        })
    }
}

impl Caller {
    /// Returns true when the caller has the `TenantAdmin` role now.
    ///
    /// # Errors
    ///
    /// A 500 when the store fails.
    pub async fn is_tenant_admin(&self) -> ApiResult<bool> {
        Ok(self.tenant.has_role(&self.subject, TENANT_ADMIN).await?)
    }

    /// Requires `TenantAdmin` or the built-in action of `access` in `area` on `/`.
    ///
    /// # Errors
    ///
    /// A 403 when neither applies.
    pub async fn require(&self, area: &str, access: Access) -> ApiResult<()> {
        self.require_on(&area_action(area, access), "/").await
    }

    /// Requires `TenantAdmin` or `action` on `scope`.
    ///
    /// # Errors
    ///
    /// A 403 when neither applies.
    pub async fn require_on(&self, action: &str, scope: &str) -> ApiResult<()> {
        if self.is_tenant_admin().await?
            || self.tenant.check(&self.subject, action, scope).is_allowed()
        {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "`{}` is not allowed `{action}` on `{scope}`; it needs that action or the `{TENANT_ADMIN}` role",
            self.subject
        )))
    }
}
