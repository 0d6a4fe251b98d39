//! Cases for SSO identity providers with their encrypted client secrets, and for SCIM
//! tokens.

use serde_json::json;

use super::Backend;
use super::fixtures::{
    assert_already_exists, assert_not_found, assert_version_mismatch, audit_events,
    conflict_message, failure, validation_messages,
};
use super::support::{create_tenant, ok, open_store, open_tenant};
use crate::audit::AuditEvent;
use crate::cipher::SecretKey;
use crate::clock::OsRandom;
use crate::error::IamError;
use crate::iam::{Iam, TenantIam};
use crate::paging::PageRequest;
use crate::scim::{SCIM_TOKEN_PREFIX, ScimToken, ScimTokenInput};
use crate::sso::{
    GOOGLE_AUTHORITY, OidcResponseType, SignicatMethod, SsoClientSecret, SsoProperties,
    SsoProvider, SsoProviderInput, SsoProviderType,
};
use crate::store::{Expect, Kind, Namespace, RecordKey, ScanRange, WriteBatch};

const CLIENT_SECRET: &str = "my-client-secret";

/// Opens the store and returns a facade with a fresh secret key, so that SSO client
/// secrets can be stored.
async fn open_iam_with_key(backend: &dyn Backend) -> Iam {
    let key = ok(SecretKey::generate(&OsRandom));
    ok(Iam::builder(open_store(backend).await)
        .secret_key(key)
        .open()
        .await)
}

/// Opens a facade with a secret key, creates a tenant named `name` and returns the
/// facade and the operator's handle.
async fn open_tenant_with_key(backend: &dyn Backend, name: &str) -> (Iam, TenantIam) {
    let iam = open_iam_with_key(backend).await;
    let handle = create_tenant(&iam, name).await;
    (iam, handle)
}

/// The common properties of the API examples, with `clientSecret` set.
fn common_json() -> serde_json::Value {
    json!({
        "loginEnabled": true,
        "visible": true,
        "delegationEnabled": false,
        "autoProvisioningEnabled": true,
        "clientId": "my-client-id",
        "clientSecret": CLIENT_SECRET,
    })
}

/// Returns the common properties with `extra` added.
fn with_common(extra: serde_json::Value) -> serde_json::Value {
    let mut value = common_json();
    if let (Some(object), serde_json::Value::Object(extra)) = (value.as_object_mut(), extra) {
        object.extend(extra);
    }
    value
}

/// The API example properties of each provider type, with a client secret.
fn example_json(provider_type: SsoProviderType) -> serde_json::Value {
    match provider_type {
        SsoProviderType::AzureAd => with_common(json!({
            "usePkce": true,
            "authority": "https://login.microsoftonline.com/{TenantId}/v2.0",
            "responseType": "code",
            "scope": "openid profile email",
        })),
        SsoProviderType::Custom => with_common(json!({
            "verifyEnabled": false,
            "responseType": "code",
            "nameClaimType": "name",
            "emailClaimType": "email",
            "phoneNumberClaimType": "phone",
            "subjectClaimType": "sub",
            "authority": "https://your-idp.example.com",
            "scope": "openid profile email",
            "getClaimsFromUserInfoEndpoint": false,
            "usePkce": false,
        })),
        SsoProviderType::Google => with_common(json!({
            "nameClaimType": "name",
            "emailClaimType": "email",
            "phoneNumberClaimType": "phone",
            "subjectClaimType": "subject",
            "usePkce": false,
            "authority": "https://accounts.google.com",
            "scope": "openid profile email",
        })),
        SsoProviderType::Signicat => with_common(json!({
            "verifyEnabled": false,
            "authority": "https://yourorg.signicat.com/auth/open",
            "method": "BankId",
        })),
    }
}

fn properties(provider_type: SsoProviderType, value: serde_json::Value) -> SsoProperties {
    ok(SsoProperties::from_json(provider_type, value))
}

fn provider_input(scheme: &str, properties: SsoProperties) -> SsoProviderInput {
    SsoProviderInput {
        scheme: scheme.to_owned(),
        display_name: format!("{scheme} sign-in"),
        enabled: true,
        protocol: "oidc".to_owned(),
        properties,
    }
}

/// Returns the input of the API example of `provider_type`, with a client secret.
fn example_input(provider_type: SsoProviderType, scheme: &str) -> SsoProviderInput {
    provider_input(
        scheme,
        properties(provider_type, example_json(provider_type)),
    )
}

/// Returns the input of a Google provider without a client secret.
fn google_input(scheme: &str) -> SsoProviderInput {
    let mut input = example_input(SsoProviderType::Google, scheme);
    input.properties.take_client_secret();
    input
}

/// Returns `input` with its client secret set to `secret`, or cleared for `None`.
fn with_secret(mut input: SsoProviderInput, secret: Option<&str>) -> SsoProviderInput {
    input.properties.take_client_secret();
    if let Some(secret) = secret {
        let value = SsoClientSecret::new(secret);
        match &mut input.properties {
            SsoProperties::AzureAd(properties) => properties.client_secret = Some(value),
            SsoProperties::Custom(properties) => properties.client_secret = Some(value),
            SsoProperties::Google(properties) => properties.client_secret = Some(value),
            SsoProperties::Signicat(properties) => properties.client_secret = Some(value),
        }
    }
    input
}

async fn create_google(handle: &TenantIam, scheme: &str) -> SsoProvider {
    ok(handle
        .create_sso_provider(SsoProviderType::Google, google_input(scheme))
        .await)
}

fn scim_input(provider: &str) -> ScimTokenInput {
    ScimTokenInput {
        provider: provider.to_owned(),
        provider_display_name: "Okta provisioning".to_owned(),
    }
}

/// Returns the decrypted client secret of provider `id`, if it has one.
async fn client_secret_text(handle: &TenantIam, id: u64) -> Option<String> {
    ok(handle.sso_client_secret(id).await).map(|secret| secret.expose_secret().to_owned())
}

/// Returns the bodies of every record of `kind` in the handle's tenant, as text.
async fn record_bodies(handle: &TenantIam, kind: Kind) -> Vec<String> {
    let namespace = Namespace::Tenant(handle.tenant().id);
    let records = ok(handle
        .iam()
        .store()
        .scan(&ScanRange::all(namespace, kind))
        .await);
    records
        .into_iter()
        .map(|record| format!("{} {}", record.id, String::from_utf8_lossy(&record.body)))
        .collect()
}

fn token_ids(tokens: &[ScimToken]) -> Vec<uuid::Uuid> {
    tokens.iter().map(|token| token.id).collect()
}

fn schemes(providers: &[SsoProvider]) -> Vec<&str> {
    providers
        .iter()
        .map(|provider| provider.scheme.as_str())
        .collect()
}

fn operations(events: &[AuditEvent]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event.operation.as_str())
        .collect()
}

/// Creates the API example of `provider_type` and checks what reads back.
async fn check_example_round_trip(backend: &dyn Backend, provider_type: SsoProviderType) {
    let (_iam, acme) = open_tenant_with_key(backend, "acme").await;
    let input = example_input(provider_type, "corp");
    let mut expected = input.properties.clone();
    expected.take_client_secret();

    let created = ok(acme.create_sso_provider(provider_type, input).await);
    assert!(created.id > 0);
    assert_eq!(created.provider_type(), provider_type);
    assert_eq!(created.protocol.as_str(), "oidc");
    assert_eq!(created.properties, expected);
    assert!(created.has_client_secret);

    let read = ok(acme.get_sso_provider(provider_type, created.id).await);
    assert_eq!(read, created);
    assert_eq!(read.scheme, "corp");
    assert_eq!(read.display_name, "corp sign-in");
    assert!(read.enabled);
    let found = ok(acme.find_sso_provider_by_scheme("CORP").await);
    assert_eq!(found.as_ref(), Some(&created));
    assert_eq!(
        client_secret_text(&acme, created.id).await.as_deref(),
        Some(CLIENT_SECRET)
    );
}

/// An `azuread` provider with the API example properties reads back unchanged.
pub async fn sso_azuread_create_then_get(backend: &dyn Backend) {
    check_example_round_trip(backend, SsoProviderType::AzureAd).await;
}

/// A `custom` provider with the API example properties reads back unchanged.
pub async fn sso_custom_create_then_get(backend: &dyn Backend) {
    check_example_round_trip(backend, SsoProviderType::Custom).await;
}

/// A `google` provider with the API example properties reads back unchanged.
pub async fn sso_google_create_then_get(backend: &dyn Backend) {
    check_example_round_trip(backend, SsoProviderType::Google).await;
}

/// A `signicat` provider with the API example properties reads back unchanged.
pub async fn sso_signicat_create_then_get(backend: &dyn Backend) {
    check_example_round_trip(backend, SsoProviderType::Signicat).await;

    let SsoProperties::Signicat(signicat) = properties(
        SsoProviderType::Signicat,
        example_json(SsoProviderType::Signicat),
    ) else {
        panic!("signicat JSON gave properties of another type");
    };
    assert_eq!(signicat.method, SignicatMethod::BankId);
}

/// Optional properties left out get their defaults, and the defaults are stored.
pub async fn sso_defaults_applied(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;

    let google = properties(SsoProviderType::Google, with_common(json!({})));
    let mut google = provider_input("google", google);
    google.properties.take_client_secret();
    let created = ok(acme
        .create_sso_provider(SsoProviderType::Google, google)
        .await);
    let SsoProperties::Google(google) = created.properties else {
        panic!("a google provider has properties of another type");
    };
    assert_eq!(google.authority, GOOGLE_AUTHORITY);
    assert_eq!(google.scope, "openid profile email");
    assert_eq!(google.subject_claim_type, "sub");
    assert!(google.use_pkce);

    let custom = properties(
        SsoProviderType::Custom,
        with_common(json!({ "authority": "https://idp.example.com" })),
    );
    let mut custom = provider_input("custom", custom);
    custom.properties.take_client_secret();
    let created = ok(acme
        .create_sso_provider(SsoProviderType::Custom, custom)
        .await);
    let read = ok(acme
        .get_sso_provider(SsoProviderType::Custom, created.id)
        .await);
    let SsoProperties::Custom(custom) = read.properties else {
        panic!("a custom provider has properties of another type");
    };
    assert_eq!(custom.subject_claim_type, "sub");
    assert_eq!(custom.name_claim_type, "name");
    assert_eq!(custom.response_type, OidcResponseType::Code);
    assert!(!custom.verify_enabled);
    assert!(!custom.get_claims_from_user_info_endpoint);

    let signicat = properties(
        SsoProviderType::Signicat,
        with_common(json!({ "authority": "https://yourorg.signicat.com/auth/open" })),
    );
    let SsoProperties::Signicat(signicat) = signicat else {
        panic!("signicat JSON gave properties of another type");
    };
    assert_eq!(signicat.method, SignicatMethod::None);

    let missing_authority =
        SsoProperties::from_json(SsoProviderType::AzureAd, with_common(json!({})));
    let messages = validation_messages(missing_authority, "properties");
    assert!(messages[0].contains("authority"), "{messages:?}");
}

/// Schemes outside 1 to 64 characters of `[A-Za-z0-9_-]` are rejected.
pub async fn sso_invalid_scheme_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let too_long = "a".repeat(65);
    for scheme in [
        "",
        "okta prod",
        "okta.prod",
        "okta/x",
        "økta",
        too_long.as_str(),
    ] {
        let result = acme
            .create_sso_provider(SsoProviderType::Google, google_input(scheme))
            .await;
        let messages = validation_messages(result, "scheme");
        assert!(!messages.is_empty(), "{scheme}");
    }
    let longest = "a".repeat(64);
    ok(acme
        .create_sso_provider(SsoProviderType::Google, google_input(&longest))
        .await);
    ok(acme
        .create_sso_provider(SsoProviderType::Google, google_input("Okta_prod-2"))
        .await);

    let mut saml = google_input("saml");
    saml.protocol = "saml".to_owned();
    let messages = validation_messages(
        acme.create_sso_provider(SsoProviderType::Google, saml)
            .await,
        "type",
    );
    assert!(messages[0].contains("`saml`"), "{messages:?}");

    let mismatched = acme
        .create_sso_provider(SsoProviderType::AzureAd, google_input("azure"))
        .await;
    validation_messages(mismatched, "properties");
    let page = ok(acme.list_sso_providers(&PageRequest::default()).await);
    assert_eq!(page.total_count, 2);
}

/// A scheme that differs from a taken one only in case is rejected, on create and on
/// update, across provider types.
pub async fn sso_duplicate_scheme_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_google(&acme, "Okta").await;
    let mut custom = example_input(SsoProviderType::Custom, "OKTA");
    custom.properties.take_client_secret();
    assert_already_exists(
        acme.create_sso_provider(SsoProviderType::Custom, custom)
            .await,
        "scheme",
    );

    let other = create_google(&acme, "google").await;
    let renamed = google_input("okta");
    assert_already_exists(
        acme.update_sso_provider(SsoProviderType::Google, other.id, renamed, None)
            .await,
        "scheme",
    );
    let page = ok(acme.list_sso_providers(&PageRequest::default()).await);
    assert_eq!(schemes(&page.items), ["google", "Okta"]);
}

/// A scope list without the `openid` token is rejected on `properties.scope`.
pub async fn sso_scope_without_openid_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    for scope in ["profile email", "openidx profile", ""] {
        let value = with_common(json!({ "scope": scope }));
        let mut input = provider_input("google", properties(SsoProviderType::Google, value));
        input.properties.take_client_secret();
        let result = acme
            .create_sso_provider(SsoProviderType::Google, input)
            .await;
        let messages = validation_messages(result, "properties.scope");
        assert!(!messages.is_empty(), "{scope}");
    }
    let value = with_common(json!({ "scope": "email openid" }));
    let mut input = provider_input("google", properties(SsoProviderType::Google, value));
    input.properties.take_client_secret();
    ok(acme
        .create_sso_provider(SsoProviderType::Google, input)
        .await);
}

/// An `http` authority is accepted only on a loopback host.
pub async fn sso_http_authority_needs_loopback(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let rejected = [
        "http://idp.example.com",
        "http://10.0.0.5:8080",
        "ftp://idp.example.com",
        "not a url",
        "https://idp.example.com/?tenant=1",
    ];
    for authority in rejected {
        let value = with_common(json!({ "authority": authority }));
        let mut input = provider_input("custom", properties(SsoProviderType::Custom, value));
        input.properties.take_client_secret();
        let result = acme
            .create_sso_provider(SsoProviderType::Custom, input)
            .await;
        let messages = validation_messages(result, "properties.authority");
        assert!(!messages.is_empty(), "{authority}");
    }
    let accepted = [
        "http://localhost:8080/realms/dev",
        "http://127.0.0.1:9000",
        "http://[::1]:9000",
        "https://idp.example.com/tenant",
    ];
    for (number, authority) in accepted.into_iter().enumerate() {
        let value = with_common(json!({ "authority": authority }));
        let scheme = format!("dev{number}");
        let mut input = provider_input(&scheme, properties(SsoProviderType::Custom, value));
        input.properties.take_client_secret();
        ok(acme
            .create_sso_provider(SsoProviderType::Custom, input)
            .await);
    }
}

/// Unknown response types, Signicat methods and fields are rejected when the properties
/// are read, naming the value.
pub async fn sso_unknown_enum_values_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;

    let mut custom = example_json(SsoProviderType::Custom);
    custom["responseType"] = json!("code id_token");
    let messages = validation_messages(
        SsoProperties::from_json(SsoProviderType::Custom, custom),
        "properties",
    );
    assert!(messages[0].contains("code id_token"), "{messages:?}");

    let mut signicat = example_json(SsoProviderType::Signicat);
    signicat["method"] = json!("Passport");
    let messages = validation_messages(
        SsoProperties::from_json(SsoProviderType::Signicat, signicat),
        "properties",
    );
    assert!(messages[0].contains("Passport"), "{messages:?}");

    let mut google = example_json(SsoProviderType::Google);
    google["verifyEnabled"] = json!(true);
    let messages = validation_messages(
        SsoProperties::from_json(SsoProviderType::Google, google),
        "properties",
    );
    assert!(messages[0].contains("verifyEnabled"), "{messages:?}");

    let page = ok(acme.list_sso_providers(&PageRequest::default()).await);
    assert_eq!(page.total_count, 0);
}

/// The client secret is never returned: the properties carry none, their JSON names
/// only `hasClientSecret`, and `Debug` shows none.
pub async fn sso_secret_never_returned(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant_with_key(backend, "acme").await;
    let created = ok(acme
        .create_sso_provider(
            SsoProviderType::AzureAd,
            example_input(SsoProviderType::AzureAd, "azure"),
        )
        .await);
    assert!(created.has_client_secret);
    assert!(created.properties.client_secret().is_none());

    let read = ok(acme
        .get_sso_provider(SsoProviderType::AzureAd, created.id)
        .await);
    assert!(read.properties.client_secret().is_none());
    let json = ok(read.properties_json());
    assert_eq!(json["hasClientSecret"], json!(true));
    assert!(json.get("clientSecret").is_none(), "{json}");
    assert!(!json.to_string().contains(CLIENT_SECRET), "{json}");
    let printed = format!("{read:?}");
    assert!(!printed.contains(CLIENT_SECRET), "{printed}");
    let input = example_input(SsoProviderType::AzureAd, "printed");
    let printed = format!("{input:?}");
    assert!(!printed.contains(CLIENT_SECRET), "{printed}");

    let without = create_google(&acme, "google").await;
    assert!(!without.has_client_secret);
    let json = ok(without.properties_json());
    assert_eq!(json["hasClientSecret"], json!(false));
    assert_eq!(client_secret_text(&acme, without.id).await, None);
}

/// On update, a missing secret keeps the stored one, an empty one removes it and any
/// other value replaces it.
pub async fn sso_secret_update_rules(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant_with_key(backend, "acme").await;
    let kind = SsoProviderType::Custom;
    let created = ok(acme
        .create_sso_provider(kind, example_input(kind, "custom"))
        .await);

    let kept = with_secret(example_input(kind, "custom"), None);
    let updated = ok(acme
        .update_sso_provider(kind, created.id, kept, Some(created.version))
        .await);
    assert!(updated.has_client_secret);
    assert_eq!(
        client_secret_text(&acme, created.id).await.as_deref(),
        Some(CLIENT_SECRET)
    );

    let replaced = with_secret(example_input(kind, "custom"), Some("rotated-secret"));
    let updated = ok(acme
        .update_sso_provider(kind, created.id, replaced, Some(updated.version))
        .await);
    assert!(updated.has_client_secret);
    assert_eq!(
        client_secret_text(&acme, created.id).await.as_deref(),
        Some("rotated-secret")
    );

    let removed = with_secret(example_input(kind, "custom"), Some(""));
    let updated = ok(acme
        .update_sso_provider(kind, created.id, removed, Some(updated.version))
        .await);
    assert!(!updated.has_client_secret);
    assert_eq!(client_secret_text(&acme, created.id).await, None);
    let read = ok(acme.get_sso_provider(kind, created.id).await);
    assert_eq!(read, updated);
    assert!(!read.has_client_secret);
}

/// A stale expected version fails the update and changes nothing.
pub async fn sso_stale_update_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let created = create_google(&acme, "google").await;
    let mut renamed = google_input("google");
    renamed.display_name = "Google Workspace".to_owned();
    let updated = ok(acme
        .update_sso_provider(
            SsoProviderType::Google,
            created.id,
            renamed.clone(),
            Some(created.version),
        )
        .await);
    assert_eq!(updated.version, created.version + 1);
    assert_eq!(updated.display_name, "Google Workspace");

    let stale = acme
        .update_sso_provider(
            SsoProviderType::Google,
            created.id,
            google_input("google"),
            Some(created.version),
        )
        .await;
    assert_version_mismatch(stale, created.version, updated.version);
    let read = ok(acme
        .get_sso_provider(SsoProviderType::Google, created.id)
        .await);
    assert_eq!(read, updated);
}

/// The stored provider records contain no plaintext client secret, only the sealed one.
pub async fn sso_secret_encrypted_at_rest(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant_with_key(backend, "acme").await;
    for (number, kind) in SsoProviderType::ALL.into_iter().enumerate() {
        let scheme = format!("provider{number}");
        ok(acme
            .create_sso_provider(kind, example_input(kind, &scheme))
            .await);
    }
    let bodies = record_bodies(&acme, Kind::SSO_PROVIDER).await;
    assert_eq!(bodies.len(), 4);
    for body in &bodies {
        assert!(!body.contains(CLIENT_SECRET), "{body}");
        assert!(body.contains("client_secret"), "{body}");
    }
    for body in record_bodies(&acme, Kind::AUDIT).await {
        assert!(!body.contains(CLIENT_SECRET), "{body}");
    }
}

/// A sealed secret decrypts for its own provider only: copied into another provider's
/// record, in the same tenant or another one with the same provider id, it fails.
pub async fn sso_secret_bound_to_provider(backend: &dyn Backend) {
    let (iam, acme) = open_tenant_with_key(backend, "acme").await;
    let globex = create_tenant(&iam, "globex").await;
    let source = ok(acme
        .create_sso_provider(
            SsoProviderType::Google,
            example_input(SsoProviderType::Google, "google"),
        )
        .await);
    assert_eq!(
        client_secret_text(&acme, source.id).await.as_deref(),
        Some(CLIENT_SECRET)
    );
    let same_tenant = create_google(&acme, "other").await;
    let other_tenant = create_google(&globex, "google").await;
    assert_eq!(other_tenant.id, source.id);

    let store = iam.store();
    let source_key = RecordKey::new(
        Namespace::Tenant(acme.tenant().id),
        Kind::SSO_PROVIDER,
        format!("{:020}", source.id),
    );
    let Some(source_record) = ok(store.get(&source_key).await) else {
        panic!("the provider record `{source_key}` is missing");
    };
    let source_body: serde_json::Value = ok(serde_json::from_slice(&source_record.body));
    let sealed = source_body["client_secret"].clone();
    assert!(sealed.is_string(), "{source_body}");

    for (handle, target) in [(&acme, &same_tenant), (&globex, &other_tenant)] {
        let key = RecordKey::new(
            Namespace::Tenant(handle.tenant().id),
            Kind::SSO_PROVIDER,
            format!("{:020}", target.id),
        );
        let Some(record) = ok(store.get(&key).await) else {
            panic!("the provider record `{key}` is missing");
        };
        let mut body: serde_json::Value = ok(serde_json::from_slice(&record.body));
        body["client_secret"] = sealed.clone();
        let mut batch = WriteBatch::new();
        batch.put(
            key,
            ok(serde_json::to_vec(&body)),
            Expect::Version(record.version),
        );
        ok(store.commit(batch).await);

        let error = failure(handle.sso_client_secret(target.id).await);
        assert!(matches!(error, IamError::Encryption(_)), "{error:?}");
        assert!(!error.to_string().contains(CLIENT_SECRET), "{error}");
    }
}

/// Without a secret key, a client secret is rejected with a conflict, and a provider
/// without one is still accepted.
pub async fn sso_secret_without_key_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let result = acme
        .create_sso_provider(
            SsoProviderType::Google,
            example_input(SsoProviderType::Google, "google"),
        )
        .await;
    let message = conflict_message(result);
    assert!(message.contains("encryption key"), "{message}");
    assert!(!message.contains(CLIENT_SECRET), "{message}");
    assert!(ok(acme.find_sso_provider_by_scheme("google").await).is_none());

    let created = create_google(&acme, "google").await;
    let replaced = with_secret(google_input("google"), Some("new-secret"));
    let result = acme
        .update_sso_provider(SsoProviderType::Google, created.id, replaced, None)
        .await;
    conflict_message(result);
    let removed = with_secret(google_input("google"), Some(""));
    let updated = ok(acme
        .update_sso_provider(SsoProviderType::Google, created.id, removed, None)
        .await);
    assert!(!updated.has_client_secret);
}

/// A provider read, updated or deleted under another type is not found.
pub async fn sso_wrong_type_not_found(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let created = create_google(&acme, "google").await;
    for kind in [
        SsoProviderType::AzureAd,
        SsoProviderType::Custom,
        SsoProviderType::Signicat,
    ] {
        assert_not_found(acme.get_sso_provider(kind, created.id).await);
        assert_not_found(acme.delete_sso_provider(kind, created.id).await);
    }
    let mut azure = example_input(SsoProviderType::AzureAd, "google");
    azure.properties.take_client_secret();
    assert_not_found(
        acme.update_sso_provider(SsoProviderType::AzureAd, created.id, azure, None)
            .await,
    );
    assert_not_found(
        acme.get_sso_provider(SsoProviderType::Google, created.id + 1)
            .await,
    );
    assert_not_found(acme.sso_client_secret(created.id + 1).await);
    assert_eq!(
        ok(acme
            .get_sso_provider(SsoProviderType::Google, created.id)
            .await),
        created
    );
}

/// The list covers every type, ordered by scheme case-insensitively, and searches scheme
/// and display name.
pub async fn sso_list_orders_by_scheme(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let mut first_id = None;
    for (scheme, kind) in [
        ("zulu", SsoProviderType::Signicat),
        ("Alpha", SsoProviderType::Custom),
        ("mike", SsoProviderType::Google),
        ("bravo", SsoProviderType::AzureAd),
    ] {
        let mut input = example_input(kind, scheme);
        input.properties.take_client_secret();
        let created = ok(acme.create_sso_provider(kind, input).await);
        first_id.get_or_insert(created.id);
    }
    assert_eq!(first_id, Some(1));

    let page = ok(acme.list_sso_providers(&PageRequest::default()).await);
    assert_eq!(schemes(&page.items), ["Alpha", "bravo", "mike", "zulu"]);
    assert_eq!(page.total_count, 4);
    let ids: Vec<u64> = page.items.iter().map(|provider| provider.id).collect();
    assert_eq!(ids, [2, 4, 3, 1]);

    let second = PageRequest::items(Some(2), Some(3), None);
    let page = ok(acme.list_sso_providers(&second).await);
    assert_eq!(schemes(&page.items), ["zulu"]);
    assert_eq!(page.total_count, 4);

    let search = PageRequest::items(None, None, Some("MIKE SIGN".to_owned()));
    let page = ok(acme.list_sso_providers(&search).await);
    assert_eq!(schemes(&page.items), ["mike"]);
    let search = PageRequest::items(None, None, Some("ALP".to_owned()));
    let page = ok(acme.list_sso_providers(&search).await);
    assert_eq!(schemes(&page.items), ["Alpha"]);
}

/// A provider can't be deleted, or have its scheme changed, while a SCIM token names it;
/// after the token is deleted, both work.
pub async fn sso_delete_blocked_by_scim_token(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let provider = create_google(&acme, "Okta").await;
    let (token, _) = ok(acme.create_scim_token(scim_input("okta")).await);
    assert_eq!(token.provider, "Okta");

    let message = conflict_message(
        acme.delete_sso_provider(SsoProviderType::Google, provider.id)
            .await,
    );
    assert!(message.contains("`Okta`"), "{message}");
    assert!(message.contains("SCIM"), "{message}");
    let renamed = acme
        .update_sso_provider(
            SsoProviderType::Google,
            provider.id,
            google_input("okta2"),
            None,
        )
        .await;
    conflict_message(renamed);
    let same_scheme = ok(acme
        .update_sso_provider(
            SsoProviderType::Google,
            provider.id,
            google_input("OKTA"),
            None,
        )
        .await);
    assert_eq!(same_scheme.scheme, "OKTA");
    assert!(ok(acme.find_sso_provider_by_scheme("okta").await).is_some());

    ok(acme.delete_scim_token(token.id).await);
    let renamed = ok(acme
        .update_sso_provider(
            SsoProviderType::Google,
            provider.id,
            google_input("okta2"),
            None,
        )
        .await);
    assert_eq!(renamed.scheme, "okta2");
    assert!(ok(acme.find_sso_provider_by_scheme("okta").await).is_none());
    ok(acme
        .delete_sso_provider(SsoProviderType::Google, provider.id)
        .await);
    assert_not_found(
        acme.get_sso_provider(SsoProviderType::Google, provider.id)
            .await,
    );
    assert!(ok(acme.find_sso_provider_by_scheme("okta2").await).is_none());
    create_google(&acme, "okta2").await;
}

/// A SCIM token for a scheme that no provider of the tenant has is rejected on
/// `provider`.
pub async fn scim_unknown_provider_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_google(&acme, "google").await;
    let messages =
        validation_messages(acme.create_scim_token(scim_input("okta")).await, "provider");
    assert!(messages[0].contains("`okta`"), "{messages:?}");
    validation_messages(acme.create_scim_token(scim_input("")).await, "provider");
    let blank_name = ScimTokenInput {
        provider: "google".to_owned(),
        provider_display_name: String::new(),
    };
    validation_messages(
        acme.create_scim_token(blank_name).await,
        "providerDisplayName",
    );
    let page = ok(acme.list_scim_tokens(&PageRequest::default()).await);
    assert_eq!(page.total_count, 0);
}

/// The token text is returned once at creation and verifies in the tenant; a
/// verification records `last_used` with one audit event per minute.
pub async fn scim_token_verifies(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_google(&acme, "okta").await;
    let (token, credential) = ok(acme.create_scim_token(scim_input("okta")).await);
    let text = credential.expose_secret().to_owned();
    assert!(text.starts_with(SCIM_TOKEN_PREFIX), "{text}");
    assert_eq!(text.len(), SCIM_TOKEN_PREFIX.len() + 43);
    assert!(!format!("{credential:?}").contains(&text));
    assert_eq!(token.last_used, None);
    assert_eq!(token.provider_display_name, "Okta provisioning");

    let Some(verified) = ok(acme.verify_scim_token(&text).await) else {
        panic!("a fresh SCIM token did not verify");
    };
    assert_eq!(verified.id, token.id);
    assert!(verified.last_used.is_some());
    let read = ok(acme.get_scim_token(token.id).await);
    assert_eq!(read.last_used, verified.last_used);

    ok(acme.verify_scim_token(&text).await);
    let events = audit_events(&acme).await;
    let uses = operations(&events)
        .into_iter()
        .filter(|operation| *operation == "scim.token.use")
        .count();
    assert_eq!(uses, 1);

    let mut wrong = text.clone();
    wrong.pop();
    wrong.push(if text.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(ok(acme.verify_scim_token(&wrong).await), None);
    assert_eq!(ok(acme.verify_scim_token("").await), None);
    let without_prefix = &text[SCIM_TOKEN_PREFIX.len()..];
    assert_eq!(ok(acme.verify_scim_token(without_prefix).await), None);
}

/// The store keeps the token's digest, never the token text, in any record.
pub async fn scim_token_stored_as_digest(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_google(&acme, "okta").await;
    let (_token, credential) = ok(acme.create_scim_token(scim_input("okta")).await);
    let text = credential.expose_secret();
    ok(acme.verify_scim_token(text).await);
    let random_part = &text[SCIM_TOKEN_PREFIX.len()..];

    let digests = record_bodies(&acme, Kind::SCIM_TOKEN_DIGEST).await;
    assert_eq!(digests.len(), 1);
    assert!(
        digests[0].starts_with(&credential.digest()),
        "{}",
        digests[0]
    );
    for kind in [
        Kind::SCIM_TOKEN,
        Kind::SCIM_TOKEN_DIGEST,
        Kind::SCIM_TOKEN_BY_SCHEME,
        Kind::AUDIT,
    ] {
        for body in record_bodies(&acme, kind).await {
            assert!(!body.contains(random_part), "{kind}: {body}");
        }
    }
}

/// A deleted token fails verification at once, and its records are gone.
pub async fn scim_delete_stops_verification(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_google(&acme, "okta").await;
    let (token, credential) = ok(acme.create_scim_token(scim_input("okta")).await);
    let (kept, kept_credential) = ok(acme.create_scim_token(scim_input("okta")).await);
    assert!(ok(acme.verify_scim_token(credential.expose_secret()).await).is_some());

    ok(acme.delete_scim_token(token.id).await);
    assert_eq!(
        ok(acme.verify_scim_token(credential.expose_secret()).await),
        None
    );
    assert_not_found(acme.get_scim_token(token.id).await);
    assert_not_found(acme.delete_scim_token(token.id).await);
    assert_eq!(record_bodies(&acme, Kind::SCIM_TOKEN_DIGEST).await.len(), 1);
    assert_eq!(
        record_bodies(&acme, Kind::SCIM_TOKEN_BY_SCHEME).await.len(),
        1
    );

    let Some(verified) = ok(acme
        .verify_scim_token(kept_credential.expose_secret())
        .await)
    else {
        panic!("deleting one token broke another");
    };
    assert_eq!(verified.id, kept.id);
}

/// The token list is ordered by creation and carries no token text.
pub async fn scim_list_hides_tokens(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_google(&acme, "okta").await;
    create_google(&acme, "entra").await;
    let mut created = Vec::new();
    let mut texts = Vec::new();
    for provider in ["okta", "ENTRA", "okta"] {
        let (token, credential) = ok(acme.create_scim_token(scim_input(provider)).await);
        created.push(token);
        texts.push(credential.expose_secret().to_owned());
    }
    let mut expected = created.clone();
    expected.sort_by_key(|token| (token.created, token.id));

    let page = ok(acme.list_scim_tokens(&PageRequest::default()).await);
    assert_eq!(page.total_count, 3);
    assert_eq!(token_ids(&page.items), token_ids(&expected));
    let entra = page.items.iter().find(|token| token.id == created[1].id);
    assert_eq!(entra.map(|token| token.provider.as_str()), Some("entra"));
    let printed = format!("{page:?}");
    for text in &texts {
        assert!(
            !printed.contains(&text[SCIM_TOKEN_PREFIX.len()..]),
            "{printed}"
        );
    }

    let search = PageRequest::items(None, None, Some("Entra".to_owned()));
    let page = ok(acme.list_scim_tokens(&search).await);
    assert_eq!(token_ids(&page.items), [created[1].id]);
}

/// Another tenant can't read, change, verify or delete a tenant's providers and tokens,
/// and may reuse its schemes.
pub async fn sso_scim_isolated_between_tenants(backend: &dyn Backend) {
    let (iam, acme) = open_tenant_with_key(backend, "acme").await;
    let globex = create_tenant(&iam, "globex").await;
    let provider = ok(acme
        .create_sso_provider(
            SsoProviderType::Google,
            example_input(SsoProviderType::Google, "okta"),
        )
        .await);
    let (token, credential) = ok(acme.create_scim_token(scim_input("okta")).await);

    assert_not_found(
        globex
            .get_sso_provider(SsoProviderType::Google, provider.id)
            .await,
    );
    assert_not_found(
        globex
            .update_sso_provider(
                SsoProviderType::Google,
                provider.id,
                google_input("x"),
                None,
            )
            .await,
    );
    assert_not_found(
        globex
            .delete_sso_provider(SsoProviderType::Google, provider.id)
            .await,
    );
    assert_not_found(globex.sso_client_secret(provider.id).await);
    assert!(ok(globex.find_sso_provider_by_scheme("okta").await).is_none());
    let page = ok(globex.list_sso_providers(&PageRequest::default()).await);
    assert_eq!(page.total_count, 0);
    validation_messages(
        globex.create_scim_token(scim_input("okta")).await,
        "provider",
    );

    assert_eq!(
        ok(globex.verify_scim_token(credential.expose_secret()).await),
        None
    );
    assert_not_found(globex.get_scim_token(token.id).await);
    assert_not_found(globex.delete_scim_token(token.id).await);
    let page = ok(globex.list_scim_tokens(&PageRequest::default()).await);
    assert_eq!(page.total_count, 0);

    let own = create_google(&globex, "OKTA").await;
    assert_eq!(own.id, provider.id);
    assert!(ok(acme.verify_scim_token(credential.expose_secret()).await).is_some());
    assert_eq!(
        ok(acme
            .get_sso_provider(SsoProviderType::Google, provider.id)
            .await)
        .scheme,
        "okta"
    );
}

/// Every SSO and SCIM change writes one audit event, and none contains a client secret
/// or token text.
pub async fn sso_scim_audit_hides_secrets(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant_with_key(backend, "acme").await;
    let kind = SsoProviderType::Custom;
    let provider = ok(acme
        .create_sso_provider(kind, example_input(kind, "okta"))
        .await);
    let replaced = with_secret(example_input(kind, "okta"), Some("rotated-secret"));
    ok(acme
        .update_sso_provider(kind, provider.id, replaced, None)
        .await);
    let (token, credential) = ok(acme.create_scim_token(scim_input("okta")).await);
    ok(acme.verify_scim_token(credential.expose_secret()).await);
    ok(acme.delete_scim_token(token.id).await);
    ok(acme.delete_sso_provider(kind, provider.id).await);

    let events = audit_events(&acme).await;
    assert_eq!(
        operations(&events),
        [
            "sso.provider.delete",
            "scim.token.delete",
            "scim.token.use",
            "scim.token.create",
            "sso.provider.update",
            "sso.provider.create",
            "tenant.create",
        ]
    );
    assert_eq!(events[4].details["clientSecret"], json!("replaced"));
    assert_eq!(events[5].details["hasClientSecret"], json!(true));
    let random_part = &credential.expose_secret()[SCIM_TOKEN_PREFIX.len()..];
    for event in &events {
        let details = event.details.to_string();
        assert!(!details.contains(CLIENT_SECRET), "{details}");
        assert!(!details.contains("rotated-secret"), "{details}");
        assert!(!details.contains(random_part), "{details}");
        assert!(!details.contains(&credential.digest()), "{details}");
    }
}
