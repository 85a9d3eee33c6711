//! The checkpoint of `StripeFiles`: a position in its files, which it
//! pages in import order ([`tieout_core::ObjectScope::ALL`]: customers, products and
//! subscriptions, then payments and invoices interleaved by time, then the
//! rest), then path order.
//!
//! A checkpoint is `3:<file>:<item>`: the position of the next item. One
//! written in an earlier order restarts its run from the first file:
//! re-reading what was imported changes nothing, where following the old
//! position in the new order could skip files. Those are `2:<file>:<item>`
//! (payments, then invoices, each kind whole) and `<file>:<item>` (before
//! payments came before invoices).

use tieout_core::CoreError;

/// The checkpoint of the item at `item` of file `file`.
pub(super) fn at(file: usize, item: usize) -> String {
    format!("3:{file}:{item}")
}

/// The position a checkpoint names: (file, item). A checkpoint of an old
/// order gives the first file.
pub(super) fn parse(c: &str) -> tieout_core::Result<(usize, usize)> {
    let bad = || CoreError::Invalid(format!("invalid files checkpoint {c:?}"));
    let number = |s: &str| s.parse::<usize>().map_err(|_| bad());
    let parts: Vec<&str> = c.split(':').collect();
    match parts.as_slice() {
        ["3", f, i] => Ok((number(f)?, number(i)?)),
        ["2", f, i] | [f, i] => {
            // Checked, so a broken checkpoint is an error, not a restart.
            number(f)?;
            number(i)?;
            Ok((0, 0))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_round_trip_and_old_ones_restart() {
        assert_eq!(parse(&at(3, 17)).unwrap(), (3, 17));
        assert_eq!(parse("3:0:0").unwrap(), (0, 0));
        // The old orders' positions: from the first file again.
        assert_eq!(parse("2:3:17").unwrap(), (0, 0));
        assert_eq!(parse("3:17").unwrap(), (0, 0));
        for broken in ["x", "1:", ":1", "3:1:x", "2:1:x", "4:1:2", "1:2:3:4", ""] {
            assert!(parse(broken).is_err(), "{broken:?}");
        }
    }
}
