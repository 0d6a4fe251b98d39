//! SSO identity providers of a tenant, with their client secrets encrypted at rest.
//!
//! A provider is stored under its zero-padded id, and its folded scheme under
//! [`Kind::SSO_SCHEME`]. The client secret is sealed with the facade's secret key for the
//! context `sso:<tenant id>:<provider id>`, so a sealed secret copied into another
//! provider or tenant does not decrypt.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::check_version;
use super::{AuditEntry, TenantIam};
use crate::casefold::fold;
use crate::cipher::{self, Sealed, SecretKey};
use crate::error::IamError;
use crate::paging::{Page, PageRequest};
use crate::sso::{
    SsoClientSecret, SsoProperties, SsoProtocol, SsoProvider, SsoProviderInput, SsoProviderType,
};
use crate::store::{Kind, ScanRange};

/// The counter that hands out provider ids.
const SSO_SEQUENCE: &str = "sso";

/// A provider as stored: the client secret is sealed, and the properties never
/// serialize the plaintext one.
#[derive(Serialize, Deserialize)]
struct StoredSsoProvider {
    id: u64,
    scheme: String,
    display_name: String,
    enabled: bool,
    protocol: SsoProtocol,
    properties: SsoProperties,
    client_secret: Option<Sealed>,
    created: DateTime<Utc>,
}

impl StoredSsoProvider {
    fn to_provider(&self, version: u64) -> SsoProvider {
        SsoProvider {
            id: self.id,
            scheme: self.scheme.clone(),
            display_name: self.display_name.clone(),
            enabled: self.enabled,
            protocol: self.protocol,
            properties: self.properties.clone(),
            has_client_secret: self.client_secret.is_some(),
            created: self.created,
            version,
        }
    }
}

/// The effect of an update on the stored client secret, named in audit details.
enum SecretChange {
    Kept,
    Removed,
    Replaced(Sealed),
}

impl SecretChange {
    fn audit_name(&self) -> &'static str {
        match self {
            SecretChange::Kept => "kept",
            SecretChange::Removed => "removed",
            SecretChange::Replaced(_) => "replaced",
        }
    }
}

/// Returns the store id of a provider, zero-padded so that byte order is numeric order.
fn provider_store_id(id: u64) -> String {
    format!("{id:020}")
}

impl TenantIam {
    /// Creates an SSO provider of `provider_type`. A non-empty client secret in the
    /// properties is encrypted with the facade's secret key; an empty one is ignored.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field, such as `scheme`, `type` or
    ///   `properties.authority`.
    /// - [`IamError::Conflict`] when a client secret is given but the facade has no
    ///   secret key.
    /// - [`IamError::AlreadyExists`] when the scheme is taken (case-insensitively).
    pub async fn create_sso_provider(
        &self,
        provider_type: SsoProviderType,
        mut input: SsoProviderInput,
    ) -> Result<SsoProvider, IamError> {
        input.validate(provider_type)?;
        let secret = input
            .properties
            .take_client_secret()
            .filter(|secret| !secret.is_empty());
        if secret.is_some() {
            // Fail before taking the write lock when the secret can't be stored.
            self.sso_secret_key()?;
        }
        let folded = fold(&input.scheme);

        let _guard = self.iam.lock_writes().await;
        self.check_sso_scheme_free(&folded, &input.scheme).await?;
        let reader = self.reader();
        let mut change = self.change();
        let id = change.next_number(&reader, SSO_SEQUENCE).await?;
        let client_secret = match &secret {
            Some(secret) => Some(self.seal_sso_secret(id, secret)?),
            None => None,
        };
        let stored = StoredSsoProvider {
            id,
            scheme: input.scheme,
            display_name: input.display_name,
            enabled: input.enabled,
            protocol: SsoProtocol::Oidc,
            properties: input.properties,
            client_secret,
            created: self.now(),
        };
        change.create(Kind::SSO_PROVIDER, provider_store_id(id), &stored)?;
        change.create(Kind::SSO_SCHEME, folded, &id)?;
        let entry = AuditEntry::new(
            "sso.provider.create",
            id,
            json!({
                "type": provider_type.as_str(),
                "scheme": stored.scheme,
                "displayName": stored.display_name,
                "enabled": stored.enabled,
                "hasClientSecret": stored.client_secret.is_some(),
            }),
        );
        self.commit(change, entry).await?;
        Ok(stored.to_provider(1))
    }

    /// Returns the SSO provider `id` of `provider_type`.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such provider, or it has another
    /// type.
    pub async fn get_sso_provider(
        &self,
        provider_type: SsoProviderType,
        id: u64,
    ) -> Result<SsoProvider, IamError> {
        let (stored, version) = self.load_sso_provider(provider_type, id).await?;
        Ok(stored.to_provider(version))
    }

    /// Returns the SSO provider whose scheme is `scheme` (case-insensitively), of any
    /// type, if there is one.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn find_sso_provider_by_scheme(
        &self,
        scheme: &str,
    ) -> Result<Option<SsoProvider>, IamError> {
        let Some((id, _)) = self
            .reader()
            .load::<u64>(Kind::SSO_SCHEME, &fold(scheme))
            .await?
        else {
            return Ok(None);
        };
        self.find_sso_provider(id).await
    }

    /// Returns the SSO provider `id` of any type, if there is one.
    pub(super) async fn find_sso_provider(&self, id: u64) -> Result<Option<SsoProvider>, IamError> {
        Ok(self
            .reader()
            .load::<StoredSsoProvider>(Kind::SSO_PROVIDER, &provider_store_id(id))
            .await?
            .map(|(stored, version)| stored.to_provider(version)))
    }

    /// Replaces the scheme, display name, enabled flag and properties of an SSO provider.
    /// The client secret in the properties decides what happens to the stored one: `None`
    /// keeps it, an empty string removes it, any other value replaces it. With
    /// `expected_version`, the update fails unless the provider still has that version.
    ///
    /// A new scheme must be free, and the scheme can't change while SCIM tokens name the
    /// old one, because the tokens would then name no provider.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field.
    /// - [`IamError::NotFound`] when the tenant has no such provider, or it has another
    ///   type.
    /// - [`IamError::VersionMismatch`] when `expected_version` is stale.
    /// - [`IamError::AlreadyExists`] when the new scheme is taken.
    /// - [`IamError::Conflict`] when the scheme changes while SCIM tokens name the old
    ///   one, or a new client secret is given but the facade has no secret key.
    pub async fn update_sso_provider(
        &self,
        provider_type: SsoProviderType,
        id: u64,
        mut input: SsoProviderInput,
        expected_version: Option<u64>,
    ) -> Result<SsoProvider, IamError> {
        input.validate(provider_type)?;
        let secret_change = match input.properties.take_client_secret() {
            None => SecretChange::Kept,
            Some(secret) if secret.is_empty() => SecretChange::Removed,
            Some(secret) => SecretChange::Replaced(self.seal_sso_secret(id, &secret)?),
        };

        let _guard = self.iam.lock_writes().await;
        let (mut stored, version) = self.load_sso_provider(provider_type, id).await?;
        check_version("sso provider", &id.to_string(), version, expected_version)?;

        let mut change = self.change();
        let old_folded = fold(&stored.scheme);
        let new_folded = fold(&input.scheme);
        if old_folded != new_folded {
            let tokens = self.scim_tokens_naming(&old_folded).await?;
            if !tokens.is_empty() {
                return Err(IamError::conflict(format!(
                    "the scheme of SSO provider `{}` can't change while {} SCIM token(s) name it; delete the tokens first",
                    stored.scheme,
                    tokens.len()
                )));
            }
            self.check_sso_scheme_free(&new_folded, &input.scheme)
                .await?;
            // Deleting the old scheme at the version read here fails the batch if another
            // writer created a SCIM token for it meanwhile.
            if let Some((_, scheme_version)) = self
                .reader()
                .load::<u64>(Kind::SSO_SCHEME, &old_folded)
                .await?
            {
                change.delete_version(Kind::SSO_SCHEME, old_folded, scheme_version);
            }
            change.create(Kind::SSO_SCHEME, new_folded, &id)?;
        }

        let before = json!({
            "scheme": stored.scheme,
            "displayName": stored.display_name,
            "enabled": stored.enabled,
        });
        stored.scheme = input.scheme;
        stored.display_name = input.display_name;
        stored.enabled = input.enabled;
        stored.properties = input.properties;
        let secret_audit = secret_change.audit_name();
        match secret_change {
            SecretChange::Kept => {}
            SecretChange::Removed => stored.client_secret = None,
            SecretChange::Replaced(sealed) => stored.client_secret = Some(sealed),
        }
        change.replace(Kind::SSO_PROVIDER, provider_store_id(id), &stored, version)?;
        let entry = AuditEntry::new(
            "sso.provider.update",
            id,
            json!({
                "type": provider_type.as_str(),
                "before": before,
                "after": {
                    "scheme": stored.scheme,
                    "displayName": stored.display_name,
                    "enabled": stored.enabled,
                },
                "clientSecret": secret_audit,
            }),
        );
        self.commit(change, entry).await?;
        Ok(stored.to_provider(version + 1))
    }

    /// Deletes an SSO provider with its client secret.
    ///
    /// # Errors
    ///
    /// - [`IamError::NotFound`] when the tenant has no such provider, or it has another
    ///   type.
    /// - [`IamError::Conflict`] while SCIM tokens name the provider's scheme.
    pub async fn delete_sso_provider(
        &self,
        provider_type: SsoProviderType,
        id: u64,
    ) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let (stored, version) = self.load_sso_provider(provider_type, id).await?;
        let folded = fold(&stored.scheme);
        let tokens = self.scim_tokens_naming(&folded).await?;
        if !tokens.is_empty() {
            return Err(IamError::conflict(format!(
                "SSO provider `{}` can't be deleted while {} SCIM token(s) name it; delete the tokens first",
                stored.scheme,
                tokens.len()
            )));
        }
        let mut change = self.change();
        change.delete_version(Kind::SSO_PROVIDER, provider_store_id(id), version);
        // SCIM token creation rewrites the scheme record, so deleting it at the version
        // read here fails if another writer created a token for this scheme meanwhile.
        if let Some((_, scheme_version)) =
            self.reader().load::<u64>(Kind::SSO_SCHEME, &folded).await?
        {
            change.delete_version(Kind::SSO_SCHEME, folded, scheme_version);
        }
        let entry = AuditEntry::new(
            "sso.provider.delete",
            id,
            json!({ "type": provider_type.as_str(), "scheme": stored.scheme }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Returns a page of SSO providers of every type, ordered by scheme
    /// (case-insensitively), then id. The search text matches scheme and display name.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails, [`IamError::Corrupt`] for a record that
    /// can't be decoded.
    pub async fn list_sso_providers(
        &self,
        request: &PageRequest,
    ) -> Result<Page<SsoProvider>, IamError> {
        let range = ScanRange::all(self.namespace(), Kind::SSO_PROVIDER);
        let mut providers: Vec<SsoProvider> = self
            .reader()
            .scan::<StoredSsoProvider>(&range)
            .await?
            .into_iter()
            .map(|(_, stored, version)| stored.to_provider(version))
            .filter(|provider| {
                request.matches([provider.scheme.as_str(), provider.display_name.as_str()])
            })
            .collect();
        providers.sort_by_cached_key(|provider| (fold(&provider.scheme), provider.id));
        Ok(request.paginate(providers))
    }

    /// Decrypts the client secret of SSO provider `id`, to send it to the identity
    /// provider. Returns `None` when the provider has no client secret.
    ///
    /// # Errors
    ///
    /// - [`IamError::NotFound`] when the tenant has no such provider.
    /// - [`IamError::Encryption`] when the facade has no secret key, or the stored
    ///   secret does not decrypt with it (another key, or a ciphertext that belongs to
    ///   another provider).
    pub async fn sso_client_secret(&self, id: u64) -> Result<Option<SsoClientSecret>, IamError> {
        let Some((stored, _)) = self
            .reader()
            .load::<StoredSsoProvider>(Kind::SSO_PROVIDER, &provider_store_id(id))
            .await?
        else {
            return Err(IamError::not_found("sso provider", id));
        };
        let Some(sealed) = &stored.client_secret else {
            return Ok(None);
        };
        let Some(key) = &self.iam.inner.settings.secret_key else {
            return Err(IamError::Encryption(format!(
                "no secret key is configured, so the client secret of SSO provider `{}` can't be decrypted",
                stored.scheme
            )));
        };
        let context = self.sso_secret_context(id);
        // NOTE: there is no key rotation. After the configured key changes, every stored
        // client secret fails here until it is set again through an update.
        let plaintext = cipher::open(key, context.as_bytes(), sealed)?;
        let text = String::from_utf8(plaintext).map_err(|_| {
            IamError::Encryption(format!(
                "the client secret of SSO provider `{}` is not valid UTF-8",
                stored.scheme
            ))
        })?;
        Ok(Some(SsoClientSecret::new(text)))
    }

    /// Loads a provider and checks its type; a provider of another type is reported as
    /// not found, as the API path `/v1/sso/{type}/{id}` requires.
    async fn load_sso_provider(
        &self,
        provider_type: SsoProviderType,
        id: u64,
    ) -> Result<(StoredSsoProvider, u64), IamError> {
        self.reader()
            .load::<StoredSsoProvider>(Kind::SSO_PROVIDER, &provider_store_id(id))
            .await?
            .filter(|(stored, _)| stored.properties.provider_type() == provider_type)
            .ok_or_else(|| IamError::not_found("sso provider", id))
    }

    async fn check_sso_scheme_free(&self, folded: &str, scheme: &str) -> Result<(), IamError> {
        if self.reader().exists(Kind::SSO_SCHEME, folded).await? {
            return Err(IamError::AlreadyExists {
                kind: "sso provider",
                field: "scheme",
                value: scheme.to_owned(),
            });
        }
        Ok(())
    }

    fn sso_secret_key(&self) -> Result<&SecretKey, IamError> {
        self.iam.inner.settings.secret_key.as_ref().ok_or_else(|| {
            IamError::conflict(
                "the server has no encryption key configured, so SSO client secrets can't be stored; configure a secret key or omit `clientSecret`",
            )
        })
    }

    fn sso_secret_context(&self, id: u64) -> String {
        format!("sso:{}:{id}", self.tenant.id)
    }

    fn seal_sso_secret(&self, id: u64, secret: &SsoClientSecret) -> Result<Sealed, IamError> {
        let key = self.sso_secret_key()?;
        let context = self.sso_secret_context(id);
        cipher::seal(
            key,
            self.iam.inner.random.as_ref(),
            context.as_bytes(),
            secret.expose_secret().as_bytes(),
        )
    }
}
