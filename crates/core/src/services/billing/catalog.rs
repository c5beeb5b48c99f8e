//! The catalog: services, products and drugs with their price, VAT rate, unit,
//! controlled schedule, reorder level and species dose ranges, and the history of
//! their prices (a fact per change; a finalized document keeps the price it was
//! printed with). Every role sees it (`ViewClinic`); changing it is `ManageCatalog`.

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vetdesk_billing::money::validate_line;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{CATALOG_ITEMS, CATALOG_PRICE_CHANGES};
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

pub const KINDS: [&str; 3] = ["service", "product", "drug"];

pub const SCHEDULES: [&str; 4] = ["2", "3", "4", "5"];

/// A drug's usual dose for a species, mg per kg.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoseRange {
    pub species: String,
    pub min_mg_per_kg: f64,
    pub max_mg_per_kg: f64,
}

/// A product, service or drug as it is entered.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogItemInput {
    pub sku: String,
    /// The code a scanner reads (EAN/UPC or the supplier's); empty when none.
    pub barcode: String,
    pub name: String,
    /// `service`, `product` or `drug`.
    pub kind: String,
    pub unit: String,
    pub price_cents: i64,
    pub vat_rate_bp: i64,
    /// Controlled-drug schedule `2`–`5`; drugs only.
    pub schedule: Option<String>,
    pub reorder_level_milli: i64,
    pub dose_ranges: Vec<DoseRange>,
}

/// A price an item had from `changed_at` on.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceChange {
    pub price_cents: i64,
    pub vat_rate_bp: i64,
    pub changed_by: String,
    pub changed_at: String,
}

/// A catalog entry as stored.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogItem {
    pub id: Uuid,
    #[serde(flatten)]
    pub input: CatalogItemInput,
}

/// Checks a catalog entry; returns its columns.
pub(super) fn item_values(input: &CatalogItemInput) -> Result<Vec<(&'static str, Value)>> {
    let sku = validate::text("sku", &input.sku, 40, false)?;
    let barcode = barcode_of(&input.barcode)?;
    let name = validate::text("name", &input.name, 200, false)?;
    let kind = validate::one_of("kind", &input.kind, &KINDS)?;
    let unit = validate::text("unit", &input.unit, 30, false)?;
    validate_line(&vetdesk_billing::money::LineInput {
        quantity_milli: 1000,
        unit_price_cents: input.price_cents,
        vat_rate_bp: input.vat_rate_bp,
        discount_bp: 0,
    })
    .map_err(|e| match Error::from(e) {
        Error::Invalid {
            field: "unit_price",
            message,
        } => Error::invalid("price", message),
        other => other,
    })?;
    let schedule = match input.schedule.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => {
            if kind != "drug" {
                return Err(Error::invalid("schedule", "only drugs can be controlled"));
            }
            Some(validate::one_of("schedule", s, &SCHEDULES)?)
        }
    };
    if input.reorder_level_milli < 0 {
        return Err(Error::invalid("reorder_level", "must not be negative"));
    }
    for range in &input.dose_ranges {
        validate::text("dose_ranges", &range.species, 40, false)?;
        let ok = range.min_mg_per_kg.is_finite()
            && range.max_mg_per_kg.is_finite()
            && range.min_mg_per_kg > 0.0
            && range.min_mg_per_kg <= range.max_mg_per_kg;
        if !ok {
            return Err(Error::invalid(
                "dose_ranges",
                format!(
                    "{}: the range must run from more than 0 up to at least its minimum",
                    range.species
                ),
            ));
        }
    }
    if !input.dose_ranges.is_empty() && kind != "drug" {
        return Err(Error::invalid("dose_ranges", "only drugs have dose ranges"));
    }
    let ranges = serde_json::to_string(&input.dose_ranges)
        .map_err(|e| Error::invalid("dose_ranges", e.to_string()))?;
    Ok(vec![
        ("sku", Value::Text(sku)),
        ("name", Value::Text(name)),
        ("kind", Value::text(kind)),
        ("unit", Value::Text(unit)),
        ("price_cents", Value::Int(input.price_cents)),
        ("vat_rate_bp", Value::Int(input.vat_rate_bp)),
        ("schedule", schedule.map_or(Value::Null, Value::text)),
        ("reorder_level_milli", Value::Int(input.reorder_level_milli)),
        ("dose_ranges", Value::Text(ranges)),
        ("barcode", barcode.map_or(Value::Null, Value::Text)),
    ])
}

/// A barcode as scanned: letters, digits and dashes, at most 48 of them; `None` for
/// none.
fn barcode_of(typed: &str) -> Result<Option<String>> {
    let code = typed.trim();
    if code.is_empty() {
        return Ok(None);
    }
    if code.len() > 48 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::invalid(
            "barcode",
            "a barcode is letters, digits and dashes, at most 48 of them",
        ));
    }
    Ok(Some(code.to_string()))
}

pub(super) const ITEM_COLUMNS: &str = "id, sku, name, kind, unit, price_cents, vat_rate_bp, schedule, reorder_level_milli, dose_ranges, barcode";

pub(super) fn item_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CatalogItem> {
    let ranges: Option<String> = row.get(9)?;
    Ok(CatalogItem {
        id: crate::stored::row_id(row, 0, "catalog item id")?,
        input: CatalogItemInput {
            sku: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
            barcode: row.get::<_, Option<String>>(10)?.unwrap_or_default(),
            name: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            kind: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
            unit: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
            price_cents: row.get::<_, Option<i64>>(5)?.unwrap_or(0),
            vat_rate_bp: row.get::<_, Option<i64>>(6)?.unwrap_or(0),
            schedule: row.get(7)?,
            reorder_level_milli: row.get::<_, Option<i64>>(8)?.unwrap_or(0),
            dose_ranges: ranges
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or_default(),
        },
    })
}

impl CatalogItem {
    pub fn is_stocked(&self) -> bool {
        self.input.kind != "service"
    }

    pub fn is_controlled(&self) -> bool {
        self.input.schedule.is_some()
    }
}

impl Tx<'_> {
    /// Adds a product, service or drug (admins).
    pub fn add_catalog_item(&mut self, input: &CatalogItemInput) -> Result<Uuid> {
        self.actor().require(Permission::ManageCatalog)?;
        let values = item_values(input)?;
        let id = self.new_id();
        self.refuse_taken_codes(id, input)?;
        self.insert(&CATALOG_ITEMS, id, values)?;
        self.record_price(id, input)?;
        self.audit(
            "catalog.add",
            "catalog_item",
            &id.to_string(),
            input.name.trim(),
        )?;
        Ok(id)
    }

    /// Changes a catalog entry (admins); only the columns that differ are written.
    pub fn update_catalog_item(&mut self, id: Uuid, input: &CatalogItemInput) -> Result<()> {
        self.actor().require(Permission::ManageCatalog)?;
        let before = self.read().catalog_item(id)?;
        let values = item_values(input)?;
        self.refuse_taken_codes(id, input)?;
        let changed = self.update(&CATALOG_ITEMS, id, values)?;
        if (before.input.price_cents, before.input.vat_rate_bp)
            != (input.price_cents, input.vat_rate_bp)
        {
            self.record_price(id, input)?;
        }
        if changed > 0 {
            self.audit(
                "catalog.update",
                "catalog_item",
                &id.to_string(),
                input.name.trim(),
            )?;
        }
        Ok(())
    }

    /// Records the price (and VAT rate) `item` has from now on.
    fn record_price(&mut self, item: Uuid, input: &CatalogItemInput) -> Result<()> {
        let id = self.new_id();
        self.insert(
            &CATALOG_PRICE_CHANGES,
            id,
            vec![
                ("item_id", Value::Text(item.to_string())),
                ("price_cents", Value::Int(input.price_cents)),
                ("vat_rate_bp", Value::Int(input.vat_rate_bp)),
                ("changed_by", Value::Text(self.actor().staff_id.to_string())),
                ("changed_at", Value::Text(self.now_text())),
            ],
        )
    }

    /// Refuses a SKU or barcode that another live item already has: a scan or a typed
    /// code names one item.
    fn refuse_taken_codes(&self, id: Uuid, input: &CatalogItemInput) -> Result<()> {
        let taken = |column: &str, code: &str| -> Result<bool> {
            Ok(self
                .conn()
                .prepare_cached(&format!(
                    "SELECT 1 FROM catalog_items WHERE {column} = ?1 AND id != ?2 AND deleted = 0"
                ))?
                .exists([code, &id.to_string()])?)
        };
        for (field, code) in [("sku", input.sku.trim()), ("barcode", input.barcode.trim())] {
            if !code.is_empty() && taken(field, code)? {
                return Err(Error::invalid(
                    field,
                    format!("{code} is already in the catalog"),
                ));
            }
        }
        Ok(())
    }
}

impl Rx<'_> {
    /// The live catalog, by name; `query` filters by name or SKU (any case).
    pub fn catalog(&self, query: &str) -> Result<Vec<CatalogItem>> {
        self.require(Permission::ViewClinic)?;
        let pattern = format!("%{}%", query.trim().to_lowercase());
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM catalog_items
             WHERE deleted = 0 AND (lower(name) LIKE ?1 OR lower(sku) LIKE ?1)
             ORDER BY lower(name), id"
        ))?;
        let rows = stmt.query_map([pattern], item_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The prices `item` has had, newest first, with who set each.
    pub fn price_history(&self, item: Uuid) -> Result<Vec<PriceChange>> {
        self.require(Permission::ViewClinic)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT p.price_cents, p.vat_rate_bp, COALESCE(s.name, p.changed_by, ''),
                    COALESCE(p.changed_at, '')
             FROM catalog_price_changes p LEFT JOIN staff s ON s.id = p.changed_by
             WHERE p.item_id = ?1 ORDER BY p.changed_at DESC, p.id DESC",
        )?;
        let rows = stmt.query_map([item.to_string()], |r| {
            Ok(PriceChange {
                price_cents: r.get::<_, Option<i64>>(0)?.unwrap_or(0),
                vat_rate_bp: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                changed_by: r.get(2)?,
                changed_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One catalog entry, live (writes that price or stock an item read it here too).
    pub fn catalog_item(&self, id: Uuid) -> Result<CatalogItem> {
        self.require(Permission::ViewClinic)?;
        self.conn()
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM catalog_items WHERE id = ?1 AND deleted = 0"
            ))?
            .query_row([id.to_string()], item_from_row)
            .optional()?
            .ok_or_else(|| Error::not_found("catalog item", id))
    }

    /// A catalog entry by its id, SKU or barcode (a SKU first).
    pub fn find_catalog_item(&self, id_or_sku: &str) -> Result<CatalogItem> {
        self.require(Permission::ViewClinic)?;
        let text = id_or_sku.trim();
        if let Ok(id) = Uuid::parse_str(text) {
            return self.catalog_item(id);
        }
        self.conn()
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM catalog_items
                 WHERE (sku = ?1 OR barcode = ?1) AND deleted = 0
                 ORDER BY sku = ?1 DESC LIMIT 1"
            ))?
            .query_row([text], item_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound {
                entity: "catalog item",
                id: text.to_string(),
            })
    }
}

/// Reads shared by this module's writes and reads, through the door's connection.
impl Rx<'_> {
    /// The live catalog entry whose name is `name` (any case), if exactly one is.
    pub(crate) fn catalog_item_named(&self, name: &str) -> Result<Option<CatalogItem>> {
        let conn = self.conn();
        let found: Vec<CatalogItem> = conn
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM catalog_items
                 WHERE lower(name) = lower(?1) AND deleted = 0 LIMIT 2"
            ))?
            .query_map([name.trim()], item_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(if found.len() == 1 {
            found.into_iter().next()
        } else {
            None
        })
    }
}
