//! Tests of `SledStore` against a real sled database in a temporary directory.

#![expect(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failure that shows the value"
)]

use std::path::Path;
use std::sync::Arc;

use iam_core::id::TenantId;
use iam_core::store::{
    CommitReceipt, Expect, Kind, MemoryStore, Namespace, Record, RecordKey, ScanRange, Store,
    StoreError, WriteBatch,
};
use iam_store_sled::{Durability, LAYOUT_VERSION, SledError, SledOptions, SledStore};
use proptest::prelude::*;
use tempfile::TempDir;
use uuid::Uuid;

const ITEM: Kind = Kind::custom("item");

fn tenant() -> Namespace {
    Namespace::Tenant(TenantId::from_uuid(Uuid::new_v4()))
}

fn key(namespace: Namespace, kind: Kind, id: &str) -> RecordKey {
    RecordKey::new(namespace, kind, id)
}

fn open(dir: &TempDir) -> SledStore {
    match SledStore::open(dir.path()) {
        Ok(store) => store,
        Err(error) => panic!("opening the store failed: {error:?}"),
    }
}

async fn commit_ok(store: &dyn Store, batch: WriteBatch) -> CommitReceipt {
    match store.commit(batch).await {
        Ok(receipt) => receipt,
        Err(error) => panic!("commit failed: {error:?}"),
    }
}

async fn put(store: &dyn Store, key: &RecordKey, body: &[u8], expect: Expect) -> CommitReceipt {
    let mut batch = WriteBatch::new();
    batch.put(key.clone(), body.to_vec(), expect);
    commit_ok(store, batch).await
}

async fn get(store: &dyn Store, key: &RecordKey) -> Option<Record> {
    match store.get(key).await {
        Ok(record) => record,
        Err(error) => panic!("get of `{key}` failed: {error:?}"),
    }
}

async fn scan(store: &dyn Store, range: &ScanRange) -> Vec<Record> {
    match store.scan(range).await {
        Ok(records) => records,
        Err(error) => panic!("scan of {range:?} failed: {error:?}"),
    }
}

async fn scan_ids(store: &dyn Store, range: &ScanRange) -> Vec<String> {
    scan(store, range)
        .await
        .into_iter()
        .map(|record| record.id)
        .collect()
}

/// Returns the `SledError` inside a backend error.
fn sled_source(error: &StoreError) -> Option<&SledError> {
    match error {
        StoreError::Backend { backend, source } if *backend == "sled" => {
            source.downcast_ref::<SledError>()
        }
        _ => None,
    }
}

/// Reads `layout_version` from the `meta` tree with sled directly.
fn stored_layout_version(dir: &Path) -> Option<u64> {
    let db = sled::Config::new()
        .path(dir.join("db"))
        .flush_every_ms(None)
        .open()
        .ok()?;
    let meta = db.open_tree("meta").ok()?;
    let value = meta.get("layout_version").ok()??;
    let bytes: [u8; 8] = value.as_ref().try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

// Basic reads and writes.

#[tokio::test]
async fn put_then_get_returns_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "one");

    let receipt = put(&store, &key, b"body", Expect::Absent).await;

    assert_eq!(receipt.versions, vec![Some(1)]);
    let record = get(&store, &key).await.unwrap();
    assert_eq!(record.id, "one");
    assert_eq!(record.version, 1);
    assert_eq!(record.body, b"body");
}

#[tokio::test]
async fn get_missing_returns_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);

    assert_eq!(get(&store, &key(tenant(), ITEM, "missing")).await, None);
}

#[tokio::test]
async fn empty_body_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "empty");

    put(&store, &key, b"", Expect::Absent).await;

    let record = get(&store, &key).await.unwrap();
    assert_eq!(record.body, b"");
    assert_eq!(record.version, 1);
}

#[tokio::test]
async fn put_increments_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "counter");

    let first = put(&store, &key, b"v1", Expect::Absent).await;
    let second = put(&store, &key, b"v2", Expect::Version(1)).await;
    let third = put(&store, &key, b"v3", Expect::Any).await;

    assert_eq!(first.versions, vec![Some(1)]);
    assert_eq!(second.versions, vec![Some(2)]);
    assert_eq!(third.versions, vec![Some(3)]);
    let record = get(&store, &key).await.unwrap();
    assert_eq!(record.version, 3);
    assert_eq!(record.body, b"v3");
}

#[tokio::test]
async fn empty_batch_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);

    let receipt = commit_ok(&store, WriteBatch::new()).await;

    assert!(receipt.versions.is_empty());
}

#[tokio::test]
async fn backend_name_is_sled() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);

    assert_eq!(store.backend_name(), "sled");
}

// Requirements.

#[tokio::test]
async fn expect_absent_on_existing_is_already_exists() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "taken");
    put(&store, &key, b"first", Expect::Absent).await;

    let mut batch = WriteBatch::new();
    batch.put(key.clone(), b"second".to_vec(), Expect::Absent);
    let result = store.commit(batch).await;

    assert!(
        matches!(&result, Err(StoreError::AlreadyExists { key: k }) if *k == key),
        "{result:?}"
    );
    assert_eq!(get(&store, &key).await.unwrap().body, b"first");
}

#[tokio::test]
async fn expect_present_on_missing_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "missing");

    let mut batch = WriteBatch::new();
    batch.put(key.clone(), b"body".to_vec(), Expect::Present);
    let result = store.commit(batch).await;

    assert!(
        matches!(&result, Err(StoreError::NotFound { key: k }) if *k == key),
        "{result:?}"
    );
    assert_eq!(get(&store, &key).await, None);
}

#[tokio::test]
async fn expect_version_on_missing_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "missing");

    let mut batch = WriteBatch::new();
    batch.put(key.clone(), b"body".to_vec(), Expect::Version(1));
    let result = store.commit(batch).await;

    assert!(
        matches!(&result, Err(StoreError::NotFound { key: k }) if *k == key),
        "{result:?}"
    );
    assert_eq!(get(&store, &key).await, None);
}

#[tokio::test]
async fn stale_version_is_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "record");
    put(&store, &key, b"v1", Expect::Absent).await;
    put(&store, &key, b"v2", Expect::Version(1)).await;

    let mut batch = WriteBatch::new();
    batch.put(key.clone(), b"stale".to_vec(), Expect::Version(1));
    let result = store.commit(batch).await;

    assert!(
        matches!(
            &result,
            Err(StoreError::Conflict { key: k, expected: 1, actual: 2 }) if *k == key
        ),
        "{result:?}"
    );
    let record = get(&store, &key).await.unwrap();
    assert_eq!(record.version, 2);
    assert_eq!(record.body, b"v2");
}

#[tokio::test]
async fn failed_third_op_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let namespace = tenant();
    let existing = key(namespace, ITEM, "existing");
    let new = key(namespace, ITEM, "new");
    let missing = key(namespace, ITEM, "missing");
    put(&store, &existing, b"original", Expect::Absent).await;

    let mut batch = WriteBatch::new();
    batch
        .put(existing.clone(), b"changed".to_vec(), Expect::Version(1))
        .put(new.clone(), b"new".to_vec(), Expect::Absent)
        .delete(missing.clone(), Expect::Present);
    let result = store.commit(batch).await;

    assert!(
        matches!(&result, Err(StoreError::NotFound { key: k }) if *k == missing),
        "{result:?}"
    );
    let record = get(&store, &existing).await.unwrap();
    assert_eq!(record.version, 1);
    assert_eq!(record.body, b"original");
    assert_eq!(get(&store, &new).await, None);
}

#[tokio::test]
async fn failed_batch_keeps_deleted_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let namespace = tenant();
    let kept = key(namespace, ITEM, "kept");
    let taken = key(namespace, ITEM, "taken");
    put(&store, &kept, b"kept", Expect::Absent).await;
    put(&store, &taken, b"taken", Expect::Absent).await;

    let mut batch = WriteBatch::new();
    batch.delete(kept.clone(), Expect::Present).put(
        taken.clone(),
        b"again".to_vec(),
        Expect::Absent,
    );
    let result = store.commit(batch).await;

    assert!(
        matches!(&result, Err(StoreError::AlreadyExists { key: k }) if *k == taken),
        "{result:?}"
    );
    assert_eq!(get(&store, &kept).await.unwrap().body, b"kept");
}

#[tokio::test]
async fn later_op_sees_earlier_op() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "record");

    let mut batch = WriteBatch::new();
    batch
        .put(key.clone(), b"v1".to_vec(), Expect::Absent)
        .put(key.clone(), b"v2".to_vec(), Expect::Version(1))
        .delete(key.clone(), Expect::Version(2))
        .put(key.clone(), b"again".to_vec(), Expect::Absent);
    let receipt = commit_ok(&store, batch).await;

    assert_eq!(receipt.versions, vec![Some(1), Some(2), None, Some(1)]);
    let record = get(&store, &key).await.unwrap();
    assert_eq!(record.version, 1);
    assert_eq!(record.body, b"again");
}

#[tokio::test]
async fn long_kind_is_backend_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let name: &'static str = "k".repeat(256).leak();
    let key = key(tenant(), Kind::custom(name), "id");

    let result = store.get(&key).await;

    let error = result.unwrap_err();
    assert!(
        matches!(
            sled_source(&error),
            Some(SledError::KindTooLong { len: 256, .. })
        ),
        "{error:?}"
    );
}

// Deletes.

#[tokio::test]
async fn delete_removes_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "gone");
    put(&store, &key, b"body", Expect::Absent).await;

    let mut batch = WriteBatch::new();
    batch.delete(key.clone(), Expect::Version(1));
    let receipt = commit_ok(&store, batch).await;

    assert_eq!(receipt.versions, vec![None]);
    assert_eq!(get(&store, &key).await, None);
}

#[tokio::test]
async fn delete_missing_with_any_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "never");

    let mut batch = WriteBatch::new();
    batch.delete(key.clone(), Expect::Any);
    let receipt = commit_ok(&store, batch).await;

    assert_eq!(receipt.versions, vec![None]);
}

#[tokio::test]
async fn delete_missing_with_present_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "never");

    let mut batch = WriteBatch::new();
    batch.delete(key.clone(), Expect::Present);
    let result = store.commit(batch).await;

    assert!(
        matches!(&result, Err(StoreError::NotFound { key: k }) if *k == key),
        "{result:?}"
    );
}

#[tokio::test]
async fn delete_with_stale_version_is_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "record");
    put(&store, &key, b"v1", Expect::Absent).await;
    put(&store, &key, b"v2", Expect::Any).await;

    let mut batch = WriteBatch::new();
    batch.delete(key.clone(), Expect::Version(1));
    let result = store.commit(batch).await;

    assert!(
        matches!(
            &result,
            Err(StoreError::Conflict {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(get(&store, &key).await.unwrap().version, 2);
}

#[tokio::test]
async fn put_after_delete_restarts_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let key = key(tenant(), ITEM, "record");
    put(&store, &key, b"v1", Expect::Absent).await;
    put(&store, &key, b"v2", Expect::Any).await;
    let mut batch = WriteBatch::new();
    batch.delete(key.clone(), Expect::Any);
    commit_ok(&store, batch).await;

    let receipt = put(&store, &key, b"new", Expect::Absent).await;

    assert_eq!(receipt.versions, vec![Some(1)]);
}

// Scans.

/// Ids that exercise byte order: NUL separators, a prefix of another id, non-ASCII
/// text and characters of different UTF-8 lengths.
const SCAN_IDS: &[&str] = &[
    "a",
    "a\0b",
    "a\0c",
    "a\0c\0d",
    "ab",
    "a\u{7f}",
    "abc",
    "b",
    "b\0a",
    "é",
    "é\0x",
    "éa",
    "z",
    "ß",
    "日本",
    "日本\0語",
    "\u{10348}",
    "",
];

async fn fill(store: &dyn Store, namespace: Namespace, kind: Kind, ids: &[&str]) {
    let mut batch = WriteBatch::new();
    for id in ids {
        batch.put(
            key(namespace, kind, id),
            id.as_bytes().to_vec(),
            Expect::Absent,
        );
    }
    commit_ok(store, batch).await;
}

fn scan_ranges(namespace: Namespace) -> Vec<ScanRange> {
    let prefixes = ["", "a", "a\0", "a\0c", "é", "日本", "x", "\u{10348}"];
    let afters = [
        None,
        Some(""),
        Some("a"),
        Some("a\0b"),
        Some("a\0bz"),
        Some("ab"),
        Some("b"),
        Some("é"),
        Some("zz"),
        Some("日"),
        Some("\u{10ffff}"),
    ];
    let limits = [None, Some(0), Some(1), Some(2), Some(100)];
    let mut ranges = Vec::new();
    for prefix in prefixes {
        for after in afters {
            for limit in limits {
                for reverse in [false, true] {
                    ranges.push(ScanRange {
                        namespace,
                        kind: ITEM,
                        prefix: prefix.to_owned(),
                        after: after.map(str::to_owned),
                        limit,
                        reverse,
                    });
                }
            }
        }
    }
    ranges
}

#[tokio::test]
async fn scan_matches_memory_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let memory = MemoryStore::new();
    let namespace = tenant();
    fill(&store, namespace, ITEM, SCAN_IDS).await;
    fill(&memory, namespace, ITEM, SCAN_IDS).await;

    for range in scan_ranges(namespace) {
        let expected = scan(&memory, &range).await;
        let actual = scan(&store, &range).await;
        assert_eq!(actual, expected, "{range:?}");
    }
}

#[tokio::test]
async fn scan_returns_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let namespace = tenant();
    fill(&store, namespace, ITEM, &["b", "a\0b", "a", "é", "z"]).await;

    let forward = scan_ids(&store, &ScanRange::all(namespace, ITEM)).await;
    let backward = scan_ids(&store, &ScanRange::all(namespace, ITEM).reversed()).await;

    assert_eq!(forward, vec!["a", "a\0b", "b", "z", "é"]);
    assert_eq!(backward, vec!["é", "z", "b", "a\0b", "a"]);
}

#[tokio::test]
async fn scan_prefix_after_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let namespace = tenant();
    fill(
        &store,
        namespace,
        ITEM,
        &["g\0a", "g\0b", "g\0c", "g\0d", "h"],
    )
    .await;

    let page = ScanRange::prefix(namespace, ITEM, "g\0")
        .after("g\0a")
        .limit(2);
    let reverse_page = ScanRange::prefix(namespace, ITEM, "g\0")
        .after("g\0d")
        .limit(2)
        .reversed();

    assert_eq!(scan_ids(&store, &page).await, vec!["g\0b", "g\0c"]);
    assert_eq!(scan_ids(&store, &reverse_page).await, vec!["g\0c", "g\0b"]);
}

#[tokio::test]
async fn scan_returns_versions_and_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let namespace = tenant();
    let key = key(namespace, ITEM, "record");
    put(&store, &key, b"v1", Expect::Absent).await;
    put(&store, &key, b"v2", Expect::Version(1)).await;

    let records = scan(&store, &ScanRange::all(namespace, ITEM)).await;

    assert_eq!(records.len(), 1);
    assert_eq!(records[0].version, 2);
    assert_eq!(records[0].body, b"v2");
}

#[tokio::test]
async fn scan_of_empty_kind_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);

    let records = scan(&store, &ScanRange::all(tenant(), ITEM)).await;

    assert!(records.is_empty());
}

// Isolation of namespaces and kinds.

#[tokio::test]
async fn namespaces_isolate() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let namespaces = [tenant(), tenant(), Namespace::Global];
    for (index, namespace) in namespaces.iter().enumerate() {
        let body = format!("body {index}");
        put(
            &store,
            &key(*namespace, ITEM, "same"),
            body.as_bytes(),
            Expect::Absent,
        )
        .await;
    }

    for (index, namespace) in namespaces.iter().enumerate() {
        let record = get(&store, &key(*namespace, ITEM, "same")).await.unwrap();
        assert_eq!(record.body, format!("body {index}").as_bytes());
        let records = scan(&store, &ScanRange::all(*namespace, ITEM)).await;
        assert_eq!(records.len(), 1, "{namespace}");
        assert_eq!(records[0].body, format!("body {index}").as_bytes());
    }
}

#[tokio::test]
async fn delete_in_one_namespace_keeps_other() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = key(tenant(), ITEM, "same");
    let second = key(tenant(), ITEM, "same");
    put(&store, &first, b"first", Expect::Absent).await;
    put(&store, &second, b"second", Expect::Absent).await;

    let mut batch = WriteBatch::new();
    batch.delete(first.clone(), Expect::Present);
    commit_ok(&store, batch).await;

    assert_eq!(get(&store, &first).await, None);
    assert_eq!(get(&store, &second).await.unwrap().body, b"second");
}

#[tokio::test]
async fn kinds_sharing_prefix_isolate() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let namespace = tenant();
    let short = Kind::custom("ab");
    let long = Kind::custom("abc");
    // Without the kind length in the key, both would be stored as `abcx`.
    put(
        &store,
        &key(namespace, short, "cx"),
        b"short",
        Expect::Absent,
    )
    .await;
    put(&store, &key(namespace, long, "x"), b"long", Expect::Absent).await;

    assert_eq!(get(&store, &key(namespace, short, "x")).await, None);
    assert_eq!(get(&store, &key(namespace, long, "cx")).await, None);
    assert_eq!(
        scan_ids(&store, &ScanRange::all(namespace, short)).await,
        vec!["cx"]
    );
    assert_eq!(
        scan_ids(&store, &ScanRange::all(namespace, long)).await,
        vec!["x"]
    );
    let reversed = ScanRange::all(namespace, short).reversed();
    assert_eq!(scan_ids(&store, &reversed).await, vec!["cx"]);
}

// Reopening, locking and layout.

#[tokio::test]
async fn reopen_keeps_committed_writes() {
    let dir = tempfile::tempdir().unwrap();
    let namespace = tenant();
    let kept = key(namespace, ITEM, "kept");
    let updated = key(namespace, ITEM, "updated");
    let deleted = key(namespace, ITEM, "deleted");
    let global = key(Namespace::Global, ITEM, "global");
    {
        let store = open(&dir);
        put(&store, &kept, b"kept", Expect::Absent).await;
        put(&store, &updated, b"v1", Expect::Absent).await;
        put(&store, &updated, b"v2", Expect::Version(1)).await;
        put(&store, &deleted, b"deleted", Expect::Absent).await;
        put(&store, &global, b"global", Expect::Absent).await;
        let mut batch = WriteBatch::new();
        batch.delete(deleted.clone(), Expect::Present);
        commit_ok(&store, batch).await;
    }

    let store = open(&dir);

    assert_eq!(get(&store, &kept).await.unwrap().body, b"kept");
    let record = get(&store, &updated).await.unwrap();
    assert_eq!(record.version, 2);
    assert_eq!(record.body, b"v2");
    assert_eq!(get(&store, &deleted).await, None);
    assert_eq!(get(&store, &global).await.unwrap().body, b"global");
    let ids = scan_ids(&store, &ScanRange::all(namespace, ITEM)).await;
    assert_eq!(ids, vec!["kept", "updated"]);
}

#[tokio::test]
async fn relaxed_durability_keeps_writes_after_close() {
    let dir = tempfile::tempdir().unwrap();
    let key = key(tenant(), ITEM, "relaxed");
    let options = SledOptions {
        durability: Durability::Relaxed,
        ..SledOptions::default()
    };
    {
        let store = SledStore::open_with(dir.path(), options).unwrap();
        put(&store, &key, b"body", Expect::Absent).await;
    }

    let store = open(&dir);

    assert_eq!(get(&store, &key).await.unwrap().body, b"body");
}

#[tokio::test]
async fn second_open_fails_while_first_alive() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(&dir);

    let error = SledStore::open(dir.path()).unwrap_err();

    assert!(
        matches!(sled_source(&error), Some(SledError::Locked { .. })),
        "{error:?}"
    );
    let source = sled_source(&error).unwrap().to_string();
    assert!(source.contains("already open"), "{source}");
}

// sled keeps its database file open for a moment after the last handle is dropped.
// Large batches make that window likely, so this test fails when `open` does not wait
// for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_right_after_drop_succeeds() {
    const ROUNDS: u64 = 100;
    let dir = tempfile::tempdir().unwrap();
    let namespace = tenant();
    for round in 1..=ROUNDS {
        let durability = if round % 2 == 0 {
            Durability::Relaxed
        } else {
            Durability::Full
        };
        let options = SledOptions {
            durability,
            ..SledOptions::default()
        };
        let store = match SledStore::open_with(dir.path(), options) {
            Ok(store) => store,
            Err(error) => panic!("open in round {round} failed: {error:?}"),
        };

        let mut batch = WriteBatch::new();
        for index in 0..10 {
            let key = key(namespace, ITEM, &format!("{round:03}-{index}"));
            batch.put(key, vec![7; 50_000], Expect::Absent);
        }
        commit_ok(&store, batch).await;
    }

    let store = open(&dir);
    let records = scan(&store, &ScanRange::all(namespace, ITEM)).await;
    assert_eq!(records.len() as u64, ROUNDS * 10);
}

/// Environment variable that makes `child_process_helper` open a store in its value.
const CHILD_DIR_ENV: &str = "IAM_STORE_SLED_TEST_CHILD_DIR";

/// Returns the key that `child_process_helper` writes.
fn child_key() -> RecordKey {
    key(Namespace::Global, ITEM, "written by child")
}

/// Runs in a child process started by `other_process_lock_and_crash`: opens the store,
/// commits one record, prints `ready` and then keeps the store open until it is killed.
#[tokio::test]
#[ignore = "helper that other tests start in a child process"]
async fn child_process_helper() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let store = SledStore::open(&dir).unwrap();
    put(&store, &child_key(), b"durable", Expect::Absent).await;
    println!("ready");

    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(store);
}

#[test]
fn other_process_lock_and_crash() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process_helper",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_DIR_ENV, dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == "ready");
    assert!(ready, "the child process stopped before opening the store");

    let error = SledStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(sled_source(&error), Some(SledError::Locked { .. })),
        "{error:?}"
    );

    // SIGKILL on Unix: the child gets no chance to flush or close anything.
    child.kill().unwrap();
    child.wait().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = open(&dir);
    let record = runtime.block_on(get(&store, &child_key()));
    assert!(
        record.is_some(),
        "the record committed before the kill is missing"
    );
    assert_eq!(record.unwrap().body, b"durable");
}

#[test]
fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a").join("b");

    let store = SledStore::open(&nested).unwrap();

    assert!(nested.join("iam.lock").is_file());
    assert!(nested.join("db").is_dir());
    assert_eq!(store.path(), nested.canonicalize().unwrap());
}

#[test]
fn layout_version_recorded() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(&dir));

    assert_eq!(stored_layout_version(dir.path()), Some(LAYOUT_VERSION));
}

#[test]
fn newer_layout_rejected() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(&dir));
    {
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .flush_every_ms(None)
            .open()
            .unwrap();
        let meta = db.open_tree("meta").unwrap();
        let newer = LAYOUT_VERSION + 1;
        meta.insert("layout_version", newer.to_be_bytes().to_vec())
            .unwrap();
        db.flush().unwrap();
    }

    let error = SledStore::open(dir.path()).unwrap_err();

    assert!(
        matches!(
            sled_source(&error),
            Some(SledError::LayoutTooNew { found, supported, .. })
                if *found == LAYOUT_VERSION + 1 && *supported == LAYOUT_VERSION
        ),
        "{error:?}"
    );
    assert_eq!(stored_layout_version(dir.path()), Some(LAYOUT_VERSION + 1));
}

#[tokio::test]
async fn short_value_is_corrupt_record() {
    let dir = tempfile::tempdir().unwrap();
    let namespace = tenant();
    let key = key(namespace, ITEM, "damaged");
    drop(open(&dir));
    {
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .flush_every_ms(None)
            .open()
            .unwrap();
        let records = db.open_tree("records").unwrap();
        let stored_key = [&namespace.to_bytes()[..], &[4], b"item", b"damaged"].concat();
        records.insert(stored_key, vec![0, 1, 2]).unwrap();
        db.flush().unwrap();
    }
    let store = open(&dir);

    let error = store.get(&key).await.unwrap_err();

    assert!(
        matches!(sled_source(&error), Some(SledError::CorruptRecord { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn invalid_utf8_id_is_corrupt_record() {
    let dir = tempfile::tempdir().unwrap();
    let namespace = tenant();
    drop(open(&dir));
    {
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .flush_every_ms(None)
            .open()
            .unwrap();
        let records = db.open_tree("records").unwrap();
        let stored_key = [&namespace.to_bytes()[..], &[4], b"item", &[0xff, 0xfe]].concat();
        records
            .insert(stored_key, 1u64.to_be_bytes().to_vec())
            .unwrap();
        db.flush().unwrap();
    }
    let store = open(&dir);

    let error = store
        .scan(&ScanRange::all(namespace, ITEM))
        .await
        .unwrap_err();

    assert!(
        matches!(sled_source(&error), Some(SledError::CorruptRecord { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn debug_hides_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(
        &store,
        &key(tenant(), ITEM, "secret"),
        b"$argon2id$hash",
        Expect::Absent,
    )
    .await;

    let debug = format!("{store:?}");

    assert!(!debug.contains("argon2id"), "{debug}");
    assert!(debug.contains(&*store.path().to_string_lossy()), "{debug}");
}

// Concurrency.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_increments_all_apply() {
    const TASKS: u64 = 8;
    const INCREMENTS: u64 = 10;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let key = key(tenant(), ITEM, "counter");
    put(store.as_ref(), &key, &0u64.to_be_bytes(), Expect::Absent).await;

    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = Arc::clone(&store);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0u64;
            let mut done = 0;
            while done < INCREMENTS {
                let record = store.get(&key).await.unwrap().unwrap();
                let count = u64::from_be_bytes(record.body.as_slice().try_into().unwrap());
                let mut batch = WriteBatch::new();
                batch.put(
                    key.clone(),
                    (count + 1).to_be_bytes().to_vec(),
                    Expect::Version(record.version),
                );
                match store.commit(batch).await {
                    Ok(_) => done += 1,
                    Err(StoreError::Conflict { .. }) => conflicts += 1,
                    Err(error) => panic!("increment failed: {error:?}"),
                }
            }
            conflicts
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let record = get(store.as_ref(), &key).await.unwrap();
    let count = u64::from_be_bytes(record.body.as_slice().try_into().unwrap());
    assert_eq!(count, TASKS * INCREMENTS);
    assert_eq!(record.version, TASKS * INCREMENTS + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scan_never_sees_partial_batch() {
    const MOVES: usize = 200;
    const FILLERS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let namespace = tenant();
    let fillers: Vec<String> = (0..FILLERS).map(|index| format!("m{index:04}")).collect();
    let filler_ids: Vec<&str> = fillers.iter().map(String::as_str).collect();
    fill(store.as_ref(), namespace, ITEM, &filler_ids).await;
    put(
        store.as_ref(),
        &key(namespace, ITEM, "a"),
        b"",
        Expect::Absent,
    )
    .await;

    // Each batch moves one record between `a` and `z`, which sort before and after the
    // fillers. A scan that saw half a batch would count the record twice or not at all.
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            for step in 0..MOVES {
                let (from, to) = if step % 2 == 0 {
                    ("a", "z")
                } else {
                    ("z", "a")
                };
                let mut batch = WriteBatch::new();
                batch
                    .delete(key(namespace, ITEM, from), Expect::Present)
                    .put(key(namespace, ITEM, to), Vec::new(), Expect::Absent);
                commit_ok(store.as_ref(), batch).await;
            }
        })
    };
    let mut readers = Vec::new();
    for reverse in [false, true] {
        let store = Arc::clone(&store);
        readers.push(tokio::spawn(async move {
            let mut range = ScanRange::all(namespace, ITEM);
            range.reverse = reverse;
            let mut counts = Vec::new();
            for _ in 0..MOVES {
                counts.push(scan(store.as_ref(), &range).await.len());
            }
            counts
        }));
    }

    writer.await.unwrap();
    for reader in readers {
        let counts = reader.await.unwrap();
        let wrong: Vec<usize> = counts
            .into_iter()
            .filter(|count| *count != FILLERS + 1)
            .collect();
        assert!(wrong.is_empty(), "scans with a wrong count: {wrong:?}");
    }
}

// Model test: random ids and scans compared with `MemoryStore`.

fn id_strategy() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec!["a", "b", "\0", "é", "ab", "z", "日", "\u{7f}"]);
    prop::collection::vec(pieces, 0..4).prop_map(|pieces| pieces.concat())
}

fn range_strategy() -> impl Strategy<Value = (String, Option<String>, Option<usize>, bool)> {
    let prefix = prop::sample::select(vec!["", "a", "a\0", "é", "b", "\0", "zz"]);
    (
        prefix.prop_map(str::to_owned),
        prop::option::of(id_strategy()),
        prop::option::of(0usize..6),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn scans_match_memory_store(
        ids in prop::collection::btree_set(id_strategy(), 0..24),
        ranges in prop::collection::vec(range_strategy(), 1..12),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = open(&dir);
            let memory = MemoryStore::new();
            let namespace = tenant();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            fill(&store, namespace, ITEM, &ids).await;
            fill(&memory, namespace, ITEM, &ids).await;
            // A neighbouring kind and namespace that no scan may return.
            fill(&store, namespace, Kind::custom("itemx"), &ids).await;
            fill(&store, tenant(), ITEM, &ids).await;

            for (prefix, after, limit, reverse) in ranges {
                let range = ScanRange { namespace, kind: ITEM, prefix, after, limit, reverse };
                let expected = scan(&memory, &range).await;
                let actual = scan(&store, &range).await;
                assert_eq!(actual, expected, "{range:?}");
            }
        });
    }
}
