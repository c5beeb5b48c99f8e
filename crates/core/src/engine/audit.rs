//! The audit log: who did what, from which device, when. Each device appends to its own
//! hash chain (event n holds the hash of event n−1) and signs each event, so a changed,
//! removed or reordered event breaks the chain and no other device can add to it
//! (`crate::chains`); devices' chains merge as a set union and are verified apart.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::Result;
use crate::chains::{self, Entry, Signers};
use crate::signing::Chain;

/// The fields an event's hash covers, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields<'a> {
    pub device_id: &'a str,
    pub chain_index: i64,
    pub prev_hash: &'a [u8],
    pub actor_id: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub at: &'a str,
    pub detail: &'a str,
}

/// The event's hash in its device's chain (`chains::entry_hash`).
pub fn event_hash(fields: &EventFields<'_>) -> [u8; 32] {
    use chains::Field::Text;
    chains::entry_hash(
        Chain::Audit,
        fields.device_id,
        fields.chain_index,
        fields.prev_hash,
        &[
            Text(fields.actor_id),
            Text(fields.action),
            Text(fields.entity),
            Text(fields.entity_id),
            Text(fields.at),
            Text(fields.detail),
        ],
    )
}

/// The result of checking every device's chain.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub devices: usize,
    pub events: usize,
    /// Entries whose signer could not be checked: written before chain signatures, or
    /// (in a clinic made before signed changesets) by a device its membership log does
    /// not hold. Their hash chain is still checked.
    pub signer_unchecked: usize,
    pub problems: Vec<ChainProblem>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One break in a chain.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    pub device_id: String,
    pub chain_index: i64,
    pub event_id: String,
    pub problem: String,
}

/// Checks each device's chain (`crate::chains::check`): indexes run 0, 1, 2… with no
/// gap, each event holds its predecessor's hash, each hash matches the event's fields,
/// and each event is signed by its device's key as `signers` knows it.
pub fn verify(conn: &Connection, signers: &Signers) -> Result<Verification> {
    let mut stmt = conn.prepare(
        "SELECT id, device_id, chain_index, prev_hash, hash, actor_id, action, entity,
                entity_id, at, detail, signature
         FROM audit_events ORDER BY device_id, chain_index, id",
    )?;
    chains::check_rows(Chain::Audit, &mut stmt, entry_of, signers)
}

fn entry_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(row.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    let (device_id, actor_id, action, entity, entity_id, at, detail) = (
        text(1)?,
        text(5)?,
        text(6)?,
        text(7)?,
        text(8)?,
        text(9)?,
        text(10)?,
    );
    let chain_index: i64 = row.get::<_, Option<i64>>(2)?.unwrap_or(-1);
    let prev_hash: Vec<u8> = row.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default();
    let recomputed = event_hash(&EventFields {
        device_id: &device_id,
        chain_index,
        prev_hash: &prev_hash,
        actor_id: &actor_id,
        action: &action,
        entity: &entity,
        entity_id: &entity_id,
        at: &at,
        detail: &detail,
    });
    Ok(Entry {
        id: text(0)?,
        device_id,
        chain_index,
        prev_hash,
        hash: row.get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
        recomputed,
        signature: row.get(11)?,
    })
}

/// One audit event as the audit viewer shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub id: String,
    pub device_id: String,
    pub chain_index: i64,
    pub actor_id: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub at: String,
    pub detail: String,
}

/// Which audit events to show (every part optional; all given parts must match).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct AuditFilter {
    /// A staff member's id (the system is the nil id).
    pub actor_id: Option<String>,
    /// `client.` for every client event, `encounter.sign` for one action.
    pub action_prefix: Option<String>,
    /// `client`, `encounter`, `appointment`, …
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// RFC 3339 bounds on the event's time, [from, to).
    pub from: Option<String>,
    pub to: Option<String>,
    /// At most this many, newest first (1–1000).
    pub limit: u32,
}

/// The events matching `filter`, newest first.
pub fn search(conn: &Connection, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
    let prefix = filter
        .action_prefix
        .as_deref()
        .map(|p| format!("{}%", p.replace(['%', '_'], "")));
    let mut stmt = conn.prepare_cached(
        "SELECT id, device_id, chain_index, actor_id, action, entity, entity_id, at, detail
         FROM audit_events
         WHERE (?1 IS NULL OR actor_id = ?1) AND (?2 IS NULL OR action LIKE ?2)
           AND (?3 IS NULL OR entity = ?3) AND (?4 IS NULL OR entity_id = ?4)
           AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6)
         ORDER BY at DESC, id DESC LIMIT ?7",
    )?;
    let events = stmt
        .query_map(
            params![
                filter.actor_id,
                prefix,
                filter.entity,
                filter.entity_id,
                filter.from,
                filter.to,
                filter.limit.clamp(1, 1000)
            ],
            event_of,
        )?
        .collect::<Result<_, _>>()?;
    Ok(events)
}

fn event_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEvent> {
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    Ok(AuditEvent {
        id: text(0)?,
        device_id: text(1)?,
        chain_index: r.get::<_, Option<i64>>(2)?.unwrap_or(-1),
        actor_id: text(3)?,
        action: text(4)?,
        entity: text(5)?,
        entity_id: text(6)?,
        at: text(7)?,
        detail: text(8)?,
    })
}

/// The latest `limit` events, newest first, optionally of one action prefix.
pub fn recent(
    conn: &Connection,
    action_prefix: Option<&str>,
    limit: u32,
) -> Result<Vec<AuditEvent>> {
    let pattern = format!("{}%", action_prefix.unwrap_or("").replace('%', ""));
    let mut stmt = conn.prepare_cached(
        "SELECT id, device_id, chain_index, actor_id, action, entity, entity_id, at, detail
         FROM audit_events WHERE action LIKE ?1 ORDER BY at DESC, id DESC LIMIT ?2",
    )?;
    let events = stmt
        .query_map(params![pattern, limit], event_of)?
        .collect::<Result<_, _>>()?;
    Ok(events)
}

impl crate::Rx<'_> {
    /// Audit events matching `filter` (the audit log viewer); admins only.
    pub fn audit_search(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        self.require(crate::roles::Permission::ViewAudit)?;
        search(self.conn(), filter)
    }

    /// The latest audit events (admins only), optionally of one action prefix.
    pub fn audit_log(&self, action_prefix: Option<&str>, limit: u32) -> Result<Vec<AuditEvent>> {
        self.require(crate::roles::Permission::ViewAudit)?;
        recent(self.conn(), action_prefix, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(action: &str) -> EventFields<'_> {
        EventFields {
            device_id: "d",
            chain_index: 0,
            prev_hash: &chains::GENESIS,
            actor_id: "a",
            action,
            entity: "client",
            entity_id: "c1",
            at: "2026-11-22T10:00:00Z",
            detail: "",
        }
    }

    #[test]
    fn the_hash_covers_every_field_and_their_boundaries() {
        let base = event_hash(&fields("client.create"));
        assert_ne!(base, event_hash(&fields("client.update")));
        // Moving a character from one field to the next changes the hash.
        let shifted = EventFields {
            entity: "clientc",
            entity_id: "1",
            ..fields("client.create")
        };
        assert_ne!(base, event_hash(&shifted));
        assert_eq!(base, event_hash(&fields("client.create")));
    }
}
