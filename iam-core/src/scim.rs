//! SCIM tokens: bearer tokens with which an identity provider provisions users into a
//! tenant over SCIM.
//!
//! Each token names the scheme of one SSO provider of the tenant. The token text is a
//! [`crate::credential::GeneratedCredential`] with the prefix [`SCIM_TOKEN_PREFIX`] and
//! 256 random bits. It is shown once when it is created, and the store keeps only its
//! SHA-256 digest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{IamError, ValidationErrors};
use crate::validate;

/// The readable prefix of every SCIM token.
pub const SCIM_TOKEN_PREFIX: &str = "iam_scim_";

/// The maximum length of a provider display name, in characters.
pub const MAX_PROVIDER_DISPLAY_NAME_LEN: usize = 200;

/// A SCIM token's metadata. The token text itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimToken {
    /// The token's id.
    pub id: Uuid,
    /// The scheme of the SSO provider the token belongs to, spelled as the provider spelled
    /// it when the token was created. A provider's scheme can change only in letter case
    /// while tokens name it.
    pub provider: String,
    /// A name for the provider shown in token lists.
    pub provider_display_name: String,
    /// When the token was created.
    pub created: DateTime<Utc>,
    /// When the token was last presented, accurate to one minute; `None` until its first
    /// use.
    pub last_used: Option<DateTime<Utc>>,
}

/// The input of SCIM token creation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimTokenInput {
    /// The scheme of an existing SSO provider of the tenant, in any letter case.
    pub provider: String,
    /// A name for the provider shown in token lists: 1 to 200 characters.
    pub provider_display_name: String,
}

impl ScimTokenInput {
    /// Checks every field. Whether the provider exists is checked by the facade.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming each invalid field.
    pub fn validate(&self) -> Result<(), IamError> {
        let mut errors = ValidationErrors::new();
        if self.provider.is_empty() {
            errors.add(
                "provider",
                "must name the scheme of an SSO provider of the tenant",
            );
        }
        validate::name(
            &mut errors,
            "providerDisplayName",
            &self.provider_display_name,
            MAX_PROVIDER_DISPLAY_NAME_LEN,
        );
        errors.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_fields_checked() {
        let input = ScimTokenInput {
            provider: String::new(),
            provider_display_name: " Okta".to_owned(),
        };
        let Err(IamError::Validation(errors)) = input.validate() else {
            panic!("an invalid input was accepted");
        };
        assert!(errors.fields().contains_key("provider"));
        assert!(errors.fields().contains_key("providerDisplayName"));
    }
}
