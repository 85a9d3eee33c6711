//! The accrual layer: invoices issued, voided, written off or uncollectible,
//! and disputes lost. Credit notes have their own module, [`super::credit`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{JournalEntry, Layer, LedgerMapping, Posting};
use crate::model::{Dispute, DisputeStatus, Invoice, InvoiceStatus};
use crate::reconcile::ledger::written_off_by_hand;

fn day(t: Option<DateTime<Utc>>) -> Option<NaiveDate> {
    t.map(|t| t.date_naive())
}

/// Tax rate of a line in percent, as text without trailing zeros (`"20"`).
pub(super) fn rate_key(amount: Decimal, tax: Decimal) -> Option<String> {
    if amount.is_zero() || tax.is_zero() {
        return None;
    }
    Some(
        (tax / amount * Decimal::ONE_HUNDRED)
            .round_dp(2)
            .normalize()
            .to_string(),
    )
}

/// The entry of an issued invoice: Dr AR (total) / Cr revenue per line /
/// Dr discounts / Cr tax payable per rate. With a deferred-revenue account,
/// a line whose service period runs past the issue day is credited to it
/// instead (see [`super::deferral`]). Any difference between the total
/// and its parts (unitemized lines, invoice-level tax) is placed explicitly on
/// a posting named for it, never spread over the lines. An invoice whose line
/// list is partial (`lines_complete == false`) is never split by line or rate:
/// see [`UNSPLIT_REVENUE_MEMO`]. `None` for drafts, invoices never issued and
/// zero totals.
pub fn issued(inv: &Invoice, m: &LedgerMapping) -> Option<JournalEntry> {
    if inv.status == InvoiceStatus::Draft || inv.total.is_zero() {
        return None;
    }
    let date = day(inv.issued_at.or(inv.source.created_at))?;
    let c = inv.currency;
    let cust = inv.customer_id.as_deref();
    let mut p = vec![Posting::new(&m.accounts_receivable, inv.total, c).customer(cust)];
    if !inv.lines_complete {
        unsplit(inv, m, &mut p);
        return Some(issued_entry(inv, date, p));
    }
    let mut lines_total = Decimal::ZERO;
    let mut tax_by_rate: BTreeMap<Option<String>, Decimal> = BTreeMap::new();
    for l in &inv.lines {
        lines_total += l.amount;
        let deferred = m
            .deferred_revenue
            .as_deref()
            .filter(|_| super::deferral::service_days(l, date).is_some());
        let acct = deferred
            .unwrap_or_else(|| m.revenue_account(l.product_ref.as_deref(), l.price_ref.as_deref()));
        let mut q = Posting::new(acct, -l.amount, c);
        if let Some(d) = &l.description {
            q = q.memo(d.clone());
        }
        p.push(q);
        *tax_by_rate
            .entry(rate_key(l.amount, l.tax))
            .or_insert(Decimal::ZERO) += l.tax;
    }
    if !inv.discount.is_zero() {
        p.push(Posting::new(&m.discounts, inv.discount, c).memo("discount"));
    }
    let line_tax: Decimal = tax_by_rate.values().sum();
    for (rate, t) in &tax_by_rate {
        let memo = match rate {
            Some(r) => format!("tax {r}%"),
            None => "tax".to_string(),
        };
        p.push(Posting::new(m.tax_account(rate.as_deref()), -*t, c).memo(memo));
    }
    if inv.tax != line_tax {
        p.push(Posting::new(&m.tax_payable, line_tax - inv.tax, c).memo("invoice-level tax"));
    }
    let residual = inv.total - (lines_total - inv.discount + inv.tax);
    if !residual.is_zero() {
        p.push(Posting::new(&m.revenue, -residual, c).memo("not itemized in the lines"));
    }
    Some(issued_entry(inv, date, p))
}

/// Memo of the revenue posting of an invoice whose lines are partial.
pub const UNSPLIT_REVENUE_MEMO: &str =
    "lines incomplete: revenue from the invoice totals, not split by line";

/// Memo of the tax posting of an invoice whose lines are partial.
pub const UNSPLIT_TAX_MEMO: &str =
    "lines incomplete: tax from the invoice totals, not split by rate";

/// An invoice whose line list is partial (`lines_complete == false`): its lines
/// are never summed. Revenue is one unsplit posting to the mapping's default
/// `revenue` account (total less tax plus discounts) and tax one posting to
/// `tax_payable`, both from the invoice's own totals.
fn unsplit(inv: &Invoice, m: &LedgerMapping, p: &mut Vec<Posting>) {
    let c = inv.currency;
    let revenue = inv.total - inv.tax + inv.discount;
    p.push(Posting::new(&m.revenue, -revenue, c).memo(UNSPLIT_REVENUE_MEMO));
    if !inv.discount.is_zero() {
        p.push(Posting::new(&m.discounts, inv.discount, c).memo("discount"));
    }
    if !inv.tax.is_zero() {
        p.push(Posting::new(&m.tax_payable, -inv.tax, c).memo(UNSPLIT_TAX_MEMO));
    }
}

fn issued_entry(inv: &Invoice, date: NaiveDate, postings: Vec<Posting>) -> JournalEntry {
    JournalEntry {
        id: format!("inv:{}:issued", inv.source.external_id),
        layer: Layer::Accrual,
        date,
        narration: format!(
            "Invoice {} issued",
            inv.number.as_deref().unwrap_or(&inv.source.external_id)
        ),
        links: vec![inv.source.external_id.clone()],
        source_id: inv.source.external_id.clone(),
        category: "issued".into(),
        customer_id: inv.customer_id.clone(),
        adjusts: None,
        postings,
    }
    .tidy()
}

/// Every accrual entry of one invoice: issued, then void (the exact reversal),
/// write-off and uncollectible (to bad debt); with a deferred-revenue
/// account, every recognition slice too (see [`invoice_entries_as_of`]).
pub fn invoice_entries(inv: &Invoice, m: &LedgerMapping) -> Vec<JournalEntry> {
    let schedules = super::deferral::schedule(inv, &[], m);
    invoice_entries_as_of(inv, m, &schedules, None)
}

/// [`invoice_entries`] over the deferral `schedules` of the invoice (from
/// [`super::deferral::schedule`], which accounts for its credit notes), with
/// the recognition slices dated on or before `as_of` (all when `None`). A
/// void takes what is still deferred on its day out of deferred revenue and
/// what was recognised before it out of revenue.
pub fn invoice_entries_as_of(
    inv: &Invoice,
    m: &LedgerMapping,
    schedules: &[super::deferral::LineSchedule],
    as_of: Option<NaiveDate>,
) -> Vec<JournalEntry> {
    let Some(issue) = issued(inv, m) else {
        return Vec::new();
    };
    let later = day(inv.source.updated_at)
        .unwrap_or(issue.date)
        .max(issue.date);
    let ext = &inv.source.external_id;
    let mut out = Vec::new();
    if inv.status == InvoiceStatus::Void {
        let mut void = issue.reversed(format!("inv:{ext}:void"), later, "void");
        if let Some(deferred) = m.deferred_revenue.as_deref() {
            for ls in schedules {
                let recognized: Decimal = ls.slices.iter().map(|s| s.amount).sum();
                if recognized.is_zero() {
                    continue;
                }
                let memo = format!("{}: recognised before the void", ls.key);
                void.postings
                    .push(Posting::new(deferred, -recognized, inv.currency).memo(memo.clone()));
                void.postings
                    .push(Posting::new(&ls.account, recognized, inv.currency).memo(memo));
            }
            void = void.tidy();
        }
        out.push(void);
    }
    out.extend(super::deferral::recognition_entries(
        inv, schedules, m, as_of,
    ));
    let c = inv.currency;
    let cust = inv.customer_id.as_deref();
    let bad_debt = |what: &str, amount: Decimal, out: &mut Vec<JournalEntry>| {
        if amount.is_zero() {
            return;
        }
        out.push(JournalEntry {
            id: format!("inv:{ext}:{what}"),
            layer: Layer::Accrual,
            date: later,
            narration: format!("Invoice {ext}: {} to bad debt", what.replace('_', " ")),
            links: vec![ext.clone()],
            source_id: ext.clone(),
            category: what.into(),
            customer_id: inv.customer_id.clone(),
            adjusts: None,
            postings: vec![
                Posting::new(&m.bad_debt, amount, c),
                Posting::new(&m.accounts_receivable, -amount, c).customer(cust),
            ],
        });
    };
    // Tolerance write-offs (what is written off by hand has its own entries).
    let by_hand = written_off_by_hand(inv);
    bad_debt("write_off", inv.amount_written_off - by_hand, &mut out);
    if inv.status == InvoiceStatus::Uncollectible {
        bad_debt("uncollectible", inv.amount_remaining, &mut out);
    }
    if inv.status != InvoiceStatus::Void {
        out.extend(by_hand_entries(inv, issue.date, later, m));
    }
    out.insert(0, issue);
    out
}

/// A write-off by hand: the whole amount to bad debt on the day it was
/// written off (`inv:<id>:written_off`; it changes only if money taken back
/// later reopened part and that was written off too, which an export since
/// the last one emits as an adjusting entry), and what
/// later payments recovered back out of bad debt in its own entry
/// (`inv:<id>:recovered`; when a later payment recovers more, an export
/// since the last one emits the difference as an adjusting entry).
fn by_hand_entries(
    inv: &Invoice,
    issued: NaiveDate,
    later: NaiveDate,
    m: &LedgerMapping,
) -> Vec<JournalEntry> {
    let Some(w) = &inv.write_off else {
        return Vec::new();
    };
    if w.amount.is_zero() {
        return Vec::new();
    }
    let ext = &inv.source.external_id;
    let c = inv.currency;
    let cust = inv.customer_id.as_deref();
    let off_day = w.at.date_naive().max(issued);
    let entry =
        |id: String, date: NaiveDate, narration: String, category: &str, amount: Decimal| {
            JournalEntry {
                id,
                layer: Layer::Accrual,
                date,
                narration,
                links: vec![ext.clone()],
                source_id: ext.clone(),
                category: category.into(),
                customer_id: inv.customer_id.clone(),
                adjusts: None,
                postings: vec![
                    Posting::new(&m.bad_debt, amount, c),
                    Posting::new(&m.accounts_receivable, -amount, c).customer(cust),
                ],
            }
        };
    let mut out = vec![entry(
        format!("inv:{ext}:written_off"),
        off_day,
        format!("Invoice {ext} written off to bad debt: {}", w.reason),
        "written_off",
        w.amount,
    )];
    if w.recovered > Decimal::ZERO {
        let day = day(inv.paid_at).unwrap_or(later).max(later).max(off_day);
        out.push(entry(
            format!("inv:{ext}:recovered"),
            day,
            format!("Invoice {ext}: written-off amount recovered from bad debt"),
            "recovered",
            -w.recovered,
        ));
    }
    out
}

/// A lost dispute: the withdrawn funds move from disputes receivable to
/// chargeback losses, in the currency and amount the cash layer booked the
/// withdrawals to disputes receivable (`withdrawals`: currency and signed
/// amount, negative for funds withdrawn; the dispute's own amount when none
/// are known).
pub fn dispute_lost(
    d: &Dispute,
    withdrawals: &[(crate::money::Currency, Decimal)],
    m: &LedgerMapping,
) -> Option<JournalEntry> {
    if d.status != DisputeStatus::Lost {
        return None;
    }
    let date = day(d.source.updated_at.or(d.created_at).or(d.source.created_at))?;
    let mut amounts: BTreeMap<crate::money::Currency, Decimal> = BTreeMap::new();
    for (c, a) in withdrawals {
        *amounts.entry(*c).or_insert(Decimal::ZERO) -= *a;
    }
    if amounts.is_empty() {
        amounts.insert(d.currency, d.amount);
    }
    let mut p = Vec::new();
    for (c, a) in amounts {
        p.push(Posting::new(&m.chargeback_losses, a, c));
        p.push(Posting::new(&m.disputes_receivable, -a, c));
    }
    let ext = &d.source.external_id;
    Some(
        JournalEntry {
            id: format!("dp:{ext}:lost"),
            layer: Layer::Accrual,
            date,
            narration: format!("Dispute {ext} lost"),
            links: vec![ext.clone()],
            source_id: ext.clone(),
            category: "dispute_lost".into(),
            customer_id: None,
            adjusts: None,
            postings: p,
        }
        .tidy(),
    )
}
