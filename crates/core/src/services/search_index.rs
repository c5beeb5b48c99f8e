//! Keeping the search index (`client_search`, `patient_search`) in step with the rows,
//! once per transaction (a derived index, `crate::engine::derived`, wired in at the
//! crate's root): local writes and merges note which clients, patients and owner
//! links they touched, and [`refresh`] rewrites just those index entries before the
//! transaction commits. (Single-row statements, so FTS5 keeps its pending terms in
//! memory until the commit instead of flushing them at a statement savepoint.)

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};

use crate::Result;
use crate::changes::Value;

/// What a transaction touched that the index shows.
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    clients: BTreeSet<String>,
    /// Clients whose surname changed: their patients' entries name them.
    renamed_clients: BTreeSet<String>,
    patients: BTreeSet<String>,
    owner_links: BTreeSet<String>,
    /// Rows created in this transaction: no index entry to remove first.
    fresh: BTreeSet<String>,
}

impl crate::engine::derived::DerivedIndex for Dirty {
    /// Notes that `row` was created in this transaction (it has no index entry yet).
    fn fresh(&mut self, row: &str) {
        self.fresh.insert(row.to_string());
    }

    /// Notes a write of `columns` (all of them for a new row) of `row` in `table`.
    fn note(&mut self, table: &str, row: &str, columns: &[(&str, &Value)]) {
        match table {
            "clients" => {
                self.clients.insert(row.to_string());
                if columns
                    .iter()
                    .any(|(c, _)| matches!(*c, "last_name" | "deleted"))
                {
                    self.renamed_clients.insert(row.to_string());
                }
            }
            "patients" => {
                self.patients.insert(row.to_string());
            }
            "patient_owners" => {
                self.owner_links.insert(row.to_string());
                if let Some((_, Value::Text(patient))) =
                    columns.iter().find(|(c, _)| *c == "patient_id")
                {
                    self.patients.insert(patient.clone());
                }
            }
            _ => {}
        }
    }

    fn refresh(self: Box<Self>, conn: &Connection) -> Result<()> {
        refresh(conn, *self)
    }
}

const DIGITS_ONLY: [char; 6] = [' ', '-', '(', ')', '+', '.'];

/// Rewrites the index entries of everything `dirty` names.
fn refresh(conn: &Connection, dirty: Dirty) -> Result<()> {
    let Dirty {
        clients,
        renamed_clients,
        mut patients,
        owner_links,
        fresh,
    } = dirty;
    for link in &owner_links {
        let patient: Option<Option<String>> = conn
            .prepare_cached("SELECT patient_id FROM patient_owners WHERE id = ?1")?
            .query_row([link], |r| r.get(0))
            .optional()?;
        if let Some(Some(patient)) = patient {
            patients.insert(patient);
        }
    }
    for client in &renamed_clients {
        let mut stmt =
            conn.prepare_cached("SELECT patient_id FROM patient_owners WHERE client_id = ?1")?;
        for patient in stmt.query_map([client], |r| r.get::<_, Option<String>>(0))? {
            if let Some(patient) = patient? {
                patients.insert(patient);
            }
        }
    }
    for client in &clients {
        refresh_client(conn, client, !fresh.contains(client))?;
    }
    for patient in &patients {
        refresh_patient(conn, patient, !fresh.contains(patient))?;
    }
    Ok(())
}

fn refresh_client(conn: &Connection, id: &str, indexed: bool) -> Result<()> {
    let row = conn
        .prepare_cached(
            "SELECT rowid, first_name, last_name, phone, email, deleted FROM clients WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .optional()?;
    let Some((rowid, first, last, phone, email, deleted)) = row else {
        return Ok(());
    };
    if indexed {
        conn.prepare_cached("DELETE FROM client_search WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    if deleted != 0 {
        return Ok(());
    }
    let phone = phone.unwrap_or_default();
    let digits: String = phone.chars().filter(|c| !DIGITS_ONLY.contains(c)).collect();
    let name = format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default());
    // The email's domain ("example", "com") is in almost every entry: indexing it only
    // made every write and merge slower. People type the part before the @.
    let email = email.unwrap_or_default();
    let mailbox = email.split('@').next().unwrap_or_default();
    let contact = format!("{phone} {digits} {mailbox}");
    conn.prepare_cached("INSERT INTO client_search (rowid, name, contact) VALUES (?1, ?2, ?3)")?
        .execute(params![rowid, name, contact])?;
    Ok(())
}

fn refresh_patient(conn: &Connection, id: &str, indexed: bool) -> Result<()> {
    let row = conn
        .prepare_cached(
            "SELECT rowid, name, trim(coalesce(microchip, '') || ' ' || coalesce(number, '')), deleted
             FROM patients WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    let Some((rowid, name, chip, deleted)) = row else {
        return Ok(());
    };
    if indexed {
        conn.prepare_cached("DELETE FROM patient_search WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    if deleted != 0 {
        return Ok(());
    }
    let owners: String = conn
        .prepare_cached(
            "SELECT coalesce(group_concat(c.last_name, ' ' ORDER BY c.last_name, c.id), '') FROM patient_owners o
             JOIN clients c ON c.id = o.client_id WHERE o.patient_id = ?1 AND o.deleted = 0 AND c.deleted = 0",
        )?
        .query_row([id], |r| r.get(0))?;
    conn.prepare_cached(
        "INSERT INTO patient_search (rowid, name, chip, owners) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        rowid,
        name.unwrap_or_default(),
        chip.unwrap_or_default(),
        owners
    ])?;
    Ok(())
}
