//! A `checkout.session.completed` event that saved the card: the card
//! becomes the customer's default for auto-pay (opted in via that checkout)
//! in the same commit as the payment the event records, through the same
//! code as [`Books::save_card_from_checkout`].

use chrono::{DateTime, Utc};
use tieout_core::ChangeSet;
use tieout_core::autopay::saved_card;
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::invoicing::is_own;
use tieout_stripe::StripeEvent;

use super::settings::{CardSetting, auto_pay_change};
use crate::books::Books;
use crate::error::Result;

/// The event types whose session completed with the money in.
const COMPLETED: [&str; 2] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
];

/// An auto-pay change an event carries, to commit with the event.
pub(crate) struct EventCard {
    cs: ChangeSet,
    note: String,
}

impl EventCard {
    /// Moves the change into the event's change set; `false` when that
    /// already carries a checkpoint or a run (then it commits on its own,
    /// right after: [`EventCard::commit_alone`]).
    pub(crate) fn merge_into(&self, cs: &mut ChangeSet) -> bool {
        if cs.checkpoint.is_some() || cs.run.is_some() {
            return false;
        }
        cs.checkpoint = self.cs.checkpoint.clone();
        cs.run = self.cs.run.clone();
        true
    }

    /// Commits the change on its own (see [`EventCard::merge_into`]).
    pub(crate) fn commit_alone(self, books: &Books) -> Result<()> {
        books.store()?.commit(self.cs)?;
        Ok(())
    }

    /// The history note of the change.
    pub(crate) fn note(&self) -> &str {
        &self.note
    }
}

fn event_time(event: &StripeEvent) -> DateTime<Utc> {
    DateTime::from_timestamp(event.created, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

impl Books {
    /// The auto-pay change `event` makes, if any: a completed Checkout
    /// Session for one of the books' own invoices, whose PaymentIntent
    /// (expanded in the session, as [`Books::apply_event_refetched`] reads
    /// it) asked to save the card (`setup_future_usage`). The card becomes
    /// the invoice customer's default, opted in via "checkout <session id>"
    /// at the event's time. Sessions for anything else (an imported invoice,
    /// a shop checkout) never opt a customer in. `None` as well when the
    /// setting already has that card from that checkout.
    pub(crate) fn event_card(
        &self,
        event: &StripeEvent,
        account: &str,
    ) -> Result<Option<EventCard>> {
        if !COMPLETED.contains(&event.event_type.as_str()) {
            return Ok(None);
        }
        let Some(card) = saved_card(&event.object, None) else {
            return Ok(None);
        };
        let own = match &card.invoice {
            Some(id) => matches!(
                self.get(EntityKind::Invoice, id)?,
                Some(Entity::Invoice(i)) if is_own(&i)
            ),
            None => false,
        };
        if !own {
            return Ok(None);
        }
        Ok(
            match self.card_setting(&card, account, event_time(event))? {
                CardSetting::Unchanged(_) => None,
                CardSetting::Changed(a, note) => {
                    let mut cs = ChangeSet::default();
                    auto_pay_change(&mut cs, &a, note.clone());
                    Some(EventCard { cs, note })
                }
            },
        )
    }
}
