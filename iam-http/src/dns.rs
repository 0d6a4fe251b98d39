//! DNS TXT lookups for domain verification, with `hickory-resolver` on the Tokio runtime.
//!
//! The resolver queries either one configured name server (`--dns-resolver IP:PORT`, over
//! UDP with TCP for truncated answers) or the name servers of the system configuration
//! (`/etc/resolv.conf` on Unix). Its answer cache is off, so every verification sees
//! the records as they are now.

use std::fmt;
use std::net::SocketAddr;

use async_trait::async_trait;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use iam_core::domain::{ResolveError, TxtResolver};

/// A [`TxtResolver`] over real DNS.
pub struct DnsTxtResolver {
    resolver: TokioResolver,
    /// The origin of the name servers, for `Debug` and logs.
    source: String,
}

impl fmt::Debug for DnsTxtResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DnsTxtResolver")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The failure to set up a resolver.
#[derive(Debug, thiserror::Error)]
#[error("the DNS resolver could not be set up from {source_name}")]
pub struct ResolverSetupError {
    source_name: String,
    #[source]
    source: NetError,
}

impl DnsTxtResolver {
    /// Creates a resolver that queries only `name_server`, over UDP first and over TCP
    /// when an answer is truncated. The hosts file is not read.
    ///
    /// # Errors
    ///
    /// [`ResolverSetupError`] when the resolver can't be built.
    pub fn with_name_server(name_server: SocketAddr) -> Result<Self, ResolverSetupError> {
        let mut udp = ConnectionConfig::udp();
        udp.port = name_server.port();
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = name_server.port();
        let server = NameServerConfig::new(name_server.ip(), true, vec![udp, tcp]);
        let config = ResolverConfig::from_name_servers(vec![server]);
        let mut builder =
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        configure(builder.options_mut());
        builder.options_mut().use_hosts_file = ResolveHosts::Never;
        let description = format!("name server {name_server}");
        let resolver = builder.build().map_err(|error| ResolverSetupError {
            source_name: description.clone(),
            source: error,
        })?;
        Ok(Self {
            resolver,
            source: description,
        })
    }

    /// Creates a resolver from the system configuration (`/etc/resolv.conf` on Unix).
    ///
    /// # Errors
    ///
    /// [`ResolverSetupError`] when the configuration can't be read or the resolver
    /// can't be built.
    pub fn from_system() -> Result<Self, ResolverSetupError> {
        let source = "the system configuration".to_owned();
        let setup_error = |error: NetError| ResolverSetupError {
            source_name: source.clone(),
            source: error,
        };
        let mut builder = TokioResolver::builder_tokio().map_err(setup_error)?;
        configure(builder.options_mut());
        let resolver = builder.build().map_err(setup_error)?;
        Ok(Self { resolver, source })
    }

    /// Returns where the name servers come from, such as `name server 127.0.0.1:5353`.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Sets the options that both kinds of resolver share.
fn configure(options: &mut ResolverOpts) {
    // A verification must see a TXT record published a moment ago.
    options.cache_size = 0;
}

#[async_trait]
impl TxtResolver for DnsTxtResolver {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, ResolveError> {
        // The trailing dot makes the name fully qualified, so no search domain is
        // appended to it.
        let absolute = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(absolute.as_str()).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(error) if error.is_nx_domain() || error.is_no_records_found() => Ok(Vec::new()),
            Err(error) => Err(ResolveError {
                name: name.to_owned(),
                reason: error.to_string(),
            }),
        }
    }
}

/// A resolver whose every lookup fails with the same reason, for a server whose DNS
/// configuration could not be read: the rest of the service still runs.
#[derive(Debug, Clone)]
pub struct UnavailableResolver {
    reason: String,
}

impl UnavailableResolver {
    /// Creates the resolver; `reason` says why DNS is unavailable and what to do.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

#[async_trait]
impl TxtResolver for UnavailableResolver {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, ResolveError> {
        Err(ResolveError {
            name: name.to_owned(),
            reason: self.reason.clone(),
        })
    }
}
