//! The model-based property test: random operation sequences applied to a backend and to
//! [`MemoryStore`], compared after every step, with close-and-reopen steps.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::Backend;
use crate::id::TenantId;
use crate::store::{
    Expect, Kind, MemoryStore, Namespace, RecordKey, ScanRange, Store, StoreError, WriteBatch,
};

const KINDS: [Kind; 2] = [Kind::custom("model_a"), Kind::custom("model_ab")];
const IDS: [&str; 6] = ["", "a", "a\0b", "ab", "b", "é"];

/// How many random sequences the model test runs per backend by default; the environment
/// variable `PROPTEST_CASES` overrides it.
const DEFAULT_CASES: u32 = 24;

#[derive(Debug, Clone)]
enum Step {
    /// Commit a batch of puts and deletes.
    Commit(Vec<ModelOp>),
    /// Drop the store and open it again.
    Reopen,
    /// Compare one scan.
    Scan {
        namespace: usize,
        kind: usize,
        prefix: usize,
        after: Option<usize>,
        limit: Option<usize>,
        reverse: bool,
    },
}

#[derive(Debug, Clone)]
struct ModelOp {
    namespace: usize,
    kind: usize,
    id: usize,
    body: Option<Vec<u8>>,
    expect: ExpectChoice,
}

#[derive(Debug, Clone, Copy)]
enum ExpectChoice {
    Any,
    Absent,
    Present,
    Version(u64),
}

fn namespaces() -> [Namespace; 3] {
    let tenant = |byte: u8| {
        Namespace::Tenant(TenantId::from_uuid(
            uuid::Builder::from_random_bytes([byte; 16]).into_uuid(),
        ))
    };
    [Namespace::Global, tenant(1), tenant(2)]
}

fn op_strategy() -> impl Strategy<Value = ModelOp> {
    let expect = prop_oneof![
        Just(ExpectChoice::Any),
        Just(ExpectChoice::Absent),
        Just(ExpectChoice::Present),
        (1u64..4).prop_map(ExpectChoice::Version),
    ];
    (
        0..3usize,
        0..KINDS.len(),
        0..IDS.len(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
        expect,
    )
        .prop_map(|(namespace, kind, id, body, expect)| ModelOp {
            namespace,
            kind,
            id,
            body,
            expect,
        })
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => proptest::collection::vec(op_strategy(), 1..4).prop_map(Step::Commit),
        1 => Just(Step::Reopen),
        2 => (0..3usize, 0..KINDS.len(), 0..IDS.len(), proptest::option::of(0..IDS.len()), proptest::option::of(0..4usize), any::<bool>())
            .prop_map(|(namespace, kind, prefix, after, limit, reverse)| Step::Scan { namespace, kind, prefix, after, limit, reverse }),
    ]
}

/// Runs the model test against fresh backends from `make_backend`, one per sequence.
///
/// # Panics
///
/// When the backend and the model disagree; the message shows the shrunk sequence.
pub fn run_model_test(make_backend: impl Fn() -> Box<dyn Backend>) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("building the test runtime failed: {error}"),
    };
    let strategy = proptest::collection::vec(step_strategy(), 1..30);
    let result = runner.run(&strategy, |steps| {
        let backend = make_backend();
        runtime.block_on(run_sequence(backend.as_ref(), &steps))
    });
    if let Err(error) = result {
        panic!("the backend diverged from the model: {error}");
    }
}

async fn run_sequence(backend: &dyn Backend, steps: &[Step]) -> Result<(), TestCaseError> {
    let namespaces = namespaces();
    let model = MemoryStore::new();
    let mut store = backend
        .open()
        .await
        .map_err(|error| TestCaseError::fail(format!("open failed: {error}")))?;
    for (index, step) in steps.iter().enumerate() {
        match step {
            Step::Commit(ops) => {
                let mut batch = WriteBatch::new();
                for op in ops {
                    let key = RecordKey::new(namespaces[op.namespace], KINDS[op.kind], IDS[op.id]);
                    let expect = match op.expect {
                        ExpectChoice::Any => Expect::Any,
                        ExpectChoice::Absent => Expect::Absent,
                        ExpectChoice::Present => Expect::Present,
                        ExpectChoice::Version(version) => Expect::Version(version),
                    };
                    match &op.body {
                        Some(body) => batch.put(key, body.clone(), expect),
                        None => batch.delete(key, expect),
                    };
                }
                let expected = outcome(model.commit(batch.clone()).await);
                let actual = outcome(store.commit(batch).await);
                prop_assert_eq!(actual, expected, "step {}: commit outcome", index);
            }
            Step::Reopen => {
                drop(store);
                store = backend
                    .open()
                    .await
                    .map_err(|error| TestCaseError::fail(format!("reopen failed: {error}")))?;
            }
            Step::Scan {
                namespace,
                kind,
                prefix,
                after,
                limit,
                reverse,
            } => {
                let mut range =
                    ScanRange::prefix(namespaces[*namespace], KINDS[*kind], IDS[*prefix]);
                range.after = after.map(|after| IDS[after].to_owned());
                range.limit = *limit;
                range.reverse = *reverse;
                let expected = summarize(model.scan(&range).await);
                let actual = summarize(store.scan(&range).await);
                prop_assert_eq!(actual, expected, "step {}: scan {:?}", index, range);
            }
        }
        for namespace in namespaces {
            for kind in KINDS {
                let range = ScanRange::all(namespace, kind);
                let expected = summarize(model.scan(&range).await);
                let actual = summarize(store.scan(&range).await);
                prop_assert_eq!(
                    actual,
                    expected,
                    "step {}: contents of {} {}",
                    index,
                    namespace,
                    kind
                );
            }
        }
    }
    Ok(())
}

/// A comparable summary of a commit: the versions, or the kind of error and its key.
fn outcome(
    result: Result<crate::store::CommitReceipt, StoreError>,
) -> Result<Vec<Option<u64>>, String> {
    match result {
        Ok(receipt) => Ok(receipt.versions),
        Err(StoreError::AlreadyExists { key }) => Err(format!("already exists: {key}")),
        Err(StoreError::NotFound { key }) => Err(format!("not found: {key}")),
        Err(StoreError::Conflict {
            key,
            expected,
            actual,
        }) => Err(format!("conflict: {key} {expected} {actual}")),
        Err(other) => Err(format!("backend error: {other}")),
    }
}

fn summarize(
    result: Result<Vec<crate::store::Record>, StoreError>,
) -> Result<Vec<(String, u64, Vec<u8>)>, String> {
    result
        .map(|records| {
            records
                .into_iter()
                .map(|record| (record.id, record.version, record.body))
                .collect()
        })
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::*;

    /// A backend that keeps one `MemoryStore` across reopens, to test the test itself.
    struct Memory(Arc<MemoryStore>);

    #[async_trait]
    impl Backend for Memory {
        async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
            Ok(self.0.clone())
        }
    }

    #[test]
    fn model_test_accepts_memory_store() {
        run_model_test(|| Box::new(Memory(Arc::new(MemoryStore::new()))));
    }
}
