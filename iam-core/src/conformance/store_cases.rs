//! Cases for the raw [`Store`](crate::store::Store) contract.

use std::sync::Arc;

use super::Backend;
use super::support::{ok, open_store};
use crate::id::TenantId;
use crate::store::{
    Expect, Kind, MemoryStore, Namespace, RecordKey, ScanRange, Store, StoreError, WriteBatch,
};

const THINGS: Kind = Kind::custom("conformance_thing");
const THINGS_LONGER: Kind = Kind::custom("conformance_thing_x");

fn tenant_namespace(byte: u8) -> Namespace {
    Namespace::Tenant(TenantId::from_uuid(
        uuid::Builder::from_random_bytes([byte; 16]).into_uuid(),
    ))
}

fn key(id: &str) -> RecordKey {
    RecordKey::new(tenant_namespace(1), THINGS, id)
}

async fn put(
    store: &dyn Store,
    key: RecordKey,
    body: &[u8],
    expect: Expect,
) -> Result<Option<u64>, StoreError> {
    let mut batch = WriteBatch::new();
    batch.put(key, body.to_vec(), expect);
    Ok(store.commit(batch).await?.versions[0])
}

async fn body_of(store: &dyn Store, key: &RecordKey) -> Option<(u64, Vec<u8>)> {
    ok(store.get(key).await).map(|record| (record.version, record.body))
}

async fn ids(store: &dyn Store, range: &ScanRange) -> Vec<String> {
    ok(store.scan(range).await)
        .into_iter()
        .map(|record| record.id)
        .collect()
}

/// A missing record reads as `None`.
pub async fn store_get_missing_is_none(backend: &dyn Backend) {
    let store = open_store(backend).await;
    assert!(body_of(store.as_ref(), &key("missing")).await.is_none());
}

/// A put is readable with version 1 and its body.
pub async fn store_put_then_get(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let version = ok(put(store.as_ref(), key("a"), b"body", Expect::Absent).await);
    assert_eq!(version, Some(1));
    assert_eq!(
        body_of(store.as_ref(), &key("a")).await,
        Some((1, b"body".to_vec()))
    );
}

/// Each replacement raises the version by one.
pub async fn store_put_increments_version(backend: &dyn Backend) {
    let store = open_store(backend).await;
    for expected in 1..=3u64 {
        let version = ok(put(store.as_ref(), key("a"), &[expected as u8], Expect::Any).await);
        assert_eq!(version, Some(expected));
    }
    let version = ok(put(store.as_ref(), key("a"), b"v4", Expect::Version(3)).await);
    assert_eq!(version, Some(4));
}

/// `Expect::Absent` on an existing record fails with `AlreadyExists` and keeps the record.
pub async fn store_expect_absent_rejects_existing(backend: &dyn Backend) {
    let store = open_store(backend).await;
    ok(put(store.as_ref(), key("a"), b"first", Expect::Absent).await);
    let error = put(store.as_ref(), key("a"), b"second", Expect::Absent).await;
    assert!(
        matches!(error, Err(StoreError::AlreadyExists { ref key }) if key.id == "a"),
        "{error:?}"
    );
    assert_eq!(
        body_of(store.as_ref(), &key("a")).await,
        Some((1, b"first".to_vec()))
    );
}

/// `Expect::Present` and `Expect::Version` on a missing record fail with `NotFound`.
pub async fn store_expect_present_rejects_missing(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let error = put(store.as_ref(), key("a"), b"x", Expect::Present).await;
    assert!(
        matches!(error, Err(StoreError::NotFound { .. })),
        "{error:?}"
    );
    let error = put(store.as_ref(), key("a"), b"x", Expect::Version(1)).await;
    assert!(
        matches!(error, Err(StoreError::NotFound { .. })),
        "{error:?}"
    );
    let mut batch = WriteBatch::new();
    batch.delete(key("a"), Expect::Present);
    let error = store.commit(batch).await;
    assert!(
        matches!(error, Err(StoreError::NotFound { .. })),
        "{error:?}"
    );
    assert!(body_of(store.as_ref(), &key("a")).await.is_none());
}

/// `Expect::Version` with a stale version fails with `Conflict` naming both versions.
pub async fn store_expect_version_rejects_stale(backend: &dyn Backend) {
    let store = open_store(backend).await;
    ok(put(store.as_ref(), key("a"), b"1", Expect::Absent).await);
    ok(put(store.as_ref(), key("a"), b"2", Expect::Version(1)).await);
    let error = put(store.as_ref(), key("a"), b"stale", Expect::Version(1)).await;
    match error {
        Err(StoreError::Conflict {
            expected, actual, ..
        }) => {
            assert_eq!(expected, 1);
            assert_eq!(actual, 2);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut batch = WriteBatch::new();
    batch.delete(key("a"), Expect::Version(1));
    assert!(matches!(
        store.commit(batch).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        body_of(store.as_ref(), &key("a")).await,
        Some((2, b"2".to_vec()))
    );
}

/// A batch whose last operation fails leaves no trace of its earlier operations.
pub async fn store_failed_batch_writes_nothing(backend: &dyn Backend) {
    let store = open_store(backend).await;
    ok(put(store.as_ref(), key("existing"), b"keep", Expect::Absent).await);
    let mut batch = WriteBatch::new();
    batch.put(key("new"), b"n".to_vec(), Expect::Absent);
    batch.delete(key("existing"), Expect::Present);
    batch.put(key("other"), b"o".to_vec(), Expect::Version(7));
    assert!(matches!(
        store.commit(batch).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(body_of(store.as_ref(), &key("new")).await.is_none());
    assert_eq!(
        body_of(store.as_ref(), &key("existing")).await,
        Some((1, b"keep".to_vec()))
    );
    assert!(body_of(store.as_ref(), &key("other")).await.is_none());
}

/// Later operations of a batch see earlier ones on the same key.
pub async fn store_batch_sees_own_writes(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let mut batch = WriteBatch::new();
    batch.put(key("a"), b"1".to_vec(), Expect::Absent);
    batch.put(key("a"), b"2".to_vec(), Expect::Version(1));
    batch.delete(key("a"), Expect::Version(2));
    batch.put(key("a"), b"3".to_vec(), Expect::Absent);
    let receipt = ok(store.commit(batch).await);
    assert_eq!(receipt.versions, vec![Some(1), Some(2), None, Some(1)]);
    assert_eq!(
        body_of(store.as_ref(), &key("a")).await,
        Some((1, b"3".to_vec()))
    );
}

/// Deleting a missing record without a requirement succeeds and changes nothing.
pub async fn store_delete_missing_with_any_is_ok(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let mut batch = WriteBatch::new();
    batch.delete(key("missing"), Expect::Any);
    assert_eq!(ok(store.commit(batch).await).versions, vec![None]);
    assert!(
        ok(store
            .scan(&ScanRange::all(tenant_namespace(1), THINGS))
            .await)
        .is_empty()
    );
}

const ORDERING_IDS: [&str; 9] = ["", "a", "a\0b", "a\0c", "ab", "b", "Z", "é", "\u{1F600}"];

async fn insert_all(store: &dyn Store, namespace: Namespace, kind: Kind, ids: &[&str]) {
    let mut batch = WriteBatch::new();
    for id in ids {
        batch.put(
            RecordKey::new(namespace, kind, *id),
            id.as_bytes().to_vec(),
            Expect::Absent,
        );
    }
    ok(store.commit(batch).await);
}

/// Scans return ids in byte order, the same order as `MemoryStore`.
pub async fn store_scan_orders_by_id_bytes(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let reference = MemoryStore::new();
    let namespace = tenant_namespace(1);
    insert_all(store.as_ref(), namespace, THINGS, &ORDERING_IDS).await;
    insert_all(&reference, namespace, THINGS, &ORDERING_IDS).await;
    let range = ScanRange::all(namespace, THINGS);
    let mut expected: Vec<String> = ORDERING_IDS.iter().map(ToString::to_string).collect();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(ids(store.as_ref(), &range).await, expected);
    assert_eq!(ids(&reference, &range).await, expected);
}

/// Prefix, `after` and `limit` select the same records as `MemoryStore` does.
pub async fn store_scan_prefix_after_limit(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let reference = MemoryStore::new();
    let namespace = tenant_namespace(1);
    insert_all(store.as_ref(), namespace, THINGS, &ORDERING_IDS).await;
    insert_all(&reference, namespace, THINGS, &ORDERING_IDS).await;
    for prefix in ["", "a", "a\0", "b", "x"] {
        for after in [None, Some(""), Some("a"), Some("a\0b"), Some("zz")] {
            for limit in [None, Some(0), Some(1), Some(2)] {
                let mut range = ScanRange::prefix(namespace, THINGS, prefix);
                range.after = after.map(str::to_owned);
                range.limit = limit;
                assert_eq!(
                    ids(store.as_ref(), &range).await,
                    ids(&reference, &range).await,
                    "prefix {prefix:?}, after {after:?}, limit {limit:?}"
                );
            }
        }
    }
}

/// Reverse scans return descending ids, with `after` meaning strictly before.
pub async fn store_scan_reverse(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let namespace = tenant_namespace(1);
    insert_all(store.as_ref(), namespace, THINGS, &["1", "2", "3", "4"]).await;
    let range = ScanRange::all(namespace, THINGS).reversed();
    assert_eq!(ids(store.as_ref(), &range).await, ["4", "3", "2", "1"]);
    let range = ScanRange::all(namespace, THINGS)
        .reversed()
        .after("3")
        .limit(1);
    assert_eq!(ids(store.as_ref(), &range).await, ["2"]);
}

/// The same kind and id in two tenants and the global namespace are three records.
pub async fn store_namespaces_are_isolated(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let namespaces = [tenant_namespace(1), tenant_namespace(2), Namespace::Global];
    for (index, namespace) in namespaces.iter().enumerate() {
        ok(put(
            store.as_ref(),
            RecordKey::new(*namespace, THINGS, "same"),
            &[index as u8],
            Expect::Absent,
        )
        .await);
    }
    for (index, namespace) in namespaces.iter().enumerate() {
        let range = ScanRange::all(*namespace, THINGS);
        let records = ok(store.scan(&range).await);
        assert_eq!(records.len(), 1, "{namespace}");
        assert_eq!(records[0].body, vec![index as u8]);
    }
}

/// Two kinds whose names share a prefix never mix.
pub async fn store_kinds_are_isolated(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let namespace = tenant_namespace(1);
    insert_all(store.as_ref(), namespace, THINGS, &["a"]).await;
    insert_all(store.as_ref(), namespace, THINGS_LONGER, &["b"]).await;
    assert_eq!(
        ids(store.as_ref(), &ScanRange::all(namespace, THINGS)).await,
        ["a"]
    );
    assert_eq!(
        ids(store.as_ref(), &ScanRange::all(namespace, THINGS_LONGER)).await,
        ["b"]
    );
    assert!(
        body_of(store.as_ref(), &RecordKey::new(namespace, THINGS, "b"))
            .await
            .is_none()
    );
}

/// Every committed write is there after closing and reopening the store.
pub async fn store_reopen_keeps_writes(backend: &dyn Backend) {
    let store = open_store(backend).await;
    let namespace = tenant_namespace(1);
    insert_all(store.as_ref(), namespace, THINGS, &["a", "b", "c"]).await;
    ok(put(
        store.as_ref(),
        RecordKey::new(namespace, THINGS, "b"),
        b"new",
        Expect::Version(1),
    )
    .await);
    let mut batch = WriteBatch::new();
    batch.delete(RecordKey::new(namespace, THINGS, "c"), Expect::Present);
    ok(store.commit(batch).await);
    drop(store);

    let store = open_store(backend).await;
    let records = ok(store.scan(&ScanRange::all(namespace, THINGS)).await);
    let summary: Vec<(String, u64, Vec<u8>)> = records
        .into_iter()
        .map(|r| (r.id, r.version, r.body))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("a".to_owned(), 1, b"a".to_vec()),
            ("b".to_owned(), 2, b"new".to_vec())
        ]
    );
}

/// Concurrent read-modify-write loops with version checks lose no increment.
pub async fn store_concurrent_increments_lose_nothing(backend: &dyn Backend) {
    let store = open_store(backend).await;
    const TASKS: u64 = 8;
    const INCREMENTS: u64 = 10;
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let store: Arc<dyn Store> = Arc::clone(&store);
        handles.push(tokio::spawn(async move {
            let mut done = 0;
            let mut attempts = 0;
            while done < INCREMENTS {
                attempts += 1;
                assert!(attempts < 10_000, "too many conflicts");
                let current = ok(store.get(&key("counter")).await);
                let (value, expect) = match current {
                    Some(record) => (
                        u64::from_be_bytes(record.body.as_slice().try_into().unwrap_or([0; 8])),
                        Expect::Version(record.version),
                    ),
                    None => (0, Expect::Absent),
                };
                let mut batch = WriteBatch::new();
                batch.put(key("counter"), (value + 1).to_be_bytes().to_vec(), expect);
                match store.commit(batch).await {
                    Ok(_) => done += 1,
                    Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. }) => {}
                    Err(other) => panic!("unexpected error: {other}"),
                }
            }
        }));
    }
    for handle in handles {
        ok(handle.await);
    }
    let record = ok(store.get(&key("counter")).await);
    let value = record
        .map(|record| u64::from_be_bytes(record.body.as_slice().try_into().unwrap_or([0; 8])));
    assert_eq!(value, Some(TASKS * INCREMENTS));
}
