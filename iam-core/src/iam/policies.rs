//! Policies and policy checks.

use std::cmp::Reverse;
use std::collections::{BTreeSet, VecDeque};

use serde_json::json;

use super::{AuditEntry, TenantIam};
use crate::action::ActionName;
use crate::error::{IamError, ValidationErrors};
use crate::id::SubjectId;
use crate::paging::{CursorPage, CursorRequest, encode_cursor};
use crate::policy::{Decision, DenyReason, Grant, Policy, PolicyFilter};
use crate::scope::ResourceScope;
use crate::store::{Kind, ScanRange};

/// How many records a filtered policy listing reads per store scan.
const POLICY_SCAN_CHUNK: usize = 512;

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

    /// Returns a page of policies ordered by subject, scope, action, filtered exactly by
    /// the given fields.
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
        let prefix = filter
            .subject
            .map(|subject| format!("{subject}\0"))
            .unwrap_or_default();
        let mut after = request.position()?;
        let mut items = Vec::with_capacity(page_size.min(POLICY_SCAN_CHUNK));
        let mut last_id;

        'scan: loop {
            let mut range = ScanRange::prefix(self.namespace(), Kind::POLICY, prefix.clone())
                .limit(POLICY_SCAN_CHUNK);
            range.after = after.clone();
            let chunk = self.reader().scan::<Policy>(&range).await?;
            let exhausted = chunk.len() < POLICY_SCAN_CHUNK;
            for (id, policy, _) in chunk {
                after = Some(id.clone());
                let matches = filter
                    .scope
                    .as_ref()
                    .is_none_or(|scope| &policy.scope == scope)
                    && filter
                        .action
                        .as_ref()
                        .is_none_or(|action| &policy.action == action);
                if !matches {
                    continue;
                }
                items.push(policy);
                last_id = Some(id);
                if items.len() == page_size {
                    break 'scan;
                }
            }
            if exhausted {
                last_id = None;
                break;
            }
        }

        // A full page may be the last one; the next request then returns an empty page
        // with no cursor, which callers handle like any other last page.
        Ok(CursorPage {
            next_cursor: last_id.map(|id| encode_cursor(&id)),
            items,
        })
    }

    /// Decides whether `subject` may perform `action` on `scope`.
    ///
    /// Unknown subjects, disabled users, invalid or unknown actions and invalid scopes are
    /// denied with that reason. When several policies apply, the one reached through the
    /// fewest memberships determines the answer, and among those the policy with the most
    /// specific scope, then the most specific action.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails; every other outcome is a [`Decision`].
    pub async fn check(
        &self,
        subject: &SubjectId,
        action: &str,
        scope: &str,
    ) -> Result<Decision, IamError> {
        match subject {
            SubjectId::User(id) => match self.find_user(*id).await? {
                None => {
                    return Ok(Decision::Deny(DenyReason::UnknownSubject(
                        subject.to_string(),
                    )));
                }
                Some(user) if !user.active => {
                    return Ok(Decision::Deny(DenyReason::DisabledUser(*id)));
                }
                Some(_) => {}
            },
            _ => {
                if !self.subject_exists(subject).await? {
                    return Ok(Decision::Deny(DenyReason::UnknownSubject(
                        subject.to_string(),
                    )));
                }
            }
        }
        let action = match ActionName::parse("action", action) {
            Ok(action) => action,
            Err(error) => return Ok(Decision::Deny(DenyReason::InvalidAction(error.to_string()))),
        };
        let catalog = self.iam.catalog();
        if !catalog.contains(&action) {
            return Ok(Decision::Deny(DenyReason::UnknownAction(action)));
        }
        let scope = match ResourceScope::parse("scope", scope) {
            Ok(scope) => scope,
            Err(error) => return Ok(Decision::Deny(DenyReason::InvalidScope(error.to_string()))),
        };

        // Breadth-first over the groups that contain the subject, so the first subject with
        // an applicable policy is the one reached through the fewest memberships.
        let mut seen = BTreeSet::from([*subject]);
        let mut queue = VecDeque::from([vec![*subject]]);
        while let Some(path) = queue.pop_front() {
            let Some(current) = path.last().copied() else {
                continue;
            };
            let range = ScanRange::prefix(self.namespace(), Kind::POLICY, format!("{current}\0"));
            let policies = self.reader().scan::<Policy>(&range).await?;
            let best = policies
                .into_iter()
                .map(|(_, policy, _)| policy)
                .filter(|policy| {
                    policy.scope.covers(&scope) && catalog.covers(&policy.action, &action)
                })
                .max_by_key(|policy| {
                    let action_distance = catalog
                        .ancestors(&action)
                        .iter()
                        .position(|ancestor| ancestor == &policy.action)
                        .map_or(0, |index| index + 1);
                    (policy.scope.depth(), Reverse(action_distance))
                });
            if let Some(policy) = best {
                return Ok(Decision::Allow(Grant {
                    subject: policy.subject,
                    action: policy.action,
                    scope: policy.scope,
                    path,
                }));
            }
            for group in self.direct_groups(&current).await? {
                if seen.insert(group) {
                    let mut next = path.clone();
                    next.push(group);
                    queue.push_back(next);
                }
            }
        }
        Ok(Decision::Deny(DenyReason::NoMatchingPolicy))
    }
}

fn policy_details(policy: &Policy) -> serde_json::Value {
    json!({
        "subject": policy.subject,
        "action": policy.action,
        "scope": policy.scope,
    })
}
