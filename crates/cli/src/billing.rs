//! `vetdesk catalog | stock | invoice | register | report`: the catalog, stock (list,
//! receive, count, alerts), invoices (new, add a line, finalize, pay, list, show, PDFs
//! of the invoice and its labels), the register's daily close, and the owner's
//! reports as a table or CSV. Every rule is core's; this only parses and prints.
//! Days are the clinic's days: midnight to midnight in its time zone (Settings, or
//! `vetdesk clinic set --time-zone`; this computer's where none is set).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use uuid::Uuid;
use vetdesk_billing::money::{format_cents, format_milli, parse_cents, parse_milli};
use vetdesk_core::services::billing::LineForm;
use vetdesk_core::services::billing::{CatalogItemInput, ReceiveInput, StockAlert};
use vetdesk_core::services::reports::{Report, RevenueBy};
use vetdesk_core::validate::date_text;
use vetdesk_core::write::rfc3339;

use crate::records::{SignIn, open, sign_in};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Add a product, service or drug (admins).
    Add {
        #[arg(long)]
        sku: String,
        /// The code a scanner reads (EAN/UPC or the supplier's).
        #[arg(long, default_value = "")]
        barcode: String,
        #[arg(long)]
        name: String,
        /// service, product or drug.
        #[arg(long)]
        kind: String,
        /// What one of it is: visit, tablet, ml, vial…
        #[arg(long)]
        unit: String,
        /// Net price per unit, e.g. 12.50.
        #[arg(long)]
        price: String,
        /// VAT rate in percent, e.g. 20 or 5.
        #[arg(long, default_value = "20")]
        vat: String,
        /// Controlled-drug schedule 2–5.
        #[arg(long)]
        schedule: Option<String>,
        /// Alert when stock falls to this.
        #[arg(long, default_value = "0")]
        reorder: String,
    },
    /// The catalog, optionally filtered by name or SKU.
    List {
        #[arg(default_value = "")]
        query: String,
    },
    /// Change an item (admins): only what is given changes; a new price or VAT rate
    /// goes into its price history (finalized documents keep theirs).
    Update {
        /// SKU, barcode or id.
        item: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        price: Option<String>,
        #[arg(long)]
        vat: Option<String>,
        #[arg(long)]
        reorder: Option<String>,
        #[arg(long)]
        barcode: Option<String>,
    },
    /// An item's prices over time, newest first.
    History { item: String },
}

#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Stock on hand, reserved by draft invoices and available, lot by lot.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Receive stock into a lot (made if new).
    Receive {
        /// SKU or id.
        #[arg(long)]
        item: String,
        #[arg(long)]
        lot: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        expires: Option<String>,
        #[arg(long)]
        quantity: String,
        /// Cost of one unit.
        #[arg(long, default_value = "0")]
        cost: String,
    },
    /// Record a count: other items are adjusted to it; a controlled drug's count is
    /// compared with its register (a difference is a discrepancy, not adjusted).
    Count {
        #[arg(long)]
        item: String,
        /// One lot's number (default: the whole item).
        #[arg(long)]
        lot: Option<String>,
        #[arg(long)]
        counted: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// A stock take: many items counted in one act (`--count SKU:QTY` each).
    Take {
        #[arg(long = "count", value_name = "SKU:QTY", required = true)]
        counts: Vec<String>,
        #[arg(long, default_value = "stock take")]
        note: String,
    },
    /// Move stock between lots (another shelf or site), with the reason.
    Transfer {
        #[arg(long)]
        item: String,
        #[arg(long)]
        from_lot: String,
        #[arg(long)]
        to_lot: String,
        #[arg(long)]
        quantity: String,
        #[arg(long)]
        reason: String,
    },
    /// What needs a person: below zero, reorder, expiring, count discrepancies.
    Alerts,
}

#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// Start a draft invoice (or estimate) for a client; prints its id.
    New {
        #[arg(long)]
        client: Uuid,
        #[arg(long)]
        patient: Option<Uuid>,
        #[arg(long)]
        estimate: bool,
    },
    /// Add a line to a draft: a catalog item (SKU or id) or a described line.
    Add {
        invoice: String,
        #[arg(long)]
        item: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, default_value = "1")]
        quantity: String,
        /// Unit price, net of VAT (default: the item's).
        #[arg(long)]
        price: Option<String>,
        /// VAT percent (default: the item's).
        #[arg(long)]
        vat: Option<String>,
        /// Discount percent, within what your role may give.
        #[arg(long, default_value = "0")]
        discount: String,
        /// An estimate's line: the high end of a range (`--quantity 1 --up-to 3`).
        #[arg(long)]
        up_to: Option<String>,
    },
    /// Finalize a draft: number, totals frozen, stock taken.
    Finalize { invoice: String },
    /// Take a payment: cash, card or transfer.
    Pay {
        invoice: String,
        #[arg(long)]
        method: String,
        #[arg(long)]
        amount: String,
        #[arg(long, default_value = "")]
        reference: String,
    },
    /// Documents, newest first.
    List {
        #[arg(long)]
        client: Option<Uuid>,
        /// draft, finalized or void.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One document with its lines, VAT, payments and balance.
    Show { invoice: String },
    /// Refund part or all of what was paid (admins; audited with the reason).
    Refund {
        invoice: String,
        /// cash, card or transfer.
        #[arg(long)]
        method: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Void a finalized invoice nothing was paid on (admins; audited); its number
    /// stays used and its stock goes back.
    Void {
        invoice: String,
        #[arg(long)]
        reason: String,
    },
    /// Issue a credit note for a finalized invoice in full (admins; audited); prints
    /// its number.
    Credit {
        invoice: String,
        #[arg(long)]
        reason: String,
        /// The goods go back to stock.
        #[arg(long)]
        restock: bool,
    },
    /// Settle a document two registers finalized offline (admins): the number it shows
    /// stands, the stock the other register took goes back.
    Settle { invoice: String },
    /// A client's statement: documents, payments and refunds with the running balance.
    Statement {
        client: Uuid,
        /// Also write it as a PDF, under the clinic's letterhead and in its currency.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write the document as a PDF (an invoice, or a receipt once paid).
    Pdf {
        invoice: String,
        #[arg(short, long)]
        output: PathBuf,
        /// Also write a medication label for each prescribed line, beside it
        /// (`NAME-label-1.pdf`…).
        #[arg(long)]
        labels: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegisterCommand {
    /// Close this register's day: the Z report is numbered and kept (once a day).
    Close {
        /// YYYY-MM-DD (UTC) [default: today].
        #[arg(long)]
        day: Option<String>,
        /// Also write the Z report as a PDF (amounts in the clinic's currency).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Net revenue by day, vet or category.
    Revenue {
        #[arg(long, default_value = "day")]
        by: String,
        /// First day, YYYY-MM-DD (UTC) [default: 30 days ago].
        #[arg(long)]
        from: Option<String>,
        /// Last day, included [default: today].
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Stock valuation at cost, lot by lot.
    Stock {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Lots expiring within --days.
    Expiring {
        #[arg(long, default_value_t = 60)]
        days: i64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Items at or below their reorder level.
    Reorder {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The controlled-drug register, every entry.
    Controlled {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub fn percent_bp(field: &'static str, text: &str) -> Result<i64> {
    // Percent with up to two decimals, as basis points.
    Ok(parse_cents(field, text)?)
}

/// A document's client, or "walk-in" for a counter sale that has none.
fn or_walk_in(client_name: &str) -> &str {
    if client_name.is_empty() {
        "walk-in"
    } else {
        client_name
    }
}

/// The clinic's date today.
fn today(store: &mut vetdesk_core::Store, actor: &vetdesk_core::Actor) -> Result<time::Date> {
    Ok(crate::records::clinic_day(store, actor, None)?.0)
}

fn day(field: &'static str, text: &str) -> Result<time::Date> {
    Ok(vetdesk_core::validate::date(
        field,
        text,
        time::Date::MAX,
        false,
    )?)
}

/// Writes the report to standard output; a reader that stops early (`| head`) is not
/// an error.
fn print_report(report: &Report, format: Format) -> Result<()> {
    use std::io::Write;
    let text = match format {
        Format::Table => report.to_table(),
        Format::Csv => report.to_csv()?,
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

pub fn catalog(data_dir: &Path, who: &SignIn, command: CatalogCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    match command {
        CatalogCommand::Add {
            sku,
            barcode,
            name,
            kind,
            unit,
            price,
            vat,
            schedule,
            reorder,
        } => {
            let actor = sign_in(&mut store, who)?;
            let input = CatalogItemInput {
                sku,
                barcode,
                name,
                kind,
                unit,
                price_cents: parse_cents("--price", &price)?,
                vat_rate_bp: percent_bp("--vat", &vat)?,
                schedule,
                reorder_level_milli: parse_milli("--reorder", &reorder)?,
                dose_ranges: Vec::new(),
            };
            let id = store.transact(&actor, |tx| tx.add_catalog_item(&input))?;
            println!("{id}");
        }
        CatalogCommand::Update {
            item,
            name,
            price,
            vat,
            reorder,
            barcode,
        } => {
            let actor = sign_in(&mut store, who)?;
            let found = store.read(&actor, |rx| rx.find_catalog_item(&item))?;
            let mut input = found.input;
            if let Some(name) = name {
                input.name = name;
            }
            if let Some(price) = price {
                input.price_cents = parse_cents("--price", &price)?;
            }
            if let Some(vat) = vat {
                input.vat_rate_bp = percent_bp("--vat", &vat)?;
            }
            if let Some(reorder) = reorder {
                input.reorder_level_milli = parse_milli("--reorder", &reorder)?;
            }
            if let Some(barcode) = barcode {
                input.barcode = barcode;
            }
            store.transact(&actor, |tx| tx.update_catalog_item(found.id, &input))?;
        }
        CatalogCommand::History { item } => {
            let actor = sign_in(&mut store, who)?;
            let found = store.read(&actor, |rx| rx.find_catalog_item(&item))?;
            for change in store.read(&actor, |rx| rx.price_history(found.id))? {
                println!(
                    "{:<25} {:>9}  VAT {:>5}%  {}",
                    if change.changed_at.is_empty() {
                        "(before history)"
                    } else {
                        &change.changed_at
                    },
                    format_cents(change.price_cents),
                    format_cents(change.vat_rate_bp),
                    change.changed_by
                );
            }
        }
        CatalogCommand::List { query } => {
            let actor = sign_in(&mut store, who)?;
            for item in store.read(&actor, |rx| rx.catalog(&query))? {
                let i = &item.input;
                println!(
                    "{:<12} {:<32} {:<8} {:>9} per {:<8} VAT {:>5}%{}",
                    i.sku,
                    i.name,
                    i.kind,
                    format_cents(i.price_cents),
                    i.unit,
                    format_cents(i.vat_rate_bp),
                    i.schedule
                        .as_deref()
                        .map(|s| format!("  controlled, schedule {s}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

pub fn stock(data_dir: &Path, who: &SignIn, command: StockCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    match command {
        StockCommand::Take { counts, note } => {
            let actor = sign_in(&mut store, who)?;
            crate::orders::stock_take(&mut store, &actor, &counts, &note)?;
        }
        StockCommand::List { format } => {
            let actor = sign_in(&mut store, who)?;
            let mut report = Report {
                title: "Stock".into(),
                headings: [
                    "sku",
                    "item",
                    "on hand",
                    "reserved",
                    "available",
                    "lot",
                    "expires",
                    "lot on hand",
                ]
                .map(str::to_string)
                .to_vec(),
                rows: Vec::new(),
            };
            for level in store.read(&actor, |rx| rx.stock_levels())? {
                let totals = [
                    level.item.input.sku.clone(),
                    level.item.input.name.clone(),
                    format_milli(level.on_hand_milli),
                    format_milli(level.reserved_milli),
                    format_milli(level.available_milli),
                ];
                if level.lots.is_empty() {
                    let mut row = totals.to_vec();
                    row.extend(["".into(), "".into(), "".into()]);
                    report.rows.push(row);
                }
                for lot in &level.lots {
                    let mut row = totals.to_vec();
                    row.extend([
                        lot.lot_number.clone(),
                        lot.expires_on.clone().unwrap_or_default(),
                        format_milli(lot.on_hand_milli),
                    ]);
                    report.rows.push(row);
                }
            }
            print_report(&report, format)?;
        }
        StockCommand::Receive {
            item,
            lot,
            expires,
            quantity,
            cost,
        } => {
            let actor = sign_in(&mut store, who)?;
            let item = store.read(&actor, |rx| rx.find_catalog_item(&item))?;
            let input = ReceiveInput {
                item_id: item.id,
                lot_number: lot,
                expires_on: expires,
                quantity_milli: parse_milli("--quantity", &quantity)?,
                cost_cents: parse_cents("--cost", &cost)?,
                order_line_id: None,
            };
            let lot = store.transact(&actor, |tx| tx.receive_stock(&input))?;
            println!("{lot}");
        }
        StockCommand::Count {
            item,
            lot,
            counted,
            note,
        } => {
            let actor = sign_in(&mut store, who)?;
            let item = store.read(&actor, |rx| rx.find_catalog_item(&item))?;
            let lot_id = match lot {
                Some(number) => Some(
                    store
                        .read(&actor, |rx| rx.stock_levels())?
                        .into_iter()
                        .find(|l| l.item.id == item.id)
                        .and_then(|l| l.lots.into_iter().find(|x| x.lot_number == number))
                        .map(|l| l.lot_id)
                        .with_context(|| format!("{} has no lot {number}", item.input.name))?,
                ),
                None => None,
            };
            let counted = parse_milli("--counted", &counted)?;
            let outcome =
                store.transact(&actor, |tx| tx.count_stock(item.id, lot_id, counted, &note))?;
            let state = if outcome.discrepancy {
                "DISCREPANCY with the controlled-drug register: investigate; nothing was adjusted"
            } else if outcome.adjusted {
                "stock adjusted to the count"
            } else {
                "matches"
            };
            println!(
                "counted {}, expected {}: {state}",
                format_milli(outcome.counted_milli),
                format_milli(outcome.expected_milli)
            );
        }
        StockCommand::Transfer {
            item,
            from_lot,
            to_lot,
            quantity,
            reason,
        } => {
            let actor = sign_in(&mut store, who)?;
            let item = store.read(&actor, |rx| rx.find_catalog_item(&item))?;
            let from = store
                .read(&actor, |rx| rx.stock_levels())?
                .into_iter()
                .find(|l| l.item.id == item.id)
                .and_then(|l| l.lots.into_iter().find(|x| x.lot_number == from_lot))
                .map(|l| l.lot_id)
                .with_context(|| format!("{} has no lot {from_lot}", item.input.name))?;
            let quantity = parse_milli("--quantity", &quantity)?;
            let lot = store.transact(&actor, |tx| {
                tx.transfer_stock(item.id, from, &to_lot, quantity, &reason)
            })?;
            println!("{lot}");
        }
        StockCommand::Alerts => {
            let actor = sign_in(&mut store, who)?;
            let today = today(&mut store, &actor)?;
            for alert in store.read(&actor, |rx| rx.stock_alerts(today))? {
                println!("{}", describe_alert(&alert));
            }
        }
    }
    Ok(())
}

pub fn describe_alert(alert: &StockAlert) -> String {
    match alert {
        StockAlert::FinalizedTwice {
            invoice_id,
            numbers,
        } => format!(
            "FINALIZED TWICE  invoice {invoice_id} was finalized offline on two registers ({}): its stock was taken twice; an admin settles it with `vetdesk invoice settle {invoice_id}`",
            numbers.join(", ")
        ),
        StockAlert::Reconcile {
            item,
            on_hand_milli,
            ..
        } => format!(
            "RECONCILE  {item}: {} on hand (more sold than received): count it",
            format_milli(*on_hand_milli)
        ),
        StockAlert::Reorder {
            item,
            on_hand_milli,
            reorder_level_milli,
            ..
        } => format!(
            "REORDER    {item}: {} on hand, reorder level {}",
            format_milli(*on_hand_milli),
            format_milli(*reorder_level_milli)
        ),
        StockAlert::Expiring {
            item,
            lot_number,
            expires_on,
            on_hand_milli,
            ..
        } => format!(
            "EXPIRING   {item} lot {lot_number}: {} expire {expires_on}",
            format_milli(*on_hand_milli)
        ),
        StockAlert::Discrepancy {
            item,
            counted_milli,
            register_milli,
            counted_at,
            ..
        } => format!(
            "DISCREPANCY {item}: counted {} but the register says {} ({counted_at})",
            format_milli(*counted_milli),
            format_milli(*register_milli)
        ),
    }
}

#[derive(Debug, Subcommand)]
pub enum EstimateCommand {
    /// The client accepts the estimate: a draft invoice with its lines (once per
    /// estimate); prints the draft's id.
    Accept {
        /// The estimate's number or id.
        estimate: String,
    },
}

pub fn estimate(data_dir: &Path, who: &SignIn, command: EstimateCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    let EstimateCommand::Accept { estimate } = command;
    let invoice = store.transact(&actor, |tx| {
        let estimate = tx.read().find_invoice(&estimate)?;
        tx.invoice_from_estimate(estimate)
    })?;
    println!("{invoice}");
    Ok(())
}

pub fn invoice(data_dir: &Path, who: &SignIn, command: InvoiceCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    match command {
        InvoiceCommand::New {
            client,
            patient,
            estimate,
        } => {
            let actor = sign_in(&mut store, who)?;
            let kind = if estimate { "estimate" } else { "invoice" };
            let id = store.transact(&actor, |tx| tx.create_invoice(kind, client, patient, None))?;
            println!("{id}");
        }
        InvoiceCommand::Add {
            invoice,
            item,
            description,
            quantity,
            price,
            vat,
            discount,
            up_to,
        } => {
            let actor = sign_in(&mut store, who)?;
            let invoice = store.read(&actor, |rx| rx.find_invoice(&invoice))?;
            let item_id = match item {
                Some(item) => Some(store.read(&actor, |rx| rx.find_catalog_item(&item))?.id),
                None => None,
            };
            let form = LineForm {
                item_id,
                description,
                quantity_milli: parse_milli("--quantity", &quantity)?,
                unit_price_cents: price.map(|p| parse_cents("--price", &p)).transpose()?,
                vat_rate_bp: vat.map(|v| percent_bp("--vat", &v)).transpose()?,
                discount_bp: percent_bp("--discount", &discount)?,
                quantity_high_milli: up_to.map(|q| parse_milli("--up-to", &q)).transpose()?,
            };
            let line = store.transact(&actor, |tx| tx.add_invoice_line(invoice, &form))?;
            println!("{line}");
        }
        InvoiceCommand::Finalize { invoice } => {
            let actor = sign_in(&mut store, who)?;
            let invoice = store.read(&actor, |rx| rx.find_invoice(&invoice))?;
            let done = store.transact(&actor, |tx| tx.finalize_invoice(invoice))?;
            println!("{} total {}", done.number, format_cents(done.total_cents));
            for (item, short) in done.short {
                let name = store.read(&actor, |rx| rx.catalog_item(item))?.input.name;
                println!(
                    "RECONCILE  {name}: {} more than the lots held were sold",
                    format_milli(short)
                );
            }
        }
        InvoiceCommand::Pay {
            invoice,
            method,
            amount,
            reference,
        } => {
            let actor = sign_in(&mut store, who)?;
            let invoice = store.read(&actor, |rx| rx.find_invoice(&invoice))?;
            let amount = parse_cents("--amount", &amount)?;
            store.transact(&actor, |tx| {
                tx.take_payment(invoice, &method, amount, &reference)
            })?;
            let view = store.read(&actor, |rx| rx.invoice(invoice))?;
            println!(
                "{}: {} paid of {}, {}",
                view.number.unwrap_or_default(),
                format_cents(view.paid_cents),
                format_cents(view.totals.total_cents),
                view.payment_status
            );
        }
        InvoiceCommand::List {
            client,
            status,
            limit,
        } => {
            let actor = sign_in(&mut store, who)?;
            for i in store.read(&actor, |rx| rx.invoices(client, status.as_deref(), limit))? {
                println!(
                    "{}  {:<14} {:<11} {:<9} {:<24} {:>10} paid {:>10}",
                    i.id,
                    i.number.unwrap_or_else(|| "(draft)".into()),
                    i.kind,
                    i.status,
                    or_walk_in(&i.client_name),
                    i.total_cents.map(format_cents).unwrap_or_default(),
                    format_cents(i.paid_cents)
                );
            }
        }
        InvoiceCommand::Show { invoice } => {
            let actor = sign_in(&mut store, who)?;
            let view = store.read(&actor, |rx| rx.invoice(rx.find_invoice(&invoice)?))?;
            println!(
                "{} {} {} — {}{}",
                view.kind,
                view.number.as_deref().unwrap_or("(draft)"),
                view.payment_status,
                or_walk_in(&view.client_name),
                view.patient_name
                    .as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            );
            for line in &view.lines {
                println!(
                    "  {:<36} {:>8} × {:>9}  VAT {:>5}%  {:>10}",
                    line.description,
                    format_milli(line.quantity_milli),
                    format_cents(line.unit_price_cents),
                    format_cents(line.vat_rate_bp),
                    format_cents(line.net_cents)
                );
            }
            println!("  net {:>10}", format_cents(view.totals.net_cents));
            for vat in &view.totals.vat {
                println!(
                    "  VAT {}% on {}: {}",
                    format_cents(vat.rate_bp),
                    format_cents(vat.net_cents),
                    format_cents(vat.vat_cents)
                );
            }
            println!("  total {:>8}", format_cents(view.totals.total_cents));
            for p in &view.payments {
                println!(
                    "  paid {} {} {}",
                    p.method,
                    format_cents(p.amount_cents),
                    p.taken_at
                );
            }
            println!("  balance {:>6}", format_cents(view.balance_cents));
            if view.late_edits {
                println!(
                    "  NOTE: lines were edited on another device after this was finalized; the finalized document stands"
                );
            }
            if !view.snapshot_intact {
                println!("  WARNING: the finalized snapshot does not match its hash");
            }
        }
        InvoiceCommand::Refund {
            invoice,
            method,
            amount,
            reason,
        } => {
            let actor = sign_in(&mut store, who)?;
            let amount = parse_cents("--amount", &amount)?;
            store.transact(&actor, |tx| {
                let invoice = tx.read().find_invoice(&invoice)?;
                tx.refund_payment(invoice, &method, amount, &reason)
            })?;
            println!("refunded {}", format_cents(amount));
        }
        InvoiceCommand::Void { invoice, reason } => {
            let actor = sign_in(&mut store, who)?;
            store.transact(&actor, |tx| {
                let invoice = tx.read().find_invoice(&invoice)?;
                tx.void_invoice(invoice, &reason)
            })?;
            println!("void");
        }
        InvoiceCommand::Credit {
            invoice,
            reason,
            restock,
        } => {
            let actor = sign_in(&mut store, who)?;
            let note = store.transact(&actor, |tx| {
                let invoice = tx.read().find_invoice(&invoice)?;
                tx.credit_invoice(invoice, &reason, restock)
            })?;
            let view = store.read(&actor, |rx| rx.invoice(note))?;
            println!("{}", view.number.unwrap_or_else(|| note.to_string()));
        }
        InvoiceCommand::Settle { invoice } => {
            let actor = sign_in(&mut store, who)?;
            let invoice = store.read(&actor, |rx| rx.find_invoice(&invoice))?;
            store.transact(&actor, |tx| tx.settle_double_finalization(invoice))?;
            println!("settled {invoice}");
        }
        InvoiceCommand::Statement { client, output } => {
            let actor = sign_in(&mut store, who)?;
            let statement = store.read(&actor, |rx| rx.statement(client))?;
            println!("Statement for {}", statement.client_name);
            for entry in &statement.entries {
                println!(
                    "{:<20} {:<18} {:<16} {:>10} {:>10}",
                    entry.at.get(..19).unwrap_or(&entry.at),
                    entry.what,
                    entry.reference,
                    format_cents(entry.amount_cents),
                    format_cents(entry.balance_cents)
                );
            }
            println!("balance {}", format_cents(statement.balance_cents));
            if let Some(output) = output {
                let head = vetdesk_documents::Letterhead::of(&mut store, &actor)?;
                let today = today(&mut store, &actor)?;
                let pdf = vetdesk_documents::statement(&head, &statement, &date_text(today))?;
                std::fs::write(&output, pdf)
                    .with_context(|| format!("write {}", output.display()))?;
                println!("{}", output.display());
            }
        }
        InvoiceCommand::Pdf {
            invoice,
            output,
            labels,
        } => {
            let actor = sign_in(&mut store, who)?;
            let view = store.read(&actor, |rx| rx.invoice(rx.find_invoice(&invoice)?))?;
            let head = vetdesk_documents::Letterhead::of(&mut store, &actor)?;
            std::fs::write(&output, vetdesk_documents::invoice(&head, &view)?)
                .with_context(|| format!("write {}", output.display()))?;
            println!("{}", output.display());
            if labels {
                let stem = output.with_extension("");
                let texts = store.read(&actor, |rx| rx.label_texts(&view))?;
                let pdfs = vetdesk_documents::invoice_labels(&head, &view, &texts)?;
                for (n, pdf) in pdfs.iter().enumerate() {
                    let path = PathBuf::from(format!("{}-label-{}.pdf", stem.display(), n + 1));
                    std::fs::write(&path, pdf)
                        .with_context(|| format!("write {}", path.display()))?;
                    println!("{}", path.display());
                }
            }
        }
    }
    Ok(())
}

pub fn register(data_dir: &Path, who: &SignIn, command: RegisterCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let RegisterCommand::Close {
        day: chosen,
        output,
    } = command;
    let actor = sign_in(&mut store, who)?;
    let chosen = chosen.map(|d| day("--day", &d)).transpose()?;
    let (date, from, to) = crate::records::clinic_day(&mut store, &actor, chosen)?;
    let (text, from, to) = (date_text(date), rfc3339(from), rfc3339(to));
    let z = store.transact(&actor, |tx| tx.close_register(&text, &from, &to))?;
    println!(
        "{} register {} {}: {} invoices ({}–{}), {} credit notes, billed {}, taken {}",
        z.number.as_deref().unwrap_or_default(),
        z.register,
        z.day,
        z.invoices,
        z.first_number.as_deref().unwrap_or("—"),
        z.last_number.as_deref().unwrap_or("—"),
        z.credit_notes,
        format_cents(z.total_cents),
        format_cents(z.taken_cents)
    );
    if let Some(output) = output {
        std::fs::write(
            &output,
            vetdesk_documents::z_report(
                &vetdesk_documents::Letterhead::of(&mut store, &actor)?,
                &z,
            )?,
        )
        .with_context(|| format!("write {}", output.display()))?;
        println!("{}", output.display());
    }
    Ok(())
}

pub fn report(data_dir: &Path, who: &SignIn, command: ReportCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match command {
        ReportCommand::Revenue {
            by,
            from,
            to,
            format,
        } => {
            let by = RevenueBy::parse(&by)?;
            let to = match to {
                Some(t) => day("--to", &t)?,
                None => today(&mut store, &actor)?,
            };
            let from = match from {
                Some(f) => day("--from", &f)?,
                None => to - time::Duration::days(30),
            };
            if from > to {
                bail!("--from is after --to");
            }
            let (_, start, _) = crate::records::clinic_day(&mut store, &actor, Some(from))?;
            let (_, _, end) = crate::records::clinic_day(&mut store, &actor, Some(to))?;
            let report = store.read(&actor, |rx| {
                rx.revenue_report(by, &rfc3339(start), &rfc3339(end))
            })?;
            print_report(&report, format)
        }
        ReportCommand::Stock { format } => print_report(
            &store.read(&actor, |rx| rx.stock_valuation_report())?,
            format,
        ),
        ReportCommand::Expiring { days, format } => print_report(
            &{
                let today = today(&mut store, &actor)?;
                store.read(&actor, |rx| rx.expiring_report(today, days))?
            },
            format,
        ),
        ReportCommand::Reorder { format } => {
            print_report(&store.read(&actor, |rx| rx.reorder_report())?, format)
        }
        ReportCommand::Controlled { format } => {
            print_report(&store.read(&actor, |rx| rx.controlled_report())?, format)
        }
    }
}
