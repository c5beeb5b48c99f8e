//! Recording in the exam room and drafting from audio: the scribe's status, start,
//! pause and stop, a draft from a file, and the final pass that stores the draft.

use vetdesk_ipc::{
    DraftFromFileRequest, IpcError, PauseRequest, ScribeStatus, StartRecordingRequest, parse_id,
};

use crate::state::AppState;

/// The model, the recording in progress (level, live transcript) and the final pass's
/// progress; the exam room polls it.
pub async fn scribe_status(state: &AppState) -> Result<ScribeStatus, IpcError> {
    state.scribe().status()
}

/// Starts recording the visit (consent checked in core, or an audited override).
pub async fn start_recording(
    state: &AppState,
    request: StartRecordingRequest,
) -> Result<String, IpcError> {
    let encounter = parse_id("encounter", &request.encounter_id)?;
    let scribe = state.scribe();
    state
        .as_signed_in(move |store, actor| {
            let reason = request
                .override_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            Ok(scribe.start(store, actor, encounter, reason)?.to_string())
        })
        .await
}

/// Pauses or resumes the recording.
pub async fn pause_recording(state: &AppState, request: PauseRequest) -> Result<(), IpcError> {
    state.require_session()?;
    state.scribe().pause(request.paused)
}

/// Stops the recording, then the final pass over all of it becomes the encounter's
/// next draft (the store stays free while Whisper works); returns the draft's id.
pub async fn stop_recording(state: &AppState) -> Result<String, IpcError> {
    let scribe = state.scribe();
    let stopping = std::sync::Arc::clone(&scribe);
    let (encounter, recording, samples) =
        tauri::async_runtime::spawn_blocking(move || stopping.stop())
            .await
            .map_err(|e| IpcError::new(vetdesk_ipc::ErrorCode::Internal, e.to_string()))??;
    let data_dir = state.data_dir();
    let (visit, audio) = state
        .as_signed_in(move |store, actor| {
            let ms = i64::try_from(samples / 16).unwrap_or(i64::MAX);
            store.transact(actor, |tx| tx.finish_recording(recording, ms))?;
            let audio = crate::scribe::recording_audio(store, actor, &data_dir, recording)?;
            Ok((crate::scribe::visit_of(store, actor, encounter)?, audio))
        })
        .await?;
    final_pass(state, scribe, encounter, visit, audio).await
}

/// A WAV file transcribed into the encounter's next draft (where there is no
/// microphone, or the visit was recorded elsewhere); returns the draft's id.
pub async fn draft_from_file(
    state: &AppState,
    request: DraftFromFileRequest,
) -> Result<String, IpcError> {
    let encounter = parse_id("encounter", &request.encounter_id)?;
    let path = std::path::PathBuf::from(request.path.trim());
    let audio = tauri::async_runtime::spawn_blocking(move || crate::scribe::wav_audio(&path))
        .await
        .map_err(|e| IpcError::new(vetdesk_ipc::ErrorCode::Internal, e.to_string()))??;
    let visit = state
        .as_signed_in(move |store, actor| crate::scribe::visit_of(store, actor, encounter))
        .await?;
    final_pass(state, state.scribe(), encounter, visit, audio).await
}

async fn final_pass(
    state: &AppState,
    scribe: std::sync::Arc<crate::scribe::Scribe>,
    encounter: uuid::Uuid,
    visit: vetdesk_visit::VisitContext,
    audio: Vec<f32>,
) -> Result<String, IpcError> {
    let (transcript, items) =
        tauri::async_runtime::spawn_blocking(move || scribe.transcribe(&visit, &audio))
            .await
            .map_err(|e| IpcError::new(vetdesk_ipc::ErrorCode::Internal, e.to_string()))??;
    state
        .as_signed_in(move |store, actor| {
            crate::scribe::store_draft(store, actor, encounter, &transcript, &items)
        })
        .await
}
