//! The Tauri commands: thin adapters from IPC calls to [`crate::state::AppState`], one
//! module per view, as `vetdesk_ipc`'s contract is. Each handler is a plain
//! `async fn name(&AppState[, request]) -> Result<Response, IpcError>`; the error reaches
//! TypeScript as `{ code, message }`, and every rule and role check is core's.
//!
//! The Tauri commands themselves and the invoke [`handler`] are generated here from the
//! one command list (`vetdesk_ipc::for_each_command!`), which also generates the UI's
//! typed calls: a handler whose request or response differs from the list does not
//! compile, and a command cannot be listed without a handler.

pub mod admin;
pub mod billing;
pub mod exam;
pub mod recording;
pub mod records;
pub mod schedule;
pub mod session;

use vetdesk_ipc::*;

use crate::state::AppState;

/// One Tauri command, named as the list names it, calling its module's handler.
macro_rules! tauri_command {
    ($module:ident $name:ident () $response:ty) => {
        #[tauri::command]
        async fn $name(state: tauri::State<'_, AppState>) -> Result<$response, IpcError> {
            $module::$name(&state).await
        }
    };
    ($module:ident $name:ident ($request:ty) $response:ty) => {
        #[tauri::command]
        async fn $name(
            state: tauri::State<'_, AppState>,
            request: $request,
        ) -> Result<$response, IpcError> {
            $module::$name(&state, request).await
        }
    };
}

/// Every command of the list, and the handler that routes to them.
macro_rules! tauri_commands {
    ($( $module:ident :: $name:ident ( $($request:ty)? ) -> $response:ty ; )*) => {
        $( tauri_command!($module $name ($($request)?) $response); )*

        /// Routes each IPC call to its command.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

for_each_command!(tauri_commands);
