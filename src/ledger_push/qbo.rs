//! The QuickBooks Online push client: `POST /v3/company/<realm>/journalentry`
//! with the entry's `requestid` (QuickBooks answers a repeated `requestid`
//! with the first result instead of a second entry), and, for a write whose
//! answer was lost, a query by `DocNumber` before anything is sent again.

use std::time::Duration;

use tieout_core::CoreError;
use tieout_core::ledger::push::PushPayload;
use tieout_core::writes::{WriteIntent, WriteRecord};

use super::http::{outcome, payload_for, with_query};
use crate::error::Result;
use crate::writes::{Channel, Outcome, Resolution};

/// The QuickBooks Online API minor version the documents are written for.
const MINOR_VERSION: &str = "75";

/// Posts journal entries to one QuickBooks Online company.
pub struct QuickBooksClient {
    base: String,
    realm: String,
    token: String,
    client: reqwest::blocking::Client,
}

// The access token is a secret: never in debug output or logs.
impl std::fmt::Debug for QuickBooksClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuickBooksClient")
            .field("base", &self.base)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl QuickBooksClient {
    /// A client for company `realm_id` at `base_url`
    /// (`https://quickbooks.api.intuit.com`, or the sandbox's) with the
    /// host's OAuth access token, `timeout` per request. Its blocking client
    /// must not be used from inside an async runtime's worker thread.
    pub fn new(
        base_url: &str,
        realm_id: &str,
        access_token: &str,
        timeout: Duration,
    ) -> Result<QuickBooksClient> {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| CoreError::Invalid(format!("QuickBooks client: {e}")))?;
        Ok(QuickBooksClient {
            base: base_url.trim_end_matches('/').to_string(),
            realm: realm_id.to_string(),
            token: access_token.to_string(),
            client,
        })
    }

    /// The company it posts to.
    pub fn realm_id(&self) -> &str {
        &self.realm
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v3/company/{}/{path}", self.base, self.realm)
    }
}

impl Channel for QuickBooksClient {
    fn perform(&self, intent: &WriteIntent, _attempt: u32) -> Outcome {
        let p = match payload_for(intent, &self.realm, "company") {
            Ok(p) => p,
            Err(refused) => return refused,
        };
        let url = match with_query(
            &self.url("journalentry"),
            &[
                ("requestid", p.request_id.as_str()),
                ("minorversion", MINOR_VERSION),
            ],
        ) {
            Ok(u) => u,
            Err(error) => {
                return Outcome::Failed {
                    error,
                    retryable: false,
                };
            }
        };
        let sent = self
            .client
            .post(url)
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(p.body)
            .send();
        outcome("QuickBooks", sent, |b| {
            b.pointer("/JournalEntry/Id")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
    }

    fn resolve(&self, record: &WriteRecord) -> Resolution {
        let Ok(p) = PushPayload::of(&record.intent) else {
            return Resolution::Unknown;
        };
        let query = format!(
            "select Id, PrivateNote from JournalEntry where DocNumber = '{}'",
            p.lookup.replace('\'', "\\'")
        );
        let Ok(url) = with_query(
            &self.url("query"),
            &[("query", query.as_str()), ("minorversion", MINOR_VERSION)],
        ) else {
            return Resolution::Unknown;
        };
        let sent = self
            .client
            .get(url)
            .bearer_auth(&self.token)
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
        let tag = format!("tieout {}:", p.id);
        let found = body
            .pointer("/QueryResponse/JournalEntry")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .find(|je| {
                je.get("PrivateNote")
                    .and_then(|n| n.as_str())
                    .is_some_and(|n| n.starts_with(&tag))
            });
        match found {
            Some(je) => Resolution::Delivered {
                request_id: je.get("Id").and_then(|i| i.as_str()).map(str::to_string),
            },
            None => Resolution::NotDelivered,
        }
    }
}
