//! The balance Stripe reports, kept with the import that read it.
//!
//! An import that lists the account's balance transactions from the start
//! (no created range, not resuming an earlier run, not an event tail) reads
//! what the source reports as the balance *before* it lists anything, so
//! every transaction that balance counts is in the listing; once the run
//! finishes it keeps that report (with the run's id) for
//! [`Books::stripe_balance`] to tie to, and says so in the run's notes. A
//! report that cannot be read (a restricted key without balance access) is a
//! note in the run; the import goes on.

use tieout_core::ledger::ReportedBalance;
use tieout_core::model::{ImportRun, RunStatus};
use tieout_core::{ChangeSet, ImportPlan, ObjectScope, Source};

/// What the source reported, or why it could not be read.
pub(crate) type Reported = std::result::Result<Vec<ReportedBalance>, String>;

use crate::books::Books;
use crate::error::Result;

impl Books {
    /// What `source` reports as the balance, when this import of `plan` will
    /// list every balance transaction (see the module docs); else nothing.
    pub(crate) async fn balance_before_import(
        &self,
        source: &dyn Source,
        plan: &ImportPlan,
        stream: &str,
    ) -> Result<Reported> {
        let whole = plan.objects.contains(&ObjectScope::BalanceTransactions)
            && plan.created_from.is_none()
            && plan.created_to.is_none()
            && !source.tails();
        let saved = self.store()?.checkpoint(stream)?;
        if !whole || crate::import::resumes(saved.as_deref()) {
            return Ok(Ok(Vec::new()));
        }
        Ok(source.reported_balances().await.map_err(|e| e.to_string()))
    }

    /// Keeps `reported` with `run` once it finished (with or without failed
    /// records), and notes in the run what was kept or could not be read.
    pub(crate) fn keep_reported_balances(
        &self,
        run: &mut ImportRun,
        reported: Reported,
    ) -> Result<()> {
        if !matches!(
            run.status,
            RunStatus::Succeeded | RunStatus::PartiallyFailed
        ) {
            return Ok(());
        }
        let note = match reported {
            Ok(found) if found.is_empty() => return Ok(()),
            Ok(found) => {
                let mut codes = Vec::new();
                for mut r in found {
                    r.run_id = Some(run.id.clone());
                    self.record_reported_balance(&r)?;
                    codes.push(r.currency.code().to_string());
                }
                format!(
                    "kept the balance the source reported before listing ({}) for the Stripe balance statement",
                    codes.join(", ")
                )
            }
            Err(e) => format!(
                "the source's balance could not be read ({e}); the Stripe balance statement cannot tie to it"
            ),
        };
        run.notes.push(note);
        self.store()?.commit(ChangeSet {
            run: Some(run.clone()),
            ..ChangeSet::default()
        })?;
        Ok(())
    }
}
