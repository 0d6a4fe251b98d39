//! Fuzzes bearer tokens through the checks that every `/v1` call runs: the
//! `Authorization` header parser and `validate_token` against a server state with a
//! tenant. No input may panic, and no input may be accepted, because a valid token needs
//! a signature from a key that the fuzzer never sees.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::http::{HeaderMap, HeaderValue, header};
use iam_core::Iam;
use iam_core::store::MemoryStore;
use iam_http::auth::{bearer_token, validate_token};
use iam_http::bootstrap::create_tenant_with_admin;
use iam_http::{AppState, TokenSigner};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    state: AppState,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|error| panic!("runtime: {error}"));
        let state = runtime.block_on(async {
            let store = Arc::new(MemoryStore::new());
            let iam = Iam::open(store.clone())
                .await
                .unwrap_or_else(|error| panic!("open: {error}"));
            let signer = TokenSigner::load_or_create(store.as_ref())
                .await
                .unwrap_or_else(|error| panic!("signer: {error}"));
            create_tenant_with_admin(&iam, "acme")
                .await
                .unwrap_or_else(|error| panic!("tenant: {error}"));
            AppState::new(iam, signer, "http://127.0.0.1:8080")
        });
        Fixture { runtime, state }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();

    let mut header_value = b"Bearer ".to_vec();
    header_value.extend_from_slice(data);
    if let Ok(value) = HeaderValue::from_bytes(&header_value) {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value);
        if let Some(token) = bearer_token(&headers) {
            let result = fixture
                .runtime
                .block_on(validate_token(&fixture.state, token, None));
            assert!(result.is_err(), "a fuzzed header token was accepted");
        }
    }

    if let Ok(token) = std::str::from_utf8(data) {
        assert!(fixture.state.signer().verify(token).is_err());
        let result = fixture
            .runtime
            .block_on(validate_token(&fixture.state, token, None));
        assert!(result.is_err(), "a fuzzed token was accepted");
    }
});
