//! Every document made from a real store's records, written as a PDF and read back
//! with `pdftotext` (poppler-utils): the names — Latin, Ukrainian and Russian — the
//! numbers and the totals must be there as text, so the font is embedded and covers
//! them.

use std::path::Path;
use std::process::Command;

use uuid::Uuid;
use vetdesk_core::services::billing::LineForm;
use vetdesk_core::services::billing::{CatalogItemInput, ReceiveInput};
use vetdesk_core::services::clients::{ClientInput, PatientInput};
use vetdesk_core::services::clinic::ClinicSettings;
use vetdesk_core::services::encounters::{PrescriptionInput, SoapInput};
use vetdesk_core::{Actor, KeyProtection, Role, Roles, Store};
use vetdesk_documents::{About, Letterhead};

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// `pdf` written to `dir` and read back as text (layout kept). With
/// `VETDESK_KEEP_PDFS=DIR` a copy is also kept there, to look at.
fn read_back(dir: &Path, name: &str, pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "{name} is not a PDF");
    let path = dir.join(name);
    if let Some(keep) = std::env::var_os("VETDESK_KEEP_PDFS") {
        let _ = std::fs::write(Path::new(&keep).join(name), pdf);
    }
    ok(std::fs::write(&path, pdf));
    let out = ok(Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output());
    assert!(
        out.status.success(),
        "pdftotext {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A clinic in Kyiv, pricing in hryvnia, its name in two scripts.
fn letterhead() -> Letterhead {
    Letterhead::from_settings(&ClinicSettings {
        name: "Лапа".into(),
        legal_name: Some("Ветклініка «Лапа» — Riverside Vets".into()),
        address: Some("12 River Lane\nKyiv 01001".into()),
        phone: None,
        email: None,
        vat_number: Some("UA-1234567".into()),
        registration: None,
        currency: "UAH".into(),
        default_vat_bp: Some(2000),
        document_text: None,
        payment_terms: None,
        language: "uk".into(),
        time_zone: Some("Europe/Kyiv".into()),
    })
}

/// Closes this register's day (UTC, as the store's times are).
fn close_today(store: &mut Store, actor: &Actor) -> vetdesk_core::services::billing::ZReport {
    ok(store.transact(actor, |tx| {
        let day = time::OffsetDateTime::now_utc().date();
        let text = vetdesk_core::validate::date_text(day);
        let next = vetdesk_core::validate::date_text(day.next_day().unwrap_or(day));
        tx.close_register(
            &text,
            &format!("{text}T00:00:00Z"),
            &format!("{next}T00:00:00Z"),
        )
    }))
}

struct Visit {
    store: Store,
    owner: Actor,
    vet: Actor,
    invoice: Uuid,
    encounter: Uuid,
    patient: Uuid,
}

/// Олена Шевченко's cat Мурка seen by Дмитрий Иванов: a consultation and meloxicam,
/// prescribed, invoiced, paid.
fn visit(dir: &Path) -> Visit {
    let now = time::OffsetDateTime::now_utc();
    let mut store = ok(Store::create(
        dir,
        "Лапа",
        KeyProtection::Passphrase(zeroize::Zeroizing::new("a long test passphrase".into())),
        now,
    ));
    let owner = ok(store.bootstrap_owner("Olivia Owner", vec![], "1111"));
    ok(store.enroll_second_factor_for_tests(&owner));
    let vet_id = ok(store.transact(&owner, |tx| {
        tx.add_staff("Дмитрий Иванов", Roles::new([Role::Vet]), "2222")
    }));
    let vet = ok(store.sign_in(&vet_id.to_string(), "2222"));
    let (consult, meloxicam) = ok(store.transact(&owner, |tx| {
        let consult = tx.add_catalog_item(&CatalogItemInput {
            sku: "CONS".into(),
            name: "Consultation / Консультація".into(),
            kind: "service".into(),
            unit: "visit".into(),
            price_cents: 4500,
            vat_rate_bp: 2000,
            ..Default::default()
        })?;
        let meloxicam = tx.add_catalog_item(&CatalogItemInput {
            sku: "MELOX".into(),
            name: "Meloxicam 1.5 mg/ml".into(),
            kind: "drug".into(),
            unit: "ml".into(),
            price_cents: 135,
            vat_rate_bp: 2000,
            ..Default::default()
        })?;
        Ok((consult, meloxicam))
    }));
    let (encounter, patient) = ok(store.transact(&vet, |tx| {
        tx.receive_stock(&ReceiveInput {
            item_id: meloxicam,
            lot_number: "M-77".into(),
            expires_on: Some("2027-05-31".into()),
            quantity_milli: 100_000,
            cost_cents: 40,
            order_line_id: None,
        })?;
        let client = tx.create_client(&ClientInput {
            first_name: "Олена".into(),
            last_name: "Шевченко".into(),
            ..Default::default()
        })?;
        let patient = tx.create_patient(
            &PatientInput {
                name: "Мурка".into(),
                species: "cat".into(),
                sex: "female".into(),
                ..Default::default()
            },
            &[client],
        )?;
        let encounter = tx.start_encounter(patient, None)?;
        tx.update_soap(
            encounter,
            &SoapInput {
                subjective: Some("Кульгає на ліву задню лапу два дні.".into()),
                objective: Some("Pain on flexion of the left stifle. Temperature 38.6 °C.".into()),
                assessment: Some("Soft-tissue injury, left stifle.".into()),
                plan: Some("Meloxicam, rest for a week, recheck in 7 days.".into()),
            },
        )?;
        tx.prescribe(&PrescriptionInput {
            encounter_id: encounter,
            drug: "Meloxicam 1.5 mg/ml".into(),
            dose: 0.4,
            unit: "ml".into(),
            route: "oral".into(),
            frequency: "once daily with food".into(),
            duration_days: 7,
            quantity: 3.0,
            ..Default::default()
        })?;
        Ok((encounter, patient))
    }));
    let invoice = vetdesk_core::services::billing::encounter_invoice_id(encounter);
    ok(store.transact(&vet, |tx| {
        tx.add_invoice_line(
            invoice,
            &LineForm {
                item_id: Some(consult),
                quantity_milli: 1000,
                ..Default::default()
            },
        )?;
        tx.finalize_invoice(invoice)?;
        tx.take_payment(invoice, "card", 5886, "")?;
        Ok(())
    }));
    Visit {
        store,
        owner,
        vet,
        invoice,
        encounter,
        patient,
    }
}

#[test]
fn the_receipt_label_prescription_visit_summary_and_z_report_read_back() {
    let dir = ok(tempfile::tempdir());
    let mut v = visit(dir.path());
    let view = ok(v.store.read(&v.vet, |rx| rx.invoice(v.invoice)));
    // 45.00 + 3 × 1.35 = 49.05 net; VAT 9.81; 58.86.
    assert_eq!(view.totals.total_cents, 5886);
    let number = view.number.clone().unwrap_or_default();

    let receipt = read_back(
        dir.path(),
        "receipt.pdf",
        &ok(vetdesk_documents::invoice(&letterhead(), &view)),
    );
    for needle in [
        "Ветклініка «Лапа» — Riverside Vets",
        "Receipt",
        number.as_str(),
        "Олена Шевченко",
        "Мурка",
        "Consultation / Консультація",
        "Meloxicam 1.5 mg/ml",
        "49.05",
        "VAT 20% on 49.05",
        "9.81",
        "₴58.86",
        "Paid by card",
        "Balance due",
        "₴0.00",
    ] {
        assert!(
            receipt.contains(needle),
            "{needle:?} missing from:\n{receipt}"
        );
    }

    let line = view
        .lines
        .iter()
        .find(|l| l.prescription_id.is_some())
        .map(|l| l.id)
        .expect("the prescription's line");
    let label_text = ok(v.store.read(&v.vet, |rx| rx.label_text(line)));
    let label = read_back(
        dir.path(),
        "label.pdf",
        &ok(vetdesk_documents::label(
            &letterhead(),
            &label_text,
            "2026-11-22",
        )),
    );
    for needle in [
        "For: Мурка",
        "Meloxicam 1.5 mg/ml × 3",
        "once daily with food",
        "Дмитрий Иванов",
        "For animal treatment only",
    ] {
        assert!(label.contains(needle), "{needle:?} missing from:\n{label}");
    }

    let vet = v.vet.clone();
    let rx = ok(v.store.read(&vet, |rx| rx.prescriptions(v.patient)));
    let about = About {
        patient: "Мурка".into(),
        species: "cat".into(),
        owner: "Олена Шевченко".into(),
        vet: "Дмитрий Иванов".into(),
    };
    let prescription = read_back(
        dir.path(),
        "prescription.pdf",
        &ok(vetdesk_documents::prescription(
            &letterhead(),
            &about,
            &rx[0],
        )),
    );
    for needle in [
        "Prescription",
        "Meloxicam 1.5 mg/ml",
        "0.4 ml oral, once daily with food for 7 days",
        "Owner: Олена Шевченко",
        "Prescribed by Дмитрий Иванов",
    ] {
        assert!(
            prescription.contains(needle),
            "{needle:?} missing from:\n{prescription}"
        );
    }

    let encounter = ok(v.store.read(&vet, |rx| rx.encounter(v.encounter)));
    let summary = read_back(
        dir.path(),
        "summary.pdf",
        &ok(vetdesk_documents::visit_summary(
            &letterhead(),
            &about,
            &encounter,
            &rx,
            "Keep Мурка indoors and rested for seven days; give meloxicam with food. A long line of advice that has to wrap onto the next line because it is longer than the page is wide.",
        )),
    );
    for needle in [
        "Visit summary and discharge instructions",
        "Кульгає на ліву задню лапу",
        "Soft-tissue injury",
        "Meloxicam 1.5 mg/ml: 0.4 ml oral",
        "Keep Мурка indoors",
        "longer than the page is wide",
    ] {
        assert!(
            summary.contains(needle),
            "{needle:?} missing from:\n{summary}"
        );
    }

    let z = close_today(&mut v.store, &vet);
    let z_text = read_back(
        dir.path(),
        "z.pdf",
        &ok(vetdesk_documents::z_report(&letterhead(), &z)),
    );
    for needle in [
        z.number.clone().unwrap_or_default(),
        number.clone(),
        "₴58.86".into(),
        "Taken: card".into(),
        "VAT 20% on 49.05".into(),
    ] {
        assert!(
            z_text.contains(&needle),
            "{needle:?} missing from:\n{z_text}"
        );
    }
}

#[test]
fn a_long_invoice_runs_onto_a_second_page() {
    let dir = ok(tempfile::tempdir());
    let mut v = visit(dir.path());
    let vet = v.vet.clone();
    let patient = v.patient;
    let client = ok(ok(v.store.read(&v.vet, |rx| rx.invoice(v.invoice)))
        .client_id
        .ok_or("the visit's invoice has a client"));
    let long = ok(v.store.transact(&vet, |tx| {
        let id = tx.create_invoice("invoice", client, Some(patient), None)?;
        for n in 0..80 {
            tx.add_invoice_line(
                id,
                &LineForm {
                    description: Some(format!("Line {n:02}")),
                    quantity_milli: 1000,
                    unit_price_cents: Some(100),
                    vat_rate_bp: Some(0),
                    ..Default::default()
                },
            )?;
        }
        tx.finalize_invoice(id)?;
        Ok(id)
    }));
    let view = ok(v.store.read(&v.vet, |rx| rx.invoice(long)));
    let text = read_back(
        dir.path(),
        "long.pdf",
        &ok(vetdesk_documents::invoice(&letterhead(), &view)),
    );
    assert!(
        text.contains("Line 00") && text.contains("Line 79") && text.contains("₴80.00"),
        "{text}"
    );
    assert!(
        text.contains('\u{c}'),
        "two pages (a form feed between them)"
    );
}

/// A clinic set up through its settings (issue 17): the receipt and the Z report carry
/// its legal name, address, VAT and registration numbers, its payment terms and legal
/// text, and every amount in its currency, pounds here.
#[test]
fn documents_carry_the_clinics_settings_and_its_currency() {
    let dir = ok(tempfile::tempdir());
    let mut v = visit(dir.path());
    let owner = v.owner.clone();
    let mut settings = ok(v.store.read(&owner, |rx| rx.clinic_settings()));
    settings.legal_name = Some("Riverside Veterinary Practice Ltd".into());
    settings.address = Some("12 Mill Lane\nYork YO1 7HH".into());
    settings.phone = Some("01904 555 0100".into());
    settings.vat_number = Some("GB123456789".into());
    settings.registration = Some("RCVS practice 4421\nCompany no. 09876543".into());
    settings.currency = "GBP".into();
    settings.payment_terms = Some("Payment is due on the day of treatment.".into());
    settings.document_text = Some("Registered in England and Wales.".into());
    ok(v.store
        .transact(&owner, |tx| tx.set_clinic_settings(&settings)));

    let letterhead = ok(Letterhead::of(&mut v.store, &v.vet.clone()));
    let view = ok(v.store.read(&v.vet, |rx| rx.invoice(v.invoice)));
    let receipt = read_back(
        dir.path(),
        "gbp-receipt.pdf",
        &ok(vetdesk_documents::invoice(&letterhead, &view)),
    );
    for needle in [
        "Riverside Veterinary Practice Ltd",
        "12 Mill Lane",
        "York YO1 7HH",
        "Tel. 01904 555 0100",
        "VAT no. GB123456789",
        "RCVS practice 4421",
        "Company no. 09876543",
        "£58.86",
        "£0.00",
        "in GBP",
        "Payment is due on the day of treatment.",
        "Registered in England and Wales.",
    ] {
        assert!(
            receipt.contains(needle),
            "{needle:?} missing from:\n{receipt}"
        );
    }
    assert!(!receipt.contains("EUR"), "{receipt}");

    let z = close_today(&mut v.store, &v.vet.clone());
    let z_text = read_back(
        dir.path(),
        "gbp-z.pdf",
        &ok(vetdesk_documents::z_report(&letterhead, &z)),
    );
    for needle in [
        "Riverside Veterinary Practice Ltd",
        "VAT no. GB123456789",
        "£58.86",
    ] {
        assert!(
            z_text.contains(needle),
            "{needle:?} missing from:\n{z_text}"
        );
    }
}

#[test]
fn a_walk_ins_counter_sale_receipt_shows_both_payments_and_no_client() {
    use vetdesk_core::services::billing::{SaleInput, SalePayment};
    let dir = ok(tempfile::tempdir());
    let mut v = visit(dir.path());
    let owner = v.owner.clone();
    let food = ok(v.store.transact(&owner, |tx| {
        let food = tx.add_catalog_item(&CatalogItemInput {
            sku: "FOOD".into(),
            barcode: "5012345678900".into(),
            name: "Renal diet 2 kg".into(),
            kind: "product".into(),
            unit: "bag".into(),
            price_cents: 2000,
            vat_rate_bp: 500,
            ..Default::default()
        })?;
        tx.receive_stock(&ReceiveInput {
            item_id: food,
            lot_number: "F-1".into(),
            expires_on: None,
            quantity_milli: 5000,
            cost_cents: 1100,
            order_line_id: None,
        })?;
        Ok(food)
    }));
    let sale = ok(v.store.transact(&v.vet.clone(), |tx| {
        tx.counter_sale(&SaleInput {
            lines: vec![LineForm {
                item_id: Some(food),
                quantity_milli: 1000,
                ..Default::default()
            }],
            payments: ["cash", "card"]
                .iter()
                .enumerate()
                .map(|(i, method)| SalePayment {
                    method: (*method).into(),
                    amount_cents: (i == 0).then_some(1050),
                    reference: String::new(),
                })
                .collect(),
            ..Default::default()
        })
    }));
    let letterhead = ok(Letterhead::of(&mut v.store, &v.vet.clone()));
    let view = ok(v.store.read(&v.vet, |rx| rx.invoice(sale.invoice_id)));
    let text = read_back(
        dir.path(),
        "counter-receipt.pdf",
        &ok(vetdesk_documents::invoice(&letterhead, &view)),
    );
    for needle in [
        "Receipt".to_string(),
        format!("Number: {}", sale.finalized.number),
        "Counter sale (walk-in)".into(),
        "Renal diet 2 kg".into(),
        "Paid by cash".into(),
        "Paid by card".into(),
        "€21.00".into(),
        "€10.50".into(),
        "€0.00".into(),
    ] {
        assert!(text.contains(&needle), "{needle:?} missing from:\n{text}");
    }
    assert!(!text.contains("Client:"), "{text}");
}

#[test]
fn an_estimate_with_a_range_reads_back_low_and_high() {
    let dir = ok(tempfile::tempdir());
    let mut v = visit(dir.path());
    let owner = v.owner.clone();
    let vet = v.vet.clone();
    let client = ok(ok(v.store.read(&v.vet, |rx| rx.invoice(v.invoice)))
        .client_id
        .ok_or("the visit's invoice has a client"));
    let xray = ok(v.store.transact(&owner, |tx| {
        tx.add_catalog_item(&CatalogItemInput {
            sku: "XRAY".into(),
            name: "Radiograph".into(),
            kind: "service".into(),
            unit: "view".into(),
            price_cents: 4000,
            vat_rate_bp: 2000,
            ..Default::default()
        })
    }));
    let estimate = ok(v.store.transact(&vet, |tx| {
        let id = tx.create_invoice("estimate", client, Some(v.patient), None)?;
        tx.add_invoice_line(
            id,
            &LineForm {
                item_id: Some(xray),
                quantity_milli: 1000,
                quantity_high_milli: Some(3000),
                ..Default::default()
            },
        )?;
        tx.finalize_invoice(id)?;
        Ok(id)
    }));
    let letterhead = ok(Letterhead::of(&mut v.store, &vet));
    let view = ok(v.store.read(&vet, |rx| rx.invoice(estimate)));
    let text = read_back(
        dir.path(),
        "estimate-range.pdf",
        &ok(vetdesk_documents::invoice(&letterhead, &view)),
    );
    for needle in [
        "Estimate",
        "Radiograph",
        "1–3",
        "€48.00",
        "Up to",
        "€144.00",
        "ranges from €48.00 to €144.00",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}
