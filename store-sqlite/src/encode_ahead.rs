//! Record JSON encoded ahead of the rows that bind it, on a helper thread.
//!
//! Writing a batch of records is two kinds of work: encoding each record as
//! JSON, and binding and stepping SQLite's statements. The encoding was more
//! than half of it (a review of 25,000 invoices through Python: 1.2G of 2.2G
//! instructions in its commits) and needs nothing but the records, so for a
//! large batch a helper thread encodes them, in write order, while the
//! committing thread binds and writes the rows before them. A small batch
//! (a manual allocation, a webhook) encodes on the committing thread: a
//! thread costs more than it saves there.
//!
//! What is written does not change: the same encoder, the same order, each
//! record's text whole; a record that fails to encode fails the commit, as
//! before, and rolls it back.

use std::sync::mpsc::{Receiver, sync_channel};

use tieout_core::Entity;

use crate::codec;
use crate::error::SqliteError;
use crate::json;

/// Records the helper encodes to a message.
const GROUP: usize = 64;

/// Messages the helper may run ahead of the writer (bounds the memory held
/// in encoded text to a few hundred records).
const AHEAD: usize = 4;

/// Below this many records a commit encodes them itself.
pub(crate) const MIN_RECORDS: usize = 256;

/// The JSON of a group of records, back to back, and where each one ends.
#[derive(Default)]
struct Group {
    json: Vec<u8>,
    ends: Vec<usize>,
}

/// Where the records' JSON comes from.
enum Source<'r> {
    /// Encoded on this thread, when asked, from these records.
    Here(std::slice::Iter<'r, Entity>),
    /// From the helper thread, a group at a time.
    Ahead(Receiver<Result<Group, json::Error>>),
}

/// The JSON of a batch's records, one record at a time in write order.
pub(crate) struct Feed<'r> {
    source: Source<'r>,
    group: Group,
    /// The next record of `group`.
    at: usize,
}

impl Feed<'_> {
    /// Appends the next record's JSON to `out`.
    pub(crate) fn next_into(&mut self, out: &mut Vec<u8>) -> Result<(), SqliteError> {
        let rx = match &mut self.source {
            Source::Here(records) => {
                let e = records.next().ok_or_else(exhausted)?;
                return Ok(codec::encode_into(e, out)?);
            }
            Source::Ahead(rx) => rx,
        };
        if self.at == self.group.ends.len() {
            // A closed channel: the helper stopped early (it panicked).
            self.group = rx.recv().map_err(|_| exhausted())??;
            self.at = 0;
        }
        let start = match self.at {
            0 => 0,
            n => self.group.ends[n - 1],
        };
        out.extend_from_slice(&self.group.json[start..self.group.ends[self.at]]);
        self.at += 1;
        Ok(())
    }
}

fn exhausted() -> SqliteError {
    SqliteError::Invalid("a commit wrote more records than it was given".into())
}

/// Runs `write` with the JSON of `records` (in their order) fed to it,
/// encoded ahead on a helper thread when there are [`MIN_RECORDS`] or more.
/// `write` must take the records' JSON in the order of `records`.
pub(crate) fn with_feed<T>(
    records: &[Entity],
    write: impl FnOnce(&mut Feed<'_>) -> Result<T, SqliteError>,
) -> Result<T, SqliteError> {
    if records.len() < MIN_RECORDS {
        return write(&mut Feed {
            source: Source::Here(records.iter()),
            group: Group::default(),
            at: 0,
        });
    }
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel(AHEAD);
        s.spawn(move || {
            for chunk in records.chunks(GROUP) {
                let mut group = Group {
                    json: Vec::with_capacity(chunk.len() * 1024),
                    ends: Vec::with_capacity(chunk.len()),
                };
                let encoded = chunk
                    .iter()
                    .try_for_each(|e| {
                        codec::encode_into(e, &mut group.json)?;
                        group.ends.push(group.json.len());
                        Ok(())
                    })
                    .map(|()| group);
                let failed = encoded.is_err();
                // A closed channel: the writer stopped (it failed); so does this.
                if tx.send(encoded).is_err() || failed {
                    return;
                }
            }
        });
        // The feed (the receiving end) goes when `write` returns, before the
        // scope waits for the helper: one blocked sending stops at once.
        write(&mut Feed {
            source: Source::Ahead(rx),
            group: Group::default(),
            at: 0,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tieout_core::store::conformance::one_of_every_kind;

    fn fed(records: &[Entity], take: usize) -> Result<Vec<u8>, SqliteError> {
        with_feed(records, |feed| {
            let mut out = Vec::new();
            for _ in 0..take {
                feed.next_into(&mut out)?;
                out.push(b'\n');
            }
            Ok(out)
        })
    }

    fn encoded(records: &[Entity]) -> Vec<u8> {
        let mut out = Vec::new();
        for e in records {
            codec::encode_into(e, &mut out).unwrap();
            out.push(b'\n');
        }
        out
    }

    /// `n` records cycling through every kind.
    fn many(n: usize) -> Vec<Entity> {
        let kinds = one_of_every_kind();
        (0..n).map(|i| kinds[i % kinds.len()].clone()).collect()
    }

    #[test]
    fn a_feed_gives_every_record_in_order_whether_encoded_here_or_ahead() {
        for n in [0, 1, MIN_RECORDS - 1, MIN_RECORDS, GROUP * AHEAD * 3 + 5] {
            let records = many(n);
            assert_eq!(fed(&records, n).unwrap(), encoded(&records), "{n} records");
        }
    }

    #[test]
    fn asking_past_the_last_record_is_an_error_not_a_hang() {
        for n in [3, MIN_RECORDS + 1] {
            let err = fed(&many(n), n + 1).unwrap_err();
            assert!(err.to_string().contains("more records"), "{err}");
        }
    }

    #[test]
    fn a_writer_stopping_early_does_not_wait_for_the_encoder() {
        // The helper fills the channel and blocks; the writer takes one
        // record and returns: the scope must still end.
        let records = many(GROUP * (AHEAD + 4));
        let got = with_feed(&records, |feed| {
            let mut out = Vec::new();
            feed.next_into(&mut out)?;
            Err::<(), _>(SqliteError::Invalid("stopped".into()))
        });
        assert!(got.unwrap_err().to_string().contains("stopped"));
    }
}
