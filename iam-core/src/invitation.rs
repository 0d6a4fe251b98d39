//! Invitations: a one-time token that lets a person create their own user account.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{TenantId, UserId};

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    /// Waiting for the invitee.
    Pending,
    /// The invitee created their account.
    Accepted,
    /// The token expired before it was used.
    Expired,
}

/// An invitation. The token itself is never stored, only its SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// The invitation's id.
    pub id: uuid::Uuid,
    /// The invitee's e-mail address; the new user gets it.
    pub email: String,
    /// Where the application sends the invitee after acceptance, if anywhere.
    pub redirect_url: Option<String>,
    /// Pending or accepted as stored; [`Invitation::status_at`] also reports expiry.
    pub status: InvitationStatus,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When the token stops working (exclusive).
    pub expires_at: DateTime<Utc>,
    /// The user created on acceptance.
    pub accepted_user: Option<UserId>,
}

impl Invitation {
    /// Returns the status at `now`: a pending invitation past its expiry is expired.
    pub fn status_at(&self, now: DateTime<Utc>) -> InvitationStatus {
        match self.status {
            InvitationStatus::Pending if now >= self.expires_at => InvitationStatus::Expired,
            status => status,
        }
    }
}

/// The global lookup record of a pending invitation's token digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InvitationPointer {
    pub tenant: TenantId,
    pub invitation: uuid::Uuid,
}

/// What the invitee supplies on acceptance.
#[derive(Debug, Clone)]
pub struct InvitationAcceptance {
    /// The full name; may be empty.
    pub full_name: String,
    /// The phone number in E.164 form, if any.
    pub phone_number: Option<String>,
    /// The password hash, made with [`crate::secret::hash_secret`] from a
    /// [`crate::secret::Password`].
    pub password_hash: crate::secret::SecretHash,
}
