//! The layout version in the `meta` tree and the upgrade steps between versions.

use std::path::Path;

use crate::error::SledError;

/// The layout version this release writes. Version 1 is the layout described in the
/// crate documentation.
pub const LAYOUT_VERSION: u64 = 1;

/// Name of the tree that contains records.
pub(crate) const RECORDS_TREE: &str = "records";

/// Name of the tree that contains store metadata.
pub(crate) const META_TREE: &str = "meta";

/// Key of the layout version, an 8-byte big-endian `u64`, in the `meta` tree.
pub(crate) const LAYOUT_VERSION_KEY: &str = "layout_version";

/// A step that moves a store from one layout version to the next.
///
/// A crash between a step and the write of the new version runs the step again at the
/// next open, so every step must be safe to repeat.
type UpgradeStep = fn(&sled::Db) -> Result<(), SledError>;

/// Upgrade steps in order: `UPGRADES[i]` moves layout version `i + 1` to `i + 2`.
/// Version 1 is the first layout, so there is no step yet.
const UPGRADES: &[UpgradeStep] = &[];

const _: () = assert!(
    UPGRADES.len() as u64 + 1 == LAYOUT_VERSION,
    "every layout version after 1 needs an upgrade step"
);

/// Brings the store's layout to [`LAYOUT_VERSION`]: records the version in a new store,
/// runs the upgrade steps on an older one and flushes.
///
/// # Errors
///
/// - [`SledError::LayoutTooNew`] when the store has a newer layout.
/// - [`SledError::CorruptRecord`] when the stored version is unreadable or missing
///   although the store has records.
/// - [`SledError::Sled`] when sled fails.
pub(crate) fn prepare(db: &sled::Db, path: &Path) -> Result<(), SledError> {
    let meta = db.open_tree(META_TREE)?;
    let records = db.open_tree(RECORDS_TREE)?;

    let Some(version) = read_version(&meta)? else {
        if !records.is_empty() {
            return Err(corrupt_version(
                "missing although the store contains records",
            ));
        }
        write_version(&meta, LAYOUT_VERSION)?;
        db.flush()?;
        return Ok(());
    };

    if version == 0 {
        return Err(corrupt_version("0 is not a layout version"));
    }
    if version > LAYOUT_VERSION {
        return Err(SledError::LayoutTooNew {
            path: path.to_path_buf(),
            found: version,
            supported: LAYOUT_VERSION,
        });
    }

    // NOTE: no upgrade step exists yet, so this loop has never run a step.
    let done_steps = usize::try_from(version - 1).unwrap_or(usize::MAX);
    for (step, target) in UPGRADES.iter().skip(done_steps).zip(version + 1..) {
        step(db)?;
        write_version(&meta, target)?;
        db.flush()?;
    }
    Ok(())
}

/// Reads the stored layout version, `None` when there is none.
fn read_version(meta: &sled::Tree) -> Result<Option<u64>, SledError> {
    let Some(value) = meta.get(LAYOUT_VERSION_KEY)? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = value
        .as_ref()
        .try_into()
        .map_err(|_| corrupt_version("value is not 8 bytes long"))?;
    Ok(Some(u64::from_be_bytes(bytes)))
}

fn write_version(meta: &sled::Tree, version: u64) -> Result<(), SledError> {
    meta.insert(LAYOUT_VERSION_KEY, version.to_be_bytes().to_vec())?;
    Ok(())
}

fn corrupt_version(reason: &'static str) -> SledError {
    SledError::CorruptRecord {
        key: format!("{META_TREE}/{LAYOUT_VERSION_KEY}"),
        reason,
    }
}
