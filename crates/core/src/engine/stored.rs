//! Values read back out of the store's own rows, under one policy: a stored value that
//! does not read as what it must be (an id that is not a UUID) was damaged — the file
//! edited by hand, a disk error — and is reported as [`Error::DamagedValue`], naming the
//! value, never turned into a nil id or a silently dropped row.
//!
//! Inside a rusqlite row closure use [`row_id`] / [`row_optional_id`]: their error
//! travels out through rusqlite and becomes the same `DamagedValue` (see
//! `impl From<rusqlite::Error> for Error`).

use rusqlite::Row;
use rusqlite::types::Type;
use uuid::Uuid;

use crate::{Error, Result};

/// A stored value that does not read as what it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {what} {value:?} is damaged")]
pub struct Damaged {
    pub what: &'static str,
    pub value: String,
}

impl From<Damaged> for Error {
    fn from(damaged: Damaged) -> Self {
        Error::DamagedValue {
            what: damaged.what,
            value: damaged.value,
        }
    }
}

fn parse(what: &'static str, text: &str) -> std::result::Result<Uuid, Damaged> {
    Uuid::parse_str(text).map_err(|_| Damaged {
        what,
        value: text.chars().take(64).collect(),
    })
}

/// The id stored as `text` (`what` names it in the error).
pub fn id(what: &'static str, text: &str) -> Result<Uuid> {
    Ok(parse(what, text)?)
}

/// An optional id: none when NULL or empty, else it must parse.
pub fn optional_id(what: &'static str, text: Option<&str>) -> Result<Option<Uuid>> {
    match text {
        None | Some("") => Ok(None),
        Some(text) => id(what, text).map(Some),
    }
}

/// Column `index` of `row`, an id (inside a row closure).
pub fn row_id(row: &Row<'_>, index: usize, what: &'static str) -> rusqlite::Result<Uuid> {
    let text: String = row.get(index)?;
    parse(what, &text).map_err(|e| damaged_in_row(index, e))
}

/// Column `index` of `row`, an optional id: none when NULL or empty.
pub fn row_optional_id(
    row: &Row<'_>,
    index: usize,
    what: &'static str,
) -> rusqlite::Result<Option<Uuid>> {
    match row.get::<_, Option<String>>(index)?.as_deref() {
        None | Some("") => Ok(None),
        Some(text) => parse(what, text)
            .map(Some)
            .map_err(|e| damaged_in_row(index, e)),
    }
}

fn damaged_in_row(index: usize, damaged: Damaged) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(damaged))
}

/// The damaged value inside a rusqlite error from [`row_id`], if that is what it is.
pub(crate) fn damaged_in(error: &rusqlite::Error) -> Option<&Damaged> {
    match error {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => inner.downcast_ref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_id_is_named_and_typed_wherever_it_is_read() -> Result<()> {
        let conn = rusqlite::Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE t (id TEXT, other TEXT);
             INSERT INTO t VALUES ('0195f3a2-0000-7000-8000-000000000001', NULL),
                                  ('not-a-uuid', '');",
        )?;
        let read = |sql: &str| -> Result<Vec<(Uuid, Option<Uuid>)>> {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    row_id(r, 0, "patient id")?,
                    row_optional_id(r, 1, "owner id")?,
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let good = read("SELECT id, other FROM t WHERE rowid = 1")?;
        assert_eq!(good[0].1, None);
        match read("SELECT id, other FROM t") {
            Err(Error::DamagedValue { what, value }) => {
                assert_eq!((what, value.as_str()), ("patient id", "not-a-uuid"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(optional_id("lot id", Some(""))?, None);
        assert!(matches!(
            id("device id", "x"),
            Err(Error::DamagedValue {
                what: "device id",
                ..
            })
        ));
        Ok(())
    }
}
