//! Cases for domains, invitations and user claims.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::Backend;
use super::support::{create_tenant, ok, open_iam, open_store, open_tenant};
use crate::Iam;
use crate::domain::{DomainState, DomainStatus, ResolveError, TxtResolver};
use crate::error::IamError;
use crate::invitation::InvitationAcceptance;
use crate::secret::{SecretHash, hash_secret};
use crate::store::{Kind, Namespace, ScanRange};
use crate::user::NewUser;

/// A resolver with fixed answers: TXT records by name, or a failure for `fail.*` names.
#[derive(Debug, Default)]
struct FixedResolver {
    records: Mutex<HashMap<String, Vec<String>>>,
}

impl FixedResolver {
    fn publish(&self, name: &str, value: &str) {
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        records
            .entry(name.to_owned())
            .or_default()
            .push(value.to_owned());
    }
}

#[async_trait]
impl TxtResolver for FixedResolver {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, ResolveError> {
        if name.starts_with("fail.") {
            return Err(ResolveError {
                name: name.to_owned(),
                reason: "timed out".to_owned(),
            });
        }
        let records = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(records.get(name).cloned().unwrap_or_default())
    }
}

fn validation_fields<T: std::fmt::Debug>(result: Result<T, IamError>) -> Vec<String> {
    match result {
        Err(IamError::Validation(errors)) => errors.fields().keys().cloned().collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn password_hash() -> SecretHash {
    ok(hash_secret(
        b"correct horse battery staple",
        &crate::clock::OsRandom,
    ))
}

fn acceptance(hash: SecretHash) -> InvitationAcceptance {
    InvitationAcceptance {
        full_name: "Jane Doe".to_owned(),
        phone_number: Some("+4712345678".to_owned()),
        password_hash: hash,
    }
}

/// Registration normalises the name and returns the same record when repeated.
pub async fn domain_register_is_idempotent(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    let (first, created) = ok(tenant.register_domain("Example.COM.").await);
    assert!(created);
    assert_eq!(first.domain, "example.com");
    assert_eq!(first.status, DomainStatus::Pending);
    assert!(first.verification_token.starts_with("iam-verify-"));
    let (second, created) = ok(tenant.register_domain("example.com").await);
    assert!(!created);
    assert_eq!(second, first);
}

/// IP addresses, single labels and malformed names are rejected on `domain`.
pub async fn domain_invalid_names_rejected(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    for bad in ["", "localhost", "10.0.0.1", "[::1]", "a..b", "exa mple.com"] {
        assert_eq!(
            validation_fields(tenant.register_domain(bad).await),
            ["domain"],
            "`{bad}`"
        );
    }
}

/// A domain is confirmed when a TXT record equals its token, and stays pending without it.
pub async fn domain_verify_needs_matching_record(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    let resolver = FixedResolver::default();
    let (domain, _) = ok(tenant.register_domain("example.com").await);
    assert_eq!(
        ok(tenant.domain_status("example.com").await),
        DomainState::Pending
    );

    let checked = ok(tenant.verify_domain("example.com", &resolver).await);
    assert_eq!(checked.status, DomainStatus::Pending);
    resolver.publish("example.com", "iam-verify-someone-else");
    let checked = ok(tenant.verify_domain("example.com", &resolver).await);
    assert_eq!(checked.status, DomainStatus::Pending);

    resolver.publish("example.com", &domain.verification_token);
    let checked = ok(tenant.verify_domain("example.com", &resolver).await);
    assert_eq!(checked.status, DomainStatus::Confirmed);
    assert!(checked.verified_at.is_some());
    assert_eq!(
        ok(tenant.domain_status("EXAMPLE.com").await),
        DomainState::Confirmed
    );
    assert_eq!(
        ok(tenant.domain_status("other.example").await),
        DomainState::NotRegistered
    );
}

/// A failed lookup is reported and leaves the domain pending.
pub async fn domain_lookup_failure_keeps_pending(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    ok(tenant.register_domain("fail.example.com").await);
    let result = tenant
        .verify_domain("fail.example.com", &FixedResolver::default())
        .await;
    assert!(matches!(result, Err(IamError::Dns(_))), "{result:?}");
    assert_eq!(
        ok(tenant.domain_status("fail.example.com").await),
        DomainState::Pending
    );
}

/// A domain confirmed by one tenant can't be registered or confirmed by another until the
/// first unregisters it.
pub async fn domain_confirmed_elsewhere_conflicts(backend: &dyn Backend) {
    let iam = open_iam(backend).await;
    let first = create_tenant(&iam, "first").await;
    let second = create_tenant(&iam, "second").await;
    let resolver = FixedResolver::default();
    let (first_domain, _) = ok(first.register_domain("example.com").await);
    let (second_domain, _) = ok(second.register_domain("example.com").await);
    resolver.publish("example.com", &first_domain.verification_token);
    resolver.publish("example.com", &second_domain.verification_token);

    ok(first.verify_domain("example.com", &resolver).await);
    let late = second.verify_domain("example.com", &resolver).await;
    assert!(matches!(late, Err(IamError::Conflict { .. })), "{late:?}");
    ok(second.unregister_domain("example.com").await);
    let again = second.register_domain("example.com").await;
    assert!(matches!(again, Err(IamError::Conflict { .. })), "{again:?}");

    ok(first.unregister_domain("example.com").await);
    let (fresh, _) = ok(second.register_domain("example.com").await);
    resolver.publish("example.com", &fresh.verification_token);
    assert_eq!(
        ok(second.verify_domain("example.com", &resolver).await).status,
        DomainStatus::Confirmed
    );
}

/// Direct user creation needs the e-mail's domain to be confirmed for the tenant.
pub async fn domain_direct_creation_needs_confirmation(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    let resolver = FixedResolver::default();
    let input = || NewUser {
        email: "jane@example.com".to_owned(),
        ..NewUser::default()
    };
    assert_eq!(
        validation_fields(tenant.create_user_for_confirmed_domain(input()).await),
        ["email"]
    );
    let (domain, _) = ok(tenant.register_domain("example.com").await);
    assert_eq!(
        validation_fields(tenant.create_user_for_confirmed_domain(input()).await),
        ["email"]
    );
    resolver.publish("example.com", &domain.verification_token);
    ok(tenant.verify_domain("example.com", &resolver).await);
    let user = ok(tenant.create_user_for_confirmed_domain(input()).await);
    assert_eq!(user.email, "jane@example.com");
    ok(tenant.unregister_domain("example.com").await);
    assert!(ok(tenant.find_user_by_email("jane@example.com").await).is_some());
    let next = NewUser {
        email: "john@example.com".to_owned(),
        ..NewUser::default()
    };
    assert_eq!(
        validation_fields(tenant.create_user_for_confirmed_domain(next).await),
        ["email"]
    );
}

/// The periodic re-check confirms every pending domain whose record appeared.
pub async fn domain_recheck_confirms_pending(backend: &dyn Backend) {
    let iam = open_iam(backend).await;
    let first = create_tenant(&iam, "first").await;
    let second = create_tenant(&iam, "second").await;
    let resolver = FixedResolver::default();
    let (a, _) = ok(first.register_domain("a.example").await);
    ok(first.register_domain("b.example").await);
    let (c, _) = ok(second.register_domain("c.example").await);
    ok(second.register_domain("fail.example").await);
    resolver.publish("a.example", &a.verification_token);
    resolver.publish("c.example", &c.verification_token);
    let (confirmed, failures) = ok(iam.recheck_pending_domains(&resolver).await);
    assert_eq!(confirmed, 2);
    assert_eq!(failures.len(), 1);
    assert_eq!(
        ok(first.domain_status("b.example").await),
        DomainState::Pending
    );
    assert_eq!(
        ok(second.domain_status("c.example").await),
        DomainState::Confirmed
    );
}

/// Domains list in name order, filtered by substring.
pub async fn domain_list_orders_and_filters(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    for name in ["zeta.example", "alpha.example", "mid.test"] {
        ok(tenant.register_domain(name).await);
    }
    let names: Vec<String> = ok(tenant.list_domains(None).await)
        .into_iter()
        .map(|domain| domain.domain)
        .collect();
    assert_eq!(names, ["alpha.example", "mid.test", "zeta.example"]);
    assert_eq!(ok(tenant.list_domains(Some("EXAMPLE")).await).len(), 2);
}

/// Accepting an invitation creates the user with the invited e-mail and password.
pub async fn invitation_accept_creates_user(backend: &dyn Backend) {
    let (iam, tenant) = open_tenant(backend, "acme").await;
    let (invitation, token) = ok(tenant
        .invite_user("jane@example.com", Some("https://app.example.com/accept"))
        .await);
    assert_eq!(
        invitation.status,
        crate::invitation::InvitationStatus::Pending
    );
    let user = ok(iam
        .accept_invitation(token.expose_secret(), acceptance(password_hash()))
        .await);
    assert_eq!(user.email, "jane@example.com");
    assert_eq!(user.full_name, "Jane Doe");
    assert!(user.has_password());
    let stored = ok(tenant.get_invitation(invitation.id).await);
    assert_eq!(stored.status, crate::invitation::InvitationStatus::Accepted);
    assert_eq!(stored.accepted_user, Some(user.id));
    let hash = ok(tenant.get_user(user.id).await).password_hash().cloned();
    let verified = hash
        .is_some_and(|hash| crate::secret::verify_secret(&hash, b"correct horse battery staple"));
    assert!(verified);
}

/// A token works once; unknown tokens fail the same way.
pub async fn invitation_token_single_use(backend: &dyn Backend) {
    let (iam, tenant) = open_tenant(backend, "acme").await;
    let (_, token) = ok(tenant.invite_user("jane@example.com", None).await);
    let hash = password_hash();
    ok(iam
        .accept_invitation(token.expose_secret(), acceptance(hash.clone()))
        .await);
    assert_eq!(
        validation_fields(
            iam.accept_invitation(token.expose_secret(), acceptance(hash.clone()))
                .await
        ),
        ["token"]
    );
    assert_eq!(
        validation_fields(
            iam.accept_invitation("iam_invite_unknown", acceptance(hash))
                .await
        ),
        ["token"]
    );
}

/// An expired invitation can't be accepted.
pub async fn invitation_expired_rejected(backend: &dyn Backend) {
    let iam = ok(Iam::builder(open_store(backend).await)
        .invitation_lifetime(chrono::Duration::zero())
        .open()
        .await);
    let tenant = create_tenant(&iam, "acme").await;
    let (invitation, token) = ok(tenant.invite_user("jane@example.com", None).await);
    assert_eq!(
        invitation.status_at(invitation.expires_at),
        crate::invitation::InvitationStatus::Expired
    );
    assert_eq!(
        validation_fields(
            iam.accept_invitation(token.expose_secret(), acceptance(password_hash()))
                .await
        ),
        ["token"]
    );
    assert!(ok(tenant.find_user_by_email("jane@example.com").await).is_none());
}

/// Inviting an existing user's e-mail is a conflict; bad input names its field.
pub async fn invitation_input_rules(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    ok(tenant
        .create_user(NewUser {
            email: "jane@example.com".to_owned(),
            ..NewUser::default()
        })
        .await);
    let taken = tenant.invite_user("JANE@example.com", None).await;
    assert!(
        matches!(taken, Err(IamError::AlreadyExists { field: "email", .. })),
        "{taken:?}"
    );
    assert_eq!(
        validation_fields(tenant.invite_user("not-an-email", None).await),
        ["email"]
    );
    assert_eq!(
        validation_fields(
            tenant
                .invite_user("x@example.com", Some("http://app.example.com/"))
                .await
        ),
        ["redirectUrl"]
    );
}

/// The store keeps only the token's digest, never the token.
pub async fn invitation_token_not_stored(backend: &dyn Backend) {
    let (iam, tenant) = open_tenant(backend, "acme").await;
    let (_, token) = ok(tenant.invite_user("jane@example.com", None).await);
    let secret = token.expose_secret().to_owned();
    let store = iam.store();
    for (namespace, kind) in [
        (Namespace::Tenant(tenant.tenant().id), Kind::INVITATION),
        (Namespace::Tenant(tenant.tenant().id), Kind::AUDIT),
        (Namespace::Global, Kind::INVITATION_DIGEST),
    ] {
        for record in ok(store.scan(&ScanRange::all(namespace, kind)).await) {
            assert!(
                !String::from_utf8_lossy(&record.body).contains(&secret),
                "{kind} contains the token"
            );
            assert!(!record.id.contains(&secret), "{kind} id contains the token");
        }
    }
    assert!(!format!("{token:?}").contains(&secret));
}

/// A token creates the user in its own tenant only.
pub async fn invitation_stays_in_its_tenant(backend: &dyn Backend) {
    let iam = open_iam(backend).await;
    let first = create_tenant(&iam, "first").await;
    let second = create_tenant(&iam, "second").await;
    let (_, token) = ok(second.invite_user("jane@example.com", None).await);
    let user = ok(iam
        .accept_invitation(token.expose_secret(), acceptance(password_hash()))
        .await);
    assert!(ok(second.find_user_by_email("jane@example.com").await).is_some());
    assert!(ok(first.find_user_by_email("jane@example.com").await).is_none());
    assert!(matches!(
        first.get_user(user.id).await,
        Err(IamError::NotFound { .. })
    ));
}

/// Claims are added, listed in id order and deleted.
pub async fn claim_add_list_delete(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    let user = ok(tenant
        .create_user(NewUser {
            email: "jane@example.com".to_owned(),
            ..NewUser::default()
        })
        .await);
    let first = ok(tenant
        .add_user_claim(user.id, "department", "finance")
        .await);
    let second = ok(tenant.add_user_claim(user.id, "level", "3").await);
    assert!(second.claim_id > first.claim_id);
    let listed = ok(tenant.list_user_claims(user.id).await);
    assert_eq!(listed, vec![first.clone(), second.clone()]);
    ok(tenant.delete_user_claim(user.id, first.claim_id).await);
    assert_eq!(ok(tenant.list_user_claims(user.id).await), vec![second]);
    let again = tenant.delete_user_claim(user.id, first.claim_id).await;
    assert!(matches!(again, Err(IamError::NotFound { .. })), "{again:?}");
}

/// Deleting a user deletes its claims; bad claims name their field.
pub async fn claim_rules_and_cascade(backend: &dyn Backend) {
    let (_iam, tenant) = open_tenant(backend, "acme").await;
    let user = ok(tenant
        .create_user(NewUser {
            email: "jane@example.com".to_owned(),
            ..NewUser::default()
        })
        .await);
    assert_eq!(
        validation_fields(tenant.add_user_claim(user.id, "", "x").await),
        ["claimType"]
    );
    assert_eq!(
        validation_fields(tenant.add_user_claim(user.id, "t", &"x".repeat(4097)).await),
        ["claimValue"]
    );
    ok(tenant
        .add_user_claim(user.id, "department", "finance")
        .await);
    ok(tenant.delete_user(user.id).await);
    let leftovers = ok(tenant
        .iam()
        .store()
        .scan(&ScanRange::all(
            Namespace::Tenant(tenant.tenant().id),
            Kind::USER_CLAIM,
        ))
        .await);
    assert!(leftovers.is_empty());
    let missing = tenant.list_user_claims(user.id).await;
    assert!(
        matches!(missing, Err(IamError::NotFound { .. })),
        "{missing:?}"
    );
}

/// Another tenant can neither read nor change a user's claims.
pub async fn claim_isolated_by_tenant(backend: &dyn Backend) {
    let iam = open_iam(backend).await;
    let first = create_tenant(&iam, "first").await;
    let second = create_tenant(&iam, "second").await;
    let user = ok(first
        .create_user(NewUser {
            email: "jane@example.com".to_owned(),
            ..NewUser::default()
        })
        .await);
    let claim = ok(first.add_user_claim(user.id, "department", "finance").await);
    assert!(matches!(
        second.list_user_claims(user.id).await,
        Err(IamError::NotFound { .. })
    ));
    assert!(matches!(
        second.add_user_claim(user.id, "x", "y").await,
        Err(IamError::NotFound { .. })
    ));
    assert!(matches!(
        second.delete_user_claim(user.id, claim.claim_id).await,
        Err(IamError::NotFound { .. })
    ));
    assert_eq!(ok(first.list_user_claims(user.id).await).len(), 1);
}
