//! SSO providers and SCIM tokens.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, setup};

const SECRET: &str = "sso-secret-value-123";

fn custom_body(scheme: &str, secret: Option<&str>) -> Value {
    let mut properties = json!({
        "loginEnabled": true, "visible": true, "delegationEnabled": false,
        "autoProvisioningEnabled": true, "clientId": "my-client-id",
        "verifyEnabled": false, "responseType": "code", "nameClaimType": "name",
        "emailClaimType": "email", "phoneNumberClaimType": "phone", "subjectClaimType": "sub",
        "authority": "https://your-idp.example.com", "scope": "openid profile email",
        "getClaimsFromUserInfoEndpoint": false, "usePkce": false,
    });
    if let Some(secret) = secret {
        properties["clientSecret"] = json!(secret);
    }
    json!({ "scheme": scheme, "displayName": "Custom IdP", "enabled": true, "type": "oidc", "properties": properties })
}

/// Fails when the secret appears anywhere in the response: body or headers.
fn assert_no_secret(reply: &Reply) {
    let body = reply.body.to_string();
    assert!(
        !body.contains(SECRET),
        "the response body contains the secret: {body}"
    );
    for (name, value) in &reply.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        assert!(
            !value.contains(SECRET),
            "header `{name}` contains the secret"
        );
    }
}

/// Sends a request and checks that the response does not contain the secret.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Reply {
    let reply = app.call(method, path, Some(token), body).await;
    assert_no_secret(&reply);
    reply
}

async fn create(app: &TestApp, token: &str, kind: &str, body: Value) -> Reply {
    call(
        app,
        Method::POST,
        &format!("/v1/sso/{kind}"),
        token,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn sso_create_read_update_delete() {
    let app = setup().await;
    let admin = app.admin_token().await;

    let created = create(&app, &admin, "custom", custom_body("okta", Some(SECRET))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.header("location"), "/v1/sso/custom/1");
    assert_eq!(
        created.body,
        json!([
            { "rel": "self", "href": "/v1/sso/custom/1", "method": "GET" },
            { "rel": "update", "href": "/v1/sso/custom/1", "method": "PUT" },
            { "rel": "delete", "href": "/v1/sso/custom/1", "method": "DELETE" },
        ])
    );

    let read = call(&app, Method::GET, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header("etag"), "\"1\"");
    assert_eq!(read.body["id"], 1);
    assert_eq!(read.body["scheme"], "okta");
    assert_eq!(read.body["type"], "oidc");
    assert_eq!(read.body["providerType"], "custom");
    assert_eq!(read.body["properties"]["hasClientSecret"], true);
    assert_eq!(read.body["properties"]["clientId"], "my-client-id");
    assert!(read.body["properties"].get("clientSecret").is_none());

    // Sending back what was read (with `hasClientSecret`, without `clientSecret`) keeps
    // the stored secret.
    let mut update = json!({
        "scheme": "okta", "displayName": "Okta", "enabled": false, "type": "oidc",
        "properties": read.body["properties"].clone(),
    });
    let kept = call(
        &app,
        Method::PUT,
        "/v1/sso/custom/1",
        &admin,
        Some(update.clone()),
    )
    .await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    assert_eq!(kept.body, Value::Null);
    assert_eq!(kept.header("etag"), "\"2\"");
    let read = call(&app, Method::GET, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(read.body["displayName"], "Okta");
    assert_eq!(read.body["enabled"], false);
    assert_eq!(read.body["properties"]["hasClientSecret"], true);

    update["properties"]["clientSecret"] = Value::Null;
    let null_keeps = call(
        &app,
        Method::PUT,
        "/v1/sso/custom/1",
        &admin,
        Some(update.clone()),
    )
    .await;
    assert_eq!(null_keeps.status, StatusCode::OK);
    let read = call(&app, Method::GET, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(read.body["properties"]["hasClientSecret"], true);

    update["properties"]["clientSecret"] = json!("");
    let removed = call(
        &app,
        Method::PUT,
        "/v1/sso/custom/1",
        &admin,
        Some(update.clone()),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK);
    let read = call(&app, Method::GET, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(read.body["properties"]["hasClientSecret"], false);

    update["properties"]["clientSecret"] = json!(SECRET);
    let replaced = call(&app, Method::PUT, "/v1/sso/custom/1", &admin, Some(update)).await;
    assert_eq!(replaced.status, StatusCode::OK);
    let read = call(&app, Method::GET, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(read.body["properties"]["hasClientSecret"], true);

    let deleted = call(&app, Method::DELETE, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = call(&app, Method::GET, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sso_secret_stored_encrypted() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let created = create(&app, &admin, "custom", custom_body("okta", Some(SECRET))).await;
    assert_eq!(created.status, StatusCode::CREATED);

    let handle = app
        .iam
        .tenant(
            app.admin
                .tenant_id
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
            iam_core::Actor::Operator,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = handle
        .sso_client_secret(1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(secret.as_ref().map(|s| s.expose_secret()), Some(SECRET));

    let audit = call(&app, Method::GET, "/v1/audit", &admin, None).await;
    assert_eq!(audit.status, StatusCode::OK);
}

#[tokio::test]
async fn sso_list_all_types() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let google = json!({
        "scheme": "google", "displayName": "Google", "enabled": true, "type": "oidc",
        "properties": { "loginEnabled": true, "visible": true, "delegationEnabled": false,
            "autoProvisioningEnabled": true, "clientId": "my-client-id", "clientSecret": SECRET },
    });
    let azure = json!({
        "scheme": "Azure", "displayName": "Entra ID", "enabled": true, "type": "oidc",
        "properties": { "loginEnabled": true, "visible": true, "delegationEnabled": false,
            "autoProvisioningEnabled": true, "clientId": "my-client-id", "clientSecret": SECRET,
            "usePkce": true, "authority": "https://login.microsoftonline.com/{TenantId}/v2.0",
            "responseType": "code", "scope": "openid profile email" },
    });
    let signicat = json!({
        "scheme": "bankid", "displayName": "BankID", "enabled": true, "type": "oidc",
        "properties": { "loginEnabled": true, "visible": true, "delegationEnabled": false,
            "autoProvisioningEnabled": true, "clientId": "my-client-id",
            "verifyEnabled": false, "authority": "https://yourorg.signicat.com/auth/open", "method": "BankId" },
    });
    for (kind, body) in [
        ("google", google),
        ("azuread", azure),
        ("signicat", signicat),
    ] {
        let reply = create(&app, &admin, kind, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{kind}: {}", reply.body);
    }

    let list = call(&app, Method::GET, "/v1/sso?pageSize=2", &admin, None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["metadata"]["totalCount"], 3);
    assert_eq!(
        list.body["items"],
        json!([
            { "id": 2, "scheme": "Azure", "displayName": "Entra ID", "enabled": true, "type": "oidc", "providerType": "azuread" },
            { "id": 3, "scheme": "bankid", "displayName": "BankID", "enabled": true, "type": "oidc", "providerType": "signicat" },
        ])
    );
    assert!(list.body["links"]["next"].is_string());

    let searched = call(&app, Method::GET, "/v1/sso?searchText=goo", &admin, None).await;
    assert_eq!(searched.body["metadata"]["totalCount"], 1);

    let read = call(&app, Method::GET, "/v1/sso/google/1", &admin, None).await;
    assert_eq!(
        read.body["properties"]["authority"],
        "https://accounts.google.com"
    );
    assert_eq!(read.body["properties"]["hasClientSecret"], true);
    let signicat = call(&app, Method::GET, "/v1/sso/signicat/3", &admin, None).await;
    assert_eq!(signicat.body["properties"]["hasClientSecret"], false);
}

#[tokio::test]
async fn sso_wrong_type_and_tenant_are_404() {
    let app = setup().await;
    let admin = app.admin_token().await;
    create(&app, &admin, "custom", custom_body("okta", Some(SECRET))).await;

    let wrong_type = call(&app, Method::GET, "/v1/sso/google/1", &admin, None).await;
    assert_eq!(wrong_type.status, StatusCode::NOT_FOUND);
    let unknown_type = call(&app, Method::GET, "/v1/sso/saml/1", &admin, None).await;
    assert_eq!(unknown_type.status, StatusCode::NOT_FOUND);
    let unknown_create = create(&app, &admin, "AzureAD", custom_body("x", None)).await;
    assert_eq!(unknown_create.status, StatusCode::NOT_FOUND);
    let delete_wrong_type = call(&app, Method::DELETE, "/v1/sso/azuread/1", &admin, None).await;
    assert_eq!(delete_wrong_type.status, StatusCode::NOT_FOUND);
    let put_wrong_type = call(
        &app,
        Method::PUT,
        "/v1/sso/google/1",
        &admin,
        Some(custom_body("okta", None)),
    )
    .await;
    assert_eq!(put_wrong_type.status, StatusCode::NOT_FOUND);
    let bad_id = call(&app, Method::GET, "/v1/sso/custom/abc", &admin, None).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert!(bad_id.body["errors"]["id"].is_array());

    let other = app.other_tenant_token("other").await;
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(custom_body("okta", None))),
        (Method::DELETE, None),
    ] {
        let reply = call(&app, method.clone(), "/v1/sso/custom/1", &other, body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
    }
    let list = call(&app, Method::GET, "/v1/sso", &other, None).await;
    assert_eq!(list.body["metadata"]["totalCount"], 0);
    let still = call(&app, Method::GET, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(still.status, StatusCode::OK);
}

#[tokio::test]
async fn sso_validation_names_fields() {
    let app = setup().await;
    let admin = app.admin_token().await;

    let mut body = custom_body("bad scheme!", Some(SECRET));
    body["type"] = json!("saml");
    body["properties"]["scope"] = json!("profile email");
    body["properties"]["authority"] = json!("http://idp.example.com");
    let reply = create(&app, &admin, "custom", body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    for field in ["scheme", "type", "properties.scope", "properties.authority"] {
        assert!(
            reply.body["errors"][field].is_array(),
            "no error on `{field}`: {}",
            reply.body
        );
    }

    let mut unknown = custom_body("okta", Some(SECRET));
    unknown["properties"]["method"] = json!("BankId");
    let reply = create(&app, &admin, "custom", unknown).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["errors"]["properties"].is_array());

    let mut numeric = custom_body("okta", None);
    numeric["properties"]["clientSecret"] = json!(123_456_789);
    let reply = create(&app, &admin, "custom", numeric).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        !reply.body.to_string().contains("123456789"),
        "{}",
        reply.body
    );

    let mut not_object = custom_body("okta", None);
    not_object["properties"] = json!(SECRET);
    let reply = create(&app, &admin, "custom", not_object).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["errors"]["properties"].is_array());

    let mut extra = custom_body("okta", Some(SECRET));
    extra["id"] = json!(1);
    let reply = create(&app, &admin, "custom", extra).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    let long_secret = "s".repeat(2000);
    let reply = create(
        &app,
        &admin,
        "custom",
        custom_body("okta", Some(&long_secret)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["errors"]["properties.clientSecret"].is_array());
    assert!(!reply.body.to_string().contains(&long_secret));

    let mut mismatch = custom_body("okta", None);
    mismatch["properties"] = json!({ "loginEnabled": true, "visible": true,
        "delegationEnabled": false, "autoProvisioningEnabled": true, "clientId": "x" });
    let reply = create(&app, &admin, "azuread", mismatch).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["errors"]["properties"].is_array(),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn sso_duplicate_scheme_is_409() {
    let app = setup().await;
    let admin = app.admin_token().await;
    create(&app, &admin, "custom", custom_body("okta", Some(SECRET))).await;
    let duplicate = create(&app, &admin, "custom", custom_body("OKTA", None)).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);

    create(&app, &admin, "custom", custom_body("other", None)).await;
    let rename = call(
        &app,
        Method::PUT,
        "/v1/sso/custom/2",
        &admin,
        Some(custom_body("Okta", None)),
    )
    .await;
    assert_eq!(rename.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn sso_if_match_checks_version() {
    let app = setup().await;
    let admin = app.admin_token().await;
    create(&app, &admin, "custom", custom_body("okta", Some(SECRET))).await;
    let request = |etag: &str| {
        axum::http::Request::builder()
            .method(Method::PUT)
            .uri("/v1/sso/custom/1")
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .header("if-match", etag)
            .body(axum::body::Body::from(
                custom_body("okta", None).to_string(),
            ))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let current = app.send(request("\"1\"")).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.body);
    let stale = app.send(request("\"1\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_no_secret(&stale);
}

#[tokio::test]
async fn sso_area_permissions() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let (id, secret) = app.create_client(&admin, "reader", &["services.iam"]).await;
    app.grant(&admin, &format!("client-{id}"), "iam.sso.read", "/")
        .await;
    let token = app.token(&id, &secret).await;
    let list = call(&app, Method::GET, "/v1/sso", &token, None).await;
    assert_eq!(list.status, StatusCode::OK);
    let denied = create(&app, &token, "custom", custom_body("okta", Some(SECRET))).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let scim = call(&app, Method::GET, "/v1/scim", &token, None).await;
    assert_eq!(scim.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn scim_token_lifecycle() {
    let app = setup().await;
    let admin = app.admin_token().await;
    create(&app, &admin, "custom", custom_body("Okta", Some(SECRET))).await;

    let unknown = call(
        &app,
        Method::POST,
        "/v1/scim",
        &admin,
        Some(json!({ "provider": "nobody", "providerDisplayName": "Nobody" })),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body["errors"]["provider"].is_array());
    let invalid = call(
        &app,
        Method::POST,
        "/v1/scim",
        &admin,
        Some(json!({ "provider": "", "providerDisplayName": "" })),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid.body["errors"]["providerDisplayName"].is_array());

    let created = call(
        &app,
        Method::POST,
        "/v1/scim",
        &admin,
        Some(json!({ "provider": "okta", "providerDisplayName": "Okta provisioning" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.header("cache-control"), "no-store");
    assert_eq!(created.body["provider"], "Okta");
    assert_eq!(created.body["providerDisplayName"], "Okta provisioning");
    let token = created.body["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(token.starts_with("iam_scim_"), "{token}");
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();

    let list = call(&app, Method::GET, "/v1/scim", &admin, None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["metadata"]["totalCount"], 1);
    let item = &list.body["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["provider"], "Okta");
    assert!(item["created"].is_string());
    assert_eq!(item["lastUsed"], Value::Null);
    assert!(!list.body.to_string().contains(&token));

    // The provider can't go while the token names its scheme.
    let blocked = call(&app, Method::DELETE, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(blocked.status, StatusCode::CONFLICT);

    let other = app.other_tenant_token("other").await;
    let foreign = call(
        &app,
        Method::DELETE,
        &format!("/v1/scim/{id}"),
        &other,
        None,
    )
    .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let bad_id = call(&app, Method::DELETE, "/v1/scim/not-a-uuid", &admin, None).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);

    let deleted = call(
        &app,
        Method::DELETE,
        &format!("/v1/scim/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = call(
        &app,
        Method::DELETE,
        &format!("/v1/scim/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let provider_deleted = call(&app, Method::DELETE, "/v1/sso/custom/1", &admin, None).await;
    assert_eq!(provider_deleted.status, StatusCode::NO_CONTENT);
}
