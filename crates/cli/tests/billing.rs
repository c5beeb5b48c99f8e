//! Billing from the command line as a clinic scripts it: the catalog, stock received
//! and counted, an invoice built, finalized, paid and printed (read back with
//! `pdftotext`), the day closed with its Z report, and the owner's reports as CSV.

mod common;

use std::path::Path;
use std::process::Command;

use common::{must, run_as};

fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext (poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_day_at_the_register_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("clinic");
    common::staffed_clinic(
        &data,
        "Harbour Vets",
        &[("Dr Ада Ветеринар", "vet"), ("Fred Desk", "front_desk")],
    );
    let owner = common::OWNER;
    let vet = "Dr Ада Ветеринар";
    let desk = "Fred Desk";

    // The catalog: admins only, prices and VAT checked.
    let (ok, _, err) = run_as(
        &data,
        Some(desk),
        &[
            "catalog",
            "add",
            "--sku",
            "CONS",
            "--name",
            "Consultation",
            "--kind",
            "service",
            "--unit",
            "visit",
            "--price",
            "45",
        ],
    );
    assert!(!ok && err.contains("not allowed"), "{err}");
    let (ok, _, err) = run_as(
        &data,
        Some(owner),
        &[
            "catalog",
            "add",
            "--sku",
            "CONS",
            "--name",
            "Consultation",
            "--kind",
            "service",
            "--unit",
            "visit",
            "--price",
            "45.001",
        ],
    );
    assert!(!ok && err.contains("--price"), "{err}");
    must(
        &data,
        owner,
        &[
            "catalog",
            "add",
            "--sku",
            "CONS",
            "--name",
            "Consultation",
            "--kind",
            "service",
            "--unit",
            "visit",
            "--price",
            "45",
        ],
    );
    must(
        &data,
        owner,
        &[
            "catalog",
            "add",
            "--sku",
            "FOOD",
            "--barcode",
            "5012345678900",
            "--name",
            "Renal diet 2 kg",
            "--kind",
            "product",
            "--unit",
            "bag",
            "--price",
            "19.99",
            "--vat",
            "5",
            "--reorder",
            "2",
        ],
    );
    let listed = must(&data, desk, &["catalog", "list"]);
    assert!(
        listed.contains("Renal diet 2 kg") && listed.contains("19.99"),
        "{listed}"
    );

    // Stock: received by the vet (the front desk may not), counted.
    let (ok, _, err) = run_as(
        &data,
        Some(desk),
        &[
            "stock",
            "receive",
            "--item",
            "FOOD",
            "--lot",
            "F-1",
            "--quantity",
            "5",
        ],
    );
    assert!(!ok && err.contains("not allowed"), "{err}");
    must(
        &data,
        vet,
        &[
            "stock",
            "receive",
            "--item",
            "FOOD",
            "--lot",
            "F-1",
            "--expires",
            "2030-01-31",
            "--quantity",
            "5",
            "--cost",
            "9.50",
        ],
    );
    let count = must(
        &data,
        vet,
        &[
            "stock",
            "count",
            "--item",
            "FOOD",
            "--counted",
            "4",
            "--note",
            "one torn",
        ],
    );
    assert!(count.contains("adjusted"), "{count}");
    let stock = must(&data, desk, &["stock", "list", "--format", "csv"]);
    assert!(
        stock.contains("FOOD,Renal diet 2 kg,4,0,4,F-1,2030-01-31,4"),
        "{stock}"
    );

    // An invoice: a consultation and two bags, finalized, paid in two parts.
    let client = must(
        &data,
        desk,
        &["client", "add", "--first", "Олена", "--last", "Шевченко"],
    );
    let invoice = must(&data, desk, &["invoice", "new", "--client", &client]);
    must(&data, desk, &["invoice", "add", &invoice, "--item", "CONS"]);
    must(
        &data,
        desk,
        &[
            "invoice",
            "add",
            &invoice,
            "--item",
            "FOOD",
            "--quantity",
            "2",
        ],
    );
    let (ok, _, err) = run_as(
        &data,
        Some(desk),
        &[
            "invoice",
            "add",
            &invoice,
            "--item",
            "FOOD",
            "--discount",
            "50",
        ],
    );
    assert!(!ok && err.contains("discount"), "{err}");
    let finalized = must(&data, desk, &["invoice", "finalize", &invoice]);
    // 45.00 + 9.00 VAT + 39.98 + 2.00 VAT = 95.98
    assert!(finalized.ends_with("total 95.98"), "{finalized}");
    let number = finalized
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let paid = must(
        &data,
        desk,
        &[
            "invoice", "pay", &number, "--method", "card", "--amount", "50",
        ],
    );
    assert!(paid.contains("part_paid"), "{paid}");
    let (ok, _, err) = run_as(
        &data,
        Some(desk),
        &[
            "invoice", "pay", &number, "--method", "cheque", "--amount", "1",
        ],
    );
    assert!(!ok && err.contains("method"), "{err}");
    must(
        &data,
        desk,
        &[
            "invoice", "pay", &number, "--method", "cash", "--amount", "45.98",
        ],
    );
    let shown = must(&data, desk, &["invoice", "show", &number]);
    assert!(
        shown.contains("paid") && shown.contains("balance   0.00"),
        "{shown}"
    );

    // The clinic's settings: the front desk may read them, only the owner change them;
    // the receipt is then issued under them, in pounds.
    let (ok, _, err) = run_as(&data, Some(desk), &["clinic", "set", "--currency", "GBP"]);
    assert!(!ok && err.contains("manage the clinic"), "{err}");
    let (ok, _, err) = run_as(
        &data,
        Some("Olivia Owner"),
        &["clinic", "set", "--currency", "JPY"],
    );
    assert!(!ok && err.contains("minor units"), "{err}");
    let changed = must(
        &data,
        "Olivia Owner",
        &[
            "clinic",
            "set",
            "--legal-name",
            "Harbour Veterinary Ltd",
            "--address",
            "1 Quay Street\\nPlymouth PL1 2AB",
            "--vat-number",
            "GB123456789",
            "--currency",
            "GBP",
            "--time-zone",
            "Europe/London",
        ],
    );
    assert_eq!(
        changed,
        "changed: legal_name, address, vat_number, currency, time_zone"
    );
    let shown = must(&data, desk, &["clinic", "show"]);
    for needle in [
        "legal name     Harbour Veterinary Ltd",
        "address        1 Quay Street / Plymouth PL1 2AB",
        "currency       GBP (£)",
        "time zone      Europe/London",
    ] {
        assert!(shown.contains(needle), "{needle:?} missing from:\n{shown}");
    }
    let pdf = dir.path().join("receipt.pdf");
    must(
        &data,
        desk,
        &["invoice", "pdf", &number, "-o", &pdf.to_string_lossy()],
    );
    let text = pdf_text(&pdf);
    for needle in [
        "Receipt",
        "Harbour Veterinary Ltd",
        "Plymouth PL1 2AB",
        "VAT no. GB123456789",
        number.as_str(),
        "Олена Шевченко",
        "Renal diet 2 kg",
        "£95.98",
        "Paid by card",
        "Paid by cash",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    // An estimate the client accepts becomes a draft invoice, once.
    let estimate = must(
        &data,
        desk,
        &["invoice", "new", "--client", &client, "--estimate"],
    );
    must(
        &data,
        desk,
        &["invoice", "add", &estimate, "--item", "CONS"],
    );
    let accepted = must(&data, desk, &["estimate", "accept", &estimate]);
    let shown = must(&data, desk, &["invoice", "show", &accepted]);
    assert!(shown.contains("Consultation"), "{shown}");
    let (ok, _, err) = run_as(&data, Some(desk), &["estimate", "accept", &estimate]);
    assert!(!ok && err.contains("already accepted"), "{err}");

    // The client's statement, as text and as a PDF in pounds.
    let statement_pdf = dir.path().join("statement.pdf");
    let statement = must(
        &data,
        desk,
        &[
            "invoice",
            "statement",
            &client,
            "-o",
            &statement_pdf.to_string_lossy(),
        ],
    );
    assert!(statement.contains("balance 0.00"), "{statement}");
    let text = pdf_text(&statement_pdf);
    for needle in [
        "Statement",
        "Harbour Veterinary Ltd",
        "£95.98",
        "-£45.98",
        "Balance due",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let alerts = must(&data, desk, &["stock", "alerts"]);
    assert!(
        alerts.contains("REORDER    Renal diet 2 kg: 2 on hand"),
        "{alerts}"
    );

    // The day closes once, with its Z report; the owner's reports as CSV.
    let z_pdf = dir.path().join("z.pdf");
    let closed = must(
        &data,
        desk,
        &["register", "close", "-o", &z_pdf.to_string_lossy()],
    );
    assert!(
        closed.contains("1 invoices") && closed.contains("taken 95.98"),
        "{closed}"
    );
    assert!(pdf_text(&z_pdf).contains("95.98"));
    let (ok, _, err) = run_as(&data, Some(desk), &["register", "close"]);
    assert!(!ok && err.contains("already closed"), "{err}");
    let (ok, _, err) = run_as(&data, Some(desk), &["report", "revenue"]);
    assert!(!ok && err.contains("not allowed"), "{err}");
    let revenue = must(
        &data,
        owner,
        &["report", "revenue", "--by", "category", "--format", "csv"],
    );
    assert_eq!(
        revenue,
        "category,documents,net\nservice,1,45.00\nproduct,1,39.98"
    );
    let valuation = must(&data, owner, &["report", "stock", "--format", "csv"]);
    assert!(
        valuation.contains("FOOD,Renal diet 2 kg,F-1,2030-01-31,2,9.50,19.00"),
        "{valuation}"
    );
    let (ok, _, err) = run_as(&data, Some(owner), &["report", "revenue", "--by", "week"]);
    assert!(!ok && err.contains("day, vet or category"), "{err}");

    // A walk-in buys a bag at the counter, scanned by its barcode, half in cash and
    // the rest by card; one who would leave part unpaid is refused, and nothing is
    // sold.
    let (ok, _, err) = run_as(
        &data,
        Some(desk),
        &["sale", "--item", "FOOD", "--pay", "cash:5"],
    );
    assert!(!ok && err.contains("a walk-in pays in full"), "{err}");
    let sold = must(
        &data,
        desk,
        &[
            "sale",
            "--item",
            "5012345678900:1",
            "--pay",
            "cash:10.50",
            "--pay",
            "card",
        ],
    );
    // 19.99 + 1.00 VAT.
    let (sale_number, summary) = sold.split_once('\n').unwrap_or_default();
    assert_eq!(summary, "total 20.99 paid 20.99", "{sold}");
    let shown = must(&data, desk, &["invoice", "show", sale_number]);
    assert!(
        shown.contains("paid — walk-in") && shown.contains("10.49"),
        "{shown}"
    );
    let stock = must(&data, desk, &["stock", "list", "--format", "csv"]);
    assert!(stock.contains("FOOD,Renal diet 2 kg,1,"), "{stock}");

    // Corrections are the owner's: a refund of part, then a credit note in full.
    let refund = [
        "invoice",
        "refund",
        &number,
        "--method",
        "cash",
        "--amount",
        "10",
        "--reason",
        "one bag returned",
    ];
    let (ok, _, err) = run_as(&data, Some(desk), &refund);
    assert!(!ok && err.contains("not allowed"), "{err}");
    assert_eq!(must(&data, "Olivia Owner", &refund), "refunded 10.00");
    let shown = must(&data, desk, &["invoice", "show", &number]);
    assert!(shown.contains("balance  10.00"), "{shown}");
    let note = must(
        &data,
        "Olivia Owner",
        &[
            "invoice",
            "credit",
            &number,
            "--reason",
            "returned in full",
            "--restock",
        ],
    );
    assert!(note.starts_with("CN-"), "{note}");
    let shown = must(&data, desk, &["invoice", "show", &note]);
    assert!(shown.starts_with("credit_note"), "{shown}");
}

#[test]
fn orders_prices_and_the_stock_take_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("clinic");
    common::staffed_clinic(
        &data,
        "Harbour Vets",
        &[("Nina Nurse", "nurse"), ("Fred Desk", "front_desk")],
    );
    let (owner, nurse) = (common::OWNER, "Nina Nurse");
    must(
        &data,
        owner,
        &[
            "catalog",
            "add",
            "--sku",
            "CARP50",
            "--name",
            "Carprofen 50 mg",
            "--kind",
            "drug",
            "--unit",
            "tablet",
            "--price",
            "0.62",
            "--reorder",
            "20",
        ],
    );
    // A new price goes into the history.
    must(
        &data,
        owner,
        &["catalog", "update", "CARP50", "--price", "0.70"],
    );
    let history = must(&data, nurse, &["catalog", "history", "CARP50"]);
    let prices: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(prices, ["0.70", "0.62"], "{history}");

    // Nothing in stock: the reorder list orders it; the front desk may not.
    let (ok, _, err) = run_as(
        &data,
        Some("Fred Desk"),
        &["order", "reorder", "--supplier", "Vet Wholesale"],
    );
    assert!(!ok && err.contains("not allowed"), "{err}");
    let drafted = must(
        &data,
        nurse,
        &["order", "reorder", "--supplier", "Vet Wholesale"],
    );
    let number = drafted
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        number.starts_with("PO-") && drafted.contains("draft"),
        "{drafted}"
    );
    assert!(drafted.contains("ordered       40"), "{drafted}");
    must(&data, nurse, &["order", "place", &number]);
    let receive = |quantity: &str, lot: &str| {
        run_as(
            &data,
            Some(nurse),
            &[
                "order",
                "receive",
                &number,
                "--item",
                "CARP50",
                "--lot",
                lot,
                "--quantity",
                quantity,
                "--expires",
                "2030-01-31",
            ],
        )
    };
    let (ok, status, err) = receive("25", "L1");
    assert!(ok && status == "part_received", "{status}{err}");
    let (ok, _, err) = receive("20", "L2");
    assert!(
        !ok && err.contains("15 of Carprofen 50 mg is still due"),
        "{err}"
    );
    let (ok, status, err) = receive("15", "L2");
    assert!(ok && status == "received", "{status}{err}");
    let shown = must(&data, nurse, &["order", "show", &number]);
    assert!(shown.contains("received       40"), "{shown}");

    let take = must(
        &data,
        nurse,
        &[
            "stock",
            "take",
            "--count",
            "CARP50:38",
            "--note",
            "December",
        ],
    );
    assert!(
        take.contains("expected       40 counted       38  adjusted"),
        "{take}"
    );
}
