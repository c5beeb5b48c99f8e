//! One round of sync, over any [`Transport`] (HTTP in the app and CLI).
//!
//! Pull first, then push:
//! 1. **Pull** pages of envelopes after the stored cursor; open each with the clinic
//!    keys; apply the page's changesets and store the new cursor in the same
//!    transaction (a kill at any point either applied a page with its cursor or
//!    neither; applying is idempotent anyway). An envelope that does not open is kept
//!    in `rejected_envelopes` and reported; if no envelope of a page opens and none
//!    from another device ever has, it is this device's key that is wrong: the round
//!    stops before uploading anything ([`SyncError::WrongKey`]).
//! 2. **Push** this device's changesets after the acknowledged seq, sealed with the
//!    newest clinic key, a batch at a time; the server's `highest_acknowledged_seq` is
//!    stored as the new acknowledged seq. A refused envelope stops the push and is
//!    reported (the next round tries again).
//!
//! The server's clock is compared with ours on every pull; a difference beyond the
//! HLC bound is reported as clock skew.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;
use vetdesk_proto::messages::{MAX_PUSH_ENVELOPES, PullResponse, PushResponse, PushResult};

use crate::envelope::{self, DataKey};
use crate::merge::{self, ApplyReport, Pulled};
use crate::sources::unix_ms;
use crate::store::Store;
use crate::write::rfc3339;
use crate::{Changeset, Error};

/// Bytes asked for per pull page.
pub const PULL_PAGE_BYTES: u64 = 4 << 20;

/// How a round talks to the server.
pub trait Transport {
    fn push(&mut self, envelopes: Vec<Vec<u8>>) -> Result<PushResponse, SyncError>;
    fn pull(&mut self, after: u64, max_bytes: u64) -> Result<PullResponse, SyncError>;
}

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the sync server cannot be reached ({0}); working offline, changes are kept")]
    Offline(String),
    #[error(
        "the sync server is busy or its database is unavailable ({0}); changes are kept and sent on the next try"
    )]
    Unavailable(String),
    #[error("the sync server refused: {0}")]
    Refused(String),
    #[error(
        "this device's clinic key does not open the clinic's data on the server: it was enrolled into another clinic or with an old key; nothing was uploaded. Enroll it again"
    )]
    WrongKey,
    #[error(
        "sync is not set up on this device: run `vetdesk sync setup --server URL` or enroll it"
    )]
    NotSetUp,
    #[error(
        "this device ({0}) is waiting for an admin to approve it on a trusted device (Owner → Devices, or `vetdesk devices approve {0}`)"
    )]
    AwaitingApproval(Uuid),
    #[error("{0}")]
    Store(#[from] Error),
}

/// This device's sync bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncState {
    pub server_url: Option<String>,
    pub cursor: u64,
    pub acknowledged_seq: u64,
    /// Changesets of this device not yet acknowledged by the server.
    pub pending: u64,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub pulled_envelopes: usize,
    pub applied: ApplyReport,
    /// (server seq, why) of envelopes that did not open.
    pub rejected: Vec<(u64, String)>,
    pub pushed: usize,
    pub acknowledged_seq: u64,
    /// Why a pushed envelope was refused, if one was.
    pub push_refused: Option<String>,
    /// Server clock minus ours, when it is beyond the bound.
    pub server_clock_skew_ms: Option<i64>,
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Store {
    /// The clinic's data keys this device holds.
    pub fn clinic_keys(&self) -> crate::Result<Vec<DataKey>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT key_id, key FROM clinic_keys ORDER BY key_id")?;
        let keys = stmt
            .query_map([], |r| {
                let id: i64 = r.get(0)?;
                let bytes: Vec<u8> = r.get(1)?;
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes[..32.min(bytes.len())]);
                Ok(DataKey::from_bytes(u32::try_from(id).unwrap_or(0), key))
            })?
            .collect::<Result<_, _>>()?;
        Ok(keys)
    }

    /// Stores a clinic key (made here, or received at enrollment).
    pub fn add_clinic_key(&mut self, id: u32, key: [u8; 32]) -> crate::Result<()> {
        let now = rfc3339(self.now());
        self.conn().execute(
            "INSERT OR IGNORE INTO clinic_keys (key_id, key, created_at) VALUES (?1, ?2, ?3)",
            params![i64::from(id), key.as_slice(), now],
        )?;
        Ok(())
    }

    /// The clinic's first data key, made on the first device that sets up sync.
    pub fn ensure_clinic_key(&mut self) -> crate::Result<u32> {
        if let Some(key) = self.clinic_keys()?.last() {
            return Ok(key.id());
        }
        let key = DataKey::random(1);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(key.bytes());
        self.add_clinic_key(1, bytes)?;
        Ok(1)
    }

    /// Records where this device syncs and its token (kept in the encrypted store).
    pub fn set_sync_server(&mut self, url: &str, token: &str) -> crate::Result<()> {
        self.conn().execute(
            "UPDATE sync_state SET server_url = ?1, token = ?2 WHERE id = 1",
            params![url, token],
        )?;
        Ok(())
    }

    /// What staff call this device (given at enrollment).
    pub fn set_device_name(&mut self, name: &str) -> crate::Result<()> {
        let name = crate::validate::text("device name", name, 80, false)?;
        self.conn().execute(
            "UPDATE sync_state SET device_name = ?1 WHERE id = 1",
            [name],
        )?;
        Ok(())
    }

    /// The server URL and token, once sync is set up.
    pub fn sync_credentials(&self) -> crate::Result<Option<(String, String)>> {
        let row: Option<(Option<String>, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT server_url, token FROM sync_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((Some(url), Some(token))) => Some((url, token)),
            _ => None,
        })
    }

    pub fn sync_state(&self) -> crate::Result<SyncState> {
        let (url, cursor, acknowledged, success, error) = self.conn().query_row(
            "SELECT server_url, cursor, pushed_seq, last_success, last_error FROM sync_state WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )?;
        let pending: i64 = self.conn().query_row(
            "SELECT count(*) FROM local_changesets WHERE seq > ?1",
            [acknowledged],
            |r| r.get(0),
        )?;
        Ok(SyncState {
            server_url: url,
            cursor: u64_of(cursor),
            acknowledged_seq: u64_of(acknowledged),
            pending: u64_of(pending),
            last_success: success,
            last_error: error,
        })
    }

    /// Whether any other device's changeset was ever applied here.
    fn has_applied_remote(&self) -> crate::Result<bool> {
        Ok(self
            .conn()
            .prepare("SELECT 1 FROM applied_changesets LIMIT 1")?
            .exists([])?)
    }

    fn set_acknowledged_seq(&mut self, seq: u64) -> crate::Result<()> {
        self.conn().execute(
            "UPDATE sync_state SET pushed_seq = max(pushed_seq, ?1) WHERE id = 1",
            [i64::try_from(seq).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    }

    fn record_outcome(&mut self, outcome: Result<(), &str>) -> crate::Result<()> {
        let now = rfc3339(self.now());
        match outcome {
            Ok(()) => self.conn().execute(
                "UPDATE sync_state SET last_success = ?1, last_error = NULL WHERE id = 1",
                [now],
            )?,
            Err(why) => self.conn().execute(
                "UPDATE sync_state SET last_error = ?1 WHERE id = 1",
                [format!("{now}: {why}")],
            )?,
        };
        Ok(())
    }
}

/// Runs one round: pull everything new, then push everything pending.
pub fn sync_once(
    store: &mut Store,
    transport: &mut dyn Transport,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<SyncReport, SyncError> {
    let outcome = round(store, transport, progress);
    match &outcome {
        Ok(_) => store.record_outcome(Ok(()))?,
        Err(e) => store.record_outcome(Err(&e.to_string()))?,
    }
    outcome
}

fn round(
    store: &mut Store,
    transport: &mut dyn Transport,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<SyncReport, SyncError> {
    let clinic =
        Uuid::parse_str(&store.status()?.clinic_id).map_err(|e| Error::Migration(e.to_string()))?;
    let keys = store.clinic_keys()?;
    if keys.is_empty() {
        return Err(SyncError::NotSetUp);
    }
    let mut report = SyncReport::default();

    // Pull.
    let mut cursor = store.sync_state()?.cursor;
    loop {
        let page = transport.pull(cursor, PULL_PAGE_BYTES)?;
        let skew = i64::try_from(page.server_time_ms).unwrap_or(0) - unix_ms(store.now());
        if skew.unsigned_abs() > crate::hlc::DEFAULT_MAX_REMOTE_AHEAD_MS {
            report.server_clock_skew_ms = Some(skew);
        }
        let mut opened: Vec<Changeset> = Vec::with_capacity(page.envelopes.len());
        let mut pulled = Pulled {
            next_cursor: page.next,
            rejected: Vec::new(),
        };
        for (seq, bytes) in &page.envelopes {
            match envelope::open(bytes, clinic, &keys) {
                Ok((_, changeset)) => opened.push(changeset),
                Err(e) => pulled.rejected.push((*seq, e.to_string(), bytes.clone())),
            }
        }
        // Nothing of the page opens, and nothing from another device ever has: it is
        // this device's key that is wrong, not the envelopes. Stop before uploading.
        if !page.envelopes.is_empty() && opened.is_empty() && !store.has_applied_remote()? {
            return Err(SyncError::WrongKey);
        }
        report.pulled_envelopes += page.envelopes.len();
        report
            .rejected
            .extend(pulled.rejected.iter().map(|(s, why, _)| (*s, why.clone())));
        let applied = store.apply_pulled(&opened, &pulled)?;
        report.applied.applied += applied.applied;
        report.applied.changes += applied.changes;
        report.applied.skipped += applied.skipped;
        report.applied.quarantined += applied.quarantined;
        report.applied.clock_skew.extend(applied.clock_skew);
        cursor = page.next;
        progress("pulled", report.pulled_envelopes as u64);
        if !page.has_more {
            break;
        }
    }

    // Push.
    let key = keys.last().ok_or(SyncError::NotSetUp)?;
    let mut acknowledged = store.sync_state()?.acknowledged_seq;
    loop {
        let pending = store.pending_changesets(acknowledged, MAX_PUSH_ENVELOPES)?;
        if pending.is_empty() {
            break;
        }
        let sealed = pending
            .iter()
            .map(|c| envelope::seal(c, clinic, key, Uuid::now_v7()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SyncError::Refused(e.to_string()))?;
        let response = transport.push(sealed)?;
        report.pushed += response
            .results
            .iter()
            .filter(|r| !matches!(r, PushResult::Refused { .. }))
            .count();
        let refused = response.results.iter().find_map(|r| match r {
            PushResult::Refused { reason } => Some(reason.clone()),
            _ => None,
        });
        let advanced = response.highest_acknowledged_seq > acknowledged;
        if advanced {
            acknowledged = response.highest_acknowledged_seq;
            store.set_acknowledged_seq(acknowledged)?;
        }
        progress("pushed", report.pushed as u64);
        if let Some(reason) = refused {
            report.push_refused = Some(reason);
            break;
        }
        if !advanced {
            break;
        }
    }
    report.acknowledged_seq = acknowledged;
    Ok(report)
}

impl Store {
    /// Applies a pulled page and stores its cursor in the same transaction.
    pub(crate) fn apply_pulled(
        &mut self,
        changesets: &[Changeset],
        pulled: &Pulled,
    ) -> crate::Result<ApplyReport> {
        let now = self.now();
        let (device, bound) = (self.device_id(), self.max_remote_ahead_ms());
        merge::apply(
            self.conn_mut(),
            device,
            now,
            bound,
            changesets,
            Some(pulled),
        )
    }
}
