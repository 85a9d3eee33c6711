//! Record JSON: the same text [`Entity::to_json`] produces and
//! [`Entity::from_json`] reads, serialized straight from the typed record
//! (no intermediate `serde_json::Value`, which matters for bulk commits).
//! Amounts are decimal strings, never floats.

use tieout_core::{Entity, EntityKind};

/// Serializes the record alone (no kind tag) as JSON text.
pub(crate) fn encode(e: &Entity) -> serde_json::Result<String> {
    match e {
        Entity::Customer(r) => serde_json::to_string(r),
        Entity::Product(r) => serde_json::to_string(r),
        Entity::Price(r) => serde_json::to_string(r),
        Entity::Invoice(r) => serde_json::to_string(r),
        Entity::Subscription(r) => serde_json::to_string(r),
        Entity::Payment(r) => serde_json::to_string(r),
        Entity::Refund(r) => serde_json::to_string(r),
        Entity::Dispute(r) => serde_json::to_string(r),
        Entity::Allocation(r) => serde_json::to_string(r),
        Entity::BalanceTransaction(r) => serde_json::to_string(r),
        Entity::Payout(r) => serde_json::to_string(r),
        Entity::BankLine(r) => serde_json::to_string(r),
        Entity::ImportRun(r) => serde_json::to_string(r),
    }
}

/// Parses a record of `kind` from JSON text written by [`encode`].
pub(crate) fn decode(kind: EntityKind, json: &str) -> serde_json::Result<Entity> {
    Ok(match kind {
        EntityKind::Customer => Entity::Customer(serde_json::from_str(json)?),
        EntityKind::Product => Entity::Product(serde_json::from_str(json)?),
        EntityKind::Price => Entity::Price(serde_json::from_str(json)?),
        EntityKind::Invoice => Entity::Invoice(serde_json::from_str(json)?),
        EntityKind::Subscription => Entity::Subscription(serde_json::from_str(json)?),
        EntityKind::Payment => Entity::Payment(serde_json::from_str(json)?),
        EntityKind::Refund => Entity::Refund(serde_json::from_str(json)?),
        EntityKind::Dispute => Entity::Dispute(serde_json::from_str(json)?),
        EntityKind::Allocation => Entity::Allocation(serde_json::from_str(json)?),
        EntityKind::BalanceTransaction => Entity::BalanceTransaction(serde_json::from_str(json)?),
        EntityKind::Payout => Entity::Payout(serde_json::from_str(json)?),
        EntityKind::BankLine => Entity::BankLine(serde_json::from_str(json)?),
        EntityKind::ImportRun => Entity::ImportRun(serde_json::from_str(json)?),
    })
}
