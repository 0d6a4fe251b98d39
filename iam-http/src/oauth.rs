//! The OAuth 2.0 and OpenID endpoints of a tenant: token (RFC 6749, `client_credentials`
//! only), revocation (RFC 7009), introspection (RFC 7662), discovery and the public keys.
//!
//! `{tenant}` in the paths is the tenant's id or name. Errors of the token, revocation
//! and introspection endpoints follow RFC 6749, section 5.2: a JSON body
//! `{error, error_description}`, 401 for `invalid_client` (with `WWW-Authenticate: Basic`
//! when the client used HTTP Basic), 429 for `slow_down` and 400 otherwise. An unknown
//! tenant is a 404 problem.
//!
//! The three endpoints verify a client secret with Argon2id on every request, so they
//! share rate limits (see [`crate::rate_limit`]): per source address, counted before
//! anything else, and per client id, counted before the secret is verified. Successful and
//! failed attempts count alike. A request over a limit gets 429 with `Retry-After` in
//! seconds and the error `slow_down`. RFC 8628, section 3.5 registers that code for a
//! client that must wait before its next token request.

use std::collections::BTreeMap;
use std::fmt;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use iam_core::client::{Client, GrantType};
use iam_core::id::SubjectId;
use iam_core::paging::PageRequest;
use iam_core::store::{Expect, Namespace, RecordKey, ScanRange, WriteBatch};
use iam_core::tenant::Tenant;
use iam_core::token::{ACCESS_TOKEN_LIFETIME_SECS, AccessTokenClaims, TokenGrant, grant_scopes};
use iam_core::{Actor, IamError, TenantIam};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::blocking;
use crate::auth::{REVOKED_TOKEN_KIND, TokenProblem, validate_token};
use crate::error::{ApiError, ApiResult};
use crate::openapi::TenantErrors;
use crate::rate_limit::{Decision, PeerAddress};
use crate::signing::JwkSet;
use crate::state::AppState;

/// The form body of a token request. Client credentials go in the `Authorization: Basic`
/// header (`client_secret_basic`) or in `client_id` and `client_secret`
/// (`client_secret_post`), not both.
#[derive(ToSchema)]
pub struct TokenRequestForm {
    /// `client_credentials`.
    pub grant_type: String,
    /// Space-separated scopes; by default every scope the client is allowed.
    pub scope: Option<String>,
    /// The client id, for `client_secret_post`.
    pub client_id: Option<String>,
    /// The client secret, for `client_secret_post`.
    pub client_secret: Option<String>,
}

/// The form body of revocation and introspection requests, plus client credentials as
/// for the token endpoint.
#[derive(ToSchema)]
pub struct TokenForm {
    /// The access token.
    pub token: String,
    /// A hint of the token's type; only `access_token` exists here.
    pub token_type_hint: Option<String>,
    /// The client id, for `client_secret_post`.
    pub client_id: Option<String>,
    /// The client secret, for `client_secret_post`.
    pub client_secret: Option<String>,
}

/// A successful token response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// The access token, a JWT signed with Ed25519.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// An RFC 6749 error response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OAuthErrorDto {
    /// The error code, such as `invalid_client`.
    pub error: String,
    /// A description of the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// An introspection response (RFC 7662).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct IntrospectionResponse {
    /// True when the token is valid now.
    pub active: bool,
    /// The granted scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Start of validity, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The subject id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The tenant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// The subject's tenant roles when the token was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Vec<String>>,
}

/// The discovery document of a tenant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiscoveryDocument {
    /// The issuer, `<public base URL>/<tenant name>`.
    pub issuer: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The public keys.
    pub jwks_uri: String,
    /// The revocation endpoint.
    pub revocation_endpoint: String,
    /// The introspection endpoint.
    pub introspection_endpoint: String,
    /// `client_credentials`.
    pub grant_types_supported: Vec<String>,
    /// Empty: no interactive flow exists yet.
    pub response_types_supported: Vec<String>,
    /// `client_secret_basic` and `client_secret_post`.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// The same as for the token endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// The same as for the token endpoint.
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// The tenant's scopes.
    pub scopes_supported: Vec<String>,
    /// `EdDSA`.
    pub token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// `EdDSA`.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `public`.
    pub subject_types_supported: Vec<String>,
}

/// An RFC 6749 error with its status.
#[derive(Debug)]
struct OAuthError {
    code: &'static str,
    description: String,
    basic_challenge: bool,
    retry_after_secs: Option<u64>,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            basic_challenge: false,
            retry_after_secs: None,
        }
    }

    /// Returns `Ok` for an allowed attempt and otherwise a 429 `slow_down` error naming
    /// `limited_key` (such as "this client").
    fn check_limit(decision: Decision, limited_key: &str) -> Result<(), Self> {
        match decision {
            Decision::Allowed => Ok(()),
            Decision::Limited { retry_after_secs } => Err(Self {
                retry_after_secs: Some(retry_after_secs),
                ..Self::new(
                    "slow_down",
                    format!(
                        "too many requests from {limited_key}; retry after {retry_after_secs} seconds"
                    ),
                )
            }),
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    fn invalid_client(method: Option<AuthMethod>) -> Self {
        Self {
            basic_challenge: method == Some(AuthMethod::Basic),
            ..Self::new("invalid_client", "client authentication failed")
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = match self.code {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "slow_down" => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        };
        let body = OAuthErrorDto {
            error: self.code.to_owned(),
            error_description: Some(self.description),
        };
        let mut response = (status, Json(body)).into_response();
        no_store(response.headers_mut());
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="iam", charset="UTF-8""#),
            );
        }
        if let Some(seconds) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The failure of a token-endpoint handler: an RFC 6749 error or a problem.
enum Failure {
    OAuth(OAuthError),
    Problem(ApiError),
}

impl From<OAuthError> for Failure {
    fn from(error: OAuthError) -> Self {
        Failure::OAuth(error)
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Problem(error)
    }
}

impl From<IamError> for Failure {
    fn from(error: IamError) -> Self {
        Failure::Problem(error.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::OAuth(error) => error.into_response(),
            Failure::Problem(error) => error.into_response(),
        }
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The client authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthMethod {
    Basic,
    Post,
}

/// A client secret as presented. `Debug` hides it.
struct PresentedSecret(String);

impl fmt::Debug for PresentedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PresentedSecret([REDACTED])")
    }
}

/// The decoded form parameters, each at most once (RFC 6749, section 3.2).
struct Form {
    parameters: BTreeMap<String, String>,
}

impl Form {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the body must have the content type `application/x-www-form-urlencoded`",
            ));
        }
        let mut parameters = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if parameters
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{name}` is repeated"
                )));
            }
        }
        Ok(Self { parameters })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.parameters
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space and `%XX` a byte.
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let hex = text.get(index + 1..index + 3)?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                index += 2;
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8(decoded).ok()
}

/// Reads the client's credentials from HTTP Basic or the form, rejecting requests that
/// use both methods (RFC 6749, section 2.3).
fn client_credentials(
    headers: &HeaderMap,
    form: &Form,
) -> Result<(String, PresentedSecret, AuthMethod), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| encoded.trim());

    if let Some(encoded) = basic {
        if form.get("client_secret").is_some() {
            return Err(OAuthError::invalid_request(
                "use either HTTP Basic or `client_secret` in the body, not both",
            ));
        }
        let malformed = || OAuthError::invalid_client(Some(AuthMethod::Basic));
        let decoded = STANDARD.decode(encoded).map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        let id = form_decode(id).ok_or_else(malformed)?;
        let secret = form_decode(secret).ok_or_else(malformed)?;
        if form.get("client_id").is_some_and(|form_id| form_id != id) {
            return Err(OAuthError::invalid_request(
                "`client_id` in the body differs from the HTTP Basic user name",
            ));
        }
        return Ok((id, PresentedSecret(secret), AuthMethod::Basic));
    }

    match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => Ok((
            id.to_owned(),
            PresentedSecret(secret.to_owned()),
            AuthMethod::Post,
        )),
        _ => Err(OAuthError::invalid_client(None)),
    }
}

/// Resolves `{tenant}` (id or name).
async fn find_tenant(state: &AppState, id_or_name: &str) -> ApiResult<(Tenant, TenantIam)> {
    let tenant = state
        .iam()
        .find_tenant(id_or_name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("tenant `{id_or_name}` not found")))?;
    let handle = state.iam().tenant(tenant.id, Actor::Operator).await?;
    Ok((tenant, handle))
}

/// Counts a request from `peer` against the per-address limit of the token endpoints.
fn check_address_limit(state: &AppState, peer: PeerAddress) -> Result<(), OAuthError> {
    let decision = state.rate_limits().check_token_address(peer.0);
    OAuthError::check_limit(decision, "this address")
}

/// Authenticates the client after counting the attempt against the per-client limit.
/// An unknown client id and a wrong secret fail the same way and cost about the same,
/// because the core verifies unknown ids against a dummy hash.
// NOTE: a known client costs one more store read (its secrets). In six runs of
// `tests/tests/token_timing.rs` the median wrong-secret attempt took 0.77 to 1.14 times
// as long as an unknown-id attempt, so the read is measurable but below the noise.
async fn authenticate_client(
    state: &AppState,
    tenant: &Tenant,
    handle: &TenantIam,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Client, Failure> {
    let (client_id, secret, method) = client_credentials(headers, form)?;
    let decision = state.rate_limits().check_client(tenant.id, &client_id);
    OAuthError::check_limit(decision, "this client")?;
    let credentials = handle.client_credentials(&client_id).await?;
    let client = blocking(move || credentials.verify(secret.0.as_bytes())).await?;
    client.ok_or_else(|| OAuthError::invalid_client(Some(method)).into())
}

/// Issues an access token for the `client_credentials` grant.
#[utoipa::path(
    post, path = "/{tenant}/connect/token", tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's id or name")),
    request_body(content = TokenRequestForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The access token", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_scope`, `unauthorized_client` or `unsupported_grant_type`", body = OAuthErrorDto),
        (status = 401, description = "`invalid_client`", body = OAuthErrorDto),
        (status = 429, description = "`slow_down`: too many requests from this client id or address; `Retry-After` gives the seconds to wait", body = OAuthErrorDto,
            headers(("Retry-After" = u64, description = "Seconds until the next request is allowed"))),
        TenantErrors
    )
)]
async fn token(
    State(state): State<AppState>,
    peer: PeerAddress,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    check_address_limit(&state, peer)?;
    let (tenant, handle) = find_tenant(&state, &tenant).await?;
    let form = Form::parse(&headers, &body)?;
    match form.get("grant_type") {
        None => return Err(OAuthError::invalid_request("`grant_type` is required").into()),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!("grant type `{other}` is not supported; use `client_credentials`"),
            )
            .into());
        }
    }

    let client = authenticate_client(&state, &tenant, &handle, &headers, &form).await?;
    if !client
        .allowed_grant_types
        .contains(&GrantType::ClientCredentials)
    {
        return Err(OAuthError::new(
            "unauthorized_client",
            "the client is not allowed the `client_credentials` grant",
        )
        .into());
    }
    let scopes = grant_scopes(form.get("scope"), &client.allowed_scopes)
        .map_err(|rejection| OAuthError::new("invalid_scope", rejection.to_string()))?;
    let roles = handle
        .roles_of(&SubjectId::Client(client.client_id))
        .await?
        .into_iter()
        .map(|role| role.name)
        .collect();

    let jti = state.iam().random().uuid()?.to_string();
    let claims = AccessTokenClaims::for_client(
        TokenGrant {
            issuer: state.issuer(&tenant),
            tenant: tenant.id,
            client: client.client_id,
            scopes,
            roles,
        },
        state.iam().clock().now(),
        jti,
    );
    let access_token = state.signer().sign(&claims).map_err(ApiError::internal)?;
    let body = TokenResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: ACCESS_TOKEN_LIFETIME_SECS,
        scope: claims.scope,
    };
    let mut response = Json(body).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// Revokes an access token of the authenticated client (RFC 7009). Returns 200 for
/// unknown, invalid and foreign tokens too, so the response reveals nothing.
#[utoipa::path(
    post, path = "/{tenant}/connect/revocation", tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's id or name")),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token no longer works, if it ever did"),
        (status = 400, description = "`invalid_request`", body = OAuthErrorDto),
        (status = 401, description = "`invalid_client`", body = OAuthErrorDto),
        (status = 429, description = "`slow_down`: too many requests from this client id or address; `Retry-After` gives the seconds to wait", body = OAuthErrorDto,
            headers(("Retry-After" = u64, description = "Seconds until the next request is allowed"))),
        TenantErrors
    )
)]
async fn revocation(
    State(state): State<AppState>,
    peer: PeerAddress,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    check_address_limit(&state, peer)?;
    let (tenant, handle) = find_tenant(&state, &tenant).await?;
    let form = Form::parse(&headers, &body)?;
    let client = authenticate_client(&state, &tenant, &handle, &headers, &form).await?;
    let Some(token) = form.get("token") else {
        return Err(OAuthError::invalid_request("`token` is required").into());
    };

    // NOTE: a token of another client is left alone without an error, so that the
    // response does not confirm the token's validity to a client that has a copy.
    if let Ok(claims) = state.signer().verify(token)
        && claims.tid == tenant.id
        && claims.client_id == client.client_id.to_string()
    {
        revoke(&state, &tenant, &claims).await?;
    }
    let mut response = StatusCode::OK.into_response();
    no_store(response.headers_mut());
    Ok(response)
}

#[derive(Serialize, Deserialize)]
struct RevokedToken {
    exp: i64,
}

/// Stores the token id as revoked until the token expires, and drops revocations of
/// tokens that have expired since, in the same write.
async fn revoke(state: &AppState, tenant: &Tenant, claims: &AccessTokenClaims) -> ApiResult<()> {
    let namespace = Namespace::Tenant(tenant.id);
    let store = state.iam().store();
    let now = state.iam().clock().now().timestamp();

    let mut batch = WriteBatch::new();
    for record in store
        .scan(&ScanRange::all(namespace, REVOKED_TOKEN_KIND))
        .await
        .map_err(IamError::from)?
    {
        let expired = serde_json::from_slice::<RevokedToken>(&record.body)
            .map(|revoked| revoked.exp <= now)
            .unwrap_or(true);
        if expired && record.id != claims.jti {
            batch.delete(
                RecordKey::new(namespace, REVOKED_TOKEN_KIND, record.id),
                Expect::Any,
            );
        }
    }
    let body = serde_json::to_vec(&RevokedToken { exp: claims.exp }).map_err(ApiError::internal)?;
    batch.put(
        RecordKey::new(namespace, REVOKED_TOKEN_KIND, claims.jti.clone()),
        body,
        Expect::Any,
    );
    store.commit(batch).await.map_err(IamError::from)?;
    Ok(())
}

/// Describes a token to an authenticated client of the tenant (RFC 7662).
#[utoipa::path(
    post, path = "/{tenant}/connect/introspect", tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's id or name")),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token's state; `{\"active\": false}` for anything not valid", body = IntrospectionResponse),
        (status = 400, description = "`invalid_request`", body = OAuthErrorDto),
        (status = 401, description = "`invalid_client`", body = OAuthErrorDto),
        (status = 429, description = "`slow_down`: too many requests from this client id or address; `Retry-After` gives the seconds to wait", body = OAuthErrorDto,
            headers(("Retry-After" = u64, description = "Seconds until the next request is allowed"))),
        TenantErrors
    )
)]
async fn introspect(
    State(state): State<AppState>,
    peer: PeerAddress,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    check_address_limit(&state, peer)?;
    let (tenant, handle) = find_tenant(&state, &tenant).await?;
    let form = Form::parse(&headers, &body)?;
    authenticate_client(&state, &tenant, &handle, &headers, &form).await?;
    let Some(token) = form.get("token") else {
        return Err(OAuthError::invalid_request("`token` is required").into());
    };

    let body = match validate_token(&state, token, Some(tenant.id)).await {
        Ok(valid) => {
            let claims = valid.claims;
            IntrospectionResponse {
                active: true,
                scope: Some(claims.scope),
                client_id: Some(claims.client_id),
                token_type: Some("Bearer".to_owned()),
                exp: Some(claims.exp),
                iat: Some(claims.iat),
                nbf: Some(claims.nbf),
                sub: Some(claims.sub),
                iss: Some(claims.iss),
                jti: Some(claims.jti),
                tid: Some(claims.tid.to_string()),
                role: Some(claims.role),
            }
        }
        Err(TokenProblem::Invalid(_)) => IntrospectionResponse::default(),
        Err(TokenProblem::Failed(error)) => return Err(error.into()),
    };
    let mut response = Json(body).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// Returns the tenant's discovery document.
#[utoipa::path(
    get, path = "/{tenant}/.well-known/openid-configuration", tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's id or name")),
    responses((status = 200, description = "The discovery document", body = DiscoveryDocument), TenantErrors)
)]
async fn discovery(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> ApiResult<Json<DiscoveryDocument>> {
    let (tenant, handle) = find_tenant(&state, &tenant).await?;
    let issuer = state.issuer(&tenant);
    let scopes = handle
        .list_scopes(&PageRequest::items(Some(1), Some(200), None))
        .await?
        .items
        .into_iter()
        .map(|scope| scope.name)
        .collect();
    let auth_methods = || {
        vec![
            "client_secret_basic".to_owned(),
            "client_secret_post".to_owned(),
        ]
    };
    Ok(Json(DiscoveryDocument {
        token_endpoint: format!("{issuer}/connect/token"),
        jwks_uri: format!("{issuer}/.well-known/jwks.json"),
        revocation_endpoint: format!("{issuer}/connect/revocation"),
        introspection_endpoint: format!("{issuer}/connect/introspect"),
        issuer,
        grant_types_supported: vec!["client_credentials".to_owned()],
        response_types_supported: Vec::new(),
        token_endpoint_auth_methods_supported: auth_methods(),
        revocation_endpoint_auth_methods_supported: auth_methods(),
        introspection_endpoint_auth_methods_supported: auth_methods(),
        scopes_supported: scopes,
        token_endpoint_auth_signing_alg_values_supported: vec!["EdDSA".to_owned()],
        id_token_signing_alg_values_supported: vec!["EdDSA".to_owned()],
        subject_types_supported: vec!["public".to_owned()],
    }))
}

/// Returns the public keys that verify the tenant's access tokens.
#[utoipa::path(
    get, path = "/{tenant}/.well-known/jwks.json", tag = "oauth",
    params(("tenant" = String, Path, description = "The tenant's id or name")),
    responses((status = 200, description = "The JSON Web Key Set", body = JwkSet), TenantErrors)
)]
async fn jwks(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> ApiResult<Json<JwkSet>> {
    find_tenant(&state, &tenant).await?;
    Ok(Json(state.signer().jwks()))
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(revocation))
        .routes(routes!(introspect))
        .routes(routes!(discovery))
        .routes(routes!(jwks))
}
