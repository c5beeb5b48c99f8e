//! The Tauri commands: thin adapters from IPC calls to [`crate::state::AppState`].
//! Each returns `Result<_, IpcError>`, which reaches TypeScript as `{ code, message }`.

use vetdesk_ipc::{AppStatus, IpcError, SyncStatusView, UnlockRequest};

use crate::state::AppState;

/// The open store's clinic and status, or why the store is not open.
#[tauri::command]
pub async fn app_status(state: tauri::State<'_, AppState>) -> Result<AppStatus, IpcError> {
    state.status().await
}

/// Opens a passphrase-protected store with the passphrase typed by the user.
#[tauri::command]
pub async fn unlock_store(
    state: tauri::State<'_, AppState>,
    request: UnlockRequest,
) -> Result<AppStatus, IpcError> {
    state.unlock(request.passphrase).await
}

/// Online or not, pending changes, last success and last error, clock-skew warning.
#[tauri::command]
pub fn sync_status(state: tauri::State<'_, AppState>) -> Result<SyncStatusView, IpcError> {
    state.sync_status()
}

/// Starts a sync round now (the status bar's "sync now").
#[tauri::command]
pub fn sync_now(state: tauri::State<'_, AppState>) -> Result<(), IpcError> {
    state.sync_now()
}
