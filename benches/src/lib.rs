//! Shared fixtures for the criterion benchmarks in `benches/` and the `index-memory`
//! program.
//!
//! A benchmark workload has three parts:
//!
//! - a [`spec::Spec`]: users, groups, memberships and policies described by index, with
//!   no engine in mind;
//! - a request list from [`workloads`], sampled so that half of the requests are allowed
//!   and half denied, each decision computed by the independent [`spec::Oracle`];
//! - an engine built from the spec: the `Iam` facade ([`facade`]) over any store, and with
//!   the `peers` feature casbin-rs and cedar-policy ([`peers`]).
//!
//! Every engine's decisions are compared with the oracle's before anything is timed, so a
//! benchmark never measures an engine that decides differently.

pub mod baseline;
pub mod facade;
pub mod memory;
#[cfg(feature = "peers")]
pub mod peers;
pub mod rng;
pub mod spec;
pub mod stores;
pub mod workloads;

/// The error type of fixture building: store, facade and peer-engine errors, boxed.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// The result type of fixture building.
pub type BenchResult<T> = Result<T, BenchError>;

/// Returns a single-threaded Tokio runtime for driving the async facade from a benchmark.
///
/// The SQLite and sled stores run their I/O on Tokio's blocking pool, which a
/// current-thread runtime also provides.
///
/// # Errors
///
/// When the runtime cannot be created.
pub fn runtime() -> BenchResult<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
