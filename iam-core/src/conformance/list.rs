//! The list of conformance cases. Add a case here and in its module; the test macro
//! and `CASE_NAMES` both expand from this list.

/// Invokes `$callback! { ($args) case, case, ... }` with every case name.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_case_list {
    ([$($callback:tt)*] $($args:tt)*) => {
        $($callback)*! { ($($args)*)
            // Raw store contract.
            store_get_missing_is_none,
            store_put_then_get,
            store_put_increments_version,
            store_expect_absent_rejects_existing,
            store_expect_present_rejects_missing,
            store_expect_version_rejects_stale,
            store_failed_batch_writes_nothing,
            store_batch_sees_own_writes,
            store_delete_missing_with_any_is_ok,
            store_scan_orders_by_id_bytes,
            store_scan_prefix_after_limit,
            store_scan_reverse,
            store_namespaces_are_isolated,
            store_kinds_are_isolated,
            store_reopen_keeps_writes,
            store_concurrent_increments_lose_nothing,
        }
    };
}
