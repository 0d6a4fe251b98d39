//! Transport-free identity and access management.
//!
//! `iam-core` holds the domain of the IAM workspace: tenants, users, OAuth clients and
//! their secrets, groups, policies, the action catalogue, tenant roles, OAuth scopes and
//! audit events; policy evaluation; Argon2id secret hashing; and the storage traits that
//! the sled and SQLite backends implement. It does no network or file I/O itself, and
//! needs no async runtime of its own.
//!
//! Everything starts from [`Iam`], the facade over a [`store::Store`]:
//!
//! ```
//! use std::sync::Arc;
//! use iam_core::{Actor, Iam, store::MemoryStore, group::GroupInput};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), iam_core::IamError> {
//! let iam = Iam::open(Arc::new(MemoryStore::new())).await?;
//! let tenant = iam.create_tenant("acme").await?;
//! let acme = iam.tenant(tenant.id, Actor::Operator).await?;
//! let team = acme
//!     .create_group(GroupInput { display_name: "Finance Team".into(), description: String::new() })
//!     .await?;
//! let subject = iam_core::id::SubjectId::Group(team.id);
//! acme.create_policy(&subject, "iam.policy.read", "/subscriptions/123").await?;
//! let decision = acme.check(&subject, "iam.policy.read", "/subscriptions/123/x");
//! assert!(decision.is_allowed());
//! # Ok(())
//! # }
//! ```

pub mod action;
pub mod audit;
pub mod casefold;
pub mod cipher;
pub mod claim;
pub mod client;
pub mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod credential;
pub mod domain;
pub mod error;
pub mod group;
mod iam;
pub mod id;
mod index;
pub mod invitation;
pub mod oauth_scope;
pub mod paging;
pub mod policy;
pub mod role;
pub mod scim;
pub mod scope;
pub mod secret;
pub mod sso;
pub mod store;
pub mod subject;
pub mod tenant;
pub mod token;
pub mod user;
mod validate;

pub use audit::Actor;
pub use error::{IamError, ValidationErrors};
pub use iam::{Iam, IamBuilder, PolicyIndexStats, TenantIam};
