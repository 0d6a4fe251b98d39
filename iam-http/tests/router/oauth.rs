//! The token, revocation, introspection, discovery and key endpoints.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::support::setup;

#[tokio::test]
async fn token_with_client_secret_basic() {
    let app = setup().await;
    let reply = app
        .token_request(
            "acme",
            &[("grant_type", "client_credentials")],
            Some((&app.admin.client_id, &app.admin.client_secret)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3600);
    assert_eq!(reply.body["scope"], "services.iam");
    assert_eq!(reply.header("cache-control"), "no-store");
    assert_eq!(reply.header("pragma"), "no-cache");
}

#[tokio::test]
async fn token_with_client_secret_post_by_tenant_id() {
    let app = setup().await;
    let reply = app
        .token_request(
            &app.admin.tenant_id,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &app.admin.client_id),
                ("client_secret", &app.admin.client_secret),
                ("scope", "services.iam"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let token = reply.body["access_token"].as_str().unwrap_or_default();
    let claims = app
        .state
        .signer()
        .verify(token)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(claims.iss, "http://iam.test/acme");
    assert_eq!(claims.sub, format!("client-{}", app.admin.client_id));
    assert_eq!(claims.tid.to_string(), app.admin.tenant_id);
    assert_eq!(claims.role, vec!["TenantAdmin".to_owned()]);
    assert_eq!(claims.exp - claims.iat, 3600);
}

#[tokio::test]
async fn unknown_client_and_wrong_secret_look_alike() {
    let app = setup().await;
    let unknown_id = uuid::Uuid::new_v4().to_string();
    let unknown = app
        .token_request(
            "acme",
            &[("grant_type", "client_credentials")],
            Some((&unknown_id, "whatever-secret")),
        )
        .await;
    let wrong = app
        .token_request(
            "acme",
            &[("grant_type", "client_credentials")],
            Some((&app.admin.client_id, "whatever-secret")),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body, wrong.body);
    assert_eq!(unknown.body["error"], "invalid_client");
    assert!(wrong.header("www-authenticate").starts_with("Basic"));
    assert!(!wrong.body.to_string().contains("whatever-secret"));
}

#[tokio::test]
async fn post_auth_failure_has_no_basic_challenge() {
    let app = setup().await;
    let reply = app
        .token_request(
            "acme",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &app.admin.client_id),
                ("client_secret", "wrong-secret"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), "");
}

#[tokio::test]
async fn scope_not_allowed_is_invalid_scope() {
    let app = setup().await;
    let reply = app
        .token_request(
            "acme",
            &[
                ("grant_type", "client_credentials"),
                ("scope", "services.iam openid"),
            ],
            Some((&app.admin.client_id, &app.admin.client_secret)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["error"], "invalid_scope");
}

#[tokio::test]
async fn password_grant_is_unsupported() {
    let app = setup().await;
    let reply = app
        .token_request(
            "acme",
            &[
                ("grant_type", "password"),
                ("username", "a"),
                ("password", "b"),
            ],
            Some((&app.admin.client_id, &app.admin.client_secret)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn missing_grant_type_is_invalid_request() {
    let app = setup().await;
    let reply = app
        .token_request(
            "acme",
            &[],
            Some((&app.admin.client_id, &app.admin.client_secret)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["error"], "invalid_request");
}

#[tokio::test]
async fn both_auth_methods_is_invalid_request() {
    let app = setup().await;
    let reply = app
        .token_request(
            "acme",
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &app.admin.client_secret),
            ],
            Some((&app.admin.client_id, &app.admin.client_secret)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["error"], "invalid_request");
}

#[tokio::test]
async fn client_without_grant_is_unauthorized_client() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let created = app
        .call(
            Method::POST,
            "/v1/clients",
            Some(&admin),
            Some(json!({
                "name": "web",
                "description": "",
                "allowedGrantTypes": ["authorization_code"],
                "redirectUris": ["https://app.example.com/cb"],
                "allowedScopes": ["openid"],
            })),
        )
        .await;
    let id = created
        .header("location")
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let secret = app
        .call(
            Method::POST,
            &format!("/v1/clients/{id}/secrets"),
            Some(&admin),
            Some(json!({ "value": "web-secret-1", "description": "" })),
        )
        .await;
    assert_eq!(secret.status, StatusCode::CREATED);
    let reply = app
        .token_request(
            "acme",
            &[("grant_type", "client_credentials")],
            Some((&id, "web-secret-1")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["error"], "unauthorized_client");
}

#[tokio::test]
async fn unknown_tenant_is_404() {
    let app = setup().await;
    let reply = app
        .token_request(
            "nobody",
            &[("grant_type", "client_credentials")],
            Some((&app.admin.client_id, &app.admin.client_secret)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

fn form_post(path: &str, body: String) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn introspection_reports_state() {
    let app = setup().await;
    let token = app.admin_token().await;
    let auth = format!(
        "client_id={}&client_secret={}",
        app.admin.client_id, app.admin.client_secret
    );

    let active = app
        .send(form_post(
            "/acme/connect/introspect",
            format!("token={token}&{auth}"),
        ))
        .await;
    assert_eq!(active.status, StatusCode::OK);
    assert_eq!(active.body["active"], true);
    assert_eq!(active.body["client_id"], app.admin.client_id.as_str());

    let garbage = app
        .send(form_post(
            "/acme/connect/introspect",
            format!("token=abc&{auth}"),
        ))
        .await;
    assert_eq!(garbage.body, json!({ "active": false }));

    let unknown = app
        .send(form_post(
            "/acme/connect/revocation",
            format!("token=abc&{auth}"),
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    let revoked = app
        .send(form_post(
            "/acme/connect/revocation",
            format!("token={token}&{auth}"),
        ))
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    let inactive = app
        .send(form_post(
            "/acme/connect/introspect",
            format!("token={token}&{auth}"),
        ))
        .await;
    assert_eq!(inactive.body, json!({ "active": false }));
}

#[tokio::test]
async fn introspection_needs_client_auth() {
    let app = setup().await;
    let token = app.admin_token().await;
    let reply = app
        .send(form_post(
            "/acme/connect/introspect",
            format!("token={token}"),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["error"], "invalid_client");
}

#[tokio::test]
async fn discovery_and_keys() {
    let app = setup().await;
    let discovery = app
        .call(
            Method::GET,
            "/acme/.well-known/openid-configuration",
            None,
            None,
        )
        .await;
    assert_eq!(discovery.status, StatusCode::OK);
    assert_eq!(discovery.body["issuer"], "http://iam.test/acme");
    assert_eq!(
        discovery.body["token_endpoint"],
        "http://iam.test/acme/connect/token"
    );

    let keys = app
        .call(Method::GET, "/acme/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(keys.status, StatusCode::OK);
    let key = &keys.body["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["kid"], app.state.signer().kid());
}
