//! Clients (animal owners) and patients (their animals), with owners, weights,
//! alerts and allergies. Front desk and clinical staff alike edit these.

use rusqlite::{OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{CLIENTS, PATIENT_OWNERS, PATIENTS, WEIGHTS};
use crate::store::Store;
use crate::validate;
use crate::write::{Tx, rfc3339};
use crate::{Error, Result};

/// What a person enters for a client.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientInput {
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub consent_email: bool,
    pub consent_sms: bool,
    /// Consent to record audio in the exam room.
    pub consent_recording: bool,
    pub notes: Option<String>,
}

/// A client as stored.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Client {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: ClientInput,
    pub created_at: String,
}

/// The species Vetdesk knows (drug dose ranges and extraction depend on them).
pub const SPECIES: [&str; 11] = [
    "dog",
    "cat",
    "rabbit",
    "guinea_pig",
    "hamster",
    "ferret",
    "bird",
    "reptile",
    "horse",
    "cattle",
    "other",
];

pub const SEXES: [&str; 3] = ["male", "female", "unknown"];

/// What a person enters for a patient.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PatientInput {
    pub name: String,
    pub species: String,
    pub breed: Option<String>,
    pub sex: String,
    pub neutered: bool,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub microchip: Option<String>,
    pub colour: Option<String>,
    pub allergies: Option<String>,
    pub alerts: Option<String>,
    pub deceased: bool,
}

/// A patient as stored, with its owners.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patient {
    pub id: Uuid,
    /// The number people read out and type (`7F3A2C-42`); none for a patient from
    /// before numbers until it is next saved.
    pub number: Option<String>,
    #[serde(flatten)]
    pub fields: PatientInput,
    pub owners: Vec<Owner>,
    pub created_at: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub client_id: Uuid,
    pub name: String,
    pub primary: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightReading {
    pub id: Uuid,
    pub kg: f64,
    pub measured_at: String,
}

pub(crate) fn clean_client(input: &ClientInput) -> Result<ClientInput> {
    Ok(ClientInput {
        first_name: validate::text("first name", &input.first_name, 100, false)?,
        last_name: validate::text("last name", &input.last_name, 100, false)?,
        phone: validate::phone("phone", input.phone.as_deref())?,
        email: validate::email("email", input.email.as_deref())?,
        address: validate::optional_text("address", input.address.as_deref(), 500, true)?,
        consent_email: input.consent_email,
        consent_sms: input.consent_sms,
        consent_recording: input.consent_recording,
        notes: validate::optional_text("notes", input.notes.as_deref(), 20_000, true)?,
    })
}

fn client_values(c: &ClientInput) -> Vec<(&'static str, Value)> {
    vec![
        ("first_name", Value::text(&c.first_name)),
        ("last_name", Value::text(&c.last_name)),
        ("phone", Value::opt_text(c.phone.clone())),
        ("email", Value::opt_text(c.email.clone())),
        ("address", Value::opt_text(c.address.clone())),
        ("consent_email", Value::bool(c.consent_email)),
        ("consent_sms", Value::bool(c.consent_sms)),
        ("consent_recording", Value::bool(c.consent_recording)),
        ("notes", Value::opt_text(c.notes.clone())),
    ]
}

/// Cleans a patient's fields; `today` bounds the date of birth.
pub fn clean_patient(input: &PatientInput, today: time::Date) -> Result<PatientInput> {
    let date_of_birth = match input.date_of_birth.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(validate::date_text(validate::date(
            "date of birth",
            d,
            today,
            true,
        )?)),
    };
    Ok(PatientInput {
        name: validate::text("patient name", &input.name, 100, false)?,
        species: validate::one_of("species", &input.species, &SPECIES)?.to_string(),
        breed: validate::optional_text("breed", input.breed.as_deref(), 100, false)?,
        sex: if input.sex.trim().is_empty() {
            "unknown".into()
        } else {
            validate::one_of("sex", &input.sex, &SEXES)?.to_string()
        },
        neutered: input.neutered,
        date_of_birth,
        microchip: validate::microchip("microchip", input.microchip.as_deref())?,
        colour: validate::optional_text("colour", input.colour.as_deref(), 100, false)?,
        allergies: validate::optional_text("allergies", input.allergies.as_deref(), 2000, true)?,
        alerts: validate::optional_text("alerts", input.alerts.as_deref(), 2000, true)?,
        deceased: input.deceased,
    })
}

fn patient_values(p: &PatientInput) -> Vec<(&'static str, Value)> {
    vec![
        ("name", Value::text(&p.name)),
        ("species", Value::text(&p.species)),
        ("breed", Value::opt_text(p.breed.clone())),
        ("sex", Value::text(&p.sex)),
        ("neutered", Value::bool(p.neutered)),
        ("date_of_birth", Value::opt_text(p.date_of_birth.clone())),
        ("microchip", Value::opt_text(p.microchip.clone())),
        ("colour", Value::opt_text(p.colour.clone())),
        ("allergies", Value::opt_text(p.allergies.clone())),
        ("alerts", Value::opt_text(p.alerts.clone())),
        ("deceased", Value::bool(p.deceased)),
    ]
}

/// The owner link's id, derived from the pair, so two devices linking the same owner
/// make the same row.
fn owner_link_id(patient: Uuid, client: Uuid) -> Uuid {
    let mut name = Vec::with_capacity(32);
    name.extend_from_slice(patient.as_bytes());
    name.extend_from_slice(client.as_bytes());
    Uuid::new_v5(&Uuid::NAMESPACE_OID, &name)
}

pub(crate) fn exists(tx: &Tx<'_>, table: &str, id: Uuid) -> Result<bool> {
    let sql = match table {
        "clients" => "SELECT 1 FROM clients WHERE id = ?1 AND deleted = 0",
        "patients" => "SELECT 1 FROM patients WHERE id = ?1 AND deleted = 0",
        "encounters" => "SELECT 1 FROM encounters WHERE id = ?1 AND deleted = 0",
        "appointments" => "SELECT 1 FROM appointments WHERE id = ?1 AND deleted = 0",
        "rooms" => "SELECT 1 FROM rooms WHERE id = ?1 AND deleted = 0",
        "staff" => "SELECT 1 FROM staff WHERE id = ?1 AND deleted = 0",
        "appointment_types" => "SELECT 1 FROM appointment_types WHERE id = ?1 AND deleted = 0",
        "schedule_blocks" => "SELECT 1 FROM schedule_blocks WHERE id = ?1 AND deleted = 0",
        "slot_templates" => "SELECT 1 FROM slot_templates WHERE id = ?1 AND deleted = 0",
        _ => return Ok(false),
    };
    Ok(tx.conn().prepare_cached(sql)?.exists([id.to_string()])?)
}

impl Tx<'_> {
    pub fn create_client(&mut self, input: &ClientInput) -> Result<Uuid> {
        self.actor().require(Permission::EditClientsAndPatients)?;
        let client = clean_client(input)?;
        let id = self.new_id();
        let mut values = client_values(&client);
        values.push(("created_at", Value::Text(self.now_text())));
        self.insert(&CLIENTS, id, values)?;
        self.audit("client.create", "client", &id.to_string(), "")?;
        Ok(id)
    }

    pub fn update_client(&mut self, id: Uuid, input: &ClientInput) -> Result<()> {
        self.actor().require(Permission::EditClientsAndPatients)?;
        if !exists(self, "clients", id)? {
            return Err(Error::not_found("client", id));
        }
        let client = clean_client(input)?;
        let changed = self.update(&CLIENTS, id, client_values(&client))?;
        if changed > 0 {
            self.audit("client.update", "client", &id.to_string(), "")?;
        }
        Ok(())
    }

    /// Removes a client who owns no living patient alone.
    pub fn delete_client(&mut self, id: Uuid) -> Result<()> {
        self.actor().require(Permission::EditClientsAndPatients)?;
        if !exists(self, "clients", id)? {
            return Err(Error::not_found("client", id));
        }
        let sole_owner: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT p.name FROM patient_owners o JOIN patients p ON p.id = o.patient_id
                 WHERE o.client_id = ?1 AND o.deleted = 0 AND p.deleted = 0
                   AND NOT EXISTS (SELECT 1 FROM patient_owners o2 WHERE o2.patient_id = o.patient_id
                                   AND o2.client_id != ?1 AND o2.deleted = 0)
                 LIMIT 1",
            )?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        if let Some(patient) = sole_owner {
            return Err(Error::NotAllowedNow(format!(
                "this client is the only owner of {patient}: give {patient} another owner first"
            )));
        }
        self.delete(&CLIENTS, id)?;
        self.audit("client.delete", "client", &id.to_string(), "")
    }

    /// Registers a patient with at least one owner (the first is the primary one).
    pub fn create_patient(&mut self, input: &PatientInput, owners: &[Uuid]) -> Result<Uuid> {
        self.actor().require(Permission::EditClientsAndPatients)?;
        let patient = clean_patient(input, self.now().date())?;
        if owners.is_empty() {
            return Err(Error::Invalid {
                field: "owners",
                message: "a patient needs at least one owner".into(),
            });
        }
        for owner in owners {
            if !exists(self, "clients", *owner)? {
                return Err(Error::Invalid {
                    field: "owners",
                    message: format!("no client with id {owner}"),
                });
            }
        }
        let id = self.new_id();
        // Owners first: the patient's search entry then names them from the start.
        for (i, owner) in owners.iter().enumerate() {
            self.link_owner(id, *owner, i == 0)?;
        }
        let mut values = patient_values(&patient);
        values.push(("created_at", Value::Text(self.now_text())));
        values.push(("number", Value::Text(self.next_patient_number()?)));
        self.insert(&PATIENTS, id, values)?;
        self.audit("patient.create", "patient", &id.to_string(), "")?;
        Ok(id)
    }

    /// The next number of this device's patient series: one more than the highest of
    /// the series this store knows (its own patients come back by sync, so a restored
    /// device does not repeat one).
    fn next_patient_number(&self) -> Result<String> {
        let (code, seq) = self.next_patient_seq()?;
        Ok(vetdesk_billing::numbering::short_number(&code, seq))
    }

    /// This device's series code and the next place in it: one look-up of the highest,
    /// which triggers keep in `number_series` as numbers are written or merged
    /// (`migrations/local/27-number-series`; every stored number of the series ends in
    /// digits: each device refuses one that does not, `schema::check_maker`).
    fn next_patient_seq(&self) -> Result<(String, u64)> {
        let code = vetdesk_billing::numbering::register_code(self.device());
        let highest: Option<i64> = self
            .conn()
            .prepare_cached("SELECT last_seq FROM number_series WHERE prefix = ?1")?
            .query_row([format!("patient:{code}-")], |r| r.get(0))
            .optional()?;
        let next = u64::try_from(highest.unwrap_or(0).max(0)).unwrap_or(0) + 1;
        Ok((code, next))
    }

    /// Gives a patient without a number (one from before numbers) the next of this
    /// device's series; true when it had none.
    fn number_if_missing(&mut self, id: Uuid) -> Result<bool> {
        let number: Option<String> = self
            .conn()
            .prepare_cached("SELECT number FROM patients WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?
            .flatten();
        if number.is_some() {
            return Ok(false);
        }
        let next = self.next_patient_number()?;
        self.set(&PATIENTS, id, "number", Value::Text(next))?;
        Ok(true)
    }

    /// Numbers every patient that has none, from this device's series (admins: after
    /// an upgrade, so the whole list can be read out at once); returns how many.
    pub fn number_all_patients(&mut self) -> Result<usize> {
        self.actor().require(Permission::ManageClinic)?;
        let missing: Vec<String> = self
            .conn()
            .prepare_cached("SELECT id FROM patients WHERE number IS NULL AND deleted = 0 ORDER BY created_at, id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        // The series' next place is found once and counted on: numbering a whole
        // upgraded clinic reads the series once, not once per patient.
        let (code, first) = self.next_patient_seq()?;
        for (seq, id) in (first..).zip(&missing) {
            let number = vetdesk_billing::numbering::short_number(&code, seq);
            self.set(
                &PATIENTS,
                crate::stored::id("patient", id)?,
                "number",
                Value::Text(number),
            )?;
        }
        if !missing.is_empty() {
            self.audit(
                "patient.number_all",
                "patient",
                "",
                &missing.len().to_string(),
            )?;
        }
        Ok(missing.len())
    }

    fn link_owner(&mut self, patient: Uuid, client: Uuid, primary: bool) -> Result<()> {
        let link = owner_link_id(patient, client);
        let existing: Option<i64> = self
            .conn()
            .prepare_cached("SELECT deleted FROM patient_owners WHERE id = ?1")?
            .query_row([link.to_string()], |r| r.get(0))
            .optional()?;
        match existing {
            Some(0) => Ok(()),
            Some(_) => self.set(&PATIENT_OWNERS, link, "deleted", Value::Int(0)),
            None => self.insert(
                &PATIENT_OWNERS,
                link,
                vec![
                    ("patient_id", Value::Text(patient.to_string())),
                    ("client_id", Value::Text(client.to_string())),
                    ("is_primary", Value::bool(primary)),
                ],
            ),
        }
    }

    pub fn update_patient(&mut self, id: Uuid, input: &PatientInput) -> Result<()> {
        self.actor().require(Permission::EditClientsAndPatients)?;
        if !exists(self, "patients", id)? {
            return Err(Error::not_found("patient", id));
        }
        let patient = clean_patient(input, self.now().date())?;
        let changed = self.update(&PATIENTS, id, patient_values(&patient))?;
        let numbered = self.number_if_missing(id)?;
        if changed > 0 || numbered {
            self.audit("patient.update", "patient", &id.to_string(), "")?;
        }
        Ok(())
    }

    pub fn add_owner(&mut self, patient: Uuid, client: Uuid) -> Result<()> {
        self.actor().require(Permission::EditClientsAndPatients)?;
        if !exists(self, "patients", patient)? {
            return Err(Error::not_found("patient", patient));
        }
        if !exists(self, "clients", client)? {
            return Err(Error::not_found("client", client));
        }
        self.link_owner(patient, client, false)?;
        self.audit(
            "patient.owner_add",
            "patient",
            &patient.to_string(),
            &client.to_string(),
        )
    }

    /// Removes an owner; a patient keeps at least one.
    pub fn remove_owner(&mut self, patient: Uuid, client: Uuid) -> Result<()> {
        self.actor().require(Permission::EditClientsAndPatients)?;
        let owners: i64 = self.conn().query_row(
            "SELECT count(*) FROM patient_owners WHERE patient_id = ?1 AND deleted = 0",
            [patient.to_string()],
            |r| r.get(0),
        )?;
        if owners <= 1 {
            return Err(Error::Invalid {
                field: "owners",
                message: "a patient needs at least one owner".into(),
            });
        }
        self.delete(&PATIENT_OWNERS, owner_link_id(patient, client))?;
        self.audit(
            "patient.owner_remove",
            "patient",
            &patient.to_string(),
            &client.to_string(),
        )
    }

    /// Records a weight reading (an append-only fact).
    pub fn record_weight(
        &mut self,
        patient: Uuid,
        kg: f64,
        encounter: Option<Uuid>,
    ) -> Result<Uuid> {
        self.actor().require(Permission::EditClientsAndPatients)?;
        let kg = validate::weight_kg("weight", kg)?;
        if !exists(self, "patients", patient)? {
            return Err(Error::not_found("patient", patient));
        }
        let id = self.new_id();
        let values = vec![
            ("patient_id", Value::Text(patient.to_string())),
            ("kg", Value::Real(kg)),
            ("measured_at", Value::Text(self.now_text())),
            (
                "recorded_by",
                Value::Text(self.actor().staff_id.to_string()),
            ),
            (
                "encounter_id",
                Value::opt_text(encounter.map(|e| e.to_string())),
            ),
        ];
        self.insert(&WEIGHTS, id, values)?;
        self.audit(
            "patient.weight",
            "patient",
            &patient.to_string(),
            &format!("{kg} kg"),
        )?;
        Ok(id)
    }
}

fn client_from_row(r: &Row<'_>) -> rusqlite::Result<Client> {
    let text = |i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };
    Ok(Client {
        id: crate::stored::row_id(r, 0, "client id")?,
        fields: ClientInput {
            first_name: text(1)?.unwrap_or_default(),
            last_name: text(2)?.unwrap_or_default(),
            phone: text(3)?,
            email: text(4)?,
            address: text(5)?,
            consent_email: r.get::<_, Option<i64>>(6)? == Some(1),
            consent_sms: r.get::<_, Option<i64>>(7)? == Some(1),
            consent_recording: r.get::<_, Option<i64>>(8)? == Some(1),
            notes: text(9)?,
        },
        created_at: text(10)?.unwrap_or_default(),
    })
}

const CLIENT_COLUMNS: &str = "id, first_name, last_name, phone, email, address, consent_email, consent_sms, consent_recording, notes, created_at";

impl Rx<'_> {
    pub fn client(&self, id: Uuid) -> Result<Client> {
        self.require(Permission::ViewClients)?;
        self.conn()
            .prepare_cached(&format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE id = ?1 AND deleted = 0"
            ))?
            .query_row([id.to_string()], client_from_row)
            .optional()?
            .ok_or_else(|| Error::not_found("client", id))
    }

    /// The patients a client owns.
    pub fn patients_of(&self, client: Uuid) -> Result<Vec<Patient>> {
        self.require(Permission::ViewClients)?;
        let ids: Vec<String> = self
            .conn()
            .prepare_cached(
                "SELECT p.id FROM patient_owners o JOIN patients p ON p.id = o.patient_id
                 WHERE o.client_id = ?1 AND o.deleted = 0 AND p.deleted = 0 ORDER BY p.name",
            )?
            .query_map([client.to_string()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .map(|id| self.patient(id))
            .collect()
    }

    pub fn patient(&self, id: Uuid) -> Result<Patient> {
        self.require(Permission::ViewClients)?;
        let found = self
            .conn()
            .prepare_cached(
                "SELECT name, species, breed, sex, neutered, date_of_birth, microchip, colour,
                        allergies, alerts, deceased, created_at, number
                 FROM patients WHERE id = ?1 AND deleted = 0",
            )?
            .query_row([id.to_string()], |r| {
                let text = |i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };
                Ok((
                    PatientInput {
                        name: text(0)?.unwrap_or_default(),
                        species: text(1)?.unwrap_or_default(),
                        breed: text(2)?,
                        sex: text(3)?.unwrap_or_default(),
                        neutered: r.get::<_, Option<i64>>(4)? == Some(1),
                        date_of_birth: text(5)?,
                        microchip: text(6)?,
                        colour: text(7)?,
                        allergies: text(8)?,
                        alerts: text(9)?,
                        deceased: r.get::<_, Option<i64>>(10)? == Some(1),
                    },
                    text(11)?.unwrap_or_default(),
                    text(12)?,
                ))
            })
            .optional()?;
        let Some((fields, created_at, number)) = found else {
            return Err(Error::not_found("patient", id));
        };
        let owners = self
            .conn()
            .prepare_cached(
                "SELECT c.id, coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''), o.is_primary
                 FROM patient_owners o JOIN clients c ON c.id = o.client_id
                 WHERE o.patient_id = ?1 AND o.deleted = 0 AND c.deleted = 0
                 ORDER BY o.is_primary DESC, c.last_name",
            )?
            .query_map([id.to_string()], |r| {
                Ok(Owner {
                    client_id: crate::stored::row_id(r, 0, "client id")?,
                    name: r.get(1)?,
                    primary: r.get::<_, Option<i64>>(2)? == Some(1),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Patient {
            id,
            number,
            fields,
            owners,
            created_at,
        })
    }

    /// A patient's weights, oldest first (the weight chart).
    pub fn weights(&self, patient: Uuid) -> Result<Vec<WeightReading>> {
        self.require(Permission::ViewClients)?;
        let weights = self
            .conn()
            .prepare_cached("SELECT id, kg, measured_at FROM weights WHERE patient_id = ?1 ORDER BY measured_at, id")?
            .query_map([patient.to_string()], |r| {
                Ok(WeightReading {
                    id: crate::stored::row_id(r, 0, "weight id")?,
                    kg: r.get::<_, Option<f64>>(1)?.unwrap_or(0.0),
                    measured_at: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(weights)
    }
}

impl Store {
    /// How many clients and patients the clinic has (not deleted): a figure for the
    /// status line, no record's content, so it needs no sign-in.
    pub fn counts(&self) -> Result<(u64, u64)> {
        let count = |sql: &str| -> Result<u64> {
            let n: i64 = self.conn().query_row(sql, [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok((
            count("SELECT count(*) FROM clients WHERE deleted = 0")?,
            count("SELECT count(*) FROM patients WHERE deleted = 0")?,
        ))
    }
}

/// The current time as stored text (for callers outside a transaction).
pub fn now_text(store: &Store) -> String {
    rfc3339(store.now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_links_are_the_same_row_on_every_device() {
        let (p, c) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(owner_link_id(p, c), owner_link_id(p, c));
        assert_ne!(owner_link_id(p, c), owner_link_id(c, p));
    }

    #[test]
    fn patient_fields_are_checked() {
        let today = time::macros::date!(2026 - 11 - 22);
        let good = PatientInput {
            name: "Bella".into(),
            species: "Dog".into(),
            sex: "female".into(),
            date_of_birth: Some("2019-05-01".into()),
            ..Default::default()
        };
        assert_eq!(
            clean_patient(&good, today).map(|p| p.species).ok(),
            Some("dog".into())
        );
        let unknown_species = PatientInput {
            species: "unicorn".into(),
            ..good.clone()
        };
        assert!(matches!(
            clean_patient(&unknown_species, today),
            Err(Error::Invalid {
                field: "species",
                ..
            })
        ));
        let future = PatientInput {
            date_of_birth: Some("2030-01-01".into()),
            ..good
        };
        assert!(matches!(
            clean_patient(&future, today),
            Err(Error::Invalid {
                field: "date of birth",
                ..
            })
        ));
    }
}
