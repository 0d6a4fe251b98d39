//! OAuth clients and their secrets.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};
use crate::id::ClientId;
use crate::secret::SecretHash;
use crate::validate;

/// The maximum number of secrets a client may have.
pub const MAX_CLIENT_SECRETS: usize = 20;

/// The OAuth 2.0 grant types a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// Service-to-service tokens with the client's own credentials.
    ClientCredentials,
    /// Interactive sign-in with a redirect.
    AuthorizationCode,
    /// Refresh tokens.
    RefreshToken,
    /// Token exchange on behalf of a user.
    Delegation,
}

impl GrantType {
    /// Returns the grant type's OAuth name.
    pub const fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::Delegation => "delegation",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "client_credentials" => Ok(GrantType::ClientCredentials),
            "authorization_code" => Ok(GrantType::AuthorizationCode),
            "refresh_token" => Ok(GrantType::RefreshToken),
            "delegation" => Ok(GrantType::Delegation),
            "password" | "implicit" => Err(format!(
                "grant type `{text}` is not allowed because it is unsafe (OAuth 2.0 Security Best Current Practice); use `authorization_code` with PKCE"
            )),
            other => Err(format!(
                "unknown grant type `{other}`; expected `client_credentials`, `authorization_code`, `refresh_token` or `delegation`"
            )),
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// The generated client id.
    pub client_id: ClientId,
    /// The display name.
    pub name: String,
    /// A description; may be empty.
    pub description: String,
    /// The grant types the client may use.
    pub allowed_grant_types: Vec<GrantType>,
    /// The redirect URIs for `authorization_code`.
    pub redirect_uris: Vec<String>,
    /// The OAuth scopes the client may request.
    pub allowed_scopes: Vec<String>,
    /// When the client was created.
    pub created: DateTime<Utc>,
    /// The stored version, for optimistic concurrency.
    #[serde(skip)]
    pub version: u64,
}

/// The input of client creation and update, as the API receives it.
#[derive(Debug, Clone, Default)]
pub struct ClientInput {
    /// The display name: 1 to 200 characters.
    pub name: String,
    /// A description: at most 1,024 characters.
    pub description: String,
    /// Grant type names; at least one.
    pub allowed_grant_types: Vec<String>,
    /// Absolute `https` URIs without fragment, or `http` on a loopback host; required
    /// when `authorization_code` is allowed.
    pub redirect_uris: Vec<String>,
    /// Names of existing OAuth scopes.
    pub allowed_scopes: Vec<String>,
}

/// A [`ClientInput`] whose fields passed every check that needs no stored state.
#[derive(Debug, Clone)]
pub(crate) struct ValidClientInput {
    pub name: String,
    pub description: String,
    pub allowed_grant_types: Vec<GrantType>,
    pub redirect_uris: Vec<String>,
    pub allowed_scopes: Vec<String>,
}

impl ClientInput {
    /// Checks every field except that the scopes exist, which needs the store. Duplicate
    /// list entries are removed, keeping the first.
    pub(crate) fn validate(&self) -> Result<ValidClientInput, IamError> {
        let mut errors = ValidationErrors::new();
        validate::name(&mut errors, "name", &self.name, 200);
        validate::text(&mut errors, "description", &self.description, 0, 1024);

        let mut grant_types = Vec::new();
        if self.allowed_grant_types.is_empty() {
            errors.add("allowedGrantTypes", "at least one grant type is required");
        }
        for text in &self.allowed_grant_types {
            match GrantType::parse(text) {
                Ok(grant) if !grant_types.contains(&grant) => grant_types.push(grant),
                Ok(_) => {}
                Err(problem) => errors.add("allowedGrantTypes", problem),
            }
        }

        let mut redirect_uris: Vec<String> = Vec::new();
        for uri in &self.redirect_uris {
            match validate_redirect_uri(uri) {
                Ok(()) if !redirect_uris.contains(uri) => redirect_uris.push(uri.clone()),
                Ok(()) => {}
                Err(problem) => errors.add("redirectUris", problem),
            }
        }
        if grant_types.contains(&GrantType::AuthorizationCode) && self.redirect_uris.is_empty() {
            errors.add(
                "redirectUris",
                "at least one redirect URI is required when `authorization_code` is allowed",
            );
        }

        let mut scopes: Vec<String> = Vec::new();
        for scope in &self.allowed_scopes {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }

        errors.into_result()?;
        Ok(ValidClientInput {
            name: self.name.clone(),
            description: self.description.clone(),
            allowed_grant_types: grant_types,
            redirect_uris,
            allowed_scopes: scopes,
        })
    }
}

/// Checks a redirect URI: absolute, no fragment, and `https`, or `http` on a loopback
/// host (`localhost`, `127.0.0.0/8`, `[::1]`) for native and development clients
/// (RFC 8252, section 7.3).
pub(crate) fn validate_redirect_uri(uri: &str) -> Result<(), String> {
    let parsed =
        url::Url::parse(uri).map_err(|error| format!("`{uri}` is not an absolute URI: {error}"))?;
    if parsed.fragment().is_some() {
        return Err(format!("`{uri}` must not contain a fragment"));
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if crate::validate::is_loopback_host(&parsed) => Ok(()),
        "http" => Err(format!(
            "`{uri}` must use https; http is allowed only on a loopback host"
        )),
        other => Err(format!("`{uri}` has scheme `{other}`; expected https")),
    }
}

/// A client secret as stored: metadata and the Argon2id hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredClientSecret {
    pub id: u64,
    pub description: String,
    pub expiration: Option<DateTime<Utc>>,
    pub created: DateTime<Utc>,
    pub hash: SecretHash,
    /// The candidate tag of the value (see [`crate::secret::candidate_tag`]); `None` for
    /// secrets added without one, which every verification tries.
    #[serde(default)]
    pub tag: Option<u8>,
}

impl StoredClientSecret {
    /// A secret is valid while `now < expiration` (half-open); without an expiration it
    /// never expires.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.expiration.is_none_or(|expiration| now < expiration)
    }

    pub fn info(&self) -> ClientSecretInfo {
        ClientSecretInfo {
            id: self.id,
            description: self.description.clone(),
            expiration: self.expiration,
            created: self.created,
        }
    }
}

/// A client secret's metadata. The value is never stored or returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecretInfo {
    /// The secret's number within its client.
    pub id: u64,
    /// A description; may be empty.
    pub description: String,
    /// When the secret stops being valid, if ever.
    pub expiration: Option<DateTime<Utc>>,
    /// When the secret was added.
    pub created: DateTime<Utc>,
}

/// The input of adding a client secret.
#[derive(Debug, Clone)]
pub struct NewClientSecret {
    /// The hash of the secret value, made with [`crate::secret::hash_secret`] from a
    /// [`crate::secret::ClientSecretValue`].
    pub hash: SecretHash,
    /// A description (required, may be empty): at most 1,024 characters.
    pub description: String,
    /// When the secret stops being valid; must be in the future.
    pub expiration: Option<DateTime<Utc>>,
    /// The candidate tag of the value, from [`crate::Iam::client_secret_tag`], so that a
    /// verification runs Argon2id only against the secrets that can match. `None` makes
    /// every verification try this secret.
    pub tag: Option<u8>,
}

/// What verifying a client's credentials needs: the hashes of its currently valid
/// secrets, or none for an unknown client. Verification is blocking; see
/// [`ClientCredentials::verify`].
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    client: Option<Client>,
    /// The hashes of the valid secrets, each with its candidate tag.
    secrets: Vec<(SecretHash, Option<u8>)>,
    /// The key of the candidate tags, when the facade has one.
    tag_key: Option<crate::cipher::SecretKey>,
}

impl ClientCredentials {
    pub(crate) fn new(
        client: Option<Client>,
        secrets: Vec<(SecretHash, Option<u8>)>,
        tag_key: Option<crate::cipher::SecretKey>,
    ) -> Self {
        Self {
            client,
            secrets,
            tag_key,
        }
    }

    /// Returns the hashes that `presented` is verified against. With a tag key these are
    /// the secrets whose tag equals the presented value's tag, plus those without a tag.
    /// Without a tag key they are every secret.
    fn candidates(&self, presented: &[u8]) -> Vec<&SecretHash> {
        let presented_tag = self
            .tag_key
            .as_ref()
            .map(|key| crate::secret::candidate_tag(key, presented));
        self.secrets
            .iter()
            .filter(|(_, tag)| match (presented_tag, tag) {
                (Some(presented), Some(stored)) => presented == *stored,
                _ => true,
            })
            .map(|(hash, _)| hash)
            .collect()
    }

    /// Returns how many Argon2id verifications [`ClientCredentials::verify`] runs for
    /// `presented`: at least one (the dummy hash when nothing can match).
    pub fn verification_count(&self, presented: &[u8]) -> usize {
        self.candidates(presented).len().max(1)
    }

    /// Verifies `presented` and returns the client when it matches one of the valid
    /// secrets. Only candidates whose tag matches are verified, and an unknown client or a
    /// presented value that matches no candidate is checked against a dummy hash. So a
    /// failed attempt costs one full Argon2id verification however many secrets the
    /// client has (two or more only when several secrets share the presented value's
    /// tag, or for secrets stored without a tag). Blocking.
    pub fn verify(self, presented: &[u8]) -> Option<Client> {
        let matched = crate::secret::verify_any(self.candidates(presented), presented);
        if matched { self.client } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(grants: &[&str], uris: &[&str]) -> ClientInput {
        ClientInput {
            name: "My Application".to_owned(),
            description: String::new(),
            allowed_grant_types: grants.iter().map(ToString::to_string).collect(),
            redirect_uris: uris.iter().map(ToString::to_string).collect(),
            allowed_scopes: vec!["services.iam".to_owned()],
        }
    }

    fn field_errors(result: Result<ValidClientInput, IamError>, field: &str) -> Vec<String> {
        match result {
            Err(IamError::Validation(errors)) => {
                errors.fields().get(field).cloned().unwrap_or_default()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn unsafe_grant_types_say_why() {
        let messages = field_errors(input(&["password"], &[]).validate(), "allowedGrantTypes");
        assert!(messages[0].contains("unsafe"), "{messages:?}");
        let messages = field_errors(input(&["implicit"], &[]).validate(), "allowedGrantTypes");
        assert!(messages[0].contains("unsafe"), "{messages:?}");
    }

    #[test]
    fn authorization_code_needs_redirect_uri() {
        let messages = field_errors(
            input(&["authorization_code"], &[]).validate(),
            "redirectUris",
        );
        assert_eq!(messages.len(), 1);
    }

    #[test]
    fn redirect_uri_rules() {
        assert!(
            input(&["authorization_code"], &["https://app.example.com/cb"])
                .validate()
                .is_ok()
        );
        assert!(
            input(&["authorization_code"], &["http://127.0.0.1:8080/cb"])
                .validate()
                .is_ok()
        );
        assert!(
            input(&["authorization_code"], &["http://[::1]/cb"])
                .validate()
                .is_ok()
        );
        assert!(
            input(&["authorization_code"], &["http://localhost/cb"])
                .validate()
                .is_ok()
        );
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#x",
            "/cb",
            "ftp://x/cb",
        ] {
            assert!(
                input(&["authorization_code"], &[bad]).validate().is_err(),
                "`{bad}` must be rejected"
            );
        }
    }

    #[test]
    fn empty_grant_types_rejected() {
        assert_eq!(
            field_errors(input(&[], &[]).validate(), "allowedGrantTypes").len(),
            1
        );
    }
}
