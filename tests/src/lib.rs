//! Cross-crate integration tests of the IAM workspace; the tests themselves are in `tests/`.
