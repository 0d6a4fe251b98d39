//! The router and its OpenAPI 3.1 document, built together from the handlers'
//! `#[utoipa::path]` attributes so that the document lists exactly the served routes.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Router;
use axum::http::Uri;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::middleware::apply_layers;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "IAM API",
        description = "Identity and access management: clients, users, groups, policies, roles and OAuth scopes inside isolated tenants, with an OAuth 2.0 token endpoint.",
    ),
    modifiers(&BearerSecurity),
    components(schemas(Problem)),
    tags(
        (name = "actions", description = "The action catalogue"),
        (name = "audit", description = "The audit trail"),
        (name = "clients", description = "OAuth clients, their secrets and roles"),
        (name = "domains", description = "E-mail domains and their DNS verification"),
        (name = "me", description = "The calling user"),
        (name = "oauth", description = "OAuth 2.0 and OpenID endpoints of a tenant"),
        (name = "policies", description = "Policies and policy checks"),
        (name = "roles", description = "Tenant roles"),
        (name = "scim", description = "SCIM tokens"),
        (name = "scopes", description = "OAuth scopes"),
        (name = "service", description = "Health, readiness and this document"),
        (name = "sso", description = "SSO identity providers"),
        (name = "subjects", description = "Users, clients and groups as subjects; groups and memberships"),
        (name = "users", description = "Users, invitations and user claims"),
    )
)]
struct ApiDoc;

/// Declares the bearer scheme and requires it on every `/v1` operation except accepting
/// an invitation, which the invitee does without a token.
struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token of `/{tenant}/connect/token` with the `services.iam` scope"))
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") || path == "/v1/invitations/accept" {
                continue;
            }
            let operations: [&mut Option<Operation>; 4] = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                operation.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
            }
        }
    }
}

/// Returns every route of the service with its documentation, without state.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::api::actions::routes())
        .merge(crate::api::audit::routes())
        .merge(crate::api::claims::routes())
        .merge(crate::api::clients::routes())
        .merge(crate::api::domains::routes())
        .merge(crate::api::invitations::routes())
        .merge(crate::api::me::routes())
        .merge(crate::api::policies::routes())
        .merge(crate::api::roles::routes())
        .merge(crate::api::scim::routes())
        .merge(crate::api::scopes::routes())
        .merge(crate::api::sso::routes())
        .merge(crate::api::subjects::routes())
        .merge(crate::api::users::routes())
        .merge(crate::oauth::routes())
        .merge(crate::service::routes())
}

/// Builds the whole service: every route, a 404 problem for unknown paths, and the
/// layers of [`crate::middleware`].
pub fn router(state: AppState) -> Router {
    let (router, _) = api_routes().split_for_parts();
    let request_timeout = state.request_timeout();
    apply_layers(router.fallback(no_route).with_state(state), request_timeout)
}

/// Returns the OpenAPI document of every route, built once per process.
pub fn openapi_document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| api_routes().into_openapi())
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route matches `{}`", uri.path()))
}

fn problem_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn problems(entries: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    entries
        .iter()
        .map(|(status, description)| ((*status).to_owned(), problem_response(description)))
        .collect()
}

const BAD_REQUEST: (&str, &str) = ("400", "Invalid request; `errors` names each invalid field");
const UNAUTHORIZED: (&str, &str) = (
    "401",
    "Missing or invalid access token (with `WWW-Authenticate: Bearer`)",
);
const FORBIDDEN: (&str, &str) = ("403", "The caller is not allowed this operation");
const NOT_FOUND: (&str, &str) = ("404", "No such object in the caller's tenant");
const CONFLICT: (&str, &str) = ("409", "The request conflicts with the current state");
const PRECONDITION_FAILED: (&str, &str) = ("412", "`If-Match` does not match the current version");
const PAYLOAD_TOO_LARGE: (&str, &str) = ("413", "The body is larger than 64 KiB");
const UNSUPPORTED_MEDIA_TYPE: (&str, &str) = ("415", "The body is not `application/json`");
const INTERNAL: (&str, &str) = (
    "500",
    "The server failed; the cause is logged with the request id",
);

/// The error responses of `/v1` reads.
pub struct ReadErrors;

impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, INTERNAL])
    }
}

/// The error responses of `/v1` changes.
pub struct WriteErrors;

impl IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            BAD_REQUEST,
            UNAUTHORIZED,
            FORBIDDEN,
            NOT_FOUND,
            CONFLICT,
            PRECONDITION_FAILED,
            PAYLOAD_TOO_LARGE,
            UNSUPPORTED_MEDIA_TYPE,
            INTERNAL,
        ])
    }
}

/// The error responses of operations that need no access token.
pub struct AnonymousWriteErrors;

impl IntoResponses for AnonymousWriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            BAD_REQUEST,
            CONFLICT,
            PAYLOAD_TOO_LARGE,
            UNSUPPORTED_MEDIA_TYPE,
            INTERNAL,
        ])
    }
}

/// The extra error response of operations that query DNS.
pub struct DnsErrors;

impl IntoResponses for DnsErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[(
            "503",
            "The DNS lookup failed; the domain stays `Pending`, try again later",
        )])
    }
}

/// The error responses of the tenant-path OAuth endpoints that are not RFC 6749 errors.
pub struct TenantErrors;

impl IntoResponses for TenantErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[("404", "No tenant with this id or name"), INTERNAL])
    }
}

/// The error responses of service endpoints.
pub struct ServiceErrors;

impl IntoResponses for ServiceErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[INTERNAL])
    }
}
