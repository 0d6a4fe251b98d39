//! The state shared by every handler.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use iam_core::Iam;
use iam_core::domain::{ResolveError, TxtResolver};
use iam_core::tenant::Tenant;
use iam_core::token::issuer_url;

use crate::middleware::DEFAULT_REQUEST_TIMEOUT;
use crate::rate_limit::{RateLimitConfig, RateLimits};
use crate::signing::TokenSigner;

/// The facade, the token signer, the public base URL, the DNS resolver of domain
/// verification, the rate limits and the request timeout. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    resolver: Arc<dyn TxtResolver>,
    rate_limits: Arc<RateLimits>,
    request_timeout: Duration,
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
    /// [`AppState::with_resolver`]. The rate limits are the defaults of
    /// [`RateLimitConfig`] and the request timeout is [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn new(iam: Iam, signer: TokenSigner, public_url: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                iam,
                signer,
                public_url: public_url.trim_end_matches('/').to_owned(),
            }),
            resolver: Arc::new(NoResolver),
            rate_limits: Arc::new(RateLimits::default()),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// Replaces the rate limits with new, empty limiters of `config`.
    #[must_use]
    pub fn with_rate_limits(self, config: RateLimitConfig) -> Self {
        Self {
            rate_limits: Arc::new(RateLimits::new(config)),
            ..self
        }
    }

    /// Sets how long one request may take before it is cancelled with 408.
    #[must_use]
    pub fn with_request_timeout(self, timeout: Duration) -> Self {
        Self {
            request_timeout: timeout,
            ..self
        }
    }

    /// Returns the rate limiters.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }

    /// Returns the request timeout.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
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
