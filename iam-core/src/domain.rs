//! Domains a tenant owns, proven by a DNS TXT record.
//!
//! A tenant registers a domain and receives a verification token. The domain becomes
//! `Confirmed` when a TXT record of the domain equals the token. A domain confirmed by one
//! tenant can't be confirmed by another. Users may be created directly (without an
//! invitation) only for e-mail addresses of a confirmed domain.

use std::fmt;
use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};

/// The maximum length of a domain name in ASCII form, without the trailing dot.
pub const MAX_DOMAIN_LEN: usize = 253;

/// Whether a registered domain is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DomainStatus {
    /// Registered; the TXT record has not been seen yet.
    Pending,
    /// The TXT record was seen.
    Confirmed,
}

/// A domain's state as the status query reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainState {
    /// Registered and waiting for its TXT record.
    Pending,
    /// Registered and proven.
    Confirmed,
    /// Not registered in this tenant.
    NotRegistered,
}

impl fmt::Display for DomainState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DomainState::Pending => "Pending",
            DomainState::Confirmed => "Confirmed",
            DomainState::NotRegistered => "NotRegistered",
        })
    }
}

/// A registered domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// The normalised name: lowercase ASCII (IDNA), no trailing dot.
    pub domain: String,
    /// Whether it is proven.
    pub status: DomainStatus,
    /// The value the TXT record must have. Only useful while pending.
    pub verification_token: String,
    /// When it was registered.
    pub created: DateTime<Utc>,
    /// When it was confirmed.
    pub verified_at: Option<DateTime<Utc>>,
    /// The stored version.
    #[serde(skip)]
    pub version: u64,
}

/// Why a TXT lookup failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DNS lookup of `{name}` failed: {reason}")]
pub struct ResolveError {
    /// The name looked up.
    pub name: String,
    /// What went wrong, such as a timeout.
    pub reason: String,
}

/// Looks up DNS TXT records. The server implements it with a real resolver; tests run
/// their own DNS server or supply fixed answers.
#[async_trait]
pub trait TxtResolver: Send + Sync + fmt::Debug {
    /// Returns the text of every TXT record of `name` (each record's strings joined), or
    /// an empty list when the name has none or does not exist.
    ///
    /// # Errors
    ///
    /// [`ResolveError`] when the lookup itself fails (timeout, server failure).
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, ResolveError>;
}

/// Normalises a domain name: IDNA to lowercase ASCII (UTS 46 with the STD3 rules), one
/// trailing dot removed.
///
/// # Errors
///
/// [`IamError::Validation`] naming `field` for an empty name, an IP address, a single
/// label, a name over 253 characters, or one IDNA rejects.
pub fn normalize_domain(field: &str, text: &str) -> Result<String, IamError> {
    let invalid = |problem: String| IamError::from(ValidationErrors::single(field, problem));
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    if trimmed.is_empty() {
        return Err(invalid("domain must not be empty".to_owned()));
    }
    let bracketless = trimmed.trim_start_matches('[').trim_end_matches(']');
    if bracketless.parse::<IpAddr>().is_ok() {
        return Err(invalid(format!(
            "`{text}` is an IP address; register a domain name"
        )));
    }
    let ascii = idna::domain_to_ascii_strict(trimmed)
        .map_err(|_| invalid(format!("`{text}` is not a valid domain name")))?;
    if ascii.len() > MAX_DOMAIN_LEN {
        return Err(invalid(format!(
            "domain `{text}` is longer than {MAX_DOMAIN_LEN} characters"
        )));
    }
    if !ascii.contains('.') {
        return Err(invalid(format!(
            "`{text}` is a single label; register a full domain name such as `example.com`"
        )));
    }
    if ascii
        .split('.')
        .any(|label| label.is_empty() || label.len() > 63)
    {
        return Err(invalid(format!("`{text}` has an empty or over-long label")));
    }
    if ascii
        .rsplit('.')
        .next()
        .is_some_and(|top| top.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(invalid(format!("`{text}` has a numeric top-level label")));
    }
    Ok(ascii)
}

/// Returns the normalised domain of an e-mail address, if it has one.
pub fn email_domain(email: &str) -> Option<String> {
    let (_, domain) = email.rsplit_once('@')?;
    normalize_domain("email", domain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(text: &str) -> Result<String, IamError> {
        normalize_domain("domain", text)
    }

    #[test]
    fn normalizes_case_idna_and_trailing_dot() {
        assert_eq!(
            normalized("Example.COM.").ok().as_deref(),
            Some("example.com")
        );
        assert_eq!(
            normalized("bücher.example").ok().as_deref(),
            Some("xn--bcher-kva.example")
        );
    }

    #[test]
    fn rejects_invalid_domains() {
        let long = format!("{}.com", vec!["a".repeat(63); 4].join("."));
        for bad in [
            "",
            ".",
            "localhost",
            "127.0.0.1",
            "[::1]",
            "::1",
            "a..b",
            "-a.com",
            "a b.com",
            "a_b.com",
            "1.2.3.4",
            long.as_str(),
        ] {
            assert!(normalized(bad).is_err(), "`{bad}` must be rejected");
        }
    }

    #[test]
    fn email_domain_is_normalized() {
        assert_eq!(
            email_domain("Jane@Example.COM").as_deref(),
            Some("example.com")
        );
        assert_eq!(email_domain("no-at-sign"), None);
    }
}
