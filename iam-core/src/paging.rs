//! Paging: numbered pages with a total count, and opaque cursors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{IamError, ValidationErrors};

/// A request for one numbered page, optionally filtered by a case-insensitive substring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Items per page.
    pub page_size: u32,
    /// Case-insensitive substring that listed items must contain, if any.
    pub search: Option<String>,
}

impl PageRequest {
    /// Builds a request with the clamping rules of item lists (clients, users, roles,
    /// scopes and the like): page numbers below 1 mean 1; the page size defaults to 20 and
    /// is clamped to 1..=200.
    pub fn items(page: Option<i64>, page_size: Option<i64>, search: Option<String>) -> Self {
        Self::clamped(page, page_size, search, 20, 1, 200)
    }

    /// Builds a request with the clamping rules of subject lists: page numbers below 1 mean
    /// 1; the page size defaults to 50 and is clamped to 10..=200.
    pub fn subjects(page: Option<i64>, page_size: Option<i64>, search: Option<String>) -> Self {
        Self::clamped(page, page_size, search, 50, 10, 200)
    }

    fn clamped(
        page: Option<i64>,
        page_size: Option<i64>,
        search: Option<String>,
        default_size: i64,
        min_size: i64,
        max_size: i64,
    ) -> Self {
        let page = page.unwrap_or(1).clamp(1, i64::from(u32::MAX));
        let page_size = page_size.unwrap_or(default_size).clamp(min_size, max_size);
        Self {
            page: u32::try_from(page).unwrap_or(1),
            page_size: u32::try_from(page_size).unwrap_or(20),
            search: search.filter(|text| !text.is_empty()),
        }
    }

    /// Returns true when `fields` match the search text (or there is none).
    pub fn matches<'a>(&self, fields: impl IntoIterator<Item = &'a str>) -> bool {
        let Some(search) = &self.search else {
            return true;
        };
        let needle = crate::casefold::fold(search);
        fields
            .into_iter()
            .any(|field| crate::casefold::fold(field).contains(&needle))
    }

    /// Cuts one page out of `items`, which are already filtered and in list order.
    pub fn paginate<T>(&self, items: Vec<T>) -> Page<T> {
        let total_count = items.len() as u64;
        let start = (u64::from(self.page) - 1).saturating_mul(u64::from(self.page_size));
        let items = items
            .into_iter()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(self.page_size as usize)
            .collect();
        Page {
            items,
            page: self.page,
            page_size: self.page_size,
            total_count,
        }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::items(None, None, None)
    }
}

/// One numbered page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The 1-based page number.
    pub page: u32,
    /// The page size used.
    pub page_size: u32,
    /// How many items the whole list has.
    pub total_count: u64,
}

impl<T> Page<T> {
    /// Returns the number of pages (at least 1).
    pub fn total_pages(&self) -> u64 {
        self.total_count.div_ceil(u64::from(self.page_size)).max(1)
    }

    /// Maps the items.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            page_size: self.page_size,
            total_count: self.total_count,
        }
    }
}

/// A request for the page of a cursor-paged list that follows `cursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorRequest {
    /// Items per page.
    pub page_size: u32,
    /// The cursor returned with the previous page, or `None` for the first page.
    pub cursor: Option<String>,
}

impl CursorRequest {
    /// Builds a request: the page size defaults to 100 and is clamped to 1..=1000.
    pub fn new(page_size: Option<i64>, cursor: Option<String>) -> Self {
        let page_size = page_size.unwrap_or(100).clamp(1, 1000);
        Self {
            page_size: u32::try_from(page_size).unwrap_or(100),
            cursor: cursor.filter(|text| !text.is_empty()),
        }
    }

    /// Decodes the cursor into the position it stands for.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] on field `cursor` when it was not produced by this server.
    pub fn position(&self) -> Result<Option<String>, IamError> {
        let Some(cursor) = &self.cursor else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(Some)
            .ok_or_else(|| {
                ValidationErrors::single("cursor", format!("cursor `{cursor}` is invalid; pass the cursor of the previous page unchanged")).into()
            })
    }
}

impl Default for CursorRequest {
    fn default() -> Self {
        Self::new(None, None)
    }
}

/// One page of a cursor-paged list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorPage<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The cursor of the next page, or `None` when this is the last.
    pub next_cursor: Option<String>,
}

/// Encodes a position as an opaque cursor.
pub fn encode_cursor(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position.as_bytes())
}
