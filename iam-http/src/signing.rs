//! The Ed25519 key that signs access tokens, its storage, and its JWK form.
//!
//! The key pair is generated from the operating system's random source the first time a
//! store is used and kept in the store as the global record `signing_key/current`: a
//! PKCS#8 document with the private key. Anyone who can read the store's files (for
//! SQLite, `iam.sqlite3` in the data directory) can therefore mint access tokens.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use iam_core::store::{Expect, Kind, Namespace, RecordKey, Store, StoreError, WriteBatch};
use iam_core::token::AccessTokenClaims;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The store kind of the signing key record (global namespace).
pub const SIGNING_KEY_KIND: Kind = Kind::custom("signing_key");
/// The id of the signing key record in use.
const CURRENT_KEY_ID: &str = "current";

/// The failure to load or create the signing key.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    /// The store failed.
    #[error("the signing key could not be read or written")]
    Store(#[from] StoreError),
    /// The stored key record can't be decoded.
    #[error("the stored signing key `signing_key/current` is corrupt: {0}")]
    Corrupt(String),
    /// The operating system's random source failed.
    #[error("no random bytes for a new signing key: {0}")]
    Random(String),
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    /// The PKCS#8 document of the private key, base64 encoded.
    pkcs8: String,
}

/// Signs and verifies access tokens with one Ed25519 key.
pub struct TokenSigner {
    kid: String,
    x: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The reason a presented token is not one that this server signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureRejection {
    /// The text is not a JWS, or its header or claims can't be decoded.
    #[error("the access token is malformed")]
    Malformed,
    /// The token was signed by another key or with another algorithm, or altered.
    #[error("the access token signature is invalid")]
    InvalidSignature,
}

impl TokenSigner {
    /// Loads the signing key from `store`, creating and storing a new one when there is
    /// none yet. When two processes race to create it, the one stored first wins.
    ///
    /// # Errors
    ///
    /// [`SigningKeyError`] when the store fails, the stored key is corrupt, or no random
    /// bytes are available.
    pub async fn load_or_create(store: &dyn Store) -> Result<Self, SigningKeyError> {
        let key = RecordKey::new(Namespace::Global, SIGNING_KEY_KIND, CURRENT_KEY_ID);
        if let Some(record) = store.get(&key).await? {
            return Self::from_record(&record.body);
        }

        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| SigningKeyError::Random(error.to_string()))?;
        let signing_key = SigningKey::from_bytes(&seed);
        let document = signing_key
            .to_pkcs8_der()
            .map_err(|error| SigningKeyError::Corrupt(error.to_string()))?;
        let stored = StoredKey {
            kid: key_id(&public_x(&signing_key)),
            pkcs8: STANDARD.encode(document.as_bytes()),
        };
        let body = serde_json::to_vec(&stored)
            .map_err(|error| SigningKeyError::Corrupt(error.to_string()))?;
        let mut batch = WriteBatch::new();
        batch.put(key.clone(), body.clone(), Expect::Absent);
        match store.commit(batch).await {
            Ok(_) => Self::from_record(&body),
            Err(StoreError::AlreadyExists { .. }) => match store.get(&key).await? {
                Some(record) => Self::from_record(&record.body),
                None => Err(SigningKeyError::Corrupt(
                    "the key vanished right after another process stored it".to_owned(),
                )),
            },
            Err(other) => Err(other.into()),
        }
    }

    fn from_record(body: &[u8]) -> Result<Self, SigningKeyError> {
        let corrupt = |problem: String| SigningKeyError::Corrupt(problem);
        let stored: StoredKey =
            serde_json::from_slice(body).map_err(|error| corrupt(error.to_string()))?;
        let der = STANDARD
            .decode(&stored.pkcs8)
            .map_err(|error| corrupt(error.to_string()))?;
        let signing_key =
            SigningKey::from_pkcs8_der(&der).map_err(|error| corrupt(error.to_string()))?;
        let x = public_x(&signing_key);
        Ok(Self {
            kid: stored.kid,
            decoding: DecodingKey::from_ed_der(signing_key.verifying_key().as_bytes()),
            encoding: EncodingKey::from_ed_der(&der),
            x,
        })
    }

    /// Returns the key id (`kid`): the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` as a compact JWS with `alg` `EdDSA`, `typ` `at+jwt` and the key id.
    ///
    /// # Errors
    ///
    /// The signing library's error when the claims can't be encoded.
    pub fn sign(&self, claims: &AccessTokenClaims) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// Checks that `token` was signed by this key and returns its claims. Times, issuer
    /// and tenant are not checked here; see [`AccessTokenClaims::validate`].
    ///
    /// # Errors
    ///
    /// [`SignatureRejection`] for a malformed token or a bad signature.
    pub fn verify(&self, token: &str) -> Result<AccessTokenClaims, SignatureRejection> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| SignatureRejection::Malformed)?;
        if header.alg != Algorithm::EdDSA || header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(SignatureRejection::InvalidSignature);
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<AccessTokenClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    SignatureRejection::InvalidSignature
                }
                _ => SignatureRejection::Malformed,
            })
    }

    /// Returns the public key set, for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![Jwk {
                kty: "OKP".to_owned(),
                crv: "Ed25519".to_owned(),
                x: self.x.clone(),
                kid: self.kid.clone(),
                alg: "EdDSA".to_owned(),
                key_use: "sig".to_owned(),
            }],
        }
    }
}

fn public_x(signing_key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(signing_key.verifying_key().as_bytes())
}

/// Computes the RFC 7638 thumbprint of an Ed25519 public key: the SHA-256 digest of the
/// JWK's required members in lexicographic order, without white space.
fn key_id(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A JSON Web Key Set (RFC 7517).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// An Ed25519 public key as a JSON Web Key (RFC 8037).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Jwk {
    /// The key type, `OKP`.
    pub kty: String,
    /// The curve, `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// The key id.
    pub kid: String,
    /// The algorithm, `EdDSA`.
    pub alg: String,
    /// The intended use, `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use iam_core::id::{ClientId, TenantId};
    use iam_core::store::MemoryStore;
    use iam_core::token::TokenGrant;
    use uuid::Uuid;

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims::for_client(
            TokenGrant {
                issuer: "http://127.0.0.1/acme".to_owned(),
                tenant: TenantId::from_uuid(Uuid::new_v4()),
                client: ClientId::from_uuid(Uuid::new_v4()),
                scopes: vec!["services.iam".to_owned()],
                roles: Vec::new(),
            },
            Utc::now(),
            Uuid::new_v4().to_string(),
        )
    }

    #[tokio::test]
    async fn key_is_stored_once() {
        let store = MemoryStore::new();
        let first = TokenSigner::load_or_create(&store)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let second = TokenSigner::load_or_create(&store)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.kid(), second.kid());
        let token = first.sign(&claims()).unwrap_or_else(|e| panic!("{e}"));
        assert!(second.verify(&token).is_ok());
    }

    #[tokio::test]
    async fn other_key_rejected() {
        let signer = TokenSigner::load_or_create(&MemoryStore::new())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let other = TokenSigner::load_or_create(&MemoryStore::new())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let token = other.sign(&claims()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            signer.verify(&token),
            Err(SignatureRejection::InvalidSignature)
        );
        assert_eq!(
            signer.verify("not a token"),
            Err(SignatureRejection::Malformed)
        );
    }

    #[tokio::test]
    async fn tampered_claims_rejected() {
        let signer = TokenSigner::load_or_create(&MemoryStore::new())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let token = signer.sign(&claims()).unwrap_or_else(|e| panic!("{e}"));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut altered = claims();
        altered.scope = "services.iam openid".to_owned();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&altered).unwrap_or_default());
        assert_eq!(
            signer.verify(&parts.join(".")),
            Err(SignatureRejection::InvalidSignature)
        );
    }
}
