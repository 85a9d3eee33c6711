//! A growable Bloom filter over strings: answers "certainly not added" or
//! "maybe added" in a few bits per entry, so the review's layered store asks
//! its staging store only about keys and ids the review itself staged.
//!
//! Each filter is *blocked*: all probes of one entry fall in one 64-byte
//! block (a cache line), so a lookup costs one memory access per filter, not
//! one per probe. At a million invoices the filters hold millions of entries
//! in megabytes of bits, and a lookup per probe was 4% of a review.

use std::hash::{Hash, Hasher};

/// Bits per expected entry of each filter (about 1% false positives with
/// [`PROBES`] probes in 512-bit blocks).
const BITS_PER_ENTRY: usize = 10;
/// Probes per entry, each 9 bits of the second hash (7 x 9 = 63 bits).
const PROBES: u32 = 7;
/// Entries the first filter is sized for; each next one doubles.
const FIRST_CAPACITY: usize = 1 << 16;

/// One cache line of bits.
type Block = [u64; 8];

/// One fixed-size filter: a power-of-two number of blocks.
struct Filter {
    blocks: Vec<Block>,
    capacity: usize,
    len: usize,
}

impl Filter {
    fn new(capacity: usize) -> Filter {
        let blocks = (capacity * BITS_PER_ENTRY)
            .div_ceil(512)
            .next_power_of_two();
        Filter {
            blocks: vec![[0; 8]; blocks],
            capacity,
            len: 0,
        }
    }

    /// The block of `h` and the (word, bit mask) of each probe in it.
    fn probes(&self, h: (u64, u64)) -> (usize, impl Iterator<Item = (usize, u64)> + use<>) {
        // The block count is a power of two: the mask keeps the low bits.
        let block = (h.0 as usize) & (self.blocks.len() - 1);
        let bits = (0..PROBES).map(move |i| {
            let p = (h.1 >> (9 * i)) & 511;
            ((p / 64) as usize, 1u64 << (p % 64))
        });
        (block, bits)
    }

    fn insert(&mut self, h: (u64, u64)) {
        let (b, probes) = self.probes(h);
        let block = &mut self.blocks[b];
        for (word, mask) in probes {
            block[word] |= mask;
        }
        self.len += 1;
    }

    fn contains(&self, h: (u64, u64)) -> bool {
        let (b, mut probes) = self.probes(h);
        let block = &self.blocks[b];
        probes.all(|(word, mask)| block[word] & mask != 0)
    }
}

/// A scalable Bloom filter: a new, twice larger filter starts when the last
/// one is full, so memory grows with what was added (about 1.25 bytes an
/// entry) and the false-positive rate stays near 1% per filter.
#[derive(Default)]
pub(crate) struct Seen {
    filters: Vec<Filter>,
}

/// The finalizer of SplitMix64: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Seen {
    /// Two independent 64-bit hashes of (`tag`, `s`): the block and the
    /// probes within it. A filter only decides whether the staging store is
    /// asked, so a fast hash with no secret key is enough.
    fn hash(tag: u8, s: &str) -> (u64, u64) {
        let mut a = rustc_hash::FxHasher::default();
        tag.hash(&mut a);
        s.hash(&mut a);
        let h = mix(a.finish());
        (h, mix(h ^ 0x9E37_79B9_7F4A_7C15))
    }

    /// Adds `s` under `tag` (separate namespaces: alias keys, ids per kind).
    pub(crate) fn insert(&mut self, tag: u8, s: &str) {
        let h = Self::hash(tag, s);
        // Already answered "maybe" (a record staged again, an update): adding
        // it again would only take room (the filters grow with what is added).
        if self.contains(h) {
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
        let h = Self::hash(tag, s);
        self.contains(h)
    }

    /// Whether any filter may hold `h`: the newest (largest, holding the
    /// most entries) first.
    fn contains(&self, h: (u64, u64)) -> bool {
        self.filters.iter().rev().any(|f| f.contains(h))
    }

    /// Makes room for `total` entries in all, those added so far included,
    /// in one new filter when the last one has too little: a lookup costs a
    /// memory access per filter (and each filter adds its false positives),
    /// so a review that knows its size up front keeps one filter where
    /// doubling from [`FIRST_CAPACITY`] would chain seven at a million
    /// invoices. Asking again for the same total is nothing.
    pub(crate) fn reserve(&mut self, total: usize) {
        let added: usize = self.filters.iter().map(|f| f.len).sum();
        let entries = total.saturating_sub(added);
        let room = self
            .filters
            .last()
            .map_or(0, |f| f.capacity - f.len.min(f.capacity));
        if room < entries {
            let last = self.filters.last().map_or(0, |f| f.capacity * 2);
            self.filters
                .push(Filter::new(entries.max(last).max(FIRST_CAPACITY)));
        }
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

    #[test]
    fn a_reserved_filter_takes_what_was_reserved_alone() {
        let mut s = Seen::default();
        s.insert(1, "before");
        let n = 300_000;
        s.reserve(n + 1);
        assert_eq!(s.filters.len(), 2);
        for i in 0..n {
            s.insert(1, &format!("key/{i}"));
        }
        assert_eq!(s.filters.len(), 2, "no filter chained after the reserve");
        assert!(s.may_contain(1, "before"));
        assert!((0..n).all(|i| s.may_contain(1, &format!("key/{i}"))));
        let false_hits = (0..n)
            .filter(|i| s.may_contain(1, &format!("other/{i}")))
            .count();
        assert!(false_hits < n / 50, "{false_hits} false positives in {n}");
        // Room enough (the same total again, or less): nothing new; then
        // past it, the chain grows again.
        s.reserve(n + 1);
        s.reserve(10);
        assert_eq!(s.filters.len(), 2);
        for i in 0..n {
            s.insert(2, &format!("more/{i}"));
        }
        assert!(s.filters.len() > 2);
        assert!((0..n).all(|i| s.may_contain(2, &format!("more/{i}"))));
    }

    #[test]
    fn a_full_filter_claims_about_one_percent() {
        let mut f = Filter::new(FIRST_CAPACITY);
        for i in 0..FIRST_CAPACITY {
            f.insert(Seen::hash(0, &format!("in/{i}")));
        }
        let n = 100_000;
        let false_hits = (0..n)
            .filter(|i| f.contains(Seen::hash(0, &format!("out/{i}"))))
            .count();
        // 10 bits an entry, 7 probes in a 512-bit block: about 1%.
        assert!(false_hits < n / 50, "{false_hits} false positives in {n}");
        assert!(false_hits > 0, "a Bloom filter this full claims some");
    }
}
