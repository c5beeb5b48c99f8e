//! Read models of billing documents: one document with its lines, VAT, payments and
//! balance; the list; a client's statement.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use vetdesk_billing::money::Totals;

use crate::Rx;
use crate::roles::Permission;
use crate::{Error, Result};

use super::documents::{InvoiceLine, Snapshot, high_totals_of, totals_of};
use super::payments::{Payment, payment_status};

/// A document as shown: its header, lines, totals, payments and balance.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceView {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub number: Option<String>,
    /// `None` for a counter sale to a walk-in.
    pub client_id: Option<Uuid>,
    pub client_name: String,
    pub patient_id: Option<Uuid>,
    pub patient_name: Option<String>,
    pub encounter_id: Option<Uuid>,
    pub source_id: Option<Uuid>,
    pub created_at: String,
    pub finalized_at: Option<String>,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
    /// An estimate with ranges: what it comes to at the high ends.
    pub high_totals: Option<Totals>,
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
                    crate::stored::row_optional_id(r, 3, "id")?,
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
        let live = self.live_lines(id)?;
        let frozen: Option<Snapshot> = row.9.as_deref().and_then(|j| serde_json::from_str(j).ok());
        let snapshot_intact = match (&row.9, &row.10) {
            (Some(json), Some(hash)) => hex::encode(Sha256::digest(json.as_bytes())) == *hash,
            (None, None) => true,
            _ => false,
        };
        let (lines, totals, high_totals, late_edits) = match frozen {
            Some(s) => {
                let late = live != s.lines;
                (s.lines, s.totals, s.high_totals, late)
            }
            None => {
                let totals = totals_of(&live)?;
                let high = if kind == "estimate" {
                    high_totals_of(&live)?
                } else {
                    None
                };
                (live, totals, high, false)
            }
        };
        let payments = self.payments_of(id)?;
        let paid: i64 = payments.iter().map(|p| p.amount_cents).sum();
        let (client_name, _) = self.client_name(client_id)?;
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
            patient_name: self.name_of("patients", patient_id)?,
            encounter_id,
            source_id,
            created_at: row.7,
            finalized_at: row.8,
            balance_cents: totals.total_cents - paid,
            lines,
            totals,
            high_totals,
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
            client_name: self.client_name(Some(client))?.0,
            entries,
            balance_cents: balance,
        })
    }
}
