//! The sled backend's own error type.

use std::path::PathBuf;

use iam_core::store::StoreError;

/// An error from a sled store operation.
///
/// At the [`iam_core::store::Store`] boundary every variant becomes
/// [`StoreError::Backend`] with backend `"sled"` and this error as its source.
/// Failed [`iam_core::store::Expect`] requirements are not `SledError`s: they reach the
/// caller as the neutral [`StoreError::NotFound`], [`StoreError::AlreadyExists`] and
/// [`StoreError::Conflict`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SledError {
    /// sled failed to open the database files.
    #[error("failed to open the sled database at `{path}`")]
    Open {
        /// The database directory.
        path: PathBuf,
        /// sled's error.
        #[source]
        source: sled::Error,
    },
    /// A sled read, write or flush failed.
    #[error("sled operation failed")]
    Sled(#[from] sled::Error),
    /// A file system operation on the store directory failed.
    #[error("failed to access `{path}`")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another process, or another `SledStore` in this process, holds the store's lock.
    #[error(
        "store at `{path}` is already open in another process or another `SledStore`; \
         stop it or use another data directory"
    )]
    Locked {
        /// The store directory.
        path: PathBuf,
    },
    /// The store was written by a newer release with a layout this release cannot read.
    #[error(
        "store at `{path}` has layout version {found}, but this release supports up to \
         version {supported}; open it with a newer release of iam-store-sled"
    )]
    LayoutTooNew {
        /// The store directory.
        path: PathBuf,
        /// The layout version stored in the directory.
        found: u64,
        /// The newest layout version this release reads and writes.
        supported: u64,
    },
    /// A stored key or value does not have the layout this backend writes.
    #[error("stored record `{key}` is corrupt: {reason}")]
    CorruptRecord {
        /// The record's address, with invalid UTF-8 replaced and NUL shown as `|`.
        key: String,
        /// The defect that was found.
        reason: &'static str,
    },
    /// A kind name does not fit the one length byte of the key layout.
    #[error("kind `{kind}` is {len} bytes long, but the sled key layout allows at most 255")]
    KindTooLong {
        /// The kind's name.
        kind: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// The blocking task that ran the sled operation panicked or was cancelled.
    #[error("sled worker task failed")]
    TaskFailed(#[source] tokio::task::JoinError),
}

impl From<SledError> for StoreError {
    fn from(error: SledError) -> Self {
        StoreError::backend(crate::BACKEND_NAME, error)
    }
}
