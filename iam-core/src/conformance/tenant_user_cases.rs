//! Cases for tenants, users, isolation between tenants and durability through the facade.

use super::Backend;
use super::fixtures::{
    add_secret, assert_already_exists, assert_not_found, assert_version_mismatch, audit_events,
    authenticate, create_client, create_group, create_role, create_user, failure, hash, member_ids,
    membership_ids, new_user, policies_of, references_to, validation_messages,
};
use super::support::{create_tenant, ok, open_iam, open_tenant};
use crate::audit::Actor;
use crate::error::IamError;
use crate::id::{ClientId, GroupId, SubjectId, TenantId, UserId};
use crate::oauth_scope::OAuthScopeInput;
use crate::paging::PageRequest;
use crate::role::TENANT_ADMIN;
use crate::secret::verify_secret;
use crate::user::{NewUser, User, UserUpdate};

/// Returns a random UUID, for ids that no object has.
fn random_uuid() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

/// Verifies a user's stored password hash on a blocking thread.
async fn password_matches(user: User, presented: &'static [u8]) -> bool {
    let task = tokio::task::spawn_blocking(move || {
        user.password_hash()
            .is_some_and(|hash| verify_secret(hash, presented))
    });
    ok(task.await)
}

fn user_names(users: &[User]) -> Vec<&str> {
    users.iter().map(|user| user.user_name.as_str()).collect()
}

/// A tenant can be found by its id and by its name in any letter case.
pub async fn tenant_create_and_find(backend: &dyn Backend) {
    let iam = open_iam(backend).await;
    let tenant = ok(iam.create_tenant("Acme-Corp").await);
    assert_eq!(tenant.name, "Acme-Corp");

    let by_id = ok(iam.get_tenant(tenant.id).await);
    assert_eq!(by_id, tenant);
    let by_id_text = ok(iam.find_tenant(&tenant.id.to_string()).await);
    assert_eq!(by_id_text.as_ref(), Some(&tenant));
    let by_other_case = ok(iam.find_tenant("ACME-corp").await);
    assert_eq!(by_other_case.as_ref(), Some(&tenant));
    assert!(ok(iam.find_tenant("acme").await).is_none());
    assert_eq!(ok(iam.list_tenants().await), vec![tenant]);
}

/// A tenant name that differs from a taken one only in case is rejected.
pub async fn tenant_duplicate_name_rejected(backend: &dyn Backend) {
    let iam = open_iam(backend).await;
    ok(iam.create_tenant("acme").await);
    assert_already_exists(iam.create_tenant("ACME").await, "name");
    assert_eq!(ok(iam.list_tenants().await).len(), 1);
}

/// Empty, too long, non-ASCII, punctuated and UUID-shaped tenant names are rejected.
pub async fn tenant_invalid_names_rejected(backend: &dyn Backend) {
    let iam = open_iam(backend).await;
    let too_long = "x".repeat(65);
    let uuid_text = random_uuid().to_string();
    for name in [
        "",
        "has space",
        "a/b",
        "dot.ted",
        "ümlaut",
        &too_long,
        &uuid_text,
    ] {
        let messages = validation_messages(iam.create_tenant(name).await, "name");
        assert!(!messages.is_empty(), "{name:?}");
    }
    assert!(ok(iam.list_tenants().await).is_empty());
    ok(iam.create_tenant(&"x".repeat(64)).await);
}

/// A new tenant has exactly one role, the built-in `TenantAdmin`.
pub async fn tenant_has_admin_role(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let Some(admin) = ok(acme.find_role_by_name("tenantadmin").await) else {
        panic!("a new tenant has no `{TENANT_ADMIN}` role");
    };
    assert_eq!(admin.name, TENANT_ADMIN);
    assert!(admin.built_in);
    let roles = ok(acme.list_roles(&PageRequest::default()).await);
    assert_eq!(roles.total_count, 1);
    assert_eq!(roles.items, vec![admin]);
}

/// A handle for a tenant id that does not exist is `NotFound`.
pub async fn tenant_unknown_id_not_found(backend: &dyn Backend) {
    let iam = open_iam(backend).await;
    ok(iam.create_tenant("acme").await);
    let unknown = TenantId::from_uuid(random_uuid());
    assert_not_found(iam.tenant(unknown, Actor::Operator).await);
    assert_not_found(iam.get_tenant(unknown).await);
}

/// A created user reads back with version 1 and the e-mail address as user name.
pub async fn user_create_then_get(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let input = NewUser {
        email: "Jane.Doe@Example.com".to_owned(),
        user_name: None,
        full_name: "Jane Doe".to_owned(),
        phone_number: Some("+4712345678".to_owned()),
        password_hash: None,
    };
    let user = ok(acme.create_user(input).await);
    assert_eq!(user.version, 1);
    assert_eq!(user.user_name, "Jane.Doe@Example.com");
    assert!(user.active);
    assert!(!user.has_password());

    let read = ok(acme.get_user(user.id).await);
    assert_eq!(read.version, 1);
    assert_eq!(read.email, "Jane.Doe@Example.com");
    assert_eq!(read.full_name, "Jane Doe");
    assert_eq!(read.phone_number.as_deref(), Some("+4712345678"));
    let by_email = ok(acme.find_user_by_email("jane.doe@example.COM").await);
    assert_eq!(by_email.map(|found| found.id), Some(user.id));
}

/// E-mail addresses that differ only in letter case collide.
pub async fn user_email_case_collides(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_user(&acme, "Jane@X.com").await;
    assert_already_exists(acme.create_user(new_user("jane@x.com")).await, "email");
    let users = ok(acme.list_users(&PageRequest::default()).await);
    assert_eq!(users.total_count, 1);
}

/// A decomposed accent collides with the composed one in an e-mail address.
pub async fn user_email_normalization_collides(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    // U+00E9 against `e` followed by the combining acute accent U+0301.
    create_user(&acme, "ren\u{e9}@example.com").await;
    assert_already_exists(
        acme.create_user(new_user("rene\u{301}@example.com")).await,
        "email",
    );
    assert_already_exists(
        acme.create_user(new_user("REN\u{c9}@example.com")).await,
        "email",
    );
    let users = ok(acme.list_users(&PageRequest::default()).await);
    assert_eq!(users.total_count, 1);
}

/// User names are unique case-insensitively, also against default user names.
pub async fn user_name_collides(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let first = NewUser {
        user_name: Some("jdoe".to_owned()),
        ..new_user("jane@example.com")
    };
    ok(acme.create_user(first).await);
    let same_name = NewUser {
        user_name: Some("JDoe".to_owned()),
        ..new_user("john@example.com")
    };
    assert_already_exists(acme.create_user(same_name).await, "userName");

    // A user without a user name gets the e-mail address, which is then taken as a name.
    create_user(&acme, "max@example.com").await;
    let taken_default = NewUser {
        user_name: Some("MAX@example.com".to_owned()),
        ..new_user("other@example.com")
    };
    assert_already_exists(acme.create_user(taken_default).await, "userName");
    let users = ok(acme.list_users(&PageRequest::default()).await);
    assert_eq!(users.total_count, 2);
}

/// Invalid e-mail addresses and phone numbers are rejected naming the field.
pub async fn user_invalid_fields_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    for email in ["", "jane", "jane@", "@x.com", "jane@com", "ja ne@x.com"] {
        let messages = validation_messages(acme.create_user(new_user(email)).await, "email");
        assert!(!messages.is_empty(), "{email:?}");
    }
    for phone in ["12345678", "+0123", "+47 123", "+1234567890123456"] {
        let input = NewUser {
            phone_number: Some(phone.to_owned()),
            ..new_user("jane@example.com")
        };
        let messages = validation_messages(acme.create_user(input).await, "phoneNumber");
        assert!(!messages.is_empty(), "{phone:?}");
    }
    let both = NewUser {
        phone_number: Some("555".to_owned()),
        ..new_user("not-an-address")
    };
    let error = failure(acme.create_user(both).await);
    let IamError::Validation(errors) = error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert!(errors.fields().contains_key("email"));
    assert!(errors.fields().contains_key("phoneNumber"));
    let users = ok(acme.list_users(&PageRequest::default()).await);
    assert_eq!(users.total_count, 0);
}

/// An update naming the current version applies and returns the next version.
pub async fn user_update_bumps_version(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let user = create_user(&acme, "jane@example.com").await;
    let update = UserUpdate {
        full_name: "Jane Doe".to_owned(),
        phone_number: Some("+4712345678".to_owned()),
        active: false,
    };
    let updated = ok(acme.update_user(user.id, update, Some(user.version)).await);
    assert_eq!(updated.version, user.version + 1);
    assert_eq!(updated.full_name, "Jane Doe");
    assert!(!updated.active);

    let read = ok(acme.get_user(user.id).await);
    assert_eq!(read.version, 2);
    assert_eq!(read.full_name, "Jane Doe");
    assert_eq!(read.phone_number.as_deref(), Some("+4712345678"));
    assert!(!read.active);
}

/// An update naming a stale version fails with `VersionMismatch` and changes nothing.
pub async fn user_stale_update_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let user = create_user(&acme, "jane@example.com").await;
    let update = |name: &str| UserUpdate {
        full_name: name.to_owned(),
        phone_number: None,
        active: true,
    };
    ok(acme.update_user(user.id, update("First"), Some(1)).await);
    assert_version_mismatch(
        acme.update_user(user.id, update("Second"), Some(1)).await,
        1,
        2,
    );
    let read = ok(acme.get_user(user.id).await);
    assert_eq!(read.full_name, "First");
    assert_eq!(read.version, 2);
}

/// Deleting a user removes its memberships, role assignments and policies.
pub async fn user_delete_cascades(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let user = create_user(&acme, "jane@example.com").await;
    let subject = SubjectId::User(user.id);
    let group = create_group(&acme, "Finance").await;
    let role = create_role(&acme, "Auditor").await;
    ok(acme.add_members(group.id, &[subject]).await);
    ok(acme.assign_role(&subject, role.id).await);
    ok(acme.create_policy(&subject, "iam.user.read", "/").await);
    assert_eq!(policies_of(&acme, &subject).await.len(), 1);

    ok(acme.delete_user(user.id).await);
    assert_not_found(acme.get_user(user.id).await);
    assert!(member_ids(&acme, group.id).await.is_empty());
    assert!(policies_of(&acme, &subject).await.is_empty());
    assert!(!ok(acme.has_role(&subject, "Auditor").await));
    assert_eq!(references_to(&acme, &user.id).await, Vec::<String>::new());
    assert!(ok(acme.find_user_by_email("jane@example.com").await).is_none());
    // The role's reverse index no longer names the user, so deleting the role succeeds.
    ok(acme.delete_role(role.id).await);
}

/// A user re-created with a deleted user's e-mail address gets a new id and no grants.
pub async fn user_recreate_starts_clean(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let old = create_user(&acme, "jane@example.com").await;
    let old_subject = SubjectId::User(old.id);
    let group = create_group(&acme, "Finance").await;
    let role = create_role(&acme, "Auditor").await;
    ok(acme.add_members(group.id, &[old_subject]).await);
    ok(acme.assign_role(&old_subject, role.id).await);
    ok(acme.create_policy(&old_subject, "iam.user.read", "/").await);
    ok(acme.delete_user(old.id).await);

    let new = create_user(&acme, "Jane@Example.com").await;
    let new_subject = SubjectId::User(new.id);
    assert_ne!(new.id, old.id);
    assert_eq!(new.version, 1);
    assert!(membership_ids(&acme, &new_subject, true).await.is_empty());
    assert!(ok(acme.roles_of(&new_subject).await).is_empty());
    assert!(policies_of(&acme, &new_subject).await.is_empty());
    assert!(member_ids(&acme, group.id).await.is_empty());
}

/// A password hash given at creation is stored and still verifies after a reopen.
pub async fn user_password_survives_reopen(backend: &dyn Backend) {
    let (iam, acme) = open_tenant(backend, "acme").await;
    let tenant = acme.tenant().id;
    let input = NewUser {
        password_hash: Some(hash(b"correct horse battery").await),
        ..new_user("jane@example.com")
    };
    let user = ok(acme.create_user(input).await);
    assert!(user.has_password());
    drop(acme);
    drop(iam);

    let iam = open_iam(backend).await;
    let acme = ok(iam.tenant(tenant, Actor::Operator).await);
    let read = ok(acme.get_user(user.id).await);
    assert!(read.has_password());
    assert!(password_matches(read.clone(), b"correct horse battery").await);
    assert!(!password_matches(read, b"correct horse battery!").await);
}

/// Users are listed by user name case-insensitively, in pages, and filtered by search.
pub async fn user_list_pages_and_search(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let people = [
        ("carol", "carol@example.com", "Carol King"),
        ("Alice", "alice@example.org", "Alice Liddell"),
        ("bob", "bob@example.com", ""),
        ("Dave", "dave@example.org", "Dave Grohl"),
        ("erin", "erin@example.com", "Erin Brockovich"),
    ];
    for (user_name, email, full_name) in people {
        let input = NewUser {
            user_name: Some(user_name.to_owned()),
            full_name: full_name.to_owned(),
            ..new_user(email)
        };
        ok(acme.create_user(input).await);
    }

    let mut seen = Vec::new();
    for page in 1..=3 {
        let request = PageRequest::items(Some(page), Some(2), None);
        let listed = ok(acme.list_users(&request).await);
        assert_eq!(listed.total_count, 5);
        seen.extend(user_names(&listed.items).into_iter().map(str::to_owned));
    }
    assert_eq!(seen, ["Alice", "bob", "carol", "Dave", "erin"]);

    let by_email = ok(acme
        .list_users(&PageRequest::items(
            None,
            None,
            Some("EXAMPLE.ORG".to_owned()),
        ))
        .await);
    assert_eq!(by_email.total_count, 2);
    assert_eq!(user_names(&by_email.items), ["Alice", "Dave"]);
    let by_full_name = ok(acme
        .list_users(&PageRequest::items(None, None, Some("king".to_owned())))
        .await);
    assert_eq!(user_names(&by_full_name.items), ["carol"]);
    let by_nothing = ok(acme
        .list_users(&PageRequest::items(None, None, Some("zzz".to_owned())))
        .await);
    assert_eq!(by_nothing.total_count, 0);
}

/// Objects of one tenant are `NotFound` when read through another tenant's handle.
pub async fn isolation_reads_not_found(backend: &dyn Backend) {
    let (iam, acme) = open_tenant(backend, "acme").await;
    let globex = create_tenant(&iam, "globex").await;
    let user = create_user(&acme, "jane@example.com").await;
    let client = create_client(&acme, "Billing").await;
    let group = create_group(&acme, "Finance").await;
    let role = create_role(&acme, "Auditor").await;

    assert_not_found(globex.get_user(user.id).await);
    assert_not_found(globex.get_client(client.client_id).await);
    assert_not_found(globex.get_group(group.id).await);
    assert_not_found(globex.get_role(role.id).await);
    assert_not_found(globex.get_subject(&SubjectId::User(user.id)).await);
    assert_not_found(globex.memberships(&SubjectId::User(user.id), true).await);
    assert_not_found(globex.list_members(group.id, &PageRequest::default()).await);
    assert!(ok(globex.find_user_by_email("jane@example.com").await).is_none());
    assert!(ok(globex.find_role_by_name("Auditor").await).is_none());
}

/// Changes through another tenant's handle fail with `NotFound` and touch nothing.
pub async fn isolation_writes_not_found(backend: &dyn Backend) {
    let (iam, acme) = open_tenant(backend, "acme").await;
    let globex = create_tenant(&iam, "globex").await;
    let user = create_user(&acme, "jane@example.com").await;
    let client = create_client(&acme, "Billing").await;
    let group = create_group(&acme, "Finance").await;
    let globex_group = create_group(&globex, "Finance").await;

    let update = UserUpdate {
        full_name: "Mallory".to_owned(),
        phone_number: None,
        active: false,
    };
    assert_not_found(globex.update_user(user.id, update, None).await);
    assert_not_found(globex.delete_user(user.id).await);
    assert_not_found(globex.delete_client(client.client_id).await);
    assert_not_found(globex.delete_group(group.id).await);
    assert_not_found(
        globex
            .add_members(group.id, &[SubjectId::Client(client.client_id)])
            .await,
    );

    let foreign = [
        SubjectId::User(user.id),
        SubjectId::Client(client.client_id),
    ];
    match failure(globex.add_members(globex_group.id, &foreign).await) {
        IamError::NotFoundMany { ids, .. } => {
            assert_eq!(ids, foreign.map(|subject| subject.to_string()));
        }
        other => panic!("expected `NotFoundMany`, got {other} ({other:?})"),
    }
    assert!(member_ids(&globex, globex_group.id).await.is_empty());

    let user_subject = SubjectId::User(user.id);
    assert_not_found(
        globex
            .create_policy(&user_subject, "iam.user.read", "/")
            .await,
    );
    let Some(globex_admin) = ok(globex.find_role_by_name(TENANT_ADMIN).await) else {
        panic!("a new tenant has no `{TENANT_ADMIN}` role");
    };
    assert_not_found(globex.assign_role(&user_subject, globex_admin.id).await);
    let request = PageRequest::default();
    assert_not_found(globex.list_client_secrets(client.client_id, &request).await);
    assert_not_found(globex.delete_client_secret(client.client_id, 1).await);

    let read = ok(acme.get_user(user.id).await);
    assert_eq!(read.version, 1);
    assert!(read.active);
    ok(acme.get_client(client.client_id).await);
    ok(acme.get_group(group.id).await);
    assert!(policies_of(&acme, &user_subject).await.is_empty());
    assert!(ok(acme.roles_of(&user_subject).await).is_empty());
}

/// Lists through another tenant's handle show none of the first tenant's objects.
pub async fn isolation_lists_are_empty(backend: &dyn Backend) {
    let (iam, acme) = open_tenant(backend, "acme").await;
    let globex = create_tenant(&iam, "globex").await;
    create_user(&acme, "jane@example.com").await;
    create_client(&acme, "Billing").await;
    create_group(&acme, "Finance").await;
    create_role(&acme, "Auditor").await;
    let scope = OAuthScopeInput {
        name: "reports.read".to_owned(),
        display_name: "Read reports".to_owned(),
        description: String::new(),
    };
    ok(acme.create_scope(scope).await);

    let request = PageRequest::default();
    assert_eq!(ok(globex.list_users(&request).await).total_count, 0);
    assert_eq!(ok(globex.list_clients(&request).await).total_count, 0);
    let subjects = PageRequest::subjects(None, None, None);
    assert_eq!(
        ok(globex.list_subjects(None, &subjects).await).total_count,
        0
    );
    let roles = ok(globex.list_roles(&request).await);
    assert_eq!(roles.items.len(), 1);
    assert_eq!(roles.items[0].name, TENANT_ADMIN);
    let scopes = ok(globex.list_scopes(&request).await);
    assert!(scopes.items.iter().all(|scope| scope.built_in));
    let events = audit_events(&globex).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].operation, "tenant.create");
    assert_eq!(events[0].tenant, globex.tenant().id);
}

/// A client's secret does not authenticate it through another tenant's handle.
pub async fn isolation_credentials_fail_elsewhere(backend: &dyn Backend) {
    let (iam, acme) = open_tenant(backend, "acme").await;
    let globex = create_tenant(&iam, "globex").await;
    let client = create_client(&acme, "Billing").await;
    add_secret(&acme, &client, &hash(b"s3cret-value").await).await;
    let id = client.client_id.to_string();

    assert!(authenticate(&globex, &id, b"s3cret-value").await.is_none());
    let home = authenticate(&acme, &id, b"s3cret-value").await;
    assert_eq!(home.map(|found| found.client_id), Some(client.client_id));
}

/// After closing and reopening, every object reads back with the same version.
pub async fn durability_reopen_keeps_everything(backend: &dyn Backend) {
    let (iam, acme) = open_tenant(backend, "acme").await;
    let tenant = acme.tenant().clone();
    let user = create_user(&acme, "jane@example.com").await;
    let update = UserUpdate {
        full_name: "Jane Doe".to_owned(),
        phone_number: None,
        active: true,
    };
    let user = ok(acme.update_user(user.id, update, Some(1)).await);
    let scope_input = OAuthScopeInput {
        name: "reports.read".to_owned(),
        display_name: "Read reports".to_owned(),
        description: String::new(),
    };
    let scope = ok(acme.create_scope(scope_input).await);
    let mut client_input = super::fixtures::client_input("Billing");
    client_input.allowed_scopes = vec!["reports.read".to_owned()];
    let client = ok(acme.create_client(client_input).await);
    let secret = add_secret(&acme, &client, &hash(b"s3cret-value").await).await;
    let group = create_group(&acme, "Finance").await;
    let role = create_role(&acme, "Auditor").await;
    let user_subject = SubjectId::User(user.id);
    let client_subject = SubjectId::Client(client.client_id);
    ok(acme
        .add_members(group.id, &[user_subject, client_subject])
        .await);
    ok(acme.assign_role(&user_subject, role.id).await);
    let (policy, _) = ok(acme
        .create_policy(&SubjectId::Group(group.id), "iam.user.read", "/")
        .await);
    let event_count = audit_events(&acme).await.len();
    drop(acme);
    drop(iam);

    let iam = open_iam(backend).await;
    assert_eq!(ok(iam.find_tenant("acme").await).as_ref(), Some(&tenant));
    let acme = ok(iam.tenant(tenant.id, Actor::Operator).await);
    let read_user = ok(acme.get_user(user.id).await);
    assert_eq!(read_user.version, 2);
    assert_eq!(read_user.full_name, "Jane Doe");
    let read_client = ok(acme.get_client(client.client_id).await);
    assert_eq!(read_client, client);
    let read_group = ok(acme.get_group(group.id).await);
    assert_eq!(read_group, group);
    assert_eq!(ok(acme.get_role(role.id).await), role);
    assert_eq!(ok(acme.get_scope("reports.read").await), scope);
    let secrets = ok(acme
        .list_client_secrets(client.client_id, &PageRequest::default())
        .await);
    assert_eq!(secrets.items, vec![secret]);
    assert_eq!(member_ids(&acme, group.id).await.len(), 2);
    assert_eq!(ok(acme.roles_of(&user_subject).await), vec![role]);
    assert_eq!(
        policies_of(&acme, &SubjectId::Group(group.id)).await,
        vec![policy]
    );
    assert_eq!(audit_events(&acme).await.len(), event_count);
    let id = client.client_id.to_string();
    assert!(authenticate(&acme, &id, b"s3cret-value").await.is_some());
}

/// Ids that were never created are `NotFound`, not errors of another kind.
pub async fn user_unknown_id_not_found(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let user = UserId::from_uuid(random_uuid());
    assert_not_found(acme.get_user(user).await);
    assert_not_found(acme.delete_user(user).await);
    assert_not_found(acme.get_client(ClientId::from_uuid(random_uuid())).await);
    assert_not_found(acme.get_group(GroupId::from_uuid(random_uuid())).await);
}
