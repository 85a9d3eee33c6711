//! `StripeFiles`: an offline source over a directory of Stripe JSON.
//!
//! Reads `.json` and `.jsonl` files recursively, in dependency order (then path order). A value
//! may be a single object, an array, a list page (`{"object":"list","data":[...]}`,
//! nested lists too) or an event (its `data.object` is mapped as observed at the
//! event's `created`). Input that is not Stripe JSON (broken JSON, an
//! `{"error":{...}}` body, no `object`) becomes a `Failed` item with object
//! `"file"` and the path (plus `:line` for `.jsonl`) as its id; the rest imports.
//!
//! Balance transactions listed in a page whose `url` names a payout
//! (`/v1/balance_transactions?payout=po_...`) are attributed to that payout, and the
//! payout's `balance_transaction_ids` are filled from them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use async_trait::async_trait;
use serde_json::Value;
use tieout_core::model::Failure;
use tieout_core::{
    AccountInfo, CoreError, FetchScope, ObjectScope, Page, Record, Source, SourceItem,
};

use crate::error::{Result, StripeError};
use crate::events::{StripeEvent, event_items};
use crate::map::{MapContext, map_object};

/// Items per page.
const PAGE_SIZE: usize = 500;
/// Account id when neither a label nor an event names one.
const DEFAULT_ACCOUNT: &str = "acct_files";

/// An offline Stripe source over a directory of JSON exports.
#[derive(Debug)]
pub struct StripeFiles {
    dir: PathBuf,
    label: Option<String>,
    loaded: OnceLock<Loaded>,
    total_cache: Mutex<Option<(FetchScope, u64)>>,
}

/// The directory, read and mapped once.
#[derive(Debug)]
struct Loaded {
    account: String,
    livemode: bool,
    /// Items of each file, in sorted path order.
    files: Vec<Vec<SourceItem>>,
}

impl StripeFiles {
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
            loaded: OnceLock::new(),
            total_cache: Mutex::new(None),
        })
    }

    /// Files the records under this account id or label (default: the `account` of the
    /// first event found, else `acct_files`).
    pub fn account(mut self, label: &str) -> Self {
        self.label = Some(label.to_string());
        self.loaded = OnceLock::new();
        self
    }

    /// The directory read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every item, in page order, without filtering (reads the directory on first use).
    pub fn items(&self) -> impl Iterator<Item = &SourceItem> {
        self.load().files.iter().flatten()
    }

    fn load(&self) -> &Loaded {
        self.loaded
            .get_or_init(|| load(&self.dir, self.label.as_deref()))
    }

    fn account_id(&self) -> String {
        match &self.label {
            Some(l) => l.clone(),
            None => self.load().account.clone(),
        }
    }

    fn total(&self, scope: &FetchScope) -> u64 {
        let mut cache = self.total_cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, n)) = cache.as_ref() {
            if s == scope {
                return *n;
            }
        }
        let n = self.items().filter(|i| in_scope(i, scope)).count() as u64;
        *cache = Some((scope.clone(), n));
        n
    }
}

#[async_trait]
impl Source for StripeFiles {
    async fn verify(&self) -> tieout_core::Result<AccountInfo> {
        let l = self.load();
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
        let files = &self.load().files;
        let (mut f, mut i) = match checkpoint {
            None | Some("") => (0, 0),
            Some(c) => parse_checkpoint(c)?,
        };
        let mut items = Vec::new();
        let mut done = true;
        while f < files.len() {
            let file = &files[f];
            while i < file.len() {
                let item = &file[i];
                if in_scope(item, scope) {
                    if items.len() == PAGE_SIZE {
                        done = false;
                        break;
                    }
                    items.push(item.clone());
                }
                i += 1;
            }
            if !done {
                break;
            }
            f += 1;
            i = 0;
        }
        Ok(Page {
            items,
            checkpoint: format!("{f}:{i}"),
            done,
            notes: Vec::new(),
            total_hint: Some(self.total(scope)),
        })
    }

    fn stream(&self) -> String {
        format!("stripe-files:{}", self.account_id())
    }
}

fn parse_checkpoint(c: &str) -> tieout_core::Result<(usize, usize)> {
    let bad = || CoreError::Invalid(format!("invalid files checkpoint {c:?}"));
    let (f, i) = c.split_once(':').ok_or_else(bad)?;
    Ok((f.parse().map_err(|_| bad())?, i.parse().map_err(|_| bad())?))
}

/// Whether an item belongs to the fetch scope (object kinds, created range, invoice statuses).
fn in_scope(item: &SourceItem, scope: &FetchScope) -> bool {
    let kind_ok = |k: Option<ObjectScope>| {
        scope.objects.is_empty() || k.is_none_or(|k| scope.objects.contains(&k))
    };
    match item {
        SourceItem::Failed(f) => kind_ok(ObjectScope::parse(&f.object)),
        SourceItem::Record(r) => {
            if !kind_ok(Some(r.scope())) {
                return false;
            }
            let created = r.source().and_then(|s| s.created_at).map(|t| t.timestamp());
            if let Some(t) = created {
                if scope.created_gte.is_some_and(|g| t < g)
                    || scope.created_lte.is_some_and(|l| t > l)
                {
                    return false;
                }
            }
            if let Record::Invoice(inv) = r {
                if !scope.invoice_statuses.is_empty() {
                    let s = inv.source.status.as_deref().unwrap_or("");
                    return scope.invoice_statuses.iter().any(|x| x == s);
                }
            }
            true
        }
    }
}

/// Reads, parses and maps every file under `dir`.
fn load(dir: &Path, label: Option<&str>) -> Loaded {
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    walk(dir, &mut paths, &mut errors);
    paths.sort();
    let mut reader = Reader {
        ctx: MapContext::new(label.unwrap_or("")),
        first_event_account: None,
    };
    let mut files = Vec::with_capacity(paths.len() + 1);
    if !errors.is_empty() {
        files.push(errors);
    }
    for path in &paths {
        files.push(reader.read_file(path));
    }
    let account = label
        .map(str::to_string)
        .or(reader.first_event_account)
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string());
    let mut livemode = false;
    let mut payout_bts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in files.iter_mut().flatten() {
        if let SourceItem::Record(r) = item {
            if let Some(s) = source_mut(r) {
                // One source, one account: Connect events' accounts are folded in too.
                if s.account != account {
                    s.account.clone_from(&account);
                }
                livemode |= s.livemode;
            }
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
    if !payout_bts.is_empty() {
        for item in files.iter_mut().flatten() {
            if let SourceItem::Record(Record::Payout(p)) = item {
                if let Some(ids) = payout_bts.get(&p.source.external_id) {
                    if p.balance_transaction_ids.is_empty() {
                        p.balance_transaction_ids = ids.clone();
                        p.balance_transaction_ids.sort();
                        p.balance_transaction_ids.dedup();
                    }
                }
            }
        }
    }
    // Dependency order (customers, products, subscriptions, invoices, payments,
    // ...) so filters and references see what they need first; path order
    // within the same kind (a stable sort keeps it deterministic).
    files.sort_by_key(|items| {
        items
            .iter()
            .find_map(|i| match i {
                SourceItem::Record(r) => ObjectScope::ALL.iter().position(|s| *s == r.scope()),
                SourceItem::Failed(_) => None,
            })
            .unwrap_or(0)
    });
    Loaded {
        account,
        livemode,
        files,
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
}

impl Reader {
    fn read_file(&mut self, path: &Path) -> Vec<SourceItem> {
        let name = path.display().to_string();
        let mut out = Vec::new();
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                out.push(file_failure(&name, format!("cannot read file: {e}")));
                return out;
            }
        };
        if path.extension().and_then(|e| e.to_str()) == Some("jsonl") {
            for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let at = format!("{name}:{}", n + 1);
                match serde_json::from_slice::<Value>(line) {
                    Ok(v) => self.value(v, &at, &mut out),
                    Err(e) => out.push(file_failure(&at, format!("invalid JSON: {e}"))),
                }
            }
        } else {
            let stream = serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>();
            for v in stream {
                match v {
                    Ok(v) => self.value(v, &name, &mut out),
                    Err(e) => {
                        out.push(file_failure(&name, format!("invalid JSON: {e}")));
                        break;
                    }
                }
            }
        }
        out
    }

    /// One JSON value: an object, list page, event, array, or something else (a failure).
    fn value(&mut self, v: Value, at: &str, out: &mut Vec<SourceItem>) {
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
    fn checkpoints_and_payout_urls() {
        assert_eq!(parse_checkpoint("3:17").unwrap(), (3, 17));
        assert!(parse_checkpoint("x").is_err());
        assert!(parse_checkpoint("1:").is_err());
        assert_eq!(
            payout_in_url("/v1/balance_transactions?payout=po_1&limit=100").as_deref(),
            Some("po_1")
        );
        assert_eq!(payout_in_url("/v1/balance_transactions"), None);
    }
}
