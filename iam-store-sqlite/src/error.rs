//! The SQLite backend's own error type.

use std::path::PathBuf;

use iam_core::store::StoreError;

/// An error of the SQLite backend.
///
/// At the [`iam_core::store::Store`] boundary it becomes [`StoreError::Backend`] with
/// backend `"sqlite"`, and this error stays reachable as its source, so callers can
/// downcast it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// A SQLite call failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),

    /// A file system operation on the data directory or the lock file failed.
    #[error("failed to {operation} `{}`", path.display())]
    Io {
        /// The failed operation, such as "create the data directory".
        operation: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// Another process, or another [`crate::SqliteStore`] in this process, holds the
    /// lock on the data directory.
    #[error(
        "store at `{}` is already open in another process or store handle; stop it or use another data directory",
        path.display()
    )]
    Locked {
        /// The data directory.
        path: PathBuf,
    },

    /// The database was written by a newer version of this crate.
    #[error(
        "database `{}` has schema version {found}, but this version of iam-store-sqlite supports at most {supported}; upgrade iam-store-sqlite",
        path.display()
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// The schema version recorded in the database.
        found: i64,
        /// The newest schema version this crate supports.
        supported: i64,
    },

    /// SQLite did not switch the database to write-ahead logging, which the store needs so
    /// that reads do not wait for writes.
    #[error(
        "failed to enable WAL journal mode on `{}`: SQLite kept journal mode `{mode}`; put the data directory on a local file system",
        path.display()
    )]
    WalUnavailable {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite reported.
        mode: String,
    },

    /// A stored row does not decode into a record.
    #[error("record `{key}` is corrupt: {reason}")]
    CorruptRecord {
        /// The record's key as `namespace/kind/id`, with invalid UTF-8 replaced.
        key: String,
        /// The problem found in the row.
        reason: String,
    },

    /// The blocking task that ran the SQLite call panicked or was cancelled because the
    /// runtime shut down.
    #[error("sqlite task panicked or was cancelled")]
    TaskFailed(#[source] tokio::task::JoinError),
}

impl From<SqliteError> for StoreError {
    fn from(error: SqliteError) -> Self {
        StoreError::backend(crate::BACKEND_NAME, error)
    }
}
