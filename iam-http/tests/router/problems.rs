//! Problem details for every error status, and the layers around the routes.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::routing::get;
use serde_json::json;

use crate::support::setup;

#[tokio::test]
async fn validation_names_fields() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let reply = app
        .call(
            Method::POST,
            "/v1/clients",
            Some(&admin),
            Some(json!({
                "name": "",
                "description": "",
                "allowedGrantTypes": ["password"],
                "redirectUris": [],
                "allowedScopes": ["nope"],
            })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.problem_type(), "urn:iam:problem:validation");
    assert!(reply.body["errors"]["name"].is_array(), "{}", reply.body);
    let grant = reply.body["errors"]["allowedGrantTypes"][0]
        .as_str()
        .unwrap_or_default();
    assert!(grant.contains("unsafe"), "{grant}");
    assert_eq!(reply.body["instance"], "/v1/clients");
    assert!(reply.body["requestId"].is_string());
}

#[tokio::test]
async fn unknown_field_is_400() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let reply = app
        .call(
            Method::POST,
            "/v1/roles",
            Some(&admin),
            Some(json!({ "name": "x", "description": "", "extra": 1 })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown field")
    );
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/roles")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"name\": "))
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.problem_type(), "urn:iam:problem:validation");
}

#[tokio::test]
async fn secret_value_never_echoed() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let path = format!("/v1/clients/{}/secrets", app.admin.client_id);
    let short = app
        .call(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({ "value": "tiny1", "description": "" })),
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(!short.body.to_string().contains("tiny1"));
    let wrong_type = app
        .call(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({ "value": 987654321, "description": "" })),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert!(
        !wrong_type.body.to_string().contains("987654321"),
        "{}",
        wrong_type.body
    );
}

#[tokio::test]
async fn unknown_client_is_404() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let reply = app
        .call(
            Method::GET,
            &format!("/v1/clients/{}", uuid::Uuid::new_v4()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.problem_type(), "urn:iam:problem:not-found");
}

#[tokio::test]
async fn duplicate_role_is_409() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let body = json!({ "name": "Auditor", "description": "" });
    let first = app
        .call(Method::POST, "/v1/roles", Some(&admin), Some(body.clone()))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.header("location").starts_with("/v1/roles/"));
    let second = app
        .call(
            Method::POST,
            "/v1/roles",
            Some(&admin),
            Some(json!({ "name": "AUDITOR", "description": "" })),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.problem_type(), "urn:iam:problem:conflict");
}

#[tokio::test]
async fn stale_if_match_is_412() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let path = format!("/v1/clients/{}", app.admin.client_id);
    let current = app.call(Method::GET, &path, Some(&admin), None).await;
    let etag = current.header("etag").to_owned();
    assert!(etag.starts_with('"'), "ETag `{etag}`");

    let body = json!({
        "name": "admin",
        "description": "renamed",
        "allowedGrantTypes": ["client_credentials"],
        "redirectUris": [],
        "allowedScopes": ["services.iam"],
    });
    let update = |if_match: String| {
        Request::builder()
            .method(Method::PUT)
            .uri(path.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::IF_MATCH, if_match)
            .body(Body::from(body.to_string()))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let first = app.send(update(etag.clone())).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_ne!(first.header("etag"), etag);
    let stale = app.send(update(etag)).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.problem_type(), "urn:iam:problem:precondition-failed");
}

#[tokio::test]
async fn large_body_is_413() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let body = json!({ "name": "x".repeat(70 * 1024), "description": "" });
    let reply = app
        .call(Method::POST, "/v1/roles", Some(&admin), Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.problem_type(), "urn:iam:problem:payload-too-large");
}

#[tokio::test]
async fn non_json_body_is_415() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/roles")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("name=x"))
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        reply.problem_type(),
        "urn:iam:problem:unsupported-media-type"
    );
}

#[tokio::test]
async fn unknown_route_is_404_problem() {
    let app = setup().await;
    let reply = app.call(Method::GET, "/v1/nothing/here", None, None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn wrong_method_is_405_problem() {
    let app = setup().await;
    let reply = app.call(Method::PATCH, "/v1/clients", None, None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.problem_type(), "urn:iam:problem:method-not-allowed");
}

#[tokio::test]
async fn former_placeholders_need_token() {
    // These routes returned 501 before their features existed, and now they authenticate.
    let app = setup().await;
    for (method, path) in [
        (Method::GET, "/v1/domains"),
        (Method::GET, "/v1/sso"),
        (Method::POST, "/v1/scim"),
        (Method::POST, "/v1/users/invite"),
        (Method::GET, "/v1/me/claims"),
    ] {
        let reply = app.call(method, path, None, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            reply.problem_type(),
            "urn:iam:problem:unauthorized",
            "{path}"
        );
    }
    let accept = app
        .call(Method::POST, "/v1/invitations/accept", None, None)
        .await;
    assert_eq!(accept.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn request_id_is_echoed() {
    let app = setup().await;
    let request = Request::builder()
        .uri("/v1/clients")
        .header("x-request-id", "trace-123")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = app.send(request).await;
    assert_eq!(reply.header("x-request-id"), "trace-123");
    assert_eq!(reply.body["requestId"], "trace-123");

    let generated = app.call(Method::GET, "/healthz", None, None).await;
    assert!(!generated.header("x-request-id").is_empty());
}

#[tokio::test]
async fn panic_is_generic_500() {
    let router: Router = iam_http::middleware::apply_layers(
        Router::new().route(
            "/panic",
            get(|| async {
                if true {
                    panic!("secret detail");
                }
            }),
        ),
        iam_http::middleware::DEFAULT_REQUEST_TIMEOUT,
    );
    let response = tower::ServiceExt::oneshot(
        router,
        Request::builder()
            .uri("/panic")
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("urn:iam:problem:internal"), "{text}");
    assert!(!text.contains("secret detail"), "{text}");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = setup().await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::GET, "/readyz", None, None).await.status,
        StatusCode::OK
    );
}
