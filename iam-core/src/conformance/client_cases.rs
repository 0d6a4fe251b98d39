//! Cases for OAuth clients, their secrets and numbered paging.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};

use super::Backend;
use super::fixtures::{
    add_secret, assert_not_found, assert_version_mismatch, authenticate, client_input,
    conflict_message, create_client, create_group, create_role, hash, member_ids, policies_of,
    references_to, validation_messages,
};
use super::support::{ok, open_tenant};
use crate::client::{Client, ClientInput, GrantType, MAX_CLIENT_SECRETS, NewClientSecret};
use crate::id::{ClientId, SubjectId};
use crate::oauth_scope::OAuthScopeInput;
use crate::paging::PageRequest;
use crate::secret::SecretHash;

fn grant_input(name: &str, grants: &[&str], redirect_uris: &[&str]) -> ClientInput {
    ClientInput {
        allowed_grant_types: grants.iter().map(ToString::to_string).collect(),
        redirect_uris: redirect_uris.iter().map(ToString::to_string).collect(),
        ..client_input(name)
    }
}

fn scoped_input(name: &str, scopes: &[&str]) -> ClientInput {
    ClientInput {
        allowed_scopes: scopes.iter().map(ToString::to_string).collect(),
        ..client_input(name)
    }
}

fn scope_input(name: &str) -> OAuthScopeInput {
    OAuthScopeInput {
        name: name.to_owned(),
        display_name: name.to_owned(),
        description: String::new(),
    }
}

fn secret_input(hash: &SecretHash, expiration: Option<chrono::DateTime<Utc>>) -> NewClientSecret {
    NewClientSecret {
        hash: hash.clone(),
        description: "deploy key".to_owned(),
        expiration,
        tag: None,
    }
}

async fn secret_ids(handle: &crate::iam::TenantIam, client: ClientId) -> Vec<u64> {
    let request = PageRequest::items(None, Some(200), None);
    let page = ok(handle.list_client_secrets(client, &request).await);
    page.items.iter().map(|secret| secret.id).collect()
}

fn client_ids(clients: &[Client]) -> Vec<ClientId> {
    clients.iter().map(|client| client.client_id).collect()
}

/// Twenty-three clients read as pages of 10, 10 and 3, then an empty fourth page.
pub async fn paging_clients_in_pages(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let mut created = Vec::new();
    for index in 1..=23 {
        created.push(create_client(&acme, &format!("client {index:02}")).await);
    }

    let mut seen = Vec::new();
    for (page, expected_len) in [(1, 10), (2, 10), (3, 3), (4, 0)] {
        let request = PageRequest::items(Some(page), Some(10), None);
        let listed = ok(acme.list_clients(&request).await);
        assert_eq!(listed.items.len(), expected_len, "page {page}");
        assert_eq!(listed.total_count, 23, "page {page}");
        assert_eq!(listed.page, page as u32);
        assert_eq!(listed.page_size, 10);
        assert_eq!(listed.total_pages(), 3);
        seen.extend(client_ids(&listed.items));
    }
    let unique: BTreeSet<ClientId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len());
    assert_eq!(seen, client_ids(&created));
}

/// Page numbers below 1 mean 1 and page sizes are clamped per list kind.
pub async fn paging_clamps_requests(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    for name in ["a", "b", "c"] {
        create_client(&acme, name).await;
    }

    let zeroes = PageRequest::items(Some(0), Some(0), None);
    assert_eq!(zeroes.page, 1);
    assert_eq!(zeroes.page_size, 1);
    let listed = ok(acme.list_clients(&zeroes).await);
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].name, "a");
    assert_eq!(listed.total_count, 3);

    let negative = PageRequest::items(Some(-3), Some(-1), None);
    assert_eq!(negative.page, 1);
    assert_eq!(negative.page_size, 1);
    let huge = PageRequest::items(None, Some(1000), None);
    assert_eq!(huge.page_size, 200);
    assert_eq!(ok(acme.list_clients(&huge).await).page_size, 200);
    assert_eq!(PageRequest::items(None, None, None).page_size, 20);

    let subjects = PageRequest::subjects(Some(0), Some(1), None);
    assert_eq!(subjects.page, 1);
    assert_eq!(subjects.page_size, 10);
    let listed = ok(acme.list_subjects(None, &subjects).await);
    assert_eq!(listed.page_size, 10);
    assert_eq!(listed.items.len(), 3);
    assert_eq!(PageRequest::subjects(None, Some(1000), None).page_size, 200);
    assert_eq!(PageRequest::subjects(None, None, None).page_size, 50);
}

/// A search keeps the clients whose name or description contains the text.
pub async fn paging_search_filters_clients(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_client(&acme, "Billing API").await;
    create_client(&acme, "billing worker").await;
    create_client(&acme, "Search").await;
    let described = ClientInput {
        description: "Sends BILLING reminders".to_owned(),
        ..client_input("Reminders")
    };
    ok(acme.create_client(described).await);

    let request = PageRequest::items(None, Some(2), Some("Billing".to_owned()));
    let first = ok(acme.list_clients(&request).await);
    assert_eq!(first.total_count, 3);
    let names: Vec<&str> = first
        .items
        .iter()
        .map(|client| client.name.as_str())
        .collect();
    assert_eq!(names, ["Billing API", "billing worker"]);
    let second = ok(acme
        .list_clients(&PageRequest::items(
            Some(2),
            Some(2),
            Some("billing".to_owned()),
        ))
        .await);
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].name, "Reminders");
    let empty_search = PageRequest::items(None, None, Some(String::new()));
    assert_eq!(ok(acme.list_clients(&empty_search).await).total_count, 4);
}

/// A created client reads back with its fields and version 1.
pub async fn client_create_then_get(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let input = ClientInput {
        description: "Nightly billing run".to_owned(),
        allowed_grant_types: vec![
            "authorization_code".to_owned(),
            "refresh_token".to_owned(),
            "authorization_code".to_owned(),
        ],
        redirect_uris: vec!["https://app.example.com/cb".to_owned()],
        allowed_scopes: vec!["openid".to_owned(), "services.iam".to_owned()],
        ..client_input("Billing")
    };
    let client = ok(acme.create_client(input).await);
    assert_eq!(client.version, 1);
    assert_eq!(
        client.allowed_grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    let read = ok(acme.get_client(client.client_id).await);
    assert_eq!(read, client);
    assert_eq!(read.description, "Nightly billing run");
    assert_eq!(read.allowed_scopes, ["openid", "services.iam"]);
}

/// The `password` and `implicit` grant types are rejected as unsafe.
pub async fn client_unsafe_grant_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    for grant in ["password", "implicit"] {
        let result = acme
            .create_client(grant_input("Legacy", &[grant], &[]))
            .await;
        let messages = validation_messages(result, "allowedGrantTypes");
        assert!(
            messages.iter().any(|message| message.contains("unsafe")),
            "{messages:?}"
        );
    }
    let unknown = acme
        .create_client(grant_input("Legacy", &["magic"], &[]))
        .await;
    assert!(!validation_messages(unknown, "allowedGrantTypes").is_empty());
    let none = acme.create_client(grant_input("Legacy", &[], &[])).await;
    assert!(!validation_messages(none, "allowedGrantTypes").is_empty());
    assert_eq!(
        ok(acme.list_clients(&PageRequest::default()).await).total_count,
        0
    );
}

/// Redirect URIs must be https, or http on a loopback host, and without a fragment.
pub async fn client_redirect_uris_validated(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let code = ["authorization_code"];
    for uri in [
        "http://app.example.com/cb",
        "https://app.example.com/cb#part",
        "/cb",
        "ftp://files.example.com/cb",
    ] {
        let result = acme.create_client(grant_input("Web", &code, &[uri])).await;
        assert!(
            !validation_messages(result, "redirectUris").is_empty(),
            "{uri}"
        );
    }
    let missing = acme.create_client(grant_input("Web", &code, &[])).await;
    assert!(!validation_messages(missing, "redirectUris").is_empty());

    let allowed = [
        "https://app.example.com/cb",
        "http://127.0.0.1:8080/cb",
        "http://localhost/cb",
        "http://[::1]/cb",
    ];
    let client = ok(acme
        .create_client(grant_input("Web", &code, &allowed))
        .await);
    assert_eq!(client.redirect_uris, allowed);
}

/// An unknown allowed scope is rejected until the tenant creates it.
pub async fn client_scopes_must_exist(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let result = acme
        .create_client(scoped_input("Reports", &["openid", "reports.read"]))
        .await;
    let messages = validation_messages(result, "allowedScopes");
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("reports.read"), "{messages:?}");

    ok(acme.create_scope(scope_input("reports.read")).await);
    let client = ok(acme
        .create_client(scoped_input("Reports", &["openid", "reports.read"]))
        .await);
    assert_eq!(client.allowed_scopes, ["openid", "reports.read"]);

    let update = acme
        .update_client(
            client.client_id,
            scoped_input("Reports", &["reports.write"]),
            None,
        )
        .await;
    assert!(!validation_messages(update, "allowedScopes").is_empty());
    let read = ok(acme.get_client(client.client_id).await);
    assert_eq!(read.allowed_scopes, ["openid", "reports.read"]);
}

/// An update naming the current version applies, and a stale one is `VersionMismatch`.
pub async fn client_stale_update_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Billing").await;
    let updated = ok(acme
        .update_client(client.client_id, client_input("Billing v2"), Some(1))
        .await);
    assert_eq!(updated.version, 2);
    assert_eq!(updated.name, "Billing v2");

    let stale = acme
        .update_client(client.client_id, client_input("Billing v3"), Some(1))
        .await;
    assert_version_mismatch(stale, 1, 2);
    let read = ok(acme.get_client(client.client_id).await);
    assert_eq!(read.name, "Billing v2");
    assert_eq!(read.version, 2);
}

/// Deleting a client removes its secrets, policies, memberships, roles and scope uses.
pub async fn client_delete_cascades(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    ok(acme.create_scope(scope_input("reports.read")).await);
    let client = ok(acme
        .create_client(scoped_input("Reports", &["reports.read"]))
        .await);
    let subject = SubjectId::Client(client.client_id);
    let secret = hash(b"s3cret-value").await;
    add_secret(&acme, &client, &secret).await;
    add_secret(&acme, &client, &secret).await;
    let group = create_group(&acme, "Services").await;
    let role = create_role(&acme, "Reporter").await;
    ok(acme.add_members(group.id, &[subject]).await);
    ok(acme.assign_role(&subject, role.id).await);
    ok(acme.create_policy(&subject, "iam.user.read", "/").await);

    ok(acme.delete_client(client.client_id).await);
    assert_not_found(acme.get_client(client.client_id).await);
    let request = PageRequest::default();
    assert_not_found(acme.list_client_secrets(client.client_id, &request).await);
    assert!(policies_of(&acme, &subject).await.is_empty());
    assert!(member_ids(&acme, group.id).await.is_empty());
    assert!(!ok(acme.has_role(&subject, "Reporter").await));
    assert_eq!(
        references_to(&acme, &client.client_id).await,
        Vec::<String>::new()
    );
    let id = client.client_id.to_string();
    assert!(authenticate(&acme, &id, b"s3cret-value").await.is_none());
    // No client allows the scope any more, so it can be deleted.
    ok(acme.delete_scope("reports.read").await);
}

/// Clients are listed by name case-insensitively, then by client id.
pub async fn client_list_orders_by_name(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let mut created = Vec::new();
    for name in ["beta", "Alpha", "gamma", "alpha", "ALPHA", "Beta"] {
        created.push(create_client(&acme, name).await);
    }
    created.sort_by_key(|client| (client.name.to_lowercase(), client.client_id));
    let listed = ok(acme.list_clients(&PageRequest::default()).await);
    assert_eq!(client_ids(&listed.items), client_ids(&created));
}

/// Secrets get ids 1, 2, 3 in order, and a deleted id is never handed out again.
pub async fn client_secret_ids_count_up(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Billing").await;
    let secret = hash(b"s3cret-value").await;
    for expected in 1..=3 {
        let info = add_secret(&acme, &client, &secret).await;
        assert_eq!(info.id, expected);
    }
    assert_eq!(secret_ids(&acme, client.client_id).await, [1, 2, 3]);

    ok(acme.delete_client_secret(client.client_id, 2).await);
    assert_eq!(secret_ids(&acme, client.client_id).await, [1, 3]);
    assert_eq!(add_secret(&acme, &client, &secret).await.id, 4);
    assert_eq!(secret_ids(&acme, client.client_id).await, [1, 3, 4]);
    assert_not_found(acme.delete_client_secret(client.client_id, 2).await);
}

/// A client holds at most 20 secrets, so the 21st is a `Conflict` until one is deleted.
pub async fn client_secret_limit_enforced(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Billing").await;
    // One hash serves every entry, because only the count matters here.
    let secret = hash(b"s3cret-value").await;
    for _ in 0..MAX_CLIENT_SECRETS {
        add_secret(&acme, &client, &secret).await;
    }
    let input = secret_input(&secret, None);
    let message = conflict_message(
        acme.add_client_secret(client.client_id, input.clone())
            .await,
    );
    assert!(message.contains("20"), "{message}");
    assert_eq!(
        secret_ids(&acme, client.client_id).await.len(),
        MAX_CLIENT_SECRETS
    );

    ok(acme.delete_client_secret(client.client_id, 1).await);
    let info = ok(acme.add_client_secret(client.client_id, input).await);
    assert_eq!(info.id, 21);
}

/// An expiration that is not in the future is rejected on `expiration`.
pub async fn client_secret_past_expiry_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Billing").await;
    let secret = hash(b"s3cret-value").await;
    let past = Utc::now() - Duration::minutes(1);
    let result = acme
        .add_client_secret(client.client_id, secret_input(&secret, Some(past)))
        .await;
    assert!(!validation_messages(result, "expiration").is_empty());
    assert!(secret_ids(&acme, client.client_id).await.is_empty());

    let future = Utc::now() + Duration::hours(1);
    let info = ok(acme
        .add_client_secret(client.client_id, secret_input(&secret, Some(future)))
        .await);
    assert_eq!(info.expiration, Some(future));
    assert_eq!(info.description, "deploy key");
    let id = client.client_id.to_string();
    assert!(authenticate(&acme, &id, b"s3cret-value").await.is_some());
}

/// The right secret returns the client, and a wrong secret returns nothing.
pub async fn client_credentials_verify_secret(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Billing").await;
    add_secret(&acme, &client, &hash(b"s3cret-value").await).await;
    let id = client.client_id.to_string();

    let verified = authenticate(&acme, &id, b"s3cret-value").await;
    assert_eq!(verified, Some(client));
    assert!(authenticate(&acme, &id, b"s3cret-valuE").await.is_none());
    assert!(authenticate(&acme, &id, b"").await.is_none());
}

/// Credentials of an unknown or malformed client id never verify.
pub async fn client_credentials_unknown_client(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Billing").await;
    let without_secret = client.client_id.to_string();
    let unknown = ClientId::from_uuid(uuid::Uuid::new_v4()).to_string();
    for id in [unknown.as_str(), "not-a-uuid", "", without_secret.as_str()] {
        assert!(
            authenticate(&acme, id, b"s3cret-value").await.is_none(),
            "{id:?}"
        );
    }
}

/// A deleted secret stops verifying at once.
pub async fn client_secret_delete_revokes(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Billing").await;
    let info = add_secret(&acme, &client, &hash(b"s3cret-value").await).await;
    let id = client.client_id.to_string();
    assert!(authenticate(&acme, &id, b"s3cret-value").await.is_some());

    ok(acme.delete_client_secret(client.client_id, info.id).await);
    assert!(authenticate(&acme, &id, b"s3cret-value").await.is_none());
}

/// During a rotation both secrets verify, and after it only the new one does.
pub async fn client_secret_rotation_works(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Billing").await;
    let old = add_secret(&acme, &client, &hash(b"old-s3cret").await).await;
    add_secret(&acme, &client, &hash(b"new-s3cret").await).await;
    let id = client.client_id.to_string();
    assert!(authenticate(&acme, &id, b"old-s3cret").await.is_some());
    assert!(authenticate(&acme, &id, b"new-s3cret").await.is_some());

    ok(acme.delete_client_secret(client.client_id, old.id).await);
    assert!(authenticate(&acme, &id, b"old-s3cret").await.is_none());
    assert!(authenticate(&acme, &id, b"new-s3cret").await.is_some());
}

/// Checks that with a secret key a failed attempt against a client with 20 secrets runs
/// one Argon2id verification and the right value still verifies. Without tags, every
/// secret is tried.
pub async fn client_credentials_cost_is_bounded(backend: &dyn Backend) {
    let key = crate::cipher::SecretKey::from_bytes([7u8; 32]);
    let iam = ok(
        crate::Iam::builder(super::support::open_store(backend).await)
            .secret_key(key)
            .open()
            .await,
    );
    let handle = super::support::create_tenant(&iam, "acme").await;
    let client = ok(handle
        .create_client(super::fixtures::client_input("Busy"))
        .await);
    let right = "right-value-07";
    let hash = ok(crate::secret::hash_secret(
        right.as_bytes(),
        &crate::clock::OsRandom,
    ));
    for index in 0..20 {
        let value = if index == 7 {
            right.to_owned()
        } else {
            format!("other-value-{index:02}")
        };
        let input = NewClientSecret {
            hash: hash.clone(),
            description: String::new(),
            expiration: None,
            tag: iam.client_secret_tag(value.as_bytes()),
        };
        ok(handle.add_client_secret(client.client_id, input).await);
    }

    let credentials = ok(handle
        .client_credentials(&client.client_id.to_string())
        .await);
    let wrong_counts: Vec<usize> = ["wrong-value-a", "wrong-value-b", "wrong-value-c"]
        .iter()
        .map(|wrong| credentials.verification_count(wrong.as_bytes()))
        .collect();
    assert!(
        wrong_counts.iter().all(|count| *count <= 2),
        "{wrong_counts:?}"
    );
    assert!(credentials.verification_count(right.as_bytes()) <= 2);
    let verified = credentials.verify(right.as_bytes());
    assert_eq!(
        verified.map(|found| found.client_id),
        Some(client.client_id)
    );

    let untagged = ok(handle
        .create_client(super::fixtures::client_input("Untagged"))
        .await);
    for _ in 0..3 {
        let input = NewClientSecret {
            hash: hash.clone(),
            description: String::new(),
            expiration: None,
            tag: None,
        };
        ok(handle.add_client_secret(untagged.client_id, input).await);
    }
    let credentials = ok(handle
        .client_credentials(&untagged.client_id.to_string())
        .await);
    assert_eq!(credentials.verification_count(b"anything"), 3);
}
