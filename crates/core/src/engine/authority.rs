//! Who may make which change, checked on every device for every change it applies —
//! its own writes and every merged one alike — with the same `roles::grants` table that
//! guards the services.
//!
//! A change's author is the staff member its changeset was signed for. Whether they
//! held the permission is judged by the clinic's **role history** as of the change's
//! clock: every roles / active / deleted value a staff row ever had, each kept with the
//! clock of the change that wrote it (`role_history`, local, filled as staff changes
//! apply). Staff changes themselves need `ManageStaff` as of their clock, so the history
//! is made only of admin-authored changes; its root is the clinic's first admin, made by
//! the founding device (whose id the clinic id certifies, `crate::members`).
//!
//! [`need`] and [`judge`] are pure; [`Checker`] reads the history (cached per
//! transaction) and writes to it.
//!
//! ## Trust between devices
//!
//! **Signed changesets.** Every changeset names its author (the staff member it was
//! written for; a local transaction that acts for several people is split) and is signed
//! by the device that wrote it, with its own Ed25519 key (`crates/core/src/engine/signing.rs`;
//! the key is the device secret, kept like the store key: OS keyring or encrypted store;
//! its X25519 enrollment key is derived from it). It is signed as it leaves (`Store::outgoing`),
//! over the clinic id and the exact body, and checked by every device before anything in
//! it is applied.
//!
//! **The membership log** (`device_members`, `crates/core/src/engine/members.rs`) is a synced,
//! append-only table of facts, each inside a changeset its device signed:
//! - `found` — the first device. A new clinic's id is derived from its key
//!   (`signing::clinic_id_founded_by`: a UUIDv8 from SHA-256), so any device that knows the
//!   clinic id (pinned at set-up or enrollment) checks the founder itself, trusting no one;
//!   no other key can found the clinic, and a second founding is set aside.
//! - `approve` — an admin, on a managing device, admitted a device and its key, and said
//!   whether it **manages** the clinic's devices too (`Store::admit_device` in
//!   `services::devices`, used by `approve_device`).
//! - `revoke` — an admin ended a device, naming the last of its changesets the admin's
//!   device holds (`Store::record_revocation`, used by `revoke_device`).
//!
//! Before merge applies a changeset it asks for the signer's standing: a member's whose
//! signature holds is applied; one from a device the log does not hold (yet) is **held**
//! (`held_changesets`, with its signature) and tried again on every merge, so it applies
//! in the same call as the approval that arrives after it; a bad signature, a missing one,
//! or a changeset after its device's revocation (by seq — the order the device wrote in —
//! never by its clock) is **refused**: reported in `quarantined_changes` (index −1, not
//! retryable), never applied, and *not* marked applied, so a forgery of a seq cannot shut
//! out the real changeset of that seq. The signature is checked before anything is skipped
//! as seen before, and a device's own changesets coming back are checked against its own
//! key, so a forgery is refused, with the same reason, on every device. An approval or a
//! revocation is itself a change that needs `ManageDevices` as of its clock (below), so
//! every fact the log stores counts, on every device alike, and an approval stands when its
//! approver later stops being an admin; the earliest approval by clock decides a device's
//! key. Approvals and revocations count only when their device **manages** the clinic's
//! devices (`members::managing_devices`: the founder, and every device a managing device
//! approved as managing — a fixed point, the same whatever order the facts arrived in), as
//! the sync server requires of the signed requests that carry them (docs/PROTOCOL.md,
//! "Device management"): a member device that does not manage — compromised, or built
//! with its checks removed — cannot admit a device of its own or end one, and the clinic's
//! last managing device cannot be revoked (core refuses it, and so does the server).
//!
//! **Authority, checked on every device** (`crates/core/src/engine/authority.rs`). Every change —
//! a local write in `Tx` and every merged one alike — needs its author to have held the
//! permission for it *as of the change's clock*, by the same `roles::grants` table that
//! guards the services. `authority::need` maps a change to the permission its service
//! needs (per table, and where one table serves two, per what is written): signatures and
//! the scribe's decisions `SignEncounter`; prescriptions `Prescribe`; clinical rows
//! `WriteClinical`; staff rows `ManageStaff` (one's own PIN: oneself); clinic, rooms and a
//! recording's retention `ManageClinic`; dispensing into the controlled register
//! `DispenseControlled`; refunds (negative payments), voids and credit notes
//! `VoidAndRefund`; membership approvals and revocations `ManageDevices`; the audit log
//! anyone. Who held what comes from the **role history** (`role_history`, local, migration
//! `10-authority`): every roles / active / deleted value a staff row was ever given, with
//! the clock of its change; as staff changes themselves need `ManageStaff` as of their
//! clock, the history is made only of admin-authored changes, rooted in the clinic's first
//! admin, whom the store itself (the nil author) makes on the founding device — the only
//! place it may, besides sweeping audio past retention. A signature snapshot must also
//! hold its own hash and be dated no earlier than the creation of the encounter it signs
//! (a back-dated "earliest" signature is refused). A refused change is set aside like any
//! other (its reason names the author, their roles then, and what it needed) and the rest
//! of its changeset applies. Because changes may arrive in any order, a change refused for
//! want of something another change may still bring — its author's roles, the encounter a
//! signature signs — **waits** (`quarantined_changes.waits`) and is tried again whenever a
//! staff change or a new encounter arrives (bounded: 1,000 per pass, three passes a call),
//! so a grant that arrives after the change it allows lets it apply, and every device ends
//! with the same records (`crates/core/tests/authority.rs`, and the convergence property
//! test, which delivers in random order).
//!
//! What a device holding the clinic key and turning hostile (or a buggy build) can and
//! cannot do now:
//! - it **cannot** stop sync for anyone (every change it sends is applied or set aside on
//!   its own, deterministically, and the clinic keeps pulling and pushing); move other
//!   devices to another clinic id; get a made-up snapshot hash to count; pause or un-pause
//!   anyone's sign-in with made-up audit events; brute-force the PIN hashes without the
//!   clinic key;
//! - it **cannot** write in another device's name (the signature is that device's), write
//!   anything once revoked (by seq, whatever clock it claims), admit a device without an
//!   admin's authorship, found the clinic again, or slip unsigned changesets into a clinic
//!   made since signed changesets; and the columns that say who did something
//!   (`signed_by`, `recorded_by`, `actor_id`, `author_id`, `moved_by`, `taken_by`,
//!   `finalized_by`, … — `schema::Column::names_author`) must name the changeset's signed
//!   author, on every device and in local writes alike (`schema::check_maker`), so a
//!   change cannot be passed off as someone else's within one changeset;
//! - it **cannot** forge another device's audit chain or controlled-drug register: a
//!   chain's `device_id` (and a stock movement's) must name the device that signed the
//!   changeset (`schema::Column::names_device`), so merge sets aside an entry for another
//!   device's chain or for a made-up device; and `audit verify` / the register check
//!   verify every entry's signature against its device's key in the membership log, so
//!   an entry that got into a store any other way (a copied file, a store from before the
//!   check) is reported, by device and index: "not signed by device …'s key", "device … is
//!   not in the clinic's membership log", "carries no signature, after this device's signed
//!   entries". Entries written before chain signatures carry none; they are counted
//!   apart ("checked by their hashes only") while no signed entry precedes them in their
//!   chain. In a clinic made before signed changesets, a device the log does not hold
//!   has its entries counted the same way (its key is not known);
//! - it **cannot** write, in the name of a staff member, what that person could not do as
//!   of the change: a front-desk author cannot sign, prescribe, dispense a controlled drug,
//!   change roles, PINs (but their own), deactivate anyone, alter retention or the clinic,
//!   refund, void or admit a device — on any device; nor act in the store's own name
//!   outside the founding device; nor back-date or alter a signature;
//! - it **can still** claim any staff member as a changeset's author. The author is the
//!   device's word that this person signed in on it: a device holding the clinic key also
//!   holds every (keyed) PIN hash, and a 4–6 digit PIN falls to an offline search, so per-
//!   person signing keys wrapped by PINs would not stop it. So a compromised member device
//!   can do what the clinic's admin or a vet could do, in their names — and every such
//!   change is signed by that device, names it and the person it claims, and stops at its
//!   revocation. A revoked device can still read whatever it already holds and what was
//!   sealed before its revocation; revoking it starts a new clinic key epoch
//!   (`key_epochs`, `clinic_keys`): the revoking device sends the revocation at once
//!   under the old key, then makes a new key that leaves out every revoked device and
//!   grants it, with every older key, signed and sealed to each remaining member through
//!   the server's `/v1/key-grants` relay; devices take grants only from makers in the
//!   membership log and seal only with a key whose epoch left out every device their log
//!   shows revoked, so what is written after the revocation is sealed under a key no
//!   revoked device receives — even while a hostile server withholds a member's grant
//!   (the member's changes then wait) — and two revocations made at once end in a further
//!   epoch that leaves out both (docs/PROTOCOL.md, "Key epochs";
//!   `tests/sync/key_rotation.rs` hands a revoked device that kept its keys and token
//!   every row the server holds).
//!
//! **Known limits.** Decisions are made with the role history and membership log a device
//! holds when a change arrives; a grant that arrives late is caught up (the waiting
//! changes above), but a *removal* — a revocation, a role taken away — that arrives after
//! changes it would have refused does not undo them where they were applied. Devices apply
//! in the server's order, which is the same for every device, so honest devices agree; a
//! server that reorders envelopes differently for different devices could make them
//! disagree about a change made concurrently with a removal. Undoing it needs the remote
//! changes kept (a change index) and cells re-materialized; noted for issue 15.
//!
//! **Clinics made before signed changesets** (random clinic ids, `signing::is_self_certifying`
//! false) keep working under the older rule, stated here and in docs/PROTOCOL.md: their
//! unsigned (format-1) changesets are applied, and so are signed ones from devices the log
//! does not hold; a signature that does not hold for a key the log does hold, and a revoked
//! device's later changesets, are refused as elsewhere. Nothing of theirs is dropped. Such
//! a clinic gets the membership guarantees by moving its records to a new clinic. Authority
//! is checked on merge only in clinics whose founding the log certifies; a store upgraded
//! to migration 10 starts its role history from its staff as they are then.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::Result;
use crate::changes::{Op, Value};
use crate::roles::{Permission, Roles};
use crate::schema::{self, Table};

/// What a change needs of its author.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// One of these permissions.
    AnyOf(&'static [Permission]),
    /// The staff member whose row it is, or one of these permissions (a PIN of one's own).
    SelfOr(&'static [Permission]),
    /// Any author: the audit log records what everyone did, refusals too.
    Anyone,
}

use Permission as P;

const STAFF: &[Permission] = &[P::ManageStaff];
const CLINIC: &[Permission] = &[P::ManageClinic];
const CLIENTS: &[Permission] = &[P::EditClientsAndPatients];
const SCHEDULE: &[Permission] = &[P::Schedule];
const CLINICAL: &[Permission] = &[P::WriteClinical];
const SIGN: &[Permission] = &[P::SignEncounter];
const PRESCRIBE: &[Permission] = &[P::Prescribe];
const CATALOG: &[Permission] = &[P::ManageCatalog];
const STOCK: &[Permission] = &[P::ManageStock];
const BILL: &[Permission] = &[P::Bill];
const VOID: &[Permission] = &[P::VoidAndRefund];
const DEVICES: &[Permission] = &[P::ManageDevices];
const CONTROLLED: &[Permission] = &[P::DispenseControlled];

/// One change's write, as authority looks at it (borrowed from a local write or a
/// merged change alike).
#[derive(Debug, Clone, Copy)]
pub enum Write<'a> {
    Insert(&'a [(&'a str, &'a Value)]),
    Set { column: &'a str, value: &'a Value },
    Delete,
}

impl<'a> Write<'a> {
    /// `op` as a write; an insert's columns are borrowed into `pairs`.
    pub fn of(op: &'a Op, pairs: &'a mut Vec<(&'a str, &'a Value)>) -> Self {
        match op {
            Op::Insert(values) => {
                pairs.extend(values.iter().map(|(c, v)| (c.as_str(), v)));
                Write::Insert(pairs)
            }
            Op::Set { column, value, .. } => Write::Set { column, value },
            Op::Delete => Write::Delete,
        }
    }

    fn is_insert(self) -> bool {
        matches!(self, Write::Insert(_))
    }

    /// The value written to `column`, if this writes one.
    fn value(self, column: &str) -> Option<&'a Value> {
        match self {
            Write::Insert(values) => values.iter().find(|(c, _)| *c == column).map(|(_, v)| *v),
            Write::Set { column: set, value } if set == column => Some(value),
            _ => None,
        }
    }

    fn writes(self, column: &str) -> bool {
        match self {
            Write::Insert(values) => values.iter().any(|(c, _)| *c == column),
            Write::Set { column: set, .. } => set == column,
            Write::Delete => column == schema::DELETED,
        }
    }

    fn text_is(self, column: &str, wanted: &[&str]) -> bool {
        self.value(column)
            .and_then(Value::as_text)
            .is_some_and(|t| wanted.contains(&t))
    }
}

/// The staff columns a staff member writes for themselves.
const SELF_SERVICE_STAFF_COLUMNS: [&str; 4] =
    ["pin_hash", "totp_secret", "totp_recovery", "totp_last_step"];

/// What writing `op` to `table` needs: the services' own permissions, per table and,
/// where one table serves two permissions, per what is written. Pure.
pub fn need(table: &Table, op: Write<'_>) -> Need {
    let is_insert = op.is_insert();
    match table.name {
        // One's own PIN and second factor (enrolling, and the last code used); an
        // admin may reset someone else's.
        "staff"
            if !is_insert
                && SELF_SERVICE_STAFF_COLUMNS
                    .iter()
                    .any(|column| op.writes(column)) =>
        {
            Need::SelfOr(STAFF)
        }
        "staff" => Need::AnyOf(STAFF),
        "clinic" | "rooms" | "appointment_types" | "work_hours" | "slot_templates" => {
            Need::AnyOf(CLINIC)
        }
        // Blocking time in the diary (a meeting, a day off) is the front desk's work too.
        "schedule_blocks" => Need::AnyOf(SCHEDULE),
        "clients" | "patients" | "patient_owners" | "weights" => Need::AnyOf(CLIENTS),
        "appointments" | "waitlist" => Need::AnyOf(SCHEDULE),
        "encounters"
        | "vitals"
        | "diagnoses"
        | "problems"
        | "addenda"
        | "conflict_resolutions"
        | "scribe_drafts"
        | "scribe_draft_items" => Need::AnyOf(CLINICAL),
        "encounter_snapshots" | "scribe_decisions" => Need::AnyOf(SIGN),
        "prescriptions" => Need::AnyOf(PRESCRIBE),
        // How long audio is kept is set when it starts; changing it is the clinic's.
        "recordings" if !is_insert && op.writes("retain_until") => Need::AnyOf(CLINIC),
        "recordings" => Need::AnyOf(CLINICAL),
        "catalog_items" => Need::AnyOf(CATALOG),
        "stock_lots" | "stock_counts" | "purchase_orders" | "purchase_order_lines" => {
            Need::AnyOf(STOCK)
        }
        "catalog_price_changes" => Need::AnyOf(CATALOG),
        // Selling and dispensing take stock as part of billing; the rest is stock-keeping.
        "stock_movements" if op.text_is("kind", &["dispense", "sell"]) => Need::AnyOf(BILL),
        "stock_movements" => Need::AnyOf(STOCK),
        "controlled_register" if op.text_is("kind", &["dispense", "sell"]) => {
            Need::AnyOf(CONTROLLED)
        }
        "controlled_register" => Need::AnyOf(STOCK),
        "invoices" if op.text_is("kind", &["credit_note"]) => Need::AnyOf(VOID),
        "invoices"
            if op.text_is("status", &["void"])
                || op.value("void_reason").is_some_and(|v| *v != Value::Null) =>
        {
            Need::AnyOf(VOID)
        }
        "invoices" | "invoice_lines" | "z_reports" | "invoice_finalizations" => Need::AnyOf(BILL),
        "payments"
            if op
                .value("amount_cents")
                .is_some_and(|v| matches!(v, Value::Int(a) if *a < 0)) =>
        {
            Need::AnyOf(VOID)
        }
        "payments" => Need::AnyOf(BILL),
        "finalization_settlements" => Need::AnyOf(VOID),
        // The founding is the store's own (see `system_may`); approvals and revocations
        // are an admin's.
        "device_members" => Need::AnyOf(DEVICES),
        "audit_events" => Need::Anyone,
        // A table added without a rule here needs an admin until it has one.
        _ => Need::AnyOf(DEVICES),
    }
}

/// A staff member as the role history knows them at some clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAsOf {
    pub roles: Roles,
    /// Active and not deleted.
    pub active: bool,
}

/// Why the authority rules refuse a change. Its sentence is what a set-aside change
/// records and what the person looking at the set-aside list reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "made for {author}, who was not on the clinic's staff at that time: it needs permission to {needs}"
    )]
    NotStaff { author: Uuid, needs: &'static str },
    #[error(
        "made for {author}, who was no longer active at that time: it needs permission to {needs}"
    )]
    Inactive { author: Uuid, needs: &'static str },
    #[error("made for {author} ({roles}), who could not {needs} at that time")]
    LacksPermission {
        author: Uuid,
        roles: String,
        needs: &'static str,
    },
    #[error("a {table} change in the store's own name, which only {only} may make")]
    NotTheStoresToMake {
        table: &'static str,
        only: &'static str,
    },
    #[error("a signature snapshot must carry its content and its hash")]
    SnapshotIncomplete,
    #[error("a signature snapshot whose hash is not that of its content")]
    SnapshotHashMismatch,
    #[error("a signature of encounter {encounter}, which this device does not have")]
    SnapshotOfUnknownEncounter { encounter: String },
    #[error("a signature dated before the encounter {encounter} it signs was made")]
    SnapshotBeforeEncounter { encounter: String },
}

/// Whether `author` may make a change that needs `need` on row `row`, given who they
/// were as of the change (`None`: no such staff member then). Pure; the reason when not.
pub fn judge(
    need: Need,
    author: Uuid,
    row: Uuid,
    staff: Option<&StaffAsOf>,
) -> Result<(), Refusal> {
    let permissions = match need {
        Need::Anyone => return Ok(()),
        Need::SelfOr(_) if author == row => return Ok(()),
        Need::AnyOf(p) | Need::SelfOr(p) => p,
    };
    let needs = permissions[0].as_str();
    let Some(staff) = staff else {
        return Err(Refusal::NotStaff { author, needs });
    };
    if !staff.active {
        return Err(Refusal::Inactive { author, needs });
    }
    if permissions.iter().any(|p| staff.roles.allow(*p)) {
        Ok(())
    } else {
        Err(Refusal::LacksPermission {
            author,
            roles: if staff.roles.is_empty() {
                "no roles".to_string()
            } else {
                staff.roles.to_stored()
            },
            needs,
        })
    }
}

/// What the store itself (the nil author) may write, and where: the founding — the
/// membership fact, the clinic row and its first admin — only on the founding device;
/// destroying audio past its retention and auditing it on any device. Pure.
pub fn system_may(table: &Table, op: Write<'_>, from_founder: bool) -> bool {
    match table.name {
        "audit_events" => true,
        "recordings" => matches!(op, Write::Set { column, .. } if column == "destroyed_at"),
        // `crate::members::FOUND` (named here so authority depends on no store module).
        "device_members" => op.text_is("event", &["found"]),
        "clinic" | "staff" => from_founder && op.is_insert(),
        _ => false,
    }
}

/// A signed encounter snapshot must hold its own hash and be no older than the
/// encounter it signs (`encounter_created`: the encounter row's creation clock, `None`
/// when this device does not have it). Pure.
pub fn check_snapshot(
    values: &[(&str, &Value)],
    hlc: &[u8; 16],
    encounter_created: Option<&[u8]>,
) -> Result<(), Refusal> {
    let text = |name: &str| {
        values
            .iter()
            .find(|(c, _)| *c == name)
            .and_then(|(_, v)| v.as_text())
    };
    let (Some(content), Some(hash)) = (text("content"), text("content_hash")) else {
        return Err(Refusal::SnapshotIncomplete);
    };
    if !crate::cells::snapshot_hash_holds(content, hash) {
        return Err(Refusal::SnapshotHashMismatch);
    }
    let encounter = || text("encounter_id").unwrap_or("(none)").to_string();
    match encounter_created {
        None => Err(Refusal::SnapshotOfUnknownEncounter {
            encounter: encounter(),
        }),
        Some(created) if hlc.as_slice() < created => Err(Refusal::SnapshotBeforeEncounter {
            encounter: encounter(),
        }),
        Some(_) => Ok(()),
    }
}

/// Whether this store checks authority: once its clinic id certifies its founding
/// (`signing::is_self_certifying`); a clinic made before signed changesets keeps the
/// older trust (this module's doc, "Trust between devices").
pub(crate) fn enforced(conn: &Connection) -> Result<bool> {
    let pinned: Option<String> = conn
        .prepare_cached("SELECT clinic_id FROM local_device LIMIT 1")?
        .query_row([], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten();
    Ok(pinned
        .and_then(|c| Uuid::parse_str(&c).ok())
        .is_some_and(crate::signing::is_self_certifying))
}

/// The staff columns whose history decides authority.
const HISTORY_COLUMNS: [&str; 3] = ["roles", "active", schema::DELETED];

/// Reads and extends the role history for one transaction (local write or merge).
#[derive(Debug, Default)]
pub(crate) struct Checker {
    as_of: HashMap<(Uuid, [u8; 16]), Option<StaffAsOf>>,
    /// The founding device, once looked up (`Some(None)`: no founding in the log).
    founder: Option<Option<Uuid>>,
    /// Whether this transaction added to the role history or made an encounter:
    /// changes waiting for either are tried again.
    pub waiting_may_apply: bool,
}

impl Checker {
    /// Whether `author`'s change to `table` at `hlc` from `device` is permitted; the
    /// reason when not.
    pub fn check(
        &mut self,
        conn: &Connection,
        (author, device, hlc): (Uuid, Uuid, &[u8; 16]),
        table: &Table,
        row: Uuid,
        op: Write<'_>,
    ) -> Result<Result<(), Refusal>> {
        if author.is_nil() {
            let from_founder = self.founder(conn)? == Some(device);
            return Ok(if system_may(table, op, from_founder) {
                Ok(())
            } else {
                Err(Refusal::NotTheStoresToMake {
                    table: table.name,
                    only: if from_founder {
                        "another author"
                    } else {
                        "the founding device"
                    },
                })
            });
        }
        let need = need(table, op);
        if need == Need::Anyone || (matches!(need, Need::SelfOr(_)) && author == row) {
            return Ok(Ok(()));
        }
        let staff = self.staff_as_of(conn, author, hlc)?;
        Ok(judge(need, author, row, staff.as_ref()))
    }

    fn founder(&mut self, conn: &Connection) -> Result<Option<Uuid>> {
        if let Some(founder) = self.founder {
            return Ok(founder);
        }
        let found: Option<String> = conn
            .prepare_cached(
                "SELECT device_id FROM device_members WHERE event = 'found' ORDER BY _hlc, id LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?;
        let founder = found.and_then(|d| Uuid::parse_str(&d).ok());
        // Only cached once known: the founding is the first thing a clinic writes.
        if founder.is_some() {
            self.founder = Some(founder);
        }
        Ok(founder)
    }

    /// Who `staff` was as of `hlc`: the latest history value of each column written
    /// before it (`None`: no staff row had been written by then).
    pub fn staff_as_of(
        &mut self,
        conn: &Connection,
        staff: Uuid,
        hlc: &[u8; 16],
    ) -> Result<Option<StaffAsOf>> {
        if let Some(known) = self.as_of.get(&(staff, *hlc)) {
            return Ok(known.clone());
        }
        let mut latest: [Option<Value>; 3] = [None, None, None];
        let mut stmt = conn.prepare_cached(
            "SELECT value FROM role_history WHERE staff_id = ?1 AND field = ?2 AND hlc < ?3
             ORDER BY hlc DESC LIMIT 1",
        )?;
        for (slot, field) in latest.iter_mut().zip(HISTORY_COLUMNS) {
            *slot = stmt
                .query_row(params![staff.to_string(), field, hlc.as_slice()], |r| {
                    r.get::<_, Value>(0)
                })
                .optional()?;
        }
        let [roles, active, deleted] = latest;
        let known = roles.map(|roles| StaffAsOf {
            roles: Roles::parse(roles.as_text().unwrap_or("")),
            active: active != Some(Value::Int(0)) && deleted != Some(Value::Int(1)),
        });
        self.as_of.insert((staff, *hlc), known.clone());
        Ok(known)
    }

    /// Adds what a staff change wrote to the role history (applied here, or merged).
    pub fn note(
        &mut self,
        conn: &Connection,
        table: &Table,
        row: Uuid,
        hlc: &[u8; 16],
        op: Write<'_>,
    ) -> Result<()> {
        if table.name != schema::STAFF.name {
            return Ok(());
        }
        let deleted = Value::Int(1);
        let written: Vec<(&str, &Value)> = match op {
            Write::Insert(values) => values
                .iter()
                .filter(|(c, _)| HISTORY_COLUMNS.contains(c))
                .copied()
                .collect(),
            Write::Set { column, value } if HISTORY_COLUMNS.contains(&column) => {
                vec![(column, value)]
            }
            Write::Delete => vec![(schema::DELETED, &deleted)],
            Write::Set { .. } => Vec::new(),
        };
        if written.is_empty() {
            return Ok(());
        }
        let mut stmt = conn.prepare_cached(
            "INSERT OR IGNORE INTO role_history (staff_id, field, hlc, value) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (field, value) in written {
            if stmt.execute(params![row.to_string(), field, hlc.as_slice(), value])? > 0 {
                self.waiting_may_apply = true;
            }
        }
        self.as_of.retain(|(staff, _), _| *staff != row);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    fn set(column: &str, value: Value) -> Op {
        Op::Set {
            column: column.into(),
            value,
            base: None,
        }
    }

    fn insert(values: &[(&str, Value)]) -> Op {
        Op::Insert(
            values
                .iter()
                .map(|(c, v)| (c.to_string(), v.clone()))
                .collect(),
        )
    }

    fn need_of(table: &Table, op: &Op) -> Need {
        need(table, Write::of(op, &mut Vec::new()))
    }

    fn system_may_do(table: &Table, op: &Op, from_founder: bool) -> bool {
        system_may(table, Write::of(op, &mut Vec::new()), from_founder)
    }

    fn staff(roles: &[Role]) -> StaffAsOf {
        StaffAsOf {
            roles: Roles::new(roles.iter().copied()),
            active: true,
        }
    }

    #[test]
    fn what_each_role_may_write_on_every_device() {
        let (author, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let front = staff(&[Role::FrontDesk]);
        let vet = staff(&[Role::Vet]);
        let nurse = staff(&[Role::Nurse]);
        let admin = staff(&[Role::Admin]);
        let snapshot = insert(&[("content", Value::text("{}"))]);
        let dispense = insert(&[("kind", Value::text("dispense"))]);
        let refund = insert(&[("amount_cents", Value::Int(-500))]);
        let payment = insert(&[("amount_cents", Value::Int(500))]);
        // (table, change, who, on whose row, allowed)
        let cases: Vec<(&Table, Op, &StaffAsOf, Uuid, bool)> = vec![
            (
                &schema::ENCOUNTER_SNAPSHOTS,
                snapshot.clone(),
                &front,
                other,
                false,
            ),
            (
                &schema::ENCOUNTER_SNAPSHOTS,
                snapshot.clone(),
                &nurse,
                other,
                false,
            ),
            (&schema::ENCOUNTER_SNAPSHOTS, snapshot, &vet, other, true),
            (&schema::PRESCRIPTIONS, insert(&[]), &front, other, false),
            (&schema::PRESCRIPTIONS, insert(&[]), &vet, other, true),
            (
                &schema::CONTROLLED_REGISTER,
                dispense.clone(),
                &front,
                other,
                false,
            ),
            (
                &schema::CONTROLLED_REGISTER,
                dispense.clone(),
                &nurse,
                other,
                true,
            ),
            (&schema::STOCK_MOVEMENTS, dispense, &front, other, true),
            (
                &schema::STAFF,
                set("roles", Value::text("admin")),
                &front,
                author,
                false,
            ),
            (
                &schema::STAFF,
                set("roles", Value::text("admin")),
                &vet,
                other,
                false,
            ),
            (
                &schema::STAFF,
                set("roles", Value::text("vet")),
                &admin,
                other,
                true,
            ),
            (
                &schema::STAFF,
                set("pin_hash", Value::text("x")),
                &front,
                other,
                false,
            ),
            (
                &schema::STAFF,
                set("pin_hash", Value::text("x")),
                &front,
                author,
                true,
            ),
            (
                &schema::RECORDINGS,
                set("retain_until", Value::Null),
                &vet,
                other,
                false,
            ),
            (
                &schema::RECORDINGS,
                set("retain_until", Value::Null),
                &admin,
                other,
                true,
            ),
            (
                &schema::RECORDINGS,
                set("duration_ms", Value::Int(5)),
                &vet,
                other,
                true,
            ),
            (&schema::PAYMENTS, refund, &front, other, false),
            (&schema::PAYMENTS, payment, &front, other, true),
            (
                &schema::INVOICES,
                set("status", Value::text("void")),
                &front,
                other,
                false,
            ),
            (
                &schema::INVOICES,
                set("status", Value::text("final")),
                &front,
                other,
                true,
            ),
            (&schema::CLIENTS, insert(&[]), &front, other, true),
            (
                &schema::CLINIC,
                set("name", Value::text("x")),
                &vet,
                other,
                false,
            ),
            (&schema::AUDIT_EVENTS, insert(&[]), &front, other, true),
        ];
        for (table, op, who, row, allowed) in cases {
            let verdict = judge(need_of(table, &op), author, row, Some(who));
            assert_eq!(
                verdict.is_ok(),
                allowed,
                "{} {op:?} by {who:?}: {verdict:?}",
                table.name
            );
        }
    }

    #[test]
    fn no_one_acts_before_they_exist_or_after_they_leave() {
        let author = Uuid::from_u128(1);
        let need = need_of(&schema::CLIENTS, &insert(&[]));
        let refusal = judge(need, author, Uuid::nil(), None);
        assert!(
            matches!(
                refusal,
                Err(Refusal::NotStaff {
                    needs: "edit clients and patients",
                    ..
                })
            ),
            "{refusal:?}"
        );
        let gone = StaffAsOf {
            active: false,
            ..staff(&[Role::Admin])
        };
        let refusal = judge(need, author, Uuid::nil(), Some(&gone));
        assert!(
            matches!(refusal, Err(Refusal::Inactive { .. })),
            "{refusal:?}"
        );
        let refusal = judge(need, author, Uuid::nil(), Some(&staff(&[])));
        assert_eq!(
            refusal.map_err(|r| r.to_string()),
            Err(format!(
                "made for {author} (no roles), who could not edit clients and patients at that time"
            ))
        );
    }

    #[test]
    fn the_store_itself_only_founds_and_sweeps() {
        let found = insert(&[("event", Value::text("found"))]);
        let approve = insert(&[("event", Value::text("approve"))]);
        assert!(system_may_do(&schema::DEVICE_MEMBERS, &found, false));
        assert!(!system_may_do(&schema::DEVICE_MEMBERS, &approve, true));
        assert!(system_may_do(&schema::STAFF, &insert(&[]), true));
        assert!(!system_may_do(&schema::STAFF, &insert(&[]), false));
        assert!(!system_may_do(
            &schema::STAFF,
            &set("roles", Value::text("admin")),
            true
        ));
        assert!(system_may_do(
            &schema::RECORDINGS,
            &set("destroyed_at", Value::text("t")),
            false
        ));
        assert!(!system_may_do(&schema::ENCOUNTERS, &insert(&[]), true));
    }

    #[test]
    fn a_snapshot_holds_its_hash_and_comes_after_what_it_signs() {
        let content = Value::text("{\"subjective\":\"ok\"}");
        let good_hash = Value::Text(crate::cells::snapshot_hash("{\"subjective\":\"ok\"}"));
        let bad_hash = Value::text("00");
        let id = Value::text("e");
        let created = [5u8; 16];
        let (early, late) = ([1u8; 16], [9u8; 16]);
        let values = |hash| {
            vec![
                ("encounter_id", &id),
                ("content", &content),
                ("content_hash", hash),
            ]
        };
        assert!(check_snapshot(&values(&good_hash), &late, Some(&created)).is_ok());
        assert_eq!(
            check_snapshot(&values(&bad_hash), &late, Some(&created)),
            Err(Refusal::SnapshotHashMismatch)
        );
        assert!(matches!(
            check_snapshot(&values(&good_hash), &early, Some(&created)),
            Err(Refusal::SnapshotBeforeEncounter { .. })
        ));
        assert!(matches!(
            check_snapshot(&values(&good_hash), &late, None),
            Err(Refusal::SnapshotOfUnknownEncounter { .. })
        ));
    }
}
