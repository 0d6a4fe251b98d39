//! A router over a `MemoryStore` with one tenant and its admin client, and helpers to
//! send requests to it without a socket.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt;
use iam_core::Iam;
use iam_core::store::MemoryStore;
use iam_http::bootstrap::{AdminCredentials, create_tenant_with_admin};
use iam_http::{AppState, TokenSigner, router};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const PUBLIC_URL: &str = "http://iam.test";

pub struct TestApp {
    pub app: Router,
    pub state: AppState,
    pub iam: Iam,
    pub admin: AdminCredentials,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

pub async fn setup() -> TestApp {
    let store = Arc::new(MemoryStore::new());
    let iam = Iam::open(store.clone())
        .await
        .unwrap_or_else(|error| panic!("open: {error}"));
    let signer = TokenSigner::load_or_create(store.as_ref())
        .await
        .unwrap_or_else(|error| panic!("signer: {error}"));
    let admin = create_tenant_with_admin(&iam, "acme")
        .await
        .unwrap_or_else(|error| panic!("tenant: {error}"));
    let state = AppState::new(iam.clone(), signer, PUBLIC_URL);
    TestApp {
        app: router(state.clone()),
        state,
        iam,
        admin,
    }
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|error| panic!("request failed: {error}"));
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|error| panic!("body: {error}"))
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Sends a JSON request with a bearer token.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        };
        self.send(request.unwrap_or_else(|error| panic!("request: {error}")))
            .await
    }

    /// Posts a form to the token endpoint of `tenant` with `client_secret_post`.
    pub async fn token_request(
        &self,
        tenant: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Reply {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in form {
            body.append_pair(name, value);
        }
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(format!("/{tenant}/connect/token"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            let encoded = STANDARD.encode(format!("{id}:{secret}"));
            builder = builder.header(header::AUTHORIZATION, format!("Basic {encoded}"));
        }
        let request = builder
            .body(Body::from(body.finish()))
            .unwrap_or_else(|error| panic!("request: {error}"));
        self.send(request).await
    }

    /// Returns an access token of the client with all its allowed scopes.
    pub async fn token(&self, client_id: &str, secret: &str) -> String {
        let reply = self
            .token_request(
                "acme",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret),
                ],
                None,
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "token request failed: {}",
            reply.body
        );
        reply.body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.token(&self.admin.client_id, &self.admin.client_secret)
            .await
    }

    /// Creates a client with `client_credentials`, the given scopes and a secret, and
    /// returns its id and secret.
    pub async fn create_client(
        &self,
        admin_token: &str,
        name: &str,
        scopes: &[&str],
    ) -> (String, String) {
        let reply = self
            .call(
                Method::POST,
                "/v1/clients",
                Some(admin_token),
                Some(json!({
                    "name": name,
                    "description": "",
                    "allowedGrantTypes": ["client_credentials"],
                    "redirectUris": [],
                    "allowedScopes": scopes,
                })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let id = reply
            .header("location")
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let secret = "s3cr3tV@lue!".to_owned();
        let reply = self
            .call(
                Method::POST,
                &format!("/v1/clients/{id}/secrets"),
                Some(admin_token),
                Some(json!({ "value": secret, "description": "" })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        (id, secret)
    }

    /// Grants `action` on `scope` to `subject` as the admin.
    pub async fn grant(&self, admin_token: &str, subject: &str, action: &str, scope: &str) {
        let reply = self
            .call(
                Method::POST,
                "/v1/policies",
                Some(admin_token),
                Some(json!({ "subject": subject, "action": action, "scope": scope })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
}
