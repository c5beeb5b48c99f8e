//! Finalizing a draft: the lines and totals frozen as a canonical JSON snapshot with
//! its SHA-256, the next number of this workstation's own series (registers never
//! collide offline), stock taken and controlled drugs entered in their register. A
//! finalized document is what was printed; later edits elsewhere do not change it.

use rusqlite::OptionalExtension;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use vetdesk_billing::money::format_cents;
use vetdesk_billing::numbering;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{INVOICE_FINALIZATIONS, INVOICES};
use crate::write::Tx;
use crate::{Error, Result};

use super::documents::{Snapshot, high_totals_of, totals_of};

/// What finalizing did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finalized {
    pub number: String,
    pub total_cents: i64,
    /// Lines that came from prescriptions: each gets a medication label.
    pub label_lines: Vec<Uuid>,
    /// Items sold beyond what the lots held (stock went below zero): reconcile.
    pub short: Vec<(Uuid, i64)>,
}

/// Canonical JSON of a snapshot and its SHA-256 (hex).
pub(super) fn seal(snapshot: &Snapshot) -> Result<(String, String)> {
    let json =
        serde_json::to_string(snapshot).map_err(|e| Error::invalid("snapshot", e.to_string()))?;
    let hash = hex::encode(Sha256::digest(json.as_bytes()));
    Ok((json, hash))
}

impl Tx<'_> {
    /// The next number of this register's series for `kind`.
    pub(super) fn next_number(&self, kind: &str) -> Result<(String, String)> {
        let register = numbering::register_code(self.device());
        let prefix = match kind {
            "credit_note" => format!("CN-{register}"),
            "estimate" => format!("E-{register}"),
            _ => register.clone(),
        };
        let number = self.read().next_in_series(&prefix)?;
        Ok((register, number))
    }

    /// Finalizes a draft: totals frozen into its snapshot, the next number of this
    /// register's series, stock taken first-expiry-first-out (controlled drugs into
    /// their register). An estimate is issued with a number and takes no stock.
    pub fn finalize_invoice(&mut self, invoice: Uuid) -> Result<Finalized> {
        self.actor().require(Permission::Bill)?;
        let h = self.require_draft_invoice(invoice)?;
        let lines = self.read().live_lines(invoice)?;
        if lines.is_empty() {
            return Err(Error::NotAllowedNow(
                "an invoice with no lines cannot be finalized".into(),
            ));
        }
        let totals = totals_of(&lines)?;
        let (register, number) = self.next_number(&h.kind)?;
        let mut short = Vec::new();
        let mut label_lines = Vec::new();
        if h.kind == "invoice" {
            for line in &lines {
                if line.prescription_id.is_some() {
                    label_lines.push(line.id);
                }
                let Some(item_id) = line.item_id else {
                    continue;
                };
                let item = self.read().catalog_item(item_id)?;
                if !item.is_stocked() {
                    continue;
                }
                let kind = if line.prescription_id.is_some() || item.input.kind == "drug" {
                    "dispense"
                } else {
                    "sell"
                };
                let (_, missing) = self.take_stock(
                    &item,
                    kind,
                    line.quantity_milli,
                    Some(invoice),
                    Some(line.id),
                    h.patient_id,
                )?;
                if missing > 0 {
                    short.push((item_id, missing));
                }
            }
        }
        let (client_name, client_address) = self.read().client_name(h.client_id)?;
        let snapshot = Snapshot {
            kind: h.kind.clone(),
            number: number.clone(),
            issued_at: self.now_text(),
            client_id: h.client_id,
            client_name,
            client_address,
            patient_name: self.read().name_of("patients", h.patient_id)?,
            vet_name: self.read().name_of("staff", h.vet_id)?,
            high_totals: if h.kind == "estimate" {
                high_totals_of(&lines)?
            } else {
                None
            },
            lines,
            totals: totals.clone(),
        };
        let (json, hash) = seal(&snapshot)?;
        self.update(
            &INVOICES,
            invoice,
            vec![
                ("status", Value::text("finalized")),
                ("register", Value::Text(register)),
                ("number", Value::Text(number.clone())),
                ("finalized_at", Value::Text(snapshot.issued_at.clone())),
                (
                    "finalized_by",
                    Value::Text(self.actor().staff_id.to_string()),
                ),
                ("total_cents", Value::Int(totals.total_cents)),
                ("snapshot", Value::Text(json)),
                ("snapshot_hash", Value::Text(hash)),
            ],
        )?;
        let fact = self.new_id();
        self.insert(
            &INVOICE_FINALIZATIONS,
            fact,
            vec![
                ("invoice_id", Value::Text(invoice.to_string())),
                (
                    "register",
                    Value::Text(numbering::register_code(self.device())),
                ),
                ("number", Value::Text(number.clone())),
                ("total_cents", Value::Int(totals.total_cents)),
                (
                    "finalized_by",
                    Value::Text(self.actor().staff_id.to_string()),
                ),
                ("finalized_at", Value::Text(snapshot.issued_at.clone())),
            ],
        )?;
        self.audit(
            &format!("{}.finalize", h.kind),
            "invoice",
            &invoice.to_string(),
            &format!("{number}: {}", format_cents(totals.total_cents)),
        )?;
        Ok(Finalized {
            number,
            total_cents: totals.total_cents,
            label_lines,
            short,
        })
    }

    pub(super) fn snapshot_of(&self, invoice: Uuid) -> Result<Snapshot> {
        let json: Option<String> = self
            .conn()
            .prepare_cached("SELECT snapshot FROM invoices WHERE id = ?1")?
            .query_row([invoice.to_string()], |r| r.get(0))
            .optional()?
            .flatten();
        json.and_then(|j| serde_json::from_str(&j).ok())
            .ok_or_else(|| Error::NotAllowedNow("this document has no finalized snapshot".into()))
    }
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    /// The next number of the series `prefix`: one more than the highest it has issued
    /// that this store holds (kept by triggers as numbers are written or merged).
    pub(super) fn next_in_series(&self, prefix: &str) -> Result<String> {
        let conn = self.conn();
        let last: Option<i64> = conn
            .prepare_cached("SELECT last_seq FROM number_series WHERE prefix = ?1")?
            .query_row([format!("{prefix}-")], |r| r.get(0))
            .optional()?;
        let next = u64::try_from(last.unwrap_or(0).max(0)).unwrap_or(0) + 1;
        Ok(numbering::number(prefix, next))
    }
}
