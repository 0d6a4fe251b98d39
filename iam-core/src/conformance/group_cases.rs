//! Cases for groups, memberships and subject lists.

use super::Backend;
use super::fixtures::{
    assert_already_exists, assert_not_found, assert_version_mismatch, audit_events,
    conflict_message, create_client, create_group, create_user, failure, group_input, member_ids,
    membership_ids, new_user, policies_of, references_to, subject_ids, validation_messages,
};
use super::support::{ok, open_tenant};
use crate::error::IamError;
use crate::group::{GroupInput, MAX_MEMBERS_PER_CHANGE};
use crate::iam::TenantIam;
use crate::id::{GroupId, SubjectId, SubjectKind, UserId};
use crate::paging::PageRequest;
use crate::subject::Subject;
use crate::user::NewUser;

fn user_subject(user: &crate::user::User) -> SubjectId {
    SubjectId::User(user.id)
}

fn group_subject(group: &crate::group::Group) -> SubjectId {
    SubjectId::Group(group.id)
}

async fn member_count(handle: &TenantIam, group: GroupId) -> u64 {
    match ok(handle.get_subject(&SubjectId::Group(group)).await) {
        Subject::Group { member_count, .. } => member_count,
        other => panic!("expected a group subject, got {other:?}"),
    }
}

/// Creates a user whose subject-list display name is `full_name`.
async fn create_named_user(handle: &TenantIam, email: &str, full_name: &str) -> SubjectId {
    let input = NewUser {
        full_name: full_name.to_owned(),
        ..new_user(email)
    };
    SubjectId::User(ok(handle.create_user(input).await).id)
}

/// A created group reads back with its fields and version 1.
pub async fn group_create_then_get(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let input = GroupInput {
        display_name: "Finance Team".to_owned(),
        description: "Pays the bills".to_owned(),
    };
    let group = ok(acme.create_group(input).await);
    assert_eq!(group.version, 1);
    let read = ok(acme.get_group(group.id).await);
    assert_eq!(read, group);
    assert_eq!(read.description, "Pays the bills");
    let invalid = acme.create_group(group_input(" padded ")).await;
    assert!(!validation_messages(invalid, "displayName").is_empty());
}

/// A display name that differs from a taken one only in case is rejected.
pub async fn group_duplicate_name_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_group(&acme, "Finance").await;
    assert_already_exists(
        acme.create_group(group_input("FINANCE")).await,
        "displayName",
    );
    let subjects = PageRequest::subjects(None, None, None);
    let listed = ok(acme
        .list_subjects(Some(SubjectKind::Group), &subjects)
        .await);
    assert_eq!(listed.total_count, 1);
}

/// Renaming to another group's name is rejected, but changing only the case is allowed.
pub async fn group_rename_to_taken_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let finance = create_group(&acme, "Finance").await;
    create_group(&acme, "Sales").await;
    let renamed = acme
        .update_group(finance.id, group_input("sales"), None)
        .await;
    assert_already_exists(renamed, "displayName");
    assert_eq!(ok(acme.get_group(finance.id).await).display_name, "Finance");

    let recased = ok(acme
        .update_group(finance.id, group_input("FINANCE"), None)
        .await);
    assert_eq!(recased.display_name, "FINANCE");
    let moved = ok(acme
        .update_group(finance.id, group_input("Accounting"), None)
        .await);
    assert_eq!(moved.version, 3);
    // The old name is free again after the rename.
    create_group(&acme, "finance").await;
}

/// An update naming the current version applies, and a stale one is `VersionMismatch`.
pub async fn group_stale_update_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;
    let updated = ok(acme
        .update_group(group.id, group_input("Finance EU"), Some(1))
        .await);
    assert_eq!(updated.version, 2);
    let stale = acme
        .update_group(group.id, group_input("Finance US"), Some(1))
        .await;
    assert_version_mismatch(stale, 1, 2);
    let read = ok(acme.get_group(group.id).await);
    assert_eq!(read.display_name, "Finance EU");
    assert_eq!(read.version, 2);
}

/// Users, clients and groups can all be members, and each appears once.
pub async fn group_add_members_of_each_kind(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;
    let user = user_subject(&create_user(&acme, "jane@example.com").await);
    let client = SubjectId::Client(create_client(&acme, "Billing").await.client_id);
    let child = group_subject(&create_group(&acme, "Auditors").await);
    ok(acme
        .add_members(group.id, &[user, client, child, user])
        .await);

    let mut members = member_ids(&acme, group.id).await;
    members.sort();
    let mut expected = vec![user, client, child];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(member_count(&acme, group.id).await, 3);
    for subject in [user, client, child] {
        assert_eq!(membership_ids(&acme, &subject, false).await, [group.id]);
    }
}

/// A list with unknown subjects fails with exactly those ids and adds nothing.
pub async fn group_unknown_member_adds_nothing(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;
    let user = user_subject(&create_user(&acme, "jane@example.com").await);
    let client = SubjectId::Client(create_client(&acme, "Billing").await.client_id);
    let unknown_user = SubjectId::User(UserId::from_uuid(uuid::Uuid::new_v4()));
    let unknown_group = SubjectId::Group(GroupId::from_uuid(uuid::Uuid::new_v4()));
    let events_before = audit_events(&acme).await.len();

    // The unknown user is named twice but must be reported once.
    let members = [user, unknown_user, client, unknown_group, unknown_user];
    match failure(acme.add_members(group.id, &members).await) {
        IamError::NotFoundMany { ids, .. } => {
            assert_eq!(ids, [unknown_user.to_string(), unknown_group.to_string()]);
        }
        other => panic!("expected `NotFoundMany`, got {other} ({other:?})"),
    }
    assert!(member_ids(&acme, group.id).await.is_empty());
    assert!(membership_ids(&acme, &user, false).await.is_empty());
    assert_eq!(audit_events(&acme).await.len(), events_before);
}

/// Adding a subject that is already a member changes nothing and records no event.
pub async fn group_readding_member_ignored(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;
    let user = user_subject(&create_user(&acme, "jane@example.com").await);
    let client = SubjectId::Client(create_client(&acme, "Billing").await.client_id);
    ok(acme.add_members(group.id, &[user]).await);

    let events_before = audit_events(&acme).await.len();
    ok(acme.add_members(group.id, &[user]).await);
    assert_eq!(audit_events(&acme).await.len(), events_before);
    ok(acme.add_members(group.id, &[user, client]).await);
    assert_eq!(audit_events(&acme).await.len(), events_before + 1);
    assert_eq!(member_ids(&acme, group.id).await.len(), 2);
    assert_eq!(member_count(&acme, group.id).await, 2);
}

/// Member lists must name 1 to 100 subjects.
pub async fn group_member_list_size_checked(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;
    let empty = acme.add_members(group.id, &[]).await;
    assert!(!validation_messages(empty, "subjectIds").is_empty());
    let too_many: Vec<SubjectId> = (0..=MAX_MEMBERS_PER_CHANGE)
        .map(|_| SubjectId::User(UserId::from_uuid(uuid::Uuid::new_v4())))
        .collect();
    let result = acme.add_members(group.id, &too_many).await;
    assert!(!validation_messages(result, "subjectIds").is_empty());
    let result = acme.remove_members(group.id, &[]).await;
    assert!(!validation_messages(result, "subjectIds").is_empty());
}

/// A group can't be a member of itself.
pub async fn group_self_membership_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;
    let message = conflict_message(acme.add_members(group.id, &[group_subject(&group)]).await);
    assert!(message.contains("cycle"), "{message}");
    assert!(member_ids(&acme, group.id).await.is_empty());
}

/// With A in B, adding B to A is a cycle and is rejected.
pub async fn group_two_cycle_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let a = create_group(&acme, "A").await;
    let b = create_group(&acme, "B").await;
    ok(acme.add_members(b.id, &[group_subject(&a)]).await);
    let message = conflict_message(acme.add_members(a.id, &[group_subject(&b)]).await);
    assert!(
        message.contains(&group_subject(&b).to_string()),
        "{message}"
    );
    assert!(member_ids(&acme, a.id).await.is_empty());
    assert_eq!(member_ids(&acme, b.id).await, [group_subject(&a)]);
}

/// With A in B and B in C, adding C to A is a cycle and adds none of the list.
pub async fn group_three_cycle_rejected(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let a = create_group(&acme, "A").await;
    let b = create_group(&acme, "B").await;
    let c = create_group(&acme, "C").await;
    let user = user_subject(&create_user(&acme, "jane@example.com").await);
    ok(acme.add_members(b.id, &[group_subject(&a)]).await);
    ok(acme.add_members(c.id, &[group_subject(&b)]).await);

    let result = acme.add_members(a.id, &[user, group_subject(&c)]).await;
    assert!(conflict_message(result).contains("cycle"));
    assert!(member_ids(&acme, a.id).await.is_empty());
    assert!(
        membership_ids(&acme, &group_subject(&c), true)
            .await
            .is_empty()
    );
    assert_eq!(
        membership_ids(&acme, &group_subject(&a), true).await,
        [b.id, c.id]
    );
}

/// Removing non-members is ignored, and members are removed.
pub async fn group_remove_ignores_non_members(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;
    let jane = user_subject(&create_user(&acme, "jane@example.com").await);
    let john = user_subject(&create_user(&acme, "john@example.com").await);
    let client = SubjectId::Client(create_client(&acme, "Billing").await.client_id);
    ok(acme.add_members(group.id, &[jane, client]).await);

    let events_before = audit_events(&acme).await.len();
    let never_created = SubjectId::Group(GroupId::from_uuid(uuid::Uuid::new_v4()));
    ok(acme.remove_members(group.id, &[john, never_created]).await);
    assert_eq!(audit_events(&acme).await.len(), events_before);
    assert_eq!(member_ids(&acme, group.id).await.len(), 2);

    ok(acme.remove_members(group.id, &[jane, john]).await);
    assert_eq!(member_ids(&acme, group.id).await, [client]);
    assert!(membership_ids(&acme, &jane, false).await.is_empty());
    assert_eq!(audit_events(&acme).await.len(), events_before + 1);
}

/// Memberships list the direct groups, or every enclosing group across four levels.
pub async fn group_memberships_direct_and_transitive(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    // Names sort in the reverse of the nesting order, so the list order is by name.
    let level1 = create_group(&acme, "d level 1").await;
    let level2 = create_group(&acme, "c level 2").await;
    let level3 = create_group(&acme, "B level 3").await;
    let level4 = create_group(&acme, "a level 4").await;
    let user = user_subject(&create_user(&acme, "jane@example.com").await);
    ok(acme.add_members(level1.id, &[user]).await);
    ok(acme.add_members(level2.id, &[group_subject(&level1)]).await);
    ok(acme.add_members(level3.id, &[group_subject(&level2)]).await);
    ok(acme.add_members(level4.id, &[group_subject(&level3)]).await);

    assert_eq!(membership_ids(&acme, &user, false).await, [level1.id]);
    assert_eq!(
        membership_ids(&acme, &user, true).await,
        [level4.id, level3.id, level2.id, level1.id]
    );
    assert_eq!(
        membership_ids(&acme, &group_subject(&level2), false).await,
        [level3.id]
    );
    assert_eq!(
        membership_ids(&acme, &group_subject(&level2), true).await,
        [level4.id, level3.id]
    );
    assert!(
        membership_ids(&acme, &group_subject(&level4), true)
            .await
            .is_empty()
    );
    let unknown = SubjectId::User(UserId::from_uuid(uuid::Uuid::new_v4()));
    assert_not_found(acme.memberships(&unknown, true).await);
}

/// Members are listed by display name in pages with a total count.
pub async fn group_list_members_pages(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;
    let mut members = Vec::new();
    for index in (1..=12).rev() {
        let email = format!("member{index:02}@example.com");
        members.push(user_subject(&create_user(&acme, &email).await));
    }
    ok(acme.add_members(group.id, &members).await);
    members.reverse();

    let mut seen = Vec::new();
    for (page, expected_len) in [(1, 5), (2, 5), (3, 2), (4, 0)] {
        let request = PageRequest::items(Some(page), Some(5), None);
        let listed = ok(acme.list_members(group.id, &request).await);
        assert_eq!(listed.items.len(), expected_len, "page {page}");
        assert_eq!(listed.total_count, 12, "page {page}");
        seen.extend(subject_ids(&listed.items));
    }
    assert_eq!(seen, members);
    let search = PageRequest::items(None, None, Some("MEMBER1".to_owned()));
    assert_eq!(
        ok(acme.list_members(group.id, &search).await).total_count,
        3
    );
}

/// Deleting a group removes its memberships in both directions and its policies.
pub async fn group_delete_removes_memberships(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let parent = create_group(&acme, "Company").await;
    let group = create_group(&acme, "Finance").await;
    let child = create_group(&acme, "Payroll").await;
    let user = user_subject(&create_user(&acme, "jane@example.com").await);
    ok(acme.add_members(parent.id, &[group_subject(&group)]).await);
    ok(acme
        .add_members(group.id, &[user, group_subject(&child)])
        .await);
    ok(acme
        .create_policy(&group_subject(&group), "iam.user.read", "/")
        .await);

    ok(acme.delete_group(group.id).await);
    assert_not_found(acme.get_group(group.id).await);
    assert!(member_ids(&acme, parent.id).await.is_empty());
    assert_eq!(member_count(&acme, parent.id).await, 0);
    assert!(membership_ids(&acme, &user, true).await.is_empty());
    assert!(
        membership_ids(&acme, &group_subject(&child), true)
            .await
            .is_empty()
    );
    assert!(policies_of(&acme, &group_subject(&group)).await.is_empty());
    assert_eq!(references_to(&acme, &group.id).await, Vec::<String>::new());
    // The display name is free again.
    create_group(&acme, "finance").await;
}

/// A group's member count is its number of direct members only.
pub async fn group_member_count_is_direct(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let outer = create_group(&acme, "Outer").await;
    let inner = create_group(&acme, "Inner").await;
    let jane = user_subject(&create_user(&acme, "jane@example.com").await);
    let john = user_subject(&create_user(&acme, "john@example.com").await);
    let client = SubjectId::Client(create_client(&acme, "Billing").await.client_id);
    ok(acme.add_members(inner.id, &[jane, john]).await);
    ok(acme
        .add_members(outer.id, &[group_subject(&inner), client])
        .await);

    assert_eq!(member_count(&acme, outer.id).await, 2);
    assert_eq!(member_count(&acme, inner.id).await, 2);
    let request = PageRequest::subjects(None, None, None);
    let listed = ok(acme.list_subjects(Some(SubjectKind::Group), &request).await);
    for subject in &listed.items {
        let Subject::Group { member_count, .. } = subject else {
            panic!("expected only groups, got {subject:?}");
        };
        assert_eq!(*member_count, 2);
    }
}

/// Subjects of every kind are listed by display name case-insensitively, then by id.
pub async fn subject_list_orders_by_name(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let mut expected = vec![
        (
            "bravo",
            create_named_user(&acme, "b@example.com", "bravo").await,
        ),
        (
            "alpha",
            SubjectId::Client(create_client(&acme, "Alpha").await.client_id),
        ),
        (
            "charlie",
            group_subject(&create_group(&acme, "charlie").await),
        ),
        (
            "alpha",
            create_named_user(&acme, "a@example.com", "ALPHA").await,
        ),
        ("alpha", group_subject(&create_group(&acme, "alpha").await)),
        (
            "delta",
            SubjectId::Client(create_client(&acme, "Delta").await.client_id),
        ),
    ];
    // A user without a full name is listed under its user name.
    expected.push((
        "echo@example.com",
        user_subject(&create_user(&acme, "Echo@example.com").await),
    ));
    expected.sort_by_key(|(name, subject)| (*name, subject.to_string()));
    let expected: Vec<SubjectId> = expected.into_iter().map(|(_, subject)| subject).collect();

    let request = PageRequest::subjects(None, None, None);
    let listed = ok(acme.list_subjects(None, &request).await);
    assert_eq!(listed.total_count, 7);
    assert_eq!(subject_ids(&listed.items), expected);
}

/// A kind filter lists only subjects of that kind.
pub async fn subject_kind_filter_applies(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let user = user_subject(&create_user(&acme, "jane@example.com").await);
    let client = SubjectId::Client(create_client(&acme, "Billing").await.client_id);
    let group = group_subject(&create_group(&acme, "Finance").await);
    let request = PageRequest::subjects(None, None, None);
    for (kind, expected) in [
        (SubjectKind::User, user),
        (SubjectKind::Client, client),
        (SubjectKind::Group, group),
    ] {
        let listed = ok(acme.list_subjects(Some(kind), &request).await);
        assert_eq!(subject_ids(&listed.items), [expected], "{kind}");
        assert_eq!(listed.total_count, 1, "{kind}");
    }
    let search = PageRequest::subjects(None, None, Some("jane@".to_owned()));
    let found = ok(acme.list_subjects(None, &search).await);
    assert_eq!(subject_ids(&found.items), [user]);
    // `list_subjects` documents that the search text also matches the subject id.
    let search = PageRequest::subjects(None, None, Some(client.to_string().to_uppercase()));
    let found = ok(acme.list_subjects(None, &search).await);
    assert_eq!(subject_ids(&found.items), [client]);
}
