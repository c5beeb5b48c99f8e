//! Signed changesets and the clinic's membership log (issue 14, requirement 2), from
//! the attacker's side: a member device whose own checks are gone (it signs whatever it
//! likes with its key, through `Store::sign_as_this_device`), a device nobody admitted,
//! a revoked one. Honest devices refuse or hold what they must, report it, apply the
//! rest, and agree.

mod common;

use common::{client, clinic, dirs, insert_row, ok, reasons, replica, replica_as, sync_into};
use uuid::Uuid;
use vetdesk_core::signing::{self, SignedChangeset};
use vetdesk_core::{Change, Changeset, Op, Store, Value};

fn new_client(last_name: &str) -> Change {
    insert_row(
        "clients",
        vec![
            ("last_name", Value::text(last_name)),
            ("deleted", Value::Int(0)),
        ],
    )
}

/// A changeset in `device`'s name at `seq`, signed by `signer`'s key.
fn forged(
    signer: &Store,
    on: &Store,
    device: Uuid,
    seq: u64,
    changes: Vec<Change>,
) -> SignedChangeset {
    let hlc = ok(on.last_hlc());
    let hlc = ok(vetdesk_core::hlc::Hlc::new(
        hlc.millis() + 1,
        0,
        vetdesk_core::write::node_of(device),
    ));
    ok(signer.sign_as_this_device(Changeset {
        device,
        seq,
        schema_version: *vetdesk_core::SCHEMA_VERSION,
        hlc: hlc.to_bytes(),
        author: Some(Uuid::nil()),
        changes,
    }))
}

fn last_names(store: &Store) -> Vec<String> {
    let conn = store.connection_for_tests();
    let mut stmt = ok(conn.prepare("SELECT last_name FROM clients ORDER BY last_name"));
    ok(stmt.query_map([], |r| r.get::<_, String>(0)))
        .filter_map(Result::ok)
        .collect()
}

#[test]
fn a_new_clinics_id_names_its_founder_and_its_log_lists_every_admitted_device() {
    let dirs = dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let clinic_id = ok(a.store.clinic_id());
    assert!(signing::is_self_certifying(clinic_id));
    assert_eq!(
        signing::clinic_id_founded_by(&ok(a.store.device_public_key())),
        clinic_id
    );
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    for store in [&a.store, &b] {
        let members = ok(store.members());
        let standings: Vec<(Uuid, &str)> = members
            .iter()
            .map(|m| (m.device_id, m.standing.as_str()))
            .collect();
        assert_eq!(
            standings,
            [(a.store.device_id(), "founder"), (b.device_id(), "member")]
        );
        assert_eq!(
            members[1].fingerprint,
            vetdesk_core::members::fingerprint(&ok(b.device_public_key()))
        );
    }
    // B's own work reaches A, signed by B.
    ok(b.transact(&a.front_desk, |tx| {
        tx.create_client(&client("Bea", "Fromb"))
    }));
    let report = sync_into(&b, &mut a.store);
    assert_eq!((report.refused, report.waiting_for_membership), (0, 0));
    assert!(last_names(&a.store).contains(&"Fromb".to_string()));
}

#[test]
fn a_changeset_forged_in_another_devices_name_is_refused_everywhere_and_the_real_one_still_applies()
{
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &a.owner, dirs[2].path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    sync_into(&a.store, &mut c);

    // C (a member, its checks removed) makes up A's next changeset and signs it.
    let next_of_a = ok(a.store.outgoing(0, usize::MAX)).len() as u64 + 1;
    let fake = forged(
        &c,
        &b,
        a.store.device_id(),
        next_of_a,
        vec![new_client("Forged")],
    );
    for store in [&mut b, &mut a.store] {
        let report = ok(store.apply(std::slice::from_ref(&fake)));
        assert_eq!((report.applied, report.refused), (0, 1), "{report:?}");
        assert!(!last_names(store).contains(&"Forged".to_string()));
        assert!(
            reasons(store).iter().any(|r| r.contains("signature")),
            "reported: {:?}",
            reasons(store)
        );
    }
    // A's real changeset of that seq applies on B: the forgery took nothing.
    ok(a.store.transact(&a.front_desk, |tx| {
        tx.create_client(&client("Real", "Genuine"))
    }));
    let report = sync_into(&a.store, &mut b);
    assert!(report.applied >= 1, "{report:?}");
    assert!(last_names(&b).contains(&"Genuine".to_string()));

    // An unsigned changeset in C's own name is refused too: this clinic signs.
    let mut unsigned = forged(&c, &b, c.device_id(), 1, vec![new_client("Unsigned")]);
    unsigned.signature = None;
    let report = ok(b.apply(&[unsigned]));
    assert_eq!(report.refused, 1, "{report:?}");
    assert!(!last_names(&b).contains(&"Unsigned".to_string()));
}

#[test]
fn a_device_nobody_admitted_waits_and_applies_once_its_approval_arrives() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let before_c = ok(a.store.outgoing(0, usize::MAX));
    ok(b.apply(&before_c));
    let mut c = replica(&mut a.store, &a.owner, dirs[2].path(), a.clock.clone());
    sync_into(&a.store, &mut c);
    ok(c.transact(&a.front_desk, |tx| tx.create_client(&client("Cy", "Fromc"))));

    // C's changesets reach B before A's approval of C does: held, reported.
    let report = sync_into(&c, &mut b);
    assert_eq!(
        (report.applied, report.waiting_for_membership),
        (0, 1),
        "{report:?}"
    );
    assert_eq!(ok(b.held_changesets()), 1);
    assert!(!last_names(&b).contains(&"Fromc".to_string()));
    // The approval arrives: C's changeset applies in the same call.
    let report = sync_into(&a.store, &mut b);
    assert!(report.applied >= 2, "{report:?}");
    assert_eq!(ok(b.held_changesets()), 0);
    assert!(last_names(&b).contains(&"Fromc".to_string()));

    // A stranger's device, never admitted, stays held however often it is sent.
    let stranger_dir = ok(tempfile::tempdir());
    let stranger = ok(Store::join(
        stranger_dir.path(),
        ok(a.store.clinic_id()),
        "Riverside Vets",
        common::protection(),
        common::monday_morning(),
    ));
    let theirs = forged(
        &stranger,
        &b,
        stranger.device_id(),
        1,
        vec![new_client("Stranger")],
    );
    for _ in 0..2 {
        let report = ok(b.apply(std::slice::from_ref(&theirs)));
        assert_eq!(report.applied, 0);
    }
    assert!(!last_names(&b).contains(&"Stranger".to_string()));
    assert_eq!(ok(b.held_changesets()), 1);
}

#[test]
fn a_revoked_device_counts_up_to_its_last_changeset_and_not_after() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &a.owner, dirs[2].path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    sync_into(&a.store, &mut c);
    ok(c.transact(&a.front_desk, |tx| {
        tx.create_client(&client("Before", "Revocation"))
    }));
    let before = ok(c.outgoing(0, usize::MAX));
    ok(a.store.apply(&before));

    // The owner revokes C on A: what A has of C counts, nothing after it.
    let owner = a.owner.clone();
    ok(a.store.record_revocation(&owner, c.device_id()));
    ok(c.transact(&a.front_desk, |tx| {
        tx.create_client(&client("After", "Revocation"))
    }));
    sync_into(&a.store, &mut b);
    let report = sync_into(&c, &mut b);
    assert_eq!(report.refused, 1, "{report:?}");
    let names = last_names(&b);
    assert!(names.contains(&"Revocation".to_string()), "{names:?}");
    let clients_named_revocation = ok(b.connection_for_tests().query_row(
        "SELECT count(*) FROM clients WHERE last_name = 'Revocation'",
        [],
        |r| r.get::<_, i64>(0),
    ));
    assert_eq!(clients_named_revocation, 1, "only the one from before");
    assert!(reasons(&b).iter().any(|r| r.contains("revoked")));
    let standing: Vec<String> = ok(b.members())
        .into_iter()
        .filter(|m| m.device_id == c.device_id())
        .map(|m| m.standing)
        .collect();
    assert_eq!(standing, ["revoked"]);
}

#[test]
fn only_an_admin_on_a_member_device_admits_and_no_one_founds_the_clinic_twice() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    sync_into(&a.store, &mut b);
    // The front desk cannot admit a device, on its own device…
    let stranger_dir = ok(tempfile::tempdir());
    let stranger = ok(Store::join(
        stranger_dir.path(),
        ok(a.store.clinic_id()),
        "Riverside Vets",
        common::protection(),
        common::monday_morning(),
    ));
    let key = ok(stranger.device_public_key());
    let desk = a.front_desk.clone();
    assert!(matches!(
        a.store
            .admit_device(&desk, stranger.device_id(), &key, None, false),
        Err(vetdesk_core::Error::Forbidden { .. })
    ));
    // … nor through a hostile member device that writes the approval itself, in the
    // front desk's name, or founds the clinic again with its own key.
    let fact = |event: &str, device: Uuid, by: Uuid| Change {
        table: "device_members".into(),
        row: Uuid::now_v7(),
        op: Op::Insert(
            [
                ("device_id", Value::text(device.to_string())),
                ("event", Value::text(event)),
                ("signing_key", Value::Blob(key.to_vec())),
                ("by_device", Value::text(b.device_id().to_string())),
                ("by_staff", Value::text(by.to_string())),
            ]
            .into_iter()
            .map(|(c, v)| (c.to_string(), v))
            .collect(),
        ),
    };
    let mut approval = forged(
        &b,
        &a.store,
        b.device_id(),
        10_000,
        vec![fact("approve", stranger.device_id(), desk.staff_id)],
    );
    approval.changeset.author = Some(desk.staff_id);
    let approval = ok(b.sign_as_this_device(approval.changeset));
    // A founding is the store's own act (the nil author), as the real one was.
    let founding = forged(
        &b,
        &a.store,
        b.device_id(),
        10_001,
        vec![fact("found", b.device_id(), Uuid::nil())],
    );
    let report = ok(a.store.apply(&[approval, founding]));
    assert_eq!((report.applied, report.quarantined), (2, 2), "{report:?}");
    let reasons = reasons(&a.store);
    for refused in ["could not manage devices", "only the device the clinic id"] {
        assert!(
            reasons.iter().any(|r| r.contains(refused)),
            "{refused:?} not in {reasons:?}"
        );
    }
    // The front desk's approval is refused (it needs an admin as of its clock): the
    // stranger's changesets wait, as a device nobody admitted.
    let members: Vec<Uuid> = ok(a.store.members()).iter().map(|m| m.device_id).collect();
    assert_eq!(members, [a.store.device_id(), b.device_id()]);
    let theirs = forged(
        &stranger,
        &a.store,
        stranger.device_id(),
        1,
        vec![new_client("Stranger")],
    );
    let report = ok(a.store.apply(&[theirs]));
    assert_eq!(
        (report.applied, report.waiting_for_membership),
        (0, 1),
        "{report:?}"
    );
}

/// Issue 15, requirement 2 (SECURITY-REVIEW.md H4), on every device: a member device
/// that does not manage the clinic's devices — built with its checks removed — writes,
/// in the owner's name, an approval of a device of its own (as managing) and the
/// founder's revocation. Both are stored (the owner may manage devices) and neither
/// counts: the stranger stays out, the founder stays in. The same approval from a
/// managing device does count.
#[test]
fn a_device_that_does_not_manage_cannot_admit_or_revoke_even_in_the_owners_name() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let owner = a.owner.clone();
    let mut b = replica(&mut a.store, &owner, dirs[1].path(), a.clock.clone());
    let c = replica_as(&mut a.store, &owner, dirs[2].path(), a.clock.clone(), true);
    sync_into(&a.store, &mut b);
    assert!(!ok(b.manages_devices()) && ok(a.store.manages_devices()));
    let stranger_dir = ok(tempfile::tempdir());
    let stranger = ok(Store::join(
        stranger_dir.path(),
        ok(a.store.clinic_id()),
        "Riverside Vets",
        common::protection(),
        common::monday_morning(),
    ));
    let key = ok(stranger.device_public_key());
    let fact = |by: &Store, event: &str, device: Uuid| Change {
        table: "device_members".into(),
        row: Uuid::now_v7(),
        op: Op::Insert(
            [
                ("device_id", Value::text(device.to_string())),
                ("event", Value::text(event)),
                ("signing_key", Value::Blob(key.to_vec())),
                ("manages", Value::Int(1)),
                ("last_seq", Value::Int(0)),
                ("by_device", Value::text(by.device_id().to_string())),
                ("by_staff", Value::text(owner.staff_id.to_string())),
            ]
            .into_iter()
            .map(|(c, v)| (c.to_string(), v))
            .collect(),
        ),
    };
    let in_owners_name = |by: &Store, seq: u64, changes: Vec<Change>| {
        let mut changeset = forged(by, &a.store, by.device_id(), seq, changes).changeset;
        changeset.author = Some(owner.staff_id);
        ok(by.sign_as_this_device(changeset))
    };
    let hostile = in_owners_name(
        &b,
        10_000,
        vec![
            fact(&b, "approve", stranger.device_id()),
            fact(&b, "revoke", a.store.device_id()),
        ],
    );
    let report = ok(a.store.apply(&[hostile]));
    assert_eq!((report.applied, report.quarantined), (1, 0), "{report:?}");
    let standing = |store: &Store| -> Vec<(Uuid, String)> {
        ok(store.members())
            .into_iter()
            .map(|m| (m.device_id, m.standing))
            .collect()
    };
    let members = standing(&a.store);
    assert!(
        members.iter().all(|(d, _)| *d != stranger.device_id()),
        "the stranger was admitted: {members:?}"
    );
    assert!(
        members.contains(&(a.store.device_id(), "founder".to_string())),
        "the founder was revoked: {members:?}"
    );
    let theirs = forged(
        &stranger,
        &a.store,
        stranger.device_id(),
        1,
        vec![new_client("Stranger")],
    );
    let report = ok(a.store.apply(std::slice::from_ref(&theirs)));
    assert_eq!(
        (report.applied, report.waiting_for_membership),
        (0, 1),
        "{report:?}"
    );
    assert!(!last_names(&a.store).contains(&"Stranger".to_string()));
    // Core on A also refuses to revoke the clinic's managing devices down to none.
    ok(a.store.record_revocation(&owner, c.device_id()));
    let last = a.store.record_revocation(&owner, a.store.device_id());
    assert!(
        matches!(&last, Err(vetdesk_core::Error::NotAllowedNow(why)) if why.contains("last device that can manage")),
        "{last:?}"
    );

    // The same approval from a device that manages counts: the stranger is in.
    let dirs2 = common::dirs::<2>();
    let mut fresh = clinic(dirs2[0].path());
    let owner2 = fresh.owner.clone();
    let managing = replica_as(
        &mut fresh.store,
        &owner2,
        dirs2[1].path(),
        fresh.clock.clone(),
        true,
    );
    let fact2 = Change {
        table: "device_members".into(),
        row: Uuid::now_v7(),
        op: Op::Insert(
            [
                ("device_id", Value::text(stranger.device_id().to_string())),
                ("event", Value::text("approve")),
                ("signing_key", Value::Blob(key.to_vec())),
                ("manages", Value::Int(0)),
                ("by_device", Value::text(managing.device_id().to_string())),
                ("by_staff", Value::text(owner2.staff_id.to_string())),
            ]
            .into_iter()
            .map(|(c, v)| (c.to_string(), v))
            .collect(),
        ),
    };
    let mut changeset = forged(
        &managing,
        &fresh.store,
        managing.device_id(),
        10_000,
        vec![fact2],
    )
    .changeset;
    changeset.author = Some(owner2.staff_id);
    let honest = ok(managing.sign_as_this_device(changeset));
    ok(fresh.store.apply(&[honest]));
    assert!(
        ok(fresh.store.members())
            .iter()
            .any(|m| m.device_id == stranger.device_id() && m.standing == "member")
    );
}

#[test]
fn who_did_it_is_the_signed_author_not_a_name_a_device_fills_in() {
    let dirs = dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let (_, bella) = common::ann_and_bella(&mut a.store, &a.front_desk);
    let vet_actor = a.vet.clone();
    let visit = ok(a
        .store
        .transact(&vet_actor, |tx| tx.start_encounter(bella, None)));
    sync_into(&a.store, &mut b);
    let (desk, vet, owner) = (a.front_desk.staff_id, a.vet.staff_id, a.owner.staff_id);
    let content = "{}";
    let hash = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(content.as_bytes()))
    };
    let row = insert_row;
    // B, hostile, writes for the vet: a signature in the owner's name, an audit event
    // in the front desk's, and (honestly) a weight recorded by the vet herself.
    let mut changeset = forged(
        &b,
        &a.store,
        b.device_id(),
        10_000,
        vec![
            row(
                "encounter_snapshots",
                vec![
                    ("encounter_id", Value::text(visit.to_string())),
                    ("content", Value::text(content)),
                    ("content_hash", Value::text(&hash)),
                    ("signed_by", Value::text(owner.to_string())),
                ],
            ),
            row(
                "audit_events",
                vec![
                    ("actor_id", Value::text(desk.to_string())),
                    ("action", Value::text("staff.roles")),
                ],
            ),
            row(
                "weights",
                vec![
                    ("patient_id", Value::text(Uuid::now_v7().to_string())),
                    ("kg", Value::Real(4.2)),
                    ("recorded_by", Value::text(vet.to_string())),
                ],
            ),
        ],
    )
    .changeset;
    changeset.author = Some(vet);
    let signed = ok(b.sign_as_this_device(changeset));
    let report = ok(a.store.apply(&[signed]));
    assert_eq!((report.applied, report.quarantined), (1, 2), "{report:?}");
    let reasons = reasons(&a.store);
    for column in ["encounter_snapshots.signed_by", "audit_events.actor_id"] {
        assert!(
            reasons
                .iter()
                .any(|r| r.contains(column) && r.contains("must name who made it")),
            "{column}: {reasons:?}"
        );
    }
}
