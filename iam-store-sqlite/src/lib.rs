//! SQLite storage backend for `iam-core`.
//!
//! [`SqliteStore`] implements [`iam_core::store::Store`] on one SQLite database,
//! `iam.sqlite3`, inside a data directory that the store creates if needed.
//!
//! # Layout
//!
//! Every record lives in one generic table:
//!
//! ```sql
//! CREATE TABLE records (
//!     namespace BLOB NOT NULL,  -- 16 bytes: the tenant's UUID, or the nil UUID for the global namespace
//!     kind TEXT NOT NULL,       -- the record type, such as `user`
//!     id BLOB NOT NULL,         -- the UTF-8 bytes of the id
//!     version INTEGER NOT NULL, -- 1 when created, one higher after each replacement
//!     body BLOB NOT NULL,       -- opaque bytes written by iam-core
//!     PRIMARY KEY (namespace, kind, id)
//! ) WITHOUT ROWID;
//! ```
//!
//! There is no table per entity because the domain layer in `iam-core` owns every rule
//! (validation, uniqueness, cascades and audit) and stores typed records as opaque
//! bodies. The backend only keeps versioned bytes and applies batches atomically, so this
//! backend, the sled backend and `MemoryStore` behave identically.
//!
//! Ids are stored as BLOBs, which SQLite compares with `memcmp`, so scans return ids in
//! plain byte order, the same order as the sled backend and `MemoryStore`. A prefix scan
//! is a range on the primary key, `id >= prefix AND id < prefix || x'FF'`, which is exact
//! because UTF-8 text never contains the byte 0xFF.
//!
//! # Durability
//!
//! The database runs in write-ahead-log (WAL) mode, and every [`Store::commit`] is one
//! `BEGIN IMMEDIATE` transaction. With [`Durability::Full`], the default, SQLite runs
//! with `synchronous=FULL` and syncs the log to disk before a commit returns, so a
//! committed batch survives a process crash and a power loss, provided the disk honours
//! flush requests. [`Durability::Relaxed`] uses `synchronous=NORMAL`: a committed batch
//! still survives a process crash (including `kill -9`), but the latest commits may be
//! lost on a power loss or operating system crash. The database stays consistent either
//! way.
//!
//! # Threads and connections
//!
//! SQLite calls block, so every store method runs its SQL on Tokio's blocking thread pool
//! (`spawn_blocking`) and must be called inside a Tokio runtime. One read-write
//! connection behind a mutex serialises commits. Reads use a small pool of read-only
//! connections and, thanks to WAL, see the last committed state without waiting for a
//! commit in progress. Dropping a store future does not stop its SQL: a commit whose
//! future was dropped may still be applied.
//!
//! # Locking
//!
//! [`SqliteStore::open`] takes an exclusive advisory lock on the file `iam.lock` in the
//! data directory and holds it until the store is dropped. A second open of the same
//! directory, from another process or from this one, fails with
//! [`SqliteError::Locked`]. The operating system releases the lock when the process
//! exits, even after `kill -9`.
//!
//! # Migrations
//!
//! The table `schema_migrations` records each applied schema version with a description
//! and a UTC timestamp. At open, the store applies the migrations newer than the recorded
//! version in order, inside one transaction, so a failed migration changes nothing.
//! Opening a database whose recorded version is newer than [`SCHEMA_VERSION`] fails with
//! [`SqliteError::SchemaTooNew`] without writing to it.

mod error;
mod pool;
mod records;
mod schema;

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use iam_core::store::{CommitReceipt, Record, RecordKey, ScanRange, Store, StoreError, WriteBatch};
use rusqlite::Connection;

pub use error::SqliteError;
pub use schema::SCHEMA_VERSION;

use pool::ReaderPool;

/// The name [`SqliteStore`] reports from [`Store::backend_name`].
const BACKEND_NAME: &str = "sqlite";

/// The name of the database file inside the data directory.
pub const DATABASE_FILE_NAME: &str = "iam.sqlite3";

/// The name of the lock file inside the data directory.
pub const LOCK_FILE_NAME: &str = "iam.lock";

/// The durability level of commits, set through SQLite's `synchronous` pragma.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: a committed batch survives a process crash and a power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: a committed batch survives a process crash, but the latest
    /// commits may be lost on a power loss or operating system crash. Commits are faster
    /// because SQLite syncs the log only at checkpoints.
    Relaxed,
}

/// Settings for [`SqliteStore::open_with`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The durability level of commits. Defaults to [`Durability::Full`].
    pub durability: Durability,
    /// How long a connection waits for a SQLite lock before it fails with
    /// `SQLITE_BUSY`. Defaults to 5 seconds.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            durability: Durability::default(),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A [`Store`] kept in a SQLite database inside a data directory.
///
/// The store holds an exclusive lock on the directory until it is dropped. Its SQL runs
/// on Tokio's blocking thread pool, so its methods must be called inside a Tokio runtime.
pub struct SqliteStore {
    inner: Arc<Inner>,
}

/// The state shared with the blocking tasks. Each task holds a reference, so the lock
/// stays held until the last task has finished.
struct Inner {
    dir: PathBuf,
    database_path: PathBuf,
    writer: Mutex<Connection>,
    readers: ReaderPool,
    // Declared last, so it is dropped (and the lock released) after the connections close.
    _lock: File,
}

impl SqliteStore {
    /// Opens the store in `dir` with default options, creating the directory and the
    /// database when they do not exist. See [`SqliteStore::open_with`].
    ///
    /// # Errors
    ///
    /// See [`SqliteStore::open_with`].
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(dir, SqliteOptions::default())
    }

    /// Opens the store in `dir`, creating the directory and the database when they do
    /// not exist, locks the directory and brings the schema up to [`SCHEMA_VERSION`].
    ///
    /// This function blocks on file I/O. Inside an async task, call it from
    /// `spawn_blocking` if the delay matters.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] whose source is a [`SqliteError`]:
    /// - [`SqliteError::Locked`] when another process or store has locked the directory;
    /// - [`SqliteError::SchemaTooNew`] when a newer version of this crate wrote the
    ///   database;
    /// - [`SqliteError::Io`], [`SqliteError::Sqlite`] or [`SqliteError::WalUnavailable`]
    ///   when the directory, the lock file or the database cannot be set up.
    pub fn open_with(dir: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        Ok(Self::open_inner(dir.as_ref(), options)?)
    }

    fn open_inner(dir: &Path, options: SqliteOptions) -> Result<Self, SqliteError> {
        std::fs::create_dir_all(dir).map_err(|source| SqliteError::Io {
            operation: "create the data directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let lock = lock_directory(dir)?;

        let database_path = dir.join(DATABASE_FILE_NAME);
        let mut writer = schema::open_writer(&database_path, &options)?;
        schema::migrate(&mut writer, &database_path)?;

        let inner = Inner {
            dir: dir.to_path_buf(),
            database_path: database_path.clone(),
            writer: Mutex::new(writer),
            readers: ReaderPool::new(database_path, options),
            _lock: lock,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Returns the data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Returns the path of the database file.
    pub fn database_path(&self) -> &Path {
        &self.inner.database_path
    }

    /// Runs `work` on the blocking thread pool with the shared state.
    async fn run_blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(SqliteError::TaskFailed)?
    }
}

/// Opens `iam.lock` in `dir` and takes an exclusive advisory lock on it.
fn lock_directory(dir: &Path) -> Result<File, SqliteError> {
    let path = dir.join(LOCK_FILE_NAME);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| SqliteError::Io {
            operation: "open the lock file",
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(SqliteError::Locked {
            path: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(source)) => Err(SqliteError::Io {
            operation: "lock",
            path,
            source,
        }),
    }
}

impl fmt::Debug for SqliteStore {
    // Shows only where the store lives: records contain secret hashes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("database_path", &self.inner.database_path)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &RecordKey) -> Result<Option<Record>, StoreError> {
        let key = key.clone();
        self.run_blocking(move |inner| Ok(inner.readers.with(|conn| records::get(conn, &key))?))
            .await
    }

    async fn scan(&self, range: &ScanRange) -> Result<Vec<Record>, StoreError> {
        let range = range.clone();
        self.run_blocking(move |inner| {
            Ok(inner.readers.with(|conn| records::scan(conn, &range))?)
        })
        .await
    }

    async fn commit(&self, batch: WriteBatch) -> Result<CommitReceipt, StoreError> {
        self.run_blocking(move |inner| {
            // A panic during a commit unwinds through the open `Transaction`, whose drop
            // rolls it back, and `records::commit` ends any transaction left open. So the
            // connection behind a poisoned lock is safe to reuse.
            let mut writer = inner.writer.lock().unwrap_or_else(PoisonError::into_inner);
            records::commit(&mut writer, batch)
        })
        .await
    }

    fn backend_name(&self) -> &'static str {
        BACKEND_NAME
    }
}
