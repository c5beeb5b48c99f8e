//! The Tauri commands: thin adapters from IPC calls to [`crate::state::AppState`], one
//! module per view, as `vetdesk_ipc`'s contract is. Each returns `Result<_, IpcError>`,
//! which reaches TypeScript as `{ code, message }`; every rule and role check is core's.

pub mod admin;
pub mod billing;
pub mod exam;
pub mod recording;
pub mod records;
pub mod schedule;
pub mod session;
