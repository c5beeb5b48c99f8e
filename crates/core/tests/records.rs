//! The clinic's services through core's public API, on a real encrypted store:
//! validation, roles, booking clashes, signing and addenda, audit chain, search.

mod common;

use common::{ann_and_bella, client, clinic, dog, monday_morning, ok, replica, sync_into};
use rusqlite::params;
use time::Duration;
use vetdesk_core::services::encounters::{PrescriptionInput, Resolution, SoapInput};
use vetdesk_core::services::schedule::{BookingInput, Status};
use vetdesk_core::sources::ManualClock;
use vetdesk_core::{Error, Permission, Store};

fn booking(
    c: &common::Clinic,
    patient: uuid::Uuid,
    owner: uuid::Uuid,
    start_min: i64,
    len_min: i64,
) -> BookingInput {
    let start = monday_morning() + Duration::minutes(start_min);
    BookingInput {
        patient_id: patient,
        client_id: owner,
        vet_id: c.vet.staff_id,
        room_id: None,
        starts_at: start,
        ends_at: start + Duration::minutes(len_min),
        kind: "consultation".into(),
        reason: Some("itchy ears".into()),
        force: false,
        type_id: None,
    }
}

#[test]
fn a_patient_needs_an_owner_and_valid_fields() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let desk = c.front_desk.clone();
    let no_owner = c
        .store
        .transact(&desk, |tx| tx.create_patient(&dog("Bella"), &[]));
    assert!(
        matches!(
            no_owner,
            Err(Error::Invalid {
                field: "owners",
                ..
            })
        ),
        "{no_owner:?}"
    );

    let owner = ok(c
        .store
        .transact(&desk, |tx| tx.create_client(&client("Ann", "Ng"))));
    let mut bad = dog("Bella");
    bad.species = "dragon".into();
    let refused = c
        .store
        .transact(&desk, |tx| tx.create_patient(&bad, &[owner]));
    assert_eq!(
        refused.map_err(|e| e.to_string()).err().as_deref(),
        Some(
            "species: \"dragon\" is not one of: dog, cat, rabbit, guinea_pig, hamster, ferret, bird, reptile, horse, cattle, other"
        )
    );
    let bella = ok(c
        .store
        .transact(&desk, |tx| tx.create_patient(&dog("Bella"), &[owner])));
    let negative = c
        .store
        .transact(&desk, |tx| tx.record_weight(bella, -2.0, None));
    assert!(matches!(
        negative,
        Err(Error::Invalid {
            field: "weight",
            ..
        })
    ));
    ok(c.store
        .transact(&desk, |tx| tx.record_weight(bella, 12.4, None)));

    let patient = ok(c.store.read(&desk, |rx| rx.patient(bella)));
    assert_eq!(patient.owners.len(), 1);
    assert_eq!(patient.owners[0].name, "Ann Ng");
    assert!(patient.owners[0].primary);
    assert_eq!(
        ok(c.store.read(&desk, |rx| rx.weights(bella)))
            .iter()
            .map(|w| w.kg)
            .collect::<Vec<_>>(),
        [12.4]
    );
    // Nothing of the refused calls was written.
    assert_eq!(ok(c.store.counts()), (1, 1));
}

#[test]
fn double_booking_is_refused_unless_forced_and_the_force_is_audited() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let desk = c.front_desk.clone();
    let (owner, bella) = ann_and_bella(&mut c.store, &desk);
    let first = booking(&c, bella, owner, 0, 30);
    ok(c.store.transact(&desk, |tx| tx.book(&first)));

    let overlapping = booking(&c, bella, owner, 15, 30);
    let refused = c.store.transact(&desk, |tx| tx.book(&overlapping));
    assert!(
        matches!(
            refused,
            Err(Error::DoubleBooked {
                resource: "vet",
                ..
            })
        ),
        "{refused:?}"
    );

    let back_to_back = booking(&c, bella, owner, 30, 30);
    ok(c.store.transact(&desk, |tx| tx.book(&back_to_back)));

    let forced = BookingInput {
        force: true,
        ..overlapping
    };
    ok(c.store.transact(&desk, |tx| tx.book(&forced)));
    let day = ok(c.store.read(&desk, |rx| {
        rx.appointments_between(monday_morning(), monday_morning() + Duration::days(1))
    }));
    assert_eq!(day.len(), 3);
    assert_eq!(day.iter().filter(|a| a.forced).count(), 1);
    let audited = ok(vetdesk_core::audit::recent(
        c.store_conn(),
        Some("appointment.book.forced"),
        10,
    ));
    assert_eq!(audited.len(), 1);

    let backwards = BookingInput {
        ends_at: first.starts_at - Duration::minutes(5),
        ..first.clone()
    };
    let refused = c.store.transact(&desk, |tx| tx.book(&backwards));
    assert!(matches!(
        refused,
        Err(Error::Invalid {
            field: "ends at",
            ..
        })
    ));

    // The day's moves: check in → exam → done; a done visit cannot be a no-show.
    let id = day[0].id;
    for next in [Status::CheckedIn, Status::InExam, Status::Done] {
        ok(c.store
            .transact(&desk, |tx| tx.set_appointment_status(id, next)));
    }
    let late = c
        .store
        .transact(&desk, |tx| tx.set_appointment_status(id, Status::NoShow));
    assert!(matches!(late, Err(Error::NotAllowedNow(_))));
}

#[test]
fn roles_are_enforced_in_core_and_refusals_are_audited() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (desk, nurse, vet, owner) = (
        c.front_desk.clone(),
        c.nurse.clone(),
        c.vet.clone(),
        c.owner.clone(),
    );
    let (_, bella) = ann_and_bella(&mut c.store, &desk);

    // Front desk may not open or read clinical notes.
    let opened = c
        .store
        .transact(&desk, |tx| tx.start_encounter(bella, None));
    assert!(matches!(opened, Err(Error::Forbidden { .. })), "{opened:?}");
    let encounter = ok(c
        .store
        .transact(&nurse, |tx| tx.start_encounter(bella, None)));
    ok(c.store.transact(&nurse, |tx| {
        tx.update_soap(
            encounter,
            &SoapInput {
                subjective: Some("Scratching left ear for 3 days".into()),
                ..Default::default()
            },
        )
    }));
    let read = c.store.read(&desk, |rx| rx.encounter(encounter));
    assert!(matches!(read, Err(Error::Forbidden { .. })));
    // …but sees that the visit happened, on the timeline.
    assert_eq!(
        ok(c.store.read(&desk, |rx| rx.encounter_timeline(bella))).len(),
        1
    );

    // Only a vet signs or prescribes; only an admin manages staff.
    let signed = c.store.transact(&nurse, |tx| tx.sign_encounter(encounter));
    assert!(matches!(signed, Err(Error::Forbidden { .. })));
    let signed = c.store.transact(&owner, |tx| tx.sign_encounter(encounter));
    assert!(matches!(signed, Err(Error::Forbidden { .. })));
    let rx = PrescriptionInput {
        encounter_id: encounter,
        drug: "Otomax".into(),
        dose: 4.0,
        unit: "drop".into(),
        route: "otic".into(),
        frequency: "twice daily".into(),
        duration_days: 7,
        quantity: 1.0,
        ..Default::default()
    };
    assert!(matches!(
        c.store.transact(&nurse, |tx| tx.prescribe(&rx)),
        Err(Error::Forbidden { .. })
    ));
    ok(c.store.transact(&vet, |tx| tx.prescribe(&rx)));
    let staffing = c.store.transact(&vet, |tx| {
        tx.add_staff(
            "New Person",
            vetdesk_core::Roles::new([vetdesk_core::Role::Vet]),
            "9999",
        )
    });
    assert!(
        matches!(staffing, Err(Error::Forbidden { action, .. }) if action == Permission::ManageStaff.as_str())
    );

    let denied = ok(vetdesk_core::audit::recent(
        c.store_conn(),
        Some("denied"),
        50,
    ));
    assert_eq!(denied.len(), 6, "{denied:#?}");
    assert!(
        denied.iter().any(
            |e| e.actor_id == desk.staff_id.to_string() && e.entity_id == "read clinical notes"
        )
    );
    assert!(ok(c.store.verify_audit()).is_intact());
}

/// Reads go through one door (`Store::read` / `Tx::read`): each states its
/// permission, a refusal is `Forbidden` and audited like a refused write, and a read
/// refused inside a write refuses the write.
#[test]
fn a_refused_read_is_forbidden_and_audited_and_refuses_the_write_around_it() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (desk, vet, owner) = (c.front_desk.clone(), c.vet.clone(), c.owner.clone());
    let (_, bella) = ann_and_bella(&mut c.store, &desk);
    let encounter = ok(c.store.transact(&vet, |tx| tx.start_encounter(bella, None)));
    let denied_of = |c: &common::Clinic, who: &vetdesk_core::Actor, what: Permission| {
        ok(vetdesk_core::audit::recent(
            c.store_conn(),
            Some("denied"),
            100,
        ))
        .iter()
        .filter(|e| e.actor_id == who.staff_id.to_string() && e.entity_id == what.as_str())
        .count()
    };

    // The audit log and the owner's dashboard are admins'; refused and recorded.
    let log = c.store.read(&desk, |rx| rx.audit_log(None, 10));
    assert!(
        matches!(&log, Err(Error::Forbidden { action, .. }) if *action == Permission::ViewAudit.as_str()),
        "{log:?}"
    );
    assert_eq!(denied_of(&c, &desk, Permission::ViewAudit), 1);
    let dashboard = c.store.read(&vet, |rx| rx.day_stats(&[]));
    assert!(
        matches!(dashboard, Err(Error::Forbidden { .. })),
        "{dashboard:?}"
    );
    assert_eq!(denied_of(&c, &vet, Permission::ManageClinic), 1);

    // The chart shows every role the animal and its visits, clinical roles more.
    let desk_chart = ok(c.store.read(&desk, |rx| rx.patient_chart(bella)));
    assert_eq!(desk_chart.timeline.len(), 1);
    assert!(desk_chart.prescriptions.is_none());
    let vet_chart = ok(c.store.read(&vet, |rx| rx.patient_chart(bella)));
    assert_eq!(vet_chart.prescriptions, Some(Vec::new()));
    assert_eq!(desk_chart.patient, vet_chart.patient);

    // A write that reads what its author may not read is refused whole and audited.
    let before = ok(c.store.read(&desk, |rx| rx.search("Zed", 5))).len();
    let refused = c.store.transact(&desk, |tx| {
        tx.create_client(&client("Zed", "Quill"))?;
        tx.read().encounter(encounter)
    });
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    assert_eq!(
        ok(c.store.read(&desk, |rx| rx.search("Zed", 5))).len(),
        before
    );
    assert_eq!(denied_of(&c, &desk, Permission::ReadClinical), 1);

    // Permitted reads are unchanged, and one read sees one snapshot.
    let (visit, timeline) = ok(c.store.read(&vet, |rx| {
        Ok((rx.encounter(encounter)?, rx.encounter_timeline(bella)?))
    }));
    assert_eq!(timeline[0].id, visit.id);
    assert_eq!(
        ok(c.store.read(&owner, |rx| rx.audit_log(Some("denied"), 10))).len(),
        3
    );
    assert!(ok(c.store.verify_audit()).is_intact());
}

#[test]
fn staff_switch_by_pin_and_a_wrong_pin_is_refused_and_audited() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let vet = ok(c.store.sign_in("dr vera vet", "2222"));
    assert_eq!(vet.staff_id, c.vet.staff_id);
    assert!(vet.can(Permission::SignEncounter));
    assert!(matches!(
        c.store.sign_in("Dr Vera Vet", "0000"),
        Err(Error::WrongPin)
    ));
    assert!(matches!(
        c.store.sign_in("Nobody", "2222"),
        Err(Error::NotFound { .. })
    ));
    let failed = ok(vetdesk_core::audit::recent(
        c.store_conn(),
        Some("auth.failed"),
        10,
    ));
    assert_eq!(failed.len(), 1);
    // Five wrong PINs in a row pause sign-in, even with the right PIN, for five minutes.
    for _ in 0..4 {
        c.clock.advance_ms(1_000);
        assert!(matches!(
            c.store.sign_in("Dr Vera Vet", "0000"),
            Err(Error::WrongPin)
        ));
    }
    let paused = c.store.sign_in("Dr Vera Vet", "2222");
    assert!(
        matches!(&paused, Err(Error::NotAllowedNow(m)) if m.contains("too many wrong PINs")),
        "{paused:?}"
    );
    c.clock.advance_ms(5 * 60 * 1000);
    ok(c.store.sign_in("Dr Vera Vet", "2222"));
    let owner = c.owner.clone();
    // Deactivating is an admin act: the vet's sign-in ended the owner's confirmation.
    assert!(matches!(
        c.store
            .transact(&owner, |tx| tx.deactivate_staff(c.vet.staff_id)),
        Err(Error::SecondFactorRequired(_))
    ));
    common::confirm_second_factor(&mut c.store, &owner, &c.owner_secret);
    ok(c.store
        .transact(&owner, |tx| tx.deactivate_staff(c.vet.staff_id)));
    assert!(matches!(
        c.store.sign_in("Dr Vera Vet", "2222"),
        Err(Error::NotAllowedNow(_))
    ));
}

#[test]
fn a_signed_encounter_is_frozen_and_changes_become_addenda() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let vet = c.vet.clone();
    let (_, bella) = ann_and_bella(&mut c.store, &vet);
    let encounter = ok(c.store.transact(&vet, |tx| tx.start_encounter(bella, None)));
    let soap = SoapInput {
        subjective: Some("Scratching left ear".into()),
        assessment: Some("Otitis externa, left".into()),
        plan: Some("Otomax twice daily for 7 days".into()),
        ..Default::default()
    };
    ok(c.store
        .transact(&vet, |tx| tx.update_soap(encounter, &soap)));
    let hash = ok(c.store.transact(&vet, |tx| tx.sign_encounter(encounter)));
    assert_eq!(hash.len(), 64);

    let edit = c
        .store
        .transact(&vet, |tx| tx.update_soap(encounter, &SoapInput::default()));
    assert!(matches!(edit, Err(Error::EncounterSigned(_))), "{edit:?}");
    let again = c.store.transact(&vet, |tx| tx.sign_encounter(encounter));
    assert!(matches!(again, Err(Error::EncounterSigned(_))));
    ok(c.store.transact(&vet, |tx| {
        tx.add_addendum(encounter, "Owner called: improving")
    }));

    let seen = ok(c.store.read(&vet, |rx| rx.encounter(encounter)));
    assert_eq!(seen.soap, soap);
    assert_eq!(seen.signed.map(|s| s.content_hash), Some(hash));
    assert_eq!(seen.addenda.len(), 1);
}

/// Device A (a clinic) and device B (its replica, on its own clock), with an open
/// encounter made on A that B has not heard of yet.
struct Visit {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    a: common::Clinic,
    b: Store,
    clock_b: ManualClock,
    vet: vetdesk_core::Actor,
    encounter: uuid::Uuid,
}

fn open_visit_on_two_devices() -> Visit {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = clinic(dirs.0.path());
    let clock_b = ManualClock::at(monday_morning());
    let b = replica(&mut a.store, &a.owner, dirs.1.path(), clock_b.clone());
    let vet = a.vet.clone();
    let (_, bella) = ann_and_bella(&mut a.store, &vet);
    let encounter = ok(a.store.transact(&vet, |tx| tx.start_encounter(bella, None)));
    Visit {
        _dirs: dirs,
        a,
        b,
        clock_b,
        vet,
        encounter,
    }
}

#[test]
fn a_concurrent_edit_of_a_signed_encounter_becomes_a_conflict_the_vet_resolves() {
    let Visit {
        _dirs,
        mut a,
        mut b,
        clock_b,
        vet,
        encounter,
    } = open_visit_on_two_devices();
    let draft = SoapInput {
        assessment: Some("Otitis externa".into()),
        ..Default::default()
    };
    ok(a.store
        .transact(&vet, |tx| tx.update_soap(encounter, &draft)));
    sync_into(&a.store, &mut b);

    // Offline, device B's nurse edits the draft while device A's vet signs it.
    a.clock.advance_ms(1_000);
    clock_b.advance_ms(2_000);
    let nurse = a.nurse.clone();
    ok(b.transact(&nurse, |tx| {
        tx.update_soap(
            encounter,
            &SoapInput {
                assessment: Some("Otitis externa; also check right ear".into()),
                ..Default::default()
            },
        )
    }));
    ok(a.store.transact(&vet, |tx| tx.sign_encounter(encounter)));
    sync_into(&b, &mut a.store);
    sync_into(&a.store, &mut b);

    for store in [&mut a.store, &mut b] {
        let seen = ok(store.read(&vet, |rx| rx.encounter(encounter)));
        assert_eq!(
            seen.soap.assessment.as_deref(),
            Some("Otitis externa"),
            "the signed text stays"
        );
        let conflicts = ok(store.read(&vet, |rx| rx.conflicts(Some(encounter))));
        assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
        assert_eq!(
            conflicts[0].other_value,
            "Otitis externa; also check right ear"
        );
    }
    assert_eq!(ok(a.store.digest()), ok(b.digest()));

    let conflict = ok(a.store.read(&vet, |rx| rx.conflicts(Some(encounter)))).remove(0);
    ok(a.store.transact(&vet, |tx| {
        tx.resolve_conflict(&conflict, Resolution::MakeAddendum)
    }));
    assert!(ok(a.store.read(&vet, |rx| rx.conflicts(Some(encounter)))).is_empty());
    let seen = ok(a.store.read(&vet, |rx| rx.encounter(encounter)));
    assert_eq!(seen.addenda.len(), 1);
    assert!(seen.addenda[0].text.contains("also check right ear"));
}

#[test]
fn a_losing_concurrent_edit_of_a_draft_is_kept_as_a_conflict_not_dropped() {
    let Visit {
        _dirs,
        mut a,
        mut b,
        clock_b,
        vet,
        encounter,
    } = open_visit_on_two_devices();
    sync_into(&a.store, &mut b);

    a.clock.advance_ms(1_000);
    clock_b.advance_ms(5_000);
    let plan = |text: &str| SoapInput {
        plan: Some(text.into()),
        ..Default::default()
    };
    ok(a.store.transact(&vet, |tx| {
        tx.update_soap(encounter, &plan("Recheck in 2 weeks"))
    }));
    ok(b.transact(&vet, |tx| {
        tx.update_soap(encounter, &plan("Recheck in 10 days"))
    }));
    sync_into(&a.store, &mut b);
    sync_into(&b, &mut a.store);

    let visible = ok(a.store.read(&vet, |rx| rx.encounter(encounter)))
        .soap
        .plan;
    assert_eq!(
        visible.as_deref(),
        Some("Recheck in 10 days"),
        "the later edit wins"
    );
    let conflicts = ok(a.store.read(&vet, |rx| rx.conflicts(None)));
    assert_eq!(
        conflicts
            .iter()
            .map(|c| c.other_value.as_str())
            .collect::<Vec<_>>(),
        ["Recheck in 2 weeks"]
    );
    assert_eq!(ok(b.read(&vet, |rx| rx.conflicts(None))), conflicts);

    // A later edit by someone who saw both is not a conflict.
    a.clock.advance_ms(10_000);
    ok(a.store.transact(&vet, |tx| {
        tx.resolve_conflict(&conflicts[0], Resolution::TakeOther)
    }));
    assert!(ok(a.store.read(&vet, |rx| rx.conflicts(None))).is_empty());
    assert_eq!(
        ok(a.store.read(&vet, |rx| rx.encounter(encounter)))
            .soap
            .plan
            .as_deref(),
        Some("Recheck in 2 weeks")
    );
    sync_into(&a.store, &mut b);
    assert!(ok(b.read(&vet, |rx| rx.conflicts(None))).is_empty());
    assert_eq!(ok(a.store.digest()), ok(b.digest()));
}

#[test]
fn the_audit_chain_detects_tampering() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let desk = c.front_desk.clone();
    ok(c.store
        .transact(&desk, |tx| tx.create_client(&client("Ann", "Ng"))));
    let intact = ok(c.store.verify_audit());
    assert!(intact.is_intact(), "{intact:?}");
    assert!(intact.events >= 5);

    ok(c.store_conn().execute(
        "UPDATE audit_events SET actor_id = ?1 WHERE action = 'client.create'",
        params![c.owner.staff_id.to_string()],
    ));
    let broken = ok(c.store.verify_audit());
    assert_eq!(broken.problems.len(), 1, "{broken:?}");
    assert!(broken.problems[0].problem.contains("do not match its hash"));

    ok(c.store_conn()
        .execute("DELETE FROM audit_events WHERE chain_index = 1", []));
    let gap = ok(c.store.verify_audit());
    assert!(
        gap.problems.iter().any(|p| p.problem.contains("missing")),
        "{gap:?}"
    );
}

#[test]
fn search_finds_clients_and_patients_by_prefix_without_accents() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let desk = c.front_desk.clone();
    let zoe = ok(c
        .store
        .transact(&desk, |tx| tx.create_client(&client("Zoë", "Müller"))));
    let mut chip = dog("Biscuit");
    chip.microchip = Some("985112003456789".into());
    ok(c.store
        .transact(&desk, |tx| tx.create_patient(&chip, &[zoe])));
    ok(c.store
        .transact(&desk, |tx| tx.create_client(&client("Zachary", "Ng"))));

    // Sorted: which of two equally good hits comes first is not the point here.
    let titles = |store: &mut Store, q: &str| -> Vec<String> {
        let mut titles: Vec<String> = ok(store.read(&desk, |rx| rx.search(q, 10)))
            .into_iter()
            .map(|h| h.title)
            .collect();
        titles.sort();
        titles
    };
    assert_eq!(titles(&mut c.store, "zoe"), ["Zoë Müller"]);
    assert_eq!(
        titles(&mut c.store, "mull"),
        ["Biscuit", "Zoë Müller"],
        "a patient is found by its owner's surname"
    );
    assert_eq!(titles(&mut c.store, "bisc"), ["Biscuit"]);
    assert_eq!(titles(&mut c.store, "98511200"), ["Biscuit"]);
    assert_eq!(
        titles(&mut c.store, "zachary@example.com"),
        ["Zachary Ng"],
        "by email"
    );
    assert_eq!(titles(&mut c.store, "z"), ["Zachary Ng", "Zoë Müller"]);
    assert_eq!(titles(&mut c.store, "7946 0958").len(), 2);
    assert_eq!(
        titles(&mut c.store, "zoe\" OR \"x").len(),
        0,
        "quotes are text, not query syntax"
    );

    // Renames and deletions show at once.
    let mut renamed = client("Zoë", "Miller");
    renamed.email = None;
    ok(c.store
        .transact(&desk, |tx| tx.update_client(zoe, &renamed)));
    assert_eq!(titles(&mut c.store, "mull"), Vec::<String>::new());
    assert_eq!(titles(&mut c.store, "mill"), ["Biscuit", "Zoë Miller"]);
}

#[test]
fn the_clock_stays_monotonic_across_restarts_even_if_the_wall_clock_goes_back() {
    let dir = ok(tempfile::tempdir());
    let c = clinic(dir.path());
    let before = ok(c.store.last_hlc());
    drop(c);
    let mut store = ok(Store::open(
        dir.path(),
        &vetdesk_core::Unlock::with_passphrase(common::PASSPHRASE),
    ));
    let yesterday = ManualClock::at(monday_morning() - Duration::days(1));
    store.set_time_source(std::sync::Arc::new(yesterday));
    let owner = ok(store.sign_in("Olivia Owner", "1111"));
    ok(store.transact(&owner, |tx| tx.create_client(&client("Ann", "Ng"))));
    let after = ok(store.last_hlc());
    assert!(after > before, "{after} after {before}");
    assert_eq!(
        after.millis(),
        before.millis(),
        "the clock waits for the wall clock to catch up"
    );
}

#[test]
fn a_remote_clock_too_far_ahead_is_held_and_reported_not_adopted() {
    let dir_a = ok(tempfile::tempdir());
    let dir_b = ok(tempfile::tempdir());
    let mut a = clinic(dir_a.path());
    let clock_b = ManualClock::at(monday_morning());
    let mut b = replica(&mut a.store, &a.owner, dir_b.path(), clock_b.clone());
    // A's clock runs two days fast.
    a.clock.advance_ms(2 * 24 * 3600 * 1000);
    let desk = a.front_desk.clone();
    ok(a.store
        .transact(&desk, |tx| tx.create_client(&client("Ann", "Ng"))));
    let before = ok(b.last_hlc());

    let report = sync_into(&a.store, &mut b);
    assert!(!report.clock_skew.is_empty(), "{report:?}");
    assert!(
        report
            .clock_skew
            .iter()
            .all(|s| s.ahead_ms > 24 * 3600 * 1000)
    );
    assert_eq!(
        ok(b.last_hlc()).millis(),
        before.millis().max(ok(b.last_hlc()).millis())
    );
    assert!(
        ok(b.last_hlc()).millis()
            < common::monday_morning().unix_timestamp() as u64 * 1000 + 3_600_000
    );
    assert_eq!(
        ok(b.counts()).0,
        0,
        "nothing from the skewed changeset was applied"
    );
    assert!(ok(b.held_changesets()) > 0);
    assert!(!ok(b.clock_skew_reports()).is_empty());

    // When B's clock catches up, the held changesets apply.
    clock_b.advance_ms(2 * 24 * 3600 * 1000);
    let report = ok(b.apply(&[]));
    assert!(report.clock_skew.is_empty());
    assert_eq!(ok(b.counts()).0, 1);
    assert_eq!(ok(b.held_changesets()), 0);
    assert!(
        ok(b.clock_skew_reports()).is_empty(),
        "the warning goes once the skew is gone"
    );
}

impl common::Clinic {
    fn store_conn(&self) -> &rusqlite::Connection {
        self.store.connection_for_tests()
    }
}

#[test]
fn two_devices_booking_the_same_slot_offline_both_keep_it_and_the_clash_shows() {
    let Visit {
        _dirs,
        mut a,
        mut b,
        clock_b,
        vet,
        ..
    } = open_visit_on_two_devices();
    let owner_and_pet = |store: &mut Store| {
        let hit = ok(store.read(&vet, |rx| rx.search("bella", 1))).remove(0);
        let pet = ok(store.read(&vet, |rx| rx.patient(hit.id)));
        (pet.owners[0].client_id, hit.id)
    };
    sync_into(&a.store, &mut b);
    let (owner, bella) = owner_and_pet(&mut a.store);
    let slot = booking(&a, bella, owner, 60, 30);
    clock_b.advance_ms(10);
    ok(a.store.transact(&vet, |tx| tx.book(&slot)));
    ok(b.transact(&vet, |tx| tx.book(&slot)));
    sync_into(&a.store, &mut b);
    sync_into(&b, &mut a.store);
    let day = (monday_morning(), monday_morning() + Duration::days(1));
    for store in [&mut a.store, &mut b] {
        assert_eq!(
            ok(store.read(&vet, |rx| rx.appointments_between(day.0, day.1))).len(),
            2,
            "neither booking is lost"
        );
        let clashes = ok(store.read(&vet, |rx| rx.booking_clashes(day.0, day.1)));
        assert_eq!(clashes.len(), 1, "{clashes:?}");
        assert_eq!(
            (clashes[0].resource.as_str(), clashes[0].forced),
            ("vet", false)
        );
    }
}

#[test]
fn applying_is_idempotent_and_what_this_build_cannot_read_is_quarantined_not_dropped() {
    use vetdesk_core::{Change, Changeset, Op, Value};
    let Visit {
        _dirs, a, mut b, ..
    } = open_visit_on_two_devices();
    let everything = ok(a.store.outgoing(0, usize::MAX));
    let first = ok(b.apply(&everything));
    assert_eq!(first.applied, everything.len());
    let digest = ok(b.digest());
    let again = ok(b.apply(&everything));
    assert_eq!((again.applied, again.skipped), (0, everything.len()));
    assert_eq!(ok(b.digest()), digest, "a second delivery changes nothing");

    // A changeset from A once it runs a newer build: a table and a column this build
    // does not know, a value of the wrong type, and one change it understands.
    let client = uuid::Uuid::now_v7();
    let newer = Changeset {
        device: a.store.device_id(),
        seq: 10_000,
        schema_version: 99,
        hlc: ok(b.last_hlc()).to_bytes(),
        author: Some(a.vet.staff_id),
        changes: vec![
            Change {
                table: "loyalty_points".into(),
                row: uuid::Uuid::now_v7(),
                op: Op::Insert(vec![("points".into(), Value::Int(5))]),
            },
            Change {
                table: "clients".into(),
                row: client,
                op: Op::Insert(vec![
                    ("first_name".into(), Value::text("Nia")),
                    ("last_name".into(), Value::text("Okoro")),
                    ("deleted".into(), Value::Int(0)),
                    ("favourite_treat".into(), Value::text("cheese")),
                ]),
            },
            Change {
                table: "clients".into(),
                row: client,
                op: Op::Set {
                    column: "consent_sms".into(),
                    value: Value::text("yes please"),
                    base: None,
                },
            },
            Change {
                table: "weights".into(),
                row: uuid::Uuid::now_v7(),
                op: Op::Set {
                    column: "kg".into(),
                    value: Value::Real(3.0),
                    base: None,
                },
            },
        ],
    };
    let report = ok(b.apply(&[ok(a.store.sign_as_this_device(newer))]));
    assert_eq!((report.applied, report.quarantined), (1, 4), "{report:?}");
    let vet = a.vet.clone();
    let hits = ok(b.read(&vet, |rx| rx.search("okoro", 5)));
    assert_eq!(hits.len(), 1, "the columns it knows were applied");
    let kept: i64 = ok(b.connection_for_tests().query_row(
        "SELECT count(*) FROM quarantined_changes",
        [],
        |r| r.get(0),
    ));
    assert_eq!(kept, 4, "and everything it could not apply is kept");
}

#[test]
fn the_exam_opens_only_for_a_checked_in_patient_and_reopens_the_same_encounter() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (ann, bella) = ann_and_bella(&mut c.store, &c.front_desk);
    let nine = booking(&c, bella, ann, 0, 30);
    let appointment = ok(c.store.transact(&c.front_desk, |tx| tx.book(&nine)));

    let early = c.store.transact(&c.vet, |tx| tx.open_exam(appointment));
    assert!(matches!(early, Err(Error::NotAllowedNow(_))), "{early:?}");
    ok(c.store.transact(&c.front_desk, |tx| {
        tx.set_appointment_status(appointment, Status::CheckedIn)
    }));
    let refused = c
        .store
        .transact(&c.front_desk, |tx| tx.open_exam(appointment));
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );

    let encounter = ok(c.store.transact(&c.vet, |tx| tx.open_exam(appointment)));
    let again = ok(c.store.transact(&c.vet, |tx| tx.open_exam(appointment)));
    assert_eq!(encounter, again, "opening twice is the same exam");
    let shown = ok(c.store.read(&c.vet, |rx| rx.encounter(encounter)));
    assert_eq!(
        (shown.patient_id, shown.appointment_id, shown.vet_id),
        (bella, Some(appointment), Some(c.vet.staff_id))
    );
    let day = ok(c.store.read(&c.vet, |rx| {
        rx.appointments_between(monday_morning(), monday_morning() + Duration::days(1))
    }));
    assert_eq!(day[0].status, Status::InExam);
}

#[test]
fn the_owner_sees_each_days_bookings_visits_and_no_shows_and_filters_the_audit_log() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (ann, bella) = ann_and_bella(&mut c.store, &c.front_desk);
    let mut book = |start_min: i64| {
        let input = booking(&c, bella, ann, start_min, 30);
        ok(c.store.transact(&c.front_desk, |tx| tx.book(&input)))
    };
    let (seen, missed, called_off) = (book(0), book(60), book(120));
    book(24 * 60);
    for (id, status) in [
        (seen, Status::CheckedIn),
        (missed, Status::NoShow),
        (called_off, Status::Cancelled),
    ] {
        ok(c.store
            .transact(&c.front_desk, |tx| tx.set_appointment_status(id, status)));
    }
    let encounter = ok(c.store.transact(&c.vet, |tx| tx.open_exam(seen)));
    ok(c.store.transact(&c.vet, |tx| tx.sign_encounter(encounter)));
    let day = |n: i64| {
        let from = monday_morning() - Duration::hours(9) + Duration::days(n);
        (from, from + Duration::days(1))
    };

    let stats = ok(c
        .store
        .read(&c.owner, |rx| rx.day_stats(&[day(0), day(1), day(2)])));
    let counts: Vec<_> = stats
        .iter()
        .map(|s| (s.booked, s.seen, s.no_shows, s.cancelled, s.signed_visits))
        .collect();
    assert_eq!(counts, [(3, 1, 1, 1, 1), (1, 0, 0, 0, 0), (0, 0, 0, 0, 0)]);
    let refused = c.store.read(&c.vet, |rx| rx.day_stats(&[day(0)]));
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );

    // The audit log by actor and action prefix, by entity, and by time.
    let filter = vetdesk_core::audit::AuditFilter {
        actor_id: Some(c.front_desk.staff_id.to_string()),
        action_prefix: Some("appointment.".into()),
        limit: 100,
        ..Default::default()
    };
    let desk = ok(c.store.read(&c.owner, |rx| rx.audit_search(&filter)));
    assert_eq!(
        desk.len(),
        4 + 3,
        "4 bookings and 3 status changes: {desk:?}"
    );
    assert!(
        desk.iter()
            .all(|e| e.actor_id == c.front_desk.staff_id.to_string())
    );
    let signed = ok(c.store.read(&c.owner, |rx| {
        rx.audit_search(&vetdesk_core::audit::AuditFilter {
            entity: Some("encounter".into()),
            entity_id: Some(encounter.to_string()),
            limit: 100,
            ..Default::default()
        })
    }));
    assert!(
        signed.iter().any(|e| e.action == "encounter.sign")
            && signed.iter().all(|e| e.entity_id == encounter.to_string()),
        "{signed:?}"
    );
    let later = ok(c.store.read(&c.owner, |rx| {
        rx.audit_search(&vetdesk_core::audit::AuditFilter {
            from: Some(vetdesk_core::write::rfc3339(
                monday_morning() + Duration::days(30),
            )),
            limit: 100,
            ..Default::default()
        })
    }));
    assert!(later.is_empty(), "{later:?}");
    let refused = c.store.read(&c.vet, |rx| rx.audit_search(&filter));
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
}

/// A stored id damaged on disk is reported as damage, naming the value — not read as a
/// nil id, not dropped from the list.
#[test]
fn a_damaged_stored_id_is_reported_as_damage_not_read_as_a_nil_id() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    ok(c.store.connection_for_tests().execute(
        "UPDATE staff SET id = 'not-an-id' WHERE name = 'Fred Desk'",
        [],
    ));
    match c.store.read(&c.owner, |rx| rx.staff()) {
        Err(Error::DamagedValue { what, value }) => {
            assert_eq!((what, value.as_str()), ("staff id", "not-an-id"));
        }
        other => panic!("{other:?}"),
    }
}
