//! The Billing and Inventory views' commands (and the visit summary's PDF): thin adapters over core's invoices and
//! stock services (every rule and role check is core's) and the documents crate for
//! receipts, Z reports and report CSVs, written under the data directory's
//! `documents/` folder; and the owner's reports.

use vetdesk_core::services::billing::{CatalogItem, CountOutcome, StockAlert, StockLevel};
use vetdesk_core::services::billing::{Finalized, InvoiceSummary, InvoiceView, Sale, SaleItem};
use vetdesk_ipc::{
    AddLineRequest, CatalogRequest, CountRequest, CounterSaleRequest, IdRequest, InvoicesRequest,
    IpcError, PayRequest, ReceiveRequest, SavedDocument, parse_id,
};

use crate::state::AppState;

/// Documents, newest first (drafts, finalized, void).
pub async fn invoices_list(
    state: &AppState,
    request: InvoicesRequest,
) -> Result<Vec<InvoiceSummary>, IpcError> {
    let status = request
        .status
        .map(|s| vetdesk_core::validate::one_of("status", &s, &["draft", "finalized", "void"]))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.read(actor, |rx| rx.invoices(None, status, 200))?)
        })
        .await
}

/// One document with its lines, VAT, payments and balance.
pub async fn invoice_view(state: &AppState, request: IdRequest) -> Result<InvoiceView, IpcError> {
    let id = parse_id("invoice", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.invoice(id))?))
        .await
}

/// The catalog, filtered by name or SKU.
pub async fn catalog_list(
    state: &AppState,
    request: CatalogRequest,
) -> Result<Vec<CatalogItem>, IpcError> {
    let query = request.query.chars().take(100).collect::<String>();
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.catalog(&query))?))
        .await
}

/// What the counter may be selling, as the front desk types or scans: an exact barcode
/// or SKU first, then names and codes starting with each word.
pub async fn sale_items(
    state: &AppState,
    request: CatalogRequest,
) -> Result<Vec<SaleItem>, IpcError> {
    let query = request.query.chars().take(100).collect::<String>();
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.sale_items(&query, 12))?))
        .await
}

/// What the counter's basket comes to at the catalog's prices, before it is rung up.
pub async fn sale_quote(
    state: &AppState,
    request: CounterSaleRequest,
) -> Result<vetdesk_billing::money::Totals, IpcError> {
    let lines = request.to_input()?.lines;
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.sale_quote(&lines))?))
        .await
}

/// Rings up a counter sale: finalized and paid in one act (core plans the payments:
/// one without an amount pays the rest, cash beyond the total is change).
pub async fn counter_sale(state: &AppState, request: CounterSaleRequest) -> Result<Sale, IpcError> {
    let input = request.to_input()?;
    state
        .as_signed_in(move |store, actor| Ok(store.transact(actor, |tx| tx.counter_sale(&input))?))
        .await
}

/// Adds a catalog item to a draft (core checks the draft, the numbers and the
/// discount this person may give).
pub async fn invoice_add_line(
    state: &AppState,
    request: AddLineRequest,
) -> Result<String, IpcError> {
    let (invoice, form) = request.to_form()?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.add_invoice_line(invoice, &form))?
                .to_string())
        })
        .await
}

/// Finalizes a draft: its number, totals frozen, stock taken.
pub async fn invoice_finalize(state: &AppState, request: IdRequest) -> Result<Finalized, IpcError> {
    let id = parse_id("invoice", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.transact(actor, |tx| tx.finalize_invoice(id))?))
        .await
}

/// Takes a payment; answers the invoice as it now stands.
pub async fn invoice_pay(state: &AppState, request: PayRequest) -> Result<InvoiceView, IpcError> {
    let id = parse_id("invoice", &request.invoice_id)?;
    let amount = vetdesk_billing::money::parse_cents("amount", &request.amount)
        .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?;
    let method = request.method;
    state
        .as_signed_in(move |store, actor| {
            store.transact(actor, |tx| tx.take_payment(id, &method, amount, ""))?;
            Ok(store.read(actor, |rx| rx.invoice(id))?)
        })
        .await
}

/// Refunds part or all of what was paid on an invoice (admins, in core; audited).
pub async fn invoice_refund(
    state: &AppState,
    request: vetdesk_ipc::CorrectionRequest,
) -> Result<InvoiceView, IpcError> {
    let id = parse_id("invoice", &request.invoice_id)?;
    let amount =
        vetdesk_billing::money::parse_cents("amount", request.amount.as_deref().unwrap_or(""))
            .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?;
    let method = request.method.unwrap_or_default();
    state
        .as_signed_in(move |store, actor| {
            store.transact(actor, |tx| {
                tx.refund_payment(id, &method, amount, &request.reason)
            })?;
            Ok(store.read(actor, |rx| rx.invoice(id))?)
        })
        .await
}

/// Voids a finalized invoice nothing was paid on (admins, in core; audited).
pub async fn invoice_void(
    state: &AppState,
    request: vetdesk_ipc::CorrectionRequest,
) -> Result<InvoiceView, IpcError> {
    let id = parse_id("invoice", &request.invoice_id)?;
    state
        .as_signed_in(move |store, actor| {
            store.transact(actor, |tx| tx.void_invoice(id, &request.reason))?;
            Ok(store.read(actor, |rx| rx.invoice(id))?)
        })
        .await
}

/// Issues a credit note for a finalized invoice in full (admins, in core; audited);
/// returns the credit note's id.
pub async fn invoice_credit(
    state: &AppState,
    request: vetdesk_ipc::CorrectionRequest,
) -> Result<String, IpcError> {
    let id = parse_id("invoice", &request.invoice_id)?;
    let restock = request.restock.unwrap_or(false);
    state
        .as_signed_in(move |store, actor| {
            let note =
                store.transact(actor, |tx| tx.credit_invoice(id, &request.reason, restock))?;
            Ok(note.to_string())
        })
        .await
}

/// Writes the invoice (a receipt once paid) as a PDF under `documents/`.
pub async fn invoice_pdf(state: &AppState, request: IdRequest) -> Result<SavedDocument, IpcError> {
    let id = parse_id("invoice", &request.id)?;
    let folder = state.data_dir().join("documents");
    state
        .as_signed_in(move |store, actor| {
            let view = store.read(actor, |rx| rx.invoice(id))?;
            let letterhead = vetdesk_documents::Letterhead::of(store, actor)?;
            let pdf = vetdesk_documents::invoice(&letterhead, &view)
                .map_err(crate::failures::document)?;
            let name = view.number.clone().unwrap_or_else(|| format!("draft-{id}"));
            Ok(SavedDocument {
                path: save_document(&folder, &format!("{name}.pdf"), &pdf)?,
            })
        })
        .await
}

/// A new draft invoice or estimate for a client (and one of their patients).
pub async fn invoice_new(
    state: &AppState,
    request: vetdesk_ipc::NewInvoiceRequest,
) -> Result<String, IpcError> {
    let (client, patient) = request.ids()?;
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| {
                tx.create_invoice(&request.kind, client, patient, None)
            })?;
            Ok(id.to_string())
        })
        .await
}

/// A client accepts an estimate: a draft invoice with its lines (the estimate stays).
pub async fn estimate_accept(state: &AppState, request: IdRequest) -> Result<String, IpcError> {
    let id = parse_id("estimate", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.invoice_from_estimate(id))?
                .to_string())
        })
        .await
}

/// A client's statement: documents, payments and refunds with the running balance.
pub async fn client_statement(
    state: &AppState,
    request: IdRequest,
) -> Result<vetdesk_core::services::billing::Statement, IpcError> {
    let id = parse_id("client", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.statement(id))?))
        .await
}

/// Writes a client's statement as a PDF under `documents/`, dated today.
pub async fn statement_pdf(
    state: &AppState,
    request: IdRequest,
) -> Result<SavedDocument, IpcError> {
    let id = parse_id("client", &request.id)?;
    let folder = state.data_dir().join("documents");
    state
        .as_signed_in(move |store, actor| {
            let statement = store.read(actor, |rx| rx.statement(id))?;
            let letterhead = vetdesk_documents::Letterhead::of(store, actor)?;
            let today = vetdesk_core::validate::date_text(store.now().date());
            let pdf = vetdesk_documents::statement(&letterhead, &statement, &today)
                .map_err(crate::failures::document)?;
            Ok(SavedDocument {
                path: save_document(&folder, &format!("statement-{id}-{today}.pdf"), &pdf)?,
            })
        })
        .await
}

/// Stock of every stocked item, lot by lot.
pub async fn stock_levels(state: &AppState) -> Result<Vec<StockLevel>, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.stock_levels())?))
        .await
}

/// What needs a person: below zero, reorder, expiring, count discrepancies.
pub async fn stock_alerts(state: &AppState) -> Result<Vec<StockAlert>, IpcError> {
    state
        .as_signed_in(move |store, actor| {
            Ok(store.read(actor, |rx| rx.stock_alerts(rx.now().date()))?)
        })
        .await
}

/// Receives stock into a lot (core checks the role and every field).
pub async fn stock_receive(state: &AppState, request: ReceiveRequest) -> Result<String, IpcError> {
    let input = request.to_input()?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.receive_stock(&input))?
                .to_string())
        })
        .await
}

/// Records a count of an item.
pub async fn stock_count(
    state: &AppState,
    request: CountRequest,
) -> Result<CountOutcome, IpcError> {
    let item = parse_id("item", &request.item_id)?;
    let counted = vetdesk_billing::money::parse_milli("counted", &request.counted)
        .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?;
    let note = request.note;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.count_stock(item, None, counted, &note))?)
        })
        .await
}

/// A stock take: every count in one act (core adjusts what is not controlled and
/// flags a controlled drug that disagrees with its register).
pub async fn stock_take(
    state: &AppState,
    request: vetdesk_ipc::StockTakeRequest,
) -> Result<Vec<CountOutcome>, IpcError> {
    let counts = request.to_counts()?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.stock_take(&counts, &request.note))?)
        })
        .await
}

/// Adds a catalog item (no id) or changes one (admins, in core); a new price goes into
/// its history.
pub async fn catalog_save(
    state: &AppState,
    request: vetdesk_ipc::CatalogSaveRequest,
) -> Result<String, IpcError> {
    let (id, input) = request.to_input()?;
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| match id {
                Some(id) => tx.update_catalog_item(id, &input).map(|()| id),
                None => tx.add_catalog_item(&input),
            })?;
            Ok(id.to_string())
        })
        .await
}

/// An item's prices over time, newest first.
pub async fn price_history(
    state: &AppState,
    request: IdRequest,
) -> Result<Vec<vetdesk_core::services::billing::PriceChange>, IpcError> {
    let id = parse_id("item", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.price_history(id))?))
        .await
}

/// Every purchase order, newest first.
pub async fn purchase_orders(
    state: &AppState,
) -> Result<Vec<vetdesk_core::services::billing::PurchaseOrder>, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.purchase_orders())?))
        .await
}

/// A draft order of everything at or below its reorder level (none when nothing is).
pub async fn order_from_reorder_list(
    state: &AppState,
    request: vetdesk_ipc::SupplierRequest,
) -> Result<Option<String>, IpcError> {
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| {
                tx.purchase_order_from_reorder_list(&request.supplier)
            })?;
            Ok(id.map(|id| id.to_string()))
        })
        .await
}

/// Places a draft order.
pub async fn order_place(state: &AppState, request: IdRequest) -> Result<(), IpcError> {
    let id = parse_id("order", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.transact(actor, |tx| tx.place_order(id))?))
        .await
}

/// Receives a delivery against an order line into a lot; answers the order as it now is.
pub async fn order_receive(
    state: &AppState,
    request: vetdesk_ipc::DeliveryRequest,
) -> Result<vetdesk_core::services::billing::PurchaseOrder, IpcError> {
    let delivery = request.to_input()?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| {
                tx.receive_delivery(&delivery)?;
                let order = tx.read().purchase_order_of_line(delivery.line_id)?;
                tx.read().purchase_order(order)
            })?)
        })
        .await
}

/// Writes `bytes` as `documents/NAME` under the data directory; answers the path.
fn save_document(folder: &std::path::Path, name: &str, bytes: &[u8]) -> Result<String, IpcError> {
    let path = folder.join(name);
    std::fs::create_dir_all(folder)
        .and_then(|()| std::fs::write(&path, bytes))
        .map_err(|e| {
            IpcError::new(
                vetdesk_ipc::ErrorCode::Internal,
                format!("could not write {}: {e}", path.display()),
            )
        })?;
    Ok(path.display().to_string())
}

/// Closes this register's (local) day: the Z report is numbered and kept, and written
/// as a PDF under `documents/`.
pub async fn register_close(
    state: &AppState,
    request: vetdesk_ipc::RegisterCloseRequest,
) -> Result<vetdesk_ipc::ClosedDay, IpcError> {
    let day = vetdesk_core::validate::date_text(vetdesk_core::validate::date(
        "day",
        &request.day,
        time::Date::MAX,
        false,
    )?);
    let (from, to) = vetdesk_ipc::utc_bounds(&request.from, &request.to)?;
    let folder = state.data_dir().join("documents");
    state
        .as_signed_in(move |store, actor| {
            let report = store.transact(actor, |tx| tx.close_register(&day, &from, &to))?;
            let letterhead = vetdesk_documents::Letterhead::of(store, actor)?;
            let pdf = vetdesk_documents::z_report(&letterhead, &report)
                .map_err(crate::failures::document)?;
            let name = format!("{}.pdf", report.number.as_deref().unwrap_or("z-report"));
            let path = save_document(&folder, &name, &pdf)?;
            Ok(vetdesk_ipc::ClosedDay { report, path })
        })
        .await
}

fn build_report(
    store: &mut vetdesk_core::Store,
    actor: &vetdesk_core::Actor,
    request: &vetdesk_ipc::ReportRequest,
) -> Result<vetdesk_core::services::reports::Report, IpcError> {
    use vetdesk_core::services::reports::RevenueBy;
    let (from, to) = request.bounds()?;
    let kind = vetdesk_core::validate::one_of(
        "kind",
        &request.kind,
        &[
            "revenue_day",
            "revenue_vet",
            "revenue_category",
            "stock",
            "expiring",
            "reorder",
            "controlled",
        ],
    )?;
    Ok(store.read(actor, |rx| match kind {
        "revenue_day" => rx.revenue_report(RevenueBy::Day, &from, &to),
        "revenue_vet" => rx.revenue_report(RevenueBy::Vet, &from, &to),
        "revenue_category" => rx.revenue_report(RevenueBy::Category, &from, &to),
        "stock" => rx.stock_valuation_report(),
        "expiring" => rx.expiring_report(rx.now().date(), 60),
        "reorder" => rx.reorder_report(),
        _ => rx.controlled_report(),
    })?)
}

/// One of the owner's reports, as headings and rows.
pub async fn report(
    state: &AppState,
    request: vetdesk_ipc::ReportRequest,
) -> Result<vetdesk_core::services::reports::Report, IpcError> {
    state
        .as_signed_in(move |store, actor| build_report(store, actor, &request))
        .await
}

/// The report as CSV under `documents/`.
pub async fn report_csv(
    state: &AppState,
    request: vetdesk_ipc::ReportRequest,
) -> Result<SavedDocument, IpcError> {
    let folder = state.data_dir().join("documents");
    state
        .as_signed_in(move |store, actor| {
            let report = build_report(store, actor, &request)?;
            let csv = report.to_csv()?;
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let path = save_document(
                &folder,
                &format!("{}-{stamp}.csv", request.kind),
                csv.as_bytes(),
            )?;
            Ok(SavedDocument { path })
        })
        .await
}

/// Writes a medication label (PDF) for each prescribed line of a finalized invoice.
pub async fn invoice_labels(
    state: &AppState,
    request: IdRequest,
) -> Result<Vec<SavedDocument>, IpcError> {
    let id = parse_id("invoice", &request.id)?;
    let folder = state.data_dir().join("documents");
    state
        .as_signed_in(move |store, actor| {
            let (view, texts) = store.read(actor, |rx| {
                let view = rx.invoice(id)?;
                let texts = rx.label_texts(&view)?;
                Ok((view, texts))
            })?;
            let Some(number) = view.number.clone().filter(|_| view.status == "finalized") else {
                return Err(IpcError::new(
                    vetdesk_ipc::ErrorCode::NotAllowedNow,
                    "labels are printed once the invoice is finalized",
                ));
            };
            let letterhead = vetdesk_documents::Letterhead::of(store, actor)?;
            let pdfs = vetdesk_documents::invoice_labels(&letterhead, &view, &texts)
                .map_err(crate::failures::document)?;
            pdfs.iter()
                .enumerate()
                .map(|(n, pdf)| {
                    Ok(SavedDocument {
                        path: save_document(
                            &folder,
                            &format!("{number}-label-{}.pdf", n + 1),
                            pdf,
                        )?,
                    })
                })
                .collect()
        })
        .await
}

/// The visit summary with discharge instructions for the owner, as a PDF under
/// `documents/` (clinical roles, in core).
pub async fn visit_summary_pdf(
    state: &AppState,
    request: vetdesk_ipc::VisitSummaryRequest,
) -> Result<SavedDocument, IpcError> {
    let id = parse_id("encounter", &request.encounter_id)?;
    let discharge = vetdesk_core::validate::text("discharge", &request.discharge, 4000, true)?;
    let folder = state.data_dir().join("documents");
    state
        .as_signed_in(move |store, actor| {
            let (encounter, about, prescriptions) = store.read(actor, |rx| {
                let encounter = rx.encounter(id)?;
                let prescriptions = rx.prescriptions(encounter.patient_id)?;
                Ok((encounter, rx.document_parties(id)?, prescriptions))
            })?;
            let about: vetdesk_documents::About = about.into();
            let prescriptions: Vec<_> = prescriptions
                .into_iter()
                .filter(|p| p.fields.encounter_id == id)
                .collect();
            let letterhead = vetdesk_documents::Letterhead::of(store, actor)?;
            let pdf = vetdesk_documents::visit_summary(
                &letterhead,
                &about,
                &encounter,
                &prescriptions,
                &discharge,
            )
            .map_err(crate::failures::document)?;
            let day = encounter.started_at.get(..10).unwrap_or_default();
            let name = format!(
                "visit-{}-{day}.pdf",
                about.patient.replace(['/', '\\'], "-")
            );
            Ok(SavedDocument {
                path: save_document(&folder, &name, &pdf)?,
            })
        })
        .await
}
