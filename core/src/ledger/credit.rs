//! Credit notes in the accrual layer.
//!
//! A credit note reverses slices of an issued invoice: revenue per credited
//! line (on the account the invoice line was booked to) and tax per rate. What
//! it credits goes against AR, except the part credited to the customer's
//! Stripe balance, which becomes customer credit:
//!
//! - before payment (`pre_payment_amount`) it lowers what the customer owes;
//! - a refund through the credit note (`refund_amount`) leaves AR in credit
//!   until the refund's balance transaction pays it out, and the cash layer
//!   books that refund against AR, not against the refunds (contra revenue)
//!   account, so revenue is reduced once;
//! - out of band (`out_of_band_amount`) leaves AR in credit for the host to
//!   settle with whatever paid the money back outside Stripe.
//!
//! A voided credit note gets its exact reversal.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{JournalEntry, Layer, LedgerMapping, Posting};
use crate::model::{CreditNote, Invoice, InvoiceLine};

fn day(cn: &CreditNote) -> Option<NaiveDate> {
    cn.effective_at
        .or(cn.source.created_at)
        .map(|t| t.date_naive())
}

/// Tax rate key of an invoice line, as the issued entry names it.
fn line_rate(l: &InvoiceLine) -> Option<String> {
    super::accrual::rate_key(l.amount, l.tax)
}

/// The credit note's entry (`cn:<id>`) and, once voided, its reversal
/// (`cn:<id>:void`). `invoice`: the credited invoice when the books hold it
/// (its lines name the revenue accounts and tax rates); without it the
/// revenue goes to the default revenue account. Empty for a zero credit note
/// or one without a date.
pub fn credit_note_entries(
    cn: &CreditNote,
    invoice: Option<&Invoice>,
    m: &LedgerMapping,
) -> Vec<JournalEntry> {
    credit_note_entries_deferred(cn, invoice, m, &HashMap::new())
}

/// [`credit_note_entries`] where the credited lines were deferred: `taken`
/// is what the credit note took out of deferred revenue per credit note line
/// index (from [`super::deferral::credited_by_note`]); that part is debited
/// to deferred revenue, the rest of the line to its revenue account.
pub fn credit_note_entries_deferred(
    cn: &CreditNote,
    invoice: Option<&Invoice>,
    m: &LedgerMapping,
    taken: &HashMap<usize, Decimal>,
) -> Vec<JournalEntry> {
    let Some(date) = day(cn) else {
        return Vec::new();
    };
    if cn.amount.is_zero() {
        return Vec::new();
    }
    let c = cn.currency;
    let lines: HashMap<&str, &InvoiceLine> = invoice
        .map(|inv| {
            inv.lines
                .iter()
                .filter_map(|l| l.external_id.as_deref().map(|id| (id, l)))
                .collect()
        })
        .unwrap_or_default();
    let mut revenue: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut tax: BTreeMap<Option<String>, Decimal> = BTreeMap::new();
    let mut lines_total = Decimal::ZERO;
    for (i, l) in cn.lines.iter().enumerate() {
        lines_total += l.amount;
        let credited = l.invoice_line_ref.as_deref().and_then(|r| lines.get(r));
        let account = match credited {
            Some(il) => m.revenue_account(il.product_ref.as_deref(), il.price_ref.as_deref()),
            None => m.revenue.as_str(),
        };
        let deferred = match (taken.get(&i), m.deferred_revenue.as_deref()) {
            (Some(t), Some(d)) if !t.is_zero() => {
                *revenue.entry(d).or_insert(Decimal::ZERO) += *t;
                *t
            }
            _ => Decimal::ZERO,
        };
        *revenue.entry(account).or_insert(Decimal::ZERO) += l.amount - deferred;
        if let Some(il) = credited.filter(|il| !il.amount.is_zero() && !il.tax.is_zero()) {
            let t = (l.amount * il.tax / il.amount)
                .round_dp_with_strategy(c.exponent(), RoundingStrategy::MidpointNearestEven);
            *tax.entry(line_rate(il)).or_insert(Decimal::ZERO) += t;
        }
    }
    let mut p = Vec::new();
    for (account, a) in &revenue {
        p.push(Posting::new(account, *a, c).memo("credit note"));
    }
    let tax_total = if cn.lines.is_empty() {
        Decimal::ZERO
    } else {
        cn.amount - lines_total
    };
    let itemized: Decimal = tax.values().sum();
    if tax_total == itemized {
        for (rate, t) in &tax {
            let memo = match rate {
                Some(r) => format!("credit note tax {r}%"),
                None => "credit note tax".to_string(),
            };
            p.push(Posting::new(m.tax_account(rate.as_deref()), *t, c).memo(memo));
        }
    } else if !tax_total.is_zero() {
        // The credited tax differs from what the lines' rates give (discounts,
        // inclusive prices): the whole difference sits on one named posting.
        p.push(Posting::new(&m.tax_payable, tax_total, c).memo("credit note tax, not itemized"));
    }
    if cn.lines.is_empty() {
        p.push(Posting::new(&m.revenue, cn.amount, c).memo("credit note, no lines"));
    }
    let to_balance = cn.credit_amount;
    let to_receivable = cn.amount - to_balance;
    let cust = cn.customer_id.as_deref();
    if !to_receivable.is_zero() {
        p.push(Posting::new(&m.accounts_receivable, -to_receivable, c).customer(cust));
    }
    if !to_balance.is_zero() {
        p.push(
            Posting::new(&m.customer_credit, -to_balance, c)
                .customer(cust)
                .memo("credited to the customer's balance"),
        );
    }
    let ext = &cn.source.external_id;
    let mut links = vec![ext.clone(), cn.invoice_ref.clone()];
    links.extend(cn.refund_refs.iter().cloned());
    let entry = JournalEntry {
        id: format!("cn:{ext}"),
        layer: Layer::Accrual,
        date,
        narration: format!(
            "Credit note {} on {}",
            cn.number.as_deref().unwrap_or(ext),
            invoice
                .and_then(|i| i.number.as_deref())
                .unwrap_or(&cn.invoice_ref)
        ),
        links,
        source_id: ext.clone(),
        category: "credit_note".into(),
        customer_id: cn.customer_id.clone(),
        adjusts: None,
        postings: p,
    }
    .tidy();
    let mut out = Vec::new();
    if !cn.is_effective() {
        let voided = cn
            .voided_at
            .or(cn.source.updated_at)
            .map(|t| t.date_naive())
            .unwrap_or(date)
            .max(date);
        out.push(entry.reversed(format!("cn:{ext}:void"), voided, "credit_note_void"));
    }
    out.insert(0, entry);
    out
}
