//! Slack incoming webhooks: a JSON POST per follow-up, or one daily digest
//! per channel. The payload carries `tieout_key`.

use std::time::Duration;

use tieout_core::CoreError;
use tieout_core::writes::WriteIntent;

use crate::error::Result;
use crate::writes::{Channel, Outcome};

/// A Slack incoming webhook, one message per write.
#[derive(Debug)]
pub struct SlackWebhook {
    url: String,
    client: reqwest::blocking::Client,
}

impl SlackWebhook {
    /// A webhook posting to `url` with `timeout` per request. Its blocking
    /// client must not be used from inside an async runtime's worker thread.
    pub fn new(url: &str, timeout: Duration) -> Result<SlackWebhook> {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| CoreError::Invalid(format!("Slack client: {e}")))?;
        Ok(SlackWebhook {
            url: url.to_string(),
            client,
        })
    }

    /// Posts `body`; the outcome by HTTP status.
    fn post(&self, body: &serde_json::Value) -> Outcome {
        match self.client.post(&self.url).json(body).send() {
            Ok(r) if r.status().is_success() => Outcome::Delivered {
                request_id: None,
                detail: serde_json::json!({ "status": r.status().as_u16() }),
            },
            Ok(r) => Outcome::Failed {
                error: format!("Slack answered {}", r.status()),
                retryable: r.status().is_server_error() || r.status().as_u16() == 429,
            },
            Err(e) if e.is_timeout() => Outcome::Unknown {
                error: format!("Slack timed out: {e}"),
            },
            Err(e) if e.is_connect() => Outcome::Failed {
                error: format!("Slack unreachable: {e}"),
                retryable: true,
            },
            Err(e) => Outcome::Unknown {
                error: format!("Slack request: {e}"),
            },
        }
    }
}

/// The Slack text of a follow-up: its subject and body.
fn text_of(intent: &WriteIntent) -> String {
    let s = |k: &str| {
        intent
            .payload
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    format!("*{}*\n{}", s("subject"), s("text"))
}

impl Channel for SlackWebhook {
    fn perform(&self, intent: &WriteIntent, _attempt: u32) -> Outcome {
        self.post(&serde_json::json!({
            "text": text_of(intent),
            "tieout_key": intent.key,
        }))
    }
}

/// A daily digest: the follow-ups of one run gathered into one Slack message
/// per day, written once under the key `digest/<name>/<date>`. Use
/// [`SlackDigest::intent`] to build the digest write from a run's intents.
#[derive(Debug)]
pub struct SlackDigest {
    webhook: SlackWebhook,
}

impl SlackDigest {
    /// A digest over `webhook`.
    pub fn new(webhook: SlackWebhook) -> Self {
        SlackDigest { webhook }
    }

    /// The digest write for `name` on `now`'s date, listing `items`.
    pub fn intent(
        name: &str,
        items: &[WriteIntent],
        now: chrono::DateTime<chrono::Utc>,
    ) -> WriteIntent {
        let lines: Vec<String> = items.iter().map(text_of).collect();
        WriteIntent::new(
            name,
            "digest",
            &format!("digest/{name}/{}", now.date_naive()),
            serde_json::json!({ "subject": format!("{} follow-ups", lines.len()), "text": lines.join("\n\n") }),
            now,
        )
    }
}

impl Channel for SlackDigest {
    fn perform(&self, intent: &WriteIntent, attempt: u32) -> Outcome {
        self.webhook.perform(intent, attempt)
    }
}
