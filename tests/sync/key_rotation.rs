//! Key epochs on revoke, through the real sync server and PostgreSQL (issue 15,
//! requirement 3; SECURITY-REVIEW.md H5): a revoked device that kept its keys and its
//! token, given every row the server stores, opens nothing written after its
//! revocation; a server that withholds a member's new key cannot make that member seal
//! with a key the revoked device holds, and the clinic converges once the key comes.

use uuid::Uuid;
use vetdesk_core::Store;
use vetdesk_core::envelope::{DataKey, EnvelopeError};
use vetdesk_core::services::clients::ClientInput;

use super::hostile::clinic_of_two;
use super::{canonical, enroll_device, ok, runtime, start_server, sync};

/// Every envelope the server stores for `clinic`: (server seq, body), in order.
fn server_rows(
    runtime: &tokio::runtime::Runtime,
    pool: &sqlx::PgPool,
    clinic: Uuid,
) -> Vec<(i64, Vec<u8>)> {
    runtime.block_on(async {
        ok(sqlx::query_as(
            "SELECT server_seq, body FROM envelopes WHERE clinic_id = $1 ORDER BY server_seq",
        )
        .bind(clinic)
        .fetch_all(pool)
        .await)
    })
}

fn highest_seq(rows: &[(i64, Vec<u8>)]) -> i64 {
    rows.last().map_or(0, |(seq, _)| *seq)
}

fn named(last: &str) -> ClientInput {
    ClientInput {
        first_name: "Rey".into(),
        last_name: last.into(),
        ..Default::default()
    }
}

fn write_client(store: &mut Store, staff: &str, last: &str) -> Uuid {
    let desk = ok(store.sign_in(staff, vetdesk_core::demo::DEMO_PIN));
    ok(store.transact(&desk, |tx| tx.create_client(&named(last))))
}

/// Rounds until every device has everything (each sign-in above is itself a write).
fn settle(stores: &mut [&mut Store]) {
    for _ in 0..2 {
        for store in stores.iter_mut() {
            sync(store);
        }
    }
}

fn finds(store: &mut Store, last: &str) -> bool {
    let desk = ok(store.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    !ok(store.read(&desk, |rx| rx.search(last, 5))).is_empty()
}

/// What `keys` make of each envelope after `after`: the tables of those that open, and
/// the count of those that do not because they were sealed with a key not among them.
fn open_after(
    rows: &[(i64, Vec<u8>)],
    after: i64,
    clinic: Uuid,
    keys: &[DataKey],
) -> (Vec<String>, usize) {
    let (mut tables, mut unknown_key) = (Vec::new(), 0);
    for (seq, body) in rows.iter().filter(|(seq, _)| *seq > after) {
        match vetdesk_core::envelope::open(body, clinic, keys) {
            Ok((_, signed)) => {
                tables.extend(signed.changeset.changes.iter().map(|c| c.table.clone()));
            }
            Err(EnvelopeError::UnknownKey(_)) => unknown_key += 1,
            Err(e) => panic!("envelope {seq}: {e}"),
        }
    }
    (tables, unknown_key)
}

#[test]
fn a_revoked_device_with_its_keys_and_token_opens_nothing_written_after_its_revocation() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = clinic_of_two(&url, &dirs);
    let clinic = ok(a.clinic_id());
    let dir_c = ok(tempfile::tempdir());
    let mut c = enroll_device(&url, &mut a, dir_c.path());
    sync(&mut c);
    write_client(&mut b, "Lena Novak", "Beforerevocation");
    sync(&mut b);
    sync(&mut a);
    sync(&mut c);
    let before = highest_seq(&server_rows(&runtime, &pool, clinic));

    // B is revoked. It keeps everything it had: its store, its keys, its token.
    let b_keys = ok(b.clinic_keys());
    let admin = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    super::confirmed(&mut a, &admin);
    ok(a.revoke_device(&admin, b.device_id()));
    // The revocation itself went out at once, under the key every member holds.
    let announced = highest_seq(&server_rows(&runtime, &pool, clinic));
    assert!(announced > before, "the revocation was not sent at once");

    // A and C write on; C takes A's grant of the new key and seals with it.
    write_client(&mut a, "Lena Novak", "Afterrevocationa");
    sync(&mut a);
    let report = sync(&mut c);
    assert_eq!(report.key_grants.keys_added, 1, "{report:?}");
    write_client(&mut c, "Lena Novak", "Afterrevocationc");
    sync(&mut c);
    sync(&mut a);
    sync(&mut c);
    for store in [&mut a, &mut c] {
        assert!(finds(store, "Beforerevocation"));
        assert!(finds(store, "Afterrevocationa"));
        assert!(finds(store, "Afterrevocationc"));
    }
    settle(&mut [&mut a, &mut c]);
    assert!(canonical(&a) == canonical(&c), "A and C differ");
    let newest = ok(a.clinic_keys()).pop().map(|k| k.id());
    assert!(newest.is_some_and(|id| id >> 16 == 1), "{newest:?}");
    assert_eq!(ok(c.clinic_keys()).pop().map(|k| k.id()), newest);

    // B's token opens no door any more.
    let refused = vetdesk_core::sync_http::sync_with_stored_server(&mut b, &mut |_, _| {});
    assert!(refused.is_err(), "a revoked device still syncs");

    // Every row the server holds, handed to B: it opens all it opened before, the
    // revocation itself, and nothing written since.
    let rows = server_rows(&runtime, &pool, clinic);
    let (opened_before, unknown_before) = open_after(
        &rows
            .iter()
            .filter(|(seq, _)| *seq <= before)
            .cloned()
            .collect::<Vec<_>>(),
        0,
        clinic,
        &b_keys,
    );
    assert!(!opened_before.is_empty());
    assert_eq!(unknown_before, 0, "B opens what was written before");
    let (announcement, _) = open_after(
        &rows
            .iter()
            .filter(|(seq, _)| *seq <= announced)
            .cloned()
            .collect::<Vec<_>>(),
        before,
        clinic,
        &b_keys,
    );
    assert!(
        announcement
            .iter()
            .all(|t| t == "device_members" || t == "audit_events"),
        "the announcement carries only the revocation: {announcement:?}"
    );
    let (opened_after, unknown_after) = open_after(&rows, announced, clinic, &b_keys);
    assert!(
        opened_after.is_empty(),
        "B opened rows written after its revocation: {opened_after:?}"
    );
    assert!(
        unknown_after >= 2,
        "A's and C's writes are on the server: {unknown_after}"
    );
}

/// A hostile server withholds C's grant of the new key. C still hears of the
/// revocation (sent under the old key), so it seals nothing with a key the revoked
/// device holds: its changes wait on it, reported, and A's new writes wait aside. Once
/// the grant is served, everything opens, goes, and converges.
#[test]
fn a_server_that_withholds_the_new_key_cannot_make_a_member_seal_with_the_old_one() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, b) = clinic_of_two(&url, &dirs);
    let clinic = ok(a.clinic_id());
    let dir_c = ok(tempfile::tempdir());
    let mut c = enroll_device(&url, &mut a, dir_c.path());
    sync(&mut c);
    let b_keys = ok(b.clinic_keys());

    let admin = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));

    super::confirmed(&mut a, &admin);
    ok(a.revoke_device(&admin, b.device_id()));
    let announced = highest_seq(&server_rows(&runtime, &pool, clinic));
    write_client(&mut a, "Lena Novak", "Writtenbya");
    sync(&mut a);
    // The server takes C's grant out of what it serves.
    let withheld: Vec<(i32, Vec<u8>, Uuid)> = runtime.block_on(async {
        ok(sqlx::query_as(
            "DELETE FROM key_grants WHERE clinic_id = $1 AND device_id = $2
             RETURNING key_id, grant_bytes, created_by",
        )
        .bind(clinic)
        .bind(c.device_id())
        .fetch_all(&pool)
        .await)
    });
    assert_eq!(withheld.len(), 1);

    write_client(&mut c, "Lena Novak", "Writtenbyc");
    let report = sync(&mut c);
    assert_eq!(report.key_grants.keys_added, 0);
    assert!(
        !report.rejected.is_empty(),
        "A's new writes wait aside: {report:?}"
    );
    assert_eq!(report.pushed, 0, "C sealed with a key B holds: {report:?}");
    let waiting = report.push_refused.clone().unwrap_or_default();
    assert!(waiting.contains("revoked"), "{report:?}");
    assert!(ok(c.sync_state()).pending > 0, "C's changes are kept");
    assert!(
        ok(c.sync_state())
            .last_error
            .is_some_and(|e| e.contains("withholding")),
        "the status bar says why"
    );
    // Nothing of C's reached the server for B to open.
    let (opened, _) = open_after(
        &server_rows(&runtime, &pool, clinic),
        announced,
        clinic,
        &b_keys,
    );
    assert!(opened.is_empty(), "{opened:?}");

    // The honest server is back: the grant is served again.
    runtime.block_on(async {
        for (key_id, grant, by) in &withheld {
            ok(sqlx::query(
                "INSERT INTO key_grants (clinic_id, device_id, key_id, grant_bytes, created_by)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(clinic)
            .bind(c.device_id())
            .bind(key_id)
            .bind(grant)
            .bind(by)
            .execute(&pool)
            .await);
        }
    });
    let report = sync(&mut c);
    assert_eq!(report.key_grants.keys_added, 1, "{report:?}");
    assert!(
        report.pushed > 0 && report.push_refused.is_none(),
        "{report:?}"
    );
    assert!(report.recovered_envelopes > 0, "{report:?}");
    sync(&mut a);
    for store in [&mut a, &mut c] {
        assert!(finds(store, "Writtenbya"));
        assert!(finds(store, "Writtenbyc"));
    }
    settle(&mut [&mut a, &mut c]);
    assert!(canonical(&a) == canonical(&c), "A and C differ");
    let (opened, unknown) = open_after(
        &server_rows(&runtime, &pool, clinic),
        announced,
        clinic,
        &b_keys,
    );
    assert!(opened.is_empty(), "{opened:?}");
    assert!(unknown >= 2);
}

/// Two admins revoke two devices at the same time, each on a device that has not heard
/// of the other's revocation: each epoch left out one revoked device and was granted to
/// the other. Neither key is sealed with once both revocations are known; the revoking
/// devices make another epoch that leaves both out, and the clinic goes on under it.
#[test]
fn two_revocations_at_once_end_in_a_key_neither_revoked_device_holds() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = clinic_of_two(&url, &dirs);
    let clinic = ok(a.clinic_id());
    let (dir_d, dir_e) = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut d = enroll_device(&url, &mut a, dir_d.path());
    let mut e = enroll_device(&url, &mut a, dir_e.path());
    for store in [&mut b, &mut d, &mut e] {
        sync(store);
    }
    let (d_keys, e_keys) = (ok(d.clinic_keys()), ok(e.clinic_keys()));

    // A revokes D and B revokes E, neither having synced since.
    let admin_a = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    super::confirmed(&mut a, &admin_a);
    let admin_b = ok(b.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    super::confirmed(&mut b, &admin_b);
    ok(a.revoke_device(&admin_a, d.device_id()));
    ok(b.revoke_device(&admin_b, e.device_id()));
    let revoked = highest_seq(&server_rows(&runtime, &pool, clinic));
    for _ in 0..3 {
        sync(&mut a);
        sync(&mut b);
    }
    write_client(&mut a, "Lena Novak", "Afterbotha");
    write_client(&mut b, "Lena Novak", "Afterbothb");
    for _ in 0..2 {
        let ra = sync(&mut a);
        let rb = sync(&mut b);
        assert!(
            ra.push_refused.is_none() && rb.push_refused.is_none(),
            "{ra:?} {rb:?}"
        );
    }
    for store in [&mut a, &mut b] {
        assert!(finds(store, "Afterbotha") && finds(store, "Afterbothb"));
        let newest = ok(store.clinic_keys()).pop().map(|k| k.id() >> 16);
        assert!(newest.is_some_and(|epoch| epoch >= 2), "{newest:?}");
    }
    settle(&mut [&mut a, &mut b]);
    assert!(canonical(&a) == canonical(&b), "A and B differ");
    // Whatever either revoked device was given, it opens none of what came after.
    let rows = server_rows(&runtime, &pool, clinic);
    let writes_after = |keys: &[DataKey]| {
        let (tables, _) = open_after(&rows, revoked, clinic, keys);
        tables.into_iter().filter(|t| t == "clients").count()
    };
    assert_eq!(writes_after(&d_keys), 0);
    assert_eq!(writes_after(&e_keys), 0);
    // Nor what the epochs granted them before the other's revocation was known: the
    // keys each revoked device could have fetched with its token are only the first
    // epochs, which neither write was sealed with.
    let fetchable: Vec<DataKey> = ok(a.clinic_keys())
        .into_iter()
        .filter(|k| k.id() >> 16 <= 1)
        .collect();
    assert_eq!(writes_after(&fetchable), 0);
}

/// A lost laptop is revoked and replaced (issue 15, requirement 2's replacement path):
/// the clinic keeps its id, the replacement is invited and approved after the rotation,
/// receives every clinic key with the devices the newest one left out, reads what was
/// written before and after, and seals with the new key — which the lost laptop's keys
/// do not open.
#[test]
fn a_revoked_device_is_replaced_in_the_same_clinic_and_the_replacement_reads_everything() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, b) = clinic_of_two(&url, &dirs);
    let clinic = ok(a.clinic_id());
    let lost_keys = ok(b.clinic_keys());
    let admin = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    super::confirmed(&mut a, &admin);
    ok(a.revoke_device(&admin, b.device_id()));
    write_client(&mut a, "Lena Novak", "Afterthelaptopwaslost");
    sync(&mut a);
    let announced = highest_seq(&server_rows(&runtime, &pool, clinic));

    let dir_r = ok(tempfile::tempdir());
    let mut replacement = enroll_device(&url, &mut a, dir_r.path());
    assert_eq!(ok(replacement.clinic_id()), clinic, "the same clinic");
    let report = sync(&mut replacement);
    assert!(report.rejected.is_empty(), "{report:?}");
    assert!(finds(&mut replacement, "Afterthelaptopwaslost"));
    let newest = ok(a.clinic_keys()).pop().map(|k| k.id());
    let sealing = ok(replacement.sealing_key(&ok(replacement.clinic_keys())));
    assert_eq!(sealing.map(|k| k.id()), newest, "it seals with the new key");
    write_client(&mut replacement, "Lena Novak", "Writtenbythereplacement");
    let pushed = sync(&mut replacement);
    assert!(
        pushed.pushed > 0 && pushed.push_refused.is_none(),
        "{pushed:?}"
    );
    sync(&mut a);
    assert!(finds(&mut a, "Writtenbythereplacement"));
    settle(&mut [&mut a, &mut replacement]);
    assert!(
        canonical(&a) == canonical(&replacement),
        "A and the replacement differ"
    );
    let (opened, unknown) = open_after(
        &server_rows(&runtime, &pool, clinic),
        announced,
        clinic,
        &lost_keys,
    );
    assert!(opened.is_empty(), "{opened:?}");
    assert!(unknown >= 1);
}
