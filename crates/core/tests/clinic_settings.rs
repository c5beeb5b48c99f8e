//! The clinic's settings (issue 17, requirement 3) on real encrypted stores: an admin sets
//! them (audited, naming what changed), every role reads them, others are refused; bad
//! values are refused with the field named; they reach the other devices by sync, two
//! admins changing different settings offline both keep theirs; and a hostile device
//! that writes a currency or time zone no clinic may use is refused by every honest
//! device alike.

mod common;

use common::{clinic, dirs, hostile, ok, reasons, replica, sync_into};
use vetdesk_core::services::clinic::ClinicSettings;
use vetdesk_core::{Change, Error, Op, Store, Value};

fn settings_of(store: &mut Store, reader: &vetdesk_core::roles::Actor) -> ClinicSettings {
    ok(store.read(reader, |rx| rx.clinic_settings()))
}

fn riverside(mut s: ClinicSettings) -> ClinicSettings {
    s.legal_name = Some("Riverside Veterinary Practice Ltd".into());
    s.address = Some("12 Mill Lane\nYork YO1 7HH".into());
    s.vat_number = Some("GB123456789".into());
    s.registration = Some("RCVS practice 4421".into());
    s.currency = "GBP".into();
    s.default_vat_bp = Some(2000);
    s.payment_terms = Some("Payment due on the day of treatment.".into());
    s.time_zone = Some("Europe/London".into());
    s
}

#[test]
fn an_admin_sets_the_clinic_up_every_role_reads_it_and_the_rest_are_refused() {
    let [dir] = dirs::<1>();
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    let before = settings_of(&mut c.store, &c.front_desk.clone());
    assert_eq!(
        (before.currency.as_str(), before.language.as_str()),
        ("EUR", "en")
    );
    assert_eq!(before.time_zone, None);

    let wanted = riverside(before.clone());
    let changed = ok(c
        .store
        .transact(&owner, |tx| tx.set_clinic_settings(&wanted)));
    assert_eq!(
        changed,
        vec![
            "legal_name",
            "address",
            "vat_number",
            "registration",
            "currency",
            "default_vat_bp",
            "payment_terms",
            "time_zone"
        ]
    );
    // Saving the same again changes nothing and says so.
    let again = ok(c
        .store
        .transact(&owner, |tx| tx.set_clinic_settings(&wanted)));
    assert!(again.is_empty(), "{again:?}");

    let read = settings_of(&mut c.store, &c.vet.clone());
    assert_eq!(read, wanted);
    assert_eq!(read.issuer(), "Riverside Veterinary Practice Ltd");
    assert_eq!(read.currency().format(1250), "£12.50");

    let event = ok(c.store.read(&owner, |rx| {
        rx.audit_search(&vetdesk_core::audit::AuditFilter {
            action_prefix: Some("clinic.settings".into()),
            limit: 10,
            ..Default::default()
        })
    }));
    assert_eq!(event.len(), 1, "one audited change, none for the no-op");
    assert!(
        event[0].detail.contains("currency"),
        "{:?}",
        event[0].detail
    );

    let desk = c.front_desk.clone();
    let mut hijack = wanted.clone();
    hijack.vat_number = Some("GB000000000".into());
    let refused = c
        .store
        .transact(&desk, |tx| tx.set_clinic_settings(&hijack));
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    assert_eq!(
        settings_of(&mut c.store, &desk).vat_number.as_deref(),
        Some("GB123456789")
    );
}

#[test]
fn a_currency_language_time_zone_or_rate_no_clinic_can_use_is_refused_by_field() {
    let [dir] = dirs::<1>();
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    let good = riverside(settings_of(&mut c.store, &owner));
    type Spoil = Box<dyn Fn(&mut ClinicSettings)>;
    let cases: Vec<(&str, Spoil, &str)> = vec![
        (
            "currency",
            Box::new(|s| s.currency = "JPY".into()),
            "minor units",
        ),
        (
            "currency",
            Box::new(|s| s.currency = "pounds".into()),
            "ISO 4217",
        ),
        (
            "language",
            Box::new(|s| s.language = "fr".into()),
            "one of en, uk",
        ),
        (
            "time_zone",
            Box::new(|s| s.time_zone = Some("Mars/Olympus".into())),
            "not a time zone",
        ),
        (
            "default_vat_bp",
            Box::new(|s| s.default_vat_bp = Some(12_000)),
            "between 0 and 100",
        ),
        (
            "clinic name",
            Box::new(|s| s.name = "  ".into()),
            "required",
        ),
    ];
    for (field, spoil, says) in cases {
        let mut bad = good.clone();
        spoil(&mut bad);
        match c.store.transact(&owner, |tx| tx.set_clinic_settings(&bad)) {
            Err(Error::Invalid {
                field: named,
                message,
            }) => {
                assert_eq!(named, field);
                assert!(message.contains(says), "{field}: {message}");
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    // Nothing of a refused save was kept.
    assert_eq!(settings_of(&mut c.store, &owner).currency, "EUR");
}

#[test]
fn settings_sync_and_two_admins_offline_keep_both_changes() {
    let dirs = dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let owner = a.owner.clone();
    let mut b = replica(&mut a.store, &owner, dirs[1].path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    let start = settings_of(&mut a.store, &owner);
    a.clock.advance_ms(1_000);

    // Offline, A sets the currency and B the VAT number.
    let mut on_a = start.clone();
    on_a.currency = "GBP".into();
    ok(a.store.transact(&owner, |tx| tx.set_clinic_settings(&on_a)));
    a.clock.advance_ms(5_000);
    let mut on_b = start.clone();
    on_b.vat_number = Some("GB123456789".into());
    ok(b.transact(&owner, |tx| tx.set_clinic_settings(&on_b)));

    sync_into(&a.store, &mut b);
    sync_into(&b, &mut a.store);
    let (on_a, on_b) = (
        settings_of(&mut a.store, &owner),
        settings_of(&mut b, &owner),
    );
    assert_eq!(on_a, on_b);
    assert_eq!(on_a.currency, "GBP");
    assert_eq!(on_a.vat_number.as_deref(), Some("GB123456789"));
}

#[test]
fn a_hostile_device_cannot_give_the_clinic_a_currency_or_zone_no_device_accepts() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let owner = a.owner.clone();
    let b = replica(&mut a.store, &owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &owner, dirs[2].path(), a.clock.clone());
    sync_into(&a.store, &mut c);
    let clinic_id = ok(a.store.clinic_id());

    // B's own checks are gone: in the owner's name it sets a currency with no cents, a
    // made-up time zone, and (allowed) a VAT number.
    let set = |column: &str, value: Value| Change {
        table: "clinic".into(),
        row: clinic_id,
        op: Op::Set {
            column: column.into(),
            value,
            base: None,
        },
    };
    a.clock.advance_ms(60_000);
    let changeset = hostile(
        &b,
        10_000,
        owner.staff_id,
        a.store.now().unix_timestamp() as u64 * 1000,
        vec![
            set("currency", Value::text("JPY")),
            set("time_zone", Value::text("Mars/Olympus")),
            set("vat_number", Value::text("GB987654321")),
        ],
    );
    for honest in [&mut a.store, &mut c] {
        ok(honest.apply(std::slice::from_ref(&changeset)));
        let s = ok(honest.read(&owner, |rx| rx.clinic_settings()));
        assert_eq!(s.currency, "EUR");
        assert_eq!(s.time_zone, None);
        assert_eq!(s.vat_number.as_deref(), Some("GB987654321"));
        let why = reasons(honest);
        assert!(
            why.iter().any(|r| r.contains("JPY has 0 minor units")),
            "{why:?}"
        );
        assert!(why.iter().any(|r| r.contains("Mars/Olympus")), "{why:?}");
    }
}
