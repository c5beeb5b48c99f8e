//! Reading and writing single cells of synced tables with their clocks: the steps that
//! local writes ([`crate::write`]) and remote merges ([`crate::merge`]) share, so both
//! follow exactly the same rules.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::changes::Value;
use crate::schema::Table;
use crate::sql;

/// A cell's clock as merge needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellClock {
    /// Where the row is, when it exists at all (perhaps only partly, from early
    /// updates): a write that follows the lookup goes straight to it.
    pub rowid: Option<i64>,
    /// The row's creation clock, once its creation has arrived.
    pub row_hlc: Option<Vec<u8>>,
    /// The column's own clock, when it changed after the row's creation.
    pub column_hlc: Option<Vec<u8>>,
}

impl CellClock {
    /// Whether the row exists at all.
    pub fn row_exists(&self) -> bool {
        self.rowid.is_some()
    }

    /// The clock of the cell's current value: its own, else the row's.
    pub fn effective(&self) -> Option<&[u8]> {
        self.column_hlc.as_deref().or(self.row_hlc.as_deref())
    }
}

pub fn clock(
    conn: &Connection,
    table: &'static Table,
    row: &str,
    column: &str,
) -> Result<CellClock> {
    let found = conn
        .prepare_cached(sql::column_clock(table.name))?
        .query_row(params![table.name, row, column, row], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<Vec<u8>>>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
            ))
        })
        .optional()?;
    Ok(match found {
        Some((rowid, row_hlc, column_hlc)) => CellClock {
            rowid: Some(rowid),
            row_hlc,
            column_hlc,
        },
        None => CellClock {
            rowid: None,
            row_hlc: None,
            column_hlc: None,
        },
    })
}

/// Writes one column of a row (making the row if needed) and records its clock.
/// `clock` is the cell's clock as [`clock`] just read it in this transaction: where the
/// row and the column's clock already are, they are written in place.
pub fn write(
    conn: &Connection,
    table: &'static Table,
    (column, clock): (&'static str, &CellClock),
    row: &str,
    value: &Value,
    hlc: &[u8; 16],
) -> Result<()> {
    match clock.rowid {
        Some(rowid) => conn
            .prepare_cached(sql::update_by_rowid(table.name, column))?
            .execute(params![value, rowid])?,
        None => conn
            .prepare_cached(sql::upsert_column(table.name, column))?
            .execute(params![row, value])?,
    };
    let clock_statement = if clock.column_hlc.is_some() {
        "UPDATE crdt_clock SET hlc = ?4 WHERE tbl = ?1 AND row_id = ?2 AND col = ?3"
    } else {
        "INSERT INTO crdt_clock (tbl, row_id, col, hlc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tbl, row_id, col) DO UPDATE SET hlc = excluded.hlc"
    };
    conn.prepare_cached(clock_statement)?.execute(params![
        table.name,
        row,
        column,
        hlc.as_slice()
    ])?;
    Ok(())
}

/// Inserts a whole row; `false` when a row with this id was already there.
pub fn insert(
    conn: &Connection,
    table: &'static Table,
    row: &str,
    hlc: &[u8; 16],
    values: &[(&'static str, &Value)],
) -> Result<bool> {
    let columns: Vec<&'static str> = values.iter().map(|(c, _)| *c).collect();
    let mut stmt = conn.prepare_cached(sql::insert(table.name, &columns))?;
    let mut bound: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(values.len() + 2);
    let hlc = hlc.as_slice();
    bound.push(&row);
    bound.push(&hlc);
    for (_, value) in values {
        bound.push(*value);
    }
    Ok(stmt.execute(bound.as_slice())? == 1)
}

/// Sets a row's creation clock where it is still unknown (the row was made by an
/// update that arrived before its creation).
pub fn set_row_hlc(
    conn: &Connection,
    table: &'static Table,
    row: &str,
    hlc: &[u8; 16],
) -> Result<()> {
    conn.prepare_cached(sql::update_column(table.name, "_hlc"))?
        .execute(params![hlc.as_slice(), row])?;
    Ok(())
}

/// Writes a column without touching its clock (creation values of a partly-known row).
pub fn overwrite(
    conn: &Connection,
    table: &'static Table,
    column: &'static str,
    row: &str,
    value: &Value,
) -> Result<()> {
    conn.prepare_cached(sql::update_column(table.name, column))?
        .execute(params![value, row])?;
    Ok(())
}

/// Keeps a clinical text value in the history, winner or loser.
pub fn record_text(
    conn: &Connection,
    table: &'static Table,
    row: &str,
    column: &str,
    hlc: &[u8; 16],
    base: Option<&[u8]>,
    value: &Value,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO text_history (tbl, row_id, col, hlc, base_hlc, value)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        table.name,
        row,
        column,
        hlc.as_slice(),
        base,
        value.as_text()
    ])?;
    Ok(())
}

/// The base recorded for a value already written in this same transaction.
pub fn recorded_base(
    conn: &Connection,
    table: &'static Table,
    row: &str,
    column: &str,
    hlc: &[u8; 16],
) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached(
            "SELECT base_hlc FROM text_history WHERE tbl = ?1 AND row_id = ?2 AND col = ?3 AND hlc = ?4",
        )?
        .query_row(params![table.name, row, column, hlc.as_slice()], |r| r.get(0))
        .optional()?
        .flatten())
}

/// What a signature freezes: the SOAP text as signed. Stored as canonical JSON in
/// `encounter_snapshots.content`, hashed into `content_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSoap {
    pub subjective: Option<String>,
    pub objective: Option<String>,
    pub assessment: Option<String>,
    pub plan: Option<String>,
}

/// Makes an encounter show its earliest signature, if it has one: the SOAP columns,
/// status and signer come from that snapshot, whatever order changes arrived in.
/// A no-op for an unsigned encounter or one whose row has not arrived yet.
///
/// Only a snapshot whose `content_hash` is the SHA-256 of its `content` counts: one
/// that does not hash to what it claims is a forgery or damage, and neither freezes
/// nor shows (so whichever order snapshots arrive in, every device shows the same).
pub fn materialize_signature(conn: &Connection, encounter_id: &str) -> Result<()> {
    let Some(snapshot) = earliest_valid_snapshot(conn, encounter_id)? else {
        return Ok(());
    };
    let soap: SignedSoap = match serde_json::from_str(&snapshot.content) {
        Ok(soap) => soap,
        // A snapshot this build cannot read still freezes the record; its text stays
        // in the snapshot for a newer build to show.
        Err(_) => return Ok(()),
    };
    conn.prepare_cached(
        "UPDATE encounters SET subjective = ?2, objective = ?3, assessment = ?4, plan = ?5,
             deleted = 0, status = 'signed', signed_by = ?6, signed_at = ?7, content_hash = ?8
         WHERE id = ?1",
    )?
    .execute(params![
        encounter_id,
        soap.subjective,
        soap.objective,
        soap.assessment,
        soap.plan,
        snapshot.signed_by,
        snapshot.signed_at,
        snapshot.content_hash
    ])?;
    Ok(())
}

/// A signature snapshot as stored.
struct Snapshot {
    content: String,
    content_hash: String,
    signed_by: Option<String>,
    signed_at: Option<String>,
}

/// A snapshot's `content_hash`: the SHA-256 of its content, in hex.
pub fn snapshot_hash(content: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// Whether a snapshot's hash is that of its content.
pub fn snapshot_hash_holds(content: &str, content_hash: &str) -> bool {
    snapshot_hash(content) == content_hash
}

/// The encounter's earliest snapshot (by clock, then id) whose hash holds.
fn earliest_valid_snapshot(conn: &Connection, encounter_id: &str) -> Result<Option<Snapshot>> {
    let mut stmt = conn.prepare_cached(
        "SELECT content, content_hash, signed_by, signed_at FROM encounter_snapshots
         WHERE encounter_id = ?1 ORDER BY _hlc, id",
    )?;
    let mut rows = stmt.query([encounter_id])?;
    while let Some(row) = rows.next()? {
        let content: Option<String> = row.get(0)?;
        let hash: Option<String> = row.get(1)?;
        if let (Some(content), Some(content_hash)) = (content, hash)
            && snapshot_hash_holds(&content, &content_hash)
        {
            return Ok(Some(Snapshot {
                content,
                content_hash,
                signed_by: row.get(2)?,
                signed_at: row.get(3)?,
            }));
        }
    }
    Ok(None)
}

/// The encounter whose signature a write to `table` may change: the row itself for
/// an encounter, the `encounter_id` of a new snapshot.
pub fn encounter_touched(table: &Table, row: &str, values: &[(&str, &Value)]) -> Option<String> {
    if table.name == crate::schema::ENCOUNTERS.name {
        return Some(row.to_string());
    }
    if table.name != crate::schema::ENCOUNTER_SNAPSHOTS.name {
        return None;
    }
    values.iter().find_map(|(c, v)| match (*c, v) {
        ("encounter_id", Value::Text(encounter)) => Some(encounter.clone()),
        _ => None,
    })
}

/// Whether an encounter has a signature whose hash holds (its snapshot may have
/// arrived before its row).
pub fn is_signed(conn: &Connection, encounter_id: &str) -> Result<bool> {
    Ok(earliest_valid_snapshot(conn, encounter_id)?.is_some())
}
