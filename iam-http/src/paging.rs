//! The three paging styles of the API.
//!
//! - Envelope A (item lists): query `page` (1-based), `pageSize` (default 20, clamped to
//!   1..=200) and `searchText`; body `{items, metadata: {page, pageSize, totalCount},
//!   links: {first, previous, next, last}}` with absolute links that carry the same query.
//! - Envelope B (subject lists): query `page`, `pageSize` (default 50, clamped to
//!   10..=200) and `searchQuery`; body `{page, pageSize, count, total, totalPages, data}`.
//! - Cursor (policies, audit): query `pageSize` (default 100, clamped to 1..=1000) and
//!   `cursor`; body `{data, cursor}` where `cursor` is null on the last page.

use axum::http::Uri;
use iam_core::paging::{CursorPage, CursorRequest, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::state::AppState;

/// The query of an envelope A list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ItemPageQuery {
    /// The 1-based page number; values below 1 mean 1.
    pub page: Option<i64>,
    /// Items per page: default 20, clamped to 1..=200.
    pub page_size: Option<i64>,
    /// Only items that contain this text, case-insensitively.
    pub search_text: Option<String>,
}

impl ItemPageQuery {
    /// Returns the clamped page request.
    pub fn request(&self) -> PageRequest {
        PageRequest::items(self.page, self.page_size, self.search_text.clone())
    }
}

/// The query of an envelope A list without search.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PlainPageQuery {
    /// The 1-based page number; values below 1 mean 1.
    pub page: Option<i64>,
    /// Items per page: default 20, clamped to 1..=200.
    pub page_size: Option<i64>,
}

impl PlainPageQuery {
    /// Returns the clamped page request.
    pub fn request(&self) -> PageRequest {
        PageRequest::items(self.page, self.page_size, None)
    }
}

/// The query of an envelope B list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SubjectPageQuery {
    /// The 1-based page number; values below 1 mean 1.
    pub page: Option<i64>,
    /// Subjects per page: default 50, clamped to 10..=200.
    pub page_size: Option<i64>,
    /// Only subjects whose display name, subject id, user name or e-mail address
    /// contains this text, case-insensitively.
    pub search_query: Option<String>,
}

impl SubjectPageQuery {
    /// Returns the clamped page request.
    pub fn request(&self) -> PageRequest {
        PageRequest::subjects(self.page, self.page_size, self.search_query.clone())
    }
}

/// The paging part of a cursor list query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// Items per page: default 100, clamped to 1..=1000.
    pub page_size: Option<i64>,
    /// The `cursor` of the previous page, unchanged.
    pub cursor: Option<String>,
}

impl CursorQuery {
    /// Returns the clamped cursor request.
    pub fn request(&self) -> CursorRequest {
        CursorRequest::new(self.page_size, self.cursor.clone())
    }
}

/// Envelope A: one page of an item list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemPage<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The position of this page.
    pub metadata: PageMetadata,
    /// Absolute links to other pages.
    pub links: PageLinks,
}

/// The position of a page of envelope A.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMetadata {
    /// The 1-based page number.
    pub page: u32,
    /// The page size used.
    pub page_size: u32,
    /// The number of items in the whole list.
    pub total_count: u64,
}

/// Absolute links of envelope A, carrying the request's query with another `page`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PageLinks {
    /// The first page.
    pub first: String,
    /// The page before this one, or null on the first page.
    pub previous: Option<String>,
    /// The page after this one, or null on the last page.
    pub next: Option<String>,
    /// The last page (the first when the list is empty).
    pub last: String,
}

impl<T> ItemPage<T> {
    /// Builds envelope A for `page`, with links to the request's path and query on the
    /// public base URL.
    pub fn new<U>(state: &AppState, uri: &Uri, page: Page<U>, map: impl FnMut(U) -> T) -> Self {
        let last = page.total_pages();
        let current = u64::from(page.page);
        let link = |number: u64| page_link(state, uri, number);
        let links = PageLinks {
            first: link(1),
            previous: (current > 1).then(|| link((current - 1).min(last))),
            next: (current < last).then(|| link(current + 1)),
            last: link(last),
        };
        let metadata = PageMetadata {
            page: page.page,
            page_size: page.page_size,
            total_count: page.total_count,
        };
        ItemPage {
            items: page.items.into_iter().map(map).collect(),
            metadata,
            links,
        }
    }
}

/// Returns the absolute URL of page `number` of the list that `uri` requested: the same
/// path and query parameters in the same order, with `page` replaced (or appended).
fn page_link(state: &AppState, uri: &Uri, number: u64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut replaced = false;
    for (name, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        if name == "page" {
            if !replaced {
                query.append_pair("page", &number.to_string());
                replaced = true;
            }
        } else {
            query.append_pair(&name, &value);
        }
    }
    if !replaced {
        query.append_pair("page", &number.to_string());
    }
    state.absolute_url(&format!("{}?{}", uri.path(), query.finish()))
}

/// Envelope B: one page of a subject list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubjectPage<T> {
    /// The 1-based page number.
    pub page: u32,
    /// The page size used.
    pub page_size: u32,
    /// The number of subjects on this page.
    pub count: usize,
    /// The number of subjects in the whole list.
    pub total: u64,
    /// The number of pages (at least 1).
    pub total_pages: u64,
    /// The subjects of this page.
    pub data: Vec<T>,
}

impl<T> SubjectPage<T> {
    /// Builds envelope B for `page`.
    pub fn new<U>(page: Page<U>, map: impl FnMut(U) -> T) -> Self {
        let total_pages = page.total_pages();
        let data: Vec<T> = page.items.into_iter().map(map).collect();
        SubjectPage {
            page: page.page,
            page_size: page.page_size,
            count: data.len(),
            total: page.total_count,
            total_pages,
            data,
        }
    }
}

/// One page of a cursor list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CursorPageDto<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// The cursor of the next page, or null when this is the last page.
    pub cursor: Option<String>,
}

impl<T> CursorPageDto<T> {
    /// Builds the page body.
    pub fn new<U>(page: CursorPage<U>, map: impl FnMut(U) -> T) -> Self {
        CursorPageDto {
            data: page.items.into_iter().map(map).collect(),
            cursor: page.next_cursor,
        }
    }
}
