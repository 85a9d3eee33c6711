//! Filtered, paged queries over the books: [`Books::query`] reads one page,
//! [`Books::iter_records`] walks every page lazily (one page in memory at a
//! time; the store is locked only while a page is read).

use std::collections::VecDeque;

use tieout_core::entity::{Entity, EntityKind};
use tieout_core::store::{RecordPage, RecordQuery};

use crate::books::Books;
use crate::error::Result;

impl Books {
    /// One page of a filtered query (see [`RecordQuery`]); pass the page's
    /// `next` cursor as the next query's `after`.
    pub fn query(&self, q: &RecordQuery) -> Result<RecordPage> {
        Ok(self.store()?.query(q)?)
    }

    /// Every record matching `q`, fetched page by page (`q.limit` records
    /// per page) as the iterator is advanced, starting after `q.after`.
    pub fn iter_records(&self, q: RecordQuery) -> RecordIter<'_> {
        RecordIter {
            books: self,
            query: q,
            buffered: VecDeque::new(),
            done: false,
            pages: 0,
        }
    }
}

/// The lazy walk of [`Books::iter_records`]: yields records, then ends; an
/// error ends the walk after it is yielded.
pub struct RecordIter<'b> {
    books: &'b Books,
    query: RecordQuery,
    buffered: VecDeque<Entity>,
    done: bool,
    pages: usize,
}

impl RecordIter<'_> {
    /// Pages read from the store so far.
    pub fn pages_fetched(&self) -> usize {
        self.pages
    }

    /// The kind walked.
    pub fn kind(&self) -> EntityKind {
        self.query.kind
    }

    /// The next page, or `None` once the walk is over. Used by the
    /// bindings, which hand records over a page at a time.
    pub fn next_page(&mut self) -> Result<Option<Vec<Entity>>> {
        if !self.buffered.is_empty() {
            return Ok(Some(self.buffered.drain(..).collect()));
        }
        if self.done {
            return Ok(None);
        }
        let page = match self.books.query(&self.query) {
            Ok(p) => p,
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        self.pages += 1;
        match page.next {
            Some(next) => self.query.after = Some(next),
            None => self.done = true,
        }
        if page.records.is_empty() {
            return Ok(None);
        }
        Ok(Some(page.records))
    }
}

impl Iterator for RecordIter<'_> {
    type Item = Result<Entity>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffered.is_empty() {
            match self.next_page() {
                Ok(Some(records)) => self.buffered = records.into(),
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        self.buffered.pop_front().map(Ok)
    }
}
