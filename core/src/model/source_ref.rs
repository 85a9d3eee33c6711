//! Where an imported record came from, for idempotency and audit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The identity of a source object: `(system, account, object, external_id)`.
///
/// Every imported record is keyed by this; importing the same key twice updates
/// one record instead of creating two.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExternalKey {
    /// Source system, e.g. `"stripe"`.
    pub system: String,
    /// Account within the system, e.g. a Stripe `acct_...` id.
    pub account: String,
    /// Object type in the source, e.g. `"invoice"`, `"charge"`.
    pub object: String,
    /// The source's id of the object, e.g. `"in_123"`.
    pub external_id: String,
}

impl ExternalKey {
    /// Builds a key.
    pub fn new(system: &str, account: &str, object: &str, external_id: &str) -> Self {
        ExternalKey {
            system: system.to_string(),
            account: account.to_string(),
            object: object.to_string(),
            external_id: external_id.to_string(),
        }
    }

    /// A single-string form, `system/account/object/external_id`, used as a map key in stores.
    pub fn joined(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.system, self.account, self.object, self.external_id
        )
    }
}

/// The customer a record had in the source, kept for audit when the plan files
/// everything under a fixed customer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalCustomer {
    /// Source customer id (`cus_...`).
    pub external_id: String,
    /// Name as the source had it.
    pub name: Option<String>,
    /// Email as the source had it.
    pub email: Option<String>,
}

/// Source details carried by every imported record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// Source system, e.g. `"stripe"`.
    pub system: String,
    /// Source account id.
    pub account: String,
    /// Source object type (`"invoice"`, `"charge"`, ...).
    pub object: String,
    /// Source id of the object.
    pub external_id: String,
    /// Status as the source reports it (e.g. Stripe's invoice status).
    pub status: Option<String>,
    /// A link a person can open (hosted invoice page, dashboard URL).
    pub url: Option<String>,
    /// Source timestamp of this snapshot; older snapshots never overwrite newer ones.
    pub updated_at: Option<DateTime<Utc>>,
    /// When the object was created in the source.
    pub created_at: Option<DateTime<Utc>>,
    /// Live (true) or test data.
    pub livemode: bool,
    /// The original source customer when imported under a fixed customer.
    pub original_customer: Option<OriginalCustomer>,
}

impl SourceRef {
    /// A source reference with only the identifying fields set.
    pub fn new(system: &str, account: &str, object: &str, external_id: &str) -> Self {
        SourceRef {
            system: system.to_string(),
            account: account.to_string(),
            object: object.to_string(),
            external_id: external_id.to_string(),
            status: None,
            url: None,
            updated_at: None,
            created_at: None,
            livemode: false,
            original_customer: None,
        }
    }

    /// The idempotency key of this record.
    pub fn key(&self) -> ExternalKey {
        ExternalKey::new(&self.system, &self.account, &self.object, &self.external_id)
    }

    /// A key for another object of the same system and account.
    pub fn sibling(&self, object: &str, external_id: &str) -> ExternalKey {
        ExternalKey::new(&self.system, &self.account, object, external_id)
    }
}
