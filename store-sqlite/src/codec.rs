//! Record JSON: the same text [`Entity::to_json`] produces (written by
//! [`crate::json`]) and
//! [`Entity::from_json`] reads, serialized straight from the typed record
//! (no intermediate `serde_json::Value`, which matters for bulk commits).
//! Amounts are decimal strings, never floats.

use tieout_core::{Entity, EntityKind};

/// Serializes the record alone (no kind tag) as JSON text.
#[cfg(test)]
pub(crate) fn encode(e: &Entity) -> Result<String, crate::json::Error> {
    let mut buf = Vec::new();
    encode_into(e, &mut buf)?;
    Ok(String::from_utf8(buf).unwrap_or_default())
}

/// What `serde_json` itself writes for the record: the reference the
/// writer is held to.
#[cfg(test)]
pub(crate) fn encode_with_serde_json(e: &Entity) -> serde_json::Result<String> {
    serde_json::to_string(&e.record())
}

/// Appends the record alone (UTF-8 JSON text) to `buf`, so a commit reuses
/// one buffer for all its records.
pub(crate) fn encode_into(e: &Entity, buf: &mut Vec<u8>) -> Result<(), crate::json::Error> {
    crate::json::write(buf, &e.record())
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
        EntityKind::CreditNote => Entity::CreditNote(serde_json::from_str(json)?),
        EntityKind::WriteRecord => Entity::WriteRecord(serde_json::from_str(json)?),
        EntityKind::CollectionCase => Entity::CollectionCase(serde_json::from_str(json)?),
        EntityKind::LedgerExport => Entity::LedgerExport(serde_json::from_str(json)?),
    })
}
