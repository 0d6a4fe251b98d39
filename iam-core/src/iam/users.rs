//! Users.

use serde_json::json;

use super::{AuditEntry, Change, TenantIam, check_version};
use crate::casefold::fold;
use crate::error::IamError;
use crate::id::{SubjectId, UserId};
use crate::paging::{Page, PageRequest};
use crate::secret::SecretHash;
use crate::store::{Kind, ScanRange};
use crate::user::{NewUser, User, UserUpdate};

impl TenantIam {
    /// Creates a user. The user name defaults to the e-mail address.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field.
    /// - [`IamError::AlreadyExists`] when the e-mail address or user name is taken in the
    ///   tenant (after NFC normalisation and case folding).
    pub async fn create_user(&self, input: NewUser) -> Result<User, IamError> {
        input.validate()?;
        let _guard = self.iam.lock_writes().await;
        let mut change = self.change();
        let user = self.prepare_user(&mut change, input).await?;
        let entry = user_created_entry(&user);
        self.commit(change, entry).await?;
        Ok(user)
    }

    /// Checks uniqueness and adds the records of a new user to `change`. The caller has
    /// validated `input` and holds the write lock.
    pub(super) async fn prepare_user(
        &self,
        change: &mut Change,
        input: NewUser,
    ) -> Result<User, IamError> {
        let user_name = input
            .user_name
            .clone()
            .unwrap_or_else(|| input.email.clone());
        let folded_email = fold(&input.email);
        let folded_name = fold(&user_name);
        let reader = self.reader();
        if reader.exists(Kind::USER_EMAIL, &folded_email).await? {
            return Err(IamError::AlreadyExists {
                kind: "user",
                field: "email",
                value: input.email,
            });
        }
        if reader.exists(Kind::USER_NAME, &folded_name).await? {
            return Err(IamError::AlreadyExists {
                kind: "user",
                field: "userName",
                value: user_name,
            });
        }

        let user = User {
            id: UserId::from_uuid(self.new_uuid()?),
            user_name,
            email: input.email,
            phone_number: input.phone_number,
            full_name: input.full_name,
            active: true,
            two_factor_enabled: false,
            created: self.now(),
            version: 1,
            password_hash: input.password_hash,
        };
        let id = user.id.to_string();
        change.create(Kind::USER, &id, &user)?;
        change.create(Kind::USER_EMAIL, folded_email, &user.id)?;
        change.create(Kind::USER_NAME, folded_name, &user.id)?;
        Ok(user)
    }

    /// Returns the user with `id`.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such user.
    pub async fn get_user(&self, id: UserId) -> Result<User, IamError> {
        self.find_user(id)
            .await?
            .ok_or_else(|| IamError::not_found("user", id))
    }

    pub(super) async fn find_user(&self, id: UserId) -> Result<Option<User>, IamError> {
        Ok(self
            .reader()
            .load::<User>(Kind::USER, &id.to_string())
            .await?
            .map(|(mut user, version)| {
                user.version = version;
                user
            }))
    }

    /// Returns the user with this e-mail address (compared after NFC and case folding).
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, IamError> {
        let Some((id, _)) = self
            .reader()
            .load::<UserId>(Kind::USER_EMAIL, &fold(email))
            .await?
        else {
            return Ok(None);
        };
        self.find_user(id).await
    }

    /// Changes a user's full name, phone number and active flag. With
    /// `expected_version`, the update fails unless the user still has that version.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] naming each invalid field.
    /// - [`IamError::NotFound`] when the tenant has no such user.
    /// - [`IamError::VersionMismatch`] when `expected_version` is stale.
    pub async fn update_user(
        &self,
        id: UserId,
        update: UserUpdate,
        expected_version: Option<u64>,
    ) -> Result<User, IamError> {
        update.validate()?;
        let _guard = self.iam.lock_writes().await;
        let mut user = self.get_user(id).await?;
        check_version("user", &id.to_string(), user.version, expected_version)?;

        let before = json!({ "fullName": user.full_name, "phoneNumber": user.phone_number, "active": user.active });
        user.full_name = update.full_name;
        user.phone_number = update.phone_number;
        user.active = update.active;
        let after = json!({ "fullName": user.full_name, "phoneNumber": user.phone_number, "active": user.active });

        let mut change = self.change();
        change.replace(Kind::USER, id.to_string(), &user, user.version)?;
        let entry = AuditEntry::new(
            "user.update",
            SubjectId::User(id),
            json!({ "before": before, "after": after }),
        );
        let receipt = self.commit(change, entry).await?;
        user.version = receipt
            .versions
            .first()
            .copied()
            .flatten()
            .unwrap_or(user.version + 1);
        Ok(user)
    }

    /// Sets or replaces a user's password hash (made with
    /// [`crate::secret::hash_secret`] from a [`crate::secret::Password`]).
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such user.
    pub async fn set_user_password(&self, id: UserId, hash: SecretHash) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let mut user = self.get_user(id).await?;
        user.password_hash = Some(hash);
        let mut change = self.change();
        change.replace(Kind::USER, id.to_string(), &user, user.version)?;
        let entry = AuditEntry::new("user.password.set", SubjectId::User(id), json!({}));
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Deletes a user with everything that names it: policies, memberships and role
    /// assignments, in one atomic write. Re-creating a user with the same e-mail address
    /// yields a new id with no old grants.
    ///
    /// # Errors
    ///
    /// [`IamError::NotFound`] when the tenant has no such user.
    pub async fn delete_user(&self, id: UserId) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let user = self.get_user(id).await?;
        let subject = SubjectId::User(id);

        let mut change = self.change();
        change.delete_version(Kind::USER, id.to_string(), user.version);
        change.delete(Kind::USER_EMAIL, fold(&user.email));
        change.delete(Kind::USER_NAME, fold(&user.user_name));
        let mut removed = self
            .delete_subject_references(&mut change, &subject)
            .await?;
        let claims = self
            .reader()
            .ids(Kind::USER_CLAIM, &format!("{id}/"))
            .await?;
        for claim in &claims {
            change.delete(Kind::USER_CLAIM, claim.clone());
        }
        removed["claims"] = json!(claims.len());
        let entry = AuditEntry::new(
            "user.delete",
            subject,
            json!({ "userName": user.user_name, "removed": removed }),
        );
        self.commit(change, entry).await?;
        Ok(())
    }

    /// Returns a page of users ordered by user name (case-insensitively), then id. The
    /// search text matches user name, e-mail address and full name.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn list_users(&self, request: &PageRequest) -> Result<Page<User>, IamError> {
        let mut users = self.all_users().await?;
        users.retain(|user| {
            request.matches([
                user.user_name.as_str(),
                user.email.as_str(),
                user.full_name.as_str(),
            ])
        });
        users.sort_by_cached_key(|user| (fold(&user.user_name), user.id));
        Ok(request.paginate(users))
    }

    pub(super) async fn all_users(&self) -> Result<Vec<User>, IamError> {
        let range = ScanRange::all(self.namespace(), Kind::USER);
        Ok(self
            .reader()
            .scan::<User>(&range)
            .await?
            .into_iter()
            .map(|(_, mut user, version)| {
                user.version = version;
                user
            })
            .collect())
    }
}

/// Returns the audit entry of a user's creation; it never contains the password hash.
pub(super) fn user_created_entry(user: &User) -> AuditEntry {
    AuditEntry::new(
        "user.create",
        SubjectId::User(user.id),
        json!({ "userName": user.user_name, "email": user.email, "hasPassword": user.has_password() }),
    )
}
