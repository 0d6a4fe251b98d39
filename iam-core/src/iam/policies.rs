//! Policies and policy checks.

use serde_json::json;

use super::{AuditEntry, TenantIam};
use crate::action::ActionName;
use crate::error::{IamError, ValidationErrors};
use crate::id::SubjectId;
use crate::paging::{CursorPage, CursorRequest, encode_cursor};
use crate::policy::{CheckRequest, Decision, EffectivePermission, Policy, PolicyFilter};
use crate::scope::ResourceScope;
use crate::store::{Kind, ScanRange};

impl TenantIam {
    /// Creates the policy (subject, action, scope). Creating an existing policy returns
    /// it unchanged. Returns the policy and whether it was created now.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for an invalid action or scope, or an action that is not
    ///   in the catalogue.
    /// - [`IamError::NotFound`] when the subject does not exist in the tenant.
    pub async fn create_policy(
        &self,
        subject: &SubjectId,
        action: &str,
        scope: &str,
    ) -> Result<(Policy, bool), IamError> {
        let (action, scope) = self.parse_policy_target(action, scope)?;
        if !self.iam.catalog().contains(&action) {
            return Err(ValidationErrors::single(
                "action",
                format!("action `{action}` is not in the catalogue"),
            )
            .into());
        }

        let _guard = self.iam.lock_writes().await;
        if !self.subject_exists(subject).await? {
            return Err(IamError::not_found("subject", subject));
        }
        let id = Policy::store_id(subject, &scope, &action);
        if let Some((existing, _)) = self.reader().load::<Policy>(Kind::POLICY, &id).await? {
            return Ok((existing, false));
        }

        let policy = Policy {
            tenant: self.tenant.id,
            subject: *subject,
            action,
            scope,
            created: self.now(),
        };
        let mut change = self.change();
        change.create(Kind::POLICY, id, &policy)?;
        let entry = AuditEntry::new("policy.create", subject, policy_details(&policy));
        self.commit(change, entry).await?;
        Ok((policy, true))
    }

    /// Deletes the policy (subject, action, scope).
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for an invalid action or scope.
    /// - [`IamError::NotFound`] when there is no such policy.
    pub async fn delete_policy(
        &self,
        subject: &SubjectId,
        action: &str,
        scope: &str,
    ) -> Result<(), IamError> {
        let (action, scope) = self.parse_policy_target(action, scope)?;
        let _guard = self.iam.lock_writes().await;
        let id = Policy::store_id(subject, &scope, &action);
        let Some((policy, version)) = self.reader().load::<Policy>(Kind::POLICY, &id).await? else {
            return Err(IamError::not_found(
                "policy",
                format!("({subject}, {action}, {scope})"),
            ));
        };
        let mut change = self.change();
        change.delete_version(Kind::POLICY, id, version);
        let entry = AuditEntry::new("policy.delete", subject, policy_details(&policy));
        self.commit(change, entry).await?;
        Ok(())
    }

    fn parse_policy_target(
        &self,
        action: &str,
        scope: &str,
    ) -> Result<(ActionName, ResourceScope), IamError> {
        let mut errors = ValidationErrors::new();
        let action = errors.collect(ActionName::parse("action", action))?;
        let scope = errors.collect(ResourceScope::parse("scope", scope))?;
        match (action, scope) {
            (Some(action), Some(scope)) => Ok((action, scope)),
            _ => Err(errors.into()),
        }
    }

    /// Returns a page of policies ordered by subject, scope, action. Filters match
    /// exactly, except that `include_inherited` (with a subject) adds the policies of every
    /// group that contains the subject, and `include_derived` (with a scope or action)
    /// adds policies whose scope or action covers the given one.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] for a cursor this store did not produce.
    pub async fn list_policies(
        &self,
        filter: &PolicyFilter,
        request: &CursorRequest,
    ) -> Result<CursorPage<Policy>, IamError> {
        let page_size = request.page_size as usize;
        let position = request.position()?;
        let catalog = self.iam.catalog();
        let keep = |policy: &Policy| {
            let scope_matches = filter.scope.as_ref().is_none_or(|scope| {
                &policy.scope == scope || (filter.include_derived && policy.scope.covers(scope))
            });
            let action_matches = filter.action.as_ref().is_none_or(|action| {
                &policy.action == action
                    || (filter.include_derived && catalog.covers(&policy.action, action))
            });
            scope_matches && action_matches
        };

        let mut items = Vec::new();
        let mut next = None;
        for prefix in self.policy_prefixes(filter) {
            let after = match &position {
                // Positions sort like store ids, so whole subjects before it are done.
                Some(position)
                    if !prefix.is_empty()
                        && position.as_str() >= prefix.as_str()
                        && !position.starts_with(prefix.as_str()) =>
                {
                    continue;
                }
                Some(position) if position.starts_with(prefix.as_str()) => Some(position.clone()),
                Some(_) if !prefix.is_empty() => None,
                position => position.clone(),
            };
            let mut range = ScanRange::prefix(self.namespace(), Kind::POLICY, prefix);
            range.after = after;
            next = self
                .reader()
                .fill_page(range, &mut items, page_size, keep)
                .await?;
            if next.is_some() {
                break;
            }
        }

        // A full page may be the last one; the next request then returns an empty page
        // with no cursor, which callers handle like any other last page.
        Ok(CursorPage {
            next_cursor: next.map(|id| encode_cursor(&id)),
            items,
        })
    }

    /// Returns the store id prefixes a policy listing reads, in store order: one per
    /// subject, or the empty prefix for all policies.
    fn policy_prefixes(&self, filter: &PolicyFilter) -> Vec<String> {
        let Some(subject) = filter.subject else {
            return vec![String::new()];
        };
        let mut subjects = vec![subject];
        if filter.include_inherited {
            subjects.extend(
                self.read_index(|index| index.closure(&subject))
                    .unwrap_or_default(),
            );
        }
        let mut prefixes: Vec<String> = subjects
            .iter()
            .map(|subject| format!("{subject}\0"))
            .collect();
        prefixes.sort();
        prefixes
    }

    /// Returns every policy that applies to `subject`: its own, and those of every group
    /// that contains it, each with the group it is inherited from (`None` when direct).
    /// Ordered by subject, scope, action.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such subject.
    pub async fn effective_permissions(
        &self,
        subject: &SubjectId,
    ) -> Result<Vec<EffectivePermission>, IamError> {
        let closure = self
            .read_index(|index| index.closure(subject))
            .ok_or_else(|| IamError::not_found("subject", subject))?;
        let mut holders = vec![*subject];
        holders.extend(closure);
        holders.sort_by_cached_key(ToString::to_string);

        let mut permissions = Vec::new();
        for holder in holders {
            let range = ScanRange::prefix(self.namespace(), Kind::POLICY, format!("{holder}\0"));
            for (_, policy, _) in self.reader().scan::<Policy>(&range).await? {
                let inherited_from = (holder != *subject).then_some(holder);
                permissions.push(EffectivePermission {
                    policy,
                    inherited_from,
                });
            }
        }
        Ok(permissions)
    }

    /// Decides each request with one consistent view of the index, in order.
    pub fn check_batch(&self, requests: &[CheckRequest]) -> Vec<Decision> {
        let catalog = self.iam.catalog();
        self.read_index(|index| {
            requests
                .iter()
                .map(|request| {
                    index.check(catalog, &request.subject, &request.action, &request.scope)
                })
                .collect()
        })
    }

    /// Decides whether `subject` may perform `action` on `scope`, from the in-memory
    /// policy index: no store access, and every committed write is already visible.
    ///
    /// Unknown subjects, disabled users, invalid or unknown actions and invalid scopes are
    /// denied with that reason. When several policies apply, the one reached through the
    /// fewest memberships determines the answer, and among those the policy with the most
    /// specific scope, then the most specific action.
    pub fn check(&self, subject: &SubjectId, action: &str, scope: &str) -> Decision {
        let catalog = self.iam.catalog();
        self.read_index(|index| index.check(catalog, subject, action, scope))
    }
}

fn policy_details(policy: &Policy) -> serde_json::Value {
    json!({
        "subject": policy.subject,
        "action": policy.action,
        "scope": policy.scope,
    })
}

/// Counts of a tenant's policy index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyIndexStats {
    /// Policies whose action is in the catalogue, and which can grant.
    pub indexed_policies: usize,
    /// Stored policies whose action is no longer in the catalogue: they grant nothing
    /// until the action is defined again.
    pub orphaned_policies: usize,
}

impl TenantIam {
    /// Returns the counts of the tenant's policy index, including the stored policies
    /// whose action is no longer in the catalogue.
    pub fn policy_index_stats(&self) -> PolicyIndexStats {
        let (indexed_policies, orphaned_policies) = self.read_index(|index| index.policy_counts());
        PolicyIndexStats {
            indexed_policies,
            orphaned_policies,
        }
    }
}
