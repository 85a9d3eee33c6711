//! The reconcile report: one plain data structure (serde) with matched
//! allocations and their reasons, open and partially paid invoices, unapplied
//! payments and credits, write-offs, payouts against deposits, fees, FX
//! differences, and per-currency totals that add up.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::payouts::PayoutMatchReport;
use super::{FeePolicy, FxPolicy, ReconcilePolicy};
use crate::model::*;
use crate::money::Currency;

/// One allocation (payment money or write-off) with its reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AllocationLine {
    /// Books id of the allocation.
    pub allocation_id: Id,
    /// Books id of the payment.
    pub payment_id: Id,
    /// Source id of the payment.
    pub payment_external_id: String,
    /// Books id of the invoice.
    pub invoice_id: Id,
    /// Source id of the invoice.
    pub invoice_external_id: String,
    /// Invoice number.
    pub invoice_number: Option<String>,
    /// Books id of the invoice's customer.
    pub customer_id: Option<Id>,
    /// Amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Deciding strategy.
    pub strategy: MatchStrategy,
    /// Readable reason.
    pub reason: String,
    /// When it was allocated.
    pub allocated_at: Option<DateTime<Utc>>,
}

/// An invoice with money still open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenInvoice {
    /// Books id.
    pub invoice_id: Id,
    /// Source id.
    pub external_id: String,
    /// Number.
    pub number: Option<String>,
    /// Customer.
    pub customer_id: Option<Id>,
    /// Books status (open, partially_paid, uncollectible).
    pub status: InvoiceStatus,
    /// Currency.
    pub currency: Currency,
    /// Amount due.
    pub amount_due: Decimal,
    /// Paid.
    pub amount_paid: Decimal,
    /// Written off.
    pub written_off: Decimal,
    /// Still open.
    pub open: Decimal,
    /// Due date.
    pub due_date: Option<DateTime<Utc>>,
}

/// A payment with unapplied money.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnappliedPayment {
    /// Books id.
    pub payment_id: Id,
    /// Source id.
    pub external_id: String,
    /// Customer.
    pub customer_id: Option<Id>,
    /// Currency.
    pub currency: Currency,
    /// Payment amount.
    pub amount: Decimal,
    /// Unapplied amount.
    pub unapplied: Decimal,
    /// True when part of the payment is applied and the rest is held as
    /// customer credit (an overpayment); false when nothing is applied.
    pub credit: bool,
    /// Why, one reason per strategy tried.
    pub reasons: Vec<String>,
}

/// Gross, fee and net of one payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeeLine {
    /// Books id of the payment.
    pub payment_id: Id,
    /// Source id.
    pub external_id: String,
    /// Presentment amount.
    pub gross: Decimal,
    /// Presentment currency.
    pub currency: Currency,
    /// Settled amount (gross in the settlement currency).
    pub settlement_amount: Option<Decimal>,
    /// Settlement currency.
    pub settlement_currency: Option<Currency>,
    /// Presentment to settlement rate.
    pub fx_rate: Option<Decimal>,
    /// Fee (settlement currency).
    pub fee: Decimal,
    /// Fee breakdown.
    pub fee_details: Vec<FeeDetail>,
    /// Net (settlement currency).
    pub net: Option<Decimal>,
}

/// Fee totals in one settlement currency, as the fee policy presents them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeeTotals {
    /// Gross settled.
    pub gross: Decimal,
    /// Fees.
    pub fees: Decimal,
    /// Net settled.
    pub net: Decimal,
    /// Payments as booked: gross (fees a separate expense) or net.
    pub payments_booked: Decimal,
    /// Fee expense booked separately (zero when payments are booked net).
    pub fee_expense: Decimal,
}

/// The FX difference of one allocation whose payment settled in another currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FxLine {
    /// Books id of the allocation.
    pub allocation_id: Id,
    /// Payment.
    pub payment_id: Id,
    /// Invoice.
    pub invoice_id: Id,
    /// Allocated amount (invoice currency = presentment currency).
    pub amount: Decimal,
    /// Presentment currency.
    pub currency: Currency,
    /// Settlement currency.
    pub settlement_currency: Currency,
    /// Rate at settlement.
    pub settlement_rate: Option<Decimal>,
    /// The allocation's share of the settled amount.
    pub settled: Decimal,
    /// Invoice date the invoice-time rate is looked up for.
    pub invoice_date: Option<NaiveDate>,
    /// Rate at invoice time, when known.
    pub invoice_rate: Option<Decimal>,
    /// `amount x invoice_rate`, rounded to the settlement currency.
    pub at_invoice_rate: Option<Decimal>,
    /// `settled - at_invoice_rate` (positive: gain), when known.
    pub difference: Option<Decimal>,
    /// "rate at invoice time unknown" when it is.
    pub note: Option<String>,
}

/// Totals in one currency; each side adds up when its balance is zero.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurrencyTotals {
    /// Settled payments received.
    pub payments_received: Decimal,
    /// Allocated to invoices.
    pub allocated: Decimal,
    /// Unapplied (customer credit).
    pub unapplied: Decimal,
    /// Refunded.
    pub refunded: Decimal,
    /// Withdrawn by disputes.
    pub disputed: Decimal,
    /// `received - (allocated + unapplied + refunded + disputed)`.
    pub payments_balance: Decimal,
    /// Issued invoices' amount due before credit notes.
    pub invoiced: Decimal,
    /// Credited before payment by credit notes.
    #[serde(default)]
    pub credited: Decimal,
    /// Paid.
    pub paid: Decimal,
    /// Written off.
    pub written_off: Decimal,
    /// Open.
    pub open: Decimal,
    /// `invoiced - (paid + written_off + open + credited)`.
    pub invoices_balance: Decimal,
    /// Both balances are zero.
    pub adds_up: bool,
}

/// Everything one reconcile shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconcileReport {
    /// The policy used.
    pub policy: ReconcilePolicy,
    /// Payment allocations with reasons.
    pub allocations: Vec<AllocationLine>,
    /// Write-offs with reasons.
    pub write_offs: Vec<AllocationLine>,
    /// Open, partially paid and uncollectible invoices with their open amounts.
    pub open_invoices: Vec<OpenInvoice>,
    /// Payments with unapplied money (unmatched payments and overpayment credit).
    pub unapplied: Vec<UnappliedPayment>,
    /// Payouts against deposits and balance transactions.
    pub payouts: PayoutMatchReport,
    /// Per payment gross, fee and net.
    pub fees: Vec<FeeLine>,
    /// Fee totals per settlement currency under the fee policy.
    pub fee_totals: BTreeMap<Currency, FeeTotals>,
    /// FX differences per allocation.
    pub fx: Vec<FxLine>,
    /// Totals per currency.
    pub totals: BTreeMap<Currency, CurrencyTotals>,
}

/// What the report is built from.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    /// Every payment.
    pub payments: &'a [Payment],
    /// Every invoice.
    pub invoices: &'a [Invoice],
    /// Every allocation.
    pub allocations: &'a [Allocation],
}

fn round_to(v: Decimal, c: Currency) -> Decimal {
    v.round_dp_with_strategy(c.exponent(), RoundingStrategy::MidpointAwayFromZero)
}

/// Builds the report from the books (and a payout report).
pub fn build_report(
    input: ReportInput<'_>,
    payouts: PayoutMatchReport,
    policy: &ReconcilePolicy,
) -> ReconcileReport {
    let pays: HashMap<&str, &Payment> = input.payments.iter().map(|p| (p.id.as_str(), p)).collect();
    let invs: HashMap<&str, &Invoice> = input.invoices.iter().map(|i| (i.id.as_str(), i)).collect();
    let rates: HashMap<(Currency, Currency, NaiveDate), Decimal> = policy
        .fx_rates
        .iter()
        .map(|r| ((r.from, r.to, r.date), r.rate))
        .collect();
    let mut r = ReconcileReport {
        policy: policy.clone(),
        payouts,
        ..ReconcileReport::default()
    };
    let mut allocs: Vec<&Allocation> = input.allocations.iter().collect();
    allocs.sort_by(|a, b| a.allocated_at.cmp(&b.allocated_at).then(a.id.cmp(&b.id)));
    for a in allocs {
        let p = pays.get(a.payment_id.as_str());
        let i = invs.get(a.invoice_id.as_str());
        let line = AllocationLine {
            allocation_id: a.id.clone(),
            payment_id: a.payment_id.clone(),
            payment_external_id: p.map(|p| p.source.external_id.clone()).unwrap_or_default(),
            invoice_id: a.invoice_id.clone(),
            invoice_external_id: i.map(|i| i.source.external_id.clone()).unwrap_or_default(),
            invoice_number: i.and_then(|i| i.number.clone()),
            customer_id: i.and_then(|i| i.customer_id.clone()),
            amount: a.amount,
            currency: a.currency,
            strategy: a.reason.strategy,
            reason: a.reason.detail.clone(),
            allocated_at: a.allocated_at,
        };
        if a.kind == AllocationKind::WriteOff {
            r.write_offs.push(line);
            continue;
        }
        // FX difference per allocation.
        if let (Some(p), FxPolicy::ReportDifference) = (p, policy.fx) {
            if let (Some(sc), Some(sa)) = (p.settlement_currency, p.settlement_amount) {
                if sc != p.currency && !p.amount.is_zero() {
                    let settled = round_to(sa * a.amount / p.amount, sc);
                    let date = i.and_then(|i| i.issued_at).map(|d| d.date_naive());
                    let rate = date.and_then(|d| rates.get(&(p.currency, sc, d)).copied());
                    let at_inv = rate.map(|x| round_to(a.amount * x, sc));
                    r.fx.push(FxLine {
                        allocation_id: a.id.clone(),
                        payment_id: p.id.clone(),
                        invoice_id: a.invoice_id.clone(),
                        amount: a.amount,
                        currency: a.currency,
                        settlement_currency: sc,
                        settlement_rate: p.fx_rate,
                        settled,
                        invoice_date: date,
                        invoice_rate: rate,
                        at_invoice_rate: at_inv,
                        difference: at_inv.map(|x| settled - x),
                        note: rate
                            .is_none()
                            .then(|| "rate at invoice time unknown".to_string()),
                    });
                }
            }
        }
        r.allocations.push(line);
    }

    let mut payments: Vec<&Payment> = input.payments.iter().collect();
    payments.sort_by(|a, b| a.received_at.cmp(&b.received_at).then(a.id.cmp(&b.id)));
    for p in payments {
        if !p.is_settled() {
            continue;
        }
        let t = r.totals.entry(p.currency).or_default();
        t.payments_received += p.amount;
        t.allocated += p.allocated;
        t.unapplied += p.unapplied;
        t.refunded += p.refunded;
        t.disputed += p.disputed;
        if p.unapplied > Decimal::ZERO {
            r.unapplied.push(UnappliedPayment {
                payment_id: p.id.clone(),
                external_id: p.source.external_id.clone(),
                customer_id: p.customer_id.clone(),
                currency: p.currency,
                amount: p.amount,
                unapplied: p.unapplied,
                credit: p.allocated > Decimal::ZERO,
                reasons: if p.customer_id.is_none() {
                    let mut v = p.unapplied_reasons.clone();
                    v.push("policy: payment has no customer".into());
                    v
                } else {
                    p.unapplied_reasons.clone()
                },
            });
        }
        r.fees.push(FeeLine {
            payment_id: p.id.clone(),
            external_id: p.source.external_id.clone(),
            gross: p.amount,
            currency: p.currency,
            settlement_amount: p.settlement_amount,
            settlement_currency: p.settlement_currency,
            fx_rate: p.fx_rate,
            fee: p.fee,
            fee_details: p.fee_details.clone(),
            net: p.net,
        });
        let sc = p.settlement_currency.unwrap_or(p.currency);
        let gross = p.settlement_amount.unwrap_or(p.amount);
        let net = p.net.unwrap_or(gross - p.fee);
        let f = r.fee_totals.entry(sc).or_default();
        f.gross += gross;
        f.fees += p.fee;
        f.net += net;
        match policy.fees {
            FeePolicy::SeparateExpense => {
                f.payments_booked += gross;
                f.fee_expense += p.fee;
            }
            FeePolicy::Net => f.payments_booked += net,
        }
    }

    let mut invoices: Vec<&Invoice> = input.invoices.iter().collect();
    invoices.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.id.cmp(&b.id)));
    for i in invoices {
        if matches!(i.status, InvoiceStatus::Draft | InvoiceStatus::Void) {
            continue;
        }
        let t = r.totals.entry(i.currency).or_default();
        t.invoiced += i.amount_due + i.source_credited;
        t.credited += i.amount_credited;
        t.paid += i.amount_paid;
        t.written_off += i.amount_written_off;
        t.open += i.amount_remaining;
        if i.amount_remaining > Decimal::ZERO {
            r.open_invoices.push(OpenInvoice {
                invoice_id: i.id.clone(),
                external_id: i.source.external_id.clone(),
                number: i.number.clone(),
                customer_id: i.customer_id.clone(),
                status: i.status,
                currency: i.currency,
                amount_due: i.amount_due,
                amount_paid: i.amount_paid,
                written_off: i.amount_written_off,
                open: i.amount_remaining,
                due_date: i.due_date,
            });
        }
    }
    for t in r.totals.values_mut() {
        t.payments_balance =
            t.payments_received - (t.allocated + t.unapplied + t.refunded + t.disputed);
        t.invoices_balance = t.invoiced - (t.paid + t.written_off + t.open + t.credited);
        t.adds_up = t.payments_balance.is_zero() && t.invoices_balance.is_zero();
    }
    r.at_currency_scale();
    r
}

fn s<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

impl ReconcileReport {
    /// Whether every currency's totals add up.
    pub fn adds_up(&self) -> bool {
        self.totals.values().all(|t| t.adds_up)
    }

    /// Flat rows for a CSV export: every row has a `section` column
    /// (`allocation`, `write_off`, `open_invoice`, `unapplied`, `payout_pair`,
    /// `unmatched_payout`, `unmatched_deposit`, `payout_check`, `fee`, `fx`, `total`).
    pub fn to_csv_rows(&self) -> Vec<BTreeMap<String, String>> {
        let mut rows = Vec::new();
        let mut row = |section: &str, kv: Vec<(&str, String)>| {
            let mut m = BTreeMap::new();
            m.insert("section".to_string(), section.to_string());
            for (k, v) in kv {
                m.insert(k.to_string(), v);
            }
            rows.push(m);
        };
        for (section, list) in [
            ("allocation", &self.allocations),
            ("write_off", &self.write_offs),
        ] {
            for a in list {
                row(
                    section,
                    vec![
                        ("id", a.allocation_id.clone()),
                        ("payment_id", a.payment_id.clone()),
                        ("payment", a.payment_external_id.clone()),
                        ("invoice_id", a.invoice_id.clone()),
                        ("invoice", a.invoice_external_id.clone()),
                        ("invoice_number", s(&a.invoice_number)),
                        ("customer_id", s(&a.customer_id)),
                        ("amount", a.amount.to_string()),
                        ("currency", a.currency.to_string()),
                        ("strategy", a.strategy.as_str().to_string()),
                        ("reason", a.reason.clone()),
                        ("date", s(&a.allocated_at.map(|d| d.to_rfc3339()))),
                    ],
                );
            }
        }
        for i in &self.open_invoices {
            row(
                "open_invoice",
                vec![
                    ("invoice_id", i.invoice_id.clone()),
                    ("invoice", i.external_id.clone()),
                    ("invoice_number", s(&i.number)),
                    ("customer_id", s(&i.customer_id)),
                    ("status", i.status.as_str().to_string()),
                    ("currency", i.currency.to_string()),
                    ("amount_due", i.amount_due.to_string()),
                    ("amount_paid", i.amount_paid.to_string()),
                    ("written_off", i.written_off.to_string()),
                    ("open", i.open.to_string()),
                    ("date", s(&i.due_date.map(|d| d.date_naive()))),
                ],
            );
        }
        for u in &self.unapplied {
            row(
                "unapplied",
                vec![
                    ("payment_id", u.payment_id.clone()),
                    ("payment", u.external_id.clone()),
                    ("customer_id", s(&u.customer_id)),
                    ("currency", u.currency.to_string()),
                    ("amount", u.amount.to_string()),
                    ("unapplied", u.unapplied.to_string()),
                    ("credit", u.credit.to_string()),
                    ("reason", u.reasons.join("; ")),
                ],
            );
        }
        for p in &self.payouts.pairs {
            row(
                "payout_pair",
                vec![
                    ("payout_id", p.payout_id.clone()),
                    ("payout", p.payout_external_id.clone()),
                    ("bank_line_id", p.bank_line_id.clone()),
                    ("amount", p.amount.to_string()),
                    ("currency", p.currency.to_string()),
                    ("arrival_date", s(&p.arrival_date)),
                    ("date", p.bank_date.to_string()),
                    ("reason", p.reason.clone()),
                ],
            );
        }
        for p in &self.payouts.unmatched_payouts {
            row(
                "unmatched_payout",
                vec![
                    ("payout_id", p.payout_id.clone()),
                    ("payout", p.external_id.clone()),
                    ("amount", p.amount.to_string()),
                    ("currency", p.currency.to_string()),
                    ("arrival_date", s(&p.arrival_date)),
                    ("status", p.status.clone()),
                    ("reason", p.reason.clone()),
                ],
            );
        }
        for d in &self.payouts.unmatched_deposits {
            row(
                "unmatched_deposit",
                vec![
                    ("bank_line_id", d.bank_line_id.clone()),
                    ("date", d.date.to_string()),
                    ("amount", d.amount.to_string()),
                    ("currency", d.currency.to_string()),
                    ("description", s(&d.description)),
                    ("reference", s(&d.reference)),
                ],
            );
        }
        for c in &self.payouts.checks {
            row(
                "payout_check",
                vec![
                    ("payout_id", c.payout_id.clone()),
                    ("payout", c.external_id.clone()),
                    ("amount", c.amount.to_string()),
                    ("currency", c.currency.to_string()),
                    ("net_total", c.net_total.to_string()),
                    ("difference", c.difference.to_string()),
                    ("balance_transactions", c.balance_transactions.join(" ")),
                    ("missing", c.missing.join(" ")),
                ],
            );
        }
        for f in &self.fees {
            row(
                "fee",
                vec![
                    ("payment_id", f.payment_id.clone()),
                    ("payment", f.external_id.clone()),
                    ("amount", f.gross.to_string()),
                    ("currency", f.currency.to_string()),
                    ("settlement_amount", s(&f.settlement_amount)),
                    ("settlement_currency", s(&f.settlement_currency)),
                    ("fx_rate", s(&f.fx_rate)),
                    ("fee", f.fee.to_string()),
                    (
                        "fee_details",
                        f.fee_details
                            .iter()
                            .map(|d| format!("{}:{}", d.kind, d.amount))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    ("net", s(&f.net)),
                ],
            );
        }
        for x in &self.fx {
            row(
                "fx",
                vec![
                    ("id", x.allocation_id.clone()),
                    ("payment_id", x.payment_id.clone()),
                    ("invoice_id", x.invoice_id.clone()),
                    ("amount", x.amount.to_string()),
                    ("currency", x.currency.to_string()),
                    ("settlement_currency", x.settlement_currency.to_string()),
                    ("fx_rate", s(&x.settlement_rate)),
                    ("settlement_amount", x.settled.to_string()),
                    ("date", s(&x.invoice_date)),
                    ("invoice_rate", s(&x.invoice_rate)),
                    ("at_invoice_rate", s(&x.at_invoice_rate)),
                    ("difference", s(&x.difference)),
                    ("reason", s(&x.note)),
                ],
            );
        }
        for (cur, t) in &self.totals {
            row(
                "total",
                vec![
                    ("currency", cur.to_string()),
                    ("payments_received", t.payments_received.to_string()),
                    ("allocated", t.allocated.to_string()),
                    ("unapplied", t.unapplied.to_string()),
                    ("refunded", t.refunded.to_string()),
                    ("disputed", t.disputed.to_string()),
                    ("payments_balance", t.payments_balance.to_string()),
                    ("invoiced", t.invoiced.to_string()),
                    ("paid", t.paid.to_string()),
                    ("written_off", t.written_off.to_string()),
                    ("open", t.open.to_string()),
                    ("credited", t.credited.to_string()),
                    ("invoices_balance", t.invoices_balance.to_string()),
                    ("adds_up", t.adds_up.to_string()),
                ],
            );
        }
        rows
    }
}
