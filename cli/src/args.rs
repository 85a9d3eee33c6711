//! The command line: subcommands, their flags, and the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Import Stripe data into your books, tie every payment out to its invoices, report.
///
/// Exit codes: 0 ok; 1 finished, but some records failed; 2 usage error;
/// 3 approval needed (a live account); 4 source or store error;
/// 130 interrupted (Ctrl-C; run the same command again to resume).
#[derive(Debug, Parser)]
#[command(name = "tieout", version, about, long_about)]
pub struct Cli {
    /// The books: a SQLite file (created when missing).
    #[arg(long, global = true, env = "TIEOUT_BOOKS", default_value = "books.db")]
    pub books: PathBuf,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// One subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Review an import: what it would create, update, allocate; nothing is written.
    Review(ImportArgs),
    /// Import (a live account needs the account id typed, or --approval).
    Import(ImportArgs),
    /// Catch up from the Stripe Events API (resumes where the last run stopped).
    Events(ImportArgs),
    /// Match what is left unallocated by policy and print the tie-out report.
    Reconcile(ReportArgs),
    /// Print the tie-out report (nothing is changed).
    Report(ReportArgs),
    /// List invoices.
    Invoices(InvoiceArgs),
    /// List payments.
    Payments(PaymentArgs),
    /// List allocations (payments and write-offs applied to invoices).
    Allocations(AllocationArgs),
    /// List import runs, newest first.
    History(HistoryArgs),
    /// Collection cases: open them for overdue invoices, list, export for an agency.
    Cases(crate::cases_cmd::CasesArgs),
    /// Payment follow-ups: review what a policy would send, then send it once.
    #[command(name = "follow-ups")]
    FollowUps(crate::followups_cmd::FollowUpsArgs),
    /// Accounts-receivable aging: open amounts by days past due.
    Aging(crate::cases_cmd::AgingArgs),
    /// Export journal entries to a ledger (beancount, hledger, quickbooks, netsuite, xero, csv).
    Export(crate::ledger_cmd::ExportArgs),
    /// The Stripe balance as a bank statement (table, csv, camt.053, json).
    Balance(crate::ledger_cmd::BalanceArgs),
}

/// Where records come from.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Read a directory of Stripe JSON (an export) instead of the API.
    #[arg(long, value_name = "DIR")]
    pub files: Option<PathBuf>,
    /// The environment variable holding the Stripe key (`sk_` or `rk_`).
    #[arg(long, value_name = "NAME", default_value = "STRIPE_API_KEY")]
    pub api_key_env: String,
    /// Stripe API base URL (for a local test server).
    #[arg(long, value_name = "URL", hide = true)]
    pub api_base: Option<String>,
}

/// The import plan, from flags or a JSON file (flags win).
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A plan file: JSON with any ImportPlan fields (the rest are the defaults).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Object kinds, comma separated (customers, products, invoices, subscriptions,
    /// payments, refunds, disputes, balance_transactions, payouts).
    #[arg(long, value_delimiter = ',')]
    pub objects: Vec<String>,
    /// File everything under this one books customer (its books id).
    #[arg(long, value_name = "ID")]
    pub fixed_customer: Option<String>,
    /// Match Stripe customers to books customers by email before creating new ones.
    #[arg(long)]
    pub match_by_email: bool,
    /// Only these Stripe customers (ids or emails, comma separated).
    #[arg(long, value_delimiter = ',', conflicts_with = "exclude_customers")]
    pub only_customers: Vec<String>,
    /// Every Stripe customer but these (ids or emails, comma separated).
    #[arg(long, value_delimiter = ',')]
    pub exclude_customers: Vec<String>,
    /// Only records created on or after this date (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long, value_name = "WHEN")]
    pub created_from: Option<String>,
    /// Only records created on or before this date (YYYY-MM-DD, the whole day) or time.
    #[arg(long, value_name = "WHEN")]
    pub created_to: Option<String>,
    /// Only invoices in these statuses (comma separated: draft, open, paid, void, uncollectible).
    #[arg(long, value_delimiter = ',')]
    pub statuses: Vec<String>,
    /// Paid invoices: record the payment (default) or only mark them paid.
    #[arg(long, value_name = "MODE", value_parser = ["record_payment", "mark_paid_only"])]
    pub paid_invoices: Option<String>,
    /// Unpaid invoices: keep the Stripe status (default) or import as drafts.
    #[arg(long, value_name = "MODE", value_parser = ["keep_status", "as_drafts"])]
    pub unpaid_invoices: Option<String>,
}

/// `review`, `import` and `events`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The source.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The plan.
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Print the review (or the run) as JSON; a review's JSON holds the approval token.
    #[arg(long)]
    pub json: bool,
    /// The approval token of an earlier `tieout review --json` of the same plan
    /// (for unattended imports of a live account).
    #[arg(long, value_name = "TOKEN")]
    pub approval: Option<String>,
}

/// `report` and `reconcile`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as one self-contained HTML page (charts inline).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Age open invoices as of this date (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<chrono::NaiveDate>,
}

/// Output formats for lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    #[default]
    Table,
    /// CSV with a header row.
    Csv,
    /// A JSON array of full records.
    Json,
}

/// `invoices`.
#[derive(Debug, Args)]
pub struct InvoiceArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Only this books status (draft, open, partially_paid, paid, void, uncollectible).
    #[arg(long)]
    pub status: Option<String>,
    /// Only this books customer id.
    #[arg(long, value_name = "ID")]
    pub customer: Option<String>,
    /// Only this currency (ISO code).
    #[arg(long)]
    pub currency: Option<String>,
}

/// `payments`.
#[derive(Debug, Args)]
pub struct PaymentArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Only this books customer id.
    #[arg(long, value_name = "ID")]
    pub customer: Option<String>,
    /// Only this currency (ISO code).
    #[arg(long)]
    pub currency: Option<String>,
    /// Only payments with unapplied money.
    #[arg(long)]
    pub unapplied: bool,
}

/// `allocations`.
#[derive(Debug, Args)]
pub struct AllocationArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Only allocations to this books invoice id.
    #[arg(long, value_name = "ID")]
    pub invoice: Option<String>,
    /// Only allocations of this books payment id.
    #[arg(long, value_name = "ID")]
    pub payment: Option<String>,
}

/// `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Only the newest N runs.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}
