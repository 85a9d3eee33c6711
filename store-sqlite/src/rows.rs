//! Records written as rows: the JSON and the extracted columns of several
//! records bound to one (multi-row) upsert statement.

use rusqlite::Statement;
use tieout_core::{Entity, EntityKind};

use crate::codec;
use crate::columns::{TimeColumn, columns_of, value};
use crate::error::SqliteError;

/// Reused buffers for writing rows: the records' JSON, back to back, and
/// where each record's text ends; the same for their time columns' text.
#[derive(Default)]
pub(crate) struct RowBuffer {
    json: Vec<u8>,
    ends: Vec<usize>,
    times: String,
    /// Where each record's time column texts lie in `times`, record by
    /// record in [`TimeColumn::ALL`] order; `None` for SQL NULL.
    spans: Vec<Option<(usize, usize)>>,
}

impl RowBuffer {
    /// Runs `stmt` (an upsert of `kind` for exactly `records.len()` rows)
    /// with every record's id, extracted columns and JSON.
    pub(crate) fn write(
        &mut self,
        stmt: &mut Statement<'_>,
        kind: EntityKind,
        records: &[Entity],
    ) -> Result<(), SqliteError> {
        self.json.clear();
        self.ends.clear();
        for e in records {
            codec::encode_into(e, &mut self.json)?;
            self.ends.push(self.json.len());
        }
        let text = std::str::from_utf8(&self.json)
            .map_err(|e| SqliteError::Invalid(format!("record JSON is not UTF-8: {e}")))?;
        let cols = columns_of(kind);
        self.times.clear();
        self.spans.clear();
        for e in records {
            for c in TimeColumn::ALL {
                let start = self.times.len();
                let has = c.push_key_of(e, &mut self.times);
                self.spans.push(has.then_some((start, self.times.len())));
            }
        }
        let times = &self.times;
        let width = cols.len() + TimeColumn::ALL.len() + 2;
        let mut params: Vec<Option<&str>> = Vec::with_capacity(records.len() * width);
        let mut start = 0;
        for (n, (e, &end)) in records.iter().zip(&self.ends).enumerate() {
            params.push(Some(e.id()));
            params.extend(cols.iter().map(|&c| value(e, c)));
            let at = n * TimeColumn::ALL.len();
            params.extend(
                self.spans[at..at + TimeColumn::ALL.len()]
                    .iter()
                    .map(|span| span.and_then(|(a, b)| times.get(a..b))),
            );
            // Each record's JSON ends with an ASCII `}`: a character boundary.
            // The `data` column takes NULL (schema v3); never write one.
            let data = text.get(start..end).filter(|d| !d.is_empty());
            params.push(Some(data.ok_or_else(|| {
                SqliteError::Invalid(format!("{} {} has no JSON", kind.as_str(), e.id()))
            })?));
            start = end;
        }
        stmt.execute(rusqlite::params_from_iter(params))?;
        Ok(())
    }
}
