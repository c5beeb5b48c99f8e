//! The whole clinic as canonical JSON, and a digest of it.
//!
//! Canonical: tables in name order, rows in id order, columns in name order, merge
//! bookkeeping (`_hlc`) and PIN hashes left out; so two devices that have converged write byte-for-byte
//! the same file. Written row by row, so a large clinic is never held in memory twice.
//! [`Store::digest`] hashes the same bytes plus the clinical-text history, which is what
//! the convergence tests compare.

use std::collections::BTreeMap;
use std::io::Write;

use sea_query::{Order, Query, SqliteQueryBuilder};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::changes::Value;
use crate::roles::{Actor, Permission};
use crate::schema;
use crate::store::Store;
use crate::{Error, Result};

/// Columns an export leaves out: a PIN's Argon2id hash is cheap to brute-force offline
/// (a PIN has few digits), and an authenticator secret or recovery-code hash is a
/// second factor, so they stay inside the encrypted store.
const SECRET_COLUMNS: [(&str, &str); 4] = [
    ("staff", "pin_hash"),
    ("staff", "totp_secret"),
    ("staff", "totp_recovery"),
    ("staff", "totp_last_step"),
];

/// Export format name, written at the top of every export.
pub const FORMAT: &str = "vetdesk-export-v1";

fn json_of(value: Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Int(v) => Json::from(v),
        Value::Real(v) => serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number),
        Value::Text(s) => Json::String(s),
        Value::Blob(b) => Json::String(hex::encode(b)),
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Io(e)
}

impl Store {
    /// The live columns of a synced table, without merge bookkeeping (and without PIN
    /// hashes unless `secrets`), sorted by name.
    fn export_columns(&self, table: &str, secrets: bool) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT name FROM pragma_table_info(?1)")?;
        let mut columns: Vec<String> = stmt
            .query_map([table], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?
            .into_iter()
            .filter(|c| c != "_hlc" && (secrets || !SECRET_COLUMNS.contains(&(table, c.as_str()))))
            .collect();
        columns.sort();
        Ok(columns)
    }

    /// Writes the whole clinic as canonical JSON. Admins only: it is every record.
    pub fn export_json(&mut self, actor: &Actor, out: &mut dyn Write) -> Result<()> {
        if let Err(e) = actor.require(Permission::ManageClinic) {
            self.audit_refusal(actor, "export the clinic")?;
            return Err(e);
        }
        self.write_canonical(out, false)?;
        let id = self.status()?.clinic_id;
        self.transact(actor, |tx| tx.audit("clinic.export", "clinic", &id, "json"))
    }

    /// The canonical export without the permission check and its audit event (which
    /// would make the two exports being compared differ).
    #[doc(hidden)]
    pub fn export_canonical_for_tests(&self, out: &mut dyn Write) -> Result<()> {
        self.write_canonical(out, false)
    }

    fn write_canonical(&self, out: &mut dyn Write, secrets: bool) -> Result<()> {
        let mut names: Vec<&'static str> = schema::TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        write!(out, "{{\"format\":\"{FORMAT}\",\"tables\":{{").map_err(io)?;
        for (t, name) in names.iter().enumerate() {
            let columns = self.export_columns(name, secrets)?;
            let (sql, _) = Query::select()
                .columns(columns.iter().map(|c| sea_query::Alias::new(c.as_str())))
                .from(*name)
                .order_by("id", Order::Asc)
                .build(SqliteQueryBuilder);
            if t > 0 {
                out.write_all(b",").map_err(io)?;
            }
            write!(out, "\n\"{name}\":[").map_err(io)?;
            let mut stmt = self.conn().prepare(&sql)?;
            let mut rows = stmt.query([])?;
            let mut first = true;
            while let Some(row) = rows.next()? {
                let mut object = BTreeMap::new();
                for (i, column) in columns.iter().enumerate() {
                    object.insert(column.as_str(), json_of(row.get::<_, Value>(i)?));
                }
                if !first {
                    out.write_all(b",").map_err(io)?;
                }
                first = false;
                out.write_all(b"\n").map_err(io)?;
                serde_json::to_writer(&mut *out, &object).map_err(|e| io(e.into()))?;
            }
            out.write_all(b"]").map_err(io)?;
        }
        out.write_all(b"}}\n").map_err(io)?;
        Ok(())
    }

    /// SHA-256 (hex) over the canonical export and the clinical-text history: equal on
    /// two devices exactly when they hold the same records.
    pub fn digest(&self) -> Result<String> {
        let mut hasher = HashWriter(Sha256::new());
        self.write_canonical(&mut hasher, true)?;
        let mut stmt = self
            .conn()
            .prepare("SELECT tbl, row_id, col, hlc, base_hlc, value FROM text_history ORDER BY tbl, row_id, col, hlc")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            for i in 0..6 {
                let value: Value = row.get(i)?;
                let json = json_of(value).to_string();
                hasher.0.update((json.len() as u64).to_be_bytes());
                hasher.0.update(json.as_bytes());
            }
        }
        Ok(hex::encode(hasher.0.finalize()))
    }
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
