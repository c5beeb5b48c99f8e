//! Reads of the clinical record through the door (`crate::Rx`): an encounter with its
//! SOAP text, vitals, diagnoses and addenda (clinical roles), the patient's chart and
//! visit timeline (every role), and who a visit's documents name.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

use crate::Rx;
use crate::roles::Permission;
use crate::{Error, Result};

use super::notes::{Addendum, Encounter, EncounterSummary, Signature, SoapInput, VitalsInput};
use super::prescriptions::Prescription;

/// Who a visit's printed documents are about.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DocumentParties {
    pub patient: String,
    pub species: String,
    pub owner: String,
    pub vet: String,
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
}
