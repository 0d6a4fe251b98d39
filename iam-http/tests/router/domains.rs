//! Domains, their DNS verification, and direct user creation for confirmed domains.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::support::{TestApp, setup};

async fn register(app: &TestApp, token: &str, domain: &str) -> crate::support::Reply {
    app.call(
        Method::POST,
        &format!("/v1/domains?domain={domain}"),
        Some(token),
        None,
    )
    .await
}

async fn verify(app: &TestApp, token: &str, domain: &str) -> crate::support::Reply {
    app.call(
        Method::POST,
        &format!("/v1/domains/verify?domain={domain}"),
        Some(token),
        None,
    )
    .await
}

async fn status_of(app: &TestApp, token: &str, domain: &str) -> Value {
    let reply = app
        .call(
            Method::GET,
            &format!("/v1/domains/status?domain={domain}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["status"].clone()
}

/// Registers and confirms `domain` through the fixed resolver.
async fn confirm(app: &TestApp, token: &str, domain: &str) {
    let registered = register(app, token, domain).await;
    let verification = registered.body["verificationToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.dns.publish(domain, &verification);
    let verified = verify(app, token, domain).await;
    assert_eq!(verified.body["status"], "Confirmed", "{}", verified.body);
}

#[tokio::test]
async fn domain_register_verify_and_create_user() {
    let app = setup().await;
    let admin = app.admin_token().await;

    let created = register(&app, &admin, "Example.COM.").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        created.header("location"),
        "/v1/domains/status?domain=example.com"
    );
    assert_eq!(created.body["domain"], "example.com");
    assert_eq!(created.body["status"], "Pending");
    assert_eq!(created.body["verifiedAt"], Value::Null);
    let token = created.body["verificationToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(token.starts_with("iam-verify-"), "{token}");

    let again = register(&app, &admin, "example.com").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["verificationToken"], token.as_str());
    assert_eq!(status_of(&app, &admin, "example.com").await, "Pending");

    let unverified = verify(&app, &admin, "example.com").await;
    assert_eq!(unverified.status, StatusCode::OK, "{}", unverified.body);
    assert_eq!(unverified.body["status"], "Pending");
    assert_eq!(app.dns.queries(), ["example.com"]);

    let early = app
        .call(
            Method::POST,
            "/v1/users/users?email=jane%40example.com&fullName=Jane",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(early.body["errors"]["email"].is_array(), "{}", early.body);

    app.dns.publish("example.com", "unrelated record");
    app.dns.publish("example.com", &token);
    let verified = verify(&app, &admin, "example.com").await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(verified.body["status"], "Confirmed");
    assert_eq!(verified.body["verificationToken"], Value::Null);
    assert!(verified.body["verifiedAt"].is_string(), "{}", verified.body);
    assert_eq!(status_of(&app, &admin, "example.com").await, "Confirmed");

    let user = app
        .call(
            Method::POST,
            "/v1/users/users?email=jane%40example.com&fullName=Jane+Doe&phoneNumber=%2B4712345678",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{}", user.body);
    let id = user.body["id"].as_str().unwrap_or_default();
    assert_eq!(user.header("location"), format!("/v1/users/{id}"));
    assert_eq!(user.body["email"], "jane@example.com");
    assert_eq!(user.body["fullName"], "Jane Doe");
    assert_eq!(user.body["phoneNumber"], "+4712345678");
    assert_eq!(user.body["roles"], serde_json::json!([]));

    let duplicate = app
        .call(
            Method::POST,
            "/v1/users/users?email=JANE%40example.com",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn domain_list_filters_and_hides_tokens() {
    let app = setup().await;
    let admin = app.admin_token().await;
    confirm(&app, &admin, "beta.example").await;
    register(&app, &admin, "alpha.example").await;
    register(&app, &admin, "other.test").await;

    let all = app
        .call(Method::GET, "/v1/domains", Some(&admin), None)
        .await;
    assert_eq!(all.status, StatusCode::OK);
    let names: Vec<&str> = all
        .body
        .as_array()
        .map(|items| items.iter().filter_map(|d| d["domain"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["alpha.example", "beta.example", "other.test"]);
    for item in all.body.as_array().into_iter().flatten() {
        let pending = item["status"] == "Pending";
        assert_eq!(item["verificationToken"].is_string(), pending, "{item}");
    }

    let filtered = app
        .call(
            Method::GET,
            "/v1/domains?filter=EXAMPLE",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(filtered.body.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn domain_delete_stops_direct_creation() {
    let app = setup().await;
    let admin = app.admin_token().await;
    confirm(&app, &admin, "example.com").await;

    let deleted = app
        .call(
            Method::DELETE,
            "/v1/domains?domain=example.com",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        status_of(&app, &admin, "example.com").await,
        "NotRegistered"
    );
    let user = app
        .call(
            Method::POST,
            "/v1/users/users?email=jane%40example.com",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(user.status, StatusCode::BAD_REQUEST);
    let again = app
        .call(
            Method::DELETE,
            "/v1/domains?domain=example.com",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn domain_validation_names_field() {
    let app = setup().await;
    let admin = app.admin_token().await;
    for (method, path) in [
        (Method::POST, "/v1/domains"),
        (Method::POST, "/v1/domains?domain=localhost"),
        (Method::POST, "/v1/domains?domain=127.0.0.1"),
        (Method::GET, "/v1/domains/status"),
        (Method::GET, "/v1/domains/status?domain=a..b"),
        (Method::POST, "/v1/domains/verify?domain="),
        (Method::DELETE, "/v1/domains"),
    ] {
        let reply = app.call(method.clone(), path, Some(&admin), None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{method} {path}");
        assert!(
            reply.body["errors"]["domain"].is_array(),
            "{method} {path}: {}",
            reply.body
        );
    }
    let user = app
        .call(
            Method::POST,
            "/v1/users/users?fullName=Jane",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(user.status, StatusCode::BAD_REQUEST);
    assert!(user.body["errors"]["email"].is_array());
}

#[tokio::test]
async fn domain_unregistered_is_404() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let reply = verify(&app, &admin, "example.com").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(app.dns.queries().is_empty());
}

#[tokio::test]
async fn domain_confirmed_elsewhere_is_409() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let other = app.other_tenant_token("other").await;

    let pending_elsewhere = register(&app, &other, "example.com").await;
    assert_eq!(pending_elsewhere.status, StatusCode::CREATED);
    confirm(&app, &admin, "example.com").await;

    // The other tenant's status query returns its own registration, still pending.
    assert_eq!(status_of(&app, &other, "example.com").await, "Pending");
    let token = pending_elsewhere.body["verificationToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.dns.publish("example.com", &token);
    let stolen = verify(&app, &other, "example.com").await;
    assert_eq!(stolen.status, StatusCode::CONFLICT, "{}", stolen.body);

    let third = app.other_tenant_token("third").await;
    let late = register(&app, &third, "example.com").await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.problem_type(), "urn:iam:problem:conflict");
    assert_eq!(
        status_of(&app, &third, "example.com").await,
        "NotRegistered"
    );
}

#[tokio::test]
async fn domain_lookup_failure_is_503() {
    let app = setup().await;
    let admin = app.admin_token().await;
    register(&app, &admin, "example.com").await;
    app.dns.fail("example.com", "timed out");
    let reply = verify(&app, &admin, "example.com").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("example.com") && detail.contains("timed out"),
        "{detail}"
    );
    assert_eq!(status_of(&app, &admin, "example.com").await, "Pending");
}

#[tokio::test]
async fn domain_recheck_confirms_pending() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let token = register(&app, &admin, "example.com").await.body["verificationToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    register(&app, &admin, "failing.example").await;
    app.dns.fail("failing.example", "server failure");

    iam_http::domain_check::recheck_once(&app.iam, app.dns.as_ref()).await;
    assert_eq!(status_of(&app, &admin, "example.com").await, "Pending");

    app.dns.publish("example.com", &token);
    iam_http::domain_check::recheck_once(&app.iam, app.dns.as_ref()).await;
    assert_eq!(status_of(&app, &admin, "example.com").await, "Confirmed");
    assert_eq!(status_of(&app, &admin, "failing.example").await, "Pending");
}

#[tokio::test]
async fn domain_area_permissions() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app.create_client(&admin, "reader", &["services.iam"]).await;
    let token = app.token(&id, &secret).await;
    let denied = app
        .call(Method::GET, "/v1/domains", Some(&token), None)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    app.grant(&admin, &format!("client-{id}"), "iam.domain.read", "/")
        .await;
    let token = app.token(&id, &secret).await;
    let listed = app
        .call(Method::GET, "/v1/domains", Some(&token), None)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    let write = register(&app, &token, "example.com").await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let unauthenticated = app.call(Method::GET, "/v1/domains", None, None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}
