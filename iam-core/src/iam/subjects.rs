//! Subjects as one list, subject lookups, and the cascade that removes every reference to
//! a deleted subject.

use serde_json::json;

use super::{Change, TenantIam};
use crate::casefold::fold;
use crate::client::Client;
use crate::error::IamError;
use crate::group::Group;
use crate::id::{SubjectId, SubjectKind};
use crate::paging::{Page, PageRequest};
use crate::store::Kind;
use crate::subject::Subject;

/// Splits a two-part store id `<a>\0<b>`.
pub(super) fn split_pair(id: &str) -> Option<(&str, &str)> {
    id.split_once('\0')
}

impl TenantIam {
    /// Returns true when the subject exists in the tenant.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn subject_exists(&self, subject: &SubjectId) -> Result<bool, IamError> {
        let (kind, id) = subject_record(subject);
        self.reader().exists(kind, &id).await
    }

    /// Returns the subject.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such subject.
    pub async fn get_subject(&self, subject: &SubjectId) -> Result<Subject, IamError> {
        let not_found = || IamError::not_found("subject", subject);
        match subject {
            SubjectId::User(id) => self
                .find_user(*id)
                .await?
                .map(Subject::User)
                .ok_or_else(not_found),
            SubjectId::Client(id) => self
                .find_client(*id)
                .await?
                .map(Subject::Client)
                .ok_or_else(not_found),
            SubjectId::Group(id) => {
                let group = self.find_group(*id).await?.ok_or_else(not_found)?;
                let member_count = self.member_count(subject).await?;
                Ok(Subject::Group {
                    group,
                    member_count,
                })
            }
        }
    }

    /// Returns a page of subjects, all kinds or only `kind`, ordered by display name
    /// (case-insensitively), then subject id. The search text matches display name,
    /// subject id, user name and e-mail address.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn list_subjects(
        &self,
        kind: Option<SubjectKind>,
        request: &PageRequest,
    ) -> Result<Page<Subject>, IamError> {
        let wants = |wanted: SubjectKind| kind.is_none_or(|kind| kind == wanted);
        let mut subjects = Vec::new();
        if wants(SubjectKind::User) {
            subjects.extend(self.all_users().await?.into_iter().map(Subject::User));
        }
        if wants(SubjectKind::Client) {
            subjects.extend(self.all_clients().await?.into_iter().map(Subject::Client));
        }
        if wants(SubjectKind::Group) {
            for group in self.all_groups().await? {
                let member_count = self.member_count(&SubjectId::Group(group.id)).await?;
                subjects.push(Subject::Group {
                    group,
                    member_count,
                });
            }
        }
        subjects.retain(|subject| {
            let id = subject.id().to_string();
            request.matches(
                subject_search_fields(subject)
                    .into_iter()
                    .chain([id.as_str()]),
            )
        });
        subjects
            .sort_by_cached_key(|subject| (fold(subject.display_name()), subject.id().to_string()));
        Ok(request.paginate(subjects))
    }

    pub(super) async fn member_count(&self, group: &SubjectId) -> Result<u64, IamError> {
        let members = self
            .reader()
            .ids(Kind::MEMBERSHIP, &format!("{group}\0"))
            .await?;
        Ok(members.len() as u64)
    }

    /// Adds to `change` the deletion of every record that names `subject`: its policies,
    /// its memberships in groups, a group's own members, and its role assignments.
    /// Returns how many of each it removes, for the audit event.
    pub(super) async fn delete_subject_references(
        &self,
        change: &mut Change,
        subject: &SubjectId,
    ) -> Result<serde_json::Value, IamError> {
        let reader = self.reader();
        let prefix = format!("{subject}\0");

        let policies = reader.ids(Kind::POLICY, &prefix).await?;
        for id in &policies {
            change.delete(Kind::POLICY, id.clone());
        }

        let mut memberships = 0usize;
        for id in reader.ids(Kind::MEMBERSHIP_BY_MEMBER, &prefix).await? {
            if let Some((member, group)) = split_pair(&id) {
                change.delete(Kind::MEMBERSHIP, format!("{group}\0{member}"));
            }
            change.delete(Kind::MEMBERSHIP_BY_MEMBER, id);
            memberships += 1;
        }
        if subject.kind() == SubjectKind::Group {
            for id in reader.ids(Kind::MEMBERSHIP, &prefix).await? {
                if let Some((group, member)) = split_pair(&id) {
                    change.delete(Kind::MEMBERSHIP_BY_MEMBER, format!("{member}\0{group}"));
                }
                change.delete(Kind::MEMBERSHIP, id);
                memberships += 1;
            }
        }

        let assignments = reader.ids(Kind::ROLE_ASSIGNMENT, &prefix).await?;
        for id in &assignments {
            if let Some((subject, role)) = split_pair(id) {
                change.delete(Kind::ROLE_ASSIGNMENT_BY_ROLE, format!("{role}\0{subject}"));
            }
            change.delete(Kind::ROLE_ASSIGNMENT, id.clone());
        }

        Ok(json!({
            "policies": policies.len(),
            "memberships": memberships,
            "roleAssignments": assignments.len(),
        }))
    }
}

/// Returns the kind and id of the record that stores `subject`.
pub(super) fn subject_record(subject: &SubjectId) -> (Kind, String) {
    match subject {
        SubjectId::User(id) => (Kind::USER, id.to_string()),
        SubjectId::Client(id) => (Kind::CLIENT, id.to_string()),
        SubjectId::Group(id) => (Kind::GROUP, id.to_string()),
    }
}

fn subject_search_fields(subject: &Subject) -> Vec<&str> {
    match subject {
        Subject::User(user) => vec![
            user.display_name(),
            user.user_name.as_str(),
            user.email.as_str(),
        ],
        Subject::Client(Client { name, .. }) => vec![name.as_str()],
        Subject::Group {
            group: Group { display_name, .. },
            ..
        } => vec![display_name.as_str()],
    }
}
