//! `vetdesk order` and `vetdesk stock take`: purchase orders — drafted by hand or from
//! the reorder list, placed, received against their lines into lots in as many
//! deliveries as it takes — and a stock take of many items at once. Every rule is
//! core's (`services::billing::orders`); this parses and prints.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vetdesk_billing::money::{format_cents, format_milli, parse_cents, parse_milli};
use vetdesk_core::services::billing::{DeliveryInput, OrderLineInput, PurchaseOrder};

use crate::records::{SignIn, open, sign_in};

#[derive(Debug, Subcommand)]
pub enum OrderCommand {
    /// A draft order to a supplier: `--item SKU:QTY[:COST]` per line; prints its number.
    New {
        #[arg(long)]
        supplier: String,
        #[arg(long = "item", value_name = "SKU:QTY[:COST]")]
        items: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// A draft order of everything at or below its reorder level; prints its number
    /// (or says nothing needs ordering).
    Reorder {
        #[arg(long)]
        supplier: String,
    },
    /// Place a draft order: it is now due from the supplier.
    Place { order: String },
    /// Receive a delivery against an order's line for an item into a lot.
    Receive {
        order: String,
        /// The item's SKU or barcode.
        #[arg(long)]
        item: String,
        #[arg(long)]
        lot: String,
        #[arg(long)]
        expires: Option<String>,
        #[arg(long)]
        quantity: String,
        /// What one unit cost, if not what was ordered.
        #[arg(long)]
        cost: Option<String>,
    },
    /// Cancel an order nothing has arrived against.
    Cancel {
        order: String,
        #[arg(long)]
        reason: String,
    },
    /// Every order, newest first.
    List,
    /// One order: each line, ordered and received.
    Show { order: String },
}

/// `SKU:QTY[:COST]` → the code, thousandths of a unit and the unit cost in cents.
fn order_item(text: &str) -> Result<(String, i64, i64)> {
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [code, quantity] => Ok(((*code).to_string(), parse_milli("--item", quantity)?, 0)),
        [code, quantity, cost] => Ok((
            (*code).to_string(),
            parse_milli("--item", quantity)?,
            parse_cents("--item", cost)?,
        )),
        _ => bail!("--item {text:?}: write it as SKU:QTY or SKU:QTY:COST"),
    }
}

fn print_order(order: &PurchaseOrder) {
    println!(
        "{}  {}  {}  {}",
        order.number,
        order.status,
        order.supplier,
        order.ordered_at.as_deref().unwrap_or("not placed")
    );
    for line in &order.lines {
        println!(
            "  {:<12} {:<32} ordered {:>8}  received {:>8}  at {}",
            line.sku,
            line.item_name,
            format_milli(line.quantity_milli),
            format_milli(line.received_milli),
            format_cents(line.cost_cents)
        );
    }
}

pub fn order(data_dir: &Path, who: &SignIn, command: OrderCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match command {
        OrderCommand::New {
            supplier,
            items,
            note,
        } => {
            let mut lines = Vec::new();
            for text in &items {
                let (code, quantity_milli, cost_cents) = order_item(text)?;
                let item = store.read(&actor, |rx| rx.find_catalog_item(&code))?;
                lines.push(OrderLineInput {
                    item_id: item.id,
                    quantity_milli,
                    cost_cents,
                });
            }
            let id = store.transact(&actor, |tx| {
                tx.create_purchase_order(&supplier, &note, &lines)
            })?;
            println!("{}", store.read(&actor, |rx| rx.purchase_order(id))?.number);
        }
        OrderCommand::Reorder { supplier } => {
            match store.transact(&actor, |tx| tx.purchase_order_from_reorder_list(&supplier))? {
                Some(id) => print_order(&store.read(&actor, |rx| rx.purchase_order(id))?),
                None => println!("nothing is at or below its reorder level"),
            }
        }
        OrderCommand::Place { order } => {
            store.transact(&actor, |tx| {
                let id = tx.read().find_purchase_order(&order)?;
                tx.place_order(id)
            })?;
        }
        OrderCommand::Receive {
            order,
            item,
            lot,
            expires,
            quantity,
            cost,
        } => {
            let id = store.read(&actor, |rx| rx.find_purchase_order(&order))?;
            let item = store.read(&actor, |rx| rx.find_catalog_item(&item))?;
            let view = store.read(&actor, |rx| rx.purchase_order(id))?;
            let line = view
                .lines
                .iter()
                .find(|l| l.item_id == item.id)
                .with_context(|| format!("{} has no line for {}", view.number, item.input.name))?;
            let delivery = DeliveryInput {
                line_id: line.id,
                lot_number: lot,
                expires_on: expires,
                quantity_milli: parse_milli("--quantity", &quantity)?,
                cost_cents: cost.map(|c| parse_cents("--cost", &c)).transpose()?,
            };
            store.transact(&actor, |tx| tx.receive_delivery(&delivery))?;
            println!("{}", store.read(&actor, |rx| rx.purchase_order(id))?.status);
        }
        OrderCommand::Cancel { order, reason } => {
            store.transact(&actor, |tx| {
                let id = tx.read().find_purchase_order(&order)?;
                tx.cancel_order(id, &reason)
            })?;
        }
        OrderCommand::List => {
            for order in store.read(&actor, |rx| rx.purchase_orders())? {
                println!(
                    "{:<18} {:<14} {:<24} {} lines",
                    order.number,
                    order.status,
                    order.supplier,
                    order.lines.len()
                );
            }
        }
        OrderCommand::Show { order } => {
            let id = store.read(&actor, |rx| rx.find_purchase_order(&order))?;
            print_order(&store.read(&actor, |rx| rx.purchase_order(id))?);
        }
    }
    Ok(())
}

/// `vetdesk stock take --count SKU:QTY…`: every count in one act; prints each outcome.
pub fn stock_take(
    store: &mut vetdesk_core::Store,
    actor: &vetdesk_core::Actor,
    counts: &[String],
    note: &str,
) -> Result<()> {
    let mut items = Vec::new();
    for text in counts {
        let (code, counted) = text
            .rsplit_once(':')
            .with_context(|| format!("--count {text:?}: write it as SKU:QTY"))?;
        let item = store.read(actor, |rx| rx.find_catalog_item(code))?;
        items.push((item, parse_milli("--count", counted)?));
    }
    let pairs: Vec<_> = items.iter().map(|(i, q)| (i.id, *q)).collect();
    let outcomes = store.transact(actor, |tx| tx.stock_take(&pairs, note))?;
    for ((item, _), outcome) in items.iter().zip(outcomes) {
        println!(
            "{:<12} expected {:>8} counted {:>8}  {}",
            item.input.sku,
            format_milli(outcome.expected_milli),
            format_milli(outcome.counted_milli),
            if outcome.discrepancy {
                "DISCREPANCY: check the register"
            } else if outcome.adjusted {
                "adjusted"
            } else {
                "as expected"
            }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_items_are_read_as_typed() -> Result<()> {
        assert_eq!(order_item("CARP50:100")?, ("CARP50".into(), 100_000, 0));
        assert_eq!(
            order_item("CARP50:100:0.20")?,
            ("CARP50".into(), 100_000, 20)
        );
        assert!(order_item("CARP50").is_err());
        assert!(order_item("CARP50:lots").is_err());
        Ok(())
    }
}
