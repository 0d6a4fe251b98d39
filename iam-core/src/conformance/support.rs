//! Helpers shared by the conformance cases.

use std::sync::Arc;

use super::Backend;
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
    Iam::new(open_store(backend).await)
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
