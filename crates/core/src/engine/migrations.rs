//! The local store's schema migrations, embedded from `migrations/local` at build time.
//!
//! `rusqlite_migration` applies the pending ones in a single transaction and records
//! the version in `PRAGMA user_version`. A store whose version is higher than this
//! build knows is refused before anything is written to it.

use std::sync::LazyLock;

use include_dir::{Dir, include_dir};
use rusqlite::Connection;
use rusqlite_migration::Migrations;

use crate::{Error, Result};

static MIGRATIONS_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../migrations/local");

static MIGRATIONS: LazyLock<Result<Migrations<'static>, String>> =
    LazyLock::new(|| Migrations::from_directory(&MIGRATIONS_DIR).map_err(|e| e.to_string()));

/// The schema version this build creates and understands: the number of migrations.
pub static SCHEMA_VERSION: LazyLock<i64> =
    LazyLock::new(|| i64::try_from(MIGRATIONS_DIR.dirs().count()).unwrap_or(i64::MAX));

/// The version recorded in the open database.
pub(crate) fn current_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Brings the database up to [`SCHEMA_VERSION`], or refuses one that is ahead of it.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found = current_version(conn)?;
    let supported = *SCHEMA_VERSION;
    if found > supported {
        return Err(Error::DatabaseTooNew { found, supported });
    }
    let migrations = MIGRATIONS
        .as_ref()
        .map_err(|e| Error::Migration(e.clone()))?;
    migrations
        .to_latest(conn)
        .map_err(|e| Error::Migration(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_migrations_are_valid_and_apply_to_an_empty_database() -> Result<()> {
        let migrations = MIGRATIONS
            .as_ref()
            .map_err(|e| Error::Migration(e.clone()))?;
        migrations
            .validate()
            .map_err(|e| Error::Migration(e.to_string()))?;
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn)?;
        assert_eq!(current_version(&conn)?, *SCHEMA_VERSION);
        assert!(*SCHEMA_VERSION >= 1);
        Ok(())
    }

    /// A migration that fails part-way leaves nothing behind: no table from the
    /// statements before the failure, and the recorded version unchanged.
    #[test]
    fn a_failing_migration_is_rolled_back_whole() -> Result<()> {
        let mut conn = Connection::open_in_memory()?;
        // `local_device` comes after `clinic` in the first migration: make it collide.
        conn.execute_batch("CREATE TABLE local_device (x INTEGER)")?;
        let err = migrate(&mut conn);
        assert!(matches!(err, Err(Error::Migration(_))), "{err:?}");
        assert_eq!(current_version(&conn)?, 0);
        let clinic_tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'clinic'",
            [],
            |row| row.get(0),
        )?;
        assert_eq!(
            clinic_tables, 0,
            "the clinic table survived a failed migration"
        );
        Ok(())
    }
}
