//! Measures the resident memory and the one-shot load time of the policy index.
//!
//! ```text
//! index-memory --backend memory|sqlite|sled --policies N [--dir DIR]
//! ```
//!
//! The fixture is the policy-growth workload with `N` policies (10,000 users in 1,000
//! groups). For SQLite and sled the program writes it through the facade with relaxed
//! durability into `DIR` (a temporary directory when not given). Then it runs itself
//! again to measure in a fresh process. The measuring run reads resident memory
//! (`VmRSS`) before opening the store, after opening it and after loading the index, and
//! the peak (`VmHWM`) at the end. For the memory
//! store, whose data lives only in this process, it builds the fixture and then opens a
//! second facade over the same store, so the difference is that second index alone.
//!
//! Each line of output is `key=value` pairs; sizes are in KiB and times in seconds.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Instant;

use iam_benches::memory::read_rss;
use iam_benches::stores::{Backend, Durability, dir_size, open_store};
use iam_benches::workloads::policy_growth;
use iam_benches::{BenchResult, facade};
use iam_core::store::{MemoryStore, Store};

const USAGE: &str = "usage: index-memory --backend memory|sqlite|sled --policies N [--dir DIR]";

/// The parsed command line.
struct Options {
    backend: Backend,
    policies: usize,
    dir: Option<PathBuf>,
    /// Set on the second run, which only measures.
    measure_only: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut backend = None;
    let mut policies = None;
    let mut dir = None;
    let mut measure_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--backend" => {
                let name = args.next().ok_or(USAGE)?;
                backend = Some(
                    Backend::from_name(&name)
                        .ok_or_else(|| format!("unknown backend `{name}`; {USAGE}"))?,
                );
            }
            "--policies" => {
                let text = args.next().ok_or(USAGE)?;
                policies = Some(
                    text.parse::<usize>()
                        .map_err(|_| format!("`{text}` is not a policy count; {USAGE}"))?,
                );
            }
            "--dir" => dir = Some(PathBuf::from(args.next().ok_or(USAGE)?)),
            "--measure-only" => measure_only = true,
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    Ok(Options {
        backend: backend.ok_or(USAGE)?,
        policies: policies.ok_or(USAGE)?,
        dir,
        measure_only,
    })
}

/// Opens a facade over `store`, timing it, and checks the indexed policy count.
fn load(
    runtime: &tokio::runtime::Runtime,
    store: Arc<dyn Store>,
    policies: usize,
) -> BenchResult<(iam_core::Iam, f64)> {
    let started = Instant::now();
    let iam = runtime.block_on(facade::open(store))?;
    let seconds = started.elapsed().as_secs_f64();
    let tenant = runtime.block_on(facade::fixture_tenant(&iam))?;
    let indexed = tenant.policy_index_stats().indexed_policies;
    if indexed != policies {
        return Err(format!("the loaded index has {indexed} policies, not {policies}").into());
    }
    Ok((iam, seconds))
}

fn measure_memory_store(runtime: &tokio::runtime::Runtime, policies: usize) -> BenchResult<()> {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let built = runtime.block_on(facade::build(&policy_growth(policies), Arc::clone(&store)))?;
    println!(
        "backend=memory policies={policies} build_s={:.1}",
        built.elapsed.as_secs_f64()
    );
    let before = read_rss()?;
    let (_iam, load_s) = load(runtime, store, policies)?;
    let after = read_rss()?;
    println!(
        "backend=memory policies={policies} load_s={load_s:.2} rss_before_load_kib={} rss_after_load_kib={} index_kib={} peak_kib={}",
        before.current_kib,
        after.current_kib,
        after.current_kib.saturating_sub(before.current_kib),
        after.peak_kib
    );
    Ok(())
}

fn build_disk_fixture(
    runtime: &tokio::runtime::Runtime,
    backend: Backend,
    policies: usize,
    dir: &Path,
) -> BenchResult<()> {
    let store = open_store(backend, dir, Durability::Relaxed)?;
    let built = runtime.block_on(facade::build(&policy_growth(policies), store))?;
    let build_s = built.elapsed.as_secs_f64();
    // Dropping the facade drops the store, which flushes it and releases the lock.
    drop(built);
    println!(
        "backend={} policies={policies} build_s={build_s:.1} disk_kib={}",
        backend.name(),
        dir_size(dir)? / 1024
    );
    Ok(())
}

fn measure_disk_store(
    runtime: &tokio::runtime::Runtime,
    backend: Backend,
    policies: usize,
    dir: &Path,
) -> BenchResult<()> {
    let start = read_rss()?;
    let started = Instant::now();
    let store = open_store(backend, dir, Durability::Full)?;
    let open_s = started.elapsed().as_secs_f64();
    let opened = read_rss()?;
    let (_iam, load_s) = load(runtime, store, policies)?;
    let loaded = read_rss()?;
    println!(
        "backend={} policies={policies} store_open_s={open_s:.2} load_s={load_s:.2} rss_start_kib={} rss_store_open_kib={} rss_after_load_kib={} index_kib={} peak_kib={}",
        backend.name(),
        start.current_kib,
        opened.current_kib,
        loaded.current_kib,
        loaded.current_kib.saturating_sub(opened.current_kib),
        loaded.peak_kib
    );
    Ok(())
}

fn run(options: Options) -> BenchResult<()> {
    let runtime = iam_benches::runtime()?;
    if options.backend == Backend::Memory {
        return measure_memory_store(&runtime, options.policies);
    }
    if options.measure_only {
        let dir = options.dir.ok_or("--measure-only needs --dir")?;
        return measure_disk_store(&runtime, options.backend, options.policies, &dir);
    }

    let temporary = tempfile::tempdir()?;
    let dir = options
        .dir
        .unwrap_or_else(|| temporary.path().to_path_buf());
    build_disk_fixture(&runtime, options.backend, options.policies, &dir)?;
    let status = Command::new(std::env::current_exe()?)
        .args([
            "--measure-only",
            "--backend",
            options.backend.name(),
            "--policies",
        ])
        .arg(options.policies.to_string())
        .arg("--dir")
        .arg(&dir)
        .status()?;
    if !status.success() {
        return Err(format!("the measuring run failed with {status}").into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("index-memory failed: {error}");
            ExitCode::FAILURE
        }
    }
}
