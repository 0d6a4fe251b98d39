//! SCIM tokens of a tenant.
//!
//! A token is stored under its id, its SHA-256 digest under [`Kind::SCIM_TOKEN_DIGEST`]
//! (the only way to find it from the token text), and `<folded scheme>\0<token id>` under
//! [`Kind::SCIM_TOKEN_BY_SCHEME`], so that an SSO provider can tell whether tokens name
//! it. The three records are created and deleted in one batch.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{AuditEntry, TenantIam};
use crate::casefold::fold;
use crate::credential::{self, GeneratedCredential};
use crate::error::{IamError, ValidationErrors};
use crate::paging::{Page, PageRequest};
use crate::scim::{SCIM_TOKEN_PREFIX, ScimToken, ScimTokenInput};
use crate::store::{Kind, ScanRange};

/// The minimum age of `last_used` before a verification records the use again. A SCIM
/// client sends bursts of requests, and recording each one would write a record and an
/// audit event per request.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// The maximum length of a presented text that verification hashes. A token has the
/// prefix and 43 characters of base64url, so longer texts can't be tokens of this server.
const MAX_PRESENTED_LEN: usize = 256;

/// A token as stored: its metadata and its digest, which is the id of its digest index
/// record and so is needed to delete that record.
#[derive(Serialize, Deserialize)]
struct StoredScimToken {
    token: ScimToken,
    digest: String,
}

fn scheme_index_id(folded_scheme: &str, id: Uuid) -> String {
    format!("{folded_scheme}\0{id}")
}

impl TenantIam {
    /// Creates a SCIM token for the SSO provider whose scheme is `input.provider`
    /// (case-insensitively). Returns the token's metadata, which names the scheme as the
    /// provider currently spells it, and the token text. The text is shown only here
    /// because the store keeps only its digest.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field, and on field `provider`
    ///   when the tenant has no SSO provider with that scheme.
    /// - [`IamError::Random`] when the random source fails.
    pub async fn create_scim_token(
        &self,
        input: ScimTokenInput,
    ) -> Result<(ScimToken, GeneratedCredential), IamError> {
        input.validate()?;
        let folded = fold(&input.provider);

        let _guard = self.iam.lock_writes().await;
        let scheme_record = self.reader().load::<u64>(Kind::SSO_SCHEME, &folded).await?;
        let provider = match scheme_record {
            Some((provider_id, _)) => self.find_sso_provider(provider_id).await?,
            None => None,
        };
        let (Some((provider_id, scheme_version)), Some(provider)) = (scheme_record, provider)
        else {
            return Err(ValidationErrors::single(
                "provider",
                format!(
                    "no SSO provider has the scheme `{}`; create the provider first",
                    input.provider
                ),
            )
            .into());
        };

        let credential =
            GeneratedCredential::generate(SCIM_TOKEN_PREFIX, self.iam.inner.random.as_ref())?;
        let token = ScimToken {
            id: self.new_uuid()?,
            provider: provider.scheme,
            provider_display_name: input.provider_display_name,
            created: self.now(),
            last_used: None,
        };
        let digest = credential.digest();
        let mut change = self.change();
        change.create(Kind::SCIM_TOKEN_DIGEST, digest.clone(), &token.id)?;
        change.create(
            Kind::SCIM_TOKEN_BY_SCHEME,
            scheme_index_id(&folded, token.id),
            &(),
        )?;
        // Rewriting the scheme record at the version read above makes this batch fail if
        // another writer deleted or renamed the provider meanwhile.
        change.replace(Kind::SSO_SCHEME, folded, &provider_id, scheme_version)?;
        let stored = StoredScimToken {
            token: token.clone(),
            digest,
        };
        change.create(Kind::SCIM_TOKEN, token.id.to_string(), &stored)?;
        let entry = AuditEntry::new(
            "scim.token.create",
            token.id,
            json!({
                "provider": token.provider,
                "providerDisplayName": token.provider_display_name,
            }),
        );
        self.commit(change, entry).await?;
        Ok((token, credential))
    }

    /// Returns the SCIM token `id`.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such token.
    pub async fn get_scim_token(&self, id: Uuid) -> Result<ScimToken, IamError> {
        self.reader()
            .load::<StoredScimToken>(Kind::SCIM_TOKEN, &id.to_string())
            .await?
            .map(|(stored, _)| stored.token)
            .ok_or_else(|| IamError::not_found("scim token", id))
    }

    /// Returns a page of SCIM tokens ordered by creation time, then id. The search text
    /// matches provider and provider display name. The token texts are not stored, so
    /// no page contains one.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn list_scim_tokens(
        &self,
        request: &PageRequest,
    ) -> Result<Page<ScimToken>, IamError> {
        let range = ScanRange::all(self.namespace(), Kind::SCIM_TOKEN);
        let mut tokens: Vec<ScimToken> = self
            .reader()
            .scan::<StoredScimToken>(&range)
            .await?
            .into_iter()
            .map(|(_, stored, _)| stored.token)
            .filter(|token| {
                request.matches([
                    token.provider.as_str(),
                    token.provider_display_name.as_str(),
                ])
            })
            .collect();
        tokens.sort_by_key(|token| (token.created, token.id));
        Ok(request.paginate(tokens))
    }

    /// Deletes a SCIM token. Its digest index goes in the same batch, so the token fails
    /// verification as soon as this returns.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such token.
    pub async fn delete_scim_token(&self, id: Uuid) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let Some((stored, version)) = self
            .reader()
            .load::<StoredScimToken>(Kind::SCIM_TOKEN, &id.to_string())
            .await?
        else {
            return Err(IamError::not_found("scim token", id));
        };
        let mut change = self.change();
        change.delete_version(Kind::SCIM_TOKEN, id.to_string(), version);
        change.delete(Kind::SCIM_TOKEN_DIGEST, stored.digest);
        change.delete(
            Kind::SCIM_TOKEN_BY_SCHEME,
            scheme_index_id(&fold(&stored.token.provider), id),
        );
        let entry = AuditEntry::new(
            "scim.token.delete",
            id,
            json!({ "provider": stored.token.provider }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Verifies a SCIM token presented to this tenant and returns its metadata, or `None`
    /// when the text is no token of the tenant. The SCIM endpoint takes the tenant from
    /// its URL path, so the lookup stays inside that tenant, and a token of another
    /// tenant gives `None`.
    ///
    /// A successful verification records the use in `last_used` with a `scim.token.use`
    /// audit event, at most once a minute per token so that a burst of requests writes
    /// once. The lookup goes by SHA-256 digest, which does not leak the stored digests
    /// through timing in a useful way (see [`crate::credential`]).
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails, or a conflict when the token was deleted
    /// while its use was being recorded.
    pub async fn verify_scim_token(&self, presented: &str) -> Result<Option<ScimToken>, IamError> {
        if presented.len() > MAX_PRESENTED_LEN || !presented.starts_with(SCIM_TOKEN_PREFIX) {
            return Ok(None);
        }
        let digest = credential::digest(presented);
        let Some(id) = self.scim_token_by_digest(&digest).await? else {
            return Ok(None);
        };
        let Some(token) = self
            .load_scim_token(id, &digest)
            .await?
            .map(|(stored, _)| stored.token)
        else {
            return Ok(None);
        };
        let now = self.now();
        if !use_is_due(&token, now) {
            return Ok(Some(token));
        }

        let _guard = self.iam.lock_writes().await;
        // Read again under the lock: the token may have been deleted or its use recorded
        // since the first read.
        let Some((mut stored, version)) = self.load_scim_token(id, &digest).await? else {
            return Ok(None);
        };
        if !use_is_due(&stored.token, now) {
            return Ok(Some(stored.token));
        }
        stored.token.last_used = Some(now);
        let mut change = self.change();
        change.replace(Kind::SCIM_TOKEN, id.to_string(), &stored, version)?;
        let entry = AuditEntry::new(
            "scim.token.use",
            id,
            json!({ "provider": stored.token.provider }),
        );
        self.commit(change, entry).await?;
        Ok(Some(stored.token))
    }

    /// Returns the store ids of the SCIM token records that name the folded scheme.
    pub(super) async fn scim_tokens_naming(
        &self,
        folded_scheme: &str,
    ) -> Result<Vec<String>, IamError> {
        self.reader()
            .ids(Kind::SCIM_TOKEN_BY_SCHEME, &format!("{folded_scheme}\0"))
            .await
    }

    async fn scim_token_by_digest(&self, digest: &str) -> Result<Option<Uuid>, IamError> {
        Ok(self
            .reader()
            .load::<Uuid>(Kind::SCIM_TOKEN_DIGEST, digest)
            .await?
            .map(|(id, _)| id))
    }

    /// Loads token `id` when it is still the one stored under `digest`.
    async fn load_scim_token(
        &self,
        id: Uuid,
        digest: &str,
    ) -> Result<Option<(StoredScimToken, u64)>, IamError> {
        Ok(self
            .reader()
            .load::<StoredScimToken>(Kind::SCIM_TOKEN, &id.to_string())
            .await?
            .filter(|(stored, _)| stored.digest == digest))
    }
}

fn use_is_due(token: &ScimToken, now: DateTime<Utc>) -> bool {
    match token.last_used {
        None => true,
        Some(last_used) => now - last_used >= LAST_USED_RESOLUTION,
    }
}
