//! The policy index: the in-memory state that answers checks without reading the store.
//!
//! Each tenant has a [`TenantIndex`] with its subjects (and whether users are active),
//! the direct memberships in both directions, every subject's group closure (all groups
//! that contain it, transitively, in breadth-first order), and the grants keyed by
//! (subject, action number) with the set of granted scopes. A check therefore costs at
//! most (1 + groups of the subject) × (action depth) hash lookups, each followed by at
//! most (scope depth + 1) set lookups; it never scans policies.
//!
//! The index is loaded from the store when the facade opens and updated from each
//! committed batch before the write returns, so the next check sees the change. Closures
//! are maintained incrementally: a membership change recomputes the closure of the member
//! and of everything below it, nothing else.

mod delta;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, PoisonError, RwLock};

use crate::action::ActionCatalog;
use crate::id::{SubjectId, TenantId};
use crate::policy::{Decision, DenyReason, Grant};
use crate::scope::{ResourceScope, canonicalize, covering_ends};

pub(crate) use delta::{IndexOp, delta_from_batch, load_tenant};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

/// Marks the checked subject itself as the predecessor in a closure path.
const PATH_START: u32 = u32::MAX;

/// One group in a subject's closure.
#[derive(Debug, Clone, Copy)]
struct Ancestor {
    group: SubjectId,
    /// Position in the closure of the group or member through which this group was
    /// reached, or [`PATH_START`] when it contains the subject directly.
    previous: u32,
}

#[derive(Debug, Clone, Default)]
struct SubjectEntry {
    active: bool,
    closure: Box<[Ancestor]>,
}

/// The index of one tenant.
#[derive(Debug, Default)]
pub(crate) struct TenantIndex {
    subjects: FastMap<SubjectId, SubjectEntry>,
    /// Direct groups of each subject.
    parents: FastMap<SubjectId, Vec<SubjectId>>,
    /// Direct members of each group.
    members: FastMap<SubjectId, Vec<SubjectId>>,
    /// Granted scopes (canonical text) by subject and action number.
    grants: FastMap<(SubjectId, u32), FastSet<Arc<str>>>,
    /// Policies whose action is not in the catalogue: stored, granting nothing.
    orphaned: usize,
    policies: usize,
}

impl TenantIndex {
    /// Applies committed changes, then recomputes the closures they affect.
    pub(crate) fn apply(&mut self, catalog: &ActionCatalog, ops: Vec<IndexOp>) {
        let mut dirty: Vec<SubjectId> = Vec::new();
        for op in ops {
            dirty.extend(self.apply_one(catalog, op));
        }
        self.recompute_closures(dirty);
    }

    /// Applies one change and returns the subject whose closure it may change.
    fn apply_one(&mut self, catalog: &ActionCatalog, op: IndexOp) -> Option<SubjectId> {
        match op {
            IndexOp::SubjectPut { subject, active } => {
                let entry = self.subjects.entry(subject).or_default();
                entry.active = active;
                Some(subject)
            }
            IndexOp::SubjectDelete { subject } => {
                self.subjects.remove(&subject);
                None
            }
            IndexOp::MembershipPut { group, member } => {
                let parents = self.parents.entry(member).or_default();
                if !parents.contains(&group) {
                    parents.push(group);
                }
                let members = self.members.entry(group).or_default();
                if !members.contains(&member) {
                    members.push(member);
                }
                Some(member)
            }
            IndexOp::MembershipDelete { group, member } => {
                remove_from(&mut self.parents, &member, &group);
                remove_from(&mut self.members, &group, &member);
                Some(member)
            }
            IndexOp::PolicyPut {
                subject,
                action,
                scope,
            } => {
                match catalog.number(&action) {
                    Some(number) => {
                        let inserted = self
                            .grants
                            .entry((subject, number))
                            .or_default()
                            .insert(scope.shared());
                        self.policies += usize::from(inserted);
                    }
                    None => self.orphaned += 1,
                }
                None
            }
            IndexOp::PolicyDelete {
                subject,
                action,
                scope,
            } => {
                match catalog.number(&action) {
                    Some(number) => {
                        let key = (subject, number);
                        if let Some(scopes) = self.grants.get_mut(&key) {
                            self.policies -= usize::from(scopes.remove(scope.as_str()));
                            if scopes.is_empty() {
                                self.grants.remove(&key);
                            }
                        }
                    }
                    None => self.orphaned = self.orphaned.saturating_sub(1),
                }
                None
            }
        }
    }

    /// Applies loaded records without recomputing closures; [`Self::finish_load`] computes
    /// them all once at the end.
    pub(crate) fn apply_loaded(&mut self, catalog: &ActionCatalog, ops: Vec<IndexOp>) {
        for op in ops {
            self.apply_one(catalog, op);
        }
    }

    /// Computes the closures of every subject after loading.
    pub(crate) fn finish_load(&mut self) {
        let all: Vec<SubjectId> = self.subjects.keys().copied().collect();
        self.recompute_closures(all);
    }

    /// Recomputes the closure of every dirty subject and of every subject below it.
    fn recompute_closures(&mut self, dirty: Vec<SubjectId>) {
        let mut affected: FastSet<SubjectId> = FastSet::default();
        let mut queue: VecDeque<SubjectId> = dirty.into_iter().collect();
        while let Some(subject) = queue.pop_front() {
            if affected.insert(subject)
                && let Some(members) = self.members.get(&subject)
            {
                queue.extend(members.iter().copied());
            }
        }
        for subject in affected {
            let closure = self.compute_closure(&subject);
            if let Some(entry) = self.subjects.get_mut(&subject) {
                entry.closure = closure;
            }
        }
    }

    /// Returns every group that contains `subject`, breadth-first, with the predecessor
    /// of each so that the membership path can be rebuilt.
    fn compute_closure(&self, subject: &SubjectId) -> Box<[Ancestor]> {
        let mut closure: Vec<Ancestor> = Vec::new();
        let mut seen: FastSet<SubjectId> = FastSet::default();
        seen.insert(*subject);
        let mut next = 0usize;
        let direct = self.parents.get(subject).map_or(&[][..], Vec::as_slice);
        for group in direct {
            if seen.insert(*group) {
                closure.push(Ancestor {
                    group: *group,
                    previous: PATH_START,
                });
            }
        }
        while next < closure.len() {
            let current = closure[next].group;
            for group in self.parents.get(&current).map_or(&[][..], Vec::as_slice) {
                if seen.insert(*group) {
                    closure.push(Ancestor {
                        group: *group,
                        previous: next as u32,
                    });
                }
            }
            next += 1;
        }
        closure.into_boxed_slice()
    }

    /// Decides whether `subject` may perform `action` on `scope`.
    pub(crate) fn check(
        &self,
        catalog: &ActionCatalog,
        subject: &SubjectId,
        action: &str,
        scope: &str,
    ) -> Decision {
        let Some(entry) = self.subjects.get(subject) else {
            return Decision::Deny(DenyReason::UnknownSubject(subject.to_string()));
        };
        if !entry.active
            && let SubjectId::User(user) = subject
        {
            return Decision::Deny(DenyReason::DisabledUser(*user));
        }
        let action_number = match catalog.resolve(action) {
            Ok(Some(number)) => number,
            Ok(None) => {
                return match crate::action::ActionName::parse("action", action) {
                    Ok(name) => Decision::Deny(DenyReason::UnknownAction(name)),
                    Err(error) => Decision::Deny(DenyReason::InvalidAction(error.to_string())),
                };
            }
            Err(error) => return Decision::Deny(DenyReason::InvalidAction(error.to_string())),
        };
        let (canonical, origin_len) = match canonicalize(scope) {
            Ok(parts) => parts,
            Err(problem) => return Decision::Deny(DenyReason::InvalidScope(problem)),
        };
        let chain = catalog.chain(action_number);

        // The subject itself first, then its groups breadth-first, so the first match is
        // reached through the fewest memberships.
        if let Some(found) = self.best_grant(*subject, chain, &canonical, origin_len) {
            return allow(catalog, vec![*subject], found, origin_len);
        }
        for (position, ancestor) in entry.closure.iter().enumerate() {
            if let Some(found) = self.best_grant(ancestor.group, chain, &canonical, origin_len) {
                let path = path_to(*subject, &entry.closure, position);
                return allow(catalog, path, found, origin_len);
            }
        }
        Decision::Deny(DenyReason::NoMatchingPolicy)
    }

    /// Returns the policy of `holder` that covers the request, as (action number, stored
    /// scope): the most specific scope first, then the most specific action.
    fn best_grant(
        &self,
        holder: SubjectId,
        chain: &[u32],
        canonical: &str,
        origin_len: usize,
    ) -> Option<(u32, &Arc<str>)> {
        let mut best: Option<(u32, &Arc<str>)> = None;
        for &action in chain {
            let Some(scopes) = self.grants.get(&(holder, action)) else {
                continue;
            };
            for end in covering_ends(canonical, origin_len) {
                if let Some(stored) = scopes.get(&canonical[..end]) {
                    if best.is_none_or(|(_, best_scope)| stored.len() > best_scope.len()) {
                        best = Some((action, stored));
                    }
                    break;
                }
            }
        }
        best
    }

    /// Returns the groups that contain `subject`, breadth-first, or `None` for an unknown
    /// subject.
    pub(crate) fn closure(&self, subject: &SubjectId) -> Option<Vec<SubjectId>> {
        self.subjects.get(subject).map(|entry| {
            entry
                .closure
                .iter()
                .map(|ancestor| ancestor.group)
                .collect()
        })
    }

    /// Returns the number of indexed policies and of policies whose action is not in the
    /// catalogue.
    pub(crate) fn policy_counts(&self) -> (usize, usize) {
        (self.policies, self.orphaned)
    }
}

/// Builds the allow decision for the grant `(action, scope)` found at the end of `path`.
/// The action and scope are shared strings, so the decision copies no text.
fn allow(
    catalog: &ActionCatalog,
    path: Vec<SubjectId>,
    (action, scope): (u32, &Arc<str>),
    origin_len: usize,
) -> Decision {
    let holder = path.last().copied();
    let action = catalog.name_of(action).cloned();
    let scope = ResourceScope::from_shared(Arc::clone(scope), origin_len);
    match (holder, action) {
        (Some(subject), Some(action)) => Decision::Allow(Grant {
            subject,
            action,
            scope,
            path,
        }),
        // Unreachable: the path is never empty and action numbers come from the
        // catalogue. Denying keeps the answer safe if that ever changes.
        _ => Decision::Deny(DenyReason::NoMatchingPolicy),
    }
}

fn remove_from(map: &mut FastMap<SubjectId, Vec<SubjectId>>, key: &SubjectId, value: &SubjectId) {
    if let Some(values) = map.get_mut(key) {
        values.retain(|candidate| candidate != value);
        if values.is_empty() {
            map.remove(key);
        }
    }
}

/// Rebuilds the membership path from `subject` to the closure entry at `position`.
fn path_to(subject: SubjectId, closure: &[Ancestor], position: usize) -> Vec<SubjectId> {
    let mut reversed = Vec::new();
    let mut current = position as u32;
    while current != PATH_START {
        let Some(ancestor) = closure.get(current as usize) else {
            break;
        };
        reversed.push(ancestor.group);
        current = ancestor.previous;
    }
    reversed.push(subject);
    reversed.reverse();
    reversed
}

/// The indexes of every tenant.
#[derive(Debug, Default)]
pub(crate) struct PolicyIndex {
    tenants: RwLock<FastMap<TenantId, Arc<RwLock<TenantIndex>>>>,
}

impl PolicyIndex {
    /// Returns the tenant's index, creating an empty one when there is none. Handles keep
    /// it, so a check takes one read lock; entries are never replaced once handles exist
    /// (only [`PolicyIndex::insert`] replaces, while the facade opens).
    pub(crate) fn tenant(&self, tenant: TenantId) -> Arc<RwLock<TenantIndex>> {
        // Index updates do not panic between their first and last change, so the data
        // behind a poisoned lock is consistent; the same holds for every lock below.
        if let Some(index) = self
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&tenant)
        {
            return Arc::clone(index);
        }
        let mut tenants = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(tenants.entry(tenant).or_default())
    }

    /// Replaces a tenant's index, as loaded from the store.
    pub(crate) fn insert(&self, tenant: TenantId, index: TenantIndex) {
        let mut tenants = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
        tenants.insert(tenant, Arc::new(RwLock::new(index)));
    }

    /// Applies committed changes to a tenant's index.
    pub(crate) fn apply(&self, catalog: &ActionCatalog, tenant: TenantId, ops: Vec<IndexOp>) {
        if ops.is_empty() {
            return;
        }
        let index = self.tenant(tenant);
        let mut index = index.write().unwrap_or_else(PoisonError::into_inner);
        index.apply(catalog, ops);
    }
}
