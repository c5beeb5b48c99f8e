//! Prescriptions from an encounter: drug, dose, unit, route, frequency, duration and
//! quantity, checked; prescribing drafts the line on the visit's invoice
//! (`billing::prescribing`), amending or cancelling follows there.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::PRESCRIPTIONS;
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

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

impl Tx<'_> {
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
    pub(super) fn prescription_values(
        &self,
        input: &PrescriptionInput,
    ) -> Result<Vec<(&'static str, Value)>> {
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
}

impl Rx<'_> {
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
}
