//! Property tests of policy evaluation: the index-based check against a naive reference
//! evaluator that scans every policy and walks every group, on random stores.

use std::collections::BTreeSet;
use std::sync::Arc;

use iam_core::action::{ActionCatalog, ActionName};
use iam_core::group::GroupInput;
use iam_core::id::SubjectId;
use iam_core::scope::ResourceScope;
use iam_core::store::{MemoryStore, Store};
use iam_core::user::NewUser;
use iam_core::{Actor, Iam, IamError, TenantIam};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const ACTIONS: [&str; 6] = [
    "app.manage",
    "app.read",
    "app.write",
    "app.data.manage",
    "app.data.read",
    "app.datax",
];
const SCOPES: [&str; 7] = [
    "/",
    "/a",
    "/a/b",
    "/a/b/c",
    "/ab",
    "/a/bc",
    "https://h.example/a",
];
const REQUEST_SCOPES: [&str; 9] = [
    "/",
    "/a",
    "/a/b",
    "/a/b/c/d",
    "/ab",
    "/a/bc",
    "https://h.example/a/x",
    "https://h.example/b",
    "/a/../b",
];
const REQUEST_ACTIONS: [&str; 8] = [
    "app.manage",
    "app.read",
    "app.write",
    "app.data.manage",
    "app.data.read",
    "app.datax",
    "app.other",
    "APP.READ",
];

fn catalog() -> ActionCatalog {
    let mut builder = ActionCatalog::builder();
    for action in ACTIONS {
        builder = builder.action(action, action, None::<String>);
    }
    match builder.build() {
        Ok(catalog) => catalog,
        Err(error) => panic!("invalid test catalogue: {error}"),
    }
}

/// A random tenant: users, groups, memberships (group index, member) and policies.
#[derive(Debug, Clone)]
struct World {
    users: usize,
    groups: usize,
    disabled: Vec<bool>,
    memberships: Vec<(usize, Member)>,
    policies: Vec<(Member, usize, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Member {
    User(usize),
    Group(usize),
}

fn member_strategy(users: usize, groups: usize) -> impl Strategy<Value = Member> {
    prop_oneof![
        (0..users).prop_map(Member::User),
        (0..groups).prop_map(Member::Group)
    ]
}

fn world_strategy() -> impl Strategy<Value = World> {
    (1..5usize, 1..5usize).prop_flat_map(|(users, groups)| {
        (
            proptest::collection::vec(any::<bool>(), users),
            proptest::collection::vec((0..groups, member_strategy(users, groups)), 0..10),
            proptest::collection::vec(
                (
                    member_strategy(users, groups),
                    0..ACTIONS.len(),
                    0..SCOPES.len(),
                ),
                0..10,
            ),
        )
            .prop_map(move |(disabled, memberships, policies)| World {
                users,
                groups,
                disabled,
                memberships,
                policies,
            })
    })
}

/// The built tenant with the subject id of each user and group.
struct Built {
    tenant: TenantIam,
    users: Vec<SubjectId>,
    groups: Vec<SubjectId>,
    /// Memberships the facade accepted (cycles are rejected), as (group, member).
    edges: Vec<(SubjectId, SubjectId)>,
}

impl Built {
    fn subject(&self, member: Member) -> SubjectId {
        match member {
            Member::User(index) => self.users[index],
            Member::Group(index) => self.groups[index],
        }
    }
}

async fn build(
    store: Arc<dyn Store>,
    world: &World,
    policy_order: &[usize],
) -> Result<(Iam, Built), IamError> {
    let iam = Iam::builder(store).catalog(catalog()).open().await?;
    let created = iam.create_tenant("t").await?;
    let tenant = iam.tenant(created.id, Actor::Operator).await?;
    let mut users = Vec::new();
    for index in 0..world.users {
        let user = tenant
            .create_user(NewUser {
                email: format!("u{index}@example.com"),
                ..NewUser::default()
            })
            .await?;
        if world.disabled[index] {
            let update = iam_core::user::UserUpdate {
                full_name: String::new(),
                phone_number: None,
                active: false,
            };
            tenant.update_user(user.id, update, None).await?;
        }
        users.push(SubjectId::User(user.id));
    }
    let mut groups = Vec::new();
    for index in 0..world.groups {
        let group = tenant
            .create_group(GroupInput {
                display_name: format!("g{index}"),
                description: String::new(),
            })
            .await?;
        groups.push(SubjectId::Group(group.id));
    }
    let mut built = Built {
        tenant,
        users,
        groups,
        edges: Vec::new(),
    };
    for (group, member) in &world.memberships {
        let group_subject = built.groups[*group];
        let member_subject = built.subject(*member);
        let SubjectId::Group(group_id) = group_subject else {
            continue;
        };
        match built.tenant.add_members(group_id, &[member_subject]).await {
            Ok(()) => built.edges.push((group_subject, member_subject)),
            Err(IamError::Conflict { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    for index in policy_order {
        let (member, action, scope) = world.policies[*index];
        let subject = built.subject(member);
        built
            .tenant
            .create_policy(&subject, ACTIONS[action], SCOPES[scope])
            .await?;
    }
    Ok((iam, built))
}

/// The reference: scans every policy and walks every membership.
fn reference(
    world: &World,
    built: &Built,
    catalog: &ActionCatalog,
    subject: SubjectId,
    action: &str,
    scope: &str,
) -> bool {
    if let Some(index) = built.users.iter().position(|user| *user == subject)
        && world.disabled[index]
    {
        return false;
    }
    let Ok(action) = ActionName::parse("action", action) else {
        return false;
    };
    let Ok(scope) = ResourceScope::parse("scope", scope) else {
        return false;
    };
    let mut holders = BTreeSet::from([subject]);
    loop {
        let before = holders.len();
        for (group, member) in &built.edges {
            if holders.contains(member) {
                holders.insert(*group);
            }
        }
        if holders.len() == before {
            break;
        }
    }
    world
        .policies
        .iter()
        .any(|(member, policy_action, policy_scope)| {
            let Ok(granted_action) = ActionName::parse("action", ACTIONS[*policy_action]) else {
                return false;
            };
            let Ok(granted_scope) = ResourceScope::parse("scope", SCOPES[*policy_scope]) else {
                return false;
            };
            holders.contains(&built.subject(*member))
                && catalog.covers(&granted_action, &action)
                && granted_scope.covers(&scope)
        })
}

fn decisions(built: &Built) -> Vec<bool> {
    let mut answers = Vec::new();
    for subject in built.users.iter().chain(&built.groups) {
        for action in REQUEST_ACTIONS {
            for scope in REQUEST_SCOPES {
                answers.push(built.tenant.check(subject, action, scope).is_allowed());
            }
        }
    }
    answers
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("building the runtime failed: {error}"),
    }
}

fn run(cases: u32, test: impl Fn(World) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(error) = runner.run(&world_strategy(), test) {
        panic!("{error}");
    }
}

fn built_or_fail(result: Result<(Iam, Built), IamError>) -> Result<(Iam, Built), TestCaseError> {
    result.map_err(|error| TestCaseError::fail(format!("building the world failed: {error}")))
}

#[test]
fn check_equals_reference_evaluator() {
    let runtime = runtime();
    let catalog = catalog();
    run(64, |world| {
        let order: Vec<usize> = (0..world.policies.len()).collect();
        let (_iam, built) =
            built_or_fail(runtime.block_on(build(Arc::new(MemoryStore::new()), &world, &order)))?;
        for subject in built.users.iter().chain(&built.groups) {
            for action in REQUEST_ACTIONS {
                for scope in REQUEST_SCOPES {
                    let expected = reference(&world, &built, &catalog, *subject, action, scope);
                    let actual = built.tenant.check(subject, action, scope).is_allowed();
                    prop_assert_eq!(actual, expected, "{} {} {}", subject, action, scope);
                }
            }
        }
        Ok(())
    });
}

#[test]
fn decisions_ignore_insertion_order() {
    let runtime = runtime();
    run(32, |world| {
        let forward: Vec<usize> = (0..world.policies.len()).collect();
        let backward: Vec<usize> = forward.iter().rev().copied().collect();
        let (_a, first) =
            built_or_fail(runtime.block_on(build(Arc::new(MemoryStore::new()), &world, &forward)))?;
        let (_b, second) = built_or_fail(runtime.block_on(build(
            Arc::new(MemoryStore::new()),
            &world,
            &backward,
        )))?;
        prop_assert_eq!(decisions(&first), decisions(&second));
        Ok(())
    });
}

#[test]
fn grants_only_add_and_revokes_only_remove() {
    let runtime = runtime();
    run(32, |world| {
        let order: Vec<usize> = (0..world.policies.len()).collect();
        let (_iam, built) =
            built_or_fail(runtime.block_on(build(Arc::new(MemoryStore::new()), &world, &order)))?;
        let before = decisions(&built);
        let subject = built.users[0];
        runtime
            .block_on(
                built
                    .tenant
                    .create_policy(&subject, "app.data.read", "/a/b"),
            )
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let granted = decisions(&built);
        for (old, new) in before.iter().zip(&granted) {
            prop_assert!(!*old || *new, "a grant turned an allow into a deny");
        }
        if let Some((member, action, scope)) = world.policies.first() {
            let holder = built.subject(*member);
            runtime
                .block_on(
                    built
                        .tenant
                        .delete_policy(&holder, ACTIONS[*action], SCOPES[*scope]),
                )
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            let revoked = decisions(&built);
            for (old, new) in granted.iter().zip(&revoked) {
                prop_assert!(*old || !*new, "a revoke turned a deny into an allow");
            }
        }
        Ok(())
    });
}

/// Both durable backends give the same decisions as the in-memory store, after reopen.
#[test]
fn backends_agree_after_reopen() {
    let runtime = runtime();
    run(6, |world| {
        let order: Vec<usize> = (0..world.policies.len()).collect();
        let (_iam, reference_built) =
            built_or_fail(runtime.block_on(build(Arc::new(MemoryStore::new()), &world, &order)))?;
        let expected = decisions(&reference_built);
        let opened = |sled: bool, dir: &std::path::Path| -> Result<Arc<dyn Store>, TestCaseError> {
            let store: Arc<dyn Store> = if sled {
                Arc::new(
                    iam_store_sled::SledStore::open(dir)
                        .map_err(|error| TestCaseError::fail(error.to_string()))?,
                )
            } else {
                Arc::new(
                    iam_store_sqlite::SqliteStore::open(dir)
                        .map_err(|error| TestCaseError::fail(error.to_string()))?,
                )
            };
            Ok(store)
        };
        for sled in [false, true] {
            let dir =
                tempfile::tempdir().map_err(|error| TestCaseError::fail(error.to_string()))?;
            let (users, groups) = {
                let (iam, built) = built_or_fail(runtime.block_on(build(
                    opened(sled, dir.path())?,
                    &world,
                    &order,
                )))?;
                let ids = (built.users.clone(), built.groups.clone());
                drop(built);
                drop(iam);
                ids
            };
            let iam = runtime
                .block_on(
                    Iam::builder(opened(sled, dir.path())?)
                        .catalog(catalog())
                        .open(),
                )
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            let tenant_id = runtime
                .block_on(iam.find_tenant("t"))
                .ok()
                .flatten()
                .map(|tenant| tenant.id)
                .ok_or_else(|| TestCaseError::fail("tenant missing after reopen"))?;
            let tenant = runtime
                .block_on(iam.tenant(tenant_id, Actor::Operator))
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            let reopened = Built {
                tenant,
                users,
                groups,
                edges: Vec::new(),
            };
            prop_assert_eq!(&decisions(&reopened), &expected, "sled: {}", sled);
        }
        Ok(())
    });
}
