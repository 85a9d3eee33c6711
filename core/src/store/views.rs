//! The SQL views over the books: one per record kind (and per kind of line),
//! with typed columns, so `sqlite3`, `psql` or any SQL tool can read the
//! books. A stable interface: defined here once, created by a store
//! migration, pinned by a test, documented in `docs/sql-views.md`.
//!
//! Pure: the views are described (names, types and where each value comes
//! from); each SQL store renders them in its own dialect. Changing a view
//! means a new version here ([`VIEWS_V1`] stays as it was applied) and a
//! store migration that replaces the views: [`VIEWS_V2`] appended the
//! write-off's columns to `invoices`. [`VIEWS`] is the current version.

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

/// The books id of the customer a record names.
const CUSTOMER_ID: ViewColumn = col(
    "customer_id",
    Text,
    Record(&["customer_id"]),
    "books id of the customer",
);
/// The source id of the customer a record names (through its books id).
const CUSTOMER_STRIPE_ID: ViewColumn = col(
    "customer_stripe_id",
    Text,
    SourceIdOf {
        table: "customer",
        path: &["customer_id"],
    },
    "source id of the customer",
);
/// The books id of the payment a record names.
const PAYMENT_ID: ViewColumn = col(
    "payment_id",
    Text,
    Record(&["payment_id"]),
    "books id of the payment",
);
/// The source id of the payment a record names (through its books id).
const PAYMENT_STRIPE_ID: ViewColumn = col(
    "payment_stripe_id",
    Text,
    SourceIdOf {
        table: "payment",
        path: &["payment_id"],
    },
    "source id of the payment",
);
/// The books id of the invoice a record names.
const INVOICE_ID: ViewColumn = col(
    "invoice_id",
    Text,
    Record(&["invoice_id"]),
    "books id of the invoice",
);
/// The source id of the invoice a record names (through its books id).
const INVOICE_STRIPE_ID: ViewColumn = col(
    "invoice_stripe_id",
    Text,
    SourceIdOf {
        table: "invoice",
        path: &["invoice_id"],
    },
    "source id of the invoice",
);
/// A write's attempts.
const ATTEMPTS: ViewColumn = col("attempts", Integer, Count(&["attempts"]), "attempts made");
/// When a write was planned.
const PLANNED_AT: ViewColumn = col(
    "planned_at",
    Time,
    Record(&["intent", "planned_at"]),
    "planned",
);
/// A write's last change.
const LAST_CHANGE: ViewColumn = col("updated_at", Time, Record(&["updated_at"]), "last change");

/// A column named as the record's top-level field.
macro_rules! field {
    ($name:literal, $ty:ident, $doc:literal) => {
        col($name, $ty, Record(&[$name]), $doc)
    };
}

/// An amount column named as the record's field.
macro_rules! amount {
    ($name:literal, $doc:literal) => {
        field!($name, Decimal, $doc)
    };
}

/// A column from a write's intent: its field `$key`.
macro_rules! intent {
    ($name:literal, $ty:ident, $key:literal, $doc:literal) => {
        col($name, $ty, Record(&["intent", $key]), $doc)
    };
}

/// A column from a write's payload: its field `$key`.
macro_rules! payload {
    ($name:literal, $ty:ident, $key:literal, $doc:literal) => {
        col($name, $ty, Record(&["intent", "payload", $key]), $doc)
    };
}

/// A line view's column named as the line's top-level field.
macro_rules! line_field {
    ($name:literal, $ty:ident, $doc:literal) => {
        col($name, $ty, Line(&[$name]), $doc)
    };
}

/// A view with a row per record of `table`.
const fn table_view(
    name: &'static str,
    table: &'static str,
    doc: &'static str,
    columns: &'static [ViewColumn],
) -> View {
    View {
        name,
        table,
        lines: None,
        only: None,
        doc,
        columns,
    }
}

impl View {
    /// The view with a row per element of the record's array at `lines`.
    const fn per_line(mut self, lines: &'static [&'static str]) -> View {
        self.lines = Some(lines);
        self
    }

    /// The view over only the records whose field at `path` is `value`.
    const fn only(mut self, path: &'static [&'static str], value: &'static str) -> View {
        self.only = Some((path, value));
        self
    }
}

/// The `invoices` view's columns in [`VIEWS_V1`].
const INVOICE_COLUMNS_V1: &[ViewColumn] = &[
    ID,
    STRIPE_ID,
    ACCOUNT,
    field!("number", Text, "invoice number"),
    CUSTOMER_ID,
    CUSTOMER_STRIPE_ID,
    field!("subscription_id", Text, "books id of the subscription"),
    col(
        "subscription_stripe_id",
        Text,
        Record(&["subscription_ref"]),
        "source id of the subscription",
    ),
    field!("status", Text, "books status"),
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
    amount!(
        "amount_written_off",
        "written off (tolerance, and a write-off by hand less what was recovered)"
    ),
    amount!("amount_credited", "credited before payment by credit notes"),
    field!("issued_at", Time, "finalized"),
    col("due_at", Time, Record(&["due_date"]), "due"),
    field!("paid_at", Time, "marked paid in the source"),
    CREATED_AT,
    UPDATED_AT,
    col(
        "url",
        Text,
        Record(&["source", "url"]),
        "hosted invoice page",
    ),
    LIVEMODE,
];

/// What [`VIEWS_V2`] appends to the `invoices` view: a write-off by hand.
const INVOICE_WRITE_OFF: [ViewColumn; 4] = [
    col(
        "write_off_amount",
        Decimal,
        Record(&["write_off", "amount"]),
        "open amount written off by hand (null when never written off)",
    ),
    col(
        "write_off_recovered",
        Decimal,
        Record(&["write_off", "recovered"]),
        "of it, what payments matched later recovered",
    ),
    col(
        "write_off_reason",
        Text,
        Record(&["write_off", "reason"]),
        "why it was written off, in a person's words",
    ),
    col(
        "write_off_at",
        Time,
        Record(&["write_off", "at"]),
        "when it was written off",
    ),
];

/// The `invoices` view's columns in [`VIEWS_V2`]: version 1's, then the
/// write-off's (appended: a version only adds columns at the end).
const INVOICE_COLUMNS_V2: [ViewColumn; INVOICE_COLUMNS_V1.len() + INVOICE_WRITE_OFF.len()] =
    appended(INVOICE_COLUMNS_V1, &INVOICE_WRITE_OFF);

/// `a` then `b`, as one array (`N` = their lengths' sum).
const fn appended<const N: usize>(a: &[ViewColumn], b: &[ViewColumn]) -> [ViewColumn; N] {
    assert!(a.len() + b.len() == N);
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

/// Whether two names are equal (`str` equality is not `const`).
const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `views` with the columns of the view named `name` replaced by `columns`.
const fn with_columns<const N: usize>(
    views: &[View],
    name: &str,
    columns: &'static [ViewColumn],
) -> [View; N] {
    assert!(views.len() == N);
    let mut out = [views[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = views[i];
        if same_name(views[i].name, name) {
            out[i].columns = columns;
        }
        i += 1;
    }
    out
}

/// The views of the second version (SQLite schema v9, PostgreSQL schema v6):
/// version 1's, the `invoices` view with the write-off's columns appended.
pub const VIEWS_V2: &[View] = &VIEWS_V2_ARRAY;

const VIEWS_V2_ARRAY: [View; VIEWS_V1.len()] =
    with_columns(VIEWS_V1, "invoices", &INVOICE_COLUMNS_V2);

/// The views this build creates: the latest version.
pub const VIEWS: &[View] = VIEWS_V2;

/// The views of the first version (SQLite schema v7, PostgreSQL schema v3).
pub const VIEWS_V1: &[View] = &[
    table_view(
        "customers",
        "customer",
        "one row per customer",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            field!("name", Text, "display name"),
            field!("email", Text, "email address"),
            field!("phone", Text, "phone number"),
            field!("kind", Text, "company or contact"),
            col(
                "country",
                Text,
                Record(&["address", "country"]),
                "billing country (ISO)",
            ),
            field!("deleted", Bool, "deleted in the source"),
            CREATED_AT,
            UPDATED_AT,
            LIVEMODE,
        ],
    ),
    table_view(
        "products",
        "product",
        "one row per product",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            field!("name", Text, "product name"),
            field!("description", Text, "description"),
            field!("active", Bool, "available for sale"),
            CREATED_AT,
        ],
    ),
    table_view(
        "prices",
        "price",
        "one row per price",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            field!("product_id", Text, "books id of the product"),
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
            field!("active", Bool, "available for new purchases"),
            field!("nickname", Text, "nickname"),
            CREATED_AT,
        ],
    ),
    table_view(
        "invoices",
        "invoice",
        "one row per invoice; amounts and status are the books' (from allocations)",
        INVOICE_COLUMNS_V1,
    ),
    table_view(
        "invoice_lines",
        "invoice",
        "one row per invoice line",
        &[
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
            line_field!("description", Text, "description"),
            line_field!("quantity", Decimal, "quantity"),
            line_field!("unit_amount", Decimal, "price per unit"),
            line_field!(
                "amount",
                Decimal,
                "line amount before invoice discounts and tax"
            ),
            line_field!("tax", Decimal, "tax on the line"),
            CURRENCY,
            line_field!("period_start", Time, "service period start"),
            line_field!("period_end", Time, "service period end"),
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
            line_field!("proration", Bool, "a proration line"),
        ],
    )
    .per_line(&["lines"]),
    table_view(
        "payments",
        "payment",
        "one row per payment (one real payment, however many Stripe objects name it)",
        &[
            ID,
            STRIPE_ID,
            col(
                "stripe_object",
                Text,
                Column("object"),
                "source object type (charge, payment_intent, ...)",
            ),
            ACCOUNT,
            CUSTOMER_ID,
            CUSTOMER_STRIPE_ID,
            field!("status", Text, "payment status"),
            CURRENCY,
            amount!("amount", "amount paid"),
            amount!("fee", "processing fees"),
            amount!("net", "amount less fees, in the settlement currency"),
            amount!("refunded", "refunded"),
            amount!("disputed", "lost to disputes"),
            amount!("allocated", "allocated to invoices"),
            amount!("unapplied", "held as unapplied"),
            amount!("settlement_amount", "amount in the settlement currency"),
            field!("settlement_currency", Text, "settlement currency"),
            field!("method", Text, "payment method type"),
            field!("received_at", Time, "received"),
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
    ),
    table_view(
        "allocations",
        "allocation",
        "one row per allocation of a payment to an invoice",
        &[
            ID,
            PAYMENT_ID,
            PAYMENT_STRIPE_ID,
            INVOICE_ID,
            INVOICE_STRIPE_ID,
            amount!("amount", "amount allocated"),
            CURRENCY,
            field!("kind", Text, "payment, reversal, ..."),
            col(
                "strategy",
                Text,
                Record(&["reason", "strategy"]),
                "how the payment was matched",
            ),
            col("reason", Text, Record(&["reason", "detail"]), "why"),
            field!("allocated_at", Time, "allocated"),
        ],
    ),
    table_view(
        "refunds",
        "refund",
        "one row per refund",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            PAYMENT_ID,
            PAYMENT_STRIPE_ID,
            field!("status", Text, "refund status"),
            CURRENCY,
            amount!("amount", "amount refunded"),
            field!("reason", Text, "reason"),
            field!("created_at", Time, "created"),
        ],
    ),
    table_view(
        "disputes",
        "dispute",
        "one row per dispute",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            PAYMENT_ID,
            PAYMENT_STRIPE_ID,
            field!("status", Text, "dispute status"),
            CURRENCY,
            amount!("amount", "amount disputed"),
            field!("reason", Text, "reason"),
            field!("created_at", Time, "created"),
        ],
    ),
    table_view(
        "subscriptions",
        "subscription",
        "one row per subscription",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            CUSTOMER_ID,
            CUSTOMER_STRIPE_ID,
            field!("status", Text, "subscription status"),
            CURRENCY,
            amount!("amount", "recurring amount per interval"),
            field!("interval", Text, "billing interval"),
            field!("interval_count", Integer, "intervals per billing period"),
            field!("start_date", Time, "started"),
            field!("current_period_start", Time, "current period start"),
            field!("current_period_end", Time, "current period end"),
            field!("cancel_at_period_end", Bool, "ends at the period end"),
            field!("canceled_at", Time, "canceled"),
            field!("ended_at", Time, "ended"),
            CREATED_AT,
        ],
    ),
    table_view(
        "subscription_items",
        "subscription",
        "one row per subscription item",
        &[
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
            line_field!("quantity", Decimal, "quantity"),
            line_field!("unit_amount", Decimal, "price per unit"),
            CURRENCY,
            line_field!("interval", Text, "billing interval"),
            line_field!("interval_count", Integer, "intervals per billing period"),
        ],
    )
    .per_line(&["items"]),
    table_view(
        "balance_transactions",
        "balance_transaction",
        "one row per Stripe balance transaction",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            col(
                "type",
                Text,
                Record(&["kind"]),
                "Stripe type (charge, refund, payout, ...)",
            ),
            field!("reporting_category", Text, "Stripe reporting category"),
            field!("status", Text, "pending or available"),
            CURRENCY,
            amount!("amount", "gross amount"),
            amount!("fee", "fees"),
            amount!("net", "net amount"),
            amount!("exchange_rate", "conversion rate, when converted"),
            field!("available_on", Time, "funds available"),
            PAYMENT_ID,
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
    ),
    table_view(
        "payouts",
        "payout",
        "one row per payout",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            field!("status", Text, "payout status"),
            CURRENCY,
            amount!("amount", "amount paid out"),
            field!("arrival_date", Date, "expected arrival"),
            field!("automatic", Bool, "automatic payout"),
            field!("method", Text, "standard or instant"),
            field!("statement_descriptor", Text, "text on the bank statement"),
            col(
                "bank_line_id",
                Text,
                Record(&["deposit_id"]),
                "books id of the matched bank line",
            ),
            CREATED_AT,
        ],
    ),
    table_view(
        "bank_lines",
        "bank_line",
        "one row per imported bank statement line",
        &[
            ID,
            col("bank_account", Text, Record(&["account"]), "bank account"),
            field!("date", Date, "booking date"),
            CURRENCY,
            amount!("amount", "amount (deposits positive)"),
            field!("description", Text, "description"),
            field!("reference", Text, "reference"),
            field!("payout_id", Text, "books id of the matched payout"),
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
    ),
    table_view(
        "credit_notes",
        "credit_note",
        "one row per credit note",
        &[
            ID,
            STRIPE_ID,
            ACCOUNT,
            field!("number", Text, "credit note number"),
            INVOICE_ID,
            col(
                "invoice_stripe_id",
                Text,
                Record(&["invoice_ref"]),
                "source id of the invoice",
            ),
            CUSTOMER_ID,
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
            field!("reason", Text, "reason"),
            field!("effective_at", Time, "effective"),
            field!("voided_at", Time, "voided"),
            CREATED_AT,
        ],
    ),
    table_view(
        "import_runs",
        "import_run",
        "one row per import run (the history)",
        &[
            ID,
            field!("source", Text, "what was imported from"),
            field!("mode", Text, "review, import, events, ..."),
            field!("status", Text, "run status"),
            field!("started_at", Time, "started"),
            field!("finished_at", Time, "finished"),
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
            field!("error", Text, "why the run stopped"),
            field!("plan_hash", Text, "hash of the plan"),
        ],
    ),
    table_view(
        "collection_cases",
        "collection_case",
        "one row per collection case (an unpaid invoice in collection)",
        &[
            ID,
            INVOICE_ID,
            col(
                "invoice_stripe_id",
                Text,
                Record(&["invoice_external_id"]),
                "source id of the invoice",
            ),
            field!("invoice_number", Text, "invoice number"),
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
            field!("age_from", Time, "the date ages count from"),
            field!("age_basis", Text, "due date or issue date"),
            field!("status", Text, "case status"),
            field!("close_reason", Text, "why it closed"),
            col(
                "events",
                Integer,
                Count(&["history"]),
                "events in its history",
            ),
        ],
    ),
    table_view(
        "writes",
        "write_record",
        "one row per write to the outside (emails, Slack, Stripe, ledger posts)",
        &[
            ID,
            field!("key", Text, "idempotency key"),
            intent!("target", Text, "target", "channel or target"),
            intent!("kind", Text, "kind", "follow_up, ledger_post, ..."),
            intent!("purpose", Text, "purpose", "what the key derives from"),
            intent!(
                "subject_id",
                Text,
                "subject",
                "books id of the record it is about"
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
            field!("status", Text, "planned, succeeded, unknown, ..."),
            ATTEMPTS,
            PLANNED_AT,
            LAST_CHANGE,
        ],
    ),
    table_view(
        "follow_ups",
        "write_record",
        "one row per follow-up message (reminders to customers about open invoices)",
        &[
            ID,
            intent!("channel", Text, "target", "email, slack, ..."),
            intent!("invoice_id", Text, "subject", "books id of the invoice"),
            payload!(
                "invoice_stripe_id",
                Text,
                "invoice_external_id",
                "source id of the invoice"
            ),
            payload!(
                "customer_id",
                Text,
                "customer_id",
                "books id of the customer"
            ),
            payload!("step", Text, "step", "policy step"),
            payload!("to_email", Text, "to_email", "recipient"),
            payload!("subject", Text, "subject", "message subject"),
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
            field!("status", Text, "planned, succeeded, ..."),
            PLANNED_AT,
            LAST_CHANGE,
        ],
    )
    .only(&["intent", "kind"], "follow_up"),
    table_view(
        "ledger_posts",
        "write_record",
        "one row per journal entry posted to an external ledger (QuickBooks, Xero)",
        &[
            ID,
            intent!("target", Text, "target", "ledger"),
            intent!("purpose", Text, "purpose", "ledger/target/account/entry"),
            field!("status", Text, "planned, succeeded, unknown, ..."),
            ATTEMPTS,
            PLANNED_AT,
            LAST_CHANGE,
        ],
    )
    .only(&["intent", "kind"], "ledger_post"),
    table_view(
        "ledger_exports",
        "ledger_export",
        "one row per journal entry a file export target received (the export log)",
        &[
            ID,
            field!("target", Text, "beancount, hledger, ..."),
            field!("entry_id", Text, "the journal entry's stable id"),
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
            field!("adjustments", Integer, "adjusting entries emitted for it"),
        ],
    ),
];

/// The view named `name` in the current version ([`VIEWS`]).
pub fn view(name: &str) -> Option<&'static View> {
    VIEWS.iter().find(|v| v.name == name)
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
        let want = format!("{head}{MARK}\n{}", markdown(VIEWS));
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
        for v in VIEWS {
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
                VIEWS.iter().any(|v| v.table == kind.as_str()),
                "no view of {}",
                kind.as_str()
            );
        }
    }

    /// A later version only appends columns: every view of version 1 is in
    /// version 2 with the same columns in the same order, at its start.
    #[test]
    fn version_2_only_appends_columns_to_version_1() {
        assert_eq!(VIEWS_V1.len(), VIEWS_V2.len());
        let mut grown = Vec::new();
        for (v1, v2) in VIEWS_V1.iter().zip(VIEWS_V2) {
            assert_eq!(
                (v1.name, v1.table, v1.lines, v1.only),
                (v2.name, v2.table, v2.lines, v2.only)
            );
            assert_eq!(&v2.columns[..v1.columns.len()], v1.columns, "{}", v1.name);
            if v2.columns.len() > v1.columns.len() {
                grown.push(v1.name);
            }
        }
        assert_eq!(grown, ["invoices"]);
        let added: Vec<&str> = view("invoices").unwrap().columns[INVOICE_COLUMNS_V1.len()..]
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            added,
            [
                "write_off_amount",
                "write_off_recovered",
                "write_off_reason",
                "write_off_at"
            ]
        );
    }
}
