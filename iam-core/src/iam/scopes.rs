//! OAuth scopes: the built-in ones every tenant has, and the tenant's own.

use serde_json::json;

use super::check_version;
use super::subjects::split_pair;
use super::{AuditEntry, TenantIam};
use crate::error::{IamError, ValidationErrors};
use crate::oauth_scope::{BUILT_IN_SCOPES, OAuthScope, OAuthScopeInput, validate_scope_name};
use crate::paging::{Page, PageRequest};
use crate::store::{Kind, ScanRange};

impl TenantIam {
    /// Creates a tenant-defined scope.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field.
    /// - [`IamError::AlreadyExists`] when the name is taken, by a built-in scope too.
    pub async fn create_scope(&self, input: OAuthScopeInput) -> Result<OAuthScope, IamError> {
        input.validate()?;
        let _guard = self.iam.lock_writes().await;
        if OAuthScope::built_in(&input.name).is_some()
            || self.reader().exists(Kind::OAUTH_SCOPE, &input.name).await?
        {
            return Err(IamError::AlreadyExists {
                kind: "scope",
                field: "name",
                value: input.name,
            });
        }
        let scope = OAuthScope {
            name: input.name,
            display_name: input.display_name,
            description: input.description,
            built_in: false,
            created: Some(self.now()),
            version: 1,
        };
        let mut change = self.change();
        change.create(Kind::OAUTH_SCOPE, scope.name.clone(), &scope)?;
        let entry = AuditEntry::new(
            "scope.create",
            &scope.name,
            json!({ "displayName": scope.display_name, "description": scope.description }),
        );
        self.commit(change, entry).await?;
        Ok(scope)
    }

    /// Returns the scope named `name`, built in or tenant-defined.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when there is no such scope.
    pub async fn get_scope(&self, name: &str) -> Result<OAuthScope, IamError> {
        if let Some(scope) = OAuthScope::built_in(name) {
            return Ok(scope);
        }
        self.reader()
            .load::<OAuthScope>(Kind::OAUTH_SCOPE, name)
            .await?
            .map(|(mut scope, version)| {
                scope.version = version;
                scope
            })
            .ok_or_else(|| IamError::not_found("scope", name))
    }

    /// Changes a tenant-defined scope's display name and description; the name can't
    /// change. With `expected_version`, the update fails unless the scope still has that
    /// version.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field, or a name different from `name`.
    /// - [`IamError::NotFound`] when there is no such scope.
    /// - [`IamError::Conflict`] for a built-in scope.
    /// - [`IamError::VersionMismatch`] when `expected_version` is stale.
    pub async fn update_scope(
        &self,
        name: &str,
        input: OAuthScopeInput,
        expected_version: Option<u64>,
    ) -> Result<OAuthScope, IamError> {
        input.validate()?;
        if input.name != name {
            return Err(ValidationErrors::single(
                "name",
                format!(
                    "scope `{name}` can't be renamed to `{}`; create a new scope instead",
                    input.name
                ),
            )
            .into());
        }
        let _guard = self.iam.lock_writes().await;
        let mut scope = self.get_scope(name).await?;
        if scope.built_in {
            return Err(IamError::conflict(format!(
                "scope `{name}` is built in and can't be changed"
            )));
        }
        check_version("scope", name, scope.version, expected_version)?;
        scope.display_name = input.display_name;
        scope.description = input.description;
        let mut change = self.change();
        change.replace(Kind::OAUTH_SCOPE, name, &scope, scope.version)?;
        let entry = AuditEntry::new(
            "scope.update",
            name,
            json!({ "displayName": scope.display_name, "description": scope.description }),
        );
        self.commit(change, entry).await?;
        scope.version += 1;
        Ok(scope)
    }

    /// Deletes a tenant-defined scope.
    ///
    /// # Errors
    ///
    /// - [`IamError::NotFound`] when there is no such scope.
    /// - [`IamError::Conflict`] for a built-in scope, or while clients allow it (the
    ///   message names them).
    pub async fn delete_scope(&self, name: &str) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let scope = self.get_scope(name).await?;
        if scope.built_in {
            return Err(IamError::conflict(format!(
                "scope `{name}` is built in and can't be deleted"
            )));
        }
        let users = self
            .reader()
            .ids(Kind::OAUTH_SCOPE_CLIENT, &format!("{name}\0"))
            .await?;
        if !users.is_empty() {
            let clients: Vec<&str> = users
                .iter()
                .filter_map(|id| split_pair(id).map(|(_, client)| client))
                .collect();
            return Err(IamError::conflict(format!(
                "scope `{name}` is allowed by clients {}; remove it from them first",
                clients
                    .iter()
                    .map(|client| format!("`{client}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let mut change = self.change();
        change.delete_version(Kind::OAUTH_SCOPE, name, scope.version);
        let entry = AuditEntry::new("scope.delete", name, json!({}));
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Returns a page of scopes, built-in and tenant-defined, ordered by name. The search
    /// text matches name, display name and description.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn list_scopes(&self, request: &PageRequest) -> Result<Page<OAuthScope>, IamError> {
        let mut scopes: Vec<OAuthScope> = BUILT_IN_SCOPES
            .iter()
            .filter_map(|(name, _, _)| OAuthScope::built_in(name))
            .collect();
        let range = ScanRange::all(self.namespace(), Kind::OAUTH_SCOPE);
        for (_, mut scope, version) in self.reader().scan::<OAuthScope>(&range).await? {
            scope.version = version;
            scopes.push(scope);
        }
        scopes.retain(|scope| {
            request.matches([
                scope.name.as_str(),
                scope.display_name.as_str(),
                scope.description.as_str(),
            ])
        });
        scopes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(request.paginate(scopes))
    }

    /// Fails unless every name is a built-in or tenant-defined scope.
    pub(super) async fn check_scopes_exist(&self, names: &[String]) -> Result<(), IamError> {
        let mut errors = ValidationErrors::new();
        for name in names {
            if let Err(error) = validate_scope_name(name) {
                errors.add("allowedScopes", error.to_string());
                continue;
            }
            if OAuthScope::built_in(name).is_none()
                && !self.reader().exists(Kind::OAUTH_SCOPE, name).await?
            {
                errors.add(
                    "allowedScopes",
                    format!("scope `{name}` does not exist in this tenant"),
                );
            }
        }
        errors.into_result()
    }
}
