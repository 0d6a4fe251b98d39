//! The shared conformance suite on the SQLite backend.

use std::sync::Arc;

use async_trait::async_trait;
use iam_core::conformance::Backend;
use iam_core::store::{Store, StoreError};
use iam_store_sqlite::SqliteStore;

/// A SQLite store in its own temporary directory, reopened from the same files.
struct Sqlite {
    dir: tempfile::TempDir,
}

impl Sqlite {
    fn new() -> Self {
        match tempfile::tempdir() {
            Ok(dir) => Self { dir },
            Err(error) => panic!("creating a temporary directory failed: {error}"),
        }
    }
}

#[async_trait]
impl Backend for Sqlite {
    async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(Arc::new(SqliteStore::open(self.dir.path())?))
    }
}

iam_core::conformance_tests!(Sqlite::new());
