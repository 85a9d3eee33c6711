//! Journal entries, the Stripe balance statement and exports over a generated
//! book: every entry balances, the cash layer moves the Stripe balance by
//! exactly what Stripe reports, exports never double-post.

#[path = "support/ledger_book.rs"]
mod ledger_book;

use std::collections::BTreeMap;

use ledger_book::{Book, Credit, Dispute, Sale, at, book, other_categories, sample};
use proptest::prelude::*;
use rust_decimal::Decimal;
use tieout_core::Currency;
use tieout_core::ledger::render::{self, RenderOptions};
use tieout_core::ledger::{
    ExportLog, Journal, Layer, Layers, LedgerInput, LedgerMapping, ReportedBalance, Target,
    journal_entries, statement,
};

fn journal(b: &Book, m: &LedgerMapping) -> Journal {
    let input = LedgerInput {
        invoices: &b.invoices,
        payments: &b.payments,
        disputes: &b.disputes,
        balance_transactions: &b.txns,
        payouts: &b.payouts,
        refunds: &b.refunds,
        credit_notes: &b.credit_notes,
    };
    journal_entries(&input, m, Layers::default()).expect("entries")
}

fn stripe_moves(j: &Journal, m: &LedgerMapping) -> BTreeMap<Currency, Decimal> {
    let mut out = BTreeMap::new();
    for e in j.entries.iter().filter(|e| e.layer == Layer::Cash) {
        for p in e.postings.iter().filter(|p| p.account == m.stripe_balance) {
            *out.entry(p.currency).or_insert(Decimal::ZERO) += p.amount;
        }
    }
    out
}

/// Net postings on `account` per currency (zero totals dropped).
fn account_totals(j: &Journal, account: &str) -> BTreeMap<Currency, Decimal> {
    let mut out: BTreeMap<Currency, Decimal> = BTreeMap::new();
    for p in j.entries.iter().flat_map(|e| &e.postings) {
        if p.account == account {
            *out.entry(p.currency).or_insert(Decimal::ZERO) += p.amount;
        }
    }
    out.retain(|_, v| !v.is_zero());
    out
}

/// Refunds not made through a credit note, per presentment currency.
fn plain_refunds(b: &Book) -> BTreeMap<Currency, Decimal> {
    let credited: Vec<&String> = b.credit_notes.iter().flat_map(|c| &c.refund_refs).collect();
    let mut out: BTreeMap<Currency, Decimal> = BTreeMap::new();
    for r in &b.refunds {
        if !credited.contains(&&r.source.external_id) {
            *out.entry(r.currency).or_insert(Decimal::ZERO) += r.amount;
        }
    }
    out.retain(|_, v| !v.is_zero());
    out
}

fn nets(b: &Book) -> BTreeMap<Currency, Decimal> {
    let mut out = BTreeMap::new();
    for t in &b.txns {
        *out.entry(t.currency).or_insert(Decimal::ZERO) += t.net;
    }
    out
}

#[test]
fn the_sample_book_gives_balanced_entries_for_every_case() {
    let m = LedgerMapping::default();
    let b = sample();
    let j = journal(&b, &m);
    for e in &j.entries {
        e.check().expect("balances");
        assert!(e.postings.len() >= 2, "{e:?}");
    }
    // One cash entry per balance transaction, ids from the transaction id.
    for t in &b.txns {
        let id = format!("txn:{}", t.source.external_id);
        assert_eq!(j.entries.iter().filter(|e| e.id == id).count(), 1, "{id}");
    }
    // Unknown and other_adjustment categories go to suspense and are listed.
    assert_eq!(j.suspense, vec!["txn:txn_climate", "txn:txn_other"]);
    let other = j.entries.iter().find(|e| e.id == "txn:txn_other").unwrap();
    assert!(
        other
            .postings
            .iter()
            .any(|p| p.account == m.suspense && p.amount == Decimal::new(250, 2))
    );
    // A charge with tax on its fee: Dr net, Dr fee, Dr input tax, Cr AR gross.
    let ch = j.entries.iter().find(|e| e.id == "txn:txn_ch_5").unwrap();
    let amt = |acct: &str| -> Decimal {
        ch.postings
            .iter()
            .filter(|p| p.account == acct)
            .map(|p| p.amount)
            .sum()
    };
    assert_eq!(amt(&m.stripe_fees), Decimal::new(49, 2));
    assert_eq!(amt(&m.fee_input_tax), Decimal::new(10, 2));
    assert_eq!(amt(&m.accounts_receivable), Decimal::new(-1069, 2));
    assert_eq!(amt(&m.stripe_balance), Decimal::new(1069 - 59, 2));
    // FX: the EUR invoice settled in USD clears AR in EUR at the invoice amount.
    let fx = j.entries.iter().find(|e| e.id == "txn:txn_ch_1").unwrap();
    let ar: Vec<_> = fx
        .postings
        .iter()
        .filter(|p| p.account == m.accounts_receivable)
        .collect();
    assert_eq!(ar.len(), 1);
    assert_eq!(
        (ar[0].currency, ar[0].amount),
        (Currency::EUR, Decimal::new(-6000, 2))
    );
    assert_eq!(fx.currencies(), vec![Currency::EUR, Currency::USD]);
    // Void reverses the issue exactly.
    let issued = j
        .entries
        .iter()
        .find(|e| e.id == "inv:in_6:issued")
        .unwrap();
    let void = j.entries.iter().find(|e| e.id == "inv:in_6:void").unwrap();
    for (a, b) in issued.postings.iter().zip(&void.postings) {
        assert_eq!(
            (a.account.as_str(), a.amount),
            (b.account.as_str(), -b.amount)
        );
    }
    // Issued: Dr AR total, Cr revenue per line, Cr tax.
    let inv0 = j
        .entries
        .iter()
        .find(|e| e.id == "inv:in_0:issued")
        .unwrap();
    assert_eq!(inv0.postings[0].amount, Decimal::new(13554, 2));
    assert!(
        inv0.postings
            .iter()
            .any(|p| p.account == m.tax_payable && p.amount == Decimal::new(-1004, 2))
    );
    // Lost dispute: withdrawn funds to chargeback losses; won: none.
    assert!(j.entries.iter().any(|e| {
        e.id == "dp:dp_3:lost"
            && e.postings
                .iter()
                .any(|p| p.account == m.chargeback_losses && p.amount > Decimal::ZERO)
    }));
    assert!(!j.entries.iter().any(|e| e.id == "dp:dp_2:lost"));
    // Payouts: in transit, then the deposit moves them to the bank.
    assert!(j.entries.iter().any(|e| e.id == "po:po_0:deposit"));
    // Sorted by date then id; deterministic whatever the input order.
    let mut rev = b.clone();
    rev.txns.reverse();
    rev.invoices.reverse();
    assert_eq!(journal(&rev, &m), j);
}

#[test]
fn reserves_refund_failures_capture_and_payout_reversals_each_have_their_entry() {
    let m = LedgerMapping::default();
    let mut b = sample();
    let extra = other_categories(&mut b, 200);
    let j = journal(&b, &m);
    // None of them is suspense: the list is the sample's two unknowns.
    assert_eq!(j.suspense, vec!["txn:txn_climate", "txn:txn_other"]);
    for (id, cat, amount) in &extra {
        let e = j
            .entries
            .iter()
            .find(|e| e.id == format!("txn:{id}"))
            .unwrap_or_else(|| panic!("no entry for {id}"));
        e.check().expect("balances");
        assert_eq!((e.layer, e.category.as_str()), (Layer::Cash, *cat));
        let counter = match *cat {
            "risk_reserved_funds" => &m.stripe_reserve,
            "refund_failure" => &m.refunds,
            "partial_capture_reversal" => &m.accounts_receivable,
            "payout_reversal" => &m.payouts_in_transit,
            other => panic!("unexpected {other}"),
        };
        let on = |acct: &str| -> Decimal {
            e.postings
                .iter()
                .filter(|p| p.account == acct)
                .map(|p| p.amount)
                .sum()
        };
        // The net moves the Stripe balance; the gross goes to its account.
        assert_eq!(on(&m.stripe_balance), *amount, "{id}");
        assert_eq!(on(counter), -*amount, "{id}");
        assert_eq!(on(&m.suspense), Decimal::ZERO, "{id}");
    }
    // A reserve held and released nets to zero on the reserve account.
    assert!(account_totals(&j, &m.stripe_reserve).is_empty());
    // The Stripe balance still moves by exactly what Stripe reports, and the
    // statement lists each of them.
    let usd = Currency::USD;
    assert_eq!(stripe_moves(&j, &m)[&usd], nets(&b)[&usd]);
    let s = statement::stripe_balance(&b.txns, usd, at(-1), at(400), None);
    assert_eq!(s.closing() - s.opening(), nets(&b)[&usd]);
    for (id, _, _) in &extra {
        assert!(s.lines.iter().any(|l| &l.transaction_id == id), "{id}");
    }
    let text = render::beancount(&j.entries, &RenderOptions::default());
    assert!(text.contains("tieout_id: \"txn:txn_rsv_hold\""), "{text}");
    assert!(text.contains("open Assets:Stripe:Reserve"), "{text}");
}

#[test]
fn the_balance_statement_ties_to_what_stripe_reports_or_says_by_how_much_not() {
    let b = sample();
    let usd = Currency::USD;
    let (from, to) = (at(0), at(60));
    let s = statement::stripe_balance(&b.txns, usd, from, to, None);
    assert_eq!(s.opening(), Decimal::ZERO);
    let lines: Decimal = s.lines.iter().map(|l| l.amount).sum();
    assert_eq!(s.closing(), s.opening() + lines);
    assert_eq!(s.closing(), nets(&b)[&usd]);
    assert!(
        s.lines
            .iter()
            .any(|l| l.part == "fee" && l.transaction_id == "txn_ch_0")
    );
    assert_eq!(s.lines.last().map(|l| l.balance), Some(s.closing()));
    // Ties when Stripe's reported balance matches ...
    let (a, p) = statement::funds_at(&b.txns, usd, at(60));
    let ok = ReportedBalance {
        at: at(60),
        currency: usd,
        available: a,
        pending: p,
        run_id: None,
    };
    assert!(statement::stripe_balance(&b.txns, usd, from, to, Some(&ok)).ties());
    // ... and reports the unexplained amount when it does not.
    let off = ReportedBalance {
        available: a + Decimal::new(1234, 2),
        ..ok
    };
    let s = statement::stripe_balance(&b.txns, usd, from, to, Some(&off));
    assert!(!s.ties());
    assert_eq!(s.unexplained_available, Some(Decimal::new(1234, 2)));
    // A mid-period statement opens where the previous one closed.
    let first = statement::stripe_balance(&b.txns, usd, at(0), at(4), None);
    let second = statement::stripe_balance(&b.txns, usd, at(4), at(60), None);
    assert_eq!(first.closing(), second.opening());
    assert_eq!(
        first.closing_pending + first.closing_available,
        first.closing()
    );
    // camt.053 reads back through the bank side, line for line.
    let xml = render::statement_camt053(&second, "STRIPE-USD");
    let back = tieout_core::reconcile::bank::parse_camt053(&xml).expect("camt.053 parses");
    assert_eq!(back.len(), second.lines.len());
    let total: Decimal = back.iter().map(|l| l.amount).sum();
    assert_eq!(total, second.closing() - second.opening());
    assert!(back.iter().all(|l| l.currency == usd));
    let csv = render::statement_csv(&second).unwrap();
    assert_eq!(csv.lines().count(), second.lines.len() + 3);
}

#[test]
fn exporting_twice_or_after_a_crash_emits_nothing_new_and_a_late_refund_one_entry() {
    let m = LedgerMapping::default();
    let mut b = sample();
    let late = b
        .txns
        .iter()
        .position(|t| t.source.external_id == "txn_re_1")
        .unwrap();
    let refund = b.txns.remove(late);
    let j = journal(&b, &m);
    let log = ExportLog::default();
    let (first, after) = log.plan(&j.entries, true, at(90));
    assert_eq!(first.len(), j.entries.len());
    // A crash before the log is saved: the next run emits the same ids again
    // (the target's dedupe key), not new ones.
    let (again, _) = log.plan(&j.entries, true, at(91));
    assert_eq!(
        again.iter().map(|e| &e.id).collect::<Vec<_>>(),
        first.iter().map(|e| &e.id).collect::<Vec<_>>()
    );
    // Saved: a second export emits nothing.
    let saved = ExportLog::from_json(Some(&after.to_json())).unwrap();
    assert!(saved.plan(&j.entries, true, at(92)).0.is_empty());
    // A late refund: exactly one new entry.
    b.txns.push(refund);
    let j2 = journal(&b, &m);
    let (new, after2) = saved.plan(&j2.entries, true, at(93));
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].id, "txn:txn_re_1");
    // An exported entry that changes yields one adjusting entry (the difference).
    let mut j3 = j2.clone();
    let e = j3
        .entries
        .iter_mut()
        .find(|e| e.id == "inv:in_0:issued")
        .unwrap();
    e.postings[0].amount += Decimal::ONE;
    e.postings[1].amount -= Decimal::ONE;
    let (adj, _) = after2.plan(&j3.entries, true, at(94));
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].id, "inv:in_0:issued~adj1");
    assert_eq!(adj[0].adjusts.as_deref(), Some("inv:in_0:issued"));
    adj[0].check().unwrap();
    assert_eq!(adj[0].postings.len(), 2);
}

#[test]
fn renderers_refuse_what_their_target_cannot_hold() {
    let m = LedgerMapping::default();
    let b = book(&[Sale {
        currency: Currency::KWD,
        settle: Currency::KWD,
        lines: vec![1_234],
        tax_pct: 0,
        fee: (10, 0),
        refund: 0,
        dispute: Dispute::None,
        void: false,
        credit: Credit::None,
    }]);
    let j = journal(&b, &m);
    let err = render::netsuite(&j.entries).unwrap_err().to_string();
    assert!(err.contains("two decimals") && err.contains("KWD"), "{err}");
    let s = sample();
    let j = journal(&s, &m);
    let mut opts = RenderOptions {
        base_currency: Some(Currency::USD),
        ..RenderOptions::default()
    };
    let err = render::xero(&j.entries, &opts).unwrap_err().to_string();
    assert!(
        err.contains("base currency USD") && err.contains("rate"),
        "{err}"
    );
    for c in ["EUR", "GBP", "JPY"] {
        opts.rates.insert(
            Currency::parse(c).unwrap(),
            ledger_book::rate(Currency::parse(c).unwrap(), Currency::USD),
        );
    }
    let x: serde_json::Value =
        serde_json::from_str(&render::xero(&j.entries, &opts).unwrap()).unwrap();
    for mj in x["ManualJournals"].as_array().unwrap() {
        let sum: Decimal = mj["JournalLines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["LineAmount"].to_string().parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(sum, Decimal::ZERO, "{mj}");
    }
    let q: serde_json::Value =
        serde_json::from_str(&render::qbo(&j.entries, &opts).unwrap()).unwrap();
    let q = q.as_array().unwrap();
    assert!(
        q.len() > j.entries.len(),
        "multi-currency entries split per currency"
    );
    let mut request_ids = std::collections::BTreeSet::new();
    for item in q {
        let je = &item["JournalEntry"];
        assert!(je["DocNumber"].as_str().unwrap().len() <= 21);
        // The `requestid` to send: 32 hex digits, one per document.
        let rid = item["requestid"].as_str().unwrap();
        assert!(
            rid.len() == 32 && rid.bytes().all(|b| b.is_ascii_hexdigit()),
            "{rid}"
        );
        assert!(request_ids.insert(rid.to_string()), "repeated {rid}");
        assert!(
            je["PrivateNote"]
                .as_str()
                .unwrap()
                .contains(item["tieout_id"].as_str().unwrap())
        );
        let mut bal = Decimal::ZERO;
        for l in je["Line"].as_array().unwrap() {
            let a: Decimal = l["Amount"].to_string().parse().unwrap();
            assert!(a > Decimal::ZERO);
            let d = &l["JournalEntryLineDetail"];
            bal += if d["PostingType"] == "Debit" { a } else { -a };
            if d["AccountRef"]["name"] == m.accounts_receivable.as_str() {
                assert!(d["Entity"]["EntityRef"]["value"].is_string(), "{l}");
            }
        }
        assert_eq!(bal, Decimal::ZERO);
    }
    let ns = render::netsuite(&j.entries).unwrap();
    assert!(
        ns.lines().skip(1).all(|l| !l.starts_with(',')),
        "External ID on every row"
    );
    let rows = render::csv(&j.entries).unwrap().lines().count() - 1;
    assert_eq!(
        rows,
        j.entries.iter().map(|e| e.postings.len()).sum::<usize>()
    );
    assert_eq!(Target::parse("beancount").unwrap(), Target::Beancount);
    assert!(Target::parse("gnucash").is_err());
}

fn sale_strategy() -> impl Strategy<Value = Sale> {
    let cur = prop_oneof![
        Just(Currency::USD),
        Just(Currency::EUR),
        Just(Currency::GBP),
        Just(Currency::JPY)
    ];
    let settle = prop_oneof![Just(Currency::USD), Just(Currency::EUR)];
    let dispute = prop_oneof![Just(Dispute::None), Just(Dispute::Won), Just(Dispute::Lost)];
    let credit = prop_oneof![
        Just(Credit::None),
        Just(Credit::BeforePayment),
        Just(Credit::Refunded),
        Just(Credit::ToBalance)
    ];
    (
        cur,
        settle,
        prop::collection::vec(1i64..500_000, 0..4),
        0i64..25,
        (0i64..2_000, 0i64..400),
        0i64..50_000,
        dispute,
        (any::<bool>(), credit),
    )
        .prop_map(
            |(currency, settle, lines, tax_pct, fee, refund, dispute, (void, credit))| Sale {
                currency,
                settle,
                lines,
                tax_pct,
                fee,
                refund,
                dispute,
                void,
                credit,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn every_entry_balances_and_cash_moves_the_stripe_balance_by_its_change(
        sales in prop::collection::vec(sale_strategy(), 0..12)
    ) {
        let m = LedgerMapping::default();
        let b = book(&sales);
        let j = journal(&b, &m);
        for e in &j.entries {
            prop_assert!(e.check().is_ok(), "{:?}", e);
        }
        let moves = stripe_moves(&j, &m);
        for (c, net) in nets(&b) {
            prop_assert_eq!(moves.get(&c).copied().unwrap_or_default(), net);
            let s = statement::stripe_balance(&b.txns, c, at(-1), at(400), None);
            prop_assert_eq!(s.closing() - s.opening(), net);
        }
        // Every invoice ends settled: AR nets to zero per currency; refunds
        // are contra revenue once, at their own presentment amount (the
        // original rate), and never when a credit note made them; disputes
        // receivable clears.
        let ar = account_totals(&j, &m.accounts_receivable);
        prop_assert!(ar.values().all(|v| v.is_zero()), "AR {:?}", ar);
        prop_assert_eq!(account_totals(&j, &m.refunds), plain_refunds(&b));
        let dr = account_totals(&j, &m.disputes_receivable);
        prop_assert!(dr.values().all(|v| v.is_zero()), "disputes {:?}", dr);
        // Exporting twice emits nothing new.
        let (_, log) = ExportLog::default().plan(&j.entries, true, at(500));
        prop_assert!(log.plan(&j.entries, true, at(501)).0.is_empty());
    }
}

#[test]
fn credit_notes_reverse_revenue_and_tax_once_whatever_settles_them() {
    let mut m = LedgerMapping::default();
    m.revenue_by_product
        .insert("prod_1".into(), "Income:Sales:Support".into());
    m.tax_payable_by_rate
        .insert("10".into(), "Liabilities:SalesTax:10".into());
    let b = sample();
    let j = journal(&b, &m);
    let entry = |id: &str| {
        j.entries
            .iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let amount = |id: &str, acct: &str| -> Decimal {
        entry(id)
            .postings
            .iter()
            .filter(|p| p.account == acct)
            .map(|p| p.amount)
            .sum()
    };
    let cents = |c: i64| Decimal::new(c, 2);
    // Before payment: the first line (20.00 at 10%) comes off revenue and
    // its rate's tax account, and off what the customer owes.
    let pre = b
        .credit_notes
        .iter()
        .find(|c| !c.pre_payment_amount.is_zero())
        .expect("a credit note before payment");
    let id = format!("cn:{}", pre.source.external_id);
    assert_eq!(amount(&id, "Income:Sales"), cents(2000));
    assert_eq!(amount(&id, "Income:Sales:Support"), Decimal::ZERO);
    assert_eq!(amount(&id, "Liabilities:SalesTax:10"), cents(200));
    assert_eq!(amount(&id, &m.accounts_receivable), cents(-2200));
    let inv = &pre.invoice_ref;
    let charge = j
        .entries
        .iter()
        .find(|e| e.category == "charge" && e.links.contains(inv))
        .expect("the rest is paid");
    let ar_paid: Decimal = charge
        .postings
        .iter()
        .filter(|p| p.account == m.accounts_receivable)
        .map(|p| p.amount)
        .sum();
    assert_eq!(ar_paid, cents(-1100));
    // To the customer's balance: customer credit, AR untouched.
    let bal = b
        .credit_notes
        .iter()
        .find(|c| !c.credit_amount.is_zero())
        .expect("a credit note to the balance");
    let id = format!("cn:{}", bal.source.external_id);
    assert_eq!(amount(&id, &m.customer_credit), cents(-1500));
    assert_eq!(amount(&id, &m.accounts_receivable), Decimal::ZERO);
    // Through a refund of a EUR charge settled in USD: the credit note takes
    // the revenue; the refund's cash entry settles AR in EUR at the refund's
    // own amount and leaves the refunds account alone.
    let rf = b
        .credit_notes
        .iter()
        .find(|c| !c.refund_refs.is_empty())
        .expect("a credit note through a refund");
    assert_eq!(rf.currency, Currency::EUR);
    let re = &rf.refund_refs[0];
    let cash = j
        .entries
        .iter()
        .find(|e| e.category == "refund" && e.links.contains(re))
        .expect("the refund's cash entry");
    let eur_ar: Decimal = cash
        .postings
        .iter()
        .filter(|p| p.account == m.accounts_receivable && p.currency == Currency::EUR)
        .map(|p| p.amount)
        .sum();
    assert_eq!(eur_ar, rf.amount);
    assert!(cash.postings.iter().all(|p| p.account != m.refunds));
    assert_eq!(
        cash.customer_id.as_deref(),
        rf.customer_id.as_deref(),
        "the refund names the customer"
    );
    // A plain refund of a EUR charge settled in USD reverses revenue in EUR
    // at its own amount; the conversion difference is on FX, per currency.
    let plain = j.entries.iter().find(|e| e.id == "txn:txn_re_1").unwrap();
    let refunds_eur: Decimal = plain
        .postings
        .iter()
        .filter(|p| p.account == m.refunds && p.currency == Currency::EUR)
        .map(|p| p.amount)
        .sum();
    assert_eq!(refunds_eur, cents(1000));
    plain.check().expect("balances per currency");
}

#[test]
fn a_voided_credit_note_is_reversed_exactly() {
    let m = LedgerMapping::default();
    let mut b = sample();
    let cn = b
        .credit_notes
        .iter_mut()
        .find(|c| !c.credit_amount.is_zero())
        .unwrap();
    cn.source.status = Some("void".into());
    cn.voided_at = Some(at(90));
    let id = format!("cn:{}", cn.source.external_id);
    let j = journal(&b, &m);
    let issued = j.entries.iter().find(|e| e.id == id).unwrap();
    let void = j
        .entries
        .iter()
        .find(|e| e.id == format!("{id}:void"))
        .expect("reversal");
    assert_eq!(void.date, at(90).date_naive());
    assert_eq!(void.postings.len(), issued.postings.len());
    for (a, r) in issued.postings.iter().zip(&void.postings) {
        assert_eq!(
            (a.account.as_str(), a.amount),
            (r.account.as_str(), -r.amount)
        );
    }
}
