//! Embeds the IAM library with a SQLite store: creates a tenant, a client with a secret,
//! a group, a membership and a policy, verifies the secret and prints two decisions.
//!
//! Run from the repository root with `cargo run --example quickstart`.

use std::error::Error;
use std::sync::Arc;

use iam_core::client::{ClientInput, NewClientSecret};
use iam_core::group::GroupInput;
use iam_core::id::SubjectId;
use iam_core::secret::{ClientSecretValue, hash_secret};
use iam_core::{Actor, Iam};
use iam_store_sqlite::SqliteStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path())?;
    let iam = Iam::open(Arc::new(store)).await?;
    println!("opened a SQLite store in {}", dir.path().display());

    let tenant = iam.create_tenant("acme").await?;
    let acme = iam.tenant(tenant.id, Actor::Operator).await?;

    let client = acme
        .create_client(ClientInput {
            name: "Billing service".to_owned(),
            description: "Reads invoices".to_owned(),
            allowed_grant_types: vec!["client_credentials".to_owned()],
            redirect_uris: Vec::new(),
            allowed_scopes: vec!["services.iam".to_owned()],
        })
        .await?;

    // Argon2id is deliberately slow, so an async server hashes on a blocking thread.
    let secret = ClientSecretValue::new("s3cr3tV@lue!".to_owned())?;
    let random = iam.clone();
    let hash = tokio::task::spawn_blocking(move || {
        hash_secret(secret.expose_secret().as_bytes(), random.random())
    })
    .await??;
    acme.add_client_secret(
        client.client_id,
        NewClientSecret {
            hash,
            description: "Production API access".to_owned(),
            expiration: None,
            tag: None,
        },
    )
    .await?;

    let team = acme
        .create_group(GroupInput {
            display_name: "Finance Team".to_owned(),
            description: String::new(),
        })
        .await?;
    let client_subject = SubjectId::Client(client.client_id);
    acme.add_members(team.id, &[client_subject]).await?;
    acme.create_policy(
        &SubjectId::Group(team.id),
        "iam.policy.read",
        "/subscriptions/123",
    )
    .await?;

    let credentials = acme
        .client_credentials(&client.client_id.to_string())
        .await?;
    let verified = tokio::task::spawn_blocking(move || credentials.verify(b"s3cr3tV@lue!")).await?;
    println!(
        "secret of client {} verified: {}",
        client.client_id,
        verified.is_some()
    );

    let inside = acme.check(
        &client_subject,
        "iam.policy.read",
        "/subscriptions/123/invoices",
    );
    let outside = acme.check(&client_subject, "iam.policy.read", "/subscriptions/1234");
    println!("read /subscriptions/123/invoices: {inside}");
    println!("read /subscriptions/1234: {outside}");
    Ok(())
}
