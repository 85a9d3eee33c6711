//! A growable Bloom filter over strings: answers "certainly not added" or
//! "maybe added" in a few bits per entry, so the review's layered store asks
//! its staging store only about keys and ids the review itself staged.

use std::hash::{BuildHasher, Hash, Hasher};

/// Bits per expected entry of each filter (about 1% false positives with
/// [`PROBES`] probes).
const BITS_PER_ENTRY: usize = 10;
/// Probes per entry.
const PROBES: u64 = 7;
/// Entries the first filter is sized for; each next one doubles.
const FIRST_CAPACITY: usize = 1 << 16;

/// One fixed-size filter.
struct Filter {
    bits: Vec<u64>,
    capacity: usize,
    len: usize,
}

impl Filter {
    fn new(capacity: usize) -> Filter {
        let words = (capacity * BITS_PER_ENTRY).div_ceil(64);
        Filter {
            bits: vec![0; words],
            capacity,
            len: 0,
        }
    }

    /// The `i`th probe's bit position.
    fn position(&self, h: (u64, u64), i: u64) -> usize {
        let n = (self.bits.len() * 64) as u64;
        (h.0.wrapping_add(i.wrapping_mul(h.1)) % n) as usize
    }

    fn insert(&mut self, h: (u64, u64)) {
        for i in 0..PROBES {
            let p = self.position(h, i);
            self.bits[p / 64] |= 1 << (p % 64);
        }
        self.len += 1;
    }

    fn contains(&self, h: (u64, u64)) -> bool {
        (0..PROBES).all(|i| {
            let p = self.position(h, i);
            self.bits[p / 64] & (1 << (p % 64)) != 0
        })
    }
}

/// A scalable Bloom filter: a new, twice larger filter starts when the last
/// one is full, so memory grows with what was added (about 1.25 bytes an
/// entry) and the false-positive rate stays near 1% per filter.
pub(crate) struct Seen {
    filters: Vec<Filter>,
    hasher: std::hash::RandomState,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            filters: Vec::new(),
            hasher: std::hash::RandomState::new(),
        }
    }
}

impl Seen {
    fn hash(&self, tag: u8, s: &str) -> (u64, u64) {
        let mut a = self.hasher.build_hasher();
        tag.hash(&mut a);
        s.hash(&mut a);
        let h = a.finish();
        // Double hashing: the second hash odd, so the probes cover the table.
        (h, (h.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Adds `s` under `tag` (separate namespaces: alias keys, ids per kind).
    pub(crate) fn insert(&mut self, tag: u8, s: &str) {
        let h = self.hash(tag, s);
        // Already answered "maybe" (a record staged again, an update): adding
        // it again would only take room (the filters grow with what is added).
        if self.filters.iter().any(|f| f.contains(h)) {
            return;
        }
        let full = self.filters.last().is_none_or(|f| f.len >= f.capacity);
        if full {
            let capacity = self
                .filters
                .last()
                .map_or(FIRST_CAPACITY, |f| f.capacity * 2);
            self.filters.push(Filter::new(capacity));
        }
        if let Some(f) = self.filters.last_mut() {
            f.insert(h);
        }
    }

    /// `false` when `s` was certainly never added under `tag`.
    pub(crate) fn may_contain(&self, tag: u8, s: &str) -> bool {
        if self.filters.is_empty() {
            return false;
        }
        let h = self.hash(tag, s);
        self.filters.iter().any(|f| f.contains(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_forgets_and_rarely_claims() {
        let mut s = Seen::default();
        assert!(!s.may_contain(0, "a"));
        let n = 200_000;
        for i in 0..n {
            s.insert(1, &format!("key/{i}"));
        }
        for i in 0..n {
            assert!(s.may_contain(1, &format!("key/{i}")), "lost key/{i}");
        }
        let false_hits = (0..n)
            .filter(|i| {
                s.may_contain(1, &format!("other/{i}")) || s.may_contain(2, &format!("key/{i}"))
            })
            .count();
        assert!(
            false_hits < n / 25,
            "{false_hits} false positives in {}",
            2 * n
        );
        assert!(s.filters.len() >= 2, "the filter grew");
    }
}
