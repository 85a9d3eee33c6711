//! The indexed columns every SQL store keeps next to a record's JSON (the
//! same in SQLite and PostgreSQL), and how they are read off a record at
//! write time. Pure: no SQL here, only names and values.

use chrono::{DateTime, NaiveTime, Utc};

use crate::entity::{Entity, EntityKind};
use crate::model::DisputeStatus;

/// A column extracted from a record when it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// Books id of the customer (invoice, payment, subscription).
    CustomerId,
    /// Books id of the payment (allocation, refund, dispute, balance transaction).
    PaymentId,
    /// Books id of the invoice (allocation).
    InvoiceId,
    /// Status, as its snake_case name.
    Status,
    /// ISO currency code.
    Currency,
    /// Source account.
    Account,
    /// Source object type.
    Object,
    /// Source id.
    ExternalId,
}

impl Column {
    /// SQL column name.
    pub fn name(self) -> &'static str {
        match self {
            Column::CustomerId => "customer_id",
            Column::PaymentId => "payment_id",
            Column::InvoiceId => "invoice_id",
            Column::Status => "status",
            Column::Currency => "currency",
            Column::Account => "account",
            Column::Object => "object",
            Column::ExternalId => "external_id",
        }
    }

    /// Whether the column gets a secondary index: the ones the `Store` queries
    /// filter on. Every index costs on bulk commits, so low-cardinality columns
    /// (status, currency) are stored for ad-hoc SQL but not indexed; lookups by
    /// external id go through the `alias` key.
    pub fn indexed(self) -> bool {
        matches!(
            self,
            Column::CustomerId | Column::PaymentId | Column::InvoiceId
        )
    }
}

use Column::*;

/// The extracted columns of a kind's table, in table order.
pub fn columns_of(kind: EntityKind) -> &'static [Column] {
    match kind {
        EntityKind::Customer | EntityKind::Product => &[Account, Object, ExternalId],
        EntityKind::Price => &[Currency, Account, Object, ExternalId],
        EntityKind::Invoice | EntityKind::Payment | EntityKind::Subscription => {
            &[CustomerId, Status, Currency, Account, Object, ExternalId]
        }
        EntityKind::Refund | EntityKind::Dispute | EntityKind::BalanceTransaction => {
            &[PaymentId, Status, Currency, Account, Object, ExternalId]
        }
        EntityKind::Payout => &[Status, Currency, Account, Object, ExternalId],
        EntityKind::Allocation => &[PaymentId, InvoiceId, Currency],
        EntityKind::BankLine => &[Currency],
        EntityKind::ImportRun => &[Status],
        EntityKind::CreditNote => &[
            CustomerId, InvoiceId, Status, Currency, Account, Object, ExternalId,
        ],
        EntityKind::WriteRecord => &[Status],
        EntityKind::CollectionCase => &[CustomerId, InvoiceId, Status, Currency],
        EntityKind::LedgerExport => &[],
    }
}

/// Whether the kind's table has a `customer_id` column.
pub fn has_customer(kind: EntityKind) -> bool {
    columns_of(kind).contains(&CustomerId)
}

fn dispute_status(s: &DisputeStatus) -> &str {
    match s {
        DisputeStatus::WarningNeedsResponse => "warning_needs_response",
        DisputeStatus::WarningUnderReview => "warning_under_review",
        DisputeStatus::WarningClosed => "warning_closed",
        DisputeStatus::NeedsResponse => "needs_response",
        DisputeStatus::UnderReview => "under_review",
        DisputeStatus::Won => "won",
        DisputeStatus::Lost => "lost",
        DisputeStatus::Prevented => "prevented",
        DisputeStatus::Other(o) => o,
    }
}

/// The value of `col` for record `e` (`None` is stored as SQL NULL).
pub fn value(e: &Entity, col: Column) -> Option<&str> {
    match col {
        CustomerId => match e {
            Entity::Invoice(r) => r.customer_id.as_deref(),
            Entity::Payment(r) => r.customer_id.as_deref(),
            Entity::Subscription(r) => r.customer_id.as_deref(),
            Entity::CreditNote(r) => r.customer_id.as_deref(),
            Entity::CollectionCase(r) => Some(r.debtor.customer_id.as_str()),
            _ => None,
        },
        PaymentId => match e {
            Entity::Allocation(r) => Some(r.payment_id.as_str()),
            Entity::Refund(r) => r.payment_id.as_deref(),
            Entity::Dispute(r) => r.payment_id.as_deref(),
            Entity::BalanceTransaction(r) => r.payment_id.as_deref(),
            _ => None,
        },
        InvoiceId => match e {
            Entity::Allocation(r) => Some(r.invoice_id.as_str()),
            Entity::CreditNote(r) => r.invoice_id.as_deref(),
            Entity::CollectionCase(r) => Some(r.invoice_id.as_str()),
            _ => None,
        },
        Status => match e {
            Entity::Invoice(r) => Some(r.status.as_str()),
            Entity::Payment(r) => Some(r.status.as_str()),
            Entity::Subscription(r) => Some(r.status.as_str()),
            Entity::Refund(r) => Some(r.status.as_str()),
            Entity::Dispute(r) => Some(dispute_status(&r.status)),
            Entity::BalanceTransaction(r) => r.status.as_deref(),
            Entity::Payout(r) => Some(r.status.as_str()),
            Entity::ImportRun(r) => Some(r.status.as_str()),
            Entity::CreditNote(r) => r.source.status.as_deref(),
            Entity::WriteRecord(r) => Some(r.status.as_str()),
            Entity::CollectionCase(r) => Some(r.status.as_str()),
            _ => None,
        },
        Currency => match e {
            Entity::Price(r) => Some(r.currency.code()),
            Entity::Invoice(r) => Some(r.currency.code()),
            Entity::Payment(r) => Some(r.currency.code()),
            Entity::Subscription(r) => Some(r.currency.code()),
            Entity::Refund(r) => Some(r.currency.code()),
            Entity::Dispute(r) => Some(r.currency.code()),
            Entity::Allocation(r) => Some(r.currency.code()),
            Entity::BalanceTransaction(r) => Some(r.currency.code()),
            Entity::Payout(r) => Some(r.currency.code()),
            Entity::BankLine(r) => Some(r.currency.code()),
            Entity::CreditNote(r) => Some(r.currency.code()),
            Entity::CollectionCase(r) => Some(r.currency.code()),
            _ => None,
        },
        Account => e.source().map(|s| s.account.as_str()),
        Object => e.source().map(|s| s.object.as_str()),
        ExternalId => e.source().map(|s| s.external_id.as_str()),
    }
}

/// A time column every record table carries for the paged queries (added by
/// a later migration than [`columns_of`]'s, so it is listed apart). Stored as
/// [`time_key`](super::query::time_key) text, so text order is time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeColumn {
    /// When the record was created ([`created_at`]).
    CreatedAt,
    /// When an invoice is due ([`due_at`]).
    DueAt,
    /// When the source last updated the record ([`updated_at`]).
    UpdatedAt,
}

impl TimeColumn {
    /// Every time column, in table order.
    pub const ALL: [TimeColumn; 3] = [
        TimeColumn::CreatedAt,
        TimeColumn::DueAt,
        TimeColumn::UpdatedAt,
    ];

    /// SQL column name.
    pub fn name(self) -> &'static str {
        match self {
            TimeColumn::CreatedAt => "created_at",
            TimeColumn::DueAt => "due_at",
            TimeColumn::UpdatedAt => "updated_at",
        }
    }

    /// The column's time for record `e`.
    pub fn of(self, e: &Entity) -> Option<DateTime<Utc>> {
        match self {
            TimeColumn::CreatedAt => created_at(e),
            TimeColumn::DueAt => due_at(e),
            TimeColumn::UpdatedAt => updated_at(e),
        }
    }

    /// The column's stored text for record `e` (`None` is SQL NULL).
    pub fn key_of(self, e: &Entity) -> Option<String> {
        self.of(e).map(|t| super::query::time_key(&t))
    }

    /// Appends the column's stored text for `e` to `out`, if it has one;
    /// whether it had (no allocation: a store writes these for every row).
    pub fn push_key_of(self, e: &Entity, out: &mut String) -> bool {
        match self.of(e) {
            Some(t) => {
                super::query::push_time_key(&t, out);
                true
            }
            None => false,
        }
    }
}

/// The kinds whose tables index the time columns (with the id, for the
/// paged queries' order): the big tables a range query walks. Other kinds
/// are filtered by time while walked in id order.
pub fn time_indexed(kind: EntityKind) -> &'static [TimeColumn] {
    match kind {
        EntityKind::Invoice => &TimeColumn::ALL,
        EntityKind::Payment => &[TimeColumn::CreatedAt, TimeColumn::UpdatedAt],
        _ => &[],
    }
}

/// When the record was created: the source's creation time; for books
/// records the allocation time, the run's start, the bank line's date
/// (midnight UTC) or a collection case's first event.
pub fn created_at(e: &Entity) -> Option<DateTime<Utc>> {
    if let Some(t) = e.source().and_then(|s| s.created_at) {
        return Some(t);
    }
    match e {
        Entity::Refund(r) => r.created_at,
        Entity::Dispute(r) => r.created_at,
        Entity::Allocation(r) => r.allocated_at,
        Entity::ImportRun(r) => Some(r.started_at),
        Entity::BankLine(r) => Some(r.date.and_time(NaiveTime::MIN).and_utc()),
        Entity::CollectionCase(r) => r.history.first().map(|h| h.at),
        _ => None,
    }
}

/// When an invoice is due (`None` for other kinds).
pub fn due_at(e: &Entity) -> Option<DateTime<Utc>> {
    match e {
        Entity::Invoice(r) => r.due_date,
        _ => None,
    }
}

/// When the record last changed: the source's update time; for books
/// records a write's last update, a run's end or a case's last event.
pub fn updated_at(e: &Entity) -> Option<DateTime<Utc>> {
    if let Some(t) = e.source().and_then(|s| s.updated_at) {
        return Some(t);
    }
    match e {
        Entity::WriteRecord(r) => Some(r.updated_at),
        Entity::ImportRun(r) => r.finished_at,
        Entity::CollectionCase(r) => r.history.last().map(|h| h.at),
        _ => None,
    }
}
