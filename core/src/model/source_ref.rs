//! Where an imported record came from, for idempotency and audit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The identity of a source object: `(system, account, object, external_id)`.
///
/// Every imported record is keyed by this; importing the same key twice updates
/// one record instead of creating two. Held as one string
/// (`system/account/object/external_id`) with the part boundaries, so building,
/// cloning, hashing and comparing a key costs one allocation and one pass:
/// the planner handles several keys per record.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalKey {
    /// The four parts joined with `/`.
    joined: Box<str>,
    /// Where `account`, `object` and `external_id` start in `joined`.
    starts: [u32; 3],
}

impl ExternalKey {
    /// Builds a key.
    pub fn new(system: &str, account: &str, object: &str, external_id: &str) -> Self {
        let mut joined = String::with_capacity(
            system.len() + account.len() + object.len() + external_id.len() + 3,
        );
        let mut starts = [0u32; 3];
        joined.push_str(system);
        for (slot, part) in starts.iter_mut().zip([account, object, external_id]) {
            joined.push('/');
            *slot = joined.len() as u32;
            joined.push_str(part);
        }
        ExternalKey {
            joined: joined.into_boxed_str(),
            starts,
        }
    }

    /// Source system, e.g. `"stripe"`.
    pub fn system(&self) -> &str {
        &self.joined[..self.starts[0] as usize - 1]
    }

    /// Account within the system, e.g. a Stripe `acct_...` id.
    pub fn account(&self) -> &str {
        &self.joined[self.starts[0] as usize..self.starts[1] as usize - 1]
    }

    /// Object type in the source, e.g. `"invoice"`, `"charge"`.
    pub fn object(&self) -> &str {
        &self.joined[self.starts[1] as usize..self.starts[2] as usize - 1]
    }

    /// The source's id of the object, e.g. `"in_123"`.
    pub fn external_id(&self) -> &str {
        &self.joined[self.starts[2] as usize..]
    }

    /// A single-string form, `system/account/object/external_id`, used as a map key in stores.
    pub fn joined(&self) -> &str {
        &self.joined
    }
}

impl std::fmt::Debug for ExternalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalKey")
            .field("system", &self.system())
            .field("account", &self.account())
            .field("object", &self.object())
            .field("external_id", &self.external_id())
            .finish()
    }
}

/// The serialized form: the four parts as named fields.
#[derive(Serialize, Deserialize)]
struct KeyParts<'a> {
    #[serde(borrow)]
    system: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    account: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    object: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    external_id: std::borrow::Cow<'a, str>,
}

impl Serialize for ExternalKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        KeyParts {
            system: self.system().into(),
            account: self.account().into(),
            object: self.object().into(),
            external_id: self.external_id().into(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ExternalKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = KeyParts::deserialize(d)?;
        Ok(ExternalKey::new(
            &p.system,
            &p.account,
            &p.object,
            &p.external_id,
        ))
    }
}

/// The customer a record had in the source, kept for audit when the plan files
/// everything under a fixed customer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalCustomer {
    /// Source customer id (`cus_...`).
    pub external_id: String,
    /// Name as the source had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email as the source had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A link a person can open (hosted invoice page, dashboard URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Source timestamp of this snapshot; older snapshots never overwrite newer ones.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// When the object was created in the source.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Live (true) or test data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub livemode: bool,
    /// The original source customer when imported under a fixed customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
