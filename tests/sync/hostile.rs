//! A member device turned hostile, and a server that damages what it stores, through
//! the real sync server and PostgreSQL (issue 14, stage 1; SECURITY-REVIEW.md H1, H2,
//! M2, M3): honest devices set the bad changes aside, report them, keep pulling and
//! pushing, lose nothing, and end with identical exports.

use std::sync::Arc;

use uuid::Uuid;
use vetdesk_core::demo::{DemoOptions, generate};
use vetdesk_core::sources::ManualClock;
use vetdesk_core::sync::Transport;
use vetdesk_core::sync_http::HttpTransport;
use vetdesk_core::{Change, Changeset, Op, Store, Value};

use super::{
    canonical, enroll_device, enroll_device_as, ok, protection, runtime, set_up_sync, start_server,
    sync,
};

/// A demo clinic on device A, syncing, and device B enrolled into it, approved as a
/// second device that manages the clinic's devices.
pub(crate) fn clinic_of_two(
    url: &str,
    dirs: &(tempfile::TempDir, tempfile::TempDir),
) -> (Store, Store) {
    let mut a = ok(Store::create(
        dirs.0.path(),
        "Quayside Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    ok(generate(
        &mut a,
        DemoOptions {
            clients: 5,
            seed: 3,
            history_days: 2,
        },
        &mut |_, _| {},
    ));
    set_up_sync(&mut a, url);
    sync(&mut a);
    let mut b = enroll_device_as(url, &mut a, dirs.1.path(), true);
    sync(&mut b);
    (a, b)
}

fn change(table: &str, row: Uuid, op: Op) -> Change {
    Change {
        table: table.into(),
        row,
        op,
    }
}

fn insert(values: &[(&str, Value)]) -> Op {
    Op::Insert(
        values
            .iter()
            .map(|(c, v)| (c.to_string(), v.clone()))
            .collect(),
    )
}

#[test]
fn a_member_devices_poisoned_changeset_is_set_aside_and_the_clinic_keeps_syncing() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = clinic_of_two(&url, &dirs);
    let clinic = ok(a.clinic_id());
    let clinic_name = ok(b.status()).clinic_name;

    // C, a third member device, holds the clinic key and its token: it seals and pushes
    // what it likes under its own device id.
    let dir_c = ok(tempfile::tempdir());
    let c = enroll_device(&url, &mut a, dir_c.path());
    let (_, token) = ok(c.sync_credentials()).unwrap_or_default();
    let keys = ok(c.clinic_keys());
    let key = keys.last().unwrap_or_else(|| panic!("no clinic key"));
    let honest_row = Uuid::now_v7();
    // Written for the owner, who may write every table here: what is refused is
    // refused for itself, not for its author.
    let owner = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let poisoned = Changeset {
        device: c.device_id(),
        seq: 1,
        schema_version: *vetdesk_core::SCHEMA_VERSION,
        hlc: ok(a.last_hlc()).to_bytes(),
        author: Some(owner.staff_id),
        changes: vec![
            change(
                "clients",
                Uuid::now_v7(),
                Op::Set {
                    column: "deleted".into(),
                    value: Value::Null,
                    base: None,
                },
            ),
            change(
                "clients",
                honest_row,
                insert(&[("last_name", Value::text("Unpoisoned"))]),
            ),
            change(
                "stock_movements",
                Uuid::now_v7(),
                insert(&[
                    ("item_id", Value::text("x")),
                    ("quantity_milli", Value::Int(i64::MAX)),
                ]),
            ),
            change(
                "clinic",
                Uuid::now_v7(),
                insert(&[
                    ("name", Value::text("Evil")),
                    ("created_at", Value::text("0000-01-01T00:00:00Z")),
                ]),
            ),
        ],
    };
    let sealed = ok(vetdesk_core::envelope::seal(
        &ok(c.sign_as_this_device(poisoned)),
        clinic,
        key,
    ));
    let pushed = ok(HttpTransport::new(&url, Some(token)).push(vec![sealed]));
    assert_eq!(pushed.results.len(), 1);

    // B has a change of its own waiting when it meets the poison.
    let desk = ok(b.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    let input = vetdesk_core::services::clients::ClientInput {
        first_name: "Bea".into(),
        last_name: "Waiting".into(),
        ..Default::default()
    };
    let bea = ok(b.transact(&desk, |tx| tx.create_client(&input)));
    assert!(ok(b.sync_state()).pending >= 1);

    let report = sync(&mut b);
    assert_eq!(report.applied.quarantined, 3, "{report:?}");
    assert!(
        report.push_refused.is_none() && report.problem().is_none(),
        "{report:?}"
    );
    let state = ok(b.sync_state());
    assert_eq!(state.pending, 0, "B's own change went out");
    assert_eq!(state.quarantined, 3);
    assert!(state.last_error.is_none(), "{state:?}");
    let status = ok(b.status());
    assert_eq!(
        (status.clinic_id, status.clinic_name),
        (clinic.to_string(), clinic_name)
    );
    assert!(
        ok(b.read(&desk, |rx| rx.search("Unpoisoned", 5)))
            .iter()
            .any(|h| h.id == honest_row)
    );

    // The CLI names each one and why.
    let (ok_exit, out, err) = super::vetdesk(dirs.1.path(), &["sync", "quarantine"]);
    assert!(ok_exit, "{err}");
    for reason in [
        "clients.deleted may not be empty (NULL)",
        "stock_movements.quantity_milli is out of range",
        "a clinic row for another clinic",
    ] {
        assert!(out.contains(reason), "{reason:?} not in {out}");
    }

    // A pulls B's change; both end the same, and a later round changes nothing.
    sync(&mut a);
    assert!(
        ok(a.read(&desk, |rx| rx.search("Waiting", 5)))
            .iter()
            .any(|h| h.id == bea)
    );
    sync(&mut b);
    assert!(canonical(&a) == canonical(&b), "exports differ");
    assert_eq!(ok(a.digest()), ok(b.digest()));
}

#[test]
fn an_envelope_damaged_on_the_server_is_fetched_again_and_applied_once_repaired() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = clinic_of_two(&url, &dirs);
    let admin = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let input = vetdesk_core::services::clients::ClientInput {
        first_name: "Dee".into(),
        last_name: "Damaged".into(),
        ..Default::default()
    };
    let dee = ok(a.transact(&admin, |tx| tx.create_client(&input)));
    sync(&mut a);

    // One byte of the newest envelope flips in the server's database.
    let original: Vec<u8> = runtime.block_on(async {
        let row: (Vec<u8>,) = ok(sqlx::query_as(
            "SELECT body FROM envelopes ORDER BY server_seq DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await);
        row.0
    });
    let mut damaged = original.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x01;
    let put = |body: Vec<u8>| {
        runtime.block_on(async {
            ok(sqlx::query(
                "UPDATE envelopes SET body = $1 WHERE server_seq = (SELECT max(server_seq) FROM envelopes)",
            )
            .bind(body)
            .execute(&pool)
            .await);
        })
    };
    put(damaged);
    let report = sync(&mut b);
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(ok(b.read(&admin, |rx| rx.search("Damaged", 5))).is_empty());
    assert_eq!(ok(b.rejected_envelopes()).len(), 1);

    // Repaired on the server: the next round fetches it again, opens and applies it.
    put(original);
    let report = sync(&mut b);
    assert_eq!(report.recovered_envelopes, 1, "{report:?}");
    assert!(
        ok(b.read(&admin, |rx| rx.search("Damaged", 5)))
            .iter()
            .any(|h| h.id == dee)
    );
    assert!(ok(b.rejected_envelopes()).is_empty());
    assert!(canonical(&a) == canonical(&b), "exports differ");
}

#[test]
fn a_device_whose_clock_ran_ahead_is_told_why_its_changes_wait() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (_a, mut b) = clinic_of_two(&url, &dirs);
    let clock = ManualClock::at(time::OffsetDateTime::now_utc() + time::Duration::hours(48));
    b.set_time_source(Arc::new(clock.clone()));
    let desk = ok(b.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    let input = vetdesk_core::services::clients::ClientInput {
        first_name: "Fay".into(),
        last_name: "Future".into(),
        ..Default::default()
    };
    ok(b.transact(&desk, |tx| tx.create_client(&input)));
    // The clock is set right; the change made meanwhile still carries its time.
    clock.set(time::OffsetDateTime::now_utc());
    let waiting = ok(b.sync_state()).pending;
    assert!(waiting >= 1);
    let report = sync(&mut b);
    assert!(report.push_refused.is_some(), "{report:?}");
    assert!(
        report
            .own_clock_ahead_ms
            .is_some_and(|ms| ms > 40 * 3_600_000),
        "{report:?}"
    );
    let state = ok(b.sync_state());
    assert_eq!(
        state.pending, waiting,
        "the changes are kept on this device"
    );
    let error = state.last_error.unwrap_or_default();
    assert!(
        error.contains("clock ran 47 h ahead") || error.contains("clock ran 48 h ahead"),
        "{error}"
    );
}

/// SECURITY-REVIEW.md M11: a device whose clock runs 20 h fast sets a phone number; an
/// hour later (real time) another device corrects it. Once the fast device has talked
/// to the server, it stamps its writes with the server-corrected time, so the later
/// correction stands on every device — it is not reverted when clocks catch up.
#[test]
fn a_device_with_a_fast_clock_does_not_revert_later_edits_made_elsewhere() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = clinic_of_two(&url, &dirs);
    let real = time::OffsetDateTime::now_utc();
    let fast = ManualClock::at(real + time::Duration::hours(20));
    b.set_time_source(Arc::new(fast.clone()));
    let on_time = ManualClock::at(real);
    a.set_time_source(Arc::new(on_time.clone()));

    // B's first round after its clock went wrong tells it how far off it is (before
    // anyone writes there: a sign-in is a write too).
    let first = sync(&mut b);
    assert!(
        first
            .server_clock_skew_ms
            .is_some_and(|ms| ms < -19 * 3_600_000),
        "{first:?}"
    );
    let desk_b = ok(b.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    let client = ok(b.read(&desk_b, |rx| rx.search("a", 1))).remove(0).id;
    let mut fields = ok(b.read(&desk_b, |rx| rx.client(client))).fields;
    fields.phone = Some("020 7946 0001".into());
    ok(b.transact(&desk_b, |tx| tx.update_client(client, &fields)));
    sync(&mut b);

    // An hour later, on A (whose clock is right), the front desk corrects it.
    on_time.set(real + time::Duration::hours(1));
    fast.set(real + time::Duration::hours(21));
    let desk_a = ok(a.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    let pulled = sync(&mut a);
    assert!(
        pulled.applied.clock_skew.is_empty(),
        "B's change is not held: {pulled:?}"
    );
    let mut fields = ok(a.read(&desk_a, |rx| rx.client(client))).fields;
    assert_eq!(fields.phone.as_deref(), Some("020 7946 0001"));
    fields.phone = Some("020 7946 0002".into());
    ok(a.transact(&desk_a, |tx| tx.update_client(client, &fields)));
    sync(&mut a);
    sync(&mut b);

    // A day later, every clock past B's old stamp: the correction still stands.
    on_time.set(real + time::Duration::hours(30));
    fast.set(real + time::Duration::hours(50));
    sync(&mut a);
    sync(&mut b);
    for (store, desk) in [(&mut a, &desk_a), (&mut b, &desk_b)] {
        let phone = ok(store.read(desk, |rx| rx.client(client))).fields.phone;
        assert_eq!(phone.as_deref(), Some("020 7946 0002"));
    }
    assert!(canonical(&a) == canonical(&b), "exports differ");
}

/// A hostile server that holds a stolen clinic key (or serves a revoked device): it
/// stores, beside the real envelopes, a changeset in device A's name signed with
/// another member's key, and the revoked device C's changesets written after its
/// revocation. Issue 14, requirement 2: honest devices refuse both, report them, apply
/// everything else, and end with identical exports.
#[test]
fn a_server_cannot_slip_in_forged_or_revoked_devices_changesets() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = clinic_of_two(&url, &dirs);
    let clinic = ok(a.clinic_id());
    let dir_c = ok(tempfile::tempdir());
    let mut c = enroll_device(&url, &mut a, dir_c.path());
    sync(&mut c);
    let desk = ok(c.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    let named = |last: &str| vetdesk_core::services::clients::ClientInput {
        first_name: "Cy".into(),
        last_name: last.into(),
        ..Default::default()
    };
    ok(c.transact(&desk, |tx| tx.create_client(&named("Beforerevocation"))));
    sync(&mut c);
    sync(&mut a);

    // The owner revokes C; A's next round carries the revocation.
    let admin = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    super::confirmed(&mut a, &admin);
    ok(a.revoke_device(&admin, c.device_id()));
    sync(&mut a);

    // C writes on; its token no longer works, but the server stores what C sealed.
    ok(c.transact(&desk, |tx| tx.create_client(&named("Afterrevocation"))));
    let key = ok(c.clinic_keys())
        .pop()
        .unwrap_or_else(|| panic!("no key"));
    let acknowledged = ok(c.sync_state()).acknowledged_seq;
    let mut forged_envelopes: Vec<Vec<u8>> = ok(c.outgoing(acknowledged, usize::MAX))
        .iter()
        .map(|s| ok(vetdesk_core::envelope::seal(s, clinic, &key)))
        .collect();
    // And a changeset in A's name (a seq A has not used), signed by C.
    let in_as_name = Changeset {
        device: a.device_id(),
        seq: 1_000_000,
        schema_version: *vetdesk_core::SCHEMA_VERSION,
        hlc: ok(a.last_hlc()).to_bytes(),
        author: Some(desk.staff_id),
        changes: vec![change(
            "clients",
            Uuid::now_v7(),
            insert(&[
                ("last_name", Value::text("Forgedinaname")),
                ("deleted", Value::Int(0)),
            ]),
        )],
    };
    forged_envelopes.push(ok(vetdesk_core::envelope::seal(
        &ok(c.sign_as_this_device(in_as_name)),
        clinic,
        &key,
    )));
    for envelope in &forged_envelopes {
        let header = ok(vetdesk_proto::envelope::EnvelopeHeader::parse(envelope));
        runtime.block_on(async {
            ok(sqlx::query(
                "WITH c AS (UPDATE clinic_counters SET next_seq = next_seq + 1 WHERE clinic_id = $1
                            RETURNING next_seq - 1 AS seq)
                 INSERT INTO envelopes (clinic_id, server_seq, envelope_id, device_id, device_seq, key_id, hlc_ms, body)
                 SELECT $1, c.seq, $2, $3, $4, $5, $6, $7 FROM c",
            )
            .bind(clinic)
            .bind(header.envelope_id)
            .bind(header.device_id)
            .bind(i64::try_from(header.device_seq).unwrap_or(i64::MAX))
            .bind(i64::from(header.key_id))
            .bind(i64::try_from(header.hlc_millis()).unwrap_or(0))
            .bind(envelope.clone())
            .execute(&pool)
            .await);
        });
    }

    // B (and A) refuse all of them, say why, and keep syncing.
    let report = sync(&mut b);
    assert_eq!(report.applied.refused, forged_envelopes.len(), "{report:?}");
    sync(&mut a);
    for store in [&mut a, &mut b] {
        assert_eq!(
            ok(store.read(&admin, |rx| rx.search("Beforerevocation", 5))).len(),
            1
        );
        assert!(ok(store.read(&admin, |rx| rx.search("Afterrevocation", 5))).is_empty());
        assert!(ok(store.read(&admin, |rx| rx.search("Forgedinaname", 5))).is_empty());
        let reasons: Vec<String> = ok(store.set_aside_changes(100))
            .into_iter()
            .map(|c| c.reason)
            .collect();
        assert!(reasons.iter().any(|r| r.contains("revoked")), "{reasons:?}");
        assert!(
            reasons.iter().any(|r| r.contains("signature")),
            "{reasons:?}"
        );
    }
    // Honest work goes on.
    let bea = ok(b.transact(&admin, |tx| tx.create_client(&named("Stillsyncing"))));
    sync(&mut b);
    sync(&mut a);
    assert!(
        ok(a.read(&admin, |rx| rx.search("Stillsyncing", 5)))
            .iter()
            .any(|h| h.id == bea)
    );
    assert!(canonical(&a) == canonical(&b), "exports differ");
    assert_eq!(ok(a.digest()), ok(b.digest()));
}
