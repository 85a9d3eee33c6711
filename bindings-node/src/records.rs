//! The books' records as plain JS objects (camelCase fields, amounts as decimal
//! strings, times as ISO-8601 strings; see `values`).

use std::collections::HashMap;

use napi_derive::napi;
use serde_json::Value;

use crate::values::{amount, amount_opt, count, date, decimal, instant, instant_opt};

/// Status of an invoice in the books.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceStatus {
    /// Not yet issued.
    Draft,
    /// Issued, nothing paid.
    Open,
    /// Issued, part paid.
    PartiallyPaid,
    /// Fully paid.
    Paid,
    /// Cancelled.
    Void,
    /// Written off as not collectible.
    Uncollectible,
}

impl From<tieout::InvoiceStatus> for InvoiceStatus {
    fn from(s: tieout::InvoiceStatus) -> Self {
        use tieout::InvoiceStatus as S;
        match s {
            S::Draft => Self::Draft,
            S::Open => Self::Open,
            S::PartiallyPaid => Self::PartiallyPaid,
            S::Paid => Self::Paid,
            S::Void => Self::Void,
            S::Uncollectible => Self::Uncollectible,
        }
    }
}

impl From<InvoiceStatus> for tieout::InvoiceStatus {
    fn from(s: InvoiceStatus) -> Self {
        use InvoiceStatus as S;
        match s {
            S::Draft => Self::Draft,
            S::Open => Self::Open,
            S::PartiallyPaid => Self::PartiallyPaid,
            S::Paid => Self::Paid,
            S::Void => Self::Void,
            S::Uncollectible => Self::Uncollectible,
        }
    }
}

/// Whether a customer is an organisation or a person.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerKind {
    /// An organisation.
    Company,
    /// A person.
    Contact,
}

impl From<tieout::CustomerKind> for CustomerKind {
    fn from(k: tieout::CustomerKind) -> Self {
        match k {
            tieout::CustomerKind::Company => Self::Company,
            tieout::CustomerKind::Contact => Self::Contact,
        }
    }
}

impl From<CustomerKind> for tieout::CustomerKind {
    fn from(k: CustomerKind) -> Self {
        match k {
            CustomerKind::Company => Self::Company,
            CustomerKind::Contact => Self::Contact,
        }
    }
}

/// The matching strategy that decided an allocation.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchStrategy {
    /// An invoice payment, or the invoice named on the charge / payment intent.
    ExplicitLink,
    /// The payment intent id is shared with an invoice.
    PaymentIntent,
    /// The charge id is shared with an invoice.
    Charge,
    /// A checkout session names the invoice.
    CheckoutSession,
    /// Payment metadata names the invoice.
    Metadata,
    /// Same customer and currency, open amount equal to the payment.
    ExactAmount,
    /// Oldest open invoice first.
    OldestFirst,
    /// Newest open invoice first.
    NewestFirst,
    /// Allocated by a person.
    Manual,
    /// Paid invoice imported with "mark paid only": no payment record.
    SourcePaid,
}

impl From<tieout::MatchStrategy> for MatchStrategy {
    fn from(s: tieout::MatchStrategy) -> Self {
        use tieout::MatchStrategy as S;
        match s {
            S::ExplicitLink => Self::ExplicitLink,
            S::PaymentIntent => Self::PaymentIntent,
            S::Charge => Self::Charge,
            S::CheckoutSession => Self::CheckoutSession,
            S::Metadata => Self::Metadata,
            S::ExactAmount => Self::ExactAmount,
            S::OldestFirst => Self::OldestFirst,
            S::NewestFirst => Self::NewestFirst,
            S::Manual => Self::Manual,
            S::SourcePaid => Self::SourcePaid,
        }
    }
}

/// Kind of allocation entry.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationKind {
    /// Money from a payment applied to an invoice.
    Payment,
    /// A small difference written off under the tolerance policy.
    WriteOff,
}

impl From<tieout::AllocationKind> for AllocationKind {
    fn from(k: tieout::AllocationKind) -> Self {
        match k {
            tieout::AllocationKind::Payment => Self::Payment,
            tieout::AllocationKind::WriteOff => Self::WriteOff,
        }
    }
}

/// Outcome of an import run.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Still going (or killed before finishing; a new run resumes it).
    Running,
    /// Finished with no failures.
    Succeeded,
    /// Finished; some records failed.
    PartiallyFailed,
    /// Stopped by an error.
    Failed,
}

impl From<tieout::RunStatus> for RunStatus {
    fn from(s: tieout::RunStatus) -> Self {
        match s {
            tieout::RunStatus::Running => Self::Running,
            tieout::RunStatus::Succeeded => Self::Succeeded,
            tieout::RunStatus::PartiallyFailed => Self::PartiallyFailed,
            tieout::RunStatus::Failed => Self::Failed,
        }
    }
}

/// The customer a record had in the source (kept for fixed-customer imports).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct OriginalCustomer {
    /// Source customer id (`cus_...`).
    pub external_id: String,
    /// Name as the source had it.
    pub name: Option<String>,
    /// Email as the source had it.
    pub email: Option<String>,
}

impl From<&tieout::OriginalCustomer> for OriginalCustomer {
    fn from(o: &tieout::OriginalCustomer) -> Self {
        OriginalCustomer {
            external_id: o.external_id.clone(),
            name: o.name.clone(),
            email: o.email.clone(),
        }
    }
}

/// Where an imported record came from.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct SourceRef {
    /// Source system: `"stripe"`.
    pub system: String,
    /// Source account (`acct_...`, or the files label).
    pub account: String,
    /// Stripe object type (`"invoice"`, `"charge"`, ...).
    pub object: String,
    /// The Stripe id (`in_...`).
    pub external_id: String,
    /// Status as Stripe reports it.
    pub status: Option<String>,
    /// A link a person can open (hosted invoice page, dashboard URL).
    pub url: Option<String>,
    /// Stripe timestamp of this snapshot (ISO-8601).
    pub updated_at: Option<String>,
    /// When the object was created in Stripe (ISO-8601).
    pub created_at: Option<String>,
    /// Live (true) or test data.
    pub livemode: bool,
    /// The original Stripe customer when imported under a fixed customer.
    pub original_customer: Option<OriginalCustomer>,
}

impl From<&tieout::SourceRef> for SourceRef {
    fn from(s: &tieout::SourceRef) -> Self {
        SourceRef {
            system: s.system.clone(),
            account: s.account.clone(),
            object: s.object.clone(),
            external_id: s.external_id.clone(),
            status: s.status.clone(),
            url: s.url.clone(),
            updated_at: instant_opt(s.updated_at),
            created_at: instant_opt(s.created_at),
            livemode: s.livemode,
            original_customer: s.original_customer.as_ref().map(Into::into),
        }
    }
}

/// A postal address.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Address {
    /// Street line 1.
    pub line1: Option<String>,
    /// Street line 2.
    pub line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO country code.
    pub country: Option<String>,
}

/// A customer: created in the books or imported from Stripe.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Customer {
    /// The books' own id.
    pub id: String,
    /// Source details; null for customers created in the books.
    pub source: Option<SourceRef>,
    /// Company or contact.
    pub kind: CustomerKind,
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Billing address.
    pub address: Option<Address>,
    /// Deleted in the source.
    pub deleted: bool,
    /// Source metadata.
    pub metadata: HashMap<String, String>,
}

impl From<&tieout::Customer> for Customer {
    fn from(c: &tieout::Customer) -> Self {
        Customer {
            id: c.id.clone(),
            source: c.source.as_ref().map(Into::into),
            kind: c.kind.into(),
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            address: c.address.as_ref().map(|a| Address {
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                state: a.state.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
            }),
            deleted: c.deleted,
            metadata: c.metadata.clone().into_iter().collect(),
        }
    }
}

/// One line of an invoice.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct InvoiceLine {
    /// Stripe id of the line (`il_...`).
    pub external_id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Quantity (decimal string).
    pub quantity: String,
    /// Unit amount, when known.
    pub unit_amount: Option<String>,
    /// Line amount (before invoice-level discounts and tax).
    pub amount: String,
    /// Tax on the line.
    pub tax: String,
    /// Service period start.
    pub period_start: Option<String>,
    /// Service period end.
    pub period_end: Option<String>,
    /// Stripe id of the price (or plan).
    pub price_ref: Option<String>,
    /// Stripe id of the product.
    pub product_ref: Option<String>,
    /// Stripe id of the subscription item.
    pub subscription_item_ref: Option<String>,
    /// A proration line.
    pub proration: bool,
}

/// An invoice. `amountPaid`, `amountRemaining` and `status` are the books' view,
/// derived from allocations; Stripe's own status is `source.status`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Invoice {
    /// The books' own id.
    pub id: String,
    /// Source details.
    pub source: SourceRef,
    /// Books id of the customer.
    pub customer_id: Option<String>,
    /// The customer as Stripe named it.
    pub customer_ref: Option<OriginalCustomer>,
    /// Books id of the subscription that billed it.
    pub subscription_id: Option<String>,
    /// Stripe id of that subscription.
    pub subscription_ref: Option<String>,
    /// Stripe ids of the payments Stripe names for it (charges, payment intents, ...).
    pub payment_refs: PaymentRefs,
    /// Invoice number (null until finalized).
    pub number: Option<String>,
    /// Books status.
    pub status: InvoiceStatus,
    /// ISO 4217 currency code, upper case.
    pub currency: String,
    /// Sum of lines before invoice discounts and exclusive tax.
    pub subtotal: String,
    /// Total discounts.
    pub discount: String,
    /// Total tax.
    pub tax: String,
    /// Total after discounts and tax.
    pub total: String,
    /// What the customer owes.
    pub amount_due: String,
    /// Paid, per the books' allocations.
    pub amount_paid: String,
    /// Still open, per the books.
    pub amount_remaining: String,
    /// Written off under the policy's tolerance.
    pub amount_written_off: String,
    /// What Stripe says was paid.
    pub source_amount_paid: String,
    /// Credited before payment by credit notes: never receivable.
    pub amount_credited: String,
    /// Credited before payment as the Stripe snapshot states it
    /// (`pre_payment_credit_notes_amount`; Stripe's `amount_due` already excludes it).
    pub source_credited: String,
    /// Issue (finalization) time.
    pub issued_at: Option<String>,
    /// Due date.
    pub due_date: Option<String>,
    /// When Stripe marked it paid.
    pub paid_at: Option<String>,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
    /// False when Stripe embedded only the first lines (`has_more`) and the rest
    /// could not be fetched: `lines` is partial and nothing sums it.
    pub lines_complete: bool,
    /// Source metadata.
    pub metadata: HashMap<String, String>,
    /// The write-off by hand, if any (`writeOff`).
    pub write_off: Option<InvoiceWriteOff>,
}

/// An invoice written off by hand (`books.writeOff`): `amount` is what was
/// open then; payments matched later recover it.
#[napi(object, object_from_js = false)]
pub struct InvoiceWriteOff {
    /// What was written off (decimal string).
    pub amount: String,
    /// Why.
    pub reason: String,
    /// When (ISO).
    pub at: String,
    /// What later payments recovered (decimal string).
    pub recovered: String,
    /// `written_off`, `partially_recovered` or `recovered`.
    pub state: String,
}

impl From<&tieout::Invoice> for Invoice {
    fn from(i: &tieout::Invoice) -> Self {
        let c = i.currency;
        Invoice {
            id: i.id.clone(),
            source: (&i.source).into(),
            customer_id: i.customer_id.clone(),
            customer_ref: i.customer_ref.as_ref().map(Into::into),
            subscription_id: i.subscription_id.clone(),
            subscription_ref: i.subscription_ref.clone(),
            payment_refs: (&i.payment_refs).into(),
            number: i.number.clone(),
            status: i.status.into(),
            currency: c.code().to_string(),
            subtotal: amount(i.subtotal, c),
            discount: amount(i.discount, c),
            tax: amount(i.tax, c),
            total: amount(i.total, c),
            amount_due: amount(i.amount_due, c),
            amount_paid: amount(i.amount_paid, c),
            amount_remaining: amount(i.amount_remaining, c),
            amount_written_off: amount(i.amount_written_off, c),
            write_off: i.write_off.as_ref().map(|w| InvoiceWriteOff {
                amount: amount(w.amount, c),
                reason: w.reason.clone(),
                at: instant(w.at),
                recovered: amount(w.recovered, c),
                state: w.state().to_string(),
            }),
            source_amount_paid: amount(i.source_amount_paid, c),
            amount_credited: amount(i.amount_credited, c),
            source_credited: amount(i.source_credited, c),
            issued_at: instant_opt(i.issued_at),
            due_date: instant_opt(i.due_date),
            paid_at: instant_opt(i.paid_at),
            lines: i
                .lines
                .iter()
                .map(|l| InvoiceLine {
                    external_id: l.external_id.clone(),
                    description: l.description.clone(),
                    quantity: decimal(l.quantity),
                    unit_amount: amount_opt(l.unit_amount, c),
                    amount: amount(l.amount, c),
                    tax: amount(l.tax, c),
                    period_start: instant_opt(l.period_start),
                    period_end: instant_opt(l.period_end),
                    price_ref: l.price_ref.clone(),
                    product_ref: l.product_ref.clone(),
                    subscription_item_ref: l.subscription_item_ref.clone(),
                    proration: l.proration,
                })
                .collect(),
            lines_complete: i.lines_complete,
            metadata: i.metadata.clone().into_iter().collect(),
        }
    }
}

/// The Stripe ids that name one payment.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct PaymentRefs {
    /// Charge id (`ch_...` / `py_...`).
    pub charge: Option<String>,
    /// Payment intent id (`pi_...`).
    pub payment_intent: Option<String>,
    /// Invoice payment ids (`inpay_...`).
    pub invoice_payments: Vec<String>,
    /// Balance transaction id (`txn_...`).
    pub balance_transaction: Option<String>,
    /// Checkout session id (`cs_...`).
    pub checkout_session: Option<String>,
    /// Invoice id, for a payment only known from a paid invoice.
    pub paid_invoice: Option<String>,
}

impl From<&tieout::PaymentRefs> for PaymentRefs {
    fn from(r: &tieout::PaymentRefs) -> Self {
        PaymentRefs {
            charge: r.charge.clone(),
            payment_intent: r.payment_intent.clone(),
            invoice_payments: r.invoice_payments.clone(),
            balance_transaction: r.balance_transaction.clone(),
            checkout_session: r.checkout_session.clone(),
            paid_invoice: r.paid_invoice.clone(),
        }
    }
}

/// One part of a fee (Stripe's `fee_details[]`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct FeeDetail {
    /// Amount.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// `stripe_fee`, `application_fee`, `tax`, ...
    pub kind: String,
    /// Description.
    pub description: Option<String>,
}

fn fee_details(f: &[tieout::FeeDetail]) -> Vec<FeeDetail> {
    f.iter()
        .map(|d| FeeDetail {
            amount: amount(d.amount, d.currency),
            currency: d.currency.code().to_string(),
            kind: d.kind.clone(),
            description: d.description.clone(),
        })
        .collect()
}

/// A payment received: one real movement of money however many Stripe objects
/// name it. Invariant: `amount = allocated + unapplied + refunded + disputed`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Payment {
    /// The books' own id.
    pub id: String,
    /// Source details of the most authoritative object seen.
    pub source: SourceRef,
    /// Every Stripe id naming this payment (charge, payment intent, invoice
    /// payments, balance transaction, checkout session, ...).
    pub external_ids: Vec<String>,
    /// The same ids by kind.
    pub refs: PaymentRefs,
    /// Books id of the customer.
    pub customer_id: Option<String>,
    /// The customer as Stripe named it.
    pub customer_ref: Option<OriginalCustomer>,
    /// Status.
    #[napi(ts_type = "'succeeded' | 'pending' | 'failed' | 'canceled' | (string & {})")]
    pub status: String,
    /// Presentment amount (what the customer paid).
    pub amount: String,
    /// Presentment currency.
    pub currency: String,
    /// Processing fee, in the settlement currency.
    pub fee: String,
    /// Fee breakdown.
    pub fee_details: Vec<FeeDetail>,
    /// Settlement amount less fee.
    pub net: Option<String>,
    /// Amount settled into the account, in `settlementCurrency`.
    pub settlement_amount: Option<String>,
    /// Settlement currency.
    pub settlement_currency: Option<String>,
    /// Presentment to settlement rate (decimal string).
    pub fx_rate: Option<String>,
    /// Payment method type (`card`, ...).
    pub method: Option<String>,
    /// When the money was received.
    pub received_at: Option<String>,
    /// Refunded so far (presentment currency).
    pub refunded: String,
    /// What the charge itself says was refunded (`amount_refunded`), when known:
    /// authoritative for the total; refund records add the detail.
    pub refunded_reported: Option<String>,
    /// Withdrawn by open or lost disputes.
    pub disputed: String,
    /// Allocated to invoices.
    pub allocated: String,
    /// Not allocated: customer credit awaiting a match.
    pub unapplied: String,
    /// Why the matcher left it unapplied.
    pub unapplied_reasons: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Source metadata.
    pub metadata: HashMap<String, String>,
}

impl From<&tieout::Payment> for Payment {
    fn from(p: &tieout::Payment) -> Self {
        let c = p.currency;
        let settle = p.settlement_currency.unwrap_or(c);
        Payment {
            id: p.id.clone(),
            source: (&p.source).into(),
            external_ids: p.external_ids(),
            refs: (&p.refs).into(),
            customer_id: p.customer_id.clone(),
            customer_ref: p.customer_ref.as_ref().map(Into::into),
            status: p.status.as_str().to_string(),
            amount: amount(p.amount, c),
            currency: c.code().to_string(),
            fee: amount(p.fee, settle),
            fee_details: fee_details(&p.fee_details),
            net: amount_opt(p.net, settle),
            settlement_amount: amount_opt(p.settlement_amount, settle),
            settlement_currency: p.settlement_currency.map(|s| s.code().to_string()),
            fx_rate: p.fx_rate.map(decimal),
            method: p.method.clone(),
            received_at: instant_opt(p.received_at),
            refunded: amount(p.refunded, c),
            refunded_reported: amount_opt(p.refunded_reported, c),
            disputed: amount(p.disputed, c),
            allocated: amount(p.allocated, c),
            unapplied: amount(p.unapplied, c),
            unapplied_reasons: p.unapplied_reasons.clone(),
            description: p.description.clone(),
            metadata: p.metadata.clone().into_iter().collect(),
        }
    }
}

/// Why an allocation exists.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AllocationReason {
    /// Deciding strategy.
    pub strategy: MatchStrategy,
    /// A sentence a person can read.
    pub detail: String,
}

/// Part of a payment applied to an invoice.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Allocation {
    /// The books' own id.
    pub id: String,
    /// Books id of the payment.
    pub payment_id: String,
    /// Books id of the invoice.
    pub invoice_id: String,
    /// Amount, in the invoice's currency.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Why.
    pub reason: AllocationReason,
    /// Payment or write-off.
    pub kind: AllocationKind,
    /// When the allocation was made.
    pub allocated_at: Option<String>,
}

impl From<&tieout::Allocation> for Allocation {
    fn from(a: &tieout::Allocation) -> Self {
        Allocation {
            id: a.id.clone(),
            payment_id: a.payment_id.clone(),
            invoice_id: a.invoice_id.clone(),
            amount: amount(a.amount, a.currency),
            currency: a.currency.code().to_string(),
            reason: AllocationReason {
                strategy: a.reason.strategy.into(),
                detail: a.reason.detail.clone(),
            },
            kind: a.kind.into(),
            allocated_at: instant_opt(a.allocated_at),
        }
    }
}

/// One item of a subscription.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct SubscriptionItem {
    /// Stripe id (`si_...`).
    pub external_id: Option<String>,
    /// Stripe id of the price or plan.
    pub price_ref: Option<String>,
    /// Stripe id of the product.
    pub product_ref: Option<String>,
    /// Quantity (decimal string).
    pub quantity: String,
    /// Unit amount.
    pub unit_amount: Option<String>,
    /// Billing interval.
    #[napi(ts_type = "'day' | 'week' | 'month' | 'year' | (string & {})")]
    pub interval: String,
    /// Units per billing period.
    pub interval_count: u32,
    /// Current period start.
    pub current_period_start: Option<String>,
    /// Current period end.
    pub current_period_end: Option<String>,
}

/// A subscription.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Subscription {
    /// The books' own id.
    pub id: String,
    /// Source details.
    pub source: SourceRef,
    /// Books id of the customer.
    pub customer_id: Option<String>,
    /// The customer as Stripe named it.
    pub customer_ref: Option<OriginalCustomer>,
    /// Status (Stripe's set).
    #[napi(
        ts_type = "'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused' | (string & {})"
    )]
    pub status: String,
    /// Currency.
    pub currency: String,
    /// Amount billed per interval (sum of items).
    pub amount: String,
    /// Billing interval.
    #[napi(ts_type = "'day' | 'week' | 'month' | 'year' | (string & {})")]
    pub interval: String,
    /// Intervals per billing period.
    pub interval_count: u32,
    /// Start date.
    pub start_date: Option<String>,
    /// Current period start.
    pub current_period_start: Option<String>,
    /// Current period end.
    pub current_period_end: Option<String>,
    /// Next billing date.
    pub next_billing_date: Option<String>,
    /// Cancels at the end of the period.
    pub cancel_at_period_end: bool,
    /// When it was cancelled.
    pub canceled_at: Option<String>,
    /// When it ended.
    pub ended_at: Option<String>,
    /// Trial end.
    pub trial_end: Option<String>,
    /// Items.
    pub items: Vec<SubscriptionItem>,
}

impl From<&tieout::Subscription> for Subscription {
    fn from(s: &tieout::Subscription) -> Self {
        let c = s.currency;
        Subscription {
            id: s.id.clone(),
            source: (&s.source).into(),
            customer_id: s.customer_id.clone(),
            customer_ref: s.customer_ref.as_ref().map(Into::into),
            status: s.status.as_str().to_string(),
            currency: c.code().to_string(),
            amount: amount(s.amount, c),
            interval: s.interval.as_str().to_string(),
            interval_count: s.interval_count,
            start_date: instant_opt(s.start_date),
            current_period_start: instant_opt(s.current_period_start),
            current_period_end: instant_opt(s.current_period_end),
            next_billing_date: instant_opt(s.next_billing_date),
            cancel_at_period_end: s.cancel_at_period_end,
            canceled_at: instant_opt(s.canceled_at),
            ended_at: instant_opt(s.ended_at),
            trial_end: instant_opt(s.trial_end),
            items: s
                .items
                .iter()
                .map(|i| SubscriptionItem {
                    external_id: i.external_id.clone(),
                    price_ref: i.price_ref.clone(),
                    product_ref: i.product_ref.clone(),
                    quantity: decimal(i.quantity),
                    unit_amount: amount_opt(i.unit_amount, c),
                    interval: i.interval.as_str().to_string(),
                    interval_count: i.interval_count,
                    current_period_start: instant_opt(i.current_period_start),
                    current_period_end: instant_opt(i.current_period_end),
                })
                .collect(),
        }
    }
}

/// A payout from Stripe to a bank account.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Payout {
    /// The books' own id.
    pub id: String,
    /// Source details.
    pub source: SourceRef,
    /// Amount paid out.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// `pending`, `in_transit`, `paid`, `failed`, `canceled`.
    pub status: String,
    /// Expected arrival date at the bank (`YYYY-MM-DD`).
    pub arrival_date: Option<String>,
    /// Automatic (scheduled) payout.
    pub automatic: bool,
    /// `standard` or `instant`.
    pub method: Option<String>,
    /// Statement descriptor shown on the bank statement.
    pub statement_descriptor: Option<String>,
    /// Stripe ids of the balance transactions it settled.
    pub balance_transaction_ids: Vec<String>,
    /// Books id of the bank statement line it was matched to.
    pub deposit_id: Option<String>,
}

impl From<&tieout::Payout> for Payout {
    fn from(p: &tieout::Payout) -> Self {
        Payout {
            id: p.id.clone(),
            source: (&p.source).into(),
            amount: amount(p.amount, p.currency),
            currency: p.currency.code().to_string(),
            status: p.status.clone(),
            arrival_date: p.arrival_date.map(date),
            automatic: p.automatic,
            method: p.method.clone(),
            statement_descriptor: p.statement_descriptor.clone(),
            balance_transaction_ids: p.balance_transaction_ids.clone(),
            deposit_id: p.deposit_id.clone(),
        }
    }
}

/// One line of a bank statement.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct BankLine {
    /// The books' own id.
    pub id: String,
    /// Bank account label.
    pub account: Option<String>,
    /// Booking date (`YYYY-MM-DD`).
    pub date: String,
    /// Signed amount (deposits positive).
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Free-text description.
    pub description: Option<String>,
    /// Bank reference.
    pub reference: Option<String>,
    /// Books id of the payout it was matched to.
    pub payout_id: Option<String>,
}

impl From<&tieout::BankLine> for BankLine {
    fn from(b: &tieout::BankLine) -> Self {
        BankLine {
            id: b.id.clone(),
            account: b.account.clone(),
            date: date(b.date),
            amount: amount(b.amount, b.currency),
            currency: b.currency.code().to_string(),
            description: b.description.clone(),
            reference: b.reference.clone(),
            payout_id: b.payout_id.clone(),
        }
    }
}

/// A refund of (part of) a payment.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Refund {
    /// The books' own id.
    pub id: String,
    /// Source details.
    pub source: SourceRef,
    /// Books id of the refunded payment, once resolved.
    pub payment_id: Option<String>,
    /// Stripe ids of the refunded payment.
    pub payment_refs: PaymentRefs,
    /// Amount refunded.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Stripe status (`succeeded`, `pending`, `failed`, `canceled`).
    pub status: String,
    /// Reason given.
    pub reason: Option<String>,
    /// When it was created.
    pub created_at: Option<String>,
    /// Balance transaction id.
    pub balance_transaction: Option<String>,
}

impl From<&tieout::Refund> for Refund {
    fn from(r: &tieout::Refund) -> Self {
        Refund {
            id: r.id.clone(),
            source: (&r.source).into(),
            payment_id: r.payment_id.clone(),
            payment_refs: (&r.payment_refs).into(),
            amount: amount(r.amount, r.currency),
            currency: r.currency.code().to_string(),
            status: r.status.clone(),
            reason: r.reason.clone(),
            created_at: instant_opt(r.created_at),
            balance_transaction: r.balance_transaction.clone(),
        }
    }
}

/// One line of a credit note.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CreditNoteLine {
    /// Stripe id of the line (`cnli_...`).
    pub external_id: Option<String>,
    /// `invoice_line_item` or `custom_line_item`.
    pub kind: String,
    /// Description.
    pub description: Option<String>,
    /// Quantity (decimal string).
    pub quantity: String,
    /// Amount credited by the line.
    pub amount: String,
    /// Stripe id of the invoice line it credits.
    pub invoice_line_ref: Option<String>,
}

/// A credit note against an invoice: before payment it reduces what is due
/// (`prePaymentAmount`), after payment it refunds, credits the customer balance or
/// is settled out of band (`postPaymentAmount`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CreditNote {
    /// The books' own id.
    pub id: String,
    /// Source details (status `issued` or `void`).
    pub source: SourceRef,
    /// Books id of the credited invoice, once resolved.
    pub invoice_id: Option<String>,
    /// Stripe id of the credited invoice.
    pub invoice_ref: String,
    /// Books id of the customer.
    pub customer_id: Option<String>,
    /// The customer as Stripe named it.
    pub customer_ref: Option<OriginalCustomer>,
    /// Credit note number.
    pub number: Option<String>,
    /// Currency.
    pub currency: String,
    /// Total credited.
    pub amount: String,
    /// Part that reduced the invoice's amount due.
    pub pre_payment_amount: String,
    /// Part issued after payment.
    pub post_payment_amount: String,
    /// Refunded.
    pub refund_amount: String,
    /// Credited to the customer balance.
    pub credit_amount: String,
    /// Settled out of band.
    pub out_of_band_amount: String,
    /// Stripe ids of its refunds.
    pub refund_refs: Vec<String>,
    /// Stripe id of its customer balance transaction.
    pub customer_balance_transaction: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// Memo.
    pub memo: Option<String>,
    /// When it took effect.
    pub effective_at: Option<String>,
    /// When it was voided.
    pub voided_at: Option<String>,
    /// Lines.
    pub lines: Vec<CreditNoteLine>,
}

impl From<&tieout::CreditNote> for CreditNote {
    fn from(n: &tieout::CreditNote) -> Self {
        let c = n.currency;
        CreditNote {
            id: n.id.clone(),
            source: (&n.source).into(),
            invoice_id: n.invoice_id.clone(),
            invoice_ref: n.invoice_ref.clone(),
            customer_id: n.customer_id.clone(),
            customer_ref: n.customer_ref.as_ref().map(Into::into),
            number: n.number.clone(),
            currency: c.code().to_string(),
            amount: amount(n.amount, c),
            pre_payment_amount: amount(n.pre_payment_amount, c),
            post_payment_amount: amount(n.post_payment_amount, c),
            refund_amount: amount(n.refund_amount, c),
            credit_amount: amount(n.credit_amount, c),
            out_of_band_amount: amount(n.out_of_band_amount, c),
            refund_refs: n.refund_refs.clone(),
            customer_balance_transaction: n.customer_balance_transaction.clone(),
            reason: n.reason.clone(),
            memo: n.memo.clone(),
            effective_at: instant_opt(n.effective_at),
            voided_at: instant_opt(n.voided_at),
            lines: n
                .lines
                .iter()
                .map(|l| CreditNoteLine {
                    external_id: l.external_id.clone(),
                    kind: l.kind.clone(),
                    description: l.description.clone(),
                    quantity: decimal(l.quantity),
                    amount: amount(l.amount, c),
                    invoice_line_ref: l.invoice_line_ref.clone(),
                })
                .collect(),
        }
    }
}

/// A dispute (chargeback) against a payment.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Dispute {
    /// The books' own id.
    pub id: String,
    /// Source details.
    pub source: SourceRef,
    /// Books id of the disputed payment, once resolved.
    pub payment_id: Option<String>,
    /// Stripe ids of the disputed payment.
    pub payment_refs: PaymentRefs,
    /// Disputed amount.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Stripe's dispute status.
    #[napi(
        ts_type = "'warning_needs_response' | 'warning_under_review' | 'warning_closed' | 'needs_response' | 'under_review' | 'won' | 'lost' | 'prevented' | (string & {})"
    )]
    pub status: String,
    /// Reason given.
    pub reason: Option<String>,
    /// When it was opened.
    pub created_at: Option<String>,
}

fn dispute_status(s: &tieout::DisputeStatus) -> String {
    use tieout::DisputeStatus as S;
    match s {
        S::WarningNeedsResponse => "warning_needs_response",
        S::WarningUnderReview => "warning_under_review",
        S::WarningClosed => "warning_closed",
        S::NeedsResponse => "needs_response",
        S::UnderReview => "under_review",
        S::Won => "won",
        S::Lost => "lost",
        S::Prevented => "prevented",
        S::Other(o) => o.as_str(),
    }
    .to_string()
}

impl From<&tieout::Dispute> for Dispute {
    fn from(d: &tieout::Dispute) -> Self {
        Dispute {
            id: d.id.clone(),
            source: (&d.source).into(),
            payment_id: d.payment_id.clone(),
            payment_refs: (&d.payment_refs).into(),
            amount: amount(d.amount, d.currency),
            currency: d.currency.code().to_string(),
            status: dispute_status(&d.status),
            reason: d.reason.clone(),
            created_at: instant_opt(d.created_at),
        }
    }
}

/// A balance transaction (gross, fee, net in the settlement currency).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct BalanceTransaction {
    /// The books' own id.
    pub id: String,
    /// Source details.
    pub source: SourceRef,
    /// Gross amount, signed.
    pub amount: String,
    /// Settlement currency.
    pub currency: String,
    /// Fee.
    pub fee: String,
    /// Fee breakdown.
    pub fee_details: Vec<FeeDetail>,
    /// `amount - fee`.
    pub net: String,
    /// Presentment to settlement rate, when converted.
    pub exchange_rate: Option<String>,
    /// Stripe `type` (charge, refund, payout, ...).
    pub kind: String,
    /// Stripe `reporting_category`.
    pub reporting_category: Option<String>,
    /// `pending` or `available`.
    pub status: Option<String>,
    /// When the funds become available.
    pub available_on: Option<String>,
    /// The originating Stripe object id (`ch_...`, `re_...`, `po_...`).
    pub source_object: Option<String>,
    /// The payout that settled it, when known.
    pub payout_ref: Option<String>,
    /// Books id of the payment it belongs to, once resolved.
    pub payment_id: Option<String>,
}

impl From<&tieout::BalanceTransaction> for BalanceTransaction {
    fn from(b: &tieout::BalanceTransaction) -> Self {
        let c = b.currency;
        BalanceTransaction {
            id: b.id.clone(),
            source: (&b.source).into(),
            amount: amount(b.amount, c),
            currency: c.code().to_string(),
            fee: amount(b.fee, c),
            fee_details: fee_details(&b.fee_details),
            net: amount(b.net, c),
            exchange_rate: b.exchange_rate.map(decimal),
            kind: b.kind.clone(),
            reporting_category: b.reporting_category.clone(),
            status: b.status.clone(),
            available_on: instant_opt(b.available_on),
            source_object: b.source_object.clone(),
            payout_ref: b.payout_ref.clone(),
            payment_id: b.payment_id.clone(),
        }
    }
}

/// Something sold.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Product {
    /// The books' own id.
    pub id: String,
    /// Source details.
    pub source: SourceRef,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Still sold.
    pub active: bool,
}

impl From<&tieout::Product> for Product {
    fn from(p: &tieout::Product) -> Self {
        Product {
            id: p.id.clone(),
            source: (&p.source).into(),
            name: p.name.clone(),
            description: p.description.clone(),
            active: p.active,
        }
    }
}

/// A price of a product (one-off or recurring).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Price {
    /// The books' own id.
    pub id: String,
    /// Source details (`object` is `price` or `plan`).
    pub source: SourceRef,
    /// Books id of the product, once resolved.
    pub product_id: Option<String>,
    /// Stripe id of the product.
    pub product_ref: Option<String>,
    /// Currency.
    pub currency: String,
    /// Unit amount (may have sub-minor digits).
    pub unit_amount: Option<String>,
    /// Billing interval; null for one-off prices.
    pub interval: Option<String>,
    /// Units between bills; null for one-off prices.
    pub interval_count: Option<u32>,
    /// Still usable.
    pub active: bool,
    /// Nickname.
    pub nickname: Option<String>,
}

impl From<&tieout::Price> for Price {
    fn from(p: &tieout::Price) -> Self {
        Price {
            id: p.id.clone(),
            source: (&p.source).into(),
            product_id: p.product_id.clone(),
            product_ref: p.product_ref.clone(),
            currency: p.currency.code().to_string(),
            unit_amount: amount_opt(p.unit_amount, p.currency),
            interval: p
                .recurring
                .as_ref()
                .map(|r| r.interval.as_str().to_string()),
            interval_count: p.recurring.as_ref().map(|r| r.interval_count),
            active: p.active,
            nickname: p.nickname.clone(),
        }
    }
}

/// Counters for one object type (or a whole run).
#[napi(object, object_from_js = false)]
pub struct Counts {
    /// Records created.
    pub created: i64,
    /// Records updated.
    pub updated: i64,
    /// Records seen and unchanged.
    pub unchanged: i64,
    /// Records skipped (filters, stale snapshots).
    pub skipped: i64,
    /// Records that failed.
    pub failed: i64,
}

impl From<&tieout::Counts> for Counts {
    fn from(c: &tieout::Counts) -> Self {
        Counts {
            created: count(c.created),
            updated: count(c.updated),
            unchanged: count(c.unchanged),
            skipped: count(c.skipped),
            failed: count(c.failed),
        }
    }
}

/// A record that could not be imported.
#[napi(object, object_from_js = false)]
pub struct Failure {
    /// Stripe object type (or `"file"` for unreadable input).
    pub object: String,
    /// Stripe id, or the file path for unreadable input.
    pub external_id: String,
    /// What went wrong.
    pub error: String,
}

pub(crate) fn failures(f: &[tieout::Failure]) -> Vec<Failure> {
    f.iter()
        .map(|f| Failure {
            object: f.object.clone(),
            external_id: f.external_id.clone(),
            error: f.error.clone(),
        })
        .collect()
}

/// One import run in the history.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ImportRun {
    /// Run id.
    pub id: String,
    /// Status.
    pub status: RunStatus,
    /// Start time.
    pub started_at: String,
    /// End time.
    pub finished_at: Option<String>,
    /// Records created.
    pub created: i64,
    /// Records updated.
    pub updated: i64,
    /// Records unchanged.
    pub unchanged: i64,
    /// Records skipped.
    pub skipped: i64,
    /// Records failed.
    pub failed: i64,
    /// The same counts as one object.
    pub totals: Counts,
    /// Failed records.
    pub failures: Vec<Failure>,
    /// Counts per Stripe object type.
    pub by_object: HashMap<String, Counts>,
    /// Hash of the plan it ran.
    pub plan_hash: String,
    /// Source system and account (`stripe:acct_...`).
    pub source: String,
    /// `live` or `test`.
    pub mode: String,
    /// Notes (resumed from a checkpoint, post-import actions, ...).
    pub notes: Vec<String>,
    /// Error that stopped the run, if any.
    pub error: Option<String>,
    /// The plan it ran, as the checklist its review showed (imports only).
    pub summary: Option<ReviewSummary>,
}

impl From<&tieout::ImportRun> for ImportRun {
    fn from(r: &tieout::ImportRun) -> Self {
        ImportRun {
            id: r.id.clone(),
            status: r.status.into(),
            started_at: instant(r.started_at),
            finished_at: instant_opt(r.finished_at),
            created: count(r.totals.created),
            updated: count(r.totals.updated),
            unchanged: count(r.totals.unchanged),
            skipped: count(r.totals.skipped),
            failed: count(r.totals.failed),
            totals: (&r.totals).into(),
            failures: failures(&r.failures),
            by_object: r
                .by_object
                .iter()
                .map(|(k, v)| (k.clone(), v.into()))
                .collect(),
            plan_hash: r.plan_hash.clone(),
            source: r.source.clone(),
            mode: r.mode.clone(),
            notes: r.notes.clone(),
            error: r.error.clone(),
            summary: r.summary.as_ref().map(Into::into),
        }
    }
}

/// Who a source is: the account and mode, as verified.
#[napi(object, object_from_js = false)]
pub struct AccountInfo {
    /// Source system (`"stripe"`).
    pub system: String,
    /// Account id (`acct_...`), or a stable label for offline sources.
    pub account: String,
    /// Live data (true) or test data.
    pub livemode: bool,
    /// `"secret"`, `"restricted"`, or `"files"` for offline sources.
    pub key_kind: String,
}

impl From<&tieout::AccountInfo> for AccountInfo {
    fn from(a: &tieout::AccountInfo) -> Self {
        AccountInfo {
            system: a.system.clone(),
            account: a.account.clone(),
            livemode: a.livemode,
            key_kind: a.key_kind.clone(),
        }
    }
}

/// What happens to one source record.
#[napi(string_enum = "snake_case")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewAction {
    /// A new books record.
    Create,
    /// An existing record changes (see `changes`).
    Update,
    /// Seen, nothing changes.
    Unchanged,
    /// Left out (see `reason`).
    Skipped,
    /// Could not be imported (see `reason`).
    Failed,
}

/// One field that changes.
#[napi(object, object_from_js = false)]
pub struct FieldChange {
    /// Dotted path, e.g. `lines.0.amount`.
    pub path: String,
    /// Value before (JSON; amounts are strings), null when absent.
    pub before: Value,
    /// Value after (JSON), null when removed.
    pub after: Value,
}

/// The planned fate of one source record.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ReviewEntry {
    /// Stripe object type.
    pub object: String,
    /// Stripe id.
    pub external_id: String,
    /// Books id of the record (empty for skipped or failed records).
    pub books_id: String,
    /// What happens.
    pub action: ReviewAction,
    /// Changed fields (updates only; empty otherwise).
    pub changes: Vec<FieldChange>,
    /// Why it is skipped or failed.
    pub reason: Option<String>,
}

impl From<&tieout::ReviewEntry> for ReviewEntry {
    fn from(e: &tieout::ReviewEntry) -> Self {
        let (action, changes, reason) = match &e.action {
            tieout::Action::Create => (ReviewAction::Create, Vec::new(), None),
            tieout::Action::Update { changes } => (
                ReviewAction::Update,
                changes
                    .iter()
                    .map(|c| FieldChange {
                        path: c.path.clone(),
                        before: c.before.clone(),
                        after: c.after.clone(),
                    })
                    .collect(),
                None,
            ),
            tieout::Action::Unchanged => (ReviewAction::Unchanged, Vec::new(), None),
            tieout::Action::Skipped { reason } => {
                (ReviewAction::Skipped, Vec::new(), Some(reason.clone()))
            }
            tieout::Action::Failed { error } => {
                (ReviewAction::Failed, Vec::new(), Some(error.clone()))
            }
        };
        ReviewEntry {
            object: e.object.clone(),
            external_id: e.external_id.clone(),
            books_id: e.books_id.clone(),
            action,
            changes,
            reason,
        }
    }
}

/// Amount totals of one object type in one currency (created and updated records).
#[napi(object, object_from_js = false)]
pub struct ReviewTotal {
    /// Stripe object type.
    pub object: String,
    /// Currency.
    pub currency: String,
    /// Records.
    pub count: i64,
    /// Sum of their amounts.
    pub amount: String,
}

/// The import plan as the checklist a person approves (stable snake_case values).
#[napi(object, object_from_js = false)]
pub struct ReviewSummary {
    /// Source system (`stripe`).
    pub system: String,
    /// Account id.
    pub account: String,
    /// Live data (true) or test data.
    pub livemode: bool,
    /// Key kind: `secret`, `restricted`, or `files`.
    pub key_kind: String,
    /// Object kinds in scope.
    pub objects: Vec<String>,
    /// `from_source` or `fixed`.
    pub customer_resolution: String,
    /// The books customer everything is filed under (`fixed` only).
    pub fixed_customer: Option<String>,
    /// Match source customers to books customers by email first.
    pub match_by_email: bool,
    /// `all`, `allow` or `exclude`.
    pub customer_filter: String,
    /// The customers the filter lists (ids or emails).
    pub filter_customers: Vec<String>,
    /// Only records created at or after this time (ISO-8601).
    pub created_from: Option<String>,
    /// Only records created at or before this time (ISO-8601).
    pub created_to: Option<String>,
    /// Invoice statuses imported (empty: all).
    pub invoice_statuses: Vec<String>,
    /// `record_payment` or `mark_paid_only`.
    pub paid_invoices: String,
    /// `keep_status` or `as_drafts`.
    pub unpaid_invoices: String,
    /// `oldest_first`, `newest_first` or `leave_unapplied`.
    pub allocation_order: String,
    /// Policy matching runs at the end of the import.
    pub match_on_import: bool,
    /// Write-off tolerance, absolute (decimal string).
    pub write_off_abs: String,
    /// Write-off tolerance, percent (decimal string).
    pub write_off_pct: String,
    /// `separate_expense` or `net`.
    pub fees: String,
    /// `report_difference` or `ignore`.
    pub fx: String,
    /// Actions run after the import.
    pub post_actions: Vec<String>,
    /// The plan allows a live-mode source.
    pub allow_live: bool,
}

impl From<&tieout::ReviewSummary> for ReviewSummary {
    fn from(s: &tieout::ReviewSummary) -> Self {
        ReviewSummary {
            system: s.system.clone(),
            account: s.account.clone(),
            livemode: s.livemode,
            key_kind: s.key_kind.clone(),
            objects: s.objects.clone(),
            customer_resolution: s.customer_resolution.clone(),
            fixed_customer: s.fixed_customer.clone(),
            match_by_email: s.match_by_email,
            customer_filter: s.customer_filter.clone(),
            filter_customers: s.filter_customers.clone(),
            created_from: instant_opt(s.created_from),
            created_to: instant_opt(s.created_to),
            invoice_statuses: s.invoice_statuses.clone(),
            paid_invoices: s.paid_invoices.clone(),
            unpaid_invoices: s.unpaid_invoices.clone(),
            allocation_order: s.allocation_order.clone(),
            match_on_import: s.match_on_import,
            write_off_abs: s.write_off_abs.normalize().to_string(),
            write_off_pct: s.write_off_pct.normalize().to_string(),
            fees: s.fees.clone(),
            fx: s.fx.clone(),
            post_actions: s.post_actions.clone(),
            allow_live: s.allow_live,
        }
    }
}
