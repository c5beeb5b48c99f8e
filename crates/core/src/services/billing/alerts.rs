//! What about stock needs a person today: documents finalized on two registers,
//! stock below zero or at its reorder level, lots near expiry, and controlled-drug counts
//! that disagreed with the register. Sits on top of the other billing modules.

use rusqlite::OptionalExtension;
use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::Result;
use crate::Rx;
use crate::roles::Permission;
use crate::validate;

use super::stock::parse_date;

/// Something about stock that needs a person.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StockAlert {
    /// Below zero: more was sold or dispensed than was there (two registers offline, or
    /// stock never received): count it and reconcile.
    Reconcile {
        item_id: Uuid,
        item: String,
        on_hand_milli: i64,
    },
    /// At or below its reorder level.
    Reorder {
        item_id: Uuid,
        item: String,
        on_hand_milli: i64,
        reorder_level_milli: i64,
    },
    /// A lot with stock that expires within 30 days (or has expired).
    Expiring {
        item_id: Uuid,
        item: String,
        lot_number: String,
        /// `YYYY-MM-DD`.
        expires_on: String,
        on_hand_milli: i64,
    },
    /// One document finalized on two registers offline: its stock was taken twice
    /// and it holds two numbers until an admin settles it.
    FinalizedTwice {
        invoice_id: Uuid,
        numbers: Vec<String>,
    },
    /// A controlled drug's count disagreed with its register's balance.
    Discrepancy {
        item_id: Uuid,
        item: String,
        counted_milli: i64,
        register_milli: i64,
        counted_at: String,
    },
}

impl Rx<'_> {
    /// Everything about stock that needs a person on `today`: documents finalized on two
    /// registers, stock below zero, at or below the reorder level, lots expiring within
    /// 30 days, and controlled-drug counts that disagreed with the register (the
    /// latest count of each drug).
    pub fn stock_alerts(&self, today: Date) -> Result<Vec<StockAlert>> {
        self.require(Permission::ViewClinic)?;
        let mut alerts: Vec<StockAlert> = self
            .finalized_twice()?
            .into_iter()
            .map(|(invoice_id, numbers)| StockAlert::FinalizedTwice {
                invoice_id,
                numbers,
            })
            .collect();
        let soon = today + time::Duration::days(30);
        for level in self.stock_levels()? {
            let (item_id, name) = (level.item.id, level.item.input.name.clone());
            if level.on_hand_milli < 0 {
                alerts.push(StockAlert::Reconcile {
                    item_id,
                    item: name.clone(),
                    on_hand_milli: level.on_hand_milli,
                });
            } else if level.on_hand_milli <= level.item.input.reorder_level_milli {
                alerts.push(StockAlert::Reorder {
                    item_id,
                    item: name.clone(),
                    on_hand_milli: level.on_hand_milli,
                    reorder_level_milli: level.item.input.reorder_level_milli,
                });
            }
            for lot in &level.lots {
                if let Some(expires_on) = parse_date(lot.expires_on.clone())
                    && expires_on <= soon
                    && lot.on_hand_milli > 0
                {
                    alerts.push(StockAlert::Expiring {
                        item_id,
                        item: name.clone(),
                        lot_number: lot.lot_number.clone(),
                        expires_on: validate::date_text(expires_on),
                        on_hand_milli: lot.on_hand_milli,
                    });
                }
            }
            if level.item.is_controlled() {
                let latest: Option<(i64, i64, String)> = self
                    .conn()
                    .prepare_cached(
                        "SELECT counted_milli, expected_milli, counted_at FROM stock_counts
                         WHERE item_id = ?1 ORDER BY counted_at DESC, id DESC LIMIT 1",
                    )?
                    .query_row([item_id.to_string()], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                if let Some((counted, expected, counted_at)) = latest
                    && counted != expected
                {
                    alerts.push(StockAlert::Discrepancy {
                        item_id,
                        item: name,
                        counted_milli: counted,
                        register_milli: expected,
                        counted_at,
                    });
                }
            }
        }
        Ok(alerts)
    }
}
