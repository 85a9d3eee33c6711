//! The first pass's skim: what paging needs of a file (each item's object
//! kind, livemode, the balance transactions listed under payouts, when its
//! items were created and paid) without
//! building a JSON tree or mapping a record.
//!
//! A skim is a hand-written scanner over the file's bytes ([`scan`]) that
//! reads only the few fields it needs ([`walk`]) and skips the rest in place,
//! accepting exactly what the serde_json skim it replaced accepted (kept as
//! the tests' reference): the JSON grammar everywhere, and what serde_json
//! checks of a value it ignores (`IgnoredAny`: no UTF-8, surrogate or
//! number-range check, no depth limit). The full read checks skipped values
//! fully, so a file with, say, invalid UTF-8 in a field no mapper reads is
//! counted by the skim and fails, with a per-file error, when it is read.
//! It declines any file it cannot account for exactly as the full read would
//! (events, `balance` objects, error bodies, broken JSON, values that are not
//! objects): the first pass then reads and maps that file as the import will.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tieout_core::ObjectScope;

use super::order::Times;
use walk::Reader;

#[cfg(test)]
mod reference;
mod scan;
#[cfg(test)]
mod tests;
mod walk;

/// What a skimmed file holds.
#[derive(Debug, Default)]
pub(super) struct Skimmed {
    /// The kind of each item the full read would give, in order.
    pub kinds: Vec<Option<ObjectScope>>,
    /// Whether any object says `livemode: true`.
    pub livemode: bool,
    /// Balance transactions (ids) listed under a payout, by payout id.
    pub payout_bts: BTreeMap<String, Vec<String>>,
    /// When its items were created and paid (see [`crate::files`]: the
    /// import order of payments and invoices).
    pub times: Times,
}

/// Skims `bytes` (a `.json` file, or a `.jsonl` one when `lines`); `None`
/// when the file needs the full read.
pub(super) fn skim(bytes: &[u8], lines: bool) -> Option<Skimmed> {
    let mut out = Skimmed::default();
    let mut reader = Reader::new(bytes);
    if lines {
        // One value a line (as `serde_json::from_slice`); blank lines skipped.
        for line in bytes.split(|b| *b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            reader.restart(line);
            reader.top(&mut out)?;
            if !reader.at_end() {
                return None;
            }
        }
    } else {
        // Values one after another (as serde_json's `StreamDeserializer`).
        while reader.more() {
            reader.top(&mut out)?;
        }
    }
    Some(out)
}

/// Files skimmed at a time by [`skim_files`]: what it holds at once.
const SKIM_CHUNK: usize = 256;

/// Skims each file of `paths` (read from disk) as [`skim`] does, on up to
/// four threads, `SKIM_CHUNK` files at a time, and hands each result to
/// `take` in path order: `None` for a file the skim declines or cannot read
/// (the caller reads it in full). A first pass over a large export is all
/// parsing, with nothing else to run beside it.
pub(super) fn skim_files(paths: Vec<PathBuf>, mut take: impl FnMut(PathBuf, Option<Skimmed>)) {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let one = |path: &PathBuf| {
        fs::read(path)
            .ok()
            .and_then(|bytes| skim(&bytes, is_lines(path)))
    };
    let mut paths = paths.into_iter().peekable();
    while paths.peek().is_some() {
        let chunk: Vec<PathBuf> = paths.by_ref().take(SKIM_CHUNK).collect();
        // Contiguous shares, one per worker (the first on this thread; one
        // worker or one file: no thread started), joined back in order.
        let mut shares = chunk.chunks(chunk.len().div_ceil(workers));
        let mine = shares.next().unwrap_or_default();
        let skims: Vec<Option<Skimmed>> = std::thread::scope(|s| {
            let handles: Vec<_> = shares
                .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            let mut out: Vec<Option<Skimmed>> = mine.iter().map(one).collect();
            for h in handles {
                // As the same skim on this thread would.
                out.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
            out
        });
        for (path, skimmed) in chunk.into_iter().zip(skims) {
            take(path, skimmed);
        }
    }
}

/// Whether a path names a `.jsonl` file.
pub(super) fn is_lines(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("jsonl")
}

/// The kind of item the full read maps an object of type `object` to.
fn kind_of_object(object: &str) -> Option<ObjectScope> {
    match object {
        "checkout.session" => Some(ObjectScope::Payments),
        o => ObjectScope::parse(o),
    }
}
