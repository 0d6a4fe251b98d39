//! The benchmark workloads: RBAC shapes, policy-count growth and depth series, each with
//! a sampler of balanced requests.

use std::collections::HashSet;

use crate::BenchResult;
use crate::rng::SplitMix64;
use crate::spec::{APP_ACTIONS, DEEP_ACTIONS, Member, Oracle, PolicySpec, Request, Spec};

/// How many distinct requests each timed loop cycles through.
pub const REQUESTS: usize = 10_000;

/// How many users share one group in the RBAC shapes and the policy-growth workload.
pub const USERS_PER_GROUP: usize = 10;

/// The RBAC shapes of casbin's published benchmark: users with one role each, ten users
/// per role, and one policy per role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 1,000 users in 100 groups.
    Small,
    /// 10,000 users in 1,000 groups.
    Medium,
    /// 100,000 users in 10,000 groups.
    Large,
}

impl Shape {
    /// Returns the number of users.
    pub fn users(self) -> usize {
        match self {
            Shape::Small => 1_000,
            Shape::Medium => 10_000,
            Shape::Large => 100_000,
        }
    }

    /// Returns the number of groups.
    pub fn groups(self) -> usize {
        self.users() / USERS_PER_GROUP
    }

    /// Returns the shape's name in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Small => "small",
            Shape::Medium => "medium",
            Shape::Large => "large",
        }
    }
}

/// Builds an RBAC shape: user `u` is in group `u / 10`, and group `g` holds one policy on
/// `/data/<g / 10>` whose action cycles through read, write and manage. So ten groups
/// share a data scope, as ten roles share a data object in casbin's benchmark.
pub fn rbac_shape(shape: Shape) -> Spec {
    let users = shape.users();
    let groups = shape.groups();
    Spec {
        users,
        groups,
        memberships: (0..users)
            .map(|user| (user / USERS_PER_GROUP, Member::User(user)))
            .collect(),
        policies: (0..groups)
            .map(|group| PolicySpec {
                group,
                action: APP_ACTIONS[group % APP_ACTIONS.len()],
                scope: format!("/data/{}", group / 10),
            })
            .collect(),
    }
}

/// Samples [`REQUESTS`] balanced requests for an RBAC shape. Each candidate is a random
/// user with a random action on one of: a scope below its group's data scope, that scope
/// itself, a sibling whose name extends it (`/data/12` against `/data/123`), or another
/// group's data scope.
///
/// # Errors
///
/// When sampling cannot find enough distinct allowed or denied requests.
pub fn rbac_requests(spec: &Spec, oracle: &Oracle, seed: u64) -> BenchResult<Vec<Request>> {
    let data_scopes = spec.groups.div_ceil(10);
    balanced(oracle, seed, |rng| {
        let user = rng.below(spec.users);
        let data = (user / USERS_PER_GROUP) / 10;
        let action = APP_ACTIONS[rng.below(APP_ACTIONS.len())];
        let item = rng.below(1_000_000);
        let scope = match rng.below(4) {
            0 => format!("/data/{data}/items/{item}"),
            1 => format!("/data/{data}"),
            2 => format!("/data/{data}{}/items/{item}", rng.below(10)),
            _ => format!("/data/{}/items/{item}", rng.below(data_scopes)),
        };
        (user, action, scope)
    })
}

/// The number of groups in the policy-growth workload, which has ten users per group.
pub const GROWTH_GROUPS: usize = 1_000;

/// Builds the policy-growth workload: 10,000 users in 1,000 groups, and `policies`
/// policies spread evenly over the groups. Policy `k` is held by group `k % 1000` on
/// `/data/<k>`, with an action cycling through read, write and manage.
pub fn policy_growth(policies: usize) -> Spec {
    let users = GROWTH_GROUPS * USERS_PER_GROUP;
    Spec {
        users,
        groups: GROWTH_GROUPS,
        memberships: (0..users)
            .map(|user| (user / USERS_PER_GROUP, Member::User(user)))
            .collect(),
        policies: (0..policies)
            .map(|k| PolicySpec {
                group: k % GROWTH_GROUPS,
                action: APP_ACTIONS[(k + k / GROWTH_GROUPS) % APP_ACTIONS.len()],
                scope: format!("/data/{k}"),
            })
            .collect(),
    }
}

/// Samples [`REQUESTS`] balanced requests for [`policy_growth`]: a random user asks for a
/// random action on one of its group's scopes (below it or exactly), on a sibling whose
/// name extends it, or on another group's scope.
///
/// # Errors
///
/// When sampling cannot find enough distinct allowed or denied requests.
pub fn policy_growth_requests(
    spec: &Spec,
    oracle: &Oracle,
    seed: u64,
) -> BenchResult<Vec<Request>> {
    let total = spec.policies.len().max(1);
    balanced(oracle, seed, |rng| {
        let user = rng.below(spec.users);
        let group = user / USERS_PER_GROUP;
        let held = oracle.policies_of(group);
        let action = APP_ACTIONS[rng.below(APP_ACTIONS.len())];
        let item = rng.below(1_000_000);
        let own = if held.is_empty() {
            "/data/none"
        } else {
            held[rng.below(held.len())].1.as_str()
        };
        let scope = match rng.below(4) {
            0 => format!("{own}/items/{item}"),
            1 => own.to_owned(),
            2 => format!("{own}{}/items/{item}", rng.below(10)),
            _ => format!("/data/{}/items/{item}", rng.below(total)),
        };
        (user, action, scope)
    })
}

/// The number of group chains in each family of [`dimensions`].
pub const CHAINS: usize = 100;
/// The number of users in each family of [`dimensions`].
pub const FAMILY_USERS: usize = 10_000;
/// The deepest group nesting of [`dimensions`].
pub const MAX_NESTING: usize = 8;

/// Builds the workload of the depth series. It has [`MAX_NESTING`] families. Family `n`
/// has [`CHAINS`] chains of `n` nested groups and [`FAMILY_USERS`] users, 100 in the
/// innermost group of each chain. The outermost group of chain `c` holds one policy:
/// `deep.l1` (the root of the action chain) on `/r<n>-<c>`, a scope of depth 1.
pub fn dimensions() -> Spec {
    let mut spec = Spec::default();
    for nesting in 1..=MAX_NESTING {
        let group_base = spec.groups;
        let user_base = spec.users;
        for chain in 0..CHAINS {
            let chain_base = group_base + chain * nesting;
            for level in 1..nesting {
                spec.memberships
                    .push((chain_base + level, Member::Group(chain_base + level - 1)));
            }
            spec.policies.push(PolicySpec {
                group: chain_base + nesting - 1,
                action: DEEP_ACTIONS[0],
                scope: family_scope(nesting, chain),
            });
        }
        for local in 0..FAMILY_USERS {
            let chain = local / (FAMILY_USERS / CHAINS);
            spec.memberships.push((
                group_base + chain * nesting,
                Member::User(user_base + local),
            ));
        }
        spec.groups += CHAINS * nesting;
        spec.users += FAMILY_USERS;
    }
    spec
}

/// Returns the scope granted to chain `chain` of family `nesting` in [`dimensions`].
fn family_scope(nesting: usize, chain: usize) -> String {
    format!("/r{nesting}-{chain}")
}

/// Which dimension a depth series varies; the other two stay at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The number of segments of the requested scope (1 to 10). The grant is at depth 1,
    /// so a check walks every segment.
    ScopeDepth(usize),
    /// The depth of the requested action in its chain (1 to 5). The grant is the root
    /// action, so a check walks the whole chain.
    ActionDepth(usize),
    /// The number of nested groups between the user and the policy (1 to 8).
    Nesting(usize),
}

/// Samples [`REQUESTS`] balanced requests for one point of a depth series over
/// [`dimensions`]. Allowed requests target the user's own chain; denied ones target
/// another chain's scope or a sibling whose name extends the granted one.
///
/// # Errors
///
/// When the dimension is out of range or sampling cannot find enough requests.
pub fn dimension_requests(
    oracle: &Oracle,
    dimension: Dimension,
    seed: u64,
) -> BenchResult<Vec<Request>> {
    let (nesting, scope_depth, action_depth) = match dimension {
        Dimension::ScopeDepth(depth) => (1, depth, 1),
        Dimension::ActionDepth(depth) => (1, 1, depth),
        Dimension::Nesting(nesting) => (nesting, 1, 1),
    };
    if !(1..=MAX_NESTING).contains(&nesting)
        || !(1..=10).contains(&scope_depth)
        || !(1..=DEEP_ACTIONS.len()).contains(&action_depth)
    {
        return Err(format!("dimension {dimension:?} is out of range").into());
    }
    let user_base = (nesting - 1) * FAMILY_USERS;
    let action = DEEP_ACTIONS[action_depth - 1];
    balanced(oracle, seed, |rng| {
        let local = rng.below(FAMILY_USERS);
        let own_chain = local / (FAMILY_USERS / CHAINS);
        let mut scope = match rng.below(3) {
            0 | 1 => family_scope(nesting, own_chain),
            _ if rng.below(2) == 0 => {
                format!("{}{}", family_scope(nesting, own_chain), rng.below(10))
            }
            _ => family_scope(nesting, (own_chain + 1 + rng.below(CHAINS - 1)) % CHAINS),
        };
        for segment in 2..=scope_depth {
            if segment == scope_depth {
                scope.push_str(&format!("/k{}", rng.below(1_000_000)));
            } else {
                scope.push_str(&format!("/s{segment}"));
            }
        }
        (user_base + local, action, scope)
    })
}

/// Draws candidates until it has `REQUESTS / 2` distinct allowed and as many distinct
/// denied requests, as the oracle decides them, and returns them alternating allowed and
/// denied.
fn balanced(
    oracle: &Oracle,
    seed: u64,
    mut candidate: impl FnMut(&mut SplitMix64) -> (usize, &'static str, String),
) -> BenchResult<Vec<Request>> {
    const MAX_ATTEMPTS: usize = 100 * REQUESTS;
    let half = REQUESTS / 2;
    let mut rng = SplitMix64::new(seed);
    let mut seen: HashSet<(usize, &'static str, String)> = HashSet::new();
    let mut allowed = Vec::with_capacity(half);
    let mut denied = Vec::with_capacity(half);
    for _ in 0..MAX_ATTEMPTS {
        if allowed.len() == half && denied.len() == half {
            break;
        }
        let (user, action, scope) = candidate(&mut rng);
        let expected = oracle.decide(user, action, &scope);
        let bucket = if expected { &mut allowed } else { &mut denied };
        if bucket.len() == half || !seen.insert((user, action, scope.clone())) {
            continue;
        }
        bucket.push(Request {
            user,
            action,
            scope,
            expected,
        });
    }
    if allowed.len() < half || denied.len() < half {
        return Err(format!(
            "sampling found {} allowed and {} denied distinct requests in {MAX_ATTEMPTS} attempts, not {half} of each",
            allowed.len(),
            denied.len()
        )
        .into());
    }
    Ok(allowed
        .into_iter()
        .zip(denied)
        .flat_map(|(allow, deny)| [allow, deny])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_balanced(requests: &[Request]) {
        assert_eq!(requests.len(), REQUESTS);
        let allowed = requests.iter().filter(|request| request.expected).count();
        assert_eq!(allowed, REQUESTS / 2);
        let distinct: HashSet<_> = requests
            .iter()
            .map(|r| (r.user, r.action, r.scope.clone()))
            .collect();
        assert_eq!(distinct.len(), REQUESTS);
    }

    #[test]
    fn small_shape_requests_balanced() {
        let spec = rbac_shape(Shape::Small);
        assert_eq!(spec.memberships.len(), 1_000);
        assert_eq!(spec.policies.len(), 100);
        let oracle = Oracle::new(&spec);
        let requests = rbac_requests(&spec, &oracle, 1).unwrap_or_else(|error| panic!("{error}"));
        assert_balanced(&requests);
    }

    #[test]
    fn growth_requests_balanced() {
        let spec = policy_growth(2_000);
        let oracle = Oracle::new(&spec);
        let requests =
            policy_growth_requests(&spec, &oracle, 1).unwrap_or_else(|error| panic!("{error}"));
        assert_balanced(&requests);
    }

    #[test]
    fn dimension_requests_balanced() {
        let spec = dimensions();
        assert_eq!(spec.users, MAX_NESTING * FAMILY_USERS);
        let oracle = Oracle::new(&spec);
        for dimension in [
            Dimension::ScopeDepth(1),
            Dimension::ScopeDepth(10),
            Dimension::ActionDepth(5),
            Dimension::Nesting(8),
        ] {
            let requests =
                dimension_requests(&oracle, dimension, 1).unwrap_or_else(|error| panic!("{error}"));
            assert_balanced(&requests);
        }
    }

    #[test]
    fn nesting_reaches_outer_group() {
        let spec = dimensions();
        let oracle = Oracle::new(&spec);
        let user = 7 * FAMILY_USERS;
        assert_eq!(oracle.groups_of(user).len(), 8);
        assert!(oracle.decide(user, DEEP_ACTIONS[0], "/r8-0"));
        assert!(!oracle.decide(user, DEEP_ACTIONS[0], "/r8-1"));
    }
}
