//! The short version of the cargo-fuzz targets in `fuzz/`, for the default test run:
//! the same invariants, checked with proptest on random and hostile text. The long
//! version is `RUSTC_BOOTSTRAP=1 cargo fuzz run <target>` (see RELIABILITY.md).

use iam_core::action::{ActionCatalog, ActionName, MAX_ACTION_LEN};
use iam_core::domain::{MAX_DOMAIN_LEN, email_domain, normalize_domain};
use iam_core::id::SubjectId;
use iam_core::paging::CursorRequest;
use iam_core::scope::{MAX_SCOPE_LEN, MAX_SCOPE_SEGMENTS, ResourceScope};
use proptest::prelude::*;

/// Text that looks like the inputs of each parser, mixed with arbitrary Unicode.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9/._%*?#:@\\[\\]-]{0,80}",
        "(https?|HTTP)://[a-zA-Z0-9.:\\[\\]@-]{0,30}(/[a-zA-Z0-9.%-]{0,8}){0,6}/?",
        "(/[a-z0-9.]{0,4}){0,40}",
        "[a-zA-Z0-9_.-]{0,20}(\\.[a-zA-Z0-9_-]{0,6}){0,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn scope_parser_invariants(text in hostile_text()) {
        if let Ok(scope) = ResourceScope::parse("scope", &text) {
            let again = ResourceScope::parse("scope", scope.as_str()).ok();
            prop_assert_eq!(again.as_ref(), Some(&scope));
            prop_assert!(scope.as_str().len() <= MAX_SCOPE_LEN);
            prop_assert!(scope.depth() <= MAX_SCOPE_SEGMENTS);
            prop_assert!(scope.covers(&scope));
            for ancestor in scope.ancestors_and_self() {
                prop_assert!(ancestor.covers(&scope), "`{}` must cover `{}`", ancestor, scope);
            }
        }
    }

    #[test]
    fn action_parser_invariants(names in proptest::collection::vec(hostile_text(), 0..6)) {
        let mut builder = ActionCatalog::builder();
        for text in &names {
            if let Ok(name) = ActionName::parse("action", text) {
                prop_assert_eq!(name.as_str(), text.to_ascii_lowercase());
                prop_assert!(name.as_str().len() <= MAX_ACTION_LEN);
            }
            builder = builder.action(text.clone(), "generated", None::<String>);
        }
        if let Ok(catalog) = builder.build() {
            for definition in catalog.list("") {
                let ancestors = catalog.ancestors(&definition.name);
                prop_assert!(!ancestors.contains(&definition.name));
                for ancestor in ancestors {
                    prop_assert!(catalog.covers(ancestor, &definition.name));
                }
            }
        }
    }

    #[test]
    fn identifier_parsers_invariants(text in hostile_text()) {
        if let Ok(subject) = text.parse::<SubjectId>() {
            prop_assert_eq!(subject.to_string().parse::<SubjectId>().ok(), Some(subject));
        }
        if let Ok(domain) = normalize_domain("domain", &text) {
            let again = normalize_domain("domain", &domain).ok();
            prop_assert_eq!(again.as_deref(), Some(domain.as_str()));
            prop_assert!(domain.len() <= MAX_DOMAIN_LEN);
        }
        let _ = email_domain(&text);
        let _ = CursorRequest::new(Some(10), Some(text.clone())).position();
    }
}
