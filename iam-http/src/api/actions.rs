//! The action catalogue, read-only over HTTP.

use axum::Json;
use iam_core::action::ActionDefinition;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, Caller};
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::openapi::ReadErrors;
use crate::state::AppState;

/// An action of the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionDto {
    /// The dot-separated action name.
    pub name: String,
    /// A description of what the action allows.
    pub description: String,
    /// The parent action, which covers this one, or null.
    pub parent: Option<String>,
    /// True for the built-in `iam` actions.
    pub built_in: bool,
}

impl From<&ActionDefinition> for ActionDto {
    fn from(definition: &ActionDefinition) -> Self {
        ActionDto {
            name: definition.name.to_string(),
            description: definition.description.clone(),
            parent: definition.parent.as_ref().map(ToString::to_string),
            built_in: definition.built_in,
        }
    }
}

/// The query of the action list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// Only actions whose name starts with this text (compared in lowercase).
    pub prefix: Option<String>,
}

/// Lists the action catalogue, sorted by name.
#[utoipa::path(
    get, path = "/v1/actions", tag = "actions",
    params(ActionQuery),
    responses((status = 200, description = "The actions, sorted by name", body = Vec<ActionDto>), ReadErrors)
)]
async fn list_actions(
    caller: Caller,
    ApiQuery(query): ApiQuery<ActionQuery>,
) -> ApiResult<Json<Vec<ActionDto>>> {
    caller.require("action", Access::Read).await?;
    let catalog = caller.tenant.iam().catalog();
    let prefix = query.prefix.unwrap_or_default();
    Ok(Json(
        catalog
            .list(&prefix)
            .into_iter()
            .map(ActionDto::from)
            .collect(),
    ))
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_actions))
}
