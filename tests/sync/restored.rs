//! A data folder restored from a copy, or copied and run twice (issue 15, requirement
//! 6; SECURITY-REVIEW.md M4), through the real server and PostgreSQL. The restored
//! device's next changesets reuse seqs the server already holds other changesets
//! under: the server answers "sequence reused" (by content id, which it can compare
//! without reading either), the device takes back what its earlier life sent, moves
//! its unsent changesets after the server's, and sends them again. Nothing is lost,
//! nothing is overwritten, and every device ends with the same records.

use std::path::Path;

use vetdesk_core::Store;
use vetdesk_core::services::clients::ClientInput;

use super::{canonical, enroll_device, ok, protection, runtime, set_up_sync, start_server, sync};

/// Copies a (closed) data folder, as a backup or a cloned disk does.
fn copy_folder(from: &Path, to: &Path) {
    ok(std::fs::create_dir_all(to));
    for entry in ok(std::fs::read_dir(from)) {
        let entry = ok(entry);
        let target = to.join(entry.file_name());
        if ok(entry.file_type()).is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            ok(std::fs::copy(entry.path(), &target));
        }
    }
}

fn open(dir: &Path) -> Store {
    ok(Store::open(
        dir,
        &vetdesk_core::Unlock::with_passphrase("a long test passphrase"),
    ))
}

fn add_client(store: &mut Store, first_name: &str) {
    let admin = super::an_admin_of(store);
    let input = ClientInput {
        first_name: first_name.into(),
        last_name: "Restored".into(),
        ..ClientInput::default()
    };
    ok(store.transact(&admin, |tx| tx.create_client(&input)));
}

/// Receives `milli` of the controlled drug `sku` (a register entry of this device),
/// adding the drug to the catalog the first time.
fn receive_controlled(store: &mut Store, sku: &str, lot: &str, milli: i64) {
    use vetdesk_core::services::billing::{CatalogItemInput, ReceiveInput};
    let admin = super::an_admin_of(store);
    let existing: Option<String> = ok(store.connection_for_tests().query_row(
        "SELECT max(id) FROM catalog_items WHERE sku = ?1",
        [sku],
        |r| r.get(0),
    ));
    let item_id = match existing.and_then(|id| uuid::Uuid::parse_str(&id).ok()) {
        Some(id) => id,
        None => ok(store.transact(&admin, |tx| {
            tx.add_catalog_item(&CatalogItemInput {
                sku: sku.into(),
                name: format!("Controlled {sku}"),
                kind: "drug".into(),
                unit: "ml".into(),
                price_cents: 180,
                vat_rate_bp: 2000,
                schedule: Some("3".into()),
                ..Default::default()
            })
        })),
    };
    ok(store.transact(&admin, |tx| {
        tx.receive_stock(&ReceiveInput {
            item_id,
            lot_number: lot.into(),
            expires_on: Some("2027-03-01".into()),
            quantity_milli: milli,
            cost_cents: 20,
            order_line_id: None,
        })
    }));
}

/// The first names of the clients named "Restored", sorted.
fn restored_clients(store: &Store) -> Vec<String> {
    let conn = store.connection_for_tests();
    let mut stmt = ok(conn.prepare(
        "SELECT first_name FROM clients WHERE last_name = 'Restored' ORDER BY first_name",
    ));
    ok(stmt.query_map([], |r| r.get(0)))
        .filter_map(Result::ok)
        .collect()
}

/// A clinic on A (in `dirs.0`) with a second device B (in `dirs.1`), both synced; A's
/// folder then copied, while A is closed, to `dirs.2`. Returns B.
fn clinic_with_a_copy_of_a(url: &str, dirs: &[tempfile::TempDir; 3]) -> Store {
    let mut a = ok(Store::create(
        dirs[0].path(),
        "Restore Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    set_up_sync(&mut a, url);
    sync(&mut a);
    let b = enroll_device(url, &mut a, dirs[1].path());
    sync(&mut a);
    drop(a);
    copy_folder(dirs[0].path(), dirs[2].path());
    b
}

#[test]
fn a_folder_restored_from_a_copy_loses_nothing_it_sent_before_or_writes_after() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    // The backup, taken while A is closed.
    let dirs = [(); 3].map(|()| ok(tempfile::tempdir()));
    let mut b = clinic_with_a_copy_of_a(&url, &dirs);
    let [dir_a, _, backup] = &dirs;
    let mut a = open(dir_a.path());
    for name in ["Ada", "Bo", "Cy"] {
        add_client(&mut a, name);
    }
    receive_controlled(&mut a, "DRG-KET", "K-SENT", 5000);
    let sent = sync(&mut a);
    assert_eq!(
        (sent.push_refused.clone(), ok(a.sync_state()).pending),
        (None, 0)
    );
    assert_eq!(sent.renumbered.moved, 0, "nothing reused yet: {sent:?}");

    // The disk dies; the folder comes back from the backup, three changes behind.
    drop(a);
    ok(std::fs::remove_dir_all(dir_a.path()));
    copy_folder(backup.path(), dir_a.path());
    let mut a = open(dir_a.path());
    for name in ["Dee", "Eve"] {
        add_client(&mut a, name);
    }
    receive_controlled(&mut a, "DRG-MET", "M-AFTER", 3000);
    let restored = sync(&mut a);
    assert_eq!(restored.push_refused, None, "{restored:?}");
    assert!(
        restored.renumbered.moved >= 2 && restored.renumbered.to_seq > restored.renumbered.from_seq,
        "the two new changesets were moved past the server's: {restored:?}"
    );
    assert_eq!(ok(a.sync_state()).pending, 0);
    sync(&mut b);
    sync(&mut a);

    let everyone = ["Ada", "Bo", "Cy", "Dee", "Eve"];
    assert_eq!(restored_clients(&b), everyone, "B has all five");
    assert_eq!(
        restored_clients(&a),
        everyone,
        "A took back what it had sent before the restore"
    );
    assert_eq!(ok(a.digest()), ok(b.digest()));
    assert!(canonical(&a) == canonical(&b));
    // One audit chain and one controlled-drug register for A, on every device: this
    // life's entries follow the earlier life's instead of forking the chains.
    for store in [&a, &b] {
        let verified = ok(store.verify_audit());
        assert!(verified.is_intact(), "{:?}", verified.problems);
        let register = ok(store.verify_controlled_register());
        assert!(register.is_intact(), "{:?}", register.problems);
        let lots: i64 = ok(store.connection_for_tests().query_row(
            "SELECT count(*) FROM controlled_register WHERE device_id = ?1",
            [a.device_id().to_string()],
            |r| r.get(0),
        ));
        assert_eq!(lots, 2, "both receipts are in the register");
    }
}

#[test]
fn two_copies_of_one_folder_running_at_once_both_deliver_everything() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = [(); 3].map(|()| ok(tempfile::tempdir()));
    let mut b = clinic_with_a_copy_of_a(&url, &dirs);
    let [dir_a, _, dir_copy] = &dirs;
    let (mut a, mut copy) = (open(dir_a.path()), open(dir_copy.path()));
    assert_eq!(a.device_id(), copy.device_id());

    // Both write and sync in turns, each unaware of the other.
    let mut written = Vec::new();
    for round in 0..3 {
        for (store, who) in [(&mut a, "Orig"), (&mut copy, "Copy")] {
            let name = format!("{who}{round}");
            add_client(store, &name);
            written.push(name);
            let report = sync(store);
            assert_eq!(report.push_refused, None, "{who} round {round}: {report:?}");
        }
    }
    for _ in 0..2 {
        for store in [&mut a, &mut copy, &mut b] {
            sync(store);
        }
    }
    written.sort();
    for (store, who) in [(&a, "A"), (&copy, "the copy"), (&b, "B")] {
        assert_eq!(restored_clients(store), written, "{who}");
    }
    assert_eq!(ok(a.digest()), ok(b.digest()));
    assert_eq!(ok(copy.digest()), ok(b.digest()));
    // One audit chain for the device, not two forks of it: each copy's entries follow
    // the other's as it renumbers them.
    for store in [&a, &copy, &b] {
        let verified = ok(store.verify_audit());
        assert!(verified.is_intact(), "{:?}", verified.problems);
    }
    // The server holds each seq of the device once.
    let (rows, distinct): (i64, i64) = runtime.block_on(async {
        ok(sqlx::query_as(
            "SELECT count(*), count(DISTINCT device_seq) FROM envelopes WHERE device_id = $1",
        )
        .bind(a.device_id())
        .fetch_one(&pool)
        .await)
    });
    assert_eq!(rows, distinct);
}
