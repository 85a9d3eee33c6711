//! A generated book for the ledger tests: invoices in several currencies paid
//! by charges settled in USD or EUR, Stripe fees with tax on them, partial
//! refunds, disputes won and lost, a reserve, payouts matched to deposits and
//! balance transactions of unknown categories.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use tieout_core::ledger::{Journal, JournalEntry};
use tieout_core::model::*;
use tieout_core::{Currency, Money};

/// What happens after a sale is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dispute {
    /// Nothing.
    None,
    /// Disputed and won.
    Won,
    /// Disputed and lost.
    Lost,
}

/// A credit note on the sale's first line (with its tax).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credit {
    /// None.
    None,
    /// Issued before payment: the customer pays the rest.
    BeforePayment,
    /// The sale's refund is made through a credit note (custom amount).
    Refunded,
    /// Issued after payment, credited to the customer's balance.
    ToBalance,
}

/// One invoice and its payment.
#[derive(Clone, Debug)]
pub struct Sale {
    /// Invoice (presentment) currency.
    pub currency: Currency,
    /// Settlement currency.
    pub settle: Currency,
    /// Line amounts in minor units (each line taxed at `tax_pct`).
    pub lines: Vec<i64>,
    /// Tax rate in percent.
    pub tax_pct: i64,
    /// Stripe fee in settlement minor units, and its tax part.
    pub fee: (i64, i64),
    /// Partial refund in presentment minor units (0: none).
    pub refund: i64,
    /// Dispute outcome.
    pub dispute: Dispute,
    /// Void the invoice instead of paying it.
    pub void: bool,
    /// A credit note.
    pub credit: Credit,
}

/// The records of a generated book.
#[derive(Clone, Debug, Default)]
pub struct Book {
    pub invoices: Vec<Invoice>,
    pub payments: Vec<Payment>,
    pub disputes: Vec<tieout_core::model::Dispute>,
    pub txns: Vec<BalanceTransaction>,
    pub payouts: Vec<Payout>,
    pub refunds: Vec<Refund>,
    pub credit_notes: Vec<CreditNote>,
}

pub fn at(day: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap() + Duration::days(day)
}

fn src(object: &str, id: &str, day: i64) -> SourceRef {
    let mut s = SourceRef::new("stripe", "acct_test", object, id);
    s.created_at = Some(at(day));
    s.updated_at = Some(at(day));
    s
}

fn minor(m: i64, c: Currency) -> Decimal {
    Money::from_minor(m, c).amount
}

/// Presentment to settlement rate.
pub fn rate(from: Currency, to: Currency) -> Decimal {
    if from == to {
        return Decimal::ONE;
    }
    match (from.code(), to.code()) {
        ("EUR", "USD") => Decimal::new(108, 2),
        ("GBP", "USD") => Decimal::new(127, 2),
        ("JPY", "USD") => Decimal::new(67, 4),
        ("USD", "EUR") => Decimal::new(92, 2),
        _ => Decimal::new(11, 1),
    }
}

fn convert(amount: Decimal, from: Currency, to: Currency) -> Decimal {
    (amount * rate(from, to))
        .round_dp_with_strategy(to.exponent(), RoundingStrategy::MidpointNearestEven)
}

/// One balance transaction of `category` (the fee's tax part in `fee_tax`).
#[allow(clippy::too_many_arguments)]
pub fn txn(
    id: String,
    day: i64,
    amount: Decimal,
    fee: Decimal,
    fee_tax: Decimal,
    c: Currency,
    category: &str,
    source_object: &str,
) -> BalanceTransaction {
    let mut fee_details = Vec::new();
    if !fee.is_zero() {
        fee_details.push(FeeDetail {
            amount: fee - fee_tax,
            currency: c,
            kind: "stripe_fee".into(),
            description: None,
        });
    }
    if !fee_tax.is_zero() {
        fee_details.push(FeeDetail {
            amount: fee_tax,
            currency: c,
            kind: "tax".into(),
            description: Some("VAT".into()),
        });
    }
    BalanceTransaction {
        id: format!("btx_{id}"),
        source: src("balance_transaction", &id, day),
        amount,
        currency: c,
        fee,
        fee_details,
        net: amount - fee,
        exchange_rate: None,
        kind: category.to_string(),
        reporting_category: Some(category.to_string()),
        status: Some("available".into()),
        available_on: Some(at(day + 2)),
        source_object: Some(source_object.to_string()),
        payout_ref: None,
        payment_id: None,
    }
}

/// Builds the book of `sales`, then pays out every settlement currency's
/// balance (deposits matched) and adds two unknown-category transactions.
pub fn book(sales: &[Sale]) -> Book {
    let mut b = Book::default();
    let mut day = 0;
    for (i, s) in sales.iter().enumerate() {
        day += 1;
        let c = s.currency;
        let lines: Vec<InvoiceLine> = s
            .lines
            .iter()
            .enumerate()
            .map(|(j, m)| {
                let amount = minor(*m, c);
                let tax = (amount * Decimal::new(s.tax_pct, 2))
                    .round_dp_with_strategy(c.exponent(), RoundingStrategy::MidpointNearestEven);
                InvoiceLine {
                    external_id: Some(format!("il_{i}_{j}")),
                    description: Some(format!("Plan {j}")),
                    quantity: Decimal::ONE,
                    unit_amount: Some(amount),
                    amount,
                    tax,
                    period_start: None,
                    period_end: None,
                    price_ref: Some(format!("price_{j}")),
                    product_ref: Some(format!("prod_{j}")),
                    subscription_item_ref: None,
                    proration: false,
                }
            })
            .collect();
        let subtotal: Decimal = lines.iter().map(|l| l.amount).sum();
        let tax: Decimal = lines.iter().map(|l| l.tax).sum();
        let total = subtotal + tax;
        let cust = format!("cust_{}", i % 3);
        let inv_id = format!("in_{i}");
        let first = lines.first().map(|l| (l.amount, l.tax));
        let cn = |kind: Credit, amount: Decimal, line: Decimal, refund: Option<String>| {
            let mut s = src("credit_note", &format!("cn_{i}"), day);
            s.status = Some("issued".into());
            let pre = if kind == Credit::BeforePayment {
                amount
            } else {
                Decimal::ZERO
            };
            CreditNote {
                id: format!("crn_{i}"),
                source: s,
                invoice_id: Some(format!("inv_{i}")),
                invoice_ref: inv_id.clone(),
                customer_id: Some(cust.clone()),
                customer_ref: None,
                number: Some(format!("CN-{i:04}")),
                currency: c,
                amount,
                pre_payment_amount: pre,
                post_payment_amount: amount - pre,
                refund_amount: if kind == Credit::Refunded {
                    amount
                } else {
                    Decimal::ZERO
                },
                credit_amount: if kind == Credit::ToBalance {
                    amount
                } else {
                    Decimal::ZERO
                },
                out_of_band_amount: Decimal::ZERO,
                refund_refs: refund.into_iter().collect(),
                customer_balance_transaction: None,
                reason: Some("order_change".into()),
                memo: None,
                effective_at: Some(at(day)),
                voided_at: None,
                lines: vec![CreditNoteLine {
                    external_id: Some(format!("cnli_{i}")),
                    kind: "invoice_line_item".into(),
                    description: None,
                    quantity: Decimal::ONE,
                    amount: line,
                    invoice_line_ref: Some(format!("il_{i}_0")),
                }],
            }
        };
        let credited = match (s.credit, first) {
            (Credit::BeforePayment, Some((a, t))) if !s.void && !(a + t).is_zero() => {
                b.credit_notes
                    .push(cn(Credit::BeforePayment, a + t, a, None));
                a + t
            }
            _ => Decimal::ZERO,
        };
        b.invoices.push(Invoice {
            id: format!("inv_{i}"),
            source: src("invoice", &inv_id, day),
            customer_id: Some(cust.clone()),
            customer_ref: None,
            subscription_id: None,
            subscription_ref: None,
            number: Some(format!("INV-{i:04}")),
            status: if s.void {
                InvoiceStatus::Void
            } else {
                InvoiceStatus::Paid
            },
            currency: c,
            subtotal,
            discount: Decimal::ZERO,
            tax,
            total,
            amount_due: total - credited,
            amount_paid: if s.void {
                Decimal::ZERO
            } else {
                total - credited
            },
            amount_remaining: if s.void { total } else { Decimal::ZERO },
            amount_written_off: Decimal::ZERO,
            source_amount_paid: Decimal::ZERO,
            amount_credited: credited,
            source_credited: credited,
            write_off: None,
            lines_complete: true,
            issued_at: Some(at(day)),
            due_date: None,
            paid_at: None,
            lines,
            payment_refs: PaymentRefs::default(),
            metadata: BTreeMap::new(),
        });
        let total = total - credited;
        if s.void || total.is_zero() {
            continue;
        }
        let ch = format!("ch_{i}");
        let settled = convert(total, c, s.settle);
        let fee = minor(s.fee.0, s.settle);
        let fee_tax = minor(s.fee.1.min(s.fee.0), s.settle);
        b.payments.push(Payment {
            id: format!("pay_{i}"),
            source: src("charge", &ch, day),
            customer_id: Some(cust.clone()),
            customer_ref: None,
            refs: PaymentRefs {
                charge: Some(ch.clone()),
                balance_transaction: Some(format!("txn_ch_{i}")),
                ..PaymentRefs::default()
            },
            links: PaymentLinks {
                invoices: vec![inv_id.clone()],
                ..PaymentLinks::default()
            },
            status: PaymentStatus::Succeeded,
            amount: total,
            currency: c,
            settlement_amount: Some(settled),
            settlement_currency: Some(s.settle),
            fx_rate: Some(rate(c, s.settle)),
            fee,
            fee_details: Vec::new(),
            net: Some(settled - fee),
            method: Some("card".into()),
            received_at: Some(at(day)),
            refunded: Decimal::ZERO,
            refunded_reported: None,
            disputed: Decimal::ZERO,
            allocated: total,
            unapplied: Decimal::ZERO,
            unapplied_reasons: Vec::new(),
            description: None,
            metadata: BTreeMap::new(),
        });
        b.txns.push(txn(
            format!("txn_ch_{i}"),
            day,
            settled,
            fee,
            fee_tax,
            s.settle,
            "charge",
            &ch,
        ));
        if let (Credit::ToBalance, Some((a, t))) = (s.credit, first) {
            if !(a + t).is_zero() {
                b.credit_notes.push(cn(Credit::ToBalance, a + t, a, None));
            }
        }
        if s.refund > 0 {
            let r = minor(s.refund, c).min(total);
            let re = format!("re_{i}");
            if s.credit == Credit::Refunded {
                // A custom-amount credit note, tax included at the sale's rate.
                let line = (r / (Decimal::ONE + Decimal::new(s.tax_pct, 2)))
                    .round_dp_with_strategy(c.exponent(), RoundingStrategy::MidpointNearestEven);
                b.credit_notes
                    .push(cn(Credit::Refunded, r, line, Some(re.clone())));
            }
            b.refunds.push(Refund {
                id: format!("rfnd_{i}"),
                source: src("refund", &re, day + 1),
                payment_id: None,
                payment_refs: PaymentRefs {
                    charge: Some(ch.clone()),
                    ..PaymentRefs::default()
                },
                amount: r,
                currency: c,
                status: "succeeded".into(),
                reason: None,
                created_at: Some(at(day + 1)),
                balance_transaction: Some(format!("txn_re_{i}")),
            });
            b.txns.push(txn(
                format!("txn_re_{i}"),
                day + 1,
                -convert(r, c, s.settle),
                Decimal::ZERO,
                Decimal::ZERO,
                s.settle,
                "refund",
                &format!("re_{i}"),
            ));
        }
        if s.dispute != Dispute::None {
            let dp = format!("dp_{i}");
            let withdrawn = convert(total, c, s.settle);
            let dfee = minor(1500, s.settle);
            b.txns.push(txn(
                format!("txn_dp_{i}"),
                day + 2,
                -withdrawn,
                dfee,
                Decimal::ZERO,
                s.settle,
                "dispute",
                &dp,
            ));
            let status = if s.dispute == Dispute::Won {
                b.txns.push(txn(
                    format!("txn_dr_{i}"),
                    day + 3,
                    withdrawn,
                    -dfee,
                    Decimal::ZERO,
                    s.settle,
                    "dispute_reversal",
                    &dp,
                ));
                DisputeStatus::Won
            } else {
                DisputeStatus::Lost
            };
            b.disputes.push(tieout_core::model::Dispute {
                id: format!("disp_{i}"),
                source: src("dispute", &dp, day + 3),
                payment_id: Some(format!("pay_{i}")),
                payment_refs: PaymentRefs::default(),
                amount: total,
                currency: c,
                status,
                reason: None,
                created_at: Some(at(day + 2)),
            });
        }
    }
    day += 4;
    b.txns.push(txn(
        "txn_other".into(),
        day,
        minor(-250, Currency::USD),
        Decimal::ZERO,
        Decimal::ZERO,
        Currency::USD,
        "other_adjustment",
        "adj_1",
    ));
    b.txns.push(txn(
        "txn_climate".into(),
        day,
        minor(-125, Currency::USD),
        Decimal::ZERO,
        Decimal::ZERO,
        Currency::USD,
        "climate_order_purchase",
        "climorder_1",
    ));
    b.txns.push(txn(
        "txn_fee_bill".into(),
        day,
        minor(-300, Currency::USD),
        Decimal::ZERO,
        Decimal::ZERO,
        Currency::USD,
        "fee",
        "billing_fee_1",
    ));
    day += 1;
    let mut per: BTreeMap<Currency, Decimal> = BTreeMap::new();
    for t in &b.txns {
        *per.entry(t.currency).or_insert(Decimal::ZERO) += t.net;
    }
    for (k, (c, net)) in per.into_iter().enumerate() {
        if net <= Decimal::ZERO {
            continue;
        }
        let po = format!("po_{k}");
        b.txns.push(txn(
            format!("txn_po_{k}"),
            day,
            -net,
            Decimal::ZERO,
            Decimal::ZERO,
            c,
            "payout",
            &po,
        ));
        b.payouts.push(Payout {
            id: format!("pout_{k}"),
            source: src("payout", &po, day),
            amount: net,
            currency: c,
            status: "paid".into(),
            arrival_date: Some((at(day) + Duration::days(2)).date_naive()),
            automatic: true,
            method: Some("standard".into()),
            statement_descriptor: None,
            balance_transaction_ids: Vec::new(),
            deposit_id: Some(format!("bank_{k}")),
        });
    }
    b
}

/// The balance-transaction categories the sample's sales do not produce,
/// appended on `day` in USD: a reserve held and released, a refund that
/// failed (the money comes back), a partial-capture reversal and a payout
/// reversed (a failed payout returning funds). Returns their
/// `(id, category, amount)`.
pub fn other_categories(b: &mut Book, day: i64) -> Vec<(String, &'static str, Decimal)> {
    let usd = Currency::USD;
    let rows: [(&str, &'static str, i64, &str); 5] = [
        ("txn_rsv_hold", "risk_reserved_funds", -4_000, "rsv_1"),
        ("txn_rsv_release", "risk_reserved_funds", 4_000, "rsv_1"),
        ("txn_rf", "refund_failure", 1_250, "re_failed_1"),
        ("txn_pcr", "partial_capture_reversal", -700, "ch_pcr_1"),
        ("txn_por", "payout_reversal", 2_500, "po_failed_1"),
    ];
    rows.iter()
        .map(|&(id, cat, m, obj)| {
            let amount = minor(m, usd);
            b.txns.push(txn(
                id.into(),
                day,
                amount,
                Decimal::ZERO,
                Decimal::ZERO,
                usd,
                cat,
                obj,
            ));
            (id.to_string(), cat, amount)
        })
        .collect()
}

/// A fixed book with every case the issue names, some lines with service
/// periods (a month, a quarter, a year).
pub fn sample() -> Book {
    let usd = Currency::USD;
    let eur = Currency::EUR;
    let sale = |currency, settle, lines: Vec<i64>, tax_pct, fee, refund, dispute| Sale {
        currency,
        settle,
        lines,
        tax_pct,
        fee,
        refund,
        dispute,
        void: false,
        credit: Credit::None,
    };
    let mut sales = vec![
        sale(usd, usd, vec![10_000, 2_550], 8, (394, 0), 0, Dispute::None),
        sale(eur, usd, vec![5_000], 20, (250, 42), 1_000, Dispute::None),
        sale(eur, eur, vec![7_777, 333], 19, (150, 25), 0, Dispute::Won),
        sale(
            Currency::GBP,
            usd,
            vec![1_999],
            20,
            (88, 15),
            0,
            Dispute::Lost,
        ),
        sale(
            Currency::JPY,
            usd,
            vec![12_000],
            10,
            (500, 0),
            3_000,
            Dispute::None,
        ),
        sale(
            usd,
            usd,
            vec![333, 333, 334],
            7,
            (59, 10),
            100,
            Dispute::None,
        ),
    ];
    sales.push(Sale {
        void: true,
        ..sale(usd, usd, vec![4_200], 0, (0, 0), 0, Dispute::None)
    });
    // Credit notes: before payment, through a refund (one in EUR settled in
    // USD), and to the customer's balance.
    sales.push(Sale {
        credit: Credit::BeforePayment,
        ..sale(usd, usd, vec![2_000, 1_000], 10, (90, 0), 0, Dispute::None)
    });
    sales.push(Sale {
        credit: Credit::Refunded,
        ..sale(eur, usd, vec![6_000], 20, (200, 0), 2_400, Dispute::None)
    });
    sales.push(Sale {
        credit: Credit::ToBalance,
        ..sale(usd, usd, vec![1_500, 500], 0, (60, 0), 0, Dispute::None)
    });
    let mut b = book(&sales);
    // Service periods on some lines: a deferred-revenue mapping defers them
    // (without one they change nothing).
    with_service_periods(&mut b);
    b
}

/// An issued invoice `id` with one line of `amount` (no tax) whose service
/// period is `[start, end)`.
pub fn service_invoice(
    id: &str,
    amount: Decimal,
    currency: Currency,
    issued: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Invoice {
    let mut s = SourceRef::new("stripe", "acct_test", "invoice", id);
    s.created_at = Some(issued);
    s.updated_at = Some(issued);
    Invoice {
        id: format!("inv_{id}"),
        source: s,
        customer_id: Some("cust_0".into()),
        customer_ref: None,
        subscription_id: None,
        subscription_ref: None,
        number: None,
        status: InvoiceStatus::Open,
        currency,
        subtotal: amount,
        discount: Decimal::ZERO,
        tax: Decimal::ZERO,
        total: amount,
        amount_due: amount,
        amount_paid: Decimal::ZERO,
        amount_remaining: amount,
        amount_written_off: Decimal::ZERO,
        source_amount_paid: Decimal::ZERO,
        amount_credited: Decimal::ZERO,
        source_credited: Decimal::ZERO,
        write_off: None,
        lines_complete: true,
        issued_at: Some(issued),
        due_date: None,
        paid_at: None,
        lines: vec![InvoiceLine {
            external_id: Some(format!("il_{id}")),
            description: Some("Service".into()),
            quantity: Decimal::ONE,
            unit_amount: Some(amount),
            amount,
            tax: Decimal::ZERO,
            period_start: Some(start),
            period_end: Some(end),
            price_ref: None,
            product_ref: None,
            subscription_item_ref: None,
            proration: false,
        }],
        payment_refs: PaymentRefs::default(),
        metadata: BTreeMap::new(),
    }
}

/// An effective credit note crediting `amount` of `inv`'s first line on `day`
/// (before payment: it lowers what is owed).
pub fn line_credit_note(inv: &Invoice, amount: Decimal, day: DateTime<Utc>) -> CreditNote {
    let ext = &inv.source.external_id;
    let mut s = SourceRef::new("stripe", "acct_test", "credit_note", &format!("cn_{ext}"));
    s.status = Some("issued".into());
    s.created_at = Some(day);
    s.updated_at = Some(day);
    CreditNote {
        id: format!("crn_{ext}"),
        source: s,
        invoice_id: Some(inv.id.clone()),
        invoice_ref: ext.clone(),
        customer_id: inv.customer_id.clone(),
        customer_ref: None,
        number: None,
        currency: inv.currency,
        amount,
        pre_payment_amount: amount,
        post_payment_amount: Decimal::ZERO,
        refund_amount: Decimal::ZERO,
        credit_amount: Decimal::ZERO,
        out_of_band_amount: Decimal::ZERO,
        refund_refs: Vec::new(),
        customer_balance_transaction: None,
        reason: None,
        memo: None,
        effective_at: Some(day),
        voided_at: None,
        lines: vec![CreditNoteLine {
            external_id: Some(format!("cnli_{ext}")),
            kind: "invoice_line_item".into(),
            description: None,
            quantity: Decimal::ONE,
            amount,
            invoice_line_ref: inv.lines.first().and_then(|l| l.external_id.clone()),
        }],
    }
}

/// Gives the first line of some of the book's invoices a service period
/// (a month, a quarter, a year; one that started before the invoice and
/// one that ended on its issue day), so a deferred-revenue mapping defers
/// them. Without that account the periods change nothing.
pub fn with_service_periods(b: &mut Book) {
    for (i, inv) in b.invoices.iter_mut().enumerate() {
        let Some(issued) = inv.issued_at else {
            continue;
        };
        let (start, days) = match i % 5 {
            0 => (issued, 365),
            1 => (issued, 31),
            2 => (issued - Duration::days(10), 92),
            3 => (issued - Duration::days(30), 30),
            _ => continue,
        };
        if let Some(l) = inv.lines.first_mut() {
            l.period_start = Some(start);
            l.period_end = Some(start + Duration::days(days));
        }
    }
}

/// What the postings of `j` to `account` add up to.
pub fn on_account(j: &Journal, account: &str) -> Decimal {
    j.entries.iter().map(|e| entry_on(e, account)).sum()
}

/// What the postings of `e` to `account` add up to.
pub fn entry_on(e: &JournalEntry, account: &str) -> Decimal {
    e.postings
        .iter()
        .filter(|p| p.account == account)
        .map(|p| p.amount)
        .sum()
}
