use std::time::Instant;
use rust_decimal_macros::dec;
use tieout_core::model::*;
use tieout_core::{ChangeSet, Currency, Entity, Store};
use tieout_sqlite::SqliteStore;

fn inv(i: usize) -> Invoice {
    let ext = format!("in_1OqY3cHkR3mN5sLd{i:08}");
    let mut src = SourceRef::new("stripe", "acct_1OqXyZ2eZvKYlo2C", "invoice", &ext);
    src.status = Some("paid".into());
    src.url = Some(format!("https://invoice.stripe.com/i/{ext}"));
    src.updated_at = chrono::DateTime::from_timestamp(1_709_285_400 + i as i64, 0);
    src.created_at = src.updated_at;
    let line = |n: usize, amt| InvoiceLine {
        external_id: Some(format!("il_{i:08}_{n}")),
        description: Some("Pro plan (Mar 2024)".into()),
        quantity: dec!(1),
        unit_amount: Some(amt),
        amount: amt,
        tax: dec!(0),
        period_start: src.created_at,
        period_end: src.created_at,
        price_ref: Some("price_1OqY2bHkR3mN5sLdPro".into()),
        product_ref: Some("prod_PfWxYz1234Pro".into()),
        subscription_item_ref: Some("si_PfWxYzItem01".into()),
        proration: false,
    };
    Invoice {
        id: derive_id("inv", &ext),
        source: src.clone(),
        customer_id: Some(format!("cust_{:05}", i % 5000)),
        customer_ref: None,
        subscription_id: None,
        subscription_ref: Some("sub_1OqY3cHkR3mN5sLd".into()),
        number: Some(format!("MS-{i:06}")),
        status: InvoiceStatus::Paid,
        currency: Currency::EUR,
        subtotal: dec!(1100.00), discount: dec!(0), tax: dec!(0), total: dec!(1100.00),
        amount_due: dec!(1100.00), amount_paid: dec!(1100.00), amount_remaining: dec!(0),
        amount_written_off: dec!(0), source_amount_paid: dec!(1100.00),
        issued_at: src.created_at, due_date: src.created_at, paid_at: src.created_at,
        lines: vec![line(0, dec!(1000.00)), line(1, dec!(100.00))],
        payment_refs: PaymentRefs { charge: Some(format!("ch_{i:08}")), ..Default::default() },
        metadata: Default::default(),
    }
}

#[test]
fn throughput() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = if std::env::var("TMP_MEM").is_ok() { SqliteStore::open_in_memory().unwrap() } else { SqliteStore::open(dir.path().join("b.db")).unwrap() };
    let batches: Vec<ChangeSet> = (0..100).map(|b| {
        let recs: Vec<Invoice> = (b * 1000..(b + 1) * 1000).map(inv).collect();
        ChangeSet {
            aliases_add: recs.iter().map(|r| (r.source.key(), r.id.clone())).collect(),
            upserts: recs.into_iter().map(Entity::Invoice).collect(),
            checkpoint: Some(("s".into(), format!("{b}"))),
            ..Default::default()
        }
    }).collect();
    let t = Instant::now();
    for c in &batches { store.commit(c).unwrap(); }
    let el = t.elapsed().as_secs_f64();
    println!("insert: {:.0} invoices/s, {:.0} rows/s (invoice+alias) in {el:.3}s", 100_000.0 / el, 200_000.0 / el);
    let t = Instant::now();
    for c in &batches { store.commit(c).unwrap(); }
    let el = t.elapsed().as_secs_f64();
    println!("update: {:.0} invoices/s in {el:.3}s", 100_000.0 / el);
    let keys: Vec<ExternalKey> = batches.iter().flat_map(|c| c.aliases_add.iter().map(|a| a.0.clone())).collect();
    let t = Instant::now();
    let m = store.resolve(&keys).unwrap();
    println!("resolve {} keys: {:.3}s", m.len(), t.elapsed().as_secs_f64());
    let ids: Vec<String> = batches[0].upserts.iter().map(|e| e.id().to_string()).collect();
    let t = Instant::now();
    let g = store.get(tieout_core::EntityKind::Invoice, &ids).unwrap();
    println!("get {}: {:.4}s", g.len(), t.elapsed().as_secs_f64());
}

#[test]
fn json_cost() {
    let recs: Vec<Entity> = (0..100_000).map(inv).map(Entity::Invoice).collect();
    let t = Instant::now();
    let mut n = 0;
    for r in &recs { if let Entity::Invoice(i) = r { n += serde_json::to_string(i).unwrap().len(); } }
    println!("json: {:.3}s avg {} bytes", t.elapsed().as_secs_f64(), n / 100_000);
}
