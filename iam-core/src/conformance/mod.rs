//! The backend conformance suite (feature `conformance`).
//!
//! Every [`Store`] implementation runs the same named cases, each as its own test, plus a
//! model test that applies random operation sequences to the backend and to
//! [`MemoryStore`] and compares them after every step, closing and reopening the backend
//! in between. A backend's test file needs only a [`Backend`] and one macro call:
//!
//! ```ignore
//! struct MyBackend { dir: tempfile::TempDir }
//!
//! #[async_trait::async_trait]
//! impl iam_core::conformance::Backend for MyBackend {
//!     async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
//!         Ok(Arc::new(MyStore::open(self.dir.path())?))
//!     }
//! }
//!
//! iam_core::conformance_tests!(MyBackend { dir: tempfile::tempdir().unwrap() });
//! ```
//!
//! The macro's argument is evaluated once per test, so each test gets a fresh store.

mod fixtures;
mod list;
mod model;
mod support;

mod audit_cases;
mod client_cases;
mod domain_invitation_cases;
mod group_cases;
mod policy_cases;
mod role_scope_cases;
mod sso_scim_cases;
mod store_cases;
mod tenant_user_cases;

use std::sync::Arc;

use async_trait::async_trait;

use crate::store::{Store, StoreError};

pub use model::run_model_test;

/// A backend under test: opens (and after a close, reopens) the same durable store.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Opens the store. A case closes a store by dropping every handle to it, then calls
    /// `open` again to check what survived.
    ///
    /// # Errors
    ///
    /// The backend's error when it can't open, for example while another handle is open.
    async fn open(&self) -> Result<Arc<dyn Store>, StoreError>;
}

/// Every case, by name. The test macro and [`CASE_NAMES`] both come from this one list.
#[doc(hidden)]
pub mod cases {
    pub use super::audit_cases::*;
    pub use super::client_cases::*;
    pub use super::domain_invitation_cases::*;
    pub use super::group_cases::*;
    pub use super::policy_cases::*;
    pub use super::role_scope_cases::*;
    pub use super::sso_scim_cases::*;
    pub use super::store_cases::*;
    pub use super::tenant_user_cases::*;
}

macro_rules! __conformance_case_names {
    (() $($case:ident),* $(,)?) => {
        /// The names of every conformance case, in the order the suite lists them.
        pub const CASE_NAMES: &[&str] = &[$(stringify!($case)),*];
    };
}

crate::__conformance_case_list!([__conformance_case_names]);

/// Expands to one `#[tokio::test]` per conformance case and a `model_based` property test,
/// each with a fresh backend from `$backend` (an expression evaluated per test). The
/// calling crate needs `tokio` (with the `macros` and `rt-multi-thread` features).
#[macro_export]
macro_rules! conformance_tests {
    ($backend:expr) => {
        $crate::__conformance_case_list!([$crate::__conformance_emit_tests] $backend);

        #[test]
        fn model_based() {
            $crate::conformance::run_model_test(|| -> ::std::boxed::Box<dyn $crate::conformance::Backend> {
                ::std::boxed::Box::new($backend)
            });
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_emit_tests {
    (($backend:expr) $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let backend = $backend;
                $crate::conformance::cases::$case(&backend).await;
            }
        )*
    };
}
