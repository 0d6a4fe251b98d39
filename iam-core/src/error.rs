//! The error type of every domain operation.

use std::collections::BTreeMap;
use std::fmt;

use crate::store::{RecordKey, StoreError};

/// Why a domain operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IamError {
    /// The input is invalid; the errors name each field and problem.
    #[error("{0}")]
    Validation(ValidationErrors),
    /// The named object does not exist in the tenant (or belongs to another tenant, which
    /// is reported the same way).
    #[error("{kind} `{id}` not found")]
    NotFound {
        /// What kind of object, such as `client` or `group`.
        kind: &'static str,
        /// The id as the caller gave it.
        id: String,
    },
    /// Several named objects do not exist, such as unknown members in one request.
    #[error("{kind} not found: {}", ids.join(", "))]
    NotFoundMany {
        /// What kind of object.
        kind: &'static str,
        /// Every missing id.
        ids: Vec<String>,
    },
    /// An object with the same unique value already exists.
    #[error("{kind} with {field} `{value}` already exists")]
    AlreadyExists {
        /// What kind of object.
        kind: &'static str,
        /// The unique field.
        field: &'static str,
        /// The value as the caller gave it.
        value: String,
    },
    /// The request contradicts the current state, such as a membership cycle, a limit, or
    /// a built-in object that can't be changed.
    #[error("{message}")]
    Conflict {
        /// What conflicts, with the values involved.
        message: String,
    },
    /// An update named a version that is no longer current (optimistic concurrency).
    #[error("{kind} `{id}` was changed concurrently: version {actual} is current, not {expected}")]
    VersionMismatch {
        /// What kind of object.
        kind: &'static str,
        /// The object's id.
        id: String,
        /// The version the caller named.
        expected: u64,
        /// The stored version.
        actual: u64,
    },
    /// A stored record could not be decoded.
    #[error("stored record `{key}` is corrupt")]
    Corrupt {
        /// The record.
        key: RecordKey,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// Secret hashing failed.
    #[error("secret hashing failed: {0}")]
    Hashing(String),
    /// A DNS lookup failed.
    #[error(transparent)]
    Dns(crate::domain::ResolveError),
    /// Encrypting or decrypting a stored secret failed.
    #[error("secret encryption failed: {0}")]
    Encryption(String),
    /// The random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// A record could not be encoded for storage.
    #[error("record could not be encoded")]
    Encode(#[source] serde_json::Error),
    /// The storage backend failed.
    #[error("storage failed")]
    Store(#[source] StoreError),
}

impl IamError {
    /// Creates a [`IamError::NotFound`].
    pub fn not_found(kind: &'static str, id: impl fmt::Display) -> Self {
        IamError::NotFound {
            kind,
            id: id.to_string(),
        }
    }

    /// Creates a [`IamError::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        IamError::Conflict {
            message: message.into(),
        }
    }
}

impl From<StoreError> for IamError {
    fn from(error: StoreError) -> Self {
        IamError::Store(error)
    }
}

impl From<ValidationErrors> for IamError {
    fn from(errors: ValidationErrors) -> Self {
        IamError::Validation(errors)
    }
}

/// Validation failures by field name (as the API spells it, such as `allowedScopes`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors {
    fields: BTreeMap<String, Vec<String>>,
}

impl ValidationErrors {
    /// Creates an empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates a collection with one message.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Adds a message for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// Records the error of `result` under its own field names, if it is a validation
    /// error, and returns the value otherwise. Other errors are kept as they are.
    ///
    /// # Errors
    ///
    /// Any error other than [`IamError::Validation`].
    pub fn collect<T>(&mut self, result: Result<T, IamError>) -> Result<Option<T>, IamError> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(IamError::Validation(errors)) => {
                for (field, messages) in errors.fields {
                    self.fields.entry(field).or_default().extend(messages);
                }
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Returns true when no message was added.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Returns the messages by field name.
    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.fields
    }

    /// Returns `Ok(())` when empty, else the collected errors.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] with every message added.
    pub fn into_result(self) -> Result<(), IamError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(IamError::Validation(self))
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, messages) in &self.fields {
            for message in messages {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                write!(f, "invalid `{field}`: {message}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
