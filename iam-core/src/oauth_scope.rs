//! OAuth scopes: what clients may request at the token endpoint.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};
use crate::validate;

/// The scope that every call of the IAM API needs.
pub const SERVICES_IAM: &str = "services.iam";

/// The scopes every tenant has: name, display name, description.
pub const BUILT_IN_SCOPES: [(&str, &str, &str); 6] = [
    ("openid", "OpenID", "Sign in with OpenID Connect"),
    ("profile", "Profile", "The user's name and profile"),
    ("email", "E-mail", "The user's e-mail address"),
    ("phone", "Phone", "The user's phone number"),
    ("offline_access", "Offline access", "Refresh tokens"),
    (SERVICES_IAM, "IAM API", "Calls to the IAM API"),
];

/// An OAuth scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthScope {
    /// The name clients request, unique in the tenant.
    pub name: String,
    /// The name shown to people.
    pub display_name: String,
    /// A description.
    pub description: String,
    /// True for the built-in scopes, which can't be changed or deleted.
    pub built_in: bool,
    /// When the scope was created (`None` for built-ins).
    pub created: Option<DateTime<Utc>>,
    /// The stored version, for optimistic concurrency (0 for built-ins).
    #[serde(skip)]
    pub version: u64,
}

impl OAuthScope {
    /// Returns the built-in scope named `name`, if there is one.
    pub fn built_in(name: &str) -> Option<OAuthScope> {
        BUILT_IN_SCOPES
            .iter()
            .find(|(built_in, _, _)| *built_in == name)
            .map(|(name, display_name, description)| OAuthScope {
                name: (*name).to_owned(),
                display_name: (*display_name).to_owned(),
                description: (*description).to_owned(),
                built_in: true,
                created: None,
                version: 0,
            })
    }
}

/// The input of scope creation and update.
#[derive(Debug, Clone, Default)]
pub struct OAuthScopeInput {
    /// The name: 1 to 200 characters allowed in an OAuth scope token (RFC 6749, section
    /// 3.3: printable ASCII except space, `"` and `\`).
    pub name: String,
    /// The display name: 1 to 200 characters.
    pub display_name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
}

/// Checks an OAuth scope name.
///
/// # Errors
///
/// [`IamError::Validation`] on field `name`.
pub fn validate_scope_name(name: &str) -> Result<(), IamError> {
    let valid_char = |c: char| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c);
    if name.is_empty() || name.len() > 200 || !name.chars().all(valid_char) {
        return Err(ValidationErrors::single(
            "name",
            format!("scope name `{}` must be 1 to 200 printable ASCII characters other than space, `\"` and `\\`", name.escape_default()),
        )
        .into());
    }
    Ok(())
}

impl OAuthScopeInput {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming each invalid field.
    pub fn validate(&self) -> Result<(), IamError> {
        let mut errors = ValidationErrors::new();
        errors.collect(validate_scope_name(&self.name))?;
        validate::name(&mut errors, "displayName", &self.display_name, 200);
        validate::text(&mut errors, "description", &self.description, 0, 1024);
        errors.into_result()
    }
}
