//! The Stripe balance statement as a bank-statement CSV and as an ISO 20022
//! camt.053 document (what the bank side of tieout reads), so an accounting
//! system's bank reconciliation can consume the Stripe account like a bank.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::fmt_amount;
use crate::error::{CoreError, Result};
use crate::ledger::StripeBalance;

fn csv_err(e: impl std::fmt::Display) -> CoreError {
    CoreError::Invalid(format!("statement csv: {e}"))
}

/// The statement as CSV: `date, transaction_id, part, category, description,
/// amount, balance, currency`, with opening and closing rows.
pub fn statement_csv(s: &StripeBalance) -> Result<String> {
    let c = s.currency;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "date",
        "transaction_id",
        "part",
        "category",
        "description",
        "amount",
        "balance",
        "currency",
    ])
    .map_err(csv_err)?;
    let opening = fmt_amount(s.opening(), c);
    w.write_record([
        &s.from.date_naive().to_string(),
        "",
        "opening",
        "",
        "opening balance",
        "",
        &opening,
        c.code(),
    ])
    .map_err(csv_err)?;
    for l in &s.lines {
        w.write_record([
            &l.date.date_naive().to_string(),
            l.transaction_id.as_str(),
            &l.part,
            &l.category,
            &l.description,
            &fmt_amount(l.amount, c),
            &fmt_amount(l.balance, c),
            c.code(),
        ])
        .map_err(csv_err)?;
    }
    w.write_record([
        &s.to.date_naive().to_string(),
        "",
        "closing",
        "",
        "closing balance",
        "",
        &fmt_amount(s.closing(), c),
        c.code(),
    ])
    .map_err(csv_err)?;
    String::from_utf8(w.into_inner().map_err(csv_err)?).map_err(csv_err)
}

fn xml(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn balance_xml(out: &mut String, code: &str, amount: Decimal, s: &StripeBalance, date: &str) {
    let c = s.currency;
    let ind = if amount < Decimal::ZERO {
        "DBIT"
    } else {
        "CRDT"
    };
    let _ = writeln!(
        out,
        "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>\
         <Amt Ccy=\"{c}\">{}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>{date}</Dt></Dt></Bal>",
        fmt_amount(amount.abs(), c)
    );
}

/// The statement as a camt.053.001.02 document: account `STRIPE-<CUR>`,
/// opening and closing booked balances, one `Ntry` per line with the Stripe
/// transaction id (and part) as `AcctSvcrRef`.
pub fn statement_camt053(s: &StripeBalance, account: &str) -> String {
    let c = s.currency;
    let from = s.from.date_naive().to_string();
    let to = s.to.date_naive().to_string();
    let mut out = String::with_capacity(512 + s.lines.len() * 400);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt>\n",
    );
    let _ = write!(
        out,
        "<GrpHdr><MsgId>tieout-{c}-{from}-{to}</MsgId><CreDtTm>{}</CreDtTm></GrpHdr>\n\
         <Stmt><Id>stripe-{c}-{from}</Id><CreDtTm>{}</CreDtTm>\n\
         <FrToDt><FrDtTm>{}</FrDtTm><ToDtTm>{}</ToDtTm></FrToDt>\n\
         <Acct><Id><Othr><Id>{}</Id></Othr></Id><Ccy>{c}</Ccy></Acct>\n",
        s.to.to_rfc3339(),
        s.to.to_rfc3339(),
        s.from.to_rfc3339(),
        s.to.to_rfc3339(),
        xml(account)
    );
    balance_xml(&mut out, "OPBD", s.opening(), s, &from);
    balance_xml(&mut out, "CLBD", s.closing(), s, &to);
    for l in &s.lines {
        let ind = if l.amount < Decimal::ZERO {
            "DBIT"
        } else {
            "CRDT"
        };
        let d = l.date.date_naive();
        let val = l.available_on.map_or(d, |a| a.date_naive());
        let _ = writeln!(
            out,
            "<Ntry><NtryRef>{}:{}</NtryRef><Amt Ccy=\"{c}\">{}</Amt><CdtDbtInd>{ind}</CdtDbtInd>\
             <Sts>BOOK</Sts><BookgDt><Dt>{d}</Dt></BookgDt><ValDt><Dt>{val}</Dt></ValDt>\
             <AcctSvcrRef>{}:{}</AcctSvcrRef>\
             <AddtlNtryInf>{} {} {}</AddtlNtryInf></Ntry>",
            xml(&l.transaction_id),
            l.part,
            fmt_amount(l.amount.abs(), c),
            xml(&l.transaction_id),
            l.part,
            xml(&l.category),
            l.part,
            xml(&l.description),
        );
    }
    out.push_str("</Stmt>\n</BkToCstmrStmt>\n</Document>\n");
    out
}
