//! Storing and serving envelopes: the server's half of push and pull, below HTTP.
//!
//! - [`push`] stores a batch of one device's envelopes in one transaction (one lookup
//!   of earlier copies, one multi-row insert, whatever the batch size). Each gets a
//!   status: stored (with its new server seq), a duplicate of one stored before (with
//!   that seq — pushing twice is harmless), or refused with a reason (not an envelope,
//!   another clinic's or device's, a clock too far ahead), without failing the rest.
//!   The clinic's counter row is locked for the transaction, so server seqs commit in
//!   order and a reader paging by seq can never skip one. Returning means committed.
//! - [`pull`] returns envelopes after a cursor, in seq order, up to a byte budget.
//!
//! Every query names the clinic: there is no way to reach another clinic's rows.

use std::collections::HashMap;

use sqlx::{PgPool, Row};
use uuid::Uuid;
use vetdesk_proto::envelope::EnvelopeHeader;

use crate::AppError;

/// How far ahead of the server's clock an envelope's HLC may be (SYNC.md: a future
/// timestamp is baked in forever; refuse it, do not store it).
pub const MAX_AHEAD_MS: u64 = 24 * 60 * 60 * 1000;

/// What became of one pushed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStatus {
    Stored {
        server_seq: i64,
    },
    Duplicate {
        server_seq: i64,
    },
    Refused {
        reason: String,
    },
    /// Another changeset is stored under this device seq (told apart by content id).
    SequenceReused,
}

/// One page of a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// (server seq, envelope bytes), in seq order.
    pub envelopes: Vec<(i64, Vec<u8>)>,
    /// The cursor to pull after next time.
    pub next: i64,
    pub has_more: bool,
}

/// Checks an envelope's clear header against who pushes it and when.
fn admit(bytes: &[u8], clinic: Uuid, device: Uuid, now_ms: u64) -> Result<EnvelopeHeader, String> {
    let header = EnvelopeHeader::parse(bytes).map_err(|e| e.to_string())?;
    if header.clinic_id != clinic {
        return Err("the envelope belongs to another clinic".into());
    }
    if header.device_id != device {
        return Err("a device pushes only its own envelopes".into());
    }
    let ahead = header.hlc_millis().saturating_sub(now_ms);
    if ahead > MAX_AHEAD_MS {
        return Err(format!(
            "the envelope's clock is {} h ahead of the server's: check this device's clock",
            ahead / 3_600_000
        ));
    }
    Ok(header)
}

/// Stores `envelopes` pushed by `device` of `clinic` (which must exist), unless the new
/// ones would take the clinic past `quota_bytes` of stored envelopes: then nothing is
/// stored and the answer is [`AppError::StorageFull`].
pub async fn push(
    pool: &PgPool,
    clinic: Uuid,
    device: Uuid,
    envelopes: &[Vec<u8>],
    now_ms: u64,
    quota_bytes: u64,
) -> Result<Vec<PushStatus>, AppError> {
    let mut tx = pool.begin().await?;
    let (mut next_seq, stored_bytes) = lock_counter(&mut tx, clinic).await?;
    // Check every envelope, then look up in one query which were stored before.
    // `None` until decided, for admitted envelopes; every one is decided below.
    let mut statuses: Vec<Option<PushStatus>> = vec![None; envelopes.len()];
    let mut admitted: Vec<(usize, EnvelopeHeader)> = Vec::with_capacity(envelopes.len());
    for (index, bytes) in envelopes.iter().enumerate() {
        match admit(bytes, clinic, device, now_ms) {
            Ok(header) => admitted.push((index, header)),
            Err(reason) => statuses[index] = Some(PushStatus::Refused { reason }),
        }
    }
    let device_seqs: Vec<i64> = admitted
        .iter()
        .map(|(_, h)| i64::try_from(h.device_seq).unwrap_or(i64::MAX))
        .collect();
    let mut stored_under: HashMap<i64, (i64, Uuid)> = sqlx::query_as(
        "SELECT device_seq, server_seq, envelope_id FROM envelopes
         WHERE clinic_id = $1 AND device_id = $2 AND device_seq = ANY($3)",
    )
    .bind(clinic)
    .bind(device)
    .bind(&device_seqs)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(device_seq, server_seq, id)| (device_seq, (server_seq, id)))
    .collect();

    // A device's changesets are stored without gaps: each new one follows the device's
    // highest stored seq. (A device sends in order, from its first unacknowledged one, so
    // an honest device never leaves one out.) So every device can tell that the server
    // skipped one of another device's changesets: it holds a later one.
    let mut highest: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(device_seq), 0) FROM envelopes WHERE clinic_id = $1 AND device_id = $2",
    )
    .bind(clinic)
    .bind(device)
    .fetch_one(&mut *tx)
    .await?;

    // New ones get the next seqs, in the order pushed; a seq repeated within the batch
    // is a duplicate of its first copy (or a reuse). All new rows go in with one statement.
    let mut rows = NewRows::default();
    for ((index, header), device_seq) in admitted.iter().zip(&device_seqs) {
        statuses[*index] = Some(match stored_under.get(device_seq) {
            Some(&(_, stored_id)) if reuses(header, stored_id) => PushStatus::SequenceReused,
            Some(&(server_seq, _)) => PushStatus::Duplicate { server_seq },
            None if *device_seq > highest + 1 => PushStatus::Refused {
                reason: format!(
                    "changeset {device_seq} would leave out changesets after {highest}: a device sends its changesets in order"
                ),
            },
            None => {
                highest = highest.max(*device_seq);
                stored_under.insert(*device_seq, (next_seq, header.envelope_id));
                rows.add(next_seq, header, *device_seq, &envelopes[*index]);
                next_seq += 1;
                PushStatus::Stored {
                    server_seq: next_seq - 1,
                }
            }
        });
    }
    let statuses: Vec<PushStatus> = statuses.into_iter().flatten().collect();
    let new_bytes: u64 = rows.body.iter().map(|b| b.len() as u64).sum();
    check_quota(stored_bytes, new_bytes, quota_bytes)?;
    if !rows.server_seq.is_empty() {
        sqlx::query(
            "INSERT INTO envelopes (clinic_id, device_id, server_seq, envelope_id, device_seq, key_id, hlc_ms, body)
             SELECT $1, $2, * FROM UNNEST($3::bigint[], $4::uuid[], $5::bigint[], $6::int[], $7::bigint[], $8::bytea[])",
        )
        .bind(clinic)
        .bind(device)
        .bind(&rows.server_seq)
        .bind(&rows.envelope_id)
        .bind(&rows.device_seq)
        .bind(&rows.key_id)
        .bind(&rows.hlc_ms)
        .bind(&rows.body)
        .execute(&mut *tx)
        .await?;
    }
    if !rows.server_seq.is_empty() {
        // The counter moves on, and listeners (on every instance) hear of it, only if
        // this transaction commits.
        sqlx::query(
            "WITH moved AS (UPDATE clinic_counters SET next_seq = $2, stored_bytes = stored_bytes + $5
                            WHERE clinic_id = $1)
             SELECT pg_notify($3, $4)",
        )
        .bind(clinic)
        .bind(next_seq)
        .bind(crate::notify::CHANNEL)
        .bind(format!("{clinic} {}", next_seq - 1))
        .bind(i64::try_from(new_bytes).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(statuses)
}

/// Whether `header` names another changeset than the one stored as `stored_id` under
/// the same device seq. Only content ids (format 3 on, UUIDv8) can tell: an envelope
/// sealed again by an older build has a new random id, and counts as a retry.
fn reuses(header: &EnvelopeHeader, stored_id: Uuid) -> bool {
    header.id_is_content_id() && stored_id.get_version_num() == 8 && stored_id != header.envelope_id
}

/// Refuses `new_bytes` more for a clinic holding `stored_bytes`, past `quota_bytes`.
pub(crate) fn check_quota(
    stored_bytes: i64,
    new_bytes: u64,
    quota_bytes: u64,
) -> Result<(), AppError> {
    let stored = u64::try_from(stored_bytes).unwrap_or(0);
    if stored.saturating_add(new_bytes) > quota_bytes {
        return Err(AppError::StorageFull(format!(
            "this clinic's storage on the sync server is full ({} of {} MB used; this needs {} KB more): nothing was stored, and the changes stay on this device. Ask the server's operator for more room",
            stored / 1_000_000,
            quota_bytes / 1_000_000,
            new_bytes.div_ceil(1000)
        )));
    }
    Ok(())
}

/// The columns of the envelopes a push stores, as arrays for one `UNNEST` insert.
#[derive(Default)]
struct NewRows<'a> {
    server_seq: Vec<i64>,
    envelope_id: Vec<Uuid>,
    device_seq: Vec<i64>,
    key_id: Vec<i32>,
    hlc_ms: Vec<i64>,
    body: Vec<&'a [u8]>,
}

impl<'a> NewRows<'a> {
    fn add(&mut self, server_seq: i64, header: &EnvelopeHeader, device_seq: i64, body: &'a [u8]) {
        self.server_seq.push(server_seq);
        self.envelope_id.push(header.envelope_id);
        self.device_seq.push(device_seq);
        self.key_id
            .push(i32::from_ne_bytes(header.key_id.to_ne_bytes()));
        self.hlc_ms
            .push(i64::try_from(header.hlc_millis()).unwrap_or(i64::MAX));
        self.body.push(body);
    }
}

/// Locks the clinic's counter row until commit and returns its next seq and the bytes
/// it has stored, making the row on a clinic's first push. The same statement makes this transaction's commit
/// wait for the WAL flush even where the cluster's default is
/// `synchronous_commit = off`: an acknowledgement promises the envelopes survive a
/// crash of PostgreSQL. Locking writes no new row version (unlike an upsert).
pub(crate) async fn lock_counter(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    clinic: Uuid,
) -> Result<(i64, i64), AppError> {
    let lock = "SELECT next_seq, stored_bytes FROM clinic_counters,
                    (SELECT set_config('synchronous_commit', 'on', true)) AS durable
                WHERE clinic_id = $1 FOR UPDATE OF clinic_counters";
    if let Some(next) = sqlx::query_as(lock)
        .bind(clinic)
        .fetch_optional(&mut **tx)
        .await?
    {
        return Ok(next);
    }
    sqlx::query("INSERT INTO clinic_counters (clinic_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(clinic)
        .execute(&mut **tx)
        .await?;
    sqlx::query_as(lock)
        .bind(clinic)
        .fetch_one(&mut **tx)
        .await
        .map_err(AppError::from)
}

/// Envelopes of `clinic` after `after`, in seq order, at most `max_bytes` of bodies
/// (but always at least one, so a large envelope cannot block a reader).
pub async fn pull(
    pool: &PgPool,
    clinic: Uuid,
    after: i64,
    max_bytes: usize,
    max_count: i64,
) -> Result<Page, AppError> {
    // The byte budget is applied in SQL: the running size comes from the stored
    // lengths, and a body that does not fit is never read out of storage — the server
    // holds at most one page in memory, however large the envelopes waiting are.
    let rows = sqlx::query(
        "SELECT server_seq, CASE WHEN fits THEN body END AS body, fits FROM (
             SELECT server_seq, body,
                    (row_number() OVER w = 1 OR sum(octet_length(body)) OVER w <= $4) AS fits
             FROM envelopes WHERE clinic_id = $1 AND server_seq > $2
             WINDOW w AS (ORDER BY server_seq)
             ORDER BY server_seq LIMIT $3
         ) page ORDER BY server_seq",
    )
    .bind(clinic)
    .bind(after)
    .bind(max_count.saturating_add(1))
    .bind(i64::try_from(max_bytes).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await?;
    let mut page = Page {
        envelopes: Vec::new(),
        next: after,
        has_more: false,
    };
    for row in rows {
        let seq: i64 = row.try_get("server_seq")?;
        let fits: bool = row.try_get("fits")?;
        let body: Option<Vec<u8>> = row.try_get("body")?;
        match body {
            Some(body) if fits && (page.envelopes.len() as i64) < max_count => {
                page.next = seq;
                page.envelopes.push((seq, body));
            }
            _ => {
                page.has_more = true;
                break;
            }
        }
    }
    Ok(page)
}
