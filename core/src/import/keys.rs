//! Alias keys: the secondary external ids the planner indexes.

use crate::model::{ExternalKey, SourceRef};

/// Books-internal alias system for keys that are not source objects.
pub const BOOKS: &str = "books";

/// Customers by lower-cased email.
pub fn email(email: &str) -> ExternalKey {
    ExternalKey::new(BOOKS, "", "email", &email.trim().to_ascii_lowercase())
}

/// Invoices naming a charge (pre-basil `invoice.charge`).
pub fn invoice_by_charge(s: &SourceRef, charge: &str) -> ExternalKey {
    s.sibling("invoice_by_charge", charge)
}

/// Invoices naming a payment intent (pre-basil `invoice.payment_intent`).
pub fn invoice_by_payment_intent(s: &SourceRef, pi: &str) -> ExternalKey {
    s.sibling("invoice_by_payment_intent", pi)
}

/// Invoices by number.
pub fn invoice_number(s: &SourceRef, number: &str) -> ExternalKey {
    s.sibling("invoice_number", number)
}

/// Payments that name an invoice (by source id or number).
pub fn payment_for_invoice(s: &SourceRef, invoice: &str) -> ExternalKey {
    s.sibling("payment_for_invoice", invoice)
}

/// Refunds of a charge or payment intent.
pub fn refund_for(s: &SourceRef, payment_ref: &str) -> ExternalKey {
    s.sibling("refund_for", payment_ref)
}

/// Credit notes against an invoice (by the invoice's source id).
pub fn credit_note_for(s: &SourceRef, invoice: &str) -> ExternalKey {
    s.sibling("credit_note_for", invoice)
}

/// Disputes of a charge or payment intent.
pub fn dispute_for(s: &SourceRef, payment_ref: &str) -> ExternalKey {
    s.sibling("dispute_for", payment_ref)
}

/// Balance transactions by their originating object (`ch_...`).
pub fn bt_by_source(s: &SourceRef, object_id: &str) -> ExternalKey {
    s.sibling("bt_source", object_id)
}

/// Balance transactions settled by a payout.
pub fn bt_by_payout(s: &SourceRef, payout: &str) -> ExternalKey {
    s.sibling("bt_payout", payout)
}

/// Applied events, for dedupe.
pub fn event(system: &str, account: &str, event_id: &str) -> ExternalKey {
    ExternalKey::new(system, account, "event", event_id)
}

/// Records waiting for an object that has not arrived yet (e.g. invoices whose
/// subscription is unknown), so it can fill the reference when it does.
pub fn awaiting(s: &SourceRef, object: &str, external_id: &str) -> ExternalKey {
    s.sibling(&format!("awaiting_{object}"), external_id)
}

/// The object of [`customer_credit`] keys.
pub const CUSTOMER_CREDIT: &str = "customer_credit";

/// Customers holding unapplied credit: names the payments with money to place,
/// so policy matching skips customers without credit in one batched lookup.
///
/// Planning only writes these keys (from each payment's old and new
/// version); it reads them in policy matching, after a run's records.
pub fn customer_credit(customer_id: &str) -> ExternalKey {
    ExternalKey::new(BOOKS, "", CUSTOMER_CREDIT, customer_id)
}

/// Whether `key` is a [`customer_credit`] key.
pub fn is_customer_credit(key: &ExternalKey) -> bool {
    key.object() == CUSTOMER_CREDIT && key.system() == BOOKS
}
