//! An in-memory [`Store`]: the reference model of the conformance suite and a store for
//! tests and short-lived embeddings. Nothing survives the process.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::{
    CommitReceipt, Kind, Namespace, Record, RecordKey, ScanRange, Store, StoreError, WriteBatch,
    WriteOp, check_expect,
};

/// A stored record's version and body.
type Entry = (u64, Vec<u8>);
type Table = BTreeMap<(Namespace, Kind), BTreeMap<String, Entry>>;
/// What a batch replaced, to put back when a later operation fails.
type UndoLog = Vec<(RecordKey, Option<Entry>)>;

/// A [`Store`] kept in a `BTreeMap` behind a mutex.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Table>,
}

impl MemoryStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // `apply` does not panic between changing and restoring records, so the data
        // behind a poisoned lock is still consistent.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies a batch to `tables` in place. On a failed requirement it restores every
    /// record it had changed, so the batch is all or nothing.
    fn apply(tables: &mut Table, batch: WriteBatch) -> Result<CommitReceipt, StoreError> {
        let mut undo: UndoLog = Vec::new();
        let mut versions = Vec::with_capacity(batch.len());
        for op in batch.into_ops() {
            let key = op.key().clone();
            let table = tables.entry((key.namespace, key.kind)).or_default();
            let current = table.get(&key.id).map(|(version, _)| *version);
            if let Err(error) = check_expect(&key, current, op.expect()) {
                Self::restore(tables, undo);
                return Err(error);
            }
            let previous = match op {
                WriteOp::Put { body, .. } => {
                    let version = current.map_or(1, |v| v + 1);
                    versions.push(Some(version));
                    table.insert(key.id.clone(), (version, body))
                }
                WriteOp::Delete { .. } => {
                    versions.push(None);
                    table.remove(&key.id)
                }
            };
            undo.push((key, previous));
        }
        Ok(CommitReceipt { versions })
    }

    fn restore(tables: &mut Table, undo: UndoLog) {
        for (key, previous) in undo.into_iter().rev() {
            let table = tables.entry((key.namespace, key.kind)).or_default();
            match previous {
                Some(record) => table.insert(key.id, record),
                None => table.remove(&key.id),
            };
        }
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &RecordKey) -> Result<Option<Record>, StoreError> {
        let tables = self.lock();
        let record = tables
            .get(&(key.namespace, key.kind))
            .and_then(|table| table.get(&key.id))
            .map(|(version, body)| Record {
                id: key.id.clone(),
                version: *version,
                body: body.clone(),
            });
        Ok(record)
    }

    async fn scan(&self, range: &ScanRange) -> Result<Vec<Record>, StoreError> {
        let tables = self.lock();
        let Some(table) = tables.get(&(range.namespace, range.kind)) else {
            return Ok(Vec::new());
        };
        // Ids with the prefix form one contiguous run that starts at the prefix itself,
        // so the scan seeks there and stops at the first id without it.
        let start = match &range.after {
            Some(after) if !range.reverse && after.as_str() >= range.prefix.as_str() => {
                Bound::Excluded(after.clone())
            }
            _ => Bound::Included(range.prefix.clone()),
        };
        let matching = table
            .range((start, Bound::Unbounded))
            .take_while(|(id, _)| id.starts_with(&range.prefix))
            .filter(|(id, _)| range.contains(id));
        let to_record = |(id, (version, body)): (&String, &Entry)| Record {
            id: id.clone(),
            version: *version,
            body: body.clone(),
        };
        let limit = range.limit.unwrap_or(usize::MAX);
        let records = if range.reverse {
            let all: Vec<_> = matching.collect();
            all.into_iter().rev().take(limit).map(to_record).collect()
        } else {
            matching.take(limit).map(to_record).collect()
        };
        Ok(records)
    }

    async fn commit(&self, batch: WriteBatch) -> Result<CommitReceipt, StoreError> {
        let mut tables = self.lock();
        Self::apply(&mut tables, batch)
    }

    fn backend_name(&self) -> &'static str {
        "memory"
    }
}
