//! Receivables through the facade: cases over stored books, aging, review and
//! approval, and the 90-day simulation of follow-ups with crashes.

mod collect_support;
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use collect_support::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tieout::core::collect::{CaseFilter, CasePolicy, CaseStatus, DebtorField};
use tieout::core::writes::{WriteIntent, WriteStatus};
use tieout::writes::{CallbackChannel, Channels, FaultPoint, Outcome, WriteOptions};
use tieout::*;

#[test]
fn cases_open_once_refuse_incomplete_debtors_and_follow_the_books() {
    let books = Books::in_memory();
    let mut a = invoice(1, "cust_00001", dec!(100), t0() - Duration::days(20), false);
    let b = invoice(2, "cust_00002", dec!(50), t0() - Duration::days(20), false);
    put(
        &books,
        vec![
            Entity::Customer(customer(1, true)),
            Entity::Customer(customer(2, false)),
            Entity::Invoice(a.clone()),
            Entity::Invoice(b.clone()),
        ],
    );
    let o = books
        .create_collection_cases(&CaseFilter::default(), &CasePolicy::default(), t0())
        .unwrap();
    assert_eq!(o.opened.len(), 1);
    assert_eq!(o.refused.len(), 1);
    assert_eq!(o.refused[0].missing, vec![DebtorField::PostalAddress]);
    let again = books
        .create_collection_cases(&CaseFilter::default(), &CasePolicy::default(), t0())
        .unwrap();
    assert!(again.opened.is_empty());
    assert_eq!(books.collection_cases().unwrap().len(), 1);
    put(&books, vec![Entity::Customer(customer(2, true))]);
    let fixed = books
        .create_collection_cases(&CaseFilter::default(), &CasePolicy::default(), t0())
        .unwrap();
    assert_eq!(fixed.opened.len(), 1);
    // A partial payment, then the rest: the case follows, then closes as paid.
    pay(&mut a, dec!(30), t0());
    put(&books, vec![Entity::Invoice(a.clone())]);
    books.sync_collection_cases(t0()).unwrap();
    let c = books
        .collection_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.invoice_id == a.id)
        .unwrap();
    assert_eq!((c.status, c.open_amount), (CaseStatus::Open, dec!(70)));
    pay(&mut a, dec!(70), t0());
    put(&books, vec![Entity::Invoice(a.clone())]);
    // Reconcile brings cases along.
    books.reconcile(&ReconcilePolicy::default()).unwrap();
    let c = books
        .collection_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.invoice_id == a.id)
        .unwrap();
    assert_eq!((c.status, c.open_amount), (CaseStatus::Paid, dec!(0)));
    let submitted = books
        .submit_collection_case(
            &books
                .collection_cases()
                .unwrap()
                .into_iter()
                .find(|c| c.invoice_id == b.id)
                .unwrap()
                .id,
            t0(),
        )
        .unwrap();
    assert_eq!(submitted.status, CaseStatus::Submitted);
}

/// A Stripe customer record with a name, an email and (when `postal`) an address.
fn source_customer(id: &str, postal: bool) -> SourceItem {
    let mut c = Customer::new(
        String::new(),
        &format!("Customer {id}"),
        CustomerKind::Company,
    );
    c.email = Some(format!("{id}@example.com"));
    c.address = postal.then(|| Address {
        line1: Some("1 Main St".into()),
        postal_code: Some("10115".into()),
        city: Some("Berlin".into()),
        country: Some("DE".into()),
        ..Default::default()
    });
    c.source = Some(common::src("customer", id, None, 0));
    SourceItem::Record(Record::Customer(c))
}

#[test]
fn import_review_previews_the_cases_its_approval_opens() {
    let books = Books::in_memory();
    let plan = ImportPlan::default().post_action("collection_cases");
    let mut items = vec![
        source_customer("cus_a", true),
        source_customer("cus_b", false),
        common::invoice("in_1", "cus_a", "open", dec!(100), dec!(0), 1),
        common::invoice("in_2", "cus_a", "paid", dec!(40), dec!(40), 2),
        common::invoice("in_3", "cus_b", "open", dec!(70), dec!(0), 3),
    ];
    let ids = |cases: &[tieout::core::collect::CollectionCase]| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = cases
            .iter()
            .map(|c| (c.id.clone(), c.invoice_external_id.clone()))
            .collect();
        v.sort();
        v
    };
    // A plan without the action previews nothing.
    let src = RecordsSource::new(common::ACCT, items.clone());
    let plain = common::run(books.review(&src, &ImportPlan::default())).unwrap();
    assert_eq!(plain.collection_cases, None);
    // The review lists the case to open and the refused invoice, writes nothing.
    let review = common::run(books.review(&src, &plan)).unwrap();
    let preview = review.collection_cases.clone().expect("previewed");
    assert_eq!(
        ids(&preview.opened)
            .iter()
            .map(|c| c.1.as_str())
            .collect::<Vec<_>>(),
        ["in_1"]
    );
    let case = &preview.opened[0];
    assert_eq!(
        (case.open_amount, case.debtor.name.as_str(), case.status),
        (dec!(100), "Customer cus_a", CaseStatus::Open)
    );
    assert_eq!(preview.refused.len(), 1);
    assert_eq!(preview.refused[0].invoice_external_id, "in_3");
    assert_eq!(preview.refused[0].missing, vec![DebtorField::PostalAddress]);
    let text = review.summary_text();
    assert!(
        text.contains(
            "Collection cases (post-import action): 1 to open, 0 already open, 1 refused"
        ),
        "{text}"
    );
    assert!(text.contains("refuse  invoice in_3"), "{text}");
    assert!(books.collection_cases().unwrap().is_empty());
    // The approval opens exactly the previewed cases.
    common::run(books.import(&src, &plan, Some(&review.approval))).unwrap();
    assert_eq!(
        ids(&books.collection_cases().unwrap()),
        ids(&preview.opened)
    );
    // A new invoice: the next review previews only its case, the import opens only it.
    items.push(common::invoice(
        "in_4",
        "cus_a",
        "open",
        dec!(25),
        dec!(0),
        4,
    ));
    let src = RecordsSource::new(common::ACCT, items);
    let review = common::run(books.review(&src, &plan)).unwrap();
    let preview2 = review.collection_cases.clone().unwrap();
    assert_eq!(
        ids(&preview2.opened)
            .iter()
            .map(|c| c.1.as_str())
            .collect::<Vec<_>>(),
        ["in_4"]
    );
    assert_eq!(preview2.existing, vec![preview.opened[0].id.clone()]);
    common::run(books.import(&src, &plan, Some(&review.approval))).unwrap();
    let mut want = ids(&preview.opened);
    want.extend(ids(&preview2.opened));
    want.sort();
    assert_eq!(ids(&books.collection_cases().unwrap()), want);
    // Re-importing the same data opens none, and its review says so.
    let review = common::run(books.review(&src, &plan)).unwrap();
    let preview3 = review.collection_cases.clone().unwrap();
    assert!(preview3.opened.is_empty());
    assert_eq!(preview3.existing.len(), 2);
    assert_eq!(preview3.refused.len(), 1);
    let before = books.collection_cases().unwrap();
    common::run(books.import(&src, &plan, Some(&review.approval))).unwrap();
    assert_eq!(books.collection_cases().unwrap(), before);
}

#[test]
fn aging_over_stored_books_adds_up() {
    let books = Books::in_memory();
    let mut recs = vec![
        Entity::Customer(customer(1, true)),
        Entity::Customer(customer(2, true)),
    ];
    for (n, days) in [(1, -2), (2, 10), (3, 45), (4, 75), (5, 200), (6, 15)] {
        let cust = if n % 2 == 0 {
            "cust_00002"
        } else {
            "cust_00001"
        };
        recs.push(Entity::Invoice(invoice(
            n,
            cust,
            Decimal::from(n * 10),
            t0() - Duration::days(days),
            false,
        )));
    }
    put(&books, recs);
    let r = books.aging(t0()).unwrap();
    assert_eq!(r.rows.len(), 2);
    assert_eq!(r.rows[0].customer_name.as_deref(), Some("Debtor 1"));
    assert_eq!(
        (
            r.rows[0].current,
            r.rows[0].days_31_60,
            r.rows[0].days_over_90
        ),
        (dec!(10), dec!(30), dec!(50))
    );
    assert_eq!(
        (r.rows[1].days_1_30, r.rows[1].days_61_90),
        (dec!(80), dec!(40))
    );
    assert_eq!(r.totals[0].total, dec!(210));
    assert_eq!(r.open_total[0].1, dec!(210));
    assert!(
        r.to_csv()
            .lines()
            .last()
            .unwrap()
            .starts_with("TOTAL,,EUR,10.00,80.00,30.00,40.00,50.00,210.00")
    );
}

#[test]
fn template_errors_fail_at_policy_load() {
    use tieout::collect::CompiledPolicy;
    use tieout::core::collect::FollowUpPolicy;
    let mut bad = step("s", 0, "email");
    bad.template.text = "{{ invoice.open_amount ".into();
    let e = CompiledPolicy::new(FollowUpPolicy::new("v1", vec![bad]).unwrap()).unwrap_err();
    assert!(e.to_string().contains("template text of step s"), "{e}");
    let mut unknown = step("s", 0, "email");
    unknown.template.subject = "{{ invoice.nope }}".into();
    let e = CompiledPolicy::new(FollowUpPolicy::new("v1", vec![unknown]).unwrap()).unwrap_err();
    assert!(e.to_string().contains("template subject of step s"), "{e}");
    assert_eq!(e.code(), "TEMPLATE_ERROR");
}

#[test]
fn templates_print_the_customers_last_payment_date() {
    use tieout::collect::CompiledPolicy;
    use tieout::core::collect::FollowUpPolicy;
    let books = Books::in_memory();
    let paid = |n: u32, cus: &str, at| {
        let mut p = common::payment_rec("charge", &format!("ch_{n}"), None, dec!(20), 0);
        p.id = format!("pay_{n}");
        p.customer_id = Some(cus.to_string());
        p.received_at = Some(at);
        p.unapplied = p.amount;
        Entity::Payment(p)
    };
    let last = t0() - Duration::days(9) + Duration::hours(5);
    put(
        &books,
        vec![
            Entity::Customer(customer(1, true)),
            Entity::Customer(customer(2, true)),
            Entity::Invoice(invoice(1, "cust_00001", dec!(100), t0(), false)),
            Entity::Invoice(invoice(2, "cust_00002", dec!(40), t0(), false)),
            paid(1, "cust_00001", t0() - Duration::days(40)),
            paid(2, "cust_00001", last),
            paid(3, "cust_00001", t0() - Duration::days(20)),
        ],
    );
    let mut s = step("due", 0, "email");
    s.template.text = "{{ customer.name }}: last payment \
                       {{ history.last_payment_at if history.last_payment_at else 'never' }}."
        .into();
    let policy = CompiledPolicy::new(FollowUpPolicy::new("v1", vec![s]).unwrap()).unwrap();
    let review = books.review_follow_ups(&policy, t0()).unwrap();
    let mut texts: Vec<String> = review
        .items
        .iter()
        .map(|i| i.intent.payload["text"].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        [
            "Debtor 1: last payment 2026-02-21T14:00:00+00:00.",
            "Debtor 2: last payment never.",
        ]
    );
}

type Log = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

fn recording_channel(log: Log) -> CallbackChannel {
    CallbackChannel::new(move |intent: &WriteIntent, _| {
        log.lock()
            .unwrap()
            .push((intent.key.clone(), intent.payload.clone()));
        Outcome::Delivered {
            request_id: Some(format!("rx-{}", &intent.key[3..11])),
            detail: serde_json::json!({}),
        }
    })
}

#[test]
fn live_books_need_the_reviews_approval_and_partial_payment_changes_the_text() {
    let books = Books::in_memory();
    let mut inv = invoice(1, "cust_00001", dec!(100), t0(), true);
    put(
        &books,
        vec![
            Entity::Customer(customer(1, true)),
            Entity::Invoice(inv.clone()),
        ],
    );
    let policy = policy("email");
    let log: Log = Arc::default();
    let channels = Channels::new().with("email", recording_channel(log.clone()));
    let review = books.review_follow_ups(&policy, t0()).unwrap();
    assert_eq!(review.items.len(), 1);
    assert!(review.plan.livemode);
    let text = review.items[0].intent.payload["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("100.00 EUR is open on invoice R-00001"),
        "{text}"
    );
    let e = books
        .run_follow_ups(&policy, &channels, t0(), None, &WriteOptions::default())
        .unwrap_err();
    assert_eq!(e.code(), "APPROVAL_REQUIRED");
    assert!(log.lock().unwrap().is_empty());
    // A partial payment after review changes the plan: the old approval no
    // longer covers it; a new review shows (and sends) the new amount.
    pay(&mut inv, dec!(40), t0());
    put(&books, vec![Entity::Invoice(inv.clone())]);
    assert_eq!(
        books
            .run_follow_ups(
                &policy,
                &channels,
                t0(),
                Some(&review.approval),
                &WriteOptions::default()
            )
            .unwrap_err()
            .code(),
        "APPROVAL_REQUIRED"
    );
    let review = books.review_follow_ups(&policy, t0()).unwrap();
    let report = books
        .run_follow_ups(
            &policy,
            &channels,
            t0(),
            Some(&review.approval),
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(report.delivered.len(), 1);
    let sent = log.lock().unwrap().clone();
    let text = sent[0].1["text"].as_str().unwrap();
    assert!(
        text.contains("thank you for your part payment; 60.00 EUR is open"),
        "{text}"
    );
    // History shows it with key, request id and outcome.
    let w = books.writes().unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].status, WriteStatus::Succeeded);
    assert_eq!(w[0].key, report.delivered[0]);
    assert!(w[0].request_id().unwrap().starts_with("rx-"));
    // Re-running sends nothing more.
    let review = books.review_follow_ups(&policy, t0()).unwrap();
    assert!(review.items[0].already_sent);
    assert!(review.plan.intents.is_empty());
    let again = books
        .run_follow_ups(
            &policy,
            &channels,
            t0(),
            Some(&review.approval),
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(again, tieout::writes::WriteReport::default());
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[test]
fn failed_sends_retry_with_backoff_then_are_reported() {
    let books = Books::in_memory();
    put(
        &books,
        vec![
            Entity::Customer(customer(1, true)),
            Entity::Invoice(invoice(1, "cust_00001", dec!(100), t0(), false)),
        ],
    );
    let policy = policy("email");
    let calls = Arc::new(Mutex::new(0u32));
    let c2 = calls.clone();
    let channels = Channels::new().with(
        "email",
        CallbackChannel::new(move |_, _| {
            *c2.lock().unwrap() += 1;
            Outcome::Failed {
                error: "451 try later".into(),
                retryable: true,
            }
        }),
    );
    let opts = WriteOptions::default();
    let r = books
        .run_follow_ups(&policy, &channels, t0(), None, &opts)
        .unwrap();
    assert_eq!(r.retrying.len(), 1);
    // Too early: no attempt.
    let r = books
        .run_follow_ups(&policy, &channels, t0() + Duration::minutes(4), None, &opts)
        .unwrap();
    assert_eq!((r.retrying.len(), *calls.lock().unwrap()), (1, 1));
    let mut at = t0();
    for wait in [5, 10, 20] {
        at += Duration::minutes(wait);
        books
            .run_follow_ups(&policy, &channels, at, None, &opts)
            .unwrap();
    }
    assert_eq!(*calls.lock().unwrap(), 4);
    let r = books
        .run_follow_ups(&policy, &channels, at + Duration::days(1), None, &opts)
        .unwrap();
    assert_eq!(r.failed.len(), 1, "{r:?}");
    assert_eq!(*calls.lock().unwrap(), 4, "no attempt after the last");
    let w = &books.writes().unwrap()[0];
    assert_eq!((w.status, w.attempts.len()), (WriteStatus::Failed, 4));
}

/// A tiny deterministic generator (xorshift), so the simulation repeats.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct SimResult {
    deliveries: Vec<(String, String)>,
    ambiguous: HashMap<String, usize>,
    crashes: usize,
}

/// 90 days over 1,000 invoices: payments arrive (full, partial, never), runs
/// are sometimes missed, and (with `crash_rate` > 0) the process dies at
/// random points between recording a send and committing its outcome.
fn simulate(crash_rate: u64) -> SimResult {
    const N: u32 = 1_000;
    let books = Books::in_memory();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut recs = Vec::new();
    let mut invoices: BTreeMap<String, Invoice> = BTreeMap::new();
    // Per invoice: (day, amount) payments to come.
    let mut payments: BTreeMap<u32, Vec<(String, Decimal)>> = BTreeMap::new();
    for n in 0..N {
        let cust = n % 200;
        if n < 200 {
            recs.push(Entity::Customer(customer(cust, true)));
        }
        let total = Decimal::new(1_000 + rng.below(500_000) as i64, 2);
        let due = t0() + Duration::days(rng.below(60) as i64 - 10);
        let inv = invoice(n, &format!("cust_{cust:05}"), total, due, false);
        match rng.below(4) {
            0 => {}
            1 => {
                let day = rng.below(90) as u32;
                payments
                    .entry(day)
                    .or_default()
                    .push((inv.id.clone(), total));
            }
            2 => {
                let half = (total / Decimal::from(2)).round_dp(2);
                let day = rng.below(60) as u32;
                payments
                    .entry(day)
                    .or_default()
                    .push((inv.id.clone(), half));
                payments
                    .entry(day + 1 + rng.below(29) as u32)
                    .or_default()
                    .push((inv.id.clone(), total - half));
            }
            _ => {
                let day = rng.below(90) as u32;
                payments
                    .entry(day)
                    .or_default()
                    .push((inv.id.clone(), (total / Decimal::from(3)).round_dp(2)));
            }
        }
        invoices.insert(inv.id.clone(), inv.clone());
        recs.push(Entity::Invoice(inv));
    }
    put(&books, recs);
    let opened = books
        .create_collection_cases(
            &CaseFilter::default(),
            &CasePolicy::default(),
            t0() - Duration::days(20),
        )
        .unwrap();
    assert!(opened.refused.is_empty());
    let policy = {
        use tieout::core::collect::FollowUpPolicy;
        let p = policy("email");
        let mut raw: FollowUpPolicy = p.policy().clone();
        raw.quiet_days.clear();
        tieout::collect::CompiledPolicy::new(raw).unwrap()
    };
    // The receiver: what it got, and the truth about each invoice when it got it.
    let truth: Arc<Mutex<BTreeMap<String, Invoice>>> = Arc::new(Mutex::new(invoices.clone()));
    let deliveries: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let (t2, d2) = (truth.clone(), deliveries.clone());
    let channel = CallbackChannel::new(move |intent: &WriteIntent, _| {
        let inv_id = intent.payload["invoice_id"].as_str().unwrap().to_string();
        let inv = t2.lock().unwrap()[&inv_id].clone();
        assert!(
            inv.amount_remaining > Decimal::ZERO,
            "message for paid invoice {inv_id}"
        );
        assert_eq!(
            intent.payload["open_amount"].as_str().unwrap(),
            inv.amount_remaining.to_string(),
            "stale amount"
        );
        d2.lock().unwrap().push((intent.key.clone(), inv_id));
        Outcome::Delivered {
            request_id: None,
            detail: serde_json::json!({}),
        }
    });
    let channels = Channels::new().with("email", channel);
    let crash_rng = Arc::new(Mutex::new(Rng(0x2545_f491_4f6c_dd1d)));
    let ambiguous: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let mut crashes = 0;
    for day in 0..90u32 {
        let now = t0() + Duration::days(day as i64);
        for (id, amount) in payments.get(&day).cloned().unwrap_or_default() {
            let inv = invoices.get_mut(&id).unwrap();
            pay(inv, amount, now);
            put(&books, vec![Entity::Invoice(inv.clone())]);
            truth.lock().unwrap().insert(id, inv.clone());
        }
        books.sync_collection_cases(now).unwrap();
        if day % 11 == 5 || day % 17 == 3 {
            continue; // the process was down today
        }
        loop {
            let (cr, amb) = (crash_rng.clone(), ambiguous.clone());
            let opts = WriteOptions {
                fault: (crash_rate > 0).then(|| {
                    Box::new(move |i: &WriteIntent, p: FaultPoint| {
                        let hit = cr.lock().unwrap().below(1000) < crash_rate;
                        if hit && p == FaultPoint::Performed {
                            *amb.lock().unwrap().entry(i.key.clone()).or_default() += 1;
                        }
                        hit
                    })
                        as Box<dyn Fn(&WriteIntent, FaultPoint) -> bool + Send + Sync>
                }),
                ..Default::default()
            };
            match books.run_follow_ups(&policy, &channels, now, None, &opts) {
                Ok(_) => break,
                Err(Error::Aborted { .. }) => crashes += 1,
                Err(e) => panic!("{e}"),
            }
        }
    }
    // Cases followed the books.
    for case in books.collection_cases().unwrap() {
        let inv = &invoices[&case.invoice_id];
        assert_eq!(case.open_amount, inv.amount_remaining.max(Decimal::ZERO));
        let want = if inv.amount_remaining > Decimal::ZERO {
            CaseStatus::Open
        } else {
            CaseStatus::Paid
        };
        assert_eq!(case.status, want, "{}", case.id);
    }
    // No write left in flight after the last clean run.
    assert!(
        books
            .writes()
            .unwrap()
            .iter()
            .all(|w| w.status != WriteStatus::InFlight)
    );
    let deliveries = deliveries.lock().unwrap().clone();
    let ambiguous = ambiguous.lock().unwrap().clone();
    SimResult {
        deliveries,
        ambiguous,
        crashes,
    }
}

#[test]
fn ninety_days_of_follow_ups_go_exactly_once_even_with_crashes() {
    // The two simulations share nothing (each has its own books, channel and
    // random streams): run them side by side.
    let crashing = std::thread::spawn(|| simulate(30));
    let clean = simulate(0);
    let crashed = crashing.join().expect("the crashing simulation panicked");
    assert_eq!(clean.crashes, 0);
    assert!(
        crashed.crashes > 20,
        "only {} crashes injected",
        crashed.crashes
    );
    assert!(clean.deliveries.len() > 1_000, "{}", clean.deliveries.len());
    let count = |d: &[(String, String)]| {
        let mut m: HashMap<String, usize> = HashMap::new();
        for (k, _) in d {
            *m.entry(k.clone()).or_default() += 1;
        }
        m
    };
    let clean_counts = count(&clean.deliveries);
    assert!(
        clean_counts.values().all(|&n| n == 1),
        "a clean run never sends twice"
    );
    let crash_counts = count(&crashed.deliveries);
    // The same set of messages went out.
    let a: BTreeSet<&String> = clean_counts.keys().collect();
    let b: BTreeSet<&String> = crash_counts.keys().collect();
    assert_eq!(a, b, "crashes changed what was sent");
    // Again only in the documented ambiguous window: one redelivery per
    // crash after the channel accepted the message, never more.
    for (k, n) in &crash_counts {
        let window = crashed.ambiguous.get(k).copied().unwrap_or(0);
        assert!(
            *n <= 1 + window,
            "{k} sent {n} times with {window} ambiguous crashes"
        );
    }
    assert!(
        crash_counts.values().any(|&n| n > 1),
        "the ambiguous window was never hit"
    );
}
