//! Opening each storage backend with a chosen durability.

use std::path::Path;
use std::sync::Arc;

use iam_core::store::{MemoryStore, Store};
use iam_store_sled::{SledOptions, SledStore};
use iam_store_sqlite::{SqliteOptions, SqliteStore};

use crate::BenchResult;

/// A storage backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `iam_core::store::MemoryStore`.
    Memory,
    /// `iam_store_sqlite::SqliteStore`.
    Sqlite,
    /// `iam_store_sled::SledStore`.
    Sled,
}

impl Backend {
    /// Every backend, in report order.
    pub const ALL: [Backend; 3] = [Backend::Memory, Backend::Sqlite, Backend::Sled];

    /// Returns the backend's name in benchmark ids and command lines.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Sqlite => "sqlite",
            Backend::Sled => "sled",
        }
    }

    /// Parses a name returned by [`Backend::name`].
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL
            .into_iter()
            .find(|backend| backend.name() == name)
    }
}

/// When commits reach the disk; ignored by the memory store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Each commit is synced before it returns (each backend's default).
    Full,
    /// Commits return before syncing, for building fixtures quickly.
    Relaxed,
}

/// Opens `backend` in `dir` (unused for the memory store). The SQLite and sled stores
/// lock `dir` until the returned store and every clone of it are dropped.
///
/// # Errors
///
/// When the backend cannot open `dir`.
pub fn open_store(
    backend: Backend,
    dir: &Path,
    durability: Durability,
) -> BenchResult<Arc<dyn Store>> {
    Ok(match backend {
        Backend::Memory => Arc::new(MemoryStore::new()),
        Backend::Sqlite => {
            let options = SqliteOptions {
                durability: match durability {
                    Durability::Full => iam_store_sqlite::Durability::Full,
                    Durability::Relaxed => iam_store_sqlite::Durability::Relaxed,
                },
                ..SqliteOptions::default()
            };
            Arc::new(SqliteStore::open_with(dir, options)?)
        }
        Backend::Sled => {
            let options = SledOptions {
                durability: match durability {
                    Durability::Full => iam_store_sled::Durability::Full,
                    Durability::Relaxed => iam_store_sled::Durability::Relaxed,
                },
                ..SledOptions::default()
            };
            Arc::new(SledStore::open_with(dir, options)?)
        }
    })
}

/// Returns the total size in bytes of the files under `dir`.
///
/// # Errors
///
/// When a directory or file cannot be read.
pub fn dir_size(dir: &Path) -> BenchResult<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        total += if metadata.is_dir() {
            dir_size(&entry.path())?
        } else {
            metadata.len()
        };
    }
    Ok(total)
}
