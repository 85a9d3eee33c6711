//! Invoice numbers: one gap-free sequence per prefix, kept as a store
//! checkpoint committed together with the invoice it numbers.

use crate::error::{CoreError, Result};

/// The checkpoint stream holding the last number issued under `prefix`.
pub fn number_stream(prefix: &str) -> String {
    format!("books/invoice_number/{prefix}")
}

/// The number text: the prefix and the sequence, at least six digits
/// (`INV-000042`).
pub fn format_number(prefix: &str, seq: u64) -> String {
    format!("{prefix}{seq:06}")
}

/// The sequence after `last` (the stream's checkpoint, `None` before the
/// first), and its number text.
pub fn next_number(prefix: &str, last: Option<&str>) -> Result<(u64, String)> {
    let last: u64 = match last {
        None => 0,
        Some(s) => s.parse().map_err(|_| {
            CoreError::Store(format!(
                "invoice number sequence {prefix:?} holds {s:?}, not a number"
            ))
        })?,
    };
    let seq = last
        .checked_add(1)
        .ok_or_else(|| CoreError::Invalid(format!("invoice number sequence {prefix:?} is full")))?;
    Ok((seq, format_number(prefix, seq)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_checkpoint() {
        assert_eq!(next_number("INV-", None).unwrap(), (1, "INV-000001".into()));
        assert_eq!(
            next_number("INV-", Some("41")).unwrap(),
            (42, "INV-000042".into())
        );
        assert_eq!(
            next_number("A", Some("1234567")).unwrap().1,
            "A1234568".to_string()
        );
        assert!(next_number("INV-", Some("x")).is_err());
        assert_ne!(number_stream("A-"), number_stream("B-"));
    }
}
