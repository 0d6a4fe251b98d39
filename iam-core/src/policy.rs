//! Policies and decisions.
//!
//! A policy is the triple (subject, action, scope) inside a tenant. There are only grants:
//! everything not granted is denied. Subject S may perform action A on scope R when some
//! policy (P.subject, P.action, P.scope) exists where P.subject is S or a group that
//! contains S directly or transitively, P.action covers A, and P.scope covers R.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::action::ActionName;
use crate::id::{SubjectId, TenantId, UserId};
use crate::scope::ResourceScope;

/// A stored policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The tenant.
    pub tenant: TenantId,
    /// Who is granted.
    pub subject: SubjectId,
    /// What is granted, with every descendant action.
    pub action: ActionName,
    /// Where it is granted, with every scope below.
    pub scope: ResourceScope,
    /// When the policy was created.
    pub created: DateTime<Utc>,
}

impl Policy {
    /// Returns the policy's store id: `<subject>\0<scope>\0<action>`, whose byte order is
    /// the list order (subject, then scope, then action) because NUL sorts first and
    /// appears in none of the parts.
    pub fn store_id(subject: &SubjectId, scope: &ResourceScope, action: &ActionName) -> String {
        format!("{subject}\0{scope}\0{action}")
    }
}

/// Filters of the policy list.
#[derive(Debug, Clone, Default)]
pub struct PolicyFilter {
    /// Only policies of this subject.
    pub subject: Option<SubjectId>,
    /// Only policies on this scope.
    pub scope: Option<ResourceScope>,
    /// Only policies for this action.
    pub action: Option<ActionName>,
    /// With `subject`: also the policies of every group that contains the subject.
    pub include_inherited: bool,
    /// With `scope` or `action`: also policies whose scope or action covers the given one.
    pub include_derived: bool,
}

/// One request of a batch check.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// Who asks.
    pub subject: SubjectId,
    /// The action, as text (checked like any other input).
    pub action: String,
    /// The resource scope, as text (checked like any other input).
    pub scope: String,
}

/// A policy that applies to a subject, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePermission {
    /// The policy.
    pub policy: Policy,
    /// The group the policy is inherited from, or `None` when it names the subject.
    pub inherited_from: Option<SubjectId>,
}

/// The result of "may S perform A on R?": a value, never an error. Storage failures are
/// reported separately by the caller's `Result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed, with the policy that allowed it.
    Allow(Grant),
    /// Denied, with the reason.
    Deny(DenyReason),
}

impl Decision {
    /// Returns true for [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow(grant) => write!(f, "Allow: {grant}"),
            Decision::Deny(reason) => write!(f, "Deny: {reason}"),
        }
    }
}

/// The policy that determined an allow, and how it reached the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The subject of the policy.
    pub subject: SubjectId,
    /// The policy's action, which covers the requested one.
    pub action: ActionName,
    /// The policy's scope, which covers the requested one.
    pub scope: ResourceScope,
    /// The membership path from the checked subject to the policy's subject. It starts
    /// with the checked subject and lists each containing group, so a direct policy gives
    /// a single entry.
    pub path: Vec<SubjectId>,
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "policy ({}, {}, {})",
            self.subject, self.action, self.scope
        )?;
        if self.path.len() > 1 {
            let path: Vec<String> = self.path.iter().map(ToString::to_string).collect();
            write!(f, " through membership {}", path.join(" -> "))?;
        }
        Ok(())
    }
}

/// Why a check was denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// The subject does not exist in the tenant.
    UnknownSubject(String),
    /// The user exists but is disabled.
    DisabledUser(UserId),
    /// The action is not a valid action name.
    InvalidAction(String),
    /// The action is valid but not in the catalogue.
    UnknownAction(ActionName),
    /// The scope is not a valid resource scope.
    InvalidScope(String),
    /// No policy of the subject or its groups covers the action and scope.
    NoMatchingPolicy,
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::UnknownSubject(subject) => write!(f, "subject `{subject}` does not exist"),
            DenyReason::DisabledUser(user) => write!(f, "user `{user}` is disabled"),
            DenyReason::InvalidAction(problem) => write!(f, "invalid action: {problem}"),
            DenyReason::UnknownAction(action) => {
                write!(f, "action `{action}` is not in the catalogue")
            }
            DenyReason::InvalidScope(problem) => write!(f, "invalid scope: {problem}"),
            DenyReason::NoMatchingPolicy => {
                f.write_str("no policy grants this action on this scope")
            }
        }
    }
}
