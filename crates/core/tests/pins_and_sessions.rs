//! PINs that are useless off the clinic, lock-outs no other device can touch, and roles
//! that follow changes made elsewhere (issue 14, requirement 7; SECURITY-REVIEW.md M6, L2).

mod common;

use argon2::password_hash::{PasswordHasher, SaltString};
use common::{clinic, ok, replica, sync_into};
use uuid::Uuid;
use vetdesk_core::write::node_of;
use vetdesk_core::{Change, Changeset, Error, Op, Role, Roles, SignedChangeset, Store, Value};

/// A changeset, signed by the member device `hostile` (its own checks removed), that
/// makes up audit events about `staff` on `victim`, for delivery to `store`.
fn forged_audit_events(
    hostile_store: &Store,
    store: &Store,
    seq: u64,
    (victim, staff): (Uuid, Uuid),
    action: &str,
    at: &str,
) -> SignedChangeset {
    let hostile = hostile_store.device_id();
    let hlc = ok(store.last_hlc());
    let hlc = ok(vetdesk_core::hlc::Hlc::new(
        hlc.millis() + 1,
        0,
        node_of(hostile),
    ))
    .to_bytes();
    let changes = (0..5)
        .map(|i| Change {
            table: "audit_events".into(),
            row: Uuid::now_v7(),
            op: Op::Insert(
                [
                    ("device_id", Value::Text(victim.to_string())),
                    ("chain_index", Value::Int((1 << 62) + i)),
                    ("prev_hash", Value::Blob(vec![0; 32])),
                    ("hash", Value::Blob(vec![0; 32])),
                    ("actor_id", Value::Text(staff.to_string())),
                    ("action", Value::text(action)),
                    ("entity", Value::text("staff")),
                    ("entity_id", Value::Text(staff.to_string())),
                    ("at", Value::text(at)),
                    ("detail", Value::text("")),
                ]
                .into_iter()
                .map(|(c, v)| (c.to_string(), v))
                .collect(),
            ),
        })
        .collect();
    ok(hostile_store.sign_as_this_device(Changeset {
        device: hostile,
        seq,
        schema_version: *vetdesk_core::SCHEMA_VERSION,
        hlc,
        author: Some(staff),
        changes,
    }))
}

#[test]
fn synced_audit_events_neither_force_nor_reset_a_pin_lockout() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut a = clinic(dir.path());
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut b = replica(&mut a.store, &a.owner, other.path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    let (owner, vet) = (a.owner.staff_id, a.vet.staff_id);

    // A, hostile, says there were five wrong PINs "on B", dated 2099: B's owner still
    // signs in.
    let forced = forged_audit_events(
        &a.store,
        &b,
        10_000,
        (b.device_id(), owner),
        "auth.failed",
        "2099-01-01T00:00:00Z",
    );
    let report = ok(b.apply(&[forced]));
    assert_eq!(
        report.applied, 1,
        "the forged events are merged: {report:?}"
    );
    ok(b.sign_in("Olivia Owner", "1111"));

    // Five real wrong PINs on B pause the vet's sign-in there …
    for _ in 0..5 {
        assert!(matches!(
            b.sign_in("Dr Vera Vet", "9999"),
            Err(Error::WrongPin)
        ));
    }
    assert!(matches!(
        b.sign_in("Dr Vera Vet", "2222"),
        Err(Error::NotAllowedNow(_))
    ));
    // … and a made-up sign-in "on B" does not lift the pause.
    let reset = forged_audit_events(
        &a.store,
        &b,
        10_001,
        (b.device_id(), vet),
        "auth.sign_in",
        "2026-11-22T09:00:00Z",
    );
    ok(b.apply(&[reset]));
    assert!(matches!(
        b.sign_in("Dr Vera Vet", "2222"),
        Err(Error::NotAllowedNow(_))
    ));
    // Five minutes later it lifts by itself, and the right PIN works.
    a.clock.advance_ms(5 * 60_000 + 1_000);
    ok(b.sign_in("Dr Vera Vet", "2222"));
}

#[test]
fn pin_hashes_are_keyed_and_an_older_unkeyed_one_is_replaced_at_sign_in() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut a = clinic(dir.path());
    let stored = |store: &Store, who: Uuid| -> String {
        ok(store.connection_for_tests().query_row(
            "SELECT pin_hash FROM staff WHERE id = ?1",
            [who.to_string()],
            |r| r.get(0),
        ))
    };
    let vet = a.vet.staff_id;
    assert!(
        stored(&a.store, vet).starts_with("k1$"),
        "new PINs are keyed"
    );

    // A hash as builds before this one made them: plain Argon2id.
    let salt = ok(SaltString::encode_b64(&[3u8; 16]));
    let params = ok(argon2::Params::new(19 * 1024, 2, 1, None));
    let plain =
        ok(
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password(b"2222", &salt),
        )
        .to_string();
    ok(a.store.connection_for_tests().execute(
        "UPDATE staff SET pin_hash = ?1 WHERE id = ?2",
        [plain.clone(), vet.to_string()],
    ));
    ok(a.store.sign_in("Dr Vera Vet", "2222"));
    let now = stored(&a.store, vet);
    assert!(now.starts_with("k1$") && now != plain, "{now}");
    // The replacement is a synced change like any other: another device signs in with it.
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The vet's sign-in ended the owner's confirmation here: she confirms again.
    a.clock.advance_ms(30_000);
    let owner = a.owner.clone();
    common::confirm_second_factor(&mut a.store, &owner, &a.owner_secret);
    let mut b = replica(&mut a.store, &a.owner, other.path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    ok(b.sign_in("Dr Vera Vet", "2222"));
    assert!(matches!(
        b.sign_in("Dr Vera Vet", "2223"),
        Err(Error::WrongPin)
    ));
}

#[test]
fn a_session_follows_role_changes_made_on_another_device() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut a = clinic(dir.path());
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut b = replica(&mut a.store, &a.owner, other.path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    let vet_on_b = ok(b.sign_in("Dr Vera Vet", "2222"));
    assert!(vet_on_b.roles.contains(Role::Vet));

    // On A, the owner makes her a nurse; B hears of it while she is signed in there.
    let (owner, vet) = (a.owner.clone(), a.vet.staff_id);
    ok(a.store.transact(&owner, |tx| {
        tx.set_staff_roles(vet, Roles::new([Role::Nurse]))
    }));
    sync_into(&a.store, &mut b);
    let now = ok(b.refresh_actor(&vet_on_b)).unwrap_or_else(|| panic!("still staff"));
    assert_eq!(now.roles, Roles::new([Role::Nurse]));
    assert!(!now.can(vetdesk_core::Permission::SignEncounter));

    // Then deactivated: her session has no actor any more.
    ok(a.store.transact(&owner, |tx| tx.deactivate_staff(vet)));
    sync_into(&a.store, &mut b);
    assert_eq!(ok(b.refresh_actor(&vet_on_b)), None);
}
