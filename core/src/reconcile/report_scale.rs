//! The reconcile report's amounts at their currency's scale.
//!
//! A currency's totals start at zero (scale 0) and FX figures come from
//! products, so the report is put at scale once, when it is built.

use crate::model::AtCurrencyScale;
use crate::money::{Currency, scale_in_place as s};

use super::payouts::PayoutMatchReport;
use super::report::ReconcileReport;

fn opt(v: &mut Option<rust_decimal::Decimal>, c: Currency) {
    if let Some(v) = v.as_mut() {
        s(v, c);
    }
}

impl AtCurrencyScale for PayoutMatchReport {
    fn at_currency_scale(&mut self) {
        for p in &mut self.pairs {
            s(&mut p.amount, p.currency);
        }
        for p in &mut self.unmatched_payouts {
            s(&mut p.amount, p.currency);
        }
        for d in &mut self.unmatched_deposits {
            s(&mut d.amount, d.currency);
        }
        for c in &mut self.checks {
            s(&mut c.amount, c.currency);
            s(&mut c.net_total, c.currency);
            s(&mut c.difference, c.currency);
        }
    }
}

impl AtCurrencyScale for ReconcileReport {
    fn at_currency_scale(&mut self) {
        for a in self
            .allocations
            .iter_mut()
            .chain(self.write_offs.iter_mut())
        {
            s(&mut a.amount, a.currency);
        }
        for i in &mut self.open_invoices {
            let c = i.currency;
            for v in [
                &mut i.amount_due,
                &mut i.amount_paid,
                &mut i.written_off,
                &mut i.open,
            ] {
                s(v, c);
            }
        }
        for u in &mut self.unapplied {
            s(&mut u.amount, u.currency);
            s(&mut u.unapplied, u.currency);
        }
        self.payouts.at_currency_scale();
        for f in &mut self.fees {
            let sc = f.settlement_currency.unwrap_or(f.currency);
            s(&mut f.gross, f.currency);
            opt(&mut f.settlement_amount, sc);
            s(&mut f.fee, sc);
            opt(&mut f.net, sc);
            for d in &mut f.fee_details {
                s(&mut d.amount, d.currency);
            }
        }
        for (c, t) in &mut self.fee_totals {
            for v in [
                &mut t.gross,
                &mut t.fees,
                &mut t.net,
                &mut t.payments_booked,
                &mut t.fee_expense,
            ] {
                s(v, *c);
            }
        }
        for x in &mut self.fx {
            s(&mut x.amount, x.currency);
            s(&mut x.settled, x.settlement_currency);
            opt(&mut x.at_invoice_rate, x.settlement_currency);
            opt(&mut x.difference, x.settlement_currency);
        }
        for (c, t) in &mut self.totals {
            for v in [
                &mut t.payments_received,
                &mut t.allocated,
                &mut t.unapplied,
                &mut t.refunded,
                &mut t.disputed,
                &mut t.payments_balance,
                &mut t.invoiced,
                &mut t.credited,
                &mut t.paid,
                &mut t.written_off,
                &mut t.open,
                &mut t.invoices_balance,
            ] {
                s(v, *c);
            }
        }
    }
}
