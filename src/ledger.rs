//! Into the general ledger: journal entries, the Stripe balance statement and
//! exports that never double-post, over the books' store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::ledger::render::{self, RenderOptions};
use tieout_core::ledger::{
    ExportLog, ExportedEntry, Journal, JournalEntry, Layers, LedgerInput, LedgerMapping,
    ReportedBalance, StripeBalance, Target, journal_entries, statement,
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

fn reported_stream(currency: Currency) -> String {
    format!("stripe_balance/{}", currency.code())
}

impl Books {
    /// Journal entries of the books: the accrual layer (invoices issued,
    /// voided, written off; credit notes; disputes lost) and the cash layer (one entry per
    /// Stripe balance transaction; deposits), per `mapping`.
    pub fn journal_entries(&self, mapping: &LedgerMapping, layers: Layers) -> Result<Journal> {
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
        Ok(journal_entries(&input, mapping, layers)?)
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
    /// the same ids, next time.
    pub fn export(
        &self,
        target: Target,
        opts: &ExportOptions,
        now: DateTime<Utc>,
    ) -> Result<Export> {
        let journal = self.journal_entries(&opts.mapping, opts.layers)?;
        let (log, legacy) = self.read_export_log(target)?;
        let (entries, next) = log.plan(&journal.entries, opts.since_last, now);
        let mut assert_accounts = vec![opts.mapping.stripe_balance.clone()];
        assert_accounts.extend(opts.mapping.stripe_balance_by_currency.values().cloned());
        assert_accounts.sort();
        assert_accounts.dedup();
        let mut opening: BTreeMap<String, BTreeMap<Currency, Decimal>> = BTreeMap::new();
        if opts.since_last {
            for mark in log.entries.values() {
                for p in mark
                    .postings
                    .iter()
                    .filter(|p| assert_accounts.contains(&p.account))
                {
                    *opening
                        .entry(p.account.clone())
                        .or_default()
                        .entry(p.currency)
                        .or_insert(Decimal::ZERO) += p.amount;
                }
            }
        }
        let ropts = RenderOptions {
            assert_accounts,
            opening,
            opening_date: if opts.since_last {
                log.last_date()
            } else {
                None
            },
            base_currency: opts.base_currency,
            rates: opts.rates.clone(),
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
