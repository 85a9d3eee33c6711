//! Deferred revenue, case by case: a year recognised month by month, the
//! rounding remainder in the last slice, a void mid-period and credit notes
//! taking what is still deferred. (The generated cases are the proptest in
//! `ledger_deferral.rs`.)

#[path = "support/ledger_book.rs"]
mod ledger_book;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use ledger_book::{entry_on, line_credit_note, on_account as total, service_invoice};
use rust_decimal::{Decimal, RoundingStrategy};
use tieout_core::Currency;
use tieout_core::ledger::deferral::schedule;
use tieout_core::ledger::{
    Journal, JournalEntry, Layers, LedgerInput, LedgerMapping, journal_entries_as_of,
};
use tieout_core::model::{CreditNote, Invoice, InvoiceStatus};

const DEFERRED: &str = "Liabilities:DeferredRevenue";

fn d(s: &str) -> Decimal {
    s.parse().expect("a decimal")
}

fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a date")
}

fn t(y: i32, m: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, 0, 0, 0).unwrap()
}

fn mapping() -> LedgerMapping {
    LedgerMapping {
        deferred_revenue: Some(DEFERRED.into()),
        ..LedgerMapping::default()
    }
}

/// The tax on `amount`: 10%.
fn tax_on(amount: Decimal) -> Decimal {
    (amount / Decimal::TEN).round_dp(2)
}

/// An issued USD invoice `in_1` with one line `il_in_1` of `amount` (and
/// 10% tax) over the service period `[start, end)`.
fn invoice(
    amount: &str,
    issued: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Invoice {
    let amount = d(amount);
    let tax = tax_on(amount);
    let mut inv = service_invoice("in_1", amount, Currency::USD, issued, start, end);
    inv.tax = tax;
    inv.total = amount + tax;
    inv.amount_due = inv.total;
    inv.amount_remaining = inv.total;
    inv.lines[0].tax = tax;
    inv
}

/// A credit note `cn_in_1` on `in_1`'s line for `amount` (and its 10% tax)
/// on `day`.
fn credit_note(inv: &Invoice, amount: &str, day: DateTime<Utc>) -> CreditNote {
    let amount = d(amount);
    let mut cn = line_credit_note(inv, amount + tax_on(amount), day);
    cn.lines[0].amount = amount;
    cn
}

fn journal(
    inv: &Invoice,
    cns: &[CreditNote],
    m: &LedgerMapping,
    as_of: Option<NaiveDate>,
) -> Journal {
    let invoices = [inv.clone()];
    let input = LedgerInput {
        invoices: &invoices,
        credit_notes: cns,
        ..LedgerInput::default()
    };
    journal_entries_as_of(&input, m, Layers::default(), as_of).expect("entries")
}

fn recognitions(j: &Journal) -> Vec<&JournalEntry> {
    j.entries
        .iter()
        .filter(|e| e.category == "recognized")
        .collect()
}

#[test]
fn a_twelve_month_annual_line_is_deferred_then_recognised_month_by_month() {
    let inv = invoice("1200.00", t(2026, 1, 1), t(2026, 1, 1), t(2027, 1, 1));
    let m = mapping();
    let all = journal(&inv, &[], &m, None);
    for e in &all.entries {
        e.check().expect("balances");
    }
    let issued = all
        .entries
        .iter()
        .find(|e| e.id == "inv:in_1:issued")
        .unwrap();
    assert!(
        issued
            .postings
            .iter()
            .any(|p| p.account == DEFERRED && p.amount == d("-1200.00"))
    );
    assert!(issued.postings.iter().all(|p| p.account != m.revenue));
    let rec = recognitions(&all);
    assert_eq!(rec.len(), 12);
    // Prorated by days (365 in 2026), rounded toward zero; the last slice
    // holds the remainder and the slices sum to the line.
    let mut sum = Decimal::ZERO;
    for (i, e) in rec.iter().enumerate() {
        let month = i as u32 + 1;
        let last = if month == 12 {
            ymd(2026, 12, 31)
        } else {
            ymd(2026, month + 1, 1).pred_opt().unwrap()
        };
        assert_eq!(e.date, last, "{}", e.id);
        assert_eq!(e.id, format!("inv:in_1:recognized:il_in_1:2026-{month:02}"));
        let moved = e
            .postings
            .iter()
            .find(|p| p.account == DEFERRED)
            .unwrap()
            .amount;
        let days = Decimal::from(last.day());
        let exact = d("1200.00") * days / Decimal::from(365);
        if month < 12 {
            assert_eq!(
                moved,
                exact.round_dp_with_strategy(2, RoundingStrategy::ToZero)
            );
        }
        assert!(
            e.postings
                .iter()
                .any(|p| p.account == m.revenue && p.amount == -moved)
        );
        sum += moved;
    }
    assert_eq!(sum, d("1200.00"));
    assert_eq!(total(&all, DEFERRED), Decimal::ZERO);
    assert_eq!(total(&all, &m.revenue), d("-1200.00"));
    // As of mid-June: January to May only, the rest still deferred.
    let june = journal(&inv, &[], &m, Some(ymd(2026, 6, 15)));
    assert_eq!(recognitions(&june).len(), 5);
    let recognised: Decimal = rec[..5].iter().map(|e| e.postings[0].amount).sum();
    assert_eq!(total(&june, DEFERRED), recognised - d("1200.00"));
    // The same ids and amounts every time.
    assert_eq!(journal(&inv, &[], &m, None), all);
    // Without the account: revenue at issue, no recognition entries.
    let plain = journal(&inv, &[], &LedgerMapping::default(), None);
    assert!(recognitions(&plain).is_empty());
    assert_eq!(total(&plain, &m.revenue), d("-1200.00"));
}

#[test]
fn an_odd_amount_over_unequal_months_puts_the_remainder_in_the_last_slice() {
    // 17 days of January, 28 of February, 14 of March: 59 days.
    let inv = invoice("100.01", t(2026, 1, 15), t(2026, 1, 15), t(2026, 3, 15));
    let s = schedule(&inv, &[], &mapping());
    assert_eq!(s.len(), 1);
    let slices = &s[0].slices;
    let days: Vec<i64> = slices.iter().map(|s| s.days).collect();
    assert_eq!(days, [17, 28, 14]);
    let amounts: Vec<Decimal> = slices.iter().map(|s| s.amount).collect();
    // 100.01 * 17 / 59 = 28.8164..., * 28 / 59 = 47.4623...; the last takes
    // 100.01 - 28.81 - 47.46 = 23.74 (exactly 23.7311...: the remainder).
    assert_eq!(amounts, [d("28.81"), d("47.46"), d("23.74")]);
    assert_eq!(amounts.iter().sum::<Decimal>(), d("100.01"));
    let months: Vec<&str> = slices.iter().map(|s| s.month.as_str()).collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(slices[2].date, ymd(2026, 3, 14));
    let j = journal(&inv, &[], &mapping(), None);
    let last = recognitions(&j).pop().unwrap();
    assert!(
        last.postings[0]
            .memo
            .as_deref()
            .unwrap()
            .contains("remainder")
    );
    // A line that ends on its issue day is revenue at issue.
    let past = invoice("50.00", t(2026, 2, 1), t(2026, 1, 1), t(2026, 2, 1));
    assert!(schedule(&past, &[], &mapping()).is_empty());
}

#[test]
fn a_void_mid_period_keeps_what_was_recognised_and_reverses_what_is_still_deferred() {
    let mut inv = invoice("1200.00", t(2026, 1, 1), t(2026, 1, 1), t(2027, 1, 1));
    inv.status = InvoiceStatus::Void;
    inv.source.updated_at = Some(t(2026, 4, 10));
    let m = mapping();
    let j = journal(&inv, &[], &m, None);
    for e in &j.entries {
        e.check().expect("balances");
    }
    // January to March were recognised before the void; nothing after it.
    let rec = recognitions(&j);
    assert_eq!(rec.len(), 3);
    let recognised: Decimal = rec.iter().map(|e| e.postings[0].amount).sum();
    let void = j.entries.iter().find(|e| e.id == "inv:in_1:void").unwrap();
    assert_eq!(void.date, ymd(2026, 4, 10));
    let on = |acct: &str| entry_on(void, acct);
    assert_eq!(on(DEFERRED), d("1200.00") - recognised);
    assert_eq!(on(&m.revenue), recognised);
    assert_eq!(on(&m.accounts_receivable), d("-1320.00"));
    // Everything nets out: nothing deferred, no revenue, nothing owed.
    for acct in [DEFERRED, m.revenue.as_str(), m.accounts_receivable.as_str()] {
        assert_eq!(total(&j, acct), Decimal::ZERO, "{acct}");
    }
    // As of before the void, the slices up to then (no more).
    let feb = journal(&inv, &[], &m, Some(ymd(2026, 2, 28)));
    assert_eq!(recognitions(&feb).len(), 2);
}

#[test]
fn a_credit_note_takes_what_is_still_deferred_not_what_was_recognised() {
    let inv = invoice("1200.00", t(2026, 1, 1), t(2026, 1, 1), t(2027, 1, 1));
    let m = mapping();
    // On July 1 half the year is recognised (595.07); crediting 700.00 takes
    // the 604.93 still deferred and 95.07 out of revenue.
    let cn = credit_note(&inv, "700.00", t(2026, 7, 1));
    let j = journal(&inv, std::slice::from_ref(&cn), &m, None);
    for e in &j.entries {
        e.check().expect("balances");
    }
    let rec = recognitions(&j);
    let before: Decimal = rec
        .iter()
        .filter(|e| e.date < ymd(2026, 7, 1))
        .map(|e| e.postings[0].amount)
        .sum();
    let plain = journal(&inv, &[], &m, Some(ymd(2026, 6, 30)));
    assert_eq!(
        before,
        -total(&plain, &m.revenue),
        "slices before it unchanged"
    );
    let still = d("1200.00") - before;
    let cne = j.entries.iter().find(|e| e.id == "cn:cn_in_1").unwrap();
    let on = |acct: &str| entry_on(cne, acct);
    assert_eq!(on(DEFERRED), still);
    assert_eq!(on(&m.revenue), d("700.00") - still);
    assert_eq!(on(&m.tax_payable), d("70.00"));
    // Nothing left to recognise after it; deferred revenue nets to zero and
    // revenue to the line less the credit.
    assert!(rec.iter().all(|e| e.date < ymd(2026, 7, 1)));
    assert_eq!(total(&j, DEFERRED), Decimal::ZERO);
    assert_eq!(total(&j, &m.revenue), d("-500.00"));
    // A smaller credit: all from deferred, the rest of the year prorated again.
    let small = credit_note(&inv, "300.00", t(2026, 7, 1));
    let j = journal(&inv, std::slice::from_ref(&small), &m, None);
    let cne = j.entries.iter().find(|e| e.id == "cn:cn_in_1").unwrap();
    assert!(
        cne.postings
            .iter()
            .any(|p| p.account == DEFERRED && p.amount == d("300.00"))
    );
    assert!(cne.postings.iter().all(|p| p.account != m.revenue));
    let after: Decimal = recognitions(&j)
        .iter()
        .filter(|e| e.date >= ymd(2026, 7, 1))
        .map(|e| e.postings[0].amount)
        .sum();
    assert_eq!(after, still - d("300.00"));
    assert_eq!(total(&j, DEFERRED), Decimal::ZERO);
    assert_eq!(total(&j, &m.revenue), d("-900.00"));
}
