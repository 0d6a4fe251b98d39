//! The HTTP adapter of the IAM workspace: the `/v1` REST surface, the OAuth 2.0 token,
//! revocation, introspection and discovery endpoints, the OpenAPI document, and the
//! `iam-server` binary.
//!
//! [`router`] builds the whole service from an [`AppState`], so tests can drive it with
//! `tower::ServiceExt::oneshot` without a socket:
//!
//! ```no_run
//! use std::sync::Arc;
//! use iam_core::{Iam, store::MemoryStore};
//! use iam_http::{AppState, TokenSigner, router};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(MemoryStore::new());
//! let iam = Iam::open(store.clone()).await?;
//! let signer = TokenSigner::load_or_create(store.as_ref()).await?;
//! let app = router(AppState::new(iam, signer, "http://127.0.0.1:8080"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let limits = iam_http::serve::ConnectionLimits::default();
//! iam_http::serve::serve(listener, app, limits, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! [`serve::serve`] sets the header read timeout and the peer address (`ConnectInfo`) of
//! each request. The per-address rate limits of [`rate_limit`] count only requests that
//! carry a peer address, so a server built on `axum::serve` must pass
//! `app.into_make_service_with_connect_info::<SocketAddr>()` to have them.
//!
//! # Authorizing the API
//!
//! Every `/v1` call needs a bearer access token issued by this server for the tenant
//! that the call works on (the token's `tid`), carrying the `services.iam` scope, not
//! revoked, whose subject still exists and, for a user, is active. The caller must then
//! hold the `TenantAdmin` role or be allowed the operation's built-in action
//! (`iam.<area>.read` for reads, `iam.<area>.write` for changes) on the scope `/`.
//! See [`auth`].
//!
//! # Secrets
//!
//! The Ed25519 private key that signs access tokens is generated on first start and
//! stored in the store's database (for SQLite, `iam.sqlite3` in the data directory), so
//! anyone who can read that file can mint tokens. Client secrets are stored only as
//! Argon2id hashes. The client secrets of SSO providers are encrypted with the key in
//! `secret.key` of the data directory (see [`key_file`]); without that file they can't
//! be decrypted. No secret or token is written to a log or an error response.

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod dns;
pub mod domain_check;
pub mod error;
pub mod extract;
pub mod key_file;
pub mod middleware;
pub mod oauth;
pub mod openapi;
pub mod paging;
pub mod rate_limit;
pub mod serve;
pub mod service;
pub mod signing;
pub mod state;
pub mod user_token;

pub use error::ApiError;
pub use openapi::{openapi_document, router};
pub use signing::TokenSigner;
pub use state::AppState;
