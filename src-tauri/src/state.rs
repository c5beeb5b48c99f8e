//! The app's managed state: the data directory and, once unlocked, the open store.
//!
//! The store is opened on the UI's first status request, not before the window shows:
//! from the OS keyring, or with `VETDESK_PASSPHRASE` when it is set. When that fails
//! (a passphrase store and no passphrase), it stays closed until the UI sends one. All
//! work on the store runs on a blocking thread so a slow unlock (Argon2id) never
//! freezes the window.
//!
//! Once the store is open and sync is set up on this device, core's background sync
//! engine runs on a second connection to it; its status feeds the status bar.
//!
//! Work on the records acts for the staff member signed in on this workstation (PIN
//! checked, and wrong PINs counted, by core). The session locks after
//! `VETDESK_IDLE_LOCK_SECONDS` (default 300) without a command: the next one is
//! refused with `signed_out`, so a shared workstation left alone shows nothing more.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vetdesk_core::sync_engine::{EngineOptions, SyncEngine};
use vetdesk_core::{Actor, Error, Store, Unlock};
use vetdesk_ipc::{AppStatus, ErrorCode, IpcError, SessionView, SyncStatusView};

#[derive(Debug)]
pub struct AppState {
    data_dir: PathBuf,
    slot: Arc<Mutex<StoreSlot>>,
    sync: Arc<Mutex<Option<SyncEngine>>>,
    session: Arc<Mutex<Option<Session>>>,
    idle_lock: Duration,
    scribe: Arc<crate::scribe::Scribe>,
}

/// Who is signed in here, and when they last did anything.
#[derive(Debug)]
struct Session {
    actor: Actor,
    last_seen: Instant,
}

/// Where the store stands.
#[derive(Debug)]
enum StoreSlot {
    /// Not opened yet; this is what start-up offers to open it with.
    NotTried(Unlock),
    Open(Store),
    /// Opening failed; shown to the UI until an unlock succeeds.
    Closed(IpcError),
    /// Only while an open is in progress under the lock.
    Taken,
}

impl AppState {
    pub fn new(data_dir: PathBuf, passphrase: Option<String>) -> Self {
        let unlock = match passphrase {
            Some(p) => Unlock::with_passphrase(p),
            None => Unlock::default(),
        };
        let idle_lock = std::env::var("VETDESK_IDLE_LOCK_SECONDS")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| (10..=86_400).contains(s))
            .unwrap_or(300);
        Self {
            scribe: Arc::new(crate::scribe::Scribe::new(data_dir.clone())),
            data_dir,
            slot: Arc::new(Mutex::new(StoreSlot::NotTried(unlock))),
            sync: Arc::new(Mutex::new(None)),
            session: Arc::new(Mutex::new(None)),
            idle_lock: Duration::from_secs(idle_lock),
        }
    }

    /// Runs `work` on the open store without anyone signed in (the sign-in screen).
    pub async fn with_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T, IpcError> + Send + 'static,
    ) -> Result<T, IpcError> {
        let slot = Arc::clone(&self.slot);
        blocking(move || {
            let mut slot = slot.lock().map_err(|_| poisoned())?;
            match &mut *slot {
                StoreSlot::Open(store) => work(store),
                StoreSlot::Closed(error) => Err(error.clone()),
                StoreSlot::NotTried(_) | StoreSlot::Taken => {
                    Err(IpcError::new(ErrorCode::Internal, "the store is not open"))
                }
            }
        })
        .await
    }

    /// Runs `work` on the open store as the signed-in staff member; `signed_out` when
    /// nobody is, or the session has been idle past the lock.
    pub async fn as_signed_in<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store, &Actor) -> Result<T, IpcError> + Send + 'static,
    ) -> Result<T, IpcError> {
        let cached = self.touch_session()?;
        let session = Arc::clone(&self.session);
        self.with_store(move |store| {
            // Roles as the store knows them now, not as at sign-in: a change made on
            // another device (a demotion, a deactivation) takes effect at once.
            let Some(actor) = store.refresh_actor(&cached)? else {
                *session.lock().map_err(|_| poisoned())? = None;
                return Err(IpcError::new(
                    ErrorCode::SignedOut,
                    "you are no longer an active member of the staff: ask an admin",
                ));
            };
            if actor != cached
                && let Some(s) = session.lock().map_err(|_| poisoned())?.as_mut()
                && s.actor.staff_id == actor.staff_id
            {
                s.actor = actor.clone();
            }
            work(store, &actor)
        })
        .await
    }

    /// The signed-in actor, refreshing the idle clock; ends an idle session.
    fn touch_session(&self) -> Result<Actor, IpcError> {
        let mut session = self.session.lock().map_err(|_| poisoned())?;
        match session.as_mut() {
            Some(s) if s.last_seen.elapsed() < self.idle_lock => {
                s.last_seen = Instant::now();
                Ok(s.actor.clone())
            }
            Some(_) => {
                *session = None;
                Err(IpcError::new(
                    ErrorCode::SignedOut,
                    "locked after inactivity: sign in again",
                ))
            }
            None => Err(IpcError::new(ErrorCode::SignedOut, "sign in to continue")),
        }
    }

    /// Checks a PIN (core counts wrong ones and pauses sign-in after five) and starts a
    /// session for that person, replacing whoever was signed in.
    pub async fn sign_in(&self, staff_id: String, pin: String) -> Result<SessionView, IpcError> {
        let id = vetdesk_ipc::parse_id("staff", &staff_id)?;
        if pin.trim().is_empty() {
            return Err(IpcError::invalid("pin", "enter your PIN"));
        }
        let actor = self
            .with_store(move |store| Ok(store.sign_in(&id.to_string(), &pin)?))
            .await?;
        let view = SessionView::of(&actor, self.idle_lock_seconds());
        *self.session.lock().map_err(|_| poisoned())? = Some(Session {
            actor,
            last_seen: Instant::now(),
        });
        Ok(view)
    }

    /// Ends the session, and the person's second-factor confirmation on this device.
    pub async fn sign_out(&self) -> Result<(), IpcError> {
        let ended = self.session.lock().map_err(|_| poisoned())?.take();
        if let Some(session) = ended {
            self.with_store(move |store| Ok(store.end_second_factor_window(&session.actor)?))
                .await?;
        }
        Ok(())
    }

    /// The current session, if one is signed in and not idle past the lock.
    pub fn current_session(&self) -> Result<Option<SessionView>, IpcError> {
        match self.touch_session() {
            Ok(actor) => Ok(Some(SessionView::of(&actor, self.idle_lock_seconds()))),
            Err(e) if e.code == ErrorCode::SignedOut => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The exam room's scribe (one per app).
    pub fn scribe(&self) -> Arc<crate::scribe::Scribe> {
        Arc::clone(&self.scribe)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// Checks the session (and refreshes its idle clock) for work done off the store.
    pub fn require_session(&self) -> Result<(), IpcError> {
        self.touch_session().map(|_| ())
    }

    fn idle_lock_seconds(&self) -> u32 {
        u32::try_from(self.idle_lock.as_secs()).unwrap_or(u32::MAX)
    }

    /// The status of the open store (opening it on first use), or why there is none.
    pub async fn status(&self) -> Result<AppStatus, IpcError> {
        let slot = Arc::clone(&self.slot);
        let sync = Arc::clone(&self.sync);
        let data_dir = self.data_dir.clone();
        blocking(move || {
            let mut slot = slot.lock().map_err(|_| poisoned())?;
            // Opened at the first ask, and tried again at each ask while it is closed
            // ("Try again": the keyring may have been unlocked meanwhile); an open store
            // is only read.
            if matches!(&*slot, StoreSlot::NotTried(_) | StoreSlot::Closed(_)) {
                let unlock = match std::mem::replace(&mut *slot, StoreSlot::Taken) {
                    StoreSlot::NotTried(unlock) => unlock,
                    _ => Unlock::default(),
                };
                *slot = match Store::open(&data_dir, &unlock) {
                    Ok(mut store) => {
                        housekeeping(&mut store);
                        start_sync(&store, &sync);
                        StoreSlot::Open(store)
                    }
                    Err(e) => {
                        eprintln!("vetdesk: store in {} not opened: {e}", data_dir.display());
                        StoreSlot::Closed(IpcError::from(e))
                    }
                };
            }
            match &*slot {
                StoreSlot::Open(store) => Ok(app_status(store)?),
                StoreSlot::Closed(error) => Err(error.clone()),
                StoreSlot::NotTried(_) | StoreSlot::Taken => {
                    Err(IpcError::new(ErrorCode::Internal, "the store is not open"))
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
        let slot = Arc::clone(&self.slot);
        let sync = Arc::clone(&self.sync);
        let data_dir = self.data_dir.clone();
        blocking(move || {
            let mut slot = slot.lock().map_err(|_| poisoned())?;
            if let StoreSlot::Open(store) = &*slot {
                return Ok(app_status(store)?);
            }
            let mut opened = Store::open(&data_dir, &Unlock::with_passphrase(passphrase))?;
            housekeeping(&mut opened);
            let status = app_status(&opened)?;
            start_sync(&opened, &sync);
            *slot = StoreSlot::Open(opened);
            Ok(status)
        })
        .await
    }

    /// First run on a new device: makes its store and enrolls it with the clinic's
    /// sync server (a code from a trusted device); sync starts at once and waits for
    /// an admin's approval. Only where this data directory holds no store yet.
    pub async fn enroll(&self, request: vetdesk_ipc::EnrollRequest) -> Result<AppStatus, IpcError> {
        let enrollment = request.enrollment()?;
        let protection = match vetdesk_core::keys::keyring_probe() {
            Ok(()) => vetdesk_core::KeyProtection::Keyring,
            Err(why) => match request.passphrase.filter(|p| !p.is_empty()) {
                Some(p) => vetdesk_core::KeyProtection::Passphrase(p.into()),
                None => {
                    return Err(IpcError::invalid(
                        "passphrase",
                        format!("this computer has no usable keyring ({why}): choose a passphrase"),
                    ));
                }
            },
        };
        let slot = Arc::clone(&self.slot);
        let sync = Arc::clone(&self.sync);
        let data_dir = self.data_dir.clone();
        blocking(move || {
            let mut slot = slot.lock().map_err(|_| poisoned())?;
            let empty =
                matches!(&*slot, StoreSlot::Closed(e) if e.code == ErrorCode::NotInitialized);
            if !empty {
                return Err(IpcError::new(
                    ErrorCode::AlreadyInitialized,
                    "this device already holds a clinic's store",
                ));
            }
            let store = Store::enroll(
                &data_dir,
                &enrollment,
                protection,
                time::OffsetDateTime::now_utc(),
            )?;
            let status = app_status(&store)?;
            start_sync(&store, &sync);
            *slot = StoreSlot::Open(store);
            Ok(status)
        })
        .await
    }

    /// The sync engine's state (not set up, when the store is closed or has no server).
    pub fn sync_status(&self) -> Result<SyncStatusView, IpcError> {
        let sync = self.sync.lock().map_err(|_| poisoned())?;
        Ok(match sync.as_ref() {
            Some(engine) => SyncStatusView::from_engine(&engine.status()),
            None => SyncStatusView::from_engine(&Default::default()),
        })
    }

    /// Asks for a sync round now.
    pub fn sync_now(&self) -> Result<(), IpcError> {
        if let Some(engine) = self.sync.lock().map_err(|_| poisoned())?.as_ref() {
            engine.sync_now();
        }
        Ok(())
    }
}

/// What the app does each time it opens the store: destroy exam-room audio past its
/// retention (keys, then files). A failure is logged and retried at the next start.
fn housekeeping(store: &mut Store) {
    match store.purge_expired_recordings() {
        Ok(purged) => {
            for (file, why) in purged.files_left {
                eprintln!(
                    "vetdesk: {} is past retention and its key destroyed, but not removed: {why}",
                    file.display()
                );
            }
        }
        Err(e) => eprintln!("vetdesk: recordings past retention not purged: {e}"),
    }
}

/// Starts background sync on a second connection, when this device has a server.
/// A failure here leaves the app working offline; it is logged, not shown as fatal.
fn start_sync(store: &Store, sync: &Mutex<Option<SyncEngine>>) {
    let started = (|| -> Result<Option<SyncEngine>, Box<dyn std::error::Error>> {
        if store.sync_credentials()?.is_none() {
            return Ok(None);
        }
        let engine = SyncEngine::start(
            store.another_connection()?,
            EngineOptions::default(),
            |event| {
                if let vetdesk_core::sync_engine::EngineEvent::Failed { error, .. } = event {
                    eprintln!("vetdesk: sync: {error}");
                }
            },
        )?;
        Ok(Some(engine))
    })();
    match (started, sync.lock()) {
        (Ok(engine), Ok(mut slot)) => *slot = engine,
        (Err(e), _) => eprintln!("vetdesk: background sync not started: {e}"),
        (_, Err(_)) => eprintln!("vetdesk: background sync not started: state poisoned"),
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
        ErrorCode::Internal,
        "an earlier operation failed part-way; restart Vetdesk",
    )
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IpcError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))?
}
