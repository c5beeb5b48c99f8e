//! Builds the Tauri context from the single `tauri.conf.json` at the repository root
//! (paths inside it are relative to the root: `ui/dist`, `icons/`).
fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
