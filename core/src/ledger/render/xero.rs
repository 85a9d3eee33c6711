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

/// One Xero manual journal to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XeroDocument {
    /// The tieout entry id.
    pub id: String,
    /// The journal's narration; it ends with `[tieout <id>]`, what a lookup
    /// searches for.
    pub narration: String,
    /// `{ "ManualJournals": [ <the journal> ] }`, as exact JSON text.
    pub body: String,
}

/// The entries as `{ "ManualJournals": [...] }`; requires `opts.base_currency`.
pub fn xero(entries: &[JournalEntry], opts: &RenderOptions) -> Result<String> {
    let journals = journals(entries, opts)?
        .into_iter()
        .map(|(_, _, j)| j)
        .collect();
    Ok(J::O(vec![("ManualJournals", J::A(journals))]).text())
}

/// The same journals as documents to create one by one (the push client's
/// writes); requires `opts.base_currency`.
pub fn xero_documents(entries: &[JournalEntry], opts: &RenderOptions) -> Result<Vec<XeroDocument>> {
    Ok(journals(entries, opts)?
        .into_iter()
        .map(|(id, narration, j)| XeroDocument {
            id,
            narration,
            body: J::O(vec![("ManualJournals", J::A(vec![j]))]).text(),
        })
        .collect())
}

/// Each entry's id, narration and manual journal.
fn journals(entries: &[JournalEntry], opts: &RenderOptions) -> Result<Vec<(String, String, J)>> {
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
        journals.push((
            e.id.clone(),
            narration.clone(),
            J::O(vec![
                ("Narration", J::s(narration)),
                ("Date", J::s(e.date.to_string())),
                ("Status", J::s("POSTED")),
                ("LineAmountTypes", J::s("NoTax")),
                ("JournalLines", J::A(lines)),
            ]),
        ));
    }
    Ok(journals)
}
