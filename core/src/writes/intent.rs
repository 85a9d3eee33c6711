//! `WriteIntent`: one planned write and its idempotency key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Id;
use crate::money::Money;

/// The idempotency key of a write whose purpose is `purpose`
/// (e.g. `followup/in_123/reminder-1/v1`): `wk_` and the purpose's SHA-256 in
/// hex. The same purpose always gives the same key, so a re-run of the same
/// plan finds the write it already recorded.
pub fn write_key(purpose: &str) -> String {
    use sha2::{Digest, Sha256};
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(purpose.as_bytes());
    let mut key = String::with_capacity(3 + 64);
    key.push_str("wk_");
    for b in digest {
        key.push(char::from(HEX[usize::from(b >> 4)]));
        key.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    key
}

/// One write to the outside, planned but not yet made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteIntent {
    /// Idempotency key, [`write_key`] of `purpose`.
    pub key: String,
    /// Where it goes: a channel or target name (`email`, `slack`, `stripe`, ...).
    pub target: String,
    /// What kind of write it is (`follow_up`, `digest`, `charge`, ...).
    pub kind: String,
    /// The purpose the key is derived from.
    pub purpose: String,
    /// Books id of the record the write is about (an invoice, a customer, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Id>,
    /// Amount the write concerns, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// What the target needs to make the write (recipient, rendered text, ...).
    pub payload: serde_json::Value,
    /// When the write was planned to happen.
    pub planned_at: DateTime<Utc>,
}

impl WriteIntent {
    /// An intent for `purpose`, its key derived from it.
    pub fn new(
        target: &str,
        kind: &str,
        purpose: &str,
        payload: serde_json::Value,
        planned_at: DateTime<Utc>,
    ) -> WriteIntent {
        WriteIntent {
            key: write_key(purpose),
            target: target.to_string(),
            kind: kind.to_string(),
            purpose: purpose.to_string(),
            subject: None,
            amount: None,
            payload,
            planned_at,
        }
    }

    /// The books id of the [`WriteRecord`](super::WriteRecord) that tracks
    /// this intent (derived from the key).
    pub fn record_id(&self) -> Id {
        crate::model::derive_id(crate::EntityKind::WriteRecord.id_prefix(), &self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_only_on_the_purpose() {
        assert_eq!(
            write_key("followup/in_1/a/v1"),
            write_key("followup/in_1/a/v1")
        );
        assert_ne!(
            write_key("followup/in_1/a/v1"),
            write_key("followup/in_1/a/v2")
        );
        assert!(write_key("x").starts_with("wk_"));
        assert_eq!(write_key("x").len(), 3 + 64);
    }
}
