//! One stock movement to record (receive, dispense, sell, adjust, write-off,
//! transfer): what `stock` writes as a movement and, for a scheduled drug, what
//! `register` enters in the controlled-drug register. Its own module so that both
//! depend on it and neither on the other's types.

use uuid::Uuid;

use super::catalog::CatalogItem;

/// A movement to record.
#[derive(Debug, Clone, Default)]
pub(crate) struct Movement<'a> {
    pub item: Option<&'a CatalogItem>,
    pub item_id: Uuid,
    pub lot_id: Option<Uuid>,
    pub kind: &'static str,
    pub quantity_milli: i64,
    pub invoice_id: Option<Uuid>,
    pub line_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub reason: String,
    /// A delivery's purchase order line.
    pub order_line_id: Option<Uuid>,
}
