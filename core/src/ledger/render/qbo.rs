//! QuickBooks Online `JournalEntry` JSON: positive amounts with
//! `PostingType`, `DocNumber` within 21 characters, the full entry id in
//! `PrivateNote`, the customer as `Entity` on receivable lines, and the
//! `requestid` to send with the create (QuickBooks answers a repeated
//! `requestid` with the first result instead of a second entry).

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::json::J;
use super::{RenderOptions, fmt_amount};
use crate::error::Result;
use crate::ledger::JournalEntry;

/// A `DocNumber` of at most 21 characters: the id itself when it fits, else
/// its first 12 characters, `~` and 8 hex digits of its SHA-256.
pub fn doc_number(id: &str) -> String {
    if id.len() <= 21 {
        return id.to_string();
    }
    let h = hex::encode(&Sha256::digest(id.as_bytes())[..4]);
    let head: String = id.chars().take(12).collect();
    format!("{head}~{h}")
}

/// The `requestid` for an entry part: 32 hex digits of the SHA-256 of the id.
pub fn request_id(id: &str) -> String {
    hex::encode(&Sha256::digest(format!("tieout/qbo/{id}").as_bytes())[..16])
}

/// The entries as a JSON array of `{ "requestid", "JournalEntry" }`. An entry
/// in more than one currency becomes one journal entry per currency (id
/// `<id>#<CUR>`); QuickBooks journal entries hold one currency each.
pub fn qbo(entries: &[JournalEntry], opts: &RenderOptions) -> Result<String> {
    let mut items = Vec::new();
    for e in entries {
        let currencies = e.currencies();
        for c in &currencies {
            let id = if currencies.len() > 1 {
                format!("{}#{}", e.id, c)
            } else {
                e.id.clone()
            };
            let mut lines = Vec::new();
            for (i, p) in e.postings.iter().filter(|p| p.currency == *c).enumerate() {
                let kind = if p.amount > Decimal::ZERO {
                    "Debit"
                } else {
                    "Credit"
                };
                let mut detail = vec![
                    ("PostingType", J::s(kind)),
                    ("AccountRef", J::O(vec![("name", J::s(p.account.clone()))])),
                ];
                if let Some(cust) = &p.customer_id {
                    detail.push((
                        "Entity",
                        J::O(vec![
                            ("Type", J::s("Customer")),
                            ("EntityRef", J::O(vec![("value", J::s(cust.clone()))])),
                        ]),
                    ));
                }
                lines.push(J::O(vec![
                    ("Id", J::s((i + 1).to_string())),
                    (
                        "Description",
                        J::s(p.memo.clone().unwrap_or_else(|| e.narration.clone())),
                    ),
                    ("Amount", J::N(fmt_amount(p.amount.abs(), *c))),
                    ("DetailType", J::s("JournalEntryLineDetail")),
                    ("JournalEntryLineDetail", J::O(detail)),
                ]));
            }
            let mut je = vec![
                ("DocNumber", J::s(doc_number(&id))),
                ("TxnDate", J::s(e.date.to_string())),
                ("PrivateNote", J::s(format!("tieout {id}: {}", e.narration))),
                ("CurrencyRef", J::O(vec![("value", J::s(c.code()))])),
            ];
            if opts.base_currency.is_some_and(|b| b != *c) {
                if let Some(r) = opts.rates.get(c) {
                    je.push(("ExchangeRate", J::N(r.normalize().to_string())));
                }
            }
            je.push(("Line", J::A(lines)));
            items.push(J::O(vec![
                ("requestid", J::s(request_id(&id))),
                ("tieout_id", J::s(id.clone())),
                ("JournalEntry", J::O(je)),
            ]));
        }
    }
    Ok(J::A(items).text())
}
