//! Tenant roles and their assignments to users and clients.

use serde_json::json;

use super::subjects::split_pair;
use super::{AuditEntry, TenantIam};
use crate::casefold::fold;
use crate::error::{IamError, ValidationErrors};
use crate::id::{RoleId, SubjectId, SubjectKind};
use crate::paging::{Page, PageRequest};
use crate::role::{Role, RoleInput};
use crate::store::{Kind, ScanRange};

impl TenantIam {
    /// Creates a role.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field.
    /// - [`IamError::AlreadyExists`] when the name is taken (case-insensitively).
    pub async fn create_role(&self, input: RoleInput) -> Result<Role, IamError> {
        input.validate()?;
        let folded = fold(&input.name);
        let _guard = self.iam.lock_writes().await;
        if self.reader().exists(Kind::ROLE_NAME, &folded).await? {
            return Err(IamError::AlreadyExists {
                kind: "role",
                field: "name",
                value: input.name,
            });
        }
        let role = Role {
            id: RoleId::from_uuid(self.new_uuid()?),
            name: input.name,
            description: input.description,
            built_in: false,
            created: self.now(),
        };
        let mut change = self.change();
        change.create(Kind::ROLE, role.id.to_string(), &role)?;
        change.create(Kind::ROLE_NAME, folded, &role.id)?;
        let entry = AuditEntry::new("role.create", role.id, json!({ "name": role.name }));
        self.commit(change, entry).await?;
        Ok(role)
    }

    /// Returns the role with `id`.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such role.
    pub async fn get_role(&self, id: RoleId) -> Result<Role, IamError> {
        self.reader()
            .load::<Role>(Kind::ROLE, &id.to_string())
            .await?
            .map(|(role, _)| role)
            .ok_or_else(|| IamError::not_found("role", id))
    }

    /// Returns the role named `name` (case-insensitively), if any.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn find_role_by_name(&self, name: &str) -> Result<Option<Role>, IamError> {
        let Some((id, _)) = self
            .reader()
            .load::<RoleId>(Kind::ROLE_NAME, &fold(name))
            .await?
        else {
            return Ok(None);
        };
        Ok(self
            .reader()
            .load::<Role>(Kind::ROLE, &id.to_string())
            .await?
            .map(|(role, _)| role))
    }

    /// Deletes a role and every assignment of it, in one atomic write.
    ///
    /// # Errors
    ///
    /// - [`IamError::NotFound`] when the tenant has no such role.
    /// - [`IamError::Conflict`] for the built-in `TenantAdmin`.
    pub async fn delete_role(&self, id: RoleId) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let role = self.get_role(id).await?;
        if role.built_in {
            return Err(IamError::conflict(format!(
                "role `{}` is built in and can't be deleted",
                role.name
            )));
        }
        let mut change = self.change();
        change.delete(Kind::ROLE, id.to_string());
        change.delete(Kind::ROLE_NAME, fold(&role.name));
        let assignments = self
            .reader()
            .ids(Kind::ROLE_ASSIGNMENT_BY_ROLE, &format!("{id}\0"))
            .await?;
        for assignment in &assignments {
            if let Some((role, subject)) = split_pair(assignment) {
                change.delete(Kind::ROLE_ASSIGNMENT, format!("{subject}\0{role}"));
            }
            change.delete(Kind::ROLE_ASSIGNMENT_BY_ROLE, assignment.clone());
        }
        let entry = AuditEntry::new(
            "role.delete",
            id,
            json!({ "name": role.name, "removedAssignments": assignments.len() }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Returns a page of roles ordered by name (case-insensitively), then id. The search
    /// text matches name and description.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn list_roles(&self, request: &PageRequest) -> Result<Page<Role>, IamError> {
        let range = ScanRange::all(self.namespace(), Kind::ROLE);
        let mut roles: Vec<Role> = self
            .reader()
            .scan::<Role>(&range)
            .await?
            .into_iter()
            .map(|(_, role, _)| role)
            .filter(|role| request.matches([role.name.as_str(), role.description.as_str()]))
            .collect();
        roles.sort_by_cached_key(|role| (fold(&role.name), role.id));
        Ok(request.paginate(roles))
    }

    /// Assigns a role to a user or client. Assigning it again changes nothing.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] when `subject` is a group.
    /// - [`IamError::NotFound`] when the subject or the role does not exist.
    pub async fn assign_role(&self, subject: &SubjectId, role: RoleId) -> Result<(), IamError> {
        check_role_holder(subject)?;
        let _guard = self.iam.lock_writes().await;
        if !self.subject_exists(subject).await? {
            return Err(IamError::not_found("subject", subject));
        }
        let role = self.get_role(role).await?;
        let id = format!("{subject}\0{}", role.id);
        if self.reader().exists(Kind::ROLE_ASSIGNMENT, &id).await? {
            return Ok(());
        }
        let mut change = self.change();
        change.create(Kind::ROLE_ASSIGNMENT, id, &())?;
        change.create(
            Kind::ROLE_ASSIGNMENT_BY_ROLE,
            format!("{}\0{subject}", role.id),
            &(),
        )?;
        let entry = AuditEntry::new(
            "role.assign",
            subject,
            json!({ "roleId": role.id, "role": role.name }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Removes a role from a user or client. Removing a role that is not assigned changes
    /// nothing.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] when `subject` is a group.
    /// - [`IamError::NotFound`] when the subject or the role does not exist.
    pub async fn unassign_role(&self, subject: &SubjectId, role: RoleId) -> Result<(), IamError> {
        check_role_holder(subject)?;
        let _guard = self.iam.lock_writes().await;
        if !self.subject_exists(subject).await? {
            return Err(IamError::not_found("subject", subject));
        }
        let role = self.get_role(role).await?;
        let id = format!("{subject}\0{}", role.id);
        if !self.reader().exists(Kind::ROLE_ASSIGNMENT, &id).await? {
            return Ok(());
        }
        let mut change = self.change();
        change.delete(Kind::ROLE_ASSIGNMENT, id);
        change.delete(
            Kind::ROLE_ASSIGNMENT_BY_ROLE,
            format!("{}\0{subject}", role.id),
        );
        let entry = AuditEntry::new(
            "role.unassign",
            subject,
            json!({ "roleId": role.id, "role": role.name }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Returns the roles assigned to a subject, ordered by name (case-insensitively).
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the subject does not exist.
    pub async fn roles_of(&self, subject: &SubjectId) -> Result<Vec<Role>, IamError> {
        if !self.subject_exists(subject).await? {
            return Err(IamError::not_found("subject", subject));
        }
        let ids = self
            .reader()
            .ids(Kind::ROLE_ASSIGNMENT, &format!("{subject}\0"))
            .await?;
        let mut roles = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(role) = split_pair(&id).and_then(|(_, role)| role.parse::<RoleId>().ok())
            else {
                continue;
            };
            if let Some((role, _)) = self
                .reader()
                .load::<Role>(Kind::ROLE, &role.to_string())
                .await?
            {
                roles.push(role);
            }
        }
        roles.sort_by_cached_key(|role| (fold(&role.name), role.id));
        Ok(roles)
    }

    /// Returns true when `subject` holds the role named `name`.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn has_role(&self, subject: &SubjectId, name: &str) -> Result<bool, IamError> {
        let Some(role) = self.find_role_by_name(name).await? else {
            return Ok(false);
        };
        self.reader()
            .exists(Kind::ROLE_ASSIGNMENT, &format!("{subject}\0{}", role.id))
            .await
    }
}

fn check_role_holder(subject: &SubjectId) -> Result<(), IamError> {
    if subject.kind() == SubjectKind::Group {
        return Err(ValidationErrors::single(
            "subject",
            format!("roles are assigned to users and clients, not to group `{subject}`"),
        )
        .into());
    }
    Ok(())
}
