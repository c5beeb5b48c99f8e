//! A hostile sync server at enrollment (issue 15, requirement 1; SECURITY-REVIEW.md C1),
//! through the real server and PostgreSQL, the server's rows changed in SQL as a server
//! that wants the clinic key would change them: it swaps the pending device's key, or
//! substitutes the key grant the new device receives. Each is refused with a clear error
//! and reported, nothing is sealed to a key the server chose, and once the honest rows
//! are back the same devices finish the enrollment and converge.

use vetdesk_core::enrollment_proof::ProofError;
use vetdesk_core::services::devices::PendingProof;
use vetdesk_core::sync::SyncError;
use vetdesk_core::{Error, Store, members, signing};

use super::{
    an_admin_of, canonical, clinic_on_a, enrollment, ok, protection, runtime, start_server, sync,
};

/// Device B enrolled (not yet approved) with an invitation A made.
fn enrolled_on(url: &str, a: &mut Store, dir: &std::path::Path, name: &str) -> Store {
    let owner = an_admin_of(a);
    let code = ok(a.invite_device(&owner)).code;
    ok(Store::enroll(
        dir,
        &enrollment(url, &code, name),
        protection(),
        time::OffsetDateTime::now_utc(),
    ))
}

fn proof_of(a: &Store, device: uuid::Uuid) -> Option<PendingProof> {
    ok(a.clinic_devices())
        .into_iter()
        .find(|d| d.device_id == device)
        .and_then(|d| d.proof)
}

/// What the server holds for `device`: its status and its key grant.
fn server_row(
    runtime: &tokio::runtime::Runtime,
    pool: &sqlx::PgPool,
    device: uuid::Uuid,
) -> (String, Option<Vec<u8>>) {
    runtime.block_on(async {
        ok(
            sqlx::query_as("SELECT status, wrapped_key FROM devices WHERE device_id = $1")
                .bind(device)
                .fetch_one(pool)
                .await,
        )
    })
}

/// The server's rows for `device` changed as a hostile server would change them.
#[derive(Clone, Copy)]
enum Tamper {
    PublicKey,
    KeyGrant,
}

fn set_column(
    runtime: &tokio::runtime::Runtime,
    pool: &sqlx::PgPool,
    device: uuid::Uuid,
    column: Tamper,
    value: &[u8],
) {
    let sql = match column {
        Tamper::PublicKey => "UPDATE devices SET public_key = $2 WHERE device_id = $1",
        Tamper::KeyGrant => "UPDATE devices SET wrapped_key = $2 WHERE device_id = $1",
    };
    runtime.block_on(async {
        ok(sqlx::query(sql)
            .bind(device)
            .bind(value)
            .execute(pool)
            .await)
    });
}

#[test]
fn a_server_that_swaps_a_pending_devices_key_gets_no_approval_and_nothing_sealed_to_it() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let (dir_a, dir_b) = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = clinic_on_a(&url, dir_a.path());
    let owner = an_admin_of(&mut a);
    let mut b = enrolled_on(&url, &mut a, dir_b.path(), "Exam room 3");
    let device_b = b.device_id();
    let honest_key = ok(b.device_public_key());
    let shown_on_b = ok(b.status()).device_fingerprint;
    assert_eq!(proof_of(&a, device_b), Some(PendingProof::Verified));

    // The server lists a key of its own for B (as C1 describes), hoping A seals the
    // clinic key to it.
    let evil = signing::DeviceSigner::from_secret(&zeroize::Zeroizing::new([0x66; 32]));
    let evil_key = evil.public_key();
    set_column(&runtime, &pool, device_b, Tamper::PublicKey, &evil_key);
    assert_eq!(
        proof_of(&a, device_b),
        Some(PendingProof::Tampered),
        "A's device list warns about B"
    );
    for fingerprint in [shown_on_b.clone(), members::fingerprint(&evil_key)] {
        match a.approve_device(&owner, device_b, &fingerprint, false) {
            Err(SyncError::Store(Error::EnrollmentProof(ProofError::IntroductionTampered))) => {}
            other => panic!("approving a swapped key must be refused: {other:?}"),
        }
    }
    assert_eq!(
        server_row(&runtime, &pool, device_b),
        ("pending".to_string(), None),
        "nothing was sealed or sent for B"
    );
    assert!(
        ok(a.members()).iter().all(|m| m.device_id != device_b),
        "B's key (or the server's) did not join the membership log"
    );
    let refusals = ok(a.read(&owner, |rx| {
        rx.audit_log(Some("device.approve_refused"), 10)
    }));
    assert_eq!(refusals.len(), 2, "both refusals are audited: {refusals:?}");
    assert!(refusals.iter().all(|e| e.entity_id == device_b.to_string()));

    // B is told it still waits, not handed anything.
    match b.fetch_clinic_key_if_missing() {
        Err(SyncError::AwaitingApproval(d)) => assert_eq!(d, device_b),
        other => panic!("B still waits: {other:?}"),
    }

    // The honest key back: the same invitation is approved and the clinic converges.
    set_column(&runtime, &pool, device_b, Tamper::PublicKey, &honest_key);
    assert_eq!(proof_of(&a, device_b), Some(PendingProof::Verified));
    ok(a.approve_device(&owner, device_b, &shown_on_b, false));
    sync(&mut a);
    ok(b.fetch_clinic_key_if_missing());
    sync(&mut b);
    assert_eq!(canonical(&b), canonical(&a));
}

#[test]
fn a_clinic_key_or_approver_the_server_substitutes_is_refused_by_the_new_device() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = [(); 3].map(|()| ok(tempfile::tempdir()));
    let mut a = clinic_on_a(&url, dirs[0].path());
    let owner = an_admin_of(&mut a);
    let mut b = enrolled_on(&url, &mut a, dirs[1].path(), "Exam room 4");
    let c = enrolled_on(&url, &mut a, dirs[2].path(), "Kennels");
    for device in [&b, &c] {
        let fingerprint = ok(device.status()).device_fingerprint;
        ok(a.approve_device(&owner, device.device_id(), &fingerprint, false));
    }
    sync(&mut a);
    let (_, genuine) = server_row(&runtime, &pool, b.device_id());
    let genuine = genuine.unwrap_or_else(|| panic!("A's grant for B is on the server"));
    let (_, grant_for_c) = server_row(&runtime, &pool, c.device_id());
    let grant_for_c = grant_for_c.unwrap_or_else(|| panic!("A's grant for C is on the server"));

    // What the server could put in B's row: a clinic key of its own in an anonymous
    // sealed box to B's key (what the old protocol accepted); a real grant, but one A
    // made for another device (another invitation); the genuine grant cut short or with
    // one bit flipped.
    let b_x25519 = signing::x25519_public_of(&ok(b.device_public_key()))
        .unwrap_or_else(|| panic!("B's key has an X25519 form"));
    let anonymous =
        ok(crypto_box::PublicKey::from(b_x25519).seal(&mut crypto_box::aead::OsRng, &[0x42u8; 32]));
    let mut flipped = genuine.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    for (what, substitute) in [
        ("a server-chosen key in a sealed box", anonymous),
        ("another device's grant", grant_for_c),
        ("a truncated grant", genuine[..genuine.len() / 2].to_vec()),
        ("a flipped bit", flipped),
    ] {
        set_column(
            &runtime,
            &pool,
            b.device_id(),
            Tamper::KeyGrant,
            &substitute,
        );
        match b.fetch_clinic_key_if_missing() {
            Err(SyncError::Store(Error::EnrollmentProof(ProofError::GrantTampered))) => {}
            other => panic!("{what} must be refused: {other:?}"),
        }
        assert!(ok(b.clinic_keys()).is_empty(), "{what}: B keeps no key");
    }

    // The genuine grant back: B takes it, syncs and holds what A holds.
    set_column(&runtime, &pool, b.device_id(), Tamper::KeyGrant, &genuine);
    ok(b.fetch_clinic_key_if_missing());
    sync(&mut b);
    assert_eq!(canonical(&b), canonical(&a));
}
