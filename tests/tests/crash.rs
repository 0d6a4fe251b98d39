//! Crash consistency: a child process writes through the library and reports each
//! acknowledged write; the parent kills it with SIGKILL at a random moment, reopens the
//! store and checks that it holds every acknowledged write and no half-applied change.
//!
//! The child runs the same deterministic sequence of writes (with a seeded random
//! source, so ids repeat) as a model on `MemoryStore`. After a kill following `k`
//! acknowledged writes, the reopened store must equal the model after `k` writes, or
//! after `k + 1` when the write in flight reached the disk before the kill.
//!
//! `IAM_CRASH_ROUNDS` sets the rounds per backend (default 3; the long run uses 100).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iam_core::clock::RandomSource;
use iam_core::group::GroupInput;
use iam_core::id::SubjectId;
use iam_core::paging::{CursorRequest, PageRequest};
use iam_core::policy::PolicyFilter;
use iam_core::store::{MemoryStore, Store};
use iam_core::user::{NewUser, UserUpdate};
use iam_core::{Actor, Iam, IamError, TenantIam};

const CHILD_ENV: &str = "IAM_CRASH_CHILD";
const WRITES: usize = 400;

/// A deterministic random source (SplitMix64), so the child and the model draw the same ids.
#[derive(Debug)]
struct SeededRandom(Mutex<u64>);

impl RandomSource for SeededRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), IamError> {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for chunk in dest.chunks_mut(8) {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

async fn open_iam(store: Arc<dyn Store>) -> Result<Iam, IamError> {
    Iam::builder(store)
        .random(Arc::new(SeededRandom(Mutex::new(7))))
        .open()
        .await
}

/// Runs write number `step` of the fixed sequence: at most one facade write, so one
/// acknowledgement stands for one atomic change. Every sixth step is a cascading delete
/// of a group with members and policies, or of a user with memberships.
async fn write(
    tenant: &TenantIam,
    step: usize,
    users: &mut Vec<SubjectId>,
    groups: &mut Vec<SubjectId>,
) -> Result<(), IamError> {
    match step % 6 {
        0 => {
            let user = tenant
                .create_user(NewUser {
                    email: format!("user{step}@example.com"),
                    ..NewUser::default()
                })
                .await?;
            users.push(SubjectId::User(user.id));
        }
        1 => {
            let group = tenant
                .create_group(GroupInput {
                    display_name: format!("group {step}"),
                    description: String::new(),
                })
                .await?;
            groups.push(SubjectId::Group(group.id));
        }
        2 => {
            if let (Some(SubjectId::Group(group)), Some(user)) =
                (groups.last().copied(), users.last().copied())
            {
                let mut members = vec![user];
                if let Some(first) = users.first().copied() {
                    members.push(first);
                }
                tenant.add_members(group, &members).await?;
            }
        }
        3 => {
            if let Some(group) = groups.last() {
                tenant
                    .create_policy(group, "iam.user.read", &format!("/s/{step}"))
                    .await?;
            }
        }
        4 => {
            if let Some(SubjectId::User(user)) = users.last().copied() {
                let current = tenant.get_user(user).await?;
                let update = UserUpdate {
                    full_name: format!("name {step}"),
                    phone_number: None,
                    active: step.is_multiple_of(2),
                };
                tenant
                    .update_user(user, update, Some(current.version))
                    .await?;
            }
        }
        _ => {
            if step % 12 == 5 {
                if let Some(SubjectId::Group(group)) = groups.pop() {
                    tenant.delete_group(group).await?;
                }
            } else if users.len() > 2
                && let Some(SubjectId::User(user)) = users.first().copied()
            {
                users.remove(0);
                tenant.delete_user(user).await?;
            }
        }
    }
    Ok(())
}

/// Everything observable about the tenant, in a stable order.
async fn fingerprint(iam: &Iam) -> Result<String, IamError> {
    let Some(found) = iam.find_tenant("crash").await? else {
        return Ok("no tenant".to_owned());
    };
    let tenant = iam.tenant(found.id, Actor::Operator).await?;
    let mut lines = Vec::new();
    let all = PageRequest::items(None, Some(200), None);
    let mut page: i64 = 1;
    loop {
        let subjects = tenant
            .list_subjects(None, &PageRequest::subjects(Some(page), Some(200), None))
            .await?;
        for subject in &subjects.items {
            let id = subject.id();
            let groups: Vec<String> = tenant
                .memberships(&id, false)
                .await?
                .iter()
                .map(|group| group.id.to_string())
                .collect();
            lines.push(format!("{id} {} {:?}", subject.display_name(), groups));
            if let iam_core::subject::Subject::User(user) = subject {
                lines.push(format!("  active {} version {}", user.active, user.version));
            }
        }
        if u64::try_from(page).unwrap_or(u64::MAX).saturating_mul(200) >= subjects.total_count {
            break;
        }
        page += 1;
    }
    let mut cursor = None;
    loop {
        let policies = tenant
            .list_policies(
                &PolicyFilter::default(),
                &CursorRequest::new(Some(1000), cursor),
            )
            .await?;
        lines.extend(policies.items.iter().map(|policy| {
            format!(
                "policy {} {} {}",
                policy.subject, policy.action, policy.scope
            )
        }));
        cursor = policies.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let audit = tenant
        .list_audit(&Default::default(), &CursorRequest::new(Some(1), None))
        .await?;
    lines.push(format!(
        "last audit event {:?}",
        audit.items.first().map(|event| event.id)
    ));
    lines.push(format!(
        "users listed {}",
        tenant.list_users(&all).await?.total_count
    ));
    Ok(lines.join("\n"))
}

fn open_backend(backend: &str, dir: &std::path::Path) -> Result<Arc<dyn Store>, String> {
    match backend {
        "sqlite" => iam_store_sqlite::SqliteStore::open(dir)
            .map(|store| Arc::new(store) as Arc<dyn Store>)
            .map_err(|error| format!("{error:?}")),
        "sled" => iam_store_sled::SledStore::open(dir)
            .map(|store| Arc::new(store) as Arc<dyn Store>)
            .map_err(|error| format!("{error:?}")),
        other => Err(format!("unknown backend `{other}`")),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("building the runtime failed: {error}"),
    }
}

/// The child: writes the sequence and prints `ack <n>` after each acknowledged write.
/// Does nothing unless started by the parent.
#[test]
fn crash_child_writer() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let Some((backend, dir)) = spec.split_once(':') else {
        panic!("bad {CHILD_ENV}: {spec}")
    };
    runtime().block_on(async {
        let store = open_backend(backend, std::path::Path::new(dir))
            .unwrap_or_else(|error| panic!("{error}"));
        let iam = open_iam(store)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let created = iam
            .create_tenant("crash")
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        // The test harness has printed `test crash_child_writer ... ` without a newline.
        println!();
        println!("ack 0");
        let tenant = iam
            .tenant(created.id, Actor::Operator)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let (mut users, mut groups) = (Vec::new(), Vec::new());
        for step in 1..=WRITES {
            write(&tenant, step, &mut users, &mut groups)
                .await
                .unwrap_or_else(|error| panic!("step {step}: {error}"));
            println!("ack {step}");
        }
    });
}

/// Returns the model's fingerprints after each number of writes, from 0 to `WRITES`.
fn model_fingerprints(runtime: &tokio::runtime::Runtime) -> Vec<String> {
    runtime.block_on(async {
        let iam = open_iam(Arc::new(MemoryStore::new()))
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let mut prints = vec![
            fingerprint(&iam)
                .await
                .unwrap_or_else(|error| panic!("{error}")),
        ];
        let created = iam
            .create_tenant("crash")
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        prints[0] = "no tenant".to_owned();
        prints.push(
            fingerprint(&iam)
                .await
                .unwrap_or_else(|error| panic!("{error}")),
        );
        let tenant = iam
            .tenant(created.id, Actor::Operator)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let (mut users, mut groups) = (Vec::new(), Vec::new());
        for step in 1..=WRITES {
            write(&tenant, step, &mut users, &mut groups)
                .await
                .unwrap_or_else(|error| panic!("step {step}: {error}"));
            prints.push(
                fingerprint(&iam)
                    .await
                    .unwrap_or_else(|error| panic!("{error}")),
            );
        }
        prints
    })
}

fn parse_ack(line: &str) -> Option<usize> {
    line.strip_prefix("ack ")
        .and_then(|number| number.trim().parse().ok())
}

/// Starts the child, kills it after `kill_after_acks` acknowledgements (or when it
/// finishes), and returns the last acknowledged write number (`None` before the first).
fn run_child(
    backend: &str,
    dir: &std::path::Path,
    kill_after_acks: usize,
    extra_delay: Duration,
) -> Option<usize> {
    let exe = std::env::current_exe().unwrap_or_else(|error| panic!("{error}"));
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_child_writer",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, format!("{backend}:{}", dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("starting the child failed: {error}"));
    let stdout = child
        .stdout
        .take()
        .unwrap_or_else(|| panic!("child has no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let mut last_ack = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    for line in lines.by_ref() {
        let Ok(line) = line else { break };
        if let Some(number) = parse_ack(&line) {
            last_ack = Some(number);
            if number >= kill_after_acks || Instant::now() > deadline {
                std::thread::sleep(extra_delay);
                break;
            }
        }
    }
    // SIGKILL: no destructor, no flush, no unlock runs in the child.
    let _ = child.kill();
    let _ = child.wait();
    // The child kept writing until the signal arrived; its later acknowledgements are
    // still in the pipe (standard output is flushed at each line).
    for line in lines.map_while(Result::ok) {
        if let Some(number) = parse_ack(&line) {
            last_ack = Some(number);
        }
    }
    last_ack
}

/// Runs the rounds and prints a summary line: rounds, acknowledged writes checked, and
/// how often the write in flight at the kill had already reached the disk.
fn crash_rounds(backend: &str) {
    let rounds: usize = std::env::var("IAM_CRASH_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(3);
    let runtime = runtime();
    let model = model_fingerprints(&runtime);
    let mut seed = 0x5EED_u64 ^ backend.len() as u64;
    let mut in_flight_landed = 0usize;
    let mut acknowledged_total = 0usize;
    for round in 0..rounds {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let kill_after = 1 + (seed >> 33) as usize % WRITES;
        let delay = Duration::from_micros((seed >> 20) % 3000);
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let acked = run_child(backend, dir.path(), kill_after, delay);

        let found = runtime.block_on(async {
            let store = open_backend(backend, dir.path())
                .unwrap_or_else(|error| panic!("round {round}: reopen failed: {error}"));
            let iam = open_iam(store)
                .await
                .unwrap_or_else(|error| panic!("round {round}: open failed: {error}"));
            fingerprint(&iam)
                .await
                .unwrap_or_else(|error| panic!("round {round}: {error}"))
        });
        // Acknowledgement `n` means `n + 1` writes of the model (the tenant is write 0).
        let durable = acked.map_or(0, |n| n + 1);
        let candidates = [durable, durable + 1];
        let matches = candidates
            .iter()
            .any(|count| model.get(*count) == Some(&found));
        acknowledged_total += durable;
        if model.get(durable + 1) == Some(&found) {
            in_flight_landed += 1;
        }
        if !matches {
            let expected = model.get(durable).cloned().unwrap_or_default();
            let missing: Vec<&str> = expected
                .lines()
                .filter(|line| !found.lines().any(|l| l == *line))
                .collect();
            let extra: Vec<&str> = found
                .lines()
                .filter(|line| !expected.lines().any(|l| l == *line))
                .collect();
            eprintln!("{backend} round {round}: missing {missing:#?}\nextra {extra:#?}");
        }
        assert!(
            matches,
            "{backend} round {round}: after {acked:?} acknowledged writes the store matches neither {durable} nor {} writes of the model\nfound:\n{found}",
            durable + 1
        );
    }
    eprintln!(
        "{backend}: {rounds} kills, {acknowledged_total} acknowledged writes checked, none lost; the write in flight had landed in {in_flight_landed} rounds"
    );
}

#[test]
fn sqlite_survives_sigkill() {
    crash_rounds("sqlite");
}

#[test]
fn sled_survives_sigkill() {
    crash_rounds("sled");
}
