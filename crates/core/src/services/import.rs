//! Importing clients and their patients from a CSV file (a practice moving from
//! another system). Every row is checked first with the same validation the services
//! use; bad rows are reported by line number with the reason, good rows are written
//! in one transaction, so an import that fails part-way leaves nothing half-written.
//!
//! Columns (header names, any order, case-insensitive): `first_name`, `last_name`
//! (required), `phone`, `email`, `address`, `consent_email`, `consent_sms`,
//! `consent_recording`, `notes`, and for a patient on the same row `patient_name`,
//! `species`, `breed`, `sex`, `neutered`, `date_of_birth`, `microchip`, `colour`,
//! `allergies`, `alerts`. Rows with the same client (names plus phone or email) share
//! one client record.

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;

use crate::roles::{Actor, Permission};
use crate::services::clients::{ClientInput, PatientInput, clean_patient};
use crate::store::Store;
use crate::{Error, Result};

const CLIENT_COLUMNS: [&str; 9] = [
    "first_name",
    "last_name",
    "phone",
    "email",
    "address",
    "consent_email",
    "consent_sms",
    "consent_recording",
    "notes",
];
const PATIENT_COLUMNS: [&str; 11] = [
    "patient_name",
    "species",
    "breed",
    "sex",
    "neutered",
    "date_of_birth",
    "microchip",
    "colour",
    "allergies",
    "alerts",
    "deceased",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub rows: u64,
    pub clients_created: u64,
    pub patients_created: u64,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

fn flag(column: &'static str, value: &str) -> Result<bool> {
    match value.trim().to_lowercase().as_str() {
        "" | "0" | "no" | "n" | "false" => Ok(false),
        "1" | "yes" | "y" | "true" => Ok(true),
        other => Err(Error::Invalid {
            field: column,
            message: format!("{other:?} is not yes or no"),
        }),
    }
}

struct Row {
    line: u64,
    client: ClientInput,
    patient: Option<PatientInput>,
}

/// Reads and checks every row; returns the good ones and the rejected ones.
fn parse(reader: impl Read, today: time::Date) -> Result<(Vec<Row>, Vec<RejectedRow>)> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| Error::Invalid {
            field: "header",
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    for required in ["first_name", "last_name"] {
        if !headers.iter().any(|h| h == required) {
            return Err(Error::Invalid {
                field: "header",
                message: format!("the first line must name the columns, including {required}"),
            });
        }
    }
    if let Some(unknown) = headers
        .iter()
        .find(|h| !CLIENT_COLUMNS.contains(&h.as_str()) && !PATIENT_COLUMNS.contains(&h.as_str()))
    {
        return Err(Error::Invalid {
            field: "header",
            message: format!(
                "unknown column {unknown:?}; known columns: {}, {}",
                CLIENT_COLUMNS.join(", "),
                PATIENT_COLUMNS.join(", ")
            ),
        });
    }
    let mut good = Vec::new();
    let mut rejected = Vec::new();
    for record in csv.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                rejected.push(RejectedRow {
                    line,
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != headers.len() {
            rejected.push(RejectedRow {
                line,
                reason: format!(
                    "has {} fields; the header has {}",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let get = |name: &str| -> String {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .to_string()
        };
        let opt = |name: &str| -> Option<String> { Some(get(name)).filter(|v| !v.is_empty()) };
        let row = (|| -> Result<Row> {
            let client = ClientInput {
                first_name: get("first_name"),
                last_name: get("last_name"),
                phone: opt("phone"),
                email: opt("email"),
                address: opt("address"),
                consent_email: flag("consent_email", &get("consent_email"))?,
                consent_sms: flag("consent_sms", &get("consent_sms"))?,
                consent_recording: flag("consent_recording", &get("consent_recording"))?,
                notes: opt("notes"),
            };
            let client = crate::services::clients::clean_client(&client)?;
            let patient = match opt("patient_name") {
                None => None,
                Some(name) => Some(clean_patient(
                    &PatientInput {
                        name,
                        species: get("species"),
                        breed: opt("breed"),
                        sex: get("sex"),
                        neutered: flag("neutered", &get("neutered"))?,
                        date_of_birth: opt("date_of_birth"),
                        microchip: opt("microchip"),
                        colour: opt("colour"),
                        allergies: opt("allergies"),
                        alerts: opt("alerts"),
                        deceased: flag("deceased", &get("deceased"))?,
                    },
                    today,
                )?),
            };
            Ok(Row {
                line,
                client,
                patient,
            })
        })();
        match row {
            Ok(row) => good.push(row),
            Err(e) => rejected.push(RejectedRow {
                line,
                reason: e.to_string(),
            }),
        }
    }
    Ok((good, rejected))
}

impl Store {
    /// Imports clients and patients from CSV. `progress(done, total)` is called as rows
    /// are written.
    pub fn import_clients_csv(
        &mut self,
        actor: &Actor,
        reader: impl Read,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportReport> {
        if let Err(e) = actor.require(Permission::EditClientsAndPatients) {
            self.audit_refusal(actor, Permission::EditClientsAndPatients.as_str())?;
            return Err(e);
        }
        let (rows, rejected) = parse(reader, self.now().date())?;
        let total = rows.len() as u64;
        let mut report = ImportReport {
            rows: total + rejected.len() as u64,
            rejected,
            ..Default::default()
        };
        let (clients, patients) = self.transact(actor, |tx| {
            let mut seen: HashMap<(String, String, String), uuid::Uuid> = HashMap::new();
            let (mut clients, mut patients) = (0u64, 0u64);
            for (done, row) in rows.iter().enumerate() {
                let at_line = |e: Error| match e {
                    Error::Invalid { field, message } => Error::Invalid {
                        field,
                        message: format!("{message} (line {})", row.line),
                    },
                    other => other,
                };
                let key = (
                    row.client.first_name.to_lowercase(),
                    row.client.last_name.to_lowercase(),
                    row.client
                        .phone
                        .clone()
                        .or_else(|| row.client.email.clone())
                        .unwrap_or_default(),
                );
                let client = match seen.get(&key) {
                    Some(id) => *id,
                    None => {
                        let id = tx.create_client(&row.client).map_err(at_line)?;
                        clients += 1;
                        seen.insert(key, id);
                        id
                    }
                };
                if let Some(patient) = &row.patient {
                    tx.create_patient(patient, &[client]).map_err(at_line)?;
                    patients += 1;
                }
                if done % 500 == 499 {
                    progress(done as u64 + 1, total);
                }
            }
            tx.audit(
                "clients.import",
                "clinic",
                "",
                &format!("{clients} clients, {patients} patients"),
            )?;
            Ok((clients, patients))
        })?;
        progress(total, total);
        report.clients_created = clients;
        report.patients_created = patients;
        Ok(report)
    }
}
