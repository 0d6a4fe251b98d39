//! Connection settings and schema migrations.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

use crate::{Durability, SqliteError, SqliteOptions};

/// The newest schema version this crate creates and reads. Opening a database with a
/// higher version fails with [`SqliteError::SchemaTooNew`].
pub const SCHEMA_VERSION: i64 = 1;

/// One step of the schema history.
struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

/// Every migration in order. Versions start at 1 and go up by one, and the last one is
/// [`SCHEMA_VERSION`]. Never edit a migration that has been released: append a new one.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "create the records table",
    sql: "CREATE TABLE records (
              namespace BLOB NOT NULL CHECK (length(namespace) = 16),
              kind TEXT NOT NULL,
              id BLOB NOT NULL,
              version INTEGER NOT NULL CHECK (version >= 1),
              body BLOB NOT NULL,
              PRIMARY KEY (namespace, kind, id)
          ) WITHOUT ROWID;",
}];

/// Opens the read-write connection, switches the database to WAL mode and applies the
/// durability setting.
pub(crate) fn open_writer(path: &Path, options: &SqliteOptions) -> Result<Connection, SqliteError> {
    // No SQLITE_OPEN_URI, so a directory name starting with `file:` stays a plain path.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(options.busy_timeout)?;

    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(SqliteError::WalUnavailable {
            path: path.to_path_buf(),
            mode,
        });
    }

    let synchronous = match options.durability {
        Durability::Full => "FULL",
        Durability::Relaxed => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous)?;
    Ok(conn)
}

/// Opens a read-only connection. The database must already exist in WAL mode.
pub(crate) fn open_reader(path: &Path, options: &SqliteOptions) -> Result<Connection, SqliteError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(options.busy_timeout)?;
    Ok(conn)
}

/// Brings the schema up to [`SCHEMA_VERSION`] in one transaction, so a failed migration
/// leaves the database as it was. Returns the schema version afterwards.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<i64, SqliteError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY NOT NULL,
             description TEXT NOT NULL,
             applied_at TEXT NOT NULL
         );",
    )?;

    let found: i64 = tx.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )?;
    if found > SCHEMA_VERSION {
        return Err(SqliteError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }

    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        tx.execute_batch(migration.sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_at)
             VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            params![migration.version, migration.description],
        )?;
    }
    tx.commit()?;
    Ok(SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_versions_are_consecutive() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<i64> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }
}
