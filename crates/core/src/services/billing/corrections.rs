//! Voids and credit notes (admins, audited): a void returns the stock a document
//! took; a credit note is a document of its own that may restock.

use uuid::Uuid;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{INVOICE_LINES, INVOICES};
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

use super::movement::Movement;

/// One sale or dispensing of a document, as stock movements record it.
pub(super) struct TakenStock {
    pub(super) item_id: Uuid,
    pub(super) lot_id: Option<Uuid>,
    pub(super) quantity_milli: i64,
    pub(super) patient_id: Option<Uuid>,
    /// The device that took it.
    pub(super) device: String,
}

impl Tx<'_> {
    /// Voids a finalized invoice nothing has been paid on (admins): the stock it took
    /// goes back, its number stays used.
    pub fn void_invoice(&mut self, invoice: Uuid, reason: &str) -> Result<()> {
        self.actor().require(Permission::VoidAndRefund)?;
        let h = self.read().header(invoice)?;
        let reason = validate::text("reason", reason, 300, false)?;
        let paid: i64 = self
            .read()
            .payments_of(invoice)?
            .iter()
            .map(|p| p.amount_cents)
            .sum();
        if paid != 0 {
            return Err(Error::NotAllowedNow(
                "refund its payments first, or issue a credit note".into(),
            ));
        }
        if h.status == "void" {
            return Ok(());
        }
        if h.status == "finalized" {
            self.return_stock_of(invoice, &format!("void: {reason}"))?;
        }
        self.update(
            &INVOICES,
            invoice,
            vec![
                ("status", Value::text("void")),
                ("void_reason", Value::Text(reason.clone())),
            ],
        )?;
        self.audit("invoice.void", "invoice", &invoice.to_string(), &reason)
    }

    /// Puts back what `invoice` took from stock.
    pub(super) fn return_stock_of(&mut self, invoice: Uuid, reason: &str) -> Result<()> {
        for taken in self.read().stock_taken_by(invoice)? {
            self.give_back(invoice, &taken, reason)?;
        }
        Ok(())
    }

    /// An adjustment that returns one movement's stock.
    pub(super) fn give_back(
        &mut self,
        invoice: Uuid,
        taken: &TakenStock,
        reason: &str,
    ) -> Result<()> {
        let item = self.read().catalog_item(taken.item_id)?;
        self.record_movement(&Movement {
            item: Some(&item),
            item_id: taken.item_id,
            lot_id: taken.lot_id,
            kind: "adjust",
            quantity_milli: -taken.quantity_milli,
            invoice_id: Some(invoice),
            patient_id: taken.patient_id,
            reason: reason.to_string(),
            ..Default::default()
        })?;
        Ok(())
    }

    /// Issues a finalized credit note for a finalized invoice, in full (admins): the
    /// client's balance falls by its total; with `restock`, the goods go back to stock.
    pub fn credit_invoice(&mut self, invoice: Uuid, reason: &str, restock: bool) -> Result<Uuid> {
        self.actor().require(Permission::VoidAndRefund)?;
        let h = self.read().header(invoice)?;
        if h.kind != "invoice" || h.status != "finalized" {
            return Err(Error::NotAllowedNow(
                "only a finalized invoice can be credited".into(),
            ));
        }
        let reason = validate::text("reason", reason, 300, false)?;
        let already: bool = self
            .conn()
            .prepare_cached(
                "SELECT 1 FROM invoices WHERE source_id = ?1 AND kind = 'credit_note' AND deleted = 0",
            )?
            .exists([invoice.to_string()])?;
        if already {
            return Err(Error::NotAllowedNow(
                "this invoice has been credited already".into(),
            ));
        }
        let original = self.snapshot_of(invoice)?;
        let note = self.new_id();
        let created_at = self.now_text();
        let opt = |v: Option<Uuid>| v.map_or(Value::Null, |u| Value::Text(u.to_string()));
        self.insert(
            &INVOICES,
            note,
            vec![
                ("kind", Value::text("credit_note")),
                ("status", Value::text("draft")),
                ("client_id", opt(h.client_id)),
                ("patient_id", opt(h.patient_id)),
                ("encounter_id", opt(h.encounter_id)),
                ("vet_id", opt(h.vet_id)),
                ("source_id", Value::Text(invoice.to_string())),
                ("created_at", Value::Text(created_at)),
                (
                    "note",
                    Value::Text(format!("{}: {reason}", original.number)),
                ),
            ],
        )?;
        for (position, line) in original.lines.iter().enumerate() {
            let id = self.new_id();
            self.insert(
                &INVOICE_LINES,
                id,
                vec![
                    ("invoice_id", Value::Text(note.to_string())),
                    ("position", Value::Int(position as i64 + 1)),
                    ("item_id", opt(line.item_id)),
                    ("description", Value::Text(line.description.clone())),
                    ("quantity_milli", Value::Int(-line.quantity_milli)),
                    ("unit_price_cents", Value::Int(line.unit_price_cents)),
                    ("vat_rate_bp", Value::Int(line.vat_rate_bp)),
                    ("discount_bp", Value::Int(line.discount_bp)),
                    ("added_by", Value::Text(self.actor().staff_id.to_string())),
                ],
            )?;
        }
        if restock {
            self.return_stock_of(invoice, &format!("credited: {reason}"))?;
        }
        self.finalize_invoice(note)?;
        Ok(note)
    }
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    pub(super) fn stock_taken_by(&self, invoice: Uuid) -> Result<Vec<TakenStock>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT item_id, lot_id, quantity_milli, patient_id, device_id FROM stock_movements
             WHERE invoice_id = ?1 AND kind IN ('sell', 'dispense')",
        )?;
        let rows = stmt.query_map([invoice.to_string()], |r| {
            Ok(TakenStock {
                item_id: crate::stored::row_optional_id(r, 0, "item id")?.unwrap_or_default(),
                lot_id: crate::stored::row_optional_id(r, 1, "lot id")?,
                quantity_milli: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                patient_id: crate::stored::row_optional_id(r, 3, "patient id")?,
                device: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
