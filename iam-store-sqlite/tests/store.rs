//! Tests of `SqliteStore` against a real database in a temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::error::Error as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use iam_core::id::TenantId;
use iam_core::store::{
    Expect, Kind, MemoryStore, Namespace, Record, RecordKey, ScanRange, Store, StoreError,
    WriteBatch,
};
use iam_store_sqlite::{
    DATABASE_FILE_NAME, Durability, SCHEMA_VERSION, SqliteError, SqliteOptions, SqliteStore,
};
use uuid::Uuid;

const THING: Kind = Kind::custom("thing");
const OTHER: Kind = Kind::custom("other");

fn tenant() -> Namespace {
    Namespace::Tenant(TenantId::from_uuid(Uuid::new_v4()))
}

fn key(namespace: Namespace, id: &str) -> RecordKey {
    RecordKey::new(namespace, THING, id)
}

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir).unwrap()
}

async fn put(store: &dyn Store, key: RecordKey, body: &[u8]) -> u64 {
    let mut batch = WriteBatch::new();
    batch.put(key, body.to_vec(), Expect::Any);
    let receipt = store.commit(batch).await.unwrap();
    receipt.versions[0].unwrap()
}

async fn body_of(store: &dyn Store, key: &RecordKey) -> Option<Vec<u8>> {
    store.get(key).await.unwrap().map(|record| record.body)
}

/// Joins an error and all its sources into one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Returns the `SqliteError` inside a `StoreError::Backend`.
fn sqlite_error(error: &StoreError) -> &SqliteError {
    assert!(
        matches!(
            error,
            StoreError::Backend {
                backend: "sqlite",
                ..
            }
        ),
        "expected a sqlite backend error, got {error:?}"
    );
    error
        .source()
        .and_then(|source| source.downcast_ref::<SqliteError>())
        .expect("the source is a SqliteError")
}

#[tokio::test]
async fn put_then_get() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let namespace = tenant();

    let mut batch = WriteBatch::new();
    batch.put(key(namespace, "alice"), b"body".to_vec(), Expect::Absent);
    let receipt = store.commit(batch).await.unwrap();
    assert_eq!(receipt.versions, vec![Some(1)]);

    let record = store.get(&key(namespace, "alice")).await.unwrap();
    let expected = Record {
        id: "alice".to_owned(),
        version: 1,
        body: b"body".to_vec(),
    };
    assert_eq!(record, Some(expected));
    assert_eq!(store.get(&key(namespace, "bob")).await.unwrap(), None);
    assert_eq!(store.backend_name(), "sqlite");
}

#[tokio::test]
async fn put_increments_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let key = key(Namespace::Global, "counter");

    assert_eq!(put(&store, key.clone(), b"one").await, 1);
    assert_eq!(put(&store, key.clone(), b"two").await, 2);

    let mut batch = WriteBatch::new();
    batch.put(key.clone(), b"three".to_vec(), Expect::Version(2));
    let receipt = store.commit(batch).await.unwrap();
    assert_eq!(receipt.versions, vec![Some(3)]);

    let record = store.get(&key).await.unwrap().unwrap();
    assert_eq!(record.version, 3);
    assert_eq!(record.body, b"three");
}

#[tokio::test]
async fn batch_sees_its_own_earlier_ops() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let key = key(tenant(), "a");

    let mut batch = WriteBatch::new();
    batch
        .put(key.clone(), b"1".to_vec(), Expect::Absent)
        .put(key.clone(), b"2".to_vec(), Expect::Version(1))
        .delete(key.clone(), Expect::Version(2))
        .put(key.clone(), b"3".to_vec(), Expect::Absent);
    let receipt = store.commit(batch).await.unwrap();

    assert_eq!(receipt.versions, vec![Some(1), Some(2), None, Some(1)]);
    let record = store.get(&key).await.unwrap().unwrap();
    assert_eq!(record.version, 1);
    assert_eq!(record.body, b"3");
}

#[tokio::test]
async fn empty_batch_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());

    let receipt = store.commit(WriteBatch::new()).await.unwrap();
    assert!(receipt.versions.is_empty());
}

/// The third operation of a batch in `failed_expect_writes_nothing`.
enum Op {
    Put,
    Delete,
}

/// How that operation fails.
#[derive(Debug)]
enum Failure {
    AlreadyExists,
    NotFound,
    Conflict { expected: u64, actual: u64 },
}

#[tokio::test]
async fn failed_expect_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let namespace = tenant();
    let existing = key(namespace, "existing");
    let victim = key(namespace, "victim");
    let first = key(namespace, "first");
    let missing = key(namespace, "missing");
    put(&store, existing.clone(), b"old").await;
    put(&store, victim.clone(), b"victim").await;

    let cases = [
        (
            "put absent on existing",
            Op::Put,
            &existing,
            Expect::Absent,
            Failure::AlreadyExists,
        ),
        (
            "put present on missing",
            Op::Put,
            &missing,
            Expect::Present,
            Failure::NotFound,
        ),
        (
            "put version on missing",
            Op::Put,
            &missing,
            Expect::Version(1),
            Failure::NotFound,
        ),
        (
            "put wrong version",
            Op::Put,
            &existing,
            Expect::Version(7),
            Failure::Conflict {
                expected: 7,
                actual: 1,
            },
        ),
        (
            "delete present on missing",
            Op::Delete,
            &missing,
            Expect::Present,
            Failure::NotFound,
        ),
        (
            "delete version on missing",
            Op::Delete,
            &missing,
            Expect::Version(1),
            Failure::NotFound,
        ),
        (
            "delete wrong version",
            Op::Delete,
            &existing,
            Expect::Version(2),
            Failure::Conflict {
                expected: 2,
                actual: 1,
            },
        ),
    ];

    for (name, op, failing_key, expect, failure) in cases {
        let mut batch = WriteBatch::new();
        batch.put(first.clone(), b"first".to_vec(), Expect::Absent);
        batch.delete(victim.clone(), Expect::Version(1));
        match op {
            Op::Put => batch.put(failing_key.clone(), b"new".to_vec(), expect),
            Op::Delete => batch.delete(failing_key.clone(), expect),
        };
        let error = store.commit(batch).await.unwrap_err();

        match (&failure, &error) {
            (Failure::AlreadyExists, StoreError::AlreadyExists { key })
            | (Failure::NotFound, StoreError::NotFound { key }) => {
                assert_eq!(key, failing_key, "{name}: error key");
            }
            (
                Failure::Conflict { expected, actual },
                StoreError::Conflict {
                    key,
                    expected: got_expected,
                    actual: got_actual,
                },
            ) => {
                assert_eq!(key, failing_key, "{name}: error key");
                assert_eq!(got_expected, expected, "{name}: expected version");
                assert_eq!(got_actual, actual, "{name}: actual version");
            }
            _ => panic!("{name}: expected {failure:?}, got {error:?}"),
        }

        assert_eq!(store.get(&first).await.unwrap(), None, "{name}: op 1");
        let victim_record = store.get(&victim).await.unwrap();
        assert_eq!(
            victim_record.map(|r| r.version),
            Some(1),
            "{name}: op 2 deleted the record"
        );
        let existing_record = store.get(&existing).await.unwrap().unwrap();
        assert_eq!(existing_record.version, 1, "{name}: failing op's record");
        assert_eq!(existing_record.body, b"old", "{name}: failing op's record");
        assert_eq!(store.get(&missing).await.unwrap(), None, "{name}: missing");
    }
}

#[tokio::test]
async fn delete_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let key = key(tenant(), "gone");

    let mut batch = WriteBatch::new();
    batch.delete(key.clone(), Expect::Any);
    let receipt = store.commit(batch).await.unwrap();
    assert_eq!(receipt.versions, vec![None], "deleting a missing record");

    let mut batch = WriteBatch::new();
    batch.delete(key.clone(), Expect::Present);
    let error = store.commit(batch).await.unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");

    put(&store, key.clone(), b"one").await;
    put(&store, key.clone(), b"two").await;
    let mut batch = WriteBatch::new();
    batch.delete(key.clone(), Expect::Version(2));
    let receipt = store.commit(batch).await.unwrap();
    assert_eq!(receipt.versions, vec![None]);
    assert_eq!(store.get(&key).await.unwrap(), None);

    assert_eq!(
        put(&store, key.clone(), b"again").await,
        1,
        "version restarts"
    );
}

/// Ids that exercise byte order: NUL separators, DEL, multi-byte UTF-8, the last code
/// point and the empty id.
const SCAN_IDS: &[&str] = &[
    "",
    "a",
    "a\0",
    "a\0b",
    "a\0c",
    "a\0b\0z",
    "a\u{7F}",
    "a\u{80}",
    "ab",
    "b",
    "Z",
    "é",
    "éa",
    "e\u{301}",
    "日本",
    "日本\0語",
    "\u{10FFFF}",
];

#[tokio::test]
async fn scan_orders_by_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let namespace = tenant();
    let mut batch = WriteBatch::new();
    for id in SCAN_IDS {
        batch.put(key(namespace, id), id.as_bytes().to_vec(), Expect::Absent);
    }
    store.commit(batch).await.unwrap();

    let ids = |records: Vec<Record>| records.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let mut sorted: Vec<String> = SCAN_IDS.iter().map(|id| id.to_string()).collect();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));

    let all = store.scan(&ScanRange::all(namespace, THING)).await.unwrap();
    assert_eq!(ids(all), sorted);

    let separated = ScanRange::prefix(namespace, THING, "a\0");
    assert_eq!(
        ids(store.scan(&separated).await.unwrap()),
        ["a\0", "a\0b", "a\0b\0z", "a\0c"]
    );

    let after = ScanRange::prefix(namespace, THING, "a\0").after("a\0b");
    assert_eq!(ids(store.scan(&after).await.unwrap()), ["a\0b\0z", "a\0c"]);

    let reversed = ScanRange::prefix(namespace, THING, "a")
        .reversed()
        .after("ab")
        .limit(2);
    assert_eq!(
        ids(store.scan(&reversed).await.unwrap()),
        ["a\0c", "a\0b\0z"]
    );

    let japanese = ScanRange::prefix(namespace, THING, "日本");
    assert_eq!(
        ids(store.scan(&japanese).await.unwrap()),
        ["日本", "日本\0語"]
    );

    let none = ScanRange::all(namespace, THING).limit(0);
    assert!(store.scan(&none).await.unwrap().is_empty());
}

#[tokio::test]
async fn scan_matches_memory_store() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = open(dir.path());
    let memory = MemoryStore::new();
    let namespace = tenant();

    for store in [&sqlite as &dyn Store, &memory] {
        let mut batch = WriteBatch::new();
        for (index, id) in SCAN_IDS.iter().enumerate() {
            batch.put(key(namespace, id), vec![index as u8], Expect::Absent);
        }
        // Second versions for some ids, and records of another kind that no scan returns.
        for id in SCAN_IDS.iter().step_by(3) {
            batch.put(key(namespace, id), b"v2".to_vec(), Expect::Version(1));
            let other = RecordKey::new(namespace, OTHER, *id);
            batch.put(other, b"other".to_vec(), Expect::Absent);
        }
        store.commit(batch).await.unwrap();
    }

    let prefixes = ["", "a", "a\0", "a\0b", "é", "日", "\u{10FFFF}", "missing"];
    let afters = [
        None,
        Some(""),
        Some("a"),
        Some("a\0b"),
        Some("aa"),
        Some("é"),
        Some("\u{10FFFF}"),
    ];
    let limits = [None, Some(0), Some(1), Some(3), Some(100)];
    let mut compared = 0;
    for prefix in prefixes {
        for after in afters {
            for limit in limits {
                for reverse in [false, true] {
                    let mut range = ScanRange::prefix(namespace, THING, prefix);
                    range.after = after.map(str::to_owned);
                    range.limit = limit;
                    range.reverse = reverse;
                    let expected = memory.scan(&range).await.unwrap();
                    let actual = sqlite.scan(&range).await.unwrap();
                    assert_eq!(actual, expected, "{range:?}");
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, prefixes.len() * afters.len() * limits.len() * 2);
}

#[tokio::test]
async fn namespaces_and_kinds_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let first = tenant();
    let second = tenant();
    let global = Namespace::Global;

    put(&store, key(first, "same"), b"first").await;
    put(&store, key(second, "same"), b"second").await;
    put(&store, key(global, "same"), b"global").await;
    put(&store, RecordKey::new(first, OTHER, "same"), b"other kind").await;

    assert_eq!(
        body_of(&store, &key(first, "same")).await.unwrap(),
        b"first"
    );
    assert_eq!(
        body_of(&store, &key(second, "same")).await.unwrap(),
        b"second"
    );
    assert_eq!(
        body_of(&store, &key(global, "same")).await.unwrap(),
        b"global"
    );

    let scanned = store.scan(&ScanRange::all(second, THING)).await.unwrap();
    assert_eq!(scanned.len(), 1);
    assert_eq!(scanned[0].body, b"second");
    let scanned = store.scan(&ScanRange::all(first, THING)).await.unwrap();
    assert_eq!(scanned.len(), 1);
    assert_eq!(scanned[0].body, b"first");

    let mut batch = WriteBatch::new();
    batch.delete(key(first, "same"), Expect::Version(1));
    store.commit(batch).await.unwrap();
    assert_eq!(store.get(&key(first, "same")).await.unwrap(), None);
    assert!(store.get(&key(second, "same")).await.unwrap().is_some());
    assert!(store.get(&key(global, "same")).await.unwrap().is_some());
    let other_kind = RecordKey::new(first, OTHER, "same");
    assert!(store.get(&other_kind).await.unwrap().is_some());
}

#[tokio::test]
async fn reopen_keeps_committed_writes() {
    let dir = tempfile::tempdir().unwrap();
    let namespace = tenant();
    {
        let store = open(dir.path());
        put(&store, key(namespace, "updated"), b"one").await;
        put(&store, key(namespace, "updated"), b"two").await;
        put(&store, key(namespace, "deleted"), b"gone").await;
        put(&store, key(Namespace::Global, "global"), b"global").await;
        let mut batch = WriteBatch::new();
        batch
            .delete(key(namespace, "deleted"), Expect::Present)
            .put(
                key(namespace, "batched"),
                b"batched".to_vec(),
                Expect::Absent,
            );
        store.commit(batch).await.unwrap();
    }

    let store = open(dir.path());
    let updated = store
        .get(&key(namespace, "updated"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.body, b"two");
    assert_eq!(store.get(&key(namespace, "deleted")).await.unwrap(), None);
    assert_eq!(
        body_of(&store, &key(namespace, "batched")).await.unwrap(),
        b"batched"
    );
    assert_eq!(
        body_of(&store, &key(Namespace::Global, "global"))
            .await
            .unwrap(),
        b"global"
    );
}

#[tokio::test]
async fn relaxed_durability_opens_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        durability: Durability::Relaxed,
        ..SqliteOptions::default()
    };
    let key = key(tenant(), "relaxed");
    {
        let store = SqliteStore::open_with(dir.path(), options.clone()).unwrap();
        put(&store, key.clone(), b"body").await;
    }
    let store = SqliteStore::open_with(dir.path(), options).unwrap();
    assert_eq!(body_of(&store, &key).await.unwrap(), b"body");
}

#[tokio::test]
async fn second_open_fails_while_first_alive() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path());

    let error = SqliteStore::open(dir.path()).unwrap_err();
    let message = error_chain(&error);
    assert!(message.contains("already open"), "{message}");
    assert!(
        matches!(sqlite_error(&error), SqliteError::Locked { path } if path == dir.path()),
        "{error:?}"
    );

    drop(first);
    let reopened = open(dir.path());
    put(&reopened, key(Namespace::Global, "after"), b"ok").await;
}

#[tokio::test]
async fn migration_version_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(store.database_path(), dir.path().join(DATABASE_FILE_NAME));

    let conn = rusqlite::Connection::open(store.database_path()).unwrap();
    let (count, max): (i64, i64) = conn
        .query_row(
            "SELECT count(*), max(version) FROM schema_migrations",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(max, SCHEMA_VERSION);
    assert_eq!(count, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);

    // Opening again must not apply the migrations a second time.
    drop(store);
    let store = open(dir.path());
    let conn = rusqlite::Connection::open(store.database_path()).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(count, SCHEMA_VERSION);
}

#[tokio::test]
async fn newer_schema_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let database_path = open(dir.path()).database_path().to_path_buf();

    let conn = rusqlite::Connection::open(&database_path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, description, applied_at) \
         VALUES (?1, 'from the future', '2100-01-01T00:00:00Z')",
        [SCHEMA_VERSION + 1],
    )
    .unwrap();
    drop(conn);

    let error = SqliteStore::open(dir.path()).unwrap_err();
    let expected_found = SCHEMA_VERSION + 1;
    assert!(
        matches!(
            sqlite_error(&error),
            SqliteError::SchemaTooNew { found, supported, .. }
                if *found == expected_found && *supported == SCHEMA_VERSION
        ),
        "{error:?}"
    );
    let message = error_chain(&error);
    assert!(message.contains("upgrade iam-store-sqlite"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commits_serialise() {
    const TASKS: u64 = 8;
    const INCREMENTS: u64 = 25;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let counter = key(Namespace::Global, "counter");
    put(store.as_ref(), counter.clone(), &0u64.to_be_bytes()).await;

    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = Arc::clone(&store);
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0;
            while done < INCREMENTS {
                let record = store.get(&counter).await.unwrap().unwrap();
                let value = u64::from_be_bytes(record.body.try_into().unwrap());
                let mut batch = WriteBatch::new();
                batch.put(
                    counter.clone(),
                    (value + 1).to_be_bytes().to_vec(),
                    Expect::Version(record.version),
                );
                match store.commit(batch).await {
                    Ok(_) => done += 1,
                    Err(StoreError::Conflict { .. }) => {}
                    Err(error) => panic!("unexpected error: {error:?}"),
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let record = store.get(&counter).await.unwrap().unwrap();
    let value = u64::from_be_bytes(record.body.try_into().unwrap());
    assert_eq!(value, TASKS * INCREMENTS);
    assert_eq!(record.version, TASKS * INCREMENTS + 1);
}

#[tokio::test]
async fn debug_hides_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    put(
        &store,
        key(Namespace::Global, "secret"),
        b"hash-of-a-secret",
    )
    .await;

    let debug = format!("{store:?}");
    assert!(debug.contains(DATABASE_FILE_NAME), "{debug}");
    assert!(!debug.contains("hash-of-a-secret"), "{debug}");
}

/// The environment variable that turns `kill_test_child_writer` from a no-op into the
/// child process of `commit_survives_kill`.
const KILL_TEST_DIR: &str = "IAM_SQLITE_KILL_TEST_DIR";
const KILL_TEST_READY: &str = "kill test: committed";

fn kill_test_key() -> RecordKey {
    key(Namespace::Global, "survives kill -9")
}

/// Child half of `commit_survives_kill`: commits, reports it and waits to be killed.
/// Without the environment variable it does nothing.
#[tokio::test]
async fn kill_test_child_writer() {
    let Some(dir) = std::env::var_os(KILL_TEST_DIR) else {
        return;
    };
    let store = open(Path::new(&dir));
    put(&store, kill_test_key(), b"committed").await;
    println!("{KILL_TEST_READY}");
    // The parent kills this process. The sleep ends only if the parent died first.
    std::thread::sleep(std::time::Duration::from_secs(60));
}

#[cfg(unix)]
#[test]
fn commit_survives_kill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "kill_test_child_writer", "--nocapture"])
        .env(KILL_TEST_DIR, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();

    let stdout = child.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == KILL_TEST_READY);
    // `Child::kill` sends SIGKILL on Unix, so the store gets no chance to clean up.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(ready, "the child process did not report its commit");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = open(dir.path());
    let record = runtime.block_on(store.get(&kill_test_key())).unwrap();
    assert_eq!(record.map(|r| r.body), Some(b"committed".to_vec()));
}
