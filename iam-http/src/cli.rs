//! The `iam-server` command line: `init` creates a tenant with its admin client, `serve`
//! (the default) runs the HTTP service. Every flag has an `IAM_*` environment variable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use iam_core::action::ActionCatalog;
use iam_core::store::{Store, StoreError};
use iam_core::{Iam, IamError};
use iam_store_sled::SledStore;
use iam_store_sqlite::SqliteStore;
use serde::Deserialize;

use crate::bootstrap::{AdminCredentials, create_tenant_with_admin};
use crate::signing::{SigningKeyError, TokenSigner};
use crate::state::AppState;

/// The name of the tenant created on the first start of an empty store.
pub const DEFAULT_TENANT: &str = "default";

/// Identity and access management server.
#[derive(Debug, Parser)]
#[command(
    name = "iam-server",
    version,
    about,
    args_conflicts_with_subcommands = true
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
    Serve(ServeArgs),
}

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

/// The options of `init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The data directory and backend.
    #[command(flatten)]
    pub store: StoreArgs,
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
    /// The DNS server (`IP:PORT`) for domain verification. Accepted for forward
    /// compatibility; domain verification is not available yet.
    #[arg(long, env = "IAM_DNS_RESOLVER")]
    pub dns_resolver: Option<SocketAddr>,
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
    #[error("could not listen on `{address}`")]
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

async fn init(args: InitArgs) -> Result<(), CliError> {
    let store = open_store(&args.store).await?;
    let iam = Iam::open(store.clone()).await?;
    TokenSigner::load_or_create(store.as_ref()).await?;
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
    let iam = Iam::builder(store.clone()).catalog(catalog).open().await?;
    let signer = TokenSigner::load_or_create(store.as_ref()).await?;
    if let Some(resolver) = args.dns_resolver {
        tracing::info!(%resolver, "DNS resolver configured; domain verification is not available yet");
    }

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
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|source| CliError::Bind {
            address: args.listen,
            source,
        })?;
    let app = crate::router(AppState::new(iam, signer, &public_url));
    tracing::info!(
        listen = %args.listen,
        public_url = %public_url,
        data_dir = %args.store.data_dir.display(),
        store = ?args.store.store,
        "serving"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(CliError::Serve)?;
    tracing::info!("stopped: requests drained, closing the store");
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
