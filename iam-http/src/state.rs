//! The state shared by every handler.

use std::sync::Arc;

use async_trait::async_trait;
use iam_core::Iam;
use iam_core::domain::{ResolveError, TxtResolver};
use iam_core::tenant::Tenant;
use iam_core::token::issuer_url;

use crate::signing::TokenSigner;

/// The facade, the token signer, the public base URL and the DNS resolver of domain
/// verification. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    resolver: Arc<dyn TxtResolver>,
}

#[derive(Debug)]
struct Inner {
    iam: Iam,
    signer: TokenSigner,
    public_url: String,
}

impl AppState {
    /// Creates the state. `public_url` is the base URL that clients use to reach the
    /// server (such as `https://iam.example.com`); issuers and paging links start with it.
    ///
    /// Domain verification fails with a lookup error until a resolver is set with
    /// [`AppState::with_resolver`].
    pub fn new(iam: Iam, signer: TokenSigner, public_url: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                iam,
                signer,
                public_url: public_url.trim_end_matches('/').to_owned(),
            }),
            resolver: Arc::new(NoResolver),
        }
    }

    /// Sets the DNS resolver that domain verification uses.
    #[must_use]
    pub fn with_resolver(self, resolver: Arc<dyn TxtResolver>) -> Self {
        Self { resolver, ..self }
    }

    /// Returns the facade.
    pub fn iam(&self) -> &Iam {
        &self.inner.iam
    }

    /// Returns the token signer.
    pub fn signer(&self) -> &TokenSigner {
        &self.inner.signer
    }

    /// Returns the DNS resolver of domain verification.
    pub fn resolver(&self) -> &dyn TxtResolver {
        self.resolver.as_ref()
    }

    /// Returns the public base URL without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// Returns the issuer URL of `tenant`.
    pub fn issuer(&self, tenant: &Tenant) -> String {
        issuer_url(&self.inner.public_url, &tenant.name)
    }

    /// Returns the absolute URL of `path_and_query`, which starts with `/`.
    pub fn absolute_url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.inner.public_url)
    }
}

/// The resolver of a state that was given none: every lookup fails.
#[derive(Debug)]
struct NoResolver;

#[async_trait]
impl TxtResolver for NoResolver {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, ResolveError> {
        Err(ResolveError {
            name: name.to_owned(),
            reason: "no DNS resolver is configured for this server".to_owned(),
        })
    }
}
