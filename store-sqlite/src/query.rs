//! The paged queries ([`RecordQuery`]) as SQL: the page's conditions
//! ([`PageFilter`], shared with the PostgreSQL store) with `?n` placeholders,
//! reading one page plus one row to know whether another follows.

use rusqlite::types::Value;
use tieout_core::store::RecordQuery;
use tieout_core::store::page_filter::PageFilter;
use tieout_core::store::query::Cursor;

/// A query's SQL and its parameters (`?1`, `?2`, ... in order).
pub(crate) struct QuerySql {
    /// `SELECT data FROM ... WHERE ... ORDER BY ... LIMIT ?n`.
    pub(crate) sql: String,
    /// The parameters.
    pub(crate) params: Vec<Value>,
}

/// The statement answering `q` after `cursor`, for `limit + 1` rows.
pub(crate) fn page_sql(q: &RecordQuery, cursor: Option<&Cursor>) -> QuerySql {
    let page = PageFilter::new(q, cursor);
    let mut params: Vec<Value> = Vec::new();
    let filter = page.where_clause(|v| {
        params.push(Value::Text(v));
        format!("?{}", params.len())
    });
    params.push(Value::Integer(page.rows as i64));
    QuerySql {
        sql: format!(
            "SELECT data FROM {}{filter} ORDER BY {} LIMIT ?{}",
            q.kind.as_str(),
            page.order_clause(),
            params.len()
        ),
        params,
    }
}
