//! Against the Stripe API (a local fake): a reviewed import costs the review's
//! list requests only, since the import applies what was reviewed; when the
//! books changed in between, it lists again and says why.

#[path = "../stripe-adapter/tests/support/mod.rs"]
mod support;

use support::{Server, account, customer, empty_list, list};
use tieout::*;

const CUSTOMERS: usize = 250;

async fn fake_stripe() -> Server {
    let all: Vec<serde_json::Value> = (0..CUSTOMERS)
        .map(|i| customer(i, 1_700_000_000 + i as i64 * 60))
        .collect();
    Server::start(move |req| match req.path.as_str() {
        "/v1/account" => account(),
        "/v1/customers" => list(&all, req),
        _ => empty_list(),
    })
    .await
}

/// List requests (everything but the account lookup) since `from`.
fn lists(server: &Server, from: usize) -> usize {
    server.requests()[from..]
        .iter()
        .filter(|r| r.path != "/v1/account")
        .count()
}

fn source(server: &Server) -> StripeSource {
    StripeSource::new("sk_test_review_requests")
        .unwrap()
        .base_url(server.url.clone())
        .page_limit(100)
}

#[tokio::test]
async fn a_reviewed_import_makes_no_list_requests() {
    let server = fake_stripe().await;
    let src = source(&server);
    let books = Books::in_memory();
    let plan = ImportPlan::default().objects([ObjectScope::Customers]);
    let review = books.review(&src, &plan).await.unwrap();
    let reviewed = lists(&server, 0);
    assert!(
        reviewed >= CUSTOMERS / 100,
        "{reviewed} list requests for the review"
    );
    assert_eq!(review.counts["customer"].created, CUSTOMERS as u64);
    let mark = server.requests().len();
    let run = books
        .import(&src, &plan, Some(&review.approval))
        .await
        .unwrap();
    assert_eq!(lists(&server, mark), 0, "the import applied the review");
    assert_eq!(run.totals.created, CUSTOMERS as u64);
    assert_eq!(books.customers().unwrap().len(), CUSTOMERS);
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("applied the reviewed changes")),
        "{:?}",
        run.notes
    );
}

#[tokio::test]
async fn books_changed_between_review_and_import_list_again() {
    let server = fake_stripe().await;
    let src = source(&server);
    let books = Books::in_memory();
    let plan = ImportPlan::default().objects([ObjectScope::Customers]);
    let review = books.review(&src, &plan).await.unwrap();
    let reviewed = lists(&server, 0);
    books
        .create_customer("Walk-in", None, CustomerKind::Company)
        .unwrap();
    let mark = server.requests().len();
    let run = books
        .import(&src, &plan, Some(&review.approval))
        .await
        .unwrap();
    // Planned again: the whole listing is fetched again (the adaptive
    // backfill may split shards differently, so the count can differ a little).
    let again = lists(&server, mark);
    assert!(
        again >= CUSTOMERS / 100 && again + 4 >= reviewed,
        "planned again: {again} list requests, the review made {reviewed}"
    );
    assert_eq!(run.totals.created, CUSTOMERS as u64);
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("books changed since the review")),
        "{:?}",
        run.notes
    );
    assert_eq!(books.customers().unwrap().len(), CUSTOMERS + 1);
}
