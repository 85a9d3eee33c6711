//! The keys of Stripe JSON that mapping reads: what a parse for mapping keeps.
//!
//! [`KEPT`] lists every key an accessor of this module (and the file reader,
//! the event reader and the balance report) reads, at any depth: the parse
//! for mapping ([`super::lean_value`]) keeps a key of any object when it is
//! listed, and skips its value without building it otherwise. [`WHOLE`] are
//! the free-form maps a mapper copies or walks entirely (`metadata`,
//! `status_transitions`): under them every key is kept.
//!
//! The list must not drift from what the mappers read: a test scans the
//! mappers' sources for every identifier-like string literal and fails when
//! one is missing here. So the list also holds a few literals that are
//! values, not keys (`draft`, `succeeded`, ...): keeping a key no mapper reads
//! costs a little time, missing one would lose data.

/// Keys kept at any depth (sorted; see the module docs).
#[rustfmt::skip]
pub(crate) const KEPT: &[&str] = &[
    "account", "acct_files", "active", "address", "amount", "amount_captured", "amount_decimal",
    "amount_due", "amount_paid", "amount_received", "amount_refunded", "amount_remaining",
    "amount_requested", "amount_total", "api_version", "archived", "arrival_date", "automatic",
    "available", "available_on", "balance", "balance_transaction", "balance_transactions",
    "business_name", "cancel_at_period_end", "canceled", "canceled_at", "captured", "charge",
    "city", "client_reference_id", "country", "created", "credit_amount", "credit_note",
    "currency", "current_period_end", "current_period_start", "custom_line_item", "customer",
    "customer_balance_transaction", "customer_details", "customer_email", "customer_name",
    "customers", "data", "deleted", "description", "discount", "discounts", "dispute", "disputes",
    "draft", "due_date", "effective_at", "element", "email", "end", "ended_at", "error", "event",
    "exchange_rate", "failed", "fee", "fee_details", "file", "files", "finalized_at", "has_more",
    "hosted_invoice_url", "id", "individual_name", "interval", "interval_count", "invoice",
    "invoice_item_details", "invoice_line_item", "invoice_payment", "invoices", "is_default",
    "item", "items", "json", "jsonl", "latest_charge", "line", "line1", "line2", "line_item",
    "lines", "list", "livemode", "memo", "message", "method", "missing", "name", "net",
    "nickname", "null", "number", "object", "open", "out_of_band_amount", "paid", "paid_at",
    "parent", "payment", "payment_intent", "payment_method", "payment_method_details",
    "payment_status", "payments", "payout", "payouts", "pending", "period", "phone", "plan",
    "plans", "po_", "post_payment", "post_payment_amount", "postal_code", "pre_payment",
    "pre_payment_amount", "pre_payment_credit_notes_amount", "previous_attributes", "price",
    "price_details", "prices", "pricing", "processing", "product", "products", "proration",
    "quantity", "quantity_decimal", "reason", "recurring", "refund", "refund_amount", "refunds",
    "reporting_category", "requires_action", "requires_capture", "requires_confirmation",
    "requires_payment_method", "retrieved_at", "search_result", "source", "start", "start_date",
    "state", "statement_descriptor", "status", "stripe", "subscription", "subscription_details",
    "subscription_item", "subscription_item_details", "subscriptions", "subtotal",
    "subtotal_excluding_tax", "succeeded", "tax", "tax_amounts", "taxes", "total",
    "total_discount_amounts", "total_excluding_tax", "total_tax_amounts", "total_taxes",
    "trial_end", "type", "uncollectible", "unit_amount", "unit_amount_decimal", "unknown", "url",
    "value", "void", "voided_at",
];

/// Keys whose value is kept whole, every key under it included.
pub(crate) const WHOLE: &[&str] = &["metadata", "status_transitions"];

/// What a parse for mapping does with a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyUse {
    /// Kept; its value is filtered the same way.
    Kept,
    /// Kept with everything under it.
    Whole,
    /// Not read by any mapper: its value is skipped.
    Dropped,
}

/// Slots of the lookup table (a power of two, well above the keys' count).
const SLOTS: usize = 1024;

/// An open-addressing table over [`KEPT`] and [`WHOLE`]: slot -> position + 1.
struct Table {
    slots: [u16; SLOTS],
    keys: Vec<(&'static str, KeyUse)>,
}

fn slot_of(k: &str) -> usize {
    // The top bits of the accessors' key hash: constant time, once per key parsed.
    (super::access::key_mix(k) >> (64 - SLOTS.trailing_zeros())) as usize
}

fn table() -> &'static Table {
    static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table {
            slots: [0; SLOTS],
            keys: Vec::with_capacity(KEPT.len() + WHOLE.len()),
        };
        let all = KEPT
            .iter()
            .map(|k| (*k, KeyUse::Kept))
            .chain(WHOLE.iter().map(|k| (*k, KeyUse::Whole)));
        for (k, u) in all {
            let mut s = slot_of(k);
            while t.slots[s] != 0 {
                s = (s + 1) & (SLOTS - 1);
            }
            t.keys.push((k, u));
            // Fewer than SLOTS keys, so the position fits.
            t.slots[s] = u16::try_from(t.keys.len()).unwrap_or(u16::MAX);
        }
        t
    })
}

/// What a parse for mapping does with `key`.
#[inline]
pub(crate) fn key_use(key: &str) -> KeyUse {
    let t = table();
    let mut s = slot_of(key);
    loop {
        let e = t.slots[s];
        if e == 0 {
            return KeyUse::Dropped;
        }
        let (k, u) = t.keys[usize::from(e) - 1];
        if k == key {
            return u;
        }
        s = (s + 1) & (SLOTS - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sources whose key literals must be kept: every mapper (this file
    /// aside), and the readers that look into the values the file reader parses.
    fn sources() -> Vec<(String, String)> {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(format!("{src}/map"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .filter(|p| !p.ends_with("kept_keys.rs"))
            .collect();
        for f in ["events.rs", "balance_report.rs", "files/mod.rs"] {
            paths.push(format!("{src}/{f}").into());
        }
        paths.sort();
        paths
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (p.display().to_string(), text)
            })
            .collect()
    }

    /// The string literals of Rust source outside comments and outside its
    /// `#[cfg(test)]` module (test data is not read by the mapper).
    fn literals(source: &str) -> Vec<String> {
        let code = source.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        let b = code.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'\'' => {
                    // A char literal ('x', '\n', '"') or a lifetime ('a).
                    if b.get(i + 1) == Some(&b'\\') {
                        i += 2;
                        while i < b.len() && b[i] != b'\'' {
                            i += 1;
                        }
                    } else if b.get(i + 2) == Some(&b'\'') {
                        i += 2;
                    }
                    i += 1;
                }
                b'"' => {
                    let start = i + 1;
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    out.push(code[start..i.min(b.len())].to_string());
                    i += 1;
                }
                _ => i += 1,
            }
        }
        out
    }

    /// Literals shaped like a Stripe key (snake case) that `key_use` drops.
    fn missing(sources: &[(String, String)]) -> Vec<String> {
        let mut out = Vec::new();
        for (path, text) in sources {
            for lit in literals(text) {
                let keyish = lit.starts_with(|c: char| c.is_ascii_lowercase())
                    && lit
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
                if keyish && key_use(&lit) == KeyUse::Dropped {
                    out.push(format!("{lit:?} (in {path})"));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_key_literal_of_the_mappers_is_kept() {
        let sources = sources();
        assert!(sources.len() > 15, "the mappers' sources were found");
        let missing = missing(&sources);
        assert!(
            missing.is_empty(),
            "string literals of the mappers missing from KEPT (add them): {missing:#?}"
        );
    }

    #[test]
    fn the_scan_sees_keys_and_reports_one_no_list_holds() {
        let sources = sources();
        let all: Vec<String> = sources.iter().flat_map(|(_, t)| literals(t)).collect();
        for k in [
            "amount_paid",
            "lines",
            "has_more",
            "metadata",
            "unit_amount_decimal",
        ] {
            assert!(all.iter().any(|l| l == k), "{k} found by the scan");
        }
        // Comments, char literals and test modules are not code.
        let text = "let a = '\"'; // \"in_comment\"\nlet b = o.str(\"not_a_listed_key\");\n\
                    #[cfg(test)]\nmod tests { \"test_only_key\" }";
        assert_eq!(literals(text), ["not_a_listed_key"]);
        let found = missing(&[("x.rs".into(), text.into())]);
        assert_eq!(found, ["\"not_a_listed_key\" (in x.rs)"]);
    }

    #[test]
    fn lookups_follow_the_lists() {
        let mut sorted = KEPT.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, KEPT, "KEPT is sorted, without duplicates");
        for k in KEPT {
            assert_eq!(key_use(k), KeyUse::Kept, "{k}");
            assert!(!WHOLE.contains(k));
        }
        for k in WHOLE {
            assert_eq!(key_use(k), KeyUse::Whole, "{k}");
        }
        for k in [
            "",
            "account_country",
            "amount_paidx",
            "invoice_pdf",
            "Amount_paid",
        ] {
            assert_eq!(key_use(k), KeyUse::Dropped, "{k}");
        }
    }
}
