//! A small JSON writer that keeps amounts exact: numbers are written from
//! their decimal text, never through a float.

use std::fmt::Write;

/// A JSON value built by the renderers.
pub(crate) enum J {
    /// A string.
    S(String),
    /// A number, as exact decimal text.
    N(String),
    /// An object, keys in the order given.
    O(Vec<(&'static str, J)>),
    /// An array.
    A(Vec<J>),
}

impl J {
    /// A string value.
    pub(crate) fn s(v: impl Into<String>) -> J {
        J::S(v.into())
    }

    /// Writes the value, pretty-printed with two-space indents.
    pub(crate) fn write(&self, out: &mut String, indent: usize) {
        let pad = |n: usize| "  ".repeat(n);
        match self {
            J::S(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            J::N(n) => out.push_str(n),
            J::O(kv) => {
                out.push_str("{\n");
                for (i, (k, v)) in kv.iter().enumerate() {
                    let _ = write!(out, "{}\"{k}\": ", pad(indent + 1));
                    v.write(out, indent + 1);
                    out.push_str(if i + 1 < kv.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(indent));
                out.push('}');
            }
            J::A(items) => {
                out.push_str("[\n");
                for (i, v) in items.iter().enumerate() {
                    out.push_str(&pad(indent + 1));
                    v.write(out, indent + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&pad(indent));
                out.push(']');
            }
        }
    }

    /// The value as pretty JSON text.
    pub(crate) fn text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, 0);
        s.push('\n');
        s
    }
}
