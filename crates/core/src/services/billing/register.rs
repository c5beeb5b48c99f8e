//! The controlled-drug register: one entry per movement of a scheduled drug (who,
//! patient, lot, quantity, the running balance the writer saw), chained per device and
//! signed by it through `crate::chains`, like the audit log.

use serde::Serialize;
use uuid::Uuid;

use crate::Result;
use crate::Rx;
use crate::chains;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::CONTROLLED_REGISTER;
use crate::signing::Chain;
use crate::store::Store;
use crate::write::Tx;

use super::movement::Movement;

/// One entry of the controlled-drug register.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterEntry {
    pub id: Uuid,
    pub device_id: String,
    pub chain_index: i64,
    pub item_id: Uuid,
    pub lot_id: Option<Uuid>,
    pub lot_number: Option<String>,
    pub patient_id: Option<Uuid>,
    pub kind: String,
    pub quantity_milli: i64,
    /// The balance the recording device saw after this entry.
    pub balance_milli: i64,
    pub recorded_by: String,
    pub recorded_at: String,
    pub note: String,
}

/// The fields a register entry's hash covers, in order.
pub(crate) struct EntryFields<'a> {
    pub device_id: &'a str,
    pub chain_index: i64,
    pub prev_hash: &'a [u8],
    pub item_id: &'a str,
    pub lot_id: &'a str,
    pub patient_id: &'a str,
    pub movement_id: &'a str,
    pub kind: &'a str,
    pub quantity_milli: i64,
    pub balance_milli: i64,
    pub recorded_by: &'a str,
    pub recorded_at: &'a str,
    pub note: &'a str,
}

/// The entry's hash in its device's register chain (`chains::entry_hash`).
pub(crate) fn register_entry_hash(f: &EntryFields<'_>) -> [u8; 32] {
    use chains::Field::{Int, Text};
    chains::entry_hash(
        Chain::ControlledRegister,
        f.device_id,
        f.chain_index,
        f.prev_hash,
        &[
            Text(f.item_id),
            Text(f.lot_id),
            Text(f.patient_id),
            Text(f.movement_id),
            Text(f.kind),
            Int(f.quantity_milli),
            Int(f.balance_milli),
            Text(f.recorded_by),
            Text(f.recorded_at),
            Text(f.note),
        ],
    )
}

/// A stored register entry, with the hash its fields give now.
pub(super) fn register_entry_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<chains::Entry> {
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(row.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    let device_id = text(1)?;
    let chain_index: i64 = row.get::<_, Option<i64>>(2)?.unwrap_or(-1);
    let prev_hash: Vec<u8> = row.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default();
    let recomputed = register_entry_hash(&EntryFields {
        device_id: &device_id,
        chain_index,
        prev_hash: &prev_hash,
        item_id: &text(5)?,
        lot_id: &text(6)?,
        patient_id: &text(7)?,
        movement_id: &text(8)?,
        kind: &text(9)?,
        quantity_milli: row.get::<_, Option<i64>>(10)?.unwrap_or(0),
        balance_milli: row.get::<_, Option<i64>>(11)?.unwrap_or(0),
        recorded_by: &text(12)?,
        recorded_at: &text(13)?,
        note: &text(14)?,
    });
    Ok(chains::Entry {
        id: text(0)?,
        device_id,
        chain_index,
        prev_hash,
        hash: row.get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
        recomputed,
        signature: row.get(15)?,
    })
}

impl Tx<'_> {
    pub(super) fn append_register_entry(&mut self, m: &Movement<'_>, movement: Uuid) -> Result<()> {
        let device_id = self.device().to_string();
        let chains::Head {
            index: chain_index,
            prev_hash,
        } = chains::head(self.conn(), Chain::ControlledRegister, &device_id)?;
        let balance = self.read().register_balance(m.item_id)? + m.quantity_milli;
        let id = self.new_id();
        let recorded_at = self.now_text();
        let recorded_by = self.actor().staff_id.to_string();
        let (item_id, lot_id, patient_id, movement_id) = (
            m.item_id.to_string(),
            m.lot_id.map(|l| l.to_string()).unwrap_or_default(),
            m.patient_id.map(|p| p.to_string()).unwrap_or_default(),
            movement.to_string(),
        );
        let hash = register_entry_hash(&EntryFields {
            device_id: &device_id,
            chain_index,
            prev_hash: &prev_hash,
            item_id: &item_id,
            lot_id: &lot_id,
            patient_id: &patient_id,
            movement_id: &movement_id,
            kind: m.kind,
            quantity_milli: m.quantity_milli,
            balance_milli: balance,
            recorded_by: &recorded_by,
            recorded_at: &recorded_at,
            note: &m.reason,
        });
        let or_null = |s: String| {
            if s.is_empty() {
                Value::Null
            } else {
                Value::Text(s)
            }
        };
        self.insert(
            &CONTROLLED_REGISTER,
            id,
            vec![
                ("device_id", Value::Text(device_id)),
                ("chain_index", Value::Int(chain_index)),
                ("prev_hash", Value::Blob(prev_hash)),
                ("hash", Value::Blob(hash.to_vec())),
                ("item_id", Value::Text(item_id)),
                ("lot_id", or_null(lot_id)),
                ("patient_id", or_null(patient_id)),
                ("movement_id", Value::Text(movement_id)),
                ("kind", Value::text(m.kind)),
                ("quantity_milli", Value::Int(m.quantity_milli)),
                ("balance_milli", Value::Int(balance)),
                ("recorded_by", Value::Text(recorded_by)),
                ("recorded_at", Value::Text(recorded_at)),
                ("note", Value::Text(m.reason.clone())),
                (
                    "signature",
                    Value::Blob(self.sign_chain_entry(Chain::ControlledRegister, &hash)),
                ),
            ],
        )
    }
}

impl Rx<'_> {
    /// The controlled-drug register, oldest entry first (all drugs, or one). Needs a
    /// role that may dispense controlled drugs or manage the clinic.
    pub fn controlled_register(&self, item: Option<Uuid>) -> Result<Vec<RegisterEntry>> {
        self.require_any(&[Permission::ManageClinic, Permission::DispenseControlled])?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT r.id, r.device_id, r.chain_index, r.item_id, r.lot_id, l.lot_number,
                    r.patient_id, r.kind, r.quantity_milli, r.balance_milli,
                    COALESCE(s.name, r.recorded_by), r.recorded_at, r.note
             FROM controlled_register r
             LEFT JOIN stock_lots l ON l.id = r.lot_id
             LEFT JOIN staff s ON s.id = r.recorded_by
             WHERE ?1 IS NULL OR r.item_id = ?1
             ORDER BY r.recorded_at, r.device_id, r.chain_index",
        )?;
        let rows = stmt.query_map([item.map(|i| i.to_string())], |row| {
            Ok(RegisterEntry {
                id: crate::stored::row_optional_id(row, 0, "id")?.unwrap_or_default(),
                device_id: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                chain_index: row.get::<_, Option<i64>>(2)?.unwrap_or(0),
                item_id: crate::stored::row_optional_id(row, 3, "item id")?.unwrap_or_default(),
                lot_id: crate::stored::row_optional_id(row, 4, "lot id")?,
                lot_number: row.get(5)?,
                patient_id: crate::stored::row_optional_id(row, 6, "patient id")?,
                kind: row.get::<_, Option<String>>(7)?.unwrap_or_default(),
                quantity_milli: row.get::<_, Option<i64>>(8)?.unwrap_or(0),
                balance_milli: row.get::<_, Option<i64>>(9)?.unwrap_or(0),
                recorded_by: row.get::<_, Option<String>>(10)?.unwrap_or_default(),
                recorded_at: row.get::<_, Option<String>>(11)?.unwrap_or_default(),
                note: row.get::<_, Option<String>>(12)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// Checks every device's chain of register entries and their signatures, as the
    /// audit log's is checked (`crate::chains`).
    pub fn verify_controlled_register(&self) -> Result<crate::audit::Verification> {
        let signers = self.chain_signers()?;
        let mut stmt = self.conn().prepare(
            "SELECT id, device_id, chain_index, prev_hash, hash, item_id, lot_id, patient_id,
                    movement_id, kind, quantity_milli, balance_milli, recorded_by, recorded_at,
                    note, signature
             FROM controlled_register ORDER BY device_id, chain_index, id",
        )?;
        chains::check_rows(
            Chain::ControlledRegister,
            &mut stmt,
            register_entry_of,
            &signers,
        )
    }
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    /// The controlled-drug register's balance for `item`: the sum of its entries (kept by
    /// the `controlled_register_sum` trigger; the tests compare it with the entries).
    pub(crate) fn register_balance(&self, item: Uuid) -> Result<i64> {
        let conn = self.conn();
        Ok(conn
            .prepare_cached(
                "SELECT COALESCE(SUM(quantity_milli), 0) FROM controlled_balance WHERE item_id = ?1",
            )?
            .query_row([item.to_string()], |r| r.get(0))?)
    }
}
