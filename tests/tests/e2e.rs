//! End-to-end journeys against the real `iam-server` binary on a loopback port, on each
//! store, with a real HTTP client. Every journey ends by checking that the server's log
//! holds none of the secrets and tokens it used.

mod support;

use std::path::Path;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Api;
use support::server::{Admin, Backend, Server, init_tenant};

/// Starts a server with one initialised tenant and returns it with an admin token.
async fn start(backend: Backend) -> (tempfile::TempDir, Server, Admin, Api, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let admin = init_tenant(dir.path(), backend, "acme");
    let server = Server::start(dir.path(), backend, &[]);
    let api = Api::new(&server.base, &admin.tenant_name);
    let token = api.token(&admin.client_id, &admin.client_secret).await;
    (dir, server, admin, api, token)
}

/// Stops the server and fails if its log contains any of `secrets`.
fn assert_log_clean(server: Server, secrets: &[&str]) {
    let log = server.stop();
    assert!(!log.is_empty(), "the server logged nothing");
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(
            !log.contains(secret),
            "the server log contains a secret or token: `{secret}`\n{log}"
        );
    }
}

/// Creates a user through the library while no server holds the store.
async fn seed_user(data_dir: &Path, backend: Backend, tenant: &str, email: &str) -> String {
    {
        let store: Arc<dyn iam_core::store::Store> = match backend {
            Backend::Sqlite => Arc::new(
                iam_store_sqlite::SqliteStore::open(data_dir)
                    .unwrap_or_else(|error| panic!("{error:?}")),
            ),
            Backend::Sled => Arc::new(
                iam_store_sled::SledStore::open(data_dir)
                    .unwrap_or_else(|error| panic!("{error:?}")),
            ),
        };
        let iam = iam_core::Iam::open(store)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let found = iam
            .find_tenant(tenant)
            .await
            .unwrap_or_else(|error| panic!("{error}"))
            .unwrap_or_else(|| panic!("tenant `{tenant}` not found"));
        let handle = iam
            .tenant(found.id, iam_core::Actor::Operator)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let input = iam_core::user::NewUser {
            email: email.to_owned(),
            full_name: "Departing User".to_owned(),
            ..Default::default()
        };
        let user = handle
            .create_user(input)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        format!("user-{}", user.id)
    }
}

fn items_of(reply: &support::Reply) -> Vec<Value> {
    reply.body["items"].as_array().cloned().unwrap_or_default()
}

/// A service client gets a secret and a token, is denied, is granted a policy and is
/// allowed at once.
async fn service_client_journey(backend: Backend) {
    let (_dir, server, admin, api, admin_token) = start(backend).await;
    let client_id = api.create_client(&admin_token, "Billing service").await;
    let secret = "s3cr3tV@lue!-billing";
    let added = api.add_secret(&admin_token, &client_id, secret).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);

    let token = api.token(&client_id, secret).await;
    let denied = api.get("/v1/clients", &token).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.text);
    assert_eq!(
        denied.header("content-type"),
        Some("application/problem+json")
    );

    let policy = json!({ "subject": format!("client-{client_id}"), "scope": "/", "action": "iam.client.read" });
    let created = api.post("/v1/policies", &admin_token, policy).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    assert_eq!(created.body["tenant"], json!(admin.tenant_id));

    let allowed = api.get("/v1/clients", &token).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
    assert!(
        items_of(&allowed)
            .iter()
            .any(|item| item["clientId"] == json!(client_id))
    );
    assert_log_clean(
        server,
        &[secret, &token, &admin_token, &admin.client_secret],
    );
}

/// A team group gets a policy; a new member inherits it and loses it on removal.
async fn team_group_journey(backend: Backend) {
    let (_dir, server, admin, api, admin_token) = start(backend).await;
    let created = api
        .post(
            "/v1/subjects/groups",
            &admin_token,
            json!({ "displayName": "Finance Team", "description": "string" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let group = created.body["subjectId"]
        .as_str()
        .unwrap_or_else(|| panic!("no subjectId: {}", created.text))
        .to_owned();
    assert_eq!(created.body["type"], json!("Group"));

    let policy =
        json!({ "subject": group, "action": "iam.policy.read", "scope": "/subscriptions/123" });
    assert_eq!(
        api.post("/v1/policies", &admin_token, policy).await.status,
        StatusCode::OK
    );
    let member = format!(
        "client-{}",
        api.create_client(&admin_token, "New member").await
    );
    assert!(
        !api.allowed(
            &admin_token,
            &member,
            "iam.policy.read",
            "/subscriptions/123/x"
        )
        .await
    );

    let add = api
        .post(
            &format!("/v1/subjects/groups/{group}/members"),
            &admin_token,
            json!({ "subjectIds": [member] }),
        )
        .await;
    assert_eq!(add.status, StatusCode::NO_CONTENT, "{}", add.text);
    assert!(
        api.allowed(
            &admin_token,
            &member,
            "iam.policy.read",
            "/subscriptions/123/x"
        )
        .await
    );
    assert!(
        !api.allowed(
            &admin_token,
            &member,
            "iam.policy.read",
            "/subscriptions/1234"
        )
        .await
    );

    let members = api
        .get(
            &format!("/v1/subjects/groups/{group}/members"),
            &admin_token,
        )
        .await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.text);
    assert_eq!(members.body["total"], json!(1));

    let remove = api
        .delete(
            &format!("/v1/subjects/groups/{group}/members"),
            &admin_token,
            Some(json!({ "subjectIds": [member] })),
        )
        .await;
    assert_eq!(remove.status, StatusCode::NO_CONTENT, "{}", remove.text);
    assert!(
        !api.allowed(
            &admin_token,
            &member,
            "iam.policy.read",
            "/subscriptions/123/x"
        )
        .await
    );
    assert_log_clean(server, &[&admin_token, &admin.client_secret]);
}

/// A departed user's policies and memberships are revoked when the user is deleted.
async fn departed_user_journey(backend: Backend) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let admin = init_tenant(dir.path(), backend, "acme");
    let user = seed_user(dir.path(), backend, "acme", "leaver@example.com").await;
    let server = Server::start(dir.path(), backend, &[]);
    let api = Api::new(&server.base, &admin.tenant_name);
    let admin_token = api.token(&admin.client_id, &admin.client_secret).await;

    let group = api
        .post(
            "/v1/subjects/groups",
            &admin_token,
            json!({ "displayName": "Leavers" }),
        )
        .await;
    let group = group.body["subjectId"]
        .as_str()
        .unwrap_or_else(|| panic!("no group: {}", group.text))
        .to_owned();
    let add = api
        .post(
            &format!("/v1/subjects/groups/{group}/members"),
            &admin_token,
            json!({ "subjectIds": [user] }),
        )
        .await;
    assert_eq!(add.status, StatusCode::NO_CONTENT, "{}", add.text);
    let policy = json!({ "subject": user, "action": "iam.user.read", "scope": "/" });
    assert_eq!(
        api.post("/v1/policies", &admin_token, policy).await.status,
        StatusCode::OK
    );
    assert!(
        api.allowed(&admin_token, &user, "iam.user.read", "/x")
            .await
    );

    let bare = user.trim_start_matches("user-");
    let deleted = api
        .delete(&format!("/v1/users/{bare}"), &admin_token, None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert!(
        !api.allowed(&admin_token, &user, "iam.user.read", "/x")
            .await
    );
    let policies = api
        .get(&format!("/v1/policies?subject={user}"), &admin_token)
        .await;
    assert_eq!(policies.status, StatusCode::OK, "{}", policies.text);
    assert_eq!(policies.body["data"].as_array().map(Vec::len), Some(0));
    let members = api
        .get(
            &format!("/v1/subjects/groups/{group}/members"),
            &admin_token,
        )
        .await;
    assert_eq!(members.body["total"], json!(0), "{}", members.text);
    assert_eq!(
        api.get(&format!("/v1/users/{bare}"), &admin_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_log_clean(server, &[&admin_token, &admin.client_secret]);
}

/// Two secrets are valid at once during rotation; deleting the old one retires it.
async fn secret_rotation_journey(backend: Backend) {
    let (_dir, server, admin, api, admin_token) = start(backend).await;
    let client_id = api.create_client(&admin_token, "Rotating service").await;
    let old = "old-secret-0001";
    let new = "new-secret-0002";
    assert_eq!(
        api.add_secret(&admin_token, &client_id, old).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.add_secret(&admin_token, &client_id, new).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.token_request(&client_id, old, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.token_request_post(&client_id, new).await.status,
        StatusCode::OK
    );

    let secrets = api
        .get(&format!("/v1/clients/{client_id}/secrets"), &admin_token)
        .await;
    assert_eq!(secrets.status, StatusCode::OK, "{}", secrets.text);
    let listed = items_of(&secrets);
    assert_eq!(listed.len(), 2);
    assert!(
        !secrets.text.contains(old) && !secrets.text.contains(new),
        "secret values must never be returned"
    );
    let old_id = listed[0]["id"].clone();
    let old_id = old_id
        .as_u64()
        .map(|id| id.to_string())
        .unwrap_or_else(|| old_id.as_str().unwrap_or_default().to_owned());

    let deleted = api
        .delete(
            &format!("/v1/clients/{client_id}/secrets/{old_id}"),
            &admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let refused = api.token_request(&client_id, old, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
    assert_eq!(refused.body["error"], json!("invalid_client"));
    assert_eq!(
        api.token_request(&client_id, new, None).await.status,
        StatusCode::OK
    );
    assert_log_clean(server, &[old, new, &admin_token, &admin.client_secret]);
}

/// Ids of another tenant answer exactly as unknown ids: 404.
async fn cross_tenant_journey(backend: Backend) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let first = init_tenant(dir.path(), backend, "first");
    let second = init_tenant(dir.path(), backend, "second");
    let server = Server::start(dir.path(), backend, &[]);
    let first_api = Api::new(&server.base, &first.tenant_name);
    let second_api = Api::new(&server.base, &second.tenant_id);
    let first_token = first_api
        .token(&first.client_id, &first.client_secret)
        .await;
    let second_token = second_api
        .token(&second.client_id, &second.client_secret)
        .await;

    let client_id = first_api.create_client(&first_token, "Private").await;
    let group = first_api
        .post(
            "/v1/subjects/groups",
            &first_token,
            json!({ "displayName": "Private group" }),
        )
        .await;
    let group = group.body["subjectId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let unknown = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/v1/clients/{client_id}"),
        format!("/v1/clients/{client_id}/secrets"),
        format!("/v1/subjects/groups/{group}"),
        format!("/v1/subjects/groups/{group}/members"),
    ] {
        let other = second_api.get(&path, &second_token).await;
        let missing = second_api
            .get(
                &path
                    .replace(&client_id, unknown)
                    .replace(group.trim_start_matches("group-"), unknown),
                &second_token,
            )
            .await;
        assert_eq!(
            other.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            other.text
        );
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(other.body["type"], missing.body["type"], "{path}");
        assert_eq!(other.body["title"], missing.body["title"], "{path}");
    }
    let delete = second_api
        .delete(&format!("/v1/clients/{client_id}"), &second_token, None)
        .await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
    let policy = json!({ "subject": format!("client-{client_id}"), "scope": "/", "action": "iam.client.read" });
    assert_eq!(
        second_api
            .post("/v1/policies", &second_token, policy)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let token_elsewhere = first_api.get("/v1/clients", &second_token).await;
    assert_eq!(
        token_elsewhere.status,
        StatusCode::OK,
        "a token works on its own tenant only"
    );
    assert!(
        !token_elsewhere.text.contains(&client_id),
        "a token must only see its own tenant"
    );
    assert_eq!(
        first_api
            .get(&format!("/v1/clients/{client_id}"), &first_token)
            .await
            .status,
        StatusCode::OK
    );
    assert_log_clean(
        server,
        &[
            &first_token,
            &second_token,
            &first.client_secret,
            &second.client_secret,
        ],
    );
}

/// 23 clients read at page size 10 come as 10, 10 and 3 with working links.
async fn paging_journey(backend: Backend) {
    let (_dir, server, admin, api, admin_token) = start(backend).await;
    for index in 0..22 {
        api.create_client(&admin_token, &format!("client {index:02}"))
            .await;
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for page in 1..=3 {
        let reply = api
            .get(
                &format!("/v1/clients?page={page}&pageSize=10"),
                &admin_token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.body["metadata"]["totalCount"], json!(23));
        assert_eq!(reply.body["metadata"]["pageSize"], json!(10));
        let items = items_of(&reply);
        sizes.push(items.len());
        seen.extend(
            items
                .iter()
                .map(|item| item["clientId"].as_str().unwrap_or_default().to_owned()),
        );
        let links = &reply.body["links"];
        assert!(
            links["first"]
                .as_str()
                .is_some_and(|link| link.starts_with("http")),
            "{links}"
        );
        assert_eq!(links["previous"].is_null(), page == 1, "{links}");
        assert_eq!(links["next"].is_null(), page == 3, "{links}");
    }
    assert_eq!(sizes, [10, 10, 3]);
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 23, "no client may repeat or be skipped");
    assert_log_clean(server, &[&admin_token, &admin.client_secret]);
}

/// Every problem-details status, each as `application/problem+json` with a request id.
async fn problem_details_journey(backend: Backend) {
    let (_dir, server, admin, api, admin_token) = start(backend).await;
    let problem = |reply: &support::Reply, status: StatusCode, code: &str| {
        assert_eq!(reply.status, status, "{}", reply.text);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{}",
            reply.text
        );
        assert_eq!(
            reply.body["type"],
            json!(format!("urn:iam:problem:{code}")),
            "{}",
            reply.text
        );
        assert_eq!(reply.body["status"], json!(status.as_u16()));
        assert!(reply.body["requestId"].is_string(), "{}", reply.text);
    };

    let invalid = api
        .post("/v1/clients", &admin_token, json!({ "name": "", "description": "", "allowedGrantTypes": ["password"], "redirectUris": [], "allowedScopes": [] }))
        .await;
    problem(&invalid, StatusCode::BAD_REQUEST, "validation");
    assert!(
        invalid.body["errors"]["name"].is_array(),
        "{}",
        invalid.text
    );
    assert!(
        invalid.body["errors"]["allowedGrantTypes"]
            .to_string()
            .contains("unsafe"),
        "{}",
        invalid.text
    );

    let anonymous = api.send(Method::GET, "/v1/clients", None, None).await;
    problem(&anonymous, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        anonymous
            .header("www-authenticate")
            .is_some_and(|value| value.starts_with("Bearer"))
    );
    let forged = api
        .get("/v1/clients", "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.AAAA")
        .await;
    problem(&forged, StatusCode::UNAUTHORIZED, "unauthorized");

    let weak = api.create_client(&admin_token, "Weak").await;
    assert_eq!(
        api.add_secret(&admin_token, &weak, "weak-secret-01")
            .await
            .status,
        StatusCode::CREATED
    );
    let weak_token = api.token(&weak, "weak-secret-01").await;
    problem(
        &api.get("/v1/clients", &weak_token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    problem(
        &api.get(
            "/v1/clients/00000000-0000-4000-8000-000000000000",
            &admin_token,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    );

    let group = json!({ "displayName": "Unique" });
    assert_eq!(
        api.post("/v1/subjects/groups", &admin_token, group.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    problem(
        &api.post(
            "/v1/subjects/groups",
            &admin_token,
            json!({ "displayName": "UNIQUE" }),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );

    let client_id = api.create_client(&admin_token, "Versioned").await;
    let current = api
        .get(&format!("/v1/clients/{client_id}"), &admin_token)
        .await;
    let etag = current
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag"))
        .to_owned();
    let update = json!({ "name": "Versioned 2", "description": "", "allowedGrantTypes": ["client_credentials"], "redirectUris": [], "allowedScopes": ["services.iam"] });
    let first = api
        .http
        .put(format!("{}/v1/clients/{client_id}", api.base))
        .bearer_auth(&admin_token)
        .header("if-match", &etag)
        .json(&update)
        .send()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(first.status(), StatusCode::OK);
    let stale = api
        .http
        .put(format!("{}/v1/clients/{client_id}", api.base))
        .bearer_auth(&admin_token)
        .header("if-match", &etag)
        .json(&update)
        .send()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        stale
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok()),
        Some("application/problem+json")
    );

    let huge = json!({ "displayName": "x".repeat(70 * 1024) });
    problem(
        &api.post("/v1/subjects/groups", &admin_token, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    );

    let text = api
        .http
        .post(format!("{}/v1/subjects/groups", api.base))
        .bearer_auth(&admin_token)
        .header("content-type", "text/plain")
        .body("{\"displayName\":\"Plain\"}")
        .send()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let unknown_field = api
        .post(
            "/v1/subjects/groups",
            &admin_token,
            json!({ "displayName": "A", "colour": "red" }),
        )
        .await;
    problem(&unknown_field, StatusCode::BAD_REQUEST, "validation");
    assert_log_clean(
        server,
        &[
            &admin_token,
            &weak_token,
            &admin.client_secret,
            "weak-secret-01",
        ],
    );
}

macro_rules! on_both_stores {
    ($($journey:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $journey() {
                    super::$journey(super::Backend::Sqlite).await;
                }
            )*
        }
        mod sled {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $journey() {
                    super::$journey(super::Backend::Sled).await;
                }
            )*
        }
    };
}

on_both_stores!(
    service_client_journey,
    team_group_journey,
    departed_user_journey,
    secret_rotation_journey,
    cross_tenant_journey,
    paging_journey,
    problem_details_journey,
    if_match_race_journey,
);

/// The README's walkthrough script runs to the end against its own server.
#[test]
fn walkthrough_script_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("{error}"));
    support::server::server_binary();
    let output = std::process::Command::new("bash")
        .arg("examples/walkthrough.sh")
        .current_dir(&root)
        .env("IAM_WALKTHROUGH_PORT", port.to_string())
        .output()
        .unwrap_or_else(|error| panic!("running the walkthrough failed: {error}"));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the walkthrough failed:\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("page 3: 3 clients"), "{printed}");
}

/// Concurrent updates from the same read race on `If-Match`: exactly one wins, every
/// other gets 412, on both stores.
async fn if_match_race_journey(backend: Backend) {
    let (_dir, server, admin, api, admin_token) = start(backend).await;
    let created = api
        .post(
            "/v1/subjects/groups",
            &admin_token,
            json!({ "displayName": "Raced" }),
        )
        .await;
    let group = created.body["subjectId"]
        .as_str()
        .unwrap_or_else(|| panic!("no group: {}", created.text))
        .to_owned();
    let path = format!("{}/v1/subjects/groups/{group}", api.base);
    let current = api
        .get(&format!("/v1/subjects/groups/{group}"), &admin_token)
        .await;
    let etag = current
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag: {}", current.text))
        .to_owned();

    const RACERS: usize = 12;
    let mut handles = Vec::new();
    for index in 0..RACERS {
        let (http, path, token, etag) = (
            api.http.clone(),
            path.clone(),
            admin_token.clone(),
            etag.clone(),
        );
        handles.push(tokio::spawn(async move {
            http.put(path)
                .bearer_auth(token)
                .header("if-match", etag)
                .json(&json!({ "displayName": format!("Raced {index}") }))
                .send()
                .await
                .map(|response| response.status())
        }));
    }
    let mut statuses = Vec::new();
    for handle in handles {
        let status = handle
            .await
            .unwrap_or_else(|error| panic!("{error}"))
            .unwrap_or_else(|error| panic!("{error}"));
        statuses.push(status);
    }
    let winners = statuses.iter().filter(|status| status.is_success()).count();
    let stale = statuses
        .iter()
        .filter(|status| **status == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!(winners, 1, "{statuses:?}");
    assert_eq!(stale, RACERS - 1, "{statuses:?}");
    assert_log_clean(server, &[&admin_token, &admin.client_secret]);
}
