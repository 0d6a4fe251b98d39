//! Cross-crate integration tests of the IAM workspace; the tests themselves are in
//! `tests/`. The README's code blocks are compiled and run as this crate's doctests.

#![doc = include_str!("../../README.md")]
