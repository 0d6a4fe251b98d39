//! SQL for reading and writing the `records` table. Every function here blocks.

use iam_core::store::{
    CommitReceipt, Record, RecordKey, ScanRange, StoreError, WriteBatch, WriteOp, check_expect,
};
use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::SqliteError;

const SELECT_RECORD: &str =
    "SELECT version, body FROM records WHERE namespace = ?1 AND kind = ?2 AND id = ?3";
const SELECT_VERSION: &str =
    "SELECT version FROM records WHERE namespace = ?1 AND kind = ?2 AND id = ?3";
const INSERT_RECORD: &str =
    "INSERT INTO records (namespace, kind, id, version, body) VALUES (?1, ?2, ?3, ?4, ?5)";
const UPDATE_RECORD: &str =
    "UPDATE records SET version = ?4, body = ?5 WHERE namespace = ?1 AND kind = ?2 AND id = ?3";
const DELETE_RECORD: &str = "DELETE FROM records WHERE namespace = ?1 AND kind = ?2 AND id = ?3";

// The scans bound `id` by the prefix (`?3`, inclusive) and by the prefix followed by the
// byte 0xFF (`?4`, exclusive). `?6` is the exclusive `after` bound and `?5` the limit,
// where -1 means no limit. SQLite compares BLOBs with memcmp, so this is plain byte order.
const SCAN_ASCENDING: &str = "SELECT id, version, body FROM records \
     WHERE namespace = ?1 AND kind = ?2 AND id >= ?3 AND id < ?4 \
     ORDER BY id ASC LIMIT ?5";
const SCAN_ASCENDING_AFTER: &str = "SELECT id, version, body FROM records \
     WHERE namespace = ?1 AND kind = ?2 AND id >= ?3 AND id < ?4 AND id > ?6 \
     ORDER BY id ASC LIMIT ?5";
const SCAN_DESCENDING: &str = "SELECT id, version, body FROM records \
     WHERE namespace = ?1 AND kind = ?2 AND id >= ?3 AND id < ?4 \
     ORDER BY id DESC LIMIT ?5";
const SCAN_DESCENDING_BEFORE: &str = "SELECT id, version, body FROM records \
     WHERE namespace = ?1 AND kind = ?2 AND id >= ?3 AND id < ?4 AND id < ?6 \
     ORDER BY id DESC LIMIT ?5";

/// Reads one record.
pub(crate) fn get(conn: &Connection, key: &RecordKey) -> Result<Option<Record>, SqliteError> {
    let mut statement = conn.prepare_cached(SELECT_RECORD)?;
    let row = statement
        .query_row(
            (
                key.namespace.to_bytes(),
                key.kind.as_str(),
                key.id.as_bytes(),
            ),
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?;
    let Some((version, body)) = row else {
        return Ok(None);
    };
    Ok(Some(Record {
        id: key.id.clone(),
        version: decode_version(|| key.to_string(), version)?,
        body,
    }))
}

/// Reads the records in `range`, in the order and count that the range requests.
pub(crate) fn scan(conn: &Connection, range: &ScanRange) -> Result<Vec<Record>, SqliteError> {
    let namespace = range.namespace.to_bytes();
    let kind = range.kind.as_str();
    let lower = range.prefix.as_bytes();
    // An id that starts with the prefix continues with a UTF-8 byte, which is never 0xFF,
    // so it sorts below the prefix followed by 0xFF. Every other id sorts outside the
    // range [prefix, prefix + 0xFF).
    let upper = [lower, &[0xFF]].concat();
    let limit = range
        .limit
        .map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));

    let sql = match (range.reverse, range.after.is_some()) {
        (false, false) => SCAN_ASCENDING,
        (false, true) => SCAN_ASCENDING_AFTER,
        (true, false) => SCAN_DESCENDING,
        (true, true) => SCAN_DESCENDING_BEFORE,
    };
    let mut params: Vec<&dyn ToSql> = vec![&namespace, &kind, &lower, &upper, &limit];
    let after = range.after.as_ref().map(|after| after.as_bytes());
    if let Some(after) = &after {
        params.push(after);
    }

    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params.as_slice())?;
    let mut records = Vec::new();
    while let Some(row) = rows.next()? {
        let id: Vec<u8> = row.get(0)?;
        let version: i64 = row.get(1)?;
        let body: Vec<u8> = row.get(2)?;
        records.push(decode_scanned(range, id, version, body)?);
    }
    Ok(records)
}

fn decode_scanned(
    range: &ScanRange,
    id: Vec<u8>,
    version: i64,
    body: Vec<u8>,
) -> Result<Record, SqliteError> {
    let id = String::from_utf8(id).map_err(|error| SqliteError::CorruptRecord {
        key: format!(
            "{}/{}/{}",
            range.namespace,
            range.kind,
            String::from_utf8_lossy(error.as_bytes())
        ),
        reason: "the id is not valid UTF-8".to_owned(),
    })?;
    let key = || RecordKey::new(range.namespace, range.kind, id.as_str()).to_string();
    let version = decode_version(key, version)?;
    Ok(Record { id, version, body })
}

/// Converts a stored version, which the schema keeps at 1 or more, into a `u64`.
fn decode_version(key: impl FnOnce() -> String, version: i64) -> Result<u64, SqliteError> {
    match u64::try_from(version) {
        Ok(version) if version >= 1 => Ok(version),
        _ => Err(SqliteError::CorruptRecord {
            key: key(),
            reason: format!("version `{version}` is below 1"),
        }),
    }
}

/// Applies `batch` in one `BEGIN IMMEDIATE` transaction. A failed requirement returns its
/// neutral error unchanged, and nothing of the batch is written.
pub(crate) fn commit(
    conn: &mut Connection,
    batch: WriteBatch,
) -> Result<CommitReceipt, StoreError> {
    // Dropping a `Transaction` rolls it back and ignores a failure to do so. If that ever
    // left a transaction open, end it here so the next BEGIN does not fail.
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK").map_err(SqliteError::from)?;
    }

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(SqliteError::from)?;
    // On error `tx` is dropped here, which rolls the transaction back.
    let versions = apply(&tx, batch)?;
    tx.commit().map_err(SqliteError::from)?;
    Ok(CommitReceipt { versions })
}

fn apply(tx: &Transaction<'_>, batch: WriteBatch) -> Result<Vec<Option<u64>>, StoreError> {
    let mut versions = Vec::with_capacity(batch.len());
    for op in batch.into_ops() {
        let current = current_version(tx, op.key())?;
        check_expect(op.key(), current, op.expect())?;
        match op {
            WriteOp::Put { key, body, .. } => {
                let version = put(tx, &key, current, &body)?;
                versions.push(Some(version));
            }
            WriteOp::Delete { key, .. } => {
                if current.is_some() {
                    delete(tx, &key)?;
                }
                versions.push(None);
            }
        }
    }
    Ok(versions)
}

fn current_version(tx: &Transaction<'_>, key: &RecordKey) -> Result<Option<u64>, SqliteError> {
    let mut statement = tx.prepare_cached(SELECT_VERSION)?;
    let version = statement
        .query_row(
            (
                key.namespace.to_bytes(),
                key.kind.as_str(),
                key.id.as_bytes(),
            ),
            |row| row.get::<_, i64>(0),
        )
        .optional()?;
    version
        .map(|version| decode_version(|| key.to_string(), version))
        .transpose()
}

fn delete(tx: &Transaction<'_>, key: &RecordKey) -> Result<(), SqliteError> {
    let mut statement = tx.prepare_cached(DELETE_RECORD)?;
    statement.execute((
        key.namespace.to_bytes(),
        key.kind.as_str(),
        key.id.as_bytes(),
    ))?;
    Ok(())
}

/// Inserts or replaces the record and returns its new version.
fn put(
    tx: &Transaction<'_>,
    key: &RecordKey,
    current: Option<u64>,
    body: &[u8],
) -> Result<u64, SqliteError> {
    // `current` was decoded from an i64, so adding 1 cannot overflow a u64.
    let version = current.map_or(1, |current| current + 1);
    let stored = i64::try_from(version).map_err(|_| SqliteError::CorruptRecord {
        key: key.to_string(),
        reason: format!("version `{}` cannot be incremented", version - 1),
    })?;

    let sql = if current.is_some() {
        UPDATE_RECORD
    } else {
        INSERT_RECORD
    };
    let mut statement = tx.prepare_cached(sql)?;
    statement.execute((
        key.namespace.to_bytes(),
        key.kind.as_str(),
        key.id.as_bytes(),
        stored,
        body,
    ))?;
    Ok(version)
}
