//! Generated credentials: SCIM tokens, invitation tokens and refresh tokens.
//!
//! Each carries 256 bits from the random source, is shown to its owner once, and is stored
//! only as its SHA-256 digest. Lookups go by digest: the digest of a 256-bit random value
//! reveals nothing that helps guess another, so a hash-table lookup on it leaks nothing
//! useful through timing, and no stored value can be turned back into a working token.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::clock::RandomSource;
use crate::error::IamError;

/// The number of random bytes in a generated credential.
pub const CREDENTIAL_BYTES: usize = 32;

/// A generated credential as shown once to its owner: `<prefix><base64url of 32 bytes>`.
/// `Debug` prints a redaction marker.
pub struct GeneratedCredential(String);

impl GeneratedCredential {
    /// Draws a new credential with a readable prefix such as `iam_scim_`.
    ///
    /// # Errors
    ///
    /// [`IamError::Random`] when the random source fails.
    pub fn generate(prefix: &str, random: &dyn RandomSource) -> Result<Self, IamError> {
        let mut bytes = [0u8; CREDENTIAL_BYTES];
        random.fill(&mut bytes)?;
        Ok(Self(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// Returns the credential text, to show it to its owner once.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Returns the stored form: the hex SHA-256 digest.
    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

impl fmt::Debug for GeneratedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GeneratedCredential([REDACTED])")
    }
}

/// Returns the hex SHA-256 digest of a presented credential, for lookup.
pub fn digest(presented: &str) -> String {
    let hash = Sha256::digest(presented.as_bytes());
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OsRandom;

    #[test]
    fn generated_credentials_differ_and_hide() {
        let first = GeneratedCredential::generate("iam_scim_", &OsRandom)
            .unwrap_or_else(|error| panic!("{error}"));
        let second = GeneratedCredential::generate("iam_scim_", &OsRandom)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_ne!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().starts_with("iam_scim_"));
        assert_eq!(first.expose_secret().len(), "iam_scim_".len() + 43);
        assert!(!format!("{first:?}").contains(first.expose_secret()));
        assert_eq!(first.digest(), digest(first.expose_secret()));
        assert_eq!(first.digest().len(), 64);
    }
}
