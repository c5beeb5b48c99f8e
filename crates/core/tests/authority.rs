//! Authority replicated, not assumed (issue 14, requirement 3), from the attacker's side:
//! a member device whose own checks are gone signs changes for a staff member who may
//! not make them, back-dates or alters a signature, or acts before a role was given or
//! after it was taken. Every honest device refuses the same changes, applies the rest,
//! and ends with the same records; a change that only arrived before the grant that
//! allows it applies once the grant comes.

mod common;

use common::{ann_and_bella, clinic, dirs, hostile, insert_row, ok, reasons, replica, sync_into};
use uuid::Uuid;
use vetdesk_core::roles::{Actor, Role, Roles};
use vetdesk_core::{Change, Op, Store, Value};

fn set(table: &str, row: Uuid, column: &str, value: Value) -> Change {
    Change {
        table: table.into(),
        row,
        op: Op::Set {
            column: column.into(),
            value,
            base: None,
        },
    }
}

fn snapshot(encounter: Uuid, content: &str, hash: &str, signer: Uuid) -> Change {
    insert_row(
        "encounter_snapshots",
        vec![
            ("encounter_id", Value::text(encounter.to_string())),
            ("content", Value::text(content)),
            ("content_hash", Value::text(hash)),
            ("signed_by", Value::text(signer.to_string())),
            ("signed_at", Value::text("2026-12-01T09:00:00Z")),
        ],
    )
}

/// A snapshot's hash as core makes it: SHA-256 of the content, in hex.
fn snapshot_hash(content: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(content.as_bytes()))
}

fn roles_of(store: &mut Store, reader: &Actor, staff: Uuid) -> String {
    ok(store.read(reader, |rx| rx.staff()))
        .into_iter()
        .find(|s| s.id == staff)
        .map(|s| s.roles.to_stored())
        .unwrap_or_default()
}

fn now_ms(store: &Store) -> u64 {
    ok(store.last_hlc()).millis() + 1
}

#[test]
fn a_front_desk_author_cannot_sign_prescribe_promote_reset_a_pin_or_keep_audio_forever() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &a.owner, dirs[2].path(), a.clock.clone());
    let (_, bella) = ann_and_bella(&mut a.store, &a.front_desk);
    let vet = a.vet.clone();
    let encounter = ok(a.store.transact(&vet, |tx| tx.start_encounter(bella, None)));
    sync_into(&a.store, &mut b);
    sync_into(&a.store, &mut c);

    // B turns hostile and writes, in the front desk's name, what only others may.
    let desk = a.front_desk.staff_id;
    let content = r#"{"subjective":"forged","objective":null,"assessment":null,"plan":null}"#;
    let hash = snapshot_hash(content);
    let kept_client = insert_row(
        "clients",
        vec![
            ("last_name", Value::text("Kept")),
            ("deleted", Value::Int(0)),
        ],
    );
    let changes = vec![
        snapshot(encounter, content, &hash, desk),
        insert_row(
            "prescriptions",
            vec![
                ("encounter_id", Value::text(encounter.to_string())),
                ("drug", Value::text("ketamine")),
                ("deleted", Value::Int(0)),
            ],
        ),
        set("staff", desk, "roles", Value::text("admin")),
        set("staff", a.owner.staff_id, "pin_hash", Value::text("$known")),
        set("staff", a.vet.staff_id, "active", Value::Int(0)),
        insert_row(
            "controlled_register",
            vec![
                ("item_id", Value::text(Uuid::now_v7().to_string())),
                ("kind", Value::text("dispense")),
                ("quantity_milli", Value::Int(-1000)),
                ("recorded_by", Value::text(desk.to_string())),
            ],
        ),
        set(
            "clinic",
            ok(a.store.clinic_id()),
            "name",
            Value::text("Evil"),
        ),
        kept_client,
    ];
    let attack = hostile(&b, 10_000, desk, now_ms(&a.store), changes);
    for store in [&mut a.store, &mut c] {
        let report = ok(store.apply(std::slice::from_ref(&attack)));
        assert_eq!((report.applied, report.quarantined), (1, 7), "{report:?}");
        let reasons = reasons(store);
        for refused in [
            "could not sign encounters",
            "could not prescribe",
            "could not manage staff",
            "could not dispense controlled drugs",
            "could not manage the clinic",
        ] {
            assert!(
                reasons.iter().any(|r| r.contains(refused)),
                "{refused:?} not in {reasons:?}"
            );
        }
        assert_eq!(roles_of(store, &a.owner, desk), "front_desk");
        assert_eq!(roles_of(store, &a.owner, a.vet.staff_id), "vet");
    }
    // Nothing forged shows; the owner's PIN still works; the clinic is itself.
    let vet = a.vet.clone();
    let shown = ok(a.store.read(&vet, |rx| rx.encounter(encounter)));
    assert!(shown.signed.is_none(), "{shown:?}");
    assert!(a.store.sign_in("Olivia Owner", "1111").is_ok());
    assert_eq!(ok(a.store.status()).clinic_name, "Riverside Vets");
    sync_into(&a.store, &mut c);
    assert_eq!(ok(a.store.digest()), ok(c.digest()));
}

#[test]
fn a_back_dated_or_altered_signature_is_refused_and_the_real_one_stands() {
    let dirs = dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let (_, bella) = ann_and_bella(&mut a.store, &a.front_desk);
    let vet = a.vet.clone();
    let vet_was_on_staff = now_ms(&a.store);
    a.clock.advance_ms(3_600_000);
    let encounter = ok(a.store.transact(&vet, |tx| tx.start_encounter(bella, None)));
    sync_into(&a.store, &mut b);

    // B, in the vet's own name: a snapshot dated an hour before the visit began (the
    // earliest signature would win), and one whose hash is not its content's.
    let content = r#"{"subjective":"forged","objective":null,"assessment":null,"plan":null}"#;
    let hash = snapshot_hash(content);
    let back_dated = hostile(
        &b,
        10_000,
        vet.staff_id,
        vet_was_on_staff,
        vec![snapshot(encounter, content, &hash, vet.staff_id)],
    );
    let altered = hostile(
        &b,
        10_001,
        vet.staff_id,
        now_ms(&a.store),
        vec![snapshot(encounter, content, &"0".repeat(64), vet.staff_id)],
    );
    let report = ok(a.store.apply(&[back_dated, altered]));
    assert_eq!((report.applied, report.quarantined), (2, 2), "{report:?}");
    let reasons = reasons(&a.store);
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("dated before the encounter")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("hash is not that of its content")),
        "{reasons:?}"
    );
    assert!(
        ok(a.store.read(&vet, |rx| rx.encounter(encounter)))
            .signed
            .is_none()
    );

    // The vet signs for real on A; B shows A's text and signer.
    let soap = vetdesk_core::services::encounters::SoapInput {
        subjective: Some("Bright and alert".into()),
        ..Default::default()
    };
    ok(a.store
        .transact(&vet, |tx| tx.update_soap(encounter, &soap)));
    ok(a.store.transact(&vet, |tx| tx.sign_encounter(encounter)));
    sync_into(&a.store, &mut b);
    let shown = ok(b.read(&vet, |rx| rx.encounter(encounter)));
    assert_eq!(shown.soap.subjective.as_deref(), Some("Bright and alert"));
    let signed = shown.signed.map(|s| s.signed_by);
    assert_eq!(signed, Some(vet.staff_id.to_string()));
}

#[test]
fn authority_goes_by_the_role_history_as_of_each_change() {
    let dirs = dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let (client, _) = ann_and_bella(&mut a.store, &a.front_desk);
    let nurse = a.nurse.staff_id;
    let before_grant = now_ms(&a.store);
    a.clock.advance_ms(60_000);
    let owner = a.owner.clone();
    ok(a.store.transact(&owner, |tx| {
        tx.set_staff_roles(nurse, Roles::new([Role::Nurse, Role::FrontDesk, Role::Vet]))
    }));
    let after_grant = now_ms(&a.store);
    a.clock.advance_ms(60_000);
    ok(a.store.transact(&owner, |tx| {
        tx.set_staff_roles(nurse, Roles::new([Role::Nurse]))
    }));
    let after_removal = now_ms(&a.store) + 1;
    sync_into(&a.store, &mut b);

    // B writes three prescriptions for the nurse: before she was a vet, while she was,
    // and after she no longer was. Only the middle one is hers to write.
    let prescription = |drug: &str| {
        insert_row(
            "prescriptions",
            vec![
                ("drug", Value::text(drug)),
                ("patient_id", Value::text(client.to_string())),
                ("deleted", Value::Int(0)),
            ],
        )
    };
    let batch = [
        hostile(&b, 10_000, nurse, before_grant, vec![prescription("early")]),
        hostile(
            &b,
            10_001,
            nurse,
            after_grant,
            vec![prescription("while a vet")],
        ),
        hostile(&b, 10_002, nurse, after_removal, vec![prescription("late")]),
    ];
    let report = ok(a.store.apply(&batch));
    assert_eq!((report.applied, report.quarantined), (3, 2), "{report:?}");
    let drugs: Vec<String> = {
        let conn = a.store.connection_for_tests();
        let mut stmt = ok(conn.prepare("SELECT drug FROM prescriptions ORDER BY drug"));
        ok(stmt.query_map([], |r| r.get::<_, String>(0)))
            .filter_map(Result::ok)
            .collect()
    };
    assert_eq!(drugs, ["while a vet"]);
}

#[test]
fn a_change_that_arrives_before_the_grant_that_allows_it_applies_when_the_grant_comes() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &a.owner, dirs[2].path(), a.clock.clone());
    let (_, bella) = ann_and_bella(&mut a.store, &a.front_desk);
    sync_into(&a.store, &mut b);
    sync_into(&a.store, &mut c);

    // A hires a locum vet; B hears of it and the locum starts a visit there.
    let owner = a.owner.clone();
    let locum = ok(a.store.transact(&owner, |tx| {
        tx.add_staff("Dr Lou Locum", Roles::new([Role::Vet]), "3333")
    }));
    sync_into(&a.store, &mut b);
    let locum = ok(b.sign_in(&locum.to_string(), "3333"));
    let visit = ok(b.transact(&locum, |tx| tx.start_encounter(bella, None)));

    // C hears from B before it hears from A: the visit waits, then applies.
    let early = sync_into(&b, &mut c);
    assert!(early.quarantined >= 1, "{early:?}");
    let late = sync_into(&a.store, &mut c);
    assert!(late.recovered >= 1, "{late:?}");
    let vet = a.vet.clone();
    assert_eq!(ok(c.read(&vet, |rx| rx.encounter(visit))).patient_id, bella);
    assert!(ok(c.set_aside_changes(100)).is_empty());
    sync_into(&b, &mut a.store);
    assert_eq!(ok(a.store.digest()), ok(c.digest()));
    assert_eq!(ok(b.digest()), ok(c.digest()));
}

#[test]
fn the_store_itself_founds_only_on_the_founding_device() {
    let dirs = dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    // B makes an admin in the store's own name, as only the founding device may.
    let admin = insert_row(
        "staff",
        vec![
            ("name", Value::text("Mallory")),
            ("roles", Value::text("admin")),
            ("active", Value::Int(1)),
            ("deleted", Value::Int(0)),
        ],
    );
    let attack = hostile(&b, 10_000, Uuid::nil(), now_ms(&a.store), vec![admin]);
    let report = ok(a.store.apply(&[attack]));
    assert_eq!(report.quarantined, 1, "{report:?}");
    let owner = a.owner.clone();
    assert!(
        ok(a.store.read(&owner, |rx| rx.staff()))
            .iter()
            .all(|s| s.name != "Mallory")
    );
    assert!(
        reasons(&a.store)
            .iter()
            .any(|r| r.contains("only the founding device")),
        "{:?}",
        reasons(&a.store)
    );
}

#[test]
fn an_approval_stands_when_its_approver_is_later_demoted_and_one_by_the_front_desk_never_counts() {
    let dirs = dirs::<4>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    sync_into(&a.store, &mut b);

    // B, hostile, admits a device of its own in the front desk's name.
    let stranger = ok(Store::create(
        dirs[2].path(),
        "Elsewhere",
        common::protection(),
        common::monday_morning(),
    ));
    let fact = insert_row(
        "device_members",
        vec![
            ("device_id", Value::text(stranger.device_id().to_string())),
            ("event", Value::text("approve")),
            (
                "signing_key",
                Value::Blob(ok(stranger.device_public_key()).to_vec()),
            ),
            ("by_device", Value::text(b.device_id().to_string())),
            ("by_staff", Value::text(a.front_desk.staff_id.to_string())),
        ],
    );
    let desk = a.front_desk.staff_id;
    let attack = hostile(&b, 10_000, desk, now_ms(&a.store), vec![fact]);
    let report = ok(a.store.apply(&[attack]));
    assert_eq!(report.quarantined, 1, "{report:?}");
    assert!(
        ok(a.store.members())
            .iter()
            .all(|m| m.device_id != stranger.device_id())
    );

    // The owner makes the vet an admin too; she admits device D; then she is a vet only.
    let owner = a.owner.clone();
    let vet = a.vet.staff_id;
    ok(a.store.transact(&owner, |tx| {
        tx.set_staff_roles(vet, Roles::new([Role::Admin, Role::Vet]))
    }));
    let vet_admin = vetdesk_core::Actor {
        roles: Roles::new([Role::Admin, Role::Vet]),
        ..a.vet.clone()
    };
    common::enroll_second_factor(&mut a.store, &vet_admin);
    let mut d = replica(&mut a.store, &vet_admin, dirs[3].path(), a.clock.clone());
    ok(a.store.transact(&owner, |tx| {
        tx.set_staff_roles(vet, Roles::new([Role::Vet]))
    }));
    sync_into(&a.store, &mut b);
    sync_into(&a.store, &mut d);
    let desk_actor = a.front_desk.clone();
    ok(d.transact(&desk_actor, |tx| {
        tx.create_client(&common::client("Dee", "Fromd"))
    }));
    for store in [&mut a.store, &mut b] {
        let report = sync_into(&d, store);
        assert_eq!(
            (
                report.refused,
                report.waiting_for_membership,
                report.quarantined
            ),
            (0, 0, 0),
            "{report:?}"
        );
    }
    assert_eq!(ok(a.store.digest()), ok(b.digest()));
}
