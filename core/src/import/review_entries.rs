//! A review's entry list: held in memory, or read page by page from where a
//! review spilled it (the facade keeps large reviews on disk).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ReviewEntry;
use crate::error::Result;

/// Where spilled review entries are read from, in review order.
pub trait EntryPages: Send + Sync {
    /// Number of entries.
    fn count(&self) -> u64;

    /// Up to `limit` entries from `offset` on (fewer at the end).
    fn page(&self, offset: u64, limit: u64) -> Result<Vec<ReviewEntry>>;
}

/// Entries read per page by [`ReviewEntries::iter`].
const ITER_PAGE: u64 = 1_000;

/// One entry per source record of a review, in the order planned.
///
/// A review made by the facade keeps its entries in a spill file and reads
/// them on demand ([`ReviewEntries::page`], [`ReviewEntries::iter`]), so a
/// review of a million records does not hold a million entries. It
/// serializes as a plain list and compares entry by entry.
#[derive(Clone)]
pub enum ReviewEntries {
    /// Entries held in memory.
    Held(Vec<ReviewEntry>),
    /// Entries read on demand.
    Paged(Arc<dyn EntryPages>),
}

impl Default for ReviewEntries {
    fn default() -> Self {
        ReviewEntries::Held(Vec::new())
    }
}

impl ReviewEntries {
    /// Number of entries.
    pub fn len(&self) -> u64 {
        match self {
            ReviewEntries::Held(v) => v.len() as u64,
            ReviewEntries::Paged(p) => p.count(),
        }
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `limit` entries from `offset` on (empty past the end).
    pub fn page(&self, offset: u64, limit: u64) -> Result<Vec<ReviewEntry>> {
        match self {
            ReviewEntries::Held(v) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(v.len());
                let end = usize::try_from(limit)
                    .unwrap_or(usize::MAX)
                    .saturating_add(start)
                    .min(v.len());
                Ok(v[start..end].to_vec())
            }
            ReviewEntries::Paged(p) => p.page(offset, limit),
        }
    }

    /// Every entry in order, read a page at a time (an error ends the
    /// iteration after it is yielded).
    pub fn iter(&self) -> EntryIter<'_> {
        EntryIter {
            entries: self,
            buffer: Vec::new().into_iter(),
            offset: 0,
            failed: false,
        }
    }

    /// Every entry, in memory.
    pub fn to_vec(&self) -> Result<Vec<ReviewEntry>> {
        match self {
            ReviewEntries::Held(v) => Ok(v.clone()),
            ReviewEntries::Paged(_) => self.iter().collect(),
        }
    }
}

/// Iterator over [`ReviewEntries`], one page read at a time.
pub struct EntryIter<'a> {
    entries: &'a ReviewEntries,
    buffer: std::vec::IntoIter<ReviewEntry>,
    offset: u64,
    failed: bool,
}

impl Iterator for EntryIter<'_> {
    type Item = Result<ReviewEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.buffer.next() {
            return Some(Ok(e));
        }
        if self.failed || self.offset >= self.entries.len() {
            return None;
        }
        match self.entries.page(self.offset, ITER_PAGE) {
            Ok(page) if page.is_empty() => None,
            Ok(page) => {
                self.offset += page.len() as u64;
                self.buffer = page.into_iter();
                self.buffer.next().map(Ok)
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl From<Vec<ReviewEntry>> for ReviewEntries {
    fn from(v: Vec<ReviewEntry>) -> Self {
        ReviewEntries::Held(v)
    }
}

impl fmt::Debug for ReviewEntries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewEntries::Held(v) => f.debug_tuple("Held").field(&v.len()).finish(),
            ReviewEntries::Paged(p) => f.debug_tuple("Paged").field(&p.count()).finish(),
        }
    }
}

impl PartialEq for ReviewEntries {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a.ok() == b.ok())
    }
}

impl Serialize for ReviewEntries {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(usize::try_from(self.len()).ok())?;
        for e in self.iter() {
            seq.serialize_element(&e.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ReviewEntries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(ReviewEntries::Held(Vec::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Action;

    fn entry(i: usize) -> ReviewEntry {
        ReviewEntry {
            object: "invoice".into(),
            external_id: format!("in_{i}"),
            books_id: format!("inv_{i}"),
            action: Action::Create,
        }
    }

    struct Pages(Vec<ReviewEntry>);

    impl EntryPages for Pages {
        fn count(&self) -> u64 {
            self.0.len() as u64
        }
        fn page(&self, offset: u64, limit: u64) -> Result<Vec<ReviewEntry>> {
            ReviewEntries::Held(self.0.clone()).page(offset, limit)
        }
    }

    #[test]
    fn paged_and_held_agree() {
        let all: Vec<ReviewEntry> = (0..2_345).map(entry).collect();
        let held = ReviewEntries::Held(all.clone());
        let paged = ReviewEntries::Paged(Arc::new(Pages(all.clone())));
        assert_eq!(paged.len(), 2_345);
        assert_eq!(paged.to_vec().unwrap(), all);
        assert_eq!(held, paged);
        assert_eq!(held.page(2_340, 10).unwrap(), all[2_340..].to_vec());
        assert!(held.page(9_999, 10).unwrap().is_empty());
        assert_eq!(
            serde_json::to_string(&paged).unwrap(),
            serde_json::to_string(&all).unwrap()
        );
        let back: ReviewEntries =
            serde_json::from_str(&serde_json::to_string(&paged).unwrap()).unwrap();
        assert_eq!(back, held);
        assert_ne!(held, ReviewEntries::Held(all[1..].to_vec()));
    }
}
