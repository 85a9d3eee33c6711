//! Bank statements: CSV with a configurable column mapping and ISO 20022
//! camt.053 XML, parsed into [`BankLine`]s with ids derived from their content
//! (re-importing a statement gives the same ids). Pure: text in, lines out.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::entity::EntityKind;
use crate::error::{CoreError, Result};
use crate::model::{BankLine, Id, derive_id};
use crate::money::Currency;

/// Which CSV columns (by header name, case-insensitive) hold what, and how
/// dates and amounts are written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CsvMapping {
    /// Booking date column.
    pub date: String,
    /// Signed amount column (deposits positive).
    pub amount: String,
    /// Currency column; `None` (or absent in the file) uses `default_currency`.
    pub currency: Option<String>,
    /// Description column.
    pub description: Option<String>,
    /// Reference column.
    pub reference: Option<String>,
    /// `chrono` date format, e.g. `%Y-%m-%d` or `%d.%m.%Y`.
    pub date_format: String,
    /// Currency when the file has none.
    pub default_currency: Option<Currency>,
    /// Field delimiter.
    pub delimiter: char,
    /// Amounts written `1.234,56` (comma decimal, dot thousands).
    pub decimal_comma: bool,
    /// Bank account label stored on every line.
    pub account: Option<String>,
}

impl Default for CsvMapping {
    fn default() -> Self {
        CsvMapping {
            date: "Date".into(),
            amount: "Amount".into(),
            currency: Some("Currency".into()),
            description: Some("Description".into()),
            reference: Some("Reference".into()),
            date_format: "%Y-%m-%d".into(),
            default_currency: None,
            delimiter: ',',
            decimal_comma: false,
            account: None,
        }
    }
}

fn bad(row: &str, reason: String) -> CoreError {
    CoreError::InvalidRecord {
        object: "bank_line".into(),
        external_id: row.to_string(),
        reason,
    }
}

/// Parses an amount exactly: `1,234.56`, `-12.00`, `(12.00)`, `12.00-`, and
/// with `decimal_comma` `1.234,56` or `1 234,56`.
pub fn parse_amount(text: &str, decimal_comma: bool) -> Result<Decimal> {
    let mut s: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '\u{a0}' && *c != '+')
        .collect();
    let mut neg = false;
    if s.starts_with('(') && s.ends_with(')') {
        neg = true;
        s = s[1..s.len() - 1].to_string();
    }
    if let Some(rest) = s.strip_suffix('-') {
        neg = true;
        s = rest.to_string();
    }
    if let Some(rest) = s.strip_prefix('-') {
        neg = !neg;
        s = rest.to_string();
    }
    let s = if decimal_comma {
        s.replace('.', "").replace(',', ".")
    } else {
        s.replace(',', "")
    };
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(CoreError::Invalid(format!(
            "amount {text:?} is not a number"
        )));
    }
    let v =
        Decimal::from_str(&s).map_err(|e| CoreError::Invalid(format!("amount {text:?}: {e}")))?;
    Ok(if neg { -v } else { v })
}

/// Gives each line its content-derived id: account, date, amount, currency,
/// description, reference, and the occurrence of identical lines in the statement.
pub fn assign_ids(lines: &mut [BankLine]) {
    let mut seen: HashMap<String, u32> = HashMap::new();
    for l in lines.iter_mut() {
        let key = format!(
            "{}|{}|{}|{}|{}|{}",
            l.account.as_deref().unwrap_or(""),
            l.date,
            l.amount.normalize(),
            l.currency,
            l.description.as_deref().unwrap_or(""),
            l.reference.as_deref().unwrap_or("")
        );
        let n = seen.entry(key.clone()).or_default();
        *n += 1;
        l.id = derive_id(EntityKind::BankLine.id_prefix(), &format!("{key}|{n}"));
    }
}

fn line(
    account: Option<String>,
    date: NaiveDate,
    amount: Decimal,
    currency: Currency,
    description: Option<String>,
    reference: Option<String>,
) -> BankLine {
    let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    BankLine {
        id: Id::new(),
        account: clean(account),
        date,
        amount,
        currency,
        description: clean(description),
        reference: clean(reference),
        payout_id: None,
    }
}

/// Parses a CSV statement with a header row.
pub fn parse_csv(text: &str, m: &CsvMapping) -> Result<Vec<BankLine>> {
    let delim = u8::try_from(m.delimiter)
        .map_err(|_| CoreError::Invalid(format!("delimiter {:?} is not ASCII", m.delimiter)))?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| bad("header", e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
    };
    let need = |name: &str| {
        col(name).ok_or_else(|| CoreError::Invalid(format!("CSV has no column {name:?}")))
    };
    let date_c = need(&m.date)?;
    let amount_c = need(&m.amount)?;
    let cur_c = m.currency.as_deref().and_then(col);
    let desc_c = m.description.as_deref().and_then(col);
    let ref_c = m.reference.as_deref().and_then(col);
    if cur_c.is_none() && m.default_currency.is_none() {
        return Err(CoreError::Invalid(
            "CSV has no currency column and the mapping no default currency".into(),
        ));
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = format!("row {}", i + 2);
        let rec = rec.map_err(|e| bad(&row, e.to_string()))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let date_s = get(Some(date_c)).ok_or_else(|| bad(&row, "no date".into()))?;
        let date = NaiveDate::parse_from_str(&date_s, &m.date_format).map_err(|e| {
            bad(
                &row,
                format!("date {date_s:?} does not match {:?}: {e}", m.date_format),
            )
        })?;
        let amount_s = get(Some(amount_c)).ok_or_else(|| bad(&row, "no amount".into()))?;
        let amount =
            parse_amount(&amount_s, m.decimal_comma).map_err(|e| bad(&row, e.to_string()))?;
        let currency = match get(cur_c) {
            Some(c) => Currency::parse(&c).map_err(|e| bad(&row, e.to_string()))?,
            None => m
                .default_currency
                .ok_or_else(|| bad(&row, "no currency".into()))?,
        };
        out.push(line(
            m.account.clone(),
            date,
            amount,
            currency,
            get(desc_c),
            get(ref_c),
        ));
    }
    assign_ids(&mut out);
    Ok(out)
}

#[derive(Default)]
struct Entry {
    amount: Option<Decimal>,
    currency: Option<String>,
    credit: Option<bool>,
    booked: Option<String>,
    value: Option<String>,
    status: Option<String>,
    svcr_ref: Option<String>,
    ntry_ref: Option<String>,
    e2e: Option<String>,
    creditor_ref: Option<String>,
    ustrd: Vec<String>,
    addtl: Vec<String>,
}

/// Parses an ISO 20022 camt.053 (bank-to-customer statement) document: one
/// line per booked `Ntry`, credits positive, debits negative; description from
/// `AddtlNtryInf` and unstructured remittance info, reference from
/// `AcctSvcrRef`, `NtryRef`, `EndToEndId` or the creditor reference.
pub fn parse_camt053(xml: &str) -> Result<Vec<BankLine>> {
    use quick_xml::Reader;
    use quick_xml::events::Event;

    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut account: Option<String> = None;
    let mut acct_ccy: Option<String> = None;
    let mut entry: Option<Entry> = None;
    let mut out = Vec::new();
    let err = |e: &dyn std::fmt::Display| CoreError::Invalid(format!("camt.053: {e}"));
    loop {
        match reader.read_event().map_err(|e| err(&e))? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "Ntry" {
                    entry = Some(Entry::default());
                }
                if name == "Amt" && path.last().map(String::as_str) == Some("Ntry") {
                    if let Some(en) = entry.as_mut() {
                        for a in e.attributes().flatten() {
                            if a.key.local_name().as_ref() == b"Ccy" {
                                en.currency = Some(String::from_utf8_lossy(&a.value).into_owned());
                            }
                        }
                    }
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| err(&e))?),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    let name = r.decode().map_err(|e| err(&e))?;
                    text.push_str(
                        quick_xml::escape::resolve_predefined_entity(&name).unwrap_or(""),
                    );
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or("");
                let value = std::mem::take(&mut text).trim().to_string();
                let in_acct = path.iter().any(|p| p == "Acct") && !path.iter().any(|p| p == "Ntry");
                if in_acct {
                    match name.as_str() {
                        "IBAN" => account = Some(value.clone()),
                        "Id" if parent == "Othr" && account.is_none() => {
                            account = Some(value.clone())
                        }
                        "Ccy" if parent == "Acct" => acct_ccy = Some(value.clone()),
                        _ => {}
                    }
                }
                if name == "Ntry" {
                    if let Some(en) = entry.take() {
                        if let Some(l) = finish_entry(en, &account, &acct_ccy)? {
                            out.push(l);
                        }
                    }
                    continue;
                }
                let Some(en) = entry.as_mut() else { continue };
                match (name.as_str(), parent) {
                    ("Amt", "Ntry") => {
                        en.amount = Some(
                            Decimal::from_str(&value)
                                .map_err(|e| err(&format!("amount {value:?}: {e}")))?,
                        )
                    }
                    ("CdtDbtInd", "Ntry") => en.credit = Some(value == "CRDT"),
                    ("Dt" | "DtTm", "BookgDt") => en.booked = Some(value),
                    ("Dt" | "DtTm", "ValDt") => en.value = Some(value),
                    ("Sts", "Ntry") | ("Cd", "Sts") => en.status = Some(value),
                    ("AcctSvcrRef", "Ntry") => en.svcr_ref = Some(value),
                    ("NtryRef", "Ntry") => en.ntry_ref = Some(value),
                    ("EndToEndId", _) if value != "NOTPROVIDED" => en.e2e = Some(value),
                    ("Ref", "CdtrRefInf") => en.creditor_ref = Some(value),
                    ("Ustrd", _) => en.ustrd.push(value),
                    ("AddtlNtryInf", "Ntry") | ("AddtlTxInf", _) => en.addtl.push(value),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assign_ids(&mut out);
    Ok(out)
}

fn finish_entry(
    en: Entry,
    account: &Option<String>,
    acct_ccy: &Option<String>,
) -> Result<Option<BankLine>> {
    if matches!(en.status.as_deref(), Some("PDNG" | "INFO")) {
        return Ok(None);
    }
    let ref_id = en
        .svcr_ref
        .clone()
        .or(en.ntry_ref.clone())
        .unwrap_or_default();
    let bad_entry = |r: &str| CoreError::InvalidRecord {
        object: "bank_line".into(),
        external_id: format!("camt.053 entry {ref_id}"),
        reason: r.to_string(),
    };
    let amount = en.amount.ok_or_else(|| bad_entry("no amount"))?;
    let credit = en.credit.ok_or_else(|| bad_entry("no CdtDbtInd"))?;
    let ccy = en
        .currency
        .or(acct_ccy.clone())
        .ok_or_else(|| bad_entry("no currency"))?;
    let currency = Currency::parse(&ccy)?;
    let date_s = en
        .booked
        .or(en.value)
        .ok_or_else(|| bad_entry("no booking date"))?;
    let date = NaiveDate::parse_from_str(date_s.get(..10).unwrap_or(&date_s), "%Y-%m-%d")
        .map_err(|e| bad_entry(&format!("date {date_s:?}: {e}")))?;
    let mut desc: Vec<String> = en.addtl;
    desc.extend(en.ustrd);
    desc.dedup();
    let reference = en.svcr_ref.or(en.ntry_ref).or(en.e2e).or(en.creditor_ref);
    let description = if desc.is_empty() {
        None
    } else {
        Some(desc.join(" "))
    };
    Ok(Some(line(
        account.clone(),
        date,
        if credit { amount } else { -amount },
        currency,
        description,
        reference,
    )))
}
