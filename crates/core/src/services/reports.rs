//! The owner's reports over billing and stock: revenue by day, vet or category, stock
//! valuation, expiring lots, the reorder list and the controlled-drug register — each
//! a [`Report`] (headings and rows of text) that prints as a table or CSV.
//!
//! Revenue is net of VAT and read from finalized documents' snapshots (what was
//! printed; credit notes count negative, voided invoices not at all), grouped in SQL
//! with SQLite's JSON functions, so a year of a large clinic's invoices is one query.
//! Days are UTC days of finalization.

use rusqlite::params;
use serde::Serialize;
use time::Date;
use vetdesk_billing::money::{format_cents, format_milli};

use crate::Rx;
use crate::roles::Permission;
use crate::{Error, Result};

/// A report: its title, column headings, and rows of text.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub title: String,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Report {
    /// RFC 4180 CSV with a heading row.
    pub fn to_csv(&self) -> Result<String> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let csv_error = |e: csv::Error| Error::Invalid {
            field: "report",
            message: e.to_string(),
        };
        writer.write_record(&self.headings).map_err(csv_error)?;
        for row in &self.rows {
            writer.write_record(row).map_err(csv_error)?;
        }
        let bytes = writer.into_inner().map_err(|e| Error::Invalid {
            field: "report",
            message: e.to_string(),
        })?;
        String::from_utf8(bytes).map_err(|e| Error::Invalid {
            field: "report",
            message: e.to_string(),
        })
    }

    /// A plain-text table, columns padded to their widest cell.
    pub fn to_table(&self) -> String {
        let columns = self.headings.len();
        let mut widths: Vec<usize> = self.headings.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = format!("{}\n{}\n", self.title, line(&self.headings));
        out.push_str(
            &widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  "),
        );
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

/// How revenue is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevenueBy {
    Day,
    Vet,
    Category,
}

impl RevenueBy {
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim() {
            "day" => Ok(Self::Day),
            "vet" => Ok(Self::Vet),
            "category" => Ok(Self::Category),
            other => Err(Error::Invalid {
                field: "by",
                message: format!("{other:?}: group by day, vet or category"),
            }),
        }
    }
}

impl Rx<'_> {
    /// Net revenue (with VAT and documents counted) between `from` and `to` (RFC 3339),
    /// grouped by day, vet or category (admins).
    pub fn revenue_report(&self, by: RevenueBy, from: &str, to: &str) -> Result<Report> {
        self.require(Permission::ManageClinic)?;
        const FINALIZED: &str = "i.status = 'finalized' AND i.kind IN ('invoice', 'credit_note')
               AND i.deleted = 0 AND i.finalized_at >= ?1 AND i.finalized_at < ?2";
        let (title, heading, sql) = match by {
            RevenueBy::Day => (
                "Revenue by day",
                "day",
                format!(
                    "SELECT substr(i.finalized_at, 1, 10), COUNT(*),
                            SUM(json_extract(i.snapshot, '$.totals.net_cents')),
                            SUM(json_extract(i.snapshot, '$.totals.vat_cents')),
                            SUM(json_extract(i.snapshot, '$.totals.total_cents'))
                     FROM invoices i WHERE {FINALIZED} GROUP BY 1 ORDER BY 1"
                ),
            ),
            RevenueBy::Vet => (
                "Revenue by vet",
                "vet",
                format!(
                    "SELECT COALESCE(s.name, '(no vet)'), COUNT(*),
                            SUM(json_extract(i.snapshot, '$.totals.net_cents')),
                            SUM(json_extract(i.snapshot, '$.totals.vat_cents')),
                            SUM(json_extract(i.snapshot, '$.totals.total_cents'))
                     FROM invoices i LEFT JOIN staff s ON s.id = i.vet_id
                     WHERE {FINALIZED} GROUP BY 1 ORDER BY 3 DESC, 1"
                ),
            ),
            RevenueBy::Category => (
                "Revenue by category",
                "category",
                format!(
                    "SELECT COALESCE(c.kind, 'other'), COUNT(DISTINCT i.id),
                            SUM(json_extract(l.value, '$.net_cents')),
                            NULL, NULL
                     FROM invoices i, json_each(i.snapshot, '$.lines') l
                     LEFT JOIN catalog_items c ON c.id = json_extract(l.value, '$.item_id')
                     WHERE {FINALIZED} GROUP BY 1 ORDER BY 3 DESC, 1"
                ),
            ),
        };
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map(params![from, to], |r| {
                let money = |v: Option<i64>| v.map(format_cents).unwrap_or_default();
                Ok(vec![
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, i64>(1)?.to_string(),
                    money(r.get(2)?),
                    money(r.get(3)?),
                    money(r.get(4)?),
                ])
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut headings = vec![heading, "documents", "net", "vat", "total"];
        let rows = if by == RevenueBy::Category {
            headings.truncate(3);
            rows.into_iter()
                .map(|mut r| {
                    r.truncate(3);
                    r
                })
                .collect()
        } else {
            rows
        };
        Ok(Report {
            title: format!("{title}, {from} to {to}"),
            headings: headings.into_iter().map(str::to_string).collect(),
            rows,
        })
    }

    /// What the stock on hand is worth at cost, lot by lot (stock managers, admins).
    pub fn stock_valuation_report(&self) -> Result<Report> {
        self.require_any(&[Permission::ManageStock, Permission::ManageClinic])?;
        let mut rows = Vec::new();
        let mut total: i64 = 0;
        for level in self.stock_levels()? {
            for lot in &level.lots {
                let value = lot.on_hand_milli.max(0) * lot.cost_cents / 1000;
                total += value;
                rows.push(vec![
                    level.item.input.sku.clone(),
                    level.item.input.name.clone(),
                    lot.lot_number.clone(),
                    lot.expires_on.clone().unwrap_or_default(),
                    format_milli(lot.on_hand_milli),
                    format_cents(lot.cost_cents),
                    format_cents(value),
                ]);
            }
        }
        rows.push(vec![
            "".into(),
            "TOTAL".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            format_cents(total),
        ]);
        Ok(Report {
            title: "Stock valuation at cost".into(),
            headings: [
                "sku",
                "item",
                "lot",
                "expires",
                "on hand",
                "unit cost",
                "value",
            ]
            .map(str::to_string)
            .to_vec(),
            rows,
        })
    }

    /// Lots with stock that expire within `days` of `today` (or have expired).
    pub fn expiring_report(&self, today: Date, days: i64) -> Result<Report> {
        self.require_any(&[Permission::ManageStock, Permission::ManageClinic])?;
        let until = crate::validate::date_text(today + time::Duration::days(days.clamp(0, 3650)));
        let mut rows = Vec::new();
        for level in self.stock_levels()? {
            for lot in &level.lots {
                if let Some(expires) = &lot.expires_on
                    && *expires <= until
                    && lot.on_hand_milli > 0
                {
                    rows.push(vec![
                        expires.clone(),
                        level.item.input.name.clone(),
                        lot.lot_number.clone(),
                        format_milli(lot.on_hand_milli),
                    ]);
                }
            }
        }
        rows.sort();
        Ok(Report {
            title: format!("Lots expiring by {until}"),
            headings: ["expires", "item", "lot", "on hand"]
                .map(str::to_string)
                .to_vec(),
            rows,
        })
    }

    /// Items at or below their reorder level, with what draft invoices reserve.
    pub fn reorder_report(&self) -> Result<Report> {
        self.require_any(&[Permission::ManageStock, Permission::ManageClinic])?;
        let rows = self
            .stock_levels()?
            .into_iter()
            .filter(|l| l.available_milli <= l.item.input.reorder_level_milli)
            .map(|l| {
                vec![
                    l.item.input.sku.clone(),
                    l.item.input.name.clone(),
                    format_milli(l.on_hand_milli),
                    format_milli(l.reserved_milli),
                    format_milli(l.item.input.reorder_level_milli),
                ]
            })
            .collect();
        Ok(Report {
            title: "Reorder list".into(),
            headings: ["sku", "item", "on hand", "reserved", "reorder level"]
                .map(str::to_string)
                .to_vec(),
            rows,
        })
    }

    /// The controlled-drug register, every entry, for inspection or export.
    pub fn controlled_report(&self) -> Result<Report> {
        self.require_any(&[Permission::ManageClinic, Permission::DispenseControlled])?;
        let items = self.catalog("")?;
        let name_of = |id: uuid::Uuid| {
            items
                .iter()
                .find(|i| i.id == id)
                .map(|i| i.input.name.clone())
                .unwrap_or_else(|| id.to_string())
        };
        let rows = self
            .controlled_register(None)?
            .into_iter()
            .map(|e| {
                vec![
                    e.recorded_at,
                    name_of(e.item_id),
                    e.kind,
                    format_milli(e.quantity_milli),
                    format_milli(e.balance_milli),
                    e.lot_number.unwrap_or_default(),
                    e.patient_id.map(|p| p.to_string()).unwrap_or_default(),
                    e.recorded_by,
                    e.note,
                ]
            })
            .collect();
        Ok(Report {
            title: "Controlled-drug register".into(),
            headings: [
                "recorded at",
                "drug",
                "kind",
                "quantity",
                "balance",
                "lot",
                "patient",
                "by",
                "note",
            ]
            .map(str::to_string)
            .to_vec(),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_prints_as_csv_and_as_a_table() -> Result<()> {
        let report = Report {
            title: "T".into(),
            headings: vec!["item".into(), "total".into()],
            rows: vec![
                vec!["Food, renal \"2 kg\"".into(), "19.99".into()],
                vec!["Лоток".into(), "3.00".into()],
            ],
        };
        assert_eq!(
            report.to_csv()?,
            "item,total\n\"Food, renal \"\"2 kg\"\"\",19.99\nЛоток,3.00\n"
        );
        let table = report.to_table();
        assert!(table.contains("Food, renal \"2 kg\"  19.99"), "{table}");
        assert!(table.contains("Лоток               3.00"), "{table}");
        assert!(RevenueBy::parse("week").is_err());
        Ok(())
    }
}
