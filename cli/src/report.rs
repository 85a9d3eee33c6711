//! `report` and `reconcile`: the tie-out report per currency.

use tieout::{Books, ReconcilePolicy, ReconcileReport};

use crate::args::ReportArgs;
use crate::fail::Failure;

/// `tieout reconcile` (matches, then reports) and `tieout report` (reports only).
pub fn run(books: &Books, a: &ReportArgs, reconcile: bool) -> Result<(), Failure> {
    let policy = ReconcilePolicy::default();
    let report = if reconcile {
        books.reconcile(&policy)?
    } else {
        books.report(&policy)?
    };
    if let Some(path) = &a.html {
        let as_of = a.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
        let page = books.report_html(&policy, as_of)?;
        std::fs::write(path, page)
            .map_err(|e| Failure::io(&format!("writing {}", path.display()), e))?;
        eprintln!("wrote {}", path.display());
    }
    if a.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::io("encoding JSON", e.into()))?;
        println!("{text}");
    } else {
        print!("{}", text(&report));
    }
    Ok(())
}

/// The report as text: per currency, payments and invoices, each side's balance.
pub fn text(r: &ReconcileReport) -> String {
    let mut out = String::new();
    if r.totals.is_empty() {
        out.push_str("No payments or invoices in the books yet.\n");
    }
    for (cur, t) in &r.totals {
        let code = cur.code();
        out.push_str(&format!(
            "{code}\n  payments received {}: allocated {}, unapplied {}, refunded {}, disputed {} (balance {})\n  invoiced {}: paid {}, written off {}, open {} (balance {})\n  {}\n",
            t.payments_received,
            t.allocated,
            t.unapplied,
            t.refunded,
            t.disputed,
            t.payments_balance,
            t.invoiced,
            t.paid,
            t.written_off,
            t.open,
            t.invoices_balance,
            if t.adds_up { "ties out" } else { "DOES NOT tie out" }
        ));
    }
    out.push_str(&format!(
        "{} allocations, {} write-offs, {} open invoices, {} payments with unapplied money\n",
        r.allocations.len(),
        r.write_offs.len(),
        r.open_invoices.len(),
        r.unapplied.len()
    ));
    out.push_str(&format!(
        "payouts: {} matched to deposits, {} unmatched payouts, {} unmatched deposits\n",
        r.payouts.pairs.len(),
        r.payouts.unmatched_payouts.len(),
        r.payouts.unmatched_deposits.len()
    ));
    out
}
