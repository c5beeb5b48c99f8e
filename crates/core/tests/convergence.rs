//! Convergence of the change log, tested as the clinic will use it: three devices run
//! random operations through the real services, on clocks that drift and jump, and
//! exchange changesets in random order, with duplicates and partitions (some devices
//! hear from others only late). After everyone has heard everything, every device
//! holds the same records: equal digests, equal conflicts, intact audit chains. Along
//! the way each device's clock never goes back, and a remote clock too far ahead is
//! held, never adopted.
//!
//! Failing cases are kept in `convergence.proptest-regressions` beside this file and
//! replayed first on every run.

// Test harness knobs (case count, debug output) come from the environment.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{client, clinic, dog, ok, replica};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;
use vetdesk_core::hlc::DEFAULT_MAX_REMOTE_AHEAD_MS;
use vetdesk_core::services::encounters::{PrescriptionInput, SoapInput};
use vetdesk_core::services::schedule::BookingInput;
use vetdesk_core::sources::ManualClock;
use vetdesk_core::{Actor, Error, Store, Unlock};

const REPLICAS: usize = 3;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// One step of the simulation. Entity numbers pick among everything created so far
/// on any device; a device that has not heard of it yet gets `NotFound`, as in life.
#[derive(Debug, Clone)]
enum Step {
    CreateClient {
        at: usize,
        name: u8,
    },
    EditPhone {
        at: usize,
        client: u8,
        phone: u8,
    },
    EditNotes {
        at: usize,
        client: u8,
        text: u8,
    },
    DeleteClient {
        at: usize,
        client: u8,
    },
    CreatePatient {
        at: usize,
        owner: u8,
        name: u8,
    },
    AddOwner {
        at: usize,
        patient: u8,
        owner: u8,
    },
    RecordWeight {
        at: usize,
        patient: u8,
        grams: u32,
    },
    Book {
        at: usize,
        patient: u8,
        slot: u8,
    },
    StartEncounter {
        at: usize,
        patient: u8,
    },
    EditSoap {
        at: usize,
        encounter: u8,
        section: u8,
        text: u8,
    },
    Sign {
        at: usize,
        encounter: u8,
    },
    Addendum {
        at: usize,
        encounter: u8,
        text: u8,
    },
    Prescribe {
        at: usize,
        encounter: u8,
    },
    Tick {
        at: usize,
        ms: u32,
    },
    /// The device's clock jumps two days ahead (a wrong clock), or back again.
    Jump {
        at: usize,
        ahead: bool,
    },
    /// Delivers a random subset of `from`'s changesets to `to`, shuffled, some twice.
    Deliver {
        from: usize,
        to: usize,
        seed: u64,
        share: u8,
    },
    Restart {
        at: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let at = 0..REPLICAS;
    prop_oneof![
        3 => (at.clone(), any::<u8>()).prop_map(|(at, name)| Step::CreateClient { at, name }),
        3 => (at.clone(), any::<u8>(), any::<u8>()).prop_map(|(at, client, phone)| Step::EditPhone { at, client, phone }),
        3 => (at.clone(), any::<u8>(), any::<u8>()).prop_map(|(at, client, text)| Step::EditNotes { at, client, text }),
        1 => (at.clone(), any::<u8>()).prop_map(|(at, client)| Step::DeleteClient { at, client }),
        3 => (at.clone(), any::<u8>(), any::<u8>()).prop_map(|(at, owner, name)| Step::CreatePatient { at, owner, name }),
        1 => (at.clone(), any::<u8>(), any::<u8>()).prop_map(|(at, patient, owner)| Step::AddOwner { at, patient, owner }),
        2 => (at.clone(), any::<u8>(), 100u32..90_000).prop_map(|(at, patient, grams)| Step::RecordWeight { at, patient, grams }),
        2 => (at.clone(), any::<u8>(), 0u8..6).prop_map(|(at, patient, slot)| Step::Book { at, patient, slot }),
        2 => (at.clone(), any::<u8>()).prop_map(|(at, patient)| Step::StartEncounter { at, patient }),
        5 => (at.clone(), any::<u8>(), 0u8..4, any::<u8>()).prop_map(|(at, encounter, section, text)| Step::EditSoap { at, encounter, section, text }),
        2 => (at.clone(), any::<u8>()).prop_map(|(at, encounter)| Step::Sign { at, encounter }),
        1 => (at.clone(), any::<u8>(), any::<u8>()).prop_map(|(at, encounter, text)| Step::Addendum { at, encounter, text }),
        1 => (at.clone(), any::<u8>()).prop_map(|(at, encounter)| Step::Prescribe { at, encounter }),
        3 => (at.clone(), 0u32..5_000).prop_map(|(at, ms)| Step::Tick { at, ms }),
        1 => (at.clone(), any::<bool>()).prop_map(|(at, ahead)| Step::Jump { at, ahead }),
        6 => (at.clone(), at.clone(), any::<u64>(), 1u8..=4).prop_map(|(from, to, seed, share)| Step::Deliver { from, to, seed, share }),
        1 => at.prop_map(|at| Step::Restart { at }),
    ]
}

struct Device {
    store: Store,
    clock: ManualClock,
    dir: tempfile::TempDir,
    jumped: bool,
}

struct World {
    devices: Vec<Device>,
    clients: Vec<Uuid>,
    patients: Vec<Uuid>,
    encounters: Vec<Uuid>,
    vet: Actor,
    nurse: Actor,
    desk: Actor,
}

fn pick(ids: &[Uuid], n: u8) -> Option<Uuid> {
    (!ids.is_empty()).then(|| ids[usize::from(n) % ids.len()])
}

const WORDS: [&str; 8] = [
    "Scratching left ear",
    "Vomiting since yesterday",
    "Bright, alert, responsive",
    "Otitis externa",
    "Recheck in 10 days",
    "Carprofen 2 mg/kg twice daily",
    "Owner prefers morning calls",
    "Limping right hind leg",
];

/// Runs one service call; refusals a person could meet (not found yet, clash, signed,
/// invalid) are part of the game, anything else fails the test.
fn expect_service<T>(result: Result<T, Error>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(
            Error::NotFound { .. }
            | Error::Invalid { .. }
            | Error::DoubleBooked { .. }
            | Error::EncounterSigned(_)
            | Error::NotAllowedNow(_),
        ) => None,
        Err(other) => panic!("unexpected error from a service: {other}"),
    }
}

impl World {
    fn new() -> Self {
        let first = ok(tempfile::tempdir());
        let c = clinic(first.path());
        let owner = c.owner.clone();
        let mut devices = vec![Device {
            store: c.store,
            clock: c.clock,
            dir: first,
            jumped: false,
        }];
        for _ in 1..REPLICAS {
            let dir = ok(tempfile::tempdir());
            let clock = ManualClock::at(common::monday_morning());
            let store = replica(&mut devices[0].store, &owner, dir.path(), clock.clone());
            devices.push(Device {
                store,
                clock,
                dir,
                jumped: false,
            });
        }
        let mut world = World {
            devices,
            clients: Vec::new(),
            patients: Vec::new(),
            encounters: Vec::new(),
            vet: c.vet,
            nurse: c.nurse,
            desk: c.front_desk,
        };
        // What every device knows before the simulation starts: a few clients with a
        // patient each, and two open encounters.
        for n in 0..3u8 {
            world.run(&Step::CreateClient { at: 0, name: n });
            world.run(&Step::CreatePatient {
                at: 0,
                owner: n,
                name: n,
            });
        }
        world.run(&Step::StartEncounter { at: 0, patient: 0 });
        world.run(&Step::StartEncounter { at: 0, patient: 1 });
        for to in 1..REPLICAS {
            world.deliver(0, to, 0, 4);
        }
        world
    }

    fn run(&mut self, step: &Step) {
        let (vet, nurse, desk) = (self.vet.clone(), self.nurse.clone(), self.desk.clone());
        match *step {
            Step::CreateClient { at, name } => {
                let input = client(
                    &format!("Client{name}"),
                    WORDS[usize::from(name) % 8]
                        .split(' ')
                        .next()
                        .unwrap_or("X"),
                );
                if let Some(id) = expect_service(
                    self.devices[at]
                        .store
                        .transact(&desk, |tx| tx.create_client(&input)),
                ) {
                    self.clients.push(id);
                }
            }
            Step::EditPhone {
                at,
                client: n,
                phone,
            } => {
                if let Some(id) = pick(&self.clients, n) {
                    let store = &mut self.devices[at].store;
                    if let Some(current) = expect_service(store.read(&desk, |rx| rx.client(id))) {
                        let mut edited = current.fields;
                        edited.phone = Some(format!("+44 20 7946 {:04}", u32::from(phone) * 37));
                        expect_service(store.transact(&desk, |tx| tx.update_client(id, &edited)));
                    }
                }
            }
            Step::EditNotes {
                at,
                client: n,
                text,
            } => {
                if let Some(id) = pick(&self.clients, n) {
                    let store = &mut self.devices[at].store;
                    if let Some(current) = expect_service(store.read(&desk, |rx| rx.client(id))) {
                        let mut edited = current.fields;
                        edited.notes = Some(format!("{} ({text})", WORDS[usize::from(text) % 8]));
                        expect_service(store.transact(&desk, |tx| tx.update_client(id, &edited)));
                    }
                }
            }
            Step::DeleteClient { at, client: n } => {
                if let Some(id) = pick(&self.clients, n) {
                    expect_service(
                        self.devices[at]
                            .store
                            .transact(&desk, |tx| tx.delete_client(id)),
                    );
                }
            }
            Step::CreatePatient { at, owner, name } => {
                if let Some(owner) = pick(&self.clients, owner) {
                    let input = dog(&format!("Pet{name}"));
                    if let Some(id) = expect_service(
                        self.devices[at]
                            .store
                            .transact(&desk, |tx| tx.create_patient(&input, &[owner])),
                    ) {
                        self.patients.push(id);
                    }
                }
            }
            Step::AddOwner { at, patient, owner } => {
                if let (Some(patient), Some(owner)) =
                    (pick(&self.patients, patient), pick(&self.clients, owner))
                {
                    expect_service(
                        self.devices[at]
                            .store
                            .transact(&desk, |tx| tx.add_owner(patient, owner)),
                    );
                }
            }
            Step::RecordWeight { at, patient, grams } => {
                if let Some(patient) = pick(&self.patients, patient) {
                    let kg = f64::from(grams) / 1000.0;
                    expect_service(
                        self.devices[at]
                            .store
                            .transact(&desk, |tx| tx.record_weight(patient, kg, None)),
                    );
                }
            }
            Step::Book { at, patient, slot } => {
                if let Some(patient) = pick(&self.patients, patient) {
                    let store = &mut self.devices[at].store;
                    let Some(found) = expect_service(store.read(&desk, |rx| rx.patient(patient)))
                    else {
                        return;
                    };
                    let Some(owner) = found.owners.first() else {
                        return;
                    };
                    let start =
                        common::monday_morning() + time::Duration::minutes(30 * i64::from(slot));
                    let input = BookingInput {
                        patient_id: patient,
                        client_id: owner.client_id,
                        vet_id: vet.staff_id,
                        room_id: None,
                        starts_at: start,
                        ends_at: start + time::Duration::minutes(45),
                        kind: "consultation".into(),
                        reason: None,
                        force: false,
                        type_id: None,
                    };
                    expect_service(store.transact(&desk, |tx| tx.book(&input)));
                }
            }
            Step::StartEncounter { at, patient } => {
                if let Some(patient) = pick(&self.patients, patient)
                    && let Some(id) = expect_service(
                        self.devices[at]
                            .store
                            .transact(&vet, |tx| tx.start_encounter(patient, None)),
                    )
                {
                    self.encounters.push(id);
                }
            }
            Step::EditSoap {
                at,
                encounter,
                section,
                text,
            } => {
                if let Some(id) = pick(&self.encounters, encounter) {
                    let store = &mut self.devices[at].store;
                    let Some(current) = expect_service(store.read(&nurse, |rx| rx.encounter(id)))
                    else {
                        return;
                    };
                    let mut soap = current.soap;
                    let value = Some(format!("{} #{text}", WORDS[usize::from(text) % 8]));
                    match section {
                        0 => soap.subjective = value,
                        1 => soap.objective = value,
                        2 => soap.assessment = value,
                        _ => soap.plan = value,
                    }
                    expect_service(store.transact(&nurse, |tx| tx.update_soap(id, &soap)));
                }
            }
            Step::Sign { at, encounter } => {
                if let Some(id) = pick(&self.encounters, encounter) {
                    expect_service(
                        self.devices[at]
                            .store
                            .transact(&vet, |tx| tx.sign_encounter(id)),
                    );
                }
            }
            Step::Addendum {
                at,
                encounter,
                text,
            } => {
                if let Some(id) = pick(&self.encounters, encounter) {
                    expect_service(
                        self.devices[at]
                            .store
                            .transact(&vet, |tx| tx.add_addendum(id, WORDS[usize::from(text) % 8])),
                    );
                }
            }
            Step::Prescribe { at, encounter } => {
                if let Some(id) = pick(&self.encounters, encounter) {
                    let input = PrescriptionInput {
                        encounter_id: id,
                        drug: "Carprofen".into(),
                        dose: 50.0,
                        unit: "mg".into(),
                        route: "oral".into(),
                        frequency: "twice daily".into(),
                        duration_days: 5,
                        quantity: 10.0,
                        ..Default::default()
                    };
                    expect_service(
                        self.devices[at]
                            .store
                            .transact(&vet, |tx| tx.prescribe(&input)),
                    );
                }
            }
            Step::Tick { at, ms } => self.devices[at].clock.advance_ms(i64::from(ms)),
            Step::Jump { at, ahead } => {
                let device = &mut self.devices[at];
                if ahead != device.jumped {
                    device
                        .clock
                        .advance_ms(if ahead { 2 * DAY_MS } else { -2 * DAY_MS });
                    device.jumped = ahead;
                }
            }
            Step::Deliver {
                from,
                to,
                seed,
                share,
            } => self.deliver(from, to, seed, share),
            Step::Restart { at } => {
                let device = &mut self.devices[at];
                let mut reopened = ok(Store::open(
                    device.dir.path(),
                    &Unlock::with_passphrase(common::PASSPHRASE),
                ));
                reopened.set_time_source(std::sync::Arc::new(device.clock.clone()));
                device.store = reopened;
            }
        }
    }

    /// Delivers about `share`/4 of `from`'s changesets to `to`, shuffled, a few twice,
    /// and checks that no remote clock beyond the bound was adopted.
    fn deliver(&mut self, from: usize, to: usize, seed: u64, share: u8) {
        if from == to {
            return;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let all = ok(self.devices[from].store.outgoing(0, usize::MAX));
        let mut batch: Vec<_> = all
            .into_iter()
            .filter(|_| rng.random_range(0..4u8) < share)
            .collect();
        let duplicates: Vec<_> = batch
            .iter()
            .filter(|_| rng.random_bool(0.2))
            .cloned()
            .collect();
        batch.extend(duplicates);
        batch.shuffle(&mut rng);
        let device = &mut self.devices[to];
        let before = ok(device.store.last_hlc());
        let wall = u64::try_from(vetdesk_core::sources::unix_ms(device.store.now())).unwrap_or(0);
        let report = ok(device.store.apply(&batch));
        let after = ok(device.store.last_hlc());
        assert!(after >= before, "the clock went back: {after} < {before}");
        assert!(
            after.millis() <= before.millis().max(wall + DEFAULT_MAX_REMOTE_AHEAD_MS),
            "a remote clock beyond the bound was adopted: {after} (wall {wall}, report {report:?})"
        );
    }

    /// Everyone hears everything (clocks first brought to the same day, so changesets
    /// held for skew apply), twice, in shuffled order.
    fn settle(&mut self, seed: u64) {
        for device in &mut self.devices {
            let ahead = if device.jumped { 0 } else { 2 * DAY_MS };
            device.clock.advance_ms(ahead + DAY_MS);
            device.jumped = true;
        }
        for round in 0..2u64 {
            for from in 0..REPLICAS {
                for to in 0..REPLICAS {
                    self.deliver(
                        from,
                        to,
                        seed ^ round ^ (from as u64) << 8 ^ (to as u64) << 16,
                        4,
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(16),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn devices_converge_whatever_the_delivery_order(steps in prop::collection::vec(step(), 20..80), seed in any::<u64>()) {
        let mut world = World::new();
        for step in &steps {
            let before: Vec<_> = world.devices.iter().map(|d| ok(d.store.last_hlc())).collect();
            world.run(step);
            for (device, before) in world.devices.iter().zip(before) {
                let after = ok(device.store.last_hlc());
                prop_assert!(after >= before, "clock went back after {step:?}: {after} < {before}");
            }
        }
        world.settle(seed);

        let digests: Vec<String> = world.devices.iter().map(|d| ok(d.store.digest())).collect();
        prop_assert!(digests.iter().all(|d| *d == digests[0]), "digests differ: {digests:?}");
        let vet = world.vet.clone();
        let conflicts: Vec<_> = world.devices.iter_mut().map(|d| ok(d.store.read(&vet, |rx| rx.conflicts(None)))).collect();
        prop_assert!(conflicts.iter().all(|c| *c == conflicts[0]), "conflicts differ: {conflicts:#?}");
        if std::env::var_os("CONVERGENCE_STATS").is_some() {
            let (clients, patients) = ok(world.devices[0].store.counts());
            let changesets = world.devices.iter().map(|d| ok(d.store.pending_changesets(0, usize::MAX)).len()).sum::<usize>();
            eprintln!("steps {} clients {clients} patients {patients} encounters {} conflicts {} changesets {changesets}",
                steps.len(), world.encounters.len(), conflicts[0].len());
        }
        for device in &world.devices {
            prop_assert_eq!(ok(device.store.held_changesets()), 0);
            let audit = ok(device.store.verify_audit());
            prop_assert!(audit.is_intact(), "{:?}", audit.problems);
        }
        // The search index followed every merge: the same hits everywhere.
        let desk = world.desk.clone();
        let found = |store: &mut Store, q: &str| {
            let mut ids: Vec<(Uuid, String)> = ok(store.read(&desk, |rx| rx.search(q, 200))).into_iter().map(|h| (h.id, h.detail)).collect();
            ids.sort();
            ids
        };
        for q in ["client", "pet", "7946", "scratching"] {
            let first = found(&mut world.devices[0].store, q);
            for device in &mut world.devices[1..] {
                prop_assert_eq!(&found(&mut device.store, q), &first, "search {}", q);
            }
        }
        // The canonical export is byte-for-byte the same on every device.
        let export = |store: &Store| {
            let mut bytes = Vec::new();
            ok(store.export_canonical_for_tests(&mut bytes));
            bytes
        };
        let first = export(&world.devices[0].store);
        for device in &world.devices[1..] {
            prop_assert!(export(&device.store) == first, "exports differ");
        }
    }
}

#[test]
fn a_signed_record_and_concurrent_edits_converge_in_every_delivery_order() {
    // The signature race, delivered in all six orders of three changesets' arrival.
    let mut world = World::new();
    world.run(&Step::EditSoap {
        at: 1,
        encounter: 0,
        section: 2,
        text: 3,
    });
    world.run(&Step::Tick { at: 2, ms: 10 });
    world.run(&Step::EditSoap {
        at: 2,
        encounter: 0,
        section: 2,
        text: 4,
    });
    world.run(&Step::Sign {
        at: 0,
        encounter: 0,
    });
    for seed in 0..6 {
        world.settle(seed);
    }
    let digests: Vec<String> = world.devices.iter().map(|d| ok(d.store.digest())).collect();
    assert!(digests.iter().all(|d| *d == digests[0]), "{digests:?}");
    let vet = world.vet.clone();
    let encounter = world.encounters[0];
    let shown = ok(world.devices[1]
        .store
        .read(&vet, |rx| rx.encounter(encounter)));
    assert!(shown.signed.is_some());
    assert_eq!(
        shown.soap,
        SoapInput::default(),
        "the signature froze the text device 0 had"
    );
    assert_eq!(
        ok(world.devices[2]
            .store
            .read(&vet, |rx| rx.conflicts(Some(encounter))))
        .len(),
        2
    );
}
