//! The ledger for Node: `journalEntries`, `stripeBalance`,
//! `recordReportedBalance` and `export`, with decimal strings and ISO times.

use std::collections::{BTreeMap, HashMap};

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use tieout::{Currency, ExportOptions, Layers, LedgerMapping, ReportedBalance, Target};

use crate::books::Books;
use crate::error::invalid;
use crate::task::{blocking, rejected};
use crate::values::{amount, date, instant, instant_opt, parse_decimal, parse_instant};

/// Options of `Books#journalEntries` and `Books#export`.
#[napi(object, object_to_js = false)]
pub struct LedgerOptions {
    /// Account names over the default mapping, by snake_case field
    /// (`accounts_receivable`, `revenue`, `stripe_balance`, ...; the optional
    /// `deferred_revenue` defers lines serving past the issue day and
    /// recognises them month by month).
    pub mapping: Option<HashMap<String, String>>,
    /// Layers to include (`["accrual", "cash"]`; default both).
    pub layers: Option<Vec<String>>,
    /// Export only what this target has not received (default false).
    pub since_last: Option<bool>,
    /// The organisation's base currency (Xero, QuickBooks).
    pub base_currency: Option<String>,
    /// Rates to the base currency per currency, as decimal strings (Xero).
    pub rates: Option<HashMap<String, String>>,
    /// The export time (ISO); default now.
    pub now: Option<String>,
    /// First day of the exported period (`YYYY-MM-DD` or an ISO time).
    pub from: Option<String>,
    /// The day after the exported period (exclusive; `YYYY-MM-DD` or an ISO time).
    pub to: Option<String>,
    /// `journalEntries`: recognise deferred revenue up to this day
    /// (`YYYY-MM-DD` or an ISO time); default today (UTC).
    pub as_of: Option<String>,
}

/// One line of a journal entry: debit positive, credit negative.
#[napi(object, object_from_js = false)]
pub struct Posting {
    /// Account.
    pub account: String,
    /// Signed amount, decimal string.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Books id of the customer, on receivable lines.
    pub customer_id: Option<String>,
    /// What the line is.
    pub memo: Option<String>,
}

/// A balanced journal entry with a stable id derived from its source.
#[napi(object, object_from_js = false)]
pub struct JournalEntry {
    /// Stable id (`txn:<txn id>`, `inv:<invoice>:issued`, ...).
    pub id: String,
    /// `accrual` or `cash`.
    pub layer: String,
    /// Booking date, `YYYY-MM-DD`.
    pub date: String,
    /// Description.
    pub narration: String,
    /// Source ids it belongs to.
    pub links: Vec<String>,
    /// The Stripe object it comes from.
    pub source_id: String,
    /// `reporting_category` or accrual event.
    pub category: String,
    /// Books id of the customer.
    pub customer_id: Option<String>,
    /// The exported entry this one adjusts.
    pub adjusts: Option<String>,
    /// Postings.
    pub postings: Vec<Posting>,
}

/// Journal entries and what needs review.
#[napi(object, object_from_js = false)]
pub struct Journal {
    /// The entries, by date then id.
    pub entries: Vec<JournalEntry>,
    /// Ids of entries posted to suspense.
    pub suspense: Vec<String>,
    /// Source ids that gave no entry, with why.
    pub skipped: Vec<Vec<String>>,
}

/// A statement line: the gross or the fee of a balance transaction.
#[napi(object, object_from_js = false)]
pub struct StatementLine {
    /// Stripe balance transaction id.
    pub transaction_id: String,
    /// `gross` or `fee`.
    pub part: String,
    /// Created (ISO).
    pub date: String,
    /// Available on (ISO).
    pub available_on: Option<String>,
    /// Category.
    pub category: String,
    /// Description.
    pub description: String,
    /// Signed amount.
    pub amount: String,
    /// Running balance after the line.
    pub balance: String,
}

/// The Stripe balance in one currency as a bank statement.
#[napi(object, object_from_js = false)]
pub struct StripeBalance {
    /// Currency.
    pub currency: String,
    /// Period start (ISO, inclusive).
    pub from: String,
    /// Period end (ISO, exclusive).
    pub to: String,
    /// Available at `from`.
    pub opening_available: String,
    /// Pending at `from`.
    pub opening_pending: String,
    /// Lines.
    pub lines: Vec<StatementLine>,
    /// Available at `to`.
    pub closing_available: String,
    /// Pending at `to`.
    pub closing_pending: String,
    /// Opening total.
    pub opening: String,
    /// Closing total.
    pub closing: String,
    /// Whether it ties to what Stripe reported (true when nothing was reported).
    pub ties: bool,
    /// Reported minus computed available funds.
    pub unexplained_available: Option<String>,
    /// Reported minus computed pending funds.
    pub unexplained_pending: Option<String>,
}

/// One journal entry as an export target received it.
#[napi(object, object_from_js = false)]
pub struct ExportedEntry {
    /// The log record's books id.
    pub id: String,
    /// Target name.
    pub target: String,
    /// The journal entry's id.
    pub entry_id: String,
    /// When it was exported (ISO; the last adjustment's time once adjusted).
    pub at: String,
    /// The entry's date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The postings the target holds for it (net of adjustments).
    pub postings: Vec<Posting>,
    /// Adjusting entries emitted for it.
    pub adjustments: u32,
}

/// An export: the rendered text and the entries it holds.
#[napi(object, object_from_js = false)]
pub struct Export {
    /// Target name.
    pub target: String,
    /// The rendered file.
    pub text: String,
    /// The entries.
    pub entries: Vec<JournalEntry>,
    /// When it was recorded (ISO).
    pub exported_at: String,
}

pub(crate) fn entry(e: &tieout::JournalEntry) -> JournalEntry {
    JournalEntry {
        id: e.id.clone(),
        layer: e.layer.as_str().into(),
        date: date(e.date),
        narration: e.narration.clone(),
        links: e.links.clone(),
        source_id: e.source_id.clone(),
        category: e.category.clone(),
        customer_id: e.customer_id.clone(),
        adjusts: e.adjusts.clone(),
        postings: e.postings.iter().map(posting).collect(),
    }
}

fn posting(p: &tieout::Posting) -> Posting {
    Posting {
        account: p.account.clone(),
        amount: amount(p.amount, p.currency),
        currency: p.currency.code().into(),
        customer_id: p.customer_id.clone(),
        memo: p.memo.clone(),
    }
}

fn currency(c: &str) -> tieout::Result<Currency> {
    Ok(Currency::parse(c)?)
}

pub(crate) fn export_options(o: Option<&LedgerOptions>) -> tieout::Result<ExportOptions> {
    let mut out = ExportOptions::default();
    let Some(o) = o else { return Ok(out) };
    if let Some(m) = &o.mapping {
        let v = serde_json::to_value(m).map_err(|e| invalid(format!("mapping: {e}")))?;
        out.mapping = serde_json::from_value::<LedgerMapping>(v)
            .map_err(|e| invalid(format!("mapping: {e}")))?;
    }
    if let Some(names) = &o.layers {
        out.layers = Layers {
            accrual: false,
            cash: false,
        };
        for n in names {
            match n.as_str() {
                "accrual" => out.layers.accrual = true,
                "cash" => out.layers.cash = true,
                other => return Err(invalid(format!("unknown layer {other:?} (accrual, cash)"))),
            }
        }
    }
    out.since_last = o.since_last.unwrap_or(false);
    out.base_currency = o.base_currency.as_deref().map(currency).transpose()?;
    let mut rates = BTreeMap::new();
    for (k, v) in o.rates.iter().flatten() {
        rates.insert(currency(k)?, parse_decimal("rates", v)?);
    }
    out.rates = rates;
    out.from = day_opt("from", o.from.as_deref())?;
    out.to = day_opt("to", o.to.as_deref())?;
    Ok(out)
}

/// A day from `YYYY-MM-DD` or an ISO time.
fn day_opt(field: &str, text: Option<&str>) -> tieout::Result<Option<chrono::NaiveDate>> {
    text.map(|t| parse_instant(field, t).map(|i| i.date_naive()))
        .transpose()
}

#[napi]
impl Books {
    /// Journal entries: the accrual layer (invoices issued, voided, written
    /// off; disputes lost; with `mapping.deferred_revenue`, revenue
    /// recognised up to `asOf`) and the cash layer (one entry per balance
    /// transaction).
    #[napi(ts_return_type = "Promise<Journal>")]
    pub fn journal_entries<'env>(
        &self,
        env: &'env Env,
        options: Option<LedgerOptions>,
    ) -> napi::Result<PromiseRaw<'env, Journal>> {
        let args = (|| {
            let o = export_options(options.as_ref())?;
            let as_of = day_opt("asOf", options.as_ref().and_then(|o| o.as_of.as_deref()))?;
            Ok::<_, tieout::Error>((o, as_of.unwrap_or_else(|| chrono::Utc::now().date_naive())))
        })();
        let (o, as_of) = match args {
            Ok(a) => a,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            let j = b.journal_entries_as_of(&o.mapping, o.layers, as_of)?;
            Ok(Journal {
                entries: j.entries.iter().map(entry).collect(),
                suspense: j.suspense,
                skipped: j.skipped.into_iter().map(|(a, b)| vec![a, b]).collect(),
            })
        })
    }

    /// The Stripe balance in `currency` over `[from, to)` (ISO times) as a
    /// bank statement, tied to the last reported balance.
    #[napi(ts_return_type = "Promise<StripeBalance>")]
    pub fn stripe_balance<'env>(
        &self,
        env: &'env Env,
        currency_code: String,
        from: String,
        to: String,
    ) -> napi::Result<PromiseRaw<'env, StripeBalance>> {
        let args = (|| {
            Ok::<_, tieout::Error>((
                currency(&currency_code)?,
                parse_instant("from", &from)?,
                parse_instant("to", &to)?,
            ))
        })();
        let (c, f, t) = match args {
            Ok(a) => a,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            let s = b.stripe_balance(c, f, t)?;
            Ok(StripeBalance {
                currency: c.code().into(),
                from: instant(s.from),
                to: instant(s.to),
                opening_available: amount(s.opening_available, c),
                opening_pending: amount(s.opening_pending, c),
                lines: s
                    .lines
                    .iter()
                    .map(|l| StatementLine {
                        transaction_id: l.transaction_id.clone(),
                        part: l.part.clone(),
                        date: instant(l.date),
                        available_on: instant_opt(l.available_on),
                        category: l.category.clone(),
                        description: l.description.clone(),
                        amount: amount(l.amount, c),
                        balance: amount(l.balance, c),
                    })
                    .collect(),
                closing_available: amount(s.closing_available, c),
                closing_pending: amount(s.closing_pending, c),
                opening: amount(s.opening(), c),
                closing: amount(s.closing(), c),
                ties: s.ties(),
                unexplained_available: s.unexplained_available.map(|d| amount(d, c)),
                unexplained_pending: s.unexplained_pending.map(|d| amount(d, c)),
            })
        })
    }

    /// Keeps the balance Stripe reported (decimal strings, ISO time).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn record_reported_balance<'env>(
        &self,
        env: &'env Env,
        currency_code: String,
        available: String,
        pending: String,
        at: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let r = (|| {
            Ok::<_, tieout::Error>(ReportedBalance {
                at: parse_instant("at", &at)?,
                currency: currency(&currency_code)?,
                available: parse_decimal("available", &available)?,
                pending: parse_decimal("pending", &pending)?,
                run_id: None,
            })
        })();
        let r = match r {
            Ok(r) => r,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || b.record_reported_balance(&r))
    }

    /// Exports journal entries to `target` (beancount, hledger, qbo,
    /// netsuite, xero, csv) and records what was exported there.
    #[napi(ts_return_type = "Promise<Export>")]
    pub fn export<'env>(
        &self,
        env: &'env Env,
        target: String,
        options: Option<LedgerOptions>,
    ) -> napi::Result<PromiseRaw<'env, Export>> {
        let args = (|| {
            let t = Target::parse(&target)?;
            let o = export_options(options.as_ref())?;
            let now = match options.as_ref().and_then(|o| o.now.as_deref()) {
                Some(n) => parse_instant("now", n)?,
                None => chrono::Utc::now(),
            };
            Ok::<_, tieout::Error>((t, o, now))
        })();
        let (t, o, now) = match args {
            Ok(a) => a,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            let e = b.export(t, &o, now)?;
            Ok(Export {
                target: e.target.as_str().into(),
                text: e.text,
                entries: e.entries.iter().map(entry).collect(),
                exported_at: instant(e.exported_at),
            })
        })
    }
}

#[napi]
impl Books {
    /// The Stripe balance statement as a file: `format` `csv` (a
    /// bank-statement CSV, the default) or `camt053` (for `account`, default
    /// `STRIPE-<CUR>`).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn stripe_balance_statement<'env>(
        &self,
        env: &'env Env,
        currency_code: String,
        from: String,
        to: String,
        format: Option<String>,
        account: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let args = (|| {
            Ok::<_, tieout::Error>((
                currency(&currency_code)?,
                parse_instant("from", &from)?,
                parse_instant("to", &to)?,
            ))
        })();
        let (c, f, t) = match args {
            Ok(a) => a,
            Err(e) => return rejected(env, e),
        };
        let format = format.unwrap_or_else(|| "csv".into());
        let b = self.inner.clone();
        blocking(env, move || {
            b.stripe_balance_statement(c, f, t, &format, account.as_deref())
        })
    }

    /// What `target` has received: one record per journal entry (entry id,
    /// when, the postings it holds).
    #[napi(ts_return_type = "Promise<Array<ExportedEntry>>")]
    pub fn export_log<'env>(
        &self,
        env: &'env Env,
        target: String,
    ) -> napi::Result<PromiseRaw<'env, Vec<ExportedEntry>>> {
        let t = match Target::parse(&target) {
            Ok(t) => t,
            Err(e) => return rejected(env, e.into()),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            Ok(b.export_log(t)?
                .iter()
                .map(|r| ExportedEntry {
                    id: r.id.clone(),
                    target: r.target.as_str().into(),
                    entry_id: r.entry_id.clone(),
                    at: instant(r.mark.at),
                    date: r.mark.date.map(date),
                    postings: r.mark.postings.iter().map(posting).collect(),
                    adjustments: r.mark.adjustments,
                })
                .collect())
        })
    }
}
