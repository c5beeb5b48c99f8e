//! Estimates, invoices and credit notes while they are drafts: the header, the
//! lines (per-column last-writer-wins, so two devices editing one draft offline merge
//! line by line) and their totals from `vetdesk_billing::money`.

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vetdesk_billing::money::{self, LineInput, Totals};

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{INVOICE_LINES, INVOICES};
use crate::services::clients::exists;
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

use super::catalog::CatalogItem;

pub const DOCUMENT_KINDS: [&str; 3] = ["estimate", "invoice", "credit_note"];

/// A line as it is entered: from the catalog (price, VAT and description default to
/// the item's), or free text with its own price.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LineForm {
    pub item_id: Option<Uuid>,
    pub description: Option<String>,
    pub quantity_milli: i64,
    pub unit_price_cents: Option<i64>,
    pub vat_rate_bp: Option<i64>,
    pub discount_bp: i64,
    /// An estimate's line may give a range: this is its high end (the quantity the
    /// low one).
    #[cfg_attr(feature = "ts", ts(optional))]
    pub quantity_high_milli: Option<i64>,
}

/// A line with what it comes to.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub id: Uuid,
    pub position: i64,
    pub item_id: Option<Uuid>,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_cents: i64,
    pub vat_rate_bp: i64,
    pub discount_bp: i64,
    pub prescription_id: Option<Uuid>,
    /// An estimate line's high end ("one to three radiographs"); absent otherwise, so a
    /// snapshot without ranges reads and hashes as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub quantity_high_milli: Option<i64>,
    pub gross_cents: i64,
    pub discount_cents: i64,
    pub net_cents: i64,
}

/// What a finalized document froze: this is what was printed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub kind: String,
    pub number: String,
    pub issued_at: String,
    /// `None` for a counter sale to a walk-in.
    pub client_id: Option<Uuid>,
    pub client_name: String,
    pub client_address: Option<String>,
    pub patient_name: Option<String>,
    pub vet_name: Option<String>,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
    /// An estimate with ranges: what it comes to at the high ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub high_totals: Option<Totals>,
}

/// Where a document stands.
pub(super) struct Header {
    pub(super) kind: String,
    pub(super) status: String,
    /// `None` only for a counter sale to a walk-in.
    pub(super) client_id: Option<Uuid>,
    pub(super) patient_id: Option<Uuid>,
    pub(super) encounter_id: Option<Uuid>,
    pub(super) vet_id: Option<Uuid>,
}

pub(super) fn totals_of(lines: &[InvoiceLine]) -> Result<Totals> {
    let inputs: Vec<LineInput> = lines
        .iter()
        .map(|l| LineInput {
            quantity_milli: l.quantity_milli,
            unit_price_cents: l.unit_price_cents,
            vat_rate_bp: l.vat_rate_bp,
            discount_bp: l.discount_bp,
        })
        .collect();
    Ok(money::totals(&inputs)?)
}

/// What an estimate with ranges comes to at the high ends; `None` when no line has a
/// range.
pub(super) fn high_totals_of(lines: &[InvoiceLine]) -> Result<Option<Totals>> {
    if lines.iter().all(|l| l.quantity_high_milli.is_none()) {
        return Ok(None);
    }
    let high: Vec<InvoiceLine> = lines
        .iter()
        .map(|l| InvoiceLine {
            quantity_milli: l.quantity_high_milli.unwrap_or(l.quantity_milli),
            ..l.clone()
        })
        .collect();
    Ok(Some(totals_of(&high)?))
}

impl Tx<'_> {
    pub(super) fn require_draft_invoice(&self, invoice: Uuid) -> Result<Header> {
        let h = self.read().header(invoice)?;
        if h.status != "draft" {
            return Err(Error::NotAllowedNow(format!(
                "this {} is {}: only a draft can be changed",
                h.kind.replace('_', " "),
                h.status
            )));
        }
        Ok(h)
    }

    /// A new draft estimate or invoice for a client (and their patient, and the visit).
    pub fn create_invoice(
        &mut self,
        kind: &str,
        client: Uuid,
        patient: Option<Uuid>,
        encounter: Option<Uuid>,
    ) -> Result<Uuid> {
        let id = self.new_id();
        self.create_invoice_as(id, kind, Some(client), patient, encounter)
    }

    pub(super) fn create_invoice_as(
        &mut self,
        id: Uuid,
        kind: &str,
        client: Option<Uuid>,
        patient: Option<Uuid>,
        encounter: Option<Uuid>,
    ) -> Result<Uuid> {
        self.actor().require(Permission::Bill)?;
        let kind = validate::one_of("kind", kind, &["estimate", "invoice"])?;
        let Some(client) = client else {
            // A walk-in's counter sale: an invoice, not for a patient or a visit.
            if kind != "invoice" || patient.is_some() || encounter.is_some() {
                return Err(Error::invalid(
                    "client",
                    "choose the client: only a counter sale may have none",
                ));
            }
            return self.insert_invoice_header(id, kind, None, None, None);
        };
        if !exists(self, "clients", client)? {
            return Err(Error::NotFound {
                entity: "client",
                id: client.to_string(),
            });
        }
        if let Some(patient) = patient
            && !exists(self, "patients", patient)?
        {
            return Err(Error::NotFound {
                entity: "patient",
                id: patient.to_string(),
            });
        }
        let vet: Option<String> = match encounter {
            Some(encounter) => self
                .conn()
                .prepare_cached("SELECT vet_id FROM encounters WHERE id = ?1")?
                .query_row([encounter.to_string()], |r| r.get(0))
                .optional()?
                .flatten(),
            None => None,
        };
        let vet = vet.and_then(|v| Uuid::parse_str(&v).ok());
        self.insert_invoice_header(id, kind, Some(client), patient, encounter.map(|e| (e, vet)))
    }

    /// Writes a new draft's header (checked by the caller): `visit` is the encounter
    /// with its vet.
    fn insert_invoice_header(
        &mut self,
        id: Uuid,
        kind: &str,
        client: Option<Uuid>,
        patient: Option<Uuid>,
        visit: Option<(Uuid, Option<Uuid>)>,
    ) -> Result<Uuid> {
        let created_at = self.now_text();
        let opt = |v: Option<Uuid>| v.map_or(Value::Null, |u| Value::Text(u.to_string()));
        self.insert(
            &INVOICES,
            id,
            vec![
                ("kind", Value::text(kind)),
                ("status", Value::text("draft")),
                ("client_id", opt(client)),
                ("patient_id", opt(patient)),
                ("encounter_id", opt(visit.map(|(e, _)| e))),
                ("vet_id", opt(visit.and_then(|(_, v)| v))),
                ("created_at", Value::Text(created_at)),
            ],
        )?;
        self.audit(&format!("{kind}.create"), "invoice", &id.to_string(), "")?;
        Ok(id)
    }

    /// The columns of a line: the catalog's defaults filled in, every number checked,
    /// and the discount within what this person may give.
    pub(super) fn line_values(&self, form: &LineForm) -> Result<Vec<(&'static str, Value)>> {
        let item: Option<CatalogItem> = match form.item_id {
            Some(id) => Some(self.read().catalog_item(id)?),
            None => None,
        };
        let description = match (form.description.as_deref().map(str::trim), &item) {
            (Some(d), _) if !d.is_empty() => validate::text("description", d, 200, false)?,
            (_, Some(item)) => item.input.name.clone(),
            _ => {
                return Err(Error::invalid(
                    "description",
                    "say what the line is for, or pick an item",
                ));
            }
        };
        let price = form
            .unit_price_cents
            .or(item.as_ref().map(|i| i.input.price_cents))
            .ok_or_else(|| {
                Error::invalid("unit_price", "give a price for a line without an item")
            })?;
        let vat = form
            .vat_rate_bp
            .or(item.as_ref().map(|i| i.input.vat_rate_bp))
            .ok_or_else(|| {
                Error::invalid("vat_rate", "give a VAT rate for a line without an item")
            })?;
        let line = LineInput {
            quantity_milli: form.quantity_milli,
            unit_price_cents: price,
            vat_rate_bp: vat,
            discount_bp: form.discount_bp,
        };
        money::validate_line(&line)?;
        if form.quantity_milli < 0 {
            return Err(Error::invalid(
                "quantity",
                "must be more than 0 (credit a finalized invoice instead)",
            ));
        }
        if let Some(high) = form.quantity_high_milli {
            money::validate_line(&LineInput {
                quantity_milli: high,
                ..line
            })
            .map_err(|_| Error::invalid("quantity_high", "is not a quantity"))?;
            if high < form.quantity_milli {
                return Err(Error::invalid(
                    "quantity_high",
                    "the high end of a range is at least its low end",
                ));
            }
        }
        let limit = self.actor().max_discount_bp();
        if form.discount_bp > limit {
            return Err(Error::Forbidden {
                action: "give a discount that large",
                roles: format!(
                    "{} (up to {} %)",
                    self.actor().roles.to_stored(),
                    limit as f64 / 100.0
                ),
            });
        }
        Ok(vec![
            (
                "item_id",
                form.item_id
                    .map_or(Value::Null, |i| Value::Text(i.to_string())),
            ),
            ("description", Value::Text(description)),
            ("quantity_milli", Value::Int(form.quantity_milli)),
            ("unit_price_cents", Value::Int(price)),
            ("vat_rate_bp", Value::Int(vat)),
            ("discount_bp", Value::Int(form.discount_bp)),
            (
                "quantity_high_milli",
                form.quantity_high_milli.map_or(Value::Null, Value::Int),
            ),
        ])
    }

    /// Refuses a range on anything but an estimate's line.
    fn refuse_range_outside_estimates(h: &Header, form: &LineForm) -> Result<()> {
        if form.quantity_high_milli.is_some() && h.kind != "estimate" {
            return Err(Error::invalid(
                "quantity_high",
                "only an estimate's line gives a range; an invoice bills what was done",
            ));
        }
        Ok(())
    }

    /// Adds a line to a draft.
    pub fn add_invoice_line(&mut self, invoice: Uuid, form: &LineForm) -> Result<Uuid> {
        let id = self.new_id();
        self.add_invoice_line_as(id, invoice, form, None)
    }

    pub(super) fn add_invoice_line_as(
        &mut self,
        id: Uuid,
        invoice: Uuid,
        form: &LineForm,
        prescription: Option<Uuid>,
    ) -> Result<Uuid> {
        self.actor().require(Permission::Bill)?;
        let h = self.require_draft_invoice(invoice)?;
        Self::refuse_range_outside_estimates(&h, form)?;
        let mut values = self.line_values(form)?;
        let position: i64 = self
            .conn()
            .prepare_cached(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM invoice_lines WHERE invoice_id = ?1",
            )?
            .query_row([invoice.to_string()], |r| r.get(0))?;
        values.extend([
            ("invoice_id", Value::Text(invoice.to_string())),
            ("position", Value::Int(position)),
            (
                "prescription_id",
                prescription.map_or(Value::Null, |p| Value::Text(p.to_string())),
            ),
            ("added_by", Value::Text(self.actor().staff_id.to_string())),
        ]);
        self.insert(&INVOICE_LINES, id, values)?;
        Ok(id)
    }

    /// Changes a line of a draft.
    pub fn update_invoice_line(&mut self, line: Uuid, form: &LineForm) -> Result<()> {
        self.actor().require(Permission::Bill)?;
        let invoice = self.invoice_of_line(line)?;
        let h = self.require_draft_invoice(invoice)?;
        Self::refuse_range_outside_estimates(&h, form)?;
        let values = self.line_values(form)?;
        self.update(&INVOICE_LINES, line, values)?;
        Ok(())
    }

    /// Removes a line from a draft.
    pub fn remove_invoice_line(&mut self, line: Uuid) -> Result<()> {
        self.actor().require(Permission::Bill)?;
        let invoice = self.invoice_of_line(line)?;
        self.require_draft_invoice(invoice)?;
        self.delete(&INVOICE_LINES, line)
    }

    pub(super) fn invoice_of_line(&self, line: Uuid) -> Result<Uuid> {
        self.conn()
            .prepare_cached("SELECT invoice_id FROM invoice_lines WHERE id = ?1 AND deleted = 0")?
            .query_row([line.to_string()], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten()
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or_else(|| Error::NotFound {
                entity: "invoice line",
                id: line.to_string(),
            })
    }

    /// A draft invoice with an estimate's lines (the estimate stays as it was); once
    /// per estimate, unless that invoice was voided.
    pub fn invoice_from_estimate(&mut self, estimate: Uuid) -> Result<Uuid> {
        let h = self.read().header(estimate)?;
        if h.kind != "estimate" {
            return Err(Error::invalid(
                "estimate",
                "only an estimate can be turned into an invoice",
            ));
        }
        let accepted: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT coalesce(number, id) FROM invoices
                 WHERE source_id = ?1 AND kind = 'invoice' AND status != 'void' AND deleted = 0",
            )?
            .query_row([estimate.to_string()], |r| r.get(0))
            .optional()?;
        if let Some(invoice) = accepted {
            return Err(Error::NotAllowedNow(format!(
                "this estimate was already accepted into invoice {invoice}"
            )));
        }
        let lines = self.read().live_lines(estimate)?;
        let id = self.new_id();
        let invoice =
            self.create_invoice_as(id, "invoice", h.client_id, h.patient_id, h.encounter_id)?;
        self.update(
            &INVOICES,
            invoice,
            vec![("source_id", Value::Text(estimate.to_string()))],
        )?;
        for line in lines {
            self.add_invoice_line(
                invoice,
                &LineForm {
                    item_id: line.item_id,
                    description: Some(line.description),
                    quantity_milli: line.quantity_milli,
                    unit_price_cents: Some(line.unit_price_cents),
                    vat_rate_bp: Some(line.vat_rate_bp),
                    discount_bp: line.discount_bp.min(self.actor().max_discount_bp()),
                    // The invoice starts from the low end; the vet bills what was done.
                    quantity_high_milli: None,
                },
            )?;
        }
        Ok(invoice)
    }

    /// Where a document stands (`draft`, `finalized`, `void`), if it exists.
    pub fn invoice_status(&self, invoice: Uuid) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT status FROM invoices WHERE id = ?1 AND deleted = 0")?
            .query_row([invoice.to_string()], |r| r.get(0))
            .optional()?
            .flatten())
    }
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    pub(super) fn header(&self, id: Uuid) -> Result<Header> {
        let conn = self.conn();
        conn.prepare_cached(
            "SELECT kind, status, client_id, patient_id, encounter_id, vet_id
             FROM invoices WHERE id = ?1 AND deleted = 0",
        )?
        .query_row([id.to_string()], |r| {
            Ok(Header {
                kind: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                status: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                client_id: crate::stored::row_optional_id(r, 2, "client id")?,
                patient_id: crate::stored::row_optional_id(r, 3, "patient id")?,
                encounter_id: crate::stored::row_optional_id(r, 4, "encounter id")?,
                vet_id: crate::stored::row_optional_id(r, 5, "vet id")?,
            })
        })
        .optional()?
        .ok_or_else(|| Error::NotFound {
            entity: "invoice",
            id: id.to_string(),
        })
    }

    /// The live lines of a document, in order, with their amounts.
    pub(super) fn live_lines(&self, invoice: Uuid) -> Result<Vec<InvoiceLine>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, position, item_id, description, quantity_milli, unit_price_cents,
                    vat_rate_bp, discount_bp, prescription_id, quantity_high_milli
             FROM invoice_lines WHERE invoice_id = ?1 AND deleted = 0
             ORDER BY position, id",
        )?;
        let rows = stmt.query_map([invoice.to_string()], |r| {
            Ok(InvoiceLine {
                id: crate::stored::row_optional_id(r, 0, "id")?.unwrap_or_default(),
                position: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                item_id: crate::stored::row_optional_id(r, 2, "item id")?,
                description: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                quantity_milli: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                unit_price_cents: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                vat_rate_bp: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                discount_bp: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
                prescription_id: crate::stored::row_optional_id(r, 8, "prescription id")?,
                quantity_high_milli: r.get(9)?,
                gross_cents: 0,
                discount_cents: 0,
                net_cents: 0,
            })
        })?;
        let mut lines: Vec<InvoiceLine> = rows.collect::<rusqlite::Result<_>>()?;
        let totals = totals_of(&lines)?;
        for (line, amounts) in lines.iter_mut().zip(&totals.lines) {
            line.gross_cents = amounts.gross_cents;
            line.discount_cents = amounts.discount_cents;
            line.net_cents = amounts.net_cents;
        }
        Ok(lines)
    }

    /// A client's name and address; none for a walk-in (`client` `None`).
    pub(super) fn client_name(&self, client: Option<Uuid>) -> Result<(String, Option<String>)> {
        let Some(client) = client else {
            return Ok((String::new(), None));
        };
        let conn = self.conn();
        Ok(conn
            .prepare_cached(
                "SELECT trim(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')), address
                 FROM clients WHERE id = ?1",
            )?
            .query_row([client.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or_default())
    }

    pub(super) fn name_of(&self, table: &str, id: Option<Uuid>) -> Result<Option<String>> {
        let conn = self.conn();
        let Some(id) = id else { return Ok(None) };
        let sql = match table {
            "patients" => "SELECT name FROM patients WHERE id = ?1",
            _ => "SELECT name FROM staff WHERE id = ?1",
        };
        Ok(conn
            .prepare_cached(sql)?
            .query_row([id.to_string()], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }
}
