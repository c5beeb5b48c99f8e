//! The background sync engine: runs [`sync_once`] rounds on its own thread, on its own
//! connection to the store, for as long as the app (or `vetdesk sync --watch`) runs.
//!
//! A round starts at once when the server announces another device's push (its
//! notify stream is held open on a second thread), when a write is committed to the
//! store on any other connection — the app's, or another `vetdesk` process — and leaves
//! changesets to push (the engine watches SQLite's `PRAGMA data_version` every
//! [`LOCAL_WRITE_POLL`]: one place for every shell, no command has to remember), when
//! asked ([`SyncEngine::sync_now`], the "sync now" button), and otherwise every
//! `interval`. A failed round
//! is retried after an exponentially growing, jittered wait ([`retry_delay`], pure),
//! capped at `max_backoff`, so a clinic's devices coming back after an outage do not
//! all knock at once. Nothing is lost while offline: changes stay in the local change
//! log until the server acknowledges them.
//!
//! What the UI shows (online or not, pending count, last success, last error, clock
//! skew) is [`SyncEngine::status`], kept current after every round.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::store::Store;
use crate::sync::{SyncError, SyncReport, SyncState};
use crate::sync_http::{Heard, HttpTransport, sync_with_stored_server};

/// How often a device waiting for approval asks whether it has been approved.
const APPROVAL_POLL: Duration = Duration::from_secs(5);

/// How often the engine looks for writes committed on the store's other connections
/// (one `PRAGMA data_version`, a read of a counter in memory). While rounds fail, the
/// retry wait governs instead: a write made offline waits for the next retry.
pub const LOCAL_WRITE_POLL: Duration = Duration::from_millis(250);

/// How often rounds run, and how long to wait after failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// Between rounds when nothing wakes the engine earlier.
    pub interval: Duration,
    /// The wait after the first failure; doubled for each further failure.
    pub min_backoff: Duration,
    /// The longest wait after failures.
    pub max_backoff: Duration,
    /// Hold the server's notify stream open so other devices' pushes arrive at once.
    pub listen: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            min_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            listen: true,
        }
    }
}

/// The wait before the next try after `failures` failed rounds in a row (≥ 1):
/// `min · 2^(failures−1)` capped at `max`, of which the upper half is scaled by
/// `jitter` ∈ [0, 1) ("equal jitter": never less than half the step, spread over the
/// other half).
pub fn retry_delay(failures: u32, min: Duration, max: Duration, jitter: f64) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    let step = min.saturating_mul(1u32 << doublings).min(max);
    let half = step / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// What the engine tells its owner after each round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A round finished; what it did.
    Synced { report: Box<SyncReport> },
    /// A round failed; the engine tries again after `retry_in_ms`.
    Failed {
        error: String,
        offline: bool,
        retry_in_ms: u64,
    },
}

/// The sync state as the UI shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveSyncStatus {
    /// Whether the last round reached the server (`None` before the first round ends).
    pub online: Option<bool>,
    /// A round is running now.
    pub syncing: bool,
    /// Failed rounds since the last success.
    pub consecutive_failures: u32,
    /// The stored bookkeeping: pending count, last success, last error.
    pub state: Option<SyncState>,
    /// Server clock minus ours, when the last round found it beyond the bound.
    pub server_clock_skew_ms: Option<i64>,
    /// How far this device's own clock ran ahead of the server's (its changes are
    /// refused as from the future until that time has passed).
    pub own_clock_ahead_ms: Option<i64>,
    /// Other devices' changesets held because their clock is ahead of ours.
    pub held_for_clock_skew: u64,
    /// This device is enrolled and waits for an admin's approval (asked every 5 s).
    pub awaiting_approval: bool,
}

enum Wake {
    Now,
    Stop,
}

/// A running engine; dropping it stops the engine (waiting for a round in progress).
pub struct SyncEngine {
    wake: Sender<Wake>,
    status: Arc<Mutex<LiveSyncStatus>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine").finish_non_exhaustive()
    }
}

impl SyncEngine {
    /// Starts rounds on `store` (a connection of its own: see
    /// [`Store::another_connection`]). `on_event` runs on the engine's thread.
    pub fn start(
        mut store: Store,
        options: EngineOptions,
        mut on_event: impl FnMut(&EngineEvent) + Send + 'static,
    ) -> Result<Self, SyncError> {
        let (wake, wakes) = mpsc::channel();
        let status = Arc::new(Mutex::new(LiveSyncStatus {
            state: Some(store.sync_state()?),
            ..LiveSyncStatus::default()
        }));
        if options.listen && store.sync_credentials()?.is_some() {
            listen_in_background(
                store.stored_transport()?,
                wake.clone(),
                Arc::downgrade(&status),
            );
        }
        let shared = Arc::clone(&status);
        let thread = std::thread::Builder::new()
            .name("vetdesk-sync".into())
            .spawn(move || run(&mut store, options, &wakes, &shared, &mut on_event))
            .map_err(|e| SyncError::Store(e.into()))?;
        Ok(Self {
            wake,
            status,
            thread: Some(thread),
        })
    }

    /// Asks for a round now (after a local change, or from a "sync now" button).
    pub fn sync_now(&self) {
        let _ = self.wake.send(Wake::Now);
    }

    pub fn status(&self) -> LiveSyncStatus {
        self.status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Stops after the round in progress, if any.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        let _ = self.wake.send(Wake::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SyncEngine {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn run(
    store: &mut Store,
    options: EngineOptions,
    wakes: &Receiver<Wake>,
    status: &Mutex<LiveSyncStatus>,
    on_event: &mut dyn FnMut(&EngineEvent),
) {
    let mut failures = 0u32;
    loop {
        // Taken before the round: a write committed during it wakes the next one.
        let writes_seen = store.data_version().ok();
        update(status, |s| s.syncing = true);
        let outcome = sync_with_stored_server(store, &mut |_, _| {});
        let state = store.sync_state().ok();
        let held = store.held_changesets().ok();
        let (event, wait) = match outcome {
            Ok(report) => {
                failures = 0;
                let skew = report.server_clock_skew_ms;
                let ahead = report.own_clock_ahead_ms;
                update(status, |s| {
                    s.online = Some(true);
                    s.server_clock_skew_ms = skew;
                    s.own_clock_ahead_ms = ahead;
                    s.awaiting_approval = false;
                });
                (
                    EngineEvent::Synced {
                        report: Box::new(report),
                    },
                    options.interval,
                )
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let awaiting = matches!(error, SyncError::AwaitingApproval(_));
                // Waiting for approval is not a fault: ask again soon, without backing off.
                let wait = if awaiting {
                    APPROVAL_POLL.min(options.interval)
                } else {
                    retry_delay(
                        failures,
                        options.min_backoff,
                        options.max_backoff,
                        rand::random::<f64>(),
                    )
                };
                update(status, |s| s.awaiting_approval = awaiting);
                let offline = matches!(error, SyncError::Offline(_) | SyncError::Unavailable(_));
                update(status, |s| s.online = Some(!offline));
                let event = EngineEvent::Failed {
                    error: error.to_string(),
                    offline,
                    retry_in_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                };
                (event, wait)
            }
        };
        update(status, |s| {
            s.syncing = false;
            s.consecutive_failures = failures;
            s.state = state.or(s.state.take());
            s.held_for_clock_skew = held.unwrap_or(s.held_for_clock_skew);
        });
        on_event(&event);
        let watch_writes = failures == 0;
        if !wait_for_wake(store, wakes, wait, watch_writes.then_some(writes_seen)) {
            return;
        }
        // Several wakes while a round ran need one round, not several; a stop among
        // them still stops.
        while let Ok(wake) = wakes.try_recv() {
            if matches!(wake, Wake::Stop) {
                return;
            }
        }
    }
}

/// Waits up to `wait` for the next round; `false` when the engine is to stop. With
/// `writes_seen` (the store's data version before the last round), a write committed on
/// another connection since then that left changesets to push ends the wait early.
fn wait_for_wake(
    store: &Store,
    wakes: &Receiver<Wake>,
    wait: Duration,
    writes_seen: Option<Option<i64>>,
) -> bool {
    let deadline = Instant::now() + wait;
    let mut writes_seen = writes_seen;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        let slice = match writes_seen {
            Some(_) => LOCAL_WRITE_POLL.min(left),
            None => left,
        };
        match wakes.recv_timeout(slice) {
            Ok(Wake::Stop) | Err(RecvTimeoutError::Disconnected) => return false,
            Ok(Wake::Now) => return true,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(seen) = writes_seen.as_mut() {
            let now = store.data_version().ok();
            if now != *seen {
                if store.sync_state().is_ok_and(|s| s.pending > 0) {
                    return true;
                }
                // A write with nothing to send (a local-only table): noted, not a round.
                *seen = now;
            }
        }
    }
}

fn update(status: &Mutex<LiveSyncStatus>, change: impl FnOnce(&mut LiveSyncStatus)) {
    let mut guard = status
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    change(&mut guard);
}

/// Holds the server's notify stream open (reconnecting after 5 s when it drops) and
/// wakes the engine for each announced push and each reconnection; ends once the engine is gone (its status
/// dropped; noticed at the next keep-alive, at most 15 s later).
fn listen_in_background(
    transport: HttpTransport,
    wake: Sender<Wake>,
    engine: std::sync::Weak<Mutex<LiveSyncStatus>>,
) {
    let spawned = std::thread::Builder::new()
        .name("vetdesk-sync-notify".into())
        .spawn(move || {
            loop {
                let _ = transport.listen_for_pushes(|heard| {
                    let running = engine.strong_count() > 0;
                    // A (re)connection may have missed announcements: pull too.
                    if running && matches!(heard, Heard::Push | Heard::Connected) {
                        let _ = wake.send(Wake::Now);
                    }
                    running
                });
                if engine.strong_count() == 0 {
                    return;
                }
                std::thread::sleep(Duration::from_secs(5));
            }
        });
    if let Err(e) = spawned {
        eprintln!("vetdesk: the sync notify listener did not start: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(2);
    const MAX: Duration = Duration::from_secs(300);

    #[test]
    fn the_wait_doubles_per_failure_and_stops_at_the_cap() {
        let waits: Vec<u64> = (1..=10)
            .map(|n| retry_delay(n, MIN, MAX, 1.0).as_secs())
            .collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(retry_delay(u32::MAX, MIN, MAX, 1.0), MAX);
    }

    #[test]
    fn jitter_spreads_the_wait_over_its_upper_half() {
        assert_eq!(retry_delay(3, MIN, MAX, 0.0), Duration::from_secs(4));
        assert_eq!(retry_delay(3, MIN, MAX, 0.5), Duration::from_secs(6));
        // Out-of-range jitter is clamped, never a longer or negative wait.
        assert_eq!(retry_delay(3, MIN, MAX, 7.0), Duration::from_secs(8));
        assert_eq!(retry_delay(3, MIN, MAX, -1.0), Duration::from_secs(4));
    }
}
