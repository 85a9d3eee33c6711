//! Record builders shared by the core's integration tests.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use tieout_core::Currency;
use tieout_core::model::*;

/// An invoice as the mapper hands it over (no books ids): `total` with `paid`
/// of it paid, for source customer `customer`, issued when the source created
/// it; no lines, no payment references, still in the books' open status (the
/// planner sets it from the source's).
pub fn invoice(
    source: SourceRef,
    customer: String,
    number: String,
    currency: Currency,
    total: Decimal,
    paid: Decimal,
) -> Invoice {
    Invoice {
        id: String::new(),
        issued_at: source.created_at,
        source,
        customer_id: None,
        customer_ref: Some(OriginalCustomer {
            external_id: customer,
            name: None,
            email: None,
        }),
        subscription_id: None,
        subscription_ref: None,
        number: Some(number),
        status: InvoiceStatus::Open,
        currency,
        subtotal: total,
        discount: Decimal::ZERO,
        tax: Decimal::ZERO,
        total,
        amount_due: total,
        amount_paid: paid,
        amount_remaining: total - paid,
        amount_written_off: Decimal::ZERO,
        source_amount_paid: paid,
        amount_credited: Default::default(),
        source_credited: Default::default(),
        write_off: None,
        lines_complete: true,
        due_date: None,
        paid_at: None,
        lines: Vec::new(),
        payment_refs: PaymentRefs::default(),
        metadata: BTreeMap::new(),
    }
}

/// A succeeded payment as the books hold it: `amount` in `currency` from
/// books customer `customer_id`, received at `received_at`, nothing
/// allocated, no fee, no references.
#[allow(dead_code)] // not every test binary makes payments (memory_bound does not)
pub fn payment(
    source: SourceRef,
    customer_id: Option<&str>,
    currency: Currency,
    amount: Decimal,
    received_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Payment {
    Payment {
        customer_id: customer_id.map(str::to_string),
        received_at,
        ..Payment::received(
            format!("pay_{}", source.external_id),
            source,
            currency,
            amount,
        )
    }
}
