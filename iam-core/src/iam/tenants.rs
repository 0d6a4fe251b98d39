//! Tenants, and the tenant-scoped handle through which every other operation runs.

use std::sync::{Arc, PoisonError, RwLock};

use serde_json::json;

use super::{AuditEntry, Change, Iam, Reader, commit_with_audit};
use crate::audit::Actor;
use crate::casefold::fold;
use crate::error::IamError;
use crate::id::{RoleId, TenantId};
use crate::index::TenantIndex;
use crate::role::{Role, TENANT_ADMIN};
use crate::store::{CommitReceipt, Kind, Namespace, ScanRange};
use crate::tenant::{Tenant, validate_tenant_name};

impl Iam {
    /// Creates a tenant with its built-in `TenantAdmin` role.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for an invalid name.
    /// - [`IamError::AlreadyExists`] when the name is taken (case-insensitively).
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, IamError> {
        validate_tenant_name(name)?;
        let _guard = self.lock_writes().await;
        let global = Reader::new(self.inner.store.as_ref(), Namespace::Global);
        let folded = fold(name);
        if global.exists(Kind::TENANT_NAME, &folded).await? {
            return Err(IamError::AlreadyExists {
                kind: "tenant",
                field: "name",
                value: name.to_owned(),
            });
        }

        let now = self.inner.clock.now();
        let tenant = Tenant {
            id: TenantId::from_uuid(self.inner.random.uuid()?),
            name: name.to_owned(),
            created: now,
        };
        let admin = Role {
            id: RoleId::from_uuid(self.inner.random.uuid()?),
            name: TENANT_ADMIN.to_owned(),
            description: "May perform every operation of the tenant's IAM API".to_owned(),
            built_in: true,
            created: now,
        };

        // Global and tenant records go into one batch: a change's namespace only sets the
        // default for its keys, so the global records are added with explicit keys.
        let mut change = Change::new(Namespace::Tenant(tenant.id));
        change.batch.put(
            global.key(Kind::TENANT, tenant.id.to_string()),
            super::encode(&tenant)?,
            crate::store::Expect::Absent,
        );
        change.batch.put(
            global.key(Kind::TENANT_NAME, folded),
            super::encode(&tenant.id)?,
            crate::store::Expect::Absent,
        );
        change.create(Kind::ROLE, admin.id.to_string(), &admin)?;
        change.create(Kind::ROLE_NAME, fold(&admin.name), &admin.id)?;
        let entry = AuditEntry::new("tenant.create", tenant.id, json!({ "name": tenant.name }));
        commit_with_audit(self, &tenant, &Actor::Operator, change, entry).await?;
        Ok(tenant)
    }

    /// Returns the tenant with `id`.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when there is none.
    pub async fn get_tenant(&self, id: TenantId) -> Result<Tenant, IamError> {
        let global = Reader::new(self.inner.store.as_ref(), Namespace::Global);
        global
            .load::<Tenant>(Kind::TENANT, &id.to_string())
            .await?
            .map(|(tenant, _)| tenant)
            .ok_or_else(|| IamError::not_found("tenant", id))
    }

    /// Returns the tenant whose id or name (case-insensitively) is `id_or_name`, if any.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn find_tenant(&self, id_or_name: &str) -> Result<Option<Tenant>, IamError> {
        let global = Reader::new(self.inner.store.as_ref(), Namespace::Global);
        if let Ok(id) = id_or_name.parse::<TenantId>() {
            return Ok(global
                .load::<Tenant>(Kind::TENANT, &id.to_string())
                .await?
                .map(|(tenant, _)| tenant));
        }
        let Some((id, _)) = global
            .load::<TenantId>(Kind::TENANT_NAME, &fold(id_or_name))
            .await?
        else {
            return Ok(None);
        };
        Ok(global
            .load::<Tenant>(Kind::TENANT, &id.to_string())
            .await?
            .map(|(tenant, _)| tenant))
    }

    /// Returns every tenant, ordered by id.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, IamError> {
        let global = Reader::new(self.inner.store.as_ref(), Namespace::Global);
        let range = ScanRange::all(Namespace::Global, Kind::TENANT);
        Ok(global
            .scan::<Tenant>(&range)
            .await?
            .into_iter()
            .map(|(_, tenant, _)| tenant)
            .collect())
    }

    /// Returns a handle for the operations inside tenant `id`, performed by `actor`.
    /// Every read and write of the handle is confined to that tenant.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant does not exist.
    pub async fn tenant(&self, id: TenantId, actor: Actor) -> Result<TenantIam, IamError> {
        let tenant = self.get_tenant(id).await?;
        Ok(TenantIam {
            iam: self.clone(),
            index: self.inner.index.tenant(tenant.id),
            tenant,
            actor,
        })
    }
}

/// The operations inside one tenant, performed by one actor. Created by [`Iam::tenant`].
#[derive(Debug, Clone)]
pub struct TenantIam {
    pub(super) iam: Iam,
    pub(super) tenant: Tenant,
    pub(super) actor: Actor,
    /// The tenant's policy index, resolved once so that a check takes one read lock.
    index: Arc<RwLock<TenantIndex>>,
}

impl TenantIam {
    /// Returns the tenant.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// Returns the actor recorded in audit events.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Returns a handle for the same tenant with another actor.
    pub fn with_actor(&self, actor: Actor) -> TenantIam {
        TenantIam {
            iam: self.iam.clone(),
            tenant: self.tenant.clone(),
            actor,
            index: Arc::clone(&self.index),
        }
    }

    /// Returns the facade.
    pub fn iam(&self) -> &Iam {
        &self.iam
    }

    /// Runs `f` with read access to the tenant's policy index.
    pub(super) fn read_index<T>(&self, f: impl FnOnce(&TenantIndex) -> T) -> T {
        // Index updates do not panic between their first and last change, so the data
        // behind a poisoned lock is consistent.
        f(&self.index.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub(super) fn namespace(&self) -> Namespace {
        Namespace::Tenant(self.tenant.id)
    }

    pub(super) fn reader(&self) -> Reader<'_> {
        Reader::new(self.iam.inner.store.as_ref(), self.namespace())
    }

    pub(super) fn change(&self) -> Change {
        Change::new(self.namespace())
    }

    pub(super) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.iam.inner.clock.now()
    }

    pub(super) fn new_uuid(&self) -> Result<uuid::Uuid, IamError> {
        self.iam.inner.random.uuid()
    }

    pub(super) async fn commit(
        &self,
        change: Change,
        entry: AuditEntry,
    ) -> Result<CommitReceipt, IamError> {
        commit_with_audit(&self.iam, &self.tenant, &self.actor, change, entry).await
    }
}
