//! The catalog's prices and the stock's orders against a real store: a price change
//! is kept in the item's history while a finalized invoice keeps the price it was
//! printed with; an order drafted from the reorder list, placed, delivered in two
//! parts into lots (no more than is due), received; a stock take; orders made on two
//! devices offline numbered without colliding and received on either.

mod common;

use common::{ann_and_bella, clinic, ok, replica, sync_into};
use uuid::Uuid;
use vetdesk_core::Error;
use vetdesk_core::services::billing::{
    CatalogItemInput, DeliveryInput, LineForm, OrderLineInput, ReceiveInput,
};

fn tablets() -> CatalogItemInput {
    CatalogItemInput {
        sku: "CARP50".into(),
        name: "Carprofen 50 mg".into(),
        kind: "drug".into(),
        unit: "tablet".into(),
        price_cents: 62,
        vat_rate_bp: 2000,
        reorder_level_milli: 20_000,
        ..Default::default()
    }
}

#[test]
fn a_price_change_is_kept_in_the_history_and_a_finalized_invoice_keeps_its_price() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (owner, desk) = (c.owner.clone(), c.front_desk.clone());
    let (ann, _) = ann_and_bella(&mut c.store, &desk);
    let clip = ok(c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&CatalogItemInput {
            sku: "NAIL".into(),
            name: "Nail clip".into(),
            kind: "service".into(),
            unit: "visit".into(),
            price_cents: 800,
            vat_rate_bp: 2000,
            ..Default::default()
        })
    }));
    let invoice = ok(c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("invoice", ann, None, None)?;
        tx.add_invoice_line(
            id,
            &LineForm {
                item_id: Some(clip),
                quantity_milli: 1000,
                ..Default::default()
            },
        )?;
        tx.finalize_invoice(id)?;
        Ok(id)
    }));
    let mut dearer = ok(c.store.read(&owner, |rx| rx.catalog_item(clip))).input;
    dearer.price_cents = 950;
    ok(c.store
        .transact(&owner, |tx| tx.update_catalog_item(clip, &dearer)));
    // A change that leaves the price alone adds nothing to the history.
    dearer.name = "Nail clipping".into();
    ok(c.store
        .transact(&owner, |tx| tx.update_catalog_item(clip, &dearer)));

    let history = ok(c.store.read(&desk, |rx| rx.price_history(clip)));
    let prices: Vec<i64> = history.iter().map(|p| p.price_cents).collect();
    assert_eq!(prices, [950, 800], "newest first");
    assert!(history.iter().all(|p| p.changed_by == "Olivia Owner"));
    let printed = ok(c.store.read(&desk, |rx| rx.invoice(invoice)));
    assert_eq!(
        printed.lines[0].unit_price_cents, 800,
        "the invoice keeps its price"
    );
    assert!(printed.snapshot_intact && !printed.late_edits);
}

#[test]
fn an_order_from_the_reorder_list_is_delivered_in_parts_into_lots() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (owner, nurse, desk) = (c.owner.clone(), c.nurse.clone(), c.front_desk.clone());
    let carprofen = ok(c
        .store
        .transact(&owner, |tx| tx.add_catalog_item(&tablets())));
    ok(c.store.transact(&nurse, |tx| {
        tx.receive_stock(&ReceiveInput {
            item_id: carprofen,
            lot_number: "OLD".into(),
            quantity_milli: 5000,
            cost_cents: 20,
            ..Default::default()
        })
    }));
    let refused = c.store.transact(&desk, |tx| {
        tx.purchase_order_from_reorder_list("Vet Wholesale")
    });
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    let order = ok(c.store.transact(&nurse, |tx| {
        tx.purchase_order_from_reorder_list("Vet Wholesale")
    }))
    .expect("carprofen is below its reorder level");
    let drafted = ok(c.store.read(&nurse, |rx| rx.purchase_order(order)));
    assert_eq!(drafted.status, "draft");
    assert!(drafted.number.starts_with("PO-"), "{}", drafted.number);
    assert_eq!(drafted.lines.len(), 1);
    // Back up to twice the level of 20: 35 tablets, at the last lot's cost.
    assert_eq!(
        (drafted.lines[0].quantity_milli, drafted.lines[0].cost_cents),
        (35_000, 20)
    );
    let line = drafted.lines[0].id;

    let early = c.store.transact(&nurse, |tx| {
        tx.receive_delivery(&DeliveryInput {
            line_id: line,
            lot_number: "C-1".into(),
            quantity_milli: 1000,
            ..Default::default()
        })
    });
    assert!(matches!(early, Err(Error::NotAllowedNow(_))), "{early:?}");
    ok(c.store.transact(&nurse, |tx| tx.place_order(order)));
    let late_line = c.store.transact(&nurse, |tx| {
        tx.add_order_line(
            order,
            &OrderLineInput {
                item_id: carprofen,
                quantity_milli: 1000,
                cost_cents: 20,
            },
        )
    });
    assert!(
        matches!(late_line, Err(Error::NotAllowedNow(_))),
        "{late_line:?}"
    );

    let deliver = |c: &mut common::Clinic, lot: &str, quantity: i64| {
        c.store.transact(&nurse, |tx| {
            tx.receive_delivery(&DeliveryInput {
                line_id: line,
                lot_number: lot.into(),
                expires_on: Some("2030-01-31".into()),
                quantity_milli: quantity,
                cost_cents: None,
            })
        })
    };
    ok(deliver(&mut c, "C-1", 20_000));
    let part = ok(c.store.read(&nurse, |rx| rx.purchase_order(order)));
    assert_eq!(
        (part.status.as_str(), part.lines[0].received_milli),
        ("part_received", 20_000)
    );
    let too_much = deliver(&mut c, "C-2", 20_000);
    assert!(
        matches!(&too_much, Err(Error::Invalid { field: "quantity", message }) if message.contains("15 of Carprofen 50 mg is still due")),
        "{too_much:?}"
    );
    ok(deliver(&mut c, "C-2", 15_000));
    let done = ok(c.store.read(&nurse, |rx| rx.purchase_order(order)));
    assert_eq!(done.status, "received");
    let cancel = c
        .store
        .transact(&nurse, |tx| tx.cancel_order(order, "changed our minds"));
    assert!(matches!(cancel, Err(Error::NotAllowedNow(_))), "{cancel:?}");
    let level = ok(c.store.read(&nurse, |rx| rx.stock_levels()))
        .into_iter()
        .find(|l| l.item.id == carprofen)
        .expect("carprofen");
    assert_eq!(level.on_hand_milli, 40_000);
    let lots: Vec<&str> = level.lots.iter().map(|l| l.lot_number.as_str()).collect();
    assert_eq!(lots, ["OLD", "C-1", "C-2"]);

    // A stock take of everything stocked, in one act.
    let counted = ok(c.store.transact(&nurse, |tx| {
        tx.stock_take(&[(carprofen, 39_000)], "December count")
    }));
    assert!(counted[0].adjusted && counted[0].expected_milli == 40_000);
    let empty = c.store.transact(&nurse, |tx| tx.stock_take(&[], "nothing"));
    assert!(matches!(
        empty,
        Err(Error::Invalid {
            field: "counts",
            ..
        })
    ));
}

#[test]
fn orders_made_on_two_devices_offline_do_not_collide_and_either_receives_them() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut c = clinic(dirs.0.path());
    let (owner, nurse) = (c.owner.clone(), c.nurse.clone());
    let carprofen = ok(c
        .store
        .transact(&owner, |tx| tx.add_catalog_item(&tablets())));
    let mut b = replica(&mut c.store, &owner, dirs.1.path(), c.clock.clone());
    sync_into(&c.store, &mut b);
    let order_on = |store: &mut vetdesk_core::Store| -> Uuid {
        ok(store.transact(&nurse, |tx| {
            let id = tx.create_purchase_order(
                "Vet Wholesale",
                "",
                &[OrderLineInput {
                    item_id: carprofen,
                    quantity_milli: 10_000,
                    cost_cents: 20,
                }],
            )?;
            tx.place_order(id)?;
            Ok(id)
        }))
    };
    let (on_a, on_b) = (order_on(&mut c.store), order_on(&mut b));
    sync_into(&b, &mut c.store);
    sync_into(&c.store, &mut b);
    let orders = ok(c.store.read(&nurse, |rx| rx.purchase_orders()));
    assert_eq!(orders.len(), 2);
    assert_ne!(
        orders[0].number, orders[1].number,
        "each device's own series"
    );
    // B's order is received on A.
    let line = ok(c.store.read(&nurse, |rx| rx.purchase_order(on_b))).lines[0].id;
    ok(c.store.transact(&nurse, |tx| {
        tx.receive_delivery(&DeliveryInput {
            line_id: line,
            lot_number: "B-1".into(),
            quantity_milli: 10_000,
            ..Default::default()
        })
    }));
    sync_into(&c.store, &mut b);
    assert_eq!(
        ok(b.read(&nurse, |rx| rx.purchase_order(on_b))).status,
        "received"
    );
    assert_eq!(
        ok(b.read(&nurse, |rx| rx.purchase_order(on_a))).status,
        "ordered"
    );
    assert_eq!(ok(c.store.digest()), ok(b.digest()));
}
