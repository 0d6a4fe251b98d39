//! Check latency of the `Iam` facade on casbin's RBAC shapes, with the `HashMap` floor.
//!
//! Each timed iteration decides the next of 10,000 distinct requests (half allowed, half
//! denied) with `TenantIam::check`, which parses the action and scope text. Every
//! decision is compared with the reference oracle before timing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a benchmark whose fixture fails to build should stop at once"
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use iam_benches::baseline::HashMapBaseline;
use iam_benches::facade::{self, Prepared};
use iam_benches::spec::Oracle;
use iam_benches::workloads::{REQUESTS, Shape, rbac_requests, rbac_shape};
use iam_core::TenantIam;
use iam_core::scope::ResourceScope;
use iam_core::store::MemoryStore;

/// The request sampler's seed, fixed so that every run times the same requests.
const SEED: u64 = 0x00c0_ffee;

/// Times `TenantIam::check` over `requests` in a cycle.
fn time_checks(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    tenant: &TenantIam,
    requests: &[Prepared],
) {
    group.bench_function(id, |bencher| {
        let mut next = 0;
        bencher.iter(|| {
            let request = &requests[next];
            next = (next + 1) % requests.len();
            black_box(
                tenant
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

fn check_shapes(c: &mut Criterion) {
    let runtime = iam_benches::runtime().unwrap();
    for shape in [Shape::Small, Shape::Medium, Shape::Large] {
        let spec = rbac_shape(shape);
        let oracle = Oracle::new(&spec);
        let requests = rbac_requests(&spec, &oracle, SEED).unwrap();
        let built = runtime
            .block_on(facade::build(&spec, Arc::new(MemoryStore::new())))
            .unwrap();
        eprintln!(
            "check/{}: built {} users, {} groups, {} policies through the facade in {:.1?}",
            shape.name(),
            spec.users,
            spec.groups,
            spec.policies.len(),
            built.elapsed
        );
        let prepared = built.prepare(&requests);
        facade::verify(&built.tenant, &prepared).unwrap();

        let mut group = c.benchmark_group("check");
        time_checks(&mut group, shape.name(), &built.tenant, &prepared);
        group.finish();

        if shape == Shape::Large {
            // Where the time goes: allowed and denied requests apart, a 64-request
            // working set that stays in cache, the same requests on an index loaded in
            // one pass, and scope parsing alone. `ResourceScope::parse` also copies the
            // canonical text, which the check's own parser does not for relative scopes,
            // so it is an upper bound.
            let (allowed, denied): (Vec<Prepared>, Vec<Prepared>) = prepared
                .iter()
                .cloned()
                .partition(|request| request.expected);
            let mut group = c.benchmark_group("check_parts_large");
            time_checks(&mut group, "allowed_only", &built.tenant, &allowed);
            time_checks(&mut group, "denied_only", &built.tenant, &denied);
            time_checks(
                &mut group,
                "hot_64_requests",
                &built.tenant,
                &prepared[..64],
            );
            let reloaded = runtime
                .block_on(facade::open(Arc::clone(built.iam.store())))
                .unwrap();
            let reloaded = runtime.block_on(facade::fixture_tenant(&reloaded)).unwrap();
            facade::verify(&reloaded, &prepared).unwrap();
            time_checks(&mut group, "reloaded_index", &reloaded, &prepared);
            group.bench_function("scope_parse", |bencher| {
                let mut next = 0;
                bencher.iter(|| {
                    let request = &prepared[next];
                    next = (next + 1) % prepared.len();
                    black_box(ResourceScope::parse("scope", black_box(&request.scope)).is_ok())
                });
            });
            group.finish();
        }
    }
}

fn baseline(c: &mut Criterion) {
    let baseline = HashMapBaseline::new(REQUESTS);
    c.bench_function("baseline/hashmap_get", |bencher| {
        let mut next = 0;
        bencher.iter(|| {
            let key = &baseline.keys[next];
            next = (next + 1) % baseline.keys.len();
            black_box(baseline.get(black_box(key)))
        });
    });
}

criterion_group!(benches, check_shapes, baseline);
criterion_main!(benches);
