//! `StripeChannel`: the write target for Stripe API calls.
//!
//! An intent for it carries `{"path": "/v1/...", "params": {...}, "lookup":
//! {"list": "/v1/...", "filter": {...}}}` as its payload: the channel POSTs
//! the params with `Idempotency-Key` = the intent's key, and resolves a write
//! left in flight by finding the object whose `metadata[tieout_key]` is that
//! key in the lookup list (or, with no lookup, by sending again under the
//! same key, which Stripe answers from its idempotency cache for 24 hours).

use serde_json::Value;
use tieout_core::writes::{WriteIntent, WriteRecord};
use tieout_stripe::{StripeWriter, WriteResponse};

use super::{Channel, Outcome, Resolution};

/// The name intents for Stripe use as their `target`.
pub const STRIPE_TARGET: &str = "stripe";

/// Makes Stripe writes through a [`StripeWriter`].
#[derive(Clone, Debug)]
pub struct StripeChannel {
    writer: StripeWriter,
}

impl StripeChannel {
    /// A channel writing through `writer`.
    pub fn new(writer: StripeWriter) -> Self {
        StripeChannel { writer }
    }
}

/// Whether a refusal means the write was already made: a write-back finding
/// the invoice already paid.
fn refused_as_done(intent: &WriteIntent, f: &tieout_stripe::write::ApiFailure) -> bool {
    use tieout_core::stripe_writes::{KIND_ATTACH_PAYMENT, KIND_PAID_OUT_OF_BAND};
    matches!(
        intent.kind.as_str(),
        KIND_PAID_OUT_OF_BAND | KIND_ATTACH_PAYMENT
    ) && tieout_core::stripe_writes::already_paid_refusal(f.code.as_deref(), &f.message)
}

impl StripeChannel {
    /// Resolves a write by reading the object it changes (`GET path`): made
    /// when each field named in `done_when` holds one of its listed values.
    fn resolve_by_get(&self, path: &str, done_when: Option<&Value>) -> Resolution {
        let object = match self.writer.get(path, &[]) {
            Ok(o) => o,
            Err(_) => return Resolution::Unknown,
        };
        let done = done_when.and_then(Value::as_object).is_some_and(|conds| {
            conds.iter().all(|(field, allowed)| {
                let have = object.get(field);
                allowed
                    .as_array()
                    .is_some_and(|vals| vals.iter().any(|v| Some(v) == have))
            })
        });
        if done {
            Resolution::Found {
                request_id: request_id_of(&object),
                detail: object,
            }
        } else {
            Resolution::NotDelivered
        }
    }
}

fn request_id_of(body: &Value) -> Option<String> {
    body.get("id").and_then(Value::as_str).map(str::to_string)
}

impl Channel for StripeChannel {
    fn perform(&self, intent: &WriteIntent, _attempt: u32) -> Outcome {
        let Some(path) = intent.payload.get("path").and_then(Value::as_str) else {
            return Outcome::Failed {
                error: format!("write {} names no Stripe path", intent.key),
                retryable: false,
            };
        };
        let params = intent.payload.get("params").cloned().unwrap_or(Value::Null);
        match self.writer.post(path, &params, &intent.key) {
            WriteResponse::Done {
                request_id,
                replayed,
                mut body,
            } => {
                if let Value::Object(m) = &mut body {
                    m.insert("tieout_replayed".into(), Value::Bool(replayed));
                }
                Outcome::Delivered {
                    request_id: request_id.or_else(|| request_id_of(&body)),
                    detail: body,
                }
            }
            WriteResponse::Refused(f) if refused_as_done(intent, &f) => Outcome::Delivered {
                request_id: f.request_id.clone(),
                detail: serde_json::json!({ "already_paid": true, "error": f.summary() }),
            },
            WriteResponse::Refused(f) => Outcome::Failed {
                retryable: f.retryable(),
                error: f.summary(),
            },
            WriteResponse::Unknown { error } => Outcome::Unknown { error },
            WriteResponse::NotSent { error } => Outcome::Failed {
                error,
                retryable: true,
            },
        }
    }

    fn resolve(&self, record: &WriteRecord) -> Resolution {
        let lookup = record.intent.payload.get("lookup");
        if let Some(get) = lookup.and_then(|l| l.get("get")).and_then(Value::as_str) {
            return self.resolve_by_get(get, lookup.and_then(|l| l.get("done_when")));
        }
        let Some(list) = lookup.and_then(|l| l.get("list")).and_then(Value::as_str) else {
            return Resolution::RedeliverSameKey;
        };
        let filter: Vec<(String, String)> = lookup
            .and_then(|l| l.get("filter"))
            .map(tieout_stripe::write::form_pairs)
            .unwrap_or_default();
        match self.writer.find_by_key(list, &filter, &record.key) {
            Ok(Some(found)) => Resolution::Found {
                request_id: request_id_of(&found),
                detail: found,
            },
            Ok(None) => Resolution::NotDelivered,
            Err(_) => Resolution::Unknown,
        }
    }
}
