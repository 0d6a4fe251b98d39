//! The [`iam_core::store::Store`] backend on [sled] 0.34.
//!
//! ```no_run
//! # fn main() -> Result<(), iam_core::store::StoreError> {
//! use iam_store_sled::SledStore;
//!
//! let store = SledStore::open("/var/lib/iam")?;
//! # drop(store);
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! The store directory contains the lock file `iam.lock` and the sled database in `db/`.
//! The database has two trees:
//!
//! - `records` contains every record of every type in one generic keyspace. The domain
//!   layer in `iam-core` owns all rules (validation, uniqueness, cascades and audit), so
//!   the backend keeps no tables or indexes of its own, and this backend, the SQLite
//!   backend and `MemoryStore` behave identically. A key is the namespace as 16 bytes
//!   (the tenant UUID, or the nil UUID for the global namespace), one byte with the
//!   length of the kind name, the kind name, then the id's UTF-8 bytes. A value is the
//!   record version as 8 big-endian bytes followed by the body. Within one namespace
//!   and kind, keys sort in the byte order of their ids, the order that
//!   [`Store::scan`](iam_core::store::Store::scan) returns.
//! - `meta` contains `layout_version`, an 8-byte big-endian number.
//!
//! # Layout versions
//!
//! Opening a new store records [`LAYOUT_VERSION`]. Opening a store with an older version
//! runs the upgrade steps from that version to the current one, in order, recording
//! each version reached. Opening a store with a newer version fails with
//! [`SledError::LayoutTooNew`] and leaves it unchanged.
//!
//! # Durability
//!
//! Each [`Store::commit`](iam_core::store::Store::commit) is one sled transaction, so a
//! batch is applied completely or not at all, also across a crash. With the default
//! [`Durability::Full`], the commit also flushes sled's buffers and calls fsync before
//! it returns, so an acknowledged batch survives a process crash. Reads wait while a
//! commit and its flush are in progress, so they never see a batch before it is
//! durable, and a scan never sees part of a batch. [`Durability::Relaxed`] skips the
//! flush and loses the latest acknowledged batches on a crash. sled's own background
//! flusher is turned off in both modes.
//!
//! # Locking
//!
//! Opening takes an exclusive advisory lock (`flock` on Unix) on `iam.lock` before it
//! touches the database, and the store keeps it until it is dropped. A second
//! [`SledStore::open`] on the same directory, from another process or from the same
//! one, fails with [`SledError::Locked`] until then. The operating system releases
//! the lock when the process ends, so a crash leaves no stale lock behind.
//!
//! # Errors
//!
//! Failed requirements of a batch come back as the neutral
//! [`StoreError::NotFound`](iam_core::store::StoreError::NotFound),
//! [`StoreError::AlreadyExists`](iam_core::store::StoreError::AlreadyExists) and
//! [`StoreError::Conflict`](iam_core::store::StoreError::Conflict). Every other failure
//! is [`StoreError::Backend`](iam_core::store::StoreError::Backend) with backend `"sled"`
//! and a [`SledError`] as its source.
//!
//! [sled]: https://docs.rs/sled/0.34

mod codec;
mod error;
mod layout;
mod options;
mod store;

pub use error::SledError;
pub use layout::LAYOUT_VERSION;
pub use options::{Durability, SledOptions};
pub use store::SledStore;

/// The name this backend reports in [`iam_core::store::StoreError::Backend`] and
/// [`iam_core::store::Store::backend_name`].
pub const BACKEND_NAME: &str = "sled";
