//! Where each file of a directory goes in the import order.
//!
//! Files go by kind, in [`ObjectScope::ALL`]'s order (customers, products
//! and subscriptions first, then payments before invoices, then the rest),
//! and in path order within a kind; but the files of payments and of
//! invoices are interleaved by time, so that a payment and the invoice it
//! pays are planned close together rather than a whole export apart.
//!
//! The books end the same in any order (the import is order independent);
//! what the order changes is the cost. Kind by kind, every payment is
//! planned three times, far apart: by its charge, by its invoice payment,
//! then by its invoice's settling, each after the record went out of the
//! planner's batch and cache, so each reads it back from the store, decodes
//! it and writes it again. Interleaved, the three meet within a few files,
//! mostly in one batch: one read, one write.
//!
//! A file of payments goes at its earliest `created`, a file of invoices at
//! the latest time one of its invoices was created or paid
//! (`status_transitions.paid_at`): every payments file that began before
//! then comes first, and with it, in all but a few cases, the payments of
//! the file's invoices (those paid after the invoice was created, as most
//! are; and an invoice paid weeks later goes with the payments of that
//! time). A paid invoice whose payment still comes later (a payments file
//! beginning between the payment's invoice and the payment) is settled by
//! the payment its status implies, which its real payment replaces when it
//! arrives, as in any other order. Files with no times keep the kind order
//! (payments first, invoices last).

use tieout_core::ObjectScope;

/// When a file's items were created and paid: what places a file of
/// payments or invoices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Times {
    /// The earliest `created` of its items.
    pub first: Option<i64>,
    /// The latest `created` of its items, or `status_transitions.paid_at`
    /// of its invoices.
    pub last: Option<i64>,
}

impl Times {
    /// Adds an item created at `created` and paid at `paid` (Unix seconds;
    /// `None` where unknown).
    pub fn add(&mut self, created: Option<i64>, paid: Option<i64>) {
        if let Some(t) = created {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
        }
        if let Some(t) = created.max(paid) {
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
}

/// A file's place in the import order; files sort by it (a stable sort
/// keeps path order among equal places).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Place {
    /// The kind's rank in [`ObjectScope::ALL`] (invoices take the rank of
    /// payments, which comes just before theirs).
    rank: usize,
    /// Payments and invoices: the time the file goes at (Unix seconds).
    time: i64,
    /// At the same time, payments before invoices.
    invoices: bool,
}

/// The place of a file whose first item is of kind `kind` (`None`: no item
/// of a known kind) and whose items have `times`.
pub(super) fn place(kind: Option<ObjectScope>, times: Times) -> Place {
    let rank = kind.map_or(0, ObjectScope::import_rank);
    match kind {
        Some(ObjectScope::Payments) => Place {
            rank,
            time: times.first.unwrap_or(i64::MIN),
            invoices: false,
        },
        Some(ObjectScope::Invoices) => Place {
            rank: ObjectScope::Payments.import_rank(),
            time: times.last.unwrap_or(i64::MAX),
            invoices: true,
        },
        _ => Place {
            rank,
            time: 0,
            invoices: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Times of items created from `first` to `last`.
    fn span(first: i64, last: i64) -> Times {
        let mut t = Times::default();
        t.add(Some(last), None);
        t.add(Some(first), None);
        t
    }

    #[test]
    fn times_take_the_first_creation_and_the_last_creation_or_payment() {
        let mut t = Times::default();
        t.add(None, None);
        assert_eq!(t, Times::default());
        t.add(Some(50), None);
        t.add(Some(20), Some(40));
        assert_eq!((t.first, t.last), (Some(20), Some(50)));
        t.add(Some(30), Some(90));
        t.add(None, Some(70));
        assert_eq!((t.first, t.last), (Some(20), Some(90)));
        let mut paid_only = Times::default();
        paid_only.add(None, Some(5));
        assert_eq!((paid_only.first, paid_only.last), (None, Some(5)));
    }

    #[test]
    fn an_invoices_file_paid_late_goes_with_the_payments_of_that_time() {
        use ObjectScope::*;
        let mut net_30 = Times::default();
        net_30.add(Some(100), Some(3_000));
        net_30.add(Some(200), None); // still open
        let mut files = [
            ("invoices", place(Some(Invoices), net_30)),
            ("payments then", place(Some(Payments), span(2_900, 3_100))),
            ("payments before", place(Some(Payments), span(150, 2_800))),
        ];
        files.sort_by_key(|(_, p)| *p);
        let order: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
        assert_eq!(order, ["payments before", "payments then", "invoices"]);
    }

    #[test]
    fn invoices_come_right_after_payments_in_the_kind_order() {
        // Invoices share the rank of payments: nothing may sit between.
        assert_eq!(
            ObjectScope::Payments.import_rank() + 1,
            ObjectScope::Invoices.import_rank()
        );
    }

    #[test]
    fn payments_and_invoices_interleave_by_time_and_the_rest_by_kind() {
        use ObjectScope::*;
        let mut files = [
            ("refunds", place(Some(Refunds), span(0, 1))),
            ("invoices 2", place(Some(Invoices), span(200, 300))),
            ("charges 2", place(Some(Payments), span(250, 400))),
            ("invoices 1", place(Some(Invoices), span(100, 200))),
            ("charges 1", place(Some(Payments), span(130, 240))),
            ("invoice payments 1", place(Some(Payments), span(120, 230))),
            ("customers", place(Some(Customers), span(900, 999))),
            ("charges at 300", place(Some(Payments), span(300, 500))),
            (
                "subscriptions",
                place(Some(Subscriptions), Times::default()),
            ),
            ("unknown", place(None, Times::default())),
            ("invoices at 240", place(Some(Invoices), span(240, 240))),
        ];
        files.sort_by_key(|(_, p)| *p);
        let order: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            order,
            [
                // Kinds of the same rank keep their (path) order.
                "customers",
                "unknown",
                "subscriptions",
                // Payments by their first time, invoices by their last.
                "invoice payments 1",
                "charges 1",
                "invoices 1",
                "invoices at 240",
                "charges 2",
                // At the same second, payments first.
                "charges at 300",
                "invoices 2",
                "refunds",
            ]
        );
    }

    #[test]
    fn files_without_times_keep_payments_before_invoices() {
        use ObjectScope::*;
        let timed_invoices = place(Some(Invoices), span(i64::MIN, i64::MIN));
        let untimed_payments = place(Some(Payments), Times::default());
        let untimed_invoices = place(Some(Invoices), Times::default());
        let timed_payments = place(Some(Payments), span(i64::MAX, i64::MAX));
        assert!(untimed_payments < timed_invoices);
        assert!(timed_payments < untimed_invoices);
        assert!(untimed_invoices < place(Some(Refunds), Times::default()));
        assert!(place(Some(Subscriptions), span(5, 5)) < untimed_payments);
    }
}
