//! Lists as aligned tables, CSV or JSON.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::args::Format;
use crate::fail::Failure;

/// One column: its header and the dotted path of the field in the record's JSON.
pub type Column = (&'static str, &'static str);

fn cell(record: &Value, path: &str) -> String {
    let mut v = record;
    for part in path.split('.') {
        v = match v.get(part) {
            Some(x) => x,
            None => return String::new(),
        };
    }
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes `records` to stdout in `format` (JSON holds every field; table and CSV the columns).
pub fn print<T: Serialize>(
    records: &[T],
    columns: &[Column],
    format: Format,
) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let io = |e: std::io::Error| Failure::io("writing the output", e);
    if format == Format::Json {
        let text = serde_json::to_string_pretty(records)
            .map_err(|e| Failure::io("encoding JSON", e.into()))?;
        return writeln!(out, "{text}").map_err(io);
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let v = serde_json::to_value(r).unwrap_or(Value::Null);
            columns.iter().map(|(_, p)| cell(&v, p)).collect()
        })
        .collect();
    if format == Format::Csv {
        let mut w = csv::Writer::from_writer(out);
        let csv_err = |e: csv::Error| Failure::io("writing CSV", std::io::Error::other(e));
        w.write_record(columns.iter().map(|(h, _)| *h))
            .map_err(csv_err)?;
        for row in &rows {
            w.write_record(row).map_err(csv_err)?;
        }
        return w.flush().map_err(io);
    }
    let mut widths: Vec<usize> = columns.iter().map(|(h, _)| h.len()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(columns.iter().map(|(h, _)| *h).collect())).map_err(io)?;
    for row in &rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect())).map_err(io)?;
    }
    if rows.is_empty() {
        writeln!(out, "(none)").map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_dotted_paths() {
        let v = serde_json::json!({"a": {"b": "x"}, "n": 3, "z": null});
        assert_eq!(cell(&v, "a.b"), "x");
        assert_eq!(cell(&v, "n"), "3");
        assert_eq!(cell(&v, "z"), "");
        assert_eq!(cell(&v, "missing.path"), "");
    }
}
