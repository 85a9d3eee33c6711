//! Into the general ledger: journal entries, the Stripe balance statement and
//! exports that never double-post, over the books' store.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::ledger::render::{self, PeriodEdges, RenderOptions};
use tieout_core::ledger::{
    ExportLog, ExportedEntry, Journal, JournalEntry, Layers, LedgerInput, LedgerMapping, Posting,
    ReportedBalance, StripeBalance, Target, journal_entries_as_of, statement,
};
use tieout_core::{ChangeSet, CoreError, Currency, Store};

use crate::books::Books;
use crate::error::Result;

/// How [`Books::export`] runs.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// The chart of accounts.
    pub mapping: LedgerMapping,
    /// Which layers to export.
    pub layers: Layers,
    /// Only what this target has not received yet (and adjusting entries for
    /// exported entries that changed); otherwise everything, with the same ids.
    pub since_last: bool,
    /// Base currency and rates (Xero, QuickBooks).
    pub base_currency: Option<Currency>,
    /// Rates to the base currency (Xero): base = amount * rate.
    pub rates: BTreeMap<Currency, Decimal>,
    /// First day of the exported period (entries dated on or after it);
    /// `None`: from the first entry.
    pub from: Option<NaiveDate>,
    /// The day after the exported period (entries dated before it; revenue
    /// recognised up to the day before); `None`: up to `now`.
    pub to: Option<NaiveDate>,
}

/// The result of an export.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    /// The target.
    pub target: Target,
    /// The rendered file.
    pub text: String,
    /// The entries it holds.
    pub entries: Vec<JournalEntry>,
    /// When it was recorded as exported.
    pub exported_at: DateTime<Utc>,
}

fn all<T>(store: &dyn Store, kind: EntityKind, f: impl Fn(Entity) -> Option<T>) -> Result<Vec<T>> {
    Ok(store.list(kind)?.into_iter().filter_map(f).collect())
}

/// Balances per account and currency.
type Balances = BTreeMap<String, BTreeMap<Currency, Decimal>>;

/// Balances before `start` and before `end`, over the postings to `accounts`
/// (every account and currency posted to is listed, zero where nothing came
/// before the day).
fn edge_balances<'a, I>(
    postings: impl Iterator<Item = I>,
    accounts: &[String],
    start: NaiveDate,
    end: NaiveDate,
) -> (Balances, Balances)
where
    I: Iterator<Item = (NaiveDate, &'a Posting)>,
{
    // Summed under borrowed keys: one map probe per posting, no allocation.
    let mut sums: BTreeMap<(&str, Currency), (Decimal, Decimal)> = BTreeMap::new();
    for (d, p) in postings.flatten() {
        if !accounts.contains(&p.account) {
            continue;
        }
        let v = sums
            .entry((p.account.as_str(), p.currency))
            .or_insert((Decimal::ZERO, Decimal::ZERO));
        if d < start {
            v.0 += p.amount;
        }
        if d < end {
            v.1 += p.amount;
        }
    }
    let (mut opening, mut closing) = (Balances::new(), Balances::new());
    for ((a, c), (o, cl)) in sums {
        opening.entry(a.to_string()).or_default().insert(c, o);
        closing.entry(a.to_string()).or_default().insert(c, cl);
    }
    (opening, closing)
}

fn reported_stream(currency: Currency) -> String {
    format!("stripe_balance/{}", currency.code())
}

impl Books {
    /// Journal entries of the books: the accrual layer (invoices issued,
    /// voided, written off; credit notes; disputes lost) and the cash layer (one entry per
    /// Stripe balance transaction; deposits), per `mapping`. With a
    /// deferred-revenue account, revenue is recognised up to today (UTC):
    /// see [`Books::journal_entries_as_of`].
    pub fn journal_entries(&self, mapping: &LedgerMapping, layers: Layers) -> Result<Journal> {
        self.journal_entries_as_of(mapping, layers, Utc::now().date_naive())
    }

    /// [`Books::journal_entries`] with deferred revenue recognised up to
    /// `as_of` (recognition entries dated on or before it; never future
    /// revenue). Without a deferred-revenue account the day changes nothing.
    pub fn journal_entries_as_of(
        &self,
        mapping: &LedgerMapping,
        layers: Layers,
        as_of: NaiveDate,
    ) -> Result<Journal> {
        let store = self.store()?;
        let s = store.as_ref();
        let invoices = all(s, EntityKind::Invoice, |e| match e {
            Entity::Invoice(x) => Some(x),
            _ => None,
        })?;
        let payments = all(s, EntityKind::Payment, |e| match e {
            Entity::Payment(x) => Some(x),
            _ => None,
        })?;
        let disputes = all(s, EntityKind::Dispute, |e| match e {
            Entity::Dispute(x) => Some(x),
            _ => None,
        })?;
        let txns = all(s, EntityKind::BalanceTransaction, |e| match e {
            Entity::BalanceTransaction(x) => Some(x),
            _ => None,
        })?;
        let payouts = all(s, EntityKind::Payout, |e| match e {
            Entity::Payout(x) => Some(x),
            _ => None,
        })?;
        let refunds = all(s, EntityKind::Refund, |e| match e {
            Entity::Refund(x) => Some(x),
            _ => None,
        })?;
        let credit_notes = all(s, EntityKind::CreditNote, |e| match e {
            Entity::CreditNote(x) => Some(x),
            _ => None,
        })?;
        drop(store);
        let input = LedgerInput {
            invoices: &invoices,
            payments: &payments,
            disputes: &disputes,
            balance_transactions: &txns,
            payouts: &payouts,
            refunds: &refunds,
            credit_notes: &credit_notes,
        };
        Ok(journal_entries_as_of(&input, mapping, layers, Some(as_of))?)
    }

    /// Keeps what Stripe reported for the account's balance (`GET
    /// /v1/balance`, or a `balance` object in an offline export), so
    /// [`Books::stripe_balance`] can tie to it.
    pub fn record_reported_balance(&self, reported: &ReportedBalance) -> Result<()> {
        let json = serde_json::to_string(reported)
            .map_err(|e| CoreError::Invalid(format!("reported balance: {e}")))?;
        let cs = ChangeSet {
            checkpoint: Some((reported_stream(reported.currency), json)),
            ..ChangeSet::default()
        };
        self.store()?.commit(cs)?;
        Ok(())
    }

    /// The Stripe balance in `currency` over `[from, to)` as a bank statement:
    /// opening, gross and fee lines, closing, for available and pending funds,
    /// tied to the last reported balance (or with the unexplained amount).
    pub fn stripe_balance(
        &self,
        currency: Currency,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<StripeBalance> {
        let store = self.store()?;
        let reported: Option<ReportedBalance> = store
            .checkpoint(&reported_stream(currency))?
            .and_then(|t| serde_json::from_str(&t).ok());
        let txns = all(
            store.as_ref(),
            EntityKind::BalanceTransaction,
            |e| match e {
                Entity::BalanceTransaction(x) => Some(x),
                _ => None,
            },
        )?;
        drop(store);
        Ok(statement::stripe_balance(
            &txns,
            currency,
            from,
            to,
            reported.as_ref(),
        ))
    }

    /// The Stripe balance statement of [`Books::stripe_balance`] as a file a
    /// bank reconciliation reads: `"csv"` (bank-statement CSV) or
    /// `"camt053"` (camt.053.001.02 for account `account`, default
    /// `STRIPE-<CUR>`).
    pub fn stripe_balance_statement(
        &self,
        currency: Currency,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        format: &str,
        account: Option<&str>,
    ) -> Result<String> {
        if !matches!(format, "csv" | "camt053") {
            return Err(CoreError::Invalid(format!(
                "unknown statement format {format:?} (csv, camt053)"
            ))
            .into());
        }
        let s = self.stripe_balance(currency, from, to)?;
        if format == "csv" {
            return Ok(render::statement_csv(&s)?);
        }
        let default = format!("STRIPE-{}", currency.code());
        Ok(render::statement_camt053(&s, account.unwrap_or(&default)))
    }

    /// What `target` has received, one record per journal entry (entry id,
    /// when, the postings it holds), by entry id.
    pub fn export_log(&self, target: Target) -> Result<Vec<ExportedEntry>> {
        let (log, _) = self.read_export_log(target)?;
        Ok(log
            .entries
            .into_iter()
            .map(|(id, mark)| ExportedEntry::new(target, &id, mark))
            .collect())
    }

    /// The export log of `target` from its per-entry records, and whether
    /// the books still hold an older log kept as one checkpoint (merged in).
    fn read_export_log(&self, target: Target) -> Result<(ExportLog, bool)> {
        let store = self.store()?;
        let legacy = store
            .checkpoint(&target.stream())?
            .filter(|t| !t.is_empty());
        let mut log = ExportLog::from_json(legacy.as_deref())?;
        let records = all(store.as_ref(), EntityKind::LedgerExport, |e| match e {
            Entity::LedgerExport(x) => Some(x),
            _ => None,
        })?;
        log.entries
            .extend(ExportLog::of_target(target, &records).entries);
        Ok((log, legacy.is_some()))
    }

    /// Exports journal entries to `target` and records what was exported
    /// there, one record per entry (entry id, postings, `now`), in one
    /// commit, so the next export with `since_last` emits only what is new.
    /// An export interrupted before that commit emits the same entries, with
    /// the same ids, next time. `from` / `to` limit it to a period (revenue
    /// is recognised up to the day before `to`, and never after `now`); the
    /// Beancount and hledger files assert the Stripe balance (and deferred
    /// revenue) at the period's edges: what the books held at its start
    /// (what this target received before it, with `since_last`) and at its
    /// end.
    pub fn export(
        &self,
        target: Target,
        opts: &ExportOptions,
        now: DateTime<Utc>,
    ) -> Result<Export> {
        if let (Some(f), Some(t)) = (opts.from, opts.to) {
            if f >= t {
                return Err(CoreError::Invalid(format!(
                    "empty export period: from {f} is not before to {t}"
                ))
                .into());
            }
        }
        let mut as_of = now.date_naive();
        if let Some(t) = opts.to.and_then(|t| t.pred_opt()) {
            as_of = as_of.min(t);
        }
        let journal = self.journal_entries_as_of(&opts.mapping, opts.layers, as_of)?;
        let in_period: Vec<JournalEntry> = journal
            .entries
            .iter()
            .filter(|e| opts.from.is_none_or(|f| e.date >= f) && opts.to.is_none_or(|t| e.date < t))
            .cloned()
            .collect();
        let (log, legacy) = self.read_export_log(target)?;
        let (mut entries, mut next) = log.plan(&in_period, opts.since_last, now);
        if opts.since_last && opts.layers.accrual {
            // Recognition slices sent earlier that a late void or credit note
            // cancelled: reversed, not dropped (only within this period and
            // up to the day revenue is recognised to).
            let gone = |id: &str, d: NaiveDate| {
                id.contains(":recognized:")
                    && d <= as_of
                    && opts.from.is_none_or(|f| d >= f)
                    && opts.to.is_none_or(|t| d < t)
            };
            let reversals = log.reverse_vanished(&mut next, &in_period, gone, now);
            if !reversals.is_empty() {
                entries.extend(reversals);
                entries.sort_by_key(|e| e.date);
            }
        }
        let mut assert_accounts = vec![opts.mapping.stripe_balance.clone()];
        assert_accounts.extend(opts.mapping.stripe_balance_by_currency.values().cloned());
        assert_accounts.extend(opts.mapping.deferred_revenue.clone());
        assert_accounts.sort();
        assert_accounts.dedup();
        let start = opts.from.or(entries.first().map(|e| e.date));
        let last = entries
            .iter()
            .map(|e| e.date)
            .max()
            .max(if opts.since_last {
                log.last_date()
            } else {
                None
            });
        let end = opts
            .to
            .or(last.and_then(|d| d.checked_add_days(Days::new(1))));
        let edges = match (start, end) {
            (Some(start), Some(end)) => {
                let end = end.max(start.checked_add_days(Days::new(1)).unwrap_or(end));
                // What the target holds once this export lands: with
                // since_last, what it received (this export included);
                // otherwise the books.
                let (opening, closing) = if opts.since_last {
                    edge_balances(
                        next.entries
                            .values()
                            .filter_map(|m| m.date.map(|d| m.postings.iter().map(move |p| (d, p)))),
                        &assert_accounts,
                        start,
                        end,
                    )
                } else {
                    edge_balances(
                        journal
                            .entries
                            .iter()
                            .map(|e| e.postings.iter().map(move |p| (e.date, p))),
                        &assert_accounts,
                        start,
                        end,
                    )
                };
                Some(PeriodEdges {
                    start,
                    opening,
                    end,
                    closing,
                })
            }
            _ => None,
        };
        let ropts = RenderOptions {
            assert_accounts,
            edges,
            base_currency: opts.base_currency,
            rates: opts.rates.clone(),
            ..RenderOptions::default()
        };
        let text = render::render(target, &entries, &ropts)?;
        // Only the marks that changed; a log still kept as one checkpoint
        // moves into per-entry records whole, and the checkpoint is emptied.
        let written = if legacy {
            ExportLog::default().records_to_write(&next, target)
        } else {
            log.records_to_write(&next, target)
        };
        let cs = ChangeSet {
            upserts: written.into_iter().map(Entity::LedgerExport).collect(),
            checkpoint: legacy.then(|| (target.stream(), String::new())),
            ..ChangeSet::default()
        };
        if !cs.is_empty() {
            self.store()?.commit(cs)?;
        }
        Ok(Export {
            target,
            text,
            entries,
            exported_at: now,
        })
    }
}
