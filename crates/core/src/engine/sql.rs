//! Statements whose table or column names vary, built with sea-query from the names in
//! [`crate::schema`] (never from input), then cached as text so rusqlite's statement
//! cache can reuse the prepared form. Values are always bound, never spliced in.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use sea_query::{Expr, ExprTrait, OnConflict, Query, SqliteQueryBuilder};

/// A placeholder value: sea-query renders it as `?`; the caller binds the real value in
/// the same position.
fn slot() -> Expr {
    Expr::val(0)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Insert(&'static str, Vec<&'static str>),
    Upsert(&'static str, &'static str),
    Update(&'static str, &'static str, &'static str),
    Clock(&'static str),
}

/// One text per table and column set of the schema: a bounded set, so each is kept for
/// the life of the process and handed out without copying.
static CACHE: LazyLock<Mutex<HashMap<Key, &'static str>>> = LazyLock::new(Default::default);

fn cached(key: Key, build: impl FnOnce() -> String) -> &'static str {
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache
        .entry(key)
        .or_insert_with(|| Box::leak(build().into_boxed_str()))
}

/// `INSERT OR IGNORE INTO table (id, _hlc, columns...) VALUES (?, ?, ...)`; ignoring a
/// row that is already there is what makes append-only merge a set union.
pub fn insert(table: &'static str, columns: &[&'static str]) -> &'static str {
    cached(Key::Insert(table, columns.to_vec()), || {
        let mut all = vec!["id", "_hlc"];
        all.extend_from_slice(columns);
        let mut query = Query::insert();
        query
            .into_table(table)
            .columns(all.iter().copied())
            .values_panic(all.iter().map(|_| slot()))
            .on_conflict(OnConflict::column("id").do_nothing().to_owned());
        query.build(SqliteQueryBuilder).0
    })
}

/// `INSERT INTO table (id, column) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET
/// column = excluded.column`: sets one column, making the row if an update arrives
/// before the row's creation.
pub fn upsert_column(table: &'static str, column: &'static str) -> &'static str {
    cached(Key::Upsert(table, column), || {
        Query::insert()
            .into_table(table)
            .columns(["id", column])
            .values_panic([slot(), slot()])
            .on_conflict(OnConflict::column("id").update_column(column).to_owned())
            .build(SqliteQueryBuilder)
            .0
    })
}

/// `UPDATE table SET column = ? WHERE id = ?`.
pub fn update_column(table: &'static str, column: &'static str) -> &'static str {
    update_where(table, column, "id")
}

/// `UPDATE table SET column = ? WHERE rowid = ?`: a write to a row just looked up, without
/// searching its id again.
pub fn update_by_rowid(table: &'static str, column: &'static str) -> &'static str {
    update_where(table, column, "rowid")
}

/// `UPDATE table SET column = ? WHERE key = ?`, `key` being `id` or `rowid`.
fn update_where(table: &'static str, column: &'static str, key: &'static str) -> &'static str {
    cached(Key::Update(table, column, key), || {
        Query::update()
            .table(table)
            .value(column, slot())
            .and_where(Expr::col(key).eq(slot()))
            .build(SqliteQueryBuilder)
            .0
    })
}

/// `SELECT rowid, _hlc, (clock of one column) FROM table WHERE id = ?`, binding
/// (tbl, row, col, id): where the row is, its creation clock and the column's own
/// clock, if any.
pub fn column_clock(table: &'static str) -> &'static str {
    cached(Key::Clock(table), || {
        Query::select()
            .column("rowid")
            .column("_hlc")
            .expr(Expr::cust(
                "(SELECT hlc FROM crdt_clock WHERE tbl = ? AND row_id = ? AND col = ?)",
            ))
            .from(table)
            .and_where(Expr::col("id").eq(slot()))
            .build(SqliteQueryBuilder)
            .0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_one_placeholder_per_bound_value() {
        let cases = [
            (insert("clients", &["first_name", "last_name"]), 4),
            (upsert_column("clients", "phone"), 2),
            (update_column("clients", "phone"), 2),
            (update_by_rowid("clients", "phone"), 2),
            (column_clock("clients"), 4),
        ];
        for (sql, placeholders) in cases {
            assert_eq!(sql.matches('?').count(), placeholders, "{sql}");
        }
        assert_eq!(
            upsert_column("clients", "phone"),
            r#"INSERT INTO "clients" ("id", "phone") VALUES (?, ?) ON CONFLICT ("id") DO UPDATE SET "phone" = "excluded"."phone""#
        );
    }
}
