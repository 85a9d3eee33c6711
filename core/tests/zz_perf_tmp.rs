//! Temporary ad-hoc timing (deleted after measuring).
use std::time::Instant;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use tieout_core::model::*;
use tieout_core::reconcile::{ReconcilePolicy, bulk};
use tieout_core::Currency;

fn inv(i: usize) -> Invoice {
    let t = Utc.timestamp_opt(1_700_000_000 + (i as i64 % 1000) * 86_400, 0).single();
    let total = Decimal::new(1000 + (i as i64 * 37) % 90_000, 2);
    Invoice {
        id: format!("inv_{i:08}"),
        source: SourceRef::new("stripe", "acct", "invoice", &format!("in_{i}")),
        customer_id: Some(format!("cust_{}", i / 5)),
        customer_ref: None, subscription_id: None, subscription_ref: None,
        number: Some(format!("N-{i}")),
        status: InvoiceStatus::Open, currency: Currency::USD,
        subtotal: total, discount: Decimal::ZERO, tax: Decimal::ZERO, total, amount_due: total,
        amount_paid: Decimal::ZERO, amount_remaining: total, amount_written_off: Decimal::ZERO,
        source_amount_paid: Decimal::ZERO, issued_at: t, due_date: t, paid_at: None, lines: Vec::new(),
        payment_refs: PaymentRefs::default(), metadata: Default::default(),
    }
}

fn pay(j: usize, amount: Decimal, link: bool) -> Payment {
    Payment {
        id: format!("pay_{j:08}"),
        source: SourceRef::new("stripe", "acct", "charge", &format!("ch_{j}")),
        customer_id: Some(format!("cust_{}", j / 5)), customer_ref: None,
        refs: PaymentRefs { charge: Some(format!("ch_{j}")), payment_intent: Some(format!("pi_{j}")), ..Default::default() },
        links: PaymentLinks { invoices: if link { vec![format!("in_{j}")] } else { vec![] }, ..Default::default() },
        status: PaymentStatus::Succeeded, amount, currency: Currency::USD,
        settlement_amount: None, settlement_currency: None, fx_rate: None, fee: Decimal::ZERO, fee_details: Vec::new(),
        net: None, method: None, received_at: Utc.timestamp_opt(1_700_000_000 + j as i64, 0).single(),
        refunded: Decimal::ZERO, disputed: Decimal::ZERO, allocated: Decimal::ZERO, unapplied: amount,
        unapplied_reasons: Vec::new(), description: None, metadata: Default::default(),
    }
}

#[test]
#[ignore]
fn perf() {
    let n = 1_000_000;
    let invoices: Vec<Invoice> = (0..n).map(inv).collect();
    let linked: Vec<Payment> = (0..n).map(|j| pay(j, invoices[j].total, true)).collect();
    let policy = ReconcilePolicy::default();
    let t = Instant::now();
    let ix = bulk::BulkIndex::new(&invoices);
    println!("index: {:?}", t.elapsed());
    drop(ix);
    let t = Instant::now();
    let mut o: Vec<u32> = (0..linked.len() as u32).collect();
    o.sort_unstable_by(|a, b| { let (x, y) = (&linked[*a as usize], &linked[*b as usize]); x.received_at.cmp(&y.received_at).then_with(|| x.id.cmp(&y.id)) });
    println!("sort: {:?}", t.elapsed());
    let t = Instant::now();
    let s: Vec<String> = (0..n).map(|j| format!("charge {} names invoice {}", linked[j].source.external_id, j)).collect();
    println!("format: {:?} {}", t.elapsed(), s.len());
    let t = Instant::now();
    let out = bulk::match_exact(&linked, &invoices, &policy).unwrap();
    let e = t.elapsed();
    println!("exact-key: {} allocations in {:?} = {:.0}/s", out.matches.len(), e, out.matches.len() as f64 / e.as_secs_f64());
    drop(linked);
    // Policy: unlinked payments, half exact amounts, half odd amounts (fill order).
    let loose: Vec<Payment> = (0..n).map(|j| {
        let k = (j / 5) * 5 + (4 - j % 5);
        let amt = if j % 2 == 0 { invoices[k].total } else { Decimal::new(777 + j as i64 % 5000, 2) };
        pay(j, amt, false)
    }).collect();
    let t = Instant::now();
    let out = bulk::match_policy(&loose, &invoices, &policy);
    let e = t.elapsed();
    println!("policy: {} payments -> {} allocations in {:?}", n, out.matches.len(), e);
}
