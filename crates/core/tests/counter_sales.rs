//! Counter sales against a real store: items found by name, SKU or a scanned barcode
//! as the front desk types; a walk-in's bag of food paid half cash, half card; a
//! refused payment that leaves nothing behind; a client's sale left partly on account;
//! and an item added on one device found by search on another after sync, its sale
//! counted there, and a rename followed.

mod common;

use common::{ann_and_bella, clinic, ok, replica, sync_into};
use uuid::Uuid;
use vetdesk_core::services::billing::{
    CatalogItemInput, LineForm, ReceiveInput, SaleInput, SalePayment,
};
use vetdesk_core::{Actor, Error, Store};

fn food() -> CatalogItemInput {
    CatalogItemInput {
        sku: "PRD-FOOD".into(),
        barcode: "5012345678900".into(),
        name: "Renal diet 2 kg".into(),
        kind: "product".into(),
        unit: "bag".into(),
        price_cents: 2000,
        vat_rate_bp: 500,
        ..Default::default()
    }
}

fn nail_clip() -> CatalogItemInput {
    CatalogItemInput {
        sku: "SRV-NAIL".into(),
        name: "Nail clip".into(),
        kind: "service".into(),
        unit: "visit".into(),
        price_cents: 800,
        vat_rate_bp: 2000,
        ..Default::default()
    }
}

/// The food (three bags in stock) and the nail clip, in the catalog.
fn shelves(store: &mut Store, owner: &Actor, nurse: &Actor) -> (Uuid, Uuid) {
    let food = ok(store.transact(owner, |tx| tx.add_catalog_item(&food())));
    let clip = ok(store.transact(owner, |tx| tx.add_catalog_item(&nail_clip())));
    ok(store.transact(nurse, |tx| {
        tx.receive_stock(&ReceiveInput {
            item_id: food,
            lot_number: "F-1".into(),
            expires_on: None,
            quantity_milli: 3000,
            cost_cents: 1100,
            order_line_id: None,
        })
    }));
    (food, clip)
}

fn one(item: Uuid) -> LineForm {
    LineForm {
        item_id: Some(item),
        quantity_milli: 1000,
        ..Default::default()
    }
}

fn pay(method: &str, amount_cents: Option<i64>) -> SalePayment {
    SalePayment {
        method: method.into(),
        amount_cents,
        reference: String::new(),
    }
}

fn found(store: &mut Store, actor: &Actor, typed: &str) -> Vec<String> {
    ok(store.read(actor, |rx| rx.sale_items(typed, 10)))
        .into_iter()
        .map(|hit| hit.item.input.name)
        .collect()
}

#[test]
fn items_are_found_by_name_sku_or_scanned_barcode_as_the_desk_types() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (owner, nurse, desk) = (c.owner.clone(), c.nurse.clone(), c.front_desk.clone());
    shelves(&mut c.store, &owner, &nurse);
    assert_eq!(found(&mut c.store, &desk, "ren"), ["Renal diet 2 kg"]);
    assert_eq!(found(&mut c.store, &desk, "diet 2"), ["Renal diet 2 kg"]);
    assert_eq!(found(&mut c.store, &desk, "nail"), ["Nail clip"]);
    assert_eq!(found(&mut c.store, &desk, "srv-na"), ["Nail clip"]);
    assert!(found(&mut c.store, &desk, "xylitol").is_empty());
    assert!(found(&mut c.store, &desk, "   ").is_empty());
    // FTS syntax typed by accident is only text.
    assert!(found(&mut c.store, &desk, "\"ren* OR").is_empty());

    let scan = ok(c.store.read(&desk, |rx| rx.sale_items("5012345678900", 10)));
    assert_eq!(scan.len(), 1);
    assert!(scan[0].exact, "a scanned barcode is an exact hit");
    assert_eq!(
        scan[0].on_hand_milli,
        Some(3000),
        "the shelf's stock is shown"
    );
    let by_sku = ok(c.store.read(&desk, |rx| rx.sale_items("prd-food", 10)));
    assert!(by_sku[0].exact, "a SKU typed in any case is exact");
    let clip = ok(c.store.read(&desk, |rx| rx.sale_items("nail", 10)));
    assert_eq!(clip[0].on_hand_milli, None, "a service has no stock");

    // One barcode names one item.
    let taken = c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&CatalogItemInput {
            sku: "PRD-OTHER".into(),
            name: "Other food".into(),
            ..food()
        })
    });
    assert!(
        matches!(
            &taken,
            Err(Error::Invalid {
                field: "barcode",
                ..
            })
        ),
        "{taken:?}"
    );
    let bad = c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&CatalogItemInput {
            sku: "PRD-BAD".into(),
            barcode: "50123 DROP".into(),
            ..food()
        })
    });
    assert!(
        matches!(
            &bad,
            Err(Error::Invalid {
                field: "barcode",
                ..
            })
        ),
        "{bad:?}"
    );
}

#[test]
fn a_walk_in_buys_a_bag_of_food_half_cash_half_card() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (owner, nurse, desk) = (c.owner.clone(), c.nurse.clone(), c.front_desk.clone());
    let (food, _) = shelves(&mut c.store, &owner, &nurse);
    let quote = ok(c.store.read(&desk, |rx| rx.sale_quote(&[one(food)])));
    let sale = ok(c.store.transact(&desk, |tx| {
        tx.counter_sale(&SaleInput {
            lines: vec![one(food)],
            payments: vec![pay("cash", Some(1050)), pay("card", None)],
            ..Default::default()
        })
    }));
    // 20.00 + 5 % VAT.
    assert_eq!(sale.finalized.total_cents, 2100);
    assert_eq!(
        quote.total_cents, 2100,
        "the quote is what the sale comes to"
    );
    assert_eq!(
        (sale.paid_cents, sale.balance_cents, sale.change_cents),
        (2100, 0, 0)
    );

    let invoice = ok(c.store.read(&desk, |rx| rx.invoice(sale.invoice_id)));
    assert_eq!(invoice.client_id, None, "a walk-in has no client");
    assert_eq!(
        invoice.number.as_deref(),
        Some(sale.finalized.number.as_str())
    );
    assert_eq!(invoice.payment_status, "paid");
    let methods: Vec<(String, i64)> = invoice
        .payments
        .iter()
        .map(|p| (p.method.clone(), p.amount_cents))
        .collect();
    assert_eq!(
        methods,
        [("cash".to_string(), 1050), ("card".to_string(), 1050)]
    );
    assert!(invoice.snapshot_intact);
    let stock = ok(c.store.read(&desk, |rx| rx.sale_items("PRD-FOOD", 1)));
    assert_eq!(stock[0].on_hand_milli, Some(2000), "one bag left the shelf");

    // Cash beyond the total comes back as change.
    let change = ok(c.store.transact(&desk, |tx| {
        tx.counter_sale(&SaleInput {
            lines: vec![one(food)],
            payments: vec![pay("cash", Some(5000))],
            ..Default::default()
        })
    }));
    assert_eq!((change.paid_cents, change.change_cents), (2100, 2900));
}

#[test]
fn a_refused_sale_leaves_nothing_behind() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (owner, nurse, desk) = (c.owner.clone(), c.nurse.clone(), c.front_desk.clone());
    let (food, _) = shelves(&mut c.store, &owner, &nurse);
    let before = ok(c.store.digest());
    for (payments, lines) in [
        // A walk-in must pay in full.
        (vec![pay("cash", Some(1000))], vec![one(food)]),
        // A card is charged only what is due.
        (vec![pay("card", Some(9000))], vec![one(food)]),
        // Nothing to sell.
        (vec![pay("cash", None)], vec![]),
        // An unknown item.
        (vec![pay("cash", None)], vec![one(Uuid::from_u128(42))]),
    ] {
        let refused = c.store.transact(&desk, |tx| {
            tx.counter_sale(&SaleInput {
                lines,
                payments,
                ..Default::default()
            })
        });
        assert!(refused.is_err(), "{refused:?}");
    }
    assert_eq!(ok(c.store.digest()), before, "no invoice, number or stock");
    let listed = ok(c.store.read(&desk, |rx| rx.invoices(None, None, 10)));
    assert!(listed.is_empty(), "{listed:?}");
}

#[test]
fn a_clients_sale_may_leave_the_rest_on_their_account() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (owner, nurse, desk) = (c.owner.clone(), c.nurse.clone(), c.front_desk.clone());
    let (food, clip) = shelves(&mut c.store, &owner, &nurse);
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    let sale = ok(c.store.transact(&desk, |tx| {
        tx.counter_sale(&SaleInput {
            client_id: Some(ann),
            patient_id: Some(bella),
            lines: vec![one(food), one(clip)],
            payments: vec![pay("card", Some(1000))],
        })
    }));
    // 21.00 + 9.60.
    assert_eq!(sale.finalized.total_cents, 3060);
    assert_eq!(sale.balance_cents, 2060);
    let statement = ok(c.store.read(&desk, |rx| rx.statement(ann)));
    assert_eq!(statement.balance_cents, 2060);
    let invoice = ok(c.store.read(&desk, |rx| rx.invoice(sale.invoice_id)));
    assert_eq!(invoice.patient_name.as_deref(), Some("Bella"));
    assert_eq!(invoice.payment_status, "part_paid");
}

#[test]
fn an_item_merged_from_another_device_is_found_sold_and_renamed_everywhere() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut c = clinic(dirs.0.path());
    let (owner, nurse, desk) = (c.owner.clone(), c.nurse.clone(), c.front_desk.clone());
    let (food, _) = shelves(&mut c.store, &owner, &nurse);
    let mut b = replica(&mut c.store, &owner, dirs.1.path(), c.clock.clone());
    sync_into(&c.store, &mut b);
    // The merged catalog is searchable on B at once.
    assert_eq!(found(&mut b, &desk, "renal"), ["Renal diet 2 kg"]);
    let sale = ok(b.transact(&desk, |tx| {
        tx.counter_sale(&SaleInput {
            lines: vec![one(food)],
            payments: vec![pay("cash", None)],
            ..Default::default()
        })
    }));
    sync_into(&b, &mut c.store);
    let scan = ok(c.store.read(&desk, |rx| rx.sale_items("5012345678900", 1)));
    assert_eq!(scan[0].on_hand_milli, Some(2000));
    let invoice = ok(c.store.read(&desk, |rx| rx.invoice(sale.invoice_id)));
    assert_eq!((invoice.client_id, invoice.paid_cents), (None, 2100));

    // Renamed on A: the new name is found on B, the old one no longer is.
    ok(c.store.transact(&owner, |tx| {
        tx.update_catalog_item(
            food,
            &CatalogItemInput {
                name: "Kidney care 2 kg".into(),
                ..self::food()
            },
        )
    }));
    sync_into(&c.store, &mut b);
    assert_eq!(found(&mut b, &desk, "kidney"), ["Kidney care 2 kg"]);
    assert!(found(&mut b, &desk, "renal").is_empty());
    assert_eq!(ok(c.store.digest()), ok(b.digest()));
}
