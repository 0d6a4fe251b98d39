//! Checks that need the Python tools of `tests/requirements.txt`: the OpenAPI document
//! validates against the OpenAPI 3.1 schema, and a short schemathesis run finds no server
//! error and no response that violates the document.
//!
//! `.ci/run` installs the tools and sets `IAM_PYTHON` and `IAM_REQUIRE_TOOLS`, so there a
//! missing tool fails the test. A plain `cargo test` without the tools prints why the
//! check was skipped.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::Api;
use support::server::{Backend, Server, init_tenant};

/// Returns the Python interpreter that has the tools, or `None` (after saying why) when
/// they are absent and not required.
fn python_with(module: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidate = std::env::var_os("IAM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/python-tools/bin/python"));
    let available = Command::new(&candidate)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|output| output.status.success());
    if available {
        return Some(candidate);
    }
    let message = format!(
        "the Python module `{module}` is not installed for `{}`; run `.ci/run`, which installs tests/requirements.txt",
        candidate.display()
    );
    assert!(std::env::var_os("IAM_REQUIRE_TOOLS").is_none(), "{message}");
    eprintln!("skipped: {message}");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_validates() {
    let Some(python) = python_with("openapi_spec_validator") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let admin = init_tenant(dir.path(), Backend::Sqlite, "acme");
    let server = Server::start(dir.path(), Backend::Sqlite, &[]);
    let api = Api::new(&server.base, &admin.tenant_name);
    let reply = api
        .send(reqwest::Method::GET, "/openapi.json", None, None)
        .await;
    assert_eq!(reply.status, reqwest::StatusCode::OK);
    assert_eq!(
        reply.body["openapi"]
            .as_str()
            .map(|version| version.starts_with("3.1")),
        Some(true)
    );

    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &reply.text).unwrap_or_else(|error| panic!("{error}"));
    let output = Command::new(python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap_or_else(|error| panic!("running the validator failed: {error}"));
    assert!(
        output.status.success(),
        "the OpenAPI document is invalid:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn schemathesis_finds_no_server_error() {
    let Some(python) = python_with("schemathesis") else {
        return;
    };
    support::server::server_binary();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("{error}"));
    let output = Command::new("bash")
        .arg("scripts/api-fuzz.sh")
        .arg("sqlite")
        .current_dir(&root)
        .env("IAM_PYTHON", python)
        .env("IAM_FUZZ_PORT", port.to_string())
        .output()
        .unwrap_or_else(|error| panic!("running scripts/api-fuzz.sh failed: {error}"));
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
