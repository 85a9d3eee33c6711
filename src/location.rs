//! Where books live: a PostgreSQL URL or a SQLite file path.

use std::path::Path;

use crate::books::Books;
use crate::error::Result;

/// The URL when `location` names a PostgreSQL database (`postgres://` or
/// `postgresql://`, any case), else `None` (a file path).
pub(crate) fn postgres_url(location: &Path) -> Option<&str> {
    let text = location.to_str()?;
    let scheme = text.split_once("://")?.0.to_ascii_lowercase();
    (scheme == "postgres" || scheme == "postgresql").then_some(text)
}

/// Opens shared books in PostgreSQL.
#[cfg(feature = "postgres")]
pub(crate) fn open_postgres(url: &str, schema: Option<&str>) -> Result<Books> {
    let schema = schema.unwrap_or(tieout_postgres::DEFAULT_SCHEMA);
    let store = tieout_postgres::PostgresStore::open_in_schema(url, schema)?;
    Ok(Books::with_store(Box::new(store)))
}

/// Without the `postgres` feature a PostgreSQL URL is refused (never taken
/// for a file name).
#[cfg(not(feature = "postgres"))]
pub(crate) fn open_postgres(url: &str, _schema: Option<&str>) -> Result<Books> {
    let scheme = url.split_once("://").map_or(url, |s| s.0);
    Err(tieout_core::CoreError::Invalid(format!(
        "{scheme}:// books need tieout built with its `postgres` feature"
    ))
    .into())
}

#[cfg(test)]
mod tests {
    use super::postgres_url;
    use std::path::Path;

    #[test]
    fn only_postgres_urls_pick_postgres() {
        for url in [
            "postgres://u@h/db",
            "postgresql://u@h:5432/db?sslmode=disable",
            "PostgreSQL://h/db",
        ] {
            assert_eq!(postgres_url(Path::new(url)), Some(url));
        }
        for path in [
            "books.db",
            "/tmp/postgres/books.db",
            "./postgres:/x",
            "sqlite://x",
        ] {
            assert_eq!(postgres_url(Path::new(path)), None, "{path}");
        }
    }
}
