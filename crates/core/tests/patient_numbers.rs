//! Patient numbers (issue 17, requirement 5) on real encrypted stores: two devices
//! adding patients offline number them from their own series and never collide; a
//! number finds its patient in search; a patient from before numbers gets one when next
//! saved or when an admin numbers them all; and a hostile device cannot hand out
//! numbers from another device's series.

mod common;

use common::{client, clinic, dirs, dog, hostile, ok, reasons, replica, sync_into};
use vetdesk_core::search::HitKind;
use vetdesk_core::{Change, Error, Op, Store, Value};

fn number_of(store: &mut Store, reader: &vetdesk_core::roles::Actor, id: uuid::Uuid) -> String {
    ok(store.read(reader, |rx| rx.patient(id)))
        .number
        .unwrap_or_else(|| panic!("patient {id} has no number"))
}

#[test]
fn two_devices_offline_number_patients_apart_and_a_number_finds_its_patient() {
    let dirs = dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let owner = a.owner.clone();
    let desk = a.front_desk.clone();
    let mut b = replica(&mut a.store, &owner, dirs[1].path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    a.clock.advance_ms(1_000);

    // Offline, each front desk registers three animals for one new client.
    let mut made = Vec::new();
    for store in [&mut a.store, &mut b] {
        let ann = ok(store.transact(&desk, |tx| tx.create_client(&client("Ann", "Ng"))));
        for name in ["Bella", "Rex", "Tom"] {
            made.push(ok(
                store.transact(&desk, |tx| tx.create_patient(&dog(name), &[ann]))
            ));
        }
    }
    sync_into(&a.store, &mut b);
    sync_into(&b, &mut a.store);

    let numbers: Vec<String> = made
        .iter()
        .map(|id| number_of(&mut a.store, &desk, *id))
        .collect();
    let code_a = vetdesk_billing::numbering::register_code(a.store.device_id());
    let code_b = vetdesk_billing::numbering::register_code(b.device_id());
    assert_ne!(code_a, code_b);
    assert_eq!(
        numbers,
        vec![
            format!("{code_a}-1"),
            format!("{code_a}-2"),
            format!("{code_a}-3"),
            format!("{code_b}-1"),
            format!("{code_b}-2"),
            format!("{code_b}-3"),
        ]
    );
    // Every device sees the same numbers.
    for (id, number) in made.iter().zip(&numbers) {
        assert_eq!(&number_of(&mut b, &desk, *id), number);
    }

    // Typed at the front desk, a number finds its animal first.
    let hits = ok(a.store.read(&desk, |rx| rx.search(&numbers[4], 5)));
    let first = hits
        .first()
        .unwrap_or_else(|| panic!("no hit for {}", numbers[4]));
    assert_eq!((first.kind, first.id), (HitKind::Patient, made[4]));
}

#[test]
fn a_patient_from_before_numbers_gets_one_when_saved_or_numbered_by_an_admin() {
    let [dir] = dirs::<1>();
    let mut c = clinic(dir.path());
    let desk = c.front_desk.clone();
    let owner = c.owner.clone();
    let ann = ok(c
        .store
        .transact(&desk, |tx| tx.create_client(&client("Ann", "Ng"))));
    let bella = ok(c
        .store
        .transact(&desk, |tx| tx.create_patient(&dog("Bella"), &[ann])));
    let rex = ok(c
        .store
        .transact(&desk, |tx| tx.create_patient(&dog("Rex"), &[ann])));
    let tom = ok(c
        .store
        .transact(&desk, |tx| tx.create_patient(&dog("Tom"), &[ann])));
    // As a store upgraded from before numbers has them: those two without a number,
    // and the series as migration 27 finds it from the numbers stored.
    ok(c.store.connection_for_tests().execute(
        "UPDATE patients SET number = NULL WHERE id IN (?1, ?2)",
        [rex.to_string(), tom.to_string()],
    ));
    ok(c.store.connection_for_tests().execute_batch(
        "DELETE FROM number_series WHERE prefix LIKE 'patient:%';
         INSERT INTO number_series (prefix, last_seq)
         SELECT 'patient:' || rtrim(number, '0123456789'),
                max(CAST(substr(number, length(rtrim(number, '0123456789')) + 1) AS INTEGER))
         FROM patients WHERE number IS NOT NULL GROUP BY 1;",
    ));
    let code = vetdesk_billing::numbering::register_code(c.store.device_id());

    // Saved, Rex takes the next of the series (after Bella's 1 and Tom's old 3, gone).
    let mut renamed = dog("Rex");
    renamed.colour = Some("brown".into());
    ok(c.store
        .transact(&desk, |tx| tx.update_patient(rex, &renamed)));
    assert_eq!(number_of(&mut c.store, &desk, rex), format!("{code}-2"));

    // Numbering all is an admin act; it numbers only those without one.
    let refused = c.store.transact(&desk, |tx| tx.number_all_patients());
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    assert_eq!(
        ok(c.store.transact(&owner, |tx| tx.number_all_patients())),
        1
    );
    assert_eq!(number_of(&mut c.store, &desk, tom), format!("{code}-3"));
    assert_eq!(number_of(&mut c.store, &desk, bella), format!("{code}-1"));
    assert_eq!(
        ok(c.store.transact(&owner, |tx| tx.number_all_patients())),
        0
    );
}

#[test]
fn a_hostile_device_cannot_number_patients_from_another_devices_series() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let owner = a.owner.clone();
    let desk = a.front_desk.clone();
    let b = replica(&mut a.store, &owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &owner, dirs[2].path(), a.clock.clone());
    let ann = ok(a
        .store
        .transact(&desk, |tx| tx.create_client(&client("Ann", "Ng"))));
    let bella = ok(a
        .store
        .transact(&desk, |tx| tx.create_patient(&dog("Bella"), &[ann])));
    sync_into(&a.store, &mut c);
    let taken = number_of(&mut a.store, &desk, bella);
    a.clock.advance_ms(60_000);

    // B, its checks gone, gives a patient of its own A's number, and renumbers Bella
    // into A's series too.
    let stolen = common::insert_row(
        "patients",
        vec![
            ("name", Value::text("Impostor")),
            ("species", Value::text("dog")),
            ("deleted", Value::Int(0)),
            ("number", Value::text(taken.clone())),
        ],
    );
    let renumber = Change {
        table: "patients".into(),
        row: bella,
        op: Op::Set {
            column: "number".into(),
            value: Value::text(format!("{}-99", &taken[..6])),
            base: None,
        },
    };
    let attack = hostile(
        &b,
        10_000,
        desk.staff_id,
        a.store.now().unix_timestamp() as u64 * 1000,
        vec![stolen, renumber],
    );
    for honest in [&mut a.store, &mut c] {
        ok(honest.apply(std::slice::from_ref(&attack)));
        assert_eq!(number_of(honest, &desk, bella), taken);
        let why = reasons(honest);
        assert_eq!(
            why.iter()
                .filter(|r| r.contains("no device numbers from another's series"))
                .count(),
            2,
            "{why:?}"
        );
    }
}
