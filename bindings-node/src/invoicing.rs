//! `Books#createInvoice`, `issueInvoice`, `voidInvoice` (own invoices) and
//! `reviewCustomerPushes`, `pushCustomers`, `stripeCustomerLink` (books
//! customers pushed to Stripe). Amounts are decimal strings, times ISO.

use chrono::{DateTime, Utc};
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::{Value, json};
use tieout::writes::WriteOptions;
use tieout::{Currency, DraftLine, InvoiceDraft, LineKind, StripeTarget, StripeWriter};

use crate::books::Books;
use crate::records::Invoice;
use crate::task::{blocking, rejected};
use crate::values::{parse_decimal, parse_instant};

/// One line of `Books#createInvoice`.
#[napi(object, object_to_js = false)]
pub struct InvoiceLineInput {
    /// `item` (default), `tax` or `discount` (tax and discount as amounts).
    pub kind: Option<String>,
    /// What the line is for.
    pub description: String,
    /// Quantity, a decimal string (default "1").
    pub quantity: Option<String>,
    /// Unit amount (items) or amount (tax, discount), a decimal string.
    pub unit_amount: Option<String>,
    /// Amount, for tax and discount lines (same as `unitAmount`).
    pub amount: Option<String>,
}

/// Input of `Books#createInvoice`.
#[napi(object, object_to_js = false)]
pub struct CreateInvoiceInput {
    /// Books id of the customer billed.
    pub customer_id: String,
    /// Lines: items, then tax and discount lines.
    pub lines: Vec<InvoiceLineInput>,
    /// ISO currency code.
    pub currency: String,
    /// Due date (ISO time).
    pub due_date: Option<String>,
    /// Number prefix (default `INV-`).
    pub prefix: Option<String>,
    /// A note on the invoice.
    pub memo: Option<String>,
    /// The caller's key: creating again with it returns the same invoice.
    pub key: Option<String>,
}

/// Options of `Books#paymentLink`.
#[napi(object, object_to_js = false)]
pub struct PaymentLinkOptions {
    /// Secret or restricted key.
    pub api_key: String,
    /// API base URL (default api.stripe.com).
    pub base_url: Option<String>,
    /// Where Stripe sends the customer after paying.
    pub success_url: String,
    /// Where Stripe sends a customer who cancels.
    pub cancel_url: String,
    /// Save the card for off-session charges (default false).
    pub save_card: Option<bool>,
    /// The review's approval token (live keys).
    pub approval: Option<String>,
    /// The time of the call (ISO; default now).
    pub now: Option<String>,
}

/// Where and how `Books#pushCustomers` writes.
#[napi(object, object_to_js = false)]
pub struct StripeWriteOptions {
    /// Secret or restricted key.
    pub api_key: String,
    /// API base URL (default api.stripe.com).
    pub base_url: Option<String>,
    /// Only these books customers.
    pub only: Option<Vec<String>>,
    /// The review's approval token (live keys).
    pub approval: Option<String>,
    /// The time of the run (ISO; default now).
    pub now: Option<String>,
}

pub(crate) fn now_of(now: Option<&str>) -> tieout::Result<DateTime<Utc>> {
    match now {
        Some(t) => parse_instant("now", t),
        None => Ok(Utc::now()),
    }
}

fn draft_of(i: &CreateInvoiceInput) -> tieout::Result<InvoiceDraft> {
    let mut d = InvoiceDraft::new(&i.customer_id, Currency::parse(&i.currency)?);
    for (n, l) in i.lines.iter().enumerate() {
        let kind = match l.kind.as_deref() {
            None | Some("item") => LineKind::Item,
            Some("tax") => LineKind::Tax,
            Some("discount") => LineKind::Discount,
            Some(other) => {
                return Err(tieout::CoreError::Invalid(format!(
                    "line {}: kind must be item, tax or discount, not {other:?}",
                    n + 1
                ))
                .into());
            }
        };
        let unit = l
            .unit_amount
            .as_deref()
            .or(l.amount.as_deref())
            .ok_or_else(|| {
                tieout::CoreError::Invalid(format!("line {} needs unitAmount (or amount)", n + 1))
            })?;
        d.lines.push(DraftLine {
            kind,
            description: l.description.clone(),
            quantity: match &l.quantity {
                Some(q) => parse_decimal("quantity", q)?,
                None => rust_decimal::Decimal::ONE,
            },
            unit_amount: parse_decimal("unitAmount", unit)?,
        });
    }
    if let Some(t) = &i.due_date {
        d.due_date = Some(parse_instant("dueDate", t)?);
    }
    if let Some(p) = &i.prefix {
        d.prefix = p.clone();
    }
    d.memo = i.memo.clone();
    Ok(d)
}

fn writer_of(o: &StripeWriteOptions) -> tieout::Result<StripeWriter> {
    let w = StripeWriter::new(o.api_key.clone())?;
    Ok(match &o.base_url {
        Some(u) => w.base_url(u),
        None => w,
    })
}

#[napi]
impl Books {
    /// Creates a draft invoice the books issue themselves.
    #[napi(ts_return_type = "Promise<Invoice>")]
    pub fn create_invoice<'env>(
        &self,
        env: &'env Env,
        input: CreateInvoiceInput,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Invoice>> {
        let (draft, now) = match draft_of(&input).and_then(|d| Ok((d, now_of(now.as_deref())?))) {
            Ok(x) => x,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            let i = b.create_invoice(&draft, input.key.as_deref(), now)?;
            Ok(Invoice::from(&i))
        })
    }

    /// Issues a draft own invoice: the next number of its prefix, open from `now`.
    #[napi(ts_return_type = "Promise<Invoice>")]
    pub fn issue_invoice<'env>(
        &self,
        env: &'env Env,
        invoice_id: String,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Invoice>> {
        let now = match now_of(now.as_deref()) {
            Ok(t) => t,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            Ok(Invoice::from(&b.issue_invoice(&invoice_id, now)?))
        })
    }

    /// Voids an own invoice (a draft, or open with nothing paid).
    #[napi(ts_return_type = "Promise<Invoice>")]
    pub fn void_invoice<'env>(
        &self,
        env: &'env Env,
        invoice_id: String,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Invoice>> {
        let now = match now_of(now.as_deref()) {
            Ok(t) => t,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            Ok(Invoice::from(&b.void_invoice(&invoice_id, now)?))
        })
    }

    /// The customer pushes a run would make: `{account, livemode, writes,
    /// approval}`; nothing is written.
    #[napi(
        ts_return_type = "Promise<{ account: string; livemode: boolean; writes: Array<Record<string, any>>; approval: string }>"
    )]
    pub fn review_customer_pushes<'env>(
        &self,
        env: &'env Env,
        options: StripeWriteOptions,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let w = writer_of(&options)?;
            let now = now_of(options.now.as_deref())?;
            let target = StripeTarget::of(&w)?;
            let plan = b.review_customer_pushes(&target, options.only.as_deref(), now)?;
            Ok(json!({
                "account": plan.account, "livemode": plan.livemode,
                "writes": plan.intents, "approval": plan.approval().token,
            }))
        })
    }

    /// Pushes books customers to Stripe, each write once (live keys need the
    /// review's `approval`); resolves to the keys by outcome.
    #[napi(ts_return_type = "Promise<Record<string, Array<string>>>")]
    pub fn push_customers<'env>(
        &self,
        env: &'env Env,
        options: StripeWriteOptions,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let w = writer_of(&options)?;
            let now = now_of(options.now.as_deref())?;
            let approval = options
                .approval
                .clone()
                .map(|token| tieout::core::writes::WriteApproval { token });
            let r = b.push_customers(
                &w,
                options.only.as_deref(),
                approval.as_ref(),
                now,
                &WriteOptions::default(),
            )?;
            Ok(json!({
                "delivered": r.delivered, "resolved": r.resolved, "alreadyDone": r.already_done,
                "cancelled": r.cancelled, "retrying": r.retrying, "failed": r.failed,
                "unknown": r.unknown,
            }))
        })
    }

    /// The invoice's Stripe payment link (a Checkout Session): the active one
    /// while unexpired and charging the open amount, else a new one (the old
    /// one expired): `{url, sessionId, amount, expiresAt, created}`.
    #[napi(
        ts_return_type = "Promise<{ url: string; sessionId: string; amount: string; expiresAt: string; created: boolean }>"
    )]
    pub fn payment_link<'env>(
        &self,
        env: &'env Env,
        invoice_id: String,
        options: PaymentLinkOptions,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let w = StripeWriter::new(options.api_key.clone())?;
            let w = match &options.base_url {
                Some(u) => w.base_url(u),
                None => w,
            };
            let settings = tieout::CheckoutSettings {
                save_card: options.save_card.unwrap_or(false),
                success_url: options.success_url.clone(),
                cancel_url: options.cancel_url.clone(),
            };
            let approval = options
                .approval
                .clone()
                .map(|token| tieout::core::writes::WriteApproval { token });
            let now = now_of(options.now.as_deref())?;
            let l = b.payment_link(
                &invoice_id,
                &w,
                &settings,
                approval.as_ref(),
                now,
                &WriteOptions::default(),
            )?;
            Ok(json!({
                "url": l.url, "sessionId": l.session_id,
                "amount": l.amount.to_string(),
                "expiresAt": crate::values::instant(l.expires_at), "created": l.created,
            }))
        })
    }

    /// The Stripe customer a books customer is linked to in `account`, or null.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn stripe_customer_link<'env>(
        &self,
        env: &'env Env,
        customer_id: String,
        account: String,
    ) -> napi::Result<PromiseRaw<'env, Option<String>>> {
        let b = self.inner.clone();
        blocking(env, move || b.stripe_customer_link(&customer_id, &account))
    }
}
