//! Builders and checks shared by the cases that test the `Iam` facade.

use std::fmt::Debug;

use super::support::ok;
use crate::audit::{AuditEvent, AuditFilter};
use crate::client::{Client, ClientCredentials, ClientInput, ClientSecretInfo, NewClientSecret};
use crate::error::IamError;
use crate::group::{Group, GroupInput};
use crate::iam::TenantIam;
use crate::id::{GroupId, SubjectId};
use crate::paging::{CursorRequest, PageRequest};
use crate::policy::{Policy, PolicyFilter};
use crate::role::{Role, RoleInput};
use crate::secret::SecretHash;
use crate::store::{Kind, Namespace, ScanRange};
use crate::subject::Subject;
use crate::user::{NewUser, User};

/// The store kinds whose record ids name other objects: memberships, policies, role
/// assignments, client secrets and scope uses, each with its reverse index.
const REFERENCE_KINDS: [Kind; 7] = [
    Kind::MEMBERSHIP,
    Kind::MEMBERSHIP_BY_MEMBER,
    Kind::POLICY,
    Kind::ROLE_ASSIGNMENT,
    Kind::ROLE_ASSIGNMENT_BY_ROLE,
    Kind::CLIENT_SECRET,
    Kind::OAUTH_SCOPE_CLIENT,
];

/// Returns the input of a user with this e-mail address and nothing else.
pub(crate) fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.to_owned(),
        ..NewUser::default()
    }
}

pub(crate) async fn create_user(handle: &TenantIam, email: &str) -> User {
    ok(handle.create_user(new_user(email)).await)
}

/// Returns the input of a `client_credentials` client named `name` with no scopes.
pub(crate) fn client_input(name: &str) -> ClientInput {
    ClientInput {
        name: name.to_owned(),
        allowed_grant_types: vec!["client_credentials".to_owned()],
        ..ClientInput::default()
    }
}

pub(crate) async fn create_client(handle: &TenantIam, name: &str) -> Client {
    ok(handle.create_client(client_input(name)).await)
}

pub(crate) fn group_input(display_name: &str) -> GroupInput {
    GroupInput {
        display_name: display_name.to_owned(),
        description: String::new(),
    }
}

pub(crate) async fn create_group(handle: &TenantIam, display_name: &str) -> Group {
    ok(handle.create_group(group_input(display_name)).await)
}

pub(crate) async fn create_role(handle: &TenantIam, name: &str) -> Role {
    let input = RoleInput {
        name: name.to_owned(),
        description: String::new(),
    };
    ok(handle.create_role(input).await)
}

/// Hashes `secret` with Argon2id on a blocking thread, as the facade's callers must.
pub(crate) async fn hash(secret: &'static [u8]) -> SecretHash {
    let task = tokio::task::spawn_blocking(move || {
        crate::secret::hash_secret(secret, &crate::clock::OsRandom)
    });
    ok(ok(task.await))
}

/// Verifies `presented` against `credentials` on a blocking thread.
pub(crate) async fn verify(
    credentials: ClientCredentials,
    presented: &'static [u8],
) -> Option<Client> {
    ok(tokio::task::spawn_blocking(move || credentials.verify(presented)).await)
}

/// Loads the credentials of `client_id` and verifies `presented` against them.
pub(crate) async fn authenticate(
    handle: &TenantIam,
    client_id: &str,
    presented: &'static [u8],
) -> Option<Client> {
    let credentials = ok(handle.client_credentials(client_id).await);
    verify(credentials, presented).await
}

/// Adds a secret without expiration and with an empty description.
pub(crate) async fn add_secret(
    handle: &TenantIam,
    client: &Client,
    hash: &SecretHash,
) -> ClientSecretInfo {
    let input = NewClientSecret {
        hash: hash.clone(),
        description: String::new(),
        expiration: None,
        tag: None,
    };
    ok(handle.add_client_secret(client.client_id, input).await)
}

/// Returns the error of `result`, or fails the test with the unexpected value.
#[track_caller]
pub(crate) fn failure<T: Debug>(result: Result<T, IamError>) -> IamError {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error,
    }
}

/// Returns the validation messages for `field`, or fails the test unless `result` is a
/// validation error that names `field`.
#[track_caller]
pub(crate) fn validation_messages<T: Debug>(
    result: Result<T, IamError>,
    field: &str,
) -> Vec<String> {
    match failure(result) {
        IamError::Validation(errors) => match errors.fields().get(field) {
            Some(messages) => messages.clone(),
            None => panic!("expected a validation error on `{field}`, got {errors}"),
        },
        other => panic!("expected a validation error on `{field}`, got {other} ({other:?})"),
    }
}

/// Fails the test unless `result` is `AlreadyExists` on `field`.
#[track_caller]
pub(crate) fn assert_already_exists<T: Debug>(result: Result<T, IamError>, field: &str) {
    match failure(result) {
        IamError::AlreadyExists { field: actual, .. } => assert_eq!(actual, field),
        other => panic!("expected `AlreadyExists` on `{field}`, got {other} ({other:?})"),
    }
}

/// Fails the test unless `result` is `NotFound`.
#[track_caller]
pub(crate) fn assert_not_found<T: Debug>(result: Result<T, IamError>) {
    let error = failure(result);
    assert!(matches!(error, IamError::NotFound { .. }), "{error:?}");
}

/// Returns the message of a `Conflict`, or fails the test on any other outcome.
#[track_caller]
pub(crate) fn conflict_message<T: Debug>(result: Result<T, IamError>) -> String {
    match failure(result) {
        IamError::Conflict { message } => message,
        other => panic!("expected a conflict, got {other} ({other:?})"),
    }
}

/// Fails the test unless `result` is a `VersionMismatch` from `expected` to `actual`.
#[track_caller]
pub(crate) fn assert_version_mismatch<T: Debug>(
    result: Result<T, IamError>,
    expected: u64,
    actual: u64,
) {
    match failure(result) {
        IamError::VersionMismatch {
            expected: named,
            actual: stored,
            ..
        } => {
            assert_eq!(named, expected);
            assert_eq!(stored, actual);
        }
        other => panic!("expected a version mismatch, got {other} ({other:?})"),
    }
}

/// Returns every audit event of the tenant that matches `filter`, newest first.
pub(crate) async fn audit_matching(handle: &TenantIam, filter: &AuditFilter) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    let mut cursor = None;
    loop {
        let request = CursorRequest::new(Some(1000), cursor);
        let page = ok(handle.list_audit(filter, &request).await);
        events.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return events,
        }
    }
}

/// Returns every audit event of the tenant, newest first.
pub(crate) async fn audit_events(handle: &TenantIam) -> Vec<AuditEvent> {
    audit_matching(handle, &AuditFilter::default()).await
}

/// Returns every policy whose subject is `subject`.
pub(crate) async fn policies_of(handle: &TenantIam, subject: &SubjectId) -> Vec<Policy> {
    let filter = PolicyFilter {
        subject: Some(*subject),
        ..PolicyFilter::default()
    };
    let mut policies = Vec::new();
    let mut cursor = None;
    loop {
        let request = CursorRequest::new(Some(1000), cursor);
        let page = ok(handle.list_policies(&filter, &request).await);
        policies.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return policies,
        }
    }
}

/// Returns `kind/id` for every reference record of the tenant whose id contains `id`,
/// read from the store directly so that leftover index records show up too.
pub(crate) async fn references_to(handle: &TenantIam, id: &impl ToString) -> Vec<String> {
    let id = id.to_string();
    let namespace = Namespace::Tenant(handle.tenant().id);
    let mut found = Vec::new();
    for kind in REFERENCE_KINDS {
        let records = ok(handle
            .iam()
            .store()
            .scan(&ScanRange::all(namespace, kind))
            .await);
        for record in records {
            if record.id.contains(&id) {
                found.push(format!(
                    "{}/{}",
                    kind.as_str(),
                    record.id.replace('\0', " ")
                ));
            }
        }
    }
    found
}

/// Returns the subject ids of a group's direct members, in list order.
pub(crate) async fn member_ids(handle: &TenantIam, group: GroupId) -> Vec<SubjectId> {
    let request = PageRequest::items(None, Some(200), None);
    let page = ok(handle.list_members(group, &request).await);
    subject_ids(&page.items)
}

pub(crate) fn subject_ids(subjects: &[Subject]) -> Vec<SubjectId> {
    subjects.iter().map(Subject::id).collect()
}

pub(crate) fn group_ids(groups: &[Group]) -> Vec<GroupId> {
    groups.iter().map(|group| group.id).collect()
}

/// Returns the ids of the groups that contain `subject`, directly or also transitively.
pub(crate) async fn membership_ids(
    handle: &TenantIam,
    subject: &SubjectId,
    transitive: bool,
) -> Vec<GroupId> {
    group_ids(&ok(handle.memberships(subject, transitive).await))
}
