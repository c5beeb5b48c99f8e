//! An encounter being written: opened for a patient or from a checked-in appointment,
//! its SOAP text (clinical text keeps its edit history), vitals, diagnoses and problems.
//! Only a draft encounter takes these; a signed one takes addenda (`signing`).

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cells::{self};
use crate::changes::Value;
use crate::roles::{Permission, Role};
use crate::schema::{DIAGNOSES, ENCOUNTERS, PROBLEMS, VITALS, WEIGHTS};
use crate::services::clients::exists;
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

/// The four SOAP sections as a person edits them.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SoapInput {
    pub subjective: Option<String>,
    pub objective: Option<String>,
    pub assessment: Option<String>,
    pub plan: Option<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VitalsInput {
    pub temperature_c: Option<f64>,
    pub heart_rate: Option<i64>,
    pub respiratory_rate: Option<i64>,
    pub weight_kg: Option<f64>,
}

pub const CERTAINTIES: [&str; 3] = ["provisional", "confirmed", "ruled_out"];

/// An encounter with its clinical content (for roles that may read it).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Encounter {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub appointment_id: Option<Uuid>,
    pub vet_id: Option<Uuid>,
    pub started_at: String,
    pub soap: SoapInput,
    pub signed: Option<Signature>,
    pub addenda: Vec<Addendum>,
    pub diagnoses: Vec<(Uuid, String, String)>,
    pub vitals: Vec<VitalsInput>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub signed_by: String,
    pub signed_at: String,
    pub content_hash: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Addendum {
    pub id: Uuid,
    pub author_id: String,
    pub text: String,
    pub created_at: String,
}

/// What every role may see of an encounter: the timeline entry, no clinical text.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncounterSummary {
    pub id: Uuid,
    pub started_at: String,
    pub vet_id: Option<Uuid>,
    pub signed: bool,
}

pub(super) fn clean_soap(input: &SoapInput) -> Result<SoapInput> {
    let section =
        |field, v: &Option<String>| validate::optional_text(field, v.as_deref(), 50_000, true);
    Ok(SoapInput {
        subjective: section("subjective", &input.subjective)?,
        objective: section("objective", &input.objective)?,
        assessment: section("assessment", &input.assessment)?,
        plan: section("plan", &input.plan)?,
    })
}

impl Tx<'_> {
    pub(crate) fn require_draft(&self, encounter: Uuid) -> Result<()> {
        if !exists(self, "encounters", encounter)? {
            return Err(Error::not_found("encounter", encounter));
        }
        if cells::is_signed(self.conn(), &encounter.to_string())? {
            return Err(Error::EncounterSigned(encounter.to_string()));
        }
        Ok(())
    }

    pub(crate) fn patient_of(&self, encounter: Uuid) -> Result<String> {
        self.conn()
            .prepare_cached("SELECT patient_id FROM encounters WHERE id = ?1 AND deleted = 0")?
            .query_row([encounter.to_string()], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten()
            .ok_or_else(|| Error::not_found("encounter", encounter))
    }

    /// Opens a draft encounter for a patient (from an appointment, or a walk-in).
    pub fn start_encounter(&mut self, patient: Uuid, appointment: Option<Uuid>) -> Result<Uuid> {
        self.actor().require(Permission::WriteClinical)?;
        if !exists(self, "patients", patient)? {
            return Err(Error::not_found("patient", patient));
        }
        let vet = if self.actor().roles.contains(Role::Vet) {
            Some(self.actor().staff_id.to_string())
        } else {
            match appointment {
                Some(a) => self
                    .conn()
                    .prepare_cached("SELECT vet_id FROM appointments WHERE id = ?1")?
                    .query_row([a.to_string()], |r| r.get::<_, Option<String>>(0))
                    .optional()?
                    .flatten(),
                None => None,
            }
        };
        let id = self.new_id();
        let started_at = self.now_text();
        self.insert(
            &ENCOUNTERS,
            id,
            vec![
                ("patient_id", Value::Text(patient.to_string())),
                (
                    "appointment_id",
                    Value::opt_text(appointment.map(|a| a.to_string())),
                ),
                ("vet_id", Value::opt_text(vet)),
                ("started_at", Value::Text(started_at)),
            ],
        )?;
        self.audit(
            "encounter.start",
            "encounter",
            &id.to_string(),
            &patient.to_string(),
        )?;
        Ok(id)
    }

    /// Opens the exam for an appointment: a checked-in appointment moves to `in_exam`
    /// and its encounter starts; opening it again returns the same encounter. A booked
    /// patient must be checked in first.
    pub fn open_exam(&mut self, appointment: Uuid) -> Result<Uuid> {
        self.actor().require(Permission::WriteClinical)?;
        let row: Option<(Option<String>, Option<String>)> = self
            .conn()
            .prepare_cached(
                "SELECT patient_id, status FROM appointments WHERE id = ?1 AND deleted = 0",
            )?
            .query_row([appointment.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((Some(patient), status)) = row else {
            return Err(Error::not_found("appointment", appointment));
        };
        let patient = crate::stored::id("patient id", &patient)?;
        let existing: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM encounters WHERE appointment_id = ?1 AND deleted = 0
                 ORDER BY started_at, id LIMIT 1",
            )?
            .query_row([appointment.to_string()], |r| r.get(0))
            .optional()?;
        match status.as_deref() {
            Some("checked_in") => {
                self.set_appointment_status(appointment, crate::services::schedule::Status::InExam)?
            }
            Some("in_exam") => {}
            Some("booked") | None => {
                return Err(Error::NotAllowedNow(
                    "the patient has not been checked in yet".into(),
                ));
            }
            Some(other) if existing.is_none() => {
                return Err(Error::NotAllowedNow(format!(
                    "the appointment is {other}: there is no exam to open"
                )));
            }
            Some(_) => {}
        }
        match existing {
            Some(id) => crate::stored::id("encounter id", &id),
            None => self.start_encounter(patient, Some(appointment)),
        }
    }

    /// Replaces the draft's SOAP text (sections left `None` are cleared).
    pub fn update_soap(&mut self, encounter: Uuid, soap: &SoapInput) -> Result<()> {
        self.actor().require(Permission::WriteClinical)?;
        self.require_draft(encounter)?;
        let soap = clean_soap(soap)?;
        let changed = self.update(
            &ENCOUNTERS,
            encounter,
            vec![
                ("subjective", Value::opt_text(soap.subjective)),
                ("objective", Value::opt_text(soap.objective)),
                ("assessment", Value::opt_text(soap.assessment)),
                ("plan", Value::opt_text(soap.plan)),
            ],
        )?;
        if changed > 0 {
            self.audit("encounter.edit", "encounter", &encounter.to_string(), "")?;
        }
        Ok(())
    }

    /// Records vitals (and the weight, if taken) as append-only readings.
    pub fn record_vitals(&mut self, encounter: Uuid, vitals: &VitalsInput) -> Result<Uuid> {
        self.actor().require(Permission::WriteClinical)?;
        self.require_draft(encounter)?;
        let patient = self.patient_of(encounter)?;
        let temperature = vitals
            .temperature_c
            .map(|t| validate::in_range("temperature", t, 25.0, 45.0, "°C"))
            .transpose()?;
        let heart = vitals
            .heart_rate
            .map(|h| validate::in_range("heart rate", h as f64, 5.0, 500.0, "bpm").map(|_| h))
            .transpose()?;
        let resp = vitals
            .respiratory_rate
            .map(|r| {
                validate::in_range("respiratory rate", r as f64, 1.0, 250.0, "breaths/min")
                    .map(|_| r)
            })
            .transpose()?;
        let weight = vitals
            .weight_kg
            .map(|w| validate::weight_kg("weight", w))
            .transpose()?;
        if temperature.is_none() && heart.is_none() && resp.is_none() && weight.is_none() {
            return Err(Error::Invalid {
                field: "vitals",
                message: "enter at least one reading".into(),
            });
        }
        let id = self.new_id();
        let now = self.now_text();
        let by = self.actor().staff_id.to_string();
        self.insert(
            &VITALS,
            id,
            vec![
                ("encounter_id", Value::Text(encounter.to_string())),
                ("patient_id", Value::Text(patient.clone())),
                ("temperature_c", Value::from(temperature)),
                ("heart_rate", Value::from(heart)),
                ("respiratory_rate", Value::from(resp)),
                ("recorded_at", Value::Text(now.clone())),
                ("recorded_by", Value::Text(by.clone())),
            ],
        )?;
        if let Some(kg) = weight {
            let weight_id = self.new_id();
            self.insert(
                &WEIGHTS,
                weight_id,
                vec![
                    ("patient_id", Value::Text(patient)),
                    ("kg", Value::Real(kg)),
                    ("measured_at", Value::Text(now)),
                    ("recorded_by", Value::Text(by)),
                    ("encounter_id", Value::Text(encounter.to_string())),
                ],
            )?;
        }
        self.audit("encounter.vitals", "encounter", &encounter.to_string(), "")?;
        Ok(id)
    }

    pub fn add_diagnosis(&mut self, encounter: Uuid, name: &str, certainty: &str) -> Result<Uuid> {
        let id = self.new_id();
        self.add_diagnosis_as(id, encounter, name, certainty)
    }

    /// [`add_diagnosis`](Self::add_diagnosis) under a given row id (the scribe derives
    /// it from the drafted item, so two devices approving one item make one row).
    pub(crate) fn add_diagnosis_as(
        &mut self,
        id: Uuid,
        encounter: Uuid,
        name: &str,
        certainty: &str,
    ) -> Result<Uuid> {
        self.actor().require(Permission::WriteClinical)?;
        self.require_draft(encounter)?;
        let name = validate::text("diagnosis", name, 200, false)?;
        let certainty = validate::one_of("certainty", certainty, &CERTAINTIES)?;
        let patient = self.patient_of(encounter)?;
        self.insert(
            &DIAGNOSES,
            id,
            vec![
                ("encounter_id", Value::Text(encounter.to_string())),
                ("patient_id", Value::Text(patient)),
                ("name", Value::Text(name)),
                ("certainty", Value::text(certainty)),
            ],
        )?;
        self.audit(
            "encounter.diagnosis",
            "encounter",
            &encounter.to_string(),
            "",
        )?;
        Ok(id)
    }

    /// Adds an entry to the patient's problem list.
    pub fn add_problem(
        &mut self,
        patient: Uuid,
        encounter: Option<Uuid>,
        name: &str,
    ) -> Result<Uuid> {
        self.actor().require(Permission::WriteClinical)?;
        if !exists(self, "patients", patient)? {
            return Err(Error::not_found("patient", patient));
        }
        let name = validate::text("problem", name, 200, false)?;
        let id = self.new_id();
        let noted_at = self.now_text();
        self.insert(
            &PROBLEMS,
            id,
            vec![
                ("patient_id", Value::Text(patient.to_string())),
                (
                    "encounter_id",
                    Value::opt_text(encounter.map(|e| e.to_string())),
                ),
                ("name", Value::Text(name)),
                ("status", Value::text("active")),
                ("noted_at", Value::Text(noted_at)),
            ],
        )?;
        self.audit("patient.problem_add", "patient", &patient.to_string(), "")?;
        Ok(id)
    }

    pub fn resolve_problem(&mut self, problem: Uuid) -> Result<()> {
        self.actor().require(Permission::WriteClinical)?;
        self.update(
            &PROBLEMS,
            problem,
            vec![("status", Value::text("resolved"))],
        )?;
        self.audit(
            "patient.problem_resolve",
            "problem",
            &problem.to_string(),
            "",
        )
    }
}
