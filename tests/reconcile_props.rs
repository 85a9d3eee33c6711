//! Reconcile invariants over random books and arrival orders.

mod common;

use std::collections::HashMap;

use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use tieout::*;

#[derive(Clone, Debug)]
struct PaySpec {
    cus: usize,
    cents: i64,
    eur: bool,
    link: u8, // 0 loose, 1 explicit invoice payment, 2 metadata (1-2 invoices)
    inv_a: usize,
    inv_b: usize,
    refund: i64, // cents, 0 none
    dispute: u8, // 0 none, 1 needs_response, 2 won, 3 lost
}

#[derive(Clone, Debug)]
struct InvSpec {
    cus: usize,
    cents: i64,
    eur: bool,
    day: i64,
}

fn inv_spec() -> impl Strategy<Value = InvSpec> {
    (
        0usize..3,
        100i64..20_000,
        prop::bool::weighted(0.2),
        0i64..60,
    )
        .prop_map(|(cus, cents, eur, day)| InvSpec {
            cus,
            cents,
            eur,
            day,
        })
}

fn pay_spec() -> impl Strategy<Value = PaySpec> {
    (
        0usize..3,
        100i64..25_000,
        prop::bool::weighted(0.2),
        0u8..3,
        0usize..8,
        0usize..8,
        0i64..3,
        0u8..4,
    )
        .prop_map(
            |(cus, cents, eur, link, inv_a, inv_b, refund, dispute)| PaySpec {
                cus,
                cents,
                eur,
                link,
                inv_a,
                inv_b,
                refund: if refund == 2 { cents / 3 } else { 0 },
                dispute,
            },
        )
}

fn money(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

fn build(invs: &[InvSpec], pays: &[PaySpec]) -> Vec<SourceItem> {
    let mut v = Vec::new();
    for (i, s) in invs.iter().enumerate() {
        let cur = if s.eur { Currency::EUR } else { Currency::USD };
        v.push(invoice_in(
            &format!("in_{i}"),
            &format!("cus_{}", s.cus),
            "open",
            money(s.cents),
            cur,
            s.day,
        ));
    }
    for (j, s) in pays.iter().enumerate() {
        let cus = format!("cus_{}", s.cus);
        let (ch, pi) = (format!("ch_{j}"), format!("pi_{j}"));
        let cur = if s.eur { Currency::EUR } else { Currency::USD };
        let day = 10 + j as i64 * 3 % 50;
        let mut p = loose_payment(&ch, &cus, money(s.cents), cur, day);
        p.refs.payment_intent = Some(pi.clone());
        if s.link == 2 && !invs.is_empty() {
            let names = format!("in_{},in_{}", s.inv_a % invs.len(), s.inv_b % invs.len());
            p.metadata.insert("invoice".into(), names);
        }
        v.push(pay_item(p));
        if s.link == 1 && !invs.is_empty() {
            let inv = format!("in_{}", s.inv_a % invs.len());
            let mut ip = invoice_payment(&format!("inpay_{j}"), &inv, &pi, money(s.cents), day);
            if let SourceItem::Record(Record::Payment(p)) = &mut ip {
                p.currency = cur;
            }
            v.push(ip);
        }
        if s.refund > 0 {
            let mut r = refund(&format!("re_{j}"), &ch, money(s.refund), day + 2);
            if let SourceItem::Record(Record::Refund(r)) = &mut r {
                r.currency = cur;
            }
            v.push(r);
        }
        if s.dispute > 0 {
            let status = ["", "needs_response", "won", "lost"][s.dispute as usize];
            let mut dsp = dispute(&format!("dp_{j}"), &ch, money(s.cents / 2), status, day + 3);
            if let SourceItem::Record(Record::Dispute(x)) = &mut dsp {
                x.currency = cur;
            }
            v.push(dsp);
        }
    }
    v
}

fn check_invariants(books: &Books) {
    let payments = books.payments().unwrap();
    let invoices = books.invoices(&InvoiceFilter::default()).unwrap();
    let pay: HashMap<&str, &Payment> = payments.iter().map(|p| (p.id.as_str(), p)).collect();
    let inv: HashMap<&str, &Invoice> = invoices.iter().map(|i| (i.id.as_str(), i)).collect();
    for p in &payments {
        if p.is_settled() {
            assert_eq!(
                p.amount,
                p.allocated + p.unapplied + p.refunded + p.disputed,
                "payment {}",
                p.source.external_id
            );
            assert!(p.unapplied >= Decimal::ZERO && p.allocated >= Decimal::ZERO);
        }
    }
    let mut received: HashMap<&str, Decimal> = HashMap::new();
    let mut allocated: HashMap<&str, Decimal> = HashMap::new();
    for a in books.allocations().unwrap() {
        let i = inv[a.invoice_id.as_str()];
        *received.entry(i.id.as_str()).or_default() += a.amount;
        assert!(a.amount > Decimal::ZERO);
        if a.kind == AllocationKind::WriteOff {
            continue;
        }
        let p = pay[a.payment_id.as_str()];
        *allocated.entry(p.id.as_str()).or_default() += a.amount;
        assert_eq!(a.currency, i.currency, "allocation in the invoice currency");
        assert_eq!(p.currency, i.currency, "no allocation crosses currencies");
        if !a.reason.strategy.is_explicit() {
            assert_eq!(
                p.customer_id, i.customer_id,
                "no policy allocation crosses customers"
            );
        }
    }
    for i in &invoices {
        let got = received.get(i.id.as_str()).copied().unwrap_or_default();
        assert!(
            got <= i.amount_due,
            "invoice {} received {got} of {}",
            i.source.external_id,
            i.amount_due
        );
    }
    for p in &payments {
        assert_eq!(
            allocated.get(p.id.as_str()).copied().unwrap_or_default(),
            p.allocated,
            "payment {}",
            p.source.external_id
        );
    }
    let report = books.report(&ReconcilePolicy::default()).unwrap();
    assert!(report.adds_up(), "{:#?}", report.totals);
}

/// Compares fingerprints, reporting only the first differing line (shortened).
fn same_books(a: &str, b: &str) {
    if a == b {
        return;
    }
    let lb: Vec<&str> = b.lines().collect();
    let first = a.lines().find(|l| !lb.contains(l)).unwrap_or("");
    panic!(
        "books depend on arrival order; first differing record: {}",
        &first[..first.len().min(400)]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn reconcile_keeps_invariants_whatever_the_arrival_order(
        invs in prop::collection::vec(inv_spec(), 1..8),
        pays in prop::collection::vec(pay_spec(), 1..8),
        keys in prop::collection::vec(0u32..10_000, 40),
        page in 1usize..12,
    ) {
        let items = build(&invs, &pays);
        let reference = {
            let books = Books::in_memory();
            import_items(&books, items.clone(), &ImportPlan::default());
            books.reconcile(&ReconcilePolicy::default()).unwrap();
            check_invariants(&books);
            fingerprint(&books)
        };
        let mut keyed: Vec<(u32, usize, SourceItem)> =
            items.into_iter().enumerate().map(|(i, it)| (keys[i % keys.len()], i, it)).collect();
        keyed.sort_by_key(|(k, i, _)| (*k, *i));
        let shuffled: Vec<SourceItem> = keyed.into_iter().map(|(_, _, it)| it).collect();
        let books = Books::in_memory();
        run(books.import(&RecordsSource::new(ACCT, shuffled).page_size(page), &ImportPlan::default(), None)).unwrap();
        books.reconcile(&ReconcilePolicy::default()).unwrap();
        check_invariants(&books);
        same_books(&fingerprint(&books), &reference);
    }
}
