//! A uniform view of users, clients and groups, as subject lists show them.

use crate::client::Client;
use crate::group::Group;
use crate::id::{SubjectId, SubjectKind};
use crate::user::User;

/// A user, client or group.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A user.
    User(User),
    /// A client.
    Client(Client),
    /// A group, with its number of direct members.
    Group {
        /// The group.
        group: Group,
        /// The number of direct members.
        member_count: u64,
    },
}

impl Subject {
    /// Returns the subject id.
    pub fn id(&self) -> SubjectId {
        match self {
            Subject::User(user) => SubjectId::User(user.id),
            Subject::Client(client) => SubjectId::Client(client.client_id),
            Subject::Group { group, .. } => SubjectId::Group(group.id),
        }
    }

    /// Returns the kind.
    pub fn kind(&self) -> SubjectKind {
        self.id().kind()
    }

    /// Returns the display name: a user's full name (or user name), a client's name, a
    /// group's display name.
    pub fn display_name(&self) -> &str {
        match self {
            Subject::User(user) => user.display_name(),
            Subject::Client(client) => &client.name,
            Subject::Group { group, .. } => &group.display_name,
        }
    }
}
