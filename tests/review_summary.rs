//! Every review carries the plan as a checklist next to its counts and totals.

mod common;

use common::*;
use tieout::*;

#[test]
fn review_summary_holds_the_plan_and_renders_it_with_the_counts() {
    let books = Books::in_memory();
    let src = RecordsSource::new(
        ACCT,
        vec![
            customer("cus_1", "Acme GmbH", "billing@acme.test"),
            invoice("in_1", "cus_1", "open", d("120.00"), d("0"), 1),
        ],
    );
    let plan = ImportPlan::default()
        .invoice_statuses([InvoiceStatus::Open])
        .unpaid_invoices(UnpaidInvoices::AsDrafts);
    let review = run(books.review(&src, &plan)).unwrap();
    let s = &review.summary;
    assert_eq!(s.account, review.account.account);
    assert_eq!(s.livemode, review.account.livemode);
    assert_eq!(s.customer_resolution, "from_source");
    assert_eq!(s.invoice_statuses, ["open"]);
    assert_eq!(s.unpaid_invoices, "as_drafts");
    let text = review.summary_text();
    assert!(text.starts_with("Import plan\n"), "{text}");
    assert!(text.contains("Unpaid invoices"), "{text}");
    assert!(text.contains("imported as drafts"), "{text}");
    let line = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(line("[ ] Invoice statuses"), "[ ] Invoice statuses open");
    // Counts and totals sit next to the checklist.
    let invoices = &review.counts["invoice"];
    assert_eq!(invoices.created, 1);
    assert_eq!(
        line("invoice "),
        "invoice 1 create, 0 update, 0 unchanged, 0 skipped, 0 failed"
    );
    assert!(text.contains("1 USD 120.00"), "{text}");
    // The summary is part of the review's JSON (what `tieout review --json` prints).
    let json = serde_json::to_value(&review).unwrap();
    assert_eq!(json["summary"]["unpaid_invoices"], "as_drafts");
}
