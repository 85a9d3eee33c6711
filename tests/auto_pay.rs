//! Auto-pay (issue 15) against localstripe, checked with the official
//! `stripe` SDK: saved cards (`pm_card_visa`, and `pm_card_chargeCustomerFail`
//! whose every charge is declined), opt-in by a completed checkout and by an
//! explicit call, due invoices charged once and recorded as their payments,
//! declines turning auto-pay off with a notice; and a 200-invoice run killed
//! (or its store commit aborted) at every step, re-run until done: exactly
//! one successful charge per invoice on the server, and the same books.

mod common;
mod localstripe_support;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use common::*;
use localstripe_support::*;
use serde_json::{Value, json};
use tieout::autopay::{AutoPayOptions, AutoPaySource};
use tieout::writes::{CallbackChannel, Channels, FaultPoint, Outcome, WriteOptions};
use tieout::*;

/// Attaches `pm` (a localstripe test card) to each Stripe customer; the saved ids.
fn attach(ls: &LocalStripe, customers: &[String], pm: &str) -> Vec<String> {
    let code = format!(
        "out = [stripe.PaymentMethod.attach({pm:?}, customer=c).id for c in {customers:?}]\nprint(json.dumps(out))"
    );
    ls.sdk(&code)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Every PaymentIntent on the server: (metadata invoice, status).
fn intents(ls: &LocalStripe) -> Vec<(String, String)> {
    let v = ls.sdk(
        "out = [p.to_dict() for p in stripe.PaymentIntent.list(limit=100).auto_paging_iter()]\n\
         print(json.dumps([[(p.get('metadata') or {}).get('invoice'), p['status']] for p in out]))",
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap_or_default().to_string(),
                p[1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn succeeded_per_invoice(ls: &LocalStripe) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (inv, status) in intents(ls) {
        if status == "succeeded" {
            *m.entry(inv).or_insert(0) += 1;
        }
    }
    m
}

fn issue(books: &Books, customer: &str, amount: &str, due_day: i64) -> Invoice {
    let draft = InvoiceDraft::new(customer, Currency::USD)
        .line(DraftLine::item("Subscription", d("1"), d(amount)))
        .due(ts(due_day));
    let inv = books.create_invoice(&draft, None, ts(1)).unwrap();
    books.issue_invoice(&inv.id, ts(1)).unwrap()
}

fn status(books: &Books, id: &str) -> InvoiceStatus {
    match books.get(EntityKind::Invoice, id).unwrap() {
        Some(Entity::Invoice(i)) => i.status,
        other => panic!("{other:?}"),
    }
}

#[test]
fn due_invoices_are_charged_once_and_declines_turn_auto_pay_off() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let dir = tempfile::tempdir().unwrap();
    let books = Books::open(dir.path().join("books.db")).unwrap();
    let writer = StripeWriter::new(TEST_KEY).unwrap().base_url(&ls.url);
    let target = StripeTarget::of(&writer).unwrap();
    let acme = books
        .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
        .unwrap();
    let globex = books
        .create_customer("Globex", Some("ap@globex.test"), CustomerKind::Company)
        .unwrap();
    books
        .push_customers(&writer, None, None, ts(1), &WriteOptions::default())
        .unwrap();
    let cus = |id: &str| {
        books
            .stripe_customer_link(id, &target.account)
            .unwrap()
            .unwrap()
    };
    let pm_acme = attach(&ls, &[cus(&acme.id)], "pm_card_visa").remove(0);
    let pm_globex = attach(&ls, &[cus(&globex.id)], "pm_card_chargeCustomerFail").remove(0);

    let a1 = issue(&books, &acme.id, "250.00", 30);
    let a2 = issue(&books, &acme.id, "99.90", 60);
    let g1 = issue(&books, &globex.id, "75.00", 30);

    // Acme's card set explicitly; Globex's saved by a completed checkout that
    // asked to save it (localstripe has no Checkout Sessions: the completed
    // session as Stripe sends it).
    let a = books
        .set_default_payment_method(&acme.id, &target.account, &pm_acme, ts(2))
        .unwrap();
    assert_eq!(a.enabled_via, Some(AutoPaySource::Explicit));
    let session = json!({"id": "cs_test_saved", "object": "checkout.session",
        "status": "complete", "payment_status": "paid", "customer": cus(&globex.id),
        "metadata": {"tieout_invoice": g1.id},
        "payment_intent": {"id": "pi_x", "object": "payment_intent",
            "setup_future_usage": "off_session", "payment_method": pm_globex}});
    let g = books
        .save_card_from_checkout(&session, None, &target.account, ts(3))
        .unwrap()
        .unwrap();
    assert_eq!(g.customer_id, globex.id);
    assert_eq!(
        g.enabled_via,
        Some(AutoPaySource::Checkout {
            session: "cs_test_saved".into()
        })
    );
    assert_eq!(g.enabled_at, Some(ts(3)));
    assert_eq!(g.payment_method.as_deref(), Some(pm_globex.as_str()));

    // Review: the two invoices due by day 40, nothing written.
    let review = books.review_auto_pay(&target, ts(40)).unwrap();
    let planned: HashSet<&str> = review
        .charges
        .iter()
        .map(|c| c.invoice_id.as_str())
        .collect();
    assert_eq!(planned, HashSet::from([a1.id.as_str(), g1.id.as_str()]));
    assert!(intents(&ls).is_empty(), "a review charges nothing");

    let notices = Arc::new(Mutex::new(Vec::<Value>::new()));
    let seen = notices.clone();
    let options = AutoPayOptions {
        channels: Channels::new().with(
            "email",
            CallbackChannel::new(move |i, _| {
                seen.lock().unwrap().push(i.payload.clone());
                Outcome::Delivered {
                    request_id: None,
                    detail: json!({}),
                }
            }),
        ),
        notify: vec!["email".into()],
        checkout: None,
    };
    let run_at = |day: i64| {
        books
            .run_auto_pay(&writer, None, ts(day), &options, &WriteOptions::default())
            .unwrap()
    };
    let r = run_at(40);
    assert_eq!(r.charges.delivered.len(), 1, "{r:?}");
    assert_eq!(r.charges.failed.len(), 1, "{r:?}");
    assert_eq!(status(&books, &a1.id), InvoiceStatus::Paid);
    assert_eq!(status(&books, &g1.id), InvoiceStatus::Open);
    let pay = books
        .payments()
        .unwrap()
        .into_iter()
        .find(|p| p.metadata.get("invoice") == Some(&a1.id))
        .expect("the charge is a payment");
    assert_eq!(pay.amount, d("250.00"));
    assert!(pay.refs.payment_intent.is_some());
    let al = books.allocations().unwrap();
    assert!(
        al.iter()
            .any(|x| x.invoice_id == a1.id && x.amount == d("250.00") && x.payment_id == pay.id)
    );
    assert_payment_invariant(&books);
    // Globex: declined (card_declined), auto-pay off with the reason, told once.
    let g = books.auto_pay(&globex.id).unwrap().unwrap();
    assert!(!g.enabled);
    assert_eq!(
        g.disabled_reason.as_deref(),
        Some("the charge was declined by your bank")
    );
    assert!(matches!(
        g.disabled_via,
        Some(AutoPaySource::Decline { .. })
    ));
    {
        let n = notices.lock().unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0]["to_email"], "ap@globex.test");
        assert!(
            n[0]["text"]
                .as_str()
                .unwrap()
                .contains("declined by your bank")
        );
    }
    let on_server = succeeded_per_invoice(&ls);
    assert_eq!(on_server.get(&a1.id), Some(&1));
    assert_eq!(on_server.get(&g1.id), None);

    // Again: nothing new on the server, nothing new in the books.
    let before = intents(&ls).len();
    let r = run_at(41);
    assert!(
        r.charges.delivered.is_empty() && r.charges.failed.is_empty(),
        "{r:?}"
    );
    assert_eq!(intents(&ls).len(), before);
    assert_eq!(notices.lock().unwrap().len(), 1);
    assert_eq!(books.payments().unwrap().len(), 1);

    // The second Acme invoice falls due; Globex opts in again and is declined again.
    books.enable_auto_pay(&globex.id, ts(61)).unwrap();
    let r = run_at(61);
    assert_eq!(r.charges.delivered.len(), 1, "{r:?}");
    assert_eq!(r.charges.failed.len(), 1, "{r:?}");
    assert_eq!(status(&books, &a2.id), InvoiceStatus::Paid);
    assert!(!books.auto_pay(&globex.id).unwrap().unwrap().enabled);
    assert_eq!(notices.lock().unwrap().len(), 2, "one notice per refusal");
    let on_server = succeeded_per_invoice(&ls);
    assert_eq!(on_server.get(&a2.id), Some(&1));
    assert_eq!(on_server.values().sum::<usize>(), 2);

    // An explicit opt-out: nothing is charged.
    books
        .disable_auto_pay(&acme.id, "customer asked", ts(62))
        .unwrap();
    let a3 = issue(&books, &acme.id, "10.00", 62);
    let r = run_at(63);
    assert!(r.charges.delivered.is_empty(), "{r:?}");
    assert_eq!(status(&books, &a3.id), InvoiceStatus::Open);

    // Importing the payment intents back doubles nothing.
    let pays = books.payments().unwrap().len();
    let source = StripeSource::new(TEST_KEY).unwrap().base_url(&ls.url);
    let plan = ImportPlan::default().objects([ObjectScope::Payments]);
    let run_ = run(books.import(&source, &plan, None)).unwrap();
    assert_eq!(run_.totals.failed, 0, "{:?}", run_.failures);
    let paid_now: Vec<Payment> = books
        .payments()
        .unwrap()
        .into_iter()
        .filter(|p| p.amount > d("0") && p.status == PaymentStatus::Succeeded)
        .collect();
    assert!(paid_now.len() >= pays);
    assert_eq!(
        paid_now
            .iter()
            .filter(|p| p
                .metadata
                .get("invoice")
                .is_some_and(|i| *i == a1.id || *i == a2.id))
            .count(),
        2,
        "one payment per charged invoice after the import"
    );
    assert_payment_invariant(&books);
}

/// Books state that must not depend on crashes: invoices (status, paid,
/// remaining), payments (by payment intent: amount, unapplied), allocations.
fn snapshot(books: &Books) -> Value {
    let mut invs: Vec<Value> = books
        .invoices(&InvoiceFilter::default())
        .unwrap()
        .into_iter()
        .map(|i| {
            json!([
                i.id,
                i.status.as_str(),
                i.amount_paid.to_string(),
                i.amount_remaining.to_string()
            ])
        })
        .collect();
    invs.sort_by_key(|v| v.to_string());
    let mut pays: Vec<Value> = books
        .payments()
        .unwrap()
        .into_iter()
        .map(|p| {
            json!([
                p.id,
                p.refs.payment_intent,
                p.amount.to_string(),
                p.unapplied.to_string()
            ])
        })
        .collect();
    pays.sort_by_key(|v| v.to_string());
    let mut allocs: Vec<Value> = books
        .allocations()
        .unwrap()
        .into_iter()
        .map(|a| json!([a.payment_id, a.invoice_id, a.amount.to_string()]))
        .collect();
    allocs.sort_by_key(|v| v.to_string());
    json!({"invoices": invs, "payments": pays, "allocations": allocs})
}

#[test]
fn a_200_invoice_run_killed_at_every_step_charges_each_invoice_once() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let dir = tempfile::tempdir().unwrap();
    let books = Arc::new(Books::open(dir.path().join("books.db")).unwrap());
    let writer = StripeWriter::new(TEST_KEY).unwrap().base_url(&ls.url);
    let target = StripeTarget::of(&writer).unwrap();
    let customers: Vec<String> = (0..20)
        .map(|n| {
            books
                .create_customer(
                    &format!("Customer {n}"),
                    Some(&format!("ap{n}@example.test")),
                    CustomerKind::Company,
                )
                .unwrap()
                .id
        })
        .collect();
    books
        .push_customers(&writer, None, None, ts(1), &WriteOptions::default())
        .unwrap();
    let stripe_ids: Vec<String> = customers
        .iter()
        .map(|c| {
            books
                .stripe_customer_link(c, &target.account)
                .unwrap()
                .unwrap()
        })
        .collect();
    let pms = attach(&ls, &stripe_ids, "pm_card_visa");
    let mut invoices = Vec::new();
    for (n, c) in customers.iter().enumerate() {
        books
            .set_default_payment_method(c, &target.account, &pms[n], ts(2))
            .unwrap();
        for k in 0..10 {
            let amount = format!("{}.{:02}", 10 + n, k * 7);
            invoices.push(issue(&books, c, &amount, 30).id);
        }
    }
    assert_eq!(invoices.len(), 200);
    assert_eq!(
        books
            .review_auto_pay(&target, ts(40))
            .unwrap()
            .charges
            .len(),
        200
    );

    // Each run stops at the first step not stopped at before: before the
    // request (killed after the attempt was committed), or after Stripe's
    // answer (the store commit of the outcome aborted). 400 stops in all.
    let stopped: Arc<Mutex<HashSet<(String, bool)>>> = Arc::new(Mutex::new(HashSet::new()));
    let options = AutoPayOptions::default();
    let mut runs = 0;
    let mut errors = 0;
    loop {
        runs += 1;
        assert!(runs < 1000, "no progress");
        let (s, b) = (stopped.clone(), books.clone());
        let hook = WriteOptions {
            fault: Some(Box::new(move |intent, point| {
                let after = point == FaultPoint::Performed;
                if !s.lock().unwrap().insert((intent.key.clone(), after)) {
                    return false;
                }
                if after {
                    // The commit of what Stripe answered fails, as a crash would.
                    let armed = b
                        .with_store_mut(|st| st.inject_commit_failure("killed after the response"))
                        .unwrap();
                    assert!(armed);
                    false
                } else {
                    true
                }
            })),
            ..Default::default()
        };
        match books.run_auto_pay(&writer, None, ts(40), &options, &hook) {
            Ok(r) => {
                if r.charges.delivered.is_empty()
                    && r.charges.resolved.is_empty()
                    && r.charges.unknown.is_empty()
                    && stopped.lock().unwrap().len() == 400
                {
                    break;
                }
            }
            Err(_) => errors += 1,
        }
    }
    assert_eq!(errors, 400, "a stop at every step");
    let on_server = succeeded_per_invoice(&ls);
    assert_eq!(on_server.len(), 200);
    for inv in &invoices {
        assert_eq!(on_server.get(inv), Some(&1), "{inv}");
        assert_eq!(status(&books, inv), InvoiceStatus::Paid, "{inv}");
    }
    assert_eq!(intents(&ls).len(), 200, "no second PaymentIntent either");
    assert_eq!(books.payments().unwrap().len(), 200);
    assert_eq!(books.allocations().unwrap().len(), 200);
    assert_payment_invariant(&books);
    // The same books as a run that was never stopped: every invoice paid in
    // full by its own charge; one more run changes nothing.
    let snap = snapshot(&books);
    let r = books
        .run_auto_pay(&writer, None, ts(41), &options, &WriteOptions::default())
        .unwrap();
    assert_eq!(r.charges, Default::default());
    assert_eq!(snapshot(&books), snap);
    for inv in &invoices {
        let i = match books.get(EntityKind::Invoice, inv).unwrap() {
            Some(Entity::Invoice(i)) => i,
            _ => unreachable!(),
        };
        assert_eq!(i.amount_paid, i.total, "{inv}");
    }
}
