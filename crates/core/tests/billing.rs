//! Billing, stock and controlled drugs against a real store: the catalog validated and
//! kept to admins, stock received into lots and taken first-expiry-first-out, a
//! prescription drafting its invoice line and reserving stock, finalizing (numbers,
//! snapshot, stock, labels), payments, refunds, credit notes, voids, the client's
//! statement, the Z report, the controlled-drug register and its chain, and two
//! devices selling offline.

mod common;

use common::{Clinic, ann_and_bella, bella_in_exam, clinic, ok, replica, sync_into};
use time::macros::date;
use uuid::Uuid;
use vetdesk_core::Error;
use vetdesk_core::services::billing::LineForm;
use vetdesk_core::services::billing::{CatalogItemInput, DoseRange, ReceiveInput, StockAlert};
use vetdesk_core::services::encounters::PrescriptionInput;

fn item(sku: &str, name: &str, kind: &str, unit: &str, price: i64) -> CatalogItemInput {
    CatalogItemInput {
        sku: sku.into(),
        name: name.into(),
        kind: kind.into(),
        unit: unit.into(),
        price_cents: price,
        vat_rate_bp: 2000,
        reorder_level_milli: 0,
        ..Default::default()
    }
}

struct Catalog {
    consult: Uuid,
    carprofen: Uuid,
    ketamine: Uuid,
    food: Uuid,
}

/// A consultation, carprofen tablets (two lots), ketamine (schedule 3, one vial lot)
/// and a bag of food, received by the nurse.
fn stocked(c: &mut Clinic) -> Catalog {
    let owner = c.owner.clone();
    let consult = ok(c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&item("SRV-CONS", "Consultation", "service", "visit", 4500))
    }));
    let carprofen = ok(c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&CatalogItemInput {
            reorder_level_milli: 20_000,
            dose_ranges: vec![DoseRange {
                species: "dog".into(),
                min_mg_per_kg: 2.0,
                max_mg_per_kg: 4.4,
            }],
            ..item("DRG-CARP50", "Carprofen 50 mg", "drug", "tablet", 62)
        })
    }));
    let ketamine = ok(c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&CatalogItemInput {
            schedule: Some("3".into()),
            ..item("DRG-KET", "Ketamine 100 mg/ml", "drug", "ml", 180)
        })
    }));
    let food = ok(c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&CatalogItemInput {
            vat_rate_bp: 500,
            ..item("PRD-FOOD", "Renal diet 2 kg", "product", "bag", 1999)
        })
    }));
    let nurse = c.nurse.clone();
    for (item_id, lot, expires, quantity) in [
        (carprofen, "C-LATE", Some("2027-09-30"), 100_000),
        (carprofen, "C-SOON", Some("2026-12-31"), 10_000),
        (ketamine, "K-1", Some("2027-03-01"), 10_000),
        (food, "F-1", None, 3000),
    ] {
        ok(c.store.transact(&nurse, |tx| {
            tx.receive_stock(&ReceiveInput {
                item_id,
                lot_number: lot.into(),
                expires_on: expires.map(str::to_string),
                quantity_milli: quantity,
                cost_cents: 20,
                order_line_id: None,
            })
        }));
    }
    Catalog {
        consult,
        carprofen,
        ketamine,
        food,
    }
}

fn on_hand(c: &mut Clinic, item: Uuid) -> i64 {
    ok(c.store.read(&c.owner, |rx| rx.stock_levels()))
        .into_iter()
        .find(|l| l.item.id == item)
        .map_or(0, |l| l.on_hand_milli)
}

fn line(item: Uuid, quantity_milli: i64) -> LineForm {
    LineForm {
        item_id: Some(item),
        quantity_milli,
        ..Default::default()
    }
}

#[test]
fn the_catalog_is_validated_and_kept_to_admins() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    for (bad, field) in [
        (item("", "X", "product", "bag", 100), "sku"),
        (item("S1", "", "product", "bag", 100), "name"),
        (item("S1", "X", "gadget", "bag", 100), "kind"),
        (item("S1", "X", "product", "bag", -1), "price"),
        (
            CatalogItemInput {
                vat_rate_bp: 12_000,
                ..item("S1", "X", "product", "bag", 100)
            },
            "vat_rate",
        ),
        (
            CatalogItemInput {
                schedule: Some("2".into()),
                ..item("S1", "X", "product", "bag", 100)
            },
            "schedule",
        ),
        (
            CatalogItemInput {
                schedule: Some("9".into()),
                ..item("S1", "X", "drug", "ml", 100)
            },
            "schedule",
        ),
        (
            CatalogItemInput {
                dose_ranges: vec![DoseRange {
                    species: "dog".into(),
                    min_mg_per_kg: 5.0,
                    max_mg_per_kg: 1.0,
                }],
                ..item("S1", "X", "drug", "ml", 100)
            },
            "dose_ranges",
        ),
    ] {
        match c.store.transact(&owner, |tx| tx.add_catalog_item(&bad)) {
            Err(Error::Invalid { field: got, .. }) => assert_eq!(got, field, "{bad:?}"),
            other => panic!("{bad:?} should be refused on {field}: {other:?}"),
        }
    }
    ok(c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&item("S1", "Lead", "product", "each", 900))
    }));
    let duplicate = c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&item("S1", "Other", "product", "each", 900))
    });
    assert!(matches!(
        duplicate,
        Err(Error::Invalid { field: "sku", .. })
    ));
    let desk = c.front_desk.clone();
    let refused = c.store.transact(&desk, |tx| {
        tx.add_catalog_item(&item("S2", "Collar", "product", "each", 900))
    });
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    assert_eq!(ok(c.store.read(&c.owner, |rx| rx.catalog("lea"))).len(), 1);
}

#[test]
fn a_prescription_drafts_its_invoice_line_reserves_stock_and_finalizing_takes_it_first_expiry_first()
 {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let cat = stocked(&mut c);
    let (_, encounter) = bella_in_exam(&mut c);
    let vet = c.vet.clone();
    let prescription = ok(c.store.transact(&vet, |tx| {
        tx.prescribe(&PrescriptionInput {
            encounter_id: encounter,
            drug: "carprofen 50 MG".into(),
            dose: 50.0,
            unit: "mg".into(),
            route: "oral".into(),
            frequency: "twice daily".into(),
            duration_days: 7,
            quantity: 14.0,
            ..Default::default()
        })
    }));
    let invoice = vetdesk_core::services::billing::encounter_invoice_id(encounter);
    let draft = ok(c.store.read(&c.owner, |rx| rx.invoice(invoice)));
    assert_eq!(draft.status, "draft");
    assert_eq!(draft.lines.len(), 1);
    assert_eq!(draft.lines[0].prescription_id, Some(prescription));
    assert_eq!(draft.lines[0].quantity_milli, 14_000);
    assert_eq!(draft.lines[0].description, "Carprofen 50 mg");
    let level = ok(c.store.read(&c.owner, |rx| rx.stock_levels()))
        .into_iter()
        .find(|l| l.item.id == cat.carprofen)
        .expect("carprofen");
    assert_eq!(
        (
            level.on_hand_milli,
            level.reserved_milli,
            level.available_milli
        ),
        (110_000, 14_000, 96_000)
    );

    // The front desk adds the consultation and finalizes.
    let desk = c.front_desk.clone();
    ok(c.store.transact(&desk, |tx| {
        tx.add_invoice_line(invoice, &line(cat.consult, 1000))
    }));
    let finalized = ok(c.store.transact(&desk, |tx| tx.finalize_invoice(invoice)));
    // 45.00 + 14 × 0.62 = 53.68 net; VAT 20 % = 10.736 → 10.74; 64.42.
    assert_eq!(finalized.total_cents, 6442);
    assert_eq!(finalized.label_lines, vec![draft.lines[0].id]);
    assert!(finalized.short.is_empty());
    let view = ok(c.store.read(&c.owner, |rx| rx.invoice(invoice)));
    assert_eq!(view.number.as_deref(), Some(finalized.number.as_str()));
    assert!(view.snapshot_intact && !view.late_edits);
    assert_eq!(view.payment_status, "unpaid");
    // First expiry first: the lot expiring in December gave its 10 first.
    let lots = ok(c.store.read(&c.owner, |rx| rx.stock_levels()))
        .into_iter()
        .find(|l| l.item.id == cat.carprofen)
        .expect("carprofen")
        .lots;
    let by_number = |n: &str| {
        lots.iter()
            .find(|l| l.lot_number == n)
            .map(|l| l.on_hand_milli)
    };
    assert_eq!(by_number("C-SOON"), Some(0));
    assert_eq!(by_number("C-LATE"), Some(96_000));
    assert_eq!(on_hand(&mut c, cat.carprofen), 96_000);
    // The label says who it is for, what, how to give it, and who prescribed it.
    let label = ok(c
        .store
        .read(&c.owner, |rx| rx.label_text(draft.lines[0].id)))
    .join("\n");
    for needle in [
        "For: Bella",
        "Carprofen 50 mg × 14",
        "twice daily",
        "Dr Vera Vet",
    ] {
        assert!(label.contains(needle), "{needle} in {label}");
    }
    // A finalized invoice cannot be edited.
    let late = c.store.transact(&desk, |tx| {
        tx.add_invoice_line(invoice, &line(cat.food, 1000))
    });
    assert!(matches!(late, Err(Error::NotAllowedNow(_))), "{late:?}");
}

#[test]
fn payments_refunds_credit_notes_voids_and_the_statement() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let cat = stocked(&mut c);
    let desk = c.front_desk.clone();
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    let invoice = ok(c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("invoice", ann, Some(bella), None)?;
        tx.add_invoice_line(id, &line(cat.consult, 1000))?;
        tx.add_invoice_line(id, &line(cat.food, 2000))?;
        Ok(id)
    }));
    // Discounts: the front desk may give 5 %, not 10 %.
    let too_much = c.store.transact(&desk, |tx| {
        tx.add_invoice_line(
            invoice,
            &LineForm {
                discount_bp: 1000,
                ..line(cat.consult, 1000)
            },
        )
    });
    assert!(
        matches!(too_much, Err(Error::Forbidden { .. })),
        "{too_much:?}"
    );
    let first = ok(c.store.transact(&desk, |tx| tx.finalize_invoice(invoice)));
    // 45.00 @20 % + 2 × 19.99 @5 %: 45.00 + 9.00 + 39.98 + 2.00 (1.999) = 95.98
    assert_eq!(first.total_cents, 9598);
    assert_eq!(on_hand(&mut c, cat.food), 1000);

    ok(c.store.transact(&desk, |tx| {
        tx.take_payment(invoice, "card", 5000, "auth 1234")
    }));
    assert_eq!(
        ok(c.store.read(&c.owner, |rx| rx.invoice(invoice))).payment_status,
        "part_paid"
    );
    let bad = c
        .store
        .transact(&desk, |tx| tx.take_payment(invoice, "cheque", 100, ""));
    assert!(matches!(
        bad,
        Err(Error::Invalid {
            field: "method",
            ..
        })
    ));
    ok(c.store
        .transact(&desk, |tx| tx.take_payment(invoice, "cash", 4598, "")));
    let paid = ok(c.store.read(&c.owner, |rx| rx.invoice(invoice)));
    assert_eq!(
        (paid.payment_status.as_str(), paid.balance_cents),
        ("paid", 0)
    );

    // Refunds are for admins, and never more than was paid.
    let refused = c.store.transact(&desk, |tx| {
        tx.refund_payment(invoice, "cash", 100, "goodwill")
    });
    assert!(matches!(refused, Err(Error::Forbidden { .. })));
    let owner = c.owner.clone();
    let over = c
        .store
        .transact(&owner, |tx| tx.refund_payment(invoice, "cash", 9599, "x"));
    assert!(matches!(
        over,
        Err(Error::Invalid {
            field: "amount",
            ..
        })
    ));
    // The food comes back: a credit note, restocked, then the money refunded.
    let credit = ok(c.store.transact(&owner, |tx| {
        tx.credit_invoice(invoice, "returned unopened", true)
    }));
    let note = ok(c.store.read(&c.owner, |rx| rx.invoice(credit)));
    assert_eq!(note.kind, "credit_note");
    assert_eq!(note.totals.total_cents, -9598);
    assert!(
        note.number.as_deref().is_some_and(|n| n.starts_with("CN-")),
        "{:?}",
        note.number
    );
    assert_eq!(on_hand(&mut c, cat.food), 3000);
    let twice = c
        .store
        .transact(&owner, |tx| tx.credit_invoice(invoice, "again", false));
    assert!(matches!(twice, Err(Error::NotAllowedNow(_))));
    ok(c.store.transact(&owner, |tx| {
        tx.refund_payment(invoice, "card", 5000, "card refund")
    }));
    let statement = ok(c.store.read(&c.owner, |rx| rx.statement(ann)));
    // +95.98 invoice, −50 card, −45.98 cash, −95.98 credit note, +50 refund = −45.98:
    // the clinic owes Ann the cash part until it is refunded too.
    assert_eq!(statement.balance_cents, -4598);
    assert_eq!(statement.entries.len(), 5);
    assert_eq!(
        statement.entries.last().map(|e| e.balance_cents),
        Some(statement.balance_cents)
    );

    // A second invoice, unpaid, voided: its number stays used, its stock comes back.
    let second = ok(c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("invoice", ann, None, None)?;
        tx.add_invoice_line(id, &line(cat.food, 1000))?;
        tx.finalize_invoice(id)?;
        Ok(id)
    }));
    assert_eq!(on_hand(&mut c, cat.food), 2000);
    let void_by_desk = c
        .store
        .transact(&desk, |tx| tx.void_invoice(second, "mistake"));
    assert!(matches!(void_by_desk, Err(Error::Forbidden { .. })));
    ok(c.store.transact(&owner, |tx| {
        tx.void_invoice(second, "billed to the wrong client")
    }));
    assert_eq!(
        ok(c.store.read(&c.owner, |rx| rx.invoice(second))).payment_status,
        "void"
    );
    assert_eq!(on_hand(&mut c, cat.food), 3000);
    // The owner's reports: the voided invoice is not revenue, the credit note
    // cancels the first invoice.
    let (from, to) = ("2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z");
    let by_day = ok(c.store.read(&owner, |rx| {
        rx.revenue_report(vetdesk_core::services::reports::RevenueBy::Day, from, to)
    }));
    assert_eq!(
        by_day.rows,
        vec![vec![
            "2026-11-22".to_string(),
            "2".into(),
            "0.00".into(),
            "0.00".into(),
            "0.00".into()
        ]]
    );
    let by_category = ok(c.store.read(&owner, |rx| {
        rx.revenue_report(
            vetdesk_core::services::reports::RevenueBy::Category,
            from,
            to,
        )
    }));
    assert!(
        by_category.rows.iter().all(|r| r[2] == "0.00"),
        "{by_category:?}"
    );
    assert!(
        c.store
            .read(&desk, |rx| rx.revenue_report(
                vetdesk_core::services::reports::RevenueBy::Day,
                from,
                to
            ))
            .is_err()
    );
    let csv = ok(ok(c.store.read(&owner, |rx| rx.stock_valuation_report())).to_csv());
    assert!(
        csv.starts_with("sku,item,lot,expires,on hand,unit cost,value\n"),
        "{csv}"
    );
    assert!(
        csv.contains("PRD-FOOD,Renal diet 2 kg,F-1,,3,0.20,0.60"),
        "{csv}"
    );
    // This register's series runs on without gaps.
    let numbers: Vec<String> = [invoice, second]
        .iter()
        .map(|i| {
            ok(c.store.read(&c.owner, |rx| rx.invoice(*i)))
                .number
                .unwrap_or_default()
        })
        .collect();
    assert!(
        numbers[0].ends_with("-000001") && numbers[1].ends_with("-000002"),
        "{numbers:?}"
    );
}

#[test]
fn an_estimate_becomes_an_invoice_and_the_register_closes_its_day() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let cat = stocked(&mut c);
    let desk = c.front_desk.clone();
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    let estimate = ok(c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("estimate", ann, Some(bella), None)?;
        tx.add_invoice_line(id, &line(cat.consult, 1000))?;
        tx.add_invoice_line(id, &line(cat.food, 1000))?;
        tx.finalize_invoice(id)?;
        Ok(id)
    }));
    assert_eq!(
        on_hand(&mut c, cat.food),
        3000,
        "an estimate takes no stock"
    );
    let invoice = ok(c.store.transact(&desk, |tx| {
        let id = tx.invoice_from_estimate(estimate)?;
        tx.finalize_invoice(id)?;
        tx.take_payment(id, "card", 7499, "")?;
        Ok(id)
    }));
    let view = ok(c.store.read(&c.owner, |rx| rx.invoice(invoice)));
    assert_eq!(view.source_id, Some(estimate));
    assert_eq!(view.totals.total_cents, 7499); // 54.00 + 20.99 (19.99 + 1.00)
    // Accepted once: a second acceptance names the invoice it became.
    let twice = c
        .store
        .transact(&desk, |tx| tx.invoice_from_estimate(estimate));
    match twice {
        Err(Error::NotAllowedNow(why)) => assert!(
            why.contains(view.number.as_deref().unwrap_or("(no number)")),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    let z = ok(c.store.transact(&desk, |tx| {
        tx.close_register("2026-11-22", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z")
    }));
    assert_eq!(z.invoices, 1, "the estimate is not revenue");
    assert_eq!(z.total_cents, 7499);
    assert_eq!(z.taken_cents, 7499);
    assert_eq!(z.payments, vec![("card".to_string(), 7499)]);
    assert_eq!(z.vat.iter().map(|v| v.vat_cents).sum::<i64>(), 900 + 100);
    assert!(z.number.as_deref().is_some_and(|n| n.starts_with("Z-")));
    let again = c.store.transact(&desk, |tx| {
        tx.close_register("2026-11-22", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z")
    });
    assert!(matches!(again, Err(Error::NotAllowedNow(_))));
}

#[test]
fn controlled_drugs_keep_a_chained_register_that_always_equals_its_entries() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let cat = stocked(&mut c);
    let desk = c.front_desk.clone();
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    let invoice = ok(c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("invoice", ann, Some(bella), None)?;
        tx.add_invoice_line(id, &line(cat.ketamine, 2500))?;
        Ok(id)
    }));
    // The front desk may not dispense a controlled drug; refused and audited.
    let refused = c.store.transact(&desk, |tx| tx.finalize_invoice(invoice));
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    let vet = c.vet.clone();
    ok(c.store.transact(&vet, |tx| tx.finalize_invoice(invoice)));
    let register = ok(c
        .store
        .read(&vet, |rx| rx.controlled_register(Some(cat.ketamine))));
    assert_eq!(register.len(), 2);
    assert_eq!(
        register
            .iter()
            .map(|e| (e.kind.as_str(), e.quantity_milli, e.balance_milli))
            .collect::<Vec<_>>(),
        vec![("receive", 10_000, 10_000), ("dispense", -2500, 7500)]
    );
    assert_eq!(register[1].patient_id, Some(bella));
    assert_eq!(register[1].lot_number.as_deref(), Some("K-1"));
    assert_eq!(register[1].recorded_by, "Dr Vera Vet");
    assert!(
        c.store
            .read(&desk, |rx| rx.controlled_register(None))
            .is_err()
    );
    assert!(ok(c.store.verify_controlled_register()).is_intact());

    // A count that disagrees raises a discrepancy and changes nothing.
    let nurse = c.nurse.clone();
    let count = ok(c.store.transact(&nurse, |tx| {
        tx.count_stock(cat.ketamine, None, 7000, "vial short")
    }));
    assert!(count.discrepancy && !count.adjusted);
    assert_eq!((count.expected_milli, count.counted_milli), (7500, 7000));
    let alerts = ok(c
        .store
        .read(&c.owner, |rx| rx.stock_alerts(date!(2026 - 11 - 22))));
    assert!(
        alerts.iter().any(|a| matches!(
            a,
            StockAlert::Discrepancy {
                counted_milli: 7000,
                register_milli: 7500,
                ..
            }
        )),
        "{alerts:?}"
    );
    // The investigation writes the loss off (with a reason); a new count agrees.
    ok(c.store.transact(&nurse, |tx| {
        tx.adjust_stock(
            cat.ketamine,
            None,
            "write_off",
            -500,
            "vial broken, witnessed by Dr Vet",
        )
    }));
    let recount = ok(c
        .store
        .transact(&nurse, |tx| tx.count_stock(cat.ketamine, None, 7000, "")));
    assert!(!recount.discrepancy);
    let alerts = ok(c
        .store
        .read(&c.owner, |rx| rx.stock_alerts(date!(2026 - 11 - 22))));
    assert!(
        !alerts
            .iter()
            .any(|a| matches!(a, StockAlert::Discrepancy { .. })),
        "{alerts:?}"
    );
    let register = ok(c
        .store
        .read(&vet, |rx| rx.controlled_register(Some(cat.ketamine))));
    let sum: i64 = register.iter().map(|e| e.quantity_milli).sum();
    assert_eq!(register.last().map(|e| e.balance_milli), Some(sum));
    assert_eq!(sum, on_hand(&mut c, cat.ketamine));

    // Editing an entry in the database breaks the chain.
    ok(c.store.connection_for_tests().execute(
        "UPDATE controlled_register SET quantity_milli = -100 WHERE kind = 'dispense'",
        [],
    ));
    let verification = ok(c.store.verify_controlled_register());
    assert!(!verification.is_intact());
    assert!(
        verification.problems[0].problem.contains("changed"),
        "{verification:?}"
    );
}

#[test]
fn counts_adjust_ordinary_stock_and_alerts_name_what_needs_a_person() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let cat = stocked(&mut c);
    let nurse = c.nurse.clone();
    let count = ok(c.store.transact(&nurse, |tx| {
        tx.count_stock(cat.food, None, 2000, "one torn bag")
    }));
    assert!(count.adjusted && !count.discrepancy);
    assert_eq!(on_hand(&mut c, cat.food), 2000);
    let write_off = c.store.transact(&nurse, |tx| {
        tx.adjust_stock(cat.food, None, "write_off", 1000, "")
    });
    assert!(matches!(write_off, Err(Error::Invalid { .. })));
    let alerts = ok(c
        .store
        .read(&c.owner, |rx| rx.stock_alerts(date!(2026 - 12 - 15))));
    // Carprofen's December lot expires within 30 days; nothing is below its level.
    assert!(
        alerts.iter().any(
            |a| matches!(a, StockAlert::Expiring { lot_number, .. } if lot_number == "C-SOON")
        ),
        "{alerts:?}"
    );
    assert!(
        !alerts
            .iter()
            .any(|a| matches!(a, StockAlert::Reorder { .. } | StockAlert::Reconcile { .. })),
        "{alerts:?}"
    );
    // A transfer moves stock between lots; the item's total stays.
    let soon = ok(c.store.read(&c.owner, |rx| rx.stock_levels()))
        .into_iter()
        .find(|l| l.item.id == cat.carprofen)
        .and_then(|l| l.lots.into_iter().find(|x| x.lot_number == "C-SOON"))
        .map(|l| l.lot_id)
        .expect("lot");
    ok(c.store.transact(&nurse, |tx| {
        tx.transfer_stock(cat.carprofen, soon, "C-SOON-BRANCH", 4000, "to the branch")
    }));
    let lots = ok(c.store.read(&c.owner, |rx| rx.stock_levels()))
        .into_iter()
        .find(|l| l.item.id == cat.carprofen)
        .expect("carprofen");
    assert_eq!(lots.on_hand_milli, 110_000);
    let held = |n: &str| {
        lots.lots
            .iter()
            .find(|l| l.lot_number == n)
            .map(|l| (l.on_hand_milli, l.expires_on.clone()))
    };
    assert_eq!(held("C-SOON"), Some((6000, Some("2026-12-31".into()))));
    assert_eq!(
        held("C-SOON-BRANCH"),
        Some((4000, Some("2026-12-31".into())))
    );
    let same = c.store.transact(&nurse, |tx| {
        tx.transfer_stock(cat.carprofen, soon, "C-SOON", 1000, "x")
    });
    assert!(matches!(
        same,
        Err(Error::Invalid {
            field: "to_lot",
            ..
        })
    ));
    let desk = c.front_desk.clone();
    let receive = c.store.transact(&desk, |tx| {
        tx.receive_stock(&ReceiveInput {
            item_id: cat.food,
            lot_number: "F-2".into(),
            quantity_milli: 1000,
            ..Default::default()
        })
    });
    assert!(matches!(receive, Err(Error::Forbidden { .. })));
}

#[test]
fn two_registers_offline_both_sell_the_last_vial_and_number_without_colliding() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut c = clinic(dirs.0.path());
    let owner = c.owner.clone();
    let vial = ok(c.store.transact(&owner, |tx| {
        tx.add_catalog_item(&item("PRD-VAC", "Vaccine vial", "product", "vial", 2500))
    }));
    let nurse = c.nurse.clone();
    ok(c.store.transact(&nurse, |tx| {
        tx.receive_stock(&ReceiveInput {
            item_id: vial,
            lot_number: "V-1".into(),
            expires_on: Some("2027-01-31".into()),
            quantity_milli: 1000,
            cost_cents: 900,
            order_line_id: None,
        })
    }));
    let desk = c.front_desk.clone();
    let (ann, _) = ann_and_bella(&mut c.store, &desk);
    // A shared draft both registers will edit.
    let shared = ok(c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("invoice", ann, None, None)?;
        tx.add_invoice_line(id, &line(vial, 1000))?;
        Ok(id)
    }));
    let shared_line = ok(c.store.read(&c.owner, |rx| rx.invoice(shared))).lines[0].id;
    let mut b = replica(&mut c.store, &c.owner, dirs.1.path(), c.clock.clone());
    sync_into(&c.store, &mut b);

    // Offline: each sells the last vial on an invoice of its own.
    let sell = |store: &mut vetdesk_core::Store| {
        ok(store.transact(&desk, |tx| {
            let id = tx.create_invoice("invoice", ann, None, None)?;
            tx.add_invoice_line(id, &line(vial, 1000))?;
            tx.finalize_invoice(id)
        }))
    };
    let on_a = sell(&mut c.store);
    let on_b = sell(&mut b);
    assert!(
        on_a.short.is_empty() && on_b.short.is_empty(),
        "each saw one vial"
    );
    assert_ne!(on_a.number, on_b.number, "each register has its own series");
    // Meanwhile both edit the shared draft: A changes the quantity, B adds a line.
    ok(c.store.transact(&desk, |tx| {
        tx.update_invoice_line(shared_line, &line(vial, 2000))
    }));
    ok(b.transact(&desk, |tx| {
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

    sync_into(&b, &mut c.store);
    sync_into(&c.store, &mut b);
    for store in [&mut c.store, &mut b] {
        let level = ok(store.read(&c.owner, |rx| rx.stock_levels()))
            .into_iter()
            .find(|l| l.item.id == vial)
            .expect("vial");
        assert_eq!(level.on_hand_milli, -1000, "both sales kept");
        let alerts = ok(store.read(&c.owner, |rx| rx.stock_alerts(date!(2026 - 11 - 22))));
        assert!(
            alerts.iter().any(|a| matches!(
                a,
                StockAlert::Reconcile {
                    on_hand_milli: -1000,
                    ..
                }
            )),
            "{alerts:?}"
        );
        let draft = ok(store.read(&c.owner, |rx| rx.invoice(shared)));
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
            ]
        );
        let numbers: Vec<Option<String>> =
            ok(store.read(&c.owner, |rx| rx.invoices(None, Some("finalized"), 10)))
                .into_iter()
                .map(|i| i.number)
                .collect();
        assert_eq!(numbers.len(), 2);
        assert_ne!(numbers[0], numbers[1]);
    }
    assert_eq!(ok(c.store.digest()), ok(b.digest()));
}

#[test]
fn one_draft_finalized_on_two_registers_offline_is_flagged_and_settled_once() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut c = clinic(dirs.0.path());
    let cat = stocked(&mut c);
    let desk = c.front_desk.clone();
    let (ann, _) = ann_and_bella(&mut c.store, &desk);
    let invoice = ok(c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("invoice", ann, None, None)?;
        tx.add_invoice_line(id, &line(cat.food, 1000))?;
        Ok(id)
    }));
    let mut b = replica(&mut c.store, &c.owner, dirs.1.path(), c.clock.clone());
    sync_into(&c.store, &mut b);
    // Both registers finalize the same draft while offline.
    let on_a = ok(c.store.transact(&desk, |tx| tx.finalize_invoice(invoice)));
    c.clock.advance_ms(1000);
    let on_b = ok(b.transact(&desk, |tx| tx.finalize_invoice(invoice)));
    assert_ne!(on_a.number, on_b.number);
    sync_into(&b, &mut c.store);
    sync_into(&c.store, &mut b);
    assert_eq!(on_hand(&mut c, cat.food), 1000, "the bag was taken twice");
    let alerts = ok(c
        .store
        .read(&c.owner, |rx| rx.stock_alerts(date!(2026 - 11 - 22))));
    let flagged = alerts.iter().find_map(|a| match a {
        StockAlert::FinalizedTwice {
            invoice_id,
            numbers,
        } if *invoice_id == invoice => Some(numbers.clone()),
        _ => None,
    });
    let mut expected = vec![on_a.number.clone(), on_b.number.clone()];
    expected.sort();
    assert_eq!(flagged, Some(expected), "{alerts:?}");

    // Only an admin settles it; the number the document shows stands, the other
    // register's stock comes back, and the alert is gone on both devices.
    let refused = c
        .store
        .transact(&desk, |tx| tx.settle_double_finalization(invoice));
    assert!(matches!(refused, Err(Error::Forbidden { .. })));
    let owner = c.owner.clone();
    ok(c.store
        .transact(&owner, |tx| tx.settle_double_finalization(invoice)));
    sync_into(&c.store, &mut b);
    for store in [&mut c.store, &mut b] {
        let food = ok(store.read(&c.owner, |rx| rx.stock_levels()))
            .into_iter()
            .find(|l| l.item.id == cat.food)
            .map(|l| l.on_hand_milli);
        assert_eq!(food, Some(2000));
        let alerts = ok(store.read(&c.owner, |rx| rx.stock_alerts(date!(2026 - 11 - 22))));
        assert!(
            !alerts
                .iter()
                .any(|a| matches!(a, StockAlert::FinalizedTwice { .. })),
            "{alerts:?}"
        );
    }
    let again = c
        .store
        .transact(&owner, |tx| tx.settle_double_finalization(invoice));
    assert!(
        matches!(again, Err(Error::NotAllowedNow(_))),
        "settled once: {again:?}"
    );
    let once = c
        .store
        .transact(&owner, |tx| tx.settle_double_finalization(Uuid::nil()));
    assert!(matches!(once, Err(Error::NotAllowedNow(_))));
}
