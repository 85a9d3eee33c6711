//! Shared allocation arithmetic: the rules settling, policy matching, manual
//! operations and the bulk matcher all apply, in one place.

use rust_decimal::Decimal;

use super::{ReconcilePolicy, SettleRules};
use crate::entity::EntityKind;
use crate::model::{Id, Invoice, InvoiceStatus, MatchStrategy, Payment, derive_id};
use crate::plan::{PaidInvoices, UnpaidInvoices};

/// Books id of the allocation of `payment_id` to `invoice_id` decided by `strategy`.
pub fn allocation_id(payment_id: &str, invoice_id: &str, strategy: MatchStrategy) -> Id {
    let strategy = strategy.as_str();
    let mut key = String::with_capacity(payment_id.len() + invoice_id.len() + strategy.len() + 2);
    for part in [payment_id, "|", invoice_id, "|", strategy] {
        key.push_str(part);
    }
    derive_id(EntityKind::Allocation.id_prefix(), &key)
}

/// Books id of an invoice's write-off allocation.
pub fn write_off_id(invoice_id: &str) -> Id {
    derive_id(
        EntityKind::Allocation.id_prefix(),
        &format!("{invoice_id}|write_off"),
    )
}

/// Whether the policy has any write-off tolerance.
pub fn has_tolerance(policy: &ReconcilePolicy) -> bool {
    policy.write_off_abs > Decimal::ZERO || policy.write_off_pct > Decimal::ZERO
}

/// The largest open remainder of an invoice of `total` the policy writes off.
pub fn write_off_limit(policy: &ReconcilePolicy, total: Decimal) -> Decimal {
    policy
        .write_off_abs
        .max(total * policy.write_off_pct / Decimal::ONE_HUNDRED)
}

/// Whether a remainder `left` of an invoice of `total` is written off under the policy.
pub fn writes_off(policy: &ReconcilePolicy, total: Decimal, left: Decimal) -> bool {
    has_tolerance(policy) && left > Decimal::ZERO && left <= write_off_limit(policy, total)
}

/// What a payment may still allocate given what is already `allocated`:
/// `available - allocated` for settled payments, zero otherwise.
pub fn payment_open(p: &Payment, allocated: Decimal) -> Decimal {
    if p.is_settled() {
        (p.available() - allocated).max(Decimal::ZERO)
    } else {
        Decimal::ZERO
    }
}

/// Sets a payment's `allocated` and `unapplied` from its allocations' sum.
/// Keeps `amount = allocated + unapplied + refunded + disputed` for settled payments.
pub fn set_payment_totals(p: &mut Payment, allocated: Decimal) {
    p.allocated = allocated;
    p.unapplied = payment_open(p, allocated);
}

/// Why an invoice cannot receive money from this payment, if it cannot
/// (void or draft in the source, currency). The source status decides, not
/// the books status: an invoice the plan imports as a draft still receives the
/// payments the source links to it.
pub fn claim_rejection(inv: &Invoice, p: &Payment) -> Option<String> {
    if matches!(inv.source.status.as_deref(), Some("void" | "draft")) {
        return Some(format!(
            "invoice {} is {}",
            inv.source.external_id,
            inv.source.status.as_deref().unwrap_or("not open")
        ));
    }
    if inv.currency != p.currency {
        return Some(format!(
            "invoice {} is in {}, payment in {}",
            inv.source.external_id, inv.currency, p.currency
        ));
    }
    None
}

/// Whether a policy match may pick this invoice: issued and not settled
/// (open, partially paid or uncollectible; never void or draft in the source).
pub fn policy_candidate(inv: &Invoice) -> bool {
    matches!(
        inv.status,
        InvoiceStatus::Open | InvoiceStatus::PartiallyPaid | InvoiceStatus::Uncollectible
    ) && !matches!(inv.source.status.as_deref(), Some("void" | "draft"))
}

/// How much a claim allocates: the payment's available amount, capped by the
/// claim's cap (an invoice payment's `amount_paid`) and the invoice's room.
pub fn claim_amount(avail: Decimal, cap: Option<Decimal>, room: Decimal) -> Decimal {
    cap.map_or(avail, |c| c.min(avail))
        .min(room)
        .max(Decimal::ZERO)
}

/// Sets an invoice's books status and paid/remaining amounts.
///
/// `written_off` is what tolerance write-off allocations write off. A
/// write-off by hand ([`Invoice::write_off`]) is not an allocation: it takes
/// what payments, credits and tolerance write-offs leave open, up to the
/// amount written off, and what they fill of it is recovered (see
/// [`crate::model::InvoiceWriteOff`]). `amount_written_off` is both.
pub fn derive_invoice_totals(
    inv: &mut Invoice,
    paid: Decimal,
    written_off: Decimal,
    rules: &SettleRules,
) {
    let t = invoice_totals(inv, paid, written_off, rules);
    inv.amount_written_off = written_off + t.by_hand;
    inv.amount_paid = t.paid;
    inv.amount_remaining = t.remaining;
    inv.status = t.status;
    let cancelled = cancelled_in_source(inv);
    if let Some(w) = &mut inv.write_off {
        w.recovered = if cancelled {
            Decimal::ZERO
        } else {
            w.amount - t.by_hand
        };
    }
}

/// Whether the source says the invoice is void or a draft (nothing receivable).
fn cancelled_in_source(inv: &Invoice) -> bool {
    matches!(inv.source.status.as_deref(), Some("void" | "draft"))
}

/// What of an invoice's write-off by hand is still written off, per its
/// stored totals (zero without one, or when the source voided it).
pub fn written_off_by_hand(inv: &Invoice) -> Decimal {
    match &inv.write_off {
        Some(w) if !cancelled_in_source(inv) => w.outstanding(),
        _ => Decimal::ZERO,
    }
}

/// Whether an invoice's stored `amount_paid` and `amount_written_off` are
/// what [`derive_invoice_totals`] gives for allocations that pay `paid` and
/// write off `written_off` (under either paid-invoice rule: a source-paid
/// invoice imported as "mark paid only" counts the source's paid amount).
/// Shared stores check this inside a commit's transaction: a writer that
/// derived the totals from allocations another writer changed since it read
/// them would otherwise lose that writer's update.
pub fn invoice_totals_agree(inv: &Invoice, paid: Decimal, written_off: Decimal) -> bool {
    let source_paid = inv.source.status.as_deref() == Some("paid");
    inv.amount_written_off == written_off + written_off_by_hand(inv)
        && (inv.amount_paid == paid
            || (source_paid && inv.amount_paid == paid.max(inv.source_amount_paid)))
}

/// Whether the invoice's books view is the one [`derive_invoice_totals`]
/// gives with nothing paid and nothing written off.
pub fn unsettled_view(inv: &Invoice, rules: &SettleRules) -> bool {
    let t = invoice_totals(inv, Decimal::ZERO, Decimal::ZERO, rules);
    inv.write_off.is_none()
        && inv.amount_written_off.is_zero()
        && inv.amount_paid == t.paid
        && inv.amount_remaining == t.remaining
        && inv.status == t.status
}

/// An invoice's books totals (see [`derive_invoice_totals`]).
struct Totals {
    paid: Decimal,
    remaining: Decimal,
    status: InvoiceStatus,
    /// What stays written off by hand.
    by_hand: Decimal,
}

/// The totals of an invoice given what allocations paid and wrote off.
fn invoice_totals(
    inv: &Invoice,
    paid: Decimal,
    written_off: Decimal,
    rules: &SettleRules,
) -> Totals {
    let source = inv.source.status.as_deref().unwrap_or("open");
    // Credit notes issued before payment are not receivable.
    let due = inv.collectible();
    let by_hand = |amount_paid: Decimal| match &inv.write_off {
        Some(w) if !cancelled_in_source(inv) => w
            .amount
            .min((due - amount_paid - written_off).max(Decimal::ZERO)),
        _ => Decimal::ZERO,
    };
    if rules.paid == PaidInvoices::MarkPaidOnly && source == "paid" {
        let amount_paid = paid.max(inv.source_amount_paid);
        let by_hand = by_hand(amount_paid);
        let remaining = (due - amount_paid - written_off - by_hand).max(Decimal::ZERO);
        return Totals {
            paid: amount_paid,
            remaining,
            status: InvoiceStatus::Paid,
            by_hand,
        };
    }
    let by_hand = by_hand(paid);
    // A void invoice is not receivable: nothing is open on it (Stripe's own
    // figures stay in `amount_due`, `total` and the source status).
    let remaining = if source == "void" {
        Decimal::ZERO
    } else {
        (due - paid - written_off - by_hand).max(Decimal::ZERO)
    };
    let status = match source {
        "draft" => InvoiceStatus::Draft,
        "void" => InvoiceStatus::Void,
        // Written off by hand and not (fully) recovered.
        _ if by_hand > Decimal::ZERO => InvoiceStatus::Uncollectible,
        _ if remaining.is_zero()
            && (paid > Decimal::ZERO
                || due.is_zero()
                || written_off > Decimal::ZERO
                || inv.write_off.is_some()) =>
        {
            InvoiceStatus::Paid
        }
        _ if paid > Decimal::ZERO => InvoiceStatus::PartiallyPaid,
        "open" | "uncollectible" if rules.unpaid == UnpaidInvoices::AsDrafts => {
            InvoiceStatus::Draft
        }
        "uncollectible" => InvoiceStatus::Uncollectible,
        _ => InvoiceStatus::Open,
    };
    Totals {
        paid,
        remaining,
        status,
        by_hand,
    }
}

/// Settle rules for recomputing invoices outside an import (policy matching,
/// manual operations): the default plan rules with this policy. (The plan's
/// paid/unpaid invoice options only matter for invoices policy matching never
/// picks: source-paid and draft ones.)
pub fn rules_outside_import(policy: &ReconcilePolicy) -> SettleRules {
    SettleRules {
        policy: policy.clone(),
        paid: PaidInvoices::RecordPayment,
        unpaid: UnpaidInvoices::KeepStatus,
        general_only: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 100.00 USD invoice, `source` in Stripe, with the books' totals given.
    fn invoice(source: &str, paid: &str, off: &str, source_paid: &str) -> Invoice {
        serde_json::from_value(json!({
            "id": "inv_1",
            "source": { "system": "stripe", "account": "acct_1", "object": "invoice",
                        "external_id": "in_1", "status": source },
            "status": "open", "currency": "usd",
            "subtotal": "100.00", "discount": "0", "tax": "0", "total": "100.00",
            "amount_due": "100.00", "amount_paid": paid, "amount_remaining": "0",
            "amount_written_off": off, "source_amount_paid": source_paid,
            "payment_refs": {}, "links": {}
        }))
        .expect("an invoice")
    }

    fn d(s: &str) -> Decimal {
        s.parse().expect("a decimal")
    }

    #[test]
    fn totals_agree_with_the_allocations_they_were_derived_from() {
        let rules = rules_outside_import(&ReconcilePolicy::default());
        let mut inv = invoice("open", "0", "0", "0");
        derive_invoice_totals(&mut inv, d("30.00"), d("0.50"), &rules);
        assert!(invoice_totals_agree(&inv, d("30.00"), d("0.50")));
        // Another writer's allocation since: paid now counts more.
        assert!(!invoice_totals_agree(&inv, d("45.00"), d("0.50")));
        assert!(!invoice_totals_agree(&inv, d("30.00"), d("0")));
        assert!(!invoice_totals_agree(&inv, d("0"), d("0.50")));
    }

    #[test]
    fn a_source_paid_invoice_marked_paid_counts_the_source_amount() {
        let mut rules = rules_outside_import(&ReconcilePolicy::default());
        rules.paid = PaidInvoices::MarkPaidOnly;
        let mut inv = invoice("paid", "0", "0", "100.00");
        derive_invoice_totals(&mut inv, Decimal::ZERO, Decimal::ZERO, &rules);
        assert_eq!(inv.amount_paid, d("100.00"));
        assert!(invoice_totals_agree(&inv, Decimal::ZERO, Decimal::ZERO));
        // Not for an invoice the source has not paid.
        let open = invoice("open", "100.00", "0", "100.00");
        assert!(!invoice_totals_agree(&open, Decimal::ZERO, Decimal::ZERO));
    }
}
