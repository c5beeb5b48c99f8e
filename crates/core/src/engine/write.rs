//! [`Tx`]: one local write transaction. Every service call runs inside one; it writes
//! the domain rows, their change records (grouped into changesets with a gap-free
//! per-device seq), the audit event and the persisted clock together, or nothing.

use std::collections::BTreeSet;
use std::sync::Arc;

use rusqlite::{Connection, Transaction, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::audit::{self, EventFields};
use crate::authority::{self, Checker, Write};
use crate::cells;
use crate::changes::{Change, Changeset, Op, Value};
use crate::engine::derived::Derived;
use crate::hlc::{Clock, Hlc};
use crate::roles::Actor;
use crate::schema::{self, Merge, Table};
use crate::signing::{Chain, DeviceSigner};
use crate::sources::{IdSource, unix_ms};
use crate::{Error, Result};

/// Changes per changeset: a large transaction (an import) becomes several changesets,
/// so none outgrows a sync message.
pub const MAX_CHANGES_PER_CHANGESET: usize = 1000;

/// This device's persisted counters, read at the start of a transaction.
#[derive(Debug, Clone)]
pub(crate) struct DeviceState {
    pub last_hlc: [u8; 16],
    pub next_seq: u64,
    /// The server's clock minus ours at the last pull (see [`physical_ms`]).
    pub server_offset_ms: i64,
}

pub(crate) fn read_device_state(conn: &Connection) -> Result<DeviceState> {
    Ok(conn.query_row(
        "SELECT last_hlc, next_seq, server_offset_ms FROM device_state WHERE id = 1",
        [],
        |r| {
            let last: Vec<u8> = r.get(0)?;
            let mut last_hlc = [0u8; 16];
            if last.len() == 16 {
                last_hlc.copy_from_slice(&last);
            }
            Ok(DeviceState {
                last_hlc,
                next_seq: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(1),
                server_offset_ms: r.get(2)?,
            })
        },
    )?)
}

pub(crate) fn write_device_state(conn: &Connection, state: &DeviceState) -> Result<()> {
    conn.execute(
        "UPDATE device_state SET last_hlc = ?1, next_seq = ?2 WHERE id = 1",
        params![
            state.last_hlc.as_slice(),
            i64::try_from(state.next_seq).unwrap_or(i64::MAX),
        ],
    )?;
    Ok(())
}

/// The HLC node of a device: the random low half of its UUIDv7.
pub fn node_of(device: Uuid) -> u64 {
    let bytes = device.as_bytes();
    let mut node = [0u8; 8];
    node.copy_from_slice(&bytes[8..]);
    u64::from_be_bytes(node)
}

/// The device's clock, resumed from what was persisted.
pub(crate) fn clock_of(device: Uuid, state: &DeviceState) -> Clock {
    if state.last_hlc == [0; 16] {
        Clock::new(node_of(device))
    } else {
        Clock::resume(Hlc::from_bytes(state.last_hlc))
    }
}

pub fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

pub fn wall_ms(time: OffsetDateTime) -> u64 {
    u64::try_from(unix_ms(time)).unwrap_or(0)
}

/// The physical time this device's clock (HLC) goes by: the wall clock, corrected by
/// the server's when the last pull found them more than the clock bound apart. So a
/// device whose clock runs hours fast, once it has talked to the server, does not stamp
/// its edits in the future (where they would beat every later edit made elsewhere);
/// small differences are left to the HLC. Pure.
pub fn physical_ms(now: OffsetDateTime, server_offset_ms: i64) -> u64 {
    let wall = unix_ms(now);
    let corrected = if server_offset_ms.unsigned_abs() > crate::hlc::DEFAULT_MAX_REMOTE_AHEAD_MS {
        wall.saturating_add(server_offset_ms)
    } else {
        wall
    };
    u64::try_from(corrected).unwrap_or(0)
}

/// Refuses locally what every other device would refuse to merge (`schema::check_value`),
/// so an honest device never writes a change the others set aside.
fn check_locally(
    table: &'static Table,
    values: &[(&'static str, &Value)],
    maker: (Uuid, Uuid),
) -> Result<()> {
    schema::check_insert(table, values).map_err(|message| Error::Invalid {
        field: "row",
        message,
    })?;
    for (name, value) in values {
        if let Some(spec) = table.column(name) {
            check_cell(table, spec, value, maker)?;
        }
    }
    Ok(())
}

/// One value, as every other device will check it when it merges; `maker` is the
/// author and this device.
fn check_cell(
    table: &Table,
    spec: &schema::Column,
    value: &Value,
    (author, device): (Uuid, Uuid),
) -> Result<()> {
    schema::check_value(table, spec, value)
        .and_then(|()| schema::check_maker(table, spec, value, Some(author), device))
        .map_err(|message| Error::Invalid {
            field: spec.name,
            message,
        })
}

/// One write transaction on behalf of one staff member.
#[derive(Debug)]
pub struct Tx<'s> {
    tx: Transaction<'s>,
    actor: Actor,
    device: Uuid,
    hlc: Hlc,
    now: OffsetDateTime,
    ids: &'s mut IdSource,
    state: DeviceState,
    changes: Vec<Change>,
    touched_encounters: BTreeSet<String>,
    derived: Derived,
    /// Every write is checked as every other device will check it when it merges
    /// (`crate::authority`), once the clinic's founding is certified.
    enforce_authority: bool,
    authority: Checker,
    /// Signs this device's audit events and register entries (`crate::chains`).
    signer: Arc<DeviceSigner>,
}

impl<'s> Tx<'s> {
    pub(crate) fn begin(
        tx: Transaction<'s>,
        actor: &Actor,
        device: Uuid,
        now: OffsetDateTime,
        ids: &'s mut IdSource,
        signer: Arc<DeviceSigner>,
    ) -> Result<Self> {
        let state = read_device_state(&tx)?;
        let mut clock = clock_of(device, &state);
        let hlc = clock.tick(physical_ms(now, state.server_offset_ms))?;
        let enforce_authority = authority::enforced(&tx)?;
        Ok(Self {
            tx,
            actor: actor.clone(),
            device,
            hlc,
            now,
            ids,
            state,
            changes: Vec::new(),
            touched_encounters: BTreeSet::new(),
            derived: Derived::default(),
            enforce_authority,
            authority: Checker::default(),
            signer,
        })
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Acts for someone else from here on (the demo generator plays every role). The
    /// changes so far close their changeset first: each changeset has one author.
    pub(crate) fn switch_actor(&mut self, actor: &Actor) -> Result<()> {
        self.flush()?;
        self.actor = actor.clone();
        // A later clock for the new author: roles given earlier in this transaction
        // are theirs by the time they act (authority goes by the clock of the change).
        let mut clock = Clock::resume(self.hlc);
        self.hlc = clock.tick(physical_ms(self.now, self.state.server_offset_ms))?;
        Ok(())
    }

    /// Refuses a write its author may not make, as every device will when it merges
    /// it; notes a staff change in the role history.
    fn check_authority(
        &mut self,
        table: &'static Table,
        row: Uuid,
        write: Write<'_>,
    ) -> Result<()> {
        if self.enforce_authority {
            let author = (self.actor.staff_id, self.device, &self.hlc.to_bytes());
            if self
                .authority
                .check(&self.tx, author, table, row, write)?
                .is_err()
            {
                let action = match authority::need(table, write) {
                    authority::Need::AnyOf(p) | authority::Need::SelfOr(p) => p[0].as_str(),
                    authority::Need::Anyone => "write this",
                };
                return Err(Error::Forbidden {
                    action,
                    roles: self.actor.roles.to_stored(),
                });
            }
        }
        self.authority
            .note(&self.tx, table, row, &self.hlc.to_bytes(), write)
    }

    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    pub fn now_text(&self) -> String {
        rfc3339(self.now)
    }

    pub fn hlc(&self) -> Hlc {
        self.hlc
    }

    pub fn device(&self) -> Uuid {
        self.device
    }

    /// A new row id.
    pub fn new_id(&mut self) -> Uuid {
        self.ids.next(self.now)
    }

    /// For reads inside the transaction.
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    /// Inserts a new row: a last-writer-wins row's creation, or an append-only fact.
    pub fn insert(
        &mut self,
        table: &'static Table,
        id: Uuid,
        mut values: Vec<(&'static str, Value)>,
    ) -> Result<()> {
        if table.merge == Merge::LastWriterWins {
            // A creation names every column, so each cell's clock is the creation's
            // until a later write, on every device.
            for column in table.columns {
                if !values.iter().any(|(c, _)| *c == column.name) {
                    let empty = if column.name == schema::DELETED {
                        Value::Int(0)
                    } else {
                        Value::Null
                    };
                    values.push((column.name, empty));
                }
            }
        }
        let row = id.to_string();
        let hlc = self.hlc.to_bytes();
        let bound: Vec<(&'static str, &Value)> = values.iter().map(|(c, v)| (*c, v)).collect();
        check_locally(table, &bound, (self.actor.staff_id, self.device))?;
        self.check_authority(table, id, Write::Insert(&bound))?;
        if !cells::insert(&self.tx, table, &row, &hlc, &bound)? {
            return Err(Error::Invalid {
                field: "id",
                message: format!("a {} row with id {row} already exists", table.name),
            });
        }
        for (column, value) in &values {
            let spec = table.column(column);
            if spec.is_some_and(|c| c.clinical_text)
                && value.as_text().is_some_and(|t| !t.is_empty())
            {
                cells::record_text(&self.tx, table, &row, column, &hlc, None, value)?;
            }
        }
        let noted: Vec<(&str, &Value)> = values.iter().map(|(c, v)| (*c, v)).collect();
        self.derived.fresh(&row);
        self.derived.note(table.name, &row, &noted);
        if let Some(encounter) = cells::encounter_touched(table, &row, &noted) {
            self.touched_encounters.insert(encounter);
        }
        self.push(Change {
            table: table.name.into(),
            row: id,
            op: Op::Insert(
                values
                    .into_iter()
                    .map(|(c, v)| (c.to_string(), v))
                    .collect(),
            ),
        })
    }

    /// Sets one column of a last-writer-wins row.
    pub fn set(
        &mut self,
        table: &'static Table,
        id: Uuid,
        column: &'static str,
        value: Value,
    ) -> Result<()> {
        debug_assert_eq!(table.merge, Merge::LastWriterWins, "{}", table.name);
        if let Some(spec) = table.column(column) {
            check_cell(table, spec, &value, (self.actor.staff_id, self.device))?;
        }
        let write = if column == schema::DELETED && value == Value::Int(1) {
            Write::Delete
        } else {
            Write::Set {
                column,
                value: &value,
            }
        };
        self.check_authority(table, id, write)?;
        let row = id.to_string();
        let hlc = self.hlc.to_bytes();
        let clock = cells::clock(&self.tx, table, &row, column)?;
        if !clock.row_exists() {
            return Err(Error::NotFound {
                entity: table.name,
                id: row,
            });
        }
        // The value this author was looking at; for a second write to the same cell in
        // one transaction, the value before the transaction.
        let base: Option<Vec<u8>> = match clock.effective() {
            Some(current) if current == hlc.as_slice() => {
                cells::recorded_base(&self.tx, table, &row, column, &hlc)?
            }
            other => other.map(<[u8]>::to_vec),
        };
        cells::write(&self.tx, table, (column, &clock), &row, &value, &hlc)?;
        if table.column(column).is_some_and(|c| c.clinical_text) {
            cells::record_text(&self.tx, table, &row, column, &hlc, base.as_deref(), &value)?;
        }
        self.derived.note(table.name, &row, &[(column, &value)]);
        if table.name == schema::ENCOUNTERS.name {
            self.touched_encounters.insert(row);
        }
        let base = base.and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok());
        let op = if column == schema::DELETED && value == Value::Int(1) {
            Op::Delete
        } else {
            Op::Set {
                column: column.to_string(),
                value,
                base,
            }
        };
        self.push(Change {
            table: table.name.into(),
            row: id,
            op,
        })
    }

    /// Sets each column whose value differs from the stored one; returns how many changed.
    pub fn update(
        &mut self,
        table: &'static Table,
        id: Uuid,
        values: Vec<(&'static str, Value)>,
    ) -> Result<usize> {
        let current = self.current_values(table, id, &values)?;
        let mut changed = 0;
        for ((column, value), stored) in values.into_iter().zip(current) {
            if stored != value {
                self.set(table, id, column, value)?;
                changed += 1;
            }
        }
        Ok(changed)
    }

    fn current_values(
        &self,
        table: &'static Table,
        id: Uuid,
        values: &[(&'static str, Value)],
    ) -> Result<Vec<Value>> {
        let columns: Vec<&'static str> = values.iter().map(|(c, _)| *c).collect();
        let (sql, _) = sea_query::Query::select()
            .columns(columns.iter().copied())
            .from(table.name)
            .and_where(sea_query::ExprTrait::eq(
                sea_query::Expr::col("id"),
                id.to_string(),
            ))
            .build(sea_query::SqliteQueryBuilder);
        let row = self
            .tx
            .prepare_cached(&sql)?
            .query_row([id.to_string()], |r| {
                (0..columns.len())
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
            });
        match row {
            Ok(values) => Ok(values),
            Err(rusqlite::Error::QueryReturnedNoRows) => Err(Error::NotFound {
                entity: table.name,
                id: id.to_string(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The tombstone: the row is hidden everywhere, by the same last-writer-wins rule.
    pub fn delete(&mut self, table: &'static Table, id: Uuid) -> Result<()> {
        self.set(table, id, schema::DELETED, Value::Int(1))
    }

    /// This device's signature over its entry of `chain` whose hash is `hash`.
    pub(crate) fn sign_chain_entry(&self, chain: Chain, hash: &[u8]) -> Vec<u8> {
        self.signer.sign_chain_entry(chain, hash).to_vec()
    }

    /// Appends an event to this device's audit chain, signed, in this transaction.
    pub fn audit(
        &mut self,
        action: &str,
        entity: &str,
        entity_id: &str,
        detail: &str,
    ) -> Result<()> {
        let id = self.new_id();
        let device_id = self.device.to_string();
        let at = self.now_text();
        let actor_id = self.actor.staff_id.to_string();
        let crate::chains::Head {
            index: chain_index,
            prev_hash,
        } = crate::chains::head(self.conn(), Chain::Audit, &device_id)?;
        let hash = audit::event_hash(&EventFields {
            device_id: &device_id,
            chain_index,
            prev_hash: &prev_hash,
            actor_id: &actor_id,
            action,
            entity,
            entity_id,
            at: &at,
            detail,
        });
        self.insert(
            &schema::AUDIT_EVENTS,
            id,
            vec![
                ("device_id", Value::Text(device_id)),
                ("chain_index", Value::Int(chain_index)),
                ("prev_hash", Value::Blob(prev_hash)),
                ("hash", Value::Blob(hash.to_vec())),
                ("actor_id", Value::Text(actor_id)),
                ("action", Value::text(action)),
                ("entity", Value::text(entity)),
                ("entity_id", Value::text(entity_id)),
                ("at", Value::Text(at)),
                ("detail", Value::text(detail)),
                (
                    "signature",
                    Value::Blob(self.sign_chain_entry(Chain::Audit, &hash)),
                ),
            ],
        )
    }

    fn push(&mut self, change: Change) -> Result<()> {
        self.changes.push(change);
        if self.changes.len() >= MAX_CHANGES_PER_CHANGESET {
            self.flush()?;
        }
        Ok(())
    }

    /// Seals the changes so far into the next changeset.
    fn flush(&mut self) -> Result<()> {
        if self.changes.is_empty() {
            return Ok(());
        }
        let changeset = Changeset {
            device: self.device,
            seq: self.state.next_seq,
            schema_version: *crate::SCHEMA_VERSION,
            hlc: self.hlc.to_bytes(),
            author: Some(self.actor.staff_id),
            changes: std::mem::take(&mut self.changes),
        };
        self.tx
            .prepare_cached("INSERT INTO local_changesets (seq, hlc, body) VALUES (?1, ?2, ?3)")?
            .execute(params![
                i64::try_from(changeset.seq).unwrap_or(i64::MAX),
                changeset.hlc.as_slice(),
                changeset.encode()
            ])?;
        self.state.next_seq += 1;
        Ok(())
    }

    /// Makes everything durable at once: rows, changesets, clock, audit chain head.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.flush()?;
        for encounter in std::mem::take(&mut self.touched_encounters) {
            cells::materialize_signature(&self.tx, &encounter)?;
        }
        std::mem::take(&mut self.derived).refresh(&self.tx)?;
        self.state.last_hlc = self.hlc.to_bytes();
        write_device_state(&self.tx, &self.state)?;
        self.tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_goes_by_the_servers_time_only_when_ours_is_hours_off() {
        let now = OffsetDateTime::from_unix_timestamp(1_795_338_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let wall = wall_ms(now);
        const HOUR: i64 = 3_600_000;
        // (server minus ours, the physical time used)
        let cases = [
            (0, wall),
            (30 * 60_000, wall),
            (-HOUR, wall),
            (-20 * HOUR, wall - 20 * 3_600_000),
            (2 * HOUR, wall + 2 * 3_600_000),
        ];
        for (offset, expected) in cases {
            assert_eq!(physical_ms(now, offset), expected, "offset {offset}");
        }
    }
}
