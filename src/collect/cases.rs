//! Collection cases over the stored books.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use tieout_core::collect::{
    CaseFilter, CaseOpening, CasePolicy, CollectionCase, follow_books, plan_cases,
};
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::{ChangeSet, Store};

use crate::books::Books;
use crate::error::Result;

/// Name of the built-in post-import action that opens collection cases for
/// every collectible invoice (default filter and policy) after an import.
pub const CASES_ACTION: &str = "collection_cases";

/// The built-in post-import action called `name`, if there is one.
pub(crate) fn builtin_action(name: &str) -> Option<crate::books::PostAction> {
    (name == CASES_ACTION).then(|| {
        let action: crate::books::PostAction = std::sync::Arc::new(|books: &Books, run| {
            let now = run.finished_at.unwrap_or_else(Utc::now);
            books
                .create_collection_cases(&CaseFilter::default(), &CasePolicy::default(), now)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
        action
    })
}

/// The cases [`Books::create_collection_cases`] opens over the books in
/// `store`: the books' own store when it opens them, the review's staged view
/// of the books after an import when a review previews the built-in action.
pub(crate) fn case_opening(
    store: &dyn Store,
    filter: &CaseFilter,
    policy: &CasePolicy,
    now: DateTime<Utc>,
) -> Result<CaseOpening> {
    let mut invoices = Vec::new();
    for e in store.list(EntityKind::Invoice)? {
        if let Entity::Invoice(i) = e {
            invoices.push(i);
        }
    }
    let mut customers = Vec::new();
    for e in store.list(EntityKind::Customer)? {
        if let Entity::Customer(c) = e {
            customers.push(c);
        }
    }
    let existing: HashSet<String> = store
        .list(EntityKind::CollectionCase)?
        .into_iter()
        .map(|e| e.id().to_string())
        .collect();
    Ok(plan_cases(
        &invoices, &customers, &existing, filter, policy, now,
    ))
}

impl Books {
    /// Whether an import of `plan` ends with the built-in
    /// [`CASES_ACTION`] (named in `post_actions`, not replaced by a
    /// registered action of that name): its review then previews the cases.
    pub(crate) fn runs_builtin_cases(&self, plan: &tieout_core::ImportPlan) -> bool {
        plan.post_actions.iter().any(|a| a == CASES_ACTION) && !self.is_registered(CASES_ACTION)
    }

    /// Every collection case, by id.
    pub fn collection_cases(&self) -> Result<Vec<CollectionCase>> {
        Ok(self
            .store()?
            .list(EntityKind::CollectionCase)?
            .into_iter()
            .filter_map(|e| match e {
                Entity::CollectionCase(c) => Some(c),
                _ => None,
            })
            .collect())
    }

    /// Opens one case per collectible invoice matching `filter` that has no
    /// case yet (keyed by the invoice's source id, so re-running or
    /// re-importing never opens a second). Debtors lacking a name, email or
    /// postal address are refused per invoice with the missing fields; the
    /// rest are opened. Existing cases are first brought up to date.
    pub fn create_collection_cases(
        &self,
        filter: &CaseFilter,
        policy: &CasePolicy,
        now: DateTime<Utc>,
    ) -> Result<CaseOpening> {
        self.sync_collection_cases(now)?;
        let opening = {
            let store = self.store()?;
            case_opening(store.as_ref(), filter, policy, now)?
        };
        if !opening.opened.is_empty() {
            let cs = ChangeSet {
                upserts: opening
                    .opened
                    .iter()
                    .cloned()
                    .map(Entity::CollectionCase)
                    .collect(),
                ..Default::default()
            };
            self.store()?.commit(cs)?;
        }
        Ok(opening)
    }

    /// Brings every active case in line with its invoice: a partial payment
    /// updates the open amount, nothing left open closes it as `paid` or
    /// `closed` (void, written off, credited). Imports, events and reconcile
    /// call it; returns the cases changed.
    pub fn sync_collection_cases(&self, now: DateTime<Utc>) -> Result<Vec<CollectionCase>> {
        let cases = self.collection_cases()?;
        let active: Vec<&CollectionCase> = cases.iter().filter(|c| c.status.is_active()).collect();
        if active.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = active.iter().map(|c| c.invoice_id.clone()).collect();
        let invoices: HashMap<String, _> = self
            .store()?
            .get(EntityKind::Invoice, &ids)?
            .into_iter()
            .filter_map(|e| match e {
                Entity::Invoice(i) => Some((i.id.clone(), i)),
                _ => None,
            })
            .collect();
        let changed: Vec<CollectionCase> = active
            .iter()
            .filter_map(|c| follow_books(c, invoices.get(&c.invoice_id), now))
            .collect();
        if !changed.is_empty() {
            let cs = ChangeSet {
                upserts: changed
                    .iter()
                    .cloned()
                    .map(Entity::CollectionCase)
                    .collect(),
                ..Default::default()
            };
            self.store()?.commit(cs)?;
        }
        Ok(changed)
    }

    /// Marks a case as handed to an agency.
    pub fn submit_collection_case(
        &self,
        case_id: &str,
        now: DateTime<Utc>,
    ) -> Result<CollectionCase> {
        let mut case = match self.get(EntityKind::CollectionCase, case_id)? {
            Some(Entity::CollectionCase(c)) => c,
            _ => {
                return Err(
                    tieout_core::CoreError::NotFound(format!("collection case {case_id}")).into(),
                );
            }
        };
        if case.status == tieout_core::collect::CaseStatus::Open {
            case.status = tieout_core::collect::CaseStatus::Submitted;
            case.history.push(tieout_core::collect::CaseEvent {
                at: now,
                status: case.status,
                open_amount: case.open_amount,
                reason: "submitted".into(),
            });
            let mut cs = ChangeSet::default();
            cs.upserts.push(Entity::CollectionCase(case.clone()));
            self.store()?.commit(cs)?;
        }
        Ok(case)
    }
}
