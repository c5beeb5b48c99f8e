//! The diary set up and kept against a real store: an appointment type that needs the
//! X-ray room makes two patients in one X-ray slot a clash (whoever their vets); a
//! vet's working hours and blocked time refuse a booking unless forced (audited); a
//! weekly series keeps its local time across the change from summer time and is booked
//! whole or not at all; set-up is the admins', blocking time the front desk's; and a
//! replica that merged the set-up refuses the same bookings.

mod common;

use common::{Clinic, ann_and_bella, client, clinic, dog, ok, replica, sync_into};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use vetdesk_core::services::schedule::BookingInput;
use vetdesk_core::services::schedule_setup::{AppointmentTypeInput, BlockInput};
use vetdesk_core::{Error, Store};

/// Monday 23 November 2026, 10:00 in London (GMT).
const MONDAY_10: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

struct Diary {
    xray_room: Uuid,
    xray: Uuid,
}

/// London time; the X-ray room and an "X-ray" type that needs it; the vet works
/// Mondays 09:00–12:30 and 13:30–17:00.
fn set_up(c: &mut Clinic) -> Diary {
    let owner = c.owner.clone();
    let mut settings = ok(c.store.read(&owner, |rx| rx.clinic_settings()));
    settings.time_zone = Some("Europe/London".into());
    ok(c.store
        .transact(&owner, |tx| tx.set_clinic_settings(&settings)));
    let xray_room = ok(c
        .store
        .transact(&owner, |tx| tx.add_resource("X-ray room", "x-ray", "room")));
    let xray = ok(c.store.transact(&owner, |tx| {
        tx.add_appointment_type(&AppointmentTypeInput {
            name: "X-ray".into(),
            minutes: 30,
            colour: "#7a5cff".into(),
            kind: "other".into(),
            resources: vec![xray_room],
        })
    }));
    let vet = c.vet.staff_id;
    ok(c.store.transact(&owner, |tx| {
        tx.set_work_hours(
            vet,
            1,
            &[
                ("09:00".into(), "12:30".into()),
                ("13:30".into(), "17:00".into()),
            ],
        )
    }));
    Diary { xray_room, xray }
}

fn at(vet: Uuid, patient: Uuid, owner: Uuid, starts: OffsetDateTime, minutes: i64) -> BookingInput {
    BookingInput {
        patient_id: patient,
        client_id: owner,
        vet_id: vet,
        room_id: None,
        starts_at: starts,
        ends_at: starts + Duration::minutes(minutes),
        kind: "consultation".into(),
        reason: None,
        force: false,
        type_id: None,
    }
}

/// A second patient with her owner, added by `desk`.
fn max(store: &mut Store, desk: &vetdesk_core::Actor) -> (Uuid, Uuid) {
    ok(store.transact(desk, |tx| {
        let owner = tx.create_client(&client("Bo", "Li"))?;
        let patient = tx.create_patient(&dog("Max"), &[owner])?;
        Ok((owner, patient))
    }))
}

#[test]
fn two_patients_in_one_x_ray_slot_clash_whoever_their_vets() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let diary = set_up(&mut c);
    let desk = c.front_desk.clone();
    let vet = c.vet.staff_id;
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    let (bo, max) = max(&mut c.store, &desk);
    let owner = c.owner.clone();
    let second_vet = ok(c.store.transact(&owner, |tx| {
        tx.add_staff(
            "Dr Sam Second",
            vetdesk_core::Roles::new([vetdesk_core::Role::Vet]),
            "3333",
        )
    }));

    let first = BookingInput {
        type_id: Some(diary.xray),
        ..at(vet, bella, ann, MONDAY_10, 30)
    };
    let id = ok(c.store.transact(&desk, |tx| tx.book(&first)));
    let second = BookingInput {
        vet_id: second_vet,
        type_id: Some(diary.xray),
        ..at(vet, max, bo, MONDAY_10 + Duration::minutes(15), 30)
    };
    let refused = c.store.transact(&desk, |tx| tx.book(&second));
    assert!(
        matches!(
            &refused,
            Err(Error::DoubleBooked {
                resource: "room or equipment",
                other,
                ..
            }) if *other == id.to_string()
        ),
        "{refused:?}"
    );
    // Booking Max into the X-ray room as his room clashes the same way.
    let as_room = BookingInput {
        vet_id: second_vet,
        room_id: Some(diary.xray_room),
        ..at(vet, max, bo, MONDAY_10, 30)
    };
    assert!(matches!(
        c.store.transact(&desk, |tx| tx.book(&as_room)),
        Err(Error::DoubleBooked {
            resource: "room",
            ..
        })
    ));
    // Forced on purpose: booked, and the day board shows the clash.
    ok(c.store.transact(&desk, |tx| {
        tx.book(&BookingInput {
            force: true,
            ..second.clone()
        })
    }));
    let day = (
        MONDAY_10 - Duration::hours(10),
        MONDAY_10 + Duration::hours(14),
    );
    let clashes = ok(c.store.read(&desk, |rx| rx.booking_clashes(day.0, day.1)));
    assert_eq!(clashes.len(), 1, "{clashes:?}");
    assert_eq!(clashes[0].resource, "room or equipment");
    assert!(clashes[0].forced);
    let booked = ok(c
        .store
        .read(&desk, |rx| rx.appointments_between(day.0, day.1)));
    assert!(booked.iter().all(|a| a.resources == [diary.xray_room]));
    assert!(booked.iter().all(|a| a.kind == "other"), "the type's kind");
}

#[test]
fn working_hours_and_blocked_time_refuse_a_booking_unless_forced() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let diary = set_up(&mut c);
    let desk = c.front_desk.clone();
    let vet = c.vet.staff_id;
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    let book = |c: &mut Clinic, input: &BookingInput| c.store.transact(&desk, |tx| tx.book(input));

    // Inside a span: booked. Across lunch, before opening, on a Sunday: refused.
    ok(book(
        &mut c,
        &at(vet, bella, ann, datetime!(2026-11-23 09:00 UTC), 30),
    ));
    for (starts, says) in [
        (datetime!(2026-11-23 12:15 UTC), "12:30"),
        (datetime!(2026-11-23 08:30 UTC), "09:00–12:30"),
        (datetime!(2026-11-22 10:00 UTC), "does not work on that day"),
    ] {
        let refused = book(&mut c, &at(vet, bella, ann, starts, 30));
        match refused {
            Err(Error::OutsideHours(message)) => assert!(message.contains(says), "{message}"),
            other => panic!("{starts}: {other:?}"),
        }
    }
    // Forced: booked, flagged and audited.
    let forced = ok(book(
        &mut c,
        &BookingInput {
            force: true,
            ..at(vet, bella, ann, datetime!(2026-11-23 12:45 UTC), 30)
        },
    ));
    let day = (
        datetime!(2026-11-23 00:00 UTC),
        datetime!(2026-11-24 00:00 UTC),
    );
    let booked = ok(c
        .store
        .read(&desk, |rx| rx.appointments_between(day.0, day.1)));
    assert!(booked.iter().any(|a| a.id == forced && a.forced));
    let owner = c.owner.clone();
    let audit = ok(c.store.read(&owner, |rx| {
        rx.audit_log(Some("appointment.book.outside_hours"), 10)
    }));
    assert_eq!(audit.len(), 1, "{audit:?}");

    // The day board greys what is outside the vet's hours.
    let windows = ok(c.store.read(&desk, |rx| rx.working_windows(day.0, day.1)));
    let spans: Vec<(i64, i64)> = windows
        .iter()
        .map(|w| (w.starts_at_ms, w.ends_at_ms))
        .collect();
    let ms = |t: OffsetDateTime| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    assert_eq!(
        spans,
        [
            (
                ms(datetime!(2026-11-23 09:00 UTC)),
                ms(datetime!(2026-11-23 12:30 UTC))
            ),
            (
                ms(datetime!(2026-11-23 13:30 UTC)),
                ms(datetime!(2026-11-23 17:00 UTC))
            ),
        ]
    );

    // A meeting blocks the vet; the X-ray room out of service blocks X-rays only; a
    // clinic holiday blocks everyone. The front desk blocks time; admins set it up.
    let block = |c: &mut Clinic, staff, resource, from, kind: &str| {
        c.store.transact(&desk, |tx| {
            tx.add_block(&BlockInput {
                staff_id: staff,
                resource_id: resource,
                starts_at: from,
                ends_at: from + Duration::hours(1),
                kind: kind.into(),
                reason: "practice meeting".into(),
            })
        })
    };
    let vet = c.vet.staff_id;
    ok(block(
        &mut c,
        Some(vet),
        None,
        datetime!(2026-11-23 14:00 UTC),
        "meeting",
    ));
    ok(block(
        &mut c,
        None,
        Some(diary.xray_room),
        datetime!(2026-11-23 15:00 UTC),
        "out_of_service",
    ));
    ok(block(
        &mut c,
        None,
        None,
        datetime!(2026-11-23 16:00 UTC),
        "holiday",
    ));
    let cases = [
        (datetime!(2026-11-23 14:30 UTC), None, "meeting"),
        (
            datetime!(2026-11-23 15:00 UTC),
            Some(diary.xray),
            "out of service",
        ),
        (datetime!(2026-11-23 16:15 UTC), None, "holiday"),
    ];
    for (starts, type_id, says) in cases {
        let refused = book(
            &mut c,
            &BookingInput {
                type_id,
                ..at(vet, bella, ann, starts, 15)
            },
        );
        match refused {
            Err(Error::OutsideHours(message)) => assert!(message.contains(says), "{message}"),
            other => panic!("{starts}: {other:?}"),
        }
    }
    // A plain consultation while the X-ray room is out of service is fine.
    ok(book(
        &mut c,
        &at(vet, bella, ann, datetime!(2026-11-23 15:00 UTC), 15),
    ));

    let typed = c.store.transact(&desk, |tx| {
        tx.add_appointment_type(&AppointmentTypeInput {
            name: "Dental".into(),
            minutes: 60,
            colour: "#00aa00".into(),
            kind: "dental".into(),
            resources: vec![],
        })
    });
    assert!(matches!(typed, Err(Error::Forbidden { .. })), "{typed:?}");
    let hours = c.store.transact(&desk, |tx| tx.set_work_hours(vet, 2, &[]));
    assert!(matches!(hours, Err(Error::Forbidden { .. })), "{hours:?}");
}

#[test]
fn set_up_is_checked_field_by_field() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    let vet = c.vet.staff_id;
    let good = AppointmentTypeInput {
        name: "Vaccination".into(),
        minutes: 15,
        colour: "#33aa77".into(),
        kind: "vaccination".into(),
        resources: vec![],
    };
    for (bad, field) in [
        (
            AppointmentTypeInput {
                minutes: 0,
                ..good.clone()
            },
            "minutes",
        ),
        (
            AppointmentTypeInput {
                colour: "teal".into(),
                ..good.clone()
            },
            "colour",
        ),
        (
            AppointmentTypeInput {
                kind: "spa".into(),
                ..good.clone()
            },
            "kind",
        ),
        (
            AppointmentTypeInput {
                resources: vec![Uuid::from_u128(7)],
                ..good.clone()
            },
            "resources",
        ),
        (
            AppointmentTypeInput {
                name: " ".into(),
                ..good.clone()
            },
            "name",
        ),
    ] {
        let refused = c.store.transact(&owner, |tx| tx.add_appointment_type(&bad));
        assert!(
            matches!(&refused, Err(Error::Invalid { field: f, .. }) if *f == field),
            "{field}: {refused:?}"
        );
    }
    for spans in [
        vec![("09:00".to_string(), "08:00".to_string())],
        vec![
            ("09:00".into(), "13:00".into()),
            ("12:00".into(), "17:00".into()),
        ],
        vec![("9am".into(), "5pm".into())],
    ] {
        assert!(
            c.store
                .transact(&owner, |tx| tx.set_work_hours(vet, 1, &spans))
                .is_err(),
            "{spans:?}"
        );
    }
    assert!(
        c.store
            .transact(&owner, |tx| tx.set_work_hours(vet, 8, &[]))
            .is_err()
    );
    assert!(
        c.store
            .transact(&owner, |tx| tx.add_resource(
                "Probe",
                "ultrasound",
                "gadget"
            ))
            .is_err()
    );
    // Hours replaced, not added to: the second call's spans are the day's.
    ok(c.store.transact(&owner, |tx| {
        tx.set_work_hours(vet, 3, &[("08:00".into(), "12:00".into())])
    }));
    ok(c.store.transact(&owner, |tx| {
        tx.set_work_hours(vet, 3, &[("10:00".into(), "18:00".into())])
    }));
    let hours = ok(c.store.read(&owner, |rx| rx.work_hours()));
    let wednesday: Vec<(&str, &str)> = hours
        .iter()
        .filter(|h| h.weekday == 3)
        .map(|h| (h.starts.as_str(), h.ends.as_str()))
        .collect();
    assert_eq!(wednesday, [("10:00", "18:00")]);
}

#[test]
fn a_weekly_series_keeps_its_local_time_and_is_booked_whole_or_not_at_all() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    set_up(&mut c);
    let desk = c.front_desk.clone();
    let vet = c.vet.staff_id;
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    // Monday 12 October 2026, 10:00 in London (summer time, 09:00 UTC); the clocks go
    // back on the 25th.
    let first = at(vet, bella, ann, datetime!(2026-10-12 09:00 UTC), 30);
    let ids = ok(c.store.transact(&desk, |tx| tx.book_series(&first, 1, 3)));
    assert_eq!(ids.len(), 3);
    let weeks = (
        datetime!(2026-10-01 00:00 UTC),
        datetime!(2026-11-01 00:00 UTC),
    );
    let booked = ok(c
        .store
        .read(&desk, |rx| rx.appointments_between(weeks.0, weeks.1)));
    let starts: Vec<i64> = booked.iter().map(|a| a.starts_at_ms / 1000).collect();
    assert_eq!(
        starts,
        [
            datetime!(2026-10-12 09:00 UTC).unix_timestamp(),
            datetime!(2026-10-19 09:00 UTC).unix_timestamp(),
            datetime!(2026-10-26 10:00 UTC).unix_timestamp(),
        ],
        "10:00 London time each week"
    );
    let series = booked[0].series_id;
    assert!(series.is_some() && booked.iter().all(|a| a.series_id == series));

    // A second series that would clash on its third date books nothing.
    let (bo, max) = max(&mut c.store, &desk);
    let before = booked.len();
    let clashing = at(
        vet,
        max,
        bo,
        datetime!(2026-10-12 09:00 UTC) - Duration::weeks(2),
        30,
    );
    let refused = c
        .store
        .transact(&desk, |tx| tx.book_series(&clashing, 2, 3));
    match refused {
        Err(Error::OutsideHours(message)) => {
            assert!(message.contains("appointment 2 of 3"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let wide = (
        datetime!(2026-09-01 00:00 UTC),
        datetime!(2026-12-01 00:00 UTC),
    );
    let after = ok(c
        .store
        .read(&desk, |rx| rx.appointments_between(wide.0, wide.1)));
    assert_eq!(
        after.len(),
        before,
        "nothing of the refused series was booked"
    );
    assert!(
        c.store
            .transact(&desk, |tx| tx.book_series(&first, 1, 60))
            .is_err()
    );
}

#[test]
fn a_replica_that_merged_the_set_up_refuses_the_same_bookings() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut c = clinic(dirs.0.path());
    let diary = set_up(&mut c);
    let desk = c.front_desk.clone();
    let vet = c.vet.staff_id;
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    let owner = c.owner.clone();
    let mut b = replica(&mut c.store, &owner, dirs.1.path(), c.clock.clone());
    sync_into(&c.store, &mut b);
    ok(b.transact(&desk, |tx| {
        tx.book(&BookingInput {
            type_id: Some(diary.xray),
            ..at(vet, bella, ann, MONDAY_10, 30)
        })
    }));
    let (bo, max) = max(&mut b, &desk);
    let refused = b.transact(&desk, |tx| {
        tx.book(&BookingInput {
            type_id: Some(diary.xray),
            ..at(vet, max, bo, MONDAY_10, 30)
        })
    });
    assert!(
        matches!(refused, Err(Error::DoubleBooked { .. })),
        "{refused:?}"
    );
    let closed = b.transact(&desk, |tx| {
        tx.book(&at(vet, bella, ann, datetime!(2026-11-22 10:00 UTC), 30))
    });
    assert!(matches!(closed, Err(Error::OutsideHours(_))), "{closed:?}");
    sync_into(&b, &mut c.store);
    assert_eq!(ok(c.store.digest()), ok(b.digest()));
}

#[test]
fn the_clinic_s_pattern_shows_on_its_weekday_and_is_set_by_admins() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let diary = set_up(&mut c);
    let (owner, desk) = (c.owner.clone(), c.front_desk.clone());
    let refused = c.store.transact(&desk, |tx| {
        tx.add_slot_template(1, "09:00", "12:00", diary.xray, None)
    });
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    let bad = c.store.transact(&owner, |tx| {
        tx.add_slot_template(1, "12:00", "09:00", diary.xray, None)
    });
    assert!(
        matches!(bad, Err(Error::Invalid { field: "ends", .. })),
        "{bad:?}"
    );
    let template = ok(c.store.transact(&owner, |tx| {
        tx.add_slot_template(1, "09:00", "12:00", diary.xray, None)
    }));
    // Monday 23 November in London: 09:00–12:00 GMT; nothing on the Tuesday.
    let monday = ok(c.store.read(&desk, |rx| {
        rx.template_slots(
            datetime!(2026-11-23 00:00 UTC),
            datetime!(2026-11-25 00:00 UTC),
        )
    }));
    assert_eq!(monday.len(), 1, "{monday:?}");
    assert_eq!(
        (monday[0].starts_at_ms / 1000, monday[0].ends_at_ms / 1000),
        (
            datetime!(2026-11-23 09:00 UTC).unix_timestamp(),
            datetime!(2026-11-23 12:00 UTC).unix_timestamp()
        )
    );
    assert_eq!((monday[0].type_id, monday[0].staff_id), (diary.xray, None));
    ok(c.store
        .transact(&owner, |tx| tx.remove_slot_template(template)));
    let none = ok(c.store.read(&desk, |rx| {
        rx.template_slots(
            datetime!(2026-11-23 00:00 UTC),
            datetime!(2026-11-24 00:00 UTC),
        )
    }));
    assert!(none.is_empty());
}

/// A hostile front-desk device (a member with its checks removed) writes the diary's
/// and the stock's set-up in the front desk's name: honest devices refuse what only
/// admins or stock-keepers may write, apply the block the front desk may make, and
/// still agree.
#[test]
fn a_hostile_front_desk_device_cannot_set_the_diary_or_the_stock_up() {
    use common::{hostile, insert_row, reasons};
    use vetdesk_core::Value;
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = clinic(dirs.0.path());
    let owner = a.owner.clone();
    let mut b = replica(&mut a.store, &owner, dirs.1.path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    let desk = a.front_desk.staff_id;
    let vet = a.vet.staff_id.to_string();
    let text = |s: &str| Value::text(s);
    let changes = vec![
        insert_row(
            "appointment_types",
            vec![
                ("name", text("Free X-rays")),
                ("minutes", Value::Int(30)),
                ("deleted", Value::Int(0)),
            ],
        ),
        insert_row(
            "work_hours",
            vec![
                ("staff_id", text(&vet)),
                ("weekday", Value::Int(1)),
                ("starts", text("00:00")),
                ("ends", text("24:00")),
                ("deleted", Value::Int(0)),
            ],
        ),
        insert_row(
            "rooms",
            vec![
                ("name", text("Ghost scanner")),
                ("category", text("equipment")),
                ("deleted", Value::Int(0)),
            ],
        ),
        insert_row(
            "purchase_orders",
            vec![
                ("number", text("PO-FORGED-1")),
                ("status", text("ordered")),
                ("deleted", Value::Int(0)),
            ],
        ),
        insert_row(
            "catalog_price_changes",
            vec![
                ("item_id", text(&Uuid::now_v7().to_string())),
                ("price_cents", Value::Int(1)),
                ("changed_by", text(&desk.to_string())),
            ],
        ),
        // Blocking time is the front desk's work: this one stands.
        insert_row(
            "schedule_blocks",
            vec![
                ("staff_id", text(&vet)),
                ("starts_at", Value::Int(1_795_338_000_000)),
                ("ends_at", Value::Int(1_795_341_600_000)),
                ("kind", text("meeting")),
                ("created_by", text(&desk.to_string())),
                ("deleted", Value::Int(0)),
            ],
        ),
    ];
    let millis = ok(a.store.last_hlc()).millis() + 1;
    let attack = hostile(&b, 10_000, desk, millis, changes);
    let report = ok(a.store.apply(std::slice::from_ref(&attack)));
    assert_eq!((report.applied, report.quarantined), (1, 5), "{report:?}");
    let why = reasons(&a.store);
    for refused in [
        "could not manage the clinic",
        "could not manage stock",
        "could not change products",
    ] {
        assert!(
            why.iter().any(|r| r.contains(refused)),
            "{refused:?} not in {why:?}"
        );
    }
    let reader = a.owner.clone();
    assert!(ok(a.store.read(&reader, |rx| rx.appointment_types())).is_empty());
    assert!(ok(a.store.read(&reader, |rx| rx.work_hours())).is_empty());
    assert!(ok(a.store.read(&reader, |rx| rx.resources())).is_empty());
    assert!(ok(a.store.read(&reader, |rx| rx.purchase_orders())).is_empty());
    let day = (
        datetime!(2026-11-22 00:00 UTC),
        datetime!(2026-11-23 00:00 UTC),
    );
    assert_eq!(
        ok(a.store.read(&reader, |rx| rx.blocks_between(day.0, day.1))).len(),
        1
    );
    sync_into(&a.store, &mut b);
}
