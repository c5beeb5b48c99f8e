//! The change log's data: what one device tells the others about its writes.
//!
//! A [`Changeset`] is one local transaction's changes (large transactions are split
//! into several, and so is a transaction that acts for several people), numbered by a
//! gap-free per-device `seq`, stamped with the HLC of that transaction and naming the
//! staff member it was written for (its author; the device signs it, `crate::signing`). A [`Change`] names a table, a row (UUIDv7) and an [`Op`]:
//! - [`Op::Insert`]: a new row with its values (the creation of a last-writer-wins row,
//!   or an append-only fact);
//! - [`Op::Set`]: one column's new value, with the clock of the value its author saw
//!   (`base`), so a losing concurrent edit of clinical text can be told from a sequential one;
//! - [`Op::Delete`]: the tombstone (sets the row's `deleted` column, by the same rule).
//!
//! Pure data and the merge rule ([`newer`]); the store applies them (`crate::apply`).

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hlc::Hlc;

/// A column value, as SQLite stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Self {
        Value::Text(s.into())
    }

    /// `Null` for `None`, text otherwise.
    pub fn opt_text(s: Option<impl Into<String>>) -> Self {
        s.map_or(Value::Null, |s| Value::Text(s.into()))
    }

    pub fn bool(b: bool) -> Self {
        Value::Int(i64::from(b))
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The SQLite storage class name of this value, for type checks and messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "INTEGER",
            Value::Real(_) => "REAL",
            Value::Text(_) => "TEXT",
            Value::Blob(_) => "BLOB",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

impl FromSql for Value {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Int(v),
            ValueRef::Real(v) => Value::Real(v),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    }
}

/// What a change does to its row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    Insert(Vec<(String, Value)>),
    Set {
        column: String,
        value: Value,
        base: Option<[u8; 16]>,
    },
    Delete,
}

/// One change to one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub table: String,
    pub row: Uuid,
    pub op: Op,
}

/// One device's changes from one local transaction, the unit of push, idempotency and
/// (in sync) encryption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changeset {
    pub device: Uuid,
    pub seq: u64,
    /// The local schema version of the device that wrote it.
    pub schema_version: i64,
    /// The HLC of the transaction; every change in it carries this clock.
    pub hlc: [u8; 16],
    /// The staff member the changes were made for (the nil id: the system, which makes
    /// a new clinic). `None` only in changesets written before authors were recorded
    /// (body format 1).
    pub author: Option<Uuid>,
    pub changes: Vec<Change>,
}

/// A changeset as devices encoded it before authors were recorded (body format 1).
#[derive(Deserialize)]
struct ChangesetV1 {
    device: Uuid,
    seq: u64,
    schema_version: i64,
    hlc: [u8; 16],
    changes: Vec<Change>,
}

/// The first bytes of a body in format 2 (with an author). A format-1 body starts with
/// LZ4's little-endian size of at most [`MAX_DECODED_BYTES`], whose last byte is at most
/// 0x04: never 0xFF.
const BODY_FORMAT_2: [u8; 4] = [b'V', b'C', 2, 0xFF];

impl Changeset {
    pub fn hlc(&self) -> Hlc {
        Hlc::from_bytes(self.hlc)
    }

    /// The body format marker, then postcard, then LZ4 (a changeset's column names and
    /// values repeat a lot: about 4× smaller, and the store writes and encrypts 4× fewer
    /// pages). Deterministic: the same changeset always encodes to the same bytes.
    pub fn encode(&self) -> Vec<u8> {
        // postcard cannot fail on these types (no maps with non-string keys, no
        // unsized sequences); an empty body would be refused by `decode`.
        let plain = postcard::to_allocvec(self).unwrap_or_default();
        let mut out = BODY_FORMAT_2.to_vec();
        out.extend_from_slice(&lz4_flex::compress_prepend_size(&plain));
        out
    }

    /// Reads a body in either format (format 1 has no author).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        match bytes.strip_prefix(&BODY_FORMAT_2) {
            Some(rest) => {
                postcard::from_bytes(&decompress(rest)?).map_err(|e| DecodeError(e.to_string()))
            }
            None => {
                let v1: ChangesetV1 = postcard::from_bytes(&decompress(bytes)?)
                    .map_err(|e| DecodeError(e.to_string()))?;
                Ok(Changeset {
                    device: v1.device,
                    seq: v1.seq,
                    schema_version: v1.schema_version,
                    hlc: v1.hlc,
                    author: None,
                    changes: v1.changes,
                })
            }
        }
    }
}

/// LZ4 with its size prefix, refusing absurd sizes before allocating.
fn decompress(bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
    // The size prefix decides an allocation: refuse absurd ones before trusting it.
    let size = bytes
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| DecodeError("too short".into()))?;
    if size > MAX_DECODED_BYTES {
        return Err(DecodeError(format!(
            "claims {size} bytes, more than a changeset holds"
        )));
    }
    lz4_flex::decompress_size_prepended(bytes).map_err(|e| DecodeError(e.to_string()))
}

/// Largest decoded changeset accepted (a full one is well under 1 MiB).
const MAX_DECODED_BYTES: u32 = 64 << 20;

/// A changeset body that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a changeset: {0}")]
pub struct DecodeError(String);

/// The merge rule of last-writer-wins: does a write at `incoming` replace the value
/// written at `current`? Later HLC wins; the HLC embeds the device, so there are no
/// ties between devices. Equal clocks are the same transaction, where later changes
/// in the changeset replace earlier ones (`>=`), which also makes reapplying harmless.
pub fn newer(incoming: &[u8; 16], current: Option<&[u8]>) -> bool {
    match current {
        None => true,
        Some(current) => incoming.as_slice() >= current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changeset_survives_encoding() -> Result<(), DecodeError> {
        let changeset = Changeset {
            device: Uuid::now_v7(),
            seq: 42,
            schema_version: 2,
            hlc: [7; 16],
            author: Some(Uuid::now_v7()),
            changes: vec![
                Change {
                    table: "clients".into(),
                    row: Uuid::now_v7(),
                    op: Op::Insert(vec![
                        ("last_name".into(), Value::text("Ng")),
                        ("consent_sms".into(), Value::Int(1)),
                        ("notes".into(), Value::Null),
                    ]),
                },
                Change {
                    table: "weights".into(),
                    row: Uuid::now_v7(),
                    op: Op::Set {
                        column: "kg".into(),
                        value: Value::Real(4.25),
                        base: Some([1; 16]),
                    },
                },
                Change {
                    table: "clients".into(),
                    row: Uuid::now_v7(),
                    op: Op::Delete,
                },
            ],
        };
        let bytes = changeset.encode();
        assert_eq!(Changeset::decode(&bytes)?, changeset);
        assert_eq!(bytes, changeset.encode(), "the same bytes every time");

        // A body an older build wrote (format 1: no author) still reads.
        #[derive(Serialize)]
        struct V1<'a> {
            device: Uuid,
            seq: u64,
            schema_version: i64,
            hlc: [u8; 16],
            changes: &'a [Change],
        }
        let old = lz4_flex::compress_prepend_size(
            &postcard::to_allocvec(&V1 {
                device: changeset.device,
                seq: changeset.seq,
                schema_version: changeset.schema_version,
                hlc: changeset.hlc,
                changes: &changeset.changes,
            })
            .unwrap_or_default(),
        );
        let read = Changeset::decode(&old)?;
        assert_eq!(read.author, None);
        assert_eq!(read.changes, changeset.changes);
        Ok(())
    }

    #[test]
    fn garbage_does_not_decode() {
        assert!(Changeset::decode(&[0xff, 0xff, 0xff]).is_err());
        assert!(Changeset::decode(&[]).is_err());
        assert!(
            Changeset::decode(&[0xff, 0xff, 0xff, 0xff, 0, 0]).is_err(),
            "a 4 GiB claim"
        );
        let mut claim = BODY_FORMAT_2.to_vec();
        claim.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0]);
        assert!(
            Changeset::decode(&claim).is_err(),
            "a 4 GiB claim, format 2"
        );
    }

    #[test]
    fn later_clocks_win_and_equal_clocks_replace() {
        let early = [1u8; 16];
        let late = [2u8; 16];
        // (incoming, current, replaces?)
        type Case<'a> = (&'a [u8; 16], Option<&'a [u8]>, bool);
        let cases: [Case<'_>; 4] = [
            (&late, Some(&early), true),
            (&early, Some(&late), false),
            (&early, Some(&early), true),
            (&early, None, true),
        ];
        for (incoming, current, replaces) in cases {
            assert_eq!(
                newer(incoming, current),
                replaces,
                "{incoming:?} vs {current:?}"
            );
        }
    }
}
