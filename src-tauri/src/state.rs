//! The app's managed state: the data directory and, once unlocked, the open store.
//!
//! The store is opened at start-up when it can be (OS keyring, or `VETDESK_PASSPHRASE`);
//! otherwise it stays locked until the UI sends a passphrase. Work on the store runs on
//! a blocking thread so a slow unlock (Argon2id) never freezes the window.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use vetdesk_core::{Error, Store, Unlock};
use vetdesk_ipc::{AppStatus, IpcError};

#[derive(Debug)]
pub struct AppState {
    data_dir: PathBuf,
    store: Arc<Mutex<Option<Store>>>,
    /// Why the store is not open, when it is not: shown until it is.
    open_error: Arc<Mutex<Option<IpcError>>>,
}

impl AppState {
    pub fn open_at_start(data_dir: PathBuf, passphrase: Option<String>) -> Self {
        let unlock = match passphrase {
            Some(p) => Unlock::with_passphrase(p),
            None => Unlock::default(),
        };
        let (store, error) = match Store::open(&data_dir, &unlock) {
            Ok(store) => (Some(store), None),
            Err(e) => {
                eprintln!("vetdesk: store in {} not opened: {e}", data_dir.display());
                (None, Some(IpcError::from(e)))
            }
        };
        Self {
            data_dir,
            store: Arc::new(Mutex::new(store)),
            open_error: Arc::new(Mutex::new(error)),
        }
    }

    /// The status of the open store, or why there is none.
    pub async fn status(&self) -> Result<AppStatus, IpcError> {
        let store = Arc::clone(&self.store);
        let open_error = Arc::clone(&self.open_error);
        blocking(move || {
            let guard = store.lock().map_err(|_| poisoned())?;
            match guard.as_ref() {
                Some(store) => Ok(app_status(store)?),
                None => {
                    let error = open_error.lock().map_err(|_| poisoned())?;
                    Err(error.clone().unwrap_or_else(|| {
                        IpcError::new(vetdesk_ipc::ErrorCode::Internal, "the store is not open")
                    }))
                }
            }
        })
        .await
    }

    /// Opens a passphrase-protected store.
    pub async fn unlock(&self, passphrase: String) -> Result<AppStatus, IpcError> {
        if passphrase.is_empty() {
            return Err(IpcError::from(Error::Invalid {
                field: "passphrase",
                message: "must not be empty".into(),
            }));
        }
        let store = Arc::clone(&self.store);
        let open_error = Arc::clone(&self.open_error);
        let data_dir = self.data_dir.clone();
        blocking(move || {
            let mut guard = store.lock().map_err(|_| poisoned())?;
            if let Some(store) = guard.as_ref() {
                return Ok(app_status(store)?);
            }
            let opened = Store::open(&data_dir, &Unlock::with_passphrase(passphrase))?;
            let status = app_status(&opened)?;
            *guard = Some(opened);
            *open_error.lock().map_err(|_| poisoned())? = None;
            Ok(status)
        })
        .await
    }
}

fn app_status(store: &Store) -> Result<AppStatus, Error> {
    Ok(AppStatus::from_store(
        store.status()?,
        env!("CARGO_PKG_VERSION"),
    ))
}

fn poisoned() -> IpcError {
    IpcError::new(
        vetdesk_ipc::ErrorCode::Internal,
        "an earlier operation failed part-way; restart Vetdesk",
    )
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IpcError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| IpcError::new(vetdesk_ipc::ErrorCode::Internal, e.to_string()))?
}
