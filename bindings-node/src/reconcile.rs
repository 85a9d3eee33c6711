//! Reconcile: policy matching, the report, manual allocations, bank
//! statements and payouts to deposits.

use std::collections::HashMap;

use napi::Env;
use napi::bindgen_prelude::{Either, Null, PromiseRaw, ToNapiValue};
use napi_derive::napi;
use tieout::core::reconcile::payouts::{
    PayoutCheck, PayoutDeposit, UnmatchedDeposit, UnmatchedPayout,
};
use tieout::core::reconcile::report::{
    AllocationLine, CurrencyTotals, FeeLine, FeeTotals, FxLine, OpenInvoice, UnappliedPayment,
};

use crate::books::Books;
use crate::error::invalid;
use crate::plan::ReconcilePolicyOptions;
use crate::records::{Allocation, BankLine, FeeDetail, InvoiceStatus, MatchStrategy};
use crate::task::{blocking, rejected};
use crate::values::{amount, amount_opt, count, date, decimal, instant_opt, parse_decimal};

impl Books {
    /// Runs `work` on the blocking pool with the parsed policy; a bad policy
    /// rejects the Promise before any work starts.
    fn with_policy<'env, V, F>(
        &self,
        env: &'env Env,
        policy: Option<ReconcilePolicyOptions>,
        work: F,
    ) -> napi::Result<PromiseRaw<'env, V>>
    where
        V: ToNapiValue + Send + 'static,
        F: FnOnce(&tieout::Books, &tieout::ReconcilePolicy) -> tieout::Result<V> + Send + 'static,
    {
        let policy = match policy_of(policy.as_ref()) {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        let books = self.inner.clone();
        blocking(env, move || work(&books, &policy))
    }
}

fn policy_of(p: Option<&ReconcilePolicyOptions>) -> tieout::Result<tieout::ReconcilePolicy> {
    p.map_or_else(
        || Ok(tieout::ReconcilePolicy::default()),
        ReconcilePolicyOptions::to_core,
    )
}

/// One allocation (payment money or write-off) in the report, with its reason.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ReportAllocation {
    /// Books id of the allocation.
    pub allocation_id: String,
    /// Books id of the payment.
    pub payment_id: String,
    /// Stripe id of the payment.
    pub payment_external_id: String,
    /// Books id of the invoice.
    pub invoice_id: String,
    /// Stripe id of the invoice.
    pub invoice_external_id: String,
    /// Invoice number.
    pub invoice_number: Option<String>,
    /// Books id of the customer.
    pub customer_id: Option<String>,
    /// Amount.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Deciding strategy.
    pub strategy: MatchStrategy,
    /// Why, in a sentence.
    pub reason: String,
    /// When it was made.
    pub allocated_at: Option<String>,
}

impl From<&AllocationLine> for ReportAllocation {
    fn from(a: &AllocationLine) -> Self {
        ReportAllocation {
            allocation_id: a.allocation_id.clone(),
            payment_id: a.payment_id.clone(),
            payment_external_id: a.payment_external_id.clone(),
            invoice_id: a.invoice_id.clone(),
            invoice_external_id: a.invoice_external_id.clone(),
            invoice_number: a.invoice_number.clone(),
            customer_id: a.customer_id.clone(),
            amount: amount(a.amount, a.currency),
            currency: a.currency.code().to_string(),
            strategy: a.strategy.into(),
            reason: a.reason.clone(),
            allocated_at: instant_opt(a.allocated_at),
        }
    }
}

/// An invoice with money still open.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ReportOpenInvoice {
    /// Books id.
    pub invoice_id: String,
    /// Stripe id.
    pub external_id: String,
    /// Invoice number.
    pub number: Option<String>,
    /// Books id of the customer.
    pub customer_id: Option<String>,
    /// Books status.
    pub status: InvoiceStatus,
    /// Currency.
    pub currency: String,
    /// Amount due.
    pub amount_due: String,
    /// Paid.
    pub amount_paid: String,
    /// Written off.
    pub written_off: String,
    /// Still open.
    pub open: String,
    /// Due date.
    pub due_date: Option<String>,
}

impl From<&OpenInvoice> for ReportOpenInvoice {
    fn from(i: &OpenInvoice) -> Self {
        let c = i.currency;
        ReportOpenInvoice {
            invoice_id: i.invoice_id.clone(),
            external_id: i.external_id.clone(),
            number: i.number.clone(),
            customer_id: i.customer_id.clone(),
            status: i.status.into(),
            currency: c.code().to_string(),
            amount_due: amount(i.amount_due, c),
            amount_paid: amount(i.amount_paid, c),
            written_off: amount(i.written_off, c),
            open: amount(i.open, c),
            due_date: instant_opt(i.due_date),
        }
    }
}

/// A payment with money not allocated to any invoice.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ReportUnapplied {
    /// Books id.
    pub payment_id: String,
    /// Stripe id.
    pub external_id: String,
    /// Books id of the customer.
    pub customer_id: Option<String>,
    /// Currency.
    pub currency: String,
    /// Payment amount.
    pub amount: String,
    /// Unapplied amount.
    pub unapplied: String,
    /// Overpayment left as customer credit (the payment also paid invoices).
    pub credit: bool,
    /// Why the matcher left it unapplied.
    pub reasons: Vec<String>,
}

impl From<&UnappliedPayment> for ReportUnapplied {
    fn from(u: &UnappliedPayment) -> Self {
        ReportUnapplied {
            payment_id: u.payment_id.clone(),
            external_id: u.external_id.clone(),
            customer_id: u.customer_id.clone(),
            currency: u.currency.code().to_string(),
            amount: amount(u.amount, u.currency),
            unapplied: amount(u.unapplied, u.currency),
            credit: u.credit,
            reasons: u.reasons.clone(),
        }
    }
}

/// One payment's processing fee.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ReportFee {
    /// Books id of the payment.
    pub payment_id: String,
    /// Stripe id.
    pub external_id: String,
    /// Presentment amount.
    pub gross: String,
    /// Presentment currency.
    pub currency: String,
    /// Settled amount (gross in the settlement currency).
    pub settlement_amount: Option<String>,
    /// Settlement currency.
    pub settlement_currency: Option<String>,
    /// Presentment to settlement rate.
    pub fx_rate: Option<String>,
    /// Fee (settlement currency).
    pub fee: String,
    /// Fee breakdown.
    pub fee_details: Vec<FeeDetail>,
    /// Net (settlement currency).
    pub net: Option<String>,
}

impl From<&FeeLine> for ReportFee {
    fn from(f: &FeeLine) -> Self {
        let settle = f.settlement_currency.unwrap_or(f.currency);
        ReportFee {
            payment_id: f.payment_id.clone(),
            external_id: f.external_id.clone(),
            gross: amount(f.gross, f.currency),
            currency: f.currency.code().to_string(),
            settlement_amount: amount_opt(f.settlement_amount, settle),
            settlement_currency: f.settlement_currency.map(|c| c.code().to_string()),
            fx_rate: f.fx_rate.map(decimal),
            fee: amount(f.fee, settle),
            fee_details: f
                .fee_details
                .iter()
                .map(|d| FeeDetail {
                    amount: amount(d.amount, d.currency),
                    currency: d.currency.code().to_string(),
                    kind: d.kind.clone(),
                    description: d.description.clone(),
                })
                .collect(),
            net: amount_opt(f.net, settle),
        }
    }
}

/// Fee totals in one settlement currency, as the fee policy presents them.
#[napi(object, object_from_js = false)]
pub struct ReportFeeTotals {
    /// Settlement currency.
    pub currency: String,
    /// Gross settled.
    pub gross: String,
    /// Fees.
    pub fees: String,
    /// Net settled.
    pub net: String,
    /// Payments as booked: gross (fees a separate expense) or net.
    pub payments_booked: String,
    /// Fee expense booked separately (zero when payments are booked net).
    pub fee_expense: String,
}

fn fee_totals(c: tieout::Currency, t: &FeeTotals) -> ReportFeeTotals {
    ReportFeeTotals {
        currency: c.code().to_string(),
        gross: amount(t.gross, c),
        fees: amount(t.fees, c),
        net: amount(t.net, c),
        payments_booked: amount(t.payments_booked, c),
        fee_expense: amount(t.fee_expense, c),
    }
}

/// The FX difference of one allocation whose payment settled in another currency.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ReportFx {
    /// Books id of the allocation.
    pub allocation_id: String,
    /// Payment.
    pub payment_id: String,
    /// Invoice.
    pub invoice_id: String,
    /// Allocated amount (invoice currency).
    pub amount: String,
    /// Presentment currency.
    pub currency: String,
    /// Settlement currency.
    pub settlement_currency: String,
    /// Rate at settlement.
    pub settlement_rate: Option<String>,
    /// The allocation's share of the settled amount.
    pub settled: String,
    /// Invoice date the invoice-time rate is looked up for (`YYYY-MM-DD`).
    pub invoice_date: Option<String>,
    /// Rate at invoice time, when known.
    pub invoice_rate: Option<String>,
    /// `amount x invoiceRate`, in the settlement currency.
    pub at_invoice_rate: Option<String>,
    /// `settled - atInvoiceRate` (positive: gain), when known.
    pub difference: Option<String>,
    /// A note such as "rate at invoice time unknown".
    pub note: Option<String>,
}

impl From<&FxLine> for ReportFx {
    fn from(f: &FxLine) -> Self {
        let s = f.settlement_currency;
        ReportFx {
            allocation_id: f.allocation_id.clone(),
            payment_id: f.payment_id.clone(),
            invoice_id: f.invoice_id.clone(),
            amount: amount(f.amount, f.currency),
            currency: f.currency.code().to_string(),
            settlement_currency: s.code().to_string(),
            settlement_rate: f.settlement_rate.map(decimal),
            settled: amount(f.settled, s),
            invoice_date: f.invoice_date.map(date),
            invoice_rate: f.invoice_rate.map(decimal),
            at_invoice_rate: amount_opt(f.at_invoice_rate, s),
            difference: amount_opt(f.difference, s),
            note: f.note.clone(),
        }
    }
}

/// Totals in one currency; each side adds up when its balance is zero.
#[napi(object, object_from_js = false)]
pub struct ReportTotals {
    /// Currency.
    pub currency: String,
    /// Settled payments received.
    pub payments_received: String,
    /// Allocated to invoices.
    pub allocated: String,
    /// Unapplied (customer credit).
    pub unapplied: String,
    /// Refunded.
    pub refunded: String,
    /// Withdrawn by disputes.
    pub disputed: String,
    /// `received - (allocated + unapplied + refunded + disputed)`.
    pub payments_balance: String,
    /// Issued invoices' amount due.
    pub invoiced: String,
    /// Paid.
    pub paid: String,
    /// Written off.
    pub written_off: String,
    /// Open.
    pub open: String,
    /// Credited before payment by credit notes.
    pub credited: String,
    /// `invoiced - (paid + writtenOff + open + credited)`.
    pub invoices_balance: String,
    /// Both balances are zero.
    pub adds_up: bool,
}

fn totals(c: tieout::Currency, t: &CurrencyTotals) -> ReportTotals {
    ReportTotals {
        currency: c.code().to_string(),
        payments_received: amount(t.payments_received, c),
        allocated: amount(t.allocated, c),
        unapplied: amount(t.unapplied, c),
        refunded: amount(t.refunded, c),
        disputed: amount(t.disputed, c),
        payments_balance: amount(t.payments_balance, c),
        invoiced: amount(t.invoiced, c),
        paid: amount(t.paid, c),
        written_off: amount(t.written_off, c),
        open: amount(t.open, c),
        credited: amount(t.credited, c),
        invoices_balance: amount(t.invoices_balance, c),
        adds_up: t.adds_up,
    }
}

/// A payout matched to a bank deposit.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct PayoutPair {
    /// Books id of the payout.
    pub payout_id: String,
    /// Stripe id of the payout.
    pub payout_external_id: String,
    /// Books id of the bank line.
    pub bank_line_id: String,
    /// Amount.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Expected arrival date (`YYYY-MM-DD`).
    pub arrival_date: Option<String>,
    /// Bank booking date (`YYYY-MM-DD`).
    pub bank_date: String,
    /// Why they match.
    pub reason: String,
}

impl From<&PayoutDeposit> for PayoutPair {
    fn from(p: &PayoutDeposit) -> Self {
        PayoutPair {
            payout_id: p.payout_id.clone(),
            payout_external_id: p.payout_external_id.clone(),
            bank_line_id: p.bank_line_id.clone(),
            amount: amount(p.amount, p.currency),
            currency: p.currency.code().to_string(),
            arrival_date: p.arrival_date.map(date),
            bank_date: date(p.bank_date),
            reason: p.reason.clone(),
        }
    }
}

/// A payout with no bank deposit.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct UnmatchedPayoutLine {
    /// Books id.
    pub payout_id: String,
    /// Stripe id.
    pub external_id: String,
    /// Amount.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Expected arrival date.
    pub arrival_date: Option<String>,
    /// Status.
    pub status: String,
    /// Why it is unmatched.
    pub reason: String,
}

impl From<&UnmatchedPayout> for UnmatchedPayoutLine {
    fn from(p: &UnmatchedPayout) -> Self {
        UnmatchedPayoutLine {
            payout_id: p.payout_id.clone(),
            external_id: p.external_id.clone(),
            amount: amount(p.amount, p.currency),
            currency: p.currency.code().to_string(),
            arrival_date: p.arrival_date.map(date),
            status: p.status.clone(),
            reason: p.reason.clone(),
        }
    }
}

/// A bank deposit no payout claimed.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct UnmatchedDepositLine {
    /// Books id of the bank line.
    pub bank_line_id: String,
    /// Booking date.
    pub date: String,
    /// Amount.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Description.
    pub description: Option<String>,
    /// Reference.
    pub reference: Option<String>,
}

impl From<&UnmatchedDeposit> for UnmatchedDepositLine {
    fn from(d: &UnmatchedDeposit) -> Self {
        UnmatchedDepositLine {
            bank_line_id: d.bank_line_id.clone(),
            date: date(d.date),
            amount: amount(d.amount, d.currency),
            currency: d.currency.code().to_string(),
            description: d.description.clone(),
            reference: d.reference.clone(),
        }
    }
}

/// A payout against the balance transactions it settled.
#[napi(object, object_from_js = false)]
pub struct PayoutCheckLine {
    /// Books id of the payout.
    pub payout_id: String,
    /// Stripe id (`po_...`).
    pub external_id: String,
    /// Payout amount.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Stripe ids of the balance transactions found.
    pub balance_transactions: Vec<String>,
    /// Balance transaction ids the payout names that are not in the books.
    pub missing: Vec<String>,
    /// Sum of their net amounts.
    pub net_total: String,
    /// `amount - netTotal`; zero when the payout ties out.
    pub difference: String,
}

impl From<&PayoutCheck> for PayoutCheckLine {
    fn from(c: &PayoutCheck) -> Self {
        PayoutCheckLine {
            payout_id: c.payout_id.clone(),
            external_id: c.external_id.clone(),
            amount: amount(c.amount, c.currency),
            currency: c.currency.code().to_string(),
            balance_transactions: c.balance_transactions.clone(),
            missing: c.missing.clone(),
            net_total: amount(c.net_total, c.currency),
            difference: amount(c.difference, c.currency),
        }
    }
}

/// Payouts against bank deposits and balance transactions.
#[napi(object, object_from_js = false)]
pub struct PayoutMatchReport {
    /// Matched pairs (kept and new).
    pub pairs: Vec<PayoutPair>,
    /// Pairs made by this call.
    pub new_pairs: i64,
    /// Payouts without a deposit.
    pub unmatched_payouts: Vec<UnmatchedPayoutLine>,
    /// Deposits (positive bank lines) without a payout.
    pub unmatched_deposits: Vec<UnmatchedDepositLine>,
    /// Every payout against its balance transactions.
    pub checks: Vec<PayoutCheckLine>,
}

impl From<&tieout::PayoutMatchReport> for PayoutMatchReport {
    fn from(r: &tieout::PayoutMatchReport) -> Self {
        PayoutMatchReport {
            pairs: r.pairs.iter().map(Into::into).collect(),
            new_pairs: count(r.new_pairs as u64),
            unmatched_payouts: r.unmatched_payouts.iter().map(Into::into).collect(),
            unmatched_deposits: r.unmatched_deposits.iter().map(Into::into).collect(),
            checks: r.checks.iter().map(Into::into).collect(),
        }
    }
}

/// Everything one reconcile shows: allocations with reasons, write-offs, open
/// invoices, unapplied payments and credits, payouts against deposits, fees,
/// FX differences, and per-currency totals that add up.
#[napi(object, object_from_js = false)]
pub struct ReconcileReport {
    /// Every currency's totals add up.
    pub adds_up: bool,
    /// Payment allocations with reasons.
    pub allocations: Vec<ReportAllocation>,
    /// Write-offs under the tolerance policy.
    pub write_offs: Vec<ReportAllocation>,
    /// Open and partially paid invoices.
    pub open_invoices: Vec<ReportOpenInvoice>,
    /// Unapplied payments and credits.
    pub unapplied: Vec<ReportUnapplied>,
    /// Payouts against deposits and balance transactions.
    pub payouts: PayoutMatchReport,
    /// Fees per payment.
    pub fees: Vec<ReportFee>,
    /// Fee totals per settlement currency.
    pub fee_totals: Vec<ReportFeeTotals>,
    /// FX differences.
    pub fx: Vec<ReportFx>,
    /// Totals per currency.
    pub totals: Vec<ReportTotals>,
    /// Flat rows for a CSV export; every row has a `section` column.
    pub csv_rows: Vec<HashMap<String, String>>,
}

impl From<&tieout::ReconcileReport> for ReconcileReport {
    fn from(r: &tieout::ReconcileReport) -> Self {
        ReconcileReport {
            adds_up: r.adds_up(),
            allocations: r.allocations.iter().map(Into::into).collect(),
            write_offs: r.write_offs.iter().map(Into::into).collect(),
            open_invoices: r.open_invoices.iter().map(Into::into).collect(),
            unapplied: r.unapplied.iter().map(Into::into).collect(),
            payouts: (&r.payouts).into(),
            fees: r.fees.iter().map(Into::into).collect(),
            fee_totals: r
                .fee_totals
                .iter()
                .map(|(c, t)| fee_totals(*c, t))
                .collect(),
            fx: r.fx.iter().map(Into::into).collect(),
            totals: r.totals.iter().map(|(c, t)| totals(*c, t)).collect(),
            csv_rows: r
                .to_csv_rows()
                .into_iter()
                .map(|m| m.into_iter().collect())
                .collect(),
        }
    }
}

/// How a bank statement CSV is laid out. Every field is optional; the
/// defaults read `Date,Amount,Currency,Description,Reference` with ISO dates.
#[napi(object, object_to_js = false)]
pub struct CsvMappingOptions {
    /// Booking date column (header name, case-insensitive; default `Date`).
    pub date: Option<String>,
    /// Signed amount column, deposits positive (default `Amount`).
    pub amount: Option<String>,
    /// Currency column (default `Currency`; `null`: no column, use `defaultCurrency`).
    #[napi(ts_type = "string | null")]
    pub currency: Option<Either<String, Null>>,
    /// Description column (default `Description`; `null`: none).
    #[napi(ts_type = "string | null")]
    pub description: Option<Either<String, Null>>,
    /// Reference column (default `Reference`; `null`: none).
    #[napi(ts_type = "string | null")]
    pub reference: Option<Either<String, Null>>,
    /// chrono date format, e.g. `%Y-%m-%d` (default) or `%d.%m.%Y`.
    pub date_format: Option<String>,
    /// Currency when the file has none (ISO code).
    pub default_currency: Option<String>,
    /// Field delimiter, one character (default `,`).
    pub delimiter: Option<String>,
    /// Amounts written `1.234,56` (comma decimal, dot thousands).
    pub decimal_comma: Option<bool>,
    /// Bank account label stored on every line.
    pub account: Option<String>,
}

impl CsvMappingOptions {
    fn to_core(&self) -> tieout::Result<tieout::CsvMapping> {
        let mut m = tieout::CsvMapping::default();
        if let Some(v) = &self.date {
            m.date.clone_from(v);
        }
        if let Some(v) = &self.amount {
            m.amount.clone_from(v);
        }
        if let Some(v) = &self.currency {
            m.currency = column(v);
        }
        if let Some(v) = &self.description {
            m.description = column(v);
        }
        if let Some(v) = &self.reference {
            m.reference = column(v);
        }
        if let Some(v) = &self.date_format {
            m.date_format.clone_from(v);
        }
        if let Some(v) = &self.default_currency {
            m.default_currency = Some(tieout::Currency::parse(v)?);
        }
        if let Some(v) = &self.delimiter {
            let mut chars = v.chars();
            m.delimiter = match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => return Err(invalid("csv mapping: delimiter must be one character")),
            };
        }
        if let Some(v) = self.decimal_comma {
            m.decimal_comma = v;
        }
        if let Some(v) = &self.account {
            m.account = Some(v.clone());
        }
        Ok(m)
    }
}

/// A column name, or `null` for none.
fn column(v: &Either<String, Null>) -> Option<String> {
    match v {
        Either::A(name) => Some(name.clone()),
        Either::B(_) => None,
    }
}

/// Options of `Books#allocate`.
#[napi(object, object_to_js = false)]
pub struct AllocateOptions {
    /// A note kept in the allocation's reason.
    pub note: Option<String>,
}

#[napi]
impl Books {
    /// Re-runs policy matching for every customer with unapplied payments,
    /// matches payouts to bank deposits, commits, and returns the report.
    #[napi(ts_return_type = "Promise<ReconcileReport>")]
    pub fn reconcile<'env>(
        &self,
        env: &'env Env,
        policy: Option<ReconcilePolicyOptions>,
    ) -> napi::Result<PromiseRaw<'env, ReconcileReport>> {
        self.with_policy(env, policy, |b, p| {
            Ok(ReconcileReport::from(&b.reconcile(p)?))
        })
    }

    /// The reconcile report of the books as they are (nothing changes).
    #[napi(ts_return_type = "Promise<ReconcileReport>")]
    pub fn report<'env>(
        &self,
        env: &'env Env,
        policy: Option<ReconcilePolicyOptions>,
    ) -> napi::Result<PromiseRaw<'env, ReconcileReport>> {
        self.with_policy(env, policy, |b, p| Ok(ReconcileReport::from(&b.report(p)?)))
    }

    /// The tie-out report as one self-contained HTML page (inline SVG charts);
    /// open invoices age as of `asOf` (`YYYY-MM-DD`, default: today, UTC).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn report_html<'env>(
        &self,
        env: &'env Env,
        as_of: Option<String>,
        policy: Option<ReconcilePolicyOptions>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let as_of = match as_of {
            None => chrono::Utc::now().date_naive(),
            Some(s) => match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                Ok(d) => d,
                Err(_) => {
                    let e = tieout::Error::Core(tieout::CoreError::Invalid(format!(
                        "asOf must be YYYY-MM-DD, got {s:?}"
                    )));
                    return rejected(env, e);
                }
            },
        };
        self.with_policy(env, policy, move |b, p| b.report_html(p, as_of))
    }

    /// Matches payouts to bank deposits (one-to-one, exact amount, business-day
    /// window, payout id or descriptor preferred) and commits the pairs.
    #[napi(ts_return_type = "Promise<PayoutMatchReport>")]
    pub fn match_payouts<'env>(
        &self,
        env: &'env Env,
        policy: Option<ReconcilePolicyOptions>,
    ) -> napi::Result<PromiseRaw<'env, PayoutMatchReport>> {
        self.with_policy(env, policy, |b, p| {
            Ok(PayoutMatchReport::from(&b.match_payouts(p)?))
        })
    }

    /// Allocates `amount` (a decimal string) of a payment to an invoice by hand
    /// (strategy `manual`). Over-allocating a payment or an invoice is
    /// `ALLOCATION_REJECTED`; unknown ids are `NOT_FOUND`.
    #[napi(ts_return_type = "Promise<Allocation>")]
    pub fn allocate<'env>(
        &self,
        env: &'env Env,
        payment_id: String,
        invoice_id: String,
        amount: String,
        options: Option<AllocateOptions>,
    ) -> napi::Result<PromiseRaw<'env, Allocation>> {
        let amount = match parse_decimal("amount", &amount) {
            Ok(a) => a,
            Err(e) => return rejected(env, e),
        };
        let note = options.and_then(|o| o.note);
        let books = self.inner.clone();
        blocking(env, move || {
            let a = books.allocate_with_note(&payment_id, &invoice_id, amount, note.as_deref())?;
            Ok(Allocation::from(&a))
        })
    }

    /// Removes one allocation (any strategy) and recomputes the payment's and
    /// invoice's totals.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn unallocate<'env>(
        &self,
        env: &'env Env,
        allocation_id: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let books = self.inner.clone();
        blocking(env, move || books.unallocate(&allocation_id))
    }

    /// Imports bank statement lines from CSV text; re-importing the same
    /// statement changes nothing. Returns the statement's lines.
    #[napi(ts_return_type = "Promise<Array<BankLine>>")]
    pub fn import_bank_csv<'env>(
        &self,
        env: &'env Env,
        csv: String,
        mapping: Option<CsvMappingOptions>,
    ) -> napi::Result<PromiseRaw<'env, Vec<BankLine>>> {
        let mapping = match mapping.as_ref().map_or_else(
            || Ok(tieout::CsvMapping::default()),
            CsvMappingOptions::to_core,
        ) {
            Ok(m) => m,
            Err(e) => return rejected(env, e),
        };
        let books = self.inner.clone();
        blocking(env, move || {
            Ok(books
                .import_bank_csv(&csv, &mapping)?
                .iter()
                .map(BankLine::from)
                .collect())
        })
    }

    /// Imports bank statement lines from an ISO 20022 camt.053 XML document.
    #[napi(ts_return_type = "Promise<Array<BankLine>>")]
    pub fn import_bank_camt053<'env>(
        &self,
        env: &'env Env,
        xml: String,
    ) -> napi::Result<PromiseRaw<'env, Vec<BankLine>>> {
        let books = self.inner.clone();
        blocking(env, move || {
            Ok(books
                .import_bank_camt053(&xml)?
                .iter()
                .map(BankLine::from)
                .collect())
        })
    }
}
