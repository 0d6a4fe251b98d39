//! The same workloads in casbin-rs and cedar-policy, for side-by-side timing.
//!
//! Both engines name users `u<n>` and groups `g<n>` after the spec's numbers, and use the
//! spec's action names and scope text unchanged.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use casbin::{
    CachedApi, CachedEnforcer, CoreApi, DefaultCache, DefaultModel, EnforceArgs, Enforcer,
    MemoryAdapter, MgmtApi,
};
use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet,
};

use crate::BenchResult;
use crate::spec::{ACTIONS, Member, Request, Spec, scope_ancestors_and_self};

/// The casbin model equivalent to the `iam-core` semantics for these workloads:
///
/// - `g` links users to groups and groups to containing groups. casbin's role manager
///   follows links up to 10 levels, more than any workload here uses.
/// - `g2` links each action to its parent, so a policy on `app.manage` covers a request
///   for `app.read`.
/// - the scope matches when it equals the policy's scope or lies below it. `keyMatch`
///   with `<scope>/*` is a plain prefix test on `<scope>/`, so `/data/12` does not match
///   `/data/123`.
pub const CASBIN_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && g2(r.act, p.act) && (r.obj == p.obj || keyMatch(r.obj, p.obj + "/*"))
"#;

/// Returns the casbin name of user `user`.
pub fn user_name(user: usize) -> String {
    format!("u{user}")
}

/// Returns the casbin name of group `group`.
pub fn group_name(group: usize) -> String {
    format!("g{group}")
}

fn member_name(member: Member) -> String {
    match member {
        Member::User(user) => user_name(user),
        Member::Group(group) => group_name(group),
    }
}

/// A request in casbin's terms, with the oracle's decision.
#[derive(Debug, Clone)]
pub struct CasbinRequest {
    /// The user's casbin name.
    pub subject: String,
    /// The requested scope.
    pub object: String,
    /// The requested action.
    pub action: &'static str,
    /// The oracle's decision.
    pub expected: bool,
}

/// Maps oracle requests to casbin's names.
pub fn casbin_requests(requests: &[Request]) -> Vec<CasbinRequest> {
    requests
        .iter()
        .map(|request| CasbinRequest {
            subject: user_name(request.user),
            object: request.scope.clone(),
            action: request.action,
            expected: request.expected,
        })
        .collect()
}

/// Loads `spec` into a casbin enforcer: one `p` rule per policy, one `g` rule per
/// membership and one `g2` rule per action with a parent.
async fn load_casbin<E: MgmtApi>(enforcer: &mut E, spec: &Spec) -> BenchResult<()> {
    let policies: Vec<Vec<String>> = spec
        .policies
        .iter()
        .map(|policy| {
            vec![
                group_name(policy.group),
                policy.scope.clone(),
                policy.action.to_owned(),
            ]
        })
        .collect();
    enforcer.add_policies(policies).await?;
    let memberships: Vec<Vec<String>> = spec
        .memberships
        .iter()
        .map(|&(group, member)| vec![member_name(member), group_name(group)])
        .collect();
    enforcer.add_grouping_policies(memberships).await?;
    let action_links: Vec<Vec<String>> = ACTIONS
        .iter()
        .filter_map(|action| {
            action
                .parent
                .map(|parent| vec![action.name.to_owned(), parent.to_owned()])
        })
        .collect();
    enforcer
        .add_named_grouping_policies("g2", action_links)
        .await?;
    Ok(())
}

/// Builds a plain casbin `Enforcer` for `spec`.
///
/// # Errors
///
/// When casbin rejects the model or a rule.
pub async fn casbin_enforcer(spec: &Spec) -> BenchResult<Enforcer> {
    let model = DefaultModel::from_str(CASBIN_MODEL).await?;
    let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await?;
    load_casbin(&mut enforcer, spec).await?;
    Ok(enforcer)
}

/// Builds a casbin `CachedEnforcer` for `spec` whose cache has room for `capacity`
/// decisions (casbin's default has room for 200).
///
/// # Errors
///
/// When casbin rejects the model or a rule.
pub async fn casbin_cached_enforcer(spec: &Spec, capacity: usize) -> BenchResult<CachedEnforcer> {
    let model = DefaultModel::from_str(CASBIN_MODEL).await?;
    let mut enforcer = CachedEnforcer::new(model, MemoryAdapter::default()).await?;
    enforcer.set_cache(Box::new(DefaultCache::new(capacity)));
    load_casbin(&mut enforcer, spec).await?;
    Ok(enforcer)
}

/// Enforces every request on `threads` threads and compares each decision with the oracle.
/// On a `CachedEnforcer` this also fills the cache.
///
/// # Errors
///
/// On the first request whose decision differs, or a casbin error.
pub fn verify_casbin<E: CoreApi + Sync>(
    enforcer: &E,
    requests: &[CasbinRequest],
    threads: usize,
) -> BenchResult<()> {
    let chunk = requests.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = requests
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> Result<(), String> {
                    for request in part {
                        let allowed = enforcer
                            .enforce((
                                request.subject.as_str(),
                                request.object.as_str(),
                                request.action,
                            ))
                            .map_err(|error| error.to_string())?;
                        if allowed != request.expected {
                            return Err(mismatch(
                                "casbin",
                                &request.subject,
                                request.action,
                                &request.object,
                                request.expected,
                            ));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| "a casbin verification thread panicked".to_owned())??;
        }
        Ok(())
    })
}

/// Confirms that every request is in the `CachedEnforcer`'s cache, so that timing it
/// measures cache hits only.
///
/// # Errors
///
/// Naming the first request that is not cached.
pub fn assert_all_cached(
    enforcer: &mut CachedEnforcer,
    requests: &[CasbinRequest],
) -> BenchResult<()> {
    let cache = enforcer.get_mut_cache();
    for request in requests {
        let key = (
            request.subject.as_str(),
            request.object.as_str(),
            request.action,
        )
            .cache_key();
        if !cache.has(&key) {
            return Err(format!(
                "casbin's cache lacks ({}, {}, {})",
                request.subject, request.object, request.action
            )
            .into());
        }
    }
    Ok(())
}

fn mismatch(engine: &str, subject: &str, action: &str, scope: &str, expected: bool) -> String {
    format!(
        "{engine} decided ({subject}, {action}, {scope}) differently from the oracle, which {}",
        if expected { "allows it" } else { "denies it" }
    )
}

/// The workload as cedar entities and policies.
///
/// Users have their groups as parents, groups their containing groups, each scope the
/// scope above it, and each action its parent action. Each policy reads
/// `permit(principal in Group::"g<n>", action in Action::"<action>", resource in
/// Scope::"<scope>");`, so cedar's `in` does the work of group closure, action coverage
/// and scope coverage.
#[derive(Debug)]
pub struct Cedar {
    /// The authorizer.
    pub authorizer: Authorizer,
    /// One policy per spec policy.
    pub policies: PolicySet,
    /// Users, groups, scopes and actions.
    pub entities: Entities,
}

/// A request's entity ids, with the oracle's decision. Timing builds the cedar `Request`
/// from these, as a caller holding ids would.
#[derive(Debug, Clone)]
pub struct CedarRequest {
    /// The user.
    pub principal: EntityUid,
    /// The action.
    pub action: EntityUid,
    /// The scope.
    pub resource: EntityUid,
    /// The oracle's decision.
    pub expected: bool,
}

fn uid(type_name: &str, id: &str) -> BenchResult<EntityUid> {
    Ok(EntityUid::from_type_name_and_id(
        EntityTypeName::from_str(type_name)?,
        EntityId::new(id),
    ))
}

impl Cedar {
    /// Builds the entities and policies of `spec`, with a scope entity for every scope
    /// that a policy or one of `requests` names, and for every scope above those.
    ///
    /// # Errors
    ///
    /// When cedar rejects an entity or the policy text.
    pub fn new(spec: &Spec, requests: &[Request]) -> BenchResult<Self> {
        let mut parents: HashMap<EntityUid, HashSet<EntityUid>> = HashMap::new();
        for user in 0..spec.users {
            parents.insert(uid("User", &user_name(user))?, HashSet::new());
        }
        for group in 0..spec.groups {
            parents.insert(uid("Group", &group_name(group))?, HashSet::new());
        }
        for &(group, member) in &spec.memberships {
            let child = match member {
                Member::User(user) => uid("User", &user_name(user))?,
                Member::Group(child) => uid("Group", &group_name(child))?,
            };
            parents
                .entry(child)
                .or_default()
                .insert(uid("Group", &group_name(group))?);
        }
        for action in ACTIONS {
            let entry = parents.entry(uid("Action", action.name)?).or_default();
            if let Some(parent) = action.parent {
                entry.insert(uid("Action", parent)?);
            }
        }
        let scopes = spec
            .policies
            .iter()
            .map(|policy| &policy.scope)
            .chain(requests.iter().map(|request| &request.scope));
        for scope in scopes {
            let chain = scope_ancestors_and_self(scope);
            for pair in chain.windows(2) {
                parents
                    .entry(uid("Scope", &pair[0])?)
                    .or_default()
                    .insert(uid("Scope", &pair[1])?);
            }
            if let Some(root) = chain.last() {
                parents.entry(uid("Scope", root)?).or_default();
            }
        }
        let entities = Entities::from_entities(
            parents
                .into_iter()
                .map(|(entity, parents)| Entity::new_no_attrs(entity, parents)),
            None,
        )?;

        let mut text = String::new();
        for policy in &spec.policies {
            text.push_str(&format!(
                "permit(principal in Group::\"{}\", action in Action::\"{}\", resource in Scope::\"{}\");\n",
                group_name(policy.group),
                policy.action,
                policy.scope
            ));
        }
        let policies = PolicySet::from_str(&text)?;
        Ok(Self {
            authorizer: Authorizer::new(),
            policies,
            entities,
        })
    }

    /// Maps oracle requests to entity ids.
    ///
    /// # Errors
    ///
    /// When an id is not a valid cedar entity id.
    pub fn requests(requests: &[Request]) -> BenchResult<Vec<CedarRequest>> {
        requests
            .iter()
            .map(|request| {
                Ok(CedarRequest {
                    principal: uid("User", &user_name(request.user))?,
                    action: uid("Action", request.action)?,
                    resource: uid("Scope", &request.scope)?,
                    expected: request.expected,
                })
            })
            .collect()
    }

    /// Decides one request.
    ///
    /// # Errors
    ///
    /// When cedar rejects the request.
    pub fn is_allowed(&self, request: &CedarRequest) -> BenchResult<bool> {
        let request = cedar_policy::Request::new(
            request.principal.clone(),
            request.action.clone(),
            request.resource.clone(),
            Context::empty(),
            None,
        )?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &self.entities);
        Ok(response.decision() == cedar_policy::Decision::Allow)
    }

    /// Decides `requests` on `threads` threads and compares each decision with the oracle.
    ///
    /// # Errors
    ///
    /// On the first request whose decision differs, or a cedar error.
    pub fn verify(&self, requests: &[CedarRequest], threads: usize) -> BenchResult<()> {
        let chunk = requests.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = requests
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || -> Result<(), String> {
                        for request in part {
                            let allowed = self
                                .is_allowed(request)
                                .map_err(|error| error.to_string())?;
                            if allowed != request.expected {
                                return Err(mismatch(
                                    "cedar",
                                    &request.principal.to_string(),
                                    &request.action.to_string(),
                                    &request.resource.to_string(),
                                    request.expected,
                                ));
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            for worker in workers {
                worker
                    .join()
                    .map_err(|_| "a cedar verification thread panicked".to_owned())??;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{APP_MANAGE, APP_READ, APP_WRITE, PolicySpec};

    fn small_spec() -> Spec {
        Spec {
            users: 2,
            groups: 2,
            memberships: vec![
                (0, Member::User(0)),
                (1, Member::Group(0)),
                (1, Member::User(1)),
            ],
            policies: vec![
                PolicySpec {
                    group: 1,
                    action: APP_MANAGE,
                    scope: "/subscriptions/12".into(),
                },
                PolicySpec {
                    group: 0,
                    action: APP_READ,
                    scope: "/data".into(),
                },
            ],
        }
    }

    fn request(user: usize, action: &'static str, scope: &str, expected: bool) -> Request {
        Request {
            user,
            action,
            scope: scope.into(),
            expected,
        }
    }

    fn cases() -> Vec<Request> {
        vec![
            request(0, APP_WRITE, "/subscriptions/12", true),
            request(0, APP_READ, "/subscriptions/12/vm/1", true),
            request(0, APP_READ, "/subscriptions/123", false),
            request(1, APP_READ, "/data/x", false),
            request(0, APP_READ, "/data/x", true),
            request(0, APP_WRITE, "/data/x", false),
            request(1, APP_WRITE, "/subscriptions/1", false),
        ]
    }

    #[test]
    fn cases_match_oracle() {
        let oracle = crate::spec::Oracle::new(&small_spec());
        for case in cases() {
            assert_eq!(
                oracle.decide(case.user, case.action, &case.scope),
                case.expected,
                "{case:?}"
            );
        }
    }

    #[test]
    fn casbin_model_matches_oracle() {
        let runtime = crate::runtime().unwrap_or_else(|error| panic!("{error}"));
        let spec = small_spec();
        let enforcer = runtime
            .block_on(casbin_enforcer(&spec))
            .unwrap_or_else(|error| panic!("{error}"));
        verify_casbin(&enforcer, &casbin_requests(&cases()), 2)
            .unwrap_or_else(|error| panic!("{error}"));
        let mut cached = runtime
            .block_on(casbin_cached_enforcer(&spec, 100))
            .unwrap_or_else(|error| panic!("{error}"));
        verify_casbin(&cached, &casbin_requests(&cases()), 1)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_all_cached(&mut cached, &casbin_requests(&cases()))
            .unwrap_or_else(|error| panic!("{error}"));
    }

    #[test]
    fn cedar_policies_match_oracle() {
        let cases = cases();
        let cedar = Cedar::new(&small_spec(), &cases).unwrap_or_else(|error| panic!("{error}"));
        let requests = Cedar::requests(&cases).unwrap_or_else(|error| panic!("{error}"));
        cedar
            .verify(&requests, 2)
            .unwrap_or_else(|error| panic!("{error}"));
    }
}
