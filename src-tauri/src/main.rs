//! Vetdesk's desktop app: opens the clinic's store and serves the UI in a Tauri window.
//!
//! Everything with logic lives in `vetdesk-core`; this crate only wires it to the
//! window: managed state ([`state`]) and thin commands ([`commands`]).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod billing;
mod commands;
mod failures;
mod scribe;
mod state;

fn main() -> anyhow::Result<()> {
    let data_dir = std::env::var_os("VETDESK_DATA_DIR")
        .map(std::path::PathBuf::from)
        .or_else(vetdesk_core::default_data_dir)
        .ok_or_else(|| anyhow::anyhow!("no data directory: set VETDESK_DATA_DIR"))?;
    let passphrase = std::env::var("VETDESK_PASSPHRASE").ok();
    let app_state = state::AppState::new(data_dir, passphrase);

    tauri::Builder::default()
        .manage(app_state)
        .setup(|app| {
            paint_without_gl_compositing(app);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::unlock_store,
            commands::enroll_device,
            commands::sync_status,
            commands::sync_now,
            commands::staff_list,
            commands::sign_in,
            commands::sign_out,
            commands::current_session,
            commands::search,
            commands::client_detail,
            commands::save_client,
            commands::patient_detail,
            commands::save_patient,
            commands::day_board,
            commands::book,
            commands::set_appointment_status,
            commands::waitlist_add,
            commands::waitlist_remove,
            commands::patient_chart,
            commands::open_exam,
            commands::encounter_view,
            commands::save_soap,
            commands::sign_encounter,
            commands::add_addendum,
            commands::decide_draft_item,
            commands::approve_draft,
            commands::scribe_status,
            commands::start_recording,
            commands::pause_recording,
            commands::stop_recording,
            commands::draft_from_file,
            commands::dashboard,
            commands::staff_all,
            commands::add_staff,
            commands::deactivate_staff,
            commands::audit_search,
            commands::resolve_conflict,
            commands::set_staff_roles,
            commands::second_factor_status,
            commands::second_factor_begin,
            commands::second_factor_finish,
            commands::second_factor_confirm,
            commands::second_factor_reset,
            commands::record_vitals,
            commands::devices_list,
            commands::device_invite,
            commands::device_approve,
            commands::device_revoke,
            commands::prescribe,
            commands::prescription_options,
            billing::invoices_list,
            billing::invoice_view,
            billing::catalog_list,
            billing::invoice_add_line,
            billing::invoice_finalize,
            billing::invoice_pay,
            billing::invoice_pdf,
            billing::stock_levels,
            billing::stock_alerts,
            billing::stock_receive,
            billing::stock_count,
            billing::register_close,
            billing::invoice_labels,
            billing::visit_summary_pdf,
            billing::report,
            billing::report_csv
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))?;
    Ok(())
}

/// WebKitGTK composites the page with OpenGL by default. Where there is no GPU (a VM,
/// a remote desktop, Xvfb) that GL is Mesa's software renderer, and measured there it
/// makes every frame slow: search-as-you-type 117 → 40 ms from keystroke to painted,
/// the day board 116 → 50 ms, the web process 301 → 197 MB, with it off
/// (docs/BENCHMARKS.md). This UI — forms, lists, a board — paints quickly on the CPU
/// on any machine, so compositing is off unless `VETDESK_GPU=1` asks for it.
#[cfg(target_os = "linux")]
fn paint_without_gl_compositing(app: &tauri::App) {
    use tauri::Manager;
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    if std::env::var_os("VETDESK_GPU").is_some_and(|v| v == "1") {
        return;
    }
    for window in app.webview_windows().values() {
        let set = window.with_webview(|webview| {
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(e) = set {
            eprintln!("vetdesk: GL compositing left on: {e}");
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn paint_without_gl_compositing(_app: &tauri::App) {}
