//! Commands before and around a sign-in: the store's status and unlocking, device
//! enrollment, sync status and "sync now", the sign-in screen and the session.

use vetdesk_ipc::{
    AppStatus, IpcError, SessionView, SignInRequest, StaffCard, SyncStatusView, UnlockRequest,
};

use crate::state::AppState;

/// The open store's clinic and status, or why the store is not open.
pub async fn app_status(state: &AppState) -> Result<AppStatus, IpcError> {
    state.status().await
}

/// Opens a passphrase-protected store with the passphrase typed by the user.
pub async fn unlock_store(state: &AppState, request: UnlockRequest) -> Result<AppStatus, IpcError> {
    state.unlock(request.passphrase).await
}

/// Online or not, pending changes, last success and last error, clock-skew warning.
/// First run on a new device: join the clinic with a code from a trusted device.
pub async fn enroll_device(
    state: &AppState,
    request: vetdesk_ipc::EnrollRequest,
) -> Result<AppStatus, IpcError> {
    state.enroll(request).await
}

pub async fn sync_status(state: &AppState) -> Result<SyncStatusView, IpcError> {
    state.sync_status()
}

/// Starts a sync round now (the status bar's "sync now").
pub async fn sync_now(state: &AppState) -> Result<(), IpcError> {
    state.sync_now()
}

/// Active staff, for the sign-in screen (names and roles only).
pub async fn staff_list(state: &AppState) -> Result<Vec<StaffCard>, IpcError> {
    state
        .with_store(|store| {
            Ok(store
                .sign_in_roster()?
                .iter()
                .map(StaffCard::from)
                .collect())
        })
        .await
}

/// Signs a staff member in on this workstation with their PIN.
pub async fn sign_in(state: &AppState, request: SignInRequest) -> Result<SessionView, IpcError> {
    state.sign_in(request.staff_id, request.pin).await
}

/// Ends the session here (the staff switch, and the idle lock), and with it any
/// confirmation of the person's second factor on this device.
pub async fn sign_out(state: &AppState) -> Result<(), IpcError> {
    state.sign_out().await
}

/// Who is signed in, if anyone (and the session has not locked).
pub async fn current_session(state: &AppState) -> Result<Option<SessionView>, IpcError> {
    state.current_session()
}
