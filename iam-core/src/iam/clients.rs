//! OAuth clients and their secrets.

use serde_json::json;

use super::check_version;
use super::{AuditEntry, Change, TenantIam};
use crate::casefold::fold;
use crate::client::{
    Client, ClientCredentials, ClientInput, ClientSecretInfo, MAX_CLIENT_SECRETS, NewClientSecret,
    StoredClientSecret, ValidClientInput,
};
use crate::error::{IamError, ValidationErrors};
use crate::id::{ClientId, SubjectId};
use crate::paging::{Page, PageRequest};
use crate::store::{Kind, ScanRange};
use crate::validate;

/// The width of zero-padded secret numbers in store ids, so that byte order is numeric.
const SECRET_ID_WIDTH: usize = 20;

fn secret_store_id(client: ClientId, secret: u64) -> String {
    format!("{client}/{secret:0width$}", width = SECRET_ID_WIDTH)
}

impl TenantIam {
    /// Creates a client with a generated client id.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming each invalid field, including allowed scopes that
    /// do not exist in the tenant.
    pub async fn create_client(&self, input: ClientInput) -> Result<Client, IamError> {
        let valid = input.validate()?;
        let _guard = self.iam.lock_writes().await;
        self.check_scopes_exist(&valid.allowed_scopes).await?;

        let mut client = Client {
            client_id: ClientId::from_uuid(self.new_uuid()?),
            name: valid.name,
            description: valid.description,
            allowed_grant_types: valid.allowed_grant_types,
            redirect_uris: valid.redirect_uris,
            allowed_scopes: valid.allowed_scopes,
            created: self.now(),
            version: 1,
        };
        let mut change = self.change();
        change.create(Kind::CLIENT, client.client_id.to_string(), &client)?;
        for scope in &client.allowed_scopes {
            change.create(
                Kind::OAUTH_SCOPE_CLIENT,
                format!("{scope}\0{}", client.client_id),
                &(),
            )?;
        }
        let entry = AuditEntry::new(
            "client.create",
            SubjectId::Client(client.client_id),
            client_details(&client),
        );
        let receipt = self.commit(change, entry).await?;
        client.version = receipt.versions.first().copied().flatten().unwrap_or(1);
        Ok(client)
    }

    /// Returns the client with `id`.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such client.
    pub async fn get_client(&self, id: ClientId) -> Result<Client, IamError> {
        self.find_client(id)
            .await?
            .ok_or_else(|| IamError::not_found("client", id))
    }

    pub(super) async fn find_client(&self, id: ClientId) -> Result<Option<Client>, IamError> {
        Ok(self
            .reader()
            .load::<Client>(Kind::CLIENT, &id.to_string())
            .await?
            .map(|(mut client, version)| {
                client.version = version;
                client
            }))
    }

    /// Replaces a client's fields. With `expected_version`, the update fails unless the
    /// client still has that version.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field.
    /// - [`IamError::NotFound`] when the tenant has no such client.
    /// - [`IamError::VersionMismatch`] when `expected_version` is stale.
    pub async fn update_client(
        &self,
        id: ClientId,
        input: ClientInput,
        expected_version: Option<u64>,
    ) -> Result<Client, IamError> {
        let valid: ValidClientInput = input.validate()?;
        let _guard = self.iam.lock_writes().await;
        let mut client = self.get_client(id).await?;
        check_version("client", &id.to_string(), client.version, expected_version)?;
        self.check_scopes_exist(&valid.allowed_scopes).await?;

        let mut change = self.change();
        for scope in &client.allowed_scopes {
            if !valid.allowed_scopes.contains(scope) {
                change.delete(Kind::OAUTH_SCOPE_CLIENT, format!("{scope}\0{id}"));
            }
        }
        for scope in &valid.allowed_scopes {
            if !client.allowed_scopes.contains(scope) {
                change.create(Kind::OAUTH_SCOPE_CLIENT, format!("{scope}\0{id}"), &())?;
            }
        }
        client.name = valid.name;
        client.description = valid.description;
        client.allowed_grant_types = valid.allowed_grant_types;
        client.redirect_uris = valid.redirect_uris;
        client.allowed_scopes = valid.allowed_scopes;
        change.replace(Kind::CLIENT, id.to_string(), &client, client.version)?;

        let entry = AuditEntry::new(
            "client.update",
            SubjectId::Client(id),
            client_details(&client),
        );
        self.commit(change, entry).await?;
        client.version += 1;
        Ok(client)
    }

    /// Deletes a client with its secrets, policies, memberships and role assignments, in
    /// one atomic write.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such client.
    pub async fn delete_client(&self, id: ClientId) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let client = self.get_client(id).await?;
        let subject = SubjectId::Client(id);

        let mut change = self.change();
        change.delete_version(Kind::CLIENT, id.to_string(), client.version);
        for scope in &client.allowed_scopes {
            change.delete(Kind::OAUTH_SCOPE_CLIENT, format!("{scope}\0{id}"));
        }
        let secrets = self
            .reader()
            .ids(Kind::CLIENT_SECRET, &format!("{id}/"))
            .await?;
        for secret in &secrets {
            change.delete(Kind::CLIENT_SECRET, secret.clone());
        }
        let mut removed = self
            .delete_subject_references(&mut change, &subject)
            .await?;
        removed["secrets"] = json!(secrets.len());
        let entry = AuditEntry::new(
            "client.delete",
            subject,
            json!({ "name": client.name, "removed": removed }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Returns a page of clients ordered by name (case-insensitively), then client id.
    /// The search text matches name and description.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn list_clients(&self, request: &PageRequest) -> Result<Page<Client>, IamError> {
        let mut clients = self.all_clients().await?;
        clients
            .retain(|client| request.matches([client.name.as_str(), client.description.as_str()]));
        clients.sort_by_cached_key(|client| (fold(&client.name), client.client_id));
        Ok(request.paginate(clients))
    }

    pub(super) async fn all_clients(&self) -> Result<Vec<Client>, IamError> {
        let range = ScanRange::all(self.namespace(), Kind::CLIENT);
        Ok(self
            .reader()
            .scan::<Client>(&range)
            .await?
            .into_iter()
            .map(|(_, mut client, version)| {
                client.version = version;
                client
            })
            .collect())
    }

    /// Adds a secret to a client. The value was hashed by the caller (see
    /// [`NewClientSecret::hash`]) so that the blocking hash runs where the caller chooses.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for a description over 1,024 characters or an
    ///   expiration that is not in the future.
    /// - [`IamError::NotFound`] when the tenant has no such client.
    /// - [`IamError::Conflict`] when the client already has 20 secrets.
    pub async fn add_client_secret(
        &self,
        client_id: ClientId,
        input: NewClientSecret,
    ) -> Result<ClientSecretInfo, IamError> {
        let now = self.now();
        let mut errors = ValidationErrors::new();
        validate::text(&mut errors, "description", &input.description, 0, 1024);
        if input.expiration.is_some_and(|expiration| expiration <= now) {
            errors.add("expiration", "must be in the future");
        }
        errors.into_result()?;

        let _guard = self.iam.lock_writes().await;
        self.get_client(client_id).await?;
        let reader = self.reader();
        let existing = reader
            .ids(Kind::CLIENT_SECRET, &format!("{client_id}/"))
            .await?;
        if existing.len() >= MAX_CLIENT_SECRETS {
            return Err(IamError::conflict(format!(
                "client `{client_id}` already has {MAX_CLIENT_SECRETS} secrets, the maximum; delete one first"
            )));
        }

        let mut change = self.change();
        let id = change
            .next_number(&reader, &format!("client_secret/{client_id}"))
            .await?;
        let secret = StoredClientSecret {
            id,
            description: input.description,
            expiration: input.expiration,
            created: now,
            hash: input.hash,
            tag: input.tag,
        };
        change.create(Kind::CLIENT_SECRET, secret_store_id(client_id, id), &secret)?;
        let entry = AuditEntry::new(
            "client.secret.create",
            SubjectId::Client(client_id),
            json!({ "secretId": id, "description": secret.description, "expiration": secret.expiration }),
        );
        self.commit(change, entry).await?;
        Ok(secret.info())
    }

    /// Returns a page of a client's secrets (metadata only), ordered by id.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such client.
    pub async fn list_client_secrets(
        &self,
        client_id: ClientId,
        request: &PageRequest,
    ) -> Result<Page<ClientSecretInfo>, IamError> {
        self.get_client(client_id).await?;
        let secrets = self.stored_secrets(client_id).await?;
        let infos = secrets
            .iter()
            .map(StoredClientSecret::info)
            .filter(|info| request.matches([info.description.as_str()]))
            .collect();
        Ok(request.paginate(infos))
    }

    async fn stored_secrets(
        &self,
        client_id: ClientId,
    ) -> Result<Vec<StoredClientSecret>, IamError> {
        let range = ScanRange::prefix(
            self.namespace(),
            Kind::CLIENT_SECRET,
            format!("{client_id}/"),
        );
        Ok(self
            .reader()
            .scan::<StoredClientSecret>(&range)
            .await?
            .into_iter()
            .map(|(_, secret, _)| secret)
            .collect())
    }

    /// Deletes one secret of a client; it stops working at once.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such client or secret.
    pub async fn delete_client_secret(
        &self,
        client_id: ClientId,
        secret_id: u64,
    ) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        self.get_client(client_id).await?;
        let store_id = secret_store_id(client_id, secret_id);
        if !self.reader().exists(Kind::CLIENT_SECRET, &store_id).await? {
            return Err(IamError::not_found("client secret", secret_id));
        }
        let mut change: Change = self.change();
        change.delete(Kind::CLIENT_SECRET, store_id);
        let entry = AuditEntry::new(
            "client.secret.delete",
            SubjectId::Client(client_id),
            json!({ "secretId": secret_id }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Loads what verifying the credentials of `client_id` needs: the hashes of its
    /// secrets that are valid now. An id that is not a UUID or names no client of the
    /// tenant gives credentials that verify against a dummy hash, so that it fails in the
    /// same time and the same way as a wrong secret. Call
    /// [`ClientCredentials::verify`] on a blocking thread.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn client_credentials(&self, client_id: &str) -> Result<ClientCredentials, IamError> {
        let Ok(id) = client_id.parse::<ClientId>() else {
            return Ok(ClientCredentials::new(None, Vec::new(), None));
        };
        let Some(client) = self.find_client(id).await? else {
            return Ok(ClientCredentials::new(None, Vec::new(), None));
        };
        let now = self.now();
        let secrets = self
            .stored_secrets(id)
            .await?
            .into_iter()
            .filter(|secret| secret.is_valid_at(now))
            .map(|secret| (secret.hash, secret.tag))
            .collect();
        let tag_key = self.iam.inner.settings.secret_key.clone();
        Ok(ClientCredentials::new(Some(client), secrets, tag_key))
    }
}

fn client_details(client: &Client) -> serde_json::Value {
    json!({
        "name": client.name,
        "allowedGrantTypes": client.allowed_grant_types,
        "redirectUris": client.redirect_uris,
        "allowedScopes": client.allowed_scopes,
    })
}
