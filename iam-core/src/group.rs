//! Groups of users, clients and other groups.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};
use crate::id::GroupId;
use crate::validate;

/// The maximum number of subjects one membership change may name.
pub const MAX_MEMBERS_PER_CHANGE: usize = 100;

/// A group. Display names are unique in the tenant, case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The group's id.
    pub id: GroupId,
    /// The display name: 1 to 256 characters.
    pub display_name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
    /// When the group was created.
    pub created: DateTime<Utc>,
    /// The stored version, for optimistic concurrency.
    #[serde(skip)]
    pub version: u64,
}

/// The input of group creation and update.
#[derive(Debug, Clone, Default)]
pub struct GroupInput {
    /// The display name: 1 to 256 characters.
    pub display_name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
}

impl GroupInput {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming each invalid field.
    pub fn validate(&self) -> Result<(), IamError> {
        let mut errors = ValidationErrors::new();
        validate::name(&mut errors, "displayName", &self.display_name, 256);
        validate::text(&mut errors, "description", &self.description, 0, 1024);
        errors.into_result()
    }
}
