//! Cases for the audit trail, and for keeping secret values out of every output.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};

use super::Backend;
use super::fixtures::{
    add_secret, assert_already_exists, audit_events, audit_matching, create_client, create_group,
    create_user, failure, group_input, hash, new_user,
};
use super::support::{ok, open_tenant};
use crate::audit::{Actor, AuditFilter};
use crate::client::NewClientSecret;
use crate::id::SubjectId;
use crate::paging::CursorRequest;
use crate::secret::{ClientSecretValue, Password};
use crate::user::{NewUser, UserUpdate};

/// Every successful write adds exactly one event, and a failed write adds none.
pub async fn audit_one_event_per_write(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let group = create_group(&acme, "Finance").await;

    let before = audit_events(&acme).await.len();
    let user = create_user(&acme, "jane@example.com").await;
    let subject = SubjectId::User(user.id);
    let events = audit_events(&acme).await;
    assert_eq!(events.len(), before + 1);
    assert_eq!(events[0].operation, "user.create");
    assert_eq!(events[0].target, subject.to_string());

    let update = UserUpdate {
        full_name: "Jane Doe".to_owned(),
        phone_number: None,
        active: true,
    };
    ok(acme.update_user(user.id, update, Some(1)).await);
    let events = audit_events(&acme).await;
    assert_eq!(events.len(), before + 2);
    assert_eq!(events[0].operation, "user.update");

    ok(acme.add_members(group.id, &[subject]).await);
    ok(acme.create_policy(&subject, "iam.user.read", "/").await);
    let before_delete = audit_events(&acme).await.len();
    ok(acme.delete_user(user.id).await);
    let events = audit_events(&acme).await;
    assert_eq!(events.len(), before_delete + 1);
    assert_eq!(events[0].operation, "user.delete");
    assert_eq!(events[0].target, subject.to_string());

    let failed = acme.create_group(group_input("FINANCE")).await;
    assert_already_exists(failed, "displayName");
    assert_eq!(audit_events(&acme).await.len(), before_delete + 1);
}

/// Events are listed newest first, with ids counting down.
pub async fn audit_newest_first(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    create_user(&acme, "jane@example.com").await;
    create_client(&acme, "Billing").await;
    create_group(&acme, "Finance").await;

    let events = audit_events(&acme).await;
    let operations: Vec<&str> = events
        .iter()
        .map(|event| event.operation.as_str())
        .collect();
    assert_eq!(
        operations,
        [
            "group.create",
            "client.create",
            "user.create",
            "tenant.create"
        ]
    );
    let ids: Vec<u64> = events.iter().map(|event| event.id).collect();
    assert_eq!(ids, [4, 3, 2, 1]);
    for pair in events.windows(2) {
        assert!(pair[0].time >= pair[1].time, "{pair:?}");
    }
    assert!(events.iter().all(|event| event.tenant == acme.tenant().id));
}

/// Actor, target and operation filters each select exactly the matching events.
pub async fn audit_filters_match_exactly(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Automation").await;
    let robot = acme.with_actor(Actor::Subject(SubjectId::Client(client.client_id)));
    let jane = create_user(&robot, "jane@example.com").await;
    let john = create_user(&acme, "john@example.com").await;
    let update = UserUpdate {
        full_name: "Jane Doe".to_owned(),
        phone_number: None,
        active: true,
    };
    ok(robot.update_user(jane.id, update, None).await);

    let robot_name = SubjectId::Client(client.client_id).to_string();
    let by_actor = AuditFilter {
        actor: Some(robot_name.clone()),
        ..AuditFilter::default()
    };
    let events = audit_matching(&acme, &by_actor).await;
    let operations: Vec<&str> = events
        .iter()
        .map(|event| event.operation.as_str())
        .collect();
    assert_eq!(operations, ["user.update", "user.create"]);

    let by_target = AuditFilter {
        target: Some(SubjectId::User(john.id).to_string()),
        ..AuditFilter::default()
    };
    let events = audit_matching(&acme, &by_target).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, "operator");

    let by_operation = AuditFilter {
        operation: Some("user.create".to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(audit_matching(&acme, &by_operation).await.len(), 2);

    let combined = AuditFilter {
        actor: Some("operator".to_owned()),
        operation: Some("user.create".to_owned()),
        ..AuditFilter::default()
    };
    let events = audit_matching(&acme, &combined).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].target, SubjectId::User(john.id).to_string());
    let prefix_only = AuditFilter {
        operation: Some("user".to_owned()),
        ..AuditFilter::default()
    };
    assert!(audit_matching(&acme, &prefix_only).await.is_empty());
}

/// Twenty-five events read as cursor pages of 10, 10 and 5 with no repeats.
pub async fn audit_cursor_pages_events(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    // With the tenant's own creation event, 24 groups make 25 events.
    for index in 1..=24 {
        create_group(&acme, &format!("group {index:02}")).await;
    }

    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let request = CursorRequest::new(Some(10), cursor);
        let page = ok(acme.list_audit(&AuditFilter::default(), &request).await);
        sizes.push(page.items.len());
        ids.extend(page.items.iter().map(|event| event.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(sizes.len() < 10, "the cursor never ends: {sizes:?}");
    }
    assert_eq!(sizes, [10, 10, 5]);
    let expected: Vec<u64> = (1..=25).rev().collect();
    assert_eq!(ids, expected);
    let unique: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 25);

    let bad = CursorRequest::new(Some(10), Some("not a cursor!".to_owned()));
    let error = failure(acme.list_audit(&AuditFilter::default(), &bad).await);
    assert!(matches!(error, crate::IamError::Validation(_)), "{error:?}");
}

/// A handle acting as a subject records that subject's id as the actor.
pub async fn audit_subject_actor_recorded(backend: &dyn Backend) {
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let client = create_client(&acme, "Automation").await;
    let subject = SubjectId::Client(client.client_id);
    let robot = acme.with_actor(Actor::Subject(subject));
    let group = create_group(&robot, "Finance").await;

    let events = audit_events(&acme).await;
    assert_eq!(events[0].operation, "group.create");
    assert_eq!(events[0].target, SubjectId::Group(group.id).to_string());
    assert_eq!(events[0].actor, subject.to_string());
    assert_eq!(events[1].actor, "operator");
}

/// No secret value or hash reaches audit details, `Debug` output or error messages.
pub async fn audit_hides_secret_values(backend: &dyn Backend) {
    const SECRET: &str = "Plain-Secret-7x";
    const PASSWORD: &str = "Correct-Horse-Battery-9";
    let (_iam, acme) = open_tenant(backend, "acme").await;
    let mut printed = Vec::new();

    let secret_value = ok(ClientSecretValue::new(SECRET.to_owned()));
    let password = ok(Password::new(PASSWORD.to_owned()));
    printed.push(format!("{secret_value:?} {password:?}"));
    let secret_hash = hash(SECRET.as_bytes()).await;
    let password_hash = hash(PASSWORD.as_bytes()).await;
    printed.push(format!("{secret_hash:?} {password_hash:?}"));

    let input = NewUser {
        password_hash: Some(password_hash.clone()),
        ..new_user("jane@example.com")
    };
    printed.push(format!("{input:?}"));
    let user = ok(acme.create_user(input).await);
    printed.push(format!("{user:?}"));
    ok(acme.set_user_password(user.id, password_hash.clone()).await);
    printed.push(format!("{:?}", ok(acme.get_user(user.id).await)));

    let client = create_client(&acme, "Billing").await;
    let info = add_secret(&acme, &client, &secret_hash).await;
    printed.push(format!("{info:?}"));
    let credentials = ok(acme.client_credentials(&client.client_id.to_string()).await);
    printed.push(format!("{credentials:?}"));

    // Errors whose input carried the secret or its hash.
    let past = NewClientSecret {
        hash: secret_hash.clone(),
        description: String::new(),
        expiration: Some(Utc::now() - Duration::minutes(1)),
        tag: None,
    };
    printed.push(format!("{past:?}"));
    let error = failure(acme.add_client_secret(client.client_id, past).await);
    printed.push(format!("{error} {error:?}"));
    let short = format!("{SECRET}{SECRET}{SECRET}");
    let error = failure(ClientSecretValue::new(short));
    printed.push(format!("{error} {error:?}"));
    let error = failure(Password::new(SECRET[..8].to_owned()));
    printed.push(format!("{error} {error:?}"));
    let duplicate = NewUser {
        password_hash: Some(password_hash.clone()),
        ..new_user("jane@example.com")
    };
    let error = failure(acme.create_user(duplicate).await);
    printed.push(format!("{error} {error:?}"));
    ok(acme.delete_client(client.client_id).await);
    ok(acme.delete_user(user.id).await);

    for event in audit_events(&acme).await {
        printed.push(ok(serde_json::to_string(&event)));
        printed.push(format!("{event:?}"));
    }
    let forbidden = [
        SECRET,
        PASSWORD,
        &SECRET[..8],
        secret_hash.as_phc(),
        password_hash.as_phc(),
        "$argon2id$",
    ];
    for text in &printed {
        for value in forbidden {
            assert!(!text.contains(value), "`{value}` appears in: {text}");
        }
    }
}
