//! Invitations, user claims, `/v1/me` with a user token, and user tokens.

use axum::http::{Method, StatusCode};
use iam_core::user::NewUser;
use serde_json::{Value, json};

use crate::support::{TestApp, setup};

const PASSWORD: &str = "correct horse battery";

async fn invite(app: &TestApp, token: &str, email: &str) -> crate::support::Reply {
    app.call(
        Method::POST,
        &format!(
            "/v1/users/invite?email={email}&redirectUrl=https%3A%2F%2Fapp.example.com%2Faccept-invite"
        ),
        Some(token),
        None,
    )
    .await
}

fn acceptance(token: &str, password: &str) -> Value {
    json!({ "token": token, "fullName": "Jane Doe", "phoneNumber": "+4712345678", "password": password })
}

/// Creates a user through the library and returns its id.
async fn seed_user(app: &TestApp, email: &str) -> String {
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
    let user = handle
        .create_user(NewUser {
            email: email.to_owned(),
            full_name: "Seeded User".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    user.id.to_string()
}

#[tokio::test]
async fn invitation_accepted_once() {
    let app = setup().await;
    let admin = app.admin_token().await;

    let invited = invite(&app, &admin, "jane.doe%40aritma.com").await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    assert_eq!(invited.header("cache-control"), "no-store");
    assert_eq!(invited.body["email"], "jane.doe@aritma.com");
    assert_eq!(
        invited.body["redirectUrl"],
        "https://app.example.com/accept-invite"
    );
    assert_eq!(invited.body["status"], "Pending");
    assert!(invited.body["expiresAt"].is_string());
    assert!(invited.body["id"].is_string());
    let token = invited.body["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(token.len() > 40, "{token}");

    let short = app
        .call(
            Method::POST,
            "/v1/invitations/accept",
            None,
            Some(acceptance(&token, "too short")),
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(
        short.body["errors"]["password"].is_array(),
        "{}",
        short.body
    );
    assert!(!short.body.to_string().contains("too short"));

    let accepted = app
        .call(
            Method::POST,
            "/v1/invitations/accept",
            None,
            Some(acceptance(&token, PASSWORD)),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    let id = accepted.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(accepted.header("location"), format!("/v1/users/{id}"));
    assert_eq!(accepted.body["email"], "jane.doe@aritma.com");
    assert_eq!(accepted.body["fullName"], "Jane Doe");
    assert_eq!(accepted.body["phoneNumber"], "+4712345678");
    let text = accepted.body.to_string();
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(!text.contains(&token), "{text}");

    let again = app
        .call(
            Method::POST,
            "/v1/invitations/accept",
            None,
            Some(acceptance(&token, PASSWORD)),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body["errors"]["token"].is_array(), "{}", again.body);
    let unknown = app
        .call(
            Method::POST,
            "/v1/invitations/accept",
            None,
            Some(acceptance("iam_invite_unknown", PASSWORD)),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["errors"], again.body["errors"]);

    let user = app
        .call(Method::GET, &format!("/v1/users/{id}"), Some(&admin), None)
        .await;
    assert_eq!(user.status, StatusCode::OK);
}

#[tokio::test]
async fn invitation_validation() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let missing = app
        .call(Method::POST, "/v1/users/invite", Some(&admin), None)
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.body["errors"]["email"].is_array());
    let bad_email = invite(&app, &admin, "not-an-address").await;
    assert_eq!(bad_email.status, StatusCode::BAD_REQUEST);
    assert!(bad_email.body["errors"]["email"].is_array());
    let bad_url = app
        .call(
            Method::POST,
            "/v1/users/invite?email=a%40example.com&redirectUrl=not%20a%20url",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(bad_url.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_url.body["errors"]["redirectUrl"].is_array(),
        "{}",
        bad_url.body
    );

    seed_user(&app, "taken@example.com").await;
    let existing = invite(&app, &admin, "TAKEN%40example.com").await;
    assert_eq!(existing.status, StatusCode::CONFLICT);

    let unauthenticated = app
        .call(
            Method::POST,
            "/v1/users/invite?email=a%40example.com",
            None,
            None,
        )
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);

    let no_body = app
        .call(
            Method::POST,
            "/v1/invitations/accept",
            None,
            Some(json!({ "token": "x" })),
        )
        .await;
    assert_eq!(no_body.status, StatusCode::BAD_REQUEST);
    assert!(
        no_body.body["errors"]["password"].is_array(),
        "{}",
        no_body.body
    );
    let wrong_type = app
        .call(
            Method::POST,
            "/v1/invitations/accept",
            None,
            Some(json!({ "token": "x", "password": 1234567890123_i64 })),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert!(!wrong_type.body.to_string().contains("1234567890123"));
}

#[tokio::test]
async fn user_claims_lifecycle() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let id = seed_user(&app, "claims@example.com").await;
    let path = format!("/v1/users/{id}/claims");

    let empty = app.call(Method::GET, &path, Some(&admin), None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body, json!([]));

    let added = app
        .call(
            Method::POST,
            &format!("/v1/users/user-{id}/claims"),
            Some(&admin),
            Some(json!({ "claimType": "department", "claimValue": "finance" })),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let claim_id = added.body["claimId"].as_u64().unwrap_or_default();
    assert_eq!(
        added.header("location"),
        format!("/v1/users/{id}/claims/{claim_id}")
    );
    assert_eq!(
        added.body,
        json!({ "claimId": claim_id, "userId": id, "claimType": "department", "claimValue": "finance" })
    );

    let invalid = app
        .call(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({ "claimType": "", "claimValue": "x" })),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid.body["errors"]["claimType"].is_array());

    let listed = app.call(Method::GET, &path, Some(&admin), None).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));

    let other = app.other_tenant_token("other").await;
    let foreign = app.call(Method::GET, &path, Some(&other), None).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let foreign_delete = app
        .call(
            Method::DELETE,
            &format!("{path}/{claim_id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(foreign_delete.status, StatusCode::NOT_FOUND);

    let deleted = app
        .call(
            Method::DELETE,
            &format!("{path}/{claim_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app
        .call(
            Method::DELETE,
            &format!("{path}/{claim_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let bad = app
        .call(Method::DELETE, &format!("{path}/abc"), Some(&admin), None)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let unknown_user = app
        .call(
            Method::GET,
            &format!("/v1/users/{}/claims", uuid::Uuid::new_v4()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(unknown_user.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn me_and_claims_with_user_token() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let id = seed_user(&app, "me@example.com").await;
    app.call(
        Method::POST,
        &format!("/v1/users/{id}/claims"),
        Some(&admin),
        Some(json!({ "claimType": "department", "claimValue": "finance" })),
    )
    .await;

    let token = app.user_token("ME@example.com").await;
    let me = app.call(Method::GET, "/v1/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["id"], id.as_str());
    assert_eq!(me.body["email"], "me@example.com");

    let claims = app
        .call(Method::GET, "/v1/me/claims", Some(&token), None)
        .await;
    assert_eq!(claims.status, StatusCode::OK);
    assert_eq!(claims.body[0]["claimType"], "department");
    assert_eq!(claims.body[0]["userId"], id.as_str());

    // A user without permissions may read itself but nothing else.
    let users = app.call(Method::GET, "/v1/users", Some(&token), None).await;
    assert_eq!(users.status, StatusCode::FORBIDDEN);

    let by_id = app.user_token(&format!("user-{id}")).await;
    let me = app.call(Method::GET, "/v1/me", Some(&by_id), None).await;
    assert_eq!(me.status, StatusCode::OK);

    let introspected = app
        .call(Method::GET, "/v1/me/permissions", Some(&token), None)
        .await;
    assert_eq!(introspected.status, StatusCode::OK);
}

#[tokio::test]
async fn me_claims_forbidden_for_clients() {
    let app = setup().await;
    let admin = app.admin_token().await;
    for path in ["/v1/me", "/v1/me/claims"] {
        let reply = app.call(Method::GET, path, Some(&admin), None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(reply.problem_type(), "urn:iam:problem:forbidden");
    }
    let anonymous = app.call(Method::GET, "/v1/me/claims", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn user_token_stops_when_user_disabled() {
    let app = setup().await;
    let admin = app.admin_token().await;
    let id = seed_user(&app, "leaver@example.com").await;
    let token = app.user_token("leaver@example.com").await;
    let disabled = app
        .call(
            Method::PUT,
            &format!("/v1/users/{id}"),
            Some(&admin),
            Some(json!({ "fullName": "Leaver", "phoneNumber": null, "active": false })),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    let me = app.call(Method::GET, "/v1/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);

    let refused = iam_http::user_token::issue_user_token(
        &app.iam,
        app.state.signer(),
        crate::support::PUBLIC_URL,
        "acme",
        "leaver@example.com",
        "services.iam",
    )
    .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn user_token_claims() {
    let app = setup().await;
    let id = seed_user(&app, "claims-check@example.com").await;
    let token = app.user_token("claims-check@example.com").await;
    let claims = app
        .state
        .signer()
        .verify(&token)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(claims.sub, format!("user-{id}"));
    assert_eq!(claims.client_id, "iam-server");
    assert_eq!(claims.scope, "services.iam");
    assert_eq!(claims.iss, "http://iam.test/acme");
    assert_eq!(claims.exp - claims.iat, 3600);

    for (tenant, user, scope) in [
        ("nowhere", "claims-check@example.com", "services.iam"),
        ("acme", "nobody@example.com", "services.iam"),
        ("acme", "not-a-uuid", "services.iam"),
        ("acme", "claims-check@example.com", "no.such.scope"),
        ("acme", "claims-check@example.com", " "),
    ] {
        let result = iam_http::user_token::issue_user_token(
            &app.iam,
            app.state.signer(),
            crate::support::PUBLIC_URL,
            tenant,
            user,
            scope,
        )
        .await;
        assert!(result.is_err(), "{tenant} {user} {scope}");
    }
}
