//! `Books#reviewWrites`, `applyWrites`, `writeBack` (the Stripe write plan:
//! invoices paid outside Stripe marked paid there) and `recordPayment`
//! (payments received outside Stripe). Amounts are decimal strings, times ISO.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::{Value, json};
use tieout::writes::{FaultPoint, WriteOptions, WriteReport};
use tieout::{
    Currency, ManualPayment, StripeWriteOff, StripeWriter, WriteBackMethod, WritesSettings,
};

use crate::books::Books;
use crate::records::Payment;
use crate::task::{blocking, rejected};
use crate::values::{parse_decimal, parse_instant};

/// A simulated crash for tests: stop the run once, as a crash would, at the
/// write with this key.
#[napi(object, object_to_js = false)]
pub struct CrashAt {
    /// The write's idempotency key (from `reviewWrites`).
    pub key: String,
    /// `recorded` (before the request) or `performed` (after the answer,
    /// before the books record it).
    pub point: String,
}

/// Where and how `Books#reviewWrites` / `applyWrites` / `writeBack` write.
#[napi(object, object_to_js = false)]
pub struct StripeWritesOptions {
    /// Secret or restricted key.
    pub api_key: String,
    /// API base URL (default api.stripe.com).
    pub base_url: Option<String>,
    /// `Stripe-Version` to send (default the adapter's pinned version).
    pub api_version: Option<String>,
    /// `auto` (default: by API version), `paid_out_of_band` or `payment_record`.
    pub write_back_method: Option<String>,
    /// Tell Stripe what the books wrote off: `mark_uncollectible` or `void`
    /// (default: off).
    pub write_offs: Option<String>,
    /// The review's approval token (live keys).
    pub approval: Option<String>,
    /// The time of the run (ISO; default now).
    pub now: Option<String>,
    /// Tests: stop once at this write and point, as a crash would.
    pub crash_at: Option<CrashAt>,
}

/// A payment received outside Stripe, for `Books#recordPayment`.
#[napi(object, object_to_js = false)]
pub struct ManualPaymentInput {
    /// Your reference for it (the bank transaction id): its key.
    pub reference: String,
    /// Amount, a decimal string.
    pub amount: String,
    /// ISO currency code.
    pub currency: String,
    /// When it was received (ISO; default now).
    pub received_at: Option<String>,
    /// Books id of the paying customer.
    pub customer_id: Option<String>,
    /// How (`bank_transfer`, `check`, ...).
    pub method: Option<String>,
    /// A note.
    pub description: Option<String>,
}

fn now_of(now: Option<&str>) -> tieout::Result<DateTime<Utc>> {
    match now {
        Some(t) => parse_instant("now", t),
        None => Ok(Utc::now()),
    }
}

fn writer_of(o: &StripeWritesOptions) -> tieout::Result<StripeWriter> {
    let mut w = StripeWriter::new(o.api_key.clone())?;
    if let Some(u) = &o.base_url {
        w = w.base_url(u);
    }
    if let Some(v) = &o.api_version {
        w = w.api_version(v);
    }
    Ok(w)
}

fn settings_of(o: &StripeWritesOptions) -> tieout::Result<WritesSettings> {
    let name = o.write_back_method.as_deref().unwrap_or("auto");
    let m = WriteBackMethod::parse(name).ok_or_else(|| {
        tieout::CoreError::Invalid(format!(
            "writeBackMethod must be auto, paid_out_of_band or payment_record, not {name:?}"
        ))
    })?;
    let write_offs = match o.write_offs.as_deref() {
        None => None,
        Some(a) => Some(StripeWriteOff::parse(a).ok_or_else(|| {
            tieout::CoreError::Invalid(format!(
                "writeOffs must be mark_uncollectible or void, not {a:?}"
            ))
        })?),
    };
    Ok(WritesSettings {
        write_back_method: m,
        write_offs,
        ..WritesSettings::default()
    })
}

fn options_of(o: &StripeWritesOptions) -> tieout::Result<WriteOptions> {
    let fault = match &o.crash_at {
        None => None,
        Some(c) => {
            let point = match c.point.as_str() {
                "recorded" => FaultPoint::Recorded,
                "performed" => FaultPoint::Performed,
                other => {
                    return Err(tieout::CoreError::Invalid(format!(
                        "crashAt.point must be recorded or performed, not {other:?}"
                    ))
                    .into());
                }
            };
            let key = c.key.clone();
            let fired = Arc::new(AtomicBool::new(false));
            let hook: tieout::writes::FaultHook = Box::new(move |intent, at| {
                at == point && intent.key == key && !fired.swap(true, Ordering::SeqCst)
            });
            Some(hook)
        }
    };
    Ok(WriteOptions {
        fault,
        ..WriteOptions::default()
    })
}

fn report_js(r: &WriteReport) -> Value {
    json!({
        "delivered": r.delivered, "resolved": r.resolved, "alreadyDone": r.already_done,
        "cancelled": r.cancelled, "retrying": r.retrying, "failed": r.failed,
        "unknown": r.unknown,
    })
}

#[napi]
impl Books {
    /// The Stripe writes a run would make (invoices the books see paid some
    /// other way, marked paid in Stripe): `{account, livemode, writes,
    /// approval, skipped, writeBackMethod}`; nothing is written.
    #[napi(
        ts_return_type = "Promise<{ account: string; livemode: boolean; writes: Array<Record<string, any>>; approval: string; skipped: Array<{ invoice_id: string; external_id: string; reason: string }>; writeBackMethod: string }>"
    )]
    pub fn review_writes<'env>(
        &self,
        env: &'env Env,
        options: StripeWritesOptions,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let w = writer_of(&options)?;
            let s = settings_of(&options)?;
            let r = b.review_writes(&w, &s, now_of(options.now.as_deref())?)?;
            Ok(json!({
                "account": r.plan.account, "livemode": r.plan.livemode,
                "writes": r.plan.intents, "approval": r.approval().token,
                "skipped": r.skipped, "writeBackMethod": r.write_back_method,
            }))
        })
    }

    /// Makes the writes `reviewWrites` lists, each once (live keys need its
    /// `approval`); resolves to the keys by outcome.
    #[napi(ts_return_type = "Promise<Record<string, Array<string>>>")]
    pub fn apply_writes<'env>(
        &self,
        env: &'env Env,
        options: StripeWritesOptions,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let w = writer_of(&options)?;
            let s = settings_of(&options)?;
            let approval = options
                .approval
                .clone()
                .map(|token| tieout::core::writes::WriteApproval { token });
            let now = now_of(options.now.as_deref())?;
            let r = b.apply_writes(&w, &s, approval.as_ref(), now, &options_of(&options)?)?;
            Ok(report_js(&r))
        })
    }

    /// Write-back only: `applyWrites` with the default settings.
    #[napi(ts_return_type = "Promise<Record<string, Array<string>>>")]
    pub fn write_back<'env>(
        &self,
        env: &'env Env,
        options: StripeWritesOptions,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let b = self.inner.clone();
        blocking(env, move || {
            let w = writer_of(&options)?;
            let approval = options
                .approval
                .clone()
                .map(|token| tieout::core::writes::WriteApproval { token });
            let now = now_of(options.now.as_deref())?;
            let r = b.write_back(&w, approval.as_ref(), now, &options_of(&options)?)?;
            Ok(report_js(&r))
        })
    }

    /// Records a payment received outside Stripe (a bank transfer), keyed by
    /// `reference`: recording it again resolves to the same payment.
    #[napi(ts_return_type = "Promise<Payment>")]
    pub fn record_payment<'env>(
        &self,
        env: &'env Env,
        input: ManualPaymentInput,
    ) -> napi::Result<PromiseRaw<'env, Payment>> {
        let parsed = (|| -> tieout::Result<ManualPayment> {
            Ok(ManualPayment {
                reference: input.reference.clone(),
                customer_id: input.customer_id.clone(),
                amount: parse_decimal("amount", &input.amount)?,
                currency: Currency::parse(&input.currency)?,
                received_at: now_of(input.received_at.as_deref())?,
                method: input.method.clone(),
                description: input.description.clone(),
            })
        })();
        let p = match parsed {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || Ok(Payment::from(&b.record_payment(&p)?)))
    }
}
