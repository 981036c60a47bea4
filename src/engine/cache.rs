//! The per-input caches of the main loop (condition results, variable
//! bags). An input usually caches a handful of entries, so they start as a
//! short inline list (no allocation, no hashing) and move to a hash map only
//! when a large policy makes the list long enough for scans to cost more.

use std::hash::Hash;

use smallvec::SmallVec;

use super::index::HashMap;

/// Entries kept in the inline list before switching to a map.
const INLINE_LIMIT: usize = 32;

/// A small map from `K` to `V` for the lifetime of one input.
pub(crate) enum InputCache<K, V> {
    /// Few entries: scanned in insertion order.
    Inline(SmallVec<[(K, V); 8]>),
    /// Many entries.
    Hashed(HashMap<K, V>),
}

impl<K: Eq + Hash, V> Default for InputCache<K, V> {
    fn default() -> Self {
        InputCache::Inline(SmallVec::new())
    }
}

impl<K: Eq + Hash, V> InputCache<K, V> {
    /// The value cached for `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        match self {
            InputCache::Inline(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            InputCache::Hashed(map) => map.get(key),
        }
    }

    /// Caches `value` for `key`, replacing an earlier value.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        match self {
            InputCache::Inline(entries) => {
                if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
                    slot.1 = value;
                    return;
                }
                if entries.len() < INLINE_LIMIT {
                    entries.push((key, value));
                    return;
                }
                let mut map: HashMap<K, V> = entries.drain(..).collect();
                map.insert(key, value);
                *self = InputCache::Hashed(map);
            }
            InputCache::Hashed(map) => {
                map.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_entry_across_the_switch_to_a_map() {
        let mut cache: InputCache<u32, u32> = InputCache::default();
        for k in 0..100 {
            cache.insert(k, k * 2);
            // Replacing keeps one entry per key.
            cache.insert(k, k * 3);
        }
        assert!(matches!(cache, InputCache::Hashed(_)));
        for k in 0..100 {
            assert_eq!(cache.get(&k), Some(&(k * 3)));
        }
        assert_eq!(cache.get(&100), None);
    }

    #[test]
    fn stays_inline_for_a_few_entries() {
        let mut cache: InputCache<u32, bool> = InputCache::default();
        cache.insert(7, true);
        cache.insert(3, false);
        assert!(matches!(cache, InputCache::Inline(_)));
        assert_eq!(cache.get(&7), Some(&true));
        assert_eq!(cache.get(&3), Some(&false));
        assert_eq!(cache.get(&4), None);
    }
}
