//! The conditions that pick a [`RecordQuery`]'s page out of a record table,
//! named by the table's indexed columns: equal status, customer and
//! currency, time ranges, the keys after the cursor; the order and how many
//! rows to read (the page and one more, to know whether another follows).
//!
//! Defined once for both SQL stores, so they answer a query with the same
//! conditions and the same indexes. Each store writes the statement around
//! them and supplies its own placeholders (`?1`, `$1`, ...) for the values.

use crate::store::columns::TimeColumn;
use crate::store::query::{Cursor, RecordQuery, TimeRange, time_key};

/// How a condition compares its columns with its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Equal.
    Equal,
    /// At or after (a range's inclusive start).
    AtLeast,
    /// Before (a range's exclusive end).
    Below,
    /// After (past the cursor's key).
    After,
}

impl Compare {
    /// The comparison operator.
    pub fn operator(self) -> &'static str {
        match self {
            Compare::Equal => "=",
            Compare::AtLeast => ">=",
            Compare::Below => "<",
            Compare::After => ">",
        }
    }
}

/// One condition: the columns (two for a row comparison) compared with as
/// many values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Column names.
    pub columns: Vec<&'static str>,
    /// The comparison.
    pub compare: Compare,
    /// The values, one per column, as text.
    pub values: Vec<String>,
}

impl Condition {
    /// The condition written out, each value replaced by the placeholder
    /// `bind` returns for it (`status = ?1`, `(due_at, id) > ($3, $4)`).
    pub fn render(&self, bind: &mut dyn FnMut(String) -> String) -> String {
        let values: Vec<String> = self.values.iter().map(|v| bind(v.clone())).collect();
        let op = self.compare.operator();
        match (self.columns.as_slice(), values.as_slice()) {
            ([column], [value]) => format!("{column} {op} {value}"),
            (columns, values) => format!("({}) {op} ({})", columns.join(", "), values.join(", ")),
        }
    }
}

/// What selects and orders one page of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageFilter {
    /// The conditions, all of which a row meets.
    pub conditions: Vec<Condition>,
    /// The columns the page is ordered by (ascending).
    pub order_by: Vec<&'static str>,
    /// Rows to read: the page size and one more.
    pub rows: usize,
}

impl PageFilter {
    /// The filter of `q`'s page after `cursor` (the first page without one).
    pub fn new(q: &RecordQuery, cursor: Option<&Cursor>) -> Self {
        let mut conditions = Vec::new();
        let mut push = |columns: Vec<&'static str>, compare: Compare, values: Vec<String>| {
            conditions.push(Condition {
                columns,
                compare,
                values,
            })
        };
        for (col, v) in [
            ("status", q.status.clone()),
            ("customer_id", q.customer_id.clone()),
            ("currency", q.currency.map(|c| c.code().to_string())),
        ] {
            if let Some(v) = v {
                push(vec![col], Compare::Equal, vec![v]);
            }
        }
        for (col, range) in [
            (TimeColumn::CreatedAt, q.created),
            (TimeColumn::DueAt, q.due),
            (TimeColumn::UpdatedAt, q.updated()),
        ] {
            let TimeRange { from, to } = range;
            let col = col.name();
            if let Some(from) = from {
                push(vec![col], Compare::AtLeast, vec![time_key(&from)]);
            }
            if let Some(to) = to {
                push(vec![col], Compare::Below, vec![time_key(&to)]);
            }
        }
        let order = q.order().column().map(|c| c.name());
        if let Some(c) = cursor {
            match order {
                None => push(vec!["id"], Compare::After, vec![c.id.clone()]),
                Some(col) => push(
                    vec![col, "id"],
                    Compare::After,
                    vec![c.time.clone(), c.id.clone()],
                ),
            }
        }
        PageFilter {
            conditions,
            order_by: order.into_iter().chain(["id"]).collect(),
            rows: q.limit + 1,
        }
    }

    /// ` WHERE` and the conditions joined with `AND` (empty without
    /// conditions), values bound in order through `bind`.
    pub fn where_clause(&self, mut bind: impl FnMut(String) -> String) -> String {
        if self.conditions.is_empty() {
            return String::new();
        }
        let conds: Vec<String> = self
            .conditions
            .iter()
            .map(|c| c.render(&mut bind))
            .collect();
        format!(" WHERE {}", conds.join(" AND "))
    }

    /// The order columns, comma-separated.
    pub fn order_clause(&self) -> String {
        self.order_by.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::EntityKind;
    use crate::money::Currency;
    use crate::store::query::QueryOrder;
    use chrono::{TimeZone, Utc};

    fn numbered(f: &PageFilter) -> (String, Vec<String>) {
        let mut params = Vec::new();
        let clause = f.where_clause(|v| {
            params.push(v);
            format!("?{}", params.len())
        });
        (clause, params)
    }

    #[test]
    fn the_first_page_of_every_record_is_ordered_by_id_without_conditions() {
        let f = PageFilter::new(&RecordQuery::new(EntityKind::Invoice), None);
        assert_eq!(numbered(&f), (String::new(), vec![]));
        assert_eq!(f.order_clause(), "id");
        assert_eq!(f.rows, crate::store::query::DEFAULT_PAGE_SIZE + 1);
    }

    #[test]
    fn filters_ranges_and_the_cursor_bind_their_values_in_order() {
        let t = |d| Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).unwrap();
        let mut q = RecordQuery::new(EntityKind::Invoice);
        q.status = Some("open".into());
        q.currency = Currency::parse("eur").ok();
        q.due = TimeRange::new(Some(t(1)), Some(t(31)));
        q.limit = 10;
        let cursor = Cursor {
            order: QueryOrder::Due,
            time: time_key(&t(5)),
            id: "inv_9".into(),
        };
        let f = PageFilter::new(&q, Some(&cursor));
        let (clause, params) = numbered(&f);
        assert_eq!(
            clause,
            " WHERE status = ?1 AND currency = ?2 AND due_at >= ?3 AND due_at < ?4 \
             AND (due_at, id) > (?5, ?6)"
        );
        assert_eq!(
            params,
            [
                "open",
                "EUR",
                "2025-01-01T00:00:00.000Z",
                "2025-01-31T00:00:00.000Z",
                "2025-01-05T00:00:00.000Z",
                "inv_9"
            ]
        );
        assert_eq!(f.order_clause(), "due_at, id");
        assert_eq!(f.rows, 11);
    }

    #[test]
    fn an_id_ordered_cursor_compares_the_id_alone() {
        let mut q = RecordQuery::new(EntityKind::Payment);
        q.customer_id = Some("cus_1".into());
        q.after = None;
        let cursor = Cursor {
            order: QueryOrder::Id,
            time: String::new(),
            id: "pay_3".into(),
        };
        let f = PageFilter::new(&q, Some(&cursor));
        assert_eq!(
            numbered(&f),
            (
                " WHERE customer_id = ?1 AND id > ?2".to_string(),
                vec!["cus_1".to_string(), "pay_3".to_string()]
            )
        );
    }
}
