//! Shared helpers of the end-to-end tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

pub mod dns;
pub mod server;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A response: status, headers and the JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// An HTTP client for one server and tenant.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub tenant: String,
}

impl Api {
    pub fn new(base: &str, tenant: &str) -> Api {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_else(|error| panic!("building the HTTP client failed: {error}"));
        Api {
            http,
            base: base.to_owned(),
            tenant: tenant.to_owned(),
        }
    }

    /// Obtains an access token with `client_secret_basic`.
    pub async fn token(&self, client_id: &str, secret: &str) -> String {
        let reply = self.token_request(client_id, secret, None).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "token request failed: {}",
            reply.text
        );
        reply.body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {}", reply.text))
            .to_owned()
    }

    /// Sends a `client_credentials` token request with HTTP Basic client authentication.
    pub async fn token_request(&self, client_id: &str, secret: &str, scope: Option<&str>) -> Reply {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let request = self
            .http
            .post(format!("{}/{}/connect/token", self.base, self.tenant))
            .basic_auth(client_id, Some(secret))
            .form(&form);
        reply(request).await
    }

    /// Sends a `client_credentials` token request with the secret in the form body.
    pub async fn token_request_post(&self, client_id: &str, secret: &str) -> Reply {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ];
        let request = self
            .http
            .post(format!("{}/{}/connect/token", self.base, self.tenant))
            .form(&form);
        reply(request).await
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str, body: Option<Value>) -> Reply {
        self.send(Method::DELETE, path, Some(token), body).await
    }

    /// Creates a client with `client_credentials` and scope `services.iam`, returning its id.
    pub async fn create_client(&self, token: &str, name: &str) -> String {
        let body = json!({
            "name": name,
            "description": "created by a test",
            "allowedGrantTypes": ["client_credentials"],
            "redirectUris": [],
            "allowedScopes": ["services.iam"],
        });
        let reply = self.post("/v1/clients", token, body).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "creating a client failed: {}",
            reply.text
        );
        let location = reply
            .header("location")
            .unwrap_or_else(|| panic!("no Location header"))
            .to_owned();
        location
            .rsplit('/')
            .next()
            .unwrap_or_else(|| panic!("bad Location `{location}`"))
            .to_owned()
    }

    /// Adds a secret to a client.
    pub async fn add_secret(&self, token: &str, client_id: &str, value: &str) -> Reply {
        let body = json!({ "value": value, "description": "test secret" });
        self.post(&format!("/v1/clients/{client_id}/secrets"), token, body)
            .await
    }

    /// Checks a policy decision through the API.
    pub async fn allowed(&self, token: &str, subject: &str, action: &str, scope: &str) -> bool {
        let body = json!({ "subject": subject, "action": action, "scope": scope });
        let reply = self.post("/v1/policies/check", token, body).await;
        assert_eq!(reply.status, StatusCode::OK, "check failed: {}", reply.text);
        reply.body["allowed"]
            .as_bool()
            .unwrap_or_else(|| panic!("no `allowed` in {}", reply.text))
    }
}

async fn reply(request: reqwest::RequestBuilder) -> Reply {
    let response = request
        .send()
        .await
        .unwrap_or_else(|error| panic!("request failed: {error}"));
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}
