//! Policies, policy checks and effective permissions.

use axum::Json;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use iam_core::ValidationErrors;
use iam_core::action::ActionName;
use iam_core::id::SubjectId;
use iam_core::policy::{CheckRequest, Decision, EffectivePermission, Policy, PolicyFilter};
use iam_core::role::TENANT_ADMIN;
use iam_core::scope::ResourceScope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, Caller, area_action};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::openapi::{ReadErrors, WriteErrors};
use crate::paging::{CursorPageDto, CursorQuery};
use crate::state::AppState;

/// The maximum number of checks in one batch.
pub const MAX_BATCH_CHECKS: usize = 1000;

/// The body limit of a check batch (1 MiB). A thousand checks with typical subject ids
/// take about 85 KiB, more than the 64 KiB of other bodies, so this one route gets more.
pub const MAX_BATCH_BODY_BYTES: usize = 1024 * 1024;

/// A policy: the grant of an action on a scope to a subject.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDto {
    /// The subject id, such as `group-<uuid>`.
    pub subject: String,
    /// The resource scope, with every scope below it.
    pub scope: String,
    /// The action, with every action below it in the catalogue.
    pub action: String,
    /// The tenant id.
    pub tenant: String,
    /// When the policy was created.
    pub created: DateTime<Utc>,
}

impl From<Policy> for PolicyDto {
    fn from(policy: Policy) -> Self {
        PolicyDto {
            subject: policy.subject.to_string(),
            scope: policy.scope.to_string(),
            action: policy.action.to_string(),
            tenant: policy.tenant.to_string(),
            created: policy.created,
        }
    }
}

/// A policy that applies to a subject, directly or through a group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionDto {
    /// The policy's subject id.
    pub subject: String,
    /// The resource scope.
    pub scope: String,
    /// The action.
    pub action: String,
    /// The tenant id.
    pub tenant: String,
    /// When the policy was created.
    pub created: DateTime<Utc>,
    /// The group the policy is inherited from, or null when it names the subject itself.
    pub inherited_from: Option<String>,
}

impl From<EffectivePermission> for PermissionDto {
    fn from(permission: EffectivePermission) -> Self {
        let policy = PolicyDto::from(permission.policy);
        PermissionDto {
            subject: policy.subject,
            scope: policy.scope,
            action: policy.action,
            tenant: policy.tenant,
            created: policy.created,
            inherited_from: permission.inherited_from.map(|group| group.to_string()),
        }
    }
}

/// The body of policy creation and deletion.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyInputDto {
    /// The subject id: `user-<uuid>`, `client-<uuid>` or `group-<uuid>`.
    pub subject: String,
    /// The resource scope: a relative path such as `/subscriptions/123`, or an absolute
    /// `http`/`https` URI.
    pub scope: String,
    /// An action of the catalogue.
    pub action: String,
}

/// The query of the policy list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PolicyListQuery {
    /// Only policies of this subject.
    pub subject: Option<String>,
    /// Only policies on this scope.
    pub scope: Option<String>,
    /// Only policies for this action.
    pub action: Option<String>,
    /// With `scope` or `action`: also policies whose scope or action covers the given one.
    pub include_derived: Option<bool>,
    /// With `subject`: also the policies of every group that contains the subject.
    pub include_inherited: Option<bool>,
}

/// One check: may `subject` perform `action` on `scope`?
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckInputDto {
    /// The subject id.
    pub subject: String,
    /// The action.
    pub action: String,
    /// The resource scope.
    pub scope: String,
}

/// The decision of a check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckResultDto {
    /// True when allowed.
    pub allowed: bool,
    /// `Allow` or `Deny`.
    pub decision: String,
    /// The determining policy and membership path, or why the check was denied.
    pub reason: String,
}

impl From<Decision> for CheckResultDto {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::Allow(grant) => CheckResultDto {
                allowed: true,
                decision: "Allow".to_owned(),
                reason: grant.to_string(),
            },
            Decision::Deny(reason) => CheckResultDto {
                allowed: false,
                decision: "Deny".to_owned(),
                reason: reason.to_string(),
            },
        }
    }
}

/// A batch of checks.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckBatchInputDto {
    /// At most 1,000 checks.
    pub checks: Vec<CheckInputDto>,
}

/// The decisions of a batch, in the order of the checks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckBatchResultDto {
    /// One decision per check.
    pub results: Vec<CheckResultDto>,
}

fn parse_target(input: &PolicyInputDto) -> ApiResult<(SubjectId, ActionName, ResourceScope)> {
    let mut errors = ValidationErrors::new();
    let subject = errors.collect(SubjectId::parse("subject", &input.subject))?;
    let action = errors.collect(ActionName::parse("action", &input.action))?;
    let scope = errors.collect(ResourceScope::parse("scope", &input.scope))?;
    match (subject, action, scope) {
        (Some(subject), Some(action), Some(scope)) => Ok((subject, action, scope)),
        _ => Err(iam_core::IamError::from(errors).into()),
    }
}

/// Creates a policy, or returns the existing identical one unchanged. The caller needs
/// `iam.policy.write` on the policy's scope and, unless it is `TenantAdmin`, must itself
/// be allowed the policy's action on that scope.
#[utoipa::path(
    post, path = "/v1/policies", tag = "policies",
    request_body = PolicyInputDto,
    responses((status = 200, description = "The policy", body = PolicyDto), WriteErrors)
)]
async fn create_policy(
    caller: Caller,
    ApiJson(input): ApiJson<PolicyInputDto>,
) -> ApiResult<Json<PolicyDto>> {
    let (subject, action, scope) = parse_target(&input)?;
    caller
        .require_on(&area_action("policy", Access::Write), scope.as_str())
        .await?;
    if !caller.is_tenant_admin().await?
        && !caller
            .tenant
            .check(&caller.subject, action.as_str(), scope.as_str())
            .is_allowed()
    {
        return Err(ApiError::forbidden(format!(
            "`{}` may grant only actions it is allowed itself: it is not allowed `{action}` on `{scope}` and does not have `{TENANT_ADMIN}`",
            caller.subject
        )));
    }
    let (policy, _) = caller
        .tenant
        .create_policy(&subject, action.as_str(), scope.as_str())
        .await?;
    Ok(Json(policy.into()))
}

/// Lists policies, ordered by subject, scope, action.
#[utoipa::path(
    get, path = "/v1/policies", tag = "policies",
    params(PolicyListQuery, CursorQuery),
    responses((status = 200, description = "One page of policies", body = CursorPageDto<PolicyDto>), ReadErrors)
)]
async fn list_policies(
    caller: Caller,
    ApiQuery(query): ApiQuery<PolicyListQuery>,
    ApiQuery(cursor): ApiQuery<CursorQuery>,
) -> ApiResult<Json<CursorPageDto<PolicyDto>>> {
    caller.require("policy", Access::Read).await?;
    let mut errors = ValidationErrors::new();
    let non_empty = |value: &Option<String>| value.clone().filter(|text| !text.is_empty());
    let subject = match non_empty(&query.subject) {
        Some(text) => errors.collect(SubjectId::parse("subject", &text))?,
        None => None,
    };
    let scope = match non_empty(&query.scope) {
        Some(text) => errors.collect(ResourceScope::parse("scope", &text))?,
        None => None,
    };
    let action = match non_empty(&query.action) {
        Some(text) => errors.collect(ActionName::parse("action", &text))?,
        None => None,
    };
    errors.into_result()?;
    let filter = PolicyFilter {
        subject,
        scope,
        action,
        include_inherited: query.include_inherited.unwrap_or(false),
        include_derived: query.include_derived.unwrap_or(false),
    };
    let page = caller
        .tenant
        .list_policies(&filter, &cursor.request())
        .await?;
    Ok(Json(CursorPageDto::new(page, PolicyDto::from)))
}

/// Deletes a policy. The caller needs `iam.policy.write` on the policy's scope.
#[utoipa::path(
    delete, path = "/v1/policies", tag = "policies",
    request_body = PolicyInputDto,
    responses((status = 204, description = "The policy was deleted"), WriteErrors)
)]
async fn delete_policy(
    caller: Caller,
    ApiJson(input): ApiJson<PolicyInputDto>,
) -> ApiResult<StatusCode> {
    let (subject, action, scope) = parse_target(&input)?;
    caller
        .require_on(&area_action("policy", Access::Write), scope.as_str())
        .await?;
    caller
        .tenant
        .delete_policy(&subject, action.as_str(), scope.as_str())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn check_request(input: &CheckInputDto, field: &str) -> ApiResult<CheckRequest> {
    Ok(CheckRequest {
        subject: SubjectId::parse(field, &input.subject)?,
        action: input.action.clone(),
        scope: input.scope.clone(),
    })
}

/// Decides whether a subject may perform an action on a scope, with the reason.
#[utoipa::path(
    post, path = "/v1/policies/check", tag = "policies",
    request_body = CheckInputDto,
    responses((status = 200, description = "The decision", body = CheckResultDto), WriteErrors)
)]
async fn check(
    caller: Caller,
    ApiJson(input): ApiJson<CheckInputDto>,
) -> ApiResult<Json<CheckResultDto>> {
    caller.require("policy", Access::Read).await?;
    let request = check_request(&input, "subject")?;
    let decision = caller
        .tenant
        .check(&request.subject, &request.action, &request.scope);
    Ok(Json(decision.into()))
}

/// Decides up to 1,000 checks against one consistent state, in order.
#[utoipa::path(
    post, path = "/v1/policies/check-batch", tag = "policies",
    request_body = CheckBatchInputDto,
    responses((status = 200, description = "The decisions in request order", body = CheckBatchResultDto), WriteErrors)
)]
async fn check_batch(
    caller: Caller,
    ApiJson(input): ApiJson<CheckBatchInputDto>,
) -> ApiResult<Json<CheckBatchResultDto>> {
    caller.require("policy", Access::Read).await?;
    if input.checks.len() > MAX_BATCH_CHECKS {
        return Err(ApiError::field(
            "checks",
            format!(
                "must contain at most {MAX_BATCH_CHECKS} checks, not {}",
                input.checks.len()
            ),
        ));
    }
    let requests = input
        .checks
        .iter()
        .enumerate()
        .map(|(index, check)| check_request(check, &format!("checks[{index}].subject")))
        .collect::<ApiResult<Vec<_>>>()?;
    let results = caller
        .tenant
        .check_batch(&requests)
        .into_iter()
        .map(CheckResultDto::from)
        .collect();
    Ok(Json(CheckBatchResultDto { results }))
}

/// Returns the effective permissions of `subject` as DTOs.
pub(crate) async fn permissions_of(
    caller: &Caller,
    subject: &SubjectId,
) -> ApiResult<Vec<PermissionDto>> {
    Ok(caller
        .tenant
        .effective_permissions(subject)
        .await?
        .into_iter()
        .map(PermissionDto::from)
        .collect())
}

fn with_body_limit(
    (schemas, paths, method_router): utoipa_axum::router::UtoipaMethodRouter<AppState>,
    limit: usize,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    (
        schemas,
        paths,
        method_router.layer(axum::extract::DefaultBodyLimit::max(limit)),
    )
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_policy, list_policies, delete_policy))
        .routes(routes!(check))
        .routes(with_body_limit(routes!(check_batch), MAX_BATCH_BODY_BYTES))
}
