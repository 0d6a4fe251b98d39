//! Policy index load time: how long `Iam::builder(store).open()` takes to read every
//! user, group, membership and policy from each backend and build the index.
//!
//! The fixture is the policy-growth workload (10,000 users in 1,000 groups, policies
//! spread over the groups), written once per run through the facade. The SQLite and sled
//! fixtures are written with relaxed durability, to build faster, and reopened with full
//! durability for timing. Durability does not change how reads work.
//!
//! Writing through the facade on SQLite or sled managed 2,500 to 4,500 writes per second
//! on the 2-vCPU machine described in `BENCHMARKS.md`, so 1,000,000 policies took about
//! 4 minutes per backend there. The disk backends therefore default to [`DEFAULT_DISK_POLICIES`], which
//! builds in about 2 minutes; set `IAM_BENCH_LOAD_POLICIES` to time another count.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a benchmark whose fixture fails to build should stop at once"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use iam_benches::facade;
use iam_benches::stores::{Backend, Durability, dir_size, open_store};
use iam_benches::workloads::policy_growth;
use iam_core::store::{MemoryStore, Store};

/// The policy count for the memory store, which builds 1,000,000 policies in seconds.
const MEMORY_POLICIES: usize = 1_000_000;

/// The default policy count for SQLite and sled (see the module documentation).
const DEFAULT_DISK_POLICIES: usize = 400_000;

fn disk_policies() -> usize {
    match std::env::var("IAM_BENCH_LOAD_POLICIES") {
        Ok(text) => text
            .parse()
            .expect("IAM_BENCH_LOAD_POLICIES must be a whole number of policies"),
        Err(_) => DEFAULT_DISK_POLICIES,
    }
}

/// Opens a facade over `store` and confirms it indexed `count` policies.
fn open_and_count(runtime: &tokio::runtime::Runtime, store: Arc<dyn Store>, count: usize) {
    let iam = runtime.block_on(facade::open(store)).unwrap();
    let tenant = runtime.block_on(facade::fixture_tenant(&iam)).unwrap();
    assert_eq!(
        tenant.policy_index_stats().indexed_policies,
        count,
        "the loaded index has the wrong policy count"
    );
}

fn load(c: &mut Criterion) {
    let runtime = iam_benches::runtime().unwrap();
    let disk_count = disk_policies();
    let mut group = c.benchmark_group("load");
    // Each load takes seconds: ten one-load samples per backend.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));

    let mut memory_counts = vec![MEMORY_POLICIES];
    if disk_count != MEMORY_POLICIES {
        memory_counts.push(disk_count);
    }
    for count in memory_counts {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let built = runtime
            .block_on(facade::build(&policy_growth(count), Arc::clone(&store)))
            .unwrap();
        eprintln!(
            "load/memory/{count}: built through the facade in {:.1?}",
            built.elapsed
        );
        drop(built);
        open_and_count(&runtime, Arc::clone(&store), count);
        group.bench_function(BenchmarkId::new(Backend::Memory.name(), count), |bencher| {
            bencher.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let started = Instant::now();
                    let iam = runtime.block_on(facade::open(Arc::clone(&store))).unwrap();
                    total += started.elapsed();
                    drop(iam);
                }
                total
            });
        });
    }

    for backend in [Backend::Sqlite, Backend::Sled] {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(backend, dir.path(), Durability::Relaxed).unwrap();
        let built = runtime
            .block_on(facade::build(&policy_growth(disk_count), store))
            .unwrap();
        let elapsed = built.elapsed;
        // Dropping the facade drops the store, which flushes it and releases the lock.
        drop(built);
        eprintln!(
            "load/{}/{disk_count}: built through the facade with relaxed durability in {elapsed:.1?}; {} MiB on disk",
            backend.name(),
            dir_size(dir.path()).unwrap() / (1024 * 1024)
        );
        open_and_count(
            &runtime,
            open_store(backend, dir.path(), Durability::Full).unwrap(),
            disk_count,
        );
        group.bench_function(BenchmarkId::new(backend.name(), disk_count), |bencher| {
            bencher.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    // Opening the store is not timed: only the index load is.
                    let store = open_store(backend, dir.path(), Durability::Full).unwrap();
                    let started = Instant::now();
                    let iam = runtime.block_on(facade::open(store)).unwrap();
                    total += started.elapsed();
                    drop(iam);
                }
                total
            });
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
