//! Router tests: every request goes through `iam_http::router` with
//! `tower::ServiceExt::oneshot` against a `MemoryStore`, without a socket.

#![allow(dead_code)]

mod api;
mod auth;
mod domains;
mod limits;
mod oauth;
mod openapi;
mod problems;
mod sso;
mod support;
mod users_more;
