//! The SQL views read through the real `sqlite3` shell and `psql`, compared
//! with what the API returns for the same books; their columns pinned.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use common::{PgSchema, pg_url, run};
use serde_json::Value;
use tieout::*;

/// Every view's columns, in order: the stable interface. Changing this list
/// means a new views version (a migration) and a changelog entry in
/// docs/sql-views.md.
const PINNED: &[(&str, &str)] = &[
    (
        "customers",
        "id stripe_id account name email phone kind country deleted created_at updated_at livemode",
    ),
    (
        "products",
        "id stripe_id account name description active created_at",
    ),
    (
        "prices",
        "id stripe_id account product_id product_stripe_id currency unit_amount interval active nickname created_at",
    ),
    (
        "invoices",
        "id stripe_id account number customer_id customer_stripe_id subscription_id subscription_stripe_id status stripe_status currency subtotal discount tax total amount_due amount_paid amount_remaining amount_written_off amount_credited issued_at due_at paid_at created_at updated_at url livemode write_off_amount write_off_recovered write_off_reason write_off_at",
    ),
    (
        "invoice_lines",
        "invoice_id invoice_stripe_id line_no stripe_id description quantity unit_amount amount tax currency period_start period_end price_stripe_id product_stripe_id proration",
    ),
    (
        "payments",
        "id stripe_id stripe_object account customer_id customer_stripe_id status currency amount fee net refunded disputed allocated unapplied settlement_amount settlement_currency method received_at charge_stripe_id payment_intent_stripe_id created_at updated_at livemode",
    ),
    (
        "allocations",
        "id payment_id payment_stripe_id invoice_id invoice_stripe_id amount currency kind strategy reason allocated_at",
    ),
    (
        "refunds",
        "id stripe_id account payment_id payment_stripe_id status currency amount reason created_at",
    ),
    (
        "disputes",
        "id stripe_id account payment_id payment_stripe_id status currency amount reason created_at",
    ),
    (
        "subscriptions",
        "id stripe_id account customer_id customer_stripe_id status currency amount interval interval_count start_date current_period_start current_period_end cancel_at_period_end canceled_at ended_at created_at",
    ),
    (
        "subscription_items",
        "subscription_id subscription_stripe_id item_no stripe_id price_stripe_id product_stripe_id quantity unit_amount currency interval interval_count",
    ),
    (
        "balance_transactions",
        "id stripe_id account type reporting_category status currency amount fee net exchange_rate available_on payment_id source_stripe_id payout_stripe_id created_at",
    ),
    (
        "payouts",
        "id stripe_id account status currency amount arrival_date automatic method statement_descriptor bank_line_id created_at",
    ),
    (
        "bank_lines",
        "id bank_account date currency amount description reference payout_id payout_stripe_id",
    ),
    (
        "credit_notes",
        "id stripe_id account number invoice_id invoice_stripe_id customer_id status currency amount pre_payment_amount post_payment_amount refund_amount credit_amount out_of_band_amount reason effective_at voided_at created_at",
    ),
    (
        "import_runs",
        "id source mode status started_at finished_at created updated unchanged skipped failed failures error plan_hash",
    ),
    (
        "collection_cases",
        "id invoice_id invoice_stripe_id invoice_number customer_id debtor_name debtor_email currency original_amount open_amount age_from age_basis status close_reason events",
    ),
    (
        "writes",
        "id key target kind purpose subject_id amount currency status attempts planned_at updated_at",
    ),
    (
        "follow_ups",
        "id channel invoice_id invoice_stripe_id customer_id step to_email subject open_amount currency status planned_at updated_at",
    ),
    (
        "ledger_posts",
        "id target purpose status attempts planned_at updated_at",
    ),
    (
        "ledger_exports",
        "id target entry_id exported_at entry_date postings adjustments",
    ),
];

/// Rows of a query as JSON objects, through one of the real SQL shells.
trait Shell {
    fn rows(&self, sql: &str) -> Vec<serde_json::Map<String, Value>>;
    /// The columns of view `name`, in order.
    fn columns(&self, name: &str) -> Vec<String>;
    /// A view's name as a query names it.
    fn view(&self, name: &str) -> String;
}

struct Sqlite3<'a>(&'a Path);

impl Shell for Sqlite3<'_> {
    fn rows(&self, sql: &str) -> Vec<serde_json::Map<String, Value>> {
        let out = Command::new("sqlite3")
            .arg("-json")
            .arg("-readonly")
            .arg(self.0)
            .arg(sql)
            .output()
            .expect("the sqlite3 shell runs (scripts/test installs it)");
        assert!(
            out.status.success(),
            "sqlite3: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        if text.trim().is_empty() {
            return Vec::new();
        }
        serde_json::from_str::<Vec<serde_json::Map<String, Value>>>(&text)
            .unwrap_or_else(|e| panic!("sqlite3 -json output: {e}: {text}"))
    }

    fn columns(&self, name: &str) -> Vec<String> {
        self.rows(&format!(
            "SELECT name FROM pragma_table_info('{name}') ORDER BY cid"
        ))
        .into_iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
    }

    fn view(&self, name: &str) -> String {
        name.to_string()
    }
}

struct Psql<'a> {
    url: &'a str,
    schema: &'a str,
}

impl Psql<'_> {
    fn scalar(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.url,
                "-c",
                sql,
            ])
            .env("PGTZ", "UTC")
            .output()
            .expect("psql runs (scripts/test installs postgresql-client)");
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

impl Shell for Psql<'_> {
    fn rows(&self, sql: &str) -> Vec<serde_json::Map<String, Value>> {
        let text = self.scalar(&format!(
            "SELECT coalesce(json_agg(q), '[]'::json) FROM ({sql}) AS q"
        ));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("psql output: {e}: {text}"))
    }

    fn columns(&self, name: &str) -> Vec<String> {
        self.rows(&format!(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = '{}' AND table_name = '{name}' ORDER BY ordinal_position",
            self.schema
        ))
        .into_iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
    }

    fn view(&self, name: &str) -> String {
        format!("{}.{name}", self.schema)
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A time as either shell prints it (RFC 3339, or PostgreSQL's text form).
fn time(v: &Value) -> Option<DateTime<Utc>> {
    let s = text(v)?;
    DateTime::parse_from_rfc3339(&s)
        .or_else(|_| DateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%#z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| panic!("not a time: {s}"))
}

fn by_id(
    rows: Vec<serde_json::Map<String, Value>>,
    key: &str,
) -> BTreeMap<String, serde_json::Map<String, Value>> {
    rows.into_iter()
        .map(|r| (text(&r[key]).unwrap(), r))
        .collect()
}

/// The shipped sample imported and reconciled.
fn sample(books: &Books) {
    let src = StripeFiles::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data")).unwrap();
    run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    books.reconcile(&ReconcilePolicy::default()).unwrap();
    // One open invoice written off by hand, so the views' write-off columns
    // hold values as well as nulls.
    let open = books
        .invoices(&InvoiceFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.amount_remaining > rust_decimal::Decimal::ZERO)
        .expect("the sample has an open invoice");
    let at = "2026-11-30T10:15:00Z".parse().unwrap();
    books
        .write_off(&open.id, "customer went out of business", at)
        .unwrap();
}

/// The views agree with the API, value for value, exactly.
fn views_match_the_api(books: &Books, sh: &dyn Shell) {
    for (name, cols) in PINNED {
        let want: Vec<&str> = cols.split(' ').collect();
        assert_eq!(sh.columns(name), want, "columns of view {name}");
    }

    let customers = books.customers().unwrap();
    let stripe_id_of: BTreeMap<String, String> = customers
        .iter()
        .filter_map(|c| Some((c.id.clone(), c.source.as_ref()?.external_id.clone())))
        .collect();
    let rows = by_id(
        sh.rows(&format!(
            "SELECT id, stripe_id, email FROM {}",
            sh.view("customers")
        )),
        "id",
    );
    assert_eq!(rows.len(), customers.len());
    for c in &customers {
        let r = &rows[&c.id];
        assert_eq!(text(&r["email"]), c.email, "{}", c.id);
        assert_eq!(text(&r["stripe_id"]).as_ref(), stripe_id_of.get(&c.id));
    }

    let invoices = books.invoices(&InvoiceFilter::default()).unwrap();
    assert!(invoices.len() >= 3, "the sample has invoices");
    let rows = by_id(
        sh.rows(&format!(
            "SELECT id, stripe_id, status, currency, customer_id, customer_stripe_id, \
             CAST(total AS TEXT) AS total, CAST(amount_paid AS TEXT) AS paid, \
             CAST(amount_remaining AS TEXT) AS remaining, due_at, created_at, \
             CAST(write_off_amount AS TEXT) AS wo_amount, \
             CAST(write_off_recovered AS TEXT) AS wo_recovered, write_off_reason, \
             write_off_at FROM {}",
            sh.view("invoices")
        )),
        "id",
    );
    assert_eq!(rows.len(), invoices.len());
    assert_eq!(
        invoices.iter().filter(|i| i.write_off.is_some()).count(),
        1,
        "the sample has one write-off by hand"
    );
    for i in &invoices {
        let r = &rows[&i.id];
        let w = i.write_off.as_ref();
        assert_eq!(
            text(&r["wo_amount"]),
            w.map(|w| w.amount.to_string()),
            "{}",
            i.id
        );
        assert_eq!(text(&r["wo_recovered"]), w.map(|w| w.recovered.to_string()));
        assert_eq!(text(&r["write_off_reason"]), w.map(|w| w.reason.clone()));
        assert_eq!(time(&r["write_off_at"]), w.map(|w| w.at));
        assert_eq!(text(&r["stripe_id"]).unwrap(), i.source.external_id);
        assert_eq!(text(&r["status"]).unwrap(), i.status.as_str());
        assert_eq!(text(&r["currency"]).unwrap(), i.currency.code());
        assert_eq!(
            text(&r["total"]).unwrap(),
            i.total.to_string(),
            "{} total",
            i.id
        );
        assert_eq!(text(&r["paid"]).unwrap(), i.amount_paid.to_string());
        assert_eq!(
            text(&r["remaining"]).unwrap(),
            i.amount_remaining.to_string()
        );
        assert_eq!(time(&r["due_at"]), i.due_date, "{} due", i.id);
        assert_eq!(time(&r["created_at"]), i.source.created_at);
        assert_eq!(text(&r["customer_id"]), i.customer_id);
        assert_eq!(
            text(&r["customer_stripe_id"]).as_ref(),
            i.customer_id.as_ref().and_then(|c| stripe_id_of.get(c))
        );
    }

    let lines = sh.rows(&format!(
        "SELECT invoice_id, line_no, CAST(amount AS TEXT) AS amount, currency FROM {} \
         ORDER BY invoice_id, line_no",
        sh.view("invoice_lines")
    ));
    let mut want = Vec::new();
    let mut sorted = invoices.clone();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for i in &sorted {
        for (n, l) in i.lines.iter().enumerate() {
            want.push((
                i.id.clone(),
                (n + 1).to_string(),
                l.amount.to_string(),
                i.currency.code().to_string(),
            ));
        }
    }
    let got: Vec<(String, String, String, String)> = lines
        .iter()
        .map(|r| {
            (
                text(&r["invoice_id"]).unwrap(),
                text(&r["line_no"]).unwrap(),
                text(&r["amount"]).unwrap(),
                text(&r["currency"]).unwrap(),
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want, "invoice lines");

    let payments = books.payments().unwrap();
    let rows = by_id(
        sh.rows(&format!(
            "SELECT id, stripe_id, currency, CAST(amount AS TEXT) AS amount, \
             CAST(allocated AS TEXT) AS allocated, CAST(unapplied AS TEXT) AS unapplied FROM {}",
            sh.view("payments")
        )),
        "id",
    );
    assert_eq!(rows.len(), payments.len());
    assert!(!payments.is_empty());
    for p in &payments {
        let r = &rows[&p.id];
        assert_eq!(text(&r["stripe_id"]).unwrap(), p.source.external_id);
        assert_eq!(text(&r["amount"]).unwrap(), p.amount.to_string());
        assert_eq!(text(&r["allocated"]).unwrap(), p.allocated.to_string());
        assert_eq!(text(&r["unapplied"]).unwrap(), p.unapplied.to_string());
        assert_eq!(text(&r["currency"]).unwrap(), p.currency.code());
    }

    let allocations = books.allocations().unwrap();
    assert!(!allocations.is_empty(), "the sample ties payments out");
    let invoice_stripe: BTreeMap<&str, &str> = invoices
        .iter()
        .map(|i| (i.id.as_str(), i.source.external_id.as_str()))
        .collect();
    let payment_stripe: BTreeMap<&str, &str> = payments
        .iter()
        .map(|p| (p.id.as_str(), p.source.external_id.as_str()))
        .collect();
    let rows = by_id(
        sh.rows(&format!(
            "SELECT id, payment_id, payment_stripe_id, invoice_id, invoice_stripe_id, \
             CAST(amount AS TEXT) AS amount FROM {}",
            sh.view("allocations")
        )),
        "id",
    );
    assert_eq!(rows.len(), allocations.len());
    for a in &allocations {
        let r = &rows[&a.id];
        assert_eq!(text(&r["payment_id"]).unwrap(), a.payment_id);
        assert_eq!(text(&r["invoice_id"]).unwrap(), a.invoice_id);
        assert_eq!(text(&r["amount"]).unwrap(), a.amount.to_string());
        assert_eq!(
            text(&r["invoice_stripe_id"]).as_deref(),
            invoice_stripe.get(a.invoice_id.as_str()).copied()
        );
        assert_eq!(
            text(&r["payment_stripe_id"]).as_deref(),
            payment_stripe.get(a.payment_id.as_str()).copied()
        );
    }

    let history = books.history().unwrap();
    let rows = by_id(
        sh.rows(&format!(
            "SELECT id, status, created FROM {}",
            sh.view("import_runs")
        )),
        "id",
    );
    assert_eq!(rows.len(), history.len());
    for h in &history {
        assert_eq!(text(&rows[&h.id]["status"]).unwrap(), h.status.as_str());
        assert_eq!(
            text(&rows[&h.id]["created"]).unwrap(),
            h.totals.created.to_string()
        );
    }

    // Every view answers (none refers to a missing table or field).
    for (name, _) in PINNED {
        sh.rows(&format!("SELECT * FROM {} LIMIT 1", sh.view(name)));
    }
}

#[test]
fn sqlite_views_read_through_the_sqlite3_shell_equal_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.db");
    let books = Books::open(&path).unwrap();
    sample(&books);
    views_match_the_api(&books, &Sqlite3(&path));
}

#[test]
fn postgres_views_read_through_psql_equal_the_api() {
    let Some(url) = pg_url() else { return };
    let schema = PgSchema::fresh(&url);
    let books = Books::open_in_schema(&url, Some(&schema.name)).unwrap();
    sample(&books);
    let sh = Psql {
        url: &url,
        schema: &schema.name,
    };
    views_match_the_api(&books, &sh);
    // Typed columns: exact numerics, instants, dates, flags.
    let types = sh.rows(&format!(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty \
         FROM information_schema.columns WHERE table_schema = '{}' AND table_name IN \
         ('invoices', 'payouts', 'customers', 'invoice_lines')",
        schema.name
    ));
    let ty = |t: &str, c: &str| -> String {
        types
            .iter()
            .find(|r| r["t"] == t && r["c"] == c)
            .map(|r| text(&r["ty"]).unwrap())
            .unwrap_or_else(|| panic!("no column {t}.{c}"))
    };
    assert_eq!(ty("invoices", "total"), "numeric");
    assert_eq!(ty("invoices", "due_at"), "timestamp with time zone");
    assert_eq!(ty("payouts", "arrival_date"), "date");
    assert_eq!(ty("customers", "deleted"), "boolean");
    assert_eq!(ty("invoice_lines", "line_no"), "bigint");
    assert_eq!(ty("invoices", "currency"), "text");
    // numeric keeps the currency's scale.
    let scale = sh.scalar(&format!(
        "SELECT count(*) FROM {}.invoices WHERE scale(total) <> 2 AND currency IN ('USD', 'EUR')",
        schema.name
    ));
    assert_eq!(scale, "0");
}
