//! The practical floor of a check: one `HashMap` lookup.

use std::collections::HashMap;

/// A map from random keys to precomputed decisions, and the keys in the order the timed
/// loop visits them.
#[derive(Debug)]
pub struct HashMapBaseline {
    /// Decisions by (subject, request) key, half of them `true`.
    pub decisions: HashMap<(u64, u64), bool>,
    /// The keys, in visiting order.
    pub keys: Vec<(u64, u64)>,
}

impl HashMapBaseline {
    /// Builds a map with `count` keys, with `true` for every other key. It uses the
    /// standard library's default hasher (SipHash-1-3 in Rust 1.95).
    pub fn new(count: usize) -> Self {
        let mut rng = crate::rng::SplitMix64::new(0x5eed);
        let keys: Vec<(u64, u64)> = (0..count)
            .map(|_| (rng.next_u64(), rng.next_u64()))
            .collect();
        let decisions = keys
            .iter()
            .enumerate()
            .map(|(position, key)| (*key, position % 2 == 0))
            .collect();
        Self { decisions, keys }
    }

    /// Looks up one key; `None` never happens for keys from [`Self::keys`].
    pub fn get(&self, key: &(u64, u64)) -> Option<bool> {
        self.decisions.get(key).copied()
    }
}
