//! Cases for policies, checks and the policy index.

use super::Backend;
use super::support::{banking_catalog, create_tenant, ok, open_iam_with_banking, open_store};
use crate::action::ActionName;
use crate::error::IamError;
use crate::group::GroupInput;
use crate::iam::{Iam, TenantIam};
use crate::id::{GroupId, SubjectId, UserId};
use crate::paging::CursorRequest;
use crate::policy::{CheckRequest, Decision, DenyReason, PolicyFilter};
use crate::scope::ResourceScope;
use crate::user::{NewUser, UserUpdate};

async fn user(tenant: &TenantIam, email: &str) -> SubjectId {
    let input = NewUser {
        email: email.to_owned(),
        ..NewUser::default()
    };
    SubjectId::User(ok(tenant.create_user(input).await).id)
}

async fn group(tenant: &TenantIam, name: &str) -> SubjectId {
    let input = GroupInput {
        display_name: name.to_owned(),
        description: String::new(),
    };
    SubjectId::Group(ok(tenant.create_group(input).await).id)
}

fn group_id(subject: SubjectId) -> GroupId {
    match subject {
        SubjectId::Group(id) => id,
        other => panic!("`{other}` is not a group"),
    }
}

fn user_id(subject: SubjectId) -> UserId {
    match subject {
        SubjectId::User(id) => id,
        other => panic!("`{other}` is not a user"),
    }
}

async fn grant(tenant: &TenantIam, subject: SubjectId, action: &str, scope: &str) {
    ok(tenant.create_policy(&subject, action, scope).await);
}

fn allowed(tenant: &TenantIam, subject: SubjectId, action: &str, scope: &str) -> bool {
    tenant.check(&subject, action, scope).is_allowed()
}

async fn banking_tenant(backend: &dyn Backend) -> (Iam, TenantIam) {
    let iam = open_iam_with_banking(backend).await;
    let tenant = create_tenant(&iam, "bank").await;
    (iam, tenant)
}

/// A direct policy allows its action on its scope and below, and nothing else.
pub async fn policy_direct_grant_allows(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions/12"
    ));
    grant(&tenant, alice, "banking.pis.read", "/subscriptions/12").await;
    assert!(allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions/12"
    ));
    assert!(allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions/12/x"
    ));
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.write",
        "/subscriptions/12"
    ));
}

/// Scopes match whole segments: `/subscriptions/12` never covers `/subscriptions/123`.
pub async fn policy_scope_matches_whole_segments(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    grant(&tenant, alice, "banking.pis.read", "/subscriptions/12").await;
    assert!(allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions/12"
    ));
    assert!(allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions/12/"
    ));
    assert!(allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions/12/x"
    ));
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions/123"
    ));
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions/1"
    ));
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/subscriptions"
    ));
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "/Subscriptions/12"
    ));
}

/// Actions cover descendants only, never names that merely share a prefix.
pub async fn policy_action_covers_descendants_only(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let bob = user(&tenant, "bob@example.com").await;
    grant(&tenant, alice, "banking.pis.read", "/").await;
    grant(&tenant, bob, "banking.manage", "/").await;
    assert!(!allowed(&tenant, alice, "banking.pis.readwrite", "/x"));
    assert!(!allowed(&tenant, alice, "banking.pis.manage", "/x"));
    assert!(allowed(&tenant, bob, "banking.pis.readwrite", "/x"));
    assert!(allowed(&tenant, bob, "banking.ais.read", "/x"));
    assert!(allowed(&tenant, bob, "BANKING.PIS.READ", "/x"));
}

/// Groups nested four deep pass their grant down to a user at the bottom, and the
/// decision names the whole membership path.
pub async fn policy_nested_groups_grant_with_path(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let levels = [
        group(&tenant, "level 1").await,
        group(&tenant, "level 2").await,
        group(&tenant, "level 3").await,
        group(&tenant, "level 4").await,
    ];
    ok(tenant.add_members(group_id(levels[0]), &[alice]).await);
    for pair in levels.windows(2) {
        ok(tenant.add_members(group_id(pair[1]), &[pair[0]]).await);
    }
    grant(&tenant, levels[3], "banking.ais.read", "/accounts").await;
    match tenant.check(&alice, "banking.ais.read", "/accounts/1") {
        Decision::Allow(found) => {
            assert_eq!(found.subject, levels[3]);
            assert_eq!(
                found.path,
                vec![alice, levels[0], levels[1], levels[2], levels[3]]
            );
            assert_eq!(found.scope.as_str(), "/accounts");
        }
        other => panic!("expected allow, got {other}"),
    }
}

/// Removing a member revokes what the group granted at once.
pub async fn policy_member_removal_revokes(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let team = group(&tenant, "team").await;
    grant(&tenant, team, "banking.ais.read", "/").await;
    ok(tenant.add_members(group_id(team), &[alice]).await);
    assert!(allowed(&tenant, alice, "banking.ais.read", "/a"));
    ok(tenant.remove_members(group_id(team), &[alice]).await);
    assert!(!allowed(&tenant, alice, "banking.ais.read", "/a"));
}

/// Deleting a group revokes what it granted to members, directly and transitively.
pub async fn policy_group_delete_revokes(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let inner = group(&tenant, "inner").await;
    let outer = group(&tenant, "outer").await;
    ok(tenant.add_members(group_id(inner), &[alice]).await);
    ok(tenant.add_members(group_id(outer), &[inner]).await);
    grant(&tenant, outer, "banking.ais.read", "/").await;
    grant(&tenant, inner, "banking.pis.read", "/").await;
    ok(tenant.delete_group(group_id(outer)).await);
    assert!(!allowed(&tenant, alice, "banking.ais.read", "/a"));
    assert!(allowed(&tenant, alice, "banking.pis.read", "/a"));
    ok(tenant.delete_group(group_id(inner)).await);
    assert!(!allowed(&tenant, alice, "banking.pis.read", "/a"));
}

/// A disabled user is denied with that reason, and allowed again when re-enabled.
pub async fn policy_disabled_user_denied(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    grant(&tenant, alice, "banking.ais.read", "/").await;
    let update = |active| UserUpdate {
        full_name: String::new(),
        phone_number: None,
        active,
    };
    ok(tenant
        .update_user(user_id(alice), update(false), None)
        .await);
    assert_eq!(
        tenant.check(&alice, "banking.ais.read", "/a"),
        Decision::Deny(DenyReason::DisabledUser(user_id(alice)))
    );
    ok(tenant.update_user(user_id(alice), update(true), None).await);
    assert!(allowed(&tenant, alice, "banking.ais.read", "/a"));
}

/// A deleted user is denied, and a new user with the same e-mail inherits nothing.
pub async fn policy_deleted_user_revoked(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let team = group(&tenant, "team").await;
    ok(tenant.add_members(group_id(team), &[alice]).await);
    grant(&tenant, alice, "banking.ais.read", "/").await;
    grant(&tenant, team, "banking.pis.read", "/").await;
    ok(tenant.delete_user(user_id(alice)).await);
    assert!(matches!(
        tenant.check(&alice, "banking.ais.read", "/a"),
        Decision::Deny(DenyReason::UnknownSubject(_))
    ));
    let again = user(&tenant, "alice@example.com").await;
    assert_ne!(again, alice);
    assert!(!allowed(&tenant, again, "banking.ais.read", "/a"));
    assert!(!allowed(&tenant, again, "banking.pis.read", "/a"));
}

/// Each kind of invalid request is denied with its own reason.
pub async fn policy_deny_reasons(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let ghost = SubjectId::User(UserId::from_uuid(uuid::Uuid::nil()));
    let deny = |subject, action, scope| match tenant.check(&subject, action, scope) {
        Decision::Deny(reason) => reason,
        other => panic!("expected deny, got {other}"),
    };
    assert!(matches!(
        deny(ghost, "banking.ais.read", "/"),
        DenyReason::UnknownSubject(_)
    ));
    assert!(matches!(
        deny(alice, "banking..read", "/"),
        DenyReason::InvalidAction(_)
    ));
    assert!(matches!(
        deny(alice, "banking.unknown", "/"),
        DenyReason::UnknownAction(_)
    ));
    assert!(matches!(
        deny(alice, "banking.ais.read", "/a/../b"),
        DenyReason::InvalidScope(_)
    ));
    assert!(matches!(
        deny(alice, "banking.ais.read", "relative"),
        DenyReason::InvalidScope(_)
    ));
    assert_eq!(
        deny(alice, "banking.ais.read", "/a"),
        DenyReason::NoMatchingPolicy
    );
}

/// Scopes of another origin never match, and `/` covers only relative scopes.
pub async fn policy_other_origin_never_matches(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    grant(&tenant, alice, "banking.ais.read", "/").await;
    grant(
        &tenant,
        alice,
        "banking.pis.read",
        "https://api.example.com/tenants/t1",
    )
    .await;
    assert!(!allowed(
        &tenant,
        alice,
        "banking.ais.read",
        "https://api.example.com/x"
    ));
    assert!(allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "HTTPS://API.example.com:443/tenants/t1/a"
    ));
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "https://api.example.com/tenants/t10"
    ));
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "http://api.example.com/tenants/t1"
    ));
    assert!(!allowed(
        &tenant,
        alice,
        "banking.pis.read",
        "https://other.example.com/tenants/t1"
    ));
    assert!(!allowed(&tenant, alice, "banking.pis.read", "/tenants/t1"));
}

/// A policy in one tenant never answers for the same subject id in another tenant.
pub async fn policy_other_tenant_never_matches(backend: &dyn Backend) {
    let (iam, first) = banking_tenant(backend).await;
    let second = create_tenant(&iam, "other").await;
    let alice = user(&first, "alice@example.com").await;
    grant(&first, alice, "banking.ais.read", "/").await;
    assert!(matches!(
        second.check(&alice, "banking.ais.read", "/a"),
        Decision::Deny(DenyReason::UnknownSubject(_))
    ));
    let result = second.create_policy(&alice, "banking.ais.read", "/").await;
    assert!(
        matches!(result, Err(IamError::NotFound { .. })),
        "{result:?}"
    );
}

/// Creating an existing policy returns it unchanged; bad input names the field.
pub async fn policy_create_rules(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let (first, created) = ok(tenant
        .create_policy(&alice, "banking.ais.read", "/a/")
        .await);
    assert!(created);
    assert_eq!(first.scope.as_str(), "/a");
    let (second, created) = ok(tenant.create_policy(&alice, "BANKING.ais.read", "/a").await);
    assert!(!created);
    assert_eq!(second, first);

    let field_of = |result: Result<_, IamError>| match result {
        Err(IamError::Validation(errors)) => errors.fields().keys().cloned().collect::<Vec<_>>(),
        other => panic!("expected a validation error, got {other:?}"),
    };
    assert_eq!(
        field_of(tenant.create_policy(&alice, "banking.unknown", "/").await),
        ["action"]
    );
    assert_eq!(
        field_of(
            tenant
                .create_policy(&alice, "banking.ais.read", "/a//b")
                .await
        ),
        ["scope"]
    );
    assert_eq!(
        field_of(tenant.create_policy(&alice, "*", "*").await),
        ["action", "scope"]
    );
    let ghost = SubjectId::Group(GroupId::from_uuid(uuid::Uuid::nil()));
    assert!(matches!(
        tenant.create_policy(&ghost, "banking.ais.read", "/").await,
        Err(IamError::NotFound { .. })
    ));
}

/// Deleting a policy revokes it at once; deleting a missing one is `NotFound`.
pub async fn policy_delete_revokes(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    grant(&tenant, alice, "banking.ais.read", "/a").await;
    ok(tenant
        .delete_policy(&alice, "banking.ais.read", "/a/")
        .await);
    assert!(!allowed(&tenant, alice, "banking.ais.read", "/a"));
    let again = tenant.delete_policy(&alice, "banking.ais.read", "/a").await;
    assert!(matches!(again, Err(IamError::NotFound { .. })), "{again:?}");
}

/// 23 policies read at page size 10 come as 10, 10 and 3, in order, none repeated.
pub async fn policy_list_cursor_pages(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    for index in 0..23 {
        grant(
            &tenant,
            alice,
            "banking.ais.read",
            &format!("/accounts/{index:02}"),
        )
        .await;
    }
    let mut sizes = Vec::new();
    let mut scopes = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = ok(tenant
            .list_policies(
                &PolicyFilter::default(),
                &CursorRequest::new(Some(10), cursor),
            )
            .await);
        sizes.push(page.items.len());
        scopes.extend(
            page.items
                .into_iter()
                .map(|policy| policy.scope.to_string()),
        );
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(sizes, [10, 10, 3]);
    let expected: Vec<String> = (0..23)
        .map(|index| format!("/accounts/{index:02}"))
        .collect();
    assert_eq!(scopes, expected);
}

/// Exact filters on subject, scope and action.
pub async fn policy_list_exact_filters(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let bob = user(&tenant, "bob@example.com").await;
    grant(&tenant, alice, "banking.ais.read", "/a").await;
    grant(&tenant, alice, "banking.pis.read", "/a/b").await;
    grant(&tenant, bob, "banking.ais.read", "/a/b").await;
    let list = |filter: PolicyFilter| {
        let tenant = tenant.clone();
        async move {
            ok(tenant
                .list_policies(&filter, &CursorRequest::default())
                .await)
            .items
            .len()
        }
    };
    assert_eq!(
        list(PolicyFilter {
            subject: Some(alice),
            ..PolicyFilter::default()
        })
        .await,
        2
    );
    let scope = ok(ResourceScope::parse("scope", "/a/b"));
    assert_eq!(
        list(PolicyFilter {
            scope: Some(scope),
            ..PolicyFilter::default()
        })
        .await,
        2
    );
    let action = ok(ActionName::parse("action", "banking.ais.read"));
    assert_eq!(
        list(PolicyFilter {
            action: Some(action),
            ..PolicyFilter::default()
        })
        .await,
        2
    );
}

/// `include_inherited` adds the policies of the subject's groups; `include_derived` adds
/// policies whose scope or action covers the given one.
pub async fn policy_list_inherited_and_derived(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let team = group(&tenant, "team").await;
    let department = group(&tenant, "department").await;
    ok(tenant.add_members(group_id(team), &[alice]).await);
    ok(tenant.add_members(group_id(department), &[team]).await);
    grant(&tenant, alice, "banking.ais.read", "/a/b").await;
    grant(&tenant, team, "banking.pis.read", "/a").await;
    grant(&tenant, department, "banking.manage", "/").await;

    let inherited = PolicyFilter {
        subject: Some(alice),
        include_inherited: true,
        ..PolicyFilter::default()
    };
    let page = ok(tenant
        .list_policies(&inherited, &CursorRequest::default())
        .await);
    assert_eq!(page.items.len(), 3);
    let mut subjects: Vec<String> = page
        .items
        .iter()
        .map(|policy| policy.subject.to_string())
        .collect();
    let sorted = {
        let mut copy = subjects.clone();
        copy.sort();
        copy
    };
    assert_eq!(subjects, sorted);
    subjects.dedup();
    assert_eq!(subjects.len(), 3);

    let derived_scope = PolicyFilter {
        scope: Some(ok(ResourceScope::parse("scope", "/a/b"))),
        include_derived: true,
        ..PolicyFilter::default()
    };
    assert_eq!(
        ok(tenant
            .list_policies(&derived_scope, &CursorRequest::default())
            .await)
        .items
        .len(),
        3
    );
    let derived_action = PolicyFilter {
        action: Some(ok(ActionName::parse("action", "banking.pis.read"))),
        include_derived: true,
        ..PolicyFilter::default()
    };
    let actions: Vec<String> = ok(tenant
        .list_policies(&derived_action, &CursorRequest::default())
        .await)
    .items
    .iter()
    .map(|policy| policy.action.to_string())
    .collect();
    assert_eq!(actions.len(), 2);
    assert!(actions.contains(&"banking.manage".to_owned()));
    assert!(actions.contains(&"banking.pis.read".to_owned()));
}

/// Effective permissions list direct and inherited policies with their origin.
pub async fn policy_effective_permissions(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let team = group(&tenant, "team").await;
    ok(tenant.add_members(group_id(team), &[alice]).await);
    grant(&tenant, alice, "banking.ais.read", "/a").await;
    grant(&tenant, team, "banking.pis.read", "/b").await;
    let permissions = ok(tenant.effective_permissions(&alice).await);
    assert_eq!(permissions.len(), 2);
    let direct = permissions
        .iter()
        .find(|permission| permission.policy.subject == alice);
    assert_eq!(
        direct.map(|permission| permission.inherited_from),
        Some(None)
    );
    let inherited = permissions
        .iter()
        .find(|permission| permission.policy.subject == team);
    assert_eq!(
        inherited.map(|permission| permission.inherited_from),
        Some(Some(team))
    );
}

/// A batch check answers each request in order, as single checks do.
pub async fn policy_check_batch_in_order(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    grant(&tenant, alice, "banking.ais.read", "/a").await;
    let requests: Vec<CheckRequest> = [("/a", true), ("/b", false), ("/a/c", true), ("bad", false)]
        .iter()
        .map(|(scope, _)| CheckRequest {
            subject: alice,
            action: "banking.ais.read".to_owned(),
            scope: (*scope).to_owned(),
        })
        .collect();
    let decisions = tenant.check_batch(&requests);
    let answers: Vec<bool> = decisions.iter().map(Decision::is_allowed).collect();
    assert_eq!(answers, [true, false, true, false]);
    for (request, decision) in requests.iter().zip(&decisions) {
        assert_eq!(
            &tenant.check(&request.subject, &request.action, &request.scope),
            decision
        );
    }
}

/// The index loaded at open gives the same decisions as the one kept up to date.
pub async fn policy_index_survives_reopen(backend: &dyn Backend) {
    let requests = [
        ("banking.ais.read", "/a/x"),
        ("banking.pis.read", "/b"),
        ("banking.pis.write", "/a"),
        ("banking.ais.read", "/c"),
    ];
    let (alice, before) = {
        let (iam, tenant) = banking_tenant(backend).await;
        let alice = user(&tenant, "alice@example.com").await;
        let team = group(&tenant, "team").await;
        let department = group(&tenant, "department").await;
        ok(tenant.add_members(group_id(team), &[alice]).await);
        ok(tenant.add_members(group_id(department), &[team]).await);
        grant(&tenant, department, "banking.ais.read", "/a").await;
        grant(&tenant, team, "banking.pis.manage", "/b").await;
        let before: Vec<Decision> = requests
            .iter()
            .map(|(action, scope)| tenant.check(&alice, action, scope))
            .collect();
        drop(tenant);
        drop(iam);
        (alice, before)
    };
    let iam = open_iam_with_banking(backend).await;
    let tenant_id = match ok(iam.find_tenant("bank").await) {
        Some(tenant) => tenant.id,
        None => panic!("tenant `bank` is missing after reopen"),
    };
    let tenant = ok(iam.tenant(tenant_id, crate::audit::Actor::Operator).await);
    let after: Vec<Decision> = requests
        .iter()
        .map(|(action, scope)| tenant.check(&alice, action, scope))
        .collect();
    assert_eq!(after, before);
    assert_eq!(
        after
            .iter()
            .filter(|decision| decision.is_allowed())
            .count(),
        2
    );
}

/// A policy whose action leaves the catalogue stays stored, grants nothing and is
/// counted; it grants again once the action returns.
pub async fn policy_orphaned_action_grants_nothing(backend: &dyn Backend) {
    let alice = {
        let catalog = ok(banking_catalog()
            .action("legacy.read", "Old action", None::<String>)
            .build());
        let iam = ok(Iam::builder(open_store(backend).await)
            .catalog(catalog)
            .open()
            .await);
        let tenant = create_tenant(&iam, "bank").await;
        let alice = user(&tenant, "alice@example.com").await;
        grant(&tenant, alice, "legacy.read", "/").await;
        assert!(allowed(&tenant, alice, "legacy.read", "/a"));
        alice
    };
    let iam = open_iam_with_banking(backend).await;
    let tenant_id = ok(iam.find_tenant("bank").await).map(|tenant| tenant.id);
    let Some(tenant_id) = tenant_id else {
        panic!("tenant `bank` is missing after reopen")
    };
    let tenant = ok(iam.tenant(tenant_id, crate::audit::Actor::Operator).await);
    assert!(matches!(
        tenant.check(&alice, "legacy.read", "/a"),
        Decision::Deny(DenyReason::UnknownAction(_))
    ));
    assert_eq!(tenant.policy_index_stats().orphaned_policies, 1);
    let filter = PolicyFilter {
        subject: Some(alice),
        ..PolicyFilter::default()
    };
    assert_eq!(
        ok(tenant
            .list_policies(&filter, &CursorRequest::default())
            .await)
        .items
        .len(),
        1
    );
}

/// The most specific grant determines the answer when several apply.
pub async fn policy_most_specific_grant_determines(backend: &dyn Backend) {
    let (_iam, tenant) = banking_tenant(backend).await;
    let alice = user(&tenant, "alice@example.com").await;
    let team = group(&tenant, "team").await;
    ok(tenant.add_members(group_id(team), &[alice]).await);
    grant(&tenant, team, "banking.pis.read", "/a/b/c").await;
    grant(&tenant, alice, "banking.manage", "/").await;
    grant(&tenant, alice, "banking.pis.manage", "/a/b").await;
    match tenant.check(&alice, "banking.pis.read", "/a/b/c/d") {
        Decision::Allow(found) => {
            assert_eq!(found.subject, alice);
            assert_eq!(found.path, vec![alice]);
            assert_eq!(found.scope.as_str(), "/a/b");
            assert_eq!(found.action.as_str(), "banking.pis.manage");
        }
        other => panic!("expected allow, got {other}"),
    }
}
