//! Tenants: isolated spaces that own every other record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};
use crate::id::TenantId;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// The tenant's id.
    pub id: TenantId,
    /// The unique, human-readable name, as given at creation.
    pub name: String,
    /// When the tenant was created.
    pub created: DateTime<Utc>,
}

/// Checks a tenant name: 1 to 64 characters of `[A-Za-z0-9_-]`, so that it can appear in
/// URL paths (`/{tenant}/connect/token`) unescaped. It must not parse as a UUID, because
/// paths accept a tenant's id or name.
///
/// # Errors
///
/// [`IamError::Validation`] on field `name`.
pub fn validate_tenant_name(name: &str) -> Result<(), IamError> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if name.is_empty() || name.len() > 64 || !valid_chars {
        return Err(ValidationErrors::single(
            "name",
            format!(
                "tenant name `{name}` must be 1 to 64 characters of A-Z, a-z, 0-9, `_` and `-`"
            ),
        )
        .into());
    }
    if uuid::Uuid::try_parse(name).is_ok() {
        return Err(ValidationErrors::single(
            "name",
            format!("tenant name `{name}` must not be a UUID, because paths accept tenant ids too"),
        )
        .into());
    }
    Ok(())
}
