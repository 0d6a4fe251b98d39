//! Authentication and authorization of `/v1` calls.

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use iam_core::id::{ClientId, TenantId};
use iam_core::token::{AccessTokenClaims, TokenGrant, issuer_url};
use iam_http::TokenSigner;
use serde_json::json;

use crate::support::{PUBLIC_URL, setup};

fn admin_claims(app: &crate::support::TestApp, issued: chrono::DateTime<Utc>) -> AccessTokenClaims {
    AccessTokenClaims::for_client(
        TokenGrant {
            issuer: issuer_url(PUBLIC_URL, "acme"),
            tenant: app
                .admin
                .tenant_id
                .parse::<TenantId>()
                .unwrap_or_else(|e| panic!("{e}")),
            client: app
                .admin
                .client_id
                .parse::<ClientId>()
                .unwrap_or_else(|e| panic!("{e}")),
            scopes: vec!["services.iam".to_owned()],
            roles: vec!["TenantAdmin".to_owned()],
        },
        issued,
        uuid::Uuid::new_v4().to_string(),
    )
}

#[tokio::test]
async fn missing_token_is_401() {
    let app = setup().await;
    let reply = app.call(Method::GET, "/v1/clients", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), "Bearer");
    assert_eq!(reply.problem_type(), "urn:iam:problem:unauthorized");
    assert_eq!(reply.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn malformed_token_is_401() {
    let app = setup().await;
    let reply = app
        .call(Method::GET, "/v1/clients", Some("not-a-jwt"), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.header("www-authenticate").starts_with("Bearer"));
    assert!(
        !reply.body.to_string().contains("not-a-jwt"),
        "the token must not be echoed"
    );
}

#[tokio::test]
async fn expired_token_is_401() {
    let app = setup().await;
    let claims = admin_claims(&app, Utc::now() - Duration::hours(2));
    let token = app
        .state
        .signer()
        .sign(&claims)
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = app
        .call(Method::GET, "/v1/clients", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
    );
}

#[tokio::test]
async fn token_of_other_key_is_401() {
    let app = setup().await;
    let other = TokenSigner::load_or_create(&iam_core::store::MemoryStore::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let token = other
        .sign(&admin_claims(&app, Utc::now()))
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = app
        .call(Method::GET, "/v1/clients", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_tenant_issuer_is_401() {
    let app = setup().await;
    app.iam
        .create_tenant("other")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut claims = admin_claims(&app, Utc::now());
    claims.iss = issuer_url(PUBLIC_URL, "other");
    let token = app
        .state
        .signer()
        .sign(&claims)
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = app
        .call(Method::GET, "/v1/clients", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn other_tenant_objects_are_404() {
    let app = setup().await;
    let other = iam_http::bootstrap::create_tenant_with_admin(&app.iam, "other")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let other_token = app
        .token_request(
            "other",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &other.client_id),
                ("client_secret", &other.client_secret),
            ],
            None,
        )
        .await;
    let other_token = other_token.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let foreign = app
        .call(
            Method::GET,
            &format!("/v1/clients/{}", app.admin.client_id),
            Some(&other_token),
            None,
        )
        .await;
    let unknown = app
        .call(
            Method::GET,
            &format!("/v1/clients/{}", uuid::Uuid::new_v4()),
            Some(&other_token),
            None,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.problem_type(), unknown.problem_type());
}

#[tokio::test]
async fn acme_client_secret_fails_at_other_tenant() {
    let app = setup().await;
    app.iam
        .create_tenant("other")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = app
        .token_request(
            "other",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &app.admin.client_id),
                ("client_secret", &app.admin.client_secret),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"], "invalid_client");
}

#[tokio::test]
async fn revoked_token_is_401() {
    let app = setup().await;
    let token = app.admin_token().await;
    assert_eq!(
        app.call(Method::GET, "/v1/roles", Some(&token), None)
            .await
            .status,
        StatusCode::OK
    );

    let reply = app
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/acme/connect/revocation")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!(
                    "token={token}&client_id={}&client_secret={}",
                    app.admin.client_id, app.admin.client_secret
                )))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    let reply = app.call(Method::GET, "/v1/roles", Some(&token), None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("revoked")
    );
}

#[tokio::test]
async fn deleted_client_token_is_401() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app.create_client(&admin, "doomed", &["services.iam"]).await;
    let token = app.token(&id, &secret).await;
    let reply = app
        .call(
            Method::DELETE,
            &format!("/v1/clients/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = app
        .call(Method::GET, "/v1/me/permissions", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_without_iam_scope_is_401() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app.create_client(&admin, "openid only", &["openid"]).await;
    let token = app.token(&id, &secret).await;
    let reply = app
        .call(Method::GET, "/v1/me/permissions", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("services.iam")
    );
}

#[tokio::test]
async fn client_without_permission_is_403() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app.create_client(&admin, "reader", &["services.iam"]).await;
    let token = app.token(&id, &secret).await;
    let reply = app
        .call(Method::GET, "/v1/clients", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.problem_type(), "urn:iam:problem:forbidden");
}

#[tokio::test]
async fn policy_grants_read_not_write() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app.create_client(&admin, "reader", &["services.iam"]).await;
    app.grant(&admin, &format!("client-{id}"), "iam.client.read", "/")
        .await;
    let token = app.token(&id, &secret).await;

    let read = app
        .call(Method::GET, "/v1/clients", Some(&token), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let write = app
        .call(
            Method::DELETE,
            &format!("/v1/clients/{}", app.admin.client_id),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn iam_manage_covers_every_area() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app
        .create_client(&admin, "manager", &["services.iam"])
        .await;
    app.grant(&admin, &format!("client-{id}"), "iam.manage", "/")
        .await;
    let token = app.token(&id, &secret).await;
    let reply = app
        .call(
            Method::POST,
            "/v1/roles",
            Some(&token),
            Some(json!({ "name": "Auditor", "description": "" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
}

#[tokio::test]
async fn tenant_admin_is_allowed() {
    let app = setup().await;
    let admin = app.admin_token().await;
    for path in [
        "/v1/clients",
        "/v1/roles",
        "/v1/scopes",
        "/v1/users",
        "/v1/subjects",
        "/v1/policies",
        "/v1/audit",
        "/v1/actions",
    ] {
        let reply = app.call(Method::GET, path, Some(&admin), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    }
}

#[tokio::test]
async fn policy_grant_needs_own_action() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app
        .create_client(&admin, "delegate", &["services.iam"])
        .await;
    let subject = format!("client-{id}");
    app.grant(&admin, &subject, "iam.policy.write", "/").await;
    let token = app.token(&id, &secret).await;

    let escalation = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&token),
            Some(json!({ "subject": subject, "action": "iam.user.write", "scope": "/" })),
        )
        .await;
    assert_eq!(escalation.status, StatusCode::FORBIDDEN);

    let held = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&token),
            Some(json!({ "subject": format!("client-{}", app.admin.client_id), "action": "iam.policy.write", "scope": "/x" })),
        )
        .await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.body);
}

#[tokio::test]
async fn policy_write_is_checked_on_policy_scope() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app.create_client(&admin, "scoped", &["services.iam"]).await;
    let subject = format!("client-{id}");
    app.grant(&admin, &subject, "iam.manage", "/subscriptions/1")
        .await;
    let token = app.token(&id, &secret).await;

    let inside = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&token),
            Some(json!({ "subject": subject, "action": "iam.client.read", "scope": "/subscriptions/1/rg" })),
        )
        .await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.body);
    let outside = app
        .call(
            Method::POST,
            "/v1/policies",
            Some(&token),
            Some(json!({ "subject": subject, "action": "iam.client.read", "scope": "/subscriptions/2" })),
        )
        .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tenant_admin_role_needs_tenant_admin() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app
        .create_client(&admin, "role writer", &["services.iam"])
        .await;
    app.grant(&admin, &format!("client-{id}"), "iam.role.write", "/")
        .await;
    app.grant(&admin, &format!("client-{id}"), "iam.role.read", "/")
        .await;
    let token = app.token(&id, &secret).await;
    let roles = app
        .call(
            Method::GET,
            "/v1/roles?searchText=TenantAdmin",
            Some(&token),
            None,
        )
        .await;
    let role_id = roles.body["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let reply = app
        .call(
            Method::POST,
            &format!("/v1/clients/{id}/roles/{role_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}
