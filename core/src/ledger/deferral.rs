//! Deferred revenue: with [`LedgerMapping::deferred_revenue`] set, an invoice
//! line whose service period (Stripe's `period.start` / `period.end` on the
//! line) ends after the invoice's issue day is booked at issue to deferred
//! revenue, and recognition entries move it to revenue one calendar month at
//! a time.
//!
//! - **Slices.** The service days `[start, end)` (UTC dates; `end` exclusive,
//!   as Stripe's period end is the first instant after the service) are cut at
//!   calendar months. Each slice gets the line amount times its days over the
//!   period's days, rounded toward zero to the currency's minor unit; the last
//!   slice takes what is left, so the slices sum to the line exactly and the
//!   rounding remainder sits, explicitly, in the last one.
//! - **Dates and ids.** A slice is recognised on its last day (never before
//!   the issue day), with the stable id
//!   `inv:<invoice>:recognized:<line>:<YYYY-MM>`; only slices dated on or
//!   before the as-of day are emitted, so a journal never holds future revenue
//!   and a later export emits only the slices that came due since.
//! - **Credit notes** (effective ones, crediting the line) take what they
//!   credit out of what is still deferred on their day (up to that), the rest
//!   out of revenue; the slices after it are prorated again over what stays
//!   deferred. A voided credit note changes nothing here (its entry and its
//!   reversal both go to revenue).
//! - **Void.** Recognition stops at the void day: slices dated before it stay
//!   recognised, the void entry takes the still-deferred part out of deferred
//!   revenue and the recognised part out of revenue.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::{JournalEntry, Layer, LedgerMapping, Posting};
use crate::model::{CreditNote, Invoice, InvoiceLine, InvoiceStatus};
use crate::money::Currency;

/// One month of a line's service period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    /// The month, `YYYY-MM` (part of the recognition entry's id).
    pub month: String,
    /// First service day in the slice.
    pub first: NaiveDate,
    /// Last service day in the slice.
    pub last: NaiveDate,
    /// Service days in the slice.
    pub days: i64,
    /// When it is recognised: its last day, or the issue day if later.
    pub date: NaiveDate,
    /// Amount moved from deferred revenue to revenue (signed like the line).
    pub amount: Decimal,
}

/// The deferral of one invoice line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineSchedule {
    /// The line's source id, or `line<index>` when it has none.
    pub key: String,
    /// The revenue account the line recognises into.
    pub account: String,
    /// The line amount (what was deferred at issue).
    pub amount: Decimal,
    /// Slices, in date order (those a void cancelled are left out).
    pub slices: Vec<Slice>,
    /// What each effective credit note crediting the line took out of
    /// deferred revenue, by (credit note id, credit note line index).
    pub credited: Vec<(String, usize, Decimal)>,
}

/// The service days `[start, end)` of `line` when they run past `issued`
/// (otherwise the line is revenue at issue): `None` without both period
/// ends, for an empty period or a zero amount.
pub fn service_days(line: &InvoiceLine, issued: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let start = line.period_start?.date_naive();
    let end = line.period_end?.date_naive();
    (end > start && end > issued && !line.amount.is_zero()).then_some((start, end))
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
}

/// The calendar-month slices of `[start, end)`, dated no earlier than
/// `issued`, with zero amounts.
pub fn month_slices(start: NaiveDate, end: NaiveDate, issued: NaiveDate) -> Vec<Slice> {
    let mut out = Vec::new();
    let mut first = start;
    while first < end {
        let next = first_of_next_month(first).min(end);
        let last = next.pred_opt().unwrap_or(first);
        out.push(Slice {
            month: format!("{:04}-{:02}", first.year(), first.month()),
            first,
            last,
            days: (next - first).num_days(),
            date: last.max(issued),
            amount: Decimal::ZERO,
        });
        first = next;
    }
    out
}

/// `amount` split by `days`: each part but the last rounded toward zero to
/// the currency's minor unit, the last what is left (the rounding
/// remainder), so the parts sum to `amount` exactly and share its sign.
pub fn prorate(amount: Decimal, currency: Currency, days: &[i64]) -> Vec<Decimal> {
    let total: i64 = days.iter().sum();
    let mut out = Vec::with_capacity(days.len());
    let mut left = amount;
    for (i, d) in days.iter().enumerate() {
        if i + 1 == days.len() || total <= 0 {
            out.push(left);
            left = Decimal::ZERO;
            continue;
        }
        let part = (amount * Decimal::from(*d) / Decimal::from(total))
            .round_dp_with_strategy(currency.exponent(), RoundingStrategy::ToZero);
        out.push(part);
        left -= part;
    }
    out
}

fn line_key(l: &InvoiceLine, index: usize) -> String {
    l.external_id
        .clone()
        .unwrap_or_else(|| format!("line{index}"))
}

/// The day an invoice was issued, as the issued entry dates it.
pub(super) fn issue_day(inv: &Invoice) -> Option<NaiveDate> {
    inv.issued_at
        .or(inv.source.created_at)
        .map(|t| t.date_naive())
}

/// The day a void stops recognition: the invoice's last update, not before
/// its issue.
pub(super) fn void_day(inv: &Invoice, issued: NaiveDate) -> Option<NaiveDate> {
    (inv.status == InvoiceStatus::Void).then(|| {
        inv.source
            .updated_at
            .map(|t| t.date_naive())
            .unwrap_or(issued)
            .max(issued)
    })
}

/// The deferral schedule of every deferred line of `inv` (empty without a
/// deferred-revenue account, for drafts, partial line lists or lines
/// without a service period past the issue day). `credit_notes`: those of
/// this invoice (other invoices' are skipped).
pub fn schedule(
    inv: &Invoice,
    credit_notes: &[&CreditNote],
    m: &LedgerMapping,
) -> Vec<LineSchedule> {
    if m.deferred_revenue.is_none()
        || inv.status == InvoiceStatus::Draft
        || inv.total.is_zero()
        || !inv.lines_complete
    {
        return Vec::new();
    }
    let Some(issued) = issue_day(inv) else {
        return Vec::new();
    };
    let void = void_day(inv, issued);
    let c = inv.currency;
    // Effective credit notes of this invoice, by day then id.
    let mut cns: Vec<(NaiveDate, &CreditNote)> = credit_notes
        .iter()
        .filter(|cn| cn.is_effective() && cn.invoice_ref == inv.source.external_id)
        .filter_map(|cn| {
            cn.effective_at
                .or(cn.source.created_at)
                .map(|t| (t.date_naive(), *cn))
        })
        .collect();
    cns.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.source.external_id.cmp(&b.1.source.external_id))
    });
    let mut out = Vec::new();
    for (index, l) in inv.lines.iter().enumerate() {
        let Some((start, end)) = service_days(l, issued) else {
            continue;
        };
        let mut slices = month_slices(start, end, issued);
        let days: Vec<i64> = slices.iter().map(|s| s.days).collect();
        let mut credited = Vec::new();
        // Slices before `fixed` have their amounts; the rest are prorated
        // over what is still deferred (`deferred`) from `fixed` on.
        let mut fixed = 0;
        let mut deferred = l.amount;
        for (day, cn) in &cns {
            let parts: Vec<(usize, &crate::model::CreditNoteLine)> = cn
                .lines
                .iter()
                .enumerate()
                .filter(|(_, cl)| {
                    cl.invoice_line_ref.is_some() && cl.invoice_line_ref == l.external_id
                })
                .collect();
            if parts.is_empty() {
                continue;
            }
            // Recognise the slices dated before the credit note's day.
            let base = fixed;
            let amounts = prorate(deferred, c, &days[base..]);
            while fixed < slices.len() && slices[fixed].date < *day {
                slices[fixed].amount = amounts[fixed - base];
                deferred -= slices[fixed].amount;
                fixed += 1;
            }
            for (i, cl) in parts {
                let take = if l.amount > Decimal::ZERO && cl.amount > Decimal::ZERO {
                    cl.amount.min(deferred.max(Decimal::ZERO))
                } else {
                    Decimal::ZERO
                };
                deferred -= take;
                credited.push((cn.source.external_id.clone(), i, take));
            }
        }
        let amounts = prorate(deferred, c, &days[fixed..]);
        for (s, a) in slices[fixed..].iter_mut().zip(amounts) {
            s.amount = a;
        }
        if let Some(v) = void {
            slices.retain(|s| s.date < v);
        }
        out.push(LineSchedule {
            key: line_key(l, index),
            account: m
                .revenue_account(l.product_ref.as_deref(), l.price_ref.as_deref())
                .to_string(),
            amount: l.amount,
            slices,
            credited,
        });
    }
    out
}

/// The recognition entries of `schedules` dated on or before `as_of` (every
/// slice when `None`): Dr deferred revenue / Cr the line's revenue account.
pub fn recognition_entries(
    inv: &Invoice,
    schedules: &[LineSchedule],
    m: &LedgerMapping,
    as_of: Option<NaiveDate>,
) -> Vec<JournalEntry> {
    let Some(deferred) = m.deferred_revenue.as_deref() else {
        return Vec::new();
    };
    let ext = &inv.source.external_id;
    let c = inv.currency;
    let mut out = Vec::new();
    for ls in schedules {
        let n = ls.slices.len();
        for (i, s) in ls.slices.iter().enumerate() {
            if s.amount.is_zero() || as_of.is_some_and(|d| s.date > d) {
                continue;
            }
            let memo = format!(
                "{} {}/{n}: {} day(s) from {} to {}{}",
                ls.key,
                i + 1,
                s.days,
                s.first,
                s.last,
                if i + 1 == n {
                    ", with the rounding remainder"
                } else {
                    ""
                }
            );
            out.push(JournalEntry {
                id: format!("inv:{ext}:recognized:{}:{}", ls.key, s.month),
                layer: Layer::Accrual,
                date: s.date,
                narration: format!(
                    "Invoice {} revenue recognised for {}",
                    inv.number.as_deref().unwrap_or(ext),
                    s.month
                ),
                links: vec![ext.clone()],
                source_id: ext.clone(),
                category: "recognized".into(),
                customer_id: inv.customer_id.clone(),
                adjusts: None,
                postings: vec![
                    Posting::new(deferred, s.amount, c).memo(memo.clone()),
                    Posting::new(&ls.account, -s.amount, c).memo(memo),
                ],
            });
        }
    }
    out
}

/// What each effective credit note took out of deferred revenue, per
/// credit note line index, by credit note id.
pub fn credited_by_note(schedules: &[LineSchedule]) -> HashMap<String, HashMap<usize, Decimal>> {
    let mut out: HashMap<String, HashMap<usize, Decimal>> = HashMap::new();
    for ls in schedules {
        for (cn, i, take) in &ls.credited {
            *out.entry(cn.clone())
                .or_default()
                .entry(*i)
                .or_insert(Decimal::ZERO) += *take;
        }
    }
    out
}
