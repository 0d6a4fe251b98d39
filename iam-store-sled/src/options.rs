//! Settings for opening a [`crate::SledStore`].

/// When a commit's writes reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Every commit flushes sled's buffers and calls fsync before it returns, so an
    /// acknowledged batch survives a process crash. This is the default.
    #[default]
    Full,
    /// Commits return without flushing. sled writes the data when its buffers fill and
    /// when the store is closed, so a crash loses the writes since the last flush, even
    /// those whose commit returned `Ok`. Batches stay atomic, because sled recovers each
    /// transaction completely or not at all. Use it only for data that can be rebuilt,
    /// such as test fixtures.
    Relaxed,
}

/// Settings for [`crate::SledStore::open_with`].
///
/// Set the fields you need and take the rest from `Default`:
///
/// ```
/// use iam_store_sled::{Durability, SledOptions};
///
/// let options = SledOptions {
///     cache_capacity_bytes: 16 * 1024 * 1024,
///     ..SledOptions::default()
/// };
/// assert_eq!(options.durability, Durability::Full);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SledOptions {
    /// Maximum size of sled's page cache in bytes. sled lowers it to the cgroup memory
    /// limit when that is smaller. Default: 64 MiB.
    pub cache_capacity_bytes: u64,
    /// When commits reach the disk. Default: [`Durability::Full`].
    pub durability: Durability,
}

impl SledOptions {
    /// The default page cache size: 64 MiB.
    pub const DEFAULT_CACHE_CAPACITY_BYTES: u64 = 64 * 1024 * 1024;
}

impl Default for SledOptions {
    fn default() -> Self {
        Self {
            cache_capacity_bytes: Self::DEFAULT_CACHE_CAPACITY_BYTES,
            durability: Durability::Full,
        }
    }
}
