//! Groups and memberships.

use std::collections::{BTreeSet, VecDeque};

use serde_json::json;

use super::check_version;
use super::subjects::split_pair;
use super::{AuditEntry, TenantIam};
use crate::casefold::fold;
use crate::error::{IamError, ValidationErrors};
use crate::group::{Group, GroupInput, MAX_MEMBERS_PER_CHANGE};
use crate::id::{GroupId, SubjectId};
use crate::paging::{Page, PageRequest};
use crate::store::{Kind, ScanRange};
use crate::subject::Subject;

impl TenantIam {
    /// Creates a group.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field.
    /// - [`IamError::AlreadyExists`] when the display name is taken (case-insensitively).
    pub async fn create_group(&self, input: GroupInput) -> Result<Group, IamError> {
        input.validate()?;
        let folded = fold(&input.display_name);
        let _guard = self.iam.lock_writes().await;
        self.check_group_name_free(&folded, &input.display_name)
            .await?;

        let group = Group {
            id: GroupId::from_uuid(self.new_uuid()?),
            display_name: input.display_name,
            description: input.description,
            created: self.now(),
            version: 1,
        };
        let mut change = self.change();
        change.create(Kind::GROUP, group.id.to_string(), &group)?;
        change.create(Kind::GROUP_NAME, folded, &group.id)?;
        let entry = AuditEntry::new(
            "group.create",
            SubjectId::Group(group.id),
            json!({ "displayName": group.display_name, "description": group.description }),
        );
        self.commit(change, entry).await?;
        Ok(group)
    }

    async fn check_group_name_free(
        &self,
        folded: &str,
        display_name: &str,
    ) -> Result<(), IamError> {
        if self.reader().exists(Kind::GROUP_NAME, folded).await? {
            return Err(IamError::AlreadyExists {
                kind: "group",
                field: "displayName",
                value: display_name.to_owned(),
            });
        }
        Ok(())
    }

    /// Returns the group with `id`.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such group.
    pub async fn get_group(&self, id: GroupId) -> Result<Group, IamError> {
        self.find_group(id)
            .await?
            .ok_or_else(|| IamError::not_found("group", SubjectId::Group(id)))
    }

    pub(super) async fn find_group(&self, id: GroupId) -> Result<Option<Group>, IamError> {
        Ok(self
            .reader()
            .load::<Group>(Kind::GROUP, &id.to_string())
            .await?
            .map(|(mut group, version)| {
                group.version = version;
                group
            }))
    }

    /// Renames or re-describes a group. With `expected_version`, the update fails unless
    /// the group still has that version.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field.
    /// - [`IamError::NotFound`] when the tenant has no such group.
    /// - [`IamError::AlreadyExists`] when the new display name is taken.
    /// - [`IamError::VersionMismatch`] when `expected_version` is stale.
    pub async fn update_group(
        &self,
        id: GroupId,
        input: GroupInput,
        expected_version: Option<u64>,
    ) -> Result<Group, IamError> {
        input.validate()?;
        let _guard = self.iam.lock_writes().await;
        let mut group = self.get_group(id).await?;
        check_version("group", &id.to_string(), group.version, expected_version)?;

        let mut change = self.change();
        let old_folded = fold(&group.display_name);
        let new_folded = fold(&input.display_name);
        if old_folded != new_folded {
            self.check_group_name_free(&new_folded, &input.display_name)
                .await?;
            change.delete(Kind::GROUP_NAME, old_folded);
            change.create(Kind::GROUP_NAME, new_folded, &group.id)?;
        }
        let before = json!({ "displayName": group.display_name, "description": group.description });
        group.display_name = input.display_name;
        group.description = input.description;
        change.replace(Kind::GROUP, id.to_string(), &group, group.version)?;
        let entry = AuditEntry::new(
            "group.update",
            SubjectId::Group(id),
            json!({ "before": before, "after": { "displayName": group.display_name, "description": group.description } }),
        );
        self.commit(change, entry).await?;
        group.version += 1;
        Ok(group)
    }

    /// Deletes a group, its memberships in both directions and every policy whose subject
    /// is the group, in one atomic write. Members lose what the group granted at once.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such group.
    pub async fn delete_group(&self, id: GroupId) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let group = self.get_group(id).await?;
        let subject = SubjectId::Group(id);
        let mut change = self.change();
        change.delete_version(Kind::GROUP, id.to_string(), group.version);
        change.delete(Kind::GROUP_NAME, fold(&group.display_name));
        let removed = self
            .delete_subject_references(&mut change, &subject)
            .await?;
        let entry = AuditEntry::new(
            "group.delete",
            subject,
            json!({ "displayName": group.display_name, "removed": removed }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    pub(super) async fn all_groups(&self) -> Result<Vec<Group>, IamError> {
        let range = ScanRange::all(self.namespace(), Kind::GROUP);
        Ok(self
            .reader()
            .scan::<Group>(&range)
            .await?
            .into_iter()
            .map(|(_, mut group, version)| {
                group.version = version;
                group
            })
            .collect())
    }

    /// Adds members to a group, all or nothing. Subjects that are already members are
    /// ignored.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for an empty list or more than 100 subjects.
    /// - [`IamError::NotFound`] when the tenant has no such group.
    /// - [`IamError::NotFoundMany`] listing every subject that does not exist.
    /// - [`IamError::Conflict`] when a member would contain the group itself, directly or
    ///   through other groups (a cycle).
    pub async fn add_members(&self, group: GroupId, members: &[SubjectId]) -> Result<(), IamError> {
        check_member_list(members)?;
        let _guard = self.iam.lock_writes().await;
        self.get_group(group).await?;
        let group_subject = SubjectId::Group(group);

        let mut missing = Vec::new();
        for member in &unique(members) {
            if !self.subject_exists(member).await? {
                missing.push(member.to_string());
            }
        }
        if !missing.is_empty() {
            return Err(IamError::NotFoundMany {
                kind: "subject",
                ids: missing,
            });
        }

        let containing = self.containing_groups_and_self(&group_subject).await?;
        let reader = self.reader();
        let mut change = self.change();
        let mut added = Vec::new();
        for member in unique(members) {
            if containing.contains(&member) {
                return Err(IamError::conflict(format!(
                    "adding `{member}` to `{group_subject}` would create a membership cycle"
                )));
            }
            let id = format!("{group_subject}\0{member}");
            if reader.exists(Kind::MEMBERSHIP, &id).await? {
                continue;
            }
            change.create(Kind::MEMBERSHIP, id, &())?;
            change.create(
                Kind::MEMBERSHIP_BY_MEMBER,
                format!("{member}\0{group_subject}"),
                &(),
            )?;
            added.push(member.to_string());
        }
        if added.is_empty() {
            return Ok(());
        }
        let entry = AuditEntry::new(
            "group.members.add",
            group_subject,
            json!({ "added": added }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Removes members from a group, all or nothing. Subjects that are not members are
    /// ignored.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for an empty list or more than 100 subjects.
    /// - [`IamError::NotFound`] when the tenant has no such group.
    pub async fn remove_members(
        &self,
        group: GroupId,
        members: &[SubjectId],
    ) -> Result<(), IamError> {
        check_member_list(members)?;
        let _guard = self.iam.lock_writes().await;
        self.get_group(group).await?;
        let group_subject = SubjectId::Group(group);
        let reader = self.reader();
        let mut change = self.change();
        let mut removed = Vec::new();
        for member in unique(members) {
            let id = format!("{group_subject}\0{member}");
            if !reader.exists(Kind::MEMBERSHIP, &id).await? {
                continue;
            }
            change.delete(Kind::MEMBERSHIP, id);
            change.delete(
                Kind::MEMBERSHIP_BY_MEMBER,
                format!("{member}\0{group_subject}"),
            );
            removed.push(member.to_string());
        }
        if removed.is_empty() {
            return Ok(());
        }
        let entry = AuditEntry::new(
            "group.members.remove",
            group_subject,
            json!({ "removed": removed }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Returns a page of a group's direct members, ordered by display name
    /// (case-insensitively), then subject id. Members that vanished are skipped.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such group.
    pub async fn list_members(
        &self,
        group: GroupId,
        request: &PageRequest,
    ) -> Result<Page<Subject>, IamError> {
        self.get_group(group).await?;
        let group_subject = SubjectId::Group(group);
        let ids = self
            .reader()
            .ids(Kind::MEMBERSHIP, &format!("{group_subject}\0"))
            .await?;
        let mut members = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(member) =
                split_pair(&id).and_then(|(_, member)| member.parse::<SubjectId>().ok())
            else {
                continue;
            };
            match self.get_subject(&member).await {
                Ok(subject) => members.push(subject),
                Err(IamError::NotFound { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        members.retain(|subject| request.matches([subject.display_name()]));
        members
            .sort_by_cached_key(|subject| (fold(subject.display_name()), subject.id().to_string()));
        Ok(request.paginate(members))
    }

    /// Returns the groups that contain `subject` directly, or also through other groups
    /// when `transitive` is set, ordered by display name (case-insensitively), then id.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such subject.
    pub async fn memberships(
        &self,
        subject: &SubjectId,
        transitive: bool,
    ) -> Result<Vec<Group>, IamError> {
        if !self.subject_exists(subject).await? {
            return Err(IamError::not_found("subject", subject));
        }
        let ids: BTreeSet<SubjectId> = if transitive {
            let mut all = self.containing_groups_and_self(subject).await?;
            all.remove(subject);
            all
        } else {
            self.direct_groups(subject).await?.into_iter().collect()
        };
        let mut groups = Vec::with_capacity(ids.len());
        for id in ids {
            if let SubjectId::Group(group) = id
                && let Some(group) = self.find_group(group).await?
            {
                groups.push(group);
            }
        }
        groups.sort_by_cached_key(|group| (fold(&group.display_name), group.id));
        Ok(groups)
    }

    /// Returns the groups that contain `subject` directly.
    pub(super) async fn direct_groups(
        &self,
        subject: &SubjectId,
    ) -> Result<Vec<SubjectId>, IamError> {
        let ids = self
            .reader()
            .ids(Kind::MEMBERSHIP_BY_MEMBER, &format!("{subject}\0"))
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| split_pair(id).and_then(|(_, group)| group.parse().ok()))
            .collect())
    }

    /// Returns `subject` and every group that contains it, directly or transitively.
    async fn containing_groups_and_self(
        &self,
        subject: &SubjectId,
    ) -> Result<BTreeSet<SubjectId>, IamError> {
        let mut seen = BTreeSet::from([*subject]);
        let mut queue = VecDeque::from([*subject]);
        while let Some(current) = queue.pop_front() {
            for group in self.direct_groups(&current).await? {
                if seen.insert(group) {
                    queue.push_back(group);
                }
            }
        }
        Ok(seen)
    }
}

fn check_member_list(members: &[SubjectId]) -> Result<(), IamError> {
    if members.is_empty() || members.len() > MAX_MEMBERS_PER_CHANGE {
        return Err(ValidationErrors::single(
            "subjectIds",
            format!(
                "must name 1 to {MAX_MEMBERS_PER_CHANGE} subjects, not {}",
                members.len()
            ),
        )
        .into());
    }
    Ok(())
}

fn unique(members: &[SubjectId]) -> Vec<SubjectId> {
    let mut seen = BTreeSet::new();
    members
        .iter()
        .copied()
        .filter(|member| seen.insert(*member))
        .collect()
}
