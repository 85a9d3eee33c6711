//! `invoices`, `payments`, `allocations`, `history`: the books as lists.

use tieout::{Books, Currency, InvoiceFilter, InvoiceStatus};

use crate::args::{AllocationArgs, HistoryArgs, InvoiceArgs, PaymentArgs};
use crate::fail::Failure;
use crate::output::{Column, print};

fn currency(code: &Option<String>) -> Result<Option<Currency>, Failure> {
    code.as_deref()
        .map(|c| {
            Currency::parse(&c.to_ascii_uppercase()).map_err(|e| Failure::usage(e.to_string()))
        })
        .transpose()
}

/// `tieout invoices`.
pub fn invoices(books: &Books, a: &InvoiceArgs) -> Result<(), Failure> {
    let status = a
        .status
        .as_deref()
        .map(|s| {
            InvoiceStatus::parse(s)
                .ok_or_else(|| Failure::usage(format!("unknown invoice status {s:?}")))
        })
        .transpose()?;
    let filter = InvoiceFilter {
        status,
        customer_id: a.customer.clone(),
    };
    let cur = currency(&a.currency)?;
    let list: Vec<_> = books
        .invoices(&filter)?
        .into_iter()
        .filter(|i| cur.is_none_or(|c| i.currency == c))
        .collect();
    const COLUMNS: &[Column] = &[
        ("id", "id"),
        ("number", "number"),
        ("customer", "customer_id"),
        ("status", "status"),
        ("currency", "currency"),
        ("total", "total"),
        ("paid", "amount_paid"),
        ("remaining", "amount_remaining"),
        ("due", "due_date"),
        ("stripe id", "source.external_id"),
    ];
    print(&list, COLUMNS, a.format)
}

/// `tieout payments`.
pub fn payments(books: &Books, a: &PaymentArgs) -> Result<(), Failure> {
    let cur = currency(&a.currency)?;
    let list: Vec<_> = books
        .payments()?
        .into_iter()
        .filter(|p| a.customer.is_none() || p.customer_id == a.customer)
        .filter(|p| cur.is_none_or(|c| p.currency == c))
        .filter(|p| !a.unapplied || !p.unapplied.is_zero())
        .collect();
    const COLUMNS: &[Column] = &[
        ("id", "id"),
        ("customer", "customer_id"),
        ("status", "status"),
        ("currency", "currency"),
        ("amount", "amount"),
        ("fee", "fee"),
        ("net", "net"),
        ("allocated", "allocated"),
        ("unapplied", "unapplied"),
        ("refunded", "refunded"),
        ("received", "received_at"),
        ("stripe id", "source.external_id"),
    ];
    print(&list, COLUMNS, a.format)
}

/// `tieout allocations`: each row names its kind, since a payment and a write-off
/// both name the payment.
pub fn allocations(books: &Books, a: &AllocationArgs) -> Result<(), Failure> {
    let list: Vec<_> = books
        .allocations()?
        .into_iter()
        .filter(|x| a.invoice.as_ref().is_none_or(|i| &x.invoice_id == i))
        .filter(|x| a.payment.as_ref().is_none_or(|p| &x.payment_id == p))
        .collect();
    const COLUMNS: &[Column] = &[
        ("id", "id"),
        ("kind", "kind"),
        ("payment", "payment_id"),
        ("invoice", "invoice_id"),
        ("currency", "currency"),
        ("amount", "amount"),
        ("matched by", "reason.strategy"),
        ("detail", "reason.detail"),
    ];
    print(&list, COLUMNS, a.format)
}

/// `tieout history`.
pub fn history(books: &Books, a: &HistoryArgs) -> Result<(), Failure> {
    let mut runs = books.history()?;
    if let Some(n) = a.limit {
        runs.truncate(n);
    }
    const COLUMNS: &[Column] = &[
        ("id", "id"),
        ("status", "status"),
        ("mode", "mode"),
        ("source", "source"),
        ("started", "started_at"),
        ("finished", "finished_at"),
        ("created", "totals.created"),
        ("updated", "totals.updated"),
        ("unchanged", "totals.unchanged"),
        ("skipped", "totals.skipped"),
        ("failed", "totals.failed"),
    ];
    print(&runs, COLUMNS, a.format)
}
