//! Xero `ManualJournal` JSON: signed `LineAmount` (debits positive), in the
//! organisation's base currency only. An entry in another currency needs a
//! rate from the user's table and is refused without one, never converted
//! silently; a converted entry's rounding remainder is placed on its largest
//! line, explicitly, and said in the narration.

use rust_decimal::{Decimal, RoundingStrategy};

use super::json::J;
use super::{RenderOptions, fmt_amount};
use crate::error::{CoreError, Result};
use crate::ledger::JournalEntry;

/// The entries as `{ "ManualJournals": [...] }`; requires `opts.base_currency`.
pub fn xero(entries: &[JournalEntry], opts: &RenderOptions) -> Result<String> {
    let base = opts.base_currency.ok_or_else(|| {
        CoreError::Invalid("Xero export needs the organisation's base currency".into())
    })?;
    let mut journals = Vec::new();
    for e in entries {
        let mut lines: Vec<(String, Decimal, String)> = Vec::new();

        for p in &e.postings {
            let amount = if p.currency == base {
                p.amount
            } else {
                let r = opts.rates.get(&p.currency).ok_or_else(|| {
                    CoreError::Invalid(format!(
                        "Xero takes the base currency {base} only: entry {} posts in {} and \
                         there is no {}->{base} rate in the rate table",
                        e.id, p.currency, p.currency
                    ))
                })?;

                (p.amount * r)
                    .round_dp_with_strategy(base.exponent(), RoundingStrategy::MidpointNearestEven)
            };
            let desc = p.memo.clone().unwrap_or_else(|| e.narration.clone());
            lines.push((p.account.clone(), amount, desc));
        }
        let rest: Decimal = lines.iter().map(|l| l.1).sum();
        let mut narration = format!("{} [tieout {}]", e.narration, e.id);
        if !rest.is_zero() {
            if let Some(big) = lines.iter_mut().max_by_key(|l| l.1.abs()) {
                big.1 -= rest;
            }
            narration.push_str(&format!(
                " (conversion remainder {} {base} on the largest line)",
                fmt_amount(rest, base)
            ));
        }
        let lines = lines
            .into_iter()
            .filter(|l| !l.1.is_zero())
            .map(|(a, amt, d)| {
                J::O(vec![
                    ("AccountCode", J::s(a)),
                    ("Description", J::s(d)),
                    ("LineAmount", J::N(fmt_amount(amt, base))),
                ])
            })
            .collect();
        journals.push(J::O(vec![
            ("Narration", J::s(narration)),
            ("Date", J::s(e.date.to_string())),
            ("Status", J::s("POSTED")),
            ("LineAmountTypes", J::s("NoTax")),
            ("JournalLines", J::A(lines)),
        ]));
    }
    Ok(J::O(vec![("ManualJournals", J::A(journals))]).text())
}
