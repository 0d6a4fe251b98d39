//! Tenant isolation and token checks over every `/v1` operation of the real server, with
//! the operation list taken from its `/openapi.json`, so a new route is covered as soon
//! as it is documented.
//!
//! The isolation matrix sends each operation twice with tenant `beta`'s admin token:
//! once with the ids of objects that exist in tenant `alpha`, once with unknown ids of
//! the same shape. Both must get the same status and problem `type` and `title`, and an
//! operation with an id in its path must get 404. So `beta` cannot tell an object of
//! another tenant from one that does not exist.
//!
//! The token matrix sends each operation with six kinds of token, and each must get 401
//! with `WWW-Authenticate: Bearer`. The kinds are a forged signature, a payload of another
//! token under the original signature, `alg: none`, an expired token (from `iam-server
//! token --lifetime 0`), a token signed by another server's key, and a token of the same
//! key and tenant issued under another `--public-url`.
//!
//! `POST /v1/invitations/accept` takes no access token (the invitation token names the
//! tenant), so both matrices leave it out.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::server::{Backend, Server, init_tenant, server_binary};
use support::{Api, Reply};

/// The public base URL of the server under test. Tokens carry it in their issuer, so the
/// server keeps it across restarts on new ports.
const PUBLIC_URL: &str = "http://iam-matrix.test";

/// Another public base URL of the same store, for tokens of the wrong issuer.
const OTHER_PUBLIC_URL: &str = "http://other-issuer.test";

/// The operations that need no access token.
const ANONYMOUS: [(&str, &str); 1] = [("POST", "/v1/invitations/accept")];

/// The values that stand for ids in one request: those of `alpha`'s objects, or unknown
/// ones of the same shape.
#[derive(Debug, Clone)]
struct Ids {
    client_id: String,
    client_secret_id: String,
    group: String,
    user_id: String,
    role_id: String,
    scope_name: String,
    sso_id: String,
    sso_scheme: String,
    scim_id: String,
    claim_id: String,
    domain: String,
}

impl Ids {
    fn subject(&self) -> String {
        format!("user-{}", self.user_id)
    }

    fn unknown() -> Ids {
        Ids {
            client_id: "6d0c1c7e-0000-4000-8000-00000000c11e".to_owned(),
            client_secret_id: "1".to_owned(),
            group: "group-6d0c1c7e-0000-4000-8000-000000009e09".to_owned(),
            user_id: "6d0c1c7e-0000-4000-8000-0000000005e4".to_owned(),
            role_id: "6d0c1c7e-0000-4000-8000-00000000401e".to_owned(),
            scope_name: "unknown.scope".to_owned(),
            sso_id: "999999".to_owned(),
            sso_scheme: "unknownscheme".to_owned(),
            scim_id: "6d0c1c7e-0000-4000-8000-00000000501e".to_owned(),
            claim_id: "1".to_owned(),
            domain: "unknown-tenant-domain.example".to_owned(),
        }
    }
}

/// Returns the value of the path parameter `name` of `path`. Panics on a name that the
/// table does not know, so that a new route can't skip the matrix.
fn path_value(name: &str, path: &str, ids: &Ids) -> String {
    match name {
        "clientId" => ids.client_id.clone(),
        "clientSecretId" => ids.client_secret_id.clone(),
        "group" => ids.group.clone(),
        "userId" => ids.user_id.clone(),
        "roleId" => ids.role_id.clone(),
        "name" if path.starts_with("/v1/scopes/") => ids.scope_name.clone(),
        "id" if path.starts_with("/v1/sso/") => ids.sso_id.clone(),
        "id" if path.starts_with("/v1/scim/") => ids.scim_id.clone(),
        "type" => "custom".to_owned(),
        "subject" => ids.subject(),
        "claimId" => ids.claim_id.clone(),
        other => panic!(
            "path parameter `{other}` of `{path}` has no entry in the id table of this test; add one"
        ),
    }
}

/// Returns true for path parameters that name an object, as opposed to a kind.
fn is_id_parameter(name: &str) -> bool {
    name != "type"
}

/// Returns true for ids that are numbers counted per tenant or per object (SSO
/// providers, client secrets, claims), so the same number exists in every tenant and
/// names different objects.
fn is_local_number(name: &str) -> bool {
    matches!(name, "id" | "clientSecretId" | "claimId")
}

/// Returns the parts of a request that name objects of the tenant and can come from
/// another tenant: id path parameters, `query` when the query names an object, and
/// `body` when the body does.
fn id_slots(operation: &Operation) -> Vec<String> {
    let mut slots: Vec<String> = operation
        .path_parameters
        .iter()
        .filter(|name| is_id_parameter(name) && !is_local_number(name))
        .cloned()
        .collect();
    if operation
        .query_parameters
        .iter()
        .any(|name| matches!(name.as_str(), "domain" | "subject" | "actor" | "target"))
    {
        slots.push("query".to_owned());
    }
    let body_names_ids = matches!(
        (operation.method.as_str(), operation.path.as_str()),
        ("POST" | "DELETE", "/v1/policies")
            | (
                "POST",
                "/v1/policies/check" | "/v1/policies/check-batch" | "/v1/scim"
            )
            | ("POST" | "DELETE", "/v1/subjects/groups/{group}/members")
    );
    if body_names_ids {
        slots.push("body".to_owned());
    }
    slots
}

/// Returns true for operations whose whole successful body must not depend on whether
/// an id belongs to another tenant.
fn compares_body(operation: &Operation) -> bool {
    operation.method == "POST" && operation.path.starts_with("/v1/policies/check")
}

/// Returns the value of the query parameter `name`, or `None` to leave it out. Panics
/// on a name that the table does not know.
fn query_value(name: &str, path: &str, ids: &Ids, serial: usize) -> Option<String> {
    match name {
        "domain" => Some(ids.domain.clone()),
        "subject" | "actor" | "target" => Some(ids.subject()),
        "email" => Some(format!("matrix-{serial}@beta.example")),
        "fullName" => Some(format!("Matrix User {serial}")),
        "page" | "pageSize" | "cursor" | "searchText" | "searchQuery" | "details" | "filter"
        | "prefix" | "transitive" | "includeDerived" | "includeInherited" | "scope" | "action"
        | "operation" | "phoneNumber" | "redirectUrl" => None,
        other => panic!(
            "query parameter `{other}` of `{path}` has no entry in the query table of this test; add one"
        ),
    }
}

fn sso_body(scheme: &str) -> Value {
    json!({
        "scheme": scheme, "displayName": "Matrix IdP", "enabled": true, "type": "oidc",
        "properties": {
            "loginEnabled": true, "visible": true, "delegationEnabled": false,
            "autoProvisioningEnabled": true, "clientId": "matrix-client",
            "verifyEnabled": false, "responseType": "code", "nameClaimType": "name",
            "emailClaimType": "email", "phoneNumberClaimType": "phone",
            "subjectClaimType": "sub", "authority": "https://idp.example.com",
            "scope": "openid", "getClaimsFromUserInfoEndpoint": false, "usePkce": false,
        },
    })
}

fn client_body(serial: usize) -> Value {
    json!({
        "name": format!("matrix client {serial}"),
        "description": "",
        "allowedGrantTypes": ["client_credentials"],
        "redirectUris": [],
        "allowedScopes": ["services.iam"],
    })
}

/// Returns a minimal valid body of the operation, with `ids` where the body names an
/// object, and `serial` where a name must be unique. Panics for an operation that takes
/// a body but has no entry.
fn request_body(method: &str, path: &str, ids: &Ids, serial: usize) -> Value {
    let check = json!({ "subject": ids.subject(), "action": "iam.client.read", "scope": "/" });
    match (method, path) {
        ("POST", "/v1/users/{userId}/claims") => {
            json!({ "claimType": "department", "claimValue": "finance" })
        }
        ("POST", "/v1/clients") | ("PUT", "/v1/clients/{clientId}") => client_body(serial),
        ("POST", "/v1/clients/{clientId}/secrets") => {
            json!({ "value": "matrix-secret-value-1", "description": "" })
        }
        ("POST" | "DELETE", "/v1/policies") | ("POST", "/v1/policies/check") => check,
        ("POST", "/v1/policies/check-batch") => json!({ "checks": [check] }),
        ("POST", "/v1/roles") => {
            json!({ "name": format!("MatrixRole{serial}"), "description": "" })
        }
        ("POST", "/v1/scim") => {
            json!({ "provider": ids.sso_scheme, "providerDisplayName": "Matrix" })
        }
        ("POST", "/v1/scopes") => json!({
            "name": format!("matrix.scope{serial}"), "displayName": "Matrix", "description": "",
        }),
        ("PUT", "/v1/scopes/{name}") => json!({
            "name": ids.scope_name, "displayName": "Matrix", "description": "",
        }),
        ("POST", "/v1/sso/{type}") => sso_body(&format!("matrix{serial}")),
        ("PUT", "/v1/sso/{type}/{id}") => sso_body(&ids.sso_scheme),
        ("POST", "/v1/subjects/groups") | ("PUT", "/v1/subjects/groups/{group}") => {
            json!({ "displayName": format!("Matrix group {serial}") })
        }
        ("POST" | "DELETE", "/v1/subjects/groups/{group}/members") => {
            json!({ "subjectIds": [ids.subject()] })
        }
        ("PUT", "/v1/users/{userId}") => json!({ "fullName": "Matrix", "active": true }),
        _ => panic!(
            "{method} {path} takes a request body but has no entry in the body table of this test; add one"
        ),
    }
}

/// One documented operation.
#[derive(Debug, Clone)]
struct Operation {
    method: String,
    path: String,
    path_parameters: Vec<String>,
    query_parameters: Vec<String>,
    has_body: bool,
}

/// Returns every `/v1` operation of the document except the anonymous ones, reads
/// before changes and creations last, so that objects created by the matrix don't
/// change the outcome of other operations.
fn v1_operations(document: &Value) -> Vec<Operation> {
    let mut operations = Vec::new();
    let paths = document["paths"]
        .as_object()
        .unwrap_or_else(|| panic!("the document has no `paths`"));
    for (path, item) in paths {
        if !path.starts_with("/v1/") {
            continue;
        }
        let item = item
            .as_object()
            .unwrap_or_else(|| panic!("`{path}` is not an object"));
        for (method, operation) in item {
            let method = method.to_uppercase();
            if ANONYMOUS.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let names_in = |place: &str| -> Vec<String> {
                parameters
                    .iter()
                    .filter(|parameter| parameter["in"] == place)
                    .filter_map(|parameter| parameter["name"].as_str().map(str::to_owned))
                    .collect()
            };
            operations.push(Operation {
                path_parameters: names_in("path"),
                query_parameters: names_in("query"),
                has_body: operation.get("requestBody").is_some(),
                method,
                path: path.clone(),
            });
        }
    }
    let rank = |method: &str| match method {
        "GET" => 0,
        "PUT" => 1,
        "DELETE" => 2,
        _ => 3,
    };
    operations.sort_by_key(|operation| rank(&operation.method));
    operations
}

/// Picks the ids of each part of a request: a path parameter by its name, the query
/// string as `query` and the body as `body`.
type Select<'a> = &'a dyn Fn(&str) -> &'a Ids;

/// Builds the path and query of `operation` with the ids that `select` picks.
fn concrete_uri(operation: &Operation, select: Select<'_>, serial: usize) -> String {
    let mut path = operation.path.clone();
    for name in &operation.path_parameters {
        let value = path_value(name, &operation.path, select(name));
        path = path.replace(&format!("{{{name}}}"), &value);
    }
    assert!(
        !path.contains('{'),
        "`{}` has a path parameter that the document does not declare",
        operation.path
    );
    let query: Vec<String> = operation
        .query_parameters
        .iter()
        .filter_map(|name| {
            query_value(name, &operation.path, select("query"), serial)
                .map(|value| format!("{name}={value}"))
        })
        .collect();
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

async fn send_operation(
    api: &Api,
    operation: &Operation,
    select: Select<'_>,
    serial: usize,
    token: &str,
) -> (String, Reply) {
    let uri = concrete_uri(operation, select, serial);
    let method = Method::from_bytes(operation.method.as_bytes())
        .unwrap_or_else(|error| panic!("method {}: {error}", operation.method));
    let body = operation
        .has_body
        .then(|| request_body(&operation.method, &operation.path, select("body"), serial));
    let reply = api.send(method, &uri, Some(token), body).await;
    (uri, reply)
}

/// Runs `iam-server token` for a user of `tenant` and returns the token.
fn operator_token(data_dir: &Path, tenant: &str, user: &str, lifetime: &str) -> String {
    let output = Command::new(server_binary())
        .args(["token", "--data-dir"])
        .arg(data_dir)
        .args([
            "--store",
            "sqlite",
            "--tenant",
            tenant,
            "--user",
            user,
            "--public-url",
            PUBLIC_URL,
            "--lifetime",
            lifetime,
        ])
        .output()
        .unwrap_or_else(|error| panic!("running iam-server token failed: {error}"));
    assert!(
        output.status.success(),
        "iam-server token failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Creates a user through an invitation, because direct creation needs a verified
/// e-mail domain, and returns the user's id.
async fn invite_user(api: &Api, token: &str, email: &str) -> String {
    let invitation = api
        .send(
            Method::POST,
            &format!("/v1/users/invite?email={email}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(
        invitation.status,
        StatusCode::CREATED,
        "{}",
        invitation.text
    );
    let invitation_token = invitation.body["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no invitation token in {}", invitation.text));
    let accepted = api
        .send(
            Method::POST,
            "/v1/invitations/accept",
            None,
            Some(json!({ "token": invitation_token, "password": "matrix password 1" })),
        )
        .await;
    location_id(&accepted)
}

fn location_id(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply
        .header("location")
        .and_then(|location| location.rsplit('/').next())
        .unwrap_or_else(|| panic!("no Location in {:?}", reply.headers))
        .to_owned()
}

/// Creates one object of every kind in the tenant of `token` and returns their ids.
async fn seed(api: &Api, token: &str, label: &str) -> Ids {
    let client_id = api.create_client(token, &format!("{label} client")).await;
    let secret = api
        .add_secret(token, &client_id, "seeded-secret-value-1")
        .await;
    let client_secret_id = location_id(&secret);

    let group = api
        .post(
            "/v1/subjects/groups",
            token,
            json!({ "displayName": format!("{label} group") }),
        )
        .await;
    let group = location_id(&group);

    let user_id = invite_user(api, token, &format!("{label}-user@{label}.example")).await;

    let role = api
        .post(
            "/v1/roles",
            token,
            json!({ "name": format!("{label}Role"), "description": "" }),
        )
        .await;
    let role_id = location_id(&role);

    let scope_name = format!("{label}.scope");
    let scope = api
        .post(
            "/v1/scopes",
            token,
            json!({ "name": scope_name, "displayName": "Seeded", "description": "" }),
        )
        .await;
    assert_eq!(scope.status, StatusCode::CREATED, "{}", scope.text);

    let sso_scheme = format!("{label}idp");
    let sso = api
        .post("/v1/sso/custom", token, sso_body(&sso_scheme))
        .await;
    let sso_id = location_id(&sso);

    let scim = api
        .post(
            "/v1/scim",
            token,
            json!({ "provider": sso_scheme, "providerDisplayName": "Seeded" }),
        )
        .await;
    assert!(scim.status.is_success(), "{}", scim.text);
    let scim_id = scim.body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no SCIM token id in {}", scim.text))
        .to_owned();

    let claim = api
        .post(
            &format!("/v1/users/{user_id}/claims"),
            token,
            json!({ "claimType": "department", "claimValue": "seeded" }),
        )
        .await;
    assert!(claim.status.is_success(), "{}", claim.text);
    let claim_id = claim.body["claimId"].to_string();

    let domain = format!("{label}-corp.example");
    let added = api
        .send(
            Method::POST,
            &format!("/v1/domains?domain={domain}"),
            Some(token),
            None,
        )
        .await;
    assert!(added.status.is_success(), "{}", added.text);

    Ids {
        client_id,
        client_secret_id,
        group,
        user_id,
        role_id,
        scope_name,
        sso_id,
        sso_scheme,
        scim_id,
        claim_id,
        domain,
    }
}

fn problem_fields(reply: &Reply) -> (StatusCode, Value, Value) {
    (
        reply.status,
        reply.body["type"].clone(),
        reply.body["title"].clone(),
    )
}

#[tokio::test]
async fn isolation_and_token_matrix() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let alpha = init_tenant(dir.path(), Backend::Sqlite, "alpha");
    let beta = init_tenant(dir.path(), Backend::Sqlite, "beta");
    let no_limits = [
        "--token-rate-limit",
        "0",
        "--token-rate-limit-per-address",
        "0",
    ];

    // A first run of the same store under another public URL issues a token whose
    // issuer is wrong for the server under test, and creates the user of the expired
    // token.
    let other_issuer = {
        let mut extra = no_limits.to_vec();
        extra.extend(["--public-url", OTHER_PUBLIC_URL]);
        let server = Server::start(dir.path(), Backend::Sqlite, &extra);
        let api = Api::new(&server.base, "beta");
        let token = api.token(&beta.client_id, &beta.client_secret).await;
        invite_user(&api, &token, "expired@beta.example").await;
        server.stop();
        token
    };
    let expired = operator_token(dir.path(), "beta", "expired@beta.example", "0");
    let fresh_user_token = operator_token(dir.path(), "beta", "expired@beta.example", "600");

    // Another store with a tenant of the same name: its own signing key.
    let other_dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let other_beta = init_tenant(other_dir.path(), Backend::Sqlite, "beta");
    let mut other_extra = no_limits.to_vec();
    other_extra.extend(["--public-url", PUBLIC_URL]);
    let other_server = Server::start(other_dir.path(), Backend::Sqlite, &other_extra);
    let other_key = Api::new(&other_server.base, "beta")
        .token(&other_beta.client_id, &other_beta.client_secret)
        .await;
    drop(other_server);

    let mut extra = no_limits.to_vec();
    extra.extend(["--public-url", PUBLIC_URL]);
    let server = Server::start(dir.path(), Backend::Sqlite, &extra);
    let api = Api::new(&server.base, "beta");
    let beta_token = api.token(&beta.client_id, &beta.client_secret).await;
    let alpha_token = Api::new(&server.base, "alpha")
        .token(&alpha.client_id, &alpha.client_secret)
        .await;

    // The user token of the same user and lifetime 600 works, so the expired one fails
    // only for its expiry.
    let me = api.get("/v1/me", &fresh_user_token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);

    let foreign = seed(&Api::new(&server.base, "alpha"), &alpha_token, "alpha").await;
    let unknown = Ids::unknown();

    let document = api
        .send(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let operations = v1_operations(&document);
    assert!(
        operations.len() >= 60,
        "only {} /v1 operations in the document",
        operations.len()
    );

    // Isolation: alpha's ids and unknown ids must look the same to beta.
    let mut outcomes: BTreeMap<String, StatusCode> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for (serial, operation) in operations.iter().enumerate() {
        let label = format!("{} {}", operation.method, operation.path);
        let (foreign_uri, with_foreign) =
            send_operation(&api, operation, &|_| &foreign, serial * 2, &beta_token).await;
        let (unknown_uri, with_unknown) =
            send_operation(&api, operation, &|_| &unknown, serial * 2 + 1, &beta_token).await;
        outcomes.insert(label.clone(), with_foreign.status);

        // The bodies may differ only in the subject id that they quote.
        let bodies_differ = compares_body(operation)
            && with_foreign.text.replace(&foreign.subject(), "<subject>")
                != with_unknown.text.replace(&unknown.subject(), "<subject>");
        if problem_fields(&with_foreign) != problem_fields(&with_unknown) || bodies_differ {
            mismatches.push(format!(
                "{label}: `{foreign_uri}` (alpha's ids) got {} {}, `{unknown_uri}` (unknown ids) got {} {}",
                with_foreign.status, with_foreign.text, with_unknown.status, with_unknown.text
            ));
            continue;
        }
        let takes_id = operation
            .path_parameters
            .iter()
            .any(|name| is_id_parameter(name));
        if takes_id && with_foreign.status != StatusCode::NOT_FOUND {
            mismatches.push(format!(
                "{label}: `{foreign_uri}` got {} instead of 404: {}",
                with_foreign.status, with_foreign.text
            ));
        }
    }
    for (operation, status) in &outcomes {
        println!("isolation {operation}: {status}");
    }

    // Mixed requests: beta's own objects everywhere except one part, which names
    // alpha's object or an unknown one. This reaches the checks behind the first id.
    let own = seed(&api, &beta_token, "beta").await;
    let mut mixed = 0;
    for (serial, operation) in operations.iter().enumerate() {
        let slots = id_slots(operation);
        if slots.len() < 2 {
            continue;
        }
        for slot in &slots {
            mixed += 1;
            let pick_foreign = |name: &str| if name == slot { &foreign } else { &own };
            let pick_unknown = |name: &str| if name == slot { &unknown } else { &own };
            let (foreign_uri, with_foreign) = send_operation(
                &api,
                operation,
                &pick_foreign,
                20_000 + serial * 2,
                &beta_token,
            )
            .await;
            let (unknown_uri, with_unknown) = send_operation(
                &api,
                operation,
                &pick_unknown,
                20_001 + serial * 2,
                &beta_token,
            )
            .await;
            println!(
                "mixed {} {} with another tenant's `{slot}`: {}",
                operation.method, operation.path, with_foreign.status
            );
            if problem_fields(&with_foreign) != problem_fields(&with_unknown) {
                mismatches.push(format!(
                    "{} {} (only `{slot}` from alpha): `{foreign_uri}` got {} {}, `{unknown_uri}` got {} {}",
                    operation.method,
                    operation.path,
                    with_foreign.status,
                    with_foreign.text,
                    with_unknown.status,
                    with_unknown.text
                ));
            } else if slot != "body"
                && slot != "query"
                && with_foreign.status != StatusCode::NOT_FOUND
            {
                mismatches.push(format!(
                    "{} {} (only `{slot}` from alpha): `{foreign_uri}` got {} instead of 404: {}",
                    operation.method, operation.path, with_foreign.status, with_foreign.text
                ));
            }
        }
    }
    println!("mixed requests: {mixed} pairs");
    assert!(mixed >= 10, "only {mixed} mixed request pairs were sent");

    assert!(
        mismatches.is_empty(),
        "{} of {} operations tell alpha's objects apart from unknown ones:\n{}",
        mismatches.len(),
        operations.len(),
        mismatches.join("\n")
    );

    // alpha's objects are still there.
    let alpha_client = Api::new(&server.base, "alpha")
        .get(&format!("/v1/clients/{}", foreign.client_id), &alpha_token)
        .await;
    assert_eq!(alpha_client.status, StatusCode::OK, "{}", alpha_client.text);

    // Tokens that must all be rejected.
    let parts: Vec<&str> = beta_token.split('.').collect();
    assert_eq!(parts.len(), 3, "the access token is not a compact JWS");
    let mut signature: Vec<char> = parts[2].chars().collect();
    let middle = signature.len() / 2;
    signature[middle] = if signature[middle] == 'A' { 'B' } else { 'A' };
    let forged_signature = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        signature.iter().collect::<String>()
    );
    let alpha_parts: Vec<&str> = alpha_token.split('.').collect();
    let swapped_payload = format!("{}.{}.{}", parts[0], alpha_parts[1], parts[2]);
    // base64url of `{"alg":"none","typ":"at+jwt"}`.
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.{}.", parts[1]);
    let bad_tokens = [
        ("forged signature", forged_signature),
        ("payload of another token", swapped_payload),
        ("alg none", alg_none),
        ("expired", expired),
        ("signed by another key", other_key),
        ("issued by another issuer", other_issuer),
    ];

    let mut accepted = Vec::new();
    for (serial, operation) in operations.iter().enumerate() {
        for (kind, token) in &bad_tokens {
            let (uri, reply) =
                send_operation(&api, operation, &|_| &unknown, 10_000 + serial, token).await;
            let challenge = reply.header("www-authenticate").unwrap_or_default();
            if reply.status != StatusCode::UNAUTHORIZED || !challenge.starts_with("Bearer") {
                accepted.push(format!(
                    "{} {uri} with a token {kind}: {} `{challenge}` {}",
                    operation.method, reply.status, reply.text
                ));
            }
            if *kind == "expired" && reply.status == StatusCode::UNAUTHORIZED {
                assert!(
                    reply.text.contains("expired"),
                    "the expired token failed for another reason: {}",
                    reply.text
                );
            }
        }
    }
    println!(
        "token matrix: {} operations x {} token kinds",
        operations.len(),
        bad_tokens.len()
    );
    assert!(
        accepted.is_empty(),
        "{} requests with bad tokens did not get 401 with `WWW-Authenticate: Bearer`:\n{}",
        accepted.len(),
        accepted.join("\n")
    );

    drop(server);
}
