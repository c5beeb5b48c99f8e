//! Helpers shared by core's cross-module tests: a clinic with staff on a settable
//! clock, and replicas of it on other "devices".

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use time::OffsetDateTime;
use vetdesk_core::services::clients::{ClientInput, PatientInput};
use vetdesk_core::sources::ManualClock;
use vetdesk_core::{Actor, KeyProtection, Role, Roles, Store};
use zeroize::Zeroizing;

pub const PASSPHRASE: &str = "long enough passphrase";

pub fn protection() -> KeyProtection {
    KeyProtection::Passphrase(Zeroizing::new(PASSPHRASE.to_string()))
}

/// 2026-11-22 09:00 UTC.
pub fn monday_morning() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_795_338_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub struct Clinic {
    pub store: Store,
    pub clock: ManualClock,
    pub owner: Actor,
    /// The owner's authenticator secret (enrolled at set-up; admin acts need it).
    pub owner_secret: String,
    pub vet: Actor,
    pub nurse: Actor,
    pub front_desk: Actor,
}

pub fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// A clinic with an owner (admin), a vet, a nurse and a front-desk member.
pub fn clinic(dir: &Path) -> Clinic {
    let clock = ManualClock::at(monday_morning());
    let mut store = ok(Store::create(
        dir,
        "Riverside Vets",
        protection(),
        monday_morning(),
    ));
    store.set_time_source(Arc::new(clock.clone()));
    let owner = ok(store.bootstrap_owner("Olivia Owner", vec![], "1111"));
    let owner_secret = enroll_second_factor(&mut store, &owner);
    let mut add = |name: &str, role: Role| -> Actor {
        let id = ok(store.transact(&owner, |tx| tx.add_staff(name, Roles::new([role]), "2222")));
        Actor {
            staff_id: id,
            name: name.into(),
            roles: Roles::new([role]),
        }
    };
    let vet = add("Dr Vera Vet", Role::Vet);
    let nurse = add("Nina Nurse", Role::Nurse);
    let front_desk = add("Fred Desk", Role::FrontDesk);
    Clinic {
        store,
        clock,
        owner,
        owner_secret,
        vet,
        nurse,
        front_desk,
    }
}

/// Enrolls an authenticator for `actor` as the app does (the QR code's secret, then the
/// code it shows now); returns the secret. Their second factor then stands confirmed.
pub fn enroll_second_factor(store: &mut Store, actor: &Actor) -> String {
    let setup = ok(store.begin_second_factor(actor));
    let code = code_now(store, &setup.secret);
    ok(store.finish_second_factor(actor, &setup.secret, &code));
    setup.secret
}

/// The code `secret`'s authenticator shows at `store`'s time.
pub fn code_now(store: &Store, secret: &str) -> String {
    let secret = ok(vetdesk_core::second_factor::TotpSecret::parse(secret));
    ok(vetdesk_core::second_factor::code_at(&secret, store.now()))
}

/// Confirms `actor`'s second factor on `store` with the code of its current step (each
/// step's code is accepted once: the clock must have moved on since the last).
pub fn confirm_second_factor(store: &mut Store, actor: &Actor, secret: &str) {
    let code = code_now(store, secret);
    ok(store.confirm_second_factor(actor, &code));
}

/// Another device of the same clinic, on its own clock, admitted by `admin` on `of`
/// (its key in the membership log, the clinic key sealed to it) as an approval does.
pub fn replica(of: &mut Store, admin: &Actor, dir: &Path, clock: ManualClock) -> Store {
    replica_as(of, admin, dir, clock, false)
}

/// As [`replica`]; `manages`: admitted as a device that manages the clinic's devices.
pub fn replica_as(
    of: &mut Store,
    admin: &Actor,
    dir: &Path,
    clock: ManualClock,
    manages: bool,
) -> Store {
    let status = ok(of.status());
    let id = ok(uuid::Uuid::parse_str(&status.clinic_id));
    let mut store = ok(Store::join(
        dir,
        id,
        &status.clinic_name,
        protection(),
        monday_morning(),
    ));
    store.set_time_source(Arc::new(clock));
    let public_key = ok(store.device_public_key());
    let (key_id, sealed) =
        ok(of.admit_device(admin, store.device_id(), &public_key, None, manages));
    ok(store.accept_sealed_clinic_key(key_id, &sealed));
    store
}

/// Gives `to` every changeset of `from` (as sync will).
pub fn sync_into(from: &Store, to: &mut Store) -> vetdesk_core::ApplyReport {
    let changesets = ok(from.outgoing(0, usize::MAX));
    ok(to.apply(&changesets))
}

pub fn client(first: &str, last: &str) -> ClientInput {
    ClientInput {
        first_name: first.into(),
        last_name: last.into(),
        phone: Some("+44 20 7946 0958".into()),
        email: Some(format!("{}@example.com", first.to_lowercase())),
        ..Default::default()
    }
}

/// `N` empty folders for stores, removed when dropped.
pub fn dirs<const N: usize>() -> [tempfile::TempDir; N] {
    std::array::from_fn(|_| ok(tempfile::tempdir()))
}

/// A change inserting a new row of `table` with `values`, as a device crafts one.
pub fn insert_row(table: &str, values: Vec<(&str, vetdesk_core::Value)>) -> vetdesk_core::Change {
    vetdesk_core::Change {
        table: table.into(),
        row: uuid::Uuid::now_v7(),
        op: vetdesk_core::Op::Insert(
            values
                .into_iter()
                .map(|(c, v)| (c.to_string(), v))
                .collect(),
        ),
    }
}

pub fn dog(name: &str) -> PatientInput {
    PatientInput {
        name: name.into(),
        species: "dog".into(),
        sex: "female".into(),
        date_of_birth: Some("2019-05-01".into()),
        ..Default::default()
    }
}

/// Registers Ann Ng and her dog Bella; returns (client, patient).
pub fn ann_and_bella(store: &mut Store, actor: &Actor) -> (uuid::Uuid, uuid::Uuid) {
    let ann = ok(store.transact(actor, |tx| tx.create_client(&client("Ann", "Ng"))));
    let bella = ok(store.transact(actor, |tx| tx.create_patient(&dog("Bella"), &[ann])));
    (ann, bella)
}

/// Ann Ng's dog Bella in an open (draft) encounter with the clinic's vet; returns
/// (patient, encounter).
pub fn bella_in_exam(c: &mut Clinic) -> (uuid::Uuid, uuid::Uuid) {
    let (_, bella) = ann_and_bella(&mut c.store, &c.vet);
    let encounter = ok(c
        .store
        .transact(&c.vet, |tx| tx.start_encounter(bella, None)));
    (bella, encounter)
}

/// A changeset of `device`'s (seq `seq`), written for `author` at `millis`, signed by
/// `device`'s own key: a member device with its checks removed.
pub fn hostile(
    device: &Store,
    seq: u64,
    author: uuid::Uuid,
    millis: u64,
    changes: Vec<vetdesk_core::Change>,
) -> vetdesk_core::SignedChangeset {
    let node = vetdesk_core::write::node_of(device.device_id());
    let hlc = ok(vetdesk_core::hlc::Hlc::new(millis, 0, node));
    ok(device.sign_as_this_device(vetdesk_core::Changeset {
        device: device.device_id(),
        seq,
        schema_version: *vetdesk_core::SCHEMA_VERSION,
        hlc: hlc.to_bytes(),
        author: Some(author),
        changes,
    }))
}

/// Why each change `store` set aside was set aside.
pub fn reasons(store: &Store) -> Vec<String> {
    ok(store.set_aside_changes(100))
        .into_iter()
        .map(|c| c.reason)
        .collect()
}
