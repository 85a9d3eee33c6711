//! Where an imported record came from, for idempotency and audit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The identity of a source object: `(system, account, object, external_id)`.
///
/// Every imported record is keyed by this; importing the same key twice updates
/// one record instead of creating two. Held as one string
/// (`system/account/object/external_id`) with the part boundaries, so building
/// or cloning a key costs one allocation and comparing keys one pass: the
/// planner handles several keys per record. Its hash is computed once, when
/// it is built: the planner's maps look a key up several times (its caches,
/// the page's unknown keys, what a store resolved), and hashing the text
/// each time read it again from memory.
#[derive(Clone, PartialOrd, Ord)]
pub struct ExternalKey {
    /// The four parts joined with `/`.
    joined: Box<str>,
    /// Where `account`, `object` and `external_id` start in `joined`.
    starts: [u32; 3],
    /// The hash of `joined` (last: it never decides the order, being a
    /// function of `joined`).
    hash: u64,
}

impl PartialEq for ExternalKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.joined == other.joined && self.starts == other.starts
    }
}

impl Eq for ExternalKey {}

impl std::hash::Hash for ExternalKey {
    /// The hash computed when the key was built (equal keys have equal
    /// text, so equal hashes).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
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
        let hash = std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, joined.as_str());
        ExternalKey {
            joined: joined.into_boxed_str(),
            starts,
            hash,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(parts: [&str; 4]) -> ExternalKey {
        ExternalKey::new(parts[0], parts[1], parts[2], parts[3])
    }

    #[test]
    fn keys_built_apart_are_equal_and_found_by_their_parts() {
        let a = key(["stripe", "acct_1", "invoice", "in_1"]);
        let b = key(["stripe", "acct_1", "invoice", "in_1"]);
        assert_eq!(a, b);
        let set: HashSet<ExternalKey> = [a].into_iter().collect();
        assert!(set.contains(&b));
        assert!(!set.contains(&key(["stripe", "acct_1", "invoice", "in_2"])));
        assert_eq!(b.object(), "invoice");
        assert_eq!(b.external_id(), "in_1");
    }

    #[test]
    fn the_same_text_split_elsewhere_is_another_key() {
        // Equal text, equal hash: the part boundaries still tell them apart.
        let a = key(["stripe", "acct/1", "invoice", "in_1"]);
        let b = key(["stripe", "acct", "1/invoice", "in_1"]);
        assert_eq!(a.joined(), b.joined());
        assert_ne!(a, b);
        assert_eq!(a.account(), "acct/1");
        assert_eq!(b.object(), "1/invoice");
        let set: HashSet<ExternalKey> = [a.clone(), b.clone()].into_iter().collect();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn keys_order_by_their_text() {
        let mut keys = [
            key(["stripe", "acct_1", "invoice", "in_2"]),
            key(["stripe", "acct_1", "charge", "ch_9"]),
            key(["stripe", "acct_1", "invoice", "in_10"]),
            key(["files", "acct_1", "invoice", "in_1"]),
        ];
        keys.sort();
        let texts: Vec<&str> = keys.iter().map(ExternalKey::joined).collect();
        let mut sorted = texts.clone();
        sorted.sort_unstable();
        assert_eq!(texts, sorted);
    }
}
