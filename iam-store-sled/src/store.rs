//! [`SledStore`]: the [`Store`] implementation on sled.

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use iam_core::store::{
    CommitReceipt, Record, RecordKey, ScanRange, Store, StoreError, WriteBatch, WriteOp,
    check_expect,
};
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError,
    TransactionalTree,
};

use crate::codec;
use crate::error::SledError;
use crate::layout::{self, RECORDS_TREE};
use crate::options::{Durability, SledOptions};

/// Name of the lock file in the store directory.
const LOCK_FILE: &str = "iam.lock";

/// Name of the sled database directory inside the store directory.
const DATABASE_DIR: &str = "db";

/// Name of the file that sled locks inside its database directory (sled 0.34).
const SLED_LOCKED_FILE: &str = "db";

/// How long opening waits for sled's threads to close a database that was dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// A [`Store`] kept in a sled database in one directory.
///
/// Opening takes an exclusive lock on the directory. The lock lasts until the store is
/// dropped and every operation started on it has finished. Every method runs its sled
/// work on tokio's blocking thread pool, so it must be called from within a tokio
/// runtime.
pub struct SledStore {
    shared: Arc<Shared>,
}

/// The state that blocking tasks share with the store.
struct Shared {
    records: sled::Tree,
    db: sled::Db,
    durability: Durability,
    path: PathBuf,
    /// Commits hold it for writing until their flush has returned, and reads hold it for
    /// reading. A scan therefore never sees part of a batch, and with
    /// [`Durability::Full`] no read sees a write that a crash could still lose.
    visibility: RwLock<()>,
    /// The locked `iam.lock` file. Fields drop in declaration order, so the lock is
    /// released only after the database handles above are dropped, which flushes them.
    _lock_file: File,
}

impl SledStore {
    /// Opens the store in `dir` with the default [`SledOptions`], creating the directory
    /// and the database when they do not exist.
    ///
    /// Opening reads sled's files and may take a while on a large store, so call it
    /// before serving requests or from a blocking task.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] with a [`SledError`] source:
    /// - [`SledError::Locked`] when another process or another `SledStore` has the
    ///   directory open.
    /// - [`SledError::LayoutTooNew`] when a newer release wrote the store.
    /// - [`SledError::Io`] or [`SledError::Open`] when the files cannot be created or
    ///   read.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(dir, SledOptions::default())
    }

    /// Opens the store in `dir` with `options`, creating the directory and the database
    /// when they do not exist.
    ///
    /// # Errors
    ///
    /// The same as [`SledStore::open`].
    pub fn open_with(dir: impl AsRef<Path>, options: SledOptions) -> Result<Self, StoreError> {
        let shared = Shared::open(dir.as_ref(), &options)?;
        Ok(Self {
            shared: Arc::new(shared),
        })
    }

    /// Returns the store directory as an absolute path.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Runs `work` on the blocking thread pool with the shared state.
    async fn run_blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Shared) -> Result<T, StoreError> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        match tokio::task::spawn_blocking(move || work(&shared)).await {
            Ok(result) => result,
            Err(join_error) => Err(SledError::TaskFailed(join_error).into()),
        }
    }
}

impl fmt::Debug for SledStore {
    // Record bodies may contain secret hashes, so only the location and settings show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledStore")
            .field("path", &self.shared.path)
            .field("durability", &self.shared.durability)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Store for SledStore {
    async fn get(&self, key: &RecordKey) -> Result<Option<Record>, StoreError> {
        let key = key.clone();
        self.run_blocking(move |shared| Ok(shared.get(&key)?)).await
    }

    async fn scan(&self, range: &ScanRange) -> Result<Vec<Record>, StoreError> {
        let range = range.clone();
        self.run_blocking(move |shared| Ok(shared.scan(&range)?))
            .await
    }

    async fn commit(&self, batch: WriteBatch) -> Result<CommitReceipt, StoreError> {
        if batch.is_empty() {
            return Ok(CommitReceipt {
                versions: Vec::new(),
            });
        }
        self.run_blocking(move |shared| shared.commit(batch)).await
    }

    fn backend_name(&self) -> &'static str {
        crate::BACKEND_NAME
    }
}

impl Shared {
    fn open(dir: &Path, options: &SledOptions) -> Result<Self, SledError> {
        fs::create_dir_all(dir).map_err(|source| SledError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = fs::canonicalize(dir).map_err(|source| SledError::Io {
            path: dir.to_path_buf(),
            source,
        })?;

        // The lock comes first so that a second opener never touches sled's files.
        let lock_file = lock_directory(&path)?;

        let db_path = path.join(DATABASE_DIR);
        wait_for_sled_close(&db_path.join(SLED_LOCKED_FILE))?;

        // `flush_every_ms(None)` turns off sled's background flusher thread, which would
        // otherwise flush every 500 ms. With `Durability::Full` each commit flushes
        // instead. `LowSpace` is sled's default mode. In a 3,000-commit run with a flush
        // after each commit on a 2-core Linux machine, `HighThroughput` was no faster
        // and used the same disk space.
        let db = sled::Config::new()
            .path(&db_path)
            .cache_capacity(options.cache_capacity_bytes)
            .mode(sled::Mode::LowSpace)
            .flush_every_ms(None)
            .open()
            .map_err(|source| SledError::Open {
                path: db_path,
                source,
            })?;

        layout::prepare(&db, &path)?;
        let records = db.open_tree(RECORDS_TREE)?;

        Ok(Self {
            records,
            db,
            durability: options.durability,
            path,
            visibility: RwLock::new(()),
            _lock_file: lock_file,
        })
    }

    fn get(&self, key: &RecordKey) -> Result<Option<Record>, SledError> {
        let stored_key = codec::record_key(key)?;

        let value = {
            let _read = self.read_guard();
            self.records.get(&stored_key)?
        };

        let Some(value) = value else {
            return Ok(None);
        };
        let (version, body) = codec::decode_value(&value, || key.to_string())?;
        Ok(Some(Record {
            id: key.id.clone(),
            version,
            body: body.to_vec(),
        }))
    }

    fn scan(&self, range: &ScanRange) -> Result<Vec<Record>, SledError> {
        let kind_prefix = codec::kind_prefix(range.namespace, range.kind)?;
        let Some(bounds) = scan_bounds(&kind_prefix, range) else {
            return Ok(Vec::new());
        };
        let limit = range.limit.unwrap_or(usize::MAX);

        let _read = self.read_guard();
        let entries = self.records.range(bounds);
        let decode = |entry: sled::Result<(sled::IVec, sled::IVec)>| {
            let (stored_key, value) = entry?;
            let id = codec::decode_id(&stored_key, kind_prefix.len(), range.namespace, range.kind)?;
            let (version, body) = codec::decode_value(&value, || {
                RecordKey::new(range.namespace, range.kind, id.clone()).to_string()
            })?;
            Ok(Record {
                id,
                version,
                body: body.to_vec(),
            })
        };
        if range.reverse {
            entries.rev().take(limit).map(decode).collect()
        } else {
            entries.take(limit).map(decode).collect()
        }
    }

    fn commit(&self, batch: WriteBatch) -> Result<CommitReceipt, StoreError> {
        let ops = batch.into_ops();
        let stored_keys = ops
            .iter()
            .map(|op| codec::record_key(op.key()))
            .collect::<Result<Vec<_>, _>>()?;

        let _write = self.write_guard();
        let receipt = match self
            .records
            .transaction(|tx| apply_ops(tx, &ops, &stored_keys))
        {
            Ok(receipt) => receipt,
            // A failed requirement or a corrupt record, already in its final form.
            Err(TransactionError::Abort(error)) => return Err(error),
            Err(TransactionError::Storage(error)) => return Err(SledError::Sled(error).into()),
        };

        if self.durability == Durability::Full {
            // NOTE: when this flush fails the batch is already applied in memory, so a
            // caller that sees the error may still read the batch until the process
            // stops, and it may or may not survive a crash.
            self.db.flush().map_err(SledError::Sled)?;
        }
        Ok(receipt)
    }

    // A panicking task cannot leave a batch half applied, because a sled transaction
    // is all or nothing, so the data behind a poisoned lock is consistent.
    fn read_guard(&self) -> RwLockReadGuard<'_, ()> {
        self.visibility
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, ()> {
        self.visibility
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Creates or opens the lock file in `dir` and takes an exclusive advisory lock on it.
///
/// The lock belongs to the open file, so it is released when the returned `File` is
/// dropped or the process ends, even by a crash.
fn lock_directory(dir: &Path) -> Result<File, SledError> {
    let lock_path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| SledError::Io {
            path: lock_path.clone(),
            source,
        })?;

    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(SledError::Locked {
            path: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(source)) => Err(SledError::Io {
            path: lock_path,
            source,
        }),
    }
}

/// Waits until no open file holds sled's lock on `db_file`, for at most [`CLOSE_WAIT`].
///
/// sled 0.34 keeps the database file open in a background thread for a moment after
/// the last `Db` handle is dropped, and `sled::open` fails while it does. The longest
/// such wait seen in 150 reopen rounds on a 2-core Linux machine was under 1 ms. The
/// caller holds `iam.lock`, so the holder is normally a store of this process that was
/// just dropped. When the wait times out, the caller goes on and sled reports the lock
/// itself.
fn wait_for_sled_close(db_file: &Path) -> Result<(), SledError> {
    let file = match File::open(db_file) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(SledError::Io {
                path: db_file.to_path_buf(),
                source,
            });
        }
    };

    let deadline = Instant::now() + CLOSE_WAIT;
    loop {
        match file.try_lock() {
            // Dropping `file` closes it and so releases the lock for sled.
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(TryLockError::WouldBlock) => return Ok(()),
            Err(TryLockError::Error(source)) => {
                return Err(SledError::Io {
                    path: db_file.to_path_buf(),
                    source,
                });
            }
        }
    }
}

/// Applies `ops` inside a sled transaction, in order. Reads go through `tx`, so each
/// operation sees the writes of the earlier ones. sled may run this more than once
/// when transactions conflict, so it only reads its arguments.
fn apply_ops(
    tx: &TransactionalTree,
    ops: &[WriteOp],
    stored_keys: &[Vec<u8>],
) -> ConflictableTransactionResult<CommitReceipt, StoreError> {
    let mut versions = Vec::with_capacity(ops.len());
    for (op, stored_key) in ops.iter().zip(stored_keys) {
        let key = op.key();
        let current = match tx.get(stored_key)? {
            Some(value) => {
                let (version, _) = codec::decode_value(&value, || key.to_string())
                    .map_err(abort_with_backend_error)?;
                Some(version)
            }
            None => None,
        };
        check_expect(key, current, op.expect()).map_err(ConflictableTransactionError::Abort)?;

        match op {
            WriteOp::Put { body, .. } => {
                let version =
                    codec::next_version(current, key).map_err(abort_with_backend_error)?;
                tx.insert(stored_key.as_slice(), codec::encode_value(version, body))?;
                versions.push(Some(version));
            }
            WriteOp::Delete { .. } => {
                tx.remove(stored_key.as_slice())?;
                versions.push(None);
            }
        }
    }
    Ok(CommitReceipt { versions })
}

fn abort_with_backend_error(error: SledError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(error.into())
}

/// Lower and upper bound of a range of stored keys.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Returns the key range that contains the records of `range`, or `None` when no key can
/// match. `kind_prefix` is the key prefix of the range's namespace and kind.
fn scan_bounds(kind_prefix: &[u8], range: &ScanRange) -> Option<KeyRange> {
    let start = [kind_prefix, range.prefix.as_bytes()].concat();
    let end = codec::prefix_end(&start);
    let mut upper = end.clone().map_or(Bound::Unbounded, Bound::Excluded);

    let Some(after_id) = &range.after else {
        return Some((Bound::Included(start), upper));
    };
    let after = [kind_prefix, after_id.as_bytes()].concat();

    if range.reverse {
        // Keys strictly before `after`.
        if after <= start {
            return None;
        }
        if end.as_ref().is_none_or(|end| after < *end) {
            upper = Bound::Excluded(after);
        }
        Some((Bound::Included(start), upper))
    } else {
        // Keys strictly after `after`.
        if end.as_ref().is_some_and(|end| after >= *end) {
            return None;
        }
        let lower = if after >= start {
            Bound::Excluded(after)
        } else {
            Bound::Included(start)
        };
        Some((lower, upper))
    }
}
