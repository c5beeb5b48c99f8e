//! The scribe checks a drafted dose against the clinic's own catalog ranges: a dose
//! the starter formulary allows is flagged when the clinic's catalog says less, a drug
//! only the catalog knows is recognised and checked, and a species the catalog gives
//! no range for keeps the starter's.

use vetdesk_core::services::billing::{CatalogItemInput, DoseRange};
use vetdesk_core::{KeyProtection, Store};
use vetdesk_draft::extract::{Context, Item, extract};
use vetdesk_draft::text::Segment;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn drafted(text: &str, context: &Context) -> Vec<vetdesk_draft::extract::DraftItem> {
    extract(
        &[Segment {
            start_ms: 0,
            end_ms: 10_000,
            text: text.into(),
        }],
        context,
    )
}

#[test]
fn a_dose_is_checked_against_the_clinic_s_catalog_ranges() {
    let dir = ok(tempfile::tempdir());
    let mut store = ok(Store::create(
        dir.path(),
        "Riverside Vets",
        KeyProtection::Passphrase(zeroize::Zeroizing::new("a long test passphrase".into())),
        time::OffsetDateTime::now_utc(),
    ));
    let owner = ok(store.bootstrap_owner("Olivia Owner", vec![], "1111"));
    let drug = |sku: &str, name: &str, ranges: Vec<DoseRange>| CatalogItemInput {
        sku: sku.into(),
        name: name.into(),
        kind: "drug".into(),
        unit: "tablet".into(),
        price_cents: 60,
        vat_rate_bp: 2000,
        dose_ranges: ranges,
        ..Default::default()
    };
    let dog = |min: f64, max: f64| DoseRange {
        species: "Dog".into(),
        min_mg_per_kg: min,
        max_mg_per_kg: max,
    };
    ok(store.transact(&owner, |tx| {
        tx.add_catalog_item(&drug("CARP50", "Carprofen 50 mg", vec![dog(2.0, 3.0)]))?;
        tx.add_catalog_item(&drug("ILUNO", "Ilunocitinib 4.8 mg", vec![dog(0.6, 0.8)]))
    }));
    let formulary = ok(store.read(&owner, vetdesk_visit::clinic_formulary));
    let context = Context {
        species: Some("dog".into()),
        weight_kg: Some(30.0),
        formulary,
    };

    // 100 mg for 30 kg is 3.3 mg/kg: within the starter's 2.0–4.4, above the clinic's 3.0.
    let carprofen = drafted("Carprofen 100 mg orally twice daily.", &context);
    assert!(carprofen[0].needs_override(), "{carprofen:?}");
    let starter = Context {
        formulary: vetdesk_draft::formulary::starter(),
        ..context.clone()
    };
    assert!(!drafted("Carprofen 100 mg orally twice daily.", &starter)[0].needs_override());

    // A drug only the catalog knows: recognised by its spoken name, checked.
    let iluno = drafted("Ilunocitinib 48 mg orally once daily.", &context);
    assert!(
        matches!(&iluno[0].item, Item::Medication { drug, .. } if drug == "Ilunocitinib"),
        "{iluno:?}"
    );
    assert!(
        iluno[0].needs_override(),
        "1.6 mg/kg is above 0.8: {iluno:?}"
    );
    let fine = drafted("Ilunocitinib 21 mg orally once daily.", &context);
    assert!(!fine[0].needs_override(), "0.7 mg/kg is within: {fine:?}");
}
