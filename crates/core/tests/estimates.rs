//! Estimates with ranges against a real store: "one to three radiographs" gives the
//! estimate a low and a high total, frozen with it when it is issued; an invoice's
//! line may not have a range; the accepted invoice starts from the low end; a bad
//! range names its field.

mod common;

use common::{ann_and_bella, clinic, ok};
use vetdesk_core::Error;
use vetdesk_core::services::billing::{CatalogItemInput, LineForm};

#[test]
fn an_estimate_with_a_range_comes_to_low_and_high_and_its_invoice_starts_low() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let owner = c.owner.clone();
    let desk = c.front_desk.clone();
    let (ann, bella) = ann_and_bella(&mut c.store, &desk);
    let (xray, consult) = ok(c.store.transact(&owner, |tx| {
        let item = |sku: &str, name: &str, price: i64| CatalogItemInput {
            sku: sku.into(),
            name: name.into(),
            kind: "service".into(),
            unit: "each".into(),
            price_cents: price,
            vat_rate_bp: 2000,
            ..Default::default()
        };
        Ok((
            tx.add_catalog_item(&item("XRAY", "Radiograph", 4000))?,
            tx.add_catalog_item(&item("CONS", "Consultation", 4500))?,
        ))
    }));
    let line = |item, quantity_milli, high: Option<i64>| LineForm {
        item_id: Some(item),
        quantity_milli,
        quantity_high_milli: high,
        ..Default::default()
    };
    let estimate = ok(c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("estimate", ann, Some(bella), None)?;
        tx.add_invoice_line(id, &line(consult, 1000, None))?;
        tx.add_invoice_line(id, &line(xray, 1000, Some(3000)))?;
        Ok(id)
    }));
    let draft = ok(c.store.read(&desk, |rx| rx.invoice(estimate)));
    // 45 + 40 = 85 net, 102.00 with VAT; up to 45 + 120 = 165 net, 198.00.
    assert_eq!(draft.totals.total_cents, 10_200);
    assert_eq!(
        draft.high_totals.as_ref().map(|t| t.total_cents),
        Some(19_800)
    );

    // A bad range names its field; an invoice's line has none.
    let low_above_high = c.store.transact(&desk, |tx| {
        tx.add_invoice_line(estimate, &line(xray, 2000, Some(1000)))
    });
    assert!(
        matches!(
            &low_above_high,
            Err(Error::Invalid {
                field: "quantity_high",
                ..
            })
        ),
        "{low_above_high:?}"
    );
    let on_invoice = c.store.transact(&desk, |tx| {
        let id = tx.create_invoice("invoice", ann, Some(bella), None)?;
        tx.add_invoice_line(id, &line(xray, 1000, Some(2000)))
    });
    assert!(
        matches!(
            &on_invoice,
            Err(Error::Invalid {
                field: "quantity_high",
                ..
            })
        ),
        "{on_invoice:?}"
    );

    // Issued: the range is frozen with it. Accepted: the invoice starts from the low end.
    ok(c.store.transact(&desk, |tx| tx.finalize_invoice(estimate)));
    let issued = ok(c.store.read(&desk, |rx| rx.invoice(estimate)));
    assert!(issued.snapshot_intact);
    assert_eq!(issued.high_totals.map(|t| t.total_cents), Some(19_800));
    assert_eq!(issued.lines[1].quantity_high_milli, Some(3000));
    let invoice = ok(c
        .store
        .transact(&desk, |tx| tx.invoice_from_estimate(estimate)));
    let invoice = ok(c.store.read(&desk, |rx| rx.invoice(invoice)));
    assert_eq!(invoice.totals.total_cents, 10_200);
    assert!(invoice.high_totals.is_none());
    assert!(
        invoice
            .lines
            .iter()
            .all(|l| l.quantity_high_milli.is_none())
    );
}
