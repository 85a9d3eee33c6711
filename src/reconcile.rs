//! Reconcile: policy matching, manual allocations, bank statements, payouts
//! to deposits, and the reconcile report, over the books' store.

use std::collections::BTreeSet;

use chrono::Utc;
use rust_decimal::Decimal;
use tieout_core::CoreError;
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::import::{PageOutcome, WorkState, Workspace, keys};
use tieout_core::model::*;
use tieout_core::reconcile::ReconcilePolicy;
use tieout_core::reconcile::bank::{self, CsvMapping};
use tieout_core::reconcile::manual::{self, AllocateRequest};
use tieout_core::reconcile::payouts::{self, PayoutMatchReport};
use tieout_core::reconcile::policy_match::{self, MatchOutcome};
use tieout_core::reconcile::report::{ReconcileReport, ReportInput, build_report};
use tieout_core::store::ReadRecord;
use tieout_core::{ChangeSet, ImportPlan, Store};

use crate::books::Books;
use crate::error::Result;

fn list<T>(store: &dyn Store, kind: EntityKind, f: impl Fn(Entity) -> Option<T>) -> Result<Vec<T>> {
    Ok(store.list(kind)?.into_iter().filter_map(f).collect())
}

fn payouts_and_lines(store: &dyn Store) -> Result<(Vec<Payout>, Vec<BankLine>)> {
    let p = list(store, EntityKind::Payout, |e| match e {
        Entity::Payout(p) => Some(p),
        _ => None,
    })?;
    let l = list(store, EntityKind::BankLine, |e| match e {
        Entity::BankLine(l) => Some(l),
        _ => None,
    })?;
    Ok((p, l))
}

/// Builds the report from the committed books.
fn report_from(store: &dyn Store, policy: &ReconcilePolicy) -> Result<ReconcileReport> {
    let payments = list(store, EntityKind::Payment, |e| match e {
        Entity::Payment(p) => Some(p),
        _ => None,
    })?;
    let invoices = list(store, EntityKind::Invoice, |e| match e {
        Entity::Invoice(i) => Some(i),
        _ => None,
    })?;
    let allocations = list(store, EntityKind::Allocation, |e| match e {
        Entity::Allocation(a) => Some(a),
        _ => None,
    })?;
    let (pos, lines) = payouts_and_lines(store)?;
    let mut state = WorkState::new();
    let mut ws = Workspace::new(store, &mut state);
    let payout_report = payouts::payout_state(&mut ws, &pos, &lines, policy)?;
    let input = ReportInput {
        payments: &payments,
        invoices: &invoices,
        allocations: &allocations,
    };
    Ok(build_report(input, payout_report, policy))
}

/// How often [`Books::reconcile`] plans again when a concurrent allocation
/// made its commit exceed a payment or an invoice.
pub(crate) const RECONCILE_ATTEMPTS: u32 = 8;

impl Books {
    /// Re-runs policy matching (strategy 6) for every customer with unapplied
    /// payments, then matches payouts to bank deposits; commits the changes in
    /// one change set and returns the report.
    ///
    /// On shared books another process may allocate the same payments or
    /// invoices meanwhile: the store then refuses the commit (the caps are
    /// checked in its transaction) and matching runs again on what is there
    /// now (after a short, growing pause), up to 8 times.
    pub fn reconcile(&self, policy: &ReconcilePolicy) -> Result<ReconcileReport> {
        let mut store = self.store()?;
        let mut attempt = 1;
        loop {
            let mut state = WorkState::new();
            let cs = {
                let customers = policy_match::unapplied_customers(store.as_ref())?;
                let (pos, lines) = payouts_and_lines(store.as_ref())?;
                let mut ws = Workspace::new(store.as_ref(), &mut state);
                policy_match::match_unapplied(&mut ws, policy, &customers)?;
                payouts::match_payouts(&mut ws, &pos, &lines, policy)?;
                ws.take_changes()
            };
            if cs.is_empty() {
                break;
            }
            match store.commit(cs) {
                Err(CoreError::Allocation(_)) if attempt < RECONCILE_ATTEMPTS => {
                    crate::conflict::pause_before_retry(attempt);
                    attempt += 1;
                }
                other => {
                    other?;
                    break;
                }
            }
        }
        let report = report_from(store.as_ref(), policy)?;
        drop(store);
        self.sync_collection_cases(Utc::now())?;
        Ok(report)
    }

    /// The reconcile report of the books as they are (nothing changes).
    pub fn report(&self, policy: &ReconcilePolicy) -> Result<ReconcileReport> {
        let store = self.store()?;
        report_from(store.as_ref(), policy)
    }

    /// Matches payouts to bank deposits (one-to-one, exact amount, business-day
    /// window, payout id or descriptor preferred) and commits the pairs.
    pub fn match_payouts(&self, policy: &ReconcilePolicy) -> Result<PayoutMatchReport> {
        let mut store = self.store()?;
        let mut state = WorkState::new();
        let (report, cs) = {
            let (pos, lines) = payouts_and_lines(store.as_ref())?;
            let mut ws = Workspace::new(store.as_ref(), &mut state);
            let r = payouts::match_payouts(&mut ws, &pos, &lines, policy)?;
            (r, ws.take_changes())
        };
        if !cs.is_empty() {
            store.commit(cs)?;
        }
        Ok(report)
    }

    /// Allocates `amount` of a payment to an invoice by hand
    /// ([`MatchStrategy::Manual`]); recorded in the history as a `books:manual` entry.
    ///
    /// On shared books, when another process changed the payment's or the
    /// invoice's allocations since this call read them, the store refuses
    /// the commit (`ALLOCATION_REJECTED`, "changed meanwhile"): nothing is
    /// written; call it again to allocate against what is there now.
    pub fn allocate(
        &self,
        payment_id: &str,
        invoice_id: &str,
        amount: Decimal,
    ) -> Result<Allocation> {
        self.allocate_with_note(payment_id, invoice_id, amount, None)
    }

    /// [`Books::allocate`] with a note kept in the allocation's reason.
    pub fn allocate_with_note(
        &self,
        payment_id: &str,
        invoice_id: &str,
        amount: Decimal,
        note: Option<&str>,
    ) -> Result<Allocation> {
        let req = AllocateRequest {
            payment_id: payment_id.to_string(),
            invoice_id: invoice_id.to_string(),
            amount,
            at: Utc::now(),
            note: note.map(str::to_string),
        };
        let mut store = self.store()?;
        let manual_id = tieout_core::reconcile::ledger::allocation_id(
            payment_id,
            invoice_id,
            MatchStrategy::Manual,
        );
        let out = crate::conflict::commit_manual(
            store.as_mut(),
            |s| {
                [
                    (EntityKind::Payment, payment_id),
                    (EntityKind::Invoice, invoice_id),
                    (EntityKind::Allocation, manual_id.as_str()),
                ]
                .into_iter()
                .map(|(kind, id)| ReadRecord::now(kind, id, |k, ids| s.get(k, ids)))
                .collect()
            },
            |ws| manual::allocate(ws, &ReconcilePolicy::default(), &req),
        )?;
        Ok(out.allocation.expect("allocate returns the allocation"))
    }

    /// Removes one allocation (any strategy) and recomputes the payment's and
    /// invoice's totals; recorded in the history as a `books:manual` entry.
    pub fn unallocate(&self, allocation_id: &str) -> Result<()> {
        let mut store = self.store()?;
        let at = Utc::now();
        crate::conflict::commit_manual(
            store.as_mut(),
            |s| {
                let a = ReadRecord::now(EntityKind::Allocation, allocation_id, |k, ids| {
                    s.get(k, ids)
                })?;
                let mut read = Vec::new();
                if let Some(Entity::Allocation(al)) = &a.record {
                    read.push(ReadRecord::now(
                        EntityKind::Payment,
                        &al.payment_id,
                        |k, ids| s.get(k, ids),
                    )?);
                    read.push(ReadRecord::now(
                        EntityKind::Invoice,
                        &al.invoice_id,
                        |k, ids| s.get(k, ids),
                    )?);
                }
                read.push(a);
                Ok(read)
            },
            |ws| manual::unallocate(ws, &ReconcilePolicy::default(), allocation_id, at),
        )?;
        Ok(())
    }

    /// Imports bank statement lines from CSV; re-importing the same statement
    /// changes nothing (line ids derive from their content).
    pub fn import_bank_csv(&self, csv: &str, mapping: &CsvMapping) -> Result<Vec<BankLine>> {
        let lines = bank::parse_csv(csv, mapping)?;
        self.store_bank_lines(lines)
    }

    /// Imports bank statement lines from an ISO 20022 camt.053 document.
    pub fn import_bank_camt053(&self, xml: &str) -> Result<Vec<BankLine>> {
        let lines = bank::parse_camt053(xml)?;
        self.store_bank_lines(lines)
    }

    fn store_bank_lines(&self, lines: Vec<BankLine>) -> Result<Vec<BankLine>> {
        let mut store = self.store()?;
        let mut state = WorkState::new();
        let mut out = Vec::with_capacity(lines.len());
        let cs = {
            let mut ws = Workspace::new(store.as_ref(), &mut state);
            let ids: Vec<Id> = lines.iter().map(|l| l.id.clone()).collect();
            ws.load(EntityKind::BankLine, &ids)?;
            for mut l in lines {
                let old = match ws.get(EntityKind::BankLine, &l.id)? {
                    Some(Entity::BankLine(o)) => Some(o),
                    _ => None,
                };
                if let Some(o) = &old {
                    l.payout_id.clone_from(&o.payout_id);
                }
                if old.as_ref() != Some(&l) {
                    ws.put(Entity::BankLine(l.clone()));
                }
                out.push(l);
            }
            ws.take_changes()
        };
        if !cs.is_empty() {
            store.commit(cs)?;
        }
        Ok(out)
    }
}

/// Customers whose credit keys are looked up in one batch at an import's end.
const CREDIT_LOOKUP_CHUNK: usize = 2_000;

/// The payments and invoices an import touched, for policy matching at its end.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    customers: BTreeSet<Id>,
    resumed: bool,
}

impl Touched {
    /// `resumed`: the run continues an interrupted one, whose earlier pages
    /// are unknown here, so every customer with unapplied money is matched.
    pub(crate) fn new(resumed: bool) -> Self {
        Touched {
            customers: BTreeSet::new(),
            resumed,
        }
    }

    /// Notes the customers of a page's settled payments and invoices.
    pub(crate) fn note(&mut self, o: &mut PageOutcome) {
        self.customers
            .extend(std::mem::take(&mut o.settle.customers));
    }

    /// Policy matching for the touched customers that hold credit, when the
    /// plan asks for it; the changes are planned in `ws`.
    pub(crate) fn match_unapplied(
        &self,
        store: &dyn Store,
        ws: &mut Workspace<'_>,
        plan: &ImportPlan,
    ) -> Result<Option<MatchOutcome>> {
        if !plan.policy.match_on_import {
            return Ok(None);
        }
        let mut customers = if self.resumed {
            policy_match::unapplied_customers(store)?
        } else {
            BTreeSet::new()
        };
        customers.extend(self.customers.iter().cloned());
        // Only customers holding credit have anything to match: one batched
        // lookup per chunk, each chunk's keys dropped from the cache after
        // (every customer of a large import would otherwise stay cached).
        let customers: Vec<Id> = customers.into_iter().collect();
        let mut with_credit = BTreeSet::new();
        for chunk in customers.chunks(CREDIT_LOOKUP_CHUNK) {
            let credit_keys: Vec<_> = chunk.iter().map(|c| keys::customer_credit(c)).collect();
            ws.prefetch(&credit_keys)?;
            for (c, k) in chunk.iter().zip(&credit_keys) {
                if !ws.resolve(k)?.is_empty() {
                    with_credit.insert(c.clone());
                }
            }
            ws.forget_aliases(&credit_keys);
        }
        Ok(Some(policy_match::match_unapplied(
            ws,
            &plan.policy,
            &with_credit,
        )?))
    }
}

/// Commits a change set if it has anything in it.
pub(crate) fn commit_if_any(store: &mut dyn Store, cs: ChangeSet) -> Result<()> {
    if !cs.is_empty() {
        store.commit(cs)?;
    }
    Ok(())
}
