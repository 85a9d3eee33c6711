//! `StripeFiles`: an offline source over a directory of Stripe JSON.
//!
//! Reads `.json` and `.jsonl` files recursively, in import order (`ObjectScope::ALL`: customers,
//! products and subscriptions, then payments and invoices interleaved by time (see
//! `order.rs`), then the rest), then path order. A value
//! may be a single object, an array, a list page (`{"object":"list","data":[...]}`,
//! nested lists too) or an event (its `data.object` is mapped as observed at the
//! event's `created`). Input that is not Stripe JSON (broken JSON, an
//! `{"error":{...}}` body, no `object`) becomes a `Failed` item with object
//! `"file"` and the path (plus `:line` for `.jsonl`) as its id; the rest imports.
//!
//! A `balance` object (`GET /v1/balance` saved next to the lists; its time is
//! its `retrieved_at` when present, else the file's modification time) is
//! what the export reports as the account's balance: it is not a record, and
//! the import keeps it so the Stripe balance statement can tie to it.
//!
//! Balance transactions listed in a page whose `url` names a payout
//! (`/v1/balance_transactions?payout=po_...`) are attributed to that payout, and the
//! payout's `balance_transaction_ids` are filled from them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tieout_core::Currency;
use tieout_core::ledger::ReportedBalance;
use tieout_core::model::Failure;
use tieout_core::{AccountInfo, FetchScope, ObjectScope, Page, Record, Source, SourceItem};

use crate::balance_report;
use crate::error::{Result, StripeError};
use crate::events::{StripeEvent, event_items};
use crate::map::lean_value::LeanValue;
use crate::map::{MapContext, map_object};

mod ahead;
mod checkpoint;
mod facts;
#[cfg(test)]
mod lean_parse_tests;
mod order;
mod skim;

use ahead::ReadAhead;
use facts::{Facts, FileFacts};

/// Account id when neither a label nor an event names one.
const DEFAULT_ACCOUNT: &str = "acct_files";

/// An offline Stripe source over a directory of JSON exports.
///
/// Streams: a first pass skims each file once to learn its object kind (for
/// the import order), its item counts (for `total_hint`), the account, and
/// which payout each listed balance transaction belongs to, keeping only those
/// facts; pages are then read file by file, holding one file's items at a time.
#[derive(Debug)]
pub struct StripeFiles {
    dir: PathBuf,
    label: Option<String>,
    index: OnceLock<Arc<Index>>,
    /// The last file read for counting or [`StripeFiles::items`]:
    /// (position, items).
    current: Mutex<Option<(usize, Arc<Vec<SourceItem>>)>>,
    /// The file being paged, its items moved into the pages that take them.
    paging: Mutex<Option<Paging>>,
    /// The thread reading the files after it.
    ahead: Mutex<Option<ReadAhead>>,
    total_cache: Mutex<Option<(FetchScope, u64)>>,
    /// Per file (in [`Index::files`] order), its items' kinds and created
    /// range once it was read (see `facts.rs`).
    facts: Mutex<Vec<Option<Arc<FileFacts>>>>,
    /// How many files were fetched to be paged or counted (for the tests).
    reads: std::sync::atomic::AtomicUsize,
}

/// The file being paged: its items, each `None` once a page took it.
#[derive(Debug)]
struct Paging {
    file: usize,
    items: Vec<Option<SourceItem>>,
}

/// What the first pass keeps of the directory.
#[derive(Debug)]
struct Index {
    account: String,
    livemode: bool,
    /// The files in import order (`ObjectScope::ALL`, payments and invoices
    /// interleaved by time: see `order.rs`), then path order.
    files: Vec<FileEntry>,
    /// Balance transactions listed under a payout, by payout id.
    payout_bts: BTreeMap<String, Vec<String>>,
    /// What `balance` objects in the export report, per currency.
    balances: Vec<ReportedBalance>,
}

/// One file of the directory (or the directory's own read errors).
#[derive(Debug)]
struct FileEntry {
    /// `None`: the failures met while walking the directory, kept as items.
    path: Option<PathBuf>,
    walk_errors: Vec<SourceItem>,
    /// Items per object kind (`None`: items whose kind is unknown).
    kinds: Vec<(Option<ObjectScope>, u64)>,
}

impl StripeFiles {
    /// Items per page this source returns (the last page of a pass may hold
    /// fewer): what the planner takes in one step (one batched read of what
    /// the page names, one settling). Review + import through Python,
    /// release, alternating runs, median ratios: before payments and
    /// invoices were interleaved by time, 200 took 0.94x the wall time of
    /// 500 at 100k invoices (6 pairs), 100 1.07x of 200; since, 400 takes
    /// 0.965x, 0.962x and 0.892x the wall time of 200 at 100k (three sets
    /// of 8 pairs) and 1.00x at 1M (10 pairs, each 0.75x-1.31x on this
    /// noisy machine), with a peak of 111 against 127 MiB at 1M: the fixed
    /// costs of a page (its batched read, its settling, its log rows) come
    /// half as often. 800 took 1.025x the wall time of 400 at 100k (8
    /// pairs), its peak 7 MiB more.
    pub const PAGE_SIZE: usize = 400;

    /// A source over `dir` (which must be a directory). Nothing is read until first use.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        if !dir.is_dir() {
            return Err(StripeError::File {
                path: dir.display().to_string(),
                reason: "not a directory".to_string(),
            });
        }
        Ok(StripeFiles {
            dir,
            label: None,
            index: OnceLock::new(),
            current: Mutex::new(None),
            paging: Mutex::new(None),
            ahead: Mutex::new(None),
            total_cache: Mutex::new(None),
            facts: Mutex::new(Vec::new()),
            reads: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Files the records under this account id or label (default: the `account` of the
    /// first event found, else `acct_files`).
    pub fn account(mut self, label: &str) -> Self {
        self.label = Some(label.to_string());
        self.index = OnceLock::new();
        self.current = Mutex::new(None);
        self.paging = Mutex::new(None);
        self.ahead = Mutex::new(None);
        self.total_cache = Mutex::new(None);
        self.facts = Mutex::new(Vec::new());
        self
    }

    /// The directory read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every item, in page order, without filtering (read file by file).
    pub fn items(&self) -> impl Iterator<Item = SourceItem> + '_ {
        (0..self.index().files.len()).flat_map(move |f| {
            let items = self.file_items(f);
            (0..items.len()).map(move |k| items[k].clone())
        })
    }

    fn index(&self) -> &Arc<Index> {
        self.index
            .get_or_init(|| Arc::new(index(&self.dir, self.label.as_deref())))
    }

    /// The items of file `f` (in the order of [`Index::files`]), read and
    /// mapped on first use; the previous file's items are dropped.
    fn file_items(&self, f: usize) -> Arc<Vec<SourceItem>> {
        let mut cur = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, items)) = cur.as_ref() {
            if *at == f {
                return Arc::clone(items);
            }
        }
        *cur = None;
        let items = self.load(f);
        *cur = Some((f, Arc::clone(&items)));
        items
    }

    /// File `f`'s items, read and mapped (from the read-ahead thread when it
    /// has them), their facts kept.
    fn load(&self, f: usize) -> Arc<Vec<SourceItem>> {
        let idx = self.index();
        let items = self.read(f);
        let mut facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        if facts.len() <= f {
            facts.resize(idx.files.len().max(f + 1), None);
        }
        if facts[f].is_none() {
            facts[f] = Some(Arc::new(facts::of_items(&items)));
        }
        items
    }

    /// File `f`'s items to be moved into pages: those a count just read
    /// (taken from [`StripeFiles::file_items`]'s hold), else read now.
    fn page_file(&self, f: usize) -> Paging {
        let held = {
            let mut cur = self.current.lock().unwrap_or_else(|p| p.into_inner());
            let holds_f = cur.as_ref().is_some_and(|(at, _)| *at == f);
            if holds_f {
                cur.take().map(|(_, items)| items)
            } else {
                None
            }
        };
        let items = held.unwrap_or_else(|| self.load(f));
        // The read-ahead hands over the only reference: the items move.
        let items = Arc::try_unwrap(items).unwrap_or_else(|shared| (*shared).clone());
        Paging {
            file: f,
            items: items.into_iter().map(Some).collect(),
        }
    }

    /// Moves the items of file `f` in `scope`, from position `*at` on, into
    /// `page` until it holds [`StripeFiles::PAGE_SIZE`]; `*at` ends at the
    /// first item left for the next page. Whether the page filled before
    /// the file ended.
    ///
    /// Items move instead of being copied (every record of an export was
    /// copied once more here, a record at a time). A page asked for again
    /// (a retry from an earlier checkpoint, a second pass) finds its items
    /// gone and reads the file again.
    fn take_page(
        &self,
        paging: &mut Option<Paging>,
        f: usize,
        at: &mut usize,
        scope: &FetchScope,
        page: &mut Vec<SourceItem>,
    ) -> bool {
        let file = match paging {
            Some(p) if p.file == f => p,
            _ => paging.insert(self.page_file(f)),
        };
        loop {
            let Some(slot) = file.items.get_mut(*at) else {
                return false;
            };
            let Some(item) = slot.as_ref() else {
                // Taken by an earlier page: this one is asked for again.
                // Read afresh, the file holds every item.
                *file = self.page_file(f);
                continue;
            };
            if in_scope(item, scope) {
                if page.len() == Self::PAGE_SIZE {
                    return true;
                }
                page.extend(slot.take());
            }
            *at += 1;
        }
    }

    /// The kinds and created range of file `f`'s items, when it was read.
    fn file_facts(&self, f: usize) -> Option<Arc<FileFacts>> {
        let facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        facts.get(f).and_then(Clone::clone)
    }

    /// Whether file `f` certainly holds nothing of `scope` (known once the
    /// file was read): then it need not be read.
    fn nothing_in(&self, f: usize, scope: &FetchScope) -> bool {
        self.file_facts(f)
            .is_some_and(|facts| facts.nothing_in(scope))
    }

    /// File `f`'s items from the read-ahead thread (started, or started
    /// again, from `f` unless it is already there), else read in place.
    fn read(&self, f: usize) -> Arc<Vec<SourceItem>> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        if ahead.as_ref().is_none_or(|a| a.next() != f) {
            *ahead = ReadAhead::start(Arc::clone(self.index()), self.label.clone(), f);
        }
        if let Some(items) = ahead.as_mut().and_then(ReadAhead::take) {
            return items;
        }
        *ahead = None;
        Arc::new(read_entry(self.index(), f, self.label.as_deref()))
    }

    fn account_id(&self) -> String {
        match &self.label {
            Some(l) => l.clone(),
            None => self.index().account.clone(),
        }
    }

    fn total(&self, scope: &FetchScope) -> u64 {
        let mut cache = self.total_cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, n)) = cache.as_ref() {
            if s == scope {
                return *n;
            }
        }
        let by_kind = scope.created_gte.is_none()
            && scope.created_lte.is_none()
            && scope.invoice_statuses.is_empty();
        let n = if by_kind {
            // Known from the first pass.
            let kind_ok = |k: &Option<ObjectScope>| {
                scope.objects.is_empty() || k.is_none_or(|k| scope.objects.contains(&k))
            };
            self.index()
                .files
                .iter()
                .flat_map(|f| &f.kinds)
                .filter(|(k, _)| kind_ok(k))
                .map(|(_, n)| n)
                .sum()
        } else {
            // A created range or statuses: one counting pass, file by file
            // (a created range from the facts of files read before, unless
            // it cuts through a file's items).
            (0..self.index().files.len())
                .map(|f| {
                    let told = self
                        .file_facts(f)
                        .filter(|_| scope.invoice_statuses.is_empty())
                        .and_then(|facts| facts.count(scope));
                    told.unwrap_or_else(|| {
                        self.file_items(f)
                            .iter()
                            .filter(|i| in_scope(i, scope))
                            .count() as u64
                    })
                })
                .sum()
        };
        *cache = Some((scope.clone(), n));
        n
    }
}

#[async_trait]
impl Source for StripeFiles {
    async fn verify(&self) -> tieout_core::Result<AccountInfo> {
        let l = self.index();
        Ok(AccountInfo {
            system: "stripe".to_string(),
            account: self.label.clone().unwrap_or_else(|| l.account.clone()),
            livemode: l.livemode,
            key_kind: "files".to_string(),
        })
    }

    async fn next_page(
        &self,
        scope: &FetchScope,
        checkpoint: Option<&str>,
    ) -> tieout_core::Result<Page> {
        let files = self.index().files.len();
        let (mut f, mut i) = match checkpoint {
            None | Some("") => (0, 0),
            Some(c) => checkpoint::parse(c)?,
        };
        let total_hint = Some(self.total(scope));
        let mut items = Vec::with_capacity(Self::PAGE_SIZE);
        let mut done = true;
        let mut paging = self.paging.lock().unwrap_or_else(|p| p.into_inner());
        while f < files {
            if self.nothing_in(f, scope) {
                f += 1;
                i = 0;
                continue;
            }
            if self.take_page(&mut paging, f, &mut i, scope, &mut items) {
                done = false;
                break;
            }
            f += 1;
            i = 0;
        }
        Ok(Page {
            items,
            checkpoint: checkpoint::at(f, i),
            done,
            notes: Vec::new(),
            total_hint,
        })
    }

    async fn reported_balances(&self) -> tieout_core::Result<Vec<ReportedBalance>> {
        Ok(self.index().balances.clone())
    }

    fn stream(&self) -> String {
        format!("stripe-files:{}", self.account_id())
    }
}

/// Whether an item belongs to the fetch scope (object kinds, created range, invoice statuses).
fn in_scope(item: &SourceItem, scope: &FetchScope) -> bool {
    if !facts::in_range(&Facts::of(item), scope) {
        return false;
    }
    match item {
        SourceItem::Record(Record::Invoice(inv)) if !scope.invoice_statuses.is_empty() => {
            let s = inv.source.status.as_deref().unwrap_or("");
            scope.invoice_statuses.iter().any(|x| x == s)
        }
        _ => true,
    }
}

/// The kind of an item, as the fetch scope filters it.
fn kind_of(item: &SourceItem) -> Option<ObjectScope> {
    match item {
        SourceItem::Record(r) => Some(r.scope()),
        SourceItem::Failed(f) => ObjectScope::parse(&f.object),
    }
}

/// Items per kind, in order of first appearance.
fn tally(kinds: impl IntoIterator<Item = Option<ObjectScope>>) -> Vec<(Option<ObjectScope>, u64)> {
    let mut out: Vec<(Option<ObjectScope>, u64)> = Vec::new();
    for k in kinds {
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some((_, n)) => *n += 1,
            None => out.push((k, 1)),
        }
    }
    out
}

/// The first pass: skims every file once (or reads and maps one the skim
/// declines), keeping only what paging needs.
fn index(dir: &Path, label: Option<&str>) -> Index {
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    walk(dir, &mut paths, &mut errors);
    paths.sort();
    let mut reader = Reader::new(label);
    let mut livemode = false;
    let mut payout_bts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut keyed: Vec<(order::Place, FileEntry)> = Vec::with_capacity(paths.len() + 1);
    let count = |items: &[SourceItem]| tally(items.iter().map(kind_of));
    if !errors.is_empty() {
        let kinds = count(&errors);
        keyed.push((
            order::place(None, order::Times::default()),
            FileEntry {
                path: None,
                walk_errors: errors,
                kinds,
            },
        ));
    }
    // Most files are list pages: skimmed (on several threads), not mapped.
    // A file the skim declines is read again and mapped, in path order.
    skim::skim_files(paths, |path, skimmed| {
        // Import order (`ObjectScope::ALL`: customers, products,
        // subscriptions, payments and invoices by time, ...): by the first
        // item's kind and the items' creation times.
        let (key, kinds) = match skimmed {
            Some(s) => {
                livemode |= s.livemode;
                for (po, ids) in s.payout_bts {
                    payout_bts.entry(po).or_default().extend(ids);
                }
                let kind = s.kinds.iter().flatten().next().copied();
                (order::place(kind, s.times), tally(s.kinds))
            }
            None => {
                let items = reader.read_bytes(&path, fs::read(&path));
                for item in &items {
                    if let SourceItem::Record(r) = item {
                        livemode |= r.source().is_some_and(|s| s.livemode);
                        if let Record::BalanceTransaction(b) = r {
                            if let Some(po) = &b.payout_ref {
                                if !b.kind.starts_with("payout") {
                                    payout_bts
                                        .entry(po.clone())
                                        .or_default()
                                        .push(b.source.external_id.clone());
                                }
                            }
                        }
                    }
                }
                let kind = items.iter().find_map(|i| match i {
                    SourceItem::Record(r) => Some(r.scope()),
                    SourceItem::Failed(_) => None,
                });
                (order::place(kind, times(&items)), count(&items))
            }
        };
        keyed.push((
            key,
            FileEntry {
                path: Some(path),
                walk_errors: Vec::new(),
                kinds,
            },
        ));
    });
    for ids in payout_bts.values_mut() {
        ids.sort();
        ids.dedup();
    }
    // Path order within the same place (a stable sort keeps it
    // deterministic).
    keyed.sort_by_key(|(k, _)| *k);
    let account = label
        .map(str::to_string)
        .or(reader.first_event_account)
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string());
    Index {
        account,
        livemode,
        files: keyed.into_iter().map(|(_, f)| f).collect(),
        payout_bts,
        balances: reader.balances.into_values().collect(),
    }
}

/// When the records among `items` were created and paid, as the skim's
/// [`skim::Skimmed::times`] of a file.
fn times(items: &[SourceItem]) -> order::Times {
    let mut times = order::Times::default();
    for item in items {
        if let SourceItem::Record(r) = item {
            let created = r.source().and_then(|s| s.created_at);
            let paid = match r {
                Record::Invoice(i) => i.paid_at,
                _ => None,
            };
            times.add(created.map(|t| t.timestamp()), paid.map(|t| t.timestamp()));
        }
    }
    times
}

/// The items of file `f` of the index, read and mapped.
fn read_entry(idx: &Index, f: usize, label: Option<&str>) -> Vec<SourceItem> {
    let entry = &idx.files[f];
    match &entry.path {
        None => entry.walk_errors.clone(),
        Some(path) => {
            let mut reader = Reader::new(label);
            let mut items = reader.read_file(path);
            finish(&mut items, idx);
            items
        }
    }
}

/// What the first pass learned, applied to one file's items: the source's
/// account (Connect events' accounts are folded in too) and payouts'
/// balance transactions.
fn finish(items: &mut [SourceItem], idx: &Index) {
    for item in items {
        if let SourceItem::Record(r) = item {
            if let Some(s) = source_mut(r) {
                if s.account != idx.account {
                    s.account.clone_from(&idx.account);
                }
            }
            if let Record::Payout(p) = r {
                if let Some(ids) = idx.payout_bts.get(&p.source.external_id) {
                    if p.balance_transaction_ids.is_empty() {
                        p.balance_transaction_ids = ids.clone();
                    }
                }
            }
        }
    }
}

/// Mutable access to a record's source reference.
fn source_mut(r: &mut Record) -> Option<&mut tieout_core::model::SourceRef> {
    Some(match r {
        Record::Customer(x) => return x.source.as_mut(),
        Record::Product(x) => &mut x.source,
        Record::Price(x) => &mut x.source,
        Record::Invoice(x) => &mut x.source,
        Record::Subscription(x) => &mut x.source,
        Record::Payment(x) => &mut x.source,
        Record::Refund(x) => &mut x.source,
        Record::CreditNote(x) => &mut x.source,
        Record::Dispute(x) => &mut x.source,
        Record::BalanceTransaction(x) => &mut x.source,
        Record::Payout(x) => &mut x.source,
    })
}

/// Collects `.json` / `.jsonl` files (symlinked directories are not followed).
fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<SourceItem>) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(file_failure(
                &dir.display().to_string(),
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, out, errors);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonl")
        ) && path.is_file()
        {
            out.push(path);
        }
    }
}

fn file_failure(id: &str, error: String) -> SourceItem {
    SourceItem::Failed(Failure {
        object: "file".to_string(),
        external_id: id.to_string(),
        error,
    })
}

/// Turns file contents into items.
struct Reader {
    ctx: MapContext,
    first_event_account: Option<String>,
    /// `balance` objects met, per currency (the latest read wins).
    balances: BTreeMap<Currency, ReportedBalance>,
    /// The time of the file being read (when a `balance` object was saved).
    file_time: DateTime<Utc>,
}

impl Reader {
    fn new(label: Option<&str>) -> Self {
        Reader {
            ctx: MapContext::new(label.unwrap_or("")),
            first_event_account: None,
            balances: BTreeMap::new(),
            file_time: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    fn read_file(&mut self, path: &Path) -> Vec<SourceItem> {
        self.read_bytes(path, fs::read(path))
    }

    /// The items of the file at `path`, from its bytes as read (or the
    /// error reading it gave). Values are parsed lean: only the keys mapping
    /// reads are built (see `map::lean_value`).
    fn read_bytes(&mut self, path: &Path, bytes: std::io::Result<Vec<u8>>) -> Vec<SourceItem> {
        let name = path.display().to_string();
        let mut out = Vec::new();
        self.file_time = fs::metadata(path)
            .and_then(|m| m.modified())
            .map(DateTime::<Utc>::from)
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                out.push(file_failure(&name, format!("cannot read file: {e}")));
                return out;
            }
        };
        // Checked as UTF-8 once, whole, the text spares the parser checking
        // each string; a file that is not UTF-8 is parsed from its bytes (its
        // broken string fails there, with the error it always had).
        let text = std::str::from_utf8(&bytes).ok();
        if path.extension().and_then(|e| e.to_str()) == Some("jsonl") {
            let mut start = 0;
            for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
                let line_text = text.and_then(|t| t.get(start..start + line.len()));
                start += line.len() + 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let at = format!("{name}:{}", n + 1);
                let parsed = match line_text {
                    Some(t) => serde_json::from_str::<LeanValue>(t),
                    None => serde_json::from_slice::<LeanValue>(line),
                };
                match parsed {
                    Ok(v) => self.value(v.into(), &at, &mut out),
                    Err(e) => out.push(file_failure(&at, format!("invalid JSON: {e}"))),
                }
            }
        } else {
            match text {
                Some(t) => {
                    let values = serde_json::Deserializer::from_str(t).into_iter::<LeanValue>();
                    self.values(values, &name, &mut out);
                }
                None => {
                    let values = serde_json::Deserializer::from_slice(&bytes).into_iter();
                    self.values(values, &name, &mut out);
                }
            }
        }
        out
    }

    /// The values of a `.json` file, in order, until the first that is not JSON.
    fn values(
        &mut self,
        values: impl Iterator<Item = serde_json::Result<LeanValue>>,
        name: &str,
        out: &mut Vec<SourceItem>,
    ) {
        for v in values {
            match v {
                Ok(v) => self.value(v.into(), name, out),
                Err(e) => {
                    out.push(file_failure(name, format!("invalid JSON: {e}")));
                    break;
                }
            }
        }
    }

    /// One JSON value: an object, list page, event, array, or something else (a failure).
    fn value(&mut self, v: Value, at: &str, out: &mut Vec<SourceItem>) {
        let at_path = at;
        let map = match v {
            Value::Array(a) => {
                for x in a {
                    self.value(x, at, out);
                }
                return;
            }
            Value::Object(m) => m,
            other => {
                let what = crate::map::json_kind(&other);
                out.push(file_failure(
                    at,
                    format!("not Stripe JSON: expected an object, got {what}"),
                ));
                return;
            }
        };
        let object = map
            .get("object")
            .and_then(Value::as_str)
            .map(str::to_string);
        match object.as_deref() {
            None if map.contains_key("error") => {
                let e = map.get("error");
                let field = |k: &str| {
                    e.and_then(|e| e.get(k))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                };
                out.push(file_failure(
                    at,
                    format!(
                        "a Stripe error response, not data: {} {}",
                        field("type"),
                        field("message")
                    )
                    .trim_end()
                    .to_string(),
                ));
            }
            None => out.push(file_failure(
                at,
                "not Stripe JSON: no `object` field".to_string(),
            )),
            Some("list" | "search_result") => {
                let start = out.len();
                let payout = map
                    .get("url")
                    .and_then(Value::as_str)
                    .and_then(payout_in_url);
                let mut map = map;
                match map.remove("data") {
                    Some(Value::Array(a)) => {
                        out.reserve(a.len());
                        for x in a {
                            self.value(x, at, out);
                        }
                    }
                    _ => out.push(file_failure(at, "list without a `data` array".to_string())),
                }
                if let Some(po) = payout {
                    for item in &mut out[start..] {
                        if let SourceItem::Record(Record::BalanceTransaction(b)) = item {
                            if b.payout_ref.is_none() {
                                b.payout_ref = Some(po.clone());
                            }
                        }
                    }
                }
            }
            Some("event") => match StripeEvent::from_value(Value::Object(map)) {
                Ok(ev) => {
                    if self.first_event_account.is_none() {
                        self.first_event_account.clone_from(&ev.account);
                    }
                    out.extend(event_items(&ev, &self.ctx.account));
                }
                Err(e) => out.push(file_failure(at, e.to_string())),
            },
            Some("balance") => {
                let v = Value::Object(map);
                let at = balance_report::retrieved_at(&v, self.file_time);
                match balance_report::reported_balances(&v, at) {
                    Ok(found) => {
                        for b in found {
                            match self.balances.get(&b.currency) {
                                Some(old) if old.at > b.at => {}
                                _ => {
                                    self.balances.insert(b.currency, b);
                                }
                            }
                        }
                    }
                    Err(e) => out.push(file_failure(at_path, e.to_string())),
                }
            }
            Some(_) => out.extend(map_object(&Value::Object(map), &self.ctx)),
        }
    }
}

/// `po_...` from a list URL such as `/v1/balance_transactions?payout=po_123&limit=100`.
fn payout_in_url(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("payout="))
        .filter(|p| !p.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_urls() {
        assert_eq!(
            payout_in_url("/v1/balance_transactions?payout=po_1&limit=100").as_deref(),
            Some("po_1")
        );
        assert_eq!(payout_in_url("/v1/balance_transactions"), None);
    }

    /// One list page of the customers numbered `numbers`, each created at
    /// 1000 + `step` * its number.
    fn customer_list(numbers: std::ops::Range<usize>, step: i64) -> String {
        let data: Vec<Value> = numbers
            .map(|c| {
                serde_json::json!({"id": format!("cus_{c:03}"), "object": "customer",
                    "created": 1_000 + step * c as i64, "livemode": false})
            })
            .collect();
        serde_json::json!({"object": "list", "has_more": false, "data": data}).to_string()
    }

    async fn ids(src: &StripeFiles, scope: &FetchScope) -> (Vec<String>, Option<u64>) {
        let page = src.next_page(scope, None).await.unwrap();
        assert!(page.done);
        let ids = page
            .items
            .iter()
            .filter_map(|i| match i {
                SourceItem::Record(r) => r.source().map(|s| s.external_id.clone()),
                SourceItem::Failed(_) => None,
            })
            .collect();
        (ids, page.total_hint)
    }

    #[tokio::test]
    async fn pages_take_their_items_and_a_page_asked_again_reads_its_file_again() {
        let dir = tempfile::tempdir().unwrap();
        // Two full pages and 50 items in one file, 30 more in another: the
        // last page takes the end of the first file and all of the second.
        let p = StripeFiles::PAGE_SIZE;
        fs::write(dir.path().join("a.json"), customer_list(0..2 * p + 50, 1)).unwrap();
        fs::write(
            dir.path().join("b.json"),
            customer_list(2 * p + 50..2 * p + 80, 1),
        )
        .unwrap();
        let src = StripeFiles::new(dir.path()).unwrap();
        let reads = || src.reads.load(std::sync::atomic::Ordering::Relaxed);
        let scope = FetchScope::default();
        let mut pages = Vec::new();
        let mut cp: Option<String> = None;
        loop {
            let page = src.next_page(&scope, cp.as_deref()).await.unwrap();
            pages.push((cp.clone(), page.items.clone()));
            if page.done {
                break;
            }
            cp = Some(page.checkpoint);
        }
        let sizes: Vec<usize> = pages.iter().map(|(_, items)| items.len()).collect();
        assert_eq!(sizes, [p, p, 80]);
        assert_eq!(reads(), 2, "one pass reads each file once");
        let ids: Vec<String> = pages
            .iter()
            .flat_map(|(_, items)| items.iter())
            .filter_map(|i| match i {
                SourceItem::Record(r) => r.source().map(|s| s.external_id.clone()),
                SourceItem::Failed(_) => None,
            })
            .collect();
        let want: Vec<String> = (0..2 * p + 80).map(|c| format!("cus_{c:03}")).collect();
        assert_eq!(ids, want, "every item once, in order");
        // Each page again, twice in a row: its items were moved out by then
        // (the second time at the latest), so its file is read again, and
        // the page is what it was both times.
        for (cp, items) in pages.iter().rev() {
            let before = reads();
            let again = src.next_page(&scope, cp.as_deref()).await.unwrap();
            assert_eq!(&again.items, items, "page at {cp:?} again");
            let twice = src.next_page(&scope, cp.as_deref()).await.unwrap();
            assert_eq!(&twice.items, items, "page at {cp:?} a third time");
            assert!(reads() > before, "page at {cp:?} read its file again");
        }
    }

    #[tokio::test]
    async fn a_created_range_reads_only_the_files_holding_it_once_they_were_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.json"), customer_list(0..10, 10)).unwrap();
        fs::write(dir.path().join("b.json"), customer_list(500..510, 10)).unwrap();
        let src = StripeFiles::new(dir.path()).unwrap();
        let reads = || src.reads.load(std::sync::atomic::Ordering::Relaxed);
        let range = |gte: i64, lte: i64| FetchScope {
            created_gte: Some(gte),
            created_lte: Some(lte),
            ..FetchScope::default()
        };
        // The first range reads both files (its total counts them).
        let (early, total) = ids(&src, &range(1_000, 1_045)).await;
        assert_eq!(
            early,
            ["cus_000", "cus_001", "cus_002", "cus_003", "cus_004"]
        );
        assert_eq!(total, Some(5));
        let after_first = reads();
        assert!(after_first >= 2);
        // A later range: its total from what the first read kept; only the
        // file holding it is paged, and b.json's items are still held from
        // the first range's count: nothing is read.
        let (late, total) = ids(&src, &range(6_000, 6_020)).await;
        assert_eq!(late, ["cus_500", "cus_501", "cus_502"]);
        assert_eq!(total, Some(3));
        assert_eq!(reads(), after_first, "a.json not read, b.json held");
        // Again: b.json's items went into that page, so b.json alone is read.
        let (late, _) = ids(&src, &range(6_000, 6_020)).await;
        assert_eq!(late, ["cus_500", "cus_501", "cus_502"]);
        assert_eq!(reads() - after_first, 1, "only b.json read, once");
        // A range in neither file reads nothing.
        let (none, total) = ids(&src, &range(3_000, 4_000)).await;
        assert!(none.is_empty());
        assert_eq!(total, Some(0));
        assert_eq!(reads() - after_first, 1);
    }
}
