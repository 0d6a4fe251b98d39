//! A router over a `MemoryStore` with one tenant and its admin client, and helpers to
//! send requests to it without a socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt;
use iam_core::Iam;
use iam_core::cipher::SecretKey;
use iam_core::clock::OsRandom;
use iam_core::domain::{ResolveError, TxtResolver};
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
    pub dns: Arc<FixedResolver>,
}

/// A `TxtResolver` with fixed results: the TXT records set per name, no records for
/// other names, and a lookup failure for names marked as failing. It records every
/// queried name.
#[derive(Debug, Default)]
pub struct FixedResolver {
    answers: Mutex<HashMap<String, Result<Vec<String>, String>>>,
    queries: Mutex<Vec<String>>,
}

impl FixedResolver {
    pub fn publish(&self, name: &str, value: &str) {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        match answers
            .entry(name.to_owned())
            .or_insert_with(|| Ok(Vec::new()))
        {
            Ok(values) => values.push(value.to_owned()),
            failing => *failing = Ok(vec![value.to_owned()]),
        }
    }

    pub fn fail(&self, name: &str, reason: &str) {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), Err(reason.to_owned()));
    }

    pub fn queries(&self) -> Vec<String> {
        self.queries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl TxtResolver for FixedResolver {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, ResolveError> {
        self.queries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(name.to_owned());
        let answer = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        match answer {
            None => Ok(Vec::new()),
            Some(Ok(values)) => Ok(values),
            Some(Err(reason)) => Err(ResolveError {
                name: name.to_owned(),
                reason,
            }),
        }
    }
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
    let key = SecretKey::generate(&OsRandom).unwrap_or_else(|error| panic!("key: {error}"));
    let iam = Iam::builder(store.clone())
        .secret_key(key)
        .open()
        .await
        .unwrap_or_else(|error| panic!("open: {error}"));
    let signer = TokenSigner::load_or_create(store.as_ref())
        .await
        .unwrap_or_else(|error| panic!("signer: {error}"));
    let admin = create_tenant_with_admin(&iam, "acme")
        .await
        .unwrap_or_else(|error| panic!("tenant: {error}"));
    let dns = Arc::new(FixedResolver::default());
    let state = AppState::new(iam.clone(), signer, PUBLIC_URL).with_resolver(dns.clone());
    TestApp {
        app: router(state.clone()),
        state,
        iam,
        admin,
        dns,
    }
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> Reply {
        self.send_to(&self.app, request).await
    }

    /// Sends `request` through `router`, such as a router over this app's state with
    /// other settings.
    pub async fn send_to(&self, router: &Router, request: Request<Body>) -> Reply {
        let response = router
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

    /// Returns an access token of the user `user` (e-mail address or id) of `acme`, as
    /// `iam-server token` issues it.
    pub async fn user_token(&self, user: &str) -> String {
        iam_http::user_token::issue_user_token(
            &self.iam,
            self.state.signer(),
            PUBLIC_URL,
            "acme",
            user,
            "services.iam",
        )
        .await
        .unwrap_or_else(|error| panic!("user token: {error}"))
    }

    /// Creates the tenant `name` with its admin client and returns an admin token of it.
    pub async fn other_tenant_token(&self, name: &str) -> String {
        let other = create_tenant_with_admin(&self.iam, name)
            .await
            .unwrap_or_else(|error| panic!("tenant: {error}"));
        let reply = self
            .token_request(
                name,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &other.client_id),
                    ("client_secret", &other.client_secret),
                ],
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
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
