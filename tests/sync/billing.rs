//! Two registers billing offline through the real sync path (the server over HTTP, a
//! real PostgreSQL): both sell the last vial and both sales stand (stock −1 and a
//! reconciliation alert on both), their invoice numbers never collide, edits of one
//! draft invoice merge line by line, and the controlled-drug register of each device
//! stays a verified chain whose balance equals the sum of its entries.

use time::macros::date;
use vetdesk_core::Store;
use vetdesk_core::services::billing::LineForm;
use vetdesk_core::services::billing::{CatalogItemInput, ReceiveInput, StockAlert};

use super::{enroll_device, ok, protection, runtime, set_up_sync, start_server, sync};

fn product(sku: &str, name: &str, schedule: Option<&str>) -> CatalogItemInput {
    CatalogItemInput {
        sku: sku.into(),
        name: name.into(),
        kind: if schedule.is_some() {
            "drug"
        } else {
            "product"
        }
        .into(),
        unit: "vial".into(),
        price_cents: 2500,
        vat_rate_bp: 2000,
        schedule: schedule.map(str::to_string),
        ..Default::default()
    }
}

fn line(item: uuid::Uuid, quantity_milli: i64) -> LineForm {
    LineForm {
        item_id: Some(item),
        quantity_milli,
        ..Default::default()
    }
}

#[test]
fn two_registers_offline_sell_the_last_vial_number_apart_and_merge_a_shared_draft() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let (dir_a, dir_b) = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = ok(Store::create(
        dir_a.path(),
        "Harbour Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    let owner = ok(a.bootstrap_owner("Olivia Owner", vec![], "1111"));
    super::confirmed(&mut a, &owner);
    let vet = ok(a.transact(&owner, |tx| {
        let id = tx.add_staff(
            "Dr Vera Vet",
            vetdesk_core::Roles::new([vetdesk_core::Role::Vet]),
            "2222",
        )?;
        Ok(id)
    }));
    let vet = ok(a.sign_in(&vet.to_string(), "2222"));
    let (vial, ketamine) = ok(a.transact(&owner, |tx| {
        Ok((
            tx.add_catalog_item(&product("VAC-1", "Vaccine vial", None))?,
            tx.add_catalog_item(&product("KET-1", "Ketamine vial", Some("3")))?,
        ))
    }));
    let client = ok(a.transact(&vet, |tx| {
        for (item, lot) in [(vial, "V-1"), (ketamine, "K-1")] {
            tx.receive_stock(&ReceiveInput {
                item_id: item,
                lot_number: lot.into(),
                expires_on: Some("2027-06-30".into()),
                quantity_milli: 1000,
                cost_cents: 900,
                order_line_id: None,
            })?;
        }
        tx.create_client(&vetdesk_core::services::clients::ClientInput {
            first_name: "Ann".into(),
            last_name: "Ng".into(),
            ..Default::default()
        })
    }));
    let shared = ok(a.transact(&vet, |tx| {
        let id = tx.create_invoice("invoice", client, None, None)?;
        tx.add_invoice_line(id, &line(vial, 1000))?;
        Ok(id)
    }));
    let shared_line = ok(a.read(&vet, |rx| rx.invoice(shared))).lines[0].id;
    set_up_sync(&mut a, &url);
    sync(&mut a);
    let mut b = enroll_device(&url, &mut a, dir_b.path());
    sync(&mut b);
    assert_eq!(ok(b.read(&vet, |rx| rx.invoice(shared))).lines.len(), 1);

    // Offline, each register sells the last vaccine and dispenses the last ketamine.
    let sell = |store: &mut Store| {
        ok(store.transact(&vet, |tx| {
            let id = tx.create_invoice("invoice", client, None, None)?;
            tx.add_invoice_line(id, &line(vial, 1000))?;
            tx.add_invoice_line(id, &line(ketamine, 1000))?;
            tx.finalize_invoice(id)
        }))
    };
    let sold_a = sell(&mut a);
    let sold_b = sell(&mut b);
    assert!(sold_a.short.is_empty() && sold_b.short.is_empty());
    assert_ne!(sold_a.number, sold_b.number);
    // And both edit the shared draft: A doubles the vaccine, B adds a nail clip.
    ok(a.transact(&vet, |tx| {
        tx.update_invoice_line(shared_line, &line(vial, 2000))
    }));
    ok(b.transact(&vet, |tx| {
        tx.add_invoice_line(
            shared,
            &LineForm {
                description: Some("Nail clip".into()),
                quantity_milli: 1000,
                unit_price_cents: Some(800),
                vat_rate_bp: Some(2000),
                ..Default::default()
            },
        )
    }));

    sync(&mut a);
    sync(&mut b);
    sync(&mut a);
    for (name, store) in [("A", &mut a), ("B", &mut b)] {
        let levels = ok(store.read(&vet, |rx| rx.stock_levels()));
        for item in [vial, ketamine] {
            let level = levels.iter().find(|l| l.item.id == item).expect("item");
            assert_eq!(level.on_hand_milli, -1000, "{name}: both sales kept");
        }
        let alerts = ok(store.read(&vet, |rx| rx.stock_alerts(date!(2026 - 11 - 22))));
        let reconcile = alerts
            .iter()
            .filter(|a| matches!(a, StockAlert::Reconcile { .. }))
            .count();
        assert_eq!(reconcile, 2, "{name}: {alerts:?}");
        let finalized = ok(store.read(&vet, |rx| rx.invoices(None, Some("finalized"), 10)));
        let mut numbers: Vec<String> = finalized.into_iter().filter_map(|i| i.number).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 2, "{name}: {numbers:?}");
        let draft = ok(store.read(&vet, |rx| rx.invoice(shared)));
        let mut lines: Vec<(String, i64)> = draft
            .lines
            .iter()
            .map(|l| (l.description.clone(), l.quantity_milli))
            .collect();
        lines.sort();
        assert_eq!(
            lines,
            vec![
                ("Nail clip".to_string(), 1000),
                ("Vaccine vial".to_string(), 2000)
            ],
            "{name}"
        );
        // The register: two chains, each intact; its balance is the sum of its entries
        // and equals the stock the movements say.
        let verification = ok(store.verify_controlled_register());
        assert!(verification.is_intact(), "{name}: {verification:?}");
        assert_eq!(verification.devices, 2, "{name}");
        let register = ok(store.read(&vet, |rx| rx.controlled_register(Some(ketamine))));
        let sum: i64 = register.iter().map(|e| e.quantity_milli).sum();
        assert_eq!(sum, -1000, "{name}");
    }
    assert_eq!(ok(a.digest()), ok(b.digest()));
}
