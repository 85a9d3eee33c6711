//! The paged queries ([`RecordQuery`]) as SQL: the page's conditions
//! ([`PageFilter`], shared with the SQLite store, so the same indexes serve)
//! with `$n` placeholders, reading one page plus one row to know whether
//! another follows.

use tieout_core::store::RecordQuery;
use tieout_core::store::page_filter::PageFilter;
use tieout_core::store::query::Cursor;

/// A query's SQL and its text parameters (`$1`, `$2`, ...); the page size
/// is the last parameter, `$n` of type `bigint`.
pub(crate) struct QuerySql {
    /// `SELECT id, data FROM ... WHERE ... ORDER BY ... LIMIT $n`.
    pub(crate) sql: String,
    /// The text parameters, before the limit.
    pub(crate) params: Vec<String>,
    /// `limit + 1`.
    pub(crate) limit: i64,
}

/// The statement answering `q` after `cursor` in schema `s`.
pub(crate) fn page_sql(s: &str, q: &RecordQuery, cursor: Option<&Cursor>) -> QuerySql {
    let page = PageFilter::new(q, cursor);
    let mut params: Vec<String> = Vec::new();
    let filter = page.where_clause(|v| {
        params.push(v);
        format!("${}", params.len())
    });
    QuerySql {
        sql: format!(
            "SELECT id, data FROM {s}.{}{filter} ORDER BY {} LIMIT ${}",
            q.kind.as_str(),
            page.order_clause(),
            params.len() + 1
        ),
        params,
        limit: page.rows as i64,
    }
}
