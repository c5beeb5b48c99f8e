//! Vetdesk's desktop app: opens the clinic's store and serves the UI in a Tauri window.
//!
//! Everything with logic lives in `vetdesk-core`; this crate only wires it to the
//! window: managed state ([`state`]) and thin commands ([`commands`]).
//!
//! ## How the shell works
//!
//! Tauri 2. The commands are one module per view (`commands::{session, records, schedule,
//! exam, recording, admin, billing}`), as `vetdesk_ipc` is (`session`, `records`,
//! `schedule`, `clinical`, `scribe`, `admin`, `billing`, with `errors`, `fields`,
//! `commands`, `bindings`); none checks a role. The Tauri commands and the invoke handler
//! are generated from `vetdesk_ipc`'s one command list (`commands/mod.rs`); each handler
//! is a plain `async fn(&AppState[, request])`. `state::AppState` holds the data directory and one `StoreSlot` (not tried /
//! open / closed with the error to show). The store is opened on the UI's first status
//! request, not before the window shows (from the keyring or `VETDESK_PASSPHRASE`), or
//! later by `unlock_store`, or — on a device with no store yet — made by `enroll_device`
//! (core's `Store::enroll`; keyring, else a passphrase the form asks for); a closed store is
//! tried again at each status request ("Try again"); store work runs on a blocking thread so an Argon2id unlock never
//! freezes the window. Once the store is open and sync is set up, core's `SyncEngine` runs
//! on a second connection; `sync_status` / `sync_now` expose it and the status bar's
//! `SyncIndicator` polls it every 5 s. Each time the store opens, recordings past
//! retention are purged. **Sessions**: `staff_list` (names and roles only) → `sign_in`
//! (core checks the PIN, counts wrong ones, pauses a person after five) starts the
//! workstation's session; every record command runs through `AppState::as_signed_in`,
//! which refuses with `signed_out` when nobody is signed in or the session has been idle
//! past `VETDESK_IDLE_LOCK_SECONDS` (default 300) — the UI's own idle timer signs out at
//! the same time, and any `signed_out` answer sends it back to the staff switch. Roles are
//! core's: the actor of every call is the signed-in person. `commands` are thin adapters
//! that parse ids (`parse_id` → `invalid` naming the field) and bound inputs (search ≤ 200
//! characters, ≤ 50 hits; a day board spans at most 7 days; booking times are RFC 3339
//! and ids are parsed with the field named: `BookingForm::to_input`). Config: the single `tauri.conf.json` at the repository root, found through
//! `tauri_build::Attributes::config_path("../tauri.conf.json")` in `build.rs` and
//! `generate_context!("../tauri.conf.json")`; paths inside it are relative to the root
//! (`ui/dist`, `icons/`). Capabilities live in `src-tauri/capabilities/`. At start-up the
//! web view's hardware-acceleration policy is set to `Never` (paint on the CPU, no GL
//! compositing; `VETDESK_GPU=1` keeps WebKit's default) — measured 2–3× faster to paint
//! without a GPU, see docs/BENCHMARKS.md. The default
//! feature `custom-protocol` embeds `ui/dist` (built by `make ui`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

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
        .invoke_handler(commands::handler())
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
