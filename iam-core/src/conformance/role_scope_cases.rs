//! Cases for tenant roles with their assignments, and for OAuth scopes.

use super::Backend;
use super::fixtures::{
    assert_already_exists, assert_not_found, assert_version_mismatch, audit_events, client_input,
    conflict_message, create_client, create_group, create_role, create_user, references_to,
    validation_messages,
};
use super::support::{ok, open_tenant};
use crate::client::ClientInput;
use crate::id::{RoleId, SubjectId};
use crate::oauth_scope::{BUILT_IN_SCOPES, OAuthScopeInput};
use crate::paging::PageRequest;
use crate::role::{Role, RoleInput, TENANT_ADMIN};

fn scope_input(name: &str, display_name: &str) -> OAuthScopeInput {
    OAuthScopeInput {
        name: name.to_owned(),
        display_name: display_name.to_owned(),
        description: String::new(),
    }
}

fn role_names(roles: &[Role]) -> Vec<&str> {
    roles.iter().map(|role| role.name.as_str()).collect()
}

/// A created role reads back by id and by name in any letter case.
pub async fn role_create_then_get(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let input = RoleInput {
        name: "Auditor".to_owned(),
        description: "Reads everything".to_owned(),
    };
    let role = ok(acme.create_role(input).await);
    assert!(!role.built_in);
    assert_eq!(ok(acme.get_role(role.id).await), role);
    assert_eq!(
        ok(acme.find_role_by_name("AUDITOR").await).as_ref(),
        Some(&role)
    );
    let roles = ok(acme.list_roles(&PageRequest::default()).await);
    assert_eq!(role_names(&roles.items), ["Auditor", TENANT_ADMIN]);
    assert_not_found(acme.get_role(RoleId::from_uuid(uuid::Uuid::new_v4())).await);
}

/// A role name that differs from a taken one only in case is rejected.
pub async fn role_duplicate_name_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_role(&acme, "Auditor").await;
    let input = RoleInput {
        name: "aUDITOR".to_owned(),
        description: String::new(),
    };
    assert_already_exists(acme.create_role(input).await, "name");
    let admin = RoleInput {
        name: "tenantadmin".to_owned(),
        description: String::new(),
    };
    assert_already_exists(acme.create_role(admin).await, "name");
    assert_eq!(
        ok(acme.list_roles(&PageRequest::default()).await).total_count,
        2
    );
}

/// The built-in `TenantAdmin` role can't be deleted.
pub async fn role_tenant_admin_undeletable(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let Some(admin) = ok(acme.find_role_by_name(TENANT_ADMIN).await) else {
        panic!("a new tenant has no `{TENANT_ADMIN}` role");
    };
    let message = conflict_message(acme.delete_role(admin.id).await);
    assert!(message.contains(TENANT_ADMIN), "{message}");
    assert_eq!(ok(acme.get_role(admin.id).await), admin);
}

/// Roles are assigned to and removed from users and clients, and repeats change nothing.
pub async fn role_assign_and_unassign(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let role = create_role(&acme, "Auditor").await;
    let user = SubjectId::User(create_user(&acme, "jane@example.com").await.id);
    let client = SubjectId::Client(create_client(&acme, "Billing").await.client_id);
    ok(acme.assign_role(&user, role.id).await);
    ok(acme.assign_role(&client, role.id).await);

    let events_before = audit_events(&acme).await.len();
    ok(acme.assign_role(&user, role.id).await);
    assert_eq!(audit_events(&acme).await.len(), events_before);
    assert_eq!(ok(acme.roles_of(&user).await), vec![role.clone()]);
    assert_eq!(ok(acme.roles_of(&client).await), vec![role.clone()]);
    assert!(ok(acme.has_role(&user, "auditor").await));
    assert!(ok(acme.has_role(&client, "Auditor").await));
    assert!(!ok(acme.has_role(&user, TENANT_ADMIN).await));
    assert!(!ok(acme.has_role(&user, "no such role").await));

    ok(acme.unassign_role(&user, role.id).await);
    assert!(ok(acme.roles_of(&user).await).is_empty());
    assert!(!ok(acme.has_role(&user, "Auditor").await));
    assert!(ok(acme.has_role(&client, "Auditor").await));
    let events_before = audit_events(&acme).await.len();
    ok(acme.unassign_role(&user, role.id).await);
    assert_eq!(audit_events(&acme).await.len(), events_before);
}

/// Roles are listed by name for a subject holding several.
pub async fn role_roles_of_sorted(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let user = SubjectId::User(create_user(&acme, "jane@example.com").await.id);
    let Some(admin) = ok(acme.find_role_by_name(TENANT_ADMIN).await) else {
        panic!("a new tenant has no `{TENANT_ADMIN}` role");
    };
    for name in ["writer", "Auditor", "reader"] {
        let role = create_role(&acme, name).await;
        ok(acme.assign_role(&user, role.id).await);
    }
    ok(acme.assign_role(&user, admin.id).await);
    let roles = ok(acme.roles_of(&user).await);
    assert_eq!(
        role_names(&roles),
        ["Auditor", "reader", TENANT_ADMIN, "writer"]
    );
}

/// Assigning a role to a group is rejected, because roles go to users and clients only.
pub async fn role_group_assignment_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let role = create_role(&acme, "Auditor").await;
    let group = SubjectId::Group(create_group(&acme, "Finance").await.id);
    assert!(!validation_messages(acme.assign_role(&group, role.id).await, "subject").is_empty());
    assert!(!validation_messages(acme.unassign_role(&group, role.id).await, "subject").is_empty());
    assert!(ok(acme.roles_of(&group).await).is_empty());
    let unknown_role = RoleId::from_uuid(uuid::Uuid::new_v4());
    let user = SubjectId::User(create_user(&acme, "jane@example.com").await.id);
    assert_not_found(acme.assign_role(&user, unknown_role).await);
}

/// Deleting a role removes every assignment of it, and its name is free again.
pub async fn role_delete_removes_assignments(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let role = create_role(&acme, "Auditor").await;
    let user = SubjectId::User(create_user(&acme, "jane@example.com").await.id);
    let client = SubjectId::Client(create_client(&acme, "Billing").await.client_id);
    ok(acme.assign_role(&user, role.id).await);
    ok(acme.assign_role(&client, role.id).await);

    ok(acme.delete_role(role.id).await);
    assert_not_found(acme.get_role(role.id).await);
    assert!(ok(acme.roles_of(&user).await).is_empty());
    assert!(ok(acme.roles_of(&client).await).is_empty());
    assert!(!ok(acme.has_role(&user, "Auditor").await));
    assert_eq!(references_to(&acme, &role.id).await, Vec::<String>::new());
    let again = create_role(&acme, "auditor").await;
    assert!(!ok(acme.has_role(&user, "Auditor").await));
    assert_ne!(again.id, role.id);
}

/// Every tenant lists the six built-in scopes.
pub async fn scope_built_ins_listed(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let scopes = ok(acme.list_scopes(&PageRequest::default()).await);
    let mut names: Vec<&str> = scopes
        .items
        .iter()
        .map(|scope| scope.name.as_str())
        .collect();
    names.sort_unstable();
    let mut expected = [
        "openid",
        "profile",
        "email",
        "phone",
        "offline_access",
        "services.iam",
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert_eq!(scopes.total_count, BUILT_IN_SCOPES.len() as u64);
    assert!(scopes.items.iter().all(|scope| scope.built_in));
    let openid = ok(acme.get_scope("openid").await);
    assert!(openid.built_in);
}

/// A tenant scope is created, read, updated with version checks and deleted.
pub async fn scope_tenant_lifecycle(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let scope = ok(acme
        .create_scope(scope_input("reports.read", "Read reports"))
        .await);
    assert_eq!(scope.version, 1);
    assert!(!scope.built_in);
    assert_eq!(ok(acme.get_scope("reports.read").await), scope);

    let updated = ok(acme
        .update_scope(
            "reports.read",
            scope_input("reports.read", "Reports"),
            Some(1),
        )
        .await);
    assert_eq!(updated.version, 2);
    assert_eq!(updated.display_name, "Reports");
    let stale = acme
        .update_scope("reports.read", scope_input("reports.read", "Old"), Some(1))
        .await;
    assert_version_mismatch(stale, 1, 2);
    let renamed = acme
        .update_scope(
            "reports.read",
            scope_input("reports.write", "Reports"),
            None,
        )
        .await;
    assert!(!validation_messages(renamed, "name").is_empty());
    assert_eq!(ok(acme.get_scope("reports.read").await), updated);
    let listed = ok(acme.list_scopes(&PageRequest::default()).await);
    assert_eq!(listed.total_count, BUILT_IN_SCOPES.len() as u64 + 1);

    ok(acme.delete_scope("reports.read").await);
    assert_not_found(acme.get_scope("reports.read").await);
    assert_not_found(acme.delete_scope("reports.read").await);
    assert_already_exists(
        acme.create_scope(scope_input("openid", "Mine")).await,
        "name",
    );
}

/// A built-in name or a taken tenant scope name can't be created again.
pub async fn scope_taken_name_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    for (name, _, _) in BUILT_IN_SCOPES {
        assert_already_exists(acme.create_scope(scope_input(name, "Mine")).await, "name");
    }
    ok(acme
        .create_scope(scope_input("reports.read", "Read reports"))
        .await);
    assert_already_exists(
        acme.create_scope(scope_input("reports.read", "Again"))
            .await,
        "name",
    );
}

/// Built-in scopes can't be updated or deleted.
pub async fn scope_built_in_immutable(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let update = acme
        .update_scope("profile", scope_input("profile", "Mine"), None)
        .await;
    assert!(conflict_message(update).contains("profile"));
    let delete = acme.delete_scope("email").await;
    assert!(conflict_message(delete).contains("email"));
    assert_eq!(ok(acme.get_scope("profile").await).display_name, "Profile");
}

/// A scope that a client allows can't be deleted, and the conflict names the client.
pub async fn scope_in_use_undeletable(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    ok(acme
        .create_scope(scope_input("reports.read", "Read reports"))
        .await);
    let input = ClientInput {
        allowed_scopes: vec!["reports.read".to_owned()],
        ..client_input("Reports")
    };
    let client = ok(acme.create_client(input).await);

    let message = conflict_message(acme.delete_scope("reports.read").await);
    assert!(message.contains(&client.client_id.to_string()), "{message}");
    ok(acme.get_scope("reports.read").await);

    // A client that gains the scope through an update blocks the deletion too.
    let later = create_client(&acme, "Later").await;
    let with_scope = ClientInput {
        allowed_scopes: vec!["reports.read".to_owned()],
        ..client_input("Later")
    };
    ok(acme.update_client(later.client_id, with_scope, None).await);
    ok(acme
        .update_client(client.client_id, client_input("Reports"), None)
        .await);
    let message = conflict_message(acme.delete_scope("reports.read").await);
    assert!(message.contains(&later.client_id.to_string()), "{message}");
    assert!(
        !message.contains(&client.client_id.to_string()),
        "{message}"
    );

    ok(acme.delete_client(later.client_id).await);
    ok(acme.delete_scope("reports.read").await);
}

/// Scope names outside the OAuth scope-token characters are rejected on `name`.
pub async fn scope_invalid_names_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let too_long = "s".repeat(201);
    for name in [
        "",
        "has space",
        "quote\"d",
        "back\\slash",
        "caf\u{e9}",
        "tab\t",
        too_long.as_str(),
    ] {
        let result = acme.create_scope(scope_input(name, "Name")).await;
        assert!(!validation_messages(result, "name").is_empty(), "{name:?}");
    }
    ok(acme
        .create_scope(scope_input(&"s".repeat(200), "Name"))
        .await);
    let client = ClientInput {
        allowed_scopes: vec!["has space".to_owned()],
        ..client_input("Reports")
    };
    assert!(!validation_messages(acme.create_client(client).await, "allowedScopes").is_empty());
}
