//! Collection cases as CSV and JSON, for handing to an agency.

use chrono::{DateTime, Utc};

use super::CollectionCase;
use crate::money::at_scale;

/// Cases as CSV: one line per case with the invoice, debtor, amounts, age and
/// status (`now` fixes the age).
pub fn cases_csv(cases: &[CollectionCase], now: DateTime<Utc>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "case_id",
        "invoice_id",
        "invoice_external_id",
        "invoice_number",
        "invoice_url",
        "debtor_name",
        "debtor_email",
        "address_line1",
        "address_line2",
        "postal_code",
        "city",
        "state",
        "country",
        "currency",
        "original_amount",
        "open_amount",
        "age_from",
        "age_basis",
        "debt_age_days",
        "status",
        "close_reason",
    ]);
    for c in cases {
        let a = &c.debtor.address;
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let _ = w.write_record([
            c.id.clone(),
            c.invoice_id.clone(),
            c.invoice_external_id.clone(),
            s(&c.invoice_number),
            s(&c.invoice_url),
            c.debtor.name.clone(),
            c.debtor.email.clone(),
            s(&a.line1),
            s(&a.line2),
            s(&a.postal_code),
            s(&a.city),
            s(&a.state),
            s(&a.country),
            c.currency.code().to_string(),
            at_scale(c.original_amount, c.currency).to_string(),
            at_scale(c.open_amount, c.currency).to_string(),
            c.age_from.to_rfc3339(),
            match c.age_basis {
                super::AgeBasis::DueDate => "due_date".to_string(),
                super::AgeBasis::Finalized => "finalized".to_string(),
            },
            c.debt_age_days(now).to_string(),
            c.status.as_str().to_string(),
            s(&c.close_reason),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Cases as a JSON array (amounts as decimal strings), each with its
/// `debt_age_days` at `now`.
pub fn cases_json(cases: &[CollectionCase], now: DateTime<Utc>) -> serde_json::Value {
    serde_json::Value::Array(
        cases
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(c).unwrap_or(serde_json::Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("debt_age_days".into(), c.debt_age_days(now).into());
                }
                v
            })
            .collect(),
    )
}
