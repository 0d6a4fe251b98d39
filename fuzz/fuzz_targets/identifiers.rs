//! Fuzzes the other text inputs: subject ids, domain names, e-mail domains and paging
//! cursors. None may panic, and accepted values must round-trip.
#![no_main]

use iam_core::id::SubjectId;
use iam_core::paging::CursorRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(subject) = text.parse::<SubjectId>() {
        assert_eq!(subject.to_string().parse::<SubjectId>().ok(), Some(subject));
    }
    if let Ok(domain) = iam_core::domain::normalize_domain("domain", text) {
        let again = iam_core::domain::normalize_domain("domain", &domain);
        assert_eq!(again.ok().as_deref(), Some(domain.as_str()));
        assert!(domain.len() <= iam_core::domain::MAX_DOMAIN_LEN);
    }
    let _ = iam_core::domain::email_domain(text);
    let _ = CursorRequest::new(Some(10), Some(text.to_owned())).position();
});
