//! The Tauri commands: thin adapters from IPC calls to [`crate::state::AppState`].
//! Each returns `Result<_, IpcError>`, which reaches TypeScript as `{ code, message }`.

use vetdesk_ipc::{AppStatus, IpcError, UnlockRequest};

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
