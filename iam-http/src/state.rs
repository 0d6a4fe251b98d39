//! The state shared by every handler.

use std::sync::Arc;

use iam_core::Iam;
use iam_core::tenant::Tenant;
use iam_core::token::issuer_url;

use crate::signing::TokenSigner;

/// The facade, the token signer and the public base URL. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
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
    pub fn new(iam: Iam, signer: TokenSigner, public_url: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                iam,
                signer,
                public_url: public_url.trim_end_matches('/').to_owned(),
            }),
        }
    }

    /// Returns the facade.
    pub fn iam(&self) -> &Iam {
        &self.inner.iam
    }

    /// Returns the token signer.
    pub fn signer(&self) -> &TokenSigner {
        &self.inner.signer
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
