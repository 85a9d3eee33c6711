//! The SQL views over the books: one per record kind (and per kind of line),
//! with typed columns, so `sqlite3`, `psql` or any SQL tool can read the
//! books. A stable interface: defined here once, created by a store
//! migration, pinned by a test, documented in `docs/sql-views.md`.
//!
//! Pure: the views are described (names, types and where each value comes
//! from); each SQL store renders them in its own dialect. Changing a view
//! means a new version here ([`VIEWS_V1`] stays as it was applied) and a
//! store migration that replaces the views.

/// The SQL type of a view column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewType {
    /// Text.
    Text,
    /// An exact decimal (amounts at their currency's scale): decimal text in
    /// SQLite, `numeric` in PostgreSQL.
    Decimal,
    /// An instant: RFC 3339 UTC text in SQLite, `timestamptz` in PostgreSQL.
    Time,
    /// A calendar date: `YYYY-MM-DD` text in SQLite, `date` in PostgreSQL.
    Date,
    /// A whole number (`integer` / `bigint`).
    Integer,
    /// A flag, false when absent (0/1 in SQLite, `boolean` in PostgreSQL).
    Bool,
}

/// Where a view column's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewSource {
    /// A column of the record table (`id`, `external_id`, `account`, ...).
    Column(&'static str),
    /// A field of the record's JSON, by path.
    Record(&'static [&'static str]),
    /// A field of the line (for line views), by path.
    Line(&'static [&'static str]),
    /// The line's position in its record, from 1 (line views).
    LineNo,
    /// The source id (`external_id`) of the record of `table` whose books id
    /// is the record's field at `path`.
    SourceIdOf {
        /// The table of the referenced record.
        table: &'static str,
        /// The field holding its books id.
        path: &'static [&'static str],
    },
    /// The number of elements of the record's array at the path.
    Count(&'static [&'static str]),
}

/// One column of a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewColumn {
    /// Column name.
    pub name: &'static str,
    /// SQL type.
    pub ty: ViewType,
    /// Where the value comes from.
    pub source: ViewSource,
    /// What it holds, for the documentation.
    pub doc: &'static str,
}

/// One view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// View name.
    pub name: &'static str,
    /// The record table it reads.
    pub table: &'static str,
    /// For line views: the record's array whose elements are the rows.
    pub lines: Option<&'static [&'static str]>,
    /// Only records whose JSON field at the path has this text value.
    pub only: Option<(&'static [&'static str], &'static str)>,
    /// What a row is, for the documentation.
    pub doc: &'static str,
    /// The columns, in order.
    pub columns: &'static [ViewColumn],
}

use ViewSource::{Column, Count, Line, LineNo, Record, SourceIdOf};
use ViewType::{Bool, Date, Decimal, Integer, Text, Time};

const fn col(
    name: &'static str,
    ty: ViewType,
    source: ViewSource,
    doc: &'static str,
) -> ViewColumn {
    ViewColumn {
        name,
        ty,
        source,
        doc,
    }
}

const ID: ViewColumn = col("id", Text, Column("id"), "books id");
const STRIPE_ID: ViewColumn = col(
    "stripe_id",
    Text,
    Column("external_id"),
    "source (Stripe) id",
);
const ACCOUNT: ViewColumn = col("account", Text, Column("account"), "source account");
const CURRENCY: ViewColumn = col("currency", Text, Record(&["currency"]), "ISO currency code");
const CREATED_AT: ViewColumn = col(
    "created_at",
    Time,
    Record(&["source", "created_at"]),
    "created in the source",
);
const UPDATED_AT: ViewColumn = col(
    "updated_at",
    Time,
    Record(&["source", "updated_at"]),
    "last updated in the source",
);
const LIVEMODE: ViewColumn = col(
    "livemode",
    Bool,
    Record(&["source", "livemode"]),
    "live (not test) data",
);

/// An amount column named as the record's field.
macro_rules! amount {
    ($name:literal, $doc:literal) => {
        col($name, Decimal, Record(&[$name]), $doc)
    };
}

/// The views of the first version (SQLite schema v7, PostgreSQL schema v3).
pub const VIEWS_V1: &[View] = &[
    View {
        name: "customers",
        table: "customer",
        lines: None,
        only: None,
        doc: "one row per customer",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col("name", Text, Record(&["name"]), "display name"),
            col("email", Text, Record(&["email"]), "email address"),
            col("phone", Text, Record(&["phone"]), "phone number"),
            col("kind", Text, Record(&["kind"]), "company or contact"),
            col(
                "country",
                Text,
                Record(&["address", "country"]),
                "billing country (ISO)",
            ),
            col(
                "deleted",
                Bool,
                Record(&["deleted"]),
                "deleted in the source",
            ),
            CREATED_AT,
            UPDATED_AT,
            LIVEMODE,
        ],
    },
    View {
        name: "products",
        table: "product",
        lines: None,
        only: None,
        doc: "one row per product",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col("name", Text, Record(&["name"]), "product name"),
            col("description", Text, Record(&["description"]), "description"),
            col("active", Bool, Record(&["active"]), "available for sale"),
            CREATED_AT,
        ],
    },
    View {
        name: "prices",
        table: "price",
        lines: None,
        only: None,
        doc: "one row per price",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col(
                "product_id",
                Text,
                Record(&["product_id"]),
                "books id of the product",
            ),
            col(
                "product_stripe_id",
                Text,
                Record(&["product_ref"]),
                "source id of the product",
            ),
            CURRENCY,
            amount!("unit_amount", "price per unit"),
            col(
                "interval",
                Text,
                Record(&["recurring", "interval"]),
                "billing interval of a recurring price",
            ),
            col(
                "active",
                Bool,
                Record(&["active"]),
                "available for new purchases",
            ),
            col("nickname", Text, Record(&["nickname"]), "nickname"),
            CREATED_AT,
        ],
    },
    View {
        name: "invoices",
        table: "invoice",
        lines: None,
        only: None,
        doc: "one row per invoice; amounts and status are the books' (from allocations)",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col("number", Text, Record(&["number"]), "invoice number"),
            col(
                "customer_id",
                Text,
                Record(&["customer_id"]),
                "books id of the customer",
            ),
            col(
                "customer_stripe_id",
                Text,
                SourceIdOf {
                    table: "customer",
                    path: &["customer_id"],
                },
                "source id of the customer",
            ),
            col(
                "subscription_id",
                Text,
                Record(&["subscription_id"]),
                "books id of the subscription",
            ),
            col(
                "subscription_stripe_id",
                Text,
                Record(&["subscription_ref"]),
                "source id of the subscription",
            ),
            col("status", Text, Record(&["status"]), "books status"),
            col(
                "stripe_status",
                Text,
                Record(&["source", "status"]),
                "status in the source",
            ),
            CURRENCY,
            amount!("subtotal", "lines before discounts and exclusive tax"),
            amount!("discount", "discounts"),
            amount!("tax", "tax"),
            amount!("total", "total"),
            amount!("amount_due", "what the customer owes"),
            amount!("amount_paid", "paid, per the books' allocations"),
            amount!("amount_remaining", "still open, per the books"),
            amount!("amount_written_off", "written off under the tolerance"),
            amount!("amount_credited", "credited before payment by credit notes"),
            col("issued_at", Time, Record(&["issued_at"]), "finalized"),
            col("due_at", Time, Record(&["due_date"]), "due"),
            col(
                "paid_at",
                Time,
                Record(&["paid_at"]),
                "marked paid in the source",
            ),
            CREATED_AT,
            UPDATED_AT,
            col(
                "url",
                Text,
                Record(&["source", "url"]),
                "hosted invoice page",
            ),
            LIVEMODE,
        ],
    },
    View {
        name: "invoice_lines",
        table: "invoice",
        lines: Some(&["lines"]),
        only: None,
        doc: "one row per invoice line",
        columns: &[
            col("invoice_id", Text, Column("id"), "books id of the invoice"),
            col(
                "invoice_stripe_id",
                Text,
                Column("external_id"),
                "source id of the invoice",
            ),
            col(
                "line_no",
                Integer,
                LineNo,
                "position on the invoice, from 1",
            ),
            col(
                "stripe_id",
                Text,
                Line(&["external_id"]),
                "source id of the line",
            ),
            col("description", Text, Line(&["description"]), "description"),
            col("quantity", Decimal, Line(&["quantity"]), "quantity"),
            col(
                "unit_amount",
                Decimal,
                Line(&["unit_amount"]),
                "price per unit",
            ),
            col(
                "amount",
                Decimal,
                Line(&["amount"]),
                "line amount before invoice discounts and tax",
            ),
            col("tax", Decimal, Line(&["tax"]), "tax on the line"),
            CURRENCY,
            col(
                "period_start",
                Time,
                Line(&["period_start"]),
                "service period start",
            ),
            col(
                "period_end",
                Time,
                Line(&["period_end"]),
                "service period end",
            ),
            col(
                "price_stripe_id",
                Text,
                Line(&["price_ref"]),
                "source id of the price",
            ),
            col(
                "product_stripe_id",
                Text,
                Line(&["product_ref"]),
                "source id of the product",
            ),
            col("proration", Bool, Line(&["proration"]), "a proration line"),
        ],
    },
    View {
        name: "payments",
        table: "payment",
        lines: None,
        only: None,
        doc: "one row per payment (one real payment, however many Stripe objects name it)",
        columns: &[
            ID,
            STRIPE_ID,
            col(
                "stripe_object",
                Text,
                Column("object"),
                "source object type (charge, payment_intent, ...)",
            ),
            ACCOUNT,
            col(
                "customer_id",
                Text,
                Record(&["customer_id"]),
                "books id of the customer",
            ),
            col(
                "customer_stripe_id",
                Text,
                SourceIdOf {
                    table: "customer",
                    path: &["customer_id"],
                },
                "source id of the customer",
            ),
            col("status", Text, Record(&["status"]), "payment status"),
            CURRENCY,
            amount!("amount", "amount paid"),
            amount!("fee", "processing fees"),
            amount!("net", "amount less fees, in the settlement currency"),
            amount!("refunded", "refunded"),
            amount!("disputed", "lost to disputes"),
            amount!("allocated", "allocated to invoices"),
            amount!("unapplied", "held as unapplied"),
            amount!("settlement_amount", "amount in the settlement currency"),
            col(
                "settlement_currency",
                Text,
                Record(&["settlement_currency"]),
                "settlement currency",
            ),
            col("method", Text, Record(&["method"]), "payment method type"),
            col("received_at", Time, Record(&["received_at"]), "received"),
            col(
                "charge_stripe_id",
                Text,
                Record(&["refs", "charge"]),
                "source id of the charge",
            ),
            col(
                "payment_intent_stripe_id",
                Text,
                Record(&["refs", "payment_intent"]),
                "source id of the payment intent",
            ),
            CREATED_AT,
            UPDATED_AT,
            LIVEMODE,
        ],
    },
    View {
        name: "allocations",
        table: "allocation",
        lines: None,
        only: None,
        doc: "one row per allocation of a payment to an invoice",
        columns: &[
            ID,
            col(
                "payment_id",
                Text,
                Record(&["payment_id"]),
                "books id of the payment",
            ),
            col(
                "payment_stripe_id",
                Text,
                SourceIdOf {
                    table: "payment",
                    path: &["payment_id"],
                },
                "source id of the payment",
            ),
            col(
                "invoice_id",
                Text,
                Record(&["invoice_id"]),
                "books id of the invoice",
            ),
            col(
                "invoice_stripe_id",
                Text,
                SourceIdOf {
                    table: "invoice",
                    path: &["invoice_id"],
                },
                "source id of the invoice",
            ),
            amount!("amount", "amount allocated"),
            CURRENCY,
            col("kind", Text, Record(&["kind"]), "payment, reversal, ..."),
            col(
                "strategy",
                Text,
                Record(&["reason", "strategy"]),
                "how the payment was matched",
            ),
            col("reason", Text, Record(&["reason", "detail"]), "why"),
            col("allocated_at", Time, Record(&["allocated_at"]), "allocated"),
        ],
    },
    View {
        name: "refunds",
        table: "refund",
        lines: None,
        only: None,
        doc: "one row per refund",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col(
                "payment_id",
                Text,
                Record(&["payment_id"]),
                "books id of the payment",
            ),
            col(
                "payment_stripe_id",
                Text,
                SourceIdOf {
                    table: "payment",
                    path: &["payment_id"],
                },
                "source id of the payment",
            ),
            col("status", Text, Record(&["status"]), "refund status"),
            CURRENCY,
            amount!("amount", "amount refunded"),
            col("reason", Text, Record(&["reason"]), "reason"),
            col("created_at", Time, Record(&["created_at"]), "created"),
        ],
    },
    View {
        name: "disputes",
        table: "dispute",
        lines: None,
        only: None,
        doc: "one row per dispute",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col(
                "payment_id",
                Text,
                Record(&["payment_id"]),
                "books id of the payment",
            ),
            col(
                "payment_stripe_id",
                Text,
                SourceIdOf {
                    table: "payment",
                    path: &["payment_id"],
                },
                "source id of the payment",
            ),
            col("status", Text, Record(&["status"]), "dispute status"),
            CURRENCY,
            amount!("amount", "amount disputed"),
            col("reason", Text, Record(&["reason"]), "reason"),
            col("created_at", Time, Record(&["created_at"]), "created"),
        ],
    },
    View {
        name: "subscriptions",
        table: "subscription",
        lines: None,
        only: None,
        doc: "one row per subscription",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col(
                "customer_id",
                Text,
                Record(&["customer_id"]),
                "books id of the customer",
            ),
            col(
                "customer_stripe_id",
                Text,
                SourceIdOf {
                    table: "customer",
                    path: &["customer_id"],
                },
                "source id of the customer",
            ),
            col("status", Text, Record(&["status"]), "subscription status"),
            CURRENCY,
            amount!("amount", "recurring amount per interval"),
            col("interval", Text, Record(&["interval"]), "billing interval"),
            col(
                "interval_count",
                Integer,
                Record(&["interval_count"]),
                "intervals per billing period",
            ),
            col("start_date", Time, Record(&["start_date"]), "started"),
            col(
                "current_period_start",
                Time,
                Record(&["current_period_start"]),
                "current period start",
            ),
            col(
                "current_period_end",
                Time,
                Record(&["current_period_end"]),
                "current period end",
            ),
            col(
                "cancel_at_period_end",
                Bool,
                Record(&["cancel_at_period_end"]),
                "ends at the period end",
            ),
            col("canceled_at", Time, Record(&["canceled_at"]), "canceled"),
            col("ended_at", Time, Record(&["ended_at"]), "ended"),
            CREATED_AT,
        ],
    },
    View {
        name: "subscription_items",
        table: "subscription",
        lines: Some(&["items"]),
        only: None,
        doc: "one row per subscription item",
        columns: &[
            col(
                "subscription_id",
                Text,
                Column("id"),
                "books id of the subscription",
            ),
            col(
                "subscription_stripe_id",
                Text,
                Column("external_id"),
                "source id of the subscription",
            ),
            col("item_no", Integer, LineNo, "position, from 1"),
            col(
                "stripe_id",
                Text,
                Line(&["external_id"]),
                "source id of the item",
            ),
            col(
                "price_stripe_id",
                Text,
                Line(&["price_ref"]),
                "source id of the price",
            ),
            col(
                "product_stripe_id",
                Text,
                Line(&["product_ref"]),
                "source id of the product",
            ),
            col("quantity", Decimal, Line(&["quantity"]), "quantity"),
            col(
                "unit_amount",
                Decimal,
                Line(&["unit_amount"]),
                "price per unit",
            ),
            CURRENCY,
            col("interval", Text, Line(&["interval"]), "billing interval"),
            col(
                "interval_count",
                Integer,
                Line(&["interval_count"]),
                "intervals per billing period",
            ),
        ],
    },
    View {
        name: "balance_transactions",
        table: "balance_transaction",
        lines: None,
        only: None,
        doc: "one row per Stripe balance transaction",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col(
                "type",
                Text,
                Record(&["kind"]),
                "Stripe type (charge, refund, payout, ...)",
            ),
            col(
                "reporting_category",
                Text,
                Record(&["reporting_category"]),
                "Stripe reporting category",
            ),
            col("status", Text, Record(&["status"]), "pending or available"),
            CURRENCY,
            amount!("amount", "gross amount"),
            amount!("fee", "fees"),
            amount!("net", "net amount"),
            col(
                "exchange_rate",
                Decimal,
                Record(&["exchange_rate"]),
                "conversion rate, when converted",
            ),
            col(
                "available_on",
                Time,
                Record(&["available_on"]),
                "funds available",
            ),
            col(
                "payment_id",
                Text,
                Record(&["payment_id"]),
                "books id of the payment",
            ),
            col(
                "source_stripe_id",
                Text,
                Record(&["source_object"]),
                "source id of the object that moved the balance",
            ),
            col(
                "payout_stripe_id",
                Text,
                Record(&["payout_ref"]),
                "source id of the payout that paid it out",
            ),
            CREATED_AT,
        ],
    },
    View {
        name: "payouts",
        table: "payout",
        lines: None,
        only: None,
        doc: "one row per payout",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col("status", Text, Record(&["status"]), "payout status"),
            CURRENCY,
            amount!("amount", "amount paid out"),
            col(
                "arrival_date",
                Date,
                Record(&["arrival_date"]),
                "expected arrival",
            ),
            col(
                "automatic",
                Bool,
                Record(&["automatic"]),
                "automatic payout",
            ),
            col("method", Text, Record(&["method"]), "standard or instant"),
            col(
                "statement_descriptor",
                Text,
                Record(&["statement_descriptor"]),
                "text on the bank statement",
            ),
            col(
                "bank_line_id",
                Text,
                Record(&["deposit_id"]),
                "books id of the matched bank line",
            ),
            CREATED_AT,
        ],
    },
    View {
        name: "bank_lines",
        table: "bank_line",
        lines: None,
        only: None,
        doc: "one row per imported bank statement line",
        columns: &[
            ID,
            col("bank_account", Text, Record(&["account"]), "bank account"),
            col("date", Date, Record(&["date"]), "booking date"),
            CURRENCY,
            amount!("amount", "amount (deposits positive)"),
            col("description", Text, Record(&["description"]), "description"),
            col("reference", Text, Record(&["reference"]), "reference"),
            col(
                "payout_id",
                Text,
                Record(&["payout_id"]),
                "books id of the matched payout",
            ),
            col(
                "payout_stripe_id",
                Text,
                SourceIdOf {
                    table: "payout",
                    path: &["payout_id"],
                },
                "source id of the matched payout",
            ),
        ],
    },
    View {
        name: "credit_notes",
        table: "credit_note",
        lines: None,
        only: None,
        doc: "one row per credit note",
        columns: &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col("number", Text, Record(&["number"]), "credit note number"),
            col(
                "invoice_id",
                Text,
                Record(&["invoice_id"]),
                "books id of the invoice",
            ),
            col(
                "invoice_stripe_id",
                Text,
                Record(&["invoice_ref"]),
                "source id of the invoice",
            ),
            col(
                "customer_id",
                Text,
                Record(&["customer_id"]),
                "books id of the customer",
            ),
            col(
                "status",
                Text,
                Record(&["source", "status"]),
                "status in the source",
            ),
            CURRENCY,
            amount!("amount", "total credited"),
            amount!("pre_payment_amount", "credited before payment"),
            amount!("post_payment_amount", "credited after payment"),
            amount!("refund_amount", "refunded"),
            amount!("credit_amount", "credited to the customer balance"),
            amount!("out_of_band_amount", "settled outside Stripe"),
            col("reason", Text, Record(&["reason"]), "reason"),
            col("effective_at", Time, Record(&["effective_at"]), "effective"),
            col("voided_at", Time, Record(&["voided_at"]), "voided"),
            CREATED_AT,
        ],
    },
    View {
        name: "import_runs",
        table: "import_run",
        lines: None,
        only: None,
        doc: "one row per import run (the history)",
        columns: &[
            ID,
            col(
                "source",
                Text,
                Record(&["source"]),
                "what was imported from",
            ),
            col(
                "mode",
                Text,
                Record(&["mode"]),
                "review, import, events, ...",
            ),
            col("status", Text, Record(&["status"]), "run status"),
            col("started_at", Time, Record(&["started_at"]), "started"),
            col("finished_at", Time, Record(&["finished_at"]), "finished"),
            col(
                "created",
                Integer,
                Record(&["totals", "created"]),
                "records created",
            ),
            col(
                "updated",
                Integer,
                Record(&["totals", "updated"]),
                "records updated",
            ),
            col(
                "unchanged",
                Integer,
                Record(&["totals", "unchanged"]),
                "records unchanged",
            ),
            col(
                "skipped",
                Integer,
                Record(&["totals", "skipped"]),
                "records skipped",
            ),
            col(
                "failed",
                Integer,
                Record(&["totals", "failed"]),
                "records failed",
            ),
            col("failures", Integer, Count(&["failures"]), "failures listed"),
            col("error", Text, Record(&["error"]), "why the run stopped"),
            col(
                "plan_hash",
                Text,
                Record(&["plan_hash"]),
                "hash of the plan",
            ),
        ],
    },
    View {
        name: "collection_cases",
        table: "collection_case",
        lines: None,
        only: None,
        doc: "one row per collection case (an unpaid invoice in collection)",
        columns: &[
            ID,
            col(
                "invoice_id",
                Text,
                Record(&["invoice_id"]),
                "books id of the invoice",
            ),
            col(
                "invoice_stripe_id",
                Text,
                Record(&["invoice_external_id"]),
                "source id of the invoice",
            ),
            col(
                "invoice_number",
                Text,
                Record(&["invoice_number"]),
                "invoice number",
            ),
            col(
                "customer_id",
                Text,
                Record(&["debtor", "customer_id"]),
                "books id of the customer",
            ),
            col(
                "debtor_name",
                Text,
                Record(&["debtor", "name"]),
                "debtor name",
            ),
            col(
                "debtor_email",
                Text,
                Record(&["debtor", "email"]),
                "debtor email",
            ),
            CURRENCY,
            amount!("original_amount", "invoice total when the case opened"),
            amount!("open_amount", "still open"),
            col(
                "age_from",
                Time,
                Record(&["age_from"]),
                "the date ages count from",
            ),
            col(
                "age_basis",
                Text,
                Record(&["age_basis"]),
                "due date or issue date",
            ),
            col("status", Text, Record(&["status"]), "case status"),
            col(
                "close_reason",
                Text,
                Record(&["close_reason"]),
                "why it closed",
            ),
            col(
                "events",
                Integer,
                Count(&["history"]),
                "events in its history",
            ),
        ],
    },
    View {
        name: "writes",
        table: "write_record",
        lines: None,
        only: None,
        doc: "one row per write to the outside (emails, Slack, Stripe, ledger posts)",
        columns: &[
            ID,
            col("key", Text, Record(&["key"]), "idempotency key"),
            col(
                "target",
                Text,
                Record(&["intent", "target"]),
                "channel or target",
            ),
            col(
                "kind",
                Text,
                Record(&["intent", "kind"]),
                "follow_up, ledger_post, ...",
            ),
            col(
                "purpose",
                Text,
                Record(&["intent", "purpose"]),
                "what the key derives from",
            ),
            col(
                "subject_id",
                Text,
                Record(&["intent", "subject"]),
                "books id of the record it is about",
            ),
            col(
                "amount",
                Decimal,
                Record(&["intent", "amount", "amount"]),
                "amount it concerns",
            ),
            col(
                "currency",
                Text,
                Record(&["intent", "amount", "currency"]),
                "currency of the amount",
            ),
            col(
                "status",
                Text,
                Record(&["status"]),
                "planned, succeeded, unknown, ...",
            ),
            col("attempts", Integer, Count(&["attempts"]), "attempts made"),
            col(
                "planned_at",
                Time,
                Record(&["intent", "planned_at"]),
                "planned",
            ),
            col("updated_at", Time, Record(&["updated_at"]), "last change"),
        ],
    },
    View {
        name: "follow_ups",
        table: "write_record",
        lines: None,
        only: Some((&["intent", "kind"], "follow_up")),
        doc: "one row per follow-up message (reminders to customers about open invoices)",
        columns: &[
            ID,
            col(
                "channel",
                Text,
                Record(&["intent", "target"]),
                "email, slack, ...",
            ),
            col(
                "invoice_id",
                Text,
                Record(&["intent", "subject"]),
                "books id of the invoice",
            ),
            col(
                "invoice_stripe_id",
                Text,
                Record(&["intent", "payload", "invoice_external_id"]),
                "source id of the invoice",
            ),
            col(
                "customer_id",
                Text,
                Record(&["intent", "payload", "customer_id"]),
                "books id of the customer",
            ),
            col(
                "step",
                Text,
                Record(&["intent", "payload", "step"]),
                "policy step",
            ),
            col(
                "to_email",
                Text,
                Record(&["intent", "payload", "to_email"]),
                "recipient",
            ),
            col(
                "subject",
                Text,
                Record(&["intent", "payload", "subject"]),
                "message subject",
            ),
            col(
                "open_amount",
                Decimal,
                Record(&["intent", "amount", "amount"]),
                "open amount when planned",
            ),
            col(
                "currency",
                Text,
                Record(&["intent", "amount", "currency"]),
                "currency",
            ),
            col(
                "status",
                Text,
                Record(&["status"]),
                "planned, succeeded, ...",
            ),
            col(
                "planned_at",
                Time,
                Record(&["intent", "planned_at"]),
                "planned",
            ),
            col("updated_at", Time, Record(&["updated_at"]), "last change"),
        ],
    },
    View {
        name: "ledger_posts",
        table: "write_record",
        lines: None,
        only: Some((&["intent", "kind"], "ledger_post")),
        doc: "one row per journal entry posted to an external ledger (QuickBooks, Xero)",
        columns: &[
            ID,
            col("target", Text, Record(&["intent", "target"]), "ledger"),
            col(
                "purpose",
                Text,
                Record(&["intent", "purpose"]),
                "ledger/target/account/entry",
            ),
            col(
                "status",
                Text,
                Record(&["status"]),
                "planned, succeeded, unknown, ...",
            ),
            col("attempts", Integer, Count(&["attempts"]), "attempts made"),
            col(
                "planned_at",
                Time,
                Record(&["intent", "planned_at"]),
                "planned",
            ),
            col("updated_at", Time, Record(&["updated_at"]), "last change"),
        ],
    },
    View {
        name: "ledger_exports",
        table: "ledger_export",
        lines: None,
        only: None,
        doc: "one row per journal entry a file export target received (the export log)",
        columns: &[
            ID,
            col(
                "target",
                Text,
                Record(&["target"]),
                "beancount, hledger, ...",
            ),
            col(
                "entry_id",
                Text,
                Record(&["entry_id"]),
                "the journal entry's stable id",
            ),
            col(
                "exported_at",
                Time,
                Record(&["at"]),
                "when it was exported (the last adjustment's time once adjusted)",
            ),
            col("entry_date", Date, Record(&["date"]), "the entry's date"),
            col(
                "postings",
                Integer,
                Count(&["postings"]),
                "postings the target holds for it",
            ),
            col(
                "adjustments",
                Integer,
                Record(&["adjustments"]),
                "adjusting entries emitted for it",
            ),
        ],
    },
];

/// The view named `name` in [`VIEWS_V1`].
pub fn view(name: &str) -> Option<&'static View> {
    VIEWS_V1.iter().find(|v| v.name == name)
}

impl ViewType {
    /// The column's type in SQLite and in PostgreSQL, for the documentation.
    pub fn sql_types(self) -> (&'static str, &'static str) {
        match self {
            ViewType::Text => ("text", "text"),
            ViewType::Decimal => ("decimal text", "numeric"),
            ViewType::Time => ("RFC 3339 text (UTC)", "timestamptz"),
            ViewType::Date => ("`YYYY-MM-DD` text", "date"),
            ViewType::Integer => ("integer", "bigint"),
            ViewType::Bool => ("0 / 1", "boolean"),
        }
    }
}

/// The reference section of `docs/sql-views.md`: a table of columns per view
/// (the documentation test keeps the file equal to it).
pub fn markdown(views: &[View]) -> String {
    let mut out = String::new();
    for v in views {
        out.push_str(&format!("### `{}`\n\n", v.name));
        out.push_str(&format!(
            "{} (from the `{}` records",
            capitalized(v.doc),
            v.table
        ));
        if let Some((path, value)) = v.only {
            out.push_str(&format!(" whose `{}` is `{value}`", path.join(".")));
        }
        out.push_str(").\n\n| column | SQLite | PostgreSQL | meaning |\n|---|---|---|---|\n");
        for c in v.columns {
            let (lite, pg) = c.ty.sql_types();
            out.push_str(&format!("| `{}` | {lite} | {pg} | {} |\n", c.name, c.doc));
        }
        out.push('\n');
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::EntityKind;

    /// `docs/sql-views.md` documents every view and column as defined here.
    /// `TIEOUT_WRITE_DOCS=1 cargo test -p tieout-core views` rewrites its
    /// reference section.
    #[test]
    fn the_documentation_lists_every_view_and_column() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/sql-views.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        const MARK: &str = "<!-- reference: generated from core/src/store/views.rs -->\n";
        let head = doc.split(MARK).next().unwrap_or_default().to_string();
        let want = format!("{head}{MARK}\n{}", markdown(VIEWS_V1));
        if std::env::var("TIEOUT_WRITE_DOCS").is_ok() {
            std::fs::write(path, &want).unwrap();
            return;
        }
        assert!(
            doc.contains(MARK),
            "docs/sql-views.md lacks its reference marker"
        );
        assert_eq!(
            doc, want,
            "docs/sql-views.md is stale: rerun with TIEOUT_WRITE_DOCS=1"
        );
    }

    #[test]
    fn every_view_reads_a_record_table_and_names_its_columns_once() {
        let tables: Vec<&str> = EntityKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut names = std::collections::BTreeSet::new();
        for v in VIEWS_V1 {
            assert!(tables.contains(&v.table), "{}", v.name);
            assert!(names.insert(v.name), "two views named {}", v.name);
            let mut cols = std::collections::BTreeSet::new();
            for c in v.columns {
                assert!(cols.insert(c.name), "{}.{} twice", v.name, c.name);
                let line = matches!(c.source, ViewSource::Line(_) | ViewSource::LineNo);
                assert!(!line || v.lines.is_some(), "{}.{}", v.name, c.name);
            }
        }
        for kind in EntityKind::ALL {
            assert!(
                VIEWS_V1.iter().any(|v| v.table == kind.as_str()),
                "no view of {}",
                kind.as_str()
            );
        }
    }
}
