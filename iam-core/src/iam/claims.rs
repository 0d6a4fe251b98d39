//! User claims.

use serde_json::json;

use super::{AuditEntry, TenantIam};
use crate::claim::{UserClaim, validate_claim};
use crate::error::IamError;
use crate::id::{SubjectId, UserId};
use crate::store::{Kind, ScanRange};

/// The width of zero-padded claim numbers in store ids, so that byte order is numeric.
const CLAIM_ID_WIDTH: usize = 20;

fn claim_store_id(user: UserId, claim: u64) -> String {
    format!("{user}/{claim:0width$}", width = CLAIM_ID_WIDTH)
}

impl TenantIam {
    /// Adds a claim to a user.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] for an invalid type or value, [`IamError::NotFound`] when
    /// the tenant has no such user.
    pub async fn add_user_claim(
        &self,
        user: UserId,
        claim_type: &str,
        claim_value: &str,
    ) -> Result<UserClaim, IamError> {
        validate_claim(claim_type, claim_value)?;
        let _guard = self.iam.lock_writes().await;
        self.get_user(user).await?;
        let mut change = self.change();
        let claim_id = change.next_number(&self.reader(), "claim").await?;
        let claim = UserClaim {
            claim_id,
            user_id: user,
            claim_type: claim_type.to_owned(),
            claim_value: claim_value.to_owned(),
        };
        change.create(Kind::USER_CLAIM, claim_store_id(user, claim_id), &claim)?;
        let entry = AuditEntry::new(
            "user.claim.add",
            SubjectId::User(user),
            json!({ "claimId": claim_id, "claimType": claim.claim_type }),
        );
        self.commit(change, entry).await?;
        Ok(claim)
    }

    /// Returns a user's claims ordered by claim id.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such user.
    pub async fn list_user_claims(&self, user: UserId) -> Result<Vec<UserClaim>, IamError> {
        self.get_user(user).await?;
        let range = ScanRange::prefix(self.namespace(), Kind::USER_CLAIM, format!("{user}/"));
        Ok(self
            .reader()
            .scan::<UserClaim>(&range)
            .await?
            .into_iter()
            .map(|(_, claim, _)| claim)
            .collect())
    }

    /// Deletes a claim of a user.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such user or the user no such claim.
    pub async fn delete_user_claim(&self, user: UserId, claim_id: u64) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        self.get_user(user).await?;
        let id = claim_store_id(user, claim_id);
        if !self.reader().exists(Kind::USER_CLAIM, &id).await? {
            return Err(IamError::not_found("claim", claim_id));
        }
        let mut change = self.change();
        change.delete(Kind::USER_CLAIM, id);
        let entry = AuditEntry::new(
            "user.claim.delete",
            SubjectId::User(user),
            json!({ "claimId": claim_id }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }
}
