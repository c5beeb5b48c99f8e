//! The seam between prescribing and billing: a prescription drafts its line on the
//! encounter's invoice (ids derived from the encounter and the prescription, so two
//! devices draft the same rows), and the medication label's text.

use rusqlite::OptionalExtension;
use uuid::Uuid;
use vetdesk_billing::money::format_milli;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::INVOICE_LINES;
use crate::write::Tx;
use crate::{Error, Result};

use super::documents::LineForm;
use super::views::InvoiceView;

/// What a medication label says about its prescription.
pub(super) struct LabelDetails {
    pub(super) patient: Option<String>,
    pub(super) prescriber: Option<String>,
    pub(super) instructions: Option<String>,
    pub(super) directions: String,
}

/// The invoice an encounter's prescriptions are drafted onto: the same on every device.
pub fn encounter_invoice_id(encounter: Uuid) -> Uuid {
    Uuid::new_v5(&encounter, b"invoice")
}

/// The line a prescription is drafted as: the same on every device.
pub fn prescription_line_id(prescription: Uuid) -> Uuid {
    Uuid::new_v5(&prescription, b"invoice-line")
}

impl Tx<'_> {
    /// Drafts a prescription's line on its encounter's invoice when the drug is in the
    /// catalog (by name): the draft reserves the stock until it is finalized.
    pub(crate) fn draft_prescription_line(
        &mut self,
        prescription: Uuid,
        encounter: Uuid,
        drug: &str,
        quantity: f64,
    ) -> Result<Option<Uuid>> {
        let Some(item) = self.read().catalog_item_named(drug)? else {
            return Ok(None);
        };
        let quantity_milli = (quantity * 1000.0).round() as i64;
        if quantity_milli <= 0 {
            return Ok(None);
        }
        let line_id = prescription_line_id(prescription);
        let existing: Option<String> = self
            .conn()
            .prepare_cached("SELECT invoice_id FROM invoice_lines WHERE id = ?1")?
            .query_row([line_id.to_string()], |r| r.get(0))
            .optional()?
            .flatten();
        if existing.is_some() {
            return Ok(Some(line_id));
        }
        // A patient without an owner on record has nobody to bill yet: the prescription
        // stands, and the line is added by hand later.
        let invoice = match self.open_invoice_for(encounter) {
            Ok(invoice) => invoice,
            Err(Error::NotAllowedNow(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.add_invoice_line_as(
            line_id,
            invoice,
            &LineForm {
                item_id: Some(item.id),
                quantity_milli,
                ..Default::default()
            },
            Some(prescription),
        )?;
        Ok(Some(line_id))
    }

    /// The encounter's draft invoice: its derived one while that is a draft, else a
    /// new draft (the visit's first invoice was finalized already).
    pub(super) fn open_invoice_for(&mut self, encounter: Uuid) -> Result<Uuid> {
        let derived = encounter_invoice_id(encounter);
        let found: Option<String> = self
            .conn()
            .prepare_cached("SELECT status FROM invoices WHERE id = ?1 AND deleted = 0")?
            .query_row([derived.to_string()], |r| r.get(0))
            .optional()?
            .flatten();
        if found.as_deref() == Some("draft") {
            return Ok(derived);
        }
        let draft: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM invoices WHERE encounter_id = ?1 AND kind = 'invoice'
                 AND status = 'draft' AND deleted = 0 ORDER BY created_at, id LIMIT 1",
            )?
            .query_row([encounter.to_string()], |r| r.get(0))
            .optional()?;
        if let Some(id) = draft.and_then(|d| Uuid::parse_str(&d).ok()) {
            return Ok(id);
        }
        let (patient, client): (Option<String>, Option<String>) = self
            .conn()
            .prepare_cached(
                "SELECT e.patient_id, (SELECT o.client_id FROM patient_owners o
                    WHERE o.patient_id = e.patient_id AND o.deleted = 0
                    ORDER BY o.is_primary DESC, o.id LIMIT 1)
                 FROM encounters e WHERE e.id = ?1",
            )?
            .query_row([encounter.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let client = crate::stored::optional_id("client id", client.as_deref())?
            .ok_or_else(|| Error::NotAllowedNow("the patient has no owner to bill".into()))?;
        let id = if found.is_none() {
            derived
        } else {
            self.new_id()
        };
        let patient = crate::stored::optional_id("patient id", patient.as_deref())?;
        self.create_invoice_as(id, "invoice", Some(client), patient, Some(encounter))
    }

    /// The visit's draft invoice, made now if there is none (billing the visit).
    pub fn start_visit_invoice(&mut self, encounter: Uuid) -> Result<Uuid> {
        self.actor().require(Permission::Bill)?;
        self.open_invoice_for(encounter)
    }

    /// Follows a prescription's amendment or cancellation on its drafted line.
    pub(crate) fn sync_prescription_line(
        &mut self,
        prescription: Uuid,
        quantity: Option<f64>,
    ) -> Result<()> {
        let line_id = prescription_line_id(prescription);
        let invoice: Option<String> = self
            .conn()
            .prepare_cached("SELECT invoice_id FROM invoice_lines WHERE id = ?1 AND deleted = 0")?
            .query_row([line_id.to_string()], |r| r.get(0))
            .optional()?
            .flatten();
        let Some(invoice) = invoice.and_then(|i| Uuid::parse_str(&i).ok()) else {
            return Ok(());
        };
        if self.read().header(invoice)?.status != "draft" {
            return Ok(());
        }
        match quantity {
            Some(q) if q > 0.0 => {
                self.update(
                    &INVOICE_LINES,
                    line_id,
                    vec![("quantity_milli", Value::Int((q * 1000.0).round() as i64))],
                )?;
            }
            _ => self.delete(&INVOICE_LINES, line_id)?,
        }
        Ok(())
    }
}

impl Rx<'_> {
    /// The medication labels' text of every prescribed line of `invoice`, in the
    /// invoice's order (what the CLI and the app print as labels).
    pub fn label_texts(&self, invoice: &InvoiceView) -> Result<Vec<Vec<String>>> {
        self.require(Permission::Bill)?;
        invoice
            .lines
            .iter()
            .filter(|l| l.prescription_id.is_some())
            .map(|line| self.label_text(line.id))
            .collect()
    }

    /// The text a prescription line's medication label carries: patient, drug,
    /// quantity, directions, prescriber, date.
    pub fn label_text(&self, line: Uuid) -> Result<Vec<String>> {
        self.require(Permission::Bill)?;
        let conn = self.conn();
        let found: Option<(String, i64, Option<String>)> = conn
            .prepare_cached(
                "SELECT description, quantity_milli, prescription_id FROM invoice_lines WHERE id = ?1",
            )?
            .query_row([line.to_string()], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                    r.get(2)?,
                ))
            })
            .optional()?;
        let (description, quantity, prescription) = found.ok_or_else(|| Error::NotFound {
            entity: "invoice line",
            id: line.to_string(),
        })?;
        let mut text = vec![format!("{description} × {}", format_milli(quantity))];
        if let Some(prescription) = prescription {
            // One line of directions: "Give 50 mg oral twice daily".
            let details = conn
                .prepare_cached(
                    "SELECT pa.name, s.name, p.instructions,
                            trim('Give ' || COALESCE(p.dose, '') || ' ' || COALESCE(p.unit, '')
                                 || ' ' || COALESCE(p.route, '') || ' ' || COALESCE(p.frequency, ''))
                     FROM prescriptions p LEFT JOIN patients pa ON pa.id = p.patient_id
                     LEFT JOIN staff s ON s.id = p.prescriber_id WHERE p.id = ?1",
                )?
                .query_row([prescription], |r| {
                    Ok(LabelDetails {
                        patient: r.get(0)?,
                        prescriber: r.get(1)?,
                        instructions: r.get(2)?,
                        directions: r.get(3)?,
                    })
                })
                .optional()?;
            if let Some(LabelDetails {
                patient,
                prescriber,
                instructions,
                directions,
            }) = details
            {
                if let Some(patient) = patient {
                    text.insert(0, format!("For: {patient}"));
                }
                text.push(directions);
                if let Some(instructions) = instructions.filter(|i| !i.is_empty()) {
                    text.push(instructions);
                }
                if let Some(prescriber) = prescriber {
                    text.push(format!("Prescribed by {prescriber}"));
                }
            }
        }
        text.push("For animal treatment only. Keep out of the reach of children.".into());
        Ok(text)
    }
}
