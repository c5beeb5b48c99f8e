//! The demo clinic generator and the CSV import, through the real services.

mod common;

use common::{clinic, ok};
use vetdesk_core::demo::{DemoOptions, generate};
use vetdesk_core::{Error, Store};

fn demo_store(dir: &std::path::Path, seed: u64) -> (Store, vetdesk_core::demo::DemoSummary) {
    let mut store = ok(Store::create(
        dir,
        "Demo Vets",
        common::protection(),
        common::monday_morning(),
    ));
    let options = DemoOptions {
        clients: 12,
        seed,
        history_days: 120,
    };
    let mut calls = 0;
    let summary = ok(generate(&mut store, options, &mut |done, total| {
        calls += 1;
        assert!(done <= total);
    }));
    assert_eq!(calls, 12, "progress after every client");
    (store, summary)
}

#[test]
fn the_demo_is_a_realistic_clinic_and_the_same_seed_gives_the_same_clinic() {
    let (a_dir, b_dir, c_dir) = (
        ok(tempfile::tempdir()),
        ok(tempfile::tempdir()),
        ok(tempfile::tempdir()),
    );
    let (mut a, summary) = demo_store(a_dir.path(), 7);
    assert_eq!(summary.clients, 12);
    assert!(summary.patients >= 12, "{summary:?}");
    assert!(
        summary.encounters > 0 && summary.appointments >= summary.encounters,
        "{summary:?}"
    );
    assert_eq!(summary.staff.len(), 6);

    let vet = ok(a.sign_in("Dr James Okafor", vetdesk_core::demo::DEMO_PIN));
    let some_patient = ok(a.read(&vet, |rx| rx.search("a", 50)))
        .into_iter()
        .find(|h| h.kind == vetdesk_core::search::HitKind::Patient)
        .map(|h| h.id);
    assert!(some_patient.is_some(), "patients are searchable");
    assert!(ok(a.verify_audit()).is_intact());

    // A year of billing: every past visit invoiced, its days closed, controlled drugs
    // in their register, the reports over it.
    assert!(
        summary.invoices > 0 && summary.invoices <= summary.encounters,
        "{summary:?}"
    );
    let owner = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let finalized = ok(a.read(&owner, |rx| rx.invoices(None, Some("finalized"), 10_000)));
    assert_eq!(
        finalized.iter().filter(|i| i.kind == "invoice").count() as u64,
        summary.invoices
    );
    assert!(finalized.iter().any(|i| i.paid_cents > 0));
    let by_day = ok(a.read(&owner, |rx| {
        rx.revenue_report(
            vetdesk_core::services::reports::RevenueBy::Day,
            "2000-01-01T00:00:00Z",
            "2100-01-01T00:00:00Z",
        )
    }));
    assert!(by_day.rows.len() > 1, "revenue on several days: {by_day:?}");
    assert!(ok(a.verify_controlled_register()).is_intact());
    let stock = ok(a.read(&owner, |rx| rx.stock_levels()));
    assert!(
        stock.iter().all(|l| l.on_hand_milli >= 0),
        "the demo never oversells"
    );

    let listing = |store: &mut Store| -> Vec<String> {
        let actor = vetdesk_core::Actor {
            staff_id: uuid::Uuid::nil(),
            name: "reader".into(),
            roles: vetdesk_core::Roles::new([vetdesk_core::Role::FrontDesk]),
        };
        ok(store.read(&actor, |rx| rx.search("44", 200)))
            .into_iter()
            .map(|h| format!("{} {} {}", h.id, h.title, h.detail))
            .collect()
    };
    assert_eq!(listing(&mut a).len(), 12, "every client has a +44 phone");
    let (mut b, again) = demo_store(b_dir.path(), 7);
    assert_eq!(again, summary);
    assert_eq!(
        listing(&mut b),
        listing(&mut a),
        "same seed, same clinic (ids included)"
    );
    let (mut c, _) = demo_store(c_dir.path(), 8);
    assert_ne!(listing(&mut c), listing(&mut a));

    let refill = generate(&mut a, DemoOptions::default(), &mut |_, _| {});
    assert!(matches!(refill, Err(Error::NotAllowedNow(_))));
}

#[test]
fn an_import_names_each_bad_row_and_imports_the_good_ones() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let desk = c.front_desk.clone();
    let csv = "\
first_name,last_name,phone,email,patient_name,species,date_of_birth,microchip
Ann,Ng,+44 20 7946 0001,ann@example.com,Bella,dog,2019-05-01,985112003456789
Ann,Ng,+44 20 7946 0001,ann@example.com,Tom,cat,2020-01-01,
Bob,,+44 20 7946 0002,,Rex,dog,,
Cleo,Park,12,,,,,
Dan,Lee,,dan@example,Max,dog,,
Eve,Ray,,,Spot,unicorn,,
Fay,Orr,,,,,,
Gus,Hale,,,Odie,dog,2031-01-01,
";
    let mut progress = Vec::new();
    let report = ok(c
        .store
        .import_clients_csv(&desk, csv.as_bytes(), &mut |done, total| {
            progress.push((done, total))
        }));
    assert_eq!(report.rows, 8);
    assert_eq!((report.clients_created, report.patients_created), (2, 2));
    let rejected: Vec<(u64, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (4, "last name: is required"),
            (5, "phone: has 2 digits; a phone number has 5 to 17"),
            (6, "email: \"dan@example\" is not an email address"),
            (
                7,
                "species: \"unicorn\" is not one of: dog, cat, rabbit, guinea_pig, hamster, ferret, bird, reptile, horse, cattle, other"
            ),
            (9, "date of birth: 2031-01-01 is in the future"),
        ]
    );
    assert_eq!(progress.last(), Some(&(3, 3)));
    assert_eq!(
        ok(c.store.counts()),
        (2, 2),
        "Ann once, with two pets; Fay with none"
    );
}

#[test]
fn an_import_with_a_bad_header_writes_nothing() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let desk = c.front_desk.clone();
    for (csv, says) in [
        ("name,phone\nAnn,123456\n", "first_name"),
        (
            "first_name,last_name,favourite_colour\nAnn,Ng,blue\n",
            "unknown column \"favourite_colour\"",
        ),
    ] {
        let refused = c
            .store
            .import_clients_csv(&desk, csv.as_bytes(), &mut |_, _| {});
        match refused {
            Err(Error::Invalid {
                field: "header",
                message,
            }) => assert!(message.contains(says), "{message}"),
            other => panic!("expected a header error, got {other:?}"),
        }
    }
    let nurse_only = c.nurse.clone();
    assert!(
        c.store
            .import_clients_csv(
                &nurse_only,
                "first_name,last_name\nA,B\n".as_bytes(),
                &mut |_, _| {}
            )
            .is_ok()
    );
    assert_eq!(ok(c.store.counts()), (1, 0));
}
