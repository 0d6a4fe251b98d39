//! Audit events: one per change made through [`crate::Iam`], written in the same
//! transaction as the change.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{SubjectId, TenantId};

/// Who performs an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// An authenticated subject, such as the client behind an API call.
    Subject(SubjectId),
    /// The operator: the embedding application or the server's command line.
    Operator,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Subject(subject) => fmt::Display::fmt(subject, f),
            Actor::Operator => f.write_str("operator"),
        }
    }
}

/// A recorded change. Details never contain a secret, token or password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The event's number, increasing within the tenant.
    pub id: u64,
    /// When the change was made.
    pub time: DateTime<Utc>,
    /// The tenant.
    pub tenant: TenantId,
    /// Who made the change (`operator`, or a subject id).
    pub actor: String,
    /// The operation, such as `client.create`.
    pub operation: String,
    /// The id of the changed object.
    pub target: String,
    /// Non-secret details, such as changed field values.
    pub details: serde_json::Value,
}

/// Filters of the audit list; every given filter must match exactly.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events by this actor.
    pub actor: Option<String>,
    /// Only events on this target.
    pub target: Option<String>,
    /// Only events of this operation.
    pub operation: Option<String>,
}
