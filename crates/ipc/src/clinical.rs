//! The exam room: the patient chart, an encounter and its edits, vitals,
//! prescriptions, conflicts to settle, and the visit summary.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::errors::IpcError;
use crate::fields::parse_id;

pub use vetdesk_core::services::encounters::PatientChart;

/// An encounter as the exam room edits it: the record, the scribe's drafts beside it,
/// and concurrent edits waiting for the vet.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct EncounterView {
    pub encounter: vetdesk_core::services::encounters::Encounter,
    pub drafts: Vec<vetdesk_core::services::scribe::DraftView>,
    pub conflicts: Vec<vetdesk_core::services::encounters::TextConflict>,
}

/// Argument of `save_soap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SaveSoapRequest {
    pub encounter_id: String,
    pub soap: vetdesk_core::services::encounters::SoapInput,
}

/// Argument of `add_addendum`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AddendumRequest {
    pub encounter_id: String,
    pub text: String,
}

/// Argument of `decide_draft_item`: `approve`, `edit` (with the corrected `item`) or
/// `reject`; `reason` is the override reason for a flagged dose, or why rejected;
/// `settle` settles an item two devices decided differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DecideRequest {
    pub item_id: String,
    pub decision: String,
    #[ts(optional)]
    pub item: Option<vetdesk_draft::extract::Item>,
    #[ts(optional)]
    pub reason: Option<String>,
    #[serde(default)]
    pub settle: bool,
}

impl DecideRequest {
    pub fn to_decision(&self) -> Result<vetdesk_core::services::scribe::Decision, IpcError> {
        use vetdesk_core::services::scribe::Decision;
        let reason = self.reason.clone().filter(|r| !r.trim().is_empty());
        match (self.decision.as_str(), &self.item) {
            ("approve", _) => Ok(Decision::Approve {
                override_reason: reason,
            }),
            ("edit", Some(item)) => Ok(Decision::Edit {
                item: item.clone(),
                override_reason: reason,
            }),
            ("edit", None) => Err(IpcError::invalid(
                "item",
                "an edit needs the corrected item",
            )),
            ("reject", _) => Ok(Decision::Reject { reason }),
            (other, _) => Err(IpcError::invalid(
                "decision",
                format!("{other:?} is not one of: approve, edit, reject"),
            )),
        }
    }
}

/// Argument of `resolve_conflict`: which concurrent edit (as `encounter_view` listed
/// it) and how: `keep_visible`, `take_other` (open records) or `make_addendum`
/// (signed records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResolveConflictRequest {
    pub row_id: String,
    pub column: String,
    pub loser_hlc: String,
    pub resolution: String,
}

/// Argument of `record_vitals`: at least one reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VitalsRequest {
    pub encounter_id: String,
    pub vitals: vetdesk_core::services::encounters::VitalsInput,
}

/// Argument of `prescribe`: a prescription written in the exam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PrescribeRequest {
    pub encounter_id: String,
    pub drug: String,
    pub dose: f64,
    pub unit: String,
    pub route: String,
    pub frequency: String,
    pub duration_days: i64,
    pub quantity: f64,
    pub refills: i64,
    #[ts(optional)]
    pub instructions: Option<String>,
}

impl PrescribeRequest {
    pub fn to_input(
        &self,
    ) -> Result<vetdesk_core::services::encounters::PrescriptionInput, IpcError> {
        Ok(vetdesk_core::services::encounters::PrescriptionInput {
            encounter_id: parse_id("encounter", &self.encounter_id)?,
            drug: self.drug.clone(),
            dose: self.dose,
            unit: self.unit.clone(),
            route: self.route.clone(),
            frequency: self.frequency.clone(),
            duration_days: self.duration_days,
            quantity: self.quantity,
            refills: self.refills,
            instructions: self.instructions.clone().filter(|i| !i.trim().is_empty()),
        })
    }
}

/// The units and routes a prescription may name (core's lists, so the form offers
/// exactly what core accepts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrescriptionOptions {
    pub units: Vec<String>,
    pub routes: Vec<String>,
}

impl PrescriptionOptions {
    pub fn from_core() -> Self {
        use vetdesk_core::services::encounters::{ROUTES, UNITS};
        Self {
            units: UNITS.iter().map(|u| (*u).to_string()).collect(),
            routes: ROUTES.iter().map(|r| (*r).to_string()).collect(),
        }
    }
}

/// Argument of `visit_summary_pdf`: the visit and what the owner does at home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VisitSummaryRequest {
    pub encounter_id: String,
    pub discharge: String,
}
