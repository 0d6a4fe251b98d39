//! The shared conformance suite on the sled backend.

use std::sync::Arc;

use async_trait::async_trait;
use iam_core::conformance::Backend;
use iam_core::store::{Store, StoreError};
use iam_store_sled::SledStore;

/// A sled store in its own temporary directory, reopened from the same files.
struct Sled {
    dir: tempfile::TempDir,
}

impl Sled {
    fn new() -> Self {
        match tempfile::tempdir() {
            Ok(dir) => Self { dir },
            Err(error) => panic!("creating a temporary directory failed: {error}"),
        }
    }
}

#[async_trait]
impl Backend for Sled {
    async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(Arc::new(SledStore::open(self.dir.path())?))
    }
}

iam_core::conformance_tests!(Sled::new());
