//! The paged queries ([`RecordQuery`]) as SQL: one statement per query shape
//! (which filters are set), reading one page plus one row to know whether
//! another follows.

use rusqlite::types::Value;
use tieout_core::store::query::Cursor;
use tieout_core::store::{RecordQuery, TimeRange};

use crate::columns::TimeColumn;

/// A query's SQL and its parameters (`?1`, `?2`, ... in order).
pub(crate) struct QuerySql {
    /// `SELECT data FROM ... WHERE ... ORDER BY ... LIMIT ?n`.
    pub(crate) sql: String,
    /// The parameters.
    pub(crate) params: Vec<Value>,
}

/// The statement answering `q` after `cursor`, for `limit + 1` rows.
pub(crate) fn page_sql(q: &RecordQuery, cursor: Option<&Cursor>) -> QuerySql {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let bind = |params: &mut Vec<Value>, v: String| {
        params.push(Value::Text(v));
        format!("?{}", params.len())
    };
    for (col, v) in [
        ("status", q.status.clone()),
        ("customer_id", q.customer_id.clone()),
        ("currency", q.currency.map(|c| c.code().to_string())),
    ] {
        if let Some(v) = v {
            let p = bind(&mut params, v);
            conds.push(format!("{col} = {p}"));
        }
    }
    for (col, range) in [
        (TimeColumn::CreatedAt, q.created),
        (TimeColumn::DueAt, q.due),
        (TimeColumn::UpdatedAt, q.updated()),
    ] {
        let TimeRange { from, to } = range;
        if let Some(from) = from {
            let p = bind(&mut params, tieout_core::store::query::time_key(&from));
            conds.push(format!("{} >= {p}", col.name()));
        }
        if let Some(to) = to {
            let p = bind(&mut params, tieout_core::store::query::time_key(&to));
            conds.push(format!("{} < {p}", col.name()));
        }
    }
    let order = q.order().column();
    if let Some(c) = cursor {
        match order {
            None => {
                let p = bind(&mut params, c.id.clone());
                conds.push(format!("id > {p}"));
            }
            Some(col) => {
                let t = bind(&mut params, c.time.clone());
                let i = bind(&mut params, c.id.clone());
                conds.push(format!("({}, id) > ({t}, {i})", col.name()));
            }
        }
    }
    let order_by = match order {
        None => "id".to_string(),
        Some(col) => format!("{}, id", col.name()),
    };
    params.push(Value::Integer(q.limit as i64 + 1));
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    QuerySql {
        sql: format!(
            "SELECT data FROM {}{filter} ORDER BY {order_by} LIMIT ?{}",
            q.kind.as_str(),
            params.len()
        ),
        params,
    }
}
