//! Estimates, invoices, credit notes, payments and the register's daily close.
//!
//! A document starts as a draft whose lines anyone billing may edit (per-column
//! last-writer-wins, so two devices editing one draft offline merge line by line).
//! Finalizing freezes it: the lines and totals computed by `vetdesk-billing` are kept
//! as a canonical JSON snapshot with its SHA-256, the next number of this
//! workstation's own series is given (`numbering`: registers never collide offline),
//! stock is taken first-expiry-first-out, and controlled drugs go into their register.
//! A finalized document is what was printed; lines edited elsewhere afterwards do not
//! change it (`late_edits` says they exist). Payments and refunds are facts; the
//! balance is derived. Prescribing in an encounter drafts the line on the encounter's
//! invoice (its id derived from the encounter, so two devices draft the same invoice).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use vetdesk_billing::money::{self, LineInput, Totals, format_cents, format_milli};
use vetdesk_billing::numbering;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{
    FINALIZATION_SETTLEMENTS, INVOICE_FINALIZATIONS, INVOICE_LINES, INVOICES, PAYMENTS, Z_REPORTS,
};
use crate::services::clients::exists;
use crate::services::stock::{CatalogItem, catalog_item, catalog_item_named};
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

pub const DOCUMENT_KINDS: [&str; 3] = ["estimate", "invoice", "credit_note"];
pub const PAYMENT_METHODS: [&str; 3] = ["cash", "card", "transfer"];

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
    pub client_id: Uuid,
    pub client_name: String,
    pub client_address: Option<String>,
    pub patient_name: Option<String>,
    pub vet_name: Option<String>,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
}

/// A document as shown: its header, lines, totals, payments and balance.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceView {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub number: Option<String>,
    pub client_id: Uuid,
    pub client_name: String,
    pub patient_id: Option<Uuid>,
    pub patient_name: Option<String>,
    pub encounter_id: Option<Uuid>,
    pub source_id: Option<Uuid>,
    pub created_at: String,
    pub finalized_at: Option<String>,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
    pub payments: Vec<Payment>,
    pub paid_cents: i64,
    /// Total less payments: what the client still owes on it.
    pub balance_cents: i64,
    /// `draft`, `unpaid`, `part_paid`, `paid`, `void`.
    pub payment_status: String,
    pub void_reason: Option<String>,
    /// A finalized document whose lines were edited on another device afterwards (the
    /// document stays as finalized).
    pub late_edits: bool,
    /// The snapshot's SHA-256 matches its contents.
    pub snapshot_intact: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: Uuid,
    pub method: String,
    pub amount_cents: i64,
    pub register: String,
    pub taken_by: String,
    pub taken_at: String,
    pub reference: String,
}

/// One row of a list of documents.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceSummary {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub number: Option<String>,
    pub client_name: String,
    pub created_at: String,
    pub finalized_at: Option<String>,
    pub total_cents: Option<i64>,
    pub paid_cents: i64,
}

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

/// One entry of a client's statement.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementEntry {
    pub at: String,
    pub what: String,
    pub reference: String,
    /// + owed (an invoice, a refund), − paid or credited.
    pub amount_cents: i64,
    pub balance_cents: i64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub client_id: Uuid,
    pub client_name: String,
    pub entries: Vec<StatementEntry>,
    pub balance_cents: i64,
}

/// A register's day: what it billed and took.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZReport {
    pub register: String,
    pub day: String,
    pub number: Option<String>,
    pub invoices: i64,
    pub first_number: Option<String>,
    pub last_number: Option<String>,
    pub credit_notes: i64,
    pub net_cents: i64,
    pub vat: Vec<money::VatAtRate>,
    pub total_cents: i64,
    pub credited_cents: i64,
    /// Taken on this register, by method (refunds negative).
    pub payments: Vec<(String, i64)>,
    pub taken_cents: i64,
}

/// What a medication label says about its prescription.
struct LabelDetails {
    patient: Option<String>,
    prescriber: Option<String>,
    instructions: Option<String>,
    directions: String,
}

/// The invoice an encounter's prescriptions are drafted onto: the same on every device.
pub fn encounter_invoice_id(encounter: Uuid) -> Uuid {
    Uuid::new_v5(&encounter, b"invoice")
}

/// The line a prescription is drafted as: the same on every device.
pub fn prescription_line_id(prescription: Uuid) -> Uuid {
    Uuid::new_v5(&prescription, b"invoice-line")
}

/// Where a document stands.
struct Header {
    kind: String,
    status: String,
    client_id: Uuid,
    patient_id: Option<Uuid>,
    encounter_id: Option<Uuid>,
    vet_id: Option<Uuid>,
}

fn header(conn: &rusqlite::Connection, id: Uuid) -> Result<Header> {
    conn.prepare_cached(
        "SELECT kind, status, client_id, patient_id, encounter_id, vet_id
         FROM invoices WHERE id = ?1 AND deleted = 0",
    )?
    .query_row([id.to_string()], |r| {
        Ok(Header {
            kind: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            status: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            client_id: crate::stored::row_optional_id(r, 2, "client id")?.unwrap_or_default(),
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
fn live_lines(conn: &rusqlite::Connection, invoice: Uuid) -> Result<Vec<InvoiceLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, position, item_id, description, quantity_milli, unit_price_cents,
                vat_rate_bp, discount_bp, prescription_id
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

fn totals_of(lines: &[InvoiceLine]) -> Result<Totals> {
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

fn client_name(conn: &rusqlite::Connection, client: Uuid) -> Result<(String, Option<String>)> {
    Ok(conn
        .prepare_cached(
            "SELECT trim(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')), address
             FROM clients WHERE id = ?1",
        )?
        .query_row([client.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_default())
}

fn name_of(conn: &rusqlite::Connection, table: &str, id: Option<Uuid>) -> Result<Option<String>> {
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

fn payments_of(conn: &rusqlite::Connection, invoice: Uuid) -> Result<Vec<Payment>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.method, p.amount_cents, p.register, COALESCE(s.name, p.taken_by),
                p.taken_at, p.reference
         FROM payments p LEFT JOIN staff s ON s.id = p.taken_by
         WHERE p.invoice_id = ?1 ORDER BY p.taken_at, p.id",
    )?;
    let rows = stmt.query_map([invoice.to_string()], |r| {
        Ok(Payment {
            id: crate::stored::row_optional_id(r, 0, "id")?.unwrap_or_default(),
            method: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            amount_cents: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            register: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            taken_by: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            taken_at: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            reference: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Canonical JSON of a snapshot and its SHA-256 (hex).
fn seal(snapshot: &Snapshot) -> Result<(String, String)> {
    let json =
        serde_json::to_string(snapshot).map_err(|e| Error::invalid("snapshot", e.to_string()))?;
    let hash = hex::encode(Sha256::digest(json.as_bytes()));
    Ok((json, hash))
}

/// The payment status of a finalized document.
pub fn payment_status(status: &str, total_cents: i64, paid_cents: i64) -> &'static str {
    match status {
        "draft" => "draft",
        "void" => "void",
        _ if paid_cents == 0 && total_cents != 0 => "unpaid",
        _ if paid_cents < total_cents => "part_paid",
        _ => "paid",
    }
}

impl Tx<'_> {
    fn require_draft_invoice(&self, invoice: Uuid) -> Result<Header> {
        let h = header(self.conn(), invoice)?;
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
        self.create_invoice_as(id, kind, client, patient, encounter)
    }

    fn create_invoice_as(
        &mut self,
        id: Uuid,
        kind: &str,
        client: Uuid,
        patient: Option<Uuid>,
        encounter: Option<Uuid>,
    ) -> Result<Uuid> {
        self.actor().require(Permission::Bill)?;
        let kind = validate::one_of("kind", kind, &["estimate", "invoice"])?;
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
        let created_at = self.now_text();
        let opt = |v: Option<Uuid>| v.map_or(Value::Null, |u| Value::Text(u.to_string()));
        self.insert(
            &INVOICES,
            id,
            vec![
                ("kind", Value::text(kind)),
                ("status", Value::text("draft")),
                ("client_id", Value::Text(client.to_string())),
                ("patient_id", opt(patient)),
                ("encounter_id", opt(encounter)),
                ("vet_id", vet.map_or(Value::Null, Value::Text)),
                ("created_at", Value::Text(created_at)),
            ],
        )?;
        self.audit(&format!("{kind}.create"), "invoice", &id.to_string(), "")?;
        Ok(id)
    }

    /// The columns of a line: the catalog's defaults filled in, every number checked,
    /// and the discount within what this person may give.
    fn line_values(&self, form: &LineForm) -> Result<Vec<(&'static str, Value)>> {
        let item: Option<CatalogItem> = match form.item_id {
            Some(id) => Some(catalog_item(self.conn(), id)?),
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
        ])
    }

    /// Adds a line to a draft.
    pub fn add_invoice_line(&mut self, invoice: Uuid, form: &LineForm) -> Result<Uuid> {
        let id = self.new_id();
        self.add_invoice_line_as(id, invoice, form, None)
    }

    fn add_invoice_line_as(
        &mut self,
        id: Uuid,
        invoice: Uuid,
        form: &LineForm,
        prescription: Option<Uuid>,
    ) -> Result<Uuid> {
        self.actor().require(Permission::Bill)?;
        self.require_draft_invoice(invoice)?;
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
        self.require_draft_invoice(invoice)?;
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

    fn invoice_of_line(&self, line: Uuid) -> Result<Uuid> {
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

    /// The next number of this register's series for `kind`.
    fn next_number(&self, kind: &str) -> Result<(String, String)> {
        let register = numbering::register_code(self.device());
        let prefix = match kind {
            "credit_note" => format!("CN-{register}"),
            "estimate" => format!("E-{register}"),
            _ => register.clone(),
        };
        let number = next_in_series(self.conn(), &prefix)?;
        Ok((register, number))
    }

    /// Finalizes a draft: totals frozen into its snapshot, the next number of this
    /// register's series, stock taken first-expiry-first-out (controlled drugs into
    /// their register). An estimate is issued with a number and takes no stock.
    pub fn finalize_invoice(&mut self, invoice: Uuid) -> Result<Finalized> {
        self.actor().require(Permission::Bill)?;
        let h = self.require_draft_invoice(invoice)?;
        let lines = live_lines(self.conn(), invoice)?;
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
                let item = catalog_item(self.conn(), item_id)?;
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
        let (client_name, client_address) = client_name(self.conn(), h.client_id)?;
        let snapshot = Snapshot {
            kind: h.kind.clone(),
            number: number.clone(),
            issued_at: self.now_text(),
            client_id: h.client_id,
            client_name,
            client_address,
            patient_name: name_of(self.conn(), "patients", h.patient_id)?,
            vet_name: name_of(self.conn(), "staff", h.vet_id)?,
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

    /// A draft invoice with an estimate's lines (the estimate stays as it was).
    pub fn invoice_from_estimate(&mut self, estimate: Uuid) -> Result<Uuid> {
        let h = header(self.conn(), estimate)?;
        if h.kind != "estimate" {
            return Err(Error::invalid(
                "estimate",
                "only an estimate can be turned into an invoice",
            ));
        }
        let lines = live_lines(self.conn(), estimate)?;
        let invoice = self.create_invoice("invoice", h.client_id, h.patient_id, h.encounter_id)?;
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
                },
            )?;
        }
        Ok(invoice)
    }

    /// Takes a payment towards a finalized invoice.
    pub fn take_payment(
        &mut self,
        invoice: Uuid,
        method: &str,
        amount_cents: i64,
        reference: &str,
    ) -> Result<Uuid> {
        self.actor().require(Permission::Bill)?;
        let h = header(self.conn(), invoice)?;
        if h.kind != "invoice" || h.status != "finalized" {
            return Err(Error::NotAllowedNow(
                "payments are taken on finalized invoices".into(),
            ));
        }
        if amount_cents <= 0 {
            return Err(Error::invalid("amount", "must be more than 0"));
        }
        self.record_payment(
            invoice,
            h.client_id,
            method,
            amount_cents,
            reference,
            "payment.take",
        )
    }

    /// Refunds up to what was paid on an invoice (admins; a negative payment).
    pub fn refund_payment(
        &mut self,
        invoice: Uuid,
        method: &str,
        amount_cents: i64,
        reason: &str,
    ) -> Result<Uuid> {
        self.actor().require(Permission::VoidAndRefund)?;
        let h = header(self.conn(), invoice)?;
        let paid: i64 = payments_of(self.conn(), invoice)?
            .iter()
            .map(|p| p.amount_cents)
            .sum();
        if amount_cents <= 0 || amount_cents > paid {
            return Err(Error::invalid(
                "amount",
                format!(
                    "a refund is more than 0 and at most what was paid ({})",
                    format_cents(paid)
                ),
            ));
        }
        let reason = validate::text("reason", reason, 300, false)?;
        self.record_payment(
            invoice,
            h.client_id,
            method,
            -amount_cents,
            &reason,
            "payment.refund",
        )
    }

    fn record_payment(
        &mut self,
        invoice: Uuid,
        client: Uuid,
        method: &str,
        amount_cents: i64,
        reference: &str,
        action: &str,
    ) -> Result<Uuid> {
        let method = validate::one_of("method", method, &PAYMENT_METHODS)?;
        let reference =
            validate::optional_text("reference", Some(reference), 200, false)?.unwrap_or_default();
        let id = self.new_id();
        let taken_at = self.now_text();
        self.insert(
            &PAYMENTS,
            id,
            vec![
                ("invoice_id", Value::Text(invoice.to_string())),
                ("client_id", Value::Text(client.to_string())),
                ("method", Value::text(method)),
                ("amount_cents", Value::Int(amount_cents)),
                (
                    "register",
                    Value::Text(numbering::register_code(self.device())),
                ),
                ("taken_by", Value::Text(self.actor().staff_id.to_string())),
                ("taken_at", Value::Text(taken_at)),
                ("reference", Value::Text(reference)),
            ],
        )?;
        self.audit(
            action,
            "invoice",
            &invoice.to_string(),
            &format!("{method} {}", format_cents(amount_cents)),
        )?;
        Ok(id)
    }

    /// Voids a finalized invoice nothing has been paid on (admins): the stock it took
    /// goes back, its number stays used.
    pub fn void_invoice(&mut self, invoice: Uuid, reason: &str) -> Result<()> {
        self.actor().require(Permission::VoidAndRefund)?;
        let h = header(self.conn(), invoice)?;
        let reason = validate::text("reason", reason, 300, false)?;
        let paid: i64 = payments_of(self.conn(), invoice)?
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
    fn return_stock_of(&mut self, invoice: Uuid, reason: &str) -> Result<()> {
        for taken in stock_taken_by(self.conn(), invoice)? {
            self.give_back(invoice, &taken, reason)?;
        }
        Ok(())
    }

    /// An adjustment that returns one movement's stock.
    fn give_back(&mut self, invoice: Uuid, taken: &TakenStock, reason: &str) -> Result<()> {
        let item = catalog_item(self.conn(), taken.item_id)?;
        self.record_movement(&crate::services::stock::Movement {
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
        let h = header(self.conn(), invoice)?;
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
                ("client_id", Value::Text(h.client_id.to_string())),
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

    fn snapshot_of(&self, invoice: Uuid) -> Result<Snapshot> {
        let json: Option<String> = self
            .conn()
            .prepare_cached("SELECT snapshot FROM invoices WHERE id = ?1")?
            .query_row([invoice.to_string()], |r| r.get(0))
            .optional()?
            .flatten();
        json.and_then(|j| serde_json::from_str(&j).ok())
            .ok_or_else(|| Error::NotAllowedNow("this document has no finalized snapshot".into()))
    }

    /// Drafts a prescription's line on its encounter's invoice when the drug is in the
    /// catalog (by name): the draft reserves the stock until it is finalized.
    pub(crate) fn draft_prescription_line(
        &mut self,
        prescription: Uuid,
        encounter: Uuid,
        drug: &str,
        quantity: f64,
    ) -> Result<Option<Uuid>> {
        let Some(item) = catalog_item_named(self.conn(), drug)? else {
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
    fn open_invoice_for(&mut self, encounter: Uuid) -> Result<Uuid> {
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
        self.create_invoice_as(id, "invoice", client, patient, Some(encounter))
    }

    /// Settles a document two registers finalized offline (admins): the finalization
    /// whose number the document now shows stands; the stock the other register took
    /// for it goes back, and its number stays used (the settlement says so).
    pub fn settle_double_finalization(&mut self, invoice: Uuid) -> Result<()> {
        self.actor().require(Permission::VoidAndRefund)?;
        let settled: bool = self
            .conn()
            .prepare_cached("SELECT 1 FROM finalization_settlements WHERE invoice_id = ?1")?
            .exists([invoice.to_string()])?;
        if settled {
            return Err(Error::NotAllowedNow(
                "this document has been settled already".into(),
            ));
        }
        let registers = finalizing_registers(self.conn(), invoice)?;
        if registers.len() < 2 {
            return Err(Error::NotAllowedNow(
                "this document was finalized once: there is nothing to settle".into(),
            ));
        }
        let kept: String = self
            .conn()
            .prepare_cached("SELECT register FROM invoices WHERE id = ?1")?
            .query_row([invoice.to_string()], |r| r.get::<_, Option<String>>(0))?
            .unwrap_or_default();
        for taken in stock_taken_by(self.conn(), invoice)? {
            let from_kept = Uuid::parse_str(&taken.device)
                .map(|d| numbering::register_code(d) == kept)
                .unwrap_or(false);
            if !from_kept {
                self.give_back(
                    invoice,
                    &taken,
                    &format!("finalized twice; register {kept}'s finalization stands"),
                )?;
            }
        }
        let id = self.new_id();
        let settled_at = self.now_text();
        self.insert(
            &FINALIZATION_SETTLEMENTS,
            id,
            vec![
                ("invoice_id", Value::Text(invoice.to_string())),
                ("kept_register", Value::Text(kept.clone())),
                ("settled_by", Value::Text(self.actor().staff_id.to_string())),
                ("settled_at", Value::Text(settled_at)),
            ],
        )?;
        self.audit(
            "invoice.settle_double_finalization",
            "invoice",
            &invoice.to_string(),
            &format!(
                "kept register {kept}; finalized on {}",
                registers.join(", ")
            ),
        )
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
        if header(self.conn(), invoice)?.status != "draft" {
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

    /// Closes this register's day (`from`–`to`, the local day's bounds): its Z report
    /// is computed, numbered and kept. A day is closed once.
    pub fn close_register(&mut self, day: &str, from: &str, to: &str) -> Result<ZReport> {
        self.actor().require(Permission::Bill)?;
        let register = numbering::register_code(self.device());
        let closed: bool = self
            .conn()
            .prepare_cached("SELECT 1 FROM z_reports WHERE register = ?1 AND day = ?2")?
            .exists(params![register, day])?;
        if closed {
            return Err(Error::NotAllowedNow(format!(
                "register {register} has already closed {day}"
            )));
        }
        let mut report = z_report(self.conn(), &register, day, from, to)?;
        let number = next_in_series(self.conn(), &format!("Z-{register}"))?;
        report.number = Some(number.clone());
        let json =
            serde_json::to_string(&report).map_err(|e| Error::invalid("report", e.to_string()))?;
        let id = self.new_id();
        let closed_at = self.now_text();
        self.insert(
            &Z_REPORTS,
            id,
            vec![
                ("register", Value::Text(register)),
                ("day", Value::text(day)),
                ("number", Value::Text(number.clone())),
                ("report", Value::Text(json)),
                ("closed_by", Value::Text(self.actor().staff_id.to_string())),
                ("closed_at", Value::Text(closed_at)),
            ],
        )?;
        self.audit("register.close", "z_report", &id.to_string(), &number)?;
        Ok(report)
    }
}

/// One sale or dispensing of a document, as stock movements record it.
struct TakenStock {
    item_id: Uuid,
    lot_id: Option<Uuid>,
    quantity_milli: i64,
    patient_id: Option<Uuid>,
    /// The device that took it.
    device: String,
}

fn stock_taken_by(conn: &rusqlite::Connection, invoice: Uuid) -> Result<Vec<TakenStock>> {
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

/// The registers that finalized `invoice` (two or more: finalized twice offline).
fn finalizing_registers(conn: &rusqlite::Connection, invoice: Uuid) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT register FROM invoice_finalizations WHERE invoice_id = ?1 ORDER BY register",
        )?
        .query_map([invoice.to_string()], |r| r.get::<_, Option<String>>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Documents finalized on two registers and not settled yet: (id, the numbers given).
pub(crate) fn finalized_twice(conn: &rusqlite::Connection) -> Result<Vec<(Uuid, Vec<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.invoice_id, group_concat(f.number, ' ') FROM invoice_finalizations f
         WHERE NOT EXISTS (SELECT 1 FROM finalization_settlements s WHERE s.invoice_id = f.invoice_id)
         GROUP BY f.invoice_id HAVING COUNT(DISTINCT f.register) > 1",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, numbers) = row?;
        if let Ok(id) = Uuid::parse_str(&id) {
            let mut numbers: Vec<String> = numbers.split(' ').map(str::to_string).collect();
            numbers.sort();
            out.push((id, numbers));
        }
    }
    Ok(out)
}

/// The next number of the series `prefix`: one more than the highest it has issued
/// that this store holds (kept by triggers as numbers are written or merged).
fn next_in_series(conn: &rusqlite::Connection, prefix: &str) -> Result<String> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT last_seq FROM number_series WHERE prefix = ?1")?
        .query_row([format!("{prefix}-")], |r| r.get(0))
        .optional()?;
    let next = u64::try_from(last.unwrap_or(0).max(0)).unwrap_or(0) + 1;
    Ok(numbering::number(prefix, next))
}

/// A register's Z report for the finalized documents and payments between `from` and
/// `to` (RFC 3339).
pub(crate) fn z_report(
    conn: &rusqlite::Connection,
    register: &str,
    day: &str,
    from: &str,
    to: &str,
) -> Result<ZReport> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, number, snapshot FROM invoices
         WHERE register = ?1 AND status IN ('finalized', 'void') AND kind IN ('invoice', 'credit_note')
           AND finalized_at >= ?2 AND finalized_at < ?3 AND deleted = 0
         ORDER BY number",
    )?;
    let rows: Vec<(String, String, Option<String>)> = stmt
        .query_map(params![register, from, to], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get(2)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut report = ZReport {
        register: register.to_string(),
        day: day.to_string(),
        number: None,
        invoices: 0,
        first_number: None,
        last_number: None,
        credit_notes: 0,
        net_cents: 0,
        vat: Vec::new(),
        total_cents: 0,
        credited_cents: 0,
        payments: Vec::new(),
        taken_cents: 0,
    };
    let mut vat: std::collections::BTreeMap<i64, (i64, i64)> = Default::default();
    for (kind, number, snapshot) in rows {
        let Some(snapshot) = snapshot.and_then(|s| serde_json::from_str::<Snapshot>(&s).ok())
        else {
            continue;
        };
        if kind == "invoice" {
            report.invoices += 1;
            if report.first_number.is_none() {
                report.first_number = Some(number.clone());
            }
            report.last_number = Some(number);
        } else {
            report.credit_notes += 1;
            report.credited_cents += snapshot.totals.total_cents;
        }
        report.net_cents += snapshot.totals.net_cents;
        report.total_cents += snapshot.totals.total_cents;
        for v in &snapshot.totals.vat {
            let entry = vat.entry(v.rate_bp).or_default();
            entry.0 += v.net_cents;
            entry.1 += v.vat_cents;
        }
    }
    report.vat = vat
        .into_iter()
        .map(|(rate_bp, (net_cents, vat_cents))| money::VatAtRate {
            rate_bp,
            net_cents,
            vat_cents,
        })
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT method, SUM(amount_cents) FROM payments
         WHERE register = ?1 AND taken_at >= ?2 AND taken_at < ?3
         GROUP BY method ORDER BY method",
    )?;
    report.payments = stmt
        .query_map(params![register, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    report.taken_cents = report.payments.iter().map(|(_, c)| c).sum();
    Ok(report)
}

impl Rx<'_> {
    /// A document by its id or its number (`7F3A2C-000042`).
    pub fn find_invoice(&self, id_or_number: &str) -> Result<Uuid> {
        self.require(Permission::Bill)?;
        let text = id_or_number.trim();
        if let Ok(id) = Uuid::parse_str(text) {
            return Ok(id);
        }
        self.conn()
            .prepare_cached("SELECT id FROM invoices WHERE number = ?1 AND deleted = 0")?
            .query_row([text], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or_else(|| Error::NotFound {
                entity: "invoice",
                id: text.to_string(),
            })
    }

    /// A document with its lines, totals, payments and balance. A finalized one shows
    /// its snapshot — what was printed.
    pub fn invoice(&self, id: Uuid) -> Result<InvoiceView> {
        self.require(Permission::Bill)?;
        let conn = self.conn();
        let row = conn
            .prepare_cached(
                "SELECT kind, status, number, client_id, patient_id, encounter_id, source_id,
                        created_at, finalized_at, snapshot, snapshot_hash, void_reason
                 FROM invoices WHERE id = ?1 AND deleted = 0",
            )?
            .query_row([id.to_string()], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?,
                    crate::stored::row_optional_id(r, 3, "id")?.unwrap_or_default(),
                    crate::stored::row_optional_id(r, 4, "id")?,
                    crate::stored::row_optional_id(r, 5, "id")?,
                    crate::stored::row_optional_id(r, 6, "id")?,
                    r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                ))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound {
                entity: "invoice",
                id: id.to_string(),
            })?;
        let (kind, status, number, client_id, patient_id, encounter_id, source_id) =
            (row.0, row.1, row.2, row.3, row.4, row.5, row.6);
        let live = live_lines(conn, id)?;
        let frozen: Option<Snapshot> = row.9.as_deref().and_then(|j| serde_json::from_str(j).ok());
        let snapshot_intact = match (&row.9, &row.10) {
            (Some(json), Some(hash)) => hex::encode(Sha256::digest(json.as_bytes())) == *hash,
            (None, None) => true,
            _ => false,
        };
        let (lines, totals, late_edits) = match frozen {
            Some(s) => {
                let late = live != s.lines;
                (s.lines, s.totals, late)
            }
            None => {
                let totals = totals_of(&live)?;
                (live, totals, false)
            }
        };
        let payments = payments_of(conn, id)?;
        let paid: i64 = payments.iter().map(|p| p.amount_cents).sum();
        let (client_name, _) = client_name(conn, client_id)?;
        Ok(InvoiceView {
            payment_status: if kind == "invoice" {
                payment_status(&status, totals.total_cents, paid).to_string()
            } else {
                status.clone()
            },
            id,
            kind,
            status,
            number,
            client_id,
            client_name,
            patient_id,
            patient_name: name_of(conn, "patients", patient_id)?,
            encounter_id,
            source_id,
            created_at: row.7,
            finalized_at: row.8,
            balance_cents: totals.total_cents - paid,
            lines,
            totals,
            payments,
            paid_cents: paid,
            void_reason: row.11,
            late_edits,
            snapshot_intact,
        })
    }

    /// Documents, newest first: all, or one client's, or those in a status.
    pub fn invoices(
        &self,
        client: Option<Uuid>,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<InvoiceSummary>> {
        self.require(Permission::Bill)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT i.id, i.kind, i.status, i.number,
                    trim(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')),
                    i.created_at, i.finalized_at, i.total_cents,
                    COALESCE((SELECT SUM(p.amount_cents) FROM payments p WHERE p.invoice_id = i.id), 0)
             FROM invoices i LEFT JOIN clients c ON c.id = i.client_id
             WHERE i.deleted = 0 AND (?1 IS NULL OR i.client_id = ?1)
               AND (?2 IS NULL OR i.status = ?2)
             ORDER BY COALESCE(i.finalized_at, i.created_at) DESC, i.id LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![client.map(|c| c.to_string()), status, limit.min(10_000)],
            |r| {
                Ok(InvoiceSummary {
                    id: crate::stored::row_optional_id(r, 0, "id")?.unwrap_or_default(),
                    kind: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    status: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    number: r.get(3)?,
                    client_name: r.get(4)?,
                    created_at: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    finalized_at: r.get(6)?,
                    total_cents: r.get(7)?,
                    paid_cents: r.get(8)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A client's statement: finalized invoices and credit notes, payments and
    /// refunds, oldest first, with the running balance.
    pub fn statement(&self, client: Uuid) -> Result<Statement> {
        self.require(Permission::Bill)?;
        let conn = self.conn();
        let mut entries: Vec<StatementEntry> = Vec::new();
        let mut stmt = conn.prepare_cached(
            "SELECT finalized_at, kind, number, total_cents FROM invoices
             WHERE client_id = ?1 AND status = 'finalized' AND kind IN ('invoice', 'credit_note')
               AND deleted = 0",
        )?;
        for row in stmt.query_map([client.to_string()], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, Option<i64>>(3)?.unwrap_or(0),
            ))
        })? {
            let (at, kind, number, total) = row?;
            entries.push(StatementEntry {
                at,
                what: kind.replace('_', " "),
                reference: number,
                amount_cents: total,
                balance_cents: 0,
            });
        }
        let mut stmt = conn.prepare_cached(
            "SELECT p.taken_at, p.method, p.amount_cents, COALESCE(i.number, '')
             FROM payments p LEFT JOIN invoices i ON i.id = p.invoice_id
             WHERE p.client_id = ?1",
        )?;
        for row in stmt.query_map([client.to_string()], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                r.get::<_, String>(3)?,
            ))
        })? {
            let (at, method, amount, number) = row?;
            entries.push(StatementEntry {
                at,
                what: if amount < 0 {
                    format!("refund ({method})")
                } else {
                    format!("payment ({method})")
                },
                reference: number,
                amount_cents: -amount,
                balance_cents: 0,
            });
        }
        entries.sort_by(|a, b| a.at.cmp(&b.at).then(a.reference.cmp(&b.reference)));
        let mut balance = 0;
        for entry in &mut entries {
            balance += entry.amount_cents;
            entry.balance_cents = balance;
        }
        Ok(Statement {
            client_id: client,
            client_name: client_name(conn, client)?.0,
            entries,
            balance_cents: balance,
        })
    }

    /// What this register's Z report for a day would say now (nothing is kept).
    pub fn z_report_preview(&self, day: &str, from: &str, to: &str) -> Result<ZReport> {
        self.require(Permission::Bill)?;
        z_report(
            self.conn(),
            &numbering::register_code(self.device()),
            day,
            from,
            to,
        )
    }

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
