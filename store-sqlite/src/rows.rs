//! Records written as rows: the JSON and the extracted columns of several
//! records bound to one (multi-row) upsert statement.

use rusqlite::Statement;
use tieout_core::{Entity, EntityKind};

use crate::codec;
use crate::columns::{TimeColumn, columns_of, value};
use crate::error::SqliteError;

/// Reused buffers for writing rows: the records' JSON, back to back, and
/// where each record's text ends.
#[derive(Default)]
pub(crate) struct RowBuffer {
    json: Vec<u8>,
    ends: Vec<usize>,
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
        let times: Vec<Option<String>> = records
            .iter()
            .flat_map(|e| TimeColumn::ALL.map(|c| c.key_of(e)))
            .collect();
        let width = cols.len() + TimeColumn::ALL.len() + 2;
        let mut params: Vec<Option<&str>> = Vec::with_capacity(records.len() * width);
        let mut start = 0;
        for (n, (e, &end)) in records.iter().zip(&self.ends).enumerate() {
            params.push(Some(e.id()));
            params.extend(cols.iter().map(|&c| value(e, c)));
            let at = n * TimeColumn::ALL.len();
            params.extend(
                times[at..at + TimeColumn::ALL.len()]
                    .iter()
                    .map(|t| t.as_deref()),
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
