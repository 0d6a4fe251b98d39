//! The `iam-server` command line: `init` creates a tenant with its admin client, `serve`
//! (the default) runs the HTTP service, and `token` issues an access token for a user.
//! Every flag has an `IAM_*` environment variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use iam_core::action::ActionCatalog;
use iam_core::cipher::SecretKey;
use iam_core::clock::OsRandom;
use iam_core::domain::TxtResolver;
use iam_core::store::{Store, StoreError};
use iam_core::token::ACCESS_TOKEN_LIFETIME_SECS;
use iam_core::{Iam, IamError};
use iam_store_sled::SledStore;
use iam_store_sqlite::SqliteStore;
use serde::Deserialize;

use crate::bootstrap::{AdminCredentials, create_tenant_with_admin};
use crate::dns::{DnsTxtResolver, ResolverSetupError, UnavailableResolver};
use crate::key_file::{self, KeyFileError, KeyOrigin};
use crate::middleware::{DEFAULT_REQUEST_TIMEOUT, error_chain};
use crate::rate_limit::{
    DEFAULT_MAX_TRACKED_KEYS, DEFAULT_PER_ADDRESS_PER_MINUTE, DEFAULT_PER_CLIENT_PER_MINUTE,
    RateLimitConfig,
};
use crate::serve::{ConnectionLimits, DEFAULT_HEADER_READ_TIMEOUT_SECS};
use crate::signing::{SigningKeyError, TokenSigner};
use crate::state::AppState;
use crate::user_token::{UserTokenError, issue_user_token_with_lifetime};

/// The name of the tenant created on the first start of an empty store.
pub const DEFAULT_TENANT: &str = "default";

/// The default public base URL: `http://` and the default listen address.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The text after the options in `--help`.
const AFTER_HELP: &str = "\
The data directory holds the store and `secret.key`, the key that encrypts the client \
secrets of SSO providers. `init` and the first start create the key file when it is \
missing. Back it up with the store: without it, stored SSO client secrets can't be \
decrypted and must be set again.

Users can't sign in interactively yet. To call `/v1/me` as a user, stop the server and \
run `iam-server token --data-dir DIR --tenant NAME --user EMAIL` to print an access \
token for that user.";

/// Identity and access management server.
#[derive(Debug, Parser)]
#[command(
    name = "iam-server",
    version,
    about = "Identity and access management server: a REST API under /v1 and OAuth 2.0 endpoints over a SQLite or sled store. Without a command it runs `serve`.",
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true,
    args_override_self = true
)]
pub struct Cli {
    /// The command; `serve` when none is given.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The options of `serve`, when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store if needed, a tenant and its admin client, and print the admin
    /// client's credentials as one JSON object.
    Init(InitArgs),
    /// Run the HTTP service until SIGINT or SIGTERM.
    #[command(args_override_self = true)]
    Serve(ServeArgs),
    /// Print an access token for a user of a tenant on standard output. The command opens
    /// the store itself, so the server must be stopped first.
    #[command(after_help = TOKEN_AFTER_HELP)]
    Token(TokenArgs),
}

/// The text after the options in `iam-server token --help`.
const TOKEN_AFTER_HELP: &str = "\
The token has the claims of a client token with `sub` = `user-<id>`, `client_id` = \
`iam-server` and the user's tenant roles as `role`. It is valid for one hour, until it is \
revoked, or until the user is deleted or disabled; `--lifetime` shortens it. `--public-url` must match the \
server's public base URL, because the issuer claim is built from it.";

/// The storage backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// SQLite (`iam.sqlite3` in the data directory).
    Sqlite,
    /// sled.
    Sled,
}

/// The data directory and backend.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The data directory; created when missing.
    #[arg(long, env = "IAM_DATA_DIR", default_value = "./iam-data")]
    pub data_dir: PathBuf,
    /// The storage backend.
    #[arg(long, env = "IAM_STORE", value_enum, default_value_t = StoreKind::Sqlite)]
    pub store: StoreKind,
}

/// The key file that encrypts SSO client secrets at rest.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// The file with the 32-byte key that encrypts SSO client secrets at rest; created
    /// (mode 0600) when missing. Default: `secret.key` in the data directory. Losing
    /// this file makes the stored SSO client secrets unreadable.
    #[arg(long, env = "IAM_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
}

impl KeyArgs {
    /// Returns the key file path for the data directory `data_dir`.
    pub fn path(&self, data_dir: &Path) -> PathBuf {
        key_file::key_file_path(self.secret_key_file.as_deref(), data_dir)
    }
}

/// The options of `init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The data directory and backend.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The secret key file.
    #[command(flatten)]
    pub key: KeyArgs,
    /// The new tenant's name: 1 to 64 characters of A-Z, a-z, 0-9, `_` and `-`.
    #[arg(long, env = "IAM_TENANT")]
    pub tenant: String,
}

/// The options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The data directory and backend.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The address and port to listen on.
    #[arg(long, env = "IAM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The base URL that clients use to reach the server, such as
    /// `https://iam.example.com`; issuers and paging links start with it. Default:
    /// `http://<listen address>`.
    #[arg(long, env = "IAM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A TOML file of `[[action]]` tables (`name`, `description`, optional `parent`)
    /// added to the built-in `iam` actions.
    #[arg(long, env = "IAM_ACTIONS")]
    pub actions: Option<PathBuf>,
    /// The DNS server (`IP:PORT`) that domain verification queries, over UDP with TCP for
    /// truncated answers. Default: the name servers of the system configuration
    /// (`/etc/resolv.conf`).
    #[arg(long, env = "IAM_DNS_RESOLVER")]
    pub dns_resolver: Option<SocketAddr>,
    /// Seconds between two checks of the TXT records of every pending domain.
    #[arg(
        long,
        env = "IAM_DOMAIN_RECHECK_INTERVAL",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub domain_recheck_interval: u64,
    /// The prefix of new domain verification tokens: 1 to 64 printable ASCII characters
    /// without spaces.
    #[arg(
        long,
        env = "IAM_DOMAIN_TOKEN_PREFIX",
        default_value = "iam-verify-",
        value_parser = parse_token_prefix
    )]
    pub domain_token_prefix: String,
    /// The secret key file.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Requests per minute per client id at the token, revocation and introspection
    /// endpoints together; successful and failed attempts count. 0 turns the limit off.
    #[arg(long, env = "IAM_TOKEN_RATE_LIMIT", default_value_t = DEFAULT_PER_CLIENT_PER_MINUTE)]
    pub token_rate_limit: u32,
    /// Requests per minute per source address (IPv6: per /64 network) at the token,
    /// revocation and introspection endpoints together, and separately at
    /// `/v1/invitations/accept`. 0 turns the limit off.
    #[arg(
        long,
        env = "IAM_TOKEN_RATE_LIMIT_PER_ADDRESS",
        default_value_t = DEFAULT_PER_ADDRESS_PER_MINUTE
    )]
    pub token_rate_limit_per_address: u32,
    /// Seconds that one request may take, body included, before it is cancelled with
    /// 408.
    #[arg(
        long,
        env = "IAM_REQUEST_TIMEOUT",
        default_value_t = DEFAULT_REQUEST_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub request_timeout: u64,
    /// Seconds that a client has to send a complete request head; the connection is
    /// closed otherwise. Also the idle timeout of keep-alive connections.
    #[arg(
        long,
        env = "IAM_HEADER_READ_TIMEOUT",
        default_value_t = DEFAULT_HEADER_READ_TIMEOUT_SECS,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub header_read_timeout: u64,
}

/// The options of `token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The data directory and backend.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The tenant's name or id.
    #[arg(long, env = "IAM_TENANT")]
    pub tenant: String,
    /// The user's e-mail address, id or `user-<uuid>`.
    #[arg(long)]
    pub user: String,
    /// The space-separated OAuth scopes of the token.
    #[arg(long, default_value = "services.iam")]
    pub scope: String,
    /// The server's public base URL, as `serve` has it (`--public-url`, or
    /// `http://<listen address>`).
    #[arg(long, env = "IAM_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
    pub public_url: String,
    /// Seconds until the token expires, at most one hour. 0 issues a token that has
    /// already expired, which tests use to check that the server rejects it.
    #[arg(
        long,
        default_value_t = ACCESS_TOKEN_LIFETIME_SECS,
        value_parser = clap::value_parser!(i64).range(0..=ACCESS_TOKEN_LIFETIME_SECS)
    )]
    pub lifetime: i64,
}

/// Checks a domain token prefix: 1 to 64 printable ASCII characters without spaces,
/// because the token must fit in one TXT string and be easy to copy.
fn parse_token_prefix(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 64 {
        return Err(format!(
            "must be 1 to 64 characters long, not {}",
            text.len()
        ));
    }
    if let Some(invalid) = text.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "contains `{}`; use printable ASCII characters without spaces",
            invalid.escape_debug()
        ));
    }
    Ok(text.to_owned())
}

/// The failure of a command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The store could not be opened.
    #[error("store at `{path}` could not be opened")]
    OpenStore {
        /// The data directory.
        path: PathBuf,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// The actions file could not be read.
    #[error("actions file `{path}` could not be read")]
    ReadActions {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The actions file is not valid TOML of `[[action]]` tables.
    #[error("actions file `{path}` is invalid")]
    ParseActions {
        /// The file.
        path: PathBuf,
        /// The TOML error.
        #[source]
        source: toml::de::Error,
    },
    /// The actions file defines invalid actions.
    #[error("actions file `{path}` defines invalid actions")]
    InvalidActions {
        /// The file.
        path: PathBuf,
        /// The catalogue's validation error.
        #[source]
        source: IamError,
    },
    /// `init` named a tenant that exists.
    #[error("tenant `{name}` already exists in `{path}`; choose another name")]
    TenantExists {
        /// The tenant's name.
        name: String,
        /// The data directory.
        path: PathBuf,
    },
    /// A library operation failed.
    #[error(transparent)]
    Iam(#[from] IamError),
    /// The signing key could not be loaded or created.
    #[error(transparent)]
    SigningKey(#[from] SigningKeyError),
    /// The listening socket could not be opened.
    #[error(
        "could not listen on `{address}`; choose another address with `--listen` or `IAM_LISTEN`"
    )]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP service failed.
    #[error("the HTTP service failed")]
    Serve(#[source] std::io::Error),
    /// The credentials could not be printed.
    #[error("the credentials could not be encoded")]
    Encode(#[source] serde_json::Error),
    /// The secret key file could not be loaded or created.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// The DNS resolver could not be set up.
    #[error(transparent)]
    Resolver(#[from] ResolverSetupError),
    /// The user token could not be issued.
    #[error("no access token was issued")]
    UserToken(#[source] UserTokenError),
    /// A blocking task failed.
    #[error("a blocking task failed")]
    Blocking(#[source] tokio::task::JoinError),
    /// `token` named a data directory that does not exist.
    #[error("data directory `{}` does not exist; pass the `--data-dir` of the server", .0.display())]
    MissingDataDir(PathBuf),
}

/// Runs the command of `cli`.
///
/// # Errors
///
/// [`CliError`] naming what failed; print it with its source chain.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::Init(args)) => init(args).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Token(args)) => token(args).await,
        None => serve(cli.serve).await,
    }
}

/// Opens the store of `args` on a blocking thread, because opening does file I/O.
///
/// # Errors
///
/// [`CliError::OpenStore`] with the backend's error as the source.
pub async fn open_store(args: &StoreArgs) -> Result<Arc<dyn Store>, CliError> {
    let path = args.data_dir.clone();
    let kind = args.store;
    let opened = tokio::task::spawn_blocking(move || -> Result<Arc<dyn Store>, StoreError> {
        Ok(match kind {
            StoreKind::Sqlite => Arc::new(SqliteStore::open(&path)?),
            StoreKind::Sled => Arc::new(SledStore::open(&path)?),
        })
    })
    .await
    .map_err(|error| CliError::OpenStore {
        path: args.data_dir.clone(),
        source: StoreError::backend("store", error),
    })?;
    opened.map_err(|source| CliError::OpenStore {
        path: args.data_dir.clone(),
        source,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionsFile {
    #[serde(default)]
    action: Vec<ActionEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionEntry {
    name: String,
    description: String,
    parent: Option<String>,
}

/// Builds the action catalogue: the built-in actions plus those of `path`.
///
/// # Errors
///
/// [`CliError`] when the file can't be read or parsed, or defines invalid actions.
pub fn load_catalog(path: Option<&Path>) -> Result<ActionCatalog, CliError> {
    let Some(path) = path else {
        return Ok(ActionCatalog::built_in());
    };
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadActions {
        path: path.to_path_buf(),
        source,
    })?;
    let file: ActionsFile = toml::from_str(&text).map_err(|source| CliError::ParseActions {
        path: path.to_path_buf(),
        source,
    })?;
    let mut builder = ActionCatalog::builder();
    for entry in file.action {
        builder = builder.action(entry.name, entry.description, entry.parent);
    }
    builder.build().map_err(|source| CliError::InvalidActions {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads the secret key of `key` for the data directory `data_dir`, creating the file
/// when it is missing. Logs the path and whether the file was created, never the key.
///
/// # Errors
///
/// [`CliError::KeyFile`] when the file can't be read or written or contains no key.
pub async fn load_secret_key(key: &KeyArgs, data_dir: &Path) -> Result<SecretKey, CliError> {
    let path = key.path(data_dir);
    let file = path.clone();
    let (secret_key, origin) =
        tokio::task::spawn_blocking(move || key_file::load_or_create(&file, &OsRandom))
            .await
            .map_err(CliError::Blocking)??;
    match origin {
        KeyOrigin::Created => tracing::info!(
            path = %path.display(),
            "created the secret key file that encrypts SSO client secrets; back it up with the store"
        ),
        KeyOrigin::Loaded => {
            tracing::debug!(path = %path.display(), "loaded the secret key file");
        }
    }
    Ok(secret_key)
}

async fn init(args: InitArgs) -> Result<(), CliError> {
    let store = open_store(&args.store).await?;
    let iam = Iam::open(store.clone()).await?;
    TokenSigner::load_or_create(store.as_ref()).await?;
    load_secret_key(&args.key, &args.store.data_dir).await?;
    let credentials = match create_tenant_with_admin(&iam, &args.tenant).await {
        Ok(credentials) => credentials,
        Err(IamError::AlreadyExists { .. }) => {
            return Err(CliError::TenantExists {
                name: args.tenant,
                path: args.store.data_dir,
            });
        }
        Err(other) => return Err(other.into()),
    };
    print_credentials(&credentials)?;
    tracing::info!(
        tenant = %credentials.tenant_name,
        tenant_id = %credentials.tenant_id,
        client_id = %credentials.client_id,
        "created tenant and admin client"
    );
    Ok(())
}

/// Prints the credentials as one JSON object on standard output; the only place where
/// the generated secret appears.
fn print_credentials(credentials: &AdminCredentials) -> Result<(), CliError> {
    let line = serde_json::to_string(credentials).map_err(CliError::Encode)?;
    println!("{line}");
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let catalog = load_catalog(args.actions.as_deref())?;
    let store = open_store(&args.store).await?;
    let secret_key = load_secret_key(&args.key, &args.store.data_dir).await?;
    let iam = Iam::builder(store.clone())
        .catalog(catalog)
        .secret_key(secret_key)
        .domain_token_prefix(args.domain_token_prefix.clone())
        .open()
        .await?;
    let signer = TokenSigner::load_or_create(store.as_ref()).await?;
    let resolver = dns_resolver(args.dns_resolver)?;

    // Bind before the first-start setup, so that a busy port fails before the one-time
    // admin secret is printed.
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|source| CliError::Bind {
            address: args.listen,
            source,
        })?;

    if iam.list_tenants().await?.is_empty() {
        let credentials = create_tenant_with_admin(&iam, DEFAULT_TENANT).await?;
        print_credentials(&credentials)?;
        tracing::info!(
            tenant = %credentials.tenant_name,
            client_id = %credentials.client_id,
            "empty store: created the default tenant and its admin client; the secret was printed on standard output"
        );
    }

    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    let rate_limits = RateLimitConfig {
        per_client_per_minute: args.token_rate_limit,
        per_address_per_minute: args.token_rate_limit_per_address,
        max_tracked_keys: DEFAULT_MAX_TRACKED_KEYS,
    };
    let request_timeout = Duration::from_secs(args.request_timeout);
    let connection_limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(args.header_read_timeout),
    };
    let state = AppState::new(iam.clone(), signer, &public_url)
        .with_resolver(resolver.clone())
        .with_rate_limits(rate_limits)
        .with_request_timeout(request_timeout);
    let app = crate::router(state);
    tracing::info!(
        listen = %args.listen,
        public_url = %public_url,
        data_dir = %args.store.data_dir.display(),
        store = ?args.store.store,
        dns = ?resolver,
        domain_recheck_interval_secs = args.domain_recheck_interval,
        token_rate_limit_per_minute = args.token_rate_limit,
        token_rate_limit_per_address_per_minute = args.token_rate_limit_per_address,
        request_timeout_secs = args.request_timeout,
        header_read_timeout_secs = args.header_read_timeout,
        "serving"
    );

    let (stop_sender, stop_receiver) = tokio::sync::watch::channel(false);
    let recheck = tokio::spawn(crate::domain_check::recheck_periodically(
        iam,
        resolver,
        Duration::from_secs(args.domain_recheck_interval),
        stop_receiver,
    ));
    let served = crate::serve::serve(listener, app, connection_limits, async move {
        shutdown_signal().await;
        // Stop the domain checks together with the HTTP service.
        let _ = stop_sender.send(true);
    })
    .await
    .map_err(CliError::Serve);
    if let Err(error) = recheck.await {
        tracing::error!(%error, "the domain re-check task failed");
    }
    served?;
    tracing::info!("stopped: requests drained, closing the store");
    Ok(())
}

/// Builds the resolver of domain verification. Without `--dns-resolver`, a system
/// configuration that can't be read is logged, and lookups fail until it is fixed.
fn dns_resolver(name_server: Option<SocketAddr>) -> Result<Arc<dyn TxtResolver>, CliError> {
    if let Some(address) = name_server {
        return Ok(Arc::new(DnsTxtResolver::with_name_server(address)?));
    }
    match DnsTxtResolver::from_system() {
        Ok(resolver) => Ok(Arc::new(resolver)),
        Err(error) => {
            tracing::error!(
                error = %error_chain(&error),
                "domain verification will fail until `--dns-resolver` is given or the system DNS configuration is fixed"
            );
            Ok(Arc::new(UnavailableResolver::new(
                "the system DNS configuration could not be read; start the server with `--dns-resolver IP:PORT`",
            )))
        }
    }
}

async fn token(args: TokenArgs) -> Result<(), CliError> {
    // Opening a store creates it, and an empty store has no user to issue a token for.
    if !args.store.data_dir.is_dir() {
        return Err(CliError::MissingDataDir(args.store.data_dir));
    }
    let store = open_store(&args.store).await?;
    let iam = Iam::open(store.clone()).await?;
    let signer = TokenSigner::load_or_create(store.as_ref()).await?;
    let token = issue_user_token_with_lifetime(
        &iam,
        &signer,
        &args.public_url,
        &args.tenant,
        &args.user,
        &args.scope,
        args.lifetime,
    )
    .await
    .map_err(CliError::UserToken)?;
    println!("{token}");
    tracing::info!(
        tenant = %args.tenant,
        user = %args.user,
        scope = %args.scope,
        lifetime_secs = args.lifetime,
        "issued an access token for the user; it was printed on standard output"
    );
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "SIGINT handler failed");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "SIGTERM handler failed");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, draining requests"),
        () = terminate => tracing::info!("SIGTERM received, draining requests"),
    }
}
