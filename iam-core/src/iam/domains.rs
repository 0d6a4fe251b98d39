//! Domains and their DNS verification.

use serde_json::json;

use super::{AuditEntry, Iam, TenantIam};
use crate::casefold::fold;
use crate::domain::{Domain, DomainState, DomainStatus, TxtResolver, normalize_domain};
use crate::error::{IamError, ValidationErrors};
use crate::id::TenantId;
use crate::store::{Expect, Kind, Namespace, ScanRange};
use crate::user::{NewUser, User};

impl TenantIam {
    /// Registers a domain with a fresh verification token, or returns the existing
    /// registration unchanged. Returns the domain and whether it was created now.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for an invalid domain name.
    /// - [`IamError::Conflict`] when another tenant has confirmed the domain.
    pub async fn register_domain(&self, domain: &str) -> Result<(Domain, bool), IamError> {
        let name = normalize_domain("domain", domain)?;
        let _guard = self.iam.lock_writes().await;
        if let Some(existing) = self.find_domain(&name).await? {
            return Ok((existing, false));
        }
        self.check_not_confirmed_elsewhere(&name).await?;

        let token = format!(
            "{}{}",
            self.iam.inner.settings.domain_token_prefix,
            self.new_uuid()?
        );
        let record = Domain {
            domain: name.clone(),
            status: DomainStatus::Pending,
            verification_token: token,
            created: self.now(),
            verified_at: None,
            version: 1,
        };
        let mut change = self.change();
        change.create(Kind::DOMAIN, name.clone(), &record)?;
        self.commit(change, AuditEntry::new("domain.register", &name, json!({})))
            .await?;
        Ok((record, true))
    }

    async fn find_domain(&self, name: &str) -> Result<Option<Domain>, IamError> {
        Ok(self
            .reader()
            .load::<Domain>(Kind::DOMAIN, name)
            .await?
            .map(|(mut domain, version)| {
                domain.version = version;
                domain
            }))
    }

    async fn check_not_confirmed_elsewhere(&self, name: &str) -> Result<(), IamError> {
        let global = super::Reader::new(self.iam.inner.store.as_ref(), Namespace::Global);
        match global
            .load::<TenantId>(Kind::DOMAIN_CONFIRMED, name)
            .await?
        {
            Some((owner, _)) if owner != self.tenant.id => Err(IamError::conflict(format!(
                "domain `{name}` is already confirmed by another tenant"
            ))),
            _ => Ok(()),
        }
    }

    /// Returns the registered domain.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] for an invalid name, [`IamError::NotFound`] when it is not
    /// registered in this tenant.
    pub async fn get_domain(&self, domain: &str) -> Result<Domain, IamError> {
        let name = normalize_domain("domain", domain)?;
        self.find_domain(&name)
            .await?
            .ok_or_else(|| IamError::not_found("domain", name))
    }

    /// Returns whether the domain is pending, confirmed or not registered in this tenant.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] for an invalid name.
    pub async fn domain_status(&self, domain: &str) -> Result<DomainState, IamError> {
        let name = normalize_domain("domain", domain)?;
        Ok(match self.find_domain(&name).await? {
            None => DomainState::NotRegistered,
            Some(found) if found.status == DomainStatus::Confirmed => DomainState::Confirmed,
            Some(_) => DomainState::Pending,
        })
    }

    /// Returns the registered domains ordered by name, optionally only those containing
    /// `filter` (case-insensitively).
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn list_domains(&self, filter: Option<&str>) -> Result<Vec<Domain>, IamError> {
        let needle = filter.filter(|text| !text.is_empty()).map(fold);
        let range = ScanRange::all(self.namespace(), Kind::DOMAIN);
        Ok(self
            .reader()
            .scan::<Domain>(&range)
            .await?
            .into_iter()
            .map(|(_, mut domain, version)| {
                domain.version = version;
                domain
            })
            .filter(|domain| {
                needle
                    .as_ref()
                    .is_none_or(|needle| domain.domain.contains(needle.as_str()))
            })
            .collect())
    }

    /// Looks up the domain's TXT records now and confirms it when one equals its token.
    /// A failed lookup leaves the domain pending, like a missing record; the error is
    /// returned so that the caller can report it.
    ///
    /// # Errors
    ///
    /// - [`IamError::Validation`] for an invalid name.
    /// - [`IamError::NotFound`] when it is not registered in this tenant.
    /// - [`IamError::Conflict`] when another tenant confirmed it first.
    /// - [`IamError::Dns`] when the lookup failed.
    pub async fn verify_domain(
        &self,
        domain: &str,
        resolver: &dyn TxtResolver,
    ) -> Result<Domain, IamError> {
        let registered = self.get_domain(domain).await?;
        if registered.status == DomainStatus::Confirmed {
            return Ok(registered);
        }
        // The lookup runs without the write lock, so a slow DNS server blocks no writer.
        let records = resolver
            .txt_records(&registered.domain)
            .await
            .map_err(IamError::Dns)?;
        if !records
            .iter()
            .any(|record| record == &registered.verification_token)
        {
            return Ok(registered);
        }

        let _guard = self.iam.lock_writes().await;
        let mut current = self.get_domain(&registered.domain).await?;
        if current.status == DomainStatus::Confirmed
            || current.verification_token != registered.verification_token
        {
            return Ok(current);
        }
        self.check_not_confirmed_elsewhere(&current.domain).await?;
        let version = current.version;
        current.status = DomainStatus::Confirmed;
        current.verified_at = Some(self.now());
        let mut change = self.change();
        change.replace(Kind::DOMAIN, current.domain.clone(), &current, version)?;
        let global = super::Reader::new(self.iam.inner.store.as_ref(), Namespace::Global);
        change.batch.put(
            global.key(Kind::DOMAIN_CONFIRMED, current.domain.clone()),
            super::encode(&self.tenant.id)?,
            Expect::Any,
        );
        self.commit(
            change,
            AuditEntry::new("domain.confirm", &current.domain, json!({})),
        )
        .await?;
        current.version = version + 1;
        Ok(current)
    }

    /// Removes a domain registration. Existing users keep their accounts; direct user
    /// creation for the domain stops.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] for an invalid name, [`IamError::NotFound`] when it is not
    /// registered in this tenant.
    pub async fn unregister_domain(&self, domain: &str) -> Result<(), IamError> {
        let _guard = self.iam.lock_writes().await;
        let registered = self.get_domain(domain).await?;
        let mut change = self.change();
        change.delete_version(Kind::DOMAIN, registered.domain.clone(), registered.version);
        let global = super::Reader::new(self.iam.inner.store.as_ref(), Namespace::Global);
        let owner = global
            .load::<TenantId>(Kind::DOMAIN_CONFIRMED, &registered.domain)
            .await?;
        if owner.is_some_and(|(owner, _)| owner == self.tenant.id) {
            change.batch.delete(
                global.key(Kind::DOMAIN_CONFIRMED, registered.domain.clone()),
                Expect::Present,
            );
        }
        self.commit(
            change,
            AuditEntry::new("domain.unregister", &registered.domain, json!({})),
        )
        .await?;
        Ok(())
    }

    /// Creates a user directly, without an invitation. The e-mail address's domain must be
    /// registered and confirmed for this tenant.
    ///
    /// # Errors
    ///
    /// As [`TenantIam::create_user`], and [`IamError::Validation`] on `email` when its
    /// domain is not confirmed for this tenant.
    pub async fn create_user_for_confirmed_domain(&self, input: NewUser) -> Result<User, IamError> {
        input.validate()?;
        let domain = crate::domain::email_domain(&input.email).unwrap_or_default();
        let confirmed = !domain.is_empty()
            && self
                .find_domain(&domain)
                .await?
                .is_some_and(|found| found.status == DomainStatus::Confirmed);
        if !confirmed {
            return Err(ValidationErrors::single(
                "email",
                format!("domain `{domain}` of `{}` must be registered and confirmed for this tenant before users are created directly; invite the user instead", input.email),
            )
            .into());
        }
        self.create_user(input).await
    }
}

impl Iam {
    /// Checks every pending domain of every tenant once and returns how many became
    /// confirmed. The server calls it periodically. Lookup failures leave a domain pending
    /// and are returned with the domain, so that the caller can log them.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails.
    pub async fn recheck_pending_domains(
        &self,
        resolver: &dyn TxtResolver,
    ) -> Result<(usize, Vec<(String, IamError)>), IamError> {
        let mut confirmed = 0;
        let mut failures = Vec::new();
        for tenant in self.list_tenants().await? {
            let handle = self
                .tenant(tenant.id, crate::audit::Actor::Operator)
                .await?;
            for domain in handle.list_domains(None).await? {
                if domain.status != DomainStatus::Pending {
                    continue;
                }
                match handle.verify_domain(&domain.domain, resolver).await {
                    Ok(checked) if checked.status == DomainStatus::Confirmed => confirmed += 1,
                    Ok(_) => {}
                    Err(error) => failures.push((domain.domain, error)),
                }
            }
        }
        Ok((confirmed, failures))
    }
}
