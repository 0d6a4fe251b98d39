//! Resource scopes: the "where" of a policy.
//!
//! A scope is a relative path (`/`, `/subscriptions/123/resource-groups/rg1`) or an
//! absolute `http`/`https` URI (`https://api.example.com/tenants/t1`).
//!
//! Canonical form:
//! - scheme and host are lowercased, and a default port (80 for `http`, 443 for `https`)
//!   is dropped; path segments are kept exactly as written (case-sensitive);
//! - one trailing slash is removed, except for the root `/`;
//! - empty segments (`//`), `.` and `..` segments, a query, a fragment, `*`, white space,
//!   control characters, user information in the authority, more than 32 segments and
//!   more than 1,024 bytes are rejected;
//! - percent-encoded text is kept as written and never decoded, so `%2F` is never a
//!   separator. No Unicode normalisation is applied.
//!
//! Scope S covers scope T when both have the same origin (both relative, or the same
//! scheme and authority) and the segments of S are a prefix of the segments of T.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};

/// The maximum length of a canonical scope, in bytes.
pub const MAX_SCOPE_LEN: usize = 1024;
/// The maximum number of path segments of a scope.
pub const MAX_SCOPE_SEGMENTS: usize = 32;

/// A resource scope in canonical form. Cloning is cheap (a shared string).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceScope {
    canonical: Arc<str>,
    /// Byte length of the origin (`https://host:port`) at the start of `canonical`;
    /// 0 for relative scopes.
    origin_len: usize,
}

impl ResourceScope {
    /// Parses and canonicalises a scope.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming `field` and the rule that `text` breaks.
    pub fn parse(field: &str, text: &str) -> Result<Self, IamError> {
        Self::try_new(text).map_err(|problem| ValidationErrors::single(field, problem).into())
    }

    /// Returns the root scope `/`, which covers every relative scope.
    pub fn root() -> Self {
        Self {
            canonical: Arc::from("/"),
            origin_len: 0,
        }
    }

    fn try_new(text: &str) -> Result<Self, String> {
        let (canonical, origin_len) = canonicalize(text)?;
        Ok(Self {
            canonical: Arc::from(canonical),
            origin_len,
        })
    }

    /// Wraps shared text that [`canonicalize`] produced, with its origin length.
    pub(crate) fn from_shared(canonical: Arc<str>, origin_len: usize) -> Self {
        Self {
            canonical,
            origin_len,
        }
    }

    /// Returns the canonical text as a shared string, for indexes that keep it.
    pub(crate) fn shared(&self) -> Arc<str> {
        Arc::clone(&self.canonical)
    }

    /// Returns the canonical text.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// Returns the origin (`https://host[:port]`), or `None` for a relative scope.
    pub fn origin(&self) -> Option<&str> {
        (self.origin_len > 0).then(|| &self.canonical[..self.origin_len])
    }

    /// Returns the path part, which always starts with `/`.
    pub fn path(&self) -> &str {
        &self.canonical[self.origin_len..]
    }

    /// Returns the path segments (none for the root).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.path()[1..]
            .split('/')
            .filter(|segment| !segment.is_empty())
    }

    /// Returns the number of path segments.
    pub fn depth(&self) -> usize {
        self.segments().count()
    }

    /// Returns this scope and every scope that covers it, from itself up to its root.
    pub fn ancestors_and_self(&self) -> Vec<ResourceScope> {
        covering_ends(&self.canonical, self.origin_len)
            .map(|end| Self {
                canonical: Arc::from(&self.canonical[..end]),
                origin_len: self.origin_len,
            })
            .collect()
    }

    /// Returns true when `self` covers `other`: the same origin, and the segments of
    /// `self` are a prefix of those of `other`.
    pub fn covers(&self, other: &ResourceScope) -> bool {
        if self.origin() != other.origin() {
            return false;
        }
        let mine = self.path();
        let theirs = other.path();
        mine == "/"
            || theirs == mine
            || (theirs.starts_with(mine) && theirs.as_bytes().get(mine.len()) == Some(&b'/'))
    }
}

/// Checks `text` and returns its canonical form with the byte length of its origin. A
/// relative scope borrows from `text`, so checks of the common case allocate nothing.
pub(crate) fn canonicalize(text: &str) -> Result<(Cow<'_, str>, usize), String> {
    if text.is_empty() {
        return Err("scope must not be empty".to_owned());
    }
    if let Some(bad) = text
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '*' | '?' | '#'))
    {
        return Err(format!(
            "scope `{}` contains `{}`, which is not allowed in a scope",
            text.escape_default(),
            bad.escape_default()
        ));
    }

    let (origin, path) = split_origin(text)?;
    let path = if path.is_empty() { "/" } else { path };
    if !path.starts_with('/') {
        return Err(format!(
            "scope `{text}` must be a path starting with `/` or an absolute http or https URI"
        ));
    }

    if path.contains("//") {
        return Err(format!("scope `{text}` has an empty segment"));
    }
    let trimmed = match path.strip_suffix('/') {
        Some(rest) if !rest.is_empty() => rest,
        _ => path,
    };
    let segments = if trimmed == "/" { "" } else { &trimmed[1..] };
    let mut count = 0usize;
    for segment in segments.split('/').filter(|_| !segments.is_empty()) {
        count += 1;
        match segment {
            "" => return Err(format!("scope `{text}` has an empty segment")),
            "." | ".." => {
                return Err(format!(
                    "scope `{text}` has a `{segment}` segment; write the path without it"
                ));
            }
            _ => {}
        }
    }
    if count > MAX_SCOPE_SEGMENTS {
        return Err(format!(
            "scope `{text}` has more than {MAX_SCOPE_SEGMENTS} segments"
        ));
    }

    let canonical: Cow<'_, str> = if origin.is_empty() {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(format!("{origin}{trimmed}"))
    };
    if canonical.len() > MAX_SCOPE_LEN {
        return Err(format!(
            "scope is longer than {MAX_SCOPE_LEN} bytes ({} bytes)",
            canonical.len()
        ));
    }
    Ok((canonical, origin.len()))
}

/// Returns the end offsets of `canonical` and of every scope that covers it, longest
/// first: `/a/b` gives the ends of `/a/b`, `/a` and `/`.
pub(crate) fn covering_ends(
    canonical: &str,
    origin_len: usize,
) -> impl Iterator<Item = usize> + '_ {
    let root_end = origin_len + 1;
    let mut next = Some(canonical.len());
    std::iter::from_fn(move || {
        let end = next?;
        next = if end <= root_end {
            None
        } else {
            canonical[..end].rfind('/').map(|slash| slash.max(root_end))
        };
        Some(end)
    })
}

/// Splits an absolute URI into its canonical origin and the rest; a relative scope has an
/// empty origin.
fn split_origin(text: &str) -> Result<(String, &str), String> {
    if text.starts_with('/') {
        return Ok((String::new(), text));
    }
    let has_prefix = |prefix: &str| {
        text.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    let (scheme, default_port, rest) = if has_prefix("https://") {
        ("https", "443", &text[8..])
    } else if has_prefix("http://") {
        ("http", "80", &text[7..])
    } else {
        return Err(format!(
            "scope `{text}` must be a path starting with `/` or an absolute http or https URI"
        ));
    };

    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    if authority.is_empty() {
        return Err(format!("scope `{text}` has no host"));
    }
    if authority.contains('@') {
        return Err(format!(
            "scope `{text}` contains user information; remove the part before `@`"
        ));
    }
    let (host, port) = split_host_port(authority)
        .ok_or_else(|| format!("scope `{text}` has an invalid host or port `{authority}`"))?;
    let mut origin = format!("{scheme}://{}", host.to_ascii_lowercase());
    if let Some(port) = port.filter(|port| *port != default_port) {
        origin.push(':');
        origin.push_str(port);
    }
    Ok((origin, path))
}

/// Splits `host[:port]` or `[ipv6][:port]`, checking the characters of each part.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let host = &authority[..=close];
        let after = &authority[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return None,
        };
        let inner = &host[1..host.len() - 1];
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return None;
        }
        (host, port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let valid_host = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid_host {
            return None;
        }
        (host, port)
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if port.parse::<u32>().ok()? > 65_535 {
            return None;
        }
    }
    Some((host, port))
}

impl TryFrom<String> for ResourceScope {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::try_new(&text)
    }
}

impl From<ResourceScope> for String {
    fn from(scope: ResourceScope) -> Self {
        scope.canonical.to_string()
    }
}

impl fmt::Display for ResourceScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl fmt::Debug for ResourceScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceScope({})", self.canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(text: &str) -> ResourceScope {
        ResourceScope::try_new(text).unwrap_or_else(|problem| panic!("{problem}"))
    }

    #[test]
    fn canonical_form() {
        assert_eq!(scope("/").as_str(), "/");
        assert_eq!(scope("/a/b/").as_str(), "/a/b");
        assert_eq!(
            scope("HTTPS://API.Example.com/Tenants/T1").as_str(),
            "https://api.example.com/Tenants/T1"
        );
        assert_eq!(
            scope("https://api.example.com:443/x").as_str(),
            "https://api.example.com/x"
        );
        assert_eq!(
            scope("http://localhost:8080").as_str(),
            "http://localhost:8080/"
        );
        assert_eq!(scope("/a%2Fb").as_str(), "/a%2Fb");
        assert_eq!(
            scope("https://[::1]:9000/a/").as_str(),
            "https://[::1]:9000/a"
        );
    }

    #[test]
    fn invalid_scopes_are_rejected() {
        let too_deep = "/a".repeat(MAX_SCOPE_SEGMENTS + 1);
        let too_long = format!("/{}", "a".repeat(MAX_SCOPE_LEN));
        for bad in [
            "",
            "a/b",
            "//",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/a?x=1",
            "/a#f",
            "/a/*",
            "/a b",
            "/a\u{7}",
            "ftp://host/a",
            "https:///a",
            "https://user@host/a",
            "https://host:99999/a",
            "https://ho st/a",
            "/a//",
            too_deep.as_str(),
            too_long.as_str(),
        ] {
            assert!(
                ResourceScope::try_new(bad).is_err(),
                "`{bad}` must be rejected"
            );
        }
    }

    #[test]
    fn covers_by_whole_segments() {
        let granted = scope("/subscriptions/12");
        assert!(granted.covers(&scope("/subscriptions/12")));
        assert!(granted.covers(&scope("/subscriptions/12/x")));
        assert!(!granted.covers(&scope("/subscriptions/123")));
        assert!(!granted.covers(&scope("/subscriptions/1")));
        assert!(!granted.covers(&scope("/subscriptions")));
        assert!(scope("/").covers(&scope("/anything/below")));
    }

    #[test]
    fn covers_needs_same_origin() {
        assert!(!scope("/").covers(&scope("https://api.example.com/a")));
        assert!(!scope("https://a.example.com/").covers(&scope("https://b.example.com/x")));
        assert!(!scope("http://a.example.com/").covers(&scope("https://a.example.com/x")));
        assert!(scope("https://a.example.com").covers(&scope("https://A.example.com:443/x/y")));
    }

    #[test]
    fn ancestors_run_from_self_to_root() {
        let chain: Vec<String> = scope("https://h/a/b")
            .ancestors_and_self()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(chain, ["https://h/a/b", "https://h/a", "https://h/"]);
        let relative: Vec<String> = scope("/a/b")
            .ancestors_and_self()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(relative, ["/a/b", "/a", "/"]);
        assert_eq!(scope("/").ancestors_and_self().len(), 1);
    }
}
