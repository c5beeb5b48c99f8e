//! Payments and refunds: facts, never edited; a document's balance is derived from
//! them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vetdesk_billing::money::format_cents;
use vetdesk_billing::numbering;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::PAYMENTS;
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

pub const PAYMENT_METHODS: [&str; 3] = ["cash", "card", "transfer"];

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
    /// Takes a payment towards a finalized invoice.
    pub fn take_payment(
        &mut self,
        invoice: Uuid,
        method: &str,
        amount_cents: i64,
        reference: &str,
    ) -> Result<Uuid> {
        self.actor().require(Permission::Bill)?;
        let h = self.read().header(invoice)?;
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
        let h = self.read().header(invoice)?;
        let paid: i64 = self
            .read()
            .payments_of(invoice)?
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

    pub(super) fn record_payment(
        &mut self,
        invoice: Uuid,
        client: Option<Uuid>,
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
                (
                    "client_id",
                    client.map_or(Value::Null, |c| Value::Text(c.to_string())),
                ),
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
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    pub(super) fn payments_of(&self, invoice: Uuid) -> Result<Vec<Payment>> {
        let conn = self.conn();
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
}
