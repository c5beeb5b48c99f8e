//! Vetdesk's printed documents, as PDF bytes: the invoice (a receipt once paid, a
//! credit note, an estimate), the client's statement, the medication label, the
//! prescription, the visit summary with discharge instructions, and the register's Z
//! report — each under the clinic's letterhead (its settings) and in its currency.
//!
//! Text is set in DejaVu Sans, embedded and subset, which covers Latin, Cyrillic
//! (Ukrainian and Russian client names) and Greek; amounts are right-aligned by the
//! font's own glyph widths. Pure: data in, bytes out — the CLI and the app write the
//! file. Tests read every PDF back with `pdftotext`.
//!
//! ## What is drawn and how
//!
//! Invoice (a receipt once paid, a credit note, an estimate), medication label (100 × 50
//! mm), prescription, visit summary with discharge instructions, Z report: data from core
//! in, PDF bytes out. DejaVu Sans regular and bold (crate `dejavu`) embedded and subset:
//! Latin, Cyrillic and Greek; amounts right-aligned by the font's own glyph widths, words
//! wrapped, a new page at the bottom margin (`layout::Writer`). Tests read every PDF back
//! with `pdftotext` (poppler-utils, installed by `scripts/setup.sh test`).

pub mod layout;

use vetdesk_billing::currency::Currency;
use vetdesk_billing::money::{format_cents, format_milli};
use vetdesk_core::services::billing::{InvoiceView, Statement, ZReport};
use vetdesk_core::services::clinic::ClinicSettings;
use vetdesk_core::services::encounters::{Encounter, Prescription};

use layout::{Align, Writer};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the document font could not be loaded: {0}")]
    Font(String),
    /// What the document is made from could not be read from the store.
    #[error(transparent)]
    Record(#[from] vetdesk_core::Error),
}

/// Who the document is from, and what the clinic's documents carry: its name, the
/// lines under it, the text at the foot of invoices and receipts, and its currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    pub clinic: String,
    /// Printed under the name: address lines, phone, email, VAT and registration numbers.
    pub lines: Vec<String>,
    /// At the foot of invoices, receipts, credit notes and estimates: payment terms and
    /// the clinic's legal text.
    pub footer: Vec<String>,
    /// Every amount is written in it (`£12.50`).
    pub currency: Currency,
}

impl Letterhead {
    /// The letterhead the clinic's settings make: the legal name (else the clinic's
    /// name), each address line, phone, email, `VAT no.` and each registration line;
    /// unset settings leave their line out.
    pub fn from_settings(settings: &ClinicSettings) -> Self {
        let lines_of = |text: &Option<String>| -> Vec<String> {
            text.as_deref()
                .map(|t| {
                    t.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut lines = lines_of(&settings.address);
        lines.extend(settings.phone.iter().map(|p| format!("Tel. {p}")));
        lines.extend(settings.email.iter().cloned());
        lines.extend(settings.vat_number.iter().map(|v| format!("VAT no. {v}")));
        lines.extend(lines_of(&settings.registration));
        let mut footer = lines_of(&settings.payment_terms);
        footer.extend(lines_of(&settings.document_text));
        Self {
            clinic: settings.issuer().to_string(),
            lines,
            footer,
            currency: settings.currency(),
        }
    }

    /// The letterhead of the clinic `actor` works for, read through the read door.
    pub fn of(
        store: &mut vetdesk_core::Store,
        actor: &vetdesk_core::roles::Actor,
    ) -> vetdesk_core::Result<Self> {
        Ok(Self::from_settings(
            &store.read(actor, |rx| rx.clinic_settings())?,
        ))
    }

    /// `£12.50`.
    fn money(&self, cents: i64) -> String {
        self.currency.format(cents)
    }
}

const A4: (f32, f32) = (210.0, 297.0);

fn head(w: &mut Writer, letterhead: &Letterhead, title: &str) {
    w.line(&letterhead.clinic, 16.0, true);
    for line in &letterhead.lines {
        w.line(line, 9.0, false);
    }
    w.down(4.0);
    w.line(title, 14.0, true);
    w.down(1.0);
}

fn percent(bp: i64) -> String {
    let whole = bp / 100;
    let rest = bp % 100;
    if rest == 0 {
        format!("{whole}%")
    } else {
        format!("{whole}.{rest:02}%")
    }
}

/// An estimate, invoice, receipt (an invoice paid in full) or credit note.
pub fn invoice(letterhead: &Letterhead, view: &InvoiceView) -> Result<Vec<u8>, DocumentError> {
    let title = match (view.kind.as_str(), view.payment_status.as_str()) {
        ("estimate", _) => "Estimate",
        ("credit_note", _) => "Credit note",
        (_, "paid") => "Receipt",
        (_, "void") => "Invoice (VOID)",
        _ => "Invoice",
    };
    let mut w = Writer::new(title, A4.0, A4.1, 15.0)?;
    head(&mut w, letterhead, title);
    let number = view.number.clone().unwrap_or_else(|| "draft".into());
    w.line(&format!("Number: {number}"), 10.0, false);
    w.line(
        &format!(
            "Date: {}",
            view.finalized_at
                .as_deref()
                .unwrap_or(&view.created_at)
                .get(..10)
                .unwrap_or_default()
        ),
        10.0,
        false,
    );
    match view.client_id {
        Some(_) => w.line(&format!("Client: {}", view.client_name), 10.0, false),
        None => w.line("Counter sale (walk-in)", 10.0, false),
    }
    if let Some(patient) = &view.patient_name {
        w.line(&format!("Patient: {patient}"), 10.0, false);
    }
    w.down(3.0);
    let right = w.right();
    let columns = [
        (w.left(), "Item", Align::Left),
        (right - 75.0, "Qty", Align::Right),
        (right - 50.0, "Price", Align::Right),
        (right - 30.0, "VAT", Align::Right),
        (right, "Amount", Align::Right),
    ];
    for (x, heading, align) in columns {
        w.text_at(x, heading, 9.0, true, align);
    }
    w.down(4.5);
    w.rule();
    for line in &view.lines {
        let mut description = line.description.clone();
        if line.discount_bp > 0 {
            description.push_str(&format!(" (−{} discount)", percent(line.discount_bp)));
        }
        w.text_at(w.left(), &description, 9.0, false, Align::Left);
        let quantity = match line.quantity_high_milli {
            Some(high) if high != line.quantity_milli => format!(
                "{}–{}",
                format_milli(line.quantity_milli),
                format_milli(high)
            ),
            _ => format_milli(line.quantity_milli),
        };
        w.text_at(right - 75.0, &quantity, 9.0, false, Align::Right);
        w.text_at(
            right - 50.0,
            &format_cents(line.unit_price_cents),
            9.0,
            false,
            Align::Right,
        );
        w.text_at(
            right - 30.0,
            &percent(line.vat_rate_bp),
            9.0,
            false,
            Align::Right,
        );
        w.text_at(
            right,
            &format_cents(line.net_cents),
            9.0,
            false,
            Align::Right,
        );
        w.down(5.0);
    }
    w.rule();
    let sum = |w: &mut Writer, label: &str, cents: i64, bold: bool| {
        w.text_at(right - 35.0, label, 10.0, bold, Align::Right);
        w.text_at(right, &letterhead.money(cents), 10.0, bold, Align::Right);
        w.down(5.0);
    };
    sum(&mut w, "Net", view.totals.net_cents, false);
    for vat in &view.totals.vat {
        sum(
            &mut w,
            &format!(
                "VAT {} on {}",
                percent(vat.rate_bp),
                format_cents(vat.net_cents)
            ),
            vat.vat_cents,
            false,
        );
    }
    sum(&mut w, "Total", view.totals.total_cents, true);
    if let Some(high) = &view.high_totals {
        sum(&mut w, "Up to", high.total_cents, true);
        w.paragraph(
            &format!(
                "This estimate ranges from {} to {}: the lines with a range are charged for what is done.",
                letterhead.money(view.totals.total_cents),
                letterhead.money(high.total_cents)
            ),
            9.0,
        );
    }
    if !view.payments.is_empty() {
        w.down(3.0);
        w.line("Payments", 10.0, true);
        for payment in &view.payments {
            let what = if payment.amount_cents < 0 {
                "Refund"
            } else {
                "Paid"
            };
            w.text_at(
                w.left(),
                &format!(
                    "{what} by {} on {}",
                    payment.method,
                    payment.taken_at.get(..10).unwrap_or_default()
                ),
                9.0,
                false,
                Align::Left,
            );
            w.text_at(
                right,
                &letterhead.money(payment.amount_cents),
                9.0,
                false,
                Align::Right,
            );
            w.down(5.0);
        }
        sum(&mut w, "Balance due", view.balance_cents, true);
    }
    if let Some(reason) = &view.void_reason {
        w.down(3.0);
        w.paragraph(&format!("Voided: {reason}"), 10.0);
    }
    w.down(4.0);
    w.paragraph(
        &format!(
            "Prices are net of VAT and in {}; VAT is calculated per rate on the total at that rate, rounded to the nearest hundredth.",
            letterhead.currency.code()
        ),
        8.0,
    );
    for line in &letterhead.footer {
        w.paragraph(line, 8.0);
    }
    Ok(w.finish())
}

/// A medication label (100 × 50 mm): the lines of [`vetdesk_core::Store::label_text`].
pub fn label(
    letterhead: &Letterhead,
    lines: &[String],
    dispensed_on: &str,
) -> Result<Vec<u8>, DocumentError> {
    let mut w = Writer::new("Medication label", 100.0, 50.0, 4.0)?;
    w.line(&letterhead.clinic, 9.0, true);
    for (i, line) in lines.iter().enumerate() {
        let size = if i == 0 { 9.0 } else { 8.0 };
        let width = w.right() - w.left();
        for part in layout::wrap(w.fonts(), line, size, width) {
            w.line(&part, size, i == 0);
        }
    }
    w.line(&format!("Dispensed {dispensed_on}"), 7.0, false);
    Ok(w.finish())
}

/// The medication labels of an invoice: one PDF per prescribed line, from the label
/// texts core reads for it (`Rx::label_texts`), dated the day the invoice was
/// finalized (dispensed). The CLI and the app both print these.
pub fn invoice_labels(
    letterhead: &Letterhead,
    view: &InvoiceView,
    label_texts: &[Vec<String>],
) -> Result<Vec<Vec<u8>>, DocumentError> {
    let dispensed = view
        .finalized_at
        .as_deref()
        .and_then(|t| t.get(..10))
        .unwrap_or_default();
    label_texts
        .iter()
        .map(|text| label(letterhead, text, dispensed))
        .collect()
}

/// The people and animal a clinical document is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct About {
    pub patient: String,
    pub species: String,
    pub owner: String,
    pub vet: String,
}

/// The date, the animal and its owner (and the vet), under a clinical document's title.
fn about_lines(w: &mut Writer, date: &str, about: &About, with_vet: bool) {
    w.line(
        &format!("Date: {}", date.get(..10).unwrap_or_default()),
        10.0,
        false,
    );
    w.line(
        &format!("Animal: {} ({})", about.patient, about.species),
        10.0,
        false,
    );
    w.line(&format!("Owner: {}", about.owner), 10.0, false);
    if with_vet {
        w.line(&format!("Vet: {}", about.vet), 10.0, false);
    }
    w.down(3.0);
}

impl From<vetdesk_core::services::encounters::DocumentParties> for About {
    fn from(p: vetdesk_core::services::encounters::DocumentParties) -> Self {
        Self {
            patient: p.patient,
            species: p.species,
            owner: p.owner,
            vet: p.vet,
        }
    }
}

/// A written prescription.
pub fn prescription(
    letterhead: &Letterhead,
    about: &About,
    rx: &Prescription,
) -> Result<Vec<u8>, DocumentError> {
    let mut w = Writer::new("Prescription", A4.0, A4.1, 15.0)?;
    head(&mut w, letterhead, "Prescription");
    about_lines(&mut w, &rx.prescribed_at, about, false);
    let f = &rx.fields;
    w.line(&f.drug, 12.0, true);
    w.paragraph(
        &format!(
            "{} {} {}, {} for {} days. Supply: {}.",
            f.dose, f.unit, f.route, f.frequency, f.duration_days, f.quantity
        ),
        10.0,
    );
    if let Some(instructions) = f.instructions.as_deref().filter(|i| !i.is_empty()) {
        w.paragraph(instructions, 10.0);
    }
    if f.refills > 0 {
        w.line(&format!("Repeats: {}", f.refills), 10.0, false);
    }
    w.down(8.0);
    w.line(&format!("Prescribed by {}", about.vet), 10.0, false);
    w.line("For animal treatment only.", 8.0, false);
    Ok(w.finish())
}

/// The visit summary for the owner, with the discharge instructions.
pub fn visit_summary(
    letterhead: &Letterhead,
    about: &About,
    encounter: &Encounter,
    prescriptions: &[Prescription],
    discharge: &str,
) -> Result<Vec<u8>, DocumentError> {
    let mut w = Writer::new("Visit summary", A4.0, A4.1, 15.0)?;
    head(
        &mut w,
        letterhead,
        "Visit summary and discharge instructions",
    );
    about_lines(&mut w, &encounter.started_at, about, true);
    for (title, text) in [
        ("What you told us", &encounter.soap.subjective),
        ("What we found", &encounter.soap.objective),
        ("Assessment", &encounter.soap.assessment),
        ("Plan", &encounter.soap.plan),
    ] {
        if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            w.line(title, 11.0, true);
            w.paragraph(text, 10.0);
            w.down(2.0);
        }
    }
    let active: Vec<&Prescription> = prescriptions
        .iter()
        .filter(|p| p.status == "active")
        .collect();
    if !active.is_empty() {
        w.line("Medicines", 11.0, true);
        for rx in active {
            let f = &rx.fields;
            w.paragraph(
                &format!(
                    "{}: {} {} {}, {} for {} days.",
                    f.drug, f.dose, f.unit, f.route, f.frequency, f.duration_days
                ),
                10.0,
            );
        }
        w.down(2.0);
    }
    w.line("At home", 11.0, true);
    w.paragraph(discharge, 10.0);
    w.down(2.0);
    w.paragraph(
        "Call us at once if your animal gets worse, stops eating or drinking, or you are worried.",
        9.0,
    );
    Ok(w.finish())
}

/// A client's statement: finalized invoices and credit notes, payments and refunds,
/// oldest first, each with the running balance, then the balance due and the clinic's
/// payment terms. `issued_on` is the day it is printed (`2026-12-05`).
pub fn statement(
    letterhead: &Letterhead,
    st: &Statement,
    issued_on: &str,
) -> Result<Vec<u8>, DocumentError> {
    let mut w = Writer::new("Statement", A4.0, A4.1, 15.0)?;
    head(&mut w, letterhead, "Statement");
    w.line(&format!("Client: {}", st.client_name), 10.0, false);
    w.line(&format!("Date: {issued_on}"), 10.0, false);
    w.down(3.0);
    let right = w.right();
    let columns = [
        (w.left(), "Date", Align::Left),
        (w.left() + 28.0, "Document", Align::Left),
        (right - 35.0, "Amount", Align::Right),
        (right, "Balance", Align::Right),
    ];
    for (x, heading, align) in columns {
        w.text_at(x, heading, 9.0, true, align);
    }
    w.down(4.5);
    w.rule();
    for entry in &st.entries {
        w.text_at(
            w.left(),
            entry.at.get(..10).unwrap_or_default(),
            9.0,
            false,
            Align::Left,
        );
        let what = if entry.reference.is_empty() {
            entry.what.clone()
        } else {
            format!("{} {}", entry.what, entry.reference)
        };
        w.text_at(w.left() + 28.0, &what, 9.0, false, Align::Left);
        w.text_at(
            right - 35.0,
            &letterhead.money(entry.amount_cents),
            9.0,
            false,
            Align::Right,
        );
        w.text_at(
            right,
            &letterhead.money(entry.balance_cents),
            9.0,
            false,
            Align::Right,
        );
        w.down(5.0);
    }
    if st.entries.is_empty() {
        w.line("No invoices or payments yet.", 9.0, false);
    }
    w.rule();
    w.text_at(right - 35.0, "Balance due", 11.0, true, Align::Right);
    w.text_at(
        right,
        &letterhead.money(st.balance_cents),
        11.0,
        true,
        Align::Right,
    );
    w.down(8.0);
    for line in &letterhead.footer {
        w.paragraph(line, 8.0);
    }
    Ok(w.finish())
}

/// A register's Z report (daily close).
pub fn z_report(letterhead: &Letterhead, z: &ZReport) -> Result<Vec<u8>, DocumentError> {
    let money = |cents: i64| letterhead.money(cents);
    let mut w = Writer::new("Z report", A4.0, A4.1, 15.0)?;
    head(
        &mut w,
        letterhead,
        &format!("Z report {}", z.number.as_deref().unwrap_or("(preview)")),
    );
    let right = w.right();
    let rows: Vec<(String, String)> = [
        ("Register".to_string(), z.register.clone()),
        ("Day".into(), z.day.clone()),
        ("Invoices".into(), z.invoices.to_string()),
        (
            "Numbers".into(),
            format!(
                "{} – {}",
                z.first_number.as_deref().unwrap_or("—"),
                z.last_number.as_deref().unwrap_or("—")
            ),
        ),
        ("Credit notes".into(), z.credit_notes.to_string()),
        ("Net".into(), money(z.net_cents)),
    ]
    .into_iter()
    .chain(z.vat.iter().map(|v| {
        (
            format!(
                "VAT {} on {}",
                percent(v.rate_bp),
                format_cents(v.net_cents)
            ),
            money(v.vat_cents),
        )
    }))
    .chain([
        ("Total billed".into(), money(z.total_cents)),
        ("Credited".into(), money(z.credited_cents)),
    ])
    .chain(
        z.payments
            .iter()
            .map(|(method, cents)| (format!("Taken: {method}"), money(*cents))),
    )
    .chain([("Taken in all".into(), money(z.taken_cents))])
    .collect();
    for (label, value) in rows {
        w.text_at(w.left(), &label, 10.0, false, Align::Left);
        w.text_at(right, &value, 10.0, false, Align::Right);
        w.down(5.5);
    }
    Ok(w.finish())
}
