//! Check latency as the number of policies, the scope depth, the action depth and the
//! group nesting grow.
//!
//! Each series varies one dimension and cycles through 10,000 distinct requests, half
//! allowed and half denied, checked against the reference oracle before timing. The
//! fixtures live in `MemoryStore`s, built through the facade.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a benchmark whose fixture fails to build should stop at once"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use iam_benches::facade::{self, Built, Prepared};
use iam_benches::spec::{Oracle, Request};
use iam_benches::workloads::{
    Dimension, MAX_NESTING, dimension_requests, dimensions, policy_growth, policy_growth_requests,
};
use iam_core::store::MemoryStore;

/// The request sampler's seed, fixed so that every run times the same requests.
const SEED: u64 = 0x0067_6f77;

/// The policy counts of the growth series.
const POLICY_COUNTS: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// Shorter runs than criterion's default (3 s warm-up, 5 s measurement) keep the 27
/// points of the four series to about two minutes of timing.
fn shorten(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
}

fn time_series_point(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    built: &Built,
    requests: &[Request],
) {
    let prepared: Vec<Prepared> = built.prepare(requests);
    facade::verify(&built.tenant, &prepared).unwrap();
    group.bench_function(id, |bencher| {
        let mut next = 0;
        bencher.iter(|| {
            let request = &prepared[next];
            next = (next + 1) % prepared.len();
            black_box(
                built
                    .tenant
                    .check(
                        black_box(&request.subject),
                        black_box(request.action),
                        black_box(&request.scope),
                    )
                    .is_allowed(),
            )
        });
    });
}

fn policy_count(c: &mut Criterion) {
    let runtime = iam_benches::runtime().unwrap();
    for count in POLICY_COUNTS {
        let spec = policy_growth(count);
        let oracle = Oracle::new(&spec);
        let requests = policy_growth_requests(&spec, &oracle, SEED).unwrap();
        let built = runtime
            .block_on(facade::build(&spec, Arc::new(MemoryStore::new())))
            .unwrap();
        eprintln!(
            "growth_policies/{count}: built through the facade in {:.1?}",
            built.elapsed
        );
        let mut group = c.benchmark_group("growth_policies");
        shorten(&mut group);
        time_series_point(
            &mut group,
            BenchmarkId::from_parameter(count),
            &built,
            &requests,
        );
        group.finish();
    }
}

fn depths(c: &mut Criterion) {
    let runtime = iam_benches::runtime().unwrap();
    let spec = dimensions();
    let oracle = Oracle::new(&spec);
    let built = runtime
        .block_on(facade::build(&spec, Arc::new(MemoryStore::new())))
        .unwrap();
    eprintln!(
        "growth depth fixture: {} users, {} groups, {} policies built through the facade in {:.1?}",
        spec.users,
        spec.groups,
        spec.policies.len(),
        built.elapsed
    );
    let series: [(&str, Vec<Dimension>); 3] = [
        (
            "growth_scope_depth",
            (1..=10).map(Dimension::ScopeDepth).collect(),
        ),
        (
            "growth_action_depth",
            (1..=5).map(Dimension::ActionDepth).collect(),
        ),
        (
            "growth_nesting",
            (1..=MAX_NESTING).map(Dimension::Nesting).collect(),
        ),
    ];
    for (name, points) in series {
        let mut group = c.benchmark_group(name);
        shorten(&mut group);
        for dimension in points {
            let depth = match dimension {
                Dimension::ScopeDepth(depth)
                | Dimension::ActionDepth(depth)
                | Dimension::Nesting(depth) => depth,
            };
            let requests = dimension_requests(&oracle, dimension, SEED).unwrap();
            time_series_point(
                &mut group,
                BenchmarkId::from_parameter(depth),
                &built,
                &requests,
            );
        }
        group.finish();
    }
}

criterion_group!(benches, policy_count, depths);
criterion_main!(benches);
