//! Rate limits of the token endpoint and of invitation acceptance, and the limits on
//! request bodies: nesting depth, list sizes and the request timeout.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use iam_http::rate_limit::RateLimitConfig;
use iam_http::router;
use serde_json::json;

use crate::support::{Reply, TestApp, setup};

/// Builds a router over the state of `app` with fresh limiters of `config`.
fn limited(app: &TestApp, config: RateLimitConfig) -> Router {
    router(app.state.clone().with_rate_limits(config))
}

fn config(per_client: u32, per_address: u32) -> RateLimitConfig {
    RateLimitConfig {
        per_client_per_minute: per_client,
        per_address_per_minute: per_address,
        max_tracked_keys: 100,
    }
}

fn peer(text: &str) -> SocketAddr {
    text.parse()
        .unwrap_or_else(|error| panic!("address `{text}`: {error}"))
}

/// Sends a `client_secret_post` token request from `from` through `router`.
async fn token_from(
    app: &TestApp,
    router: &Router,
    from: SocketAddr,
    client_id: &str,
    secret: &str,
) -> Reply {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", client_id)
        .append_pair("client_secret", secret)
        .finish();
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/acme/connect/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap_or_else(|error| panic!("request: {error}"));
    request.extensions_mut().insert(ConnectInfo(from));
    app.send_to(router, request).await
}

/// Sends an invitation acceptance with an unknown token from `from`.
async fn accept_from(app: &TestApp, router: &Router, from: SocketAddr) -> Reply {
    let body = json!({ "token": "no-such-token", "password": "a long enough password" });
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/v1/invitations/accept")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|error| panic!("request: {error}"));
    request.extensions_mut().insert(ConnectInfo(from));
    app.send_to(router, request).await
}

fn retry_after(reply: &Reply) -> u64 {
    reply
        .header("retry-after")
        .parse()
        .unwrap_or_else(|_| panic!("no numeric Retry-After in {:?}", reply.headers))
}

#[tokio::test]
async fn token_limit_per_client_id() {
    let app = setup().await;
    let router = limited(&app, config(3, 0));
    let address = peer("192.0.2.1:40000");
    let client = app.admin.client_id.clone();

    // Failed and successful attempts both count.
    let failed = token_from(&app, &router, address, &client, "wrong secret").await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        let reply = token_from(&app, &router, address, &client, &app.admin.client_secret).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }

    let limited = token_from(&app, &router, address, &client, &app.admin.client_secret).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["error"], "slow_down");
    assert!(
        limited.body["error_description"]
            .as_str()
            .is_some_and(|text| text.contains("this client")),
        "{}",
        limited.body
    );
    let seconds = retry_after(&limited);
    assert!((1..=20).contains(&seconds), "Retry-After {seconds}");
    assert_eq!(limited.header("cache-control"), "no-store");

    // Another client id from the same address is not affected, known or not.
    let unknown = token_from(&app, &router, address, "no-such-client", "secret").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_client_ids_are_limited_too() {
    let app = setup().await;
    let router = limited(&app, config(2, 0));
    let address = peer("192.0.2.1:40000");
    for _ in 0..2 {
        let reply = token_from(&app, &router, address, "guessed-id", "secret").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let limited = token_from(&app, &router, address, "guessed-id", "secret").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);

    let admin = token_from(
        &app,
        &router,
        address,
        &app.admin.client_id,
        &app.admin.client_secret,
    )
    .await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.body);
}

#[tokio::test]
async fn token_limit_per_address() {
    let app = setup().await;
    let router = limited(&app, config(0, 3));
    let first = peer("192.0.2.1:40000");
    let second = peer("192.0.2.2:40000");
    let (client, secret) = (app.admin.client_id.clone(), app.admin.client_secret.clone());

    for index in 0..3 {
        // Different client ids: only the address limit applies.
        let reply = token_from(&app, &router, first, &format!("client-{index}"), "x").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let limited = token_from(&app, &router, first, &client, &secret).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["error"], "slow_down");
    assert!(
        limited.body["error_description"]
            .as_str()
            .is_some_and(|text| text.contains("this address")),
        "{}",
        limited.body
    );
    assert!((1..=20).contains(&retry_after(&limited)));

    // A new source port of the same address is still the same address.
    let same_host = token_from(&app, &router, peer("192.0.2.1:50000"), &client, &secret).await;
    assert_eq!(same_host.status, StatusCode::TOO_MANY_REQUESTS);

    let other = token_from(&app, &router, second, &client, &secret).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
}

#[tokio::test]
async fn ipv6_addresses_limited_per_network() {
    let app = setup().await;
    let router = limited(&app, config(0, 1));
    let first = token_from(&app, &router, peer("[2001:db8::1]:1"), "a", "x").await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    let same_network = token_from(&app, &router, peer("[2001:db8::2]:1"), "a", "x").await;
    assert_eq!(same_network.status, StatusCode::TOO_MANY_REQUESTS);
    let other_network = token_from(&app, &router, peer("[2001:db8:0:1::1]:1"), "a", "x").await;
    assert_eq!(other_network.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revocation_shares_token_limits() {
    let app = setup().await;
    let router = limited(&app, config(2, 0));
    let address = peer("192.0.2.1:40000");
    let client = app.admin.client_id.clone();
    let token = token_from(&app, &router, address, &client, &app.admin.client_secret).await;
    assert_eq!(token.status, StatusCode::OK);

    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", "anything")
        .append_pair("client_id", &client)
        .append_pair("client_secret", &app.admin.client_secret)
        .finish();
    let mut replies = Vec::new();
    for _ in 0..2 {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/acme/connect/revocation")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .unwrap_or_else(|error| panic!("request: {error}"));
        request.extensions_mut().insert(ConnectInfo(address));
        replies.push(app.send_to(&router, request).await.status);
    }
    assert_eq!(replies, [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]);
}

#[tokio::test]
async fn invitation_accept_limited_per_address() {
    let app = setup().await;
    let router = limited(&app, config(0, 2));
    let first = peer("192.0.2.1:40000");
    for _ in 0..2 {
        let reply = accept_from(&app, &router, first).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    }
    let limited = accept_from(&app, &router, first).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.problem_type(), "urn:iam:problem:too-many-requests");
    assert_eq!(limited.header("content-type"), "application/problem+json");
    assert!((1..=30).contains(&retry_after(&limited)));

    let other = accept_from(&app, &router, peer("192.0.2.2:40000")).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "{}", other.body);
}

#[tokio::test]
async fn token_without_peer_address_skips_address_limit() {
    // A router driven without a socket has no peer address; only the client limit holds.
    let app = setup().await;
    let router = limited(&app, config(0, 1));
    for _ in 0..3 {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/acme/connect/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                "grant_type=client_credentials&client_id=a&client_secret=b",
            ))
            .unwrap_or_else(|error| panic!("request: {error}"));
        let reply = app.send_to(&router, request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn deeply_nested_body_is_400() {
    let app = setup().await;
    let token = app.admin_token().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for path in ["/v1/policies", "/v1/roles", "/v1/policies/check-batch"] {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(deep.clone()))
            .unwrap_or_else(|error| panic!("request: {error}"));
        let reply = app.send(request).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
        assert_eq!(reply.problem_type(), "urn:iam:problem:validation");
        assert!(
            reply.body["errors"]["body"][0]
                .as_str()
                .is_some_and(|text| text.contains("deeper than 32")),
            "{}",
            reply.body
        );
    }
}

#[tokio::test]
async fn nesting_limit_is_exact() {
    use iam_http::extract::{MAX_JSON_DEPTH, check_json_depth};
    let at_limit = format!(
        "{}{}",
        "[".repeat(MAX_JSON_DEPTH),
        "]".repeat(MAX_JSON_DEPTH)
    );
    assert!(check_json_depth(at_limit.as_bytes(), MAX_JSON_DEPTH).is_ok());
    let over = format!("[{at_limit}]");
    assert!(check_json_depth(over.as_bytes(), MAX_JSON_DEPTH).is_err());
    // Brackets inside strings, also after an escaped quote, do not count.
    let in_string = format!(r#"{{"a": "\"{}"}}"#, "[".repeat(100));
    assert!(check_json_depth(in_string.as_bytes(), MAX_JSON_DEPTH).is_ok());
}

#[tokio::test]
async fn members_over_100_rejected() {
    let app = setup().await;
    let token = app.admin_token().await;
    let group = app
        .call(
            Method::POST,
            "/v1/subjects/groups",
            Some(&token),
            Some(json!({ "displayName": "big", "description": "" })),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let location = group.header("location").to_owned();
    let ids: Vec<String> = (0..101)
        .map(|_| format!("user-{}", uuid::Uuid::new_v4()))
        .collect();
    for method in [Method::POST, Method::DELETE] {
        let reply = app
            .call(
                method.clone(),
                &format!("{location}/members"),
                Some(&token),
                Some(json!({ "subjectIds": ids })),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{method}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn request_timeout_is_configurable() {
    let app = setup().await;
    let router = router(
        app.state
            .clone()
            .with_request_timeout(Duration::from_millis(200)),
    );
    let token = app.admin_token().await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/roles")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(futures_util::stream::pending::<
            Result<Bytes, std::io::Error>,
        >()))
        .unwrap_or_else(|error| panic!("request: {error}"));
    let started = std::time::Instant::now();
    let reply = app.send_to(&router, request).await;
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT, "{}", reply.body);
    assert_eq!(reply.problem_type(), "urn:iam:problem:timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}
