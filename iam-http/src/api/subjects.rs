//! Subjects (users, clients and groups as one list), groups and memberships, and
//! effective permissions.
//!
//! Path parameters that name a user, client or group accept the bare id or the prefixed
//! subject id (`group-<uuid>`).

use axum::Json;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use iam_core::ValidationErrors;
use iam_core::group::GroupInput;
use iam_core::id::{GroupId, SubjectId, SubjectKind, TenantId};
use iam_core::paging::PageRequest;
use iam_core::subject::Subject;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::policies::{PermissionDto, permissions_of};
use crate::api::{created_with, with_etag};
use crate::auth::{Access, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, IfMatch, etag};
use crate::openapi::{ReadErrors, WriteErrors};
use crate::paging::{SubjectPage, SubjectPageQuery};
use crate::state::AppState;

/// A user, client or group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubjectDto {
    /// `user`, `client` or `group`.
    #[serde(rename = "$type")]
    pub type_tag: String,
    /// The id without its kind prefix.
    pub id: String,
    /// A user's full name (or user name), a client's name, a group's display name.
    pub display_name: String,
    /// The tenant id.
    pub tenant: String,
    /// The prefixed subject id, such as `group-<uuid>`.
    pub subject_id: String,
    /// `User`, `Client` or `Group`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Properties of the kind.
    pub properties: SubjectProperties,
}

/// The properties of a subject, by kind.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SubjectProperties {
    /// A user's.
    User(UserProperties),
    /// A client's.
    Client(ClientProperties),
    /// A group's.
    Group(GroupProperties),
}

/// The properties of a user subject.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProperties {
    /// The sign-in name.
    pub username: String,
    /// The e-mail address.
    pub email: String,
    /// The phone number, or null.
    pub phone_number: Option<String>,
    /// False when the user is disabled.
    pub active: bool,
}

/// The properties of a client subject.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientProperties {
    /// The client id.
    pub client_id: String,
    /// The client's description.
    pub description: String,
}

/// The properties of a group subject.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupProperties {
    /// The group's description.
    pub description: String,
    /// The number of direct members.
    pub member_count: u64,
}

impl SubjectDto {
    /// Builds the DTO of `subject` in `tenant`.
    pub fn new(tenant: TenantId, subject: Subject) -> Self {
        let subject_id = subject.id();
        let display_name = subject.display_name().to_owned();
        let properties = match subject {
            Subject::User(user) => SubjectProperties::User(UserProperties {
                username: user.user_name,
                email: user.email,
                phone_number: user.phone_number,
                active: user.active,
            }),
            Subject::Client(client) => SubjectProperties::Client(ClientProperties {
                client_id: client.client_id.to_string(),
                description: client.description,
            }),
            Subject::Group {
                group,
                member_count,
            } => SubjectProperties::Group(GroupProperties {
                description: group.description,
                member_count,
            }),
        };
        SubjectDto {
            type_tag: subject_id.kind().prefix().to_owned(),
            id: subject_id.as_uuid().to_string(),
            display_name,
            tenant: tenant.to_string(),
            subject_id: subject_id.to_string(),
            kind: subject_id.kind().to_string(),
            properties,
        }
    }
}

/// The body of group creation and update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupInputDto {
    /// The display name: 1 to 256 characters, unique in the tenant case-insensitively.
    pub display_name: String,
    /// A description: at most 1,024 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// The body of member changes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembersInputDto {
    /// 1 to 100 subject ids.
    pub subject_ids: Vec<String>,
}

/// The `transitive` switch of the membership list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransitiveQuery {
    /// Also groups that contain the subject through other groups.
    pub transitive: Option<bool>,
}

fn subject_page(caller: &Caller, page: iam_core::paging::Page<Subject>) -> SubjectPage<SubjectDto> {
    let tenant = caller.tenant.tenant().id;
    SubjectPage::new(page, |subject| SubjectDto::new(tenant, subject))
}

async fn list_of_kind(
    caller: &Caller,
    kind: Option<SubjectKind>,
    query: &SubjectPageQuery,
) -> ApiResult<Json<SubjectPage<SubjectDto>>> {
    caller.require("subject", Access::Read).await?;
    let page = caller.tenant.list_subjects(kind, &query.request()).await?;
    Ok(Json(subject_page(caller, page)))
}

fn parse_group(text: &str) -> ApiResult<GroupId> {
    match SubjectId::parse_of_kind(SubjectKind::Group, "group", text)? {
        SubjectId::Group(id) => Ok(id),
        _ => Err(ApiError::field(
            "group",
            format!("`{text}` is not a group id"),
        )),
    }
}

/// Lists every subject of the tenant, ordered by display name, then subject id.
#[utoipa::path(
    get, path = "/v1/subjects", tag = "subjects",
    params(SubjectPageQuery),
    responses((status = 200, description = "One page of subjects", body = SubjectPage<SubjectDto>), ReadErrors)
)]
async fn list_subjects(
    caller: Caller,
    ApiQuery(query): ApiQuery<SubjectPageQuery>,
) -> ApiResult<Json<SubjectPage<SubjectDto>>> {
    list_of_kind(&caller, None, &query).await
}

/// Lists the users as subjects.
#[utoipa::path(
    get, path = "/v1/subjects/users", tag = "subjects",
    params(SubjectPageQuery),
    responses((status = 200, description = "One page of user subjects", body = SubjectPage<SubjectDto>), ReadErrors)
)]
async fn list_user_subjects(
    caller: Caller,
    ApiQuery(query): ApiQuery<SubjectPageQuery>,
) -> ApiResult<Json<SubjectPage<SubjectDto>>> {
    list_of_kind(&caller, Some(SubjectKind::User), &query).await
}

/// Lists the clients as subjects.
#[utoipa::path(
    get, path = "/v1/subjects/clients", tag = "subjects",
    params(SubjectPageQuery),
    responses((status = 200, description = "One page of client subjects", body = SubjectPage<SubjectDto>), ReadErrors)
)]
async fn list_client_subjects(
    caller: Caller,
    ApiQuery(query): ApiQuery<SubjectPageQuery>,
) -> ApiResult<Json<SubjectPage<SubjectDto>>> {
    list_of_kind(&caller, Some(SubjectKind::Client), &query).await
}

/// Lists the groups.
#[utoipa::path(
    get, path = "/v1/subjects/groups", tag = "subjects",
    params(SubjectPageQuery),
    responses((status = 200, description = "One page of groups", body = SubjectPage<SubjectDto>), ReadErrors)
)]
async fn list_groups(
    caller: Caller,
    ApiQuery(query): ApiQuery<SubjectPageQuery>,
) -> ApiResult<Json<SubjectPage<SubjectDto>>> {
    list_of_kind(&caller, Some(SubjectKind::Group), &query).await
}

/// Creates a group.
#[utoipa::path(
    post, path = "/v1/subjects/groups", tag = "subjects",
    request_body = GroupInputDto,
    responses((status = 201, description = "The group was created", body = SubjectDto,
        headers(("Location" = String, description = "The group's URL"))), WriteErrors)
)]
async fn create_group(
    caller: Caller,
    ApiJson(input): ApiJson<GroupInputDto>,
) -> ApiResult<Response> {
    caller.require("subject", Access::Write).await?;
    let group = caller
        .tenant
        .create_group(GroupInput {
            display_name: input.display_name,
            description: input.description.unwrap_or_default(),
        })
        .await?;
    let location = format!("/v1/subjects/groups/{}", group.id);
    let dto = SubjectDto::new(
        caller.tenant.tenant().id,
        Subject::Group {
            group,
            member_count: 0,
        },
    );
    created_with(&location, &dto)
}

/// Returns one group.
#[utoipa::path(
    get, path = "/v1/subjects/groups/{group}", tag = "subjects",
    params(("group" = String, Path, description = "The group id or `group-<uuid>`")),
    responses((status = 200, description = "The group", body = SubjectDto,
        headers(("ETag" = String, description = "The group's version"))), ReadErrors)
)]
async fn get_group(caller: Caller, Path(group): Path<String>) -> ApiResult<Response> {
    caller.require("subject", Access::Read).await?;
    let id = parse_group(&group)?;
    let subject = caller.tenant.get_subject(&SubjectId::Group(id)).await?;
    let version = match &subject {
        Subject::Group { group, .. } => group.version,
        _ => 0,
    };
    with_etag(
        version,
        &SubjectDto::new(caller.tenant.tenant().id, subject),
    )
}

/// Renames or re-describes a group.
#[utoipa::path(
    put, path = "/v1/subjects/groups/{group}", tag = "subjects",
    params(("group" = String, Path, description = "The group id or `group-<uuid>`"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the version to replace")),
    request_body = GroupInputDto,
    responses((status = 200, description = "The updated group", body = SubjectDto,
        headers(("ETag" = String, description = "The group's new version"))), WriteErrors)
)]
async fn update_group(
    caller: Caller,
    Path(group): Path<String>,
    if_match: IfMatch,
    ApiJson(input): ApiJson<GroupInputDto>,
) -> ApiResult<Response> {
    caller.require("subject", Access::Write).await?;
    let id = parse_group(&group)?;
    let updated = caller
        .tenant
        .update_group(
            id,
            GroupInput {
                display_name: input.display_name,
                description: input.description.unwrap_or_default(),
            },
            if_match.expected_version(),
        )
        .await
        .map_err(|error| ApiError::from(error).with_precondition(if_match.is_given()))?;
    let version = updated.version;
    let subject = caller.tenant.get_subject(&SubjectId::Group(id)).await?;
    let dto = SubjectDto::new(caller.tenant.tenant().id, subject);
    Ok(([(header::ETAG, etag(version))], Json(dto)).into_response())
}

/// Deletes a group, its memberships both ways and its policies.
#[utoipa::path(
    delete, path = "/v1/subjects/groups/{group}", tag = "subjects",
    params(("group" = String, Path, description = "The group id or `group-<uuid>`")),
    responses((status = 204, description = "The group was deleted"), WriteErrors)
)]
async fn delete_group(caller: Caller, Path(group): Path<String>) -> ApiResult<StatusCode> {
    caller.require("subject", Access::Write).await?;
    caller.tenant.delete_group(parse_group(&group)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a group's direct members, ordered by display name, then subject id.
#[utoipa::path(
    get, path = "/v1/subjects/groups/{group}/members", tag = "subjects",
    params(("group" = String, Path, description = "The group id or `group-<uuid>`"), SubjectPageQuery),
    responses((status = 200, description = "One page of members", body = SubjectPage<SubjectDto>), ReadErrors)
)]
async fn list_members(
    caller: Caller,
    Path(group): Path<String>,
    ApiQuery(query): ApiQuery<SubjectPageQuery>,
) -> ApiResult<Json<SubjectPage<SubjectDto>>> {
    caller.require("subject", Access::Read).await?;
    let page = caller
        .tenant
        .list_members(parse_group(&group)?, &query.request())
        .await?;
    Ok(Json(subject_page(&caller, page)))
}

fn parse_members(input: &MembersInputDto) -> ApiResult<Vec<SubjectId>> {
    let mut invalid = Vec::new();
    let mut members = Vec::with_capacity(input.subject_ids.len());
    for text in &input.subject_ids {
        match text.parse::<SubjectId>() {
            Ok(subject) => members.push(subject),
            Err(_) => invalid.push(format!("`{text}`")),
        }
    }
    if !invalid.is_empty() {
        return Err(iam_core::IamError::from(ValidationErrors::single(
            "subjectIds",
            format!(
                "{} are not valid subject ids; expected `user-<uuid>`, `client-<uuid>` or `group-<uuid>`",
                invalid.join(", ")
            ),
        ))
        .into());
    }
    Ok(members)
}

/// Adds members to a group, all or nothing. Unknown ids give 404 listing them, a cycle
/// gives 409; ids that are already members are ignored.
#[utoipa::path(
    post, path = "/v1/subjects/groups/{group}/members", tag = "subjects",
    params(("group" = String, Path, description = "The group id or `group-<uuid>`")),
    request_body = MembersInputDto,
    responses((status = 204, description = "The members were added"), WriteErrors)
)]
async fn add_members(
    caller: Caller,
    Path(group): Path<String>,
    ApiJson(input): ApiJson<MembersInputDto>,
) -> ApiResult<StatusCode> {
    caller.require("subject", Access::Write).await?;
    let group = parse_group(&group)?;
    let members = parse_members(&input)?;
    caller.tenant.add_members(group, &members).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes members from a group; ids that are not members are ignored.
#[utoipa::path(
    delete, path = "/v1/subjects/groups/{group}/members", tag = "subjects",
    params(("group" = String, Path, description = "The group id or `group-<uuid>`")),
    request_body = MembersInputDto,
    responses((status = 204, description = "The members were removed"), WriteErrors)
)]
async fn remove_members(
    caller: Caller,
    Path(group): Path<String>,
    ApiJson(input): ApiJson<MembersInputDto>,
) -> ApiResult<StatusCode> {
    caller.require("subject", Access::Write).await?;
    let group = parse_group(&group)?;
    let members = parse_members(&input)?;
    caller.tenant.remove_members(group, &members).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists the groups that contain a subject, directly or, with `transitive=true`, also
/// through other groups; ordered by display name, then id.
#[utoipa::path(
    get, path = "/v1/subjects/{subject}/memberships", tag = "subjects",
    params(("subject" = String, Path, description = "The subject id, such as `user-<uuid>`"), TransitiveQuery, SubjectPageQuery),
    responses((status = 200, description = "One page of groups", body = SubjectPage<SubjectDto>), ReadErrors)
)]
async fn list_memberships(
    caller: Caller,
    Path(subject): Path<String>,
    ApiQuery(transitive): ApiQuery<TransitiveQuery>,
    ApiQuery(query): ApiQuery<SubjectPageQuery>,
) -> ApiResult<Json<SubjectPage<SubjectDto>>> {
    caller.require("subject", Access::Read).await?;
    let subject = SubjectId::parse("subject", &subject)?;
    let groups = caller
        .tenant
        .memberships(&subject, transitive.transitive.unwrap_or(false))
        .await?;
    let mut subjects = Vec::with_capacity(groups.len());
    for group in groups {
        subjects.push(
            caller
                .tenant
                .get_subject(&SubjectId::Group(group.id))
                .await?,
        );
    }
    let request: PageRequest = PageRequest {
        search: None,
        ..query.request()
    };
    Ok(Json(subject_page(&caller, request.paginate(subjects))))
}

async fn permissions(caller: &Caller, subject: SubjectId) -> ApiResult<Json<Vec<PermissionDto>>> {
    caller.require("subject", Access::Read).await?;
    Ok(Json(permissions_of(caller, &subject).await?))
}

/// Lists every policy that applies to a subject, each with `inheritedFrom`.
#[utoipa::path(
    get, path = "/v1/subjects/{subject}/permissions", tag = "subjects",
    params(("subject" = String, Path, description = "The subject id, such as `user-<uuid>`")),
    responses((status = 200, description = "The effective permissions, ordered by subject, scope, action", body = Vec<PermissionDto>), ReadErrors)
)]
async fn subject_permissions(
    caller: Caller,
    Path(subject): Path<String>,
) -> ApiResult<Json<Vec<PermissionDto>>> {
    let subject = SubjectId::parse("subject", &subject)?;
    permissions(&caller, subject).await
}

/// Lists the effective permissions of a user.
#[utoipa::path(
    get, path = "/v1/subjects/users/{userId}/permissions", tag = "subjects",
    params(("userId" = String, Path, description = "The user id or `user-<uuid>`")),
    responses((status = 200, description = "The effective permissions", body = Vec<PermissionDto>), ReadErrors)
)]
async fn user_permissions(
    caller: Caller,
    Path(user): Path<String>,
) -> ApiResult<Json<Vec<PermissionDto>>> {
    let subject = SubjectId::parse_of_kind(SubjectKind::User, "userId", &user)?;
    permissions(&caller, subject).await
}

/// Lists the effective permissions of a client.
#[utoipa::path(
    get, path = "/v1/subjects/clients/{clientId}/permissions", tag = "subjects",
    params(("clientId" = String, Path, description = "The client id or `client-<uuid>`")),
    responses((status = 200, description = "The effective permissions", body = Vec<PermissionDto>), ReadErrors)
)]
async fn client_permissions(
    caller: Caller,
    Path(client): Path<String>,
) -> ApiResult<Json<Vec<PermissionDto>>> {
    let subject = SubjectId::parse_of_kind(SubjectKind::Client, "clientId", &client)?;
    permissions(&caller, subject).await
}

/// Lists the effective permissions of a group.
#[utoipa::path(
    get, path = "/v1/subjects/groups/{group}/permissions", tag = "subjects",
    params(("group" = String, Path, description = "The group id or `group-<uuid>`")),
    responses((status = 200, description = "The effective permissions", body = Vec<PermissionDto>), ReadErrors)
)]
async fn group_permissions(
    caller: Caller,
    Path(group): Path<String>,
) -> ApiResult<Json<Vec<PermissionDto>>> {
    let subject = SubjectId::Group(parse_group(&group)?);
    permissions(&caller, subject).await
}

/// Returns the routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subjects))
        .routes(routes!(list_user_subjects))
        .routes(routes!(list_client_subjects))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(list_members, add_members, remove_members))
        .routes(routes!(list_memberships))
        .routes(routes!(subject_permissions))
        .routes(routes!(user_permissions))
        .routes(routes!(client_permissions))
        .routes(routes!(group_permissions))
}
