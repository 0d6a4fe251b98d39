//! Storage traits and the backend-neutral storage error.
//!
//! The domain layer ([`crate::Iam`]) owns every rule: validation, uniqueness,
//! cascades and audit. A backend only has to keep versioned records durably and apply a
//! batch of writes atomically, so the sled and SQLite backends stay small and behave
//! identically. The contract is:
//!
//! - A record lives at a [`RecordKey`]: a [`Namespace`] (one tenant, or the global
//!   namespace), a [`Kind`] (the record type) and an id string. Bodies are opaque bytes.
//! - Each record carries a version, 1 when created and one higher on every replacement.
//! - [`Store::commit`] applies a [`WriteBatch`] all or nothing. Every operation states
//!   an [`Expect`]ation about the current record; if one fails, nothing is written and
//!   the error names the key. A batch that returned `Ok` survives a process crash.
//! - [`Store::scan`] returns the records of one namespace and kind whose id starts with a
//!   prefix, in ascending (or descending) byte order of the id, optionally starting after
//!   an id and limited in count.
//!
//! # Writing a backend
//!
//! Implement [`Store`] and run the conformance suite (feature `conformance`) with
//! `iam_core::conformance_tests!`. The suite checks every rule above and the domain
//! behaviour built on it, including a model test against [`MemoryStore`].

mod error;
mod key;
mod memory;

use async_trait::async_trait;

pub use error::StoreError;
pub use key::{Kind, Namespace, RecordKey};
pub use memory::MemoryStore;

/// A stored record: its id within the namespace and kind, its version and its body.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// The id part of the record's key.
    pub id: String,
    /// 1 when the record was created, one higher after each replacement.
    pub version: u64,
    /// Opaque bytes written by the domain layer.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Record {
    // Bodies may contain password and secret hashes, so `Debug` shows only their size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// What a write operation requires of the record before it is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No requirement.
    Any,
    /// The record must not exist; otherwise [`StoreError::AlreadyExists`].
    Absent,
    /// The record must exist; otherwise [`StoreError::NotFound`].
    Present,
    /// The record must exist with exactly this version; otherwise
    /// [`StoreError::NotFound`] or [`StoreError::Conflict`].
    Version(u64),
}

/// One operation of a [`WriteBatch`].
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Creates or replaces the record at `key`.
    Put {
        /// Where the record lives.
        key: RecordKey,
        /// The new body.
        body: Vec<u8>,
        /// The requirement checked before writing.
        expect: Expect,
    },
    /// Removes the record at `key`. Deleting a missing record with [`Expect::Any`] is
    /// not an error.
    Delete {
        /// Where the record lives.
        key: RecordKey,
        /// The requirement checked before deleting.
        expect: Expect,
    },
}

impl WriteOp {
    /// Returns the key the operation writes.
    pub fn key(&self) -> &RecordKey {
        match self {
            WriteOp::Put { key, .. } | WriteOp::Delete { key, .. } => key,
        }
    }

    /// Returns the operation's requirement.
    pub fn expect(&self) -> Expect {
        match self {
            WriteOp::Put { expect, .. } | WriteOp::Delete { expect, .. } => *expect,
        }
    }
}

/// Writes that a backend applies all or nothing, in order. A later operation on the same
/// key sees the result of an earlier one in the same batch.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    ops: Vec<WriteOp>,
}

impl WriteBatch {
    /// Creates an empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a put.
    pub fn put(&mut self, key: RecordKey, body: Vec<u8>, expect: Expect) -> &mut Self {
        self.ops.push(WriteOp::Put { key, body, expect });
        self
    }

    /// Appends a delete.
    pub fn delete(&mut self, key: RecordKey, expect: Expect) -> &mut Self {
        self.ops.push(WriteOp::Delete { key, expect });
        self
    }

    /// Returns the operations in order.
    pub fn ops(&self) -> &[WriteOp] {
        &self.ops
    }

    /// Consumes the batch and returns its operations.
    pub fn into_ops(self) -> Vec<WriteOp> {
        self.ops
    }

    /// Returns true when the batch has no operation.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Returns the number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }
}

/// The version each operation of a committed batch left behind: `Some(version)` for a
/// put, `None` for a delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitReceipt {
    /// One entry per operation, in batch order.
    pub versions: Vec<Option<u64>>,
}

/// Which records a [`Store::scan`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRange {
    /// The scanned namespace.
    pub namespace: Namespace,
    /// The scanned kind.
    pub kind: Kind,
    /// Only ids that start with this string.
    pub prefix: String,
    /// Only ids strictly after this one in scan order (strictly before it when
    /// `reverse` is set).
    pub after: Option<String>,
    /// At most this many records; `None` means all.
    pub limit: Option<usize>,
    /// Descending instead of ascending id order.
    pub reverse: bool,
}

impl ScanRange {
    /// Scans every record of one namespace and kind in ascending id order.
    pub fn all(namespace: Namespace, kind: Kind) -> Self {
        Self::prefix(namespace, kind, String::new())
    }

    /// Scans the records whose id starts with `prefix`, in ascending id order.
    pub fn prefix(namespace: Namespace, kind: Kind, prefix: impl Into<String>) -> Self {
        Self {
            namespace,
            kind,
            prefix: prefix.into(),
            after: None,
            limit: None,
            reverse: false,
        }
    }

    /// Starts strictly after `id` in scan order.
    pub fn after(mut self, id: impl Into<String>) -> Self {
        self.after = Some(id.into());
        self
    }

    /// Returns at most `limit` records.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Scans in descending id order.
    pub fn reversed(mut self) -> Self {
        self.reverse = true;
        self
    }

    /// Returns true when `id` lies in the range, ignoring the limit. Backends that
    /// filter in memory use it; it is also the reference for the conformance suite.
    pub fn contains(&self, id: &str) -> bool {
        if !id.starts_with(&self.prefix) {
            return false;
        }
        match &self.after {
            None => true,
            Some(after) if self.reverse => id.as_bytes() < after.as_bytes(),
            Some(after) => id.as_bytes() > after.as_bytes(),
        }
    }
}

/// Durable, versioned record storage with atomic batches.
///
/// Implementations must be safe to share between tasks. All methods may be called
/// concurrently. [`Store::commit`] calls are serialisable, and reads are isolated from
/// them: a `get` or `scan` sees either all or none of a batch's writes, and never a batch
/// whose `commit` has not yet made it durable.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Returns the record at `key`, or `None` when there is none.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the backend fails.
    async fn get(&self, key: &RecordKey) -> Result<Option<Record>, StoreError>;

    /// Returns the records in `range`, in the order the range asks for.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the backend fails.
    async fn scan(&self, range: &ScanRange) -> Result<Vec<Record>, StoreError>;

    /// Applies `batch` atomically and durably. On success every operation was applied and
    /// the batch survives a process crash. On a failed requirement none was applied. On
    /// [`StoreError::Backend`] the outcome is unknown (a failed flush may follow an
    /// applied batch), so callers treat it as fatal for the request and re-read.
    ///
    /// # Errors
    ///
    /// - [`StoreError::AlreadyExists`] when an [`Expect::Absent`] record exists.
    /// - [`StoreError::NotFound`] when an [`Expect::Present`] or [`Expect::Version`]
    ///   record is missing.
    /// - [`StoreError::Conflict`] when an [`Expect::Version`] record has another version.
    /// - [`StoreError::Backend`] when the backend fails.
    async fn commit(&self, batch: WriteBatch) -> Result<CommitReceipt, StoreError>;

    /// Returns the backend's name for diagnostics (`"sqlite"`, `"sled"`, `"memory"`).
    fn backend_name(&self) -> &'static str;
}

/// Checks `expect` against the current version of a record (`None` when missing).
/// Every backend uses this so that precondition failures read the same everywhere.
///
/// # Errors
///
/// The [`StoreError`] the failed requirement calls for.
pub fn check_expect(
    key: &RecordKey,
    current: Option<u64>,
    expect: Expect,
) -> Result<(), StoreError> {
    match (expect, current) {
        (Expect::Any, _) => Ok(()),
        (Expect::Absent, None) => Ok(()),
        (Expect::Absent, Some(_)) => Err(StoreError::AlreadyExists { key: key.clone() }),
        (Expect::Present, Some(_)) => Ok(()),
        (Expect::Present | Expect::Version(_), None) => {
            Err(StoreError::NotFound { key: key.clone() })
        }
        (Expect::Version(expected), Some(actual)) if expected == actual => Ok(()),
        (Expect::Version(expected), Some(actual)) => Err(StoreError::Conflict {
            key: key.clone(),
            expected,
            actual,
        }),
    }
}
