//! Concurrency: 16 tasks write to one store at once on each backend. No update is lost,
//! stale versions are rejected, no store error (such as `SQLITE_BUSY`) reaches a caller,
//! and the decisions after the run match a fresh index loaded from the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use iam_core::group::GroupInput;
use iam_core::id::{GroupId, SubjectId, UserId};
use iam_core::store::Store;
use iam_core::user::{NewUser, UserUpdate};
use iam_core::{Actor, Iam, IamError, TenantIam};

const TASKS: usize = 16;
const ROUNDS: usize = 12;

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("building the runtime failed: {error}"),
    }
}

fn ok<T>(result: Result<T, IamError>) -> T {
    result.unwrap_or_else(|error| panic!("unexpected error: {error} ({error:?})"))
}

/// Adds one to the number in the shared user's full name, retrying on version conflicts.
/// Returns how many conflicts it saw.
async fn increment(tenant: &TenantIam, user: UserId) -> u64 {
    let mut conflicts = 0;
    loop {
        let current = ok(tenant.get_user(user).await);
        let value: u64 = current.full_name.parse().unwrap_or(0);
        let update = UserUpdate {
            full_name: (value + 1).to_string(),
            phone_number: None,
            active: true,
        };
        match tenant
            .update_user(user, update, Some(current.version))
            .await
        {
            Ok(_) => return conflicts,
            Err(IamError::VersionMismatch { .. }) => conflicts += 1,
            Err(other) => panic!("update failed: {other}"),
        }
    }
}

/// One task's work: its own users, memberships in the shared groups, grants and
/// revokes, and contended increments of the shared user.
async fn task(
    tenant: TenantIam,
    index: usize,
    shared: UserId,
    groups: Vec<GroupId>,
    conflicts: Arc<AtomicU64>,
) {
    for round in 0..ROUNDS {
        let user = ok(tenant
            .create_user(NewUser {
                email: format!("t{index}r{round}@example.com"),
                ..NewUser::default()
            })
            .await);
        let subject = SubjectId::User(user.id);
        let group = groups[(index + round) % groups.len()];
        ok(tenant.add_members(group, &[subject]).await);
        ok(tenant
            .create_policy(
                &subject,
                "iam.user.read",
                &format!("/tasks/{index}/{round}"),
            )
            .await);
        if round % 3 == 2 {
            ok(tenant
                .delete_policy(
                    &subject,
                    "iam.user.read",
                    &format!("/tasks/{index}/{round}"),
                )
                .await);
            ok(tenant.remove_members(group, &[subject]).await);
        }
        conflicts.fetch_add(increment(&tenant, shared).await, Ordering::Relaxed);
    }
}

fn decisions(tenant: &TenantIam, subjects: &[SubjectId]) -> Vec<bool> {
    let mut answers = Vec::new();
    for subject in subjects {
        for scope in ["/", "/tasks", "/tasks/1/1", "/groups/0", "/groups/3/x"] {
            answers.push(tenant.check(subject, "iam.user.read", scope).is_allowed());
        }
    }
    answers
}

fn run(open: impl Fn() -> Arc<dyn Store>) {
    let runtime = runtime();
    let (tenant_id, subjects, expected) = runtime.block_on(async {
        let iam = ok(Iam::open(open()).await);
        let created = ok(iam.create_tenant("busy").await);
        let tenant = ok(iam.tenant(created.id, Actor::Operator).await);
        let shared = ok(tenant
            .create_user(NewUser {
                email: "shared@example.com".to_owned(),
                ..NewUser::default()
            })
            .await);
        let mut groups = Vec::new();
        for index in 0..4 {
            let group = ok(tenant
                .create_group(GroupInput {
                    display_name: format!("g{index}"),
                    description: String::new(),
                })
                .await);
            ok(tenant
                .create_policy(
                    &SubjectId::Group(group.id),
                    "iam.user.read",
                    &format!("/groups/{index}"),
                )
                .await);
            groups.push(group.id);
        }

        let conflicts = Arc::new(AtomicU64::new(0));
        let started = std::time::Instant::now();
        let handles: Vec<_> = (0..TASKS)
            .map(|index| {
                tokio::spawn(task(
                    tenant.clone(),
                    index,
                    shared.id,
                    groups.clone(),
                    Arc::clone(&conflicts),
                ))
            })
            .collect();
        for handle in handles {
            handle
                .await
                .unwrap_or_else(|error| panic!("a task failed: {error}"));
        }

        let elapsed = started.elapsed();
        let final_value: u64 = ok(tenant.get_user(shared.id).await)
            .full_name
            .parse()
            .unwrap_or(0);
        eprintln!(
            "{TASKS} tasks x {ROUNDS} rounds: {} increments, {} stale-version conflicts retried, {elapsed:.2?} in all",
            TASKS * ROUNDS,
            conflicts.load(Ordering::Relaxed),
        );
        assert_eq!(
            final_value,
            (TASKS * ROUNDS) as u64,
            "an increment was lost"
        );

        let users = ok(tenant
            .list_users(&iam_core::paging::PageRequest::items(None, Some(200), None))
            .await);
        assert_eq!(users.total_count, (TASKS * ROUNDS + 1) as u64);
        let subjects: Vec<SubjectId> = users
            .items
            .iter()
            .map(|user| SubjectId::User(user.id))
            .collect();
        let expected = decisions(&tenant, &subjects);
        (created.id, subjects, expected)
    });

    // A fresh index loaded from the store must agree with the one kept up to date.
    runtime.block_on(async {
        let iam = ok(Iam::open(open()).await);
        let tenant = ok(iam.tenant(tenant_id, Actor::Operator).await);
        assert_eq!(decisions(&tenant, &subjects), expected);
    });
}

/// A stale version loses: two updates from the same read, one succeeds.
#[test]
fn stale_version_rejected() {
    let runtime = runtime();
    runtime.block_on(async {
        let iam = ok(Iam::open(Arc::new(iam_core::store::MemoryStore::new())).await);
        let created = ok(iam.create_tenant("t").await);
        let tenant = ok(iam.tenant(created.id, Actor::Operator).await);
        let user = ok(tenant
            .create_user(NewUser {
                email: "a@example.com".to_owned(),
                ..NewUser::default()
            })
            .await);
        let update = |name: &str| UserUpdate {
            full_name: name.to_owned(),
            phone_number: None,
            active: true,
        };
        ok(tenant
            .update_user(user.id, update("first"), Some(user.version))
            .await);
        let second = tenant
            .update_user(user.id, update("second"), Some(user.version))
            .await;
        assert!(
            matches!(second, Err(IamError::VersionMismatch { .. })),
            "{second:?}"
        );
        assert_eq!(ok(tenant.get_user(user.id).await).full_name, "first");
    });
}

#[test]
fn sqlite_concurrent_writers() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let path = dir.path().to_owned();
    run(move || {
        Arc::new(
            iam_store_sqlite::SqliteStore::open(&path).unwrap_or_else(|error| panic!("{error:?}")),
        )
    });
}

#[test]
fn sled_concurrent_writers() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let path = dir.path().to_owned();
    run(move || {
        Arc::new(iam_store_sled::SledStore::open(&path).unwrap_or_else(|error| panic!("{error:?}")))
    });
}
