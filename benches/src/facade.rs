//! Building a [`Spec`] through the `Iam` facade, and checking requests against it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use iam_core::group::{GroupInput, MAX_MEMBERS_PER_CHANGE};
use iam_core::id::SubjectId;
use iam_core::store::Store;
use iam_core::user::NewUser;
use iam_core::{Actor, Iam, TenantIam};

use crate::BenchResult;
use crate::spec::{Member, Request, Spec, catalog, members_by_group};

/// The name of the one tenant that every fixture creates.
pub const TENANT_NAME: &str = "bench";

/// A spec written through the facade.
#[derive(Debug)]
pub struct Built {
    /// The facade.
    pub iam: Iam,
    /// The fixture's tenant, acting as the operator.
    pub tenant: TenantIam,
    /// The subject id of each user, by user number.
    pub users: Vec<SubjectId>,
    /// The subject id of each group, by group number.
    pub groups: Vec<SubjectId>,
    /// How long building took.
    pub elapsed: Duration,
}

/// A request with the facade's subject id, ready to time.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The requesting user.
    pub subject: SubjectId,
    /// The requested action.
    pub action: &'static str,
    /// The requested scope, as text.
    pub scope: String,
    /// The oracle's decision.
    pub expected: bool,
}

/// Opens a facade with the benchmark catalogue over `store`. Opening loads the policy
/// index of every tenant in the store.
///
/// # Errors
///
/// When the catalogue is invalid or loading fails.
pub async fn open(store: Arc<dyn Store>) -> BenchResult<Iam> {
    Ok(Iam::builder(store).catalog(catalog()?).open().await?)
}

/// Writes `spec` into `store` through the facade: one tenant, then the groups, the
/// users, the memberships (up to 100 members per change) and the policies. Every write is
/// a separate facade call, so each commits its own batch with an audit event.
///
/// # Errors
///
/// When the store is not empty of this fixture, or any write fails.
pub async fn build(spec: &Spec, store: Arc<dyn Store>) -> BenchResult<Built> {
    let started = Instant::now();
    let iam = open(store).await?;
    let tenant = iam.create_tenant(TENANT_NAME).await?;
    let tenant = iam.tenant(tenant.id, Actor::Operator).await?;

    let mut groups = Vec::with_capacity(spec.groups);
    for group in 0..spec.groups {
        let input = GroupInput {
            display_name: format!("g{group}"),
            description: String::new(),
        };
        groups.push(SubjectId::Group(tenant.create_group(input).await?.id));
    }

    let mut users = Vec::with_capacity(spec.users);
    for user in 0..spec.users {
        let input = NewUser {
            email: format!("u{user}@bench.example"),
            ..NewUser::default()
        };
        users.push(SubjectId::User(tenant.create_user(input).await?.id));
    }

    let mut by_group: Vec<(usize, Vec<Member>)> = members_by_group(spec).into_iter().collect();
    by_group.sort_by_key(|(group, _)| *group);
    for (group, members) in by_group {
        let SubjectId::Group(group_id) = groups[group] else {
            return Err(format!("group {group} has a subject id that is not a group").into());
        };
        let ids: Vec<SubjectId> = members
            .iter()
            .map(|member| match *member {
                Member::User(user) => users[user],
                Member::Group(child) => groups[child],
            })
            .collect();
        for chunk in ids.chunks(MAX_MEMBERS_PER_CHANGE) {
            tenant.add_members(group_id, chunk).await?;
        }
    }

    for policy in &spec.policies {
        tenant
            .create_policy(&groups[policy.group], policy.action, &policy.scope)
            .await?;
    }

    Ok(Built {
        iam,
        tenant,
        users,
        groups,
        elapsed: started.elapsed(),
    })
}

/// Returns the tenant of a store that [`build`] filled, opened as the operator.
///
/// # Errors
///
/// When the store has no tenant named [`TENANT_NAME`].
pub async fn fixture_tenant(iam: &Iam) -> BenchResult<TenantIam> {
    let tenant = iam.find_tenant(TENANT_NAME).await?.ok_or_else(|| {
        format!("the store has no tenant `{TENANT_NAME}`; build the fixture first")
    })?;
    Ok(iam.tenant(tenant.id, Actor::Operator).await?)
}

impl Built {
    /// Maps oracle requests to facade subject ids.
    pub fn prepare(&self, requests: &[Request]) -> Vec<Prepared> {
        requests
            .iter()
            .map(|request| Prepared {
                subject: self.users[request.user],
                action: request.action,
                scope: request.scope.clone(),
                expected: request.expected,
            })
            .collect()
    }
}

/// Checks every request through `tenant` and compares each decision with the oracle.
///
/// # Errors
///
/// On the first request whose decision differs, naming the request and the decision.
pub fn verify(tenant: &TenantIam, requests: &[Prepared]) -> BenchResult<()> {
    for (position, request) in requests.iter().enumerate() {
        let decision = tenant.check(&request.subject, request.action, &request.scope);
        if decision.is_allowed() != request.expected {
            return Err(format!(
                "request {position} ({}, {}, {}): the facade decided `{decision}`, the oracle {}",
                request.subject,
                request.action,
                request.scope,
                if request.expected { "allows" } else { "denies" }
            )
            .into());
        }
    }
    Ok(())
}
