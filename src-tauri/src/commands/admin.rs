//! The owner's commands: staff and roles, the audit log, the admins' second factor,
//! and the clinic's devices (every rule and role check is core's).

use vetdesk_ipc::{
    AddStaffRequest, AuditView, IdRequest, IpcError, StaffRow, parse_id, parse_time,
};

use crate::state::AppState;

/// Every member of staff, active or not (for the owner).
pub async fn staff_all(state: &AppState) -> Result<Vec<StaffRow>, IpcError> {
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .read(actor, |rx| rx.staff())?
                .iter()
                .map(|m| StaffRow {
                    id: m.id.to_string(),
                    name: m.name.clone(),
                    roles: m.roles.iter().map(|r| r.as_str().to_string()).collect(),
                    active: m.active,
                })
                .collect())
        })
        .await
}

/// The clinic's settings (every role reads them).
pub async fn clinic_settings(
    state: &AppState,
) -> Result<vetdesk_core::services::clinic::ClinicSettings, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.clinic_settings())?))
        .await
}

/// Saves the clinic's settings (admins, in core, which checks every field); returns
/// the names of the settings that changed.
pub async fn save_clinic_settings(
    state: &AppState,
    request: vetdesk_core::services::clinic::ClinicSettings,
) -> Result<Vec<String>, IpcError> {
    state
        .as_signed_in(move |store, actor| {
            let changed = store.transact(actor, |tx| tx.set_clinic_settings(&request))?;
            Ok(changed.into_iter().map(String::from).collect())
        })
        .await
}

/// Adds a member of staff with their roles and first PIN (admins, checked in core).
pub async fn add_staff(state: &AppState, request: AddStaffRequest) -> Result<String, IpcError> {
    let roles = vetdesk_ipc::parse_roles(&request.roles)?;
    state
        .as_signed_in(move |store, actor| {
            let id =
                store.transact(actor, |tx| tx.add_staff(&request.name, roles, &request.pin))?;
            Ok(id.to_string())
        })
        .await
}

/// Deactivates a member of staff (they can no longer sign in; their records stay).
pub async fn deactivate_staff(state: &AppState, request: IdRequest) -> Result<(), IpcError> {
    let id = parse_id("staff", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.transact(actor, |tx| tx.deactivate_staff(id))?))
        .await
}

/// The audit log filtered by actor, action, entity and time, and whether every
/// device's hash chain verifies (admins only, in core).
pub async fn audit_search(
    state: &AppState,
    request: vetdesk_core::audit::AuditFilter,
) -> Result<AuditView, IpcError> {
    let mut filter = request;
    // Bounds are compared as the store writes times: reformat what the UI sent.
    filter.from = filter
        .from
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_time("from", t).map(vetdesk_core::write::rfc3339))
        .transpose()?;
    filter.to = filter
        .to
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_time("to", t).map(vetdesk_core::write::rfc3339))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            let events = store.read(actor, |rx| rx.audit_search(&filter))?;
            Ok(AuditView {
                events,
                verification: store.verify_audit()?,
            })
        })
        .await
}

/// Changes a member of staff's roles (admins, in core).
pub async fn set_staff_roles(
    state: &AppState,
    request: vetdesk_ipc::StaffRolesRequest,
) -> Result<(), IpcError> {
    let id = parse_id("staff", &request.id)?;
    let roles = vetdesk_ipc::parse_roles(&request.roles)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.set_staff_roles(id, roles))?)
        })
        .await
}

/// Whether the signed-in staff member has an authenticator, and whether it stands
/// confirmed on this device.
pub async fn second_factor_status(
    state: &AppState,
) -> Result<vetdesk_core::services::second_factor::SecondFactorStatus, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.second_factor_status(actor)?))
        .await
}

/// A new authenticator secret and its QR code for the signed-in staff member (nothing
/// is stored until `second_factor_finish`).
pub async fn second_factor_begin(
    state: &AppState,
) -> Result<vetdesk_core::services::second_factor::SecondFactorSetup, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.begin_second_factor(actor)?))
        .await
}

/// Enrolls the secret once its first code checks; the recovery codes, shown this once.
pub async fn second_factor_finish(
    state: &AppState,
    request: vetdesk_ipc::SecondFactorFinishRequest,
) -> Result<Vec<String>, IpcError> {
    let (secret, code) = request.validated()?;
    let (secret, code) = (secret.to_string(), code.to_string());
    state
        .as_signed_in(move |store, actor| {
            let codes = store.finish_second_factor(actor, &secret, &code)?;
            Ok(codes.iter().map(|c| c.to_string()).collect())
        })
        .await
}

/// Confirms the signed-in staff member's second factor for the next few minutes.
pub async fn second_factor_confirm(
    state: &AppState,
    request: vetdesk_ipc::SecondFactorCodeRequest,
) -> Result<vetdesk_core::services::second_factor::SecondFactorStatus, IpcError> {
    let code = request.validated()?.to_string();
    state
        .as_signed_in(move |store, actor| Ok(store.confirm_second_factor(actor, &code)?))
        .await
}

/// Removes a staff member's authenticator so they enroll again (admins, in core).
pub async fn second_factor_reset(state: &AppState, request: IdRequest) -> Result<(), IpcError> {
    let id = parse_id("staff", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.reset_second_factor(id))?)
        })
        .await
}

/// The clinic's devices as the sync server knows them.
pub async fn devices_list(
    state: &AppState,
) -> Result<Vec<vetdesk_core::services::devices::DeviceRow>, IpcError> {
    state
        .as_signed_in(move |store, _actor| Ok(store.clinic_devices()?))
        .await
}

/// A one-time enrollment code for a new device (admins, in core).
pub async fn device_invite(
    state: &AppState,
) -> Result<vetdesk_core::services::devices::Invitation, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.invite_device(actor)?))
        .await
}

/// Approves a pending device whose fingerprint the admin compared: it receives the
/// clinic key, sealed to it and signed by this device (admins, in core).
pub async fn device_approve(
    state: &AppState,
    request: vetdesk_ipc::ApproveDeviceRequest,
) -> Result<(), IpcError> {
    let device = parse_id("device", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.approve_device(actor, device, &request.fingerprint, request.manages)?)
        })
        .await
}

/// Revokes a device: the server refuses its next request (admins).
pub async fn device_revoke(state: &AppState, request: IdRequest) -> Result<(), IpcError> {
    let device = parse_id("device", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.revoke_device(actor, device)?))
        .await
}
