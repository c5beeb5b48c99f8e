//! The exam room: the chart, opening an exam, the encounter and its SOAP text, signing
//! and addenda, the scribe's draft decisions, conflicts, vitals and prescriptions.

use vetdesk_ipc::{
    AddendumRequest, DecideRequest, EncounterView, IdRequest, IpcError, PatientChart,
    SaveSoapRequest, parse_id,
};

use crate::state::AppState;

/// The patient chart: the animal, weights, visits, and prescriptions for clinical roles.
pub async fn patient_chart(state: &AppState, request: IdRequest) -> Result<PatientChart, IpcError> {
    let id = parse_id("patient", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.patient_chart(id))?))
        .await
}

/// Opens the exam for a checked-in appointment (it moves to `in_exam`); returns the
/// encounter, the same one each time.
pub async fn open_exam(state: &AppState, request: IdRequest) -> Result<String, IpcError> {
    let appointment = parse_id("appointment", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.open_exam(appointment))?
                .to_string())
        })
        .await
}

/// An encounter with the scribe's drafts and any concurrent edits to settle.
pub async fn encounter_view(
    state: &AppState,
    request: IdRequest,
) -> Result<EncounterView, IpcError> {
    let id = parse_id("encounter", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.read(actor, |rx| {
                Ok(EncounterView {
                    encounter: rx.encounter(id)?,
                    drafts: rx.drafts(id)?,
                    conflicts: rx.conflicts(Some(id))?,
                })
            })?)
        })
        .await
}

/// Saves the SOAP note of an unsigned encounter.
pub async fn save_soap(state: &AppState, request: SaveSoapRequest) -> Result<(), IpcError> {
    let id = parse_id("encounter", &request.encounter_id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.update_soap(id, &request.soap))?)
        })
        .await
}

/// Signs the encounter (vets only, in core); returns the signed content's hash.
pub async fn sign_encounter(state: &AppState, request: IdRequest) -> Result<String, IpcError> {
    let id = parse_id("encounter", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.transact(actor, |tx| tx.sign_encounter(id))?))
        .await
}

/// Adds an addendum to a signed encounter.
pub async fn add_addendum(state: &AppState, request: AddendumRequest) -> Result<String, IpcError> {
    let id = parse_id("encounter", &request.encounter_id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.add_addendum(id, &request.text))?
                .to_string())
        })
        .await
}

/// A vet's decision on one drafted item; returns the record rows an approval wrote.
pub async fn decide_draft_item(
    state: &AppState,
    request: DecideRequest,
) -> Result<Vec<String>, IpcError> {
    let item = parse_id("item", &request.item_id)?;
    let decision = request.to_decision()?;
    state
        .as_signed_in(move |store, actor| {
            let written = store.transact(actor, |tx| {
                if request.settle {
                    tx.settle_draft_item(item, &decision)
                } else {
                    tx.decide_draft_item(item, &decision)
                }
            })?;
            Ok(written.iter().map(ToString::to_string).collect())
        })
        .await
}

/// Approves every undecided item of a draft (refused if a dose is flagged).
pub async fn approve_draft(state: &AppState, request: IdRequest) -> Result<u32, IpcError> {
    let draft = parse_id("draft", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            let approved = store.transact(actor, |tx| tx.approve_whole_draft(draft))?;
            Ok(u32::try_from(approved).unwrap_or(u32::MAX))
        })
        .await
}

/// Settles a concurrent edit of clinical text: keep what is shown, take the other text
/// (open records), or keep the other text as an addendum (signed records).
pub async fn resolve_conflict(
    state: &AppState,
    request: vetdesk_ipc::ResolveConflictRequest,
) -> Result<(), IpcError> {
    let row = parse_id("row", &request.row_id)?;
    let resolution = match request.resolution.as_str() {
        "keep_visible" => vetdesk_core::services::encounters::Resolution::KeepVisible,
        "take_other" => vetdesk_core::services::encounters::Resolution::TakeOther,
        "make_addendum" => vetdesk_core::services::encounters::Resolution::MakeAddendum,
        other => {
            return Err(IpcError::invalid(
                "resolution",
                format!("{other:?} is not one of: keep_visible, take_other, make_addendum"),
            ));
        }
    };
    state
        .as_signed_in(move |store, actor| {
            let conflict = store
                .read(actor, |rx| rx.conflicts(Some(row)))?
                .into_iter()
                .find(|c| c.column == request.column && c.loser_hlc == request.loser_hlc)
                .ok_or_else(|| {
                    IpcError::new(
                        vetdesk_ipc::ErrorCode::NotFound,
                        "that edit is no longer waiting: it was settled, here or on another device",
                    )
                })?;
            Ok(store.transact(actor, |tx| tx.resolve_conflict(&conflict, resolution))?)
        })
        .await
}

/// Records vitals taken in the exam (the weight also goes on the weight chart).
pub async fn record_vitals(
    state: &AppState,
    request: vetdesk_ipc::VitalsRequest,
) -> Result<String, IpcError> {
    let id = parse_id("encounter", &request.encounter_id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.record_vitals(id, &request.vitals))?
                .to_string())
        })
        .await
}

/// Writes a prescription in the exam (vets; core checks the role and every field).
pub async fn prescribe(
    state: &AppState,
    request: vetdesk_ipc::PrescribeRequest,
) -> Result<String, IpcError> {
    let input = request.to_input()?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.prescribe(&input))?
                .to_string())
        })
        .await
}

/// The units and routes core accepts on a prescription.
pub async fn prescription_options(
    _state: &AppState,
) -> Result<vetdesk_ipc::PrescriptionOptions, IpcError> {
    Ok(vetdesk_ipc::PrescriptionOptions::from_core())
}
