//! Case-insensitive uniqueness keys for names and e-mail addresses.

use unicode_normalization::UnicodeNormalization;

/// Returns the key under which `text` must be unique: Unicode NFC, then full default case
/// folding (so `Straße` and `STRASSE` collide), then NFC again because folding can
/// produce unnormalised sequences. The original spelling is what callers display.
pub fn fold(text: &str) -> String {
    let composed: String = text.nfc().collect();
    caseless::default_case_fold_str(&composed).nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn fold_ignores_case() {
        assert_eq!(fold("Jane.Doe@Example.COM"), fold("jane.doe@example.com"));
    }

    #[test]
    fn fold_applies_full_case_folding() {
        assert_eq!(fold("Straße"), fold("STRASSE"));
    }

    #[test]
    fn fold_unifies_composed_and_decomposed() {
        // U+00E9 versus `e` followed by the combining acute accent U+0301.
        assert_eq!(fold("caf\u{e9}"), fold("cafe\u{301}"));
    }
}
