//! The OpenAPI document lists every route the router serves.

use axum::http::{Method, StatusCode};

use crate::support::setup;

/// Returns every (method, path) operation of the document.
fn documented_operations() -> Vec<(Method, String)> {
    let document =
        serde_json::to_value(iam_http::openapi_document()).unwrap_or_else(|e| panic!("{e}"));
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().cloned().unwrap_or_default() {
        for (method, _) in item.as_object().cloned().unwrap_or_default() {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "delete" => Method::DELETE,
                other => panic!("unexpected method `{other}` at `{path}`"),
            };
            operations.push((method, path.clone()));
        }
    }
    operations
}

#[test]
fn document_is_openapi_3_1() {
    let document =
        serde_json::to_value(iam_http::openapi_document()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["components"]["schemas"]["Problem"].is_object());
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = setup().await;
    let operations = documented_operations();
    assert!(
        operations.len() >= 80,
        "only {} operations documented",
        operations.len()
    );
    for (method, path) in operations {
        let concrete = path
            .replace("{tenant}", "acme")
            .replace("{clientSecretId}", "1")
            .replace("{id}", "1")
            .replace("{claimId}", "1")
            .replace(['{', '}'], "x");
        let reply = app.call(method.clone(), &concrete, None, None).await;
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(
            !detail.starts_with("no route matches"),
            "{method} {path} is documented but not served"
        );
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is documented but not served"
        );
    }
}

#[tokio::test]
async fn every_served_route_is_documented() {
    // The router and the document come from the same `#[utoipa::path]` attributes, so
    // this checks the other direction on routes that a client would call.
    let operations = documented_operations();
    for (method, path) in [
        (Method::GET, "/v1/clients"),
        (Method::POST, "/v1/policies/check-batch"),
        (Method::DELETE, "/v1/subjects/groups/{group}/members"),
        (Method::GET, "/v1/subjects/{subject}/memberships"),
        (Method::POST, "/{tenant}/connect/token"),
        (Method::GET, "/openapi.json"),
        (Method::PUT, "/v1/sso/{type}/{id}"),
        (Method::DELETE, "/v1/users/{userId}/claims/{claimId}"),
    ] {
        assert!(
            operations.iter().any(|(m, p)| *m == method && p == path),
            "{method} {path} is missing from the document"
        );
    }
}

#[tokio::test]
async fn document_is_served() {
    let app = setup().await;
    let reply = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["openapi"], "3.1.0");
}

/// Returns the `.rs` files under `directory`, recursively.
fn source_files(directory: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("reading {}: {error}", directory.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|error| panic!("{error}")).path();
        if path.is_dir() {
            files.extend(source_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn routes_only_added_with_documentation() {
    // `router` serves what `api_routes` collects, and `OpenApiRouter::routes(routes!(..))`
    // adds a route and its `#[utoipa::path]` operation together. A route added any other
    // way would be served without being documented, so no source file may do that.
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let undocumented = [
        ".route(",
        ".route_service(",
        ".nest(",
        ".nest_service(",
        ".merge(Router",
        ".fallback_service(",
    ];
    let mut registrations = 0;
    for file in source_files(&source) {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("reading {}: {error}", file.display()));
        for pattern in undocumented {
            assert!(
                !text.contains(pattern),
                "{} adds a route with `{pattern}`, which leaves it out of the OpenAPI document; use `.routes(routes!(handler))`",
                file.display()
            );
        }
        registrations += text.matches(".routes(routes!(").count();
    }
    let operations = documented_operations().len();
    assert!(
        registrations <= operations,
        "{registrations} `routes!` registrations but only {operations} documented operations"
    );
}
