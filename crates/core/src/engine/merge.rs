//! Applying other devices' changesets: idempotent (a changeset applied twice changes
//! nothing the second time) and order-independent (any order of delivery ends in the
//! same state), by the rules below ("The change log and merge in detail"):
//! - last-writer-wins per column on the HLC (which embeds the device);
//! - append-only facts as set union (`INSERT OR IGNORE`);
//! - every clinical text value kept in `text_history`, winner or not;
//! - a signed encounter shows its earliest snapshot, whatever arrives after;
//! - a changeset whose clock is too far ahead of ours is held and reported, and leaves
//!   our clock alone; a change this build does not understand is quarantined;
//! - before any of that, the changeset's signature is checked against the clinic's
//!   membership log (`crate::members`): a member's applies, an unknown signer's is held
//!   until its approval arrives, and a bad, missing or revoked signature is refused;
//! - every change needs its author to have held the permission for it as of its clock
//!   (`crate::authority`); one refused is set aside, and tried again when the clinic's
//!   role history grows.
//!
//! ## The change log and merge in detail
//!
//! Every synced table has a UUIDv7 `id` and `_hlc` (the clock of the change that created
//! the row); last-writer-wins tables also have `deleted` (the tombstone, itself a LWW
//! column). Synced tables carry no foreign-key constraints and almost no NOT NULL ones: a
//! remote update may arrive before the row's creation, and merge must accept it (the
//! services validate what people enter). The few columns that may not be NULL — every
//! tombstone, the clinic's name and creation time, the item of a stock movement or
//! controlled-register entry, which local-only triggers sum by — are declared in `schema`
//! (`not_null`), and a test holds that list against the live schema.
//!
//! - **Clock.** One HLC tick per local transaction (16 bytes: 48-bit ms, 16-bit counter,
//!   64-bit node = the low half of the device's UUIDv7), persisted in `device_state` in the
//!   same transaction, so it is monotonic across restarts even when the wall clock goes
//!   back. Applying remote changesets advances it; a changeset more than 1 h ahead of our
//!   wall clock is held in `held_changesets`, reported in `clock_skew_reports`, not adopted,
//!   and applied once our clock catches up. The physical time the clock goes by is the
//!   wall clock, **corrected by the server's** when the last pull found the two more than
//!   that hour apart (`write::physical_ms`; the offset is kept in `device_state`, written in each
//!   pulled page's own transaction): a device
//!   whose clock runs hours fast, once it has talked to the server, stamps its writes with
//!   the right time, so they cannot beat later edits made elsewhere when they arrive
//!   (SECURITY-REVIEW.md M11). A device that has never reached the server since its clock
//!   went wrong still writes by its own clock; its changes are held by the others and it
//!   is told (below).
//! - **Last-writer-wins per column** on the HLC (which embeds the device, so no ties
//!   between devices). A column's clock is its `crdt_clock` entry when it changed after the
//!   row's creation, else the row's `_hlc`; a creation names every column, so every cell's
//!   clock is the latest change that touched it whatever the delivery order.
//! - **Append-only facts** (weights, vitals, snapshots, addenda, audit events, conflict
//!   resolutions) are `INSERT OR IGNORE`: set union.
//! - **Clinical free text** (SOAP sections, client notes): every value ever written goes
//!   into `text_history` with the clock of the value its author saw (`base`). A value that
//!   is not the visible one, that no later edit built on, and that nobody resolved is a
//!   conflict (`Store::conflicts`) — a pure function of the set of changes, so every device
//!   shows the same conflicts. The vet keeps the visible text, takes the other, or (signed
//!   encounters) turns it into an addendum; the decision is itself a synced fact.
//! - **Signed encounters.** Signing inserts a snapshot (canonical JSON of the SOAP text +
//!   SHA-256). An encounter with snapshots shows its earliest one — status, signer, hash
//!   and text — whatever arrives after; edits that lose to a signature become conflicts.
//!   Core refuses local edits of a signed encounter (`Error::EncounterSigned`); addenda
//!   are the way to add to it.
//! - **Signed encounters** count only snapshots whose `content_hash` is the SHA-256 of
//!   their `content`: a snapshot that does not hash to what it claims (forged, damaged)
//!   neither freezes nor shows, so the earliest *valid* one decides on every device in
//!   any delivery order. (Who may sign, and a back-dated signature, are checked with the
//!   role history: issue 14, stage 2b.)
//! - **Changesets** are the unit of push and idempotency: `(device, seq)` with a gap-free
//!   seq per device; `applied_changesets` makes a second delivery a no-op.
//! - **One bad change never stops anything.** Merge sets a change aside
//!   (`quarantined_changes`: device, seq, index, reason, the change, its changeset's
//!   clock, the schema version that refused it) instead of failing, and the rest of its
//!   changeset and page applies, the cursor moves on, pushes go out. Refusals come from
//!   one pure rule that local writes apply too (`schema::check_value`, `check_insert`),
//!   so an honest device never writes what another refuses and every device refuses the
//!   same changes with the same reasons: an unknown table or column, a wrong type, NULL
//!   where the schema has none, a tombstone other than 0/1, an integer past its bound
//!   (quantities ≤ 10¹² thousandths, so trigger sums cannot overflow), a non-finite
//!   number, a text or blob over 1 MiB, a blank clinic name, a column named twice, a
//!   required column left out, an update or delete of an append-only fact, any row of
//!   the `clinic` table but this store's own, and deleting that one. Behind the pure
//!   rule, a batch is applied straight through, with no savepoint (a savepoint keeps the
//!   original of every page changed under it: measured, it tripled a new device's
//!   bootstrap); if SQLite still refuses something (a constraint, a trigger), the whole
//!   transaction is rolled back and the call applied again carefully — a savepoint per
//!   changeset, and a refused changeset change by change — so only what SQLite refuses is
//!   set aside. A failure of
//!   the store itself (disk full, I/O, locked, read-only) is not the change's fault:
//!   the whole call fails and nothing — data, quarantine or cursor — is kept. A changeset
//!   of more than 1,000 changes (no writer makes one) is refused whole. What an older
//!   build set aside is tried again by a newer one (by its changeset's clock, so the
//!   result is as if it had arrived in order). `vetdesk sync quarantine` lists them; the
//!   app's status bar counts them.
//! - **The clinic id is pinned** in `local_device.clinic_id` when the store is made or
//!   enrolled, and never read from synced rows: `Store::status` and sync use it, and a
//!   second `clinic` row from another device changes nothing.
//! - **Bounded work per transaction.** A pulled page is applied in parts of at most 50,000
//!   changes or 16 MiB of decoded values per write transaction (about 0.3 s of the write
//!   lock here; other writers wait up to 5 s for it). The cursor moves with the last part;
//!   a crash before it re-pulls the page, and applying twice is harmless. So a page of
//!   envelopes that inflate to huge cells cannot hold the lock against the people typing,
//!   while an ordinary 4 MiB page is one transaction (parts of 5,000 changes made a new
//!   device's 1M-change bootstrap 5× slower: each commit checkpoints the hot pages again).
//!   A changeset decodes to at most 64 MiB (checked before allocating); held changesets and
//!   retried quarantined changes are taken at most 1,000 a call (found by a partial index,
//!   so a store made to keep many set-aside changes does not scan them on every merge).
//! - **Search index** entries are rewritten once per transaction for the rows it touched
//!   (local or merged), not by triggers: a trigger's write runs in a statement savepoint,
//!   at which FTS5 flushes its pending index (measured: 60 % of a write's cost).
//!
//! The audit chain is per device (a device appends only to its own), so chains merge as a
//! set union and `audit verify` checks each. A gap can also mean "not synced yet". Each
//! event, and each controlled-drug register entry, is also **signed by its device**
//! (Ed25519 over a domain string, the chain's name and the entry's hash — which covers its
//! device, index and predecessor; `crates/core/src/engine/chains.rs`, migration
//! `11-chain-signatures`), so no other device can make up a chain for a device or add to
//! the end of one (below).

use std::cell::RefCell;
use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::authority::{Checker, Write};
use crate::cells;
use crate::changes::{Change, Changeset, Op, Value, newer};
use crate::engine::derived::Derived;
use crate::hlc::HlcError;
use crate::members::{self, Standing};
use crate::schema::{self, Merge, Table};
use crate::signing::{SIGNATURE_LEN, SignedChangeset};
use crate::write::MAX_CHANGES_PER_CHANGESET;
use crate::write::{clock_of, physical_ms, read_device_state, rfc3339, write_device_state};
use crate::{Error, Result};

/// What one call to apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Changesets applied now.
    pub applied: usize,
    /// Changes in them.
    pub changes: usize,
    /// Changesets seen before (or this device's own): skipped.
    pub skipped: usize,
    /// Changes set aside (`quarantined_changes`): unknown table or column, a value no
    /// device may store, or anything SQLite refused.
    pub quarantined: usize,
    /// Changes an older build set aside that this one applied.
    pub recovered: usize,
    /// Changesets refused for a clock too far ahead; held to retry later.
    pub clock_skew: Vec<SkewReport>,
    /// Changesets held because their signer is not (yet) in the membership log.
    pub waiting_for_membership: usize,
    /// Changesets refused for their signature: a bad one, none, or a revoked device's.
    pub refused: usize,
}

impl ApplyReport {
    /// Adds what another call did (a sync round applies many batches).
    pub fn absorb(&mut self, other: ApplyReport) {
        self.applied += other.applied;
        self.changes += other.changes;
        self.skipped += other.skipped;
        self.quarantined += other.quarantined;
        self.recovered += other.recovered;
        self.clock_skew.extend(other.clock_skew);
        self.waiting_for_membership += other.waiting_for_membership;
        self.refused += other.refused;
    }
}

/// A remote clock we refused to adopt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkewReport {
    pub device: Uuid,
    pub seq: u64,
    pub remote_ms: u64,
    pub local_ms: u64,
    pub ahead_ms: u64,
}

/// Where a pulled batch came from: the server cursor to store with it, and the
/// envelopes of the page that did not open (kept in `rejected_envelopes`).
#[derive(Debug, Default)]
pub(crate) struct Pulled {
    /// The server cursor this batch brings the device to (none for a part of a page).
    pub next_cursor: Option<u64>,
    /// (server seq, why, body) of envelopes that did not open.
    pub rejected: Vec<(u64, String, Vec<u8>)>,
    /// Rejected envelopes fetched again that opened this time (their changesets are in
    /// the batch): no longer rejected.
    pub recovered: Vec<u64>,
    /// Rejected envelopes fetched again that still do not open: (seq, why, retry after).
    pub still_rejected: Vec<(u64, String, String)>,
    /// The server's clock minus ours, as this page measured it (see `write::physical_ms`).
    pub server_offset_ms: Option<i64>,
}

/// Changes quarantined from older builds that are tried again per call, at most.
const RETRY_PER_CALL: usize = 1000;
/// Passes over the waiting changes per call, at most.
const WAITING_PASSES: usize = 3;
/// Held changesets tried again per call, at most.
const HELD_PER_CALL: usize = 1000;

/// What merge needs to know about this device beyond its clock.
struct Context {
    /// This device (its own changesets are skipped).
    device: Uuid,
    /// The clinic this store is pinned to (`local_device.clinic_id`).
    clinic: Option<String>,
    /// The same, as an id (signatures cover it).
    clinic_id: Uuid,
    /// This device's public signing key.
    own_key: [u8; 32],
    schema_version: i64,
    now: OffsetDateTime,
    /// The physical time our clock goes by ([`physical_ms`]).
    wall: u64,
    max_remote_ahead_ms: u64,
    /// Authority is checked on merge (a clinic whose founding the log certifies; one
    /// made before signed changesets keeps the old trust, `crate::authority`).
    enforce_authority: bool,
    /// The role history, read and extended as changes apply.
    authority: RefCell<Checker>,
}

/// Applies `batch` (and retries held changesets, and changes set aside by an older
/// build) in one transaction. A change that cannot be applied is set aside on its own
/// (`quarantined_changes`, with the reason); the rest of its changeset applies. Only a
/// failure of the store itself (disk full, I/O, locked) fails the call, and then
/// nothing of it is kept.
pub(crate) fn apply(
    conn: &mut Connection,
    (device, own_key): (Uuid, [u8; 32]),
    now: OffsetDateTime,
    max_remote_ahead_ms: u64,
    batch: &[SignedChangeset],
    pulled: Option<&Pulled>,
) -> Result<ApplyReport> {
    // Straight through first, with no savepoint: a savepoint makes SQLite keep the
    // original of every page changed under it (held over a batch, it made a new device
    // take three times as long to apply the clinic). Only when SQLite refuses something
    // is the whole transaction rolled back and applied again carefully, in a new one:
    // a savepoint per changeset, then per change, so just the refused changes are set
    // aside.
    let args = ApplyArgs {
        device,
        own_key,
        now,
        max_remote_ahead_ms,
        batch,
        pulled,
    };
    match apply_in_transaction(conn, args, Care::Fast) {
        Err(e) if !is_store_failure(&e) => apply_in_transaction(conn, args, Care::ChangeByChange),
        outcome => outcome,
    }
}

/// What [`apply`] was asked to do, for each of its attempts.
#[derive(Clone, Copy)]
struct ApplyArgs<'a> {
    device: Uuid,
    own_key: [u8; 32],
    now: OffsetDateTime,
    max_remote_ahead_ms: u64,
    batch: &'a [SignedChangeset],
    pulled: Option<&'a Pulled>,
}

/// One attempt at [`apply`], in a transaction of its own (rolled back on failure).
fn apply_in_transaction(
    conn: &mut Connection,
    ApplyArgs {
        device,
        own_key,
        now,
        max_remote_ahead_ms,
        batch,
        pulled,
    }: ApplyArgs<'_>,
    care: Care,
) -> Result<ApplyReport> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut state = read_device_state(&tx)?;
    let clinic = pinned_clinic(&tx)?;
    let clinic_id = clinic
        .as_deref()
        .and_then(|c| Uuid::parse_str(c).ok())
        .ok_or_else(|| {
            Error::NotAllowedNow(
                "this store belongs to no clinic yet: finish setting it up or enrolling it".into(),
            )
        })?;
    let ctx = Context {
        device,
        clinic,
        clinic_id,
        own_key,
        schema_version: *crate::SCHEMA_VERSION,
        now,
        wall: physical_ms(now, state.server_offset_ms),
        max_remote_ahead_ms,
        enforce_authority: crate::signing::is_self_certifying(clinic_id),
        authority: RefCell::new(Checker::default()),
    };
    let Applied {
        report,
        clock,
        touched,
        derived,
        ..
    } = apply_batch(&tx, &ctx, &state, batch, care)?;
    for encounter in touched {
        cells::materialize_signature(&tx, &encounter)?;
    }
    derived.refresh(&tx)?;
    state.last_hlc = clock.last().to_bytes();
    write_device_state(&tx, &state)?;
    if let Some(pulled) = pulled {
        record_pulled(&tx, pulled, now)?;
    }
    tx.commit()?;
    Ok(report)
}

/// How carefully a batch is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Care {
    /// Straight through; anything SQLite refuses fails the batch (to be redone).
    Fast,
    /// Each changeset in a savepoint, and a refused one again change by change.
    ChangeByChange,
}

/// What applying a batch has done so far, and leaves to finish in its transaction.
struct Applied {
    report: ApplyReport,
    clock: crate::hlc::Clock,
    touched: BTreeSet<String>,
    derived: Derived,
    /// Changesets held in this call for their clock (not retried in the same call).
    held_for_clock: BTreeSet<(Uuid, u64)>,
}

fn apply_batch(
    tx: &Transaction<'_>,
    ctx: &Context,
    state: &crate::write::DeviceState,
    batch: &[SignedChangeset],
    care: Care,
) -> Result<Applied> {
    let mut done = Applied {
        report: ApplyReport::default(),
        clock: clock_of(ctx.device, state),
        touched: BTreeSet::new(),
        derived: Derived::default(),
        held_for_clock: BTreeSet::new(),
    };
    retry_quarantined(
        tx,
        ctx,
        &mut done.touched,
        &mut done.derived,
        &mut done.report,
    )?;
    // The batch first, then what is held: a changeset held for want of its signer's
    // approval applies in the same call as the approval that arrives with it.
    for signed in batch {
        apply_one(tx, ctx, signed, false, care, &mut done)?;
    }
    for signed in held_changesets(tx)? {
        let key = (signed.changeset.device, signed.changeset.seq);
        if !done.held_for_clock.contains(&key) {
            apply_one(tx, ctx, &signed, true, care, &mut done)?;
        }
    }
    // What a retried change brings (an encounter whose author's roles just came) may
    // admit another: a few passes, each bounded.
    for _ in 0..WAITING_PASSES {
        if !ctx.authority.borrow().waiting_may_apply {
            break;
        }
        retry_waiting(tx, ctx, &mut done)?;
    }
    Ok(done)
}

/// Applies one changeset of a batch (or one held before), as far as its signer, size
/// and clock allow.
fn apply_one(
    tx: &Transaction<'_>,
    ctx: &Context,
    signed: &SignedChangeset,
    was_held: bool,
    care: Care,
    done: &mut Applied,
) -> Result<()> {
    let Applied {
        report,
        clock,
        touched,
        derived,
        held_for_clock,
    } = done;
    let changeset = &signed.changeset;
    // The signature first, before anything is skipped as seen before: a forgery of
    // a changeset some devices already have is refused on every device alike.
    let standing = if changeset.device == ctx.device {
        own_standing(ctx, signed)
    } else {
        members::standing(tx, ctx.clinic_id, signed)?
    };
    // Our own changeset comes back: skipped when it is the one in our log. One we do
    // not hold under that seq was written by this data folder's earlier life (it was
    // restored from a copy, or copied): applied like any other device's.
    if standing == Standing::Member
        && ((changeset.device == ctx.device && is_in_own_log(tx, signed)?)
            || already_applied(tx, changeset)?)
    {
        if was_held {
            unhold(tx, changeset)?;
        }
        report.skipped += 1;
        return Ok(());
    }
    match standing {
        Standing::Member => {}
        Standing::Waiting(reason) => {
            hold(tx, signed, ctx.now, &reason)?;
            if !was_held {
                report.waiting_for_membership += 1;
            }
            return Ok(());
        }
        Standing::Refused(reason) => {
            // Never applied, and not marked applied: the device's real changeset
            // of that seq (if this one was forged) still applies when it comes.
            set_aside_whole(tx, ctx, changeset, reason)?;
            if was_held {
                unhold(tx, changeset)?;
            }
            report.refused += 1;
            return Ok(());
        }
    }
    if changeset.changes.len() > MAX_CHANGES_PER_CHANGESET {
        // No honest writer makes one (it splits at the limit); no build takes it.
        let reason = format!(
            "a changeset of {} changes, more than the {MAX_CHANGES_PER_CHANGESET} one may hold",
            changeset.changes.len()
        );
        set_aside_whole(tx, ctx, changeset, reason)?;
        mark_applied(tx, changeset)?;
        if was_held {
            unhold(tx, changeset)?;
        }
        report.quarantined += 1;
        return Ok(());
    }
    match clock.observe(changeset.hlc(), ctx.wall, ctx.max_remote_ahead_ms) {
        Ok(()) => {}
        Err(HlcError::RemoteTooFarAhead {
            remote_ms,
            local_ms,
            ahead_ms,
            ..
        }) => {
            hold(tx, signed, ctx.now, CLOCK_TOO_FAR_AHEAD)?;
            report_skew(tx, changeset, ctx.now, remote_ms, local_ms)?;
            held_for_clock.insert((changeset.device, changeset.seq));
            report.clock_skew.push(SkewReport {
                device: changeset.device,
                seq: changeset.seq,
                remote_ms,
                local_ms,
                ahead_ms,
            });
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    report.quarantined += match care {
        Care::Fast => apply_straight(tx, ctx, changeset, touched, derived)?,
        Care::ChangeByChange => apply_changeset(tx, ctx, changeset, touched, derived)?,
    };
    mark_applied(tx, changeset)?;
    if was_held {
        // Applied at last: it is no longer held, and no longer a skew to warn about.
        unhold(tx, changeset)?;
    }
    report.applied += 1;
    report.changes += changeset.changes.len();
    Ok(())
}

/// This device's own changesets come back from the server: skipped when they are
/// ours, refused when another device made them up in our name.
fn own_standing(ctx: &Context, signed: &SignedChangeset) -> Standing {
    let legacy = !crate::signing::is_self_certifying(ctx.clinic_id);
    if signed.signed_by(ctx.clinic_id, &ctx.own_key) || (legacy && signed.signature.is_none()) {
        Standing::Member
    } else {
        Standing::Refused(members::bad_signature(
            signed.changeset.device,
            signed.changeset.seq,
        ))
    }
}

/// Why a changeset is held when its clock is too far ahead of ours.
const CLOCK_TOO_FAR_AHEAD: &str = "clock too far ahead";

/// A held changeset is held no longer (applied, refused, or seen before).
fn unhold(tx: &Transaction<'_>, changeset: &Changeset) -> Result<()> {
    for sql in [
        "DELETE FROM held_changesets WHERE device_id = ?1 AND seq = ?2",
        "DELETE FROM clock_skew_reports WHERE device_id = ?1 AND seq = ?2",
    ] {
        tx.prepare_cached(sql)?.execute(params![
            changeset.device.to_string(),
            seq_i64(changeset.seq)
        ])?;
    }
    Ok(())
}

/// Rejected envelopes and the cursor, in the transaction of the data they cover.
fn record_pulled(tx: &Transaction<'_>, pulled: &Pulled, now: OffsetDateTime) -> Result<()> {
    for (seq, reason, body) in &pulled.rejected {
        tx.execute(
            "INSERT OR IGNORE INTO rejected_envelopes (server_seq, reason, body, rejected_at, retry_after)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![seq_i64(*seq), reason, body, rfc3339(now)],
        )?;
    }
    for seq in &pulled.recovered {
        tx.execute(
            "DELETE FROM rejected_envelopes WHERE server_seq = ?1",
            [seq_i64(*seq)],
        )?;
    }
    for (seq, reason, retry_after) in &pulled.still_rejected {
        tx.execute(
            "UPDATE rejected_envelopes SET reason = ?2, attempts = attempts + 1, retry_after = ?3
             WHERE server_seq = ?1",
            params![seq_i64(*seq), reason, retry_after],
        )?;
    }
    if let Some(offset) = pulled.server_offset_ms {
        tx.execute(
            "UPDATE device_state SET server_offset_ms = ?1 WHERE id = 1",
            [offset],
        )?;
    }
    if let Some(cursor) = pulled.next_cursor {
        // The cursor moves with the data it covers, or not at all.
        tx.execute(
            "UPDATE sync_state SET cursor = max(cursor, ?1) WHERE id = 1",
            params![seq_i64(cursor)],
        )?;
    }
    Ok(())
}

fn mark_applied(tx: &Transaction<'_>, changeset: &Changeset) -> Result<()> {
    tx.prepare_cached("INSERT INTO applied_changesets (device_id, seq, hlc) VALUES (?1, ?2, ?3)")?
        .execute(params![
            changeset.device.to_string(),
            seq_i64(changeset.seq),
            changeset.hlc.as_slice()
        ])?;
    Ok(())
}

/// The clinic this store is pinned to.
pub(crate) fn pinned_clinic(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT clinic_id FROM local_device LIMIT 1", [], |r| {
            r.get::<_, Option<String>>(0)
        })
        .optional()?
        .flatten())
}

/// Whether an error is the store's own (the disk, the file, a lock), not the change's:
/// then nothing may be set aside or acknowledged, and the whole call fails.
fn is_store_failure(error: &Error) -> bool {
    use rusqlite::ErrorCode as C;
    match error {
        Error::Database(rusqlite::Error::SqliteFailure(failure, _)) => !matches!(
            failure.code,
            C::ConstraintViolation
                | C::TypeMismatch
                | C::TooBig
                | C::ParameterOutOfRange
                | C::Unknown
        ),
        Error::Database(_) => false,
        Error::Io(_) => true,
        _ => false,
    }
}

/// Applies one changeset's changes straight through: a change the pure rule refuses is
/// set aside, and anything SQLite refuses fails the call (the batch is then redone with
/// [`Care::ChangeByChange`]). Returns how many changes were set aside.
fn apply_straight(
    tx: &Transaction<'_>,
    ctx: &Context,
    changeset: &Changeset,
    touched: &mut BTreeSet<String>,
    derived: &mut Derived,
) -> Result<usize> {
    let mut set_aside_here = 0;
    for (index, change) in changeset.changes.iter().enumerate() {
        if let Err(refusal) =
            apply_checked(tx, ctx, Origin::of(changeset), change, touched, derived)?
        {
            set_aside(
                tx,
                ctx,
                changeset,
                index_i64(index),
                &refusal,
                Some(change),
                true,
            )?;
            set_aside_here += 1;
        }
    }
    Ok(set_aside_here)
}

/// Applies one changeset's changes inside a savepoint. When SQLite refuses one of them
/// (a constraint, a trigger, an overflow: anything), the changeset is rolled back and
/// applied again change by change, each in its own savepoint, so only the changes it
/// refuses are set aside. Returns how many changes were set aside.
fn apply_changeset(
    tx: &Transaction<'_>,
    ctx: &Context,
    changeset: &Changeset,
    touched: &mut BTreeSet<String>,
    derived: &mut Derived,
) -> Result<usize> {
    savepoint(tx, "SAVEPOINT changeset")?;
    match apply_straight(tx, ctx, changeset, touched, derived) {
        Ok(set_aside_here) => {
            savepoint(tx, "RELEASE changeset")?;
            return Ok(set_aside_here);
        }
        Err(e) if is_store_failure(&e) => return Err(e),
        Err(_) => savepoint(tx, "ROLLBACK TO changeset")?,
    }
    let mut set_aside_here = 0;
    for (index, change) in changeset.changes.iter().enumerate() {
        if let Some(refusal) =
            apply_alone(tx, ctx, Origin::of(changeset), change, touched, derived)?
        {
            set_aside(
                tx,
                ctx,
                changeset,
                index_i64(index),
                &refusal,
                Some(change),
                true,
            )?;
            set_aside_here += 1;
        }
    }
    savepoint(tx, "RELEASE changeset")?;
    Ok(set_aside_here)
}

/// Runs a savepoint statement (`SAVEPOINT`, `RELEASE`, `ROLLBACK TO`) from the
/// statement cache: the careful path runs one per change, and preparing each anew
/// (`execute_batch`) cost more than the savepoint.
fn savepoint(tx: &Transaction<'_>, statement: &str) -> Result<()> {
    tx.prepare_cached(statement)?.execute([])?;
    Ok(())
}

/// Applies one change in a savepoint of its own; why it was set aside, if it was
/// (anything SQLite refused is rolled back first). A store failure fails the call.
fn apply_alone(
    tx: &Transaction<'_>,
    ctx: &Context,
    origin: Origin,
    change: &Change,
    touched: &mut BTreeSet<String>,
    derived: &mut Derived,
) -> Result<Option<SetAside>> {
    savepoint(tx, "SAVEPOINT change")?;
    let reason = match apply_checked(tx, ctx, origin, change, touched, derived) {
        Ok(Ok(())) => None,
        Ok(Err(refusal)) => Some(refusal),
        Err(e) if is_store_failure(&e) => return Err(e),
        Err(e) => {
            savepoint(tx, "ROLLBACK TO change")?;
            Some(SetAside::plain(e.to_string()))
        }
    };
    savepoint(tx, "RELEASE change")?;
    Ok(reason)
}

/// Changes an older build set aside, to try again (?1: this build's schema version).
const WAITING_FOR_AN_UPGRADE: &str =
    "SELECT device_id, seq, idx, change, hlc, author FROM quarantined_changes
     WHERE retryable = 1 AND hlc IS NOT NULL AND schema_version < ?1
     ORDER BY hlc, device_id, seq, idx LIMIT ?2";

/// Changes refused for want of something another change may bring (a role, the
/// encounter a signature signs), to try again once it may have come (?1 is unused, ?2
/// the limit).
const WAITING_FOR_HISTORY: &str =
    "SELECT device_id, seq, idx, change, hlc, author FROM quarantined_changes
     WHERE waits = 1 AND retryable = 1 AND hlc IS NOT NULL AND ?1 = ?1
     ORDER BY hlc, device_id, seq, idx LIMIT ?2";

/// A set-aside change as stored: device, seq, index, the change, its changeset's clock
/// and author.
type SetAsideRow = (String, i64, i64, Vec<u8>, Vec<u8>, Option<String>);

/// Tries again the changes an older build set aside (bounded per call): those this
/// build understands apply now, by the same rules as if they had come in order (the
/// clock of their changeset decides); the others stay, marked with this version.
fn retry_quarantined(
    tx: &Transaction<'_>,
    ctx: &Context,
    touched: &mut BTreeSet<String>,
    derived: &mut Derived,
    report: &mut ApplyReport,
) -> Result<()> {
    retry(tx, ctx, WAITING_FOR_AN_UPGRADE, touched, derived, report)
}

/// Tries again the changes refused for their author's roles or for a missing encounter,
/// now that the role history or the encounters hold more (a grant, or the encounter,
/// that came after the change it allows, by another route).
fn retry_waiting(tx: &Transaction<'_>, ctx: &Context, done: &mut Applied) -> Result<()> {
    ctx.authority.borrow_mut().waiting_may_apply = false;
    retry(
        tx,
        ctx,
        WAITING_FOR_HISTORY,
        &mut done.touched,
        &mut done.derived,
        &mut done.report,
    )
}

fn retry(
    tx: &Transaction<'_>,
    ctx: &Context,
    which: &str,
    touched: &mut BTreeSet<String>,
    derived: &mut Derived,
    report: &mut ApplyReport,
) -> Result<()> {
    let waiting: Vec<SetAsideRow> = tx
        .prepare_cached(which)?
        .query_map(
            params![
                ctx.schema_version,
                i64::try_from(RETRY_PER_CALL).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )?
        .collect::<Result<_, _>>()?;
    for (device, seq, idx, body, hlc, author) in waiting {
        let key = params![device, seq, idx];
        let (Ok(change), Ok(hlc)) = (
            postcard::from_bytes::<Change>(&body),
            <[u8; 16]>::try_from(hlc.as_slice()),
        ) else {
            tx.execute(
                "UPDATE quarantined_changes SET retryable = 0 WHERE device_id = ?1 AND seq = ?2 AND idx = ?3",
                key,
            )?;
            continue;
        };
        // Set aside before authors were kept: a change that needs one stays set aside.
        let origin = Origin {
            hlc,
            device: Uuid::parse_str(&device).unwrap_or_default(),
            author: author.as_deref().and_then(|a| Uuid::parse_str(a).ok()),
        };
        match apply_alone(tx, ctx, origin, &change, touched, derived)? {
            None => {
                tx.execute(
                    "DELETE FROM quarantined_changes WHERE device_id = ?1 AND seq = ?2 AND idx = ?3",
                    key,
                )?;
                report.recovered += 1;
            }
            Some(refusal) => {
                tx.execute(
                    "UPDATE quarantined_changes SET reason = ?4, schema_version = ?5,
                         waits = ?6
                     WHERE device_id = ?1 AND seq = ?2 AND idx = ?3",
                    params![
                        device,
                        seq,
                        idx,
                        refusal.reason,
                        ctx.schema_version,
                        refusal.waits
                    ],
                )?;
            }
        }
    }
    Ok(())
}

fn index_i64(index: usize) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

fn seq_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// Whether this device's log holds exactly this changeset under its seq.
fn is_in_own_log(tx: &Transaction<'_>, signed: &SignedChangeset) -> Result<bool> {
    let body: Option<Vec<u8>> = tx
        .prepare_cached("SELECT body FROM local_changesets WHERE seq = ?1")?
        .query_row([seq_i64(signed.changeset.seq)], |r| r.get(0))
        .optional()?;
    Ok(body.is_some_and(|b| b == signed.body))
}

fn already_applied(tx: &Transaction<'_>, changeset: &Changeset) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM applied_changesets WHERE device_id = ?1 AND seq = ?2")?
        .exists(params![
            changeset.device.to_string(),
            seq_i64(changeset.seq)
        ])?)
}

fn held_changesets(tx: &Transaction<'_>) -> Result<Vec<SignedChangeset>> {
    let mut stmt = tx.prepare_cached(
        "SELECT body, signature FROM held_changesets ORDER BY device_id, seq LIMIT ?1",
    )?;
    let held: Vec<(Vec<u8>, Option<Vec<u8>>)> = stmt
        .query_map([i64::try_from(HELD_PER_CALL).unwrap_or(i64::MAX)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    // A held body was decoded once already; one that no longer decodes stays held.
    Ok(held
        .into_iter()
        .filter_map(|(body, signature)| {
            let signature = signature.and_then(|s| <[u8; SIGNATURE_LEN]>::try_from(s).ok());
            SignedChangeset::from_parts(body, signature).ok()
        })
        .collect())
}

/// Keeps a changeset, exactly as signed, to try again later.
fn hold(
    tx: &Transaction<'_>,
    signed: &SignedChangeset,
    now: OffsetDateTime,
    reason: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO held_changesets (device_id, seq, reason, body, signature, held_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        signed.changeset.device.to_string(),
        seq_i64(signed.changeset.seq),
        reason,
        signed.body,
        signed.signature.map(|s| s.to_vec()),
        rfc3339(now)
    ])?;
    Ok(())
}

/// Records a clock we refused to adopt, to show as clock skew.
fn report_skew(
    tx: &Transaction<'_>,
    changeset: &Changeset,
    now: OffsetDateTime,
    remote_ms: u64,
    local_ms: u64,
) -> Result<()> {
    let device = changeset.device.to_string();
    let seq = seq_i64(changeset.seq);
    let remote_ms = i64::try_from(remote_ms).unwrap_or(i64::MAX);
    let local_ms = i64::try_from(local_ms).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO clock_skew_reports (device_id, seq, remote_ms, local_ms, reported_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (device_id, seq) DO UPDATE SET local_ms = excluded.local_ms,
             reported_at = excluded.reported_at",
        params![device, seq, remote_ms, local_ms, rfc3339(now)],
    )?;
    Ok(())
}

/// Why a change was set aside, and whether it waits for more of the clinic's history
/// (its author's roles, the encounter it signs) that another change may bring.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SetAside {
    reason: String,
    waits: bool,
}

impl SetAside {
    fn plain(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            waits: false,
        }
    }
}

/// Sets a change aside with its reason (`index` −1: the whole changeset). `retryable`
/// changes are tried again by a later build.
fn set_aside(
    tx: &Transaction<'_>,
    ctx: &Context,
    changeset: &Changeset,
    index: i64,
    refusal: &SetAside,
    change: Option<&Change>,
    retryable: bool,
) -> Result<()> {
    let body = change
        .and_then(|c| postcard::to_allocvec(c).ok())
        .unwrap_or_default();
    tx.prepare_cached(
        "INSERT OR IGNORE INTO quarantined_changes
             (device_id, seq, idx, reason, change, hlc, schema_version, quarantined_at,
              retryable, author, waits)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        changeset.device.to_string(),
        seq_i64(changeset.seq),
        index,
        refusal.reason,
        body,
        changeset.hlc.as_slice(),
        ctx.schema_version,
        rfc3339(ctx.now),
        retryable,
        changeset.author.map(|a| a.to_string()),
        refusal.waits
    ])?;
    Ok(())
}

/// Sets a whole changeset aside for good (index −1, never retried).
fn set_aside_whole(
    tx: &Transaction<'_>,
    ctx: &Context,
    changeset: &Changeset,
    reason: String,
) -> Result<()> {
    set_aside(
        tx,
        ctx,
        changeset,
        -1,
        &SetAside::plain(reason),
        None,
        false,
    )
}

/// Applies one change if its author may make it (`crate::authority`), then notes what
/// a staff change wrote in the role history.
fn apply_checked(
    conn: &Connection,
    ctx: &Context,
    origin: Origin,
    change: &Change,
    touched: &mut BTreeSet<String>,
    derived: &mut Derived,
) -> Result<Result<(), SetAside>> {
    if ctx.enforce_authority
        && let Some(refusal) = authority_refusal(conn, ctx, origin, change)?
    {
        return Ok(Err(refusal));
    }
    if let Err(reason) = apply_change(conn, ctx, origin, change, touched, derived)? {
        return Ok(Err(SetAside::plain(reason)));
    }
    if change.table == schema::ENCOUNTERS.name && matches!(change.op, Op::Insert(_)) {
        ctx.authority.borrow_mut().waiting_may_apply = true;
    }
    if let Some(table) = schema::table(&change.table)
        && table.name == schema::STAFF.name
    {
        let mut pairs = Vec::new();
        let write = Write::of(&change.op, &mut pairs);
        ctx.authority
            .borrow_mut()
            .note(conn, table, change.row, &origin.hlc, write)?;
    }
    Ok(Ok(()))
}

/// Why `change`'s author may not make it, if they may not: no author named, a
/// permission they did not hold as of its clock, or a signature snapshot that does not
/// hold. Unknown tables are left to [`apply_change`].
fn authority_refusal(
    conn: &Connection,
    ctx: &Context,
    origin: Origin,
    change: &Change,
) -> Result<Option<SetAside>> {
    let Some(table) = schema::table(&change.table) else {
        return Ok(None);
    };
    let Some(author) = origin.author else {
        return Ok(Some(SetAside::plain(
            "a change whose changeset names no author: every change in this clinic is signed for the staff member who made it",
        )));
    };
    let mut pairs = Vec::new();
    let write = Write::of(&change.op, &mut pairs);
    let verdict = ctx.authority.borrow_mut().check(
        conn,
        (author, origin.device, &origin.hlc),
        table,
        change.row,
        write,
    )?;
    if let Err(refusal) = verdict {
        return Ok(Some(SetAside {
            reason: refusal.to_string(),
            waits: !author.is_nil(),
        }));
    }
    if let (true, Write::Insert(values)) = (table.name == schema::ENCOUNTER_SNAPSHOTS.name, write) {
        let encounter = values
            .iter()
            .find(|(c, _)| *c == "encounter_id")
            .and_then(|(_, v)| v.as_text())
            .unwrap_or_default();
        let created = cells::clock(conn, &schema::ENCOUNTERS, encounter, schema::DELETED)?.row_hlc;
        if let Err(refusal) =
            crate::authority::check_snapshot(values, &origin.hlc, created.as_deref())
        {
            // The encounter it signs may still come (changes arrive in any order).
            return Ok(Some(SetAside {
                reason: refusal.to_string(),
                waits: created.is_none(),
            }));
        }
    }
    Ok(None)
}

/// Applies one change; the inner `Err` is why it was set aside instead. Everything a
/// device could refuse by looking at the change alone is refused here, before SQL, so
/// every device refuses it alike.
/// Where a change comes from: its changeset's clock, device and author.
#[derive(Debug, Clone, Copy)]
struct Origin {
    hlc: [u8; 16],
    device: Uuid,
    author: Option<Uuid>,
}

impl Origin {
    fn of(changeset: &Changeset) -> Self {
        Self {
            hlc: changeset.hlc,
            device: changeset.device,
            author: changeset.author,
        }
    }
}

fn apply_change(
    conn: &Connection,
    ctx: &Context,
    origin: Origin,
    change: &Change,
    touched: &mut BTreeSet<String>,
    derived: &mut Derived,
) -> Result<Result<(), String>> {
    let hlc = origin.hlc;
    let Some(table) = schema::table(&change.table) else {
        return Ok(Err(format!("unknown table {:?}", change.table)));
    };
    let row = change.row.to_string();
    if let Err(reason) = clinic_rule(ctx, table, &row, &change.op) {
        return Ok(Err(reason));
    }
    match &change.op {
        Op::Insert(values) => {
            let mut known = Vec::with_capacity(values.len());
            let mut unknown = Vec::new();
            for (name, value) in values {
                match table.column(name) {
                    Some(column) => {
                        if let Err(reason) =
                            schema::check_value(table, column, value).and_then(|()| {
                                schema::check_maker(
                                    table,
                                    column,
                                    value,
                                    origin.author,
                                    origin.device,
                                )
                            })
                        {
                            return Ok(Err(reason));
                        }
                        known.push((column.name, value))
                    }
                    None => unknown.push(name.as_str()),
                }
            }
            let noted: Vec<(&str, &Value)> = known.iter().map(|(c, v)| (*c, *v)).collect();
            if let Err(reason) = schema::check_insert(table, &noted) {
                return Ok(Err(reason));
            }
            if table.name == schema::DEVICE_MEMBERS.name {
                let fact =
                    members::check_fact(Some(ctx.clinic_id), origin.device, origin.author, &noted)?;
                if let Err(reason) = fact {
                    return Ok(Err(reason));
                }
            }
            if apply_insert(conn, table, &row, &hlc, &known)? {
                derived.fresh(&row);
            }
            if let Some(encounter) = cells::encounter_touched(table, &row, &noted) {
                touched.insert(encounter);
            }
            derived.note(table.name, &row, &known);
            if !unknown.is_empty() {
                return Ok(Err(format!(
                    "{}: columns this build does not know: {}",
                    table.name,
                    unknown.join(", ")
                )));
            }
        }
        Op::Set {
            column,
            value,
            base,
        } => {
            if table.merge != Merge::LastWriterWins {
                return Ok(Err(format!(
                    "{} rows are append-only facts and are never updated",
                    table.name
                )));
            }
            let Some(spec) = table.column(column) else {
                return Ok(Err(format!("unknown column {}.{column}", table.name)));
            };
            if let Err(reason) = schema::check_value(table, spec, value).and_then(|()| {
                schema::check_maker(table, spec, value, origin.author, origin.device)
            }) {
                return Ok(Err(reason));
            }
            apply_set(
                conn,
                table,
                spec.name,
                &row,
                value,
                base.as_ref().map(<[u8; 16]>::as_slice),
                &hlc,
            )?;
            derived.note(table.name, &row, &[(spec.name, value)]);
            if table.name == schema::ENCOUNTERS.name {
                touched.insert(row);
            }
        }
        Op::Delete => {
            if table.merge != Merge::LastWriterWins {
                return Ok(Err(format!(
                    "{} rows are append-only facts and are never deleted",
                    table.name
                )));
            }
            apply_set(
                conn,
                table,
                schema::DELETED,
                &row,
                &Value::Int(1),
                None,
                &hlc,
            )?;
            derived.note(table.name, &row, &[(schema::DELETED, &Value::Int(1))]);
            if table.name == schema::ENCOUNTERS.name {
                touched.insert(row);
            }
        }
    }
    Ok(Ok(()))
}

/// The clinic row a store is pinned to is the only one merge touches, and it is never
/// deleted: a `clinic` row from another device cannot move this store to another
/// clinic or hide its own.
fn clinic_rule(ctx: &Context, table: &Table, row: &str, op: &Op) -> Result<(), String> {
    if table.name != schema::CLINIC.name {
        return Ok(());
    }
    if ctx.clinic.as_deref() != Some(row) {
        return Err(format!(
            "a clinic row for another clinic ({row}): this store belongs to {}",
            ctx.clinic.as_deref().unwrap_or("no clinic yet")
        ));
    }
    let deletes = match op {
        Op::Delete => true,
        Op::Set { column, .. } => column == schema::DELETED,
        Op::Insert(values) => values
            .iter()
            .any(|(c, v)| c == schema::DELETED && *v != Value::Int(0)),
    };
    if deletes {
        return Err("the clinic's own row is never deleted".into());
    }
    Ok(())
}

fn apply_insert(
    conn: &Connection,
    table: &'static Table,
    row: &str,
    hlc: &[u8; 16],
    values: &[(&'static str, &Value)],
) -> Result<bool> {
    let inserted = cells::insert(conn, table, row, hlc, values)?;
    if !inserted && table.merge == Merge::LastWriterWins {
        // The row is there: made by updates that arrived first, created by another
        // device under the same derived id, or this very insert seen before. Each
        // column ends with the value of its latest write, so every cell's clock is the
        // latest of all changes that touched it, in whatever order they came.
        let row_hlc = cells::clock(conn, table, row, schema::DELETED)?.row_hlc;
        for (column, value) in values {
            let clock = cells::clock(conn, table, row, column)?;
            match (&row_hlc, &clock.column_hlc) {
                // Partly-known row, column never written: the creation value, whose
                // clock the row's creation clock will carry.
                (None, None) => cells::overwrite(conn, table, column, row, value)?,
                _ if newer(hlc, clock.effective()) => {
                    cells::write(conn, table, (column, &clock), row, value, hlc)?
                }
                _ => {}
            }
        }
        if row_hlc.is_none() {
            cells::set_row_hlc(conn, table, row, hlc)?;
        }
    }
    for (column, value) in values {
        if table.column(column).is_some_and(|c| c.clinical_text)
            && value.as_text().is_some_and(|t| !t.is_empty())
        {
            cells::record_text(conn, table, row, column, hlc, None, value)?;
        }
    }
    Ok(inserted)
}

fn apply_set(
    conn: &Connection,
    table: &'static Table,
    column: &'static str,
    row: &str,
    value: &Value,
    base: Option<&[u8]>,
    hlc: &[u8; 16],
) -> Result<()> {
    let clock = cells::clock(conn, table, row, column)?;
    if newer(hlc, clock.effective()) {
        cells::write(conn, table, (column, &clock), row, value, hlc)?;
    }
    if table.column(column).is_some_and(|c| c.clinical_text) {
        cells::record_text(conn, table, row, column, hlc, base, value)?;
    }
    Ok(())
}

/// Local changesets after `since_seq`, in order: what sync pushes.
pub(crate) fn pending_since(
    conn: &Connection,
    since_seq: u64,
    limit: usize,
) -> Result<Vec<Changeset>> {
    pending_bodies_since(conn, since_seq, limit)?
        .iter()
        .map(|b| Changeset::decode(b).map_err(damaged))
        .collect()
}

/// The same, as the exact bytes stored: what sync signs and seals without encoding
/// them again.
pub(crate) fn pending_bodies_since(
    conn: &Connection,
    since_seq: u64,
    limit: usize,
) -> Result<Vec<Vec<u8>>> {
    let mut stmt = conn
        .prepare_cached("SELECT body FROM local_changesets WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let bodies = stmt
        .query_map(
            params![seq_i64(since_seq), i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    Ok(bodies)
}

/// What [`renumber_unsent`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Renumbered {
    /// Unsent changesets given new seqs.
    pub moved: u64,
    /// The first of them, before and after.
    pub from_seq: u64,
    pub to_seq: u64,
}

/// The server holds other changesets under seqs this device was about to send (its
/// data folder was restored or copied): every changeset after `acknowledged` moves to
/// the seqs after `highest_on_server`, in order, and the next one written follows
/// them. The clock takes a new random node, so that a copy still running elsewhere
/// under the same device id never stamps a change with the same clock as this one.
/// Nothing is dropped; one transaction, so a crash leaves the old numbers or the new.
pub(crate) fn renumber_unsent(
    conn: &mut Connection,
    acknowledged: u64,
    highest_on_server: u64,
    device: Uuid,
    signer: &crate::signing::DeviceSigner,
) -> Result<Renumbered> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let shift = highest_on_server.saturating_sub(acknowledged);
    let unsent: Vec<(i64, Vec<u8>)> = tx
        .prepare("SELECT seq, body FROM local_changesets WHERE seq > ?1 ORDER BY seq DESC")?
        .query_map([seq_i64(acknowledged)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    if shift == 0 || unsent.is_empty() {
        return Ok(Renumbered::default());
    }
    let mut changesets: Vec<(i64, Changeset)> = unsent
        .iter()
        .map(|(seq, body)| Ok((*seq, Changeset::decode(body).map_err(damaged)?)))
        .collect::<Result<_>>()?;
    // The earlier life's chain entries came back with the pull: this life's unsent
    // ones follow them instead of forking the chains (oldest first).
    changesets.reverse();
    // Both chains' heads are read from their tables (`chains::head`): moving the rows
    // is enough.
    rechain_unsent(
        &tx,
        crate::signing::Chain::Audit,
        device,
        signer,
        &mut changesets,
    )?;
    rechain_unsent(
        &tx,
        crate::signing::Chain::ControlledRegister,
        device,
        signer,
        &mut changesets,
    )?;
    changesets.reverse();
    // From the last, so no new seq meets one not moved yet.
    let mut update =
        tx.prepare("UPDATE local_changesets SET seq = ?1, body = ?2 WHERE seq = ?3")?;
    for (seq, changeset) in &mut changesets {
        changeset.seq += shift;
        update.execute(params![seq_i64(changeset.seq), changeset.encode(), *seq])?;
    }
    drop(update);
    let mut state = read_device_state(&tx)?;
    state.next_seq = state.next_seq.max(acknowledged + 1) + shift;
    let last = crate::hlc::Hlc::from_bytes(state.last_hlc);
    let node = rand::random::<u64>();
    state.last_hlc = crate::hlc::Hlc::new(last.millis(), last.counter(), node)?.to_bytes();
    write_device_state(&tx, &state)?;
    tx.commit()?;
    let from_seq = unsent
        .last()
        .map_or(0, |(seq, _)| u64::try_from(*seq).unwrap_or(0));
    Ok(Renumbered {
        moved: unsent.len() as u64,
        from_seq,
        to_seq: from_seq + shift,
    })
}

/// The text of column `name` among an insert's values ("" for none or NULL).
fn text_of(values: &[(String, Value)], name: &str) -> String {
    values
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_text().map(str::to_owned))
        .unwrap_or_default()
}

fn int_of(values: &[(String, Value)], name: &str) -> i64 {
    values
        .iter()
        .find_map(|(k, v)| match (k.as_str(), v) {
            (n, Value::Int(i)) if n == name => Some(*i),
            _ => None,
        })
        .unwrap_or(0)
}

/// Re-chains this device's entries of the per-device `chain` (the audit log, the
/// controlled-drug register) in its unsent `changesets` (oldest first) after the newest
/// entry of that chain that is not among them — the last one its earlier life wrote,
/// pulled back from the server — when they would fork it: new index, predecessor, hash
/// and signature, in the changesets and in the local table.
fn rechain_unsent(
    tx: &Transaction<'_>,
    chain: crate::signing::Chain,
    device: Uuid,
    signer: &crate::signing::DeviceSigner,
    changesets: &mut [(i64, Changeset)],
) -> Result<()> {
    let table = crate::chains::table_of(chain);
    let me = device.to_string();
    let mine = |values: &[(String, Value)]| text_of(values, "device_id") == me;
    let unsent: Vec<(String, i64)> = changesets
        .iter()
        .flat_map(|(_, c)| c.changes.iter())
        .filter(|c| c.table == table)
        .filter_map(|c| match &c.op {
            Op::Insert(values) if mine(values) => {
                Some((c.row.to_string(), int_of(values, "chain_index")))
            }
            _ => None,
        })
        .collect();
    let Some(&(_, first_unsent)) = unsent.first() else {
        return Ok(());
    };
    let unsent_ids: BTreeSet<&str> = unsent.iter().map(|(id, _)| id.as_str()).collect();
    let mut earlier: Option<(i64, Vec<u8>)> = None;
    {
        let mut stmt = tx.prepare(&format!(
            "SELECT id, chain_index, hash FROM {table} WHERE device_id = ?1
             ORDER BY chain_index DESC"
        ))?;
        let rows = stmt.query_map([&me], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, index, hash) = row?;
            if !unsent_ids.contains(id.as_str()) {
                earlier = Some((index, hash));
                break;
            }
        }
    }
    let Some((earlier_index, earlier_hash)) = earlier else {
        return Ok(());
    };
    if first_unsent > earlier_index {
        return Ok(());
    }
    let (mut next, mut prev) = (earlier_index + 1, earlier_hash);
    let mut update = tx.prepare(&format!(
        "UPDATE {table} SET chain_index = ?1, prev_hash = ?2, hash = ?3, signature = ?4
         WHERE id = ?5"
    ))?;
    for change in changesets
        .iter_mut()
        .flat_map(|(_, c)| c.changes.iter_mut())
        .filter(|c| c.table == table)
    {
        let row = change.row.to_string();
        let Op::Insert(values) = &mut change.op else {
            continue;
        };
        if !mine(values) {
            continue;
        }
        let hash = crate::chains::entry_hash_by_column(
            chain,
            &text_of(values, "device_id"),
            next,
            &prev,
            |name| text_of(values, name),
            |name| int_of(values, name),
        );
        let signature = signer.sign_chain_entry(chain, &hash);
        for (name, value) in values.iter_mut() {
            match name.as_str() {
                "chain_index" => *value = Value::Int(next),
                "prev_hash" => *value = Value::Blob(prev.clone()),
                "hash" => *value = Value::Blob(hash.to_vec()),
                "signature" => *value = Value::Blob(signature.to_vec()),
                _ => {}
            }
        }
        update.execute(params![
            next,
            prev,
            hash.as_slice(),
            signature.as_slice(),
            row
        ])?;
        prev = hash.to_vec();
        next += 1;
    }
    Ok(())
}

/// A changeset of this device's own log that no longer decodes.
pub(crate) fn damaged(e: crate::changes::DecodeError) -> Error {
    Error::DamagedValue {
        what: "changeset of this device's log",
        value: e.to_string(),
    }
}

/// The clock-skew reports, newest first: for the UI's warning.
pub(crate) fn skew_reports(conn: &Connection) -> Result<Vec<SkewReport>> {
    let mut stmt = conn.prepare(
        "SELECT device_id, seq, remote_ms, local_ms FROM clock_skew_reports ORDER BY reported_at DESC",
    )?;
    let reports = stmt
        .query_map([], |r| {
            let device: String = r.get(0)?;
            let remote_ms = u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
            let local_ms = u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0);
            Ok(SkewReport {
                device: Uuid::parse_str(&device).unwrap_or_default(),
                seq: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                remote_ms,
                local_ms,
                ahead_ms: remote_ms.saturating_sub(local_ms),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(reports)
}

/// How many changesets are held for a clock too far ahead.
pub(crate) fn held_count(conn: &Connection) -> Result<u64> {
    let n: Option<i64> = conn
        .query_row("SELECT count(*) FROM held_changesets", [], |r| r.get(0))
        .optional()?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_for(clinic: Uuid) -> Result<Connection> {
        let mut conn = Connection::open_in_memory()?;
        crate::migrations::migrate(&mut conn)?;
        conn.execute(
            "INSERT INTO local_device (id, created_at, clinic_id) VALUES (?1, '2026-01-01T00:00:00Z', ?2)",
            params![Uuid::now_v7().to_string(), clinic.to_string()],
        )?;
        Ok(conn)
    }

    fn client(name: &str) -> Change {
        Change {
            table: "clients".into(),
            row: Uuid::now_v7(),
            op: Op::Insert(vec![("last_name".into(), Value::text(name))]),
        }
    }

    /// An unsigned changeset: these stores belong to clinics with random ids (made
    /// before signed changesets), where signatures are not required; the signature
    /// rules are tested in `members` and `tests/hostile_merge.rs`.
    fn changeset(changes: Vec<Change>) -> SignedChangeset {
        let changeset = Changeset {
            device: Uuid::from_u128(0xbad),
            seq: 1,
            schema_version: *crate::SCHEMA_VERSION,
            hlc: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb, 0xad],
            author: Some(Uuid::nil()),
            changes,
        };
        SignedChangeset {
            body: changeset.encode(),
            changeset,
            signature: None,
        }
    }

    fn last_names(conn: &Connection) -> Result<Vec<String>> {
        let mut stmt = conn.prepare("SELECT last_name FROM clients ORDER BY last_name")?;
        let names = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(names)
    }

    #[test]
    fn whatever_sqlite_refuses_is_set_aside_alone() -> Result<()> {
        let mut conn = store_for(Uuid::now_v7())?;
        // Something no pure check foresees: a trigger that refuses one row.
        conn.execute_batch(
            "CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON main.clients
             WHEN NEW.last_name = 'Boom' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;",
        )?;
        let batch = [changeset(vec![
            client("Ann"),
            client("Boom"),
            client("Cho"),
        ])];
        let report = apply(
            &mut conn,
            (Uuid::now_v7(), [0; 32]),
            OffsetDateTime::UNIX_EPOCH,
            u64::MAX,
            &batch,
            None,
        )?;
        assert_eq!((report.applied, report.quarantined), (1, 1), "{report:?}");
        assert_eq!(last_names(&conn)?, ["Ann", "Cho"]);
        let (idx, reason): (i64, String) =
            conn.query_row("SELECT idx, reason FROM quarantined_changes", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        assert_eq!(idx, 1);
        assert!(reason.contains("refused by a trigger"), "{reason}");
        Ok(())
    }

    #[test]
    fn a_failing_store_fails_the_call_and_keeps_nothing() -> Result<()> {
        let mut conn = store_for(Uuid::now_v7())?;
        conn.execute_batch("PRAGMA query_only = 1")?;
        let batch = [changeset(vec![client("Ann")])];
        let pulled = Pulled {
            next_cursor: Some(9),
            ..Pulled::default()
        };
        let outcome = apply(
            &mut conn,
            (Uuid::now_v7(), [0; 32]),
            OffsetDateTime::UNIX_EPOCH,
            u64::MAX,
            &batch,
            Some(&pulled),
        );
        assert!(
            outcome.is_err(),
            "a read-only store is the store's failure, not the change's"
        );
        conn.execute_batch("PRAGMA query_only = 0")?;
        assert!(last_names(&conn)?.is_empty());
        let cursor: i64 = conn.query_row("SELECT cursor FROM sync_state", [], |r| r.get(0))?;
        assert_eq!(
            cursor, 0,
            "the cursor did not move past what was not applied"
        );
        Ok(())
    }

    #[test]
    fn looking_for_changes_to_retry_uses_its_index_not_a_scan() -> Result<()> {
        let conn = store_for(Uuid::now_v7())?;
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {WAITING_FOR_AN_UPGRADE}"))?
            .query_map(params![8, 1000], |r| r.get(3))?
            .collect::<rusqlite::Result<_>>()?;
        let plan = plan.join("\n");
        assert!(plan.contains("quarantined_changes_retry"), "{plan}");
        Ok(())
    }

    #[test]
    fn what_an_older_build_set_aside_applies_after_the_upgrade() -> Result<()> {
        let mut conn = store_for(Uuid::now_v7())?;
        let change = client("Later");
        let cs = changeset(vec![change.clone()]).changeset;
        // As a build one version older left it: set aside, for a reason it had.
        conn.execute(
            "INSERT INTO quarantined_changes (device_id, seq, idx, reason, change, hlc, schema_version, retryable)
             VALUES (?1, 1, 0, 'columns this build does not know', ?2, ?3, ?4, 1)",
            params![
                cs.device.to_string(),
                postcard::to_allocvec(&change).unwrap_or_default(),
                cs.hlc.as_slice(),
                *crate::SCHEMA_VERSION - 1
            ],
        )?;
        let report = apply(
            &mut conn,
            (Uuid::now_v7(), [0; 32]),
            OffsetDateTime::UNIX_EPOCH,
            u64::MAX,
            &[],
            None,
        )?;
        assert_eq!(report.recovered, 1);
        assert_eq!(last_names(&conn)?, ["Later"]);
        let left: i64 =
            conn.query_row("SELECT count(*) FROM quarantined_changes", [], |r| r.get(0))?;
        assert_eq!(left, 0);
        Ok(())
    }
}
