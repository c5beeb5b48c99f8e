//! One draft finalized offline on two registers: both numbers stand, the stock was
//! taken twice; an admin settles it (the second finalization's stock comes back).

use uuid::Uuid;
use vetdesk_billing::numbering;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::FINALIZATION_SETTLEMENTS;
use crate::write::Tx;
use crate::{Error, Result};

impl Tx<'_> {
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
        let registers = self.read().finalizing_registers(invoice)?;
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
        for taken in self.read().stock_taken_by(invoice)? {
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
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    /// The registers that finalized `invoice` (two or more: finalized twice offline).
    pub(super) fn finalizing_registers(&self, invoice: Uuid) -> Result<Vec<String>> {
        let conn = self.conn();
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
    pub(crate) fn finalized_twice(&self) -> Result<Vec<(Uuid, Vec<String>)>> {
        let conn = self.conn();
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
}
