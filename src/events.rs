//! Real-time updates: applying verified webhook or Events API events.

use serde::{Deserialize, Serialize};
use tieout_core::import::{Planner, ReviewEntry, WorkState, Workspace, keys};
use tieout_core::{ChangeSet, CoreError, ImportPlan};
use tieout_stripe::StripeEvent;

use crate::books::Books;
use crate::error::Result;

/// Checkpoint stream holding the Stripe account the books import from.
pub(crate) const DEFAULT_ACCOUNT_STREAM: &str = "books:default_account:stripe";

/// What applying one event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// The event's object was applied to the books.
    Applied,
    /// The event id was applied before; nothing changed (deliveries are at least once).
    Duplicate,
    /// An event type tieout does not import; acknowledged and ignored.
    Ignored,
}

/// The outcome of [`Books::apply_event`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventOutcome {
    /// Event id.
    pub event_id: String,
    /// Event type.
    pub event_type: String,
    /// Applied, duplicate or ignored.
    pub status: EventStatus,
    /// What happened to each record the event carried (stale snapshots are skipped).
    pub entries: Vec<ReviewEntry>,
    /// Notes on what was applied: an invoice whose embedded line list is
    /// partial and could not be completed (apply the event through
    /// [`Books::apply_event_refetched`] to fetch the rest).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// How often [`Books::apply_event_with`] plans an event again when a
/// concurrent writer changed the allocations it derived totals from.
pub(crate) const EVENT_ATTEMPTS: u32 = 8;

impl Books {
    /// The Stripe account id these books import from (set by the first import
    /// from a verified source); events without an `account` use it.
    pub fn default_account(&self) -> Result<Option<String>> {
        Ok(self
            .store()?
            .checkpoint(DEFAULT_ACCOUNT_STREAM)?
            .filter(|a| !a.is_empty()))
    }

    /// Sets the Stripe account id events without an `account` belong to.
    pub fn set_default_account(&self, account: &str) -> Result<()> {
        let cs = ChangeSet {
            checkpoint: Some((DEFAULT_ACCOUNT_STREAM.to_string(), account.to_string())),
            ..ChangeSet::default()
        };
        self.store()?.commit(cs)?;
        Ok(())
    }

    /// Applies a verified event (from [`tieout_stripe::verify_webhook`] or the
    /// Events API) with the default plan. Live-mode events need a plan with
    /// `allow_live` (see [`Books::apply_event_with`]).
    pub fn apply_event(&self, event: &StripeEvent) -> Result<EventOutcome> {
        self.apply_event_with(event, &ImportPlan::default())
    }

    /// Applies an event after re-reading its object from the API, so an event
    /// delivered late or out of order applies the object's current state (as of
    /// now) rather than its snapshot. Falls back to the snapshot when the object
    /// is gone (deleted) or its type is not imported.
    pub async fn apply_event_refetched(
        &self,
        event: &StripeEvent,
        source: &tieout_stripe::StripeSource,
        plan: &ImportPlan,
    ) -> Result<EventOutcome> {
        let mut fresh = event.clone();
        if let Some(obj) = source.refetch(&event.object).await? {
            fresh.object = obj;
            fresh.created = chrono::Utc::now().timestamp().max(event.created);
        }
        self.apply_event_with(&fresh, plan)
    }

    /// Applies an event under `plan`: deduplicated by event id, older snapshots
    /// never overwrite newer ones, unsupported types are acknowledged and ignored.
    /// On shared books, an event whose commit another process's allocations
    /// overtook is planned again on what is there now (up to 8 times).
    pub fn apply_event_with(&self, event: &StripeEvent, plan: &ImportPlan) -> Result<EventOutcome> {
        if event.livemode && !plan.allow_live {
            return Err(CoreError::ApprovalRequired(
                "live-mode event: apply it with a plan that sets allow_live".into(),
            )
            .into());
        }
        let account = match &event.account {
            Some(a) => a.clone(),
            None => self
                .default_account()?
                .unwrap_or_else(|| "acct_unknown".into()),
        };
        let mut outcome = EventOutcome {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            status: EventStatus::Applied,
            entries: Vec::new(),
            notes: Vec::new(),
        };
        let seen_key = keys::event("stripe", &account, &event.id);
        // Read before the store is held: a completed checkout that saved the
        // card commits the auto-pay change with the payment.
        let card = self.event_card(event, &account)?;
        let mut store = self.store()?;
        let mut attempt = 1;
        let mut alone: bool;
        let planned = loop {
            let items = event.items(&account);
            let mut state = WorkState::new();
            let mut ws = Workspace::new(store.as_ref(), &mut state);
            let planner = Planner::new(plan);
            // The duplicate check's key read with the page's (one read).
            planner.prefetch(&mut ws, &items, vec![seen_key.clone()])?;
            if !ws.resolve(&seen_key)?.is_empty() {
                outcome.status = EventStatus::Duplicate;
                return Ok(outcome);
            }
            if items.is_empty() {
                outcome.status = EventStatus::Ignored;
            }
            let planned = planner.plan_page(&mut ws, items)?;
            ws.alias(seen_key.clone(), &format!("event_{}", event.id))?;
            let mut cs = ws.take_changes();
            alone = card.as_ref().is_some_and(|c| !c.merge_into(&mut cs));
            // On shared books another process may have changed the
            // allocations of a payment or invoice this event touches since
            // it was read: the store refuses the commit, and the event is
            // planned again on what is there now.
            match store.commit(cs) {
                Err(CoreError::Allocation(_)) if attempt < EVENT_ATTEMPTS => {
                    crate::conflict::pause_before_retry(attempt);
                    attempt += 1;
                }
                other => {
                    other?;
                    break planned;
                }
            }
        };
        drop(store);
        let card_note = card.as_ref().map(|c| c.note().to_string());
        if let Some(c) = card.filter(|_| alone) {
            c.commit_alone(self)?;
        }
        self.sync_collection_cases(chrono::Utc::now())?;
        outcome.entries = planned.entries;
        outcome.notes = planned.notes;
        outcome.notes.extend(card_note);
        Ok(outcome)
    }
}
