//! Encounters (the SOAP record of a visit), vitals, diagnoses, problems, prescriptions,
//! signing, addenda, and the conflicts a vet resolves.
//!
//! A signed encounter is immutable: its snapshot (canonical JSON of the SOAP text) is
//! hashed and kept; later changes are addenda. Edits made on another device while it
//! was being signed arrive as conflicts, never as silent changes of a signed record.

use rusqlite::{OptionalExtension, params};
use sea_query::{Expr, ExprTrait, Query, SqliteQueryBuilder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Rx;
use crate::cells::{self, SignedSoap};
use crate::changes::Value;
use crate::roles::{Permission, Role};
use crate::schema::{
    self, ADDENDA, CONFLICT_RESOLUTIONS, DIAGNOSES, ENCOUNTER_SNAPSHOTS, ENCOUNTERS, PRESCRIPTIONS,
    PROBLEMS, VITALS, WEIGHTS,
};
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
pub const UNITS: [&str; 10] = [
    "mg",
    "mcg",
    "g",
    "ml",
    "iu",
    "tablet",
    "capsule",
    "drop",
    "application",
    "puff",
];
pub const ROUTES: [&str; 10] = [
    "oral",
    "topical",
    "otic",
    "ophthalmic",
    "sc",
    "im",
    "iv",
    "inhaled",
    "rectal",
    "other",
];

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrescriptionInput {
    pub encounter_id: Uuid,
    pub drug: String,
    pub dose: f64,
    pub unit: String,
    pub route: String,
    /// As the label says it: "twice daily", "every 8 hours", "SID".
    pub frequency: String,
    pub duration_days: i64,
    pub quantity: f64,
    pub refills: i64,
    pub instructions: Option<String>,
}

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

/// Who a visit's printed documents are about.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DocumentParties {
    pub patient: String,
    pub species: String,
    pub owner: String,
    pub vet: String,
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

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prescription {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: PrescriptionInput,
    pub prescriber_id: String,
    pub prescribed_at: String,
    pub status: String,
}

/// A concurrent edit of clinical text that lost to the visible value and that nobody
/// has seen and decided on yet.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextConflict {
    pub table: String,
    pub row_id: Uuid,
    pub column: String,
    /// The losing edit's clock, hex: names the conflict when resolving it.
    pub loser_hlc: String,
    pub other_value: String,
    pub visible_value: Option<String>,
}

/// A `text_history` row: (table, row, column, clock, value).
type HistoryEntry = (String, String, String, Vec<u8>, Option<String>);

/// How a vet settles a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    KeepVisible,
    TakeOther,
    MakeAddendum,
}

impl Resolution {
    fn as_str(self) -> &'static str {
        match self {
            Resolution::KeepVisible => "kept_visible",
            Resolution::TakeOther => "took_other",
            Resolution::MakeAddendum => "made_addendum",
        }
    }
}

fn clean_soap(input: &SoapInput) -> Result<SoapInput> {
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

    /// Signs the encounter: its SOAP text is frozen in a hashed snapshot. Vets only.
    pub fn sign_encounter(&mut self, encounter: Uuid) -> Result<String> {
        self.actor().require(Permission::SignEncounter)?;
        self.require_draft(encounter)?;
        let soap = self
            .conn()
            .prepare_cached(
                "SELECT subjective, objective, assessment, plan FROM encounters WHERE id = ?1",
            )?
            .query_row([encounter.to_string()], |r| {
                Ok(SignedSoap {
                    subjective: r.get(0)?,
                    objective: r.get(1)?,
                    assessment: r.get(2)?,
                    plan: r.get(3)?,
                })
            })?;
        let content = serde_json::to_string(&soap).map_err(|e| Error::Invalid {
            field: "encounter",
            message: e.to_string(),
        })?;
        let hash = cells::snapshot_hash(&content);
        let id = self.new_id();
        let signed_at = self.now_text();
        let signer = self.actor().staff_id.to_string();
        self.insert(
            &ENCOUNTER_SNAPSHOTS,
            id,
            vec![
                ("encounter_id", Value::Text(encounter.to_string())),
                ("content", Value::Text(content)),
                ("content_hash", Value::Text(hash.clone())),
                ("signed_by", Value::Text(signer)),
                ("signed_at", Value::Text(signed_at)),
            ],
        )?;
        self.audit("encounter.sign", "encounter", &encounter.to_string(), &hash)?;
        Ok(hash)
    }

    /// Adds an addendum to a signed encounter (the only way to change it).
    pub fn add_addendum(&mut self, encounter: Uuid, text: &str) -> Result<Uuid> {
        self.actor().require(Permission::WriteClinical)?;
        if !cells::is_signed(self.conn(), &encounter.to_string())? {
            return Err(Error::NotAllowedNow(
                "this encounter is not signed yet: edit it instead of adding an addendum".into(),
            ));
        }
        let text = validate::text("addendum", text, 50_000, true)?;
        let id = self.new_id();
        let created_at = self.now_text();
        let author = self.actor().staff_id.to_string();
        self.insert(
            &ADDENDA,
            id,
            vec![
                ("encounter_id", Value::Text(encounter.to_string())),
                ("author_id", Value::Text(author)),
                ("text", Value::Text(text)),
                ("created_at", Value::Text(created_at)),
            ],
        )?;
        self.audit(
            "encounter.addendum",
            "encounter",
            &encounter.to_string(),
            "",
        )?;
        Ok(id)
    }

    /// Prescribes a drug in an encounter. Vets only.
    pub fn prescribe(&mut self, input: &PrescriptionInput) -> Result<Uuid> {
        let id = self.new_id();
        self.prescribe_as(id, input)
    }

    /// [`prescribe`](Self::prescribe) under a given row id (see
    /// [`add_diagnosis_as`](Self::add_diagnosis_as)).
    pub(crate) fn prescribe_as(&mut self, id: Uuid, input: &PrescriptionInput) -> Result<Uuid> {
        self.actor().require(Permission::Prescribe)?;
        let mut values = self.prescription_values(input)?;
        values.extend([
            (
                "prescriber_id",
                Value::Text(self.actor().staff_id.to_string()),
            ),
            ("prescribed_at", Value::Text(self.now_text())),
            ("status", Value::text("active")),
        ]);
        self.insert(&PRESCRIPTIONS, id, values)?;
        self.audit(
            "prescription.create",
            "prescription",
            &id.to_string(),
            &input.drug,
        )?;
        // A drug in the catalog is drafted onto the visit's invoice, which reserves it.
        self.draft_prescription_line(id, input.encounter_id, &input.drug, input.quantity)?;
        Ok(id)
    }

    /// Rewrites what an active prescription says (the scribe settling two devices'
    /// different approvals of one drafted medication).
    pub(crate) fn amend_prescription(&mut self, id: Uuid, input: &PrescriptionInput) -> Result<()> {
        self.actor().require(Permission::Prescribe)?;
        let mut values = self.prescription_values(input)?;
        values.push(("status", Value::text("active")));
        self.update(&PRESCRIPTIONS, id, values)?;
        self.sync_prescription_line(id, Some(input.quantity))?;
        self.audit(
            "prescription.amend",
            "prescription",
            &id.to_string(),
            &input.drug,
        )
    }

    /// The validated columns a prescription input stands for.
    fn prescription_values(&self, input: &PrescriptionInput) -> Result<Vec<(&'static str, Value)>> {
        let patient = self.patient_of(input.encounter_id)?;
        let drug = validate::text("drug", &input.drug, 200, false)?;
        if !input.dose.is_finite() || input.dose <= 0.0 {
            return Err(Error::Invalid {
                field: "dose",
                message: format!("{} is not a dose: it must be more than 0", input.dose),
            });
        }
        let unit = validate::one_of("unit", &input.unit, &UNITS)?;
        let route = validate::one_of("route", &input.route, &ROUTES)?;
        let frequency = validate::text("frequency", &input.frequency, 100, false)?;
        validate::in_range("duration", input.duration_days as f64, 1.0, 365.0, "days")?;
        if !input.quantity.is_finite() || input.quantity <= 0.0 {
            return Err(Error::Invalid {
                field: "quantity",
                message: "must be more than 0".into(),
            });
        }
        validate::in_range("refills", input.refills as f64, 0.0, 12.0, "refills")?;
        let instructions =
            validate::optional_text("instructions", input.instructions.as_deref(), 2000, true)?;
        Ok(vec![
            ("encounter_id", Value::Text(input.encounter_id.to_string())),
            ("patient_id", Value::Text(patient)),
            ("drug", Value::Text(drug)),
            ("dose", Value::Real(input.dose)),
            ("unit", Value::text(unit)),
            ("route", Value::text(route)),
            ("frequency", Value::Text(frequency)),
            ("duration_days", Value::Int(input.duration_days)),
            ("quantity", Value::Real(input.quantity)),
            ("refills", Value::Int(input.refills)),
            ("instructions", Value::opt_text(instructions)),
        ])
    }

    pub fn cancel_prescription(&mut self, id: Uuid) -> Result<()> {
        self.actor().require(Permission::Prescribe)?;
        self.update(
            &PRESCRIPTIONS,
            id,
            vec![("status", Value::text("cancelled"))],
        )?;
        self.sync_prescription_line(id, None)?;
        self.audit("prescription.cancel", "prescription", &id.to_string(), "")
    }

    /// Settles a conflict: keep what is shown, take the other text (drafts only), or
    /// keep the other text as an addendum (signed encounters).
    pub fn resolve_conflict(
        &mut self,
        conflict: &TextConflict,
        resolution: Resolution,
    ) -> Result<()> {
        self.actor().require(Permission::WriteClinical)?;
        let table = schema::table(&conflict.table)
            .filter(|t| t.has_clinical_text())
            .ok_or_else(|| Error::Invalid {
                field: "conflict",
                message: format!("{} holds no clinical text", conflict.table),
            })?;
        let column = table
            .column(&conflict.column)
            .filter(|c| c.clinical_text)
            .ok_or_else(|| Error::Invalid {
                field: "conflict",
                message: format!(
                    "{}.{} is not clinical text",
                    conflict.table, conflict.column
                ),
            })?;
        let loser = hex::decode(&conflict.loser_hlc).map_err(|_| Error::Invalid {
            field: "conflict",
            message: "the conflict's clock is not hex".into(),
        })?;
        match resolution {
            Resolution::KeepVisible => {}
            Resolution::TakeOther => {
                if table.name == ENCOUNTERS.name {
                    self.require_draft(conflict.row_id)?;
                }
                self.set(
                    table,
                    conflict.row_id,
                    column.name,
                    Value::text(&conflict.other_value),
                )?;
            }
            Resolution::MakeAddendum => {
                if table.name != ENCOUNTERS.name {
                    return Err(Error::Invalid {
                        field: "resolution",
                        message: "only an encounter takes addenda".into(),
                    });
                }
                let text = format!(
                    "[{} from a concurrent edit] {}",
                    column.name, conflict.other_value
                );
                self.add_addendum(conflict.row_id, &text)?;
            }
        }
        let id = self.new_id();
        let values = vec![
            ("tbl", Value::text(table.name)),
            ("row_id", Value::Text(conflict.row_id.to_string())),
            ("col", Value::text(column.name)),
            ("loser_hlc", Value::Blob(loser)),
            ("resolution", Value::text(resolution.as_str())),
            (
                "resolved_by",
                Value::Text(self.actor().staff_id.to_string()),
            ),
            ("resolved_at", Value::Text(self.now_text())),
        ];
        self.insert(&CONFLICT_RESOLUTIONS, id, values)?;
        self.audit(
            "conflict.resolve",
            table.name,
            &conflict.row_id.to_string(),
            resolution.as_str(),
        )
    }
}

/// The patient chart beside the exam: the animal (alerts and allergies first), its
/// weights, its visits newest first, and — for clinical roles — its prescriptions.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientChart {
    pub patient: crate::services::clients::Patient,
    pub weights: Vec<crate::services::clients::WeightReading>,
    pub timeline: Vec<EncounterSummary>,
    /// `null` for roles that may not read clinical records.
    pub prescriptions: Option<Vec<Prescription>>,
}

impl Rx<'_> {
    /// Who a visit's printed documents name: the patient and species, its primary
    /// owner, and the visit's vet (clinical roles).
    pub fn document_parties(&self, encounter: Uuid) -> Result<DocumentParties> {
        self.require(Permission::ReadClinical)?;
        let visit = self.encounter(encounter)?;
        let text = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<String> {
            Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
        };
        self.conn()
            .prepare_cached(
                "SELECT p.name, p.species,
                        (SELECT trim(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, ''))
                         FROM patient_owners o JOIN clients c ON c.id = o.client_id
                         WHERE o.patient_id = p.id AND o.deleted = 0
                         ORDER BY o.is_primary DESC, o.id LIMIT 1),
                        (SELECT s.name FROM staff s WHERE s.id = ?2)
                 FROM patients p WHERE p.id = ?1",
            )?
            .query_row(
                params![
                    visit.patient_id.to_string(),
                    visit.vet_id.map(|v| v.to_string())
                ],
                |r| {
                    Ok(DocumentParties {
                        patient: text(r, 0)?,
                        species: text(r, 1)?,
                        owner: text(r, 2)?,
                        vet: text(r, 3)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::not_found("patient", visit.patient_id))
    }

    /// An encounter with its SOAP text. Needs a clinical role.
    pub fn encounter(&self, id: Uuid) -> Result<Encounter> {
        self.require(Permission::ReadClinical)?;
        let conn = self.conn();
        let found = conn
            .prepare_cached(
                "SELECT patient_id, appointment_id, vet_id, started_at, subjective, objective,
                        assessment, plan, status, signed_by, signed_at, content_hash
                 FROM encounters WHERE id = ?1 AND deleted = 0",
            )?
            .query_row([id.to_string()], |r| {
                let text = |i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };
                let uuid = |s: Option<String>| s.and_then(|s| Uuid::parse_str(&s).ok());
                Ok(Encounter {
                    id,
                    patient_id: uuid(text(0)?).unwrap_or_default(),
                    appointment_id: uuid(text(1)?),
                    vet_id: uuid(text(2)?),
                    started_at: text(3)?.unwrap_or_default(),
                    soap: SoapInput {
                        subjective: text(4)?,
                        objective: text(5)?,
                        assessment: text(6)?,
                        plan: text(7)?,
                    },
                    signed: match text(8)?.as_deref() {
                        Some("signed") => Some(Signature {
                            signed_by: text(9)?.unwrap_or_default(),
                            signed_at: text(10)?.unwrap_or_default(),
                            content_hash: text(11)?.unwrap_or_default(),
                        }),
                        _ => None,
                    },
                    addenda: Vec::new(),
                    diagnoses: Vec::new(),
                    vitals: Vec::new(),
                })
            })
            .optional()?;
        let mut encounter = found.ok_or_else(|| Error::not_found("encounter", id))?;
        encounter.addenda = conn
            .prepare_cached(
                "SELECT id, author_id, text, created_at FROM addenda WHERE encounter_id = ?1 ORDER BY created_at, id",
            )?
            .query_map([id.to_string()], |r| {
                Ok(Addendum {
                    id: crate::stored::row_id(r, 0, "addendum id")?,
                    author_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    text: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    created_at: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                })
            })?
            .collect::<Result<_, _>>()?;
        encounter.diagnoses = conn
            .prepare_cached("SELECT id, name, certainty FROM diagnoses WHERE encounter_id = ?1 AND deleted = 0 ORDER BY id")?
            .query_map([id.to_string()], |r| {
                Ok((
                    crate::stored::row_id(r, 0, "diagnosis id")?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ))
            })?
            .collect::<Result<_, _>>()?;
        encounter.vitals = conn
            .prepare_cached(
                // The weight taken with a reading is written in the same transaction,
                // so it carries the reading's time and encounter.
                "SELECT v.temperature_c, v.heart_rate, v.respiratory_rate,
                        (SELECT w.kg FROM weights w
                         WHERE w.encounter_id = v.encounter_id AND w.measured_at = v.recorded_at
                           AND w.recorded_by = v.recorded_by
                         ORDER BY w.id LIMIT 1)
                 FROM vitals v WHERE v.encounter_id = ?1 ORDER BY v.recorded_at, v.id",
            )?
            .query_map([id.to_string()], |r| {
                Ok(VitalsInput {
                    temperature_c: r.get(0)?,
                    heart_rate: r.get(1)?,
                    respiratory_rate: r.get(2)?,
                    weight_kg: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(encounter)
    }

    /// A patient's chart (every role; prescriptions only for clinical roles).
    pub fn patient_chart(&self, patient: Uuid) -> Result<PatientChart> {
        self.require(Permission::ViewClients)?;
        let prescriptions = if self.can(Permission::ReadClinical) {
            Some(self.prescriptions(patient)?)
        } else {
            None
        };
        Ok(PatientChart {
            patient: self.patient(patient)?,
            weights: self.weights(patient)?,
            timeline: self.encounter_timeline(patient)?,
            prescriptions,
        })
    }

    /// A patient's encounters, newest first, without clinical text (every role).
    pub fn encounter_timeline(&self, patient: Uuid) -> Result<Vec<EncounterSummary>> {
        self.require(Permission::ViewClients)?;
        let rows = self
            .conn()
            .prepare_cached(
                "SELECT id, started_at, vet_id, status FROM encounters
                 WHERE patient_id = ?1 AND deleted = 0 ORDER BY started_at DESC, id DESC",
            )?
            .query_map([patient.to_string()], |r| {
                Ok(EncounterSummary {
                    id: crate::stored::row_id(r, 0, "encounter id")?,
                    started_at: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    vet_id: r
                        .get::<_, Option<String>>(2)?
                        .and_then(|s| Uuid::parse_str(&s).ok()),
                    signed: r.get::<_, Option<String>>(3)?.as_deref() == Some("signed"),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// A patient's prescriptions, newest first. Needs a clinical role.
    pub fn prescriptions(&self, patient: Uuid) -> Result<Vec<Prescription>> {
        self.require(Permission::ReadClinical)?;
        let rows = self
            .conn()
            .prepare_cached(
                "SELECT id, encounter_id, drug, dose, unit, route, frequency, duration_days, quantity,
                        refills, instructions, prescriber_id, prescribed_at, status
                 FROM prescriptions WHERE patient_id = ?1 AND deleted = 0 ORDER BY prescribed_at DESC, id",
            )?
            .query_map([patient.to_string()], |r| {
                let text = |i: usize| -> rusqlite::Result<String> { Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default()) };
                Ok(Prescription {
                    id: crate::stored::row_id(r, 0, "prescription id")?,
                    fields: PrescriptionInput {
                        encounter_id: crate::stored::row_id(r, 1, "encounter id")?,
                        drug: text(2)?,
                        dose: r.get::<_, Option<f64>>(3)?.unwrap_or(0.0),
                        unit: text(4)?,
                        route: text(5)?,
                        frequency: text(6)?,
                        duration_days: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
                        quantity: r.get::<_, Option<f64>>(8)?.unwrap_or(0.0),
                        refills: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
                        instructions: r.get(10)?,
                    },
                    prescriber_id: text(11)?,
                    prescribed_at: text(12)?,
                    status: text(13)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Unresolved conflicts of clinical text, for one row or all. Needs a clinical role.
    pub fn conflicts(&self, row: Option<Uuid>) -> Result<Vec<TextConflict>> {
        self.require(Permission::ReadClinical)?;
        let candidates: Vec<HistoryEntry> = self
            .conn()
            .prepare_cached(
                "SELECT h.tbl, h.row_id, h.col, h.hlc, h.value FROM text_history h
                 WHERE (?1 IS NULL OR h.row_id = ?1)
                   AND NOT EXISTS (SELECT 1 FROM text_history b WHERE b.tbl = h.tbl AND b.row_id = h.row_id
                                   AND b.col = h.col AND b.base_hlc = h.hlc)
                   AND NOT EXISTS (SELECT 1 FROM conflict_resolutions r WHERE r.tbl = h.tbl
                                   AND r.row_id = h.row_id AND r.col = h.col AND r.loser_hlc = h.hlc)
                 ORDER BY h.tbl, h.row_id, h.col, h.hlc",
            )?
            .query_map(params![row.map(|r| r.to_string())], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut conflicts = Vec::new();
        for (tbl, row_id, col, hlc, value) in candidates {
            let Some(table) = schema::table(&tbl) else {
                continue;
            };
            let Some(column) = table.column(&col) else {
                continue;
            };
            let (sql, _) = Query::select()
                .column(column.name)
                .from(table.name)
                .and_where(Expr::col("id").eq(row_id.clone()))
                .build(SqliteQueryBuilder);
            let visible: Option<String> = self
                .conn()
                .prepare_cached(&sql)?
                .query_row([&row_id], |r| r.get(0))
                .optional()?
                .flatten();
            let other = value.unwrap_or_default();
            if visible.as_deref() != Some(other.as_str()) && !other.is_empty() {
                conflicts.push(TextConflict {
                    table: tbl,
                    row_id: crate::stored::id("record id", &row_id)?,
                    column: col,
                    loser_hlc: hex::encode(hlc),
                    other_value: other,
                    visible_value: visible,
                });
            }
        }
        Ok(conflicts)
    }
}
