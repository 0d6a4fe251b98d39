//! The audit trail.

use axum::Json;
use chrono::{DateTime, Utc};
use iam_core::audit::{AuditEvent, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, Caller};
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::openapi::ReadErrors;
use crate::paging::{CursorPageDto, CursorQuery};
use crate::state::AppState;

/// A recorded change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventDto {
    /// The event's number, increasing within the tenant.
    pub id: u64,
    /// When the change was made.
    pub time: DateTime<Utc>,
    /// The actor: `operator` or a subject id.
    pub actor: String,
    /// The operation, such as `client.create`.
    pub operation: String,
    /// The id of the changed object.
    pub target: String,
    /// Non-secret details.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(event: AuditEvent) -> Self {
        AuditEventDto {
            id: event.id,
            time: event.time,
            actor: event.actor,
            operation: event.operation,
            target: event.target,
            details: event.details,
        }
    }
}

/// The filters of the audit list; each must match exactly.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events by this actor.
    pub actor: Option<String>,
    /// Only events on this target.
    pub target: Option<String>,
    /// Only events of this operation.
    pub operation: Option<String>,
}

/// Lists audit events, newest first.
#[utoipa::path(
    get, path = "/v1/audit", tag = "audit",
    params(AuditQuery, CursorQuery),
    responses((status = 200, description = "One page of events", body = CursorPageDto<AuditEventDto>), ReadErrors)
)]
async fn list_audit(
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
    ApiQuery(cursor): ApiQuery<CursorQuery>,
) -> ApiResult<Json<CursorPageDto<AuditEventDto>>> {
    caller.require("audit", Access::Read).await?;
    let non_empty = |value: Option<String>| value.filter(|text| !text.is_empty());
    let filter = AuditFilter {
        actor: non_empty(query.actor),
        target: non_empty(query.target),
        operation: non_empty(query.operation),
    };
    let page = caller.tenant.list_audit(&filter, &cursor.request()).await?;
    Ok(Json(CursorPageDto::new(page, AuditEventDto::from)))
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}
