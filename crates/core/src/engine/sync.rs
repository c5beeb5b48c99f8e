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
//!    newest clinic key, a batch at a time; the last of the leading run of envelopes
//!    the server says it holds is stored as the new acknowledged seq (never more than
//!    was sent, whatever a server claims). A refused envelope stops the push and is
//!    reported (the next round tries again). A seq the server holds another changeset
//!    under (a restored or copied data folder) moves this device's unsent changesets
//!    after the server's, and the push goes on ([`crate::merge::renumber_unsent`]).
//!
//! The server's clock is compared with ours on every pull; a difference beyond the
//! HLC bound is reported as clock skew.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;
use vetdesk_proto::messages::{
    KeyGrant, MAX_PUSH_ENVELOPES, PullResponse, PushResponse, PushResult,
};

use crate::envelope::{self, DataKey};
use crate::merge::{self, ApplyReport, Pulled};
use crate::signing::SignedChangeset;
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
    /// Hands the server key-epoch grants this device made (`crate::clinic_keys`);
    /// `false` when this transport cannot carry them (they are kept and sent later).
    fn put_key_grants(&mut self, grants: Vec<KeyGrant>) -> Result<bool, SyncError> {
        let _ = grants;
        Ok(false)
    }
    /// The key-epoch grants the server holds for this device.
    fn key_grants(&mut self) -> Result<Vec<KeyGrant>, SyncError> {
        Ok(Vec::new())
    }
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
    Refused(Refusal),
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

/// What was refused, and the server's code for it when the server answered with one
/// (`vetdesk_proto::errors`: the same closed set the server answers with), so a device
/// branches on the code, never on the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Option<vetdesk_proto::errors::ServerErrorCode>,
    pub message: String,
}

impl Refusal {
    /// Whether the server answered with `code`.
    pub fn is(&self, code: vetdesk_proto::errors::ServerErrorCode) -> bool {
        self.code == Some(code)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A refusal this device made itself (an answer it cannot read, a certificate it does
/// not trust): no server code.
impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Self {
            code: None,
            message,
        }
    }
}

impl From<&str> for Refusal {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

/// This device's sync bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncState {
    pub server_url: Option<String>,
    pub cursor: u64,
    pub acknowledged_seq: u64,
    /// Changesets of this device not yet acknowledged by the server.
    pub pending: u64,
    /// Other devices' changes set aside (`vetdesk sync quarantine`).
    pub quarantined: u64,
    /// Envelopes that did not open, fetched again from time to time.
    pub rejected: u64,
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
    /// How far this device's own clock (its last HLC) is ahead of the server's, when
    /// beyond the bound: its changes then wait at the server's door (refused as from
    /// the future) until real time catches up, and the clock needs setting right.
    pub own_clock_ahead_ms: Option<i64>,
    /// Envelopes rejected before that opened when fetched again.
    pub recovered_envelopes: usize,
    /// This device's unsent changesets moved to new seqs because the server held
    /// others under theirs (a restored or copied data folder).
    pub renumbered: crate::merge::Renumbered,
    /// Key-epoch grants this device handed the server.
    pub key_grants_sent: usize,
    /// What came of the key-epoch grants the server holds for this device.
    pub key_grants: Box<crate::clinic_keys::GrantsTaken>,
    /// Other devices' changesets the server skipped (it served a later one of theirs),
    /// and whether this round pulled everything again to get them.
    pub withheld: Box<crate::missing::Withheld>,
}

impl SyncReport {
    /// What went wrong in a round that otherwise ran, as a sentence for people.
    pub fn problem(&self) -> Option<String> {
        let refused = self.push_refused.as_ref().map(|why| match self.own_clock_ahead_ms {
            Some(ahead) => format!(
                "the server refused this device's changes ({why}): this device's clock ran {} h ahead; its changes wait on this device until that time has passed — set its clock right",
                ahead / 3_600_000
            ),
            None => format!("the server refused this device's changes: {why}"),
        });
        refused
            .or_else(|| {
                self.own_clock_ahead_ms.map(|ahead| {
                    format!(
                        "this device's clock is {} min ahead of the server's: set it right",
                        ahead / 60_000
                    )
                })
            })
            .or_else(|| {
                let count: u64 = self.withheld.missing.iter().map(|m| m.count).sum();
                (count > 0).then(|| {
                    let named: Vec<String> = self
                        .withheld
                        .missing
                        .iter()
                        .map(|m| format!("device {} (changeset {:?}…)", m.device, m.seqs))
                        .collect();
                    format!(
                        "the sync server has not served {count} changes of other devices although it served later ones: it is withholding or lost them ({}); they stay on the devices that wrote them, and this device asks for everything again within the hour",
                        named.join(", ")
                    )
                })
            })
            .or_else(|| {
                (!self.key_grants.refused.is_empty()).then(|| {
                    format!(
                        "a clinic key offered to this device was refused (the sync server or something on the way changed it): {}",
                        self.key_grants.refused.join("; ")
                    )
                })
            })
    }
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

    /// Stores a clinic key (made here, or received at enrollment). The same key again is
    /// harmless; a different key under an id this device holds is refused (it is
    /// another clinic's, or a substitute).
    pub fn add_clinic_key(&mut self, id: u32, key: [u8; 32]) -> crate::Result<()> {
        let bundle = crate::key_epochs::Bundle {
            keys: vec![DataKey::from_bytes(id, key)],
            excluded: Vec::new(),
        };
        self.add_key_bundle(&bundle, id, None).map(|_| ())
    }

    /// The clinic's first data key, made on the first device that sets up sync.
    pub fn ensure_clinic_key(&mut self) -> crate::Result<u32> {
        if let Some(key) = self.clinic_keys()?.last() {
            return Ok(key.id());
        }
        let now = rfc3339(self.now());
        crate::store::first_clinic_key(self.conn(), &now)?;
        Ok(1)
    }

    /// Records where this device syncs and its token (kept in the encrypted store); a
    /// set-up in progress is over.
    pub fn set_sync_server(
        &mut self,
        server: &crate::server_address::ServerAddress,
        token: &str,
    ) -> crate::Result<()> {
        self.conn().execute(
            "UPDATE sync_state SET server_url = ?1, token = ?2, setup_server_url = NULL, setup_token = NULL
             WHERE id = 1",
            params![server.as_str(), token],
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
        let count = |sql: &str| -> crate::Result<u64> {
            Ok(u64_of(
                self.conn().query_row(sql, [], |r| r.get::<_, i64>(0))?,
            ))
        };
        Ok(SyncState {
            server_url: url,
            cursor: u64_of(cursor),
            acknowledged_seq: u64_of(acknowledged),
            pending: u64_of(pending),
            quarantined: count("SELECT count(*) FROM quarantined_changes")?,
            rejected: count("SELECT count(*) FROM rejected_envelopes")?,
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

    /// Moves this device's unsent changesets after `highest_on_server`
    /// ([`merge::renumber_unsent`]).
    fn renumber_unsent(
        &mut self,
        acknowledged: u64,
        highest_on_server: u64,
    ) -> crate::Result<crate::merge::Renumbered> {
        let signer = self.cached_signer()?;
        let device = self.device_id();
        merge::renumber_unsent(
            self.conn_mut(),
            acknowledged,
            highest_on_server,
            device,
            &signer,
        )
    }

    fn set_acknowledged_seq(&mut self, seq: u64) -> crate::Result<()> {
        self.conn().execute(
            "UPDATE sync_state SET pushed_seq = max(pushed_seq, ?1) WHERE id = 1",
            [i64::try_from(seq).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    }

    pub(crate) fn record_outcome(&mut self, outcome: Result<(), &str>) -> crate::Result<()> {
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

/// A change from another device that this one set aside instead of applying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetAsideChange {
    pub device: String,
    pub seq: u64,
    /// Its place in the changeset; −1 for a whole changeset refused.
    pub index: i64,
    pub table: Option<String>,
    pub row: Option<String>,
    pub reason: String,
    pub at: Option<String>,
    /// Whether a later build tries it again.
    pub retryable: bool,
    /// Refused for want of something another change may still bring (its author's
    /// roles, the encounter a signature signs): tried again when such a change arrives.
    pub waits: bool,
}

/// An envelope that did not open, kept and fetched again from time to time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedEnvelope {
    pub server_seq: u64,
    pub reason: String,
    pub attempts: u64,
    pub rejected_at: String,
    pub retry_after: Option<String>,
}

impl Store {
    /// What merge set aside, oldest first (at most `limit`).
    pub fn set_aside_changes(&self, limit: usize) -> crate::Result<Vec<SetAsideChange>> {
        let mut stmt = self.conn().prepare(
            "SELECT device_id, seq, idx, change, reason, quarantined_at, retryable, waits
             FROM quarantined_changes ORDER BY quarantined_at, device_id, seq, idx LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                let body: Vec<u8> = r.get(3)?;
                let change = postcard::from_bytes::<crate::Change>(&body).ok();
                Ok(SetAsideChange {
                    device: r.get(0)?,
                    seq: u64_of(r.get(1)?),
                    index: r.get(2)?,
                    table: change.as_ref().map(|c| c.table.clone()),
                    row: change.as_ref().map(|c| c.row.to_string()),
                    reason: r.get(4)?,
                    at: r.get(5)?,
                    retryable: r.get::<_, i64>(6)? != 0,
                    waits: r.get::<_, i64>(7)? != 0,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Envelopes that did not open, by server seq.
    pub fn rejected_envelopes(&self) -> crate::Result<Vec<RejectedEnvelope>> {
        let mut stmt = self.conn().prepare(
            "SELECT server_seq, reason, attempts, rejected_at, retry_after
             FROM rejected_envelopes ORDER BY server_seq",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RejectedEnvelope {
                    server_seq: u64_of(r.get(0)?),
                    reason: r.get(1)?,
                    attempts: u64_of(r.get(2)?),
                    rejected_at: r.get(3)?,
                    retry_after: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Rejected envelopes whose time to be fetched again has come: (seq, attempts).
    fn rejected_due(&self, limit: usize) -> crate::Result<Vec<(u64, i64)>> {
        let now = rfc3339(self.now());
        let mut stmt = self.conn().prepare(
            "SELECT server_seq, attempts FROM rejected_envelopes
             WHERE retry_after IS NULL OR retry_after <= ?1 ORDER BY server_seq LIMIT ?2",
        )?;
        let due = stmt
            .query_map(
                params![now, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((u64_of(r.get(0)?), r.get(1)?)),
            )?
            .collect::<Result<_, _>>()?;
        Ok(due)
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
        // A round that reached the server but could not deliver is not a success: the
        // refusal is what the status bar must show.
        Ok(report) => match report.problem() {
            None => store.record_outcome(Ok(()))?,
            Some(problem) => store.record_outcome(Err(&problem))?,
        },
        Err(e) => store.record_outcome(Err(&e.to_string()))?,
    }
    outcome
}

fn round(
    store: &mut Store,
    transport: &mut dyn Transport,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<SyncReport, SyncError> {
    let clinic = store.clinic_id()?;
    if store.clinic_keys()?.is_empty() {
        return Err(SyncError::NotSetUp);
    }
    let mut report = SyncReport::default();
    // Keys first: grants this device owes (a key epoch it started), and the newest
    // keys the server holds for it, so what was sealed under them opens in this pull.
    store.queue_key_grants()?;
    report.key_grants_sent += store.send_key_grants(transport)?;
    report.key_grants = Box::new(store.take_key_grants(transport)?);
    let keys = store.clinic_keys()?;
    retry_rejected(store, transport, clinic, &keys, &mut report)?;

    // Pull; then look for another device's changesets the server skipped (it stores
    // them without gaps, so a later one here means an earlier one was withheld): pull
    // everything again once, and report what is still missing.
    pull_pages(store, transport, clinic, &keys, &mut report, progress)?;
    let mut missing = store.missing_changesets()?;
    if !missing.is_empty() && store.pull_again_from_start()? {
        report.withheld.pulled_again = true;
        pull_pages(store, transport, clinic, &keys, &mut report, progress)?;
        missing = store.missing_changesets()?;
    }
    report.withheld.missing = missing;

    // The pull brought the membership log up to date: a grant whose maker was not in
    // it yet is taken now (what it opens is fetched again next round), and a member
    // admitted elsewhere gets this device's newest key epoch.
    if report.key_grants.waiting > 0 {
        let again = store.take_key_grants(transport)?;
        report.key_grants.keys_added += again.keys_added;
        report.key_grants.waiting = again.waiting;
        report.key_grants.refused.extend(again.refused);
    }
    // A revocation made elsewhere at the same time as one here was not left out of
    // this device's epoch: it makes another.
    store.rotate_if_outdated()?;
    if store.queue_key_grants()? > 0 {
        report.key_grants_sent += store.send_key_grants(transport)?;
    }

    // Push, sealed with the newest key no revoked device knows.
    let Some(key) = store.sealing_key(&store.clinic_keys()?)? else {
        report.push_refused = Some(WAITING_FOR_KEY.into());
        report.acknowledged_seq = store.sync_state()?.acknowledged_seq;
        return Ok(report);
    };
    push_pending(store, transport, &key, &mut report, progress)?;
    Ok(report)
}

/// Pulls every page after the stored cursor: opens, applies in bounded parts, keeps
/// what does not open aside, moves the cursor with each page.
fn pull_pages(
    store: &mut Store,
    transport: &mut dyn Transport,
    clinic: Uuid,
    keys: &[DataKey],
    report: &mut SyncReport,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<(), SyncError> {
    let mut cursor = store.sync_state()?.cursor;
    loop {
        let page = transport.pull(cursor, PULL_PAGE_BYTES)?;
        let server_ms = i64::try_from(page.server_time_ms).unwrap_or(0);
        let skew = server_ms - unix_ms(store.now());
        if skew.unsigned_abs() > crate::hlc::DEFAULT_MAX_REMOTE_AHEAD_MS {
            report.server_clock_skew_ms = Some(skew);
        }
        let ahead = i64::try_from(store.last_hlc()?.millis()).unwrap_or(0) - server_ms;
        if server_ms > 0
            && ahead.unsigned_abs() > crate::hlc::DEFAULT_MAX_REMOTE_AHEAD_MS
            && ahead > 0
        {
            report.own_clock_ahead_ms = Some(ahead);
        }
        let mut pulled = Pulled::default();
        let mut chunk: Vec<SignedChangeset> = Vec::new();
        let (mut chunk_changes, mut chunk_bytes, mut opened_any) = (0usize, 0usize, false);
        for (seq, bytes) in &page.envelopes {
            match envelope::open(bytes, clinic, keys) {
                Ok((_, signed)) => {
                    opened_any = true;
                    chunk_changes += signed.changeset.changes.len();
                    chunk_bytes += decoded_bytes(&signed.changeset);
                    chunk.push(signed);
                }
                Err(e) => pulled.rejected.push((*seq, e.to_string(), bytes.clone())),
            }
            // Bounded work per write transaction: a huge page cannot hold the store's
            // write lock (and the people typing into the app) for long. The cursor
            // moves with the page's last part; a crash before it re-pulls the page,
            // and applying again is harmless.
            if chunk_changes >= APPLY_CHUNK_CHANGES || chunk_bytes >= APPLY_CHUNK_BYTES {
                report
                    .applied
                    .absorb(store.apply_pulled(&chunk, &Pulled::default())?);
                chunk.clear();
                (chunk_changes, chunk_bytes) = (0, 0);
            }
        }
        // Nothing of the page opens, and nothing from another device ever has: it is
        // this device's key that is wrong, not the envelopes. Stop before uploading.
        if !page.envelopes.is_empty() && !opened_any && !store.has_applied_remote()? {
            return Err(SyncError::WrongKey);
        }
        report.pulled_envelopes += page.envelopes.len();
        report
            .rejected
            .extend(pulled.rejected.iter().map(|(s, why, _)| (*s, why.clone())));
        pulled.next_cursor = Some(page.next);
        pulled.server_offset_ms = (server_ms > 0).then_some(skew);
        report.applied.absorb(store.apply_pulled(&chunk, &pulled)?);
        cursor = page.next;
        progress("pulled", report.pulled_envelopes as u64);
        if !page.has_more {
            break;
        }
    }

    Ok(())
}

/// Pushes this device's changesets after the acknowledged seq, sealed with `key`, a
/// batch at a time, until the server holds them all or refuses one; the acknowledged
/// seq moves with the leading run the server holds.
pub(crate) fn push_pending(
    store: &mut Store,
    transport: &mut dyn Transport,
    key: &DataKey,
    report: &mut SyncReport,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<(), SyncError> {
    let clinic = store.clinic_id()?;
    let mut acknowledged = store.sync_state()?.acknowledged_seq;
    let mut renumbered_this_round = 0;
    loop {
        // Signed here, as they leave: a changeset is signed by the device that wrote it.
        let pending = store.outgoing(acknowledged, MAX_PUSH_ENVELOPES)?;
        if pending.is_empty() {
            break;
        }
        // Within the server's body limit whatever the changesets' sizes (always at
        // least one, which is within it by itself).
        let mut sealed = Vec::with_capacity(pending.len());
        let mut bytes = 0usize;
        for changeset in &pending {
            let envelope = envelope::seal(changeset, clinic, key)
                .map_err(|e| SyncError::Refused(e.to_string().into()))?;
            if !sealed.is_empty() && bytes + envelope.len() > PUSH_BODY_BYTES {
                break;
            }
            bytes += envelope.len();
            sealed.push(envelope);
        }
        let seqs: Vec<u64> = pending
            .iter()
            .take(sealed.len())
            .map(|s| s.changeset.seq)
            .collect();
        let response = transport.push(sealed)?;
        let answer = read_push_answer(acknowledged, &seqs, &response.results);
        report.pushed += answer.delivered;
        let advanced = answer.acknowledged > acknowledged;
        if advanced {
            acknowledged = answer.acknowledged;
            store.set_acknowledged_seq(acknowledged)?;
        }
        progress("pushed", report.pushed as u64);
        if let Some(highest_on_server) = answer.reused {
            // A restored or copied data folder: the server holds other changesets
            // under our next seqs. Ours move after them and go again; a copy still
            // running elsewhere may take those too, so only a few times a round.
            if renumbered_this_round >= MAX_RENUMBERS_PER_ROUND {
                report.push_refused = Some(SEQUENCE_REUSED.into());
                break;
            }
            renumbered_this_round += 1;
            let moved = store.renumber_unsent(acknowledged, highest_on_server)?;
            report.renumbered.moved += moved.moved;
            if report.renumbered.from_seq == 0 {
                (report.renumbered.from_seq, report.renumbered.to_seq) =
                    (moved.from_seq, moved.to_seq);
            }
            continue;
        }
        if let Some(reason) = answer.refused {
            report.push_refused = Some(reason);
            break;
        }
        if !advanced {
            break;
        }
    }
    report.acknowledged_seq = acknowledged;
    Ok(())
}

const WAITING_FOR_KEY: &str = "a device was revoked, and every clinic key this device holds is known to a revoked device: its changes wait on this device for the clinic's new key, which the device that revoked it sends (let that device sync; if it has, the sync server is withholding the key)";

/// Times a round moves this device's unsent changesets past a reused seq, at most.
const MAX_RENUMBERS_PER_ROUND: usize = 3;
const SEQUENCE_REUSED: &str = "the server keeps receiving other changesets under this device's numbers: a copy of this data folder is running on another computer. Close the copy; this device's changes are kept and go once it is closed";

/// What the server's answer to one push means for this device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PushAnswer {
    /// Envelopes the server holds now (stored or held before).
    delivered: usize,
    /// The new acknowledged seq: the last of the leading run the server holds, so an
    /// envelope refused, reused or left unanswered is sent again (a server cannot
    /// make a device forget changes by answering for more than it was sent).
    acknowledged: u64,
    /// Why the first envelope past that run was refused, if it was.
    refused: Option<String>,
    /// The server's highest seq of this device, if the first one past the run
    /// reused a seq the server holds other content under.
    reused: Option<u64>,
}

fn read_push_answer(acknowledged: u64, seqs: &[u64], results: &[PushResult]) -> PushAnswer {
    let mut answer = PushAnswer {
        acknowledged,
        delivered: results
            .iter()
            .take(seqs.len())
            .filter(|r| matches!(r, PushResult::Stored { .. } | PushResult::Duplicate { .. }))
            .count(),
        ..PushAnswer::default()
    };
    for (seq, result) in seqs.iter().zip(results) {
        match result {
            PushResult::Stored { .. } | PushResult::Duplicate { .. } => {
                answer.acknowledged = answer.acknowledged.max(*seq);
            }
            PushResult::Refused { reason } => {
                answer.refused = Some(reason.clone());
                break;
            }
            PushResult::SequenceReused { highest_seq } => {
                answer.reused = Some(*highest_seq);
                break;
            }
        }
    }
    answer
}

/// Bytes of envelopes per push request, at most (the server takes 16 MiB bodies).
pub const PUSH_BODY_BYTES: usize = 12 << 20;
/// Rejected envelopes fetched again per round, at most.
const REJECTED_PER_ROUND: usize = 8;

/// Changes applied per write transaction while pulling, at most: about 0.3 s of the
/// write lock here, well inside the 5 s other writers wait for it. (5,000 made a new
/// device's 1M-change bootstrap 5× slower: every commit checkpoints the hot pages again.)
pub const APPLY_CHUNK_CHANGES: usize = 50_000;
/// Bytes of values (what the changesets decode to) applied per write transaction, at
/// most: a page of envelopes that inflate to huge cells is applied a little at a time.
pub const APPLY_CHUNK_BYTES: usize = 16 << 20;

/// Roughly what a changeset holds once decoded: its values' bytes, and a little per change.
fn decoded_bytes(changeset: &Changeset) -> usize {
    use crate::changes::{Op, Value};
    let value = |v: &Value| match v {
        Value::Text(t) => t.len(),
        Value::Blob(b) => b.len(),
        _ => 8,
    };
    changeset
        .changes
        .iter()
        .map(|c| {
            64 + match &c.op {
                Op::Insert(values) => values.iter().map(|(n, v)| n.len() + value(v)).sum(),
                Op::Set {
                    column, value: v, ..
                } => column.len() + value(v),
                Op::Delete => 0,
            }
        })
        .sum()
}

/// Fetches again the envelopes that did not open (their retry time come), and applies
/// those that open now: a copy damaged on the way, a key this device did not hold yet,
/// a format a newer build reads. Each still unopenable one waits longer next time
/// (doubling from a minute to a day), so they cost a few requests a day at most.
fn retry_rejected(
    store: &mut Store,
    transport: &mut dyn Transport,
    clinic: Uuid,
    keys: &[DataKey],
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let due = store.rejected_due(REJECTED_PER_ROUND)?;
    if due.is_empty() {
        return Ok(());
    }
    let mut pulled = Pulled::default();
    let mut opened = Vec::new();
    for (seq, attempts) in due {
        // The page after seq − 1 starts with seq (a page always holds one envelope).
        let page = transport.pull(seq.saturating_sub(1), 1)?;
        let found = page.envelopes.iter().find(|(s, _)| *s == seq);
        let outcome = match found {
            Some((_, bytes)) => envelope::open(bytes, clinic, keys).map_err(|e| e.to_string()),
            None => Err("the server no longer has it".to_string()),
        };
        match outcome {
            Ok((_, signed)) => {
                opened.push(signed);
                pulled.recovered.push(seq);
                report.recovered_envelopes += 1;
            }
            Err(why) => {
                let wait_min = 1i64 << attempts.clamp(0, 10);
                let retry = store.now() + time::Duration::minutes(wait_min.min(24 * 60));
                pulled.still_rejected.push((seq, why, rfc3339(retry)));
            }
        }
    }
    report.applied.absorb(store.apply_pulled(&opened, &pulled)?);
    Ok(())
}

impl Store {
    /// Applies a pulled page and stores its cursor in the same transaction.
    pub(crate) fn apply_pulled(
        &mut self,
        changesets: &[SignedChangeset],
        pulled: &Pulled,
    ) -> crate::Result<ApplyReport> {
        let now = self.now();
        let (device, bound) = (self.device_id(), self.max_remote_ahead_ms());
        let own_key = self.device_public_key()?;
        merge::apply(
            self.conn_mut(),
            (device, own_key),
            now,
            bound,
            changesets,
            Some(pulled),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_leading_run_the_server_holds_is_acknowledged() {
        let stored = |s| PushResult::Stored { server_seq: s };
        let seqs = [11, 12, 13, 14];
        let answer = read_push_answer(10, &seqs, &[stored(1), stored(2), stored(3), stored(4)]);
        assert_eq!((answer.acknowledged, answer.delivered), (14, 4));

        // A refusal or a reused seq stops the run; what follows is sent again.
        let refused = PushResult::Refused {
            reason: "clock".into(),
        };
        let answer = read_push_answer(10, &seqs, &[stored(1), refused, stored(3), stored(4)]);
        assert_eq!(answer.acknowledged, 11);
        assert_eq!(answer.refused.as_deref(), Some("clock"));
        let reused = PushResult::SequenceReused { highest_seq: 40 };
        let answer = read_push_answer(10, &seqs, &[reused, stored(3)]);
        assert_eq!((answer.acknowledged, answer.reused), (10, Some(40)));

        // Answers for fewer envelopes than were sent acknowledge only those.
        let answer = read_push_answer(10, &seqs, &[stored(1)]);
        assert_eq!(answer.acknowledged, 11);
        // Answers for more count for nothing more.
        let answer = read_push_answer(10, &seqs[..1], &[stored(1), stored(2)]);
        assert_eq!((answer.acknowledged, answer.delivered), (11, 1));
    }
}
