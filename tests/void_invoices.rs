//! A void invoice is not receivable: every view agrees (issue 13, item 5).

mod common;

use common::*;
use tieout::*;

#[test]
fn a_void_invoice_has_nothing_open_and_keeps_stripes_figures() {
    for (name, books, _dir) in all_books() {
        import_items(
            &books,
            vec![
                invoice("in_V1", "cus_V", "void", d("150.00"), d("0"), 1),
                invoice("in_O1", "cus_V", "open", d("40.00"), d("0"), 1),
            ],
            &ImportPlan::default(),
        );
        let v = inv_by_ext(&books, "in_V1");
        assert_eq!(v.status, InvoiceStatus::Void, "{name}");
        assert_eq!(v.amount_remaining, d("0"), "{name}");
        // Stripe's own figures stay on the record.
        assert_eq!(
            (v.total, v.amount_due),
            (d("150.00"), d("150.00")),
            "{name}"
        );
        assert_eq!(v.source.status.as_deref(), Some("void"), "{name}");
        let report = books.report(&ReconcilePolicy::default()).unwrap();
        let t = &report.totals[&Currency::USD];
        assert_eq!((t.invoiced, t.open), (d("40.00"), d("40.00")), "{name}");
        assert!(t.adds_up, "{name}");
        assert!(
            report
                .open_invoices
                .iter()
                .all(|o| o.external_id != "in_V1"),
            "{name}"
        );
        let open_sum: rust_decimal::Decimal = books
            .invoices(&InvoiceFilter::default())
            .unwrap()
            .iter()
            .map(|i| i.amount_remaining)
            .sum();
        assert_eq!(
            open_sum, t.open,
            "{name}: the invoice list and the report agree"
        );
    }
}
