//! `Books#autoPay`, `setDefaultPaymentMethod`, `enableAutoPay`,
//! `disableAutoPay`, `saveCardFromCheckout`, `reviewAutoPay`, `runAutoPay`:
//! auto-pay over the facade. Amounts are decimal strings, times ISO.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{FnArgs, PromiseRaw};
use napi_derive::napi;
use serde_json::{Value, json};
use tieout::autopay::{AutoPay, AutoPayOptions, AutoPayReport, AutoPaySource};
use tieout::writes::{FaultPoint, WriteOptions, WriteReport};
use tieout::{StripeTarget, StripeWriter};

use crate::books::Books;
use crate::callbacks::{Returned, call_and_wait};
use crate::receivables::{Channels, FaultFn};
use crate::task::blocking;
use crate::values::{instant, instant_opt, parse_instant};

/// Options of `Books#reviewAutoPay` and `Books#runAutoPay`.
#[napi(object, object_to_js = false)]
pub struct AutoPayRunOptions {
    /// Secret or restricted key.
    pub api_key: String,
    /// API base URL (default api.stripe.com).
    pub base_url: Option<String>,
    /// The review's approval token (live keys).
    pub approval: Option<String>,
    /// The time of the run (ISO; default now).
    pub now: Option<String>,
    /// Channel names (of the `channels` argument) refusal notices go through.
    pub notify: Option<Vec<String>>,
    /// With `cancelUrl`: notices carry a payment link (a Checkout Session).
    pub success_url: Option<String>,
    /// Where a customer who cancels the payment link is sent.
    pub cancel_url: Option<String>,
    /// Tests: `(key, point) => true` stops the run at `recorded` or
    /// `performed` as a crash would (the Promise rejects with `ABORTED`).
    #[napi(ts_type = "(key: string, point: string) => boolean")]
    pub fault: Option<FaultFn>,
}

fn now_of(now: Option<&str>) -> tieout::Result<chrono::DateTime<chrono::Utc>> {
    match now {
        Some(t) => parse_instant("now", t),
        None => Ok(chrono::Utc::now()),
    }
}

fn writer_of(o: &AutoPayRunOptions) -> tieout::Result<StripeWriter> {
    let w = StripeWriter::new(o.api_key.clone())?;
    Ok(match &o.base_url {
        Some(u) => w.base_url(u),
        None => w,
    })
}

fn source_json(s: Option<&AutoPaySource>) -> Value {
    match s {
        None => Value::Null,
        Some(AutoPaySource::Checkout { session }) => {
            json!({"kind": "checkout", "session": session})
        }
        Some(AutoPaySource::Explicit) => json!({"kind": "explicit"}),
        Some(AutoPaySource::Decline { write_key }) => {
            json!({"kind": "decline", "writeKey": write_key})
        }
    }
}

fn setting_json(a: &AutoPay) -> Value {
    json!({
        "customerId": a.customer_id, "enabled": a.enabled,
        "paymentMethod": a.payment_method, "stripeCustomer": a.stripe_customer,
        "account": a.account, "enabledAt": instant_opt(a.enabled_at),
        "enabledVia": source_json(a.enabled_via.as_ref()),
        "disabledAt": instant_opt(a.disabled_at),
        "disabledVia": source_json(a.disabled_via.as_ref()),
        "disabledReason": a.disabled_reason, "updatedAt": instant(a.updated_at),
    })
}

fn report_json(r: &WriteReport) -> Value {
    json!({
        "delivered": r.delivered, "resolved": r.resolved, "alreadyDone": r.already_done,
        "cancelled": r.cancelled, "retrying": r.retrying, "failed": r.failed,
        "unknown": r.unknown,
    })
}

fn run_json(r: &AutoPayReport) -> Value {
    json!({
        "charges": report_json(&r.charges),
        "paid": r.paid,
        "disabled": r.disabled.iter().map(|d| json!({
            "customerId": d.customer_id, "invoiceId": d.invoice_id,
            "writeKey": d.write_key, "attempt": d.attempt, "reason": d.reason,
        })).collect::<Vec<_>>(),
        "notices": report_json(&r.notices),
    })
}

fn json_arg(v: Value) -> tieout::Result<Value> {
    Ok(match v {
        Value::String(text) => serde_json::from_str(&text).map_err(|e| {
            tieout::Error::Core(tieout::CoreError::Invalid(format!("not JSON: {e}")))
        })?,
        other => other,
    })
}

#[napi]
impl Books {
    /// A customer's auto-pay setting, or null when never set.
    #[napi(
        ts_return_type = "Promise<{ customerId: string; enabled: boolean; paymentMethod: string | null; stripeCustomer: string | null; account: string | null; enabledAt: string | null; enabledVia: Record<string, string> | null; disabledAt: string | null; disabledVia: Record<string, string> | null; disabledReason: string | null; updatedAt: string } | null>"
    )]
    pub fn auto_pay<'env>(
        &self,
        env: &'env Env,
        customer_id: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            Ok(b.auto_pay(&customer_id)?
                .map_or(Value::Null, |a| setting_json(&a)))
        })
    }

    /// Makes a saved card the customer's default for auto-pay and opts the
    /// customer in (explicitly).
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn set_default_payment_method<'env>(
        &self,
        env: &'env Env,
        customer_id: String,
        account: String,
        payment_method: String,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let now = now_of(now.as_deref())?;
            let a = b.set_default_payment_method(&customer_id, &account, &payment_method, now)?;
            Ok(setting_json(&a))
        })
    }

    /// Opts a customer with a saved card in again.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn enable_auto_pay<'env>(
        &self,
        env: &'env Env,
        customer_id: String,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let now = now_of(now.as_deref())?;
            Ok(setting_json(&b.enable_auto_pay(&customer_id, now)?))
        })
    }

    /// Opts a customer out of auto-pay, with a reason.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn disable_auto_pay<'env>(
        &self,
        env: &'env Env,
        customer_id: String,
        reason: String,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let now = now_of(now.as_deref())?;
            Ok(setting_json(&b.disable_auto_pay(
                &customer_id,
                &reason,
                now,
            )?))
        })
    }

    /// Records the card a completed Checkout Session saved (an object or
    /// JSON text; its payment intent expanded in it or given) as the
    /// customer's default, opting the customer in via that checkout; null
    /// when the session saved no card.
    #[napi(
        ts_args_type = "session: Record<string, any> | string, account: string, paymentIntent?: Record<string, any> | string | null, now?: string | null",
        ts_return_type = "Promise<Record<string, any> | null>"
    )]
    pub fn save_card_from_checkout<'env>(
        &self,
        env: &'env Env,
        session: Value,
        account: String,
        payment_intent: Option<Value>,
        now: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let now = now_of(now.as_deref())?;
            let s = json_arg(session)?;
            let pi = payment_intent
                .filter(|v| !v.is_null())
                .map(json_arg)
                .transpose()?;
            Ok(b.save_card_from_checkout(&s, pi.as_ref(), &account, now)?
                .map_or(Value::Null, |a| setting_json(&a)))
        })
    }

    /// The charges an auto-pay run would make: `{account, livemode, charges,
    /// writes, approval}`; nothing is written.
    #[napi(
        ts_return_type = "Promise<{ account: string; livemode: boolean; charges: Array<{ invoiceId: string; customerId: string; attempt: number; resumes: boolean; key: string; amount: string | null; currency: string | null }>; writes: Array<Record<string, any>>; approval: string }>"
    )]
    pub fn review_auto_pay<'env>(
        &self,
        env: &'env Env,
        options: AutoPayRunOptions,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let w = writer_of(&options)?;
            let now = now_of(options.now.as_deref())?;
            let r = b.review_auto_pay(&StripeTarget::of(&w)?, now)?;
            let charges: Vec<Value> = r
                .charges
                .iter()
                .map(|c| {
                    json!({
                        "invoiceId": c.invoice_id, "customerId": c.customer_id,
                        "attempt": c.attempt, "resumes": c.resumes, "key": c.intent.key,
                        "amount": c.intent.amount.as_ref().map(|m| m.amount.to_string()),
                        "currency": c.intent.amount.as_ref().map(|m| m.currency.lower()),
                    })
                })
                .collect();
            Ok(json!({
                "account": r.plan.account, "livemode": r.plan.livemode, "charges": charges,
                "writes": r.plan.intents, "approval": r.approval.token,
            }))
        })
    }

    /// Charges every due own invoice of each opted-in customer once; a
    /// refusal that turns auto-pay off is told through `options.notify`
    /// (names in `channels`), with a payment link when `successUrl` and
    /// `cancelUrl` are given. Resolves to `{charges, paid, disabled, notices}`.
    #[napi(
        ts_return_type = "Promise<{ charges: Record<string, Array<string>>; paid: Array<string>; disabled: Array<{ customerId: string; invoiceId: string; writeKey: string; attempt: number; reason: string }>; notices: Record<string, Array<string>> }>"
    )]
    pub fn run_auto_pay<'env>(
        &self,
        env: &'env Env,
        mut options: AutoPayRunOptions,
        channels: Option<&Channels>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        let chans = channels.map(|c| c.inner.clone()).unwrap_or_default();
        let fault = options.fault.take().map(Arc::new);
        blocking(env, move || {
            let w = writer_of(&options)?;
            let now = now_of(options.now.as_deref())?;
            let checkout = match (&options.success_url, &options.cancel_url) {
                (Some(s), Some(c)) => Some(tieout::CheckoutSettings {
                    save_card: true,
                    success_url: s.clone(),
                    cancel_url: c.clone(),
                }),
                _ => None,
            };
            let opts = AutoPayOptions {
                channels: chans,
                notify: options.notify.clone().unwrap_or_default(),
                checkout,
            };
            let hook = fault.map(|f| {
                let h: tieout::writes::FaultHook = Box::new(move |intent, point| {
                    let point = match point {
                        FaultPoint::Recorded => "recorded",
                        FaultPoint::Performed => "performed",
                    };
                    matches!(
                        call_and_wait(&f, FnArgs::from((intent.key.clone(), point.to_string()))),
                        Some(Returned::True)
                    )
                });
                h
            });
            let approval = options
                .approval
                .clone()
                .map(|token| tieout::core::writes::WriteApproval { token });
            let write_options = WriteOptions {
                fault: hook,
                ..WriteOptions::default()
            };
            let r = b.run_auto_pay(&w, approval.as_ref(), now, &opts, &write_options)?;
            Ok(run_json(&r))
        })
    }
}
