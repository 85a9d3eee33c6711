//! Every amount of a record at its currency's scale ([`crate::money::at_scale`]).
//!
//! Arithmetic in `rust_decimal` keeps the larger scale of its inputs and a zero
//! made from nothing has scale 0, so a computed `amount_paid` could read `0`
//! where a mapped `total` reads `0.00`. Records pass through
//! [`AtCurrencyScale::at_currency_scale`] where they enter and leave the books
//! (the store boundary, see `store::ScaledStore`), so every language and every
//! export sees the same strings. Only the scale changes, never a value.

use crate::collect::CollectionCase;
use crate::entity::Entity;
use crate::money::{Currency, scale_in_place as s};

use super::*;

/// Puts every amount of a record at its currency's scale.
pub trait AtCurrencyScale {
    /// Rescales the record's amounts in place (values are unchanged).
    fn at_currency_scale(&mut self);
}

fn lines(lines: &mut [InvoiceLine], c: Currency) {
    for l in lines {
        s(&mut l.amount, c);
        s(&mut l.tax, c);
        if let Some(u) = l.unit_amount.as_mut() {
            s(u, c);
        }
    }
}

fn fees(fees: &mut [FeeDetail]) {
    for f in fees {
        s(&mut f.amount, f.currency);
    }
}

impl AtCurrencyScale for Invoice {
    fn at_currency_scale(&mut self) {
        let c = self.currency;
        for a in [
            &mut self.subtotal,
            &mut self.discount,
            &mut self.tax,
            &mut self.total,
            &mut self.amount_due,
            &mut self.amount_paid,
            &mut self.amount_remaining,
            &mut self.amount_written_off,
            &mut self.source_amount_paid,
            &mut self.amount_credited,
            &mut self.source_credited,
        ] {
            s(a, c);
        }
        if let Some(w) = &mut self.write_off {
            s(&mut w.amount, c);
            s(&mut w.recovered, c);
        }
        lines(&mut self.lines, c);
    }
}

impl AtCurrencyScale for Payment {
    fn at_currency_scale(&mut self) {
        let c = self.currency;
        for a in [
            &mut self.amount,
            &mut self.refunded,
            &mut self.disputed,
            &mut self.allocated,
            &mut self.unapplied,
        ] {
            s(a, c);
        }
        if let Some(r) = self.refunded_reported.as_mut() {
            s(r, c);
        }
        for a in self.links.invoice_amounts.values_mut() {
            s(a, c);
        }
        // Settlement amount, fee and net are in the settlement currency.
        let settled = self.settlement_currency.unwrap_or(c);
        if let Some(a) = self.settlement_amount.as_mut() {
            s(a, settled);
        }
        if let Some(n) = self.net.as_mut() {
            s(n, settled);
        }
        s(&mut self.fee, settled);
        fees(&mut self.fee_details);
    }
}

impl AtCurrencyScale for Allocation {
    fn at_currency_scale(&mut self) {
        s(&mut self.amount, self.currency);
    }
}

impl AtCurrencyScale for Subscription {
    fn at_currency_scale(&mut self) {
        let c = self.currency;
        s(&mut self.amount, c);
        for i in &mut self.items {
            if let Some(u) = i.unit_amount.as_mut() {
                s(u, c);
            }
        }
    }
}

impl AtCurrencyScale for Price {
    fn at_currency_scale(&mut self) {
        if let Some(u) = self.unit_amount.as_mut() {
            s(u, self.currency);
        }
    }
}

impl AtCurrencyScale for Refund {
    fn at_currency_scale(&mut self) {
        s(&mut self.amount, self.currency);
    }
}

impl AtCurrencyScale for Dispute {
    fn at_currency_scale(&mut self) {
        s(&mut self.amount, self.currency);
    }
}

impl AtCurrencyScale for BalanceTransaction {
    fn at_currency_scale(&mut self) {
        let c = self.currency;
        s(&mut self.amount, c);
        s(&mut self.fee, c);
        s(&mut self.net, c);
        fees(&mut self.fee_details);
    }
}

impl AtCurrencyScale for Payout {
    fn at_currency_scale(&mut self) {
        s(&mut self.amount, self.currency);
    }
}

impl AtCurrencyScale for BankLine {
    fn at_currency_scale(&mut self) {
        s(&mut self.amount, self.currency);
    }
}

impl AtCurrencyScale for CreditNote {
    fn at_currency_scale(&mut self) {
        let c = self.currency;
        for a in [
            &mut self.amount,
            &mut self.pre_payment_amount,
            &mut self.post_payment_amount,
            &mut self.refund_amount,
            &mut self.credit_amount,
            &mut self.out_of_band_amount,
        ] {
            s(a, c);
        }
        for l in &mut self.lines {
            s(&mut l.amount, c);
        }
    }
}

impl AtCurrencyScale for CollectionCase {
    fn at_currency_scale(&mut self) {
        let c = self.currency;
        s(&mut self.original_amount, c);
        s(&mut self.open_amount, c);
        for e in &mut self.history {
            s(&mut e.open_amount, c);
        }
    }
}

impl AtCurrencyScale for Entity {
    fn at_currency_scale(&mut self) {
        match self {
            Entity::Invoice(r) => r.at_currency_scale(),
            Entity::Payment(r) => r.at_currency_scale(),
            Entity::Allocation(r) => r.at_currency_scale(),
            Entity::Subscription(r) => r.at_currency_scale(),
            Entity::Price(r) => r.at_currency_scale(),
            Entity::Refund(r) => r.at_currency_scale(),
            Entity::Dispute(r) => r.at_currency_scale(),
            Entity::BalanceTransaction(r) => r.at_currency_scale(),
            Entity::Payout(r) => r.at_currency_scale(),
            Entity::BankLine(r) => r.at_currency_scale(),
            Entity::CreditNote(r) => r.at_currency_scale(),
            Entity::CollectionCase(r) => r.at_currency_scale(),
            Entity::LedgerExport(r) => {
                for p in &mut r.mark.postings {
                    s(&mut p.amount, p.currency);
                }
            }
            Entity::Customer(_)
            | Entity::Product(_)
            | Entity::ImportRun(_)
            | Entity::WriteRecord(_) => {}
        }
    }
}
