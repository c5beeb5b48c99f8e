//! Billing, in one wing: the catalog and stock below, documents and what happens to
//! them above, alerts on top. Each module depends only on those listed before it:
//!
//! - `catalog` — items, prices, VAT, schedules, dose ranges;
//! - `movement` — one stock movement to record; `register` — the controlled-drug
//!   register, written for movements of scheduled drugs; `stock` — lots and
//!   append-only movements; `orders` — purchase orders received into lots, and the
//!   stock take;
//! - `documents` — estimates, invoices and credit notes as drafts; `payments`;
//!   `views` — read models of documents;
//! - `finalize`; `counter` — counter sales, found by name, SKU or barcode and
//!   finalized and paid in one act; `corrections` (voids, credit notes),
//!   `double_finalization`,
//!   `day_close` (the Z report);
//! - `prescribing` — the seam to the encounter's prescriptions, and labels;
//! - `alerts` — what needs a person.
//!
//! The order is enforced by the test `billing_and_encounter_modules_depend_only_on_earlier_ones`
//! (tests/tidy).
//!
//! A finalized document is what was printed: its lines and totals are a hashed
//! snapshot and its number comes from this workstation's own series, so registers
//! never collide offline. Payments and refunds are facts; the balance is derived.
//! Owner's reports over billing live beside this folder (`services::reports`).

mod alerts;
mod catalog;
mod corrections;
mod counter;
mod day_close;
mod documents;
mod double_finalization;
mod finalize;
mod movement;
mod orders;
mod payments;
mod prescribing;
mod register;
mod stock;
mod views;

pub use alerts::StockAlert;
pub use catalog::{CatalogItem, CatalogItemInput, DoseRange, KINDS, PriceChange, SCHEDULES};
pub use counter::{PlannedPayment, Sale, SaleInput, SaleItem, SalePayment, plan_payments};
pub use day_close::ZReport;
pub use documents::{DOCUMENT_KINDS, InvoiceLine, LineForm, Snapshot};
pub use finalize::Finalized;
pub use orders::{
    DeliveryInput, OrderLine, OrderLineInput, PurchaseOrder, order_status, reorder_quantity,
};
pub use payments::{PAYMENT_METHODS, Payment, payment_status};
pub use prescribing::{encounter_invoice_id, prescription_line_id};
pub use register::RegisterEntry;
/// For `chains`' golden test: the register's entry hash as written.
#[cfg(test)]
pub(crate) use register::{EntryFields, register_entry_hash};
pub use stock::{CountOutcome, LotLevel, MOVEMENT_KINDS, ReceiveInput, StockLevel};
pub use views::{InvoiceSummary, InvoiceView, Statement, StatementEntry};
