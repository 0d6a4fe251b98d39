//! The `/v1` operations: envelopes, policies and checks, groups, users and me.

use axum::http::{Method, StatusCode};
use iam_core::user::NewUser;
use iam_core::{Actor, id::TenantId};
use serde_json::{Value, json};

use crate::support::setup;

#[tokio::test]
async fn envelope_a_links_keep_query() {
    let app = setup().await;
    let admin = app.admin_token().await;
    for name in ["Auditor", "Billing", "Support"] {
        let reply = app
            .call(
                Method::POST,
                "/v1/roles",
                Some(&admin),
                Some(json!({ "name": name, "description": "" })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let reply = app
        .call(
            Method::GET,
            "/v1/roles?pageSize=2&page=2&searchText=",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["metadata"],
        json!({ "page": 2, "pageSize": 2, "totalCount": 4 })
    );
    let names: Vec<&str> = reply.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["Support", "TenantAdmin"]);
    let links = &reply.body["links"];
    assert_eq!(
        links["first"],
        "http://iam.test/v1/roles?pageSize=2&page=1&searchText="
    );
    assert_eq!(
        links["previous"],
        "http://iam.test/v1/roles?pageSize=2&page=1&searchText="
    );
    assert_eq!(links["next"], Value::Null);
    assert_eq!(
        links["last"],
        "http://iam.test/v1/roles?pageSize=2&page=2&searchText="
    );
}

#[tokio::test]
async fn envelope_a_clamps_page_size() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let reply = app
        .call(
            Method::GET,
            "/v1/scopes?pageSize=0&page=-3",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(reply.body["metadata"]["page"], 1);
    assert_eq!(reply.body["metadata"]["pageSize"], 1);
    let reply = app
        .call(Method::GET, "/v1/scopes?pageSize=abc", Some(&admin), None)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["errors"]["pageSize"].is_array(),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn envelope_b_of_subjects() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let group = app
        .call(
            Method::POST,
            "/v1/subjects/groups",
            Some(&admin),
            Some(json!({ "displayName": "Finance Team", "description": "money" })),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED);
    assert_eq!(group.body["type"], "Group");
    assert_eq!(group.body["$type"], "group");

    let reply = app
        .call(Method::GET, "/v1/subjects?pageSize=1", Some(&admin), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["pageSize"], 10,
        "page size is clamped to at least 10"
    );
    assert_eq!(reply.body["total"], 2);
    assert_eq!(reply.body["count"], 2);
    assert_eq!(reply.body["totalPages"], 1);
    assert_eq!(reply.body["data"][0]["displayName"], "admin");
    assert_eq!(reply.body["data"][1]["subjectId"], group.body["subjectId"]);

    let groups = app
        .call(
            Method::GET,
            "/v1/subjects/groups?searchQuery=finance",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(groups.body["total"], 1);
}

#[tokio::test]
async fn policy_cursor_pages() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let subject = format!("client-{}", app.admin.client_id);
    for scope in ["/a", "/b", "/c"] {
        app.grant(&admin, &subject, "iam.client.read", scope).await;
    }
    let mut cursor: Option<String> = None;
    let mut scopes = Vec::new();
    for _ in 0..5 {
        let uri = match &cursor {
            Some(cursor) => format!("/v1/policies?pageSize=2&subject={subject}&cursor={cursor}"),
            None => format!("/v1/policies?pageSize=2&subject={subject}"),
        };
        let reply = app.call(Method::GET, &uri, Some(&admin), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        for policy in reply.body["data"].as_array().cloned().unwrap_or_default() {
            scopes.push(policy["scope"].as_str().unwrap_or_default().to_owned());
        }
        cursor = reply.body["cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(scopes, ["/a", "/b", "/c"]);
}

#[tokio::test]
async fn policy_create_is_idempotent_and_deletable() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let body = json!({ "subject": format!("client-{}", app.admin.client_id), "scope": "/subscriptions/123/", "action": "iam.policy.read" });
    let first = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(body.clone()),
        )
        .await;
    let second = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(body.clone()),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body, second.body);
    assert_eq!(first.body["scope"], "/subscriptions/123");
    assert_eq!(first.body["tenant"], app.admin.tenant_id.as_str());

    let deleted = app
        .call(
            Method::DELETE,
            "/v1/policies",
            Some(&admin),
            Some(body.clone()),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app
        .call(Method::DELETE, "/v1/policies", Some(&admin), Some(body))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn policy_errors() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let unknown_action = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({ "subject": format!("client-{}", app.admin.client_id), "scope": "/", "action": "banking.pay" })),
        )
        .await;
    assert_eq!(unknown_action.status, StatusCode::BAD_REQUEST);
    assert!(unknown_action.body["errors"]["action"].is_array());
    let unknown_subject = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({ "subject": format!("user-{}", uuid::Uuid::new_v4()), "scope": "/", "action": "iam.manage" })),
        )
        .await;
    assert_eq!(unknown_subject.status, StatusCode::NOT_FOUND);
    let bad_scope = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({ "subject": format!("client-{}", app.admin.client_id), "scope": "/a//b", "action": "iam.manage" })),
        )
        .await;
    assert_eq!(bad_scope.status, StatusCode::BAD_REQUEST);
    assert!(bad_scope.body["errors"]["scope"].is_array());
}

#[tokio::test]
async fn check_and_batch() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let subject = format!("client-{}", app.admin.client_id);
    app.grant(&admin, &subject, "iam.manage", "/subscriptions/1")
        .await;

    let allowed = app
        .call(
            Method::POST,
            "/v1/policies/check",
            Some(&admin),
            Some(json!({ "subject": subject, "action": "iam.user.read", "scope": "/subscriptions/1/x" })),
        )
        .await;
    assert_eq!(allowed.body["allowed"], true);
    assert_eq!(allowed.body["decision"], "Allow");
    assert!(
        allowed.body["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("iam.manage")
    );

    let batch = app
        .call(
            Method::POST,
            "/v1/policies/check-batch",
            Some(&admin),
            Some(json!({ "checks": [
                { "subject": subject, "action": "iam.user.read", "scope": "/subscriptions/1" },
                { "subject": subject, "action": "iam.user.read", "scope": "/subscriptions/12" },
            ] })),
        )
        .await;
    assert_eq!(batch.body["results"][0]["decision"], "Allow");
    assert_eq!(batch.body["results"][1]["decision"], "Deny");

    let check = json!({ "subject": subject, "action": "iam.user.read", "scope": "/" });
    let full: Vec<Value> = (0..1000).map(|_| check.clone()).collect();
    let accepted = app
        .call(
            Method::POST,
            "/v1/policies/check-batch",
            Some(&admin),
            Some(json!({ "checks": full })),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK);
    assert_eq!(
        accepted.body["results"].as_array().map(Vec::len),
        Some(1000)
    );
    let too_many: Vec<Value> = (0..1001).map(|_| check.clone()).collect();
    let rejected = app
        .call(
            Method::POST,
            "/v1/policies/check-batch",
            Some(&admin),
            Some(json!({ "checks": too_many })),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::BAD_REQUEST);
    assert!(rejected.body["errors"]["checks"].is_array());
}

#[tokio::test]
async fn groups_members_and_permissions() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let group = app
        .call(
            Method::POST,
            "/v1/subjects/groups",
            Some(&admin),
            Some(json!({ "displayName": "Ops" })),
        )
        .await;
    let group_id = group.body["id"].as_str().unwrap_or_default().to_owned();
    let group_subject = group.body["subjectId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let member = format!("client-{}", app.admin.client_id);

    let added = app
        .call(
            Method::POST,
            &format!("/v1/subjects/groups/{group_subject}/members"),
            Some(&admin),
            Some(json!({ "subjectIds": [member] })),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.body);
    let missing = format!("user-{}", uuid::Uuid::new_v4());
    let unknown = app
        .call(
            Method::POST,
            &format!("/v1/subjects/groups/{group_id}/members"),
            Some(&admin),
            Some(json!({ "subjectIds": [missing] })),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(&missing)
    );
    let cycle = app
        .call(
            Method::POST,
            &format!("/v1/subjects/groups/{group_id}/members"),
            Some(&admin),
            Some(json!({ "subjectIds": [group_subject] })),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::CONFLICT);

    let members = app
        .call(
            Method::GET,
            &format!("/v1/subjects/groups/{group_id}/members"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(members.body["data"][0]["subjectId"], member.as_str());
    let memberships = app
        .call(
            Method::GET,
            &format!("/v1/subjects/{member}/memberships"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        memberships.body["data"][0]["subjectId"],
        group_subject.as_str()
    );
    assert_eq!(memberships.body["data"][0]["properties"]["memberCount"], 1);

    app.grant(&admin, &group_subject, "iam.audit.read", "/")
        .await;
    let permissions = app
        .call(
            Method::GET,
            &format!("/v1/subjects/clients/{}/permissions", app.admin.client_id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(permissions.body[0]["action"], "iam.audit.read");
    assert_eq!(permissions.body[0]["inheritedFrom"], group_subject.as_str());

    let renamed = app
        .call(
            Method::PUT,
            &format!("/v1/subjects/groups/{group_id}"),
            Some(&admin),
            Some(json!({ "displayName": "Operations" })),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["displayName"], "Operations");

    let removed = app
        .call(
            Method::DELETE,
            &format!("/v1/subjects/groups/{group_id}/members"),
            Some(&admin),
            Some(json!({ "subjectIds": [member] })),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/v1/subjects/groups/{group_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn users_read_update_delete() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let tenant_id = app
        .admin
        .tenant_id
        .parse::<TenantId>()
        .unwrap_or_else(|e| panic!("{e}"));
    let tenant = app
        .iam
        .tenant(tenant_id, Actor::Operator)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let user = tenant
        .create_user(NewUser {
            email: "jane.doe@aritma.com".to_owned(),
            full_name: "Jane Doe".to_owned(),
            ..NewUser::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let list = app.call(Method::GET, "/v1/users", Some(&admin), None).await;
    assert_eq!(list.body["items"][0]["userName"], "jane.doe@aritma.com");
    assert_eq!(list.body["items"][0]["phoneNumber"], Value::Null);

    let path = format!("/v1/users/user-{}", user.id);
    let got = app.call(Method::GET, &path, Some(&admin), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(!got.header("etag").is_empty());

    let updated = app
        .call(
            Method::PUT,
            &path,
            Some(&admin),
            Some(
                json!({ "fullName": "Jane Q. Doe", "phoneNumber": "+4712345678", "active": false }),
            ),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["active"], false);
    assert_eq!(updated.body["phoneNumber"], "+4712345678");

    let bad_phone = app
        .call(
            Method::PUT,
            &path,
            Some(&admin),
            Some(json!({ "fullName": "x", "phoneNumber": "123", "active": true })),
        )
        .await;
    assert!(bad_phone.body["errors"]["phoneNumber"].is_array());

    let deleted = app.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app.call(Method::GET, &path, Some(&admin), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn direct_user_creation_needs_confirmed_domain() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let reply = app
        .call(
            Method::POST,
            "/v1/users/users?email=jane.doe%40example.com&fullName=Jane+Doe",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let message = reply.body["errors"]["email"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("example.com") && message.contains("confirmed"),
        "{message}"
    );
}

#[tokio::test]
async fn me_is_for_users() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let me = app.call(Method::GET, "/v1/me", Some(&admin), None).await;
    assert_eq!(me.status, StatusCode::FORBIDDEN);
    let permissions = app
        .call(Method::GET, "/v1/me/permissions", Some(&admin), None)
        .await;
    assert_eq!(permissions.status, StatusCode::OK);
    assert!(permissions.body.is_array());
}

#[tokio::test]
async fn secrets_and_client_roles() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, _) = app.create_client(&admin, "svc", &["services.iam"]).await;
    let secrets = app
        .call(
            Method::GET,
            &format!("/v1/clients/{id}/secrets"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(secrets.body["items"][0]["type"], "SharedSecret");
    assert_eq!(secrets.body["items"][0]["id"], 1);
    let text = secrets.body.to_string();
    assert!(
        !text.contains("s3cr3t") && !text.contains("argon2"),
        "{text}"
    );

    let past = app
        .call(
            Method::POST,
            &format!("/v1/clients/{id}/secrets"),
            Some(&admin),
            Some(json!({ "value": "another-one", "description": "", "expiration": "2001-01-01T00:00:00Z" })),
        )
        .await;
    assert_eq!(past.status, StatusCode::BAD_REQUEST);
    assert!(past.body["errors"]["expiration"].is_array());

    let deleted = app
        .call(
            Method::DELETE,
            &format!("/v1/clients/{id}/secrets/1"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let role = app
        .call(
            Method::POST,
            "/v1/roles",
            Some(&admin),
            Some(json!({ "name": "Reporter", "description": "" })),
        )
        .await;
    let role_id = role.body["id"].as_str().unwrap_or_default().to_owned();
    let assigned = app
        .call(
            Method::POST,
            &format!("/v1/clients/{id}/roles/{role_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(assigned.status, StatusCode::NO_CONTENT);
    let roles = app
        .call(
            Method::GET,
            &format!("/v1/clients/{id}/roles"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(roles.body[0]["name"], "Reporter");
}

#[tokio::test]
async fn actions_and_audit() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let actions = app
        .call(
            Method::GET,
            "/v1/actions?prefix=iam.client",
            Some(&admin),
            None,
        )
        .await;
    let names: Vec<&str> = actions
        .body
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["iam.client.read", "iam.client.write"]);
    assert_eq!(actions.body[0]["parent"], "iam.manage");

    let audit = app
        .call(Method::GET, "/v1/audit?pageSize=1", Some(&admin), None)
        .await;
    assert_eq!(audit.status, StatusCode::OK);
    assert_eq!(audit.body["data"].as_array().map(Vec::len), Some(1));
    assert!(audit.body["cursor"].is_string());
    let filtered = app
        .call(
            Method::GET,
            "/v1/audit?operation=tenant.create",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(filtered.body["data"][0]["actor"], "operator");
}

#[tokio::test]
async fn caller_cannot_lock_itself_out() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let own = format!("/v1/clients/{}", app.admin.client_id);

    let deleted = app.call(Method::DELETE, &own, Some(&admin), None).await;
    assert_eq!(deleted.status, StatusCode::CONFLICT);
    assert!(
        deleted.body["detail"].to_string().contains("itself"),
        "{}",
        deleted.body
    );

    let roles = app
        .call(Method::GET, &format!("{own}/roles"), Some(&admin), None)
        .await;
    let admin_role = roles.body[0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no role: {}", roles.body))
        .to_owned();
    let removed = app
        .call(
            Method::DELETE,
            &format!("{own}/roles/{admin_role}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::CONFLICT);

    let still = app
        .call(Method::GET, "/v1/clients", Some(&admin), None)
        .await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "the admin must keep its access"
    );
}
