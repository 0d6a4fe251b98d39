//! Invitations and their acceptance.

use serde_json::json;

use super::users::user_created_entry;
use super::{AuditEntry, Iam, Reader, TenantIam, commit_with_audit};
use crate::audit::Actor;
use crate::credential::{GeneratedCredential, digest};
use crate::error::{IamError, ValidationErrors};
use crate::id::SubjectId;
use crate::invitation::{Invitation, InvitationAcceptance, InvitationPointer, InvitationStatus};
use crate::store::{Expect, Kind, Namespace};
use crate::user::{NewUser, User, validate_email};

/// The message for every token that can't be used, so that a caller learns nothing about
/// which tokens exist.
const UNUSABLE_TOKEN: &str = "invitation token is invalid, expired or already used";

impl TenantIam {
    /// Invites `email` to create an account. Returns the invitation and its token, which
    /// is shown only here and which the invitee presents on acceptance.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for an invalid e-mail address or redirect URL.
    /// - [`IamError::AlreadyExists`] when a user with the e-mail address exists.
    pub async fn invite_user(
        &self,
        email: &str,
        redirect_url: Option<&str>,
    ) -> Result<(Invitation, GeneratedCredential), IamError> {
        let mut errors = ValidationErrors::new();
        validate_email(&mut errors, "email", email);
        if let Some(url) = redirect_url
            && let Err(problem) = crate::client::validate_redirect_uri(url)
        {
            errors.add("redirectUrl", problem);
        }
        errors.into_result()?;

        let _guard = self.iam.lock_writes().await;
        if self.find_user_by_email(email).await?.is_some() {
            return Err(IamError::AlreadyExists {
                kind: "user",
                field: "email",
                value: email.to_owned(),
            });
        }
        let token = GeneratedCredential::generate("iam_invite_", self.iam.random())?;
        let now = self.now();
        let invitation = Invitation {
            id: self.new_uuid()?,
            email: email.to_owned(),
            redirect_url: redirect_url.map(str::to_owned),
            status: InvitationStatus::Pending,
            created: now,
            expires_at: now + self.iam.inner.settings.invitation_lifetime,
            accepted_user: None,
        };
        let pointer = InvitationPointer {
            tenant: self.tenant.id,
            invitation: invitation.id,
        };
        let mut change = self.change();
        change.create(Kind::INVITATION, invitation.id.to_string(), &invitation)?;
        let global = Reader::new(self.iam.inner.store.as_ref(), Namespace::Global);
        change.batch.put(
            global.key(Kind::INVITATION_DIGEST, token.digest()),
            super::encode(&pointer)?,
            Expect::Absent,
        );
        let entry = AuditEntry::new(
            "user.invite",
            invitation.id,
            json!({ "email": invitation.email, "expiresAt": invitation.expires_at }),
        );
        self.commit(change, entry).await?;
        Ok((invitation, token))
    }

    /// Returns an invitation of this tenant.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such invitation.
    pub async fn get_invitation(&self, id: uuid::Uuid) -> Result<Invitation, IamError> {
        self.reader()
            .load::<Invitation>(Kind::INVITATION, &id.to_string())
            .await?
            .map(|(invitation, _)| invitation)
            .ok_or_else(|| IamError::not_found("invitation", id))
    }
}

impl Iam {
    /// Accepts an invitation: creates the user with the invitation's e-mail address and
    /// the given password, marks the invitation accepted and retires its token, in one
    /// atomic write. The token names its tenant, so the caller need not.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] on `token` for an unknown, used or expired token, and on
    ///   other fields as user creation checks them.
    /// - [`IamError::AlreadyExists`] when a user with the e-mail address was created since.
    pub async fn accept_invitation(
        &self,
        token: &str,
        acceptance: InvitationAcceptance,
    ) -> Result<User, IamError> {
        let unusable = || IamError::from(ValidationErrors::single("token", UNUSABLE_TOKEN));
        let token_digest = digest(token);
        let global = Reader::new(self.inner.store.as_ref(), Namespace::Global);
        let Some((pointer, _)) = global
            .load::<InvitationPointer>(Kind::INVITATION_DIGEST, &token_digest)
            .await?
        else {
            return Err(unusable());
        };
        let tenant = self
            .tenant(pointer.tenant, Actor::Operator)
            .await
            .map_err(|_| unusable())?;

        let _guard = self.lock_writes().await;
        let Some((mut invitation, version)) = tenant
            .reader()
            .load::<Invitation>(Kind::INVITATION, &pointer.invitation.to_string())
            .await?
        else {
            return Err(unusable());
        };
        if invitation.status_at(tenant.now()) != InvitationStatus::Pending {
            return Err(unusable());
        }
        if !global
            .exists(Kind::INVITATION_DIGEST, &token_digest)
            .await?
        {
            return Err(unusable());
        }

        let input = NewUser {
            email: invitation.email.clone(),
            user_name: None,
            full_name: acceptance.full_name,
            phone_number: acceptance.phone_number,
            password_hash: Some(acceptance.password_hash),
        };
        input.validate()?;
        let mut change = tenant.change();
        let user = tenant.prepare_user(&mut change, input).await?;
        invitation.status = InvitationStatus::Accepted;
        invitation.accepted_user = Some(user.id);
        change.replace(
            Kind::INVITATION,
            invitation.id.to_string(),
            &invitation,
            version,
        )?;
        change.batch.delete(
            global.key(Kind::INVITATION_DIGEST, token_digest),
            Expect::Present,
        );
        let mut entry = user_created_entry(&user);
        entry.operation = "invitation.accept";
        entry.details["invitationId"] = json!(invitation.id);
        let actor = Actor::Subject(SubjectId::User(user.id));
        commit_with_audit(self, tenant.tenant(), &actor, change, entry).await?;
        Ok(user)
    }
}
