//! Storing and serving envelopes: the server's half of push and pull, below HTTP.
//!
//! - [`push`] stores a batch of one device's envelopes in one transaction. Each gets a
//!   status: stored (with its new server seq), a duplicate of one stored before (with
//!   that seq — pushing twice is harmless), or refused with a reason (not an envelope,
//!   another clinic's or device's, a clock too far ahead), without failing the rest.
//!   The clinic's counter row is locked for the transaction, so server seqs commit in
//!   order and a reader paging by seq can never skip one. Returning means committed.
//! - [`pull`] returns envelopes after a cursor, in seq order, up to a byte budget.
//!
//! Every query names the clinic: there is no way to reach another clinic's rows.

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
    Stored { server_seq: i64 },
    Duplicate { server_seq: i64 },
    Refused { reason: String },
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

fn db(e: sqlx::Error) -> AppError {
    AppError::DatabaseUnavailable(e)
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

/// Stores `envelopes` pushed by `device` of `clinic` (which must exist).
pub async fn push(
    pool: &PgPool,
    clinic: Uuid,
    device: Uuid,
    envelopes: &[Vec<u8>],
    now_ms: u64,
) -> Result<Vec<PushStatus>, AppError> {
    let mut tx = pool.begin().await.map_err(db)?;
    // An acknowledgement promises the envelopes survive a crash of PostgreSQL: wait for
    // the WAL flush even where the cluster's default is `synchronous_commit = off`.
    sqlx::query("SET LOCAL synchronous_commit = on")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query("INSERT INTO clinic_counters (clinic_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(clinic)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut next_seq: i64 =
        sqlx::query_scalar("SELECT next_seq FROM clinic_counters WHERE clinic_id = $1 FOR UPDATE")
            .bind(clinic)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    let mut statuses = Vec::with_capacity(envelopes.len());
    for bytes in envelopes {
        let header = match admit(bytes, clinic, device, now_ms) {
            Ok(header) => header,
            Err(reason) => {
                statuses.push(PushStatus::Refused { reason });
                continue;
            }
        };
        let device_seq = i64::try_from(header.device_seq).unwrap_or(i64::MAX);
        let inserted = sqlx::query(
            "INSERT INTO envelopes (clinic_id, server_seq, envelope_id, device_id, device_seq, key_id, hlc_ms, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (clinic_id, device_id, device_seq) DO NOTHING",
        )
        .bind(clinic)
        .bind(next_seq)
        .bind(header.envelope_id)
        .bind(header.device_id)
        .bind(device_seq)
        .bind(i32::from_ne_bytes(header.key_id.to_ne_bytes()))
        .bind(i64::try_from(header.hlc_millis()).unwrap_or(i64::MAX))
        .bind(bytes.as_slice())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if inserted.rows_affected() == 1 {
            statuses.push(PushStatus::Stored {
                server_seq: next_seq,
            });
            next_seq += 1;
        } else {
            let existing: i64 = sqlx::query_scalar(
                "SELECT server_seq FROM envelopes WHERE clinic_id = $1 AND device_id = $2 AND device_seq = $3",
            )
            .bind(clinic)
            .bind(device)
            .bind(device_seq)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            statuses.push(PushStatus::Duplicate {
                server_seq: existing,
            });
        }
    }
    if statuses
        .iter()
        .any(|s| matches!(s, PushStatus::Stored { .. }))
    {
        // Delivered to listeners (every instance) only if this transaction commits.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::notify::CHANNEL)
            .bind(format!("{clinic} {}", next_seq - 1))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    sqlx::query("UPDATE clinic_counters SET next_seq = $2 WHERE clinic_id = $1")
        .bind(clinic)
        .bind(next_seq)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(statuses)
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
    let rows = sqlx::query(
        "SELECT server_seq, body FROM envelopes WHERE clinic_id = $1 AND server_seq > $2
         ORDER BY server_seq LIMIT $3",
    )
    .bind(clinic)
    .bind(after)
    .bind(max_count.saturating_add(1))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut page = Page {
        envelopes: Vec::new(),
        next: after,
        has_more: false,
    };
    let mut bytes = 0usize;
    for row in rows {
        let seq: i64 = row.try_get("server_seq").map_err(db)?;
        let body: Vec<u8> = row.try_get("body").map_err(db)?;
        let full = !page.envelopes.is_empty()
            && (bytes + body.len() > max_bytes || page.envelopes.len() as i64 >= max_count);
        if full {
            page.has_more = true;
            break;
        }
        bytes += body.len();
        page.next = seq;
        page.envelopes.push((seq, body));
    }
    Ok(page)
}
