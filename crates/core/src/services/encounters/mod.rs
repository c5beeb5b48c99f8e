//! Encounters (the SOAP record of a visit), vitals, diagnoses, problems, prescriptions,
//! signing, addenda, and the conflicts a vet resolves — one folder, each module using
//! only those before it: `notes`, `signing`, `prescriptions`, `conflicts`, `chart`.
//!
//! A signed encounter is immutable: its snapshot (canonical JSON of the SOAP text) is
//! hashed and kept; later changes are addenda. Edits made on another device while it
//! was being signed arrive as conflicts, never as silent changes of a signed record.

mod chart;
mod conflicts;
mod notes;
mod prescriptions;
mod signing;

pub use chart::{DocumentParties, PatientChart};
pub use conflicts::{Resolution, TextConflict};
pub use notes::{
    Addendum, CERTAINTIES, Encounter, EncounterSummary, Signature, SoapInput, VitalsInput,
};
pub use prescriptions::{Prescription, PrescriptionInput, ROUTES, UNITS};
