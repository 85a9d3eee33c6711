//! The SQL views of [`tieout_core::store::views`] in SQLite's dialect:
//! `json_extract` over the record JSON (amounts stay the decimal text the
//! records hold, at their currency's scale; times RFC 3339 text).

use tieout_core::store::views::{View, ViewSource, ViewType};

/// `$.a.b` for a path.
fn json_path(path: &[&str]) -> String {
    let mut p = String::from("$");
    for k in path {
        p.push('.');
        p.push_str(k);
    }
    p
}

fn source_sql(source: ViewSource) -> String {
    match source {
        ViewSource::Column(c) => format!("r.{c}"),
        ViewSource::Record(p) => format!("json_extract(r.data, '{}')", json_path(p)),
        ViewSource::Line(p) => format!("json_extract(l.value, '{}')", json_path(p)),
        ViewSource::LineNo => "l.key + 1".to_string(),
        ViewSource::SourceIdOf { table, path } => format!(
            "(SELECT x.external_id FROM {table} AS x WHERE x.id = json_extract(r.data, '{}'))",
            json_path(path)
        ),
        ViewSource::Count(p) => {
            format!("COALESCE(json_array_length(r.data, '{}'), 0)", json_path(p))
        }
    }
}

fn typed(expr: String, ty: ViewType) -> String {
    match ty {
        ViewType::Text | ViewType::Decimal | ViewType::Time | ViewType::Date => expr,
        ViewType::Integer => format!("CAST({expr} AS INTEGER)"),
        ViewType::Bool => format!("COALESCE({expr}, 0)"),
    }
}

/// `CREATE VIEW` of `v`.
pub(crate) fn create_view(v: &View) -> String {
    let cols: Vec<String> = v
        .columns
        .iter()
        .map(|c| format!("{} AS {}", typed(source_sql(c.source), c.ty), c.name))
        .collect();
    let mut from = format!("{} AS r", v.table);
    if let Some(lines) = v.lines {
        from.push_str(&format!(", json_each(r.data, '{}') AS l", json_path(lines)));
    }
    let filter = match v.only {
        Some((path, value)) => format!(
            " WHERE json_extract(r.data, '{}') = '{value}'",
            json_path(path)
        ),
        None => String::new(),
    };
    format!(
        "CREATE VIEW {} AS SELECT\n    {}\nFROM {from}{filter};\n",
        v.name,
        cols.join(",\n    ")
    )
}

/// `CREATE VIEW` of every view in `views`.
pub(crate) fn create_views(views: &[View]) -> String {
    views.iter().map(create_view).collect()
}

/// `DROP VIEW` of every view in `views` (a migration to a new version drops
/// the old one's views, then creates the new ones).
pub(crate) fn drop_views(views: &[View]) -> String {
    views
        .iter()
        .map(|v| format!("DROP VIEW IF EXISTS {};\n", v.name))
        .collect()
}
