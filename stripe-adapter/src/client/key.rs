//! API keys as a secret type: classified by prefix, never printed.

use std::fmt;

use crate::error::{Result, StripeError};

/// What a Stripe API key may do, from its prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `sk_test_` / `sk_live_`: full access.
    Secret,
    /// `rk_test_` / `rk_live_`: per-resource permissions.
    Restricted,
}

impl KeyKind {
    /// `"secret"` or `"restricted"` (the `AccountInfo::key_kind` value).
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Restricted => "restricted",
        }
    }
}

/// A Stripe secret or restricted API key.
///
/// `Debug` and `Display` print only the prefix (`sk_live_****`); the key itself
/// is only ever written into the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    secret: String,
    kind: KeyKind,
    livemode: bool,
}

impl ApiKey {
    /// Classifies a key by prefix. Publishable (`pk_`) and unknown keys are
    /// rejected with [`StripeError::InvalidKeyFormat`]; the message never contains the key.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let secret: String = key.into();
        let (kind, livemode) = if secret.starts_with("sk_test_") {
            (KeyKind::Secret, false)
        } else if secret.starts_with("sk_live_") {
            (KeyKind::Secret, true)
        } else if secret.starts_with("rk_test_") {
            (KeyKind::Restricted, false)
        } else if secret.starts_with("rk_live_") {
            (KeyKind::Restricted, true)
        } else if secret.starts_with("pk_") {
            return Err(StripeError::InvalidKeyFormat(
                "a publishable key (pk_) cannot read data; use a secret (sk_) or restricted (rk_) key"
                    .into(),
            ));
        } else if secret.is_empty() {
            return Err(StripeError::InvalidKeyFormat("the API key is empty".into()));
        } else {
            return Err(StripeError::InvalidKeyFormat(
                "unrecognised key prefix; expected sk_test_, sk_live_, rk_test_ or rk_live_".into(),
            ));
        };
        let rest = &secret[8..];
        if rest.is_empty()
            || !rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(StripeError::InvalidKeyFormat(format!(
                "a {}_ key must be followed by letters and digits only",
                &secret[..7]
            )));
        }
        Ok(ApiKey {
            secret,
            kind,
            livemode,
        })
    }

    /// Secret or restricted.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// True for `*_live_` keys.
    pub fn livemode(&self) -> bool {
        self.livemode
    }

    /// `"test"` or `"live"`.
    pub fn mode(&self) -> &'static str {
        if self.livemode { "live" } else { "test" }
    }

    /// The printable form, e.g. `sk_live_****`.
    pub fn masked(&self) -> String {
        format!("{}****", &self.secret[..8])
    }

    /// The key itself, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Replaces every `sk_…`, `rk_…` (and `pk_…`) token in `text` with its masked
/// prefix, e.g. Stripe's 401 message `Invalid API Key provided: sk_test_abc`
/// becomes `… sk_test_****`.
pub fn redact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    let is_tok = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'*' || b == b'-';
    while i + 3 <= bytes.len() {
        let at_boundary = i == 0 || !is_tok(bytes[i - 1]);
        let prefix = &bytes[i..i + 3];
        if at_boundary && (prefix == b"sk_" || prefix == b"rk_" || prefix == b"pk_") {
            let mut end = i + 3;
            while end < bytes.len() && is_tok(bytes[end]) {
                end += 1;
            }
            let token = &text[i..end];
            let keep = ["test_", "live_"]
                .iter()
                .find(|m| token[3..].starts_with(*m))
                .map(|m| 3 + m.len())
                .unwrap_or(3);
            out.push_str(&text[copied..i]);
            out.push_str(&token[..keep]);
            out.push_str("****");
            copied = end;
            i = end;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_and_masks() {
        let k = ApiKey::new("sk_live_abc123").unwrap();
        assert_eq!(k.kind(), KeyKind::Secret);
        assert!(k.livemode());
        assert_eq!(format!("{k:?}"), "ApiKey(sk_live_****)");
        assert_eq!(k.to_string(), "sk_live_****");
        let r = ApiKey::new("rk_test_xyz").unwrap();
        assert_eq!(r.kind(), KeyKind::Restricted);
        assert!(!r.livemode());
        for bad in ["pk_test_abc", "xx_test_abc", "", "sk_test_", "sk_test_a b"] {
            let e = ApiKey::new(bad).unwrap_err();
            assert!(matches!(e, StripeError::InvalidKeyFormat(_)));
            if bad.len() > 8 {
                assert!(!e.to_string().contains(bad));
            }
        }
    }

    #[test]
    fn redacts_tokens() {
        assert_eq!(
            redact("Invalid API Key provided: sk_test_abcDEF123"),
            "Invalid API Key provided: sk_test_****"
        );
        assert_eq!(redact("x rk_live_1 y sk_z"), "x rk_live_**** y sk_****");
        assert_eq!(redact("task_id desk_x"), "task_id desk_x");
        assert_eq!(redact("no key here"), "no key here");
    }
}
