//! Field checks shared by several entities.

use crate::error::ValidationErrors;

/// Checks that `value` has `min..=max` characters and no control characters, adding a
/// message for `field` otherwise.
pub(crate) fn text(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) {
    let length = value.chars().count();
    if length < min || length > max {
        let message = if min == 0 {
            format!("must be at most {max} characters long, not {length}")
        } else {
            format!("must be {min} to {max} characters long, not {length}")
        };
        errors.add(field, message);
    }
    if value.chars().any(char::is_control) {
        errors.add(field, "must not contain control characters");
    }
}

/// Checks a display name: like [`text`], and without white space at either end, so that
/// two names that look the same are the same.
pub(crate) fn name(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) {
    text(errors, field, value, 1, max);
    if value.trim() != value {
        errors.add(field, "must not start or end with white space");
    }
}

/// Returns true when the URL's host is a loopback host: `localhost`, an address in
/// `127.0.0.0/8`, or `[::1]`. Plain `http` is accepted only there (RFC 8252, section 7.3).
pub(crate) fn is_loopback_host(parsed: &url::Url) -> bool {
    match parsed.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => std::net::IpAddr::V4(address).is_loopback(),
        Some(url::Host::Ipv6(address)) => std::net::IpAddr::V6(address).is_loopback(),
        None => false,
    }
}
