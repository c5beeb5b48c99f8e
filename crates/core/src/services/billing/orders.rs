//! Purchase orders and the stock take: an order to a supplier (drafted by hand or from
//! the reorder list), placed, and received against its lines into lots — a partial
//! delivery leaves the rest due, and an order is received when every line is; a stock
//! take counts many items in one act. Numbers come from this device's own series
//! (`PO-7F3A2C-3`), so two devices ordering offline never collide. Stock-keeping
//! (`ManageStock`) in core; the received quantities are the stock movements' sum.

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vetdesk_billing::money::format_milli;
use vetdesk_billing::numbering;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{PURCHASE_ORDER_LINES, PURCHASE_ORDERS};
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

use super::stock::{CountOutcome, ReceiveInput};

/// A line of an order as it is entered.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderLineInput {
    pub item_id: Uuid,
    pub quantity_milli: i64,
    /// What one unit is expected to cost.
    pub cost_cents: i64,
}

/// A line of an order, with what has come of it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    pub id: Uuid,
    pub item_id: Uuid,
    pub item_name: String,
    pub sku: String,
    pub quantity_milli: i64,
    pub received_milli: i64,
    pub cost_cents: i64,
}

/// An order with its lines.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchaseOrder {
    pub id: Uuid,
    pub number: String,
    pub supplier: String,
    /// `draft`, `ordered`, `part_received`, `received` or `cancelled`.
    pub status: String,
    pub note: String,
    pub created_at: String,
    pub ordered_at: Option<String>,
    pub lines: Vec<OrderLine>,
}

/// A delivery received against an order line, into a lot.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliveryInput {
    pub line_id: Uuid,
    pub lot_number: String,
    pub expires_on: Option<String>,
    pub quantity_milli: i64,
    /// What one unit cost; the order line's when none is given.
    pub cost_cents: Option<i64>,
}

/// An order's status from what was stored and what arrived (pure).
pub fn order_status(stored: &str, lines: &[OrderLine]) -> &'static str {
    match stored {
        "draft" => "draft",
        "cancelled" => "cancelled",
        _ if !lines.is_empty() && lines.iter().all(|l| l.received_milli >= l.quantity_milli) => {
            "received"
        }
        _ if lines.iter().any(|l| l.received_milli > 0) => "part_received",
        _ => "ordered",
    }
}

/// What to order of an item that fell to its reorder level (pure): back up to twice
/// the level, and at least the level itself.
pub fn reorder_quantity(reorder_level_milli: i64, on_hand_milli: i64) -> i64 {
    (2 * reorder_level_milli - on_hand_milli.max(0)).max(reorder_level_milli)
}

impl Tx<'_> {
    /// A new draft order to `supplier`; prints nothing, returns its id.
    pub fn create_purchase_order(
        &mut self,
        supplier: &str,
        note: &str,
        lines: &[OrderLineInput],
    ) -> Result<Uuid> {
        self.actor().require(Permission::ManageStock)?;
        let supplier = validate::text("supplier", supplier, 120, false)?;
        let note = validate::optional_text("note", Some(note), 500, true)?.unwrap_or_default();
        let id = self.new_id();
        let number = self.next_order_number()?;
        self.insert(
            &PURCHASE_ORDERS,
            id,
            vec![
                ("number", Value::Text(number.clone())),
                ("supplier", Value::Text(supplier.clone())),
                ("status", Value::text("draft")),
                ("note", Value::Text(note)),
                ("created_by", Value::Text(self.actor().staff_id.to_string())),
                ("created_at", Value::Text(self.now_text())),
                ("ordered_at", Value::Null),
            ],
        )?;
        for line in lines {
            self.add_order_line(id, line)?;
        }
        self.audit(
            "purchase_order.create",
            "purchase_order",
            &id.to_string(),
            &format!("{number} to {supplier}"),
        )?;
        Ok(id)
    }

    /// A draft order to `supplier` of every item at or below its reorder level; `None`
    /// when nothing needs ordering.
    pub fn purchase_order_from_reorder_list(&mut self, supplier: &str) -> Result<Option<Uuid>> {
        self.actor().require(Permission::ManageStock)?;
        let mut lines = Vec::new();
        for level in self.read().stock_levels()? {
            let reorder = level.item.input.reorder_level_milli;
            if reorder <= 0 || level.on_hand_milli > reorder {
                continue;
            }
            let cost = level.lots.last().map_or(0, |l| l.cost_cents);
            lines.push(OrderLineInput {
                item_id: level.item.id,
                quantity_milli: reorder_quantity(reorder, level.on_hand_milli),
                cost_cents: cost,
            });
        }
        if lines.is_empty() {
            return Ok(None);
        }
        self.create_purchase_order(supplier, "from the reorder list", &lines)
            .map(Some)
    }

    /// Adds a line to a draft order.
    pub fn add_order_line(&mut self, order: Uuid, line: &OrderLineInput) -> Result<Uuid> {
        self.actor().require(Permission::ManageStock)?;
        let status = self.read().stored_order_status(order)?;
        if status != "draft" {
            return Err(Error::NotAllowedNow(format!(
                "this order is {status}: only a draft takes new lines"
            )));
        }
        let item = self.read().catalog_item(line.item_id)?;
        if !item.is_stocked() {
            return Err(Error::invalid(
                "item",
                format!("{} is a service, not stock", item.input.name),
            ));
        }
        if line.quantity_milli <= 0 {
            return Err(Error::invalid("quantity", "must be more than 0"));
        }
        if line.cost_cents < 0 {
            return Err(Error::invalid("cost", "must not be negative"));
        }
        let id = self.new_id();
        self.insert(
            &PURCHASE_ORDER_LINES,
            id,
            vec![
                ("order_id", Value::Text(order.to_string())),
                ("item_id", Value::Text(line.item_id.to_string())),
                ("quantity_milli", Value::Int(line.quantity_milli)),
                ("cost_cents", Value::Int(line.cost_cents)),
            ],
        )?;
        Ok(id)
    }

    /// Sends a draft order: it is now due from the supplier.
    pub fn place_order(&mut self, order: Uuid) -> Result<()> {
        self.actor().require(Permission::ManageStock)?;
        let view = self.read().purchase_order(order)?;
        if view.status != "draft" {
            return Err(Error::NotAllowedNow(format!(
                "this order is {}: only a draft is placed",
                view.status.replace('_', " ")
            )));
        }
        if view.lines.is_empty() {
            return Err(Error::NotAllowedNow(
                "an order with no lines cannot be placed".into(),
            ));
        }
        self.update(
            &PURCHASE_ORDERS,
            order,
            vec![
                ("status", Value::text("ordered")),
                ("ordered_at", Value::Text(self.now_text())),
            ],
        )?;
        self.audit(
            "purchase_order.place",
            "purchase_order",
            &order.to_string(),
            &view.number,
        )
    }

    /// Cancels an order nothing has arrived against.
    pub fn cancel_order(&mut self, order: Uuid, reason: &str) -> Result<()> {
        self.actor().require(Permission::ManageStock)?;
        let view = self.read().purchase_order(order)?;
        if view.lines.iter().any(|l| l.received_milli > 0) || view.status == "cancelled" {
            return Err(Error::NotAllowedNow(format!(
                "this order is {}: only an order nothing has arrived against is cancelled",
                view.status.replace('_', " ")
            )));
        }
        let reason = validate::text("reason", reason, 300, false)?;
        self.update(
            &PURCHASE_ORDERS,
            order,
            vec![("status", Value::text("cancelled"))],
        )?;
        self.audit(
            "purchase_order.cancel",
            "purchase_order",
            &order.to_string(),
            &reason,
        )
    }

    /// Receives a delivery against an order line into a lot; no more than is still
    /// due (a delivery beyond the order is received without it).
    pub fn receive_delivery(&mut self, delivery: &DeliveryInput) -> Result<Uuid> {
        self.actor().require(Permission::ManageStock)?;
        let (order, item_id, cost) = self.read().order_line(delivery.line_id)?;
        let view = self.read().purchase_order(order)?;
        if !matches!(view.status.as_str(), "ordered" | "part_received") {
            return Err(Error::NotAllowedNow(format!(
                "order {} is {}: deliveries are received against placed orders",
                view.number,
                view.status.replace('_', " ")
            )));
        }
        let line = view
            .lines
            .iter()
            .find(|l| l.id == delivery.line_id)
            .ok_or_else(|| Error::not_found("order line", delivery.line_id))?;
        let due = line.quantity_milli - line.received_milli;
        if delivery.quantity_milli > due {
            return Err(Error::invalid(
                "quantity",
                format!(
                    "{} of {} is still due on {}; receive the extra without the order",
                    format_milli(due.max(0)),
                    line.item_name,
                    view.number
                ),
            ));
        }
        self.receive_stock(&ReceiveInput {
            item_id,
            lot_number: delivery.lot_number.clone(),
            expires_on: delivery.expires_on.clone(),
            quantity_milli: delivery.quantity_milli,
            cost_cents: delivery.cost_cents.unwrap_or(cost),
            order_line_id: Some(delivery.line_id),
        })
    }

    /// A stock take: every count in one act (each as `count_stock` does it).
    pub fn stock_take(&mut self, counts: &[(Uuid, i64)], note: &str) -> Result<Vec<CountOutcome>> {
        self.actor().require(Permission::ManageStock)?;
        if counts.is_empty() || counts.len() > 5000 {
            return Err(Error::invalid("counts", "count from 1 to 5,000 items"));
        }
        counts
            .iter()
            .map(|(item, counted)| self.count_stock(*item, None, *counted, note))
            .collect()
    }

    /// `PO-` and this device's register code, numbered one past the highest it has
    /// (kept in `number_series` by triggers, like invoice numbers).
    fn next_order_number(&self) -> Result<String> {
        let prefix = format!("PO-{}", numbering::register_code(self.device()));
        let highest: Option<i64> = self
            .conn()
            .prepare_cached("SELECT last_seq FROM number_series WHERE prefix = ?1")?
            .query_row([format!("{prefix}-")], |r| r.get(0))
            .optional()?;
        let next = u64::try_from(highest.unwrap_or(0).max(0)).unwrap_or(0) + 1;
        Ok(numbering::short_number(&prefix, next))
    }
}

impl Rx<'_> {
    /// Every order, newest first, with its lines.
    pub fn purchase_orders(&self) -> Result<Vec<PurchaseOrder>> {
        self.require(Permission::ViewClinic)?;
        let ids: Vec<String> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM purchase_orders WHERE deleted = 0 ORDER BY created_at DESC, id",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|id| self.purchase_order(crate::stored::id("order id", id)?))
            .collect()
    }

    /// An order by its id or number (`PO-7F3A2C-3`).
    pub fn find_purchase_order(&self, id_or_number: &str) -> Result<Uuid> {
        self.require(Permission::ViewClinic)?;
        let text = id_or_number.trim();
        if let Ok(id) = Uuid::parse_str(text) {
            return Ok(id);
        }
        self.conn()
            .prepare_cached("SELECT id FROM purchase_orders WHERE number = ?1 AND deleted = 0")?
            .query_row([text], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or_else(|| Error::NotFound {
                entity: "purchase order",
                id: text.to_string(),
            })
    }

    /// One order with its lines and what has arrived of each.
    pub fn purchase_order(&self, id: Uuid) -> Result<PurchaseOrder> {
        self.require(Permission::ViewClinic)?;
        let header = self
            .conn()
            .prepare_cached(
                "SELECT number, supplier, status, note, created_at, ordered_at
                 FROM purchase_orders WHERE id = ?1 AND deleted = 0",
            )?
            .query_row([id.to_string()], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .optional()?
            .ok_or_else(|| Error::not_found("purchase order", id))?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT l.id, l.item_id, COALESCE(c.name, ''), COALESCE(c.sku, ''), l.quantity_milli,
                    COALESCE((SELECT SUM(m.quantity_milli) FROM stock_movements m
                              WHERE m.order_line_id = l.id AND m.kind = 'receive'), 0),
                    l.cost_cents
             FROM purchase_order_lines l LEFT JOIN catalog_items c ON c.id = l.item_id
             WHERE l.order_id = ?1 AND l.deleted = 0 ORDER BY c.name, l.id",
        )?;
        let lines: Vec<OrderLine> = stmt
            .query_map([id.to_string()], |r| {
                Ok(OrderLine {
                    id: crate::stored::row_id(r, 0, "order line id")?,
                    item_id: crate::stored::row_id(r, 1, "item id")?,
                    item_name: r.get(2)?,
                    sku: r.get(3)?,
                    quantity_milli: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    received_milli: r.get(5)?,
                    cost_cents: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(PurchaseOrder {
            id,
            number: header.0,
            supplier: header.1,
            status: order_status(&header.2, &lines).to_string(),
            note: header.3,
            created_at: header.4,
            ordered_at: header.5,
            lines,
        })
    }

    /// An order's status as stored (`draft`, `ordered`, `cancelled`).
    fn stored_order_status(&self, order: Uuid) -> Result<String> {
        self.conn()
            .prepare_cached("SELECT status FROM purchase_orders WHERE id = ?1 AND deleted = 0")?
            .query_row([order.to_string()], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten()
            .ok_or_else(|| Error::not_found("purchase order", order))
    }

    /// The order an order line belongs to.
    pub fn purchase_order_of_line(&self, line: Uuid) -> Result<Uuid> {
        self.require(Permission::ViewClinic)?;
        Ok(self.order_line(line)?.0)
    }

    /// An order line's order, item and expected unit cost.
    fn order_line(&self, line: Uuid) -> Result<(Uuid, Uuid, i64)> {
        let found = self
            .conn()
            .prepare_cached(
                "SELECT order_id, item_id, cost_cents FROM purchase_order_lines
                 WHERE id = ?1 AND deleted = 0",
            )?
            .query_row([line.to_string()], |r| {
                Ok((
                    crate::stored::row_id(r, 0, "order id")?,
                    crate::stored::row_id(r, 1, "item id")?,
                    r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                ))
            })
            .optional()?;
        found.ok_or_else(|| Error::not_found("order line", line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i64, received: i64) -> OrderLine {
        OrderLine {
            id: Uuid::nil(),
            item_id: Uuid::nil(),
            item_name: String::new(),
            sku: String::new(),
            quantity_milli: quantity,
            received_milli: received,
            cost_cents: 0,
        }
    }

    #[test]
    fn an_order_is_received_when_every_line_is() {
        assert_eq!(order_status("draft", &[line(5, 0)]), "draft");
        assert_eq!(
            order_status("ordered", &[line(5, 0), line(2, 0)]),
            "ordered"
        );
        assert_eq!(
            order_status("ordered", &[line(5, 3), line(2, 0)]),
            "part_received"
        );
        assert_eq!(
            order_status("ordered", &[line(5, 5), line(2, 2)]),
            "received"
        );
        assert_eq!(order_status("cancelled", &[line(5, 0)]), "cancelled");
    }

    #[test]
    fn the_reorder_quantity_fills_back_to_twice_the_level() {
        assert_eq!(reorder_quantity(20_000, 5_000), 35_000);
        assert_eq!(reorder_quantity(20_000, 20_000), 20_000);
        assert_eq!(reorder_quantity(20_000, -3_000), 40_000);
    }
}
