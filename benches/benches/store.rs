//! Write latency through the facade: one `create_policy` per iteration on each backend,
//! with full and relaxed durability. Each call validates the request, reads the subject
//! and the policy, and commits one batch with the policy, its audit event and the audit
//! counter, then updates the policy index.
//!
//! This is the per-write cost behind the fixture build times that the other benchmarks
//! print.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a benchmark whose fixture fails to build should stop at once"
)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use iam_benches::facade;
use iam_benches::spec::{APP_READ, Member, Spec};
use iam_benches::stores::{Backend, Durability, open_store};

fn create_policy(c: &mut Criterion) {
    let runtime = iam_benches::runtime().unwrap();
    let spec = Spec {
        users: 1,
        groups: 1,
        memberships: vec![(0, Member::User(0))],
        policies: Vec::new(),
    };
    let mut group = c.benchmark_group("store_create_policy");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let cases = [
        (Backend::Memory, Durability::Full),
        (Backend::Sqlite, Durability::Full),
        (Backend::Sqlite, Durability::Relaxed),
        (Backend::Sled, Durability::Full),
        (Backend::Sled, Durability::Relaxed),
    ];
    for (backend, durability) in cases {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(backend, dir.path(), durability).unwrap();
        let built = runtime.block_on(facade::build(&spec, store)).unwrap();
        let holder = built.groups[0];
        let durability_name = match (backend, durability) {
            (Backend::Memory, _) => "none",
            (_, Durability::Full) => "full",
            (_, Durability::Relaxed) => "relaxed",
        };
        group.bench_function(
            BenchmarkId::new(backend.name(), durability_name),
            |bencher| {
                let mut next = 0_u64;
                bencher.iter(|| {
                    // A new scope every time, so that every call commits a new policy.
                    next += 1;
                    let scope = format!("/write/{next}");
                    runtime
                        .block_on(built.tenant.create_policy(&holder, APP_READ, &scope))
                        .unwrap()
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, create_policy);
criterion_main!(benches);
