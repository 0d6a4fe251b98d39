//! End-to-end journeys of domain verification over real DNS, SSO client secrets at rest,
//! and user tokens from `iam-server token`, against the real `iam-server` binary on each
//! store. Every DNS query goes to the test's own DNS server on a loopback port.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Api;
use support::dns::DnsServer;
use support::server::{Backend, Server, init_tenant, server_binary};

const SSO_SECRET: &str = "sso-secret-value-123";

/// Starts a server for `acme` whose domain verification queries `dns`, and returns it
/// with an admin token.
async fn start(
    dir: &Path,
    backend: Backend,
    dns: &DnsServer,
    extra: &[&str],
) -> (Server, Api, String) {
    let admin = init_tenant(dir, backend, "acme");
    let address = dns.address.to_string();
    let mut args = vec!["--dns-resolver", address.as_str()];
    args.extend_from_slice(extra);
    let server = Server::start(dir, backend, &args);
    let api = Api::new(&server.base, &admin.tenant_name);
    let token = api.token(&admin.client_id, &admin.client_secret).await;
    (server, api, token)
}

async fn domain_status(api: &Api, token: &str, domain: &str) -> Value {
    let reply = api
        .get(&format!("/v1/domains/status?domain={domain}"), token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["status"].clone()
}

/// Returns every regular file below `dir`.
fn files_below(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap_or_else(|error| panic!("{error}")) {
            let path = entry.unwrap_or_else(|error| panic!("{error}")).path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Registers a domain, checks that it stays pending without its TXT record and is
/// confirmed once the record is published, and then creates a user of the domain directly.
async fn domain_verification_journey(backend: Backend) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let dns = DnsServer::start();
    let (server, api, token) = start(dir.path(), backend, &dns, &[]).await;

    let registered = api
        .send(
            Method::POST,
            "/v1/domains?domain=example.com",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    assert_eq!(registered.body["status"], "Pending");
    let verification = registered.body["verificationToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no verificationToken in {}", registered.text))
        .to_owned();
    assert!(verification.starts_with("iam-verify-"), "{verification}");

    let unverified = api
        .send(
            Method::POST,
            "/v1/domains/verify?domain=example.com",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(unverified.status, StatusCode::OK, "{}", unverified.text);
    assert_eq!(unverified.body["status"], "Pending");
    assert!(
        dns.queries()
            .iter()
            .any(|name| name.eq_ignore_ascii_case("example.com")),
        "the DNS server saw no query for example.com: {:?}",
        dns.queries()
    );

    let early = api
        .send(
            Method::POST,
            "/v1/users/users?email=jane%40example.com&fullName=Jane",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST, "{}", early.text);

    dns.publish_txt("example.com", &verification);
    let verified = api
        .send(
            Method::POST,
            "/v1/domains/verify?domain=example.com",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    assert_eq!(verified.body["status"], "Confirmed");
    assert_eq!(
        domain_status(&api, &token, "example.com").await,
        "Confirmed"
    );

    let user = api
        .send(
            Method::POST,
            "/v1/users/users?email=jane%40example.com&fullName=Jane",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{}", user.text);
    assert_eq!(user.body["email"], "jane@example.com");
    assert!(user.header("location").is_some());

    let log = server.stop();
    assert!(
        !log.contains(&token),
        "the server log contains the admin token"
    );
}

/// With a one-second re-check interval, a pending domain becomes confirmed once its
/// TXT record is published, without a call to verify.
async fn domain_recheck_journey(backend: Backend) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let dns = DnsServer::start();
    let (server, api, token) = start(
        dir.path(),
        backend,
        &dns,
        &["--domain-recheck-interval", "1"],
    )
    .await;

    let registered = api
        .send(
            Method::POST,
            "/v1/domains?domain=recheck.example",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    let verification = registered.body["verificationToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    dns.publish_txt("recheck.example", &verification);

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if domain_status(&api, &token, "recheck.example").await == "Confirmed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the domain was not confirmed by the periodic check; log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = server.stop();
    assert!(
        log.contains("confirmed=1"),
        "no confirmation was logged:\n{log}"
    );
}

/// Stores an SSO provider's client secret and checks that no file of the data directory
/// and no log line contains it, and that the key file decrypts it after the server stops.
async fn sso_secret_at_rest_journey(backend: Backend) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let dns = DnsServer::start();
    let (server, api, token) = start(dir.path(), backend, &dns, &[]).await;

    let body = json!({
        "scheme": "okta", "displayName": "Okta", "enabled": true, "type": "oidc",
        "properties": {
            "loginEnabled": true, "visible": true, "delegationEnabled": false,
            "autoProvisioningEnabled": true, "clientId": "my-client-id", "clientSecret": SSO_SECRET,
            "authority": "https://your-idp.example.com", "scope": "openid profile email",
        },
    });
    let created = api.post("/v1/sso/custom", &token, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert!(!created.text.contains(SSO_SECRET));
    let location = created
        .header("location")
        .unwrap_or_else(|| panic!("no Location header"))
        .to_owned();
    let read = api.get(&location, &token).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.body["properties"]["hasClientSecret"], true);
    assert!(!read.text.contains(SSO_SECRET));
    let audit = api.get("/v1/audit", &token).await;
    assert!(!audit.text.contains(SSO_SECRET));

    let log = server.stop();
    assert!(
        !log.contains(SSO_SECRET),
        "the server log contains the SSO secret"
    );
    let files = files_below(dir.path());
    assert!(files.iter().any(|path| path.ends_with("secret.key")));
    for path in &files {
        let bytes =
            std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert!(
            !contains(&bytes, SSO_SECRET.as_bytes()),
            "`{}` contains the SSO secret in plain text",
            path.display()
        );
    }

    let key_bytes: [u8; 32] = std::fs::read(dir.path().join("secret.key"))
        .unwrap_or_else(|error| panic!("{error}"))
        .try_into()
        .unwrap_or_else(|bytes: Vec<u8>| panic!("the key file has {} bytes", bytes.len()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secret.key"))
            .unwrap_or_else(|error| panic!("{error}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is readable by others");
    }
    let store = open_store(dir.path(), backend);
    let iam = iam_core::Iam::builder(store)
        .secret_key(iam_core::cipher::SecretKey::from_bytes(key_bytes))
        .open()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let tenant = iam
        .find_tenant("acme")
        .await
        .unwrap_or_else(|error| panic!("{error}"))
        .unwrap_or_else(|| panic!("no tenant acme"));
    let handle = iam
        .tenant(tenant.id, iam_core::Actor::Operator)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let id: u64 = location
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("bad Location `{location}`"));
    let secret = handle
        .sso_client_secret(id)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(secret.as_ref().map(|s| s.expose_secret()), Some(SSO_SECRET));
}

fn open_store(dir: &Path, backend: Backend) -> Arc<dyn iam_core::store::Store> {
    match backend {
        Backend::Sqlite => Arc::new(
            iam_store_sqlite::SqliteStore::open(dir).unwrap_or_else(|error| panic!("{error:?}")),
        ),
        Backend::Sled => Arc::new(
            iam_store_sled::SledStore::open(dir).unwrap_or_else(|error| panic!("{error:?}")),
        ),
    }
}

/// Runs `iam-server token` for `user` of `acme` with the issuer of `public_url`.
fn token_command(
    dir: &Path,
    backend: Backend,
    user: &str,
    public_url: &str,
) -> std::process::Output {
    Command::new(server_binary())
        .args(["token", "--data-dir"])
        .arg(dir)
        .args([
            "--store",
            backend.flag(),
            "--tenant",
            "acme",
            "--user",
            user,
        ])
        .args(["--public-url", public_url])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("running iam-server token failed: {error}"))
}

/// Invites a user who accepts, issues the user's token with `iam-server token` once the
/// server has stopped, and calls `/v1/me` with it on the restarted server.
async fn user_token_journey(backend: Backend) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let dns = DnsServer::start();
    let (server, api, token) = start(dir.path(), backend, &dns, &[]).await;

    let invited = api
        .send(
            Method::POST,
            "/v1/users/invite?email=jane%40example.com",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.text);
    let invitation = invited.body["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let password = "correct horse battery";
    let accepted = api
        .send(
            Method::POST,
            "/v1/invitations/accept",
            None,
            Some(json!({ "token": invitation, "fullName": "Jane", "password": password })),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.text);
    let user_id = accepted.body["id"].as_str().unwrap_or_default().to_owned();

    // The server has the store open, so the command fails and names the reason.
    let locked = token_command(dir.path(), backend, "jane@example.com", &server.base);
    assert!(!locked.status.success());
    let message = String::from_utf8_lossy(&locked.stderr);
    assert!(message.contains("already open"), "{message}");
    assert!(locked.stdout.is_empty());

    let base = server.base.clone();
    let log = server.stop();
    for secret in [password, invitation.as_str(), token.as_str()] {
        assert!(!log.contains(secret), "the server log contains a secret");
    }

    // The next server listens on the same port, so the issuer stays the same.
    let issued = token_command(dir.path(), backend, "jane@example.com", &base);
    assert!(
        issued.status.success(),
        "iam-server token failed: {}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let user_token = String::from_utf8_lossy(&issued.stdout).trim().to_owned();
    assert_eq!(user_token.split('.').count(), 3, "not a JWT: {user_token}");
    assert!(!String::from_utf8_lossy(&issued.stderr).contains(&user_token));

    let listen = base.trim_start_matches("http://");
    let mut child = Command::new(server_binary())
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .args([
            "--store",
            backend.flag(),
            "--listen",
            listen,
            "--public-url",
            &base,
        ])
        .args(["--dns-resolver", &dns.address.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("starting iam-server failed: {error}"));
    let api = Api::new(&base, "acme");
    let deadline = Instant::now() + Duration::from_secs(30);
    let me = loop {
        let ready = api
            .http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|response| response.status() == StatusCode::OK);
        if ready {
            break api.get("/v1/me", &user_token).await;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted server did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let claims = api.get("/v1/me/claims", &user_token).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["id"], user_id.as_str());
    assert_eq!(claims.status, StatusCode::OK, "{}", claims.text);
    assert_eq!(claims.body, json!([]));
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
    domain_verification_journey,
    domain_recheck_journey,
    sso_secret_at_rest_journey,
    user_token_journey,
);
