//! `export` (journal entries in a ledger's format) and `balance` (the Stripe
//! balance as a bank statement): the facade's ledger, printed or written.

use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate, Utc};
use clap::{Args, ValueEnum};
use tieout::core::ledger::render::{statement_camt053, statement_csv};
use tieout::{Books, Currency, ExportOptions, Layers, LedgerMapping, StripeBalance, Target};

use crate::dates::start;
use crate::fail::Failure;

/// Where journal entries go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportTarget {
    /// Beancount (checked by `bean-check`).
    Beancount,
    /// hledger journal (checked by `hledger check`).
    Hledger,
    /// QuickBooks Online `JournalEntry` JSON.
    Quickbooks,
    /// NetSuite journal CSV.
    Netsuite,
    /// Xero `ManualJournal` JSON.
    Xero,
    /// Generic CSV, one row per posting.
    Csv,
}

impl ExportTarget {
    fn target(self) -> Target {
        match self {
            ExportTarget::Beancount => Target::Beancount,
            ExportTarget::Hledger => Target::Hledger,
            ExportTarget::Quickbooks => Target::Qbo,
            ExportTarget::Netsuite => Target::Netsuite,
            ExportTarget::Xero => Target::Xero,
            ExportTarget::Csv => Target::Csv,
        }
    }
}

/// Which layers of journal entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LayerChoice {
    /// Accrual and cash.
    #[default]
    Both,
    /// Invoices issued, voided, written off; disputes lost.
    Accrual,
    /// Stripe balance transactions and deposits.
    Cash,
}

/// `tieout export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The ledger format.
    #[arg(long, value_enum)]
    pub to: ExportTarget,
    /// Only what this target has not received yet (plus adjusting entries for
    /// exported entries that changed). Every export is recorded per target.
    #[arg(long)]
    pub since_last: bool,
    /// Which layers of entries.
    #[arg(long, value_enum, default_value_t)]
    pub layers: LayerChoice,
    /// First day of the exported period (default: the first entry). The
    /// Beancount and hledger files assert balances at the period's edges.
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Last day of the exported period, inclusive (default: today, UTC);
    /// revenue is recognised up to it, never past today.
    #[arg(long, value_name = "DATE")]
    pub through: Option<NaiveDate>,
    /// The chart of accounts as a JSON file (any `LedgerMapping` fields; the
    /// rest are the documented defaults).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Base currency (Xero, QuickBooks).
    #[arg(long, value_name = "CODE")]
    pub base_currency: Option<String>,
    /// A rate to the base currency (Xero): `EUR=1.08` means 1 EUR = 1.08 of
    /// the base; repeat per currency.
    #[arg(long = "rate", value_name = "CODE=RATE")]
    pub rates: Vec<String>,
    /// Write the export to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `CODE=RATE` flags as a rate table.
fn rates(
    flags: &[String],
) -> Result<std::collections::BTreeMap<Currency, rust_decimal::Decimal>, Failure> {
    flags
        .iter()
        .map(|f| {
            let (code, rate) = f
                .split_once('=')
                .ok_or_else(|| Failure::usage(format!("--rate {f:?}: expected CODE=RATE")))?;
            let rate = rate
                .trim()
                .parse()
                .map_err(|_| Failure::usage(format!("--rate {f:?}: {rate:?} is not a decimal")))?;
            Ok((currency(code.trim())?, rate))
        })
        .collect()
}

/// How the balance statement is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum BalanceFormat {
    /// Opening, lines and closing as text.
    #[default]
    Table,
    /// Statement CSV.
    Csv,
    /// ISO 20022 camt.053 XML (a bank statement for accounting software).
    Camt053,
    /// The statement as JSON.
    Json,
}

/// `tieout balance`.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// Currency (ISO code).
    #[arg(long)]
    pub currency: String,
    /// First day of the period (default: the beginning).
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Last day of the period, inclusive (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: BalanceFormat,
    /// The account identifier a camt.053 statement names.
    #[arg(long, value_name = "ID", default_value = "STRIPE")]
    pub account: String,
}

/// A currency flag, upper-cased and checked.
pub fn currency(code: &str) -> Result<Currency, Failure> {
    Currency::parse(&code.to_ascii_uppercase()).map_err(|e| Failure::usage(e.to_string()))
}

fn mapping(path: Option<&Path>) -> Result<LedgerMapping, Failure> {
    let Some(path) = path else {
        return Ok(LedgerMapping::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::io(&format!("reading {}", path.display()), e))?;
    let mut merged = serde_json::to_value(LedgerMapping::default())
        .map_err(|e| Failure::io("encoding JSON", e.into()))?;
    let given: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    let Some(fields) = given.as_object() else {
        return Err(Failure::usage(format!(
            "{}: a mapping is a JSON object",
            path.display()
        )));
    };
    for (k, v) in fields {
        if merged.get(k).is_none() {
            return Err(Failure::usage(format!("unknown mapping field {k:?}")));
        }
        merged[k] = v.clone();
    }
    serde_json::from_value(merged).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

/// Writes `text` to `path`, or stdout.
fn emit(text: &str, path: Option<&Path>) -> Result<(), Failure> {
    match path {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| Failure::io(&format!("writing {}", p.display()), e))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// `tieout export`: renders and records the export; the count goes to stderr.
pub fn export(books: &Books, a: &ExportArgs) -> Result<(), Failure> {
    let layers = match a.layers {
        LayerChoice::Both => Layers::default(),
        LayerChoice::Accrual => Layers {
            accrual: true,
            cash: false,
        },
        LayerChoice::Cash => Layers {
            accrual: false,
            cash: true,
        },
    };
    let opts = ExportOptions {
        mapping: mapping(a.mapping.as_deref())?,
        layers,
        since_last: a.since_last,
        base_currency: a.base_currency.as_deref().map(currency).transpose()?,
        rates: rates(&a.rates)?,
        from: a.from,
        to: a.through.and_then(|d| d.succ_opt()),
    };
    let export = books.export(a.to.target(), &opts, Utc::now())?;
    emit(&export.text, a.output.as_deref())?;
    eprintln!(
        "{} journal entries exported to {}",
        export.entries.len(),
        export.target.as_str()
    );
    Ok(())
}

/// `tieout balance`.
pub fn balance(books: &Books, a: &BalanceArgs) -> Result<(), Failure> {
    let cur = currency(&a.currency)?;
    let from = a.from.map(start).unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let last = a.to.unwrap_or_else(|| Utc::now().date_naive());
    let to = start(last.checked_add_days(Days::new(1)).unwrap_or(last));
    let s = books.stripe_balance(cur, from, to)?;
    let text = match a.format {
        BalanceFormat::Table => table(&s),
        BalanceFormat::Csv => statement_csv(&s).map_err(tieout::Error::from)?,
        BalanceFormat::Camt053 => statement_camt053(&s, &a.account),
        BalanceFormat::Json => {
            serde_json::to_string_pretty(&s).map_err(|e| Failure::io("encoding JSON", e.into()))?
                + "\n"
        }
    };
    emit(&text, None)
}

fn table(s: &StripeBalance) -> String {
    let code = s.currency.code();
    let mut out = format!(
        "Stripe balance {code} from {} to {}\n",
        s.from.format("%Y-%m-%d"),
        s.to.format("%Y-%m-%d")
    );
    out.push_str(&format!(
        "opening {} (available {}, pending {})\n",
        s.opening(),
        s.opening_available,
        s.opening_pending
    ));
    for l in &s.lines {
        out.push_str(&format!(
            "  {}  {:<5} {:<24} {:>14}  {:>14}  {}\n",
            l.date.format("%Y-%m-%d"),
            l.part,
            l.category,
            l.amount,
            l.balance,
            l.transaction_id
        ));
    }
    out.push_str(&format!(
        "closing {} (available {}, pending {})\n",
        s.closing(),
        s.closing_available,
        s.closing_pending
    ));
    match &s.reported {
        Some(r) => out.push_str(&format!(
            "reported by Stripe at {}: available {}, pending {} ({})\n",
            r.at.to_rfc3339(),
            r.available,
            r.pending,
            if s.ties() { "ties" } else { "DOES NOT tie" }
        )),
        None => out.push_str("no balance reported by Stripe to tie to\n"),
    }
    out
}
