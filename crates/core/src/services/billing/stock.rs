//! Stock as append-only movements (receive, dispense, sell, adjust, write-off,
//! transfer) over lots with expiry: on hand is their sum, never a stored number, so two
//! registers selling the last vial offline both keep their sale. Counts adjust ordinary
//! items; a controlled drug's count is compared with its register instead. Sales take
//! lots first-expiry-first-out (`vetdesk_billing::fefo`).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;
use vetdesk_billing::fefo::{self, LotStock};
use vetdesk_billing::money::format_milli;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{STOCK_COUNTS, STOCK_LOTS, STOCK_MOVEMENTS};
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

use super::catalog::CatalogItem;
use super::movement::Movement;

pub const MOVEMENT_KINDS: [&str; 6] = [
    "receive",
    "dispense",
    "sell",
    "adjust",
    "write_off",
    "transfer",
];

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
    /// The purchase order line this delivery arrived against (`orders`).
    #[cfg_attr(feature = "ts", ts(optional))]
    pub order_line_id: Option<Uuid>,
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

pub(super) fn parse_date(text: Option<String>) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    text.and_then(|t| Date::parse(&t, &format).ok())
}

/// Lots as the first-expiry-first-out picker takes them.
pub(super) fn for_picking(lots: Vec<LotLevel>) -> Vec<LotStock> {
    lots.into_iter()
        .map(|l| LotStock {
            lot_id: l.lot_id,
            expires_on: parse_date(l.expires_on),
            on_hand_milli: l.on_hand_milli,
        })
        .collect()
}

impl Tx<'_> {
    /// Receives stock into the lot of that number (made if new). Returns the lot.
    pub fn receive_stock(&mut self, input: &ReceiveInput) -> Result<Uuid> {
        self.actor().require(Permission::ManageStock)?;
        let item = self.read().catalog_item(input.item_id)?;
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
            order_line_id: input.order_line_id,
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
        let item = self.read().catalog_item(item_id)?;
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
        let item = self.read().catalog_item(item_id)?;
        self.check_lot(item_id, Some(from_lot))?;
        let to_number = validate::text("to_lot", to_lot_number, 60, false)?;
        let reason = validate::text("reason", reason, 300, false)?;
        if quantity_milli <= 0 {
            return Err(Error::invalid("quantity", "must be more than 0"));
        }
        let source = self
            .read()
            .lot_levels(item_id)?
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
    pub(super) fn lot_named(
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

    pub(super) fn check_lot(&self, item_id: Uuid, lot_id: Option<Uuid>) -> Result<()> {
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
        let item = self.read().catalog_item(item_id)?;
        if counted_milli < 0 {
            return Err(Error::invalid("counted", "must not be negative"));
        }
        self.check_lot(item_id, lot_id)?;
        let note = validate::optional_text("note", Some(note), 300, false)?.unwrap_or_default();
        let expected = match (item.is_controlled(), lot_id) {
            (true, _) => self.read().register_balance(item_id)?,
            (false, Some(lot)) => self
                .read()
                .lot_levels(item_id)?
                .iter()
                .find(|l| l.lot_id == lot)
                .map_or(0, |l| l.on_hand_milli),
            (false, None) => self.read().on_hand(item_id)?,
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
    pub(super) fn spread_adjustment(
        &self,
        item_id: Uuid,
        lot_id: Option<Uuid>,
        difference: i64,
    ) -> Result<Vec<(Option<Uuid>, i64)>> {
        if lot_id.is_some() {
            return Ok(vec![(lot_id, difference)]);
        }
        let lots = self.read().lot_levels(item_id)?;
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
        let lots = for_picking(self.read().lot_levels(item.id)?);
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
                order_line_id: None,
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
                ("order_line_id", text(m.order_line_id)),
            ],
        )?;
        if m.item.is_some_and(CatalogItem::is_controlled) {
            self.append_register_entry(m, id)?;
        }
        Ok(id)
    }
}

impl Rx<'_> {
    /// Stock of every stocked item (products and drugs), by name.
    pub fn stock_levels(&self) -> Result<Vec<StockLevel>> {
        self.require(Permission::ViewClinic)?;
        let mut levels = Vec::new();
        for item in self.catalog("")? {
            if !item.is_stocked() {
                continue;
            }
            let on_hand = self.on_hand(item.id)?;
            let reserved = self.reserved(item.id)?;
            levels.push(StockLevel {
                lots: self.lot_levels(item.id)?,
                on_hand_milli: on_hand,
                reserved_milli: reserved,
                available_milli: on_hand - reserved,
                item,
            });
        }
        Ok(levels)
    }
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    /// Each lot of `item` with what it holds (the sum of its movements), oldest first.
    pub(crate) fn lot_levels(&self, item: Uuid) -> Result<Vec<LotLevel>> {
        let conn = self.conn();
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

    /// What `item` holds in all: every movement, with a lot or without (the sums the
    /// `stock_movements_sum` trigger keeps).
    pub(crate) fn on_hand(&self, item: Uuid) -> Result<i64> {
        let conn = self.conn();
        Ok(conn
            .prepare_cached(
                "SELECT COALESCE(SUM(quantity_milli), 0) FROM stock_on_hand WHERE item_id = ?1",
            )?
            .query_row([item.to_string()], |r| r.get(0))?)
    }

    /// What draft invoices hold back of `item` (lines not yet finalized).
    pub(crate) fn reserved(&self, item: Uuid) -> Result<i64> {
        let conn = self.conn();
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
}
