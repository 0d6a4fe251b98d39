//! The file that contains the key which encrypts SSO client secrets at rest.
//!
//! The file contains exactly 32 random bytes. `iam-server init` and `serve` create it
//! when it is missing: the bytes go to a temporary file with mode 0600 in the same
//! directory, which is synced and then hard-linked to the final name. The link fails if
//! the name exists, so two processes that race end up with one key, and a crash never
//! leaves a partly written key file behind. A leftover temporary file
//! (`.secret.key.<random>.tmp`) can be deleted.
//!
//! Losing the file makes every stored SSO client secret unreadable; the secrets must then
//! be set again through the API.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use iam_core::IamError;
use iam_core::cipher::SecretKey;
use iam_core::clock::RandomSource;

/// The name of the key file in the data directory when no path is configured.
pub const DEFAULT_KEY_FILE_NAME: &str = "secret.key";

/// The length of the key in bytes.
const KEY_LEN: usize = 32;

/// The failure to load or create the key file. Messages never contain key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading, writing or linking the file failed.
    #[error("secret key file `{}` could not be {action}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The failed operation, such as `read`.
        action: &'static str,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The directory of a new key file could not be created.
    #[error("directory `{}` of the secret key file could not be created", path.display())]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file exists but does not hold a key.
    #[error(
        "secret key file `{}` has {length} bytes, expected {KEY_LEN}; restore the original file, because a new key can't decrypt the stored SSO client secrets",
        path.display()
    )]
    WrongLength {
        /// The file.
        path: PathBuf,
        /// Its length in bytes.
        length: u64,
    },
    /// No random bytes for a new key.
    #[error("no random bytes for a new secret key")]
    Random(#[source] IamError),
}

/// Whether [`load_or_create`] found the key or made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The file existed.
    Loaded,
    /// The file was missing and has been written now.
    Created,
}

/// Returns the key file path: `configured`, or `secret.key` in `data_dir`.
pub fn key_file_path(configured: Option<&Path>, data_dir: &Path) -> PathBuf {
    configured.map_or_else(|| data_dir.join(DEFAULT_KEY_FILE_NAME), Path::to_path_buf)
}

/// Loads the key from `path`, creating the file with a new key from `random` when it
/// does not exist. Blocking: call it from `spawn_blocking` in async code.
///
/// # Errors
///
/// [`KeyFileError`] when the file can't be read or written, has the wrong length, or
/// no random bytes are available.
pub fn load_or_create(
    path: &Path,
    random: &dyn RandomSource,
) -> Result<(SecretKey, KeyOrigin), KeyFileError> {
    match read_key(path) {
        Ok(key) => return Ok((key, KeyOrigin::Loaded)),
        Err(KeyFileError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
        Err(other) => return Err(other),
    }

    let key = SecretKey::generate(random).map_err(KeyFileError::Random)?;
    let io_error = |action: &'static str| {
        move |source: io::Error| KeyFileError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&directory).map_err(|source| KeyFileError::CreateDirectory {
        path: directory.clone(),
        source,
    })?;

    let mut suffix = [0u8; 8];
    random.fill(&mut suffix).map_err(KeyFileError::Random)?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| DEFAULT_KEY_FILE_NAME.to_owned());
    let suffix: String = suffix.iter().map(|byte| format!("{byte:02x}")).collect();
    let temporary = directory.join(format!(".{file_name}.{suffix}.tmp"));

    let written = write_private(&temporary, key.expose_bytes())
        .and_then(|()| fs::hard_link(&temporary, path));
    // The temporary name is removed in every case; the key lives on under `path`.
    let _ = fs::remove_file(&temporary);
    match written {
        Ok(()) => {
            sync_directory(&directory).map_err(io_error("synced to disk"))?;
            Ok((key, KeyOrigin::Created))
        }
        // Another process created the file first; its key is the one to use.
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            read_key(path).map(|key| (key, KeyOrigin::Loaded))
        }
        Err(error) => Err(io_error("written")(error)),
    }
}

fn read_key(path: &Path) -> Result<SecretKey, KeyFileError> {
    let io_error = |source: io::Error| KeyFileError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    };
    let mut file = File::open(path).map_err(io_error)?;
    let length = file.metadata().map_err(io_error)?.len();
    if length != KEY_LEN as u64 {
        return Err(KeyFileError::WrongLength {
            path: path.to_path_buf(),
            length,
        });
    }
    let mut bytes = [0u8; KEY_LEN];
    file.read_exact(&mut bytes).map_err(io_error)?;
    warn_if_readable_by_others(path, &file);
    Ok(SecretKey::from_bytes(bytes))
}

/// Creates `path` (which must not exist) readable and writable only by the owner,
/// writes `bytes` and syncs them to disk.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs the directory entry of a new file, so that the name survives a crash.
fn sync_directory(directory: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(directory)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = directory;
        Ok(())
    }
}

fn warn_if_readable_by_others(path: &Path, file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = file.metadata()
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{:o}", metadata.permissions().mode() & 0o777),
                "the secret key file is accessible to other users; restrict it with `chmod 600`"
            );
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iam_core::clock::OsRandom;

    #[test]
    fn created_once_then_loaded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("nested").join("secret.key");
        let (first, origin) = load_or_create(&path, &OsRandom).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(origin, KeyOrigin::Created);
        let (second, origin) = load_or_create(&path, &OsRandom).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(origin, KeyOrigin::Loaded);
        assert_eq!(first.expose_bytes(), second.expose_bytes());
        let entries: Vec<_> = fs::read_dir(path.parent().unwrap_or(dir.path()))
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(entries, [std::ffi::OsString::from("secret.key")]);
    }

    #[cfg(unix)]
    #[test]
    fn created_with_owner_only_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("secret.key");
        load_or_create(&path, &OsRandom).unwrap_or_else(|e| panic!("{e}"));
        let mode = fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(fs::metadata(&path).map(|m| m.len()).ok(), Some(32));
    }

    #[test]
    fn wrong_length_rejected() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("secret.key");
        fs::write(&path, b"short").unwrap_or_else(|e| panic!("{e}"));
        let error = load_or_create(&path, &OsRandom).err();
        assert!(
            matches!(error, Some(KeyFileError::WrongLength { length: 5, .. })),
            "{error:?}"
        );
        assert_eq!(fs::read(&path).ok().as_deref(), Some(&b"short"[..]));
    }
}
