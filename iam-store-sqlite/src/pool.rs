//! A small pool of read-only connections.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use rusqlite::Connection;

use crate::{SqliteError, SqliteOptions, schema};

/// The maximum number of idle reader connections the pool keeps. Concurrent reads beyond this open
/// extra connections, which are closed after use.
const MAX_IDLE_READERS: usize = 4;

/// Read-only connections that are opened on demand and reused.
pub(crate) struct ReaderPool {
    path: PathBuf,
    options: SqliteOptions,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    /// Creates an empty pool for the database at `path`.
    pub(crate) fn new(path: PathBuf, options: SqliteOptions) -> Self {
        Self {
            path,
            options,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection, or on a new one when none is idle, then puts
    /// the connection back.
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, SqliteError>,
    ) -> Result<T, SqliteError> {
        let conn = match self.take() {
            Some(conn) => conn,
            None => schema::open_reader(&self.path, &self.options)?,
        };
        let result = read(&conn);
        self.give_back(conn);
        result
    }

    fn take(&self) -> Option<Connection> {
        // A panic while the lock is held can only interrupt a `Vec` push or pop, which
        // leaves the list valid, so a poisoned lock is safe to reuse.
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
    }
}
