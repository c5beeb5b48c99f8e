//! Chains a device cannot forge for another (issue 14, requirement 4), from the
//! attacker's side: a member device whose own checks are gone appends to another
//! device's audit chain and controlled-drug register, and makes up a chain for a device
//! that is no member. Merge refuses every such entry on every device; and an entry that
//! got into a store any other way (a store from before the check, a file edited by
//! hand) is reported by `audit verify` and the register check as not intact.

mod common;

use common::{clinic, dirs, hostile, insert_row, ok, reasons, replica, sync_into};
use rusqlite::params;
use uuid::Uuid;
use vetdesk_core::audit::{EventFields, event_hash};
use vetdesk_core::services::billing::{CatalogItemInput, ReceiveInput};
use vetdesk_core::signing::{Chain, DeviceSigner};
use vetdesk_core::{Store, Value};

/// The head (index, hash) of `device`'s audit chain as `store` holds it.
fn audit_head(store: &Store, device: Uuid) -> (i64, Vec<u8>) {
    ok(store.connection_for_tests().query_row(
        "SELECT chain_index, hash FROM audit_events WHERE device_id = ?1
         ORDER BY chain_index DESC LIMIT 1",
        [device.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ))
}

/// An audit event for `device` that follows `head`, well hashed, signed by `signer`
/// (`None`: unsigned), for `actor`.
fn audit_event(
    device: Uuid,
    head: (i64, &[u8]),
    actor: Uuid,
    signer: Option<&DeviceSigner>,
) -> Vec<(&'static str, Value)> {
    let (chain_index, prev_hash) = head;
    let (action, entity, entity_id, at, detail) = (
        "client.delete",
        "client",
        "c-1",
        "2026-11-22T09:30:00Z",
        "made up",
    );
    let actor_id = actor.to_string();
    let device_id = device.to_string();
    let hash = event_hash(&EventFields {
        device_id: &device_id,
        chain_index,
        prev_hash,
        actor_id: &actor_id,
        action,
        entity,
        entity_id,
        at,
        detail,
    });
    let mut values = vec![
        ("device_id", Value::text(device_id)),
        ("chain_index", Value::Int(chain_index)),
        ("prev_hash", Value::Blob(prev_hash.to_vec())),
        ("hash", Value::Blob(hash.to_vec())),
        ("actor_id", Value::text(actor_id)),
        ("action", Value::text(action)),
        ("entity", Value::text(entity)),
        ("entity_id", Value::text(entity_id)),
        ("at", Value::text(at)),
        ("detail", Value::text(detail)),
    ];
    if let Some(signer) = signer {
        values.push((
            "signature",
            Value::Blob(signer.sign_chain_entry(Chain::Audit, &hash).to_vec()),
        ));
    }
    values
}

/// Stores an audit event's values straight into `store`'s database, past merge.
fn store_raw(store: &Store, values: &[(&'static str, Value)]) {
    let columns: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
    let marks: Vec<String> = (2..=values.len() + 1).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO audit_events (id, {}) VALUES (?1, {})",
        columns.join(", "),
        marks.join(", ")
    );
    let id = Uuid::now_v7().to_string();
    let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&id];
    bound.extend(values.iter().map(|(_, v)| v as &dyn rusqlite::ToSql));
    ok(store.connection_for_tests().execute(&sql, bound.as_slice()));
}

#[test]
fn no_device_adds_to_anothers_audit_chain_or_makes_one_up() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let mut b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &a.owner, dirs[2].path(), a.clock.clone());
    let desk = a.front_desk.clone();
    ok(a.store
        .transact(&desk, |tx| tx.create_client(&common::client("Ann", "Ng"))));
    sync_into(&a.store, &mut b);
    ok(b.transact(&desk, |tx| tx.create_client(&common::client("Bo", "Li"))));
    sync_into(&a.store, &mut c);
    sync_into(&b, &mut c);

    // Every honest chain C holds is signed by its own device, and C checks each one.
    let honest = ok(c.verify_audit());
    assert!(honest.is_intact(), "{honest:?}");
    assert_eq!(honest.signer_unchecked, 0, "{honest:?}");
    assert!(honest.devices == 2 && honest.events >= 7, "{honest:?}");

    // B, with its checks removed: the next event of A's chain (well hashed, following
    // A's head, signed by B since B cannot sign as A), one of A's unsigned, and the
    // first event of a device that does not exist.
    let (a_device, made_up) = (a.store.device_id(), Uuid::now_v7());
    let (index, head) = audit_head(&a.store, a_device);
    let b_signer = ok(b.device_signer());
    let owner = a.owner.staff_id;
    let forged_tail = audit_event(a_device, (index + 1, &head), owner, Some(&b_signer));
    let unsigned_tail = audit_event(a_device, (index + 1, &head), owner, None);
    let made_up_chain = audit_event(made_up, (0, &[0; 32]), owner, Some(&b_signer));
    let kept = insert_row(
        "clients",
        vec![
            ("last_name", Value::text("Kept")),
            ("deleted", Value::Int(0)),
        ],
    );
    let attack = hostile(
        &b,
        10_000,
        owner,
        ok(a.store.last_hlc()).millis() + 1,
        vec![
            insert_row("audit_events", forged_tail.clone()),
            insert_row("audit_events", unsigned_tail.clone()),
            insert_row("audit_events", made_up_chain.clone()),
            kept,
        ],
    );
    sync_into(&b, &mut a.store);
    for store in [&mut a.store, &mut c] {
        let report = ok(store.apply(std::slice::from_ref(&attack)));
        assert_eq!((report.applied, report.quarantined), (1, 3), "{report:?}");
        let reasons = reasons(store);
        assert_eq!(
            reasons
                .iter()
                .filter(|r| r.contains("audit_events.device_id must name device"))
                .count(),
            3,
            "{reasons:?}"
        );
        let verification = ok(store.verify_audit());
        assert!(verification.is_intact(), "{verification:?}");
    }
    assert_eq!(ok(a.store.digest()), ok(c.digest()));

    // The same entries stored past merge: each is reported, by what is wrong with it.
    for values in [&forged_tail, &made_up_chain] {
        store_raw(&c, values);
    }
    let broken = ok(c.verify_audit());
    let problems: Vec<&str> = broken.problems.iter().map(|p| p.problem.as_str()).collect();
    assert_eq!(problems.len(), 2, "{broken:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&format!("not signed by device {a_device}"))),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("not in the clinic's membership log")),
        "{problems:?}"
    );
    ok(c.connection_for_tests().execute(
        "DELETE FROM audit_events WHERE device_id = ?1 AND chain_index = ?2",
        params![a_device.to_string(), index + 1],
    ));
    store_raw(&c, &unsigned_tail);
    let unsigned = ok(c.verify_audit());
    assert!(
        unsigned
            .problems
            .iter()
            .any(|p| p.device_id == a_device.to_string() && p.problem.contains("no signature")),
        "{unsigned:?}"
    );
}

#[test]
fn a_chain_written_before_chain_signatures_still_verifies_by_its_hashes() {
    let dirs = dirs::<1>();
    let mut a = clinic(dirs[0].path());
    let desk = a.front_desk.clone();
    ok(a.store
        .transact(&desk, |tx| tx.create_client(&common::client("Ann", "Ng"))));
    // As a store upgraded from before chain signatures holds it: the older events
    // carry none.
    ok(a.store.connection_for_tests().execute(
        "UPDATE audit_events SET signature = NULL WHERE chain_index < 3",
        [],
    ));
    let verification = ok(a.store.verify_audit());
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.signer_unchecked, 3);
    // Changing one of them is still found by its hash.
    ok(a.store.connection_for_tests().execute(
        "UPDATE audit_events SET detail = 'edited' WHERE chain_index = 1",
        [],
    ));
    assert!(!ok(a.store.verify_audit()).is_intact());
}

#[test]
fn no_device_adds_to_anothers_controlled_drug_register() {
    let dirs = dirs::<3>();
    let mut a = clinic(dirs[0].path());
    let b = replica(&mut a.store, &a.owner, dirs[1].path(), a.clock.clone());
    let mut c = replica(&mut a.store, &a.owner, dirs[2].path(), a.clock.clone());
    let (owner, nurse) = (a.owner.clone(), a.nurse.clone());
    let ketamine = ok(a.store.transact(&owner, |tx| {
        tx.add_catalog_item(&CatalogItemInput {
            sku: "DRG-KET".into(),
            name: "Ketamine 100 mg/ml".into(),
            kind: "drug".into(),
            unit: "ml".into(),
            price_cents: 180,
            vat_rate_bp: 2000,
            schedule: Some("3".into()),
            ..Default::default()
        })
    }));
    ok(a.store.transact(&nurse, |tx| {
        tx.receive_stock(&ReceiveInput {
            item_id: ketamine,
            lot_number: "K-1".into(),
            expires_on: Some("2027-03-01".into()),
            quantity_milli: 10_000,
            cost_cents: 20,
            order_line_id: None,
        })
    }));
    sync_into(&a.store, &mut c);
    let honest = ok(c.verify_controlled_register());
    assert!(honest.is_intact() && honest.events == 1, "{honest:?}");
    assert_eq!(honest.signer_unchecked, 0);

    // B writes an entry in A's register: a receipt of 5 ml no one received.
    let (a_device, nurse_id) = (a.store.device_id().to_string(), nurse.staff_id);
    let forged = insert_row(
        "controlled_register",
        vec![
            ("device_id", Value::text(a_device.clone())),
            ("chain_index", Value::Int(1)),
            ("item_id", Value::text(ketamine.to_string())),
            ("kind", Value::text("receive")),
            ("quantity_milli", Value::Int(5_000)),
            ("balance_milli", Value::Int(15_000)),
            ("recorded_by", Value::text(nurse_id.to_string())),
        ],
    );
    let attack = hostile(
        &b,
        10_000,
        nurse_id,
        ok(a.store.last_hlc()).millis() + 1,
        vec![forged],
    );
    let report = ok(c.apply(std::slice::from_ref(&attack)));
    assert_eq!(report.quarantined, 1, "{report:?}");
    assert!(
        reasons(&c)
            .iter()
            .any(|r| r.contains("controlled_register.device_id must name device")),
        "{:?}",
        reasons(&c)
    );
    assert!(ok(c.verify_controlled_register()).is_intact());

    // Stored past merge, its signature (B's, over a hash that follows A's head) gives
    // it away.
    let (prev, signature): (Vec<u8>, Vec<u8>) = ok(c.connection_for_tests().query_row(
        "SELECT hash, signature FROM controlled_register WHERE device_id = ?1",
        [&a_device],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ));
    assert_eq!(signature.len(), 64);
    ok(c.connection_for_tests().execute(
        "INSERT INTO controlled_register (id, device_id, chain_index, prev_hash, hash,
             item_id, kind, quantity_milli, balance_milli, signature)
         SELECT ?1, device_id, 1, ?2, hash, item_id, kind, 5000, 15000, ?3
         FROM controlled_register WHERE device_id = ?4",
        params![
            Uuid::now_v7().to_string(),
            prev,
            ok(b.device_signer())
                .sign_chain_entry(Chain::ControlledRegister, &[1; 32])
                .to_vec(),
            a_device
        ],
    ));
    let broken = ok(c.verify_controlled_register());
    assert!(
        broken
            .problems
            .iter()
            .any(|p| p.chain_index == 1 && p.problem.contains("not signed by device")),
        "{broken:?}"
    );
}
