//! One bad change never stops anything (issue 14, stage 1): a device holding the clinic
//! key sends changesets built to fail — NULL in every column, extreme integers, huge
//! texts, wrong types, deletes of rows that do not exist, inserts into every table, a
//! second clinic row — between the honest devices' work. Every honest device applies
//! what it can, sets aside the rest with its reason, keeps syncing, and all of them end
//! with identical exports.
//!
//! The hostile device is a member of the clinic (admitted like any other, so its
//! signature counts) that signs whatever it likes; it also forges changesets in the
//! name of honest devices and sends unsigned ones, which every device refuses alike.
//!
//! Delivery models the sync server: one clinic-wide order of changesets (pushes append
//! to it), which each device pulls from its own cursor, interleaved with its own writes.

// Test harness knobs (case count) come from the environment.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{client, clinic, dog, ok, replica};
use proptest::prelude::*;
use uuid::Uuid;
use vetdesk_core::schema::{self, MAX_CELL_BYTES, TABLES};
use vetdesk_core::services::encounters::SoapInput;
use vetdesk_core::sources::ManualClock;
use vetdesk_core::write::node_of;
use vetdesk_core::{Actor, Change, Changeset, Op, SignedChangeset, Store, Value};

const REPLICAS: usize = 3;

/// A value built to fail somewhere.
#[derive(Debug, Clone)]
enum Hostile {
    Null,
    Int(i64),
    Real(f64),
    Text(usize),
    Unicode,
    Blob(usize),
}

fn hostile_value() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        3 => Just(Hostile::Null),
        2 => prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(-1i64),
            Just(0i64),
            Just(1i64),
            Just(2i64),
            any::<i64>()
        ]
        .prop_map(Hostile::Int),
        1 => prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0),
            any::<f64>()
        ]
        .prop_map(Hostile::Real),
        2 => prop_oneof![Just(0usize), Just(3), Just(MAX_CELL_BYTES + 1)].prop_map(Hostile::Text),
        1 => Just(Hostile::Unicode),
        1 => prop_oneof![Just(0usize), Just(16)].prop_map(Hostile::Blob),
    ]
}

fn realise(value: &Hostile) -> Value {
    match value {
        Hostile::Null => Value::Null,
        Hostile::Int(v) => Value::Int(*v),
        Hostile::Real(v) => Value::Real(*v),
        Hostile::Text(n) => Value::Text("A".repeat(*n)),
        Hostile::Unicode => Value::text("Ω\u{0}\u{202e}'; DROP TABLE clients; --"),
        Hostile::Blob(n) => Value::Blob(vec![0xff; *n]),
    }
}

/// Which row a hostile change names.
#[derive(Debug, Clone)]
enum Target {
    Fresh(u128),
    /// A row honest devices made (the n-th already on the server, of any table).
    Honest(u8),
    /// The clinic's own row.
    Clinic,
}

#[derive(Debug, Clone)]
enum HostileOp {
    /// Columns by index into the table (an index past its columns is an unknown name).
    Insert(Vec<(u8, Hostile)>),
    Set(u8, Hostile),
    Delete,
}

#[derive(Debug, Clone)]
struct HostileChange {
    /// An index into `TABLES` (one past the end: a table no build knows).
    table: u8,
    target: Target,
    op: HostileOp,
}

fn hostile_change() -> impl Strategy<Value = HostileChange> {
    let target = prop_oneof![
        2 => any::<u128>().prop_map(Target::Fresh),
        3 => any::<u8>().prop_map(Target::Honest),
        1 => Just(Target::Clinic),
    ];
    let op = prop_oneof![
        2 => prop::collection::vec((any::<u8>(), hostile_value()), 0..6).prop_map(HostileOp::Insert),
        3 => (any::<u8>(), hostile_value()).prop_map(|(c, v)| HostileOp::Set(c, v)),
        1 => Just(HostileOp::Delete),
    ];
    (
        0..=u8::try_from(TABLES.len()).unwrap_or(u8::MAX),
        target,
        op,
    )
        .prop_map(|(table, target, op)| HostileChange { table, target, op })
}

#[derive(Debug, Clone)]
enum Step {
    /// An honest device does some work.
    Work { at: usize, what: u8, pick: u8 },
    /// An honest device pushes what it has not pushed yet.
    Push { at: usize },
    /// An honest device pulls up to `count` changesets from its cursor.
    Pull { at: usize, count: u8 },
    /// The hostile device pushes a crafted changeset (its clock: minutes off ours,
    /// or long ago), signed as itself, or in an honest device's name, or unsigned.
    Attack {
        changes: Vec<HostileChange>,
        minutes_off: i8,
        ancient: bool,
        disguise: Disguise,
    },
}

/// Whose changeset the hostile device makes it out to be.
#[derive(Debug, Clone, Copy)]
enum Disguise {
    /// Its own, signed with its own key.
    Itself,
    /// The honest device `at`'s next changeset, signed with the hostile key.
    Honest { at: usize },
    /// Its own, with no signature.
    Unsigned,
}

fn disguise() -> impl Strategy<Value = Disguise> {
    prop_oneof![
        4 => Just(Disguise::Itself),
        1 => (0..REPLICAS).prop_map(|at| Disguise::Honest { at }),
        1 => Just(Disguise::Unsigned),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let at = 0..REPLICAS;
    prop_oneof![
        4 => (at.clone(), any::<u8>(), any::<u8>()).prop_map(|(at, what, pick)| Step::Work { at, what, pick }),
        2 => at.clone().prop_map(|at| Step::Push { at }),
        3 => (at, 1..12u8).prop_map(|(at, count)| Step::Pull { at, count }),
        2 => (prop::collection::vec(hostile_change(), 1..8), -50i8..50, prop::bool::weighted(0.2), disguise())
            .prop_map(|(changes, minutes_off, ancient, disguise)| Step::Attack { changes, minutes_off, ancient, disguise }),
    ]
}

struct Device {
    store: Store,
    _dir: tempfile::TempDir,
    /// Next index of the server's log to pull.
    cursor: usize,
    /// This device's seqs up to here are on the server.
    pushed: u64,
}

struct World {
    devices: Vec<Device>,
    clock: ManualClock,
    /// The server: every pushed changeset, in the one order all devices pull.
    log: Vec<SignedChangeset>,
    /// Rows honest devices made that are on the server, as (table, id).
    honest_rows: Vec<(&'static str, Uuid)>,
    clinic_id: Uuid,
    /// The hostile member device: a store of the clinic, used only to sign.
    hostile: Store,
    _hostile_dir: tempfile::TempDir,
    hostile_seq: u64,
    desk: Actor,
    vet: Actor,
    patients: Vec<Uuid>,
    clients: Vec<Uuid>,
    encounters: Vec<Uuid>,
}

impl World {
    fn new() -> Self {
        let first = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let c = clinic(first.path());
        let (desk, vet, clock) = (c.front_desk.clone(), c.vet.clone(), c.clock.clone());
        let owner = c.owner.clone();
        let clinic_id = ok(c.store.clinic_id());
        let mut devices = vec![Device {
            store: c.store,
            _dir: first,
            cursor: 0,
            pushed: 0,
        }];
        for _ in 1..REPLICAS {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let store = replica(&mut devices[0].store, &owner, dir.path(), clock.clone());
            devices.push(Device {
                store,
                _dir: dir,
                cursor: 0,
                pushed: 0,
            });
        }
        let hostile_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let hostile = replica(
            &mut devices[0].store,
            &owner,
            hostile_dir.path(),
            clock.clone(),
        );
        let mut world = World {
            devices,
            clock,
            log: Vec::new(),
            honest_rows: Vec::new(),
            clinic_id,
            hostile,
            _hostile_dir: hostile_dir,
            hostile_seq: 0,
            desk,
            vet,
            patients: Vec::new(),
            clients: Vec::new(),
            encounters: Vec::new(),
        };
        // The clinic and its staff reach everyone first, as at enrollment.
        world.push(0);
        for at in 1..REPLICAS {
            world.pull(at, usize::MAX);
        }
        world
    }

    fn run(&mut self, step: &Step) {
        match step {
            Step::Work { at, what, pick } => self.work(*at, *what, *pick),
            Step::Push { at } => self.push(*at),
            Step::Pull { at, count } => self.pull(*at, usize::from(*count)),
            Step::Attack {
                changes,
                minutes_off,
                ancient,
                disguise,
            } => self.attack(changes, *minutes_off, *ancient, *disguise),
        }
        self.clock.advance_ms(1_000);
    }

    /// Honest work through the real services. Hostile rows may make a service refuse
    /// (a patient whose row was damaged, say): a refusal is an answer, not a failure.
    fn work(&mut self, at: usize, what: u8, pick: u8) {
        let (desk, vet) = (self.desk.clone(), self.vet.clone());
        let choose = |ids: &[Uuid]| -> Option<Uuid> {
            (!ids.is_empty()).then(|| ids[usize::from(pick) % ids.len()])
        };
        let store = &mut self.devices[at].store;
        match what % 5 {
            0 => {
                let input = client(&format!("Client{pick}"), "Honest");
                if let Ok(id) = store.transact(&desk, |tx| tx.create_client(&input)) {
                    self.clients.push(id);
                }
            }
            1 => {
                if let Some(owner) = choose(&self.clients) {
                    let input = dog(&format!("Pet{pick}"));
                    if let Ok(id) = store.transact(&desk, |tx| tx.create_patient(&input, &[owner]))
                    {
                        self.patients.push(id);
                    }
                }
            }
            2 => {
                if let Some(patient) = choose(&self.patients) {
                    let kg = 1.0 + f64::from(pick) / 10.0;
                    let _ = store.transact(&desk, |tx| tx.record_weight(patient, kg, None));
                }
            }
            3 => {
                if let Some(patient) = choose(&self.patients)
                    && let Ok(encounter) =
                        store.transact(&vet, |tx| tx.start_encounter(patient, None))
                {
                    let soap = SoapInput {
                        subjective: Some(format!("Eating well ({pick})")),
                        assessment: Some("Healthy".into()),
                        ..Default::default()
                    };
                    let _ = store.transact(&vet, |tx| tx.update_soap(encounter, &soap));
                    self.encounters.push(encounter);
                }
            }
            _ => {
                if let Some(encounter) = choose(&self.encounters) {
                    let _ = store.transact(&vet, |tx| tx.sign_encounter(encounter));
                }
            }
        }
    }

    fn push(&mut self, at: usize) {
        let device = &mut self.devices[at];
        let pending = ok(device.store.outgoing(device.pushed, usize::MAX));
        for signed in pending {
            let changeset = &signed.changeset;
            device.pushed = changeset.seq;
            for change in &changeset.changes {
                if let (Op::Insert(_), Some(table)) = (&change.op, schema::table(&change.table)) {
                    self.honest_rows.push((table.name, change.row));
                }
            }
            self.log.push(signed);
        }
    }

    /// Pulls like the sync round: in the server's order, from the cursor. Applying
    /// never fails, whatever was pushed.
    fn pull(&mut self, at: usize, count: usize) {
        let device = &mut self.devices[at];
        let end = device.cursor.saturating_add(count).min(self.log.len());
        let page = &self.log[device.cursor..end];
        match device.store.apply(page) {
            Ok(_) => device.cursor = end,
            Err(e) => panic!("device {at} stopped syncing: {e}"),
        }
    }

    fn attack(
        &mut self,
        changes: &[HostileChange],
        minutes_off: i8,
        ancient: bool,
        disguise: Disguise,
    ) {
        self.hostile_seq += 1;
        let now = vetdesk_core::sources::unix_ms(self.devices[0].store.now());
        let ms = if ancient {
            1
        } else {
            u64::try_from(now + i64::from(minutes_off) * 60_000).unwrap_or(1)
        };
        let (device, seq) = match disguise {
            Disguise::Honest { at } => (
                self.devices[at].store.device_id(),
                self.devices[at].pushed + 1,
            ),
            Disguise::Itself | Disguise::Unsigned => (self.hostile.device_id(), self.hostile_seq),
        };
        let hlc = ok(vetdesk_core::hlc::Hlc::new(ms, 0, node_of(device))).to_bytes();
        let changes = changes.iter().map(|c| self.craft(c)).collect();
        let changeset = Changeset {
            device,
            seq,
            schema_version: *vetdesk_core::SCHEMA_VERSION,
            hlc,
            author: Some(self.desk.staff_id),
            changes,
        };
        let mut signed = ok(self.hostile.sign_as_this_device(changeset));
        if matches!(disguise, Disguise::Unsigned) {
            signed.signature = None;
        }
        self.log.push(signed);
    }

    fn craft(&self, change: &HostileChange) -> Change {
        let table = TABLES.get(usize::from(change.table));
        let table_name = table.map_or("no_such_table", |t| t.name);
        let row = match change.target {
            Target::Fresh(n) => Uuid::from_u128(n),
            Target::Clinic => self.clinic_id,
            Target::Honest(n) if !self.honest_rows.is_empty() => {
                self.honest_rows[usize::from(n) % self.honest_rows.len()].1
            }
            Target::Honest(n) => Uuid::from_u128(u128::from(n)),
        };
        let column = |i: u8| -> String {
            table
                .and_then(|t| t.columns.get(usize::from(i) % (t.columns.len() + 1)))
                .map_or_else(|| "no_such_column".to_string(), |c| c.name.to_string())
        };
        let op = match &change.op {
            HostileOp::Insert(values) => Op::Insert(
                values
                    .iter()
                    .map(|(c, v)| (column(*c), realise(v)))
                    .collect(),
            ),
            HostileOp::Set(c, v) => Op::Set {
                column: column(*c),
                value: realise(v),
                base: None,
            },
            HostileOp::Delete => Op::Delete,
        };
        Change {
            table: table_name.to_string(),
            row,
            op,
        }
    }

    /// Everyone pushes and pulls everything.
    fn settle(&mut self) {
        for at in 0..REPLICAS {
            self.push(at);
        }
        for at in 0..REPLICAS {
            self.pull(at, usize::MAX);
        }
    }
}

fn export(store: &Store) -> Vec<u8> {
    let mut bytes = Vec::new();
    ok(store.export_canonical_for_tests(&mut bytes));
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12),
        max_shrink_iters: 100,
        ..ProptestConfig::default()
    })]

    #[test]
    fn hostile_changesets_never_stop_sync_and_honest_devices_converge(
        steps in prop::collection::vec(step(), 10..50),
    ) {
        let mut world = World::new();
        for step in &steps {
            world.run(step);
        }
        world.settle();
        let first = export(&world.devices[0].store);
        for device in &world.devices[1..] {
            prop_assert!(export(&device.store) == first, "exports differ");
        }
        let digests: Vec<String> = world.devices.iter().map(|d| ok(d.store.digest())).collect();
        prop_assert!(digests.iter().all(|d| *d == digests[0]), "digests differ: {digests:?}");
        // Nothing was held back and everything the server has was taken in: a second
        // delivery of the whole log applies nothing new.
        for device in &mut world.devices {
            prop_assert_eq!(ok(device.store.held_changesets()), 0);
            let again = ok(device.store.apply(&world.log));
            prop_assert_eq!(again.applied, 0, "{:?}", again);
            prop_assert_eq!(ok(device.store.clinic_id()), world.clinic_id);
        }
        // What was set aside is the same on every device: the same changes, the same reasons.
        let set_aside = |store: &Store| -> Vec<(String, u64, i64, String)> {
            let mut list: Vec<_> = ok(store.set_aside_changes(usize::MAX))
                .into_iter()
                .map(|c| (c.device, c.seq, c.index, c.reason))
                .collect();
            list.sort();
            list
        };
        let expected = set_aside(&world.devices[0].store);
        for device in &world.devices[1..] {
            prop_assert_eq!(&set_aside(&device.store), &expected);
        }
    }
}

/// The review's examples (SECURITY-REVIEW.md H1, H2), each a single change, in one
/// changeset between honest ones: the rest applies, each is set aside with its reason,
/// the clinic stays the clinic.
#[test]
fn the_reviews_poisoned_changes_are_set_aside_and_the_rest_applies() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut a = clinic(dir.path());
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut b = replica(&mut a.store, &a.owner, other.path(), a.clock.clone());
    common::sync_into(&a.store, &mut b);
    let clinic_id = ok(b.clinic_id());
    let before = ok(b.status());

    // A turns hostile: a member, its signature counts, and it signs anything.
    let hostile = a.store.device_id();
    let hlc = ok(a.store.last_hlc());
    let hlc = ok(vetdesk_core::hlc::Hlc::new(
        hlc.millis() + 1,
        0,
        node_of(hostile),
    ))
    .to_bytes();
    let insert = common::insert_row;
    let set = |table: &str, row: Uuid, column: &str, value: Value| Change {
        table: table.into(),
        row,
        op: Op::Set {
            column: column.into(),
            value,
            base: None,
        },
    };
    let honest_client = insert(
        "clients",
        vec![("last_name", Value::text("Ng")), ("deleted", Value::Int(0))],
    );
    let honest_id = honest_client.row;
    let changes = vec![
        set("clients", Uuid::now_v7(), "deleted", Value::Null),
        honest_client,
        insert(
            "stock_movements",
            vec![
                ("kind", Value::text("sell")),
                ("quantity_milli", Value::Int(1)),
            ],
        ),
        insert(
            "stock_movements",
            vec![
                ("item_id", Value::text("x")),
                ("quantity_milli", Value::Int(i64::MAX)),
            ],
        ),
        set("clinic", clinic_id, "name", Value::text("")),
        insert(
            "clinic",
            vec![
                ("name", Value::text("Evil")),
                ("created_at", Value::text("0000-01-01T00:00:00Z")),
            ],
        ),
        Change {
            table: "clinic".into(),
            row: clinic_id,
            op: Op::Delete,
        },
        insert(
            "clients",
            vec![("notes", Value::Text("A".repeat(MAX_CELL_BYTES + 1)))],
        ),
        insert("no_such_table", vec![]),
    ];
    let poisoned = ok(a.store.sign_as_this_device(Changeset {
        device: hostile,
        seq: 10_000,
        schema_version: *vetdesk_core::SCHEMA_VERSION,
        hlc,
        // The owner may write every table here: what is refused is refused for itself.
        author: Some(a.owner.staff_id),
        changes,
    }));
    let report = ok(b.apply(std::slice::from_ref(&poisoned)));
    assert_eq!((report.applied, report.quarantined), (1, 8), "{report:?}");
    let ann = ok(b.read(&a.front_desk, |rx| rx.search("Ng", 10)));
    assert!(
        ann.iter().any(|h| h.id == honest_id),
        "the honest change in the same changeset applied"
    );
    let after = ok(b.status());
    assert_eq!(
        (after.clinic_id, after.clinic_name),
        (before.clinic_id, before.clinic_name)
    );

    let reasons: Vec<String> = ok(b.set_aside_changes(100))
        .into_iter()
        .map(|c| c.reason)
        .collect();
    for expected in [
        "clients.deleted may not be empty (NULL)",
        "stock_movements.item_id may not be left out",
        "stock_movements.quantity_milli is out of range",
        "the clinic's name may not be blank",
        "a clinic row for another clinic",
        "the clinic's own row is never deleted",
        "more than the 1048576 a cell may hold",
        "unknown table",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected:?} not in {reasons:?}"
        );
    }

    // Delivered again: nothing more happens. The next honest changeset applies.
    assert_eq!(ok(b.apply(std::slice::from_ref(&poisoned))).skipped, 1);
    ok(a.store.transact(&a.front_desk, |tx| {
        tx.create_client(&client("Bob", "Honest"))
    }));
    let report = common::sync_into(&a.store, &mut b);
    assert!(report.applied >= 1 && report.quarantined == 0, "{report:?}");
    let _ = &mut a;
}

/// A changeset over the limits is refused whole, never applied by any build.
#[test]
fn an_oversized_changeset_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut a = clinic(dir.path());
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut b = replica(&mut a.store, &a.owner, other.path(), a.clock.clone());
    common::sync_into(&a.store, &mut b);
    let hostile = a.store.device_id();
    let changes = (0..1_001)
        .map(|_| Change {
            table: "clients".into(),
            row: Uuid::now_v7(),
            op: Op::Insert(vec![("last_name".into(), Value::text("Flood"))]),
        })
        .collect();
    let hlc = ok(a.store.last_hlc()).to_bytes();
    let report = ok(b.apply(&[ok(a.store.sign_as_this_device(Changeset {
        device: hostile,
        seq: 10_000,
        schema_version: *vetdesk_core::SCHEMA_VERSION,
        hlc,
        author: Some(a.front_desk.staff_id),
        changes,
    }))]));
    assert_eq!((report.applied, report.quarantined), (0, 1), "{report:?}");
    let set_aside = ok(b.set_aside_changes(10));
    assert_eq!(set_aside.len(), 1);
    assert!(
        !set_aside[0].retryable && set_aside[0].index == -1,
        "{set_aside:?}"
    );
    assert!(ok(b.read(&a.front_desk, |rx| rx.search("Flood", 10))).is_empty());
}

/// A member device picks its own clocks: it back-dates a write to a cell that already
/// has a clock, dates an update of a row before that row's creation, and sends it all
/// out of order. Merge writes a winning cell in place (the row and column clock it just
/// looked up), upserts a row it has not seen; whichever order and batching the changes
/// arrive in, every device keeps the same, latest-clocked value of each cell.
#[test]
fn chosen_clocks_in_any_order_leave_every_cell_the_same_everywhere() {
    let dirs: [tempfile::TempDir; 4] = common::dirs();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &a.owner, dirs[2].path(), a.clock.clone());
    let h = replica(&mut a.store, &a.owner, dirs[3].path(), a.clock.clone());
    let desk = a.front_desk.clone();
    let known = ok(a
        .store
        .transact(&desk, |tx| tx.create_client(&client("Ann", "Lee"))));
    common::sync_into(&a.store, &mut b);
    common::sync_into(&a.store, &mut c);

    let t = ok(a.store.last_hlc()).millis();
    let set = |row: Uuid, column: &str, value: &str| Change {
        table: "clients".into(),
        row,
        op: Op::Set {
            column: column.into(),
            value: Value::text(value),
            base: None,
        },
    };
    let late = Uuid::now_v7();
    let mut creation = common::insert_row(
        "clients",
        vec![
            ("last_name", Value::text("Created")),
            ("phone", Value::text("0100")),
            ("deleted", Value::Int(0)),
        ],
    );
    creation.row = late;
    // Signed by H, a member, as the front desk: every one is a change it may make.
    let send =
        |seq, after_ms, change| common::hostile(&h, seq, desk.staff_id, t + after_ms, vec![change]);
    let sent = [
        // No column clock yet: written by rowid, its clock inserted.
        send(1, 10, set(known, "phone", "t+10")),
        // Back-dated below the clock just written: loses.
        send(2, 5, set(known, "phone", "t+5")),
        // Newer: the existing column clock is updated in place.
        send(3, 20, set(known, "phone", "t+20")),
        // Between the first clock and the one that replaced it: loses too.
        send(4, 15, set(known, "phone", "t+15")),
        // An update of a row not seen yet, dated after the row's own creation.
        send(5, 30, set(late, "last_name", "t+30")),
        send(6, 25, creation),
    ];
    // B takes them in one batch, in the order sent; C one at a time, newest first.
    ok(b.apply(&sent));
    for changeset in sent.iter().rev() {
        ok(c.apply(std::slice::from_ref(changeset)));
    }

    for store in [&b, &c] {
        let cell = |row: Uuid, column: &str| -> Option<String> {
            ok(store.connection_for_tests().query_row(
                &format!("SELECT {column} FROM clients WHERE id = ?1"),
                [row.to_string()],
                |r| r.get(0),
            ))
        };
        assert_eq!(cell(known, "phone").as_deref(), Some("t+20"));
        assert_eq!(cell(late, "last_name").as_deref(), Some("t+30"));
        assert_eq!(cell(late, "phone").as_deref(), Some("0100"));
        assert!(
            common::reasons(store).is_empty(),
            "{:?}",
            common::reasons(store)
        );
    }
    assert!(export(&b) == export(&c), "exports differ");
    assert_eq!(ok(b.digest()), ok(c.digest()));
}
