//! The byte layout of record keys and values in the `records` tree.
//!
//! A key is the 16 namespace bytes, one byte with the kind name's length, the kind name,
//! then the id's UTF-8 bytes. The length byte keeps kinds whose names share a prefix
//! (`ab` and `abc`) apart. Because the id comes last and unescaped, the keys of one
//! namespace and kind sort in the byte order of their ids. A value is the record version
//! as 8 big-endian bytes followed by the body.

use iam_core::store::{Kind, Namespace, RecordKey};

use crate::error::SledError;

/// Length of the version at the start of every value.
const VERSION_LEN: usize = 8;

/// Returns the bytes shared by every key of one namespace and kind.
///
/// # Errors
///
/// [`SledError::KindTooLong`] when the kind name is longer than 255 bytes.
pub(crate) fn kind_prefix(namespace: Namespace, kind: Kind) -> Result<Vec<u8>, SledError> {
    let name = kind.as_str().as_bytes();
    let Ok(name_len) = u8::try_from(name.len()) else {
        return Err(SledError::KindTooLong {
            kind: kind.as_str(),
            len: name.len(),
        });
    };

    let mut prefix = Vec::with_capacity(16 + 1 + name.len());
    prefix.extend_from_slice(&namespace.to_bytes());
    prefix.push(name_len);
    prefix.extend_from_slice(name);
    Ok(prefix)
}

/// Returns the stored key of a record.
///
/// # Errors
///
/// [`SledError::KindTooLong`] when the kind name is longer than 255 bytes.
pub(crate) fn record_key(key: &RecordKey) -> Result<Vec<u8>, SledError> {
    let mut bytes = kind_prefix(key.namespace, key.kind)?;
    bytes.extend_from_slice(key.id.as_bytes());
    Ok(bytes)
}

/// Returns the stored value of a record.
pub(crate) fn encode_value(version: u64, body: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(VERSION_LEN + body.len());
    value.extend_from_slice(&version.to_be_bytes());
    value.extend_from_slice(body);
    value
}

/// Splits a stored value into version and body. `describe_key` names the record in the
/// error and is only called on failure.
///
/// # Errors
///
/// [`SledError::CorruptRecord`] when the value is shorter than the version.
pub(crate) fn decode_value(
    value: &[u8],
    describe_key: impl FnOnce() -> String,
) -> Result<(u64, &[u8]), SledError> {
    let Some((version, body)) = value.split_first_chunk::<VERSION_LEN>() else {
        return Err(SledError::CorruptRecord {
            key: describe_key(),
            reason: "value is shorter than its 8-byte version",
        });
    };
    Ok((u64::from_be_bytes(*version), body))
}

/// Returns the version that a put writes over a record at `current`.
///
/// # Errors
///
/// [`SledError::CorruptRecord`] when `current` is `u64::MAX`, which no sequence of
/// puts can reach, so the stored version must be damaged.
pub(crate) fn next_version(current: Option<u64>, key: &RecordKey) -> Result<u64, SledError> {
    match current {
        None => Ok(1),
        Some(version) => version
            .checked_add(1)
            .ok_or_else(|| SledError::CorruptRecord {
                key: key.to_string(),
                reason: "version is `u64::MAX` and cannot be incremented",
            }),
    }
}

/// Returns the id of a stored key, given the length of its namespace and kind prefix.
///
/// # Errors
///
/// [`SledError::CorruptRecord`] when the id bytes are not valid UTF-8.
pub(crate) fn decode_id(
    stored_key: &[u8],
    prefix_len: usize,
    namespace: Namespace,
    kind: Kind,
) -> Result<String, SledError> {
    let id_bytes = stored_key.get(prefix_len..).unwrap_or_default();
    match std::str::from_utf8(id_bytes) {
        Ok(id) => Ok(id.to_owned()),
        Err(_) => Err(SledError::CorruptRecord {
            key: describe_raw_key(namespace, kind, id_bytes),
            reason: "id is not valid UTF-8",
        }),
    }
}

/// Renders a key whose id may not be valid UTF-8 the way [`RecordKey`] displays keys.
pub(crate) fn describe_raw_key(namespace: Namespace, kind: Kind, id_bytes: &[u8]) -> String {
    let id = String::from_utf8_lossy(id_bytes).replace('\0', "|");
    format!("{namespace}/{kind}/{id}")
}

/// Returns the smallest byte string greater than every string that starts with
/// `prefix`, or `None` when there is none (the prefix is empty or all `0xff`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_last_byte() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
    }

    #[test]
    fn prefix_end_drops_trailing_max_bytes() {
        assert_eq!(prefix_end(&[1, 0xff, 0xff]), Some(vec![2]));
    }

    #[test]
    fn prefix_end_of_all_max_bytes_is_none() {
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(&[]), None);
    }

    #[test]
    fn kind_prefix_has_length_byte() {
        let prefix = kind_prefix(Namespace::Global, Kind::custom("abc"));
        assert_eq!(prefix.ok(), Some([&[0u8; 16][..], &[3], b"abc"].concat()));
    }

    #[test]
    fn long_kind_rejected() {
        let name: &'static str = "k".repeat(256).leak();
        let result = kind_prefix(Namespace::Global, Kind::custom(name));
        assert!(matches!(
            result,
            Err(SledError::KindTooLong { len: 256, .. })
        ));
    }

    #[test]
    fn short_value_is_corrupt() {
        let result = decode_value(&[0, 1, 2], || "key".to_owned());
        assert!(matches!(result, Err(SledError::CorruptRecord { .. })));
    }

    #[test]
    fn value_round_trips() {
        let value = encode_value(7, b"body");
        let decoded = decode_value(&value, String::new).ok();
        assert_eq!(decoded, Some((7, &b"body"[..])));
    }

    #[test]
    fn max_version_cannot_grow() {
        let key = RecordKey::new(Namespace::Global, Kind::custom("k"), "id");
        assert!(next_version(Some(u64::MAX), &key).is_err());
        assert_eq!(next_version(Some(1), &key).ok(), Some(2));
        assert_eq!(next_version(None, &key).ok(), Some(1));
    }
}
