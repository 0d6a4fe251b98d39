//! Authenticated encryption of secrets that must be recoverable, such as the client
//! secrets of SSO identity providers, which are sent to the provider and so can't be
//! hashed. XChaCha20-Poly1305 with a 256-bit key from the server configuration and a
//! random 192-bit nonce per value; the associated data binds each ciphertext to the
//! record it belongs to, so a ciphertext copied into another record does not decrypt.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use crate::clock::RandomSource;
use crate::error::IamError;

/// A 256-bit encryption key. `Debug` prints a redaction marker.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Wraps 32 key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Draws a new key from `random`.
    ///
    /// # Errors
    ///
    /// [`IamError::Random`] when the random source fails.
    pub fn generate(random: &dyn RandomSource) -> Result<Self, IamError> {
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Returns the key bytes, to write them to the key file.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

/// An encrypted value: base64 of nonce and ciphertext with its tag.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(String);

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealed([ENCRYPTED])")
    }
}

/// Encrypts `plaintext`, binding it to `context`.
///
/// # Errors
///
/// [`IamError::Random`] when no nonce could be drawn, [`IamError::Encryption`] when the
/// cipher fails.
pub fn seal(
    key: &SecretKey,
    random: &dyn RandomSource,
    context: &[u8],
    plaintext: &[u8],
) -> Result<Sealed, IamError> {
    let mut nonce = [0u8; 24];
    random.fill(&mut nonce)?;
    let cipher = XChaCha20Poly1305::new((&key.0).into());
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: context,
            },
        )
        .map_err(|_| IamError::Encryption("encryption failed".to_owned()))?;
    let mut sealed = nonce.to_vec();
    sealed.extend(ciphertext);
    Ok(Sealed(STANDARD_NO_PAD.encode(sealed)))
}

/// Decrypts a value sealed for `context`.
///
/// # Errors
///
/// [`IamError::Encryption`] when the value is malformed, was sealed with another key, or
/// for another context.
pub fn open(key: &SecretKey, context: &[u8], sealed: &Sealed) -> Result<Vec<u8>, IamError> {
    let bytes = STANDARD_NO_PAD
        .decode(&sealed.0)
        .map_err(|_| IamError::Encryption("sealed value is not valid base64".to_owned()))?;
    if bytes.len() < 24 {
        return Err(IamError::Encryption("sealed value is too short".to_owned()));
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    let cipher = XChaCha20Poly1305::new((&key.0).into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: context,
            },
        )
        .map_err(|_| {
            IamError::Encryption("sealed value does not decrypt with the configured key".to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OsRandom;

    fn key() -> SecretKey {
        SecretKey::generate(&OsRandom).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn seal_then_open() {
        let key = key();
        let sealed = seal(&key, &OsRandom, b"ctx", b"my-client-secret")
            .unwrap_or_else(|error| panic!("{error}"));
        assert!(!format!("{sealed:?}").contains("my-client-secret"));
        let opened = open(&key, b"ctx", &sealed).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(opened, b"my-client-secret");
    }

    #[test]
    fn other_context_or_key_fails() {
        let key = key();
        let sealed =
            seal(&key, &OsRandom, b"ctx", b"secret").unwrap_or_else(|error| panic!("{error}"));
        assert!(open(&key, b"other", &sealed).is_err());
        assert!(open(&self::key(), b"ctx", &sealed).is_err());
    }
}
