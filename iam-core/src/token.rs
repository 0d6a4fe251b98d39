//! Access-token claims and the rules that make a token valid, independent of how the
//! token is signed or transported.
//!
//! An access token is issued to an OAuth client for one tenant. Its claims are `iss`
//! (the tenant's issuer URL, `<public base URL>/<tenant name>`), `sub` (the subject id,
//! such as `client-<uuid>`), `tid` (the tenant id) and `client_id`. Then come `scope`
//! (the granted OAuth scopes, separated by spaces) and `role` (the names of the
//! subject's tenant roles). Last are `iat`, `nbf` and `exp` (seconds since the Unix
//! epoch) and `jti` (a unique token id, used for revocation).
//!
//! The signature is checked by the transport layer; [`AccessTokenClaims::validate`]
//! checks the rest: the time window, the issuer and the tenant.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{ClientId, SubjectId, TenantId};

/// How long an access token is valid after it is issued, in seconds.
pub const ACCESS_TOKEN_LIFETIME_SECS: i64 = 3600;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// The issuer: `<public base URL>/<tenant name>`.
    pub iss: String,
    /// The subject id, such as `client-<uuid>`.
    pub sub: String,
    /// The tenant id.
    pub tid: TenantId,
    /// The id of the client the token was issued to.
    pub client_id: String,
    /// The granted OAuth scopes, separated by single spaces.
    pub scope: String,
    /// The names of the subject's tenant roles when the token was issued.
    #[serde(default)]
    pub role: Vec<String>,
    /// When the token was issued, in seconds since the Unix epoch.
    pub iat: i64,
    /// The token is invalid before this time, in seconds since the Unix epoch.
    pub nbf: i64,
    /// The token is invalid from this time on, in seconds since the Unix epoch.
    pub exp: i64,
    /// The unique token id.
    pub jti: String,
}

/// The subject, tenant, scopes and roles that an access token is issued for.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The issuer URL, made with [`issuer_url`].
    pub issuer: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The client that requested the token; also the subject for `client_credentials`.
    pub client: ClientId,
    /// The granted OAuth scopes.
    pub scopes: Vec<String>,
    /// The names of the subject's tenant roles.
    pub roles: Vec<String>,
}

impl AccessTokenClaims {
    /// Builds the claims of a `client_credentials` token issued at `now` with the unique
    /// id `jti`, valid for [`ACCESS_TOKEN_LIFETIME_SECS`].
    pub fn for_client(grant: TokenGrant, now: DateTime<Utc>, jti: String) -> Self {
        let issued_at = now.timestamp();
        Self {
            iss: grant.issuer,
            sub: SubjectId::Client(grant.client).to_string(),
            tid: grant.tenant,
            client_id: grant.client.to_string(),
            scope: grant.scopes.join(" "),
            role: grant.roles,
            iat: issued_at,
            nbf: issued_at,
            exp: issued_at + ACCESS_TOKEN_LIFETIME_SECS,
            jti,
        }
    }

    /// Returns the granted scopes.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|scope| !scope.is_empty())
    }

    /// Returns true when `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|granted| granted == scope)
    }

    /// Returns the subject, if `sub` is a valid subject id.
    pub fn subject(&self) -> Option<SubjectId> {
        self.sub.parse().ok()
    }

    /// Returns the expiry as a time.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.exp, 0)
    }

    /// Checks the claims that do not depend on the signature: the token is inside its
    /// time window at `now` (`nbf <= now < exp`, with no leeway because the issuer and
    /// the verifier share one clock), was issued by `expected_issuer`, and names a subject.
    ///
    /// # Errors
    ///
    /// The first [`TokenRejection`] that applies.
    pub fn validate(
        &self,
        expected_issuer: &str,
        now: DateTime<Utc>,
    ) -> Result<(), TokenRejection> {
        let now = now.timestamp();
        if now >= self.exp {
            return Err(TokenRejection::Expired);
        }
        if now < self.nbf {
            return Err(TokenRejection::NotYetValid);
        }
        if self.iss != expected_issuer {
            return Err(TokenRejection::WrongIssuer);
        }
        if self.subject().is_none() {
            return Err(TokenRejection::InvalidSubject);
        }
        Ok(())
    }
}

/// The reason a token's claims are not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRejection {
    /// The current time is at or past `exp`.
    #[error("the access token has expired")]
    Expired,
    /// The current time is before `nbf`.
    #[error("the access token is not valid yet")]
    NotYetValid,
    /// `iss` is not this tenant's issuer.
    #[error("the access token was not issued for this tenant")]
    WrongIssuer,
    /// `sub` is not a subject id.
    #[error("the access token names no valid subject")]
    InvalidSubject,
}

/// Returns the issuer URL of a tenant: `public_base_url` without a trailing slash,
/// followed by `/` and the tenant's name.
pub fn issuer_url(public_base_url: &str, tenant_name: &str) -> String {
    format!("{}/{tenant_name}", public_base_url.trim_end_matches('/'))
}

/// Decides the scopes of a token request. Without `requested`, the client gets every
/// scope it is allowed. Otherwise `requested` is a space-separated list (RFC 6749,
/// section 3.3), duplicates are ignored, and every scope must be allowed.
///
/// # Errors
///
/// [`ScopeRejection`] naming the first requested scope that the client is not allowed.
pub fn grant_scopes(
    requested: Option<&str>,
    allowed: &[String],
) -> Result<Vec<String>, ScopeRejection> {
    let Some(requested) = requested else {
        return Ok(allowed.to_vec());
    };
    let mut granted: Vec<String> = Vec::new();
    for scope in requested.split(' ').filter(|scope| !scope.is_empty()) {
        if !allowed.iter().any(|allowed| allowed == scope) {
            return Err(ScopeRejection {
                scope: scope.to_owned(),
            });
        }
        if !granted.iter().any(|granted| granted == scope) {
            granted.push(scope.to_owned());
        }
    }
    Ok(granted)
}

/// A requested scope that the client is not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRejection {
    /// The scope as requested.
    pub scope: String,
}

impl fmt::Display for ScopeRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the client is not allowed the scope `{}`", self.scope)
    }
}

impl std::error::Error for ScopeRejection {}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn claims(now: DateTime<Utc>) -> AccessTokenClaims {
        AccessTokenClaims::for_client(
            TokenGrant {
                issuer: issuer_url("http://127.0.0.1:8080/", "acme"),
                tenant: TenantId::from_uuid(Uuid::nil()),
                client: ClientId::from_uuid(Uuid::nil()),
                scopes: vec!["services.iam".to_owned()],
                roles: vec!["TenantAdmin".to_owned()],
            },
            now,
            "jti-1".to_owned(),
        )
    }

    #[test]
    fn issuer_drops_trailing_slash() {
        assert_eq!(
            issuer_url("http://127.0.0.1:8080/", "acme"),
            "http://127.0.0.1:8080/acme"
        );
        assert_eq!(
            issuer_url("https://iam.example.com", "acme"),
            "https://iam.example.com/acme"
        );
    }

    #[test]
    fn client_token_claims() {
        let now = Utc::now();
        let claims = claims(now);
        assert_eq!(claims.sub, format!("client-{}", Uuid::nil()));
        assert_eq!(claims.exp - claims.iat, ACCESS_TOKEN_LIFETIME_SECS);
        assert!(claims.has_scope("services.iam"));
        assert!(!claims.has_scope("services"));
    }

    #[test]
    fn time_window_is_half_open() {
        let now = Utc::now();
        let claims = claims(now);
        let issuer = "http://127.0.0.1:8080/acme";
        assert_eq!(claims.validate(issuer, now), Ok(()));
        let at_expiry = DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
        assert_eq!(
            claims.validate(issuer, at_expiry),
            Err(TokenRejection::Expired)
        );
        let before = DateTime::from_timestamp(claims.nbf - 1, 0).unwrap_or(now);
        assert_eq!(
            claims.validate(issuer, before),
            Err(TokenRejection::NotYetValid)
        );
    }

    #[test]
    fn wrong_issuer_rejected() {
        let now = Utc::now();
        assert_eq!(
            claims(now).validate("http://127.0.0.1:8080/other", now),
            Err(TokenRejection::WrongIssuer)
        );
    }

    #[test]
    fn scopes_default_to_allowed() {
        let allowed = vec!["services.iam".to_owned(), "openid".to_owned()];
        assert_eq!(grant_scopes(None, &allowed), Ok(allowed.clone()));
        assert_eq!(
            grant_scopes(Some("openid  openid"), &allowed),
            Ok(vec!["openid".to_owned()])
        );
        assert_eq!(
            grant_scopes(Some("openid email"), &allowed),
            Err(ScopeRejection {
                scope: "email".to_owned()
            })
        );
    }
}
