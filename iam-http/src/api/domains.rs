//! E-mail domains of the tenant and their DNS verification.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use iam_core::IamError;
use iam_core::domain::{Domain, DomainState, DomainStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::created_with;
use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::openapi::{DnsErrors, ReadErrors, WriteErrors};
use crate::state::AppState;

/// The verification state of a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum DomainStatusDto {
    /// Registered; the TXT record has not been seen yet.
    Pending,
    /// The TXT record was seen.
    Confirmed,
    /// Not registered in the caller's tenant (only in status queries).
    NotRegistered,
}

impl From<DomainState> for DomainStatusDto {
    fn from(state: DomainState) -> Self {
        match state {
            DomainState::Pending => DomainStatusDto::Pending,
            DomainState::Confirmed => DomainStatusDto::Confirmed,
            DomainState::NotRegistered => DomainStatusDto::NotRegistered,
        }
    }
}

/// A registered domain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainDto {
    /// The normalised name: lowercase ASCII (IDNA), no trailing dot.
    pub domain: String,
    /// `Pending` or `Confirmed`.
    pub status: DomainStatusDto,
    /// The value that a TXT record of the domain must have; null once confirmed.
    pub verification_token: Option<String>,
    /// When the domain was registered.
    pub created: DateTime<Utc>,
    /// When the domain was confirmed, or null.
    pub verified_at: Option<DateTime<Utc>>,
}

impl From<Domain> for DomainDto {
    fn from(domain: Domain) -> Self {
        let pending = domain.status == DomainStatus::Pending;
        DomainDto {
            domain: domain.domain,
            status: if pending {
                DomainStatusDto::Pending
            } else {
                DomainStatusDto::Confirmed
            },
            verification_token: pending.then_some(domain.verification_token),
            created: domain.created,
            verified_at: domain.verified_at,
        }
    }
}

/// The result of a status query.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainStatusResponse {
    /// The normalised name.
    pub domain: String,
    /// `Pending`, `Confirmed` or `NotRegistered`.
    pub status: DomainStatusDto,
}

/// The query of the domain list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DomainFilterQuery {
    /// Only domains whose name contains this text, case-insensitively.
    pub filter: Option<String>,
}

/// The query that names one domain.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DomainQuery {
    /// The domain name, such as `example.com`; internationalised names are accepted.
    pub domain: Option<String>,
}

impl DomainQuery {
    fn required(self) -> ApiResult<String> {
        self.domain
            .filter(|domain| !domain.is_empty())
            .ok_or_else(|| ApiError::field("domain", "is required, such as `?domain=example.com`"))
    }
}

/// Returns the path of a domain's status, which is the URL of a registration.
fn status_path(domain: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("domain", domain)
        .finish();
    format!("/v1/domains/status?{query}")
}

/// Lists the tenant's domains, ordered by name.
#[utoipa::path(
    get, path = "/v1/domains", tag = "domains",
    params(DomainFilterQuery),
    responses((status = 200, description = "The domains, ordered by name", body = Vec<DomainDto>), ReadErrors)
)]
async fn list_domains(
    caller: Caller,
    ApiQuery(query): ApiQuery<DomainFilterQuery>,
) -> ApiResult<Json<Vec<DomainDto>>> {
    caller.require("domain", Access::Read).await?;
    let domains = caller.tenant.list_domains(query.filter.as_deref()).await?;
    Ok(Json(domains.into_iter().map(DomainDto::from).collect()))
}

/// Registers a domain with a fresh verification token. Registering it again returns the
/// existing registration with 200. A domain that another tenant confirmed is 409.
#[utoipa::path(
    post, path = "/v1/domains", tag = "domains",
    params(DomainQuery),
    responses(
        (status = 201, description = "The domain was registered; publish `verificationToken` as a TXT record of the domain", body = DomainDto,
            headers(("Location" = String, description = "The URL of the domain's status"))),
        (status = 200, description = "The domain was registered before", body = DomainDto),
        WriteErrors
    )
)]
async fn register_domain(
    caller: Caller,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> ApiResult<Response> {
    caller.require("domain", Access::Write).await?;
    let (domain, created) = caller.tenant.register_domain(&query.required()?).await?;
    let location = status_path(&domain.domain);
    let dto = DomainDto::from(domain);
    if created {
        created_with(&location, &dto)
    } else {
        Ok(Json(dto).into_response())
    }
}

/// Returns whether a domain is pending, confirmed or not registered in the tenant.
#[utoipa::path(
    get, path = "/v1/domains/status", tag = "domains",
    params(DomainQuery),
    responses((status = 200, description = "The domain's status", body = DomainStatusResponse), ReadErrors)
)]
async fn domain_status(
    caller: Caller,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> ApiResult<Json<DomainStatusResponse>> {
    caller.require("domain", Access::Read).await?;
    let domain = iam_core::domain::normalize_domain("domain", &query.required()?)?;
    let status = caller.tenant.domain_status(&domain).await?;
    Ok(Json(DomainStatusResponse {
        domain,
        status: status.into(),
    }))
}

/// Looks up the domain's TXT records now and confirms the domain when one of them equals
/// its verification token. Without a matching record the domain stays `Pending`. A
/// failed lookup is 503 and leaves the domain pending.
#[utoipa::path(
    post, path = "/v1/domains/verify", tag = "domains",
    params(DomainQuery),
    responses((status = 200, description = "The domain after the check", body = DomainDto), WriteErrors, DnsErrors)
)]
async fn verify_domain(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> ApiResult<Json<DomainDto>> {
    caller.require("domain", Access::Write).await?;
    let name = query.required()?;
    let domain = caller
        .tenant
        .verify_domain(&name, state.resolver())
        .await
        .inspect_err(|error| {
            if let IamError::Dns(lookup) = error {
                tracing::warn!(domain = %name, error = %lookup, "domain verification lookup failed");
            }
        })?;
    Ok(Json(domain.into()))
}

/// Removes a domain registration. Existing users stay; direct user creation for the
/// domain stops.
#[utoipa::path(
    delete, path = "/v1/domains", tag = "domains",
    params(DomainQuery),
    responses((status = 204, description = "The domain is no longer registered"), WriteErrors)
)]
async fn delete_domain(
    caller: Caller,
    ApiQuery(query): ApiQuery<DomainQuery>,
) -> ApiResult<StatusCode> {
    caller.require("domain", Access::Write).await?;
    caller.tenant.unregister_domain(&query.required()?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_domains, register_domain, delete_domain))
        .routes(routes!(domain_status))
        .routes(routes!(verify_domain))
}
