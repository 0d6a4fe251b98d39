//! Tenant roles: named roles assigned to users and clients, emitted as `role` claims.
//! They are separate from policies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};
use crate::id::RoleId;
use crate::validate;

/// The built-in role that may perform every operation of its tenant's API.
pub const TENANT_ADMIN: &str = "TenantAdmin";

/// A tenant role. Names are unique in the tenant, case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The role's id.
    pub id: RoleId,
    /// The name: 1 to 128 characters.
    pub name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
    /// True for `TenantAdmin`, which can't be deleted.
    pub built_in: bool,
    /// When the role was created.
    pub created: DateTime<Utc>,
}

/// The input of role creation.
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    /// The name: 1 to 128 characters.
    pub name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
}

impl RoleInput {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming each invalid field.
    pub fn validate(&self) -> Result<(), IamError> {
        let mut errors = ValidationErrors::new();
        validate::name(&mut errors, "name", &self.name, 128);
        validate::text(&mut errors, "description", &self.description, 0, 1024);
        errors.into_result()
    }
}
