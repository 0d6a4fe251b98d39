//! Secrets, passwords and their Argon2id hashes.
//!
//! Client secrets and user passwords are stored only as Argon2id PHC strings with at
//! least the OWASP minimum cost (m = 19,456 KiB, t = 2, p = 1). Hashing takes tens of
//! milliseconds of CPU by design, so these are plain blocking functions: an async caller
//! runs them on a blocking thread (`tokio::task::spawn_blocking`), never inline.
//!
//! Secret types print a redaction marker in `Debug`, have no `Display` and no equality:
//! comparing secrets with `==` would leak timing, and hashes are compared only through
//! [`verify_secret`], which is constant time.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use crate::clock::RandomSource;
use crate::error::{IamError, ValidationErrors};

/// Argon2id memory cost in KiB (OWASP minimum).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
/// Argon2id iterations (OWASP minimum).
pub const ARGON2_ITERATIONS: u32 = 2;
/// Argon2id parallelism (OWASP minimum).
pub const ARGON2_PARALLELISM: u32 = 1;

/// The allowed length of a client secret, in characters.
pub const CLIENT_SECRET_LEN: std::ops::RangeInclusive<usize> = 8..=32;
/// The allowed length of a user password, in characters.
pub const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 12..=128;

const REDACTED: &str = "[REDACTED]";

macro_rules! secret_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $what:literal, $range:expr) => {
        $(#[$doc])*
        pub struct $name(String);

        impl $name {
            /// Checks the length and wraps the value.
            ///
            /// # Errors
            ///
            /// [`IamError::Validation`] when the length is outside the allowed range. The
            /// message states the length rule, never the value.
            pub fn new(value: String) -> Result<Self, IamError> {
                let range = $range;
                let length = value.chars().count();
                if !range.contains(&length) {
                    return Err(ValidationErrors::single(
                        $field,
                        format!(
                            "{} must be {} to {} characters long, not {length}",
                            $what,
                            range.start(),
                            range.end()
                        ),
                    )
                    .into());
                }
                Ok(Self(value))
            }

            /// Returns the secret text. Call sites that need it are easy to audit.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({REDACTED})", stringify!($name))
            }
        }
    };
}

secret_text!(
    /// A client secret as the caller chose it: 8 to 32 characters.
    ClientSecretValue,
    "value",
    "client secret",
    CLIENT_SECRET_LEN
);
secret_text!(
    /// A user password: 12 to 128 characters.
    Password,
    "password",
    "password",
    PASSWORD_LEN
);

/// An Argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHash(String);

impl SecretHash {
    /// Returns the PHC string, for storage only.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({REDACTED})")
    }
}

fn argon2() -> Result<Argon2<'static>, IamError> {
    let params = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_ITERATIONS,
        ARGON2_PARALLELISM,
        None,
    )
    .map_err(|error| IamError::Hashing(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `secret` with Argon2id and a 16-byte salt from `random`. Blocking: takes tens
/// of milliseconds of CPU.
///
/// # Errors
///
/// [`IamError::Random`] when no salt could be drawn, [`IamError::Hashing`] when Argon2
/// fails.
pub fn hash_secret(secret: &[u8], random: &dyn RandomSource) -> Result<SecretHash, IamError> {
    let mut salt = [0u8; 16];
    random.fill(&mut salt)?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|error| IamError::Hashing(error.to_string()))?;
    let hash = argon2()?
        .hash_password(secret, &salt)
        .map_err(|error| IamError::Hashing(error.to_string()))?;
    Ok(SecretHash(hash.to_string()))
}

/// Returns true when `presented` matches `hash`. Blocking and constant time in the
/// presented value. A hash that is not Argon2id, or weaker than the OWASP minimum, never
/// matches, so a tampered store can't downgrade the cost.
pub fn verify_secret(hash: &SecretHash, presented: &[u8]) -> bool {
    let Ok(parsed) = PasswordHash::new(&hash.0) else {
        return false;
    };
    if !meets_minimum(&parsed) {
        return false;
    }
    let Ok(argon2) = argon2() else {
        return false;
    };
    argon2.verify_password(presented, &parsed).is_ok()
}

fn meets_minimum(hash: &PasswordHash<'_>) -> bool {
    if hash.algorithm.as_str() != "argon2id" {
        return false;
    }
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    params.m_cost() >= ARGON2_MEMORY_KIB
        && params.t_cost() >= ARGON2_ITERATIONS
        && params.p_cost() >= ARGON2_PARALLELISM
}

/// Returns a hash of a random value that no caller can know. Verifying a presented secret
/// against it costs the same as against a real hash, so an unknown client id takes as
/// long to reject as a wrong secret. Computed once per process.
pub fn dummy_hash() -> &'static SecretHash {
    static DUMMY: OnceLock<SecretHash> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut value = [0u8; 32];
        let random = crate::clock::OsRandom;
        // With no OS randomness the dummy falls back to a fixed salt and value. It still
        // costs a full verification, which is all it is for.
        let _ = random.fill(&mut value);
        hash_secret(&value, &random)
            .or_else(|_| hash_secret(&value, &FixedSalt))
            .unwrap_or_else(|_| SecretHash(String::new()))
    })
}

/// A salt source for the fallback dummy hash only.
#[derive(Debug)]
struct FixedSalt;

impl RandomSource for FixedSalt {
    fn fill(&self, dest: &mut [u8]) -> Result<(), IamError> {
        dest.fill(0x5a);
        Ok(())
    }
}

/// Returns the one-byte candidate tag of a secret value under `key`: the first byte of
/// SHA-256 over a domain separator, the key and the value. Stored next to each client
/// secret's hash, it lets verification skip the secrets that can't match, so that one
/// attempt costs one Argon2id verification. Without the key the tag reveals nothing. With
/// the key and the store, it narrows an offline guess by a factor of 256, but the
/// Argon2id cost of each remaining guess still dominates.
pub fn candidate_tag(key: &crate::cipher::SecretKey, value: &[u8]) -> u8 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"iam client secret candidate tag\0")
        .chain_update(key.expose_bytes())
        .chain_update(value)
        .finalize();
    digest[0]
}

/// Verifies `presented` against every hash in `candidates` and returns true when any
/// matches. Every candidate is checked even after a match, and an empty list is checked
/// against [`dummy_hash`], so the time depends only on the number of candidates.
pub fn verify_any<'a>(
    candidates: impl IntoIterator<Item = &'a SecretHash>,
    presented: &[u8],
) -> bool {
    let mut checked = 0usize;
    let mut matched = false;
    for hash in candidates {
        checked += 1;
        matched |= verify_secret(hash, presented);
    }
    if checked == 0 {
        let _ = verify_secret(dummy_hash(), presented);
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OsRandom;

    #[test]
    fn hash_then_verify() {
        let hash =
            hash_secret(b"s3cr3tV@lue!", &OsRandom).unwrap_or_else(|error| panic!("{error}"));
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_secret(&hash, b"s3cr3tV@lue!"));
        assert!(!verify_secret(&hash, b"s3cr3tV@lue?"));
    }

    #[test]
    fn weaker_hash_never_matches() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap_or_else(|error| panic!("{error}")),
        );
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap_or_else(|error| panic!("{error}"));
        let phc = weak
            .hash_password(b"password", &salt)
            .unwrap_or_else(|error| panic!("{error}"))
            .to_string();
        assert!(!verify_secret(&SecretHash(phc), b"password"));
    }

    #[test]
    fn secret_debug_is_redacted() {
        let value = ClientSecretValue::new("s3cr3tV@lue!".to_owned())
            .unwrap_or_else(|error| panic!("{error}"));
        let printed = format!("{value:?}");
        assert!(!printed.contains("s3cr3t"));
        assert!(printed.contains(REDACTED));
    }

    #[test]
    fn length_rules() {
        assert!(ClientSecretValue::new("1234567".to_owned()).is_err());
        assert!(ClientSecretValue::new("12345678".to_owned()).is_ok());
        assert!(ClientSecretValue::new("x".repeat(33)).is_err());
        assert!(Password::new("x".repeat(11)).is_err());
        assert!(Password::new("x".repeat(12)).is_ok());
        assert!(Password::new("x".repeat(129)).is_err());
    }

    #[test]
    fn verify_any_without_candidates_is_false() {
        assert!(!verify_any([], b"anything"));
    }
}
