//! `cases` (collection cases: create, list, export) and `aging` (accounts
//! receivable by days past due).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use tieout::Books;
use tieout::core::collect::{CaseFilter, CasePolicy, cases_csv, cases_json};

use crate::args::Format;
use crate::dates::{start, start_or_now};
use crate::fail::Failure;
use crate::ledger_cmd::currency;
use crate::output::{Column, print};

/// `tieout cases ...`.
#[derive(Debug, Args)]
pub struct CasesArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: CasesAction,
}

/// The `cases` subcommands.
#[derive(Debug, Subcommand)]
pub enum CasesAction {
    /// Open a case for every collectible invoice matching the filters that has
    /// none yet (re-running never opens a second).
    Create(CreateCasesArgs),
    /// List the cases.
    List(ListCasesArgs),
    /// Export the cases for a collection agency (CSV or JSON).
    Export(ExportCasesArgs),
}

/// `tieout cases create`.
#[derive(Debug, Args)]
pub struct CreateCasesArgs {
    /// Only this books customer id.
    #[arg(long, value_name = "ID")]
    pub customer: Option<String>,
    /// Only invoices in this currency.
    #[arg(long)]
    pub currency: Option<String>,
    /// Only invoices created on or after this day.
    #[arg(long, value_name = "DATE")]
    pub created_from: Option<NaiveDate>,
    /// Only invoices created before this day.
    #[arg(long, value_name = "DATE")]
    pub created_to: Option<NaiveDate>,
    /// Only invoices at least this many days past due.
    #[arg(long, value_name = "DAYS")]
    pub min_days_overdue: Option<i64>,
    /// Only invoices with at least this much open.
    #[arg(long, value_name = "AMOUNT")]
    pub min_open_amount: Option<Decimal>,
    /// Open cases for debtors without a postal address too (agencies usually need one).
    #[arg(long)]
    pub no_postal_address: bool,
    /// Count days past due to this day (default: now).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// Print what was opened and refused as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tieout cases list`.
#[derive(Debug, Args)]
pub struct ListCasesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// The formats of an agency export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CaseExportFormat {
    /// One row per case.
    #[default]
    Csv,
    /// An array of cases.
    Json,
}

/// `tieout cases export`.
#[derive(Debug, Args)]
pub struct ExportCasesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: CaseExportFormat,
    /// Debt ages are counted to this day (default: now).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `tieout aging`.
#[derive(Debug, Args)]
pub struct AgingArgs {
    /// Age open invoices as of this day (default: now).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// Output format (table: per customer and currency, then the totals).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `tieout cases ...`.
pub fn cases(books: &Books, a: &CasesArgs) -> Result<(), Failure> {
    match &a.action {
        CasesAction::Create(c) => create(books, c),
        CasesAction::List(l) => list(books, l),
        CasesAction::Export(e) => {
            let cases = books.collection_cases()?;
            let now = start_or_now(e.as_of);
            let text = match e.format {
                CaseExportFormat::Csv => cases_csv(&cases, now),
                CaseExportFormat::Json => serde_json::to_string_pretty(&cases_json(&cases, now))
                    .map_err(|e| Failure::io("encoding JSON", e.into()))?
                    .to_string(),
            };
            match &e.output {
                Some(p) => std::fs::write(p, text)
                    .map_err(|err| Failure::io(&format!("writing {}", p.display()), err)),
                None => {
                    print!("{text}");
                    if !text.ends_with('\n') {
                        println!();
                    }
                    Ok(())
                }
            }
        }
    }
}

fn create(books: &Books, c: &CreateCasesArgs) -> Result<(), Failure> {
    let filter = CaseFilter {
        customer_id: c.customer.clone(),
        currency: c.currency.as_deref().map(currency).transpose()?,
        created_from: c.created_from.map(start),
        created_to: c.created_to.map(start),
        min_days_overdue: c.min_days_overdue,
        min_open_amount: c.min_open_amount,
    };
    let policy = CasePolicy {
        require_postal_address: !c.no_postal_address,
    };
    let opening = books.create_collection_cases(&filter, &policy, start_or_now(c.as_of))?;
    if c.json {
        let text = serde_json::to_string_pretty(&opening)
            .map_err(|e| Failure::io("encoding JSON", e.into()))?;
        println!("{text}");
        return Ok(());
    }
    println!(
        "{} opened, {} already open, {} refused",
        opening.opened.len(),
        opening.existing.len(),
        opening.refused.len()
    );
    for case in &opening.opened {
        println!(
            "  opened {} for {} {} {}",
            case.id,
            case.invoice_external_id,
            case.currency.code(),
            case.open_amount
        );
    }
    for r in &opening.refused {
        let missing: Vec<&str> = r.missing.iter().map(|m| m.as_str()).collect();
        println!(
            "  refused {}: missing {}",
            r.invoice_external_id,
            missing.join(", ")
        );
    }
    Ok(())
}

fn list(books: &Books, l: &ListCasesArgs) -> Result<(), Failure> {
    const COLUMNS: &[Column] = &[
        ("id", "id"),
        ("invoice", "invoice_external_id"),
        ("number", "invoice_number"),
        ("debtor", "debtor.name"),
        ("currency", "currency"),
        ("original", "original_amount"),
        ("open", "open_amount"),
        ("status", "status"),
    ];
    print(&books.collection_cases()?, COLUMNS, l.format)
}

/// Runs `tieout aging`.
pub fn aging(books: &Books, a: &AgingArgs) -> Result<(), Failure> {
    let report = books.aging(start_or_now(a.as_of))?;
    match a.format {
        Format::Csv => {
            print!("{}", report.to_csv());
            Ok(())
        }
        Format::Json => {
            let text = serde_json::to_string_pretty(&report.to_json())
                .map_err(|e| Failure::io("encoding JSON", e.into()))?;
            println!("{text}");
            Ok(())
        }
        Format::Table => {
            const COLUMNS: &[Column] = &[
                ("customer", "customer_name"),
                ("currency", "currency"),
                ("current", "current"),
                ("1-30", "days_1_30"),
                ("31-60", "days_31_60"),
                ("61-90", "days_61_90"),
                ("90+", "days_over_90"),
                ("total", "total"),
            ];
            println!("Aging as of {}", report.as_of.format("%Y-%m-%d"));
            print(&report.rows, COLUMNS, Format::Table)?;
            println!("Totals");
            print(&report.totals, COLUMNS, Format::Table)
        }
    }
}
