//! Engine-neutral workload descriptions and the reference oracle that decides them.

use std::collections::HashMap;

use iam_core::action::ActionCatalog;

use crate::BenchResult;

/// One action of the benchmark catalogue and its parent, which covers it.
#[derive(Debug, Clone, Copy)]
pub struct ActionDef {
    /// The action name.
    pub name: &'static str,
    /// The parent action, if any.
    pub parent: Option<&'static str>,
}

/// The action that covers the other `app` actions.
pub const APP_MANAGE: &str = "app.manage";
/// Reading application data; covered by [`APP_MANAGE`].
pub const APP_READ: &str = "app.read";
/// Changing application data; covered by [`APP_MANAGE`].
pub const APP_WRITE: &str = "app.write";
/// The `app` actions, in the order policies of the RBAC shapes cycle through them.
pub const APP_ACTIONS: [&str; 3] = [APP_READ, APP_WRITE, APP_MANAGE];

/// A chain of five actions for the action-depth workload: `deep.l1` covers `deep.l2`,
/// which covers `deep.l3`, and so on. `DEEP_ACTIONS[d - 1]` is at depth `d`.
pub const DEEP_ACTIONS: [&str; 5] = ["deep.l1", "deep.l2", "deep.l3", "deep.l4", "deep.l5"];

/// The benchmark catalogue, in definition order.
pub const ACTIONS: [ActionDef; 8] = [
    ActionDef {
        name: APP_MANAGE,
        parent: None,
    },
    ActionDef {
        name: APP_READ,
        parent: Some(APP_MANAGE),
    },
    ActionDef {
        name: APP_WRITE,
        parent: Some(APP_MANAGE),
    },
    ActionDef {
        name: DEEP_ACTIONS[0],
        parent: None,
    },
    ActionDef {
        name: DEEP_ACTIONS[1],
        parent: Some(DEEP_ACTIONS[0]),
    },
    ActionDef {
        name: DEEP_ACTIONS[2],
        parent: Some(DEEP_ACTIONS[1]),
    },
    ActionDef {
        name: DEEP_ACTIONS[3],
        parent: Some(DEEP_ACTIONS[2]),
    },
    ActionDef {
        name: DEEP_ACTIONS[4],
        parent: Some(DEEP_ACTIONS[3]),
    },
];

/// Builds the `iam-core` catalogue of [`ACTIONS`] (plus the built-in `iam` actions).
///
/// # Errors
///
/// When `iam-core` rejects a definition.
pub fn catalog() -> BenchResult<ActionCatalog> {
    let mut builder = ActionCatalog::builder();
    for action in ACTIONS {
        builder = builder.action(
            action.name,
            format!("benchmark action {}", action.name),
            action.parent,
        );
    }
    Ok(builder.build()?)
}

/// Returns `action` followed by its ancestors in [`ACTIONS`], nearest first.
pub fn action_chain(action: &str) -> Vec<&'static str> {
    let mut chain = Vec::new();
    let mut current = ACTIONS.iter().find(|def| def.name == action);
    while let Some(def) = current {
        chain.push(def.name);
        current = def
            .parent
            .and_then(|parent| ACTIONS.iter().find(|def| def.name == parent));
    }
    chain
}

/// A member of a group, by index into the spec's users or groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    /// User number `n`.
    User(usize),
    /// Group number `n`.
    Group(usize),
}

/// A policy held by a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySpec {
    /// The index of the group that is granted the policy.
    pub group: usize,
    /// The granted action, one of [`ACTIONS`].
    pub action: &'static str,
    /// The granted scope: a relative path such as `/data/12`.
    pub scope: String,
}

/// A workload's users, groups, memberships and policies, by index. Users are numbered
/// `0..users` and groups `0..groups`; every engine names them from these numbers.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// The number of users.
    pub users: usize,
    /// The number of groups.
    pub groups: usize,
    /// Direct memberships as (group, member).
    pub memberships: Vec<(usize, Member)>,
    /// Policies, all held by groups.
    pub policies: Vec<PolicySpec>,
}

/// A request by user number, with the oracle's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The requesting user's number.
    pub user: usize,
    /// The requested action.
    pub action: &'static str,
    /// The requested scope, as text.
    pub scope: String,
    /// True when the oracle allows the request.
    pub expected: bool,
}

/// A direct evaluator of a [`Spec`], written from the policy semantics of `iam-core`
/// (see `iam_core::policy`) without sharing its code: a user may perform an action on a
/// scope when a group that contains the user, directly or through other groups, holds a
/// policy whose action is the requested one or one of its ancestors, and whose scope is
/// the requested scope or a whole-segment prefix of it.
#[derive(Debug)]
pub struct Oracle {
    user_groups: Vec<Vec<usize>>,
    group_parents: Vec<Vec<usize>>,
    group_policies: Vec<Vec<(&'static str, String)>>,
}

impl Oracle {
    /// Indexes `spec` for deciding requests.
    pub fn new(spec: &Spec) -> Self {
        let mut user_groups = vec![Vec::new(); spec.users];
        let mut group_parents = vec![Vec::new(); spec.groups];
        for &(group, member) in &spec.memberships {
            match member {
                Member::User(user) => user_groups[user].push(group),
                Member::Group(child) => group_parents[child].push(group),
            }
        }
        let mut group_policies = vec![Vec::new(); spec.groups];
        for policy in &spec.policies {
            group_policies[policy.group].push((policy.action, policy.scope.clone()));
        }
        Self {
            user_groups,
            group_parents,
            group_policies,
        }
    }

    /// Returns every group that contains `user`, directly or transitively.
    pub fn groups_of(&self, user: usize) -> Vec<usize> {
        let mut seen: Vec<usize> = Vec::new();
        let mut queue: Vec<usize> = self.user_groups[user].clone();
        while let Some(group) = queue.pop() {
            if !seen.contains(&group) {
                seen.push(group);
                queue.extend(self.group_parents[group].iter().copied());
            }
        }
        seen
    }

    /// Decides whether `user` may perform `action` on `scope`.
    pub fn decide(&self, user: usize, action: &str, scope: &str) -> bool {
        let covering_actions = action_chain(action);
        self.groups_of(user).into_iter().any(|group| {
            self.group_policies[group]
                .iter()
                .any(|(granted_action, granted_scope)| {
                    covering_actions.contains(granted_action) && scope_covers(granted_scope, scope)
                })
        })
    }

    /// Returns the policies held by `group`.
    pub fn policies_of(&self, group: usize) -> &[(&'static str, String)] {
        &self.group_policies[group]
    }

    /// Returns the groups that contain `user` directly.
    pub fn direct_groups(&self, user: usize) -> &[usize] {
        &self.user_groups[user]
    }
}

/// Returns true when the relative scope `granted` covers `requested` by whole segments:
/// `/data/12` covers `/data/12` and `/data/12/x`, but not `/data/123`.
pub fn scope_covers(granted: &str, requested: &str) -> bool {
    granted == "/"
        || requested == granted
        || (requested.starts_with(granted)
            && requested.as_bytes().get(granted.len()) == Some(&b'/'))
}

/// Returns the scope and every scope above it up to the root `/`: `/a/b` gives `/a/b`,
/// `/a` and `/`.
pub fn scope_ancestors_and_self(scope: &str) -> Vec<String> {
    let mut chain = vec![scope.to_owned()];
    let mut current = scope;
    while let Some(slash) = current.rfind('/') {
        current = if slash == 0 { "/" } else { &current[..slash] };
        if chain.last().is_some_and(|last| last == current) {
            break;
        }
        chain.push(current.to_owned());
    }
    chain
}

/// Returns the direct members of each group, for engines that add members in batches.
pub fn members_by_group(spec: &Spec) -> HashMap<usize, Vec<Member>> {
    let mut by_group: HashMap<usize, Vec<Member>> = HashMap::new();
    for &(group, member) in &spec.memberships {
        by_group.entry(group).or_default().push(member);
    }
    by_group
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_covers_whole_segments() {
        assert!(scope_covers("/subscriptions/12", "/subscriptions/12"));
        assert!(scope_covers("/subscriptions/12", "/subscriptions/12/x"));
        assert!(!scope_covers("/subscriptions/12", "/subscriptions/123"));
        assert!(!scope_covers("/subscriptions/12", "/subscriptions"));
        assert!(scope_covers("/", "/anything"));
    }

    #[test]
    fn scope_ancestors_run_to_root() {
        assert_eq!(scope_ancestors_and_self("/a/b"), ["/a/b", "/a", "/"]);
        assert_eq!(scope_ancestors_and_self("/a"), ["/a", "/"]);
        assert_eq!(scope_ancestors_and_self("/"), ["/"]);
    }

    #[test]
    fn action_chain_runs_to_root() {
        assert_eq!(action_chain(APP_READ), [APP_READ, APP_MANAGE]);
        assert_eq!(action_chain(DEEP_ACTIONS[4]).len(), 5);
        assert!(action_chain("unknown.action").is_empty());
    }

    #[test]
    fn catalog_accepts_benchmark_actions() {
        let catalog = catalog().unwrap_or_else(|error| panic!("{error}"));
        assert!(catalog.len() >= ACTIONS.len());
    }

    #[test]
    fn oracle_follows_nested_groups() {
        let spec = Spec {
            users: 1,
            groups: 2,
            memberships: vec![(0, Member::User(0)), (1, Member::Group(0))],
            policies: vec![PolicySpec {
                group: 1,
                action: APP_MANAGE,
                scope: "/data/1".into(),
            }],
        };
        let oracle = Oracle::new(&spec);
        assert!(oracle.decide(0, APP_READ, "/data/1/x"));
        assert!(!oracle.decide(0, APP_READ, "/data/12"));
        assert!(!oracle.decide(0, DEEP_ACTIONS[0], "/data/1"));
    }
}
