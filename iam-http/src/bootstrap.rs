//! Creating a tenant with its first admin client, for `iam-server init` and the first
//! start of an empty store.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iam_core::client::{ClientInput, GrantType, NewClientSecret};
use iam_core::id::SubjectId;
use iam_core::oauth_scope::SERVICES_IAM;
use iam_core::role::TENANT_ADMIN;
use iam_core::secret::{ClientSecretValue, hash_secret};
use iam_core::{Actor, Iam, IamError};
use serde::Serialize;

/// The number of random bytes of a generated admin secret: 24 bytes are 32 characters
/// of URL-safe base64 without padding, the longest client secret allowed.
const ADMIN_SECRET_BYTES: usize = 24;

/// The credentials of a new tenant's admin client, printed once.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminCredentials {
    /// The tenant's id.
    pub tenant_id: String,
    /// The tenant's name.
    pub tenant_name: String,
    /// The admin client's id.
    pub client_id: String,
    /// The admin client's secret; it is stored only as a hash.
    pub client_secret: String,
}

impl fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminCredentials")
            .field("tenant_id", &self.tenant_id)
            .field("tenant_name", &self.tenant_name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

/// Returns 32 URL-safe characters from the operating system's random source.
///
/// # Errors
///
/// [`IamError::Random`] when the random source fails.
pub fn generate_secret() -> Result<String, IamError> {
    let mut bytes = [0u8; ADMIN_SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|error| IamError::Random(error.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Creates the tenant `name` and its admin client: `client_credentials`, the scope
/// `services.iam`, the role `TenantAdmin` and a generated secret. The secret is hashed on
/// a blocking thread.
///
/// NOTE: the tenant, the client, its secret and its role are four writes. A crash in
/// between leaves a tenant without a usable admin client; delete the data directory of a
/// fresh installation and run `init` again.
///
/// # Errors
///
/// [`IamError::AlreadyExists`] when the tenant exists, other errors of the facade.
pub async fn create_tenant_with_admin(iam: &Iam, name: &str) -> Result<AdminCredentials, IamError> {
    let tenant = iam.create_tenant(name).await?;
    let handle = iam.tenant(tenant.id, Actor::Operator).await?;
    let client = handle
        .create_client(ClientInput {
            name: "admin".to_owned(),
            description: "Administrator client created with the tenant".to_owned(),
            allowed_grant_types: vec![GrantType::ClientCredentials.as_str().to_owned()],
            redirect_uris: Vec::new(),
            allowed_scopes: vec![SERVICES_IAM.to_owned()],
        })
        .await?;

    let secret = generate_secret()?;
    let value = ClientSecretValue::new(secret.clone())?;
    let tag = iam.client_secret_tag(secret.as_bytes());
    let hashing_iam = iam.clone();
    let hash = tokio::task::spawn_blocking(move || {
        hash_secret(value.expose_secret().as_bytes(), hashing_iam.random())
    })
    .await
    .map_err(|error| IamError::Hashing(error.to_string()))??;
    handle
        .add_client_secret(
            client.client_id,
            NewClientSecret {
                hash,
                description: "generated when the tenant was created".to_owned(),
                expiration: None,
                tag,
            },
        )
        .await?;

    let admin = handle
        .find_role_by_name(TENANT_ADMIN)
        .await?
        .ok_or_else(|| IamError::not_found("role", TENANT_ADMIN))?;
    handle
        .assign_role(&SubjectId::Client(client.client_id), admin.id)
        .await?;

    Ok(AdminCredentials {
        tenant_id: tenant.id.to_string(),
        tenant_name: tenant.name,
        client_id: client.client_id.to_string(),
        client_secret: secret,
    })
}
