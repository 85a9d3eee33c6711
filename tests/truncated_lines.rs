//! Issue 13 item 8: an invoice whose embedded `lines` say `has_more: true`.
//! With the API reachable (`apply_event_refetched`) the rest is fetched, paged;
//! without it (files, a plain `apply_event`) the invoice keeps its partial list
//! with `lines_complete == false`, a note in the review, the run and the event
//! outcome, and the journal books revenue and tax from the invoice totals.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};
use tieout::core::ledger::accrual::{UNSPLIT_REVENUE_MEMO, UNSPLIT_TAX_MEMO};
use tieout::*;

const SECRET: &str = "whsec_truncated_lines";

/// Three lines: 200.00 (+20.00 tax), 100.00 (+10.00), 40.10 (+4.00).
/// Total 374.10; the first two embedded sum to 300.00.
fn line(i: usize) -> Value {
    let (amount, tax) = [(20000, 2000), (10000, 1000), (4010, 400)][i];
    json!({"id": format!("il_T{i}"), "object": "line_item", "amount": amount, "currency": "usd",
           "description": format!("line {i}"), "quantity": 1,
           "pricing": {"type": "price_details", "unit_amount_decimal": amount.to_string(),
                       "price_details": {"price": format!("price_T{i}"), "product": "prod_T"}},
           "taxes": [{"amount": tax, "tax_behavior": "exclusive", "taxable_amount": amount,
                      "type": "tax_rate_details", "tax_rate_details": {"tax_rate": "txr_10"}}]})
}

fn invoice(embedded: usize, has_more: bool) -> Value {
    let data: Vec<Value> = (0..embedded).map(line).collect();
    json!({
        "id": "in_T", "object": "invoice", "created": 1_740_000_000, "livemode": false,
        "customer": "cus_T", "currency": "usd", "status": "open", "number": "T-1",
        "subtotal": 34010, "total": 37410, "amount_due": 37410, "amount_paid": 0,
        "amount_remaining": 37410, "discounts": [],
        "total_taxes": [{"amount": 3400, "tax_behavior": "exclusive", "taxable_amount": 34010,
                         "type": "tax_rate_details", "tax_rate_details": {"tax_rate": "txr_10"}}],
        "status_transitions": {"finalized_at": 1_740_000_100}, "metadata": {},
        "lines": {"object": "list", "has_more": has_more, "url": "/v1/invoices/in_T/lines",
                  "data": data}
    })
}

fn event(object: Value) -> StripeEvent {
    let body = json!({"id": "evt_T", "object": "event", "type": "invoice.finalized",
        "created": 1_740_000_200, "api_version": "2025-03-31.basil", "livemode": false,
        "data": {"object": object}})
    .to_string()
    .into_bytes();
    let header = sign_webhook(&body, SECRET, 1_740_000_200);
    verify_webhook(&body, &header, SECRET, None, None).unwrap()
}

fn the_invoice(books: &Books) -> Invoice {
    let all = books.invoices(&InvoiceFilter::default()).unwrap();
    assert_eq!(all.len(), 1);
    all.into_iter().next().unwrap()
}

fn issued_entry(books: &Books) -> JournalEntry {
    let j = books
        .journal_entries(&LedgerMapping::default(), Layers::default())
        .unwrap();
    j.entries
        .into_iter()
        .find(|e| e.id == "inv:in_T:issued")
        .expect("the issued entry")
}

/// The partial list is kept, flagged, noted, and never summed.
fn assert_partial(books: &Books, what: &str) {
    let inv = the_invoice(books);
    assert!(!inv.lines_complete, "{what}: lines_complete");
    assert_eq!(inv.lines.len(), 2, "{what}: the embedded lines are kept");
    assert_eq!(inv.total.to_string(), "374.10");
    let e = issued_entry(books);
    e.check().unwrap();
    let m = LedgerMapping::default();
    let revenue: Vec<&Posting> = e
        .postings
        .iter()
        .filter(|p| p.account == m.revenue)
        .collect();
    assert_eq!(revenue.len(), 1, "{what}: one unsplit revenue posting");
    assert_eq!(revenue[0].amount.to_string(), "-340.10", "{what}");
    assert_eq!(revenue[0].memo.as_deref(), Some(UNSPLIT_REVENUE_MEMO));
    let tax: Vec<&Posting> = e
        .postings
        .iter()
        .filter(|p| p.memo.as_deref() == Some(UNSPLIT_TAX_MEMO))
        .collect();
    assert_eq!(tax.len(), 1, "{what}: one tax posting from the totals");
    assert_eq!(tax[0].amount.to_string(), "-34.00");
    assert!(
        !e.postings
            .iter()
            .any(|p| p.memo.as_deref().is_some_and(|m| m.starts_with("line "))),
        "{what}: no posting per line: {:?}",
        e.postings
    );
}

#[test]
fn a_file_with_a_truncated_line_list_is_kept_flagged_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("invoices.json"),
        json!({"object": "list", "has_more": false, "data": [invoice(2, true)]}).to_string(),
    )
    .unwrap();
    for (name, books, _keep) in common::all_books() {
        let src = StripeFiles::new(dir.path()).unwrap();
        let plan = ImportPlan::default();
        let review = common::run(books.review(&src, &plan)).unwrap();
        assert!(
            review
                .notes
                .iter()
                .any(|n| n.contains("in_T") && n.contains("lines_complete")),
            "{name}: review notes {:?}",
            review.notes
        );
        let run = common::run(books.import(&src, &plan, Some(&review.approval))).unwrap();
        assert_eq!(run.totals.failed, 0, "{name}: {:?}", run.failures);
        assert!(
            run.notes.iter().any(|n| n.contains("in_T")),
            "{name}: run notes {:?}",
            run.notes
        );
        assert!(
            books.history().unwrap()[0]
                .notes
                .iter()
                .any(|n| n.contains("in_T")),
            "{name}: the note is in the history"
        );
        assert_partial(&books, name);
    }
}

#[test]
fn an_event_without_a_client_keeps_the_partial_list_flagged() {
    let books = Books::in_memory();
    books.set_default_account("acct_T").unwrap();
    let o = books.apply_event(&event(invoice(2, true))).unwrap();
    assert!(
        o.notes.iter().any(|n| n.contains("in_T")),
        "outcome notes {:?}",
        o.notes
    );
    assert_partial(&books, "event");
}

/// A tiny Stripe stand-in: `GET /v1/invoices/in_T` gives the invoice with its
/// first line embedded and `has_more`; `GET /v1/invoices/in_T/lines` pages the
/// rest one line at a time after `starting_after`.
async fn stripe_stand_in(hits: Arc<std::sync::Mutex<Vec<String>>>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let hits = hits.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
                hits.lock().unwrap().push(target.clone());
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let body = match path {
                    "/v1/invoices/in_T" => invoice(1, true),
                    "/v1/invoices/in_T/lines" => {
                        let after = query
                            .split('&')
                            .find_map(|kv| kv.strip_prefix("starting_after="))
                            .and_then(|id| id.strip_prefix("il_T"))
                            .and_then(|i| i.parse::<usize>().ok())
                            .map_or(0, |i| i + 1);
                        let data: Vec<Value> = (after..3).take(1).map(line).collect();
                        json!({"object": "list", "has_more": after + 1 < 3, "data": data})
                    }
                    _ => json!({"error": {"type": "invalid_request_error", "message": "no"}}),
                };
                let status = if body.get("error").is_some() {
                    "404 Not Found"
                } else {
                    "200 OK"
                };
                let body = body.to_string();
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    url
}

#[test]
fn an_event_with_a_client_fetches_the_rest_of_the_lines() {
    common::run(async {
        let hits = Arc::new(std::sync::Mutex::new(Vec::new()));
        let url = stripe_stand_in(hits.clone()).await;
        let source = StripeSource::new("sk_test_truncated_lines")
            .unwrap()
            .base_url(url);
        let books = Books::in_memory();
        books.set_default_account("acct_T").unwrap();
        let o = books
            .apply_event_refetched(&event(invoice(2, true)), &source, &ImportPlan::default())
            .await
            .unwrap();
        assert!(o.notes.is_empty(), "nothing partial: {:?}", o.notes);
        let inv = the_invoice(&books);
        assert!(inv.lines_complete);
        let ids: Vec<&str> = inv
            .lines
            .iter()
            .filter_map(|l| l.external_id.as_deref())
            .collect();
        assert_eq!(
            ids,
            ["il_T0", "il_T1", "il_T2"],
            "all lines, in order, once"
        );
        let sum: rust_decimal::Decimal = inv.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum + inv.tax, inv.total, "the full list adds up");
        // Paged through the client: one page per remaining line.
        let pages = hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.starts_with("/v1/invoices/in_T/lines"))
            .count();
        assert_eq!(pages, 2, "{:?}", hits.lock().unwrap());
        // Now the journal splits revenue per line and tax per rate.
        let e = issued_entry(&books);
        e.check().unwrap();
        assert!(
            !e.postings
                .iter()
                .any(|p| p.memo.as_deref() == Some(UNSPLIT_REVENUE_MEMO)),
            "{:?}",
            e.postings
        );
        // Tax per line rate (the third line's 4.00 on 40.10 is its own
        // effective rate, 9.98%): the per-rate postings add up to the tax.
        let by_rate: Vec<&str> = e
            .postings
            .iter()
            .filter_map(|p| p.memo.as_deref())
            .filter(|m| m.starts_with("tax "))
            .collect();
        assert!(by_rate.contains(&"tax 10%"), "{by_rate:?}");
        let tax: rust_decimal::Decimal = e
            .postings
            .iter()
            .filter(|p| p.memo.as_deref().is_some_and(|m| m.starts_with("tax ")))
            .map(|p| p.amount)
            .sum();
        assert_eq!(tax.to_string(), "-34.00");
    });
}
