//! The SQL views of [`tieout_core::store::views`] in PostgreSQL's dialect:
//! the record JSON read as `jsonb`, amounts as `numeric` (at the scale the
//! records hold, their currency's), times as `timestamptz`, dates as `date`.

use tieout_core::store::views::{View, ViewSource, ViewType};

/// `'{a,b}'` for a path.
fn json_path(path: &[&str]) -> String {
    format!("'{{{}}}'", path.join(","))
}

fn source_sql(s: &str, source: ViewSource) -> String {
    match source {
        ViewSource::Column(c) => format!("r.{c}::text"),
        ViewSource::Record(p) => format!("(r.d #>> {})", json_path(p)),
        ViewSource::Line(p) => format!("(l.value #>> {})", json_path(p)),
        ViewSource::LineNo => "l.n".to_string(),
        ViewSource::SourceIdOf { table, path } => format!(
            "(SELECT x.external_id::text FROM {s}.{table} AS x WHERE x.id = (r.d #>> {}))",
            json_path(path)
        ),
        ViewSource::Count(p) => format!("COALESCE(jsonb_array_length(r.d #> {}), 0)", json_path(p)),
    }
}

fn typed(expr: String, ty: ViewType) -> String {
    match ty {
        ViewType::Text => expr,
        ViewType::Decimal => format!("{expr}::numeric"),
        ViewType::Time => format!("{expr}::timestamptz"),
        ViewType::Date => format!("{expr}::date"),
        ViewType::Integer => format!("{expr}::bigint"),
        ViewType::Bool => format!("COALESCE({expr}::boolean, false)"),
    }
}

/// `CREATE VIEW` of `v` in schema `s`.
pub(crate) fn create_view(s: &str, v: &View) -> String {
    let cols: Vec<String> = v
        .columns
        .iter()
        .map(|c| format!("{} AS {}", typed(source_sql(s, c.source), c.ty), c.name))
        .collect();
    let mut from = format!(
        "(SELECT t.*, t.data::jsonb AS d FROM {s}.{} AS t) AS r",
        v.table
    );
    if let Some(lines) = v.lines {
        from.push_str(&format!(
            " CROSS JOIN LATERAL jsonb_array_elements(r.d #> {}) WITH ORDINALITY AS l(value, n)",
            json_path(lines)
        ));
    }
    let filter = match v.only {
        Some((path, value)) => format!(" WHERE (r.d #>> {}) = '{value}'", json_path(path)),
        None => String::new(),
    };
    format!(
        "CREATE VIEW {s}.{} AS SELECT\n    {}\nFROM {from}{filter};\n",
        v.name,
        cols.join(",\n    ")
    )
}

/// `CREATE VIEW` of every view in `views`, in schema `s`.
pub(crate) fn create_views(s: &str, views: &[View]) -> String {
    views.iter().map(|v| create_view(s, v)).collect()
}

/// `DROP VIEW` of every view in `views`, in schema `s` (a migration to a new
/// version drops the old one's views, then creates the new ones).
pub(crate) fn drop_views(s: &str, views: &[View]) -> String {
    views
        .iter()
        .map(|v| format!("DROP VIEW IF EXISTS {s}.{};\n", v.name))
        .collect()
}
