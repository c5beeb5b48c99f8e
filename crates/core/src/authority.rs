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
        "clinic" | "rooms" => Need::AnyOf(CLINIC),
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
        "stock_lots" | "stock_counts" => Need::AnyOf(STOCK),
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

/// Whether `author` may make a change that needs `need` on row `row`, given who they
/// were as of the change (`None`: no such staff member then). Pure; the reason when not.
pub fn judge(need: Need, author: Uuid, row: Uuid, staff: Option<&StaffAsOf>) -> Result<(), String> {
    let permissions = match need {
        Need::Anyone => return Ok(()),
        Need::SelfOr(_) if author == row => return Ok(()),
        Need::AnyOf(p) | Need::SelfOr(p) => p,
    };
    let Some(staff) = staff else {
        return Err(format!(
            "made for {author}, who was not on the clinic's staff at that time: it needs permission to {}",
            permissions[0].as_str()
        ));
    };
    if !staff.active {
        return Err(format!(
            "made for {author}, who was no longer active at that time: it needs permission to {}",
            permissions[0].as_str()
        ));
    }
    if permissions.iter().any(|p| staff.roles.allow(*p)) {
        Ok(())
    } else {
        Err(format!(
            "made for {author} ({}), who could not {} at that time",
            if staff.roles.is_empty() {
                "no roles".to_string()
            } else {
                staff.roles.to_stored()
            },
            permissions[0].as_str()
        ))
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
) -> Result<(), String> {
    let text = |name: &str| {
        values
            .iter()
            .find(|(c, _)| *c == name)
            .and_then(|(_, v)| v.as_text())
    };
    let (Some(content), Some(hash)) = (text("content"), text("content_hash")) else {
        return Err("a signature snapshot must carry its content and its hash".into());
    };
    if !crate::cells::snapshot_hash_holds(content, hash) {
        return Err("a signature snapshot whose hash is not that of its content".into());
    }
    match encounter_created {
        None => Err(format!(
            "a signature of encounter {}, which this device does not have",
            text("encounter_id").unwrap_or("(none)")
        )),
        Some(created) if hlc.as_slice() < created => Err(format!(
            "a signature dated before the encounter {} it signs was made",
            text("encounter_id").unwrap_or("(none)")
        )),
        Some(_) => Ok(()),
    }
}

/// Whether this store checks authority: once its clinic id certifies its founding
/// (`signing::is_self_certifying`); a clinic made before signed changesets keeps the
/// older trust (docs/ARCHITECTURE.md).
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
    ) -> Result<Result<(), String>> {
        if author.is_nil() {
            let from_founder = self.founder(conn)? == Some(device);
            return Ok(if system_may(table, op, from_founder) {
                Ok(())
            } else {
                Err(format!(
                    "a {} change in the store's own name, which only {} may make",
                    table.name,
                    if from_founder {
                        "another author"
                    } else {
                        "the founding device"
                    }
                ))
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
        assert!(judge(need, author, Uuid::nil(), None).is_err());
        let gone = StaffAsOf {
            active: false,
            ..staff(&[Role::Admin])
        };
        assert!(judge(need, author, Uuid::nil(), Some(&gone)).is_err());
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
        assert!(check_snapshot(&values(&bad_hash), &late, Some(&created)).is_err());
        assert!(check_snapshot(&values(&good_hash), &early, Some(&created)).is_err());
        assert!(check_snapshot(&values(&good_hash), &late, None).is_err());
    }
}
