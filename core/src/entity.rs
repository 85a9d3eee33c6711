//! `Entity`: any record the books store, and `EntityKind`, its type tag.

use serde::{Deserialize, Serialize};

use crate::collect::CollectionCase;
use crate::ledger::ExportedEntry;
use crate::model::*;
use crate::writes::WriteRecord;

/// The type of a stored record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// [`Customer`]
    Customer,
    /// [`Product`]
    Product,
    /// [`Price`]
    Price,
    /// [`Invoice`]
    Invoice,
    /// [`Subscription`]
    Subscription,
    /// [`Payment`]
    Payment,
    /// [`Refund`]
    Refund,
    /// [`Dispute`]
    Dispute,
    /// [`Allocation`]
    Allocation,
    /// [`BalanceTransaction`]
    BalanceTransaction,
    /// [`Payout`]
    Payout,
    /// [`BankLine`]
    BankLine,
    /// [`ImportRun`]
    ImportRun,
    /// [`CreditNote`]
    CreditNote,
    /// [`WriteRecord`]: a write to the outside and its outcome.
    WriteRecord,
    /// [`CollectionCase`]: an unpaid invoice in collection.
    CollectionCase,
    /// [`ExportedEntry`]: one journal entry as an export target received it.
    LedgerExport,
}

impl EntityKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EntityKind; 17] = [
        EntityKind::Customer,
        EntityKind::Product,
        EntityKind::Price,
        EntityKind::Invoice,
        EntityKind::Subscription,
        EntityKind::Payment,
        EntityKind::Refund,
        EntityKind::Dispute,
        EntityKind::Allocation,
        EntityKind::BalanceTransaction,
        EntityKind::Payout,
        EntityKind::BankLine,
        EntityKind::ImportRun,
        EntityKind::CreditNote,
        EntityKind::WriteRecord,
        EntityKind::CollectionCase,
        EntityKind::LedgerExport,
    ];

    /// Position in [`EntityKind::ALL`], for per-kind tables.
    pub fn index(&self) -> usize {
        *self as usize
    }

    /// snake_case name, also the SQL table stem.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Product => "product",
            Self::Price => "price",
            Self::Invoice => "invoice",
            Self::Subscription => "subscription",
            Self::Payment => "payment",
            Self::Refund => "refund",
            Self::Dispute => "dispute",
            Self::Allocation => "allocation",
            Self::BalanceTransaction => "balance_transaction",
            Self::Payout => "payout",
            Self::BankLine => "bank_line",
            Self::ImportRun => "import_run",
            Self::CreditNote => "credit_note",
            Self::WriteRecord => "write_record",
            Self::CollectionCase => "collection_case",
            Self::LedgerExport => "ledger_export",
        }
    }

    /// Prefix of the books' ids of this kind.
    pub fn id_prefix(&self) -> &'static str {
        match self {
            Self::Customer => "cust",
            Self::Product => "prod",
            Self::Price => "price",
            Self::Invoice => "inv",
            Self::Subscription => "subs",
            Self::Payment => "pay",
            Self::Refund => "rfnd",
            Self::Dispute => "disp",
            Self::Allocation => "alloc",
            Self::BalanceTransaction => "btx",
            Self::Payout => "pout",
            Self::BankLine => "bank",
            Self::ImportRun => "run",
            Self::CreditNote => "cn",
            Self::WriteRecord => "wr",
            Self::CollectionCase => "case",
            Self::LedgerExport => "lx",
        }
    }
}

/// Any stored record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum Entity {
    /// A customer.
    Customer(Customer),
    /// A product.
    Product(Product),
    /// A price.
    Price(Price),
    /// An invoice.
    Invoice(Invoice),
    /// A subscription.
    Subscription(Subscription),
    /// A payment.
    Payment(Payment),
    /// A refund.
    Refund(Refund),
    /// A dispute.
    Dispute(Dispute),
    /// An allocation.
    Allocation(Allocation),
    /// A balance transaction.
    BalanceTransaction(BalanceTransaction),
    /// A payout.
    Payout(Payout),
    /// A bank statement line.
    BankLine(BankLine),
    /// An import run.
    ImportRun(ImportRun),
    /// A credit note.
    CreditNote(CreditNote),
    /// A write to the outside.
    WriteRecord(WriteRecord),
    /// A collection case.
    CollectionCase(CollectionCase),
    /// A journal entry as an export target received it.
    LedgerExport(ExportedEntry),
}

macro_rules! entity_accessors {
    ($($variant:ident),*) => {
        impl Entity {
            /// The kind of this record.
            pub fn kind(&self) -> EntityKind {
                match self { $(Entity::$variant(_) => EntityKind::$variant,)* }
            }
            /// The books id of this record.
            pub fn id(&self) -> &str {
                match self { $(Entity::$variant(r) => &r.id,)* }
            }
            /// Sets the books id.
            pub fn set_id(&mut self, id: Id) {
                match self { $(Entity::$variant(r) => r.id = id,)* }
            }
        }

        impl Serialize for RecordView<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.0 { $(Entity::$variant(r) => r.serialize(s),)* }
            }
        }
    };
}

/// A record alone, without its kind tag, for any serde serializer (see
/// [`Entity::record`]).
#[derive(Clone, Copy, Debug)]
pub struct RecordView<'a>(pub &'a Entity);
entity_accessors!(
    Customer,
    Product,
    Price,
    Invoice,
    Subscription,
    Payment,
    Refund,
    Dispute,
    Allocation,
    BalanceTransaction,
    Payout,
    BankLine,
    ImportRun,
    CreditNote,
    WriteRecord,
    CollectionCase,
    LedgerExport
);

impl Entity {
    /// Source details, for imported records.
    pub fn source(&self) -> Option<&SourceRef> {
        match self {
            Entity::Customer(r) => r.source.as_ref(),
            Entity::Product(r) => Some(&r.source),
            Entity::Price(r) => Some(&r.source),
            Entity::Invoice(r) => Some(&r.source),
            Entity::Subscription(r) => Some(&r.source),
            Entity::Payment(r) => Some(&r.source),
            Entity::Refund(r) => Some(&r.source),
            Entity::Dispute(r) => Some(&r.source),
            Entity::BalanceTransaction(r) => Some(&r.source),
            Entity::Payout(r) => Some(&r.source),
            Entity::CreditNote(r) => Some(&r.source),
            Entity::Allocation(_)
            | Entity::BankLine(_)
            | Entity::ImportRun(_)
            | Entity::WriteRecord(_)
            | Entity::CollectionCase(_)
            | Entity::LedgerExport(_) => None,
        }
    }

    /// The record alone, without the kind tag, as something serde serializes
    /// (the text [`Entity::to_json`] holds, in any format).
    pub fn record(&self) -> RecordView<'_> {
        RecordView(self)
    }

    /// Serializes the record alone (without the kind tag) as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.record()).unwrap_or(serde_json::Value::Null)
    }

    /// Parses a record of `kind` from its JSON (as written by [`Entity::to_json`]).
    pub fn from_json(kind: EntityKind, value: serde_json::Value) -> serde_json::Result<Entity> {
        let tagged = serde_json::json!({ "kind": kind, "record": value });
        serde_json::from_value(tagged)
    }
}
