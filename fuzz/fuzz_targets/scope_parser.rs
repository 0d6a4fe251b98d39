//! Fuzzes resource scope parsing: no panic, and every accepted scope is canonical,
//! re-parses to itself and is covered by each of its ancestors.
#![no_main]

use iam_core::scope::ResourceScope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(scope) = ResourceScope::parse("scope", text) else {
        return;
    };
    let again = ResourceScope::parse("scope", scope.as_str());
    assert_eq!(again.as_ref().ok(), Some(&scope), "canonical form must re-parse to itself");
    assert!(scope.as_str().len() <= iam_core::scope::MAX_SCOPE_LEN);
    assert!(scope.depth() <= iam_core::scope::MAX_SCOPE_SEGMENTS);
    assert!(scope.covers(&scope));
    for ancestor in scope.ancestors_and_self() {
        assert!(ancestor.covers(&scope), "`{ancestor}` must cover `{scope}`");
    }
});
