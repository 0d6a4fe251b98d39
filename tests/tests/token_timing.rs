//! Timing of failed client authentication at the token endpoint of the real server on
//! loopback. A wrong secret of a known client must cost about as much as an unknown
//! client id, so the time does not reveal which client ids exist. The cost of a failed
//! attempt grows at most linearly with the number of secrets of the client.
//!
//! The server runs with the rate limits off, so the attempts are not cut short by 429.
//! Both kinds of attempt alternate, so a load change on the machine affects both alike.

mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::Api;
use support::server::{Backend, Server, init_tenant};

/// Attempts of each kind in the comparison of wrong secret and unknown client.
const ATTEMPTS: usize = 20;

/// Attempts of each kind in the comparison of 1 and 20 secrets. It is small because a
/// failed attempt with 20 secrets costs 20 Argon2id verifications.
const SECRET_COUNT_ATTEMPTS: usize = 6;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Sends one token request with HTTP Basic and returns its duration; it must fail with
/// `invalid_client`.
async fn failed_attempt(api: &Api, client_id: &str, secret: &str) -> Duration {
    let started = Instant::now();
    let reply = api.token_request(client_id, secret, None).await;
    let elapsed = started.elapsed();
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.body["error"], "invalid_client", "{}", reply.text);
    elapsed
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[tokio::test]
async fn failed_client_authentication_timing() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let admin = init_tenant(dir.path(), Backend::Sqlite, "acme");
    let server = Server::start(
        dir.path(),
        Backend::Sqlite,
        &[
            "--token-rate-limit",
            "0",
            "--token-rate-limit-per-address",
            "0",
        ],
    );
    let api = Api::new(&server.base, "acme");
    let token = api.token(&admin.client_id, &admin.client_secret).await;

    let one_secret = api.create_client(&token, "one secret").await;
    let reply = api
        .add_secret(&token, &one_secret, "first-secret-value")
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let twenty_secrets = api.create_client(&token, "twenty secrets").await;
    for index in 0..20 {
        let reply = api
            .add_secret(&token, &twenty_secrets, &format!("secret-value-{index:02}"))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let unknown = "00000000-0000-4000-8000-000000000000";

    // Warm up the connection pool, the blocking threads and the store.
    for _ in 0..2 {
        failed_attempt(&api, &one_secret, "wrong secret").await;
        failed_attempt(&api, unknown, "wrong secret").await;
    }

    let mut wrong_secret = Vec::new();
    let mut unknown_client = Vec::new();
    for _ in 0..ATTEMPTS {
        wrong_secret.push(failed_attempt(&api, &one_secret, "wrong secret").await);
        unknown_client.push(failed_attempt(&api, unknown, "wrong secret").await);
    }
    let wrong_secret = median(wrong_secret);
    let unknown_client = median(unknown_client);
    let ratio = wrong_secret.as_secs_f64() / unknown_client.as_secs_f64();
    println!(
        "median of {ATTEMPTS} failed attempts: known client with a wrong secret {:.1} ms, unknown client id {:.1} ms, ratio {ratio:.2}",
        millis(wrong_secret),
        millis(unknown_client)
    );
    assert!(
        (0.5..=2.0).contains(&ratio),
        "a wrong secret takes {:.1} ms but an unknown client {:.1} ms",
        millis(wrong_secret),
        millis(unknown_client)
    );

    let mut with_one = Vec::new();
    let mut with_twenty = Vec::new();
    for _ in 0..SECRET_COUNT_ATTEMPTS {
        with_one.push(failed_attempt(&api, &one_secret, "wrong secret").await);
        with_twenty.push(failed_attempt(&api, &twenty_secrets, "wrong secret").await);
    }
    let with_one = median(with_one);
    let with_twenty = median(with_twenty);
    let growth = with_twenty.as_secs_f64() / with_one.as_secs_f64();
    println!(
        "median of {SECRET_COUNT_ATTEMPTS} failed attempts: 1 secret {:.1} ms, 20 secrets {:.1} ms, ratio {growth:.1}",
        millis(with_one),
        millis(with_twenty)
    );
    // The server stores a candidate tag with each secret, so a failed attempt verifies
    // only the secrets whose tag matches: about one Argon2id run whatever the count.
    // Twenty verifications would give a ratio near 20; the bound leaves room for noise.
    assert!(
        growth <= 4.0,
        "a failed attempt with 20 secrets costs {growth:.1} times one with 1 secret"
    );

    drop(server);
}
