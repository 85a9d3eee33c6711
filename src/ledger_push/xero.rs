//! The Xero push client: `POST /ManualJournals` with the write's key as
//! `Idempotency-Key` (Xero answers a repeated key with the first result), and,
//! for a write whose answer was lost, a search for the journal's
//! `[tieout <id>]` narration tag before anything is sent again.

use std::time::Duration;

use tieout_core::CoreError;
use tieout_core::ledger::push::PushPayload;
use tieout_core::writes::{WriteIntent, WriteRecord};

use super::http::{outcome, payload_for, with_query};
use crate::error::Result;
use crate::writes::{Channel, Outcome, Resolution};

/// Posts manual journals to one Xero organisation.
pub struct XeroClient {
    base: String,
    tenant: String,
    token: String,
    client: reqwest::blocking::Client,
}

// The access token is a secret: never in debug output or logs.
impl std::fmt::Debug for XeroClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XeroClient")
            .field("base", &self.base)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl XeroClient {
    /// A client for organisation `tenant_id` at `base_url`
    /// (`https://api.xero.com/api.xro/2.0`) with the host's OAuth access
    /// token, `timeout` per request. Its blocking client must not be used
    /// from inside an async runtime's worker thread.
    pub fn new(
        base_url: &str,
        tenant_id: &str,
        access_token: &str,
        timeout: Duration,
    ) -> Result<XeroClient> {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| CoreError::Invalid(format!("Xero client: {e}")))?;
        Ok(XeroClient {
            base: base_url.trim_end_matches('/').to_string(),
            tenant: tenant_id.to_string(),
            token: access_token.to_string(),
            client,
        })
    }

    /// The organisation it posts to.
    pub fn tenant_id(&self) -> &str {
        &self.tenant
    }
}

impl Channel for XeroClient {
    fn perform(&self, intent: &WriteIntent, _attempt: u32) -> Outcome {
        let p = match payload_for(intent, &self.tenant, "organisation") {
            Ok(p) => p,
            Err(refused) => return refused,
        };
        let sent = self
            .client
            .post(format!("{}/ManualJournals", self.base))
            .bearer_auth(&self.token)
            .header("Xero-tenant-id", &self.tenant)
            .header("Idempotency-Key", &intent.key)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(p.body)
            .send();
        outcome("Xero", sent, |b| {
            b.pointer("/ManualJournals/0/ManualJournalID")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
    }

    fn resolve(&self, record: &WriteRecord) -> Resolution {
        let Ok(p) = PushPayload::of(&record.intent) else {
            return Resolution::Unknown;
        };
        let filter = format!("Narration.Contains(\"{}\")", p.lookup.replace('"', "\\\""));
        let Ok(url) = with_query(
            &format!("{}/ManualJournals", self.base),
            &[("where", filter.as_str())],
        ) else {
            return Resolution::Unknown;
        };
        let sent = self
            .client
            .get(url)
            .bearer_auth(&self.token)
            .header("Xero-tenant-id", &self.tenant)
            .header("Accept", "application/json")
            .send();
        let Ok(r) = sent else {
            return Resolution::Unknown;
        };
        if !r.status().is_success() {
            return Resolution::Unknown;
        }
        let Ok(body) = r.json::<serde_json::Value>() else {
            return Resolution::Unknown;
        };
        let found = body
            .get("ManualJournals")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .find(|j| {
                j.get("Narration")
                    .and_then(|n| n.as_str())
                    .is_some_and(|n| n.contains(&p.lookup))
            });
        match found {
            Some(j) => Resolution::Delivered {
                request_id: j
                    .get("ManualJournalID")
                    .and_then(|i| i.as_str())
                    .map(str::to_string),
            },
            None => Resolution::NotDelivered,
        }
    }
}
