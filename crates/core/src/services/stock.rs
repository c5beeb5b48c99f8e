//! The catalog (products, services, drugs with their prices, VAT rates, controlled
//! schedules, reorder levels and species dose ranges), stock lots, and stock movements.
//!
//! Stock on hand is never a stored number that two devices could overwrite: it is the
//! sum of append-only movements (receive, dispense, sell, adjust, write-off, transfer),
//! so two registers that both sell the last vial offline both keep their sale and the
//! merged stock is −1 — shown as a reconciliation alert. Every movement of a scheduled
//! drug also writes an entry in the controlled-drug register: who, which patient,
//! which lot, how much, and the running balance, chained per device by SHA-256 and
//! signed by the device, like the audit log (`crate::chains`). A count that disagrees with the register raises a discrepancy alert
//! (for other items a count adjusts the stock to what was counted).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;
use vetdesk_billing::fefo::{self, LotStock};
use vetdesk_billing::money::{format_milli, validate_line};

use crate::Rx;
use crate::chains;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{
    CATALOG_ITEMS, CONTROLLED_REGISTER, STOCK_COUNTS, STOCK_LOTS, STOCK_MOVEMENTS,
};
use crate::signing::Chain;
use crate::store::Store;
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

pub const KINDS: [&str; 3] = ["service", "product", "drug"];
pub const SCHEDULES: [&str; 4] = ["2", "3", "4", "5"];
pub const MOVEMENT_KINDS: [&str; 6] = [
    "receive",
    "dispense",
    "sell",
    "adjust",
    "write_off",
    "transfer",
];

/// A drug's usual dose for a species, mg per kg.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoseRange {
    pub species: String,
    pub min_mg_per_kg: f64,
    pub max_mg_per_kg: f64,
}

/// A product, service or drug as it is entered.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogItemInput {
    pub sku: String,
    pub name: String,
    /// `service`, `product` or `drug`.
    pub kind: String,
    pub unit: String,
    pub price_cents: i64,
    pub vat_rate_bp: i64,
    /// Controlled-drug schedule `2`–`5`; drugs only.
    pub schedule: Option<String>,
    pub reorder_level_milli: i64,
    pub dose_ranges: Vec<DoseRange>,
}

/// A catalog entry as stored.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogItem {
    pub id: Uuid,
    #[serde(flatten)]
    pub input: CatalogItemInput,
}

impl CatalogItem {
    pub fn is_stocked(&self) -> bool {
        self.input.kind != "service"
    }

    pub fn is_controlled(&self) -> bool {
        self.input.schedule.is_some()
    }
}

/// Stock arriving: into the lot of that number (made if new).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReceiveInput {
    pub item_id: Uuid,
    pub lot_number: String,
    /// `YYYY-MM-DD`, or none for stock that does not expire.
    pub expires_on: Option<String>,
    pub quantity_milli: i64,
    /// What one unit cost.
    pub cost_cents: i64,
}

/// One lot and what it holds.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotLevel {
    pub lot_id: Uuid,
    pub lot_number: String,
    /// `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    pub cost_cents: i64,
    pub on_hand_milli: i64,
}

/// An item's stock: on hand (the sum of its movements), reserved by draft invoices,
/// and what is free to sell.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockLevel {
    pub item: CatalogItem,
    pub on_hand_milli: i64,
    pub reserved_milli: i64,
    pub available_milli: i64,
    pub lots: Vec<LotLevel>,
}

/// Something about stock that needs a person.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StockAlert {
    /// Below zero: more was sold or dispensed than was there (two registers offline, or
    /// stock never received): count it and reconcile.
    Reconcile {
        item_id: Uuid,
        item: String,
        on_hand_milli: i64,
    },
    /// At or below its reorder level.
    Reorder {
        item_id: Uuid,
        item: String,
        on_hand_milli: i64,
        reorder_level_milli: i64,
    },
    /// A lot with stock that expires within 30 days (or has expired).
    Expiring {
        item_id: Uuid,
        item: String,
        lot_number: String,
        /// `YYYY-MM-DD`.
        expires_on: String,
        on_hand_milli: i64,
    },
    /// One document finalized on two registers offline: its stock was taken twice
    /// and it holds two numbers until an admin settles it.
    FinalizedTwice {
        invoice_id: Uuid,
        numbers: Vec<String>,
    },
    /// A controlled drug's count disagreed with its register's balance.
    Discrepancy {
        item_id: Uuid,
        item: String,
        counted_milli: i64,
        register_milli: i64,
        counted_at: String,
    },
}

/// What a count found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountOutcome {
    pub count_id: Uuid,
    pub expected_milli: i64,
    pub counted_milli: i64,
    /// The stock was adjusted to the count (items that are not controlled).
    pub adjusted: bool,
    /// A controlled drug's count disagreed with its register: an alert, no adjustment.
    pub discrepancy: bool,
}

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

/// A movement to record.
#[derive(Debug, Clone, Default)]
pub(crate) struct Movement<'a> {
    pub item: Option<&'a CatalogItem>,
    pub item_id: Uuid,
    pub lot_id: Option<Uuid>,
    pub kind: &'static str,
    pub quantity_milli: i64,
    pub invoice_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub reason: String,
}

/// Checks a catalog entry; returns its columns.
fn item_values(input: &CatalogItemInput) -> Result<Vec<(&'static str, Value)>> {
    let sku = validate::text("sku", &input.sku, 40, false)?;
    let name = validate::text("name", &input.name, 200, false)?;
    let kind = validate::one_of("kind", &input.kind, &KINDS)?;
    let unit = validate::text("unit", &input.unit, 30, false)?;
    validate_line(&vetdesk_billing::money::LineInput {
        quantity_milli: 1000,
        unit_price_cents: input.price_cents,
        vat_rate_bp: input.vat_rate_bp,
        discount_bp: 0,
    })
    .map_err(|e| match Error::from(e) {
        Error::Invalid {
            field: "unit_price",
            message,
        } => Error::invalid("price", message),
        other => other,
    })?;
    let schedule = match input.schedule.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => {
            if kind != "drug" {
                return Err(Error::invalid("schedule", "only drugs can be controlled"));
            }
            Some(validate::one_of("schedule", s, &SCHEDULES)?)
        }
    };
    if input.reorder_level_milli < 0 {
        return Err(Error::invalid("reorder_level", "must not be negative"));
    }
    for range in &input.dose_ranges {
        validate::text("dose_ranges", &range.species, 40, false)?;
        let ok = range.min_mg_per_kg.is_finite()
            && range.max_mg_per_kg.is_finite()
            && range.min_mg_per_kg > 0.0
            && range.min_mg_per_kg <= range.max_mg_per_kg;
        if !ok {
            return Err(Error::invalid(
                "dose_ranges",
                format!(
                    "{}: the range must run from more than 0 up to at least its minimum",
                    range.species
                ),
            ));
        }
    }
    if !input.dose_ranges.is_empty() && kind != "drug" {
        return Err(Error::invalid("dose_ranges", "only drugs have dose ranges"));
    }
    let ranges = serde_json::to_string(&input.dose_ranges)
        .map_err(|e| Error::invalid("dose_ranges", e.to_string()))?;
    Ok(vec![
        ("sku", Value::Text(sku)),
        ("name", Value::Text(name)),
        ("kind", Value::text(kind)),
        ("unit", Value::Text(unit)),
        ("price_cents", Value::Int(input.price_cents)),
        ("vat_rate_bp", Value::Int(input.vat_rate_bp)),
        ("schedule", schedule.map_or(Value::Null, Value::text)),
        ("reorder_level_milli", Value::Int(input.reorder_level_milli)),
        ("dose_ranges", Value::Text(ranges)),
    ])
}

const ITEM_COLUMNS: &str = "id, sku, name, kind, unit, price_cents, vat_rate_bp, schedule, reorder_level_milli, dose_ranges";

fn item_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CatalogItem> {
    let ranges: Option<String> = row.get(9)?;
    Ok(CatalogItem {
        id: crate::stored::row_id(row, 0, "catalog item id")?,
        input: CatalogItemInput {
            sku: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
            name: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            kind: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
            unit: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
            price_cents: row.get::<_, Option<i64>>(5)?.unwrap_or(0),
            vat_rate_bp: row.get::<_, Option<i64>>(6)?.unwrap_or(0),
            schedule: row.get(7)?,
            reorder_level_milli: row.get::<_, Option<i64>>(8)?.unwrap_or(0),
            dose_ranges: ranges
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or_default(),
        },
    })
}

/// The live catalog entry `id`.
pub(crate) fn catalog_item(conn: &rusqlite::Connection, id: Uuid) -> Result<CatalogItem> {
    conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM catalog_items WHERE id = ?1 AND deleted = 0"
    ))?
    .query_row([id.to_string()], item_from_row)
    .optional()?
    .ok_or_else(|| Error::NotFound {
        entity: "catalog item",
        id: id.to_string(),
    })
}

/// The live catalog entry whose name is `name` (any case), if exactly one is.
pub(crate) fn catalog_item_named(
    conn: &rusqlite::Connection,
    name: &str,
) -> Result<Option<CatalogItem>> {
    let found: Vec<CatalogItem> = conn
        .prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM catalog_items
             WHERE lower(name) = lower(?1) AND deleted = 0 LIMIT 2"
        ))?
        .query_map([name.trim()], item_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(if found.len() == 1 {
        found.into_iter().next()
    } else {
        None
    })
}

fn parse_date(text: Option<String>) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    text.and_then(|t| Date::parse(&t, &format).ok())
}

/// Each lot of `item` with what it holds (the sum of its movements), oldest first.
pub(crate) fn lot_levels(conn: &rusqlite::Connection, item: Uuid) -> Result<Vec<LotLevel>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.id, l.lot_number, l.expires_on, l.cost_cents, COALESCE(h.quantity_milli, 0)
         FROM stock_lots l
         LEFT JOIN stock_on_hand h ON h.item_id = l.item_id AND h.lot_id = l.id
         WHERE l.item_id = ?1 AND l.deleted = 0
         ORDER BY l.received_at, l.id",
    )?;
    let rows = stmt.query_map([item.to_string()], |row| {
        Ok(LotLevel {
            lot_id: crate::stored::row_optional_id(row, 0, "lot id")?.unwrap_or_default(),
            lot_number: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
            expires_on: row.get(2)?,
            cost_cents: row.get::<_, Option<i64>>(3)?.unwrap_or(0),
            on_hand_milli: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Lots as the first-expiry-first-out picker takes them.
fn for_picking(lots: Vec<LotLevel>) -> Vec<LotStock> {
    lots.into_iter()
        .map(|l| LotStock {
            lot_id: l.lot_id,
            expires_on: parse_date(l.expires_on),
            on_hand_milli: l.on_hand_milli,
        })
        .collect()
}

/// What `item` holds in all: every movement, with a lot or without (the sums the
/// `stock_movements_sum` trigger keeps).
pub(crate) fn on_hand(conn: &rusqlite::Connection, item: Uuid) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(quantity_milli), 0) FROM stock_on_hand WHERE item_id = ?1",
        )?
        .query_row([item.to_string()], |r| r.get(0))?)
}

/// What draft invoices hold back of `item` (lines not yet finalized).
pub(crate) fn reserved(conn: &rusqlite::Connection, item: Uuid) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            // From the (few) drafts to their lines, not from a year of the item's lines.
            "SELECT COALESCE(SUM(l.quantity_milli), 0)
             FROM invoices i CROSS JOIN invoice_lines l
             WHERE i.status = 'draft' AND i.kind = 'invoice' AND i.deleted = 0
               AND l.invoice_id = i.id AND l.item_id = ?1 AND l.deleted = 0",
        )?
        .query_row([item.to_string()], |r| r.get(0))?)
}

/// The controlled-drug register's balance for `item`: the sum of its entries (kept by
/// the `controlled_register_sum` trigger; the tests compare it with the entries).
pub(crate) fn register_balance(conn: &rusqlite::Connection, item: Uuid) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(quantity_milli), 0) FROM controlled_balance WHERE item_id = ?1",
        )?
        .query_row([item.to_string()], |r| r.get(0))?)
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
fn register_entry_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<chains::Entry> {
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
    /// Adds a product, service or drug (admins).
    pub fn add_catalog_item(&mut self, input: &CatalogItemInput) -> Result<Uuid> {
        self.actor().require(Permission::ManageCatalog)?;
        let values = item_values(input)?;
        let duplicate: bool = self
            .conn()
            .prepare_cached("SELECT 1 FROM catalog_items WHERE sku = ?1 AND deleted = 0")?
            .exists([input.sku.trim()])?;
        if duplicate {
            return Err(Error::invalid(
                "sku",
                format!("{} is already in the catalog", input.sku.trim()),
            ));
        }
        let id = self.new_id();
        self.insert(&CATALOG_ITEMS, id, values)?;
        self.audit(
            "catalog.add",
            "catalog_item",
            &id.to_string(),
            input.name.trim(),
        )?;
        Ok(id)
    }

    /// Changes a catalog entry (admins); only the columns that differ are written.
    pub fn update_catalog_item(&mut self, id: Uuid, input: &CatalogItemInput) -> Result<()> {
        self.actor().require(Permission::ManageCatalog)?;
        catalog_item(self.conn(), id)?;
        let values = item_values(input)?;
        let changed = self.update(&CATALOG_ITEMS, id, values)?;
        if changed > 0 {
            self.audit(
                "catalog.update",
                "catalog_item",
                &id.to_string(),
                input.name.trim(),
            )?;
        }
        Ok(())
    }

    /// Receives stock into the lot of that number (made if new). Returns the lot.
    pub fn receive_stock(&mut self, input: &ReceiveInput) -> Result<Uuid> {
        self.actor().require(Permission::ManageStock)?;
        let item = catalog_item(self.conn(), input.item_id)?;
        if !item.is_stocked() {
            return Err(Error::invalid(
                "item",
                format!("{} is a service, not stock", item.input.name),
            ));
        }
        let lot_number = validate::text("lot_number", &input.lot_number, 60, false)?;
        if input.quantity_milli <= 0 {
            return Err(Error::invalid("quantity", "must be more than 0"));
        }
        if input.cost_cents < 0 {
            return Err(Error::invalid("cost", "must not be negative"));
        }
        let expires = match input.expires_on.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(validate::date_text(validate::date(
                "expires_on",
                text,
                self.now().date(),
                false,
            )?)),
        };
        let lot = self.lot_named(item.id, &lot_number, expires, input.cost_cents)?;
        self.record_movement(&Movement {
            item: Some(&item),
            item_id: item.id,
            lot_id: Some(lot),
            kind: "receive",
            quantity_milli: input.quantity_milli,
            reason: format!("lot {lot_number}"),
            ..Default::default()
        })?;
        self.audit(
            "stock.receive",
            "stock_lot",
            &lot.to_string(),
            &format!(
                "{} × {}",
                format_milli(input.quantity_milli),
                item.input.name
            ),
        )?;
        Ok(lot)
    }

    /// Takes stock out or puts it back outside a sale — an adjustment or a write-off
    /// (expired, broken) — with the reason required.
    pub fn adjust_stock(
        &mut self,
        item_id: Uuid,
        lot_id: Option<Uuid>,
        kind: &str,
        quantity_milli: i64,
        reason: &str,
    ) -> Result<Uuid> {
        self.actor().require(Permission::ManageStock)?;
        let item = catalog_item(self.conn(), item_id)?;
        let kind = validate::one_of("kind", kind, &["adjust", "write_off"])?;
        let reason = validate::text("reason", reason, 300, false)?;
        if quantity_milli == 0 || (kind == "write_off" && quantity_milli > 0) {
            return Err(Error::invalid(
                "quantity",
                "an adjustment is not 0, and a write-off takes stock out (negative)",
            ));
        }
        self.check_lot(item_id, lot_id)?;
        let movement = self.record_movement(&Movement {
            item: Some(&item),
            item_id,
            lot_id,
            kind,
            quantity_milli,
            reason: reason.clone(),
            ..Default::default()
        })?;
        self.audit(
            &format!("stock.{kind}"),
            "catalog_item",
            &item_id.to_string(),
            &format!("{}: {reason}", format_milli(quantity_milli)),
        )?;
        Ok(movement)
    }

    /// Moves stock from one lot to another lot of the same item — another shelf or
    /// site labelled `to_lot_number`, made if new with the source's expiry and cost.
    /// Two movements, out and in; on hand of the item is unchanged. Returns the lot.
    pub fn transfer_stock(
        &mut self,
        item_id: Uuid,
        from_lot: Uuid,
        to_lot_number: &str,
        quantity_milli: i64,
        reason: &str,
    ) -> Result<Uuid> {
        self.actor().require(Permission::ManageStock)?;
        let item = catalog_item(self.conn(), item_id)?;
        self.check_lot(item_id, Some(from_lot))?;
        let to_number = validate::text("to_lot", to_lot_number, 60, false)?;
        let reason = validate::text("reason", reason, 300, false)?;
        if quantity_milli <= 0 {
            return Err(Error::invalid("quantity", "must be more than 0"));
        }
        let source = lot_levels(self.conn(), item_id)?
            .into_iter()
            .find(|l| l.lot_id == from_lot)
            .ok_or_else(|| Error::invalid("lot", "not a lot of this item"))?;
        if source.lot_number == to_number {
            return Err(Error::invalid("to_lot", "a transfer goes to another lot"));
        }
        let to_lot = self.lot_named(
            item_id,
            &to_number,
            source.expires_on.clone(),
            source.cost_cents,
        )?;
        for (lot, quantity) in [(from_lot, -quantity_milli), (to_lot, quantity_milli)] {
            self.record_movement(&Movement {
                item: Some(&item),
                item_id,
                lot_id: Some(lot),
                kind: "transfer",
                quantity_milli: quantity,
                reason: reason.clone(),
                ..Default::default()
            })?;
        }
        self.audit(
            "stock.transfer",
            "catalog_item",
            &item_id.to_string(),
            &format!(
                "{} from {} to {to_number}: {reason}",
                format_milli(quantity_milli),
                source.lot_number
            ),
        )?;
        Ok(to_lot)
    }

    /// The item's lot of that number, made (with its expiry and unit cost) if new.
    fn lot_named(
        &mut self,
        item_id: Uuid,
        number: &str,
        expires_on: Option<String>,
        cost_cents: i64,
    ) -> Result<Uuid> {
        let existing: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM stock_lots WHERE item_id = ?1 AND lot_number = ?2 AND deleted = 0",
            )?
            .query_row(params![item_id.to_string(), number], |r| r.get(0))
            .optional()?;
        if let Some(lot) = existing.and_then(|s| Uuid::parse_str(&s).ok()) {
            return Ok(lot);
        }
        let lot = self.new_id();
        let received_at = self.now_text();
        self.insert(
            &STOCK_LOTS,
            lot,
            vec![
                ("item_id", Value::Text(item_id.to_string())),
                ("lot_number", Value::text(number)),
                ("expires_on", expires_on.map_or(Value::Null, Value::Text)),
                ("cost_cents", Value::Int(cost_cents)),
                ("received_at", Value::Text(received_at)),
            ],
        )?;
        Ok(lot)
    }

    fn check_lot(&self, item_id: Uuid, lot_id: Option<Uuid>) -> Result<()> {
        if let Some(lot) = lot_id {
            let belongs: bool = self
                .conn()
                .prepare_cached(
                    "SELECT 1 FROM stock_lots WHERE id = ?1 AND item_id = ?2 AND deleted = 0",
                )?
                .exists(params![lot.to_string(), item_id.to_string()])?;
            if !belongs {
                return Err(Error::invalid(
                    "lot",
                    format!("lot {lot} is not a lot of this item"),
                ));
            }
        }
        Ok(())
    }

    /// Records a count of `item` (one lot, or all of it). Items that are not controlled
    /// are adjusted to the count; a controlled drug's count is compared with its
    /// register and a difference is a discrepancy to investigate, not adjusted.
    pub fn count_stock(
        &mut self,
        item_id: Uuid,
        lot_id: Option<Uuid>,
        counted_milli: i64,
        note: &str,
    ) -> Result<CountOutcome> {
        self.actor().require(Permission::ManageStock)?;
        let item = catalog_item(self.conn(), item_id)?;
        if counted_milli < 0 {
            return Err(Error::invalid("counted", "must not be negative"));
        }
        self.check_lot(item_id, lot_id)?;
        let note = validate::optional_text("note", Some(note), 300, false)?.unwrap_or_default();
        let expected = match (item.is_controlled(), lot_id) {
            (true, _) => register_balance(self.conn(), item_id)?,
            (false, Some(lot)) => lot_levels(self.conn(), item_id)?
                .iter()
                .find(|l| l.lot_id == lot)
                .map_or(0, |l| l.on_hand_milli),
            (false, None) => on_hand(self.conn(), item_id)?,
        };
        let count_id = self.new_id();
        let counted_at = self.now_text();
        let counted_by = self.actor().staff_id.to_string();
        self.insert(
            &STOCK_COUNTS,
            count_id,
            vec![
                ("item_id", Value::Text(item_id.to_string())),
                (
                    "lot_id",
                    lot_id.map_or(Value::Null, |l| Value::Text(l.to_string())),
                ),
                ("counted_milli", Value::Int(counted_milli)),
                ("expected_milli", Value::Int(expected)),
                ("counted_by", Value::Text(counted_by)),
                ("counted_at", Value::Text(counted_at)),
                ("note", Value::Text(note.clone())),
            ],
        )?;
        let difference = counted_milli - expected;
        let adjusted = difference != 0 && !item.is_controlled();
        if adjusted {
            let reason = format!(
                "count: {}",
                if note.is_empty() {
                    "stock count"
                } else {
                    &note
                }
            );
            for (lot, quantity) in self.spread_adjustment(item_id, lot_id, difference)? {
                self.record_movement(&Movement {
                    item: Some(&item),
                    item_id,
                    lot_id: lot,
                    kind: "adjust",
                    quantity_milli: quantity,
                    reason: reason.clone(),
                    ..Default::default()
                })?;
            }
        }
        let discrepancy = difference != 0 && item.is_controlled();
        self.audit(
            if discrepancy {
                "stock.count_discrepancy"
            } else {
                "stock.count"
            },
            "catalog_item",
            &item_id.to_string(),
            &format!(
                "counted {}, expected {}",
                format_milli(counted_milli),
                format_milli(expected)
            ),
        )?;
        Ok(CountOutcome {
            count_id,
            expected_milli: expected,
            counted_milli,
            adjusted,
            discrepancy,
        })
    }

    /// Which lots a whole-item count's difference belongs to: a shortfall comes out of
    /// the lots first expiry first, a surplus goes into the lot expiring last.
    fn spread_adjustment(
        &self,
        item_id: Uuid,
        lot_id: Option<Uuid>,
        difference: i64,
    ) -> Result<Vec<(Option<Uuid>, i64)>> {
        if lot_id.is_some() {
            return Ok(vec![(lot_id, difference)]);
        }
        let lots = lot_levels(self.conn(), item_id)?;
        if difference > 0 {
            let last = lots
                .iter()
                .max_by_key(|l| (l.expires_on.is_none(), l.expires_on.clone()))
                .map(|l| l.lot_id);
            return Ok(vec![(last, difference)]);
        }
        let stock = for_picking(lots);
        // What was not found may be missing from any lot, expired or not.
        let picking = fefo::pick(&stock, -difference, Date::MIN);
        Ok(picking
            .picks
            .into_iter()
            .map(|p| (p.lot_id, -p.quantity_milli))
            .collect())
    }

    /// Sells or dispenses `quantity_milli` of `item`, first expiry first; the shortfall
    /// (if the lots hold less) still goes out, taking stock below zero. Returns the
    /// movements written and how much was short.
    pub(crate) fn take_stock(
        &mut self,
        item: &CatalogItem,
        kind: &'static str,
        quantity_milli: i64,
        invoice_id: Option<Uuid>,
        line_id: Option<Uuid>,
        patient_id: Option<Uuid>,
    ) -> Result<(Vec<Uuid>, i64)> {
        if item.is_controlled() {
            self.actor().require(Permission::DispenseControlled)?;
        }
        let lots = for_picking(lot_levels(self.conn(), item.id)?);
        let picking = fefo::pick(&lots, quantity_milli, self.now().date());
        let mut movements = Vec::new();
        for pick in picking.picks {
            movements.push(self.record_movement(&Movement {
                item: Some(item),
                item_id: item.id,
                lot_id: pick.lot_id,
                kind,
                quantity_milli: -pick.quantity_milli,
                invoice_id,
                line_id,
                patient_id,
                reason: String::new(),
            })?);
        }
        Ok((movements, picking.short_milli))
    }

    /// Appends a movement (and, for a controlled drug, its register entry).
    pub(crate) fn record_movement(&mut self, m: &Movement<'_>) -> Result<Uuid> {
        let id = self.new_id();
        let moved_at = self.now_text();
        let moved_by = self.actor().staff_id.to_string();
        let device = self.device().to_string();
        let text = |v: Option<Uuid>| v.map_or(Value::Null, |u| Value::Text(u.to_string()));
        self.insert(
            &STOCK_MOVEMENTS,
            id,
            vec![
                ("item_id", Value::Text(m.item_id.to_string())),
                ("lot_id", text(m.lot_id)),
                ("kind", Value::text(m.kind)),
                ("quantity_milli", Value::Int(m.quantity_milli)),
                ("invoice_id", text(m.invoice_id)),
                ("line_id", text(m.line_id)),
                ("patient_id", text(m.patient_id)),
                ("reason", Value::Text(m.reason.clone())),
                ("moved_by", Value::Text(moved_by)),
                ("moved_at", Value::Text(moved_at)),
                ("device_id", Value::Text(device)),
            ],
        )?;
        if m.item.is_some_and(CatalogItem::is_controlled) {
            self.append_register_entry(m, id)?;
        }
        Ok(id)
    }

    fn append_register_entry(&mut self, m: &Movement<'_>, movement: Uuid) -> Result<()> {
        let device_id = self.device().to_string();
        let chains::Head {
            index: chain_index,
            prev_hash,
        } = chains::head(self.conn(), Chain::ControlledRegister, &device_id)?;
        let balance = register_balance(self.conn(), m.item_id)? + m.quantity_milli;
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
    /// The live catalog, by name; `query` filters by name or SKU (any case).
    pub fn catalog(&self, query: &str) -> Result<Vec<CatalogItem>> {
        self.require(Permission::ViewClinic)?;
        let pattern = format!("%{}%", query.trim().to_lowercase());
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM catalog_items
             WHERE deleted = 0 AND (lower(name) LIKE ?1 OR lower(sku) LIKE ?1)
             ORDER BY lower(name), id"
        ))?;
        let rows = stmt.query_map([pattern], item_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn catalog_item(&self, id: Uuid) -> Result<CatalogItem> {
        self.require(Permission::ViewClinic)?;
        catalog_item(self.conn(), id)
    }

    /// A catalog entry by its id or SKU.
    pub fn find_catalog_item(&self, id_or_sku: &str) -> Result<CatalogItem> {
        self.require(Permission::ViewClinic)?;
        let text = id_or_sku.trim();
        if let Ok(id) = Uuid::parse_str(text) {
            return catalog_item(self.conn(), id);
        }
        self.conn()
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM catalog_items WHERE sku = ?1 AND deleted = 0"
            ))?
            .query_row([text], item_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound {
                entity: "catalog item",
                id: text.to_string(),
            })
    }

    /// Stock of every stocked item (products and drugs), by name.
    pub fn stock_levels(&self) -> Result<Vec<StockLevel>> {
        self.require(Permission::ViewClinic)?;
        let mut levels = Vec::new();
        for item in self.catalog("")? {
            if !item.is_stocked() {
                continue;
            }
            let on_hand = on_hand(self.conn(), item.id)?;
            let reserved = reserved(self.conn(), item.id)?;
            levels.push(StockLevel {
                lots: lot_levels(self.conn(), item.id)?,
                on_hand_milli: on_hand,
                reserved_milli: reserved,
                available_milli: on_hand - reserved,
                item,
            });
        }
        Ok(levels)
    }

    /// Everything about stock that needs a person on `today`: documents finalized on two
    /// registers, stock below zero, at or below the reorder level, lots expiring within
    /// 30 days, and controlled-drug counts that disagreed with the register (the
    /// latest count of each drug).
    pub fn stock_alerts(&self, today: Date) -> Result<Vec<StockAlert>> {
        self.require(Permission::ViewClinic)?;
        let mut alerts: Vec<StockAlert> = crate::services::invoices::finalized_twice(self.conn())?
            .into_iter()
            .map(|(invoice_id, numbers)| StockAlert::FinalizedTwice {
                invoice_id,
                numbers,
            })
            .collect();
        let soon = today + time::Duration::days(30);
        for level in self.stock_levels()? {
            let (item_id, name) = (level.item.id, level.item.input.name.clone());
            if level.on_hand_milli < 0 {
                alerts.push(StockAlert::Reconcile {
                    item_id,
                    item: name.clone(),
                    on_hand_milli: level.on_hand_milli,
                });
            } else if level.on_hand_milli <= level.item.input.reorder_level_milli {
                alerts.push(StockAlert::Reorder {
                    item_id,
                    item: name.clone(),
                    on_hand_milli: level.on_hand_milli,
                    reorder_level_milli: level.item.input.reorder_level_milli,
                });
            }
            for lot in &level.lots {
                if let Some(expires_on) = parse_date(lot.expires_on.clone())
                    && expires_on <= soon
                    && lot.on_hand_milli > 0
                {
                    alerts.push(StockAlert::Expiring {
                        item_id,
                        item: name.clone(),
                        lot_number: lot.lot_number.clone(),
                        expires_on: validate::date_text(expires_on),
                        on_hand_milli: lot.on_hand_milli,
                    });
                }
            }
            if level.item.is_controlled() {
                let latest: Option<(i64, i64, String)> = self
                    .conn()
                    .prepare_cached(
                        "SELECT counted_milli, expected_milli, counted_at FROM stock_counts
                         WHERE item_id = ?1 ORDER BY counted_at DESC, id DESC LIMIT 1",
                    )?
                    .query_row([item_id.to_string()], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                if let Some((counted, expected, counted_at)) = latest
                    && counted != expected
                {
                    alerts.push(StockAlert::Discrepancy {
                        item_id,
                        item: name,
                        counted_milli: counted,
                        register_milli: expected,
                        counted_at,
                    });
                }
            }
        }
        Ok(alerts)
    }

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
