//! The register's daily close (Z report): one per register and day, from the
//! finalized documents and payments, with a preview before closing.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use vetdesk_billing::money::{self};
use vetdesk_billing::numbering;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::Z_REPORTS;
use crate::write::Tx;
use crate::{Error, Result};

use super::documents::Snapshot;

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

impl Tx<'_> {
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
        let mut report = self.read().z_report(&register, day, from, to)?;
        let number = self.read().next_in_series(&format!("Z-{register}"))?;
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

impl Rx<'_> {
    /// What this register's Z report for a day would say now (nothing is kept).
    pub fn z_report_preview(&self, day: &str, from: &str, to: &str) -> Result<ZReport> {
        self.require(Permission::Bill)?;
        self.z_report(&numbering::register_code(self.device()), day, from, to)
    }
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    /// A register's Z report for the finalized documents and payments between `from` and
    /// `to` (RFC 3339).
    pub(crate) fn z_report(
        &self,
        register: &str,
        day: &str,
        from: &str,
        to: &str,
    ) -> Result<ZReport> {
        let conn = self.conn();
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
}
