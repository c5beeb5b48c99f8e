//! Invoices, payments, the catalog, stock, the register's close and reports, and the
//! documents the app writes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::errors::IpcError;
use crate::fields::{parse_id, utc_bounds};

/// Argument of `invoices_list`: documents in a status (all when none), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoicesRequest {
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<String>,
}

/// Argument of `invoice_new`: a draft invoice or estimate for a client, and one of
/// their patients if it is for an animal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewInvoiceRequest {
    /// `invoice` or `estimate`.
    pub kind: String,
    pub client_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub patient_id: Option<String>,
}

impl NewInvoiceRequest {
    /// The client and patient ids, parsed (each refusal names its field).
    pub fn ids(&self) -> Result<(uuid::Uuid, Option<uuid::Uuid>), IpcError> {
        let client = parse_id("client", &self.client_id)?;
        let patient = match self.patient_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(parse_id("patient", id)?),
        };
        Ok((client, patient))
    }
}

/// Argument of `catalog_list`: a filter on name or SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CatalogRequest {
    pub query: String,
}

/// Argument of `invoice_add_line`: a catalog item and how many, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AddLineRequest {
    pub invoice_id: String,
    pub item_id: String,
    /// As typed: `1`, `2.5`.
    pub quantity: String,
    /// Percent as typed: `0`, `5`, `12.5`.
    pub discount: String,
    /// An estimate's line: the high end of a range, as typed (empty: no range).
    #[serde(default)]
    #[ts(optional)]
    pub quantity_high: Option<String>,
}

impl AddLineRequest {
    pub fn to_form(
        &self,
    ) -> Result<(uuid::Uuid, vetdesk_core::services::billing::LineForm), IpcError> {
        use vetdesk_billing::money::{parse_cents, parse_milli};
        let invoice = parse_id("invoice", &self.invoice_id)?;
        let item = parse_id("item", &self.item_id)?;
        let quantity_milli = parse_milli("quantity", &self.quantity)
            .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?;
        let discount_bp = parse_cents(
            "discount",
            if self.discount.trim().is_empty() {
                "0"
            } else {
                &self.discount
            },
        )
        .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?;
        let quantity_high_milli = match self.quantity_high.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(high) => Some(
                parse_milli("quantity_high", high)
                    .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?,
            ),
        };
        Ok((
            invoice,
            vetdesk_core::services::billing::LineForm {
                item_id: Some(item),
                quantity_milli,
                discount_bp,
                quantity_high_milli,
                ..Default::default()
            },
        ))
    }
}

/// One line of a counter sale: an item and how many, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SaleLineRequest {
    pub item_id: String,
    /// As typed: `1`, `2.5`.
    pub quantity: String,
}

/// One payment of a counter sale: a method and the amount as typed — empty for what
/// is left after the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SalePaymentRequest {
    pub method: String,
    pub amount: String,
}

/// Argument of `counter_sale`: what the walk-in (or the client) buys and how they pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CounterSaleRequest {
    #[serde(default)]
    #[ts(optional)]
    pub client_id: Option<String>,
    pub lines: Vec<SaleLineRequest>,
    pub payments: Vec<SalePaymentRequest>,
}

impl CounterSaleRequest {
    /// The sale as core takes it (each refusal names its field).
    pub fn to_input(&self) -> Result<vetdesk_core::services::billing::SaleInput, IpcError> {
        use vetdesk_billing::money::{parse_cents, parse_milli};
        use vetdesk_core::services::billing::{LineForm, SaleInput, SalePayment};
        let money = |e| IpcError::from(vetdesk_core::Error::from(e));
        let client_id = match self.client_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(parse_id("client", id)?),
        };
        let lines = self
            .lines
            .iter()
            .map(|l| {
                Ok(LineForm {
                    item_id: Some(parse_id("item", &l.item_id)?),
                    quantity_milli: parse_milli("quantity", &l.quantity).map_err(money)?,
                    ..Default::default()
                })
            })
            .collect::<Result<_, IpcError>>()?;
        let payments = self
            .payments
            .iter()
            .map(|p| {
                let amount = p.amount.trim();
                Ok(SalePayment {
                    method: p.method.clone(),
                    amount_cents: if amount.is_empty() {
                        None
                    } else {
                        Some(parse_cents("amount", amount).map_err(money)?)
                    },
                    reference: String::new(),
                })
            })
            .collect::<Result<_, IpcError>>()?;
        Ok(SaleInput {
            client_id,
            patient_id: None,
            lines,
            payments,
        })
    }
}

/// Argument of `invoice_pay`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PayRequest {
    pub invoice_id: String,
    /// cash, card or transfer.
    pub method: String,
    /// As typed: `64.42`.
    pub amount: String,
}

/// Argument of `invoice_void`, `invoice_credit` and `invoice_refund`: a correction to a
/// finalized invoice (admins, in core), always with the reason, which is audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CorrectionRequest {
    pub invoice_id: String,
    pub reason: String,
    /// A refund's method (cash, card or transfer).
    #[serde(default)]
    #[ts(optional)]
    pub method: Option<String>,
    /// A refund's amount, as typed (`20`, `12.50`).
    #[serde(default)]
    #[ts(optional)]
    pub amount: Option<String>,
    /// A credit note's goods go back to stock.
    #[serde(default)]
    #[ts(optional)]
    pub restock: Option<bool>,
}

/// Argument of `stock_receive`, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceiveRequest {
    pub item_id: String,
    pub lot_number: String,
    /// `YYYY-MM-DD`, or empty.
    pub expires_on: String,
    pub quantity: String,
    pub cost: String,
}

impl ReceiveRequest {
    pub fn to_input(&self) -> Result<vetdesk_core::services::billing::ReceiveInput, IpcError> {
        use vetdesk_billing::money::{parse_cents, parse_milli};
        let money = |e| IpcError::from(vetdesk_core::Error::from(e));
        Ok(vetdesk_core::services::billing::ReceiveInput {
            item_id: parse_id("item", &self.item_id)?,
            lot_number: self.lot_number.clone(),
            expires_on: Some(self.expires_on.clone()).filter(|e| !e.trim().is_empty()),
            quantity_milli: parse_milli("quantity", &self.quantity).map_err(money)?,
            cost_cents: parse_cents(
                "cost",
                if self.cost.trim().is_empty() {
                    "0"
                } else {
                    &self.cost
                },
            )
            .map_err(money)?,
            order_line_id: None,
        })
    }
}

/// Argument of `stock_count`, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CountRequest {
    pub item_id: String,
    pub counted: String,
    pub note: String,
}

/// Argument of `register_close`: the UI's local day (`YYYY-MM-DD`) and its bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RegisterCloseRequest {
    pub day: String,
    pub from: String,
    pub to: String,
}

/// What closing the day gave: the Z report and where its PDF was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClosedDay {
    pub report: vetdesk_core::services::billing::ZReport,
    pub path: String,
}

/// Argument of `report` and `report_csv`: which report, over which instants (the
/// revenue reports use them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReportRequest {
    /// `revenue_day`, `revenue_vet`, `revenue_category`, `stock`, `expiring`,
    /// `reorder` or `controlled`.
    pub kind: String,
    pub from: String,
    pub to: String,
}

impl ReportRequest {
    /// The UTC bounds as core compares them.
    pub fn bounds(&self) -> Result<(String, String), IpcError> {
        utc_bounds(&self.from, &self.to)
    }
}

/// A document written to disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SavedDocument {
    pub path: String,
}

/// Argument of `catalog_save`: a new item (no `id`) or a change to one, as typed
/// (amounts and percentages as text, each refusal naming its field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CatalogSaveRequest {
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<String>,
    pub sku: String,
    pub barcode: String,
    pub name: String,
    /// `service`, `product` or `drug`.
    pub kind: String,
    pub unit: String,
    /// Net of VAT: `12.50`.
    pub price: String,
    /// Percent: `20`.
    pub vat: String,
    /// `2`–`5` for a controlled drug, empty otherwise.
    pub schedule: String,
    pub reorder_level: String,
    pub dose_ranges: Vec<vetdesk_core::services::billing::DoseRange>,
}

impl CatalogSaveRequest {
    pub fn to_input(
        &self,
    ) -> Result<
        (
            Option<uuid::Uuid>,
            vetdesk_core::services::billing::CatalogItemInput,
        ),
        IpcError,
    > {
        use vetdesk_billing::money::{parse_cents, parse_milli};
        let money = |e| IpcError::from(vetdesk_core::Error::from(e));
        let id = self
            .id
            .as_deref()
            .filter(|i| !i.trim().is_empty())
            .map(|i| parse_id("item", i))
            .transpose()?;
        let or_zero = |text: &str| {
            if text.trim().is_empty() {
                "0".to_string()
            } else {
                text.to_string()
            }
        };
        Ok((
            id,
            vetdesk_core::services::billing::CatalogItemInput {
                sku: self.sku.clone(),
                barcode: self.barcode.clone(),
                name: self.name.clone(),
                kind: self.kind.clone(),
                unit: self.unit.clone(),
                price_cents: parse_cents("price", &self.price).map_err(money)?,
                vat_rate_bp: parse_cents("vat_rate", &or_zero(&self.vat)).map_err(money)?,
                schedule: Some(self.schedule.clone()).filter(|s| !s.trim().is_empty()),
                reorder_level_milli: parse_milli("reorder_level", &or_zero(&self.reorder_level))
                    .map_err(money)?,
                dose_ranges: self.dose_ranges.clone(),
            },
        ))
    }
}

/// Argument of `order_from_reorder_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SupplierRequest {
    pub supplier: String,
}

/// Argument of `order_receive`: a delivery against an order line, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeliveryRequest {
    pub line_id: String,
    pub lot_number: String,
    /// `YYYY-MM-DD`, or empty.
    pub expires_on: String,
    pub quantity: String,
    /// What one unit cost, if not what was ordered (empty).
    pub cost: String,
}

impl DeliveryRequest {
    pub fn to_input(&self) -> Result<vetdesk_core::services::billing::DeliveryInput, IpcError> {
        use vetdesk_billing::money::{parse_cents, parse_milli};
        let money = |e| IpcError::from(vetdesk_core::Error::from(e));
        Ok(vetdesk_core::services::billing::DeliveryInput {
            line_id: parse_id("line", &self.line_id)?,
            lot_number: self.lot_number.clone(),
            expires_on: Some(self.expires_on.clone()).filter(|e| !e.trim().is_empty()),
            quantity_milli: parse_milli("quantity", &self.quantity).map_err(money)?,
            cost_cents: match self.cost.trim() {
                "" => None,
                cost => Some(parse_cents("cost", cost).map_err(money)?),
            },
        })
    }
}

/// One count of a stock take, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TakeCount {
    pub item_id: String,
    pub counted: String,
}

/// Argument of `stock_take`: the items counted, in one act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StockTakeRequest {
    pub counts: Vec<TakeCount>,
    pub note: String,
}

impl StockTakeRequest {
    pub fn to_counts(&self) -> Result<Vec<(uuid::Uuid, i64)>, IpcError> {
        self.counts
            .iter()
            .map(|c| {
                Ok((
                    parse_id("item", &c.item_id)?,
                    vetdesk_billing::money::parse_milli("counted", &c.counted)
                        .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?,
                ))
            })
            .collect()
    }
}
