//! The settling shortcuts for new invoices against the general path: the same
//! pages planned and committed with and without them give the same books.

mod support;

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use tieout_core::import::{Planner, WorkState, Workspace};
use tieout_core::model::*;
use tieout_core::reconcile::ReconcilePolicy;
use tieout_core::{Currency, EntityKind, ImportPlan, MemoryStore, Record, SourceItem, Store};

fn source(object: &str, id: &str, status: &str, at: i64) -> SourceRef {
    let mut s = SourceRef::new("stripe", "acct_x", object, id);
    s.status = Some(status.into());
    s.created_at = Utc.timestamp_opt(at, 0).single();
    s.updated_at = s.created_at;
    s
}

/// An invoice of `total` cents with `paid` cents paid, in the source's `status`.
fn invoice(
    n: u32,
    status: &str,
    total: i64,
    paid: i64,
    currency: Currency,
    charge: bool,
) -> Record {
    let at = 1_700_000_000 + i64::from(n) * 60;
    let paid_at = (status == "paid")
        .then(|| Utc.timestamp_opt(at + 30, 0).single())
        .flatten();
    Record::Invoice(Invoice {
        paid_at,
        payment_refs: PaymentRefs {
            charge: charge.then(|| format!("ch_{n}")),
            ..PaymentRefs::default()
        },
        ..support::invoice(
            source("invoice", &format!("in_{n}"), status, at),
            format!("cus_{}", n % 3),
            format!("INV-{n}"),
            currency,
            Decimal::new(total, 2),
            Decimal::new(paid, 2),
        )
    })
}

/// A charge of `amount` cents naming invoice `n` by link or by metadata.
fn charge(n: u32, amount: i64, by_metadata: bool) -> Record {
    let at = 1_700_000_000 + i64::from(n) * 60 + 10;
    let amount = Decimal::new(amount, 2);
    let name = format!("in_{n}");
    Record::Payment(Payment {
        id: String::new(),
        customer_ref: Some(OriginalCustomer {
            external_id: format!("cus_{}", n % 3),
            name: None,
            email: None,
        }),
        refs: PaymentRefs {
            charge: Some(format!("ch_x{n}")),
            ..PaymentRefs::default()
        },
        links: PaymentLinks {
            invoices: if by_metadata {
                Vec::new()
            } else {
                vec![name.clone()]
            },
            ..PaymentLinks::default()
        },
        metadata: if by_metadata {
            BTreeMap::from([("invoice".to_string(), name)])
        } else {
            BTreeMap::new()
        },
        ..support::payment(
            source("charge", &format!("ch_x{n}"), "succeeded", at),
            None,
            Currency::USD,
            amount,
            Utc.timestamp_opt(at, 0).single(),
        )
    })
}

/// Plans and commits `pages` into a fresh store; returns every record.
fn books(pages: &[Vec<Record>], plan: &ImportPlan, general: bool) -> Vec<tieout_core::Entity> {
    let mut store = MemoryStore::new();
    let mut state = WorkState::new();
    let planner = if general {
        Planner::new(plan).general_settling()
    } else {
        Planner::new(plan)
    };
    for page in pages {
        let items = page.iter().cloned().map(SourceItem::Record).collect();
        let mut ws = Workspace::new(&store, &mut state);
        planner.plan_page(&mut ws, items).expect("plan");
        let cs = ws.take_changes();
        store.commit(cs).expect("commit");
        state.committed();
    }
    EntityKind::ALL
        .into_iter()
        .flat_map(|k| store.list(k).expect("list"))
        .collect()
}

fn same_books(pages: &[Vec<Record>], plan: &ImportPlan) {
    let general = books(pages, plan, true);
    let shortcut = books(pages, plan, false);
    assert_eq!(shortcut, general);
}

#[test]
fn new_invoices_settle_the_same_with_and_without_the_shortcuts() {
    let usd = Currency::USD;
    let page = vec![
        invoice(1, "paid", 12_000, 12_000, usd, false), // shortcut: payment + allocation
        invoice(2, "open", 5_000, 0, usd, false),       // shortcut: nothing to settle
        invoice(3, "paid", 9_000, 8_000, usd, false),   // paid less than due
        invoice(4, "paid", 3_000, 3_000, usd, true),    // names a charge
        invoice(5, "paid", 4_000, 4_000, Currency::EUR, false),
        invoice(6, "void", 1_000, 0, usd, false),
        invoice(7, "draft", 1_000, 0, usd, false),
        invoice(8, "paid", 0, 0, usd, false),
        invoice(9, "paid", 7_000, 7_000, usd, false),
        charge(9, 7_000, false), // a real payment in the same page
        invoice(10, "paid", 2_000, 2_000, usd, false),
        charge(10, 2_000, true), // names it in metadata only
        invoice(11, "open", 2_500, 0, usd, false),
        charge(11, 1_000, false),
    ];
    let tolerant = ImportPlan {
        policy: ReconcilePolicy {
            write_off_abs: Decimal::new(1_500, 2),
            ..ReconcilePolicy::default()
        },
        ..ImportPlan::default()
    };
    let mark_only = ImportPlan {
        paid_invoices: tieout_core::PaidInvoices::MarkPaidOnly,
        ..ImportPlan::default()
    };
    for plan in [ImportPlan::default(), tolerant, mark_only] {
        same_books(std::slice::from_ref(&page), &plan);
        // The same records over several pages, payments before and after.
        let mut reversed = page.clone();
        reversed.reverse();
        same_books(&[reversed[..5].to_vec(), reversed[5..].to_vec()], &plan);
        same_books(&[page[..7].to_vec(), page[7..].to_vec()], &plan);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn random_pages_settle_the_same_with_and_without_the_shortcuts(
        rows in prop::collection::vec(
            (0u32..12, 0usize..4, 0i64..20_000, 0i64..20_000, any::<bool>(), 0usize..3),
            1..30,
        ),
        page in 1usize..8,
        plan in 0usize..4,
    ) {
        let statuses = ["paid", "open", "void", "uncollectible"];
        let records: Vec<Record> = rows
            .iter()
            .map(|&(n, s, total, paid, refs, kind)| match kind {
                0 | 1 => invoice(n, statuses[s], total, paid.min(total), Currency::USD, refs && kind == 1),
                _ => charge(n, paid, refs),
            })
            .collect();
        let pages: Vec<Vec<Record>> = records.chunks(page).map(<[Record]>::to_vec).collect();
        let mut p = ImportPlan::default();
        match plan {
            1 => p.policy.write_off_abs = Decimal::new(1_500, 2),
            2 => p.paid_invoices = tieout_core::PaidInvoices::MarkPaidOnly,
            3 => p.unpaid_invoices = tieout_core::UnpaidInvoices::AsDrafts,
            _ => {}
        }
        let general = books(&pages, &p, true);
        let shortcut = books(&pages, &p, false);
        prop_assert_eq!(shortcut, general);
    }
}
