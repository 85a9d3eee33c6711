//! A list a review shows (its entries, its allocations): held in memory, or
//! read page by page from where the review spilled it (the facade keeps large
//! reviews on disk).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Result;

/// Where a spilled list is read from, in the list's order.
pub trait Pages<T>: Send + Sync {
    /// Number of items.
    fn count(&self) -> u64;

    /// Up to `limit` items from `offset` on (fewer at the end).
    fn page(&self, offset: u64, limit: u64) -> Result<Vec<T>>;
}

/// Items read per page by [`PagedList::iter`].
const ITER_PAGE: u64 = 1_000;

/// A list held in memory or read on demand.
///
/// A review made by the facade keeps its entries and allocations in a spill
/// file and reads them on demand ([`PagedList::page`], [`PagedList::iter`]),
/// so a review of a million records does not hold a million of either. It
/// serializes as a plain list and compares item by item.
pub enum PagedList<T> {
    /// Items held in memory.
    Held(Vec<T>),
    /// Items read on demand.
    Paged(Arc<dyn Pages<T>>),
}

impl<T: Clone> Clone for PagedList<T> {
    fn clone(&self) -> Self {
        match self {
            PagedList::Held(v) => PagedList::Held(v.clone()),
            PagedList::Paged(p) => PagedList::Paged(Arc::clone(p)),
        }
    }
}

impl<T> Default for PagedList<T> {
    fn default() -> Self {
        PagedList::Held(Vec::new())
    }
}

impl<T: Clone> PagedList<T> {
    /// Number of items.
    pub fn len(&self) -> u64 {
        match self {
            PagedList::Held(v) => v.len() as u64,
            PagedList::Paged(p) => p.count(),
        }
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `limit` items from `offset` on (empty past the end).
    pub fn page(&self, offset: u64, limit: u64) -> Result<Vec<T>> {
        match self {
            PagedList::Held(v) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(v.len());
                let end = usize::try_from(limit)
                    .unwrap_or(usize::MAX)
                    .saturating_add(start)
                    .min(v.len());
                Ok(v[start..end].to_vec())
            }
            PagedList::Paged(p) => p.page(offset, limit),
        }
    }

    /// Every item in order, read a page at a time (an error ends the
    /// iteration after it is yielded).
    pub fn iter(&self) -> PagedIter<'_, T> {
        PagedIter {
            list: self,
            buffer: Vec::new().into_iter(),
            offset: 0,
            failed: false,
        }
    }

    /// Every item, in memory.
    pub fn to_vec(&self) -> Result<Vec<T>> {
        match self {
            PagedList::Held(v) => Ok(v.clone()),
            PagedList::Paged(_) => self.iter().collect(),
        }
    }
}

/// Iterator over a [`PagedList`], one page read at a time.
pub struct PagedIter<'a, T> {
    list: &'a PagedList<T>,
    buffer: std::vec::IntoIter<T>,
    offset: u64,
    failed: bool,
}

impl<T: Clone> Iterator for PagedIter<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.buffer.next() {
            return Some(Ok(e));
        }
        if self.failed || self.offset >= self.list.len() {
            return None;
        }
        match self.list.page(self.offset, ITER_PAGE) {
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

impl<T> From<Vec<T>> for PagedList<T> {
    fn from(v: Vec<T>) -> Self {
        PagedList::Held(v)
    }
}

impl<T> fmt::Debug for PagedList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PagedList::Held(v) => f.debug_tuple("Held").field(&v.len()).finish(),
            PagedList::Paged(p) => f.debug_tuple("Paged").field(&p.count()).finish(),
        }
    }
}

impl<T: Clone + PartialEq> PartialEq for PagedList<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a.ok() == b.ok())
    }
}

impl<T: Clone + Serialize> Serialize for PagedList<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(usize::try_from(self.len()).ok())?;
        for e in self.iter() {
            seq.serialize_element(&e.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for PagedList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(PagedList::Held(Vec::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Action, ReviewEntries, ReviewEntry};

    fn entry(i: usize) -> ReviewEntry {
        ReviewEntry {
            object: "invoice".into(),
            external_id: format!("in_{i}"),
            books_id: format!("inv_{i}"),
            action: Action::Create,
        }
    }

    struct InMemory(Vec<ReviewEntry>);

    impl Pages<ReviewEntry> for InMemory {
        fn count(&self) -> u64 {
            self.0.len() as u64
        }
        fn page(&self, offset: u64, limit: u64) -> Result<Vec<ReviewEntry>> {
            PagedList::Held(self.0.clone()).page(offset, limit)
        }
    }

    #[test]
    fn paged_and_held_agree() {
        let all: Vec<ReviewEntry> = (0..2_345).map(entry).collect();
        let held = PagedList::Held(all.clone());
        let paged = ReviewEntries::Paged(Arc::new(InMemory(all.clone())));
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
        assert_ne!(held, PagedList::Held(all[1..].to_vec()));
    }
}
