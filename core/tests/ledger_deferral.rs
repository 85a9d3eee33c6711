//! Deferred revenue over generated lines: the slices always sum to the line,
//! every entry balances, what is recognised to date never exceeds the line,
//! and deferred revenue nets to zero once the schedule has run (whether the
//! invoice is voided or credited on the way).

#[path = "support/ledger_book.rs"]
mod ledger_book;

use chrono::Duration;
use ledger_book::{at, line_credit_note, on_account as on, service_invoice};
use proptest::prelude::*;
use rust_decimal::Decimal;
use tieout_core::ledger::{Layers, LedgerInput, LedgerMapping, deferral, journal_entries_as_of};
use tieout_core::model::InvoiceStatus;
use tieout_core::{Currency, Money};

const DEFERRED: &str = "Liabilities:DeferredRevenue";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn slices_sum_to_the_line_entries_balance_and_recognition_never_exceeds_it(
        minor in prop_oneof![-50_000i64..-1, 1i64..100_000_000],
        cur in prop::sample::select(vec![Currency::USD, Currency::JPY, Currency::KWD]),
        start in -60i64..400,
        len in 1i64..800,
        issue in 0i64..300,
        as_of in -10i64..1500,
        void in prop::option::of(0i64..900),
        credit in prop::option::of((0i64..900, 1i64..120)),
    ) {
        let amount = Money::from_minor(minor, cur).amount;
        let mut inv = service_invoice(
            "in_p", amount, cur, at(issue), at(start), at(start) + Duration::days(len),
        );
        if let Some(v) = void {
            inv.status = InvoiceStatus::Void;
            inv.source.updated_at = Some(at(v));
        }
        // A credit note of some percent of the line (never on a void invoice).
        let cns: Vec<_> = credit
            .filter(|_| void.is_none())
            .map(|(day, pct)| {
                let a = Money::from_minor(minor.abs() * pct.min(100) / 100, cur).amount;
                line_credit_note(&inv, a.max(Money::from_minor(1, cur).amount), at(day))
            })
            .into_iter()
            .collect();
        let m = LedgerMapping { deferred_revenue: Some(DEFERRED.into()), ..LedgerMapping::default() };
        let refs: Vec<_> = cns.iter().collect();
        let schedules = deferral::schedule(&inv, &refs, &m);
        let issued = at(issue).date_naive();
        let deferred = deferral::service_days(&inv.lines[0], issued).is_some();
        prop_assert_eq!(schedules.len(), usize::from(deferred));
        for s in &schedules {
            let slices: Decimal = s.slices.iter().map(|x| x.amount).sum();
            let taken: Decimal = s.credited.iter().map(|c| c.2).sum();
            if void.is_none() {
                // The slices and what credit notes took sum to the line exactly.
                prop_assert_eq!(slices + taken, s.amount);
            }
            for x in &s.slices {
                prop_assert!(x.amount.is_zero() || x.amount.is_sign_negative() == s.amount.is_sign_negative());
                prop_assert!(x.date >= issued);
                prop_assert_eq!(Money::new(x.amount, cur).to_minor().is_ok(), true);
            }
        }
        let invoices = [inv.clone()];
        let input = LedgerInput { invoices: &invoices, credit_notes: &cns, ..LedgerInput::default() };
        let day = at(as_of).date_naive();
        let j = journal_entries_as_of(&input, &m, Layers::default(), Some(day)).expect("entries");
        for e in &j.entries {
            prop_assert!(e.check().is_ok(), "{:?}", e);
            if e.category == "recognized" {
                prop_assert!(e.date <= day, "future revenue: {:?}", e);
            }
        }
        // Recognised to date never exceeds the line (nor changes its sign).
        let recognised: Decimal = j.entries.iter()
            .filter(|e| e.category == "recognized")
            .flat_map(|e| &e.postings)
            .filter(|p| p.account == DEFERRED)
            .map(|p| p.amount)
            .sum();
        prop_assert!(recognised.abs() <= amount.abs());
        prop_assert!(recognised.is_zero() || recognised.is_sign_negative() == amount.is_sign_negative());
        // Once the whole schedule has run, nothing stays deferred.
        let all = journal_entries_as_of(&input, &m, Layers::default(), None).expect("entries");
        prop_assert_eq!(on(&all, DEFERRED), Decimal::ZERO);
        // Same records, same entries.
        prop_assert_eq!(journal_entries_as_of(&input, &m, Layers::default(), None).expect("entries"), all);
    }
}
