//! The values the skim looks at, read as the full read's walk would
//! account for them.
//!
//! serde_json visits some values in full and ignores the rest; the skim
//! reads the same ones the same way (its [`Reader`] mirrors the visitor the
//! skim used to run on serde_json):
//!
//! - a *visited* value (a top-level value, an array item in a visited
//!   array, an object's `data`) counts toward the nesting limit (128, as
//!   serde_json's; so does an expanded `source`), its strings and keys are
//!   parsed, its numbers converted;
//! - of a visited object, `object`, `id`, `type` and `url` must be strings
//!   or `null`, `livemode` a boolean or `null`, `source` a string, `null` or
//!   an object (whose `id` is read as the others are), `created` is read
//!   as serde_json's `RawValue` reads a value (ignored, but its text must be
//!   UTF-8) and kept when that text is an integer, and `status_transitions`
//!   is `null` or an object (visited) whose `paid_at` is read as `created`
//!   is; later duplicates win;
//! - anything else is ignored (checked for syntax only).
//!
//! An object's fields may come in any order, so what its `data` would add
//! is gathered first ([`Found`]) and kept or dropped once the object closes:
//! kept (and given the list's payout) for a list, dropped otherwise.

use std::borrow::Cow;

use tieout_core::ObjectScope;

use super::scan::{Invalid, Scan, Scanner};
use super::{Skimmed, kind_of_object};
use crate::files::payout_in_url;
use crate::map::is_supported;

/// Serde_json's default recursion limit: entering the 128th nested visited
/// array or object fails.
const DEPTH_LIMIT: u32 = 128;

/// What the items read so far add to a [`Skimmed`], for values not yet
/// committed (their enclosing objects may still drop them).
#[derive(Default)]
struct Found<'a> {
    /// Each item read.
    kinds: Vec<Item>,
    /// Balance transactions listed under a payout, as (payout, id); the
    /// payout is `None` while it is the enclosing list's (not yet known).
    bts: Vec<(Option<Cow<'a, str>>, Cow<'a, str>)>,
}

/// What an item adds.
struct Item {
    /// Its kind.
    kind: Option<ObjectScope>,
    /// Whether it says `livemode: true`.
    livemode: bool,
    /// Its `created`, when an integer.
    created: Option<i64>,
    /// An invoice's `status_transitions.paid_at`, when an integer (`None`
    /// for other items).
    paid: Option<i64>,
}

/// A point in [`Found`] to drop back to.
#[derive(Clone, Copy)]
struct Mark {
    /// Length of [`Found::kinds`].
    kinds: usize,
    /// Length of [`Found::bts`].
    bts: usize,
}

impl<'a> Found<'a> {
    /// The current point.
    fn mark(&self) -> Mark {
        Mark {
            kinds: self.kinds.len(),
            bts: self.bts.len(),
        }
    }

    /// Drops what was found since `mark`.
    fn truncate(&mut self, mark: Mark) {
        self.kinds.truncate(mark.kinds);
        self.bts.truncate(mark.bts);
    }

    /// Gives `payout` to the balance transactions found since `mark` that
    /// have none of their own (they are listed under it).
    fn list_under(&mut self, mark: Mark, payout: &str) {
        for (po, _) in &mut self.bts[mark.bts..] {
            if po.is_none() {
                *po = Some(Cow::Owned(payout.to_string()));
            }
        }
    }

    /// Moves everything found into `out`, as one top-level value's walk
    /// (no enclosing list: transactions without a payout are dropped).
    fn commit(&mut self, out: &mut Skimmed) {
        for item in self.kinds.drain(..) {
            out.kinds.push(item.kind);
            out.livemode |= item.livemode;
            out.times.add(item.created, item.paid);
        }
        for (po, id) in self.bts.drain(..) {
            if let Some(po) = po {
                out.payout_bts
                    .entry(po.into_owned())
                    .or_default()
                    .push(id.into_owned());
            }
        }
    }
}

/// A visited value, as the walk sees it.
#[derive(Clone, Copy)]
struct Seen {
    /// Whether it is an array (the only `data` a list may hold).
    array: bool,
    /// Whether the walk accounts for it (`false`: the skim declines if the
    /// walk reaches it).
    accounted: bool,
}

impl Seen {
    /// A string, number, boolean or null: declined if walked.
    const SCALAR: Seen = Seen {
        array: false,
        accounted: false,
    };
}

/// The fields the walk reads of a visited object.
#[derive(Default)]
struct Fields<'a> {
    /// `object`.
    object: Option<Cow<'a, str>>,
    /// `id`.
    id: Option<Cow<'a, str>>,
    /// `type`.
    kind: Option<Cow<'a, str>>,
    /// `source`: an id, or an expanded object's id.
    source: Option<Cow<'a, str>>,
    /// `url`.
    url: Option<Cow<'a, str>>,
    /// `livemode` (`null`: false).
    livemode: bool,
    /// `created`, when it is an integer.
    created: Option<i64>,
    /// `status_transitions.paid_at`, when it is an integer.
    paid_at: Option<i64>,
    /// Whether it has an `error` key.
    error: bool,
    /// `data`, what it adds being in [`Found`] since the object's mark.
    data: Option<Seen>,
}

/// Reads top-level values and what they hold.
pub(super) struct Reader<'a> {
    /// The input.
    scan: Scanner<'a>,
    /// Visited arrays and objects open.
    depth: u32,
    /// What the current top-level value adds so far.
    found: Found<'a>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader {
            scan: Scanner::new(bytes),
            depth: 0,
            found: Found::default(),
        }
    }

    /// Starts over on `bytes`, keeping allocations.
    pub(super) fn restart(&mut self, bytes: &'a [u8]) {
        self.scan.restart(bytes);
        self.depth = 0;
        // `found` is empty: every value read so far was committed.
    }

    /// Whether anything but whitespace is left.
    pub(super) fn more(&mut self) -> bool {
        self.scan.peek().is_some()
    }

    /// Reads one top-level value into `out`; `None` if it is not an array or
    /// an object, if it is invalid, or if the walk declines it.
    pub(super) fn top(&mut self, out: &mut Skimmed) -> Option<()> {
        if !matches!(self.scan.peek(), Some(b'[' | b'{')) {
            return None;
        }
        if !self.value().ok()?.accounted {
            return None;
        }
        self.found.commit(out);
        Some(())
    }

    /// Reads a visited value.
    fn value(&mut self) -> Scan<Seen> {
        match self.scan.peek().ok_or(Invalid)? {
            b'[' => self.array(),
            b'{' => self.object(),
            b'"' => {
                self.scan.bump();
                self.scan.string()?;
                Ok(Seen::SCALAR)
            }
            b'-' | b'0'..=b'9' => {
                self.scan.converted_number()?;
                Ok(Seen::SCALAR)
            }
            b't' => self.scan.literal(b"true").map(|()| Seen::SCALAR),
            b'f' => self.scan.literal(b"false").map(|()| Seen::SCALAR),
            b'n' => self.scan.literal(b"null").map(|()| Seen::SCALAR),
            _ => Err(Invalid),
        }
    }

    /// Opens a visited array or object (the cursor on it), within the
    /// nesting limit.
    fn enter(&mut self) -> Scan<()> {
        self.depth += 1;
        if self.depth >= DEPTH_LIMIT {
            return Err(Invalid);
        }
        self.scan.bump();
        Ok(())
    }

    /// Reads a visited array: accounted for if all its items are.
    fn array(&mut self) -> Scan<Seen> {
        self.enter()?;
        let mut accounted = true;
        if self.scan.peek() == Some(b']') {
            self.scan.bump();
        } else {
            loop {
                accounted &= self.value()?.accounted;
                match self.scan.peek() {
                    Some(b',') => self.scan.bump(),
                    Some(b']') => {
                        self.scan.bump();
                        break;
                    }
                    _ => return Err(Invalid),
                }
            }
        }
        self.depth -= 1;
        Ok(Seen {
            array: true,
            accounted,
        })
    }

    /// Reads the members of an object (opened), handing each key to
    /// `member`, which reads the value.
    fn members(&mut self, mut member: impl FnMut(&mut Self, &[u8]) -> Scan<()>) -> Scan<()> {
        if self.scan.peek() == Some(b'}') {
            self.scan.bump();
            return Ok(());
        }
        loop {
            self.scan.expect(b'"')?;
            let key = self.scan.key()?;
            self.scan.colon()?;
            member(self, &key)?;
            match self.scan.next_or_peek(b',') {
                Some(b',') => self.scan.bump(),
                Some(b'}') => {
                    self.scan.bump();
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Reads a visited object and accounts for it.
    fn object(&mut self) -> Scan<Seen> {
        self.enter()?;
        let mark = self.found.mark();
        let mut fields = Fields::default();
        self.members(|r, key| r.field(&mut fields, key, mark))?;
        self.depth -= 1;
        Ok(Seen {
            array: false,
            accounted: self.account(fields, mark),
        })
    }

    /// Reads the value of a visited object's member `key` into `fields`.
    fn field(&mut self, fields: &mut Fields<'a>, key: &[u8], mark: Mark) -> Scan<()> {
        match key {
            b"object" => fields.object = self.opt_str()?,
            b"id" => fields.id = self.opt_str()?,
            b"type" => fields.kind = self.opt_str()?,
            b"url" => fields.url = self.opt_str()?,
            b"source" => fields.source = self.id_of()?,
            b"livemode" => fields.livemode = self.opt_bool()?,
            b"created" => fields.created = self.created()?,
            b"status_transitions" => fields.paid_at = self.paid_at()?,
            b"error" => {
                fields.error = true;
                self.scan.skip_value()?;
            }
            b"data" => {
                // A later `data` replaces an earlier one.
                self.found.truncate(mark);
                fields.data = Some(self.value()?);
            }
            _ => self.scan.skip_value()?,
        }
        Ok(())
    }

    /// Accounts for a visited object once read (what its `data` added is in
    /// [`Found`] since `mark`): whether the walk accounts for it.
    fn account(&mut self, mut fields: Fields<'a>, mark: Mark) -> bool {
        if fields.error {
            return false;
        }
        let Some(object) = fields.object.take() else {
            return false;
        };
        match object.as_ref() {
            "list" | "search_result" => {
                let Some(Seen {
                    array: true,
                    accounted: true,
                }) = fields.data
                else {
                    return false;
                };
                if let Some(po) = fields.url.as_deref().and_then(payout_in_url) {
                    self.found.list_under(mark, &po);
                }
                true
            }
            "event" | "balance" => false,
            object => {
                // An item: what its `data` held is not walked.
                self.found.truncate(mark);
                if is_supported(object) {
                    self.item(object, fields);
                }
                true
            }
        }
    }

    /// Adds an item of a supported type `object`.
    fn item(&mut self, object: &str, fields: Fields<'a>) {
        self.found.kinds.push(Item {
            kind: kind_of_object(object),
            livemode: fields.livemode,
            created: fields.created,
            // Only an invoice's payment time places its file (as the
            // records path reads it: `Invoice::paid_at`).
            paid: fields.paid_at.filter(|_| object == "invoice"),
        });
        if object != "balance_transaction" {
            return;
        }
        if fields.kind.as_deref().unwrap_or("").starts_with("payout") {
            return;
        }
        if let Some(id) = fields.id {
            // Its own payout, or else (`None`) the enclosing list's.
            let own = fields.source.filter(|s| s.starts_with("po_"));
            self.found.bts.push((own, id));
        }
    }

    /// Reads a string or `null`.
    fn opt_str(&mut self) -> Scan<Option<Cow<'a, str>>> {
        match self.scan.peek() {
            Some(b'"') => {
                self.scan.bump();
                self.scan.string().map(Some)
            }
            Some(b'n') => self.scan.literal(b"null").map(|()| None),
            _ => Err(Invalid),
        }
    }

    /// Reads a `created` time: any value serde_json ignores whose text is
    /// UTF-8 (as its `RawValue` requires), kept when it is an integer.
    fn created(&mut self) -> Scan<Option<i64>> {
        let raw = self.scan.raw_value()?;
        let text = std::str::from_utf8(raw).map_err(|_| Invalid)?;
        Ok(text.parse().ok())
    }

    /// Reads `status_transitions`: `null`, or an object (visited) whose
    /// `paid_at` is read as [`Reader::created`] reads, the rest ignored.
    fn paid_at(&mut self) -> Scan<Option<i64>> {
        match self.scan.peek() {
            Some(b'{') => self.one_member(b"paid_at", Self::created),
            Some(b'n') => self.scan.literal(b"null").map(|()| None),
            _ => Err(Invalid),
        }
    }

    /// Reads a boolean or `null` (false).
    fn opt_bool(&mut self) -> Scan<bool> {
        match self.scan.peek() {
            Some(b't') => self.scan.literal(b"true").map(|()| true),
            Some(b'f') => self.scan.literal(b"false").map(|()| false),
            Some(b'n') => self.scan.literal(b"null").map(|()| false),
            _ => Err(Invalid),
        }
    }

    /// Reads an id that may be expanded: a string, `null`, or an object
    /// (visited) whose `id` is read as [`Reader::opt_str`] does.
    fn id_of(&mut self) -> Scan<Option<Cow<'a, str>>> {
        match self.scan.peek() {
            Some(b'{') => self.one_member(b"id", Self::opt_str),
            _ => self.opt_str(),
        }
    }

    /// Reads a visited object (the cursor on it) for its member `name`,
    /// read by `read` (`None` when absent; a later duplicate wins), the
    /// other members ignored.
    fn one_member<T>(
        &mut self,
        name: &[u8],
        read: impl Fn(&mut Self) -> Scan<Option<T>>,
    ) -> Scan<Option<T>> {
        self.enter()?;
        let mut found = None;
        self.members(|r, key| {
            if key == name {
                found = read(r)?;
                Ok(())
            } else {
                r.scan.skip_value()
            }
        })?;
        self.depth -= 1;
        Ok(found)
    }

    /// Whether only whitespace is left (as after a `.jsonl` line's value).
    pub(super) fn at_end(&mut self) -> bool {
        !self.more()
    }
}
