//! Helpers shared by the conformance cases.

use std::sync::Arc;

use super::Backend;
use crate::action::{ActionCatalog, ActionCatalogBuilder};
use crate::audit::Actor;
use crate::iam::{Iam, TenantIam};
use crate::store::Store;

/// Opens the backend's store or fails the test with the backend's error.
pub(crate) async fn open_store(backend: &dyn Backend) -> Arc<dyn Store> {
    match backend.open().await {
        Ok(store) => store,
        Err(error) => panic!("opening the store failed: {error} ({error:?})"),
    }
}

/// Opens the store and returns a facade over it.
pub(crate) async fn open_iam(backend: &dyn Backend) -> Iam {
    ok(Iam::open(open_store(backend).await).await)
}

/// Opens the store with the built-in actions and a `banking` tree: `banking.manage` over
/// `banking.ais.read`, `banking.consents.create` and `banking.pis.manage`, which is over
/// `banking.pis.read`, `banking.pis.readwrite` and `banking.pis.write`.
pub(crate) async fn open_iam_with_banking(backend: &dyn Backend) -> Iam {
    let catalog = ok(banking_catalog().build());
    ok(Iam::builder(open_store(backend).await)
        .catalog(catalog)
        .open()
        .await)
}

/// The `banking` catalogue of [`open_iam_with_banking`], to add more actions to.
pub(crate) fn banking_catalog() -> ActionCatalogBuilder {
    let none = None::<String>;
    ActionCatalog::builder()
        .action("banking.manage", "Manage banking", none.clone())
        .action("banking.ais.read", "Read accounts", none.clone())
        .action("banking.consents.create", "Create consents", none.clone())
        .action("banking.pis.manage", "Manage payments", none.clone())
        .action("banking.pis.read", "Read payments", none.clone())
        .action(
            "banking.pis.readwrite",
            "Read and write payments",
            none.clone(),
        )
        .action("banking.pis.write", "Write payments", none)
}

/// Creates a tenant named `name` in `iam` and returns the operator's handle.
pub(crate) async fn create_tenant(iam: &Iam, name: &str) -> TenantIam {
    let tenant = ok(iam.create_tenant(name).await);
    ok(iam.tenant(tenant.id, Actor::Operator).await)
}

/// Opens the store, creates a tenant named `name` and returns the facade and the tenant
/// handle acting as the operator.
pub(crate) async fn open_tenant(backend: &dyn Backend, name: &str) -> (Iam, TenantIam) {
    let iam = open_iam(backend).await;
    let tenant = ok(iam.create_tenant(name).await);
    let handle = ok(iam.tenant(tenant.id, Actor::Operator).await);
    (iam, handle)
}

/// Unwraps a result or fails the test with the error and its `Debug` form.
#[track_caller]
pub(crate) fn ok<T, E: std::fmt::Display + std::fmt::Debug>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("unexpected error: {error} ({error:?})"),
    }
}
