//! User claims: typed values attached to a user and emitted into the user's tokens.

use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};
use crate::id::UserId;
use crate::validate;

/// A claim of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserClaim {
    /// The claim's number, unique in the tenant.
    pub claim_id: u64,
    /// The user it belongs to.
    pub user_id: UserId,
    /// The claim type, such as `department`: 1 to 256 characters.
    pub claim_type: String,
    /// The value: at most 4,096 characters.
    pub claim_value: String,
}

/// Checks a claim's type and value.
///
/// # Errors
///
/// [`IamError::Validation`] naming `claimType` or `claimValue`.
pub fn validate_claim(claim_type: &str, claim_value: &str) -> Result<(), IamError> {
    let mut errors = ValidationErrors::new();
    validate::name(&mut errors, "claimType", claim_type, 256);
    validate::text(&mut errors, "claimValue", claim_value, 0, 4096);
    errors.into_result()
}
