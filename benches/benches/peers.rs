//! The facade's check beside casbin-rs (plain `Enforcer` and warmed `CachedEnforcer`),
//! cedar-policy and a `HashMap` lookup, on the same RBAC shapes and requests.
//!
//! Needs the `peers` feature. Every engine's decisions are compared with the reference
//! oracle before timing: all 10,000 requests for the facade and for the cached casbin
//! enforcer (whose cache this fills), and the first [`SLOW_PEER_VERIFIED`] (half allowed,
//! half denied) for the plain casbin enforcer and for cedar. Those two take
//! milliseconds per request on the large shape, and deciding all 10,000 would add
//! minutes per engine; the plain enforcer also runs the same casbin code as the cached
//! one's misses did.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a benchmark whose fixture fails to build should stop at once"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use casbin::CoreApi;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use iam_benches::baseline::HashMapBaseline;
use iam_benches::facade;
use iam_benches::peers::{
    Cedar, assert_all_cached, casbin_cached_enforcer, casbin_enforcer, casbin_requests,
    verify_casbin,
};
use iam_benches::spec::Oracle;
use iam_benches::workloads::{REQUESTS, Shape, rbac_requests, rbac_shape};
use iam_core::store::MemoryStore;

/// The request sampler's seed; the same as `check.rs`, so both time the same requests.
const SEED: u64 = 0x00c0_ffee;

/// How many requests the plain casbin enforcer and cedar decide before timing.
const SLOW_PEER_VERIFIED: usize = 1_000;

/// Threads for verifying peers and filling casbin's cache; the benchmark machine has 2
/// vCPUs.
const THREADS: usize = 2;

fn peers(c: &mut Criterion) {
    let runtime = iam_benches::runtime().unwrap();
    for shape in [Shape::Small, Shape::Large] {
        let spec = rbac_shape(shape);
        let oracle = Oracle::new(&spec);
        let requests = rbac_requests(&spec, &oracle, SEED).unwrap();
        let mut group = c.benchmark_group(format!("peers_{}", shape.name()));
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));

        let built = runtime
            .block_on(facade::build(&spec, Arc::new(MemoryStore::new())))
            .unwrap();
        eprintln!(
            "peers_{}: facade built in {:.1?}",
            shape.name(),
            built.elapsed
        );
        let prepared = built.prepare(&requests);
        facade::verify(&built.tenant, &prepared).unwrap();
        group.bench_function("iam", |bencher| {
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
        drop(built);

        let baseline = HashMapBaseline::new(REQUESTS);
        group.bench_function("hashmap_get", |bencher| {
            let mut next = 0;
            bencher.iter(|| {
                let key = &baseline.keys[next];
                next = (next + 1) % baseline.keys.len();
                black_box(baseline.get(black_box(key)))
            });
        });

        let casbin_requests = casbin_requests(&requests);
        let started = Instant::now();
        let mut cached = runtime
            .block_on(casbin_cached_enforcer(&spec, 2 * REQUESTS))
            .unwrap();
        eprintln!(
            "peers_{}: casbin CachedEnforcer loaded in {:.1?}",
            shape.name(),
            started.elapsed()
        );
        let started = Instant::now();
        verify_casbin(&cached, &casbin_requests, THREADS).unwrap();
        assert_all_cached(&mut cached, &casbin_requests).unwrap();
        eprintln!(
            "peers_{}: casbin decided and cached all {} requests on {THREADS} threads in {:.1?}",
            shape.name(),
            casbin_requests.len(),
            started.elapsed()
        );
        group.bench_function("casbin_cached", |bencher| {
            let mut next = 0;
            bencher.iter(|| {
                let request = &casbin_requests[next];
                next = (next + 1) % casbin_requests.len();
                black_box(
                    cached
                        .enforce(black_box((
                            request.subject.as_str(),
                            request.object.as_str(),
                            request.action,
                        )))
                        .unwrap(),
                )
            });
        });
        drop(cached);

        // Plain casbin and cedar take milliseconds per check on the large shape: ten
        // samples of equal size keep each to a few seconds.
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(Duration::from_secs(5));

        let plain = runtime.block_on(casbin_enforcer(&spec)).unwrap();
        verify_casbin(&plain, &casbin_requests[..SLOW_PEER_VERIFIED], THREADS).unwrap();
        group.bench_function("casbin_plain", |bencher| {
            let mut next = 0;
            bencher.iter(|| {
                let request = &casbin_requests[next];
                next = (next + 1) % casbin_requests.len();
                black_box(
                    plain
                        .enforce(black_box((
                            request.subject.as_str(),
                            request.object.as_str(),
                            request.action,
                        )))
                        .unwrap(),
                )
            });
        });
        drop(plain);

        let started = Instant::now();
        let cedar = Cedar::new(&spec, &requests).unwrap();
        let cedar_requests = Cedar::requests(&requests).unwrap();
        eprintln!(
            "peers_{}: cedar entities and policies built in {:.1?}",
            shape.name(),
            started.elapsed()
        );
        let started = Instant::now();
        cedar
            .verify(&cedar_requests[..SLOW_PEER_VERIFIED], THREADS)
            .unwrap();
        eprintln!(
            "peers_{}: cedar decided {SLOW_PEER_VERIFIED} requests on {THREADS} threads in {:.1?}",
            shape.name(),
            started.elapsed()
        );
        group.bench_function("cedar", |bencher| {
            let mut next = 0;
            bencher.iter(|| {
                let request = &cedar_requests[next];
                next = (next + 1) % cedar_requests.len();
                black_box(cedar.is_allowed(black_box(request)).unwrap())
            });
        });
        group.finish();
    }
}

criterion_group!(benches, peers);
criterion_main!(benches);
