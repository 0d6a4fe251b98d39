//! The conformance suite on `MemoryStore`, the reference every backend is compared with.

use std::sync::Arc;

use async_trait::async_trait;
use iam_core::conformance::Backend;
use iam_core::store::{MemoryStore, Store, StoreError};

/// Keeps one store across reopens, as a durable backend keeps its files.
struct Memory(Arc<MemoryStore>);

#[async_trait]
impl Backend for Memory {
    async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(self.0.clone())
    }
}

iam_core::conformance_tests!(Memory(Arc::new(MemoryStore::new())));
