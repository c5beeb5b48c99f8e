//! Applying other devices' changesets: idempotent (a changeset applied twice changes
//! nothing the second time) and order-independent (any order of delivery ends in the
//! same state), by the rules in docs/ARCHITECTURE.md:
//! - last-writer-wins per column on the HLC (which embeds the device);
//! - append-only facts as set union (`INSERT OR IGNORE`);
//! - every clinical text value kept in `text_history`, winner or not;
//! - a signed encounter shows its earliest snapshot, whatever arrives after;
//! - a changeset whose clock is too far ahead of ours is held and reported, and leaves
//!   our clock alone; a change this build does not understand is quarantined.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::cells;
use crate::changes::{Change, Changeset, Op, Value, newer};
use crate::hlc::HlcError;
use crate::schema::{self, Merge, Table};
use crate::search_index::{self, Dirty};
use crate::write::{clock_of, read_device_state, rfc3339, wall_ms, write_device_state};

/// What one call to apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Changesets applied now.
    pub applied: usize,
    /// Changes in them.
    pub changes: usize,
    /// Changesets seen before (or this device's own): skipped.
    pub skipped: usize,
    /// Changes kept in quarantine (unknown table/column, wrong type).
    pub quarantined: usize,
    /// Changesets refused for a clock too far ahead; held to retry later.
    pub clock_skew: Vec<SkewReport>,
}

/// A remote clock we refused to adopt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkewReport {
    pub device: Uuid,
    pub seq: u64,
    pub remote_ms: u64,
    pub local_ms: u64,
    pub ahead_ms: u64,
}

/// Applies `batch` (and retries held changesets) in one transaction.
/// Where a pulled batch came from: the server cursor to store with it, and the
/// envelopes of the page that did not open (kept in `rejected_envelopes`).
#[derive(Debug, Default)]
pub(crate) struct Pulled {
    pub next_cursor: u64,
    pub rejected: Vec<(u64, String, Vec<u8>)>,
}

pub(crate) fn apply(
    conn: &mut Connection,
    device: Uuid,
    now: OffsetDateTime,
    max_remote_ahead_ms: u64,
    batch: &[Changeset],
    pulled: Option<&Pulled>,
) -> Result<ApplyReport> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut state = read_device_state(&tx)?;
    let mut clock = clock_of(device, &state);
    let wall = wall_ms(now);
    let mut report = ApplyReport::default();
    let mut touched = BTreeSet::new();
    let mut search = Dirty::default();

    let held = held_changesets(&tx)?;
    let all = held
        .iter()
        .map(|c| (c, true))
        .chain(batch.iter().map(|c| (c, false)));
    for (changeset, was_held) in all {
        if changeset.device == device || already_applied(&tx, changeset)? {
            report.skipped += 1;
            continue;
        }
        match clock.observe(changeset.hlc(), wall, max_remote_ahead_ms) {
            Ok(()) => {}
            Err(HlcError::RemoteTooFarAhead {
                remote_ms,
                local_ms,
                ahead_ms,
                ..
            }) => {
                hold(&tx, changeset, now, remote_ms, local_ms)?;
                report.clock_skew.push(SkewReport {
                    device: changeset.device,
                    seq: changeset.seq,
                    remote_ms,
                    local_ms,
                    ahead_ms,
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        for (index, change) in changeset.changes.iter().enumerate() {
            if let Err(reason) =
                apply_change(&tx, changeset.hlc, change, &mut touched, &mut search)?
            {
                quarantine(&tx, changeset, index, &reason, change)?;
                report.quarantined += 1;
            }
        }
        tx.prepare_cached(
            "INSERT INTO applied_changesets (device_id, seq, hlc) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![
            changeset.device.to_string(),
            seq_i64(changeset.seq),
            changeset.hlc.as_slice()
        ])?;
        if was_held {
            // Applied at last: it is no longer held, and no longer a skew to warn about.
            for sql in [
                "DELETE FROM held_changesets WHERE device_id = ?1 AND seq = ?2",
                "DELETE FROM clock_skew_reports WHERE device_id = ?1 AND seq = ?2",
            ] {
                tx.execute(
                    sql,
                    params![changeset.device.to_string(), seq_i64(changeset.seq)],
                )?;
            }
        }
        report.applied += 1;
        report.changes += changeset.changes.len();
    }
    for encounter in touched {
        cells::materialize_signature(&tx, &encounter)?;
    }
    search_index::refresh(&tx, search)?;
    state.last_hlc = clock.last().to_bytes();
    write_device_state(&tx, &state)?;
    if let Some(pulled) = pulled {
        // The cursor moves with the data it covers, or not at all.
        for (seq, reason, body) in &pulled.rejected {
            tx.execute(
                "INSERT OR IGNORE INTO rejected_envelopes (server_seq, reason, body, rejected_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![seq_i64(*seq), reason, body, rfc3339(now)],
            )?;
        }
        tx.execute(
            "UPDATE sync_state SET cursor = max(cursor, ?1) WHERE id = 1",
            params![seq_i64(pulled.next_cursor)],
        )?;
    }
    tx.commit()?;
    Ok(report)
}

fn seq_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn already_applied(tx: &Transaction<'_>, changeset: &Changeset) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM applied_changesets WHERE device_id = ?1 AND seq = ?2")?
        .exists(params![
            changeset.device.to_string(),
            seq_i64(changeset.seq)
        ])?)
}

fn held_changesets(tx: &Transaction<'_>) -> Result<Vec<Changeset>> {
    let mut stmt = tx.prepare("SELECT body FROM held_changesets ORDER BY device_id, seq")?;
    let bodies: Vec<Vec<u8>> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    // A held body was decoded once already; one that no longer decodes stays held.
    Ok(bodies
        .iter()
        .filter_map(|b| Changeset::decode(b).ok())
        .collect())
}

fn hold(
    tx: &Transaction<'_>,
    changeset: &Changeset,
    now: OffsetDateTime,
    remote_ms: u64,
    local_ms: u64,
) -> Result<()> {
    let device = changeset.device.to_string();
    let seq = seq_i64(changeset.seq);
    let remote_ms = i64::try_from(remote_ms).unwrap_or(i64::MAX);
    let local_ms = i64::try_from(local_ms).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT OR IGNORE INTO held_changesets (device_id, seq, reason, body, held_at)
         VALUES (?1, ?2, 'clock too far ahead', ?3, ?4)",
        params![device, seq, changeset.encode(), rfc3339(now)],
    )?;
    tx.execute(
        "INSERT INTO clock_skew_reports (device_id, seq, remote_ms, local_ms, reported_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (device_id, seq) DO UPDATE SET local_ms = excluded.local_ms,
             reported_at = excluded.reported_at",
        params![device, seq, remote_ms, local_ms, rfc3339(now)],
    )?;
    Ok(())
}

fn quarantine(
    tx: &Transaction<'_>,
    changeset: &Changeset,
    index: usize,
    reason: &str,
    change: &Change,
) -> Result<()> {
    let body = postcard::to_allocvec(change).unwrap_or_default();
    tx.execute(
        "INSERT OR IGNORE INTO quarantined_changes (device_id, seq, idx, reason, change)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            changeset.device.to_string(),
            seq_i64(changeset.seq),
            i64::try_from(index).unwrap_or(i64::MAX),
            reason,
            body
        ],
    )?;
    Ok(())
}

/// Applies one change; the inner `Err` is why it was quarantined instead.
fn apply_change(
    conn: &Connection,
    hlc: [u8; 16],
    change: &Change,
    touched: &mut BTreeSet<String>,
    search: &mut Dirty,
) -> Result<Result<(), String>> {
    let Some(table) = schema::table(&change.table) else {
        return Ok(Err(format!("unknown table {:?}", change.table)));
    };
    let row = change.row.to_string();
    match &change.op {
        Op::Insert(values) => {
            let mut known = Vec::with_capacity(values.len());
            let mut unknown = Vec::new();
            for (name, value) in values {
                match table.column(name) {
                    Some(column) if schema::accepts(column.ty, value) => {
                        known.push((column.name, value))
                    }
                    Some(column) => {
                        return Ok(Err(format!(
                            "{}.{} takes {:?}, not {}",
                            table.name,
                            column.name,
                            column.ty,
                            value.type_name()
                        )));
                    }
                    None => unknown.push(name.as_str()),
                }
            }
            if apply_insert(conn, table, &row, &hlc, &known)? {
                search.fresh(&row);
            }
            let noted: Vec<(&str, &Value)> = known.iter().map(|(c, v)| (*c, *v)).collect();
            if let Some(encounter) = cells::encounter_touched(table, &row, &noted) {
                touched.insert(encounter);
            }
            search.note(table.name, &row, &known);
            if !unknown.is_empty() {
                return Ok(Err(format!(
                    "{}: columns this build does not know: {}",
                    table.name,
                    unknown.join(", ")
                )));
            }
        }
        Op::Set {
            column,
            value,
            base,
        } => {
            if table.merge != Merge::LastWriterWins {
                return Ok(Err(format!(
                    "{} rows are append-only facts and are never updated",
                    table.name
                )));
            }
            let Some(spec) = table.column(column) else {
                return Ok(Err(format!("unknown column {}.{column}", table.name)));
            };
            if !schema::accepts(spec.ty, value) {
                return Ok(Err(format!(
                    "{}.{} takes {:?}, not {}",
                    table.name,
                    spec.name,
                    spec.ty,
                    value.type_name()
                )));
            }
            apply_set(
                conn,
                table,
                spec.name,
                &row,
                value,
                base.as_ref().map(<[u8; 16]>::as_slice),
                &hlc,
            )?;
            search.note(table.name, &row, &[(spec.name, value)]);
            if table.name == schema::ENCOUNTERS.name {
                touched.insert(row);
            }
        }
        Op::Delete => {
            if table.merge != Merge::LastWriterWins {
                return Ok(Err(format!(
                    "{} rows are append-only facts and are never deleted",
                    table.name
                )));
            }
            apply_set(
                conn,
                table,
                schema::DELETED,
                &row,
                &Value::Int(1),
                None,
                &hlc,
            )?;
            search.note(table.name, &row, &[(schema::DELETED, &Value::Int(1))]);
            if table.name == schema::ENCOUNTERS.name {
                touched.insert(row);
            }
        }
    }
    Ok(Ok(()))
}

fn apply_insert(
    conn: &Connection,
    table: &'static Table,
    row: &str,
    hlc: &[u8; 16],
    values: &[(&'static str, &Value)],
) -> Result<bool> {
    let inserted = cells::insert(conn, table, row, hlc, values)?;
    if !inserted && table.merge == Merge::LastWriterWins {
        // The row is there: made by updates that arrived first, created by another
        // device under the same derived id, or this very insert seen before. Each
        // column ends with the value of its latest write, so every cell's clock is the
        // latest of all changes that touched it, in whatever order they came.
        let row_hlc = cells::clock(conn, table, row, schema::DELETED)?.row_hlc;
        for (column, value) in values {
            let clock = cells::clock(conn, table, row, column)?;
            match (&row_hlc, &clock.column_hlc) {
                // Partly-known row, column never written: the creation value, whose
                // clock the row's creation clock will carry.
                (None, None) => cells::overwrite(conn, table, column, row, value)?,
                _ if newer(hlc, clock.effective()) => {
                    cells::write(conn, table, column, row, value, hlc)?
                }
                _ => {}
            }
        }
        if row_hlc.is_none() {
            cells::set_row_hlc(conn, table, row, hlc)?;
        }
    }
    for (column, value) in values {
        if table.column(column).is_some_and(|c| c.clinical_text)
            && value.as_text().is_some_and(|t| !t.is_empty())
        {
            cells::record_text(conn, table, row, column, hlc, None, value)?;
        }
    }
    Ok(inserted)
}

fn apply_set(
    conn: &Connection,
    table: &'static Table,
    column: &'static str,
    row: &str,
    value: &Value,
    base: Option<&[u8]>,
    hlc: &[u8; 16],
) -> Result<()> {
    let clock = cells::clock(conn, table, row, column)?;
    if newer(hlc, clock.effective()) {
        cells::write(conn, table, column, row, value, hlc)?;
    }
    if table.column(column).is_some_and(|c| c.clinical_text) {
        cells::record_text(conn, table, row, column, hlc, base, value)?;
    }
    Ok(())
}

/// Local changesets after `since_seq`, in order: what sync pushes.
pub(crate) fn pending_since(
    conn: &Connection,
    since_seq: u64,
    limit: usize,
) -> Result<Vec<Changeset>> {
    let mut stmt = conn
        .prepare_cached("SELECT body FROM local_changesets WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let bodies: Vec<Vec<u8>> = stmt
        .query_map(
            params![seq_i64(since_seq), i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    bodies
        .iter()
        .map(|b| {
            Changeset::decode(b).map_err(|e| {
                crate::Error::Migration(format!("a stored changeset does not decode: {e}"))
            })
        })
        .collect()
}

/// The clock-skew reports, newest first: for the UI's warning.
pub(crate) fn skew_reports(conn: &Connection) -> Result<Vec<SkewReport>> {
    let mut stmt = conn.prepare(
        "SELECT device_id, seq, remote_ms, local_ms FROM clock_skew_reports ORDER BY reported_at DESC",
    )?;
    let reports = stmt
        .query_map([], |r| {
            let device: String = r.get(0)?;
            let remote_ms = u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
            let local_ms = u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0);
            Ok(SkewReport {
                device: Uuid::parse_str(&device).unwrap_or_default(),
                seq: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                remote_ms,
                local_ms,
                ahead_ms: remote_ms.saturating_sub(local_ms),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(reports)
}

/// How many changesets are held for a clock too far ahead.
pub(crate) fn held_count(conn: &Connection) -> Result<u64> {
    let n: Option<i64> = conn
        .query_row("SELECT count(*) FROM held_changesets", [], |r| r.get(0))
        .optional()?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}
