//! Pushing journal entries to QuickBooks Online or Xero over their REST APIs
//! (the host supplies the OAuth access token), as reviewed, approved writes:
//! each document is recorded before it is sent, sent with an idempotency key
//! derived from the company and the entry (QuickBooks `requestid`, Xero
//! `Idempotency-Key`), and a write whose answer was lost is looked up
//! (find before create) before anything is sent again.
//!
//! ```text
//! let review = books.review_ledger_push(Target::Qbo, realm_id, &opts, now)?;
//! // a person reads review.entries / review.plan, then:
//! let report = books.push_ledger(&review, &review.approval, client, now, &WriteOptions::default())?;
//! ```

mod qbo;
mod xero;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tieout_core::CoreError;
use tieout_core::ledger::push::{push_intents, pushed_log};
use tieout_core::ledger::render::RenderOptions;
use tieout_core::ledger::{JournalEntry, Target};
use tieout_core::writes::{WriteApproval, WritePlan};

pub use qbo::QuickBooksClient;
pub use xero::XeroClient;

use crate::books::Books;
use crate::error::Result;
use crate::ledger::ExportOptions;
use crate::writes::{Channel, Channels, Prepared, WriteOptions, WriteReport};

/// What a push would post, for a person to approve.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerPushReview {
    /// Where it goes.
    pub target: Target,
    /// The company (QuickBooks realm id, Xero tenant id).
    pub account: String,
    /// The entries not pushed yet, and adjusting entries for pushed ones that changed.
    pub entries: Vec<JournalEntry>,
    /// The writes, one per document.
    pub plan: WritePlan,
    /// The approval this review gives once a person accepts it.
    pub approval: WriteApproval,
}

impl Books {
    /// What pushing the journal to `target` for `account` would post: the
    /// entries not pushed there yet (and adjusting entries for pushed ones
    /// that changed), as writes. Nothing is sent.
    pub fn review_ledger_push(
        &self,
        target: Target,
        account: &str,
        opts: &ExportOptions,
        now: DateTime<Utc>,
    ) -> Result<LedgerPushReview> {
        let journal = self.journal_entries_as_of(&opts.mapping, opts.layers, now.date_naive())?;
        let log = pushed_log(target, account, &self.writes()?);
        let ropts = RenderOptions {
            base_currency: opts.base_currency,
            rates: opts.rates.clone(),
            ..RenderOptions::default()
        };
        // Recognition slices pushed earlier that a late void cancelled are
        // reversed (the journal holds every slice up to today).
        let accrual = opts.layers.accrual;
        let gone = |id: &str, _: chrono::NaiveDate| accrual && id.contains(":recognized:");
        let (entries, intents) =
            push_intents(target, account, &journal.entries, &log, &ropts, gone, now)?;
        let plan = WritePlan {
            account: format!("{}:{account}", target.as_str()),
            // A post to an accounting system always needs a person's approval.
            livemode: true,
            intents,
        };
        Ok(LedgerPushReview {
            target,
            account: account.to_string(),
            entries,
            approval: plan.approval(),
            plan,
        })
    }

    /// Pushes the reviewed entries through `client` (a [`QuickBooksClient`],
    /// a [`XeroClient`], or a host channel), once: refused without the
    /// review's approval; what already succeeded is skipped; a write left in
    /// flight is looked up before it is sent again.
    pub fn push_ledger(
        &self,
        review: &LedgerPushReview,
        approval: &WriteApproval,
        client: Arc<dyn Channel>,
        now: DateTime<Utc>,
        options: &WriteOptions,
    ) -> Result<WriteReport> {
        if !approval.covers(&review.plan) {
            return Err(CoreError::ApprovalRequired(
                "this ledger push was not approved as reviewed: review it again and approve that review".into(),
            )
            .into());
        }
        let channels = Channels::new().with_arc(review.target.as_str(), client);
        self.perform_writes(
            &review.plan.intents,
            &channels,
            &|i| Ok(Prepared::Send(i.clone())),
            now,
            options,
        )
    }
}

/// How an HTTP answer or error maps to a write outcome, shared by the clients.
pub(crate) mod http {
    use tieout_core::ledger::push::PushPayload;
    use tieout_core::writes::WriteIntent;

    use crate::writes::Outcome;

    /// The push payload of `intent` when it is for `account` (the client's
    /// company, called `what`); otherwise the refusal to return, never retried.
    pub(crate) fn payload_for(
        intent: &WriteIntent,
        account: &str,
        what: &str,
    ) -> std::result::Result<PushPayload, Outcome> {
        let refuse = |error: String| Outcome::Failed {
            error,
            retryable: false,
        };
        match PushPayload::of(intent) {
            Ok(p) if p.account == account => Ok(p),
            Ok(p) => Err(refuse(format!(
                "write {} is for {what} {}, this client posts to {account}",
                intent.key, p.account
            ))),
            Err(e) => Err(refuse(e.to_string())),
        }
    }

    /// `url` with the query parameters, encoded.
    pub(crate) fn with_query(
        url: &str,
        params: &[(&str, &str)],
    ) -> std::result::Result<reqwest::Url, String> {
        reqwest::Url::parse_with_params(url, params).map_err(|e| format!("bad URL {url}: {e}"))
    }

    /// A sent request's answer: `Ok((status, body))`, or the transport error.
    pub(crate) fn outcome(
        who: &str,
        sent: std::result::Result<reqwest::blocking::Response, reqwest::Error>,
        id_of: impl Fn(&serde_json::Value) -> Option<String>,
    ) -> Outcome {
        let r = match sent {
            Ok(r) => r,
            // Refused before anything was sent: safe to try again.
            Err(e) if e.is_connect() => {
                return Outcome::Failed {
                    error: format!("{who} unreachable: {e}"),
                    retryable: true,
                };
            }
            // Sent, answer lost: it may have been posted.
            Err(e) => {
                return Outcome::Unknown {
                    error: format!("{who}: no answer ({e})"),
                };
            }
        };
        let status = r.status();
        let text = match r.text() {
            Ok(t) => t,
            Err(e) if status.is_success() => {
                return Outcome::Unknown {
                    error: format!("{who} answered {status} but the body was lost: {e}"),
                };
            }
            Err(_) => String::new(),
        };
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if status.is_success() {
            return match id_of(&body) {
                Some(id) => Outcome::Delivered {
                    request_id: Some(id.clone()),
                    detail: serde_json::json!({ "status": status.as_u16(), "id": id }),
                },
                None => Outcome::Unknown {
                    error: format!("{who} answered {status} without the created id"),
                },
            };
        }
        let short: String = text.chars().take(300).collect();
        Outcome::Failed {
            error: format!("{who} answered {status}: {short}"),
            retryable: status.is_server_error() || status.as_u16() == 429,
        }
    }
}
