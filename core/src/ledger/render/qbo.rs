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

/// One QuickBooks journal entry to create: the part of a tieout entry in one
/// currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QboDocument {
    /// The tieout id of the part (`<entry id>`, or `<entry id>#<CUR>`).
    pub id: String,
    /// Its `DocNumber` (what a lookup searches for).
    pub doc_number: String,
    /// Its `requestid`.
    pub request_id: String,
    /// The `JournalEntry` object, as exact JSON text.
    pub body: String,
}

/// The journal entries to create, one per entry and currency (id
/// `<id>#<CUR>` when an entry holds more than one currency; QuickBooks
/// journal entries hold one currency each).
fn parts(entries: &[JournalEntry], opts: &RenderOptions) -> Vec<(String, J)> {
    let mut out = Vec::new();
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
            out.push((id, J::O(je)));
        }
    }
    out
}

/// The entries as a JSON array of `{ "requestid", "JournalEntry" }`, one per
/// entry and currency (see [`qbo_documents`]).
pub fn qbo(entries: &[JournalEntry], opts: &RenderOptions) -> Result<String> {
    let items = parts(entries, opts)
        .into_iter()
        .map(|(id, je)| {
            J::O(vec![
                ("requestid", J::s(request_id(&id))),
                ("tieout_id", J::s(id)),
                ("JournalEntry", je),
            ])
        })
        .collect();
    Ok(J::A(items).text())
}

/// The same journal entries as documents to create one by one (the push
/// client's writes).
pub fn qbo_documents(entries: &[JournalEntry], opts: &RenderOptions) -> Vec<QboDocument> {
    parts(entries, opts)
        .into_iter()
        .map(|(id, je)| QboDocument {
            doc_number: doc_number(&id),
            request_id: request_id(&id),
            body: je.text(),
            id,
        })
        .collect()
}
