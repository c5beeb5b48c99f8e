//! Counter sales: a walk-in (or a known client) buys over the counter — items found by
//! name, SKU or barcode as the front desk types or scans — and the sale is finalized
//! and paid in one act, split across methods. The payment plan is pure
//! ([`plan_payments`]); the sale is one transaction, so a refused payment leaves no
//! half-made invoice behind.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vetdesk_billing::money::{self, LineInput, Totals, format_cents};

use crate::Rx;
use crate::roles::Permission;
use crate::services::search::{fts_query, score};
use crate::write::Tx;
use crate::{Error, Result};

use super::catalog::{CatalogItem, ITEM_COLUMNS, item_from_row};
use super::documents::LineForm;
use super::finalize::Finalized;
use super::payments::PAYMENT_METHODS;

/// At most this many name matches are ranked per keystroke (the first letters of a
/// big catalog match thousands); once the query narrows, every match is.
const RANKED_CANDIDATES: i64 = 400;

/// A catalog item as the counter finds it, with what is in stock.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SaleItem {
    #[serde(flatten)]
    pub item: CatalogItem,
    /// What the shelves hold (every lot); `None` for a service.
    pub on_hand_milli: Option<i64>,
    /// Found by its exact barcode or SKU (a scan), not by its name.
    pub exact: bool,
}

/// One way a sale is paid: a method, and an amount — or none, for "the rest".
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SalePayment {
    pub method: String,
    /// `None`: what is left after the others.
    pub amount_cents: Option<i64>,
    pub reference: String,
}

/// A counter sale as the front desk rings it up.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SaleInput {
    /// `None`: a walk-in, who pays in full now.
    pub client_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub lines: Vec<LineForm>,
    pub payments: Vec<SalePayment>,
}

/// What ringing up a sale did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sale {
    pub invoice_id: Uuid,
    #[serde(flatten)]
    pub finalized: Finalized,
    pub paid_cents: i64,
    /// Cash handed over beyond the total, to give back.
    pub change_cents: i64,
    /// What is left on the client's account (a known client only).
    pub balance_cents: i64,
}

/// One payment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPayment {
    pub method: String,
    pub amount_cents: i64,
    pub reference: String,
}

/// The payments a sale of `total_cents` records, and the change to give (pure). At
/// most one payment may leave its amount out: it pays what the others leave. Cash
/// handed over beyond the total comes back as change (only cash: a card is charged
/// what is due); a walk-in pays in full, a client may leave the rest on account.
pub fn plan_payments(
    total_cents: i64,
    payments: &[SalePayment],
    walk_in: bool,
) -> Result<(Vec<PlannedPayment>, i64)> {
    let mut planned = Vec::new();
    let mut rest_method = None;
    for p in payments {
        let method = crate::validate::one_of("method", &p.method, &PAYMENT_METHODS)?;
        match p.amount_cents {
            Some(amount) if amount <= 0 => {
                return Err(Error::invalid("amount", "each payment is more than 0"));
            }
            Some(amount) => planned.push(PlannedPayment {
                method: method.to_string(),
                amount_cents: amount,
                reference: p.reference.clone(),
            }),
            None if rest_method.is_some() => {
                return Err(Error::invalid(
                    "amount",
                    "only one payment can be \"the rest\"; give the others an amount",
                ));
            }
            None => rest_method = Some((method.to_string(), p.reference.clone())),
        }
    }
    let given = planned
        .iter()
        .try_fold(0i64, |sum, p| sum.checked_add(p.amount_cents))
        .ok_or_else(|| Error::invalid("amount", "the payments are too large"))?;
    let mut change = 0;
    if given > total_cents {
        let excess = given - total_cents;
        let cash = planned
            .iter_mut()
            .rev()
            .find(|p| p.method == "cash" && p.amount_cents >= excess);
        match cash {
            Some(cash) if rest_method.is_none() => {
                cash.amount_cents -= excess;
                change = excess;
                planned.retain(|p| p.amount_cents > 0);
            }
            _ => {
                return Err(Error::invalid(
                    "amount",
                    format!(
                        "the payments come to {}, more than the total {} (only cash gives change)",
                        format_cents(given),
                        format_cents(total_cents)
                    ),
                ));
            }
        }
    }
    let paid = given - change;
    if let Some((method, reference)) = rest_method {
        let rest = total_cents - paid;
        if rest <= 0 {
            return Err(Error::invalid(
                "amount",
                format!("nothing is left for {method} to pay: the others cover the total"),
            ));
        }
        planned.push(PlannedPayment {
            method,
            amount_cents: rest,
            reference,
        });
    } else if walk_in && paid < total_cents {
        return Err(Error::invalid(
            "amount",
            format!(
                "a walk-in pays in full: {} of {} is paid (choose the client to put the rest on their account)",
                format_cents(paid),
                format_cents(total_cents)
            ),
        ));
    }
    Ok((planned, change))
}

impl Tx<'_> {
    /// Rings up a counter sale: a new invoice (for the client, or a walk-in), its
    /// lines, finalized (stock taken) and paid as planned by [`plan_payments`] — all
    /// or nothing.
    pub fn counter_sale(&mut self, sale: &SaleInput) -> Result<Sale> {
        self.actor().require(Permission::Bill)?;
        if sale.lines.is_empty() {
            return Err(Error::invalid("lines", "add at least one item to sell"));
        }
        if sale.lines.len() > 500 {
            return Err(Error::invalid("lines", "a sale has at most 500 lines"));
        }
        let id = self.new_id();
        let invoice =
            self.create_invoice_as(id, "invoice", sale.client_id, sale.patient_id, None)?;
        for line in &sale.lines {
            self.add_invoice_line(invoice, line)?;
        }
        let finalized = self.finalize_invoice(invoice)?;
        let (payments, change) = plan_payments(
            finalized.total_cents,
            &sale.payments,
            sale.client_id.is_none(),
        )?;
        let mut paid = 0;
        for p in &payments {
            self.take_payment(invoice, &p.method, p.amount_cents, &p.reference)?;
            paid += p.amount_cents;
        }
        Ok(Sale {
            invoice_id: invoice,
            balance_cents: finalized.total_cents - paid,
            finalized,
            paid_cents: paid,
            change_cents: change,
        })
    }
}

impl Rx<'_> {
    /// The items a counter sale may be looking for as the front desk types or scans:
    /// an exact barcode or SKU first, then names, SKUs and barcodes starting with each
    /// word typed, best first.
    pub fn sale_items(&self, typed: &str, limit: usize) -> Result<Vec<SaleItem>> {
        self.require(Permission::ViewClinic)?;
        let typed = typed.trim();
        let limit = limit.clamp(1, 100);
        let mut found: Vec<(u32, SaleItem)> = Vec::new();
        if typed.is_empty() || typed.len() > 200 {
            return Ok(Vec::new());
        }
        let columns = ITEM_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let conn = self.conn();
        let mut exact = conn.prepare_cached(&format!(
            "SELECT {columns} FROM catalog_items c
             WHERE (c.barcode = ?1 OR c.sku = ?1 COLLATE NOCASE) AND c.deleted = 0
             ORDER BY c.sku = ?1 DESC, c.id LIMIT 5"
        ))?;
        for item in exact.query_map([typed], item_from_row)? {
            found.push((u32::MAX, self.sale_item(item?, true)?));
        }
        if let Some(query) = fts_query(typed) {
            let mut named = conn.prepare_cached(&format!(
                "SELECT {columns} FROM catalog_search
                 JOIN catalog_items c ON c.rowid = catalog_search.rowid
                 WHERE catalog_search MATCH ?1 LIMIT ?2"
            ))?;
            let mut ranked: Vec<(u32, CatalogItem)> = Vec::new();
            for item in
                named.query_map(rusqlite::params![query, RANKED_CANDIDATES], item_from_row)?
            {
                let item = item?;
                if found.iter().any(|(_, f)| f.item.id == item.id) {
                    continue;
                }
                let codes = format!("{} {}", item.input.sku, item.input.barcode);
                ranked.push((score(typed, &item.input.name, &codes), item));
            }
            ranked.sort_by(|(sa, a), (sb, b)| {
                sb.cmp(sa).then_with(|| {
                    a.input
                        .name
                        .to_lowercase()
                        .cmp(&b.input.name.to_lowercase())
                })
            });
            for (s, item) in ranked.into_iter().take(limit) {
                found.push((s, self.sale_item(item, false)?));
            }
        }
        found.truncate(limit);
        Ok(found.into_iter().map(|(_, item)| item).collect())
    }

    /// What a counter sale of `lines` comes to at the catalog's prices, before it is
    /// rung up (the total to tell the client; the sale itself computes it again).
    pub fn sale_quote(&self, lines: &[LineForm]) -> Result<Totals> {
        self.require(Permission::ViewClinic)?;
        let mut inputs = Vec::with_capacity(lines.len());
        for line in lines.iter().take(500) {
            let item = line.item_id.map(|id| self.catalog_item(id)).transpose()?;
            let input = LineInput {
                quantity_milli: line.quantity_milli,
                unit_price_cents: line
                    .unit_price_cents
                    .or(item.as_ref().map(|i| i.input.price_cents))
                    .unwrap_or(0),
                vat_rate_bp: line
                    .vat_rate_bp
                    .or(item.as_ref().map(|i| i.input.vat_rate_bp))
                    .unwrap_or(0),
                discount_bp: line.discount_bp,
            };
            money::validate_line(&input)?;
            inputs.push(input);
        }
        Ok(money::totals(&inputs)?)
    }

    fn sale_item(&self, item: CatalogItem, exact: bool) -> Result<SaleItem> {
        let on_hand_milli = if item.is_stocked() {
            Some(self.on_hand(item.id)?)
        } else {
            None
        };
        Ok(SaleItem {
            item,
            on_hand_milli,
            exact,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(method: &str, amount: Option<i64>) -> SalePayment {
        SalePayment {
            method: method.into(),
            amount_cents: amount,
            reference: String::new(),
        }
    }

    fn amounts(planned: &[PlannedPayment]) -> Vec<(&str, i64)> {
        planned
            .iter()
            .map(|p| (p.method.as_str(), p.amount_cents))
            .collect()
    }

    #[test]
    fn half_cash_half_card_pays_the_rest_by_card() -> Result<()> {
        let (planned, change) =
            plan_payments(4_210, &[pay("cash", Some(2_105)), pay("card", None)], true)?;
        assert_eq!(amounts(&planned), [("cash", 2_105), ("card", 2_105)]);
        assert_eq!(change, 0);
        Ok(())
    }

    #[test]
    fn cash_beyond_the_total_comes_back_as_change() -> Result<()> {
        let (planned, change) = plan_payments(4_210, &[pay("cash", Some(5_000))], true)?;
        assert_eq!(amounts(&planned), [("cash", 4_210)]);
        assert_eq!(change, 790);
        Ok(())
    }

    #[test]
    fn a_card_is_never_charged_beyond_the_total() {
        let refused = plan_payments(4_210, &[pay("card", Some(5_000))], true);
        assert!(matches!(
            refused,
            Err(Error::Invalid {
                field: "amount",
                ..
            })
        ));
    }

    #[test]
    fn a_walk_in_pays_in_full_and_a_client_may_leave_the_rest_on_account() -> Result<()> {
        let part = [pay("cash", Some(1_000))];
        assert!(matches!(
            plan_payments(4_210, &part, true),
            Err(Error::Invalid {
                field: "amount",
                ..
            })
        ));
        let (planned, _) = plan_payments(4_210, &part, false)?;
        assert_eq!(amounts(&planned), [("cash", 1_000)]);
        Ok(())
    }

    #[test]
    fn two_rests_a_rest_with_nothing_left_and_bad_methods_are_refused() {
        for payments in [
            vec![pay("cash", None), pay("card", None)],
            vec![pay("cash", Some(4_210)), pay("card", None)],
            vec![pay("cheque", None)],
            vec![pay("cash", Some(0))],
            vec![pay("cash", Some(i64::MAX)), pay("card", Some(i64::MAX))],
        ] {
            assert!(
                plan_payments(4_210, &payments, true).is_err(),
                "{payments:?} was accepted"
            );
        }
    }
}
