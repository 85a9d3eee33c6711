//! The life of an own invoice: draft (with its totals), issue (numbered,
//! open), void. Paid and partially paid follow from allocations, as for any
//! invoice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{InvoiceDraft, LineKind};
use crate::error::{CoreError, Result};
use crate::import::keys;
use crate::model::{ExternalKey, Id, Invoice, InvoiceLine, InvoiceStatus, PaymentRefs, SourceRef};
use crate::money::Money;

/// The `system` of an own invoice's source reference.
pub const OWN_SYSTEM: &str = keys::BOOKS;

/// Whether `inv` was issued by the books (not imported).
pub fn is_own(inv: &Invoice) -> bool {
    inv.source.system == OWN_SYSTEM && inv.source.object == "invoice"
}

/// The alias keys an own invoice is found by: its books id (as payment
/// metadata or a checkout `client_reference_id` names it) and, once issued,
/// its number.
pub fn own_keys(inv: &Invoice) -> Vec<ExternalKey> {
    let mut out = vec![inv.source.key()];
    if let Some(n) = &inv.number {
        out.push(keys::invoice_number(&inv.source, n));
    }
    out
}

fn invalid(msg: String) -> CoreError {
    CoreError::Invalid(msg)
}

fn exact(amount: Decimal, draft: &InvoiceDraft, what: &str) -> Result<()> {
    if Money::new(amount, draft.currency).is_exact() {
        Ok(())
    } else {
        Err(CoreError::NotRepresentable {
            amount: format!("{amount} ({what})"),
            currency: draft.currency,
        })
    }
}

/// A draft invoice with id `id`, its totals from the lines: subtotal (items),
/// discount and tax (their lines, as amounts), total = subtotal - discount +
/// tax. Every amount must be whole minor units of the currency.
pub fn build_draft(id: Id, draft: &InvoiceDraft, now: DateTime<Utc>) -> Result<Invoice> {
    if draft.customer_id.trim().is_empty() {
        return Err(invalid("an invoice needs a customer".into()));
    }
    if draft.prefix.trim().is_empty() || draft.prefix.contains('/') {
        return Err(invalid(format!(
            "invoice number prefix {:?} must be non-empty and have no '/'",
            draft.prefix
        )));
    }
    if !draft.lines.iter().any(|l| l.kind == LineKind::Item) {
        return Err(invalid("an invoice needs at least one item line".into()));
    }
    let (mut subtotal, mut discount, mut tax) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut lines = Vec::new();
    let mut adjustments = Vec::new();
    for (n, l) in draft.lines.iter().enumerate() {
        let amount = l
            .quantity
            .checked_mul(l.unit_amount)
            .ok_or(CoreError::Overflow)?;
        let what = format!("line {} {:?}", n + 1, l.description);
        exact(amount, draft, &what)?;
        if l.quantity <= Decimal::ZERO || amount < Decimal::ZERO {
            return Err(invalid(format!(
                "{what}: quantity must be positive and the amount not negative"
            )));
        }
        match l.kind {
            LineKind::Item => {
                subtotal += amount;
                lines.push(InvoiceLine {
                    external_id: None,
                    description: Some(l.description.clone()),
                    quantity: l.quantity,
                    unit_amount: Some(l.unit_amount),
                    amount,
                    tax: Decimal::ZERO,
                    period_start: None,
                    period_end: None,
                    price_ref: None,
                    product_ref: None,
                    subscription_item_ref: None,
                    proration: false,
                });
            }
            LineKind::Tax | LineKind::Discount => {
                if l.kind == LineKind::Tax {
                    tax += amount;
                } else {
                    discount += amount;
                }
                adjustments.push(serde_json::json!({
                    "kind": l.kind,
                    "description": l.description,
                    "amount": amount.normalize().to_string(),
                }));
            }
        }
    }
    if discount > subtotal {
        return Err(invalid(format!(
            "discounts ({discount}) exceed the items ({subtotal})"
        )));
    }
    let total = subtotal - discount + tax;
    let mut source = SourceRef::new(OWN_SYSTEM, "", "invoice", &id);
    source.status = Some("draft".into());
    source.created_at = Some(now);
    source.updated_at = Some(now);
    let mut metadata = BTreeMap::new();
    if !adjustments.is_empty() {
        metadata.insert(
            "tieout_adjustments".to_string(),
            serde_json::Value::Array(adjustments).to_string(),
        );
    }
    if let Some(m) = &draft.memo {
        metadata.insert("memo".to_string(), m.clone());
    }
    metadata.insert("tieout_prefix".to_string(), draft.prefix.clone());
    Ok(Invoice {
        id,
        source,
        customer_id: Some(draft.customer_id.clone()),
        customer_ref: None,
        subscription_id: None,
        subscription_ref: None,
        number: None,
        status: InvoiceStatus::Draft,
        currency: draft.currency,
        subtotal,
        discount,
        tax,
        total,
        amount_due: total,
        amount_paid: Decimal::ZERO,
        amount_remaining: total,
        amount_written_off: Decimal::ZERO,
        source_amount_paid: Decimal::ZERO,
        amount_credited: Decimal::ZERO,
        source_credited: Decimal::ZERO,
        write_off: None,
        issued_at: None,
        due_date: draft.due_date,
        paid_at: None,
        lines,
        lines_complete: true,
        payment_refs: PaymentRefs::default(),
        metadata,
    })
}

/// The prefix an own invoice is numbered under.
pub fn prefix_of(inv: &Invoice) -> String {
    inv.metadata
        .get("tieout_prefix")
        .cloned()
        .unwrap_or_else(super::draft::default_prefix)
}

/// Issues a draft: it gets `number` and is open from `now`.
pub fn issue(inv: &Invoice, number: &str, now: DateTime<Utc>) -> Result<Invoice> {
    if !is_own(inv) {
        return Err(invalid(format!(
            "invoice {} was imported; only the books' own invoices are issued here",
            inv.id
        )));
    }
    if inv.source.status.as_deref() != Some("draft") {
        return Err(invalid(format!(
            "invoice {} is {}, not a draft",
            inv.id,
            inv.source.status.as_deref().unwrap_or("?")
        )));
    }
    let mut out = inv.clone();
    out.number = Some(number.to_string());
    out.source.status = Some("open".into());
    out.source.updated_at = Some(now);
    out.status = InvoiceStatus::Open;
    out.issued_at = Some(now);
    out.amount_remaining = (out.collectible() - out.amount_paid).max(Decimal::ZERO);
    Ok(out)
}

/// Voids an own invoice (a draft, or an open one with nothing allocated).
pub fn void(inv: &Invoice, now: DateTime<Utc>) -> Result<Invoice> {
    if !is_own(inv) {
        return Err(invalid(format!(
            "invoice {} was imported; void it in its source",
            inv.id
        )));
    }
    match inv.source.status.as_deref() {
        Some("draft") | Some("open") => {}
        other => {
            return Err(invalid(format!(
                "invoice {} is {}; only drafts and open invoices are voided",
                inv.id,
                other.unwrap_or("?")
            )));
        }
    }
    if inv.amount_paid > Decimal::ZERO {
        return Err(invalid(format!(
            "invoice {} has {} paid; remove its allocations before voiding it",
            inv.id, inv.amount_paid
        )));
    }
    let mut out = inv.clone();
    out.source.status = Some("void".into());
    out.source.updated_at = Some(now);
    out.status = InvoiceStatus::Void;
    out.amount_remaining = Decimal::ZERO;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoicing::{DraftLine, InvoiceDraft};
    use crate::money::Currency;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn t() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    fn draft() -> InvoiceDraft {
        InvoiceDraft::new("cust_1", Currency::parse("EUR").unwrap())
            .line(DraftLine::item("Consulting", dec!(3), dec!(120.50)))
            .line(DraftLine::item("Travel", dec!(1), dec!(80)))
            .line(DraftLine::discount("Loyalty", dec!(41.50)))
            .line(DraftLine::tax("VAT 20%", dec!(80)))
    }

    #[test]
    fn totals_come_from_items_tax_and_discount_lines() {
        let inv = build_draft("inv_a".into(), &draft(), t()).unwrap();
        assert_eq!(inv.subtotal, dec!(441.50));
        assert_eq!(inv.discount, dec!(41.50));
        assert_eq!(inv.tax, dec!(80));
        assert_eq!(inv.total, dec!(480.00));
        assert_eq!(inv.amount_due, dec!(480.00));
        assert_eq!(inv.amount_remaining, dec!(480.00));
        assert_eq!(inv.lines.len(), 2);
        assert_eq!(inv.status, InvoiceStatus::Draft);
        assert!(is_own(&inv));
        assert!(inv.metadata["tieout_adjustments"].contains("Loyalty"));
    }

    #[test]
    fn bad_drafts_are_refused() {
        let eur = Currency::parse("EUR").unwrap();
        let no_items = InvoiceDraft::new("cust_1", eur).line(DraftLine::tax("VAT", dec!(1)));
        assert!(build_draft("inv_a".into(), &no_items, t()).is_err());
        let sub_cent =
            InvoiceDraft::new("cust_1", eur).line(DraftLine::item("x", dec!(1), dec!(0.001)));
        assert!(matches!(
            build_draft("inv_a".into(), &sub_cent, t()),
            Err(CoreError::NotRepresentable { .. })
        ));
        let jpy = InvoiceDraft::new("cust_1", Currency::parse("JPY").unwrap())
            .line(DraftLine::item("x", dec!(1), dec!(10.5)));
        assert!(build_draft("inv_a".into(), &jpy, t()).is_err());
        let over = InvoiceDraft::new("cust_1", eur)
            .line(DraftLine::item("x", dec!(1), dec!(10)))
            .line(DraftLine::discount("too much", dec!(11)));
        assert!(build_draft("inv_a".into(), &over, t()).is_err());
        let no_customer = InvoiceDraft::new(" ", eur).line(DraftLine::item("x", dec!(1), dec!(1)));
        assert!(build_draft("inv_a".into(), &no_customer, t()).is_err());
    }

    #[test]
    fn issue_numbers_and_opens_once() {
        let d = build_draft("inv_a".into(), &draft(), t()).unwrap();
        let open = issue(&d, "INV-000001", t()).unwrap();
        assert_eq!(open.status, InvoiceStatus::Open);
        assert_eq!(open.number.as_deref(), Some("INV-000001"));
        assert_eq!(open.issued_at, Some(t()));
        assert!(issue(&open, "INV-000002", t()).is_err());
        assert_eq!(own_keys(&open).len(), 2);
        let v = void(&open, t()).unwrap();
        assert_eq!(v.status, InvoiceStatus::Void);
        assert_eq!(v.amount_remaining, Decimal::ZERO);
        assert!(void(&v, t()).is_err());
        let mut paid = open.clone();
        paid.amount_paid = dec!(1);
        assert!(void(&paid, t()).is_err());
    }
}
