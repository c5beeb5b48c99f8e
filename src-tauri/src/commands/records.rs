//! Clients and patients: search as you type, a client's card, and saving either
//! (validation is core's; a bad field comes back naming it).

use vetdesk_core::search::Hit;
use vetdesk_core::services::clients::Patient;
use vetdesk_ipc::{
    ClientDetail, IdRequest, IpcError, SaveClientRequest, SavePatientRequest, SearchRequest,
    parse_id,
};

use crate::state::AppState;

/// Clients and patients matching what has been typed so far, best first.
pub async fn search(state: &AppState, request: SearchRequest) -> Result<Vec<Hit>, IpcError> {
    if request.query.chars().count() > 200 {
        return Err(IpcError::invalid("query", "at most 200 characters"));
    }
    let limit = request.limit.clamp(1, 50) as usize;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.read(actor, |rx| rx.search(&request.query, limit))?)
        })
        .await
}

/// A client and their animals.
pub async fn client_detail(state: &AppState, request: IdRequest) -> Result<ClientDetail, IpcError> {
    let id = parse_id("client", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.read(actor, |rx| {
                Ok(ClientDetail {
                    client: rx.client(id)?,
                    patients: rx.patients_of(id)?,
                })
            })?)
        })
        .await
}

/// Creates a client (no id) or saves changes to one; returns the client's id.
/// Validation is core's: a bad field comes back as `invalid` naming it.
pub async fn save_client(state: &AppState, request: SaveClientRequest) -> Result<String, IpcError> {
    let id = request
        .id
        .as_deref()
        .map(|id| parse_id("client", id))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            let saved = store.transact(actor, |tx| match id {
                Some(id) => tx.update_client(id, &request.client).map(|()| id),
                None => tx.create_client(&request.client),
            })?;
            Ok(saved.to_string())
        })
        .await
}

/// A patient with their owners.
pub async fn patient_detail(state: &AppState, request: IdRequest) -> Result<Patient, IpcError> {
    let id = parse_id("patient", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.patient(id))?))
        .await
}

/// Creates a patient for its owners (no id) or saves changes to one; returns its id.
pub async fn save_patient(
    state: &AppState,
    request: SavePatientRequest,
) -> Result<String, IpcError> {
    let id = request
        .id
        .as_deref()
        .map(|id| parse_id("patient", id))
        .transpose()?;
    let owners = request
        .owners
        .iter()
        .map(|o| parse_id("owners", o))
        .collect::<Result<Vec<_>, _>>()?;
    state
        .as_signed_in(move |store, actor| {
            let saved = store.transact(actor, |tx| match id {
                Some(id) => tx.update_patient(id, &request.patient).map(|()| id),
                None => tx.create_patient(&request.patient, &owners),
            })?;
            Ok(saved.to_string())
        })
        .await
}
