//! Users: people who sign in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};
use crate::id::UserId;
use crate::secret::SecretHash;
use crate::validate;

/// The maximum length of an e-mail address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// A user. E-mail address and user name are each unique in the tenant after Unicode NFC
/// normalisation and case folding; the original spelling is kept for display.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The sign-in name; the e-mail address unless another was given.
    pub user_name: String,
    /// The e-mail address.
    pub email: String,
    /// The phone number in E.164 form, if any.
    pub phone_number: Option<String>,
    /// The full name; may be empty.
    pub full_name: String,
    /// False when the user is disabled: every check denies, tokens stop working.
    pub active: bool,
    /// Whether a second factor is enrolled.
    pub two_factor_enabled: bool,
    /// When the user was created.
    pub created: DateTime<Utc>,
    /// The stored version, for optimistic concurrency.
    #[serde(skip)]
    pub version: u64,
    #[serde(default)]
    pub(crate) password_hash: Option<SecretHash>,
}

impl User {
    /// Returns true when a password is set.
    pub fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }

    /// Returns the stored password hash, for verification with
    /// [`crate::secret::verify_secret`] on a blocking thread.
    pub fn password_hash(&self) -> Option<&SecretHash> {
        self.password_hash.as_ref()
    }

    /// Returns the name shown for the user in subject lists: the full name, or the user
    /// name when the full name is empty.
    pub fn display_name(&self) -> &str {
        if self.full_name.is_empty() {
            &self.user_name
        } else {
            &self.full_name
        }
    }
}

/// The input of user creation.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// The e-mail address (required).
    pub email: String,
    /// The sign-in name; defaults to the e-mail address.
    pub user_name: Option<String>,
    /// The full name; may be empty.
    pub full_name: String,
    /// The phone number in E.164 form (`+4712345678`), if any.
    pub phone_number: Option<String>,
    /// The password hash, made with [`crate::secret::hash_secret`], if any.
    pub password_hash: Option<SecretHash>,
}

/// The changeable fields of a user.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    /// The full name; may be empty.
    pub full_name: String,
    /// The phone number in E.164 form, or `None` to remove it.
    pub phone_number: Option<String>,
    /// False disables the user.
    pub active: bool,
}

/// Checks an e-mail address: one `@`, a non-empty local part without white space, and a
/// domain of at least two dot-separated labels. Full RFC 5322 syntax (quoted local parts,
/// comments) is rejected on purpose, as most mail systems do.
pub(crate) fn validate_email(errors: &mut ValidationErrors, field: &str, email: &str) {
    if email.chars().count() > MAX_EMAIL_LEN {
        errors.add(
            field,
            format!("e-mail address must be at most {MAX_EMAIL_LEN} characters long"),
        );
        return;
    }
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        let local_ok = !local.is_empty()
            && !local.contains(['"', '(', ')', ',', ':', ';', '<', '>', '[', '\\', ']'])
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        local_ok && domain_ok
    });
    if !valid || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.add(field, format!("`{email}` is not a valid e-mail address"));
    }
}

/// Checks an E.164 phone number: `+`, then 2 to 15 digits, the first not 0.
pub(crate) fn validate_phone(errors: &mut ValidationErrors, field: &str, phone: &str) {
    let digits = phone.strip_prefix('+').unwrap_or("");
    let valid = (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if !valid {
        errors.add(
            field,
            format!("`{phone}` is not an E.164 phone number such as `+4712345678`"),
        );
    }
}

impl NewUser {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming each invalid field.
    pub fn validate(&self) -> Result<(), IamError> {
        let mut errors = ValidationErrors::new();
        validate_email(&mut errors, "email", &self.email);
        if let Some(user_name) = &self.user_name {
            validate::name(&mut errors, "userName", user_name, 256);
        }
        validate::text(&mut errors, "fullName", &self.full_name, 0, 256);
        if let Some(phone) = &self.phone_number {
            validate_phone(&mut errors, "phoneNumber", phone);
        }
        errors.into_result()
    }
}

impl UserUpdate {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming each invalid field.
    pub fn validate(&self) -> Result<(), IamError> {
        let mut errors = ValidationErrors::new();
        validate::text(&mut errors, "fullName", &self.full_name, 0, 256);
        if let Some(phone) = &self.phone_number {
            validate_phone(&mut errors, "phoneNumber", phone);
        }
        errors.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email_ok(email: &str) -> bool {
        let mut errors = ValidationErrors::new();
        validate_email(&mut errors, "email", email);
        errors.is_empty()
    }

    fn phone_ok(phone: &str) -> bool {
        let mut errors = ValidationErrors::new();
        validate_phone(&mut errors, "phoneNumber", phone);
        errors.is_empty()
    }

    #[test]
    fn email_syntax() {
        assert!(email_ok("jane.doe@aritma.com"));
        assert!(email_ok("ø@bücher.example"));
        for bad in [
            "",
            "jane",
            "@x.com",
            "jane@",
            "jane@com",
            "ja ne@x.com",
            "jane@x..com",
            "jane@-x.com",
            ".j@x.com",
        ] {
            assert!(!email_ok(bad), "`{bad}` must be rejected");
        }
    }

    #[test]
    fn phone_is_e164() {
        assert!(phone_ok("+4712345678"));
        for bad in [
            "4712345678",
            "+0123",
            "+1",
            "+1234567890123456",
            "+47 123",
            "+47-123",
        ] {
            assert!(!phone_ok(bad), "`{bad}` must be rejected");
        }
    }
}
