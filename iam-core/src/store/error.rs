//! The backend-neutral storage error.

use super::RecordKey;

/// Why a storage operation failed. Each backend keeps its own detailed error type and
/// converts it into this one, keeping the original as the source of
/// [`StoreError::Backend`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A record that had to exist does not.
    #[error("record `{key}` not found")]
    NotFound {
        /// The missing record.
        key: RecordKey,
    },
    /// A record that had to be absent exists.
    #[error("record `{key}` already exists")]
    AlreadyExists {
        /// The existing record.
        key: RecordKey,
    },
    /// A record has another version than the writer expected.
    #[error("record `{key}` has version {actual}, expected {expected}")]
    Conflict {
        /// The record.
        key: RecordKey,
        /// The version the writer expected.
        expected: u64,
        /// The stored version.
        actual: u64,
    },
    /// The backend itself failed (I/O, corruption, lock held by another process).
    #[error("{backend} store failed")]
    Backend {
        /// The backend's name, such as `sqlite` or `sled`.
        backend: &'static str,
        /// The backend's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl StoreError {
    /// Wraps a backend's own error.
    pub fn backend(
        backend: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        StoreError::Backend {
            backend,
            source: source.into(),
        }
    }
}
