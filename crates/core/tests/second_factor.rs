//! The admins' second factor as staff meet it: enrolling an authenticator, admin acts
//! refused without a fresh confirmation, codes taken once (on every device), recovery
//! codes, the pause after wrong codes, and a PIN alone never replacing the phone.

mod common;

use common::{
    clinic, code_now, confirm_second_factor, enroll_second_factor, ok, replica, sync_into,
};
use vetdesk_core::roles::{Role, Roles};
use vetdesk_core::{Actor, Error, Store};

/// 5 minutes and a second: past a confirmation's window.
const PAST_WINDOW_MS: i64 = 5 * 60 * 1000 + 1000;

fn audit_actions(store: &Store, prefix: &str) -> Vec<(String, String)> {
    ok(vetdesk_core::audit::recent(
        store.connection_for_tests(),
        Some(prefix),
        100,
    ))
    .into_iter()
    .map(|e| (e.action, e.detail))
    .collect()
}

fn add_desk(store: &mut Store, admin: &Actor, name: &str) -> vetdesk_core::Result<uuid::Uuid> {
    store.transact(admin, |tx| {
        tx.add_staff(name, Roles::new([Role::FrontDesk]), "3333")
    })
}

#[test]
fn an_admin_enrolls_with_a_first_code_and_acts_only_while_confirmed() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    let vet = c.vet.staff_id;
    ok(c.store.transact(&owner, |tx| {
        tx.set_staff_roles(vet, Roles::new([Role::Admin, Role::Vet]))
    }));
    let vera = Actor {
        roles: Roles::new([Role::Admin, Role::Vet]),
        ..c.vet.clone()
    };

    // A new admin without an authenticator is told to set one up; nothing is written.
    assert!(matches!(
        add_desk(&mut c.store, &vera, "Tom Desk"),
        Err(Error::SecondFactorNotEnrolled(name)) if name == "Dr Vera Vet"
    ));
    let setup = ok(c.store.begin_second_factor(&vera));
    assert!(setup.uri.starts_with("otpauth://totp/") && setup.qr_svg.contains("<svg"));
    // A code the app did not show (a mistyped secret) enrolls nothing.
    let wrong = if code_now(&c.store, &setup.secret) == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(matches!(
        c.store.finish_second_factor(&vera, &setup.secret, wrong),
        Err(Error::WrongSecondFactor)
    ));
    assert!(!ok(c.store.second_factor_status(&vera)).enrolled);
    let code = code_now(&c.store, &setup.secret);
    let recovery = ok(c.store.finish_second_factor(&vera, &setup.secret, &code));
    assert_eq!(recovery.len(), 10);
    let status = ok(c.store.second_factor_status(&vera));
    assert!(status.enrolled && status.confirmed_until.is_some());
    assert_eq!(status.recovery_codes_left, 10);
    ok(add_desk(&mut c.store, &vera, "Tom Desk"));

    // Five minutes on, the next admin act asks again; the code she used is spent.
    c.clock.advance_ms(PAST_WINDOW_MS);
    assert!(matches!(
        add_desk(&mut c.store, &vera, "Sam Desk"),
        Err(Error::SecondFactorRequired(_))
    ));
    assert!(matches!(
        c.store.confirm_second_factor(&vera, &code),
        Err(Error::WrongSecondFactor)
    ));
    let fresh = code_now(&c.store, &setup.secret);
    ok(c.store.confirm_second_factor(&vera, &fresh));
    ok(add_desk(&mut c.store, &vera, "Sam Desk"));
    // Taken once: the same code again (another window, same step) is refused.
    ok(c.store.end_second_factor_window(&vera));
    assert!(matches!(
        c.store.confirm_second_factor(&vera, &fresh),
        Err(Error::WrongSecondFactor)
    ));
    let audited = audit_actions(&c.store, "auth.second_factor");
    assert!(
        audited
            .iter()
            .any(|(a, _)| a == "auth.second_factor.enroll")
    );
    assert_eq!(
        audited
            .iter()
            .filter(|(a, _)| a == "auth.second_factor.failed")
            .count(),
        3,
        "every wrong code is audited: {audited:?}"
    );
}

#[test]
fn every_admin_act_needs_the_second_factor_and_another_sign_in_ends_it() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    let (vet, desk) = (c.vet.staff_id, c.front_desk.staff_id);
    // Someone else signs in at this workstation: the owner's confirmation ends.
    ok(c.store.sign_in("Fred Desk", "2222"));
    let refused = |r: vetdesk_core::Result<()>| matches!(r, Err(Error::SecondFactorRequired(_)));
    assert!(refused(c.store.transact(&owner, |tx| {
        tx.set_staff_roles(vet, Roles::new([Role::Admin]))
    })));
    assert!(refused(
        c.store.transact(&owner, |tx| tx.deactivate_staff(desk))
    ));
    assert!(refused(
        c.store.transact(&owner, |tx| tx.set_pin(desk, "9876"))
    ));
    assert!(refused(
        c.store.transact(&owner, |tx| tx.reset_second_factor(vet))
    ));
    assert!(refused(
        add_desk(&mut c.store, &owner, "Tom Desk").map(|_| ())
    ));
    assert!(refused(
        c.store
            .admit_device(&owner, uuid::Uuid::now_v7(), &[9u8; 32], None, false)
            .map(|_| ())
    ));
    // Her own PIN is hers to change without it; nothing else changed.
    ok(c.store
        .transact(&owner, |tx| tx.set_pin(owner.staff_id, "1112")));
    assert_eq!(
        ok(c.store.refresh_actor(&c.vet)).map(|a| a.roles),
        Some(Roles::new([Role::Vet]))
    );
    assert_eq!(ok(c.store.read(&c.owner, |rx| rx.staff())).len(), 4);
    // With a code, each goes through.
    c.clock.advance_ms(30_000);
    confirm_second_factor(&mut c.store, &owner, &c.owner_secret);
    ok(c.store.transact(&owner, |tx| tx.set_pin(desk, "9876")));
    ok(c.store.sign_in("Fred Desk", "9876"));
}

#[test]
fn a_recovery_code_works_once_and_says_how_many_are_left() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let vet = c.vet.clone();
    // Any staff member may enroll for themselves; a recovery code stands in for the phone.
    let setup = ok(c.store.begin_second_factor(&vet));
    let code = code_now(&c.store, &setup.secret);
    let recovery = ok(c.store.finish_second_factor(&vet, &setup.secret, &code));
    ok(c.store.end_second_factor_window(&vet));
    let typed = recovery[3].to_uppercase().replace('-', " ");
    let status = ok(c.store.confirm_second_factor(&vet, &typed));
    assert!(status.confirmed_until.is_some());
    assert_eq!(status.recovery_codes_left, 9);
    ok(c.store.end_second_factor_window(&vet));
    assert!(matches!(
        c.store.confirm_second_factor(&vet, &recovery[3]),
        Err(Error::WrongSecondFactor)
    ));
    assert_eq!(
        audit_actions(&c.store, "auth.recovery_code"),
        vec![("auth.recovery_code".to_string(), "9 left".to_string())]
    );
    // Recovery codes are stored hashed, never as issued.
    let stored: String = ok(c.store.connection_for_tests().query_row(
        "SELECT totp_recovery FROM staff WHERE id = ?1",
        [vet.staff_id.to_string()],
        |r| r.get(0),
    ));
    assert!(recovery.iter().all(|code| !stored.contains(code.as_str())));
}

#[test]
fn five_wrong_codes_pause_confirming_even_with_the_right_one() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    ok(c.store.end_second_factor_window(&owner));
    c.clock.advance_ms(30_000);
    let right = code_now(&c.store, &c.owner_secret);
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };
    for _ in 0..5 {
        assert!(matches!(
            c.store.confirm_second_factor(&owner, wrong),
            Err(Error::WrongSecondFactor)
        ));
    }
    let paused = c.store.confirm_second_factor(&owner, &right);
    assert!(
        matches!(&paused, Err(Error::NotAllowedNow(m)) if m.contains("too many wrong codes")),
        "{paused:?}"
    );
    c.clock.advance_ms(PAST_WINDOW_MS);
    confirm_second_factor(&mut c.store, &owner, &c.owner_secret);
}

#[test]
fn a_pin_alone_cannot_swap_the_authenticator_and_an_admin_can_reset_a_lost_one() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    let vet = c.vet.clone();
    let vet_secret = enroll_second_factor(&mut c.store, &vet);
    // Someone who knows the vet's PIN, at the keyboard after her window ended.
    ok(c.store.sign_in("Nina Nurse", "2222"));
    assert!(matches!(
        c.store.begin_second_factor(&vet),
        Err(Error::SecondFactorRequired(_))
    ));
    let attacker = vetdesk_core::second_factor::TotpSecret::generate();
    let attacker_code = ok(vetdesk_core::second_factor::code_at(
        &attacker,
        c.store.now(),
    ));
    assert!(matches!(
        c.store
            .finish_second_factor(&vet, attacker.as_base32(), &attacker_code),
        Err(Error::SecondFactorRequired(_))
    ));
    // She lost her phone and her codes: the owner resets it; she enrolls again.
    c.clock.advance_ms(30_000);
    confirm_second_factor(&mut c.store, &owner, &c.owner_secret);
    ok(c.store
        .transact(&owner, |tx| tx.reset_second_factor(vet.staff_id)));
    assert!(!ok(c.store.second_factor_status(&vet)).enrolled);
    let new_secret = enroll_second_factor(&mut c.store, &vet);
    assert_ne!(new_secret, vet_secret);
    assert!(
        audit_actions(&c.store, "staff.second_factor.reset").len() == 1,
        "the reset is audited"
    );
}

#[test]
fn the_second_factor_follows_an_admin_to_every_device_and_stays_out_of_exports() {
    let dirs = common::dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let owner = a.owner.clone();
    let mut b = replica(&mut a.store, &owner, dirs[1].path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    // Confirmed on A is not confirmed on B: the window is this device's.
    assert!(matches!(
        b.require_second_factor(&owner),
        Err(Error::SecondFactorRequired(_))
    ));
    a.clock.advance_ms(30_000);
    let code = code_now(&b, &a.owner_secret);
    ok(b.confirm_second_factor(&owner, &code));
    ok(b.require_second_factor(&owner));
    // The code B took is spent on A too, once B's change arrives.
    sync_into(&b, &mut a.store);
    ok(a.store.end_second_factor_window(&owner));
    assert!(matches!(
        a.store.confirm_second_factor(&owner, &code),
        Err(Error::WrongSecondFactor)
    ));

    let mut export = Vec::new();
    ok(a.store.export_json(&owner, &mut export));
    let export = String::from_utf8_lossy(&export);
    assert!(export.contains("Olivia Owner"));
    for secret in [
        "totp_secret",
        "totp_recovery",
        "totp_last_step",
        &a.owner_secret,
    ] {
        assert!(!export.contains(secret), "{secret} is in the export");
    }
}
