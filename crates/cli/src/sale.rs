//! `vetdesk sale`: a counter sale in one command — items by SKU or barcode with their
//! quantities, an optional client, and the payments (a method with no amount pays
//! what is left) — finalized and paid by core in one transaction; prints its number.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;
use uuid::Uuid;
use vetdesk_billing::money::{format_cents, parse_cents, parse_milli};
use vetdesk_core::services::billing::{LineForm, SaleInput, SalePayment};

use crate::records::{SignIn, open, sign_in};

#[derive(Debug, Args)]
pub struct SaleArgs {
    /// An item by SKU or barcode, with a quantity after a colon (default 1):
    /// `--item FOOD:2`. Repeat for each item.
    #[arg(long = "item", required = true, value_name = "SKU[:QTY]")]
    items: Vec<String>,
    /// The client, for a sale that goes on their account (default: a walk-in, who
    /// pays in full).
    #[arg(long)]
    client: Option<Uuid>,
    /// A payment: cash, card or transfer, with an amount after a colon; one without
    /// an amount pays what is left: `--pay cash:20 --pay card`.
    #[arg(long = "pay", value_name = "METHOD[:AMOUNT]")]
    payments: Vec<String>,
}

/// `SKU[:QTY]` → the code and thousandths of a unit. A code whose tail is not a
/// quantity is taken whole.
fn item_and_quantity(text: &str) -> Result<(&str, i64)> {
    match text.rsplit_once(':') {
        Some((code, quantity)) if !code.is_empty() => Ok((
            code,
            parse_milli("--item", quantity).with_context(|| format!("--item {text}"))?,
        )),
        _ => Ok((text, 1000)),
    }
}

/// `METHOD[:AMOUNT]` → a payment (no amount: the rest).
fn payment(text: &str) -> Result<SalePayment> {
    let (method, amount) = match text.split_once(':') {
        Some((method, amount)) => (
            method,
            Some(parse_cents("--pay", amount).with_context(|| format!("--pay {text}"))?),
        ),
        None => (text, None),
    };
    Ok(SalePayment {
        method: method.trim().to_lowercase(),
        amount_cents: amount,
        reference: String::new(),
    })
}

pub fn sale(data_dir: &Path, who: &SignIn, args: SaleArgs) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    let mut lines = Vec::with_capacity(args.items.len());
    for text in &args.items {
        let (code, quantity_milli) = item_and_quantity(text)?;
        let item = store.read(&actor, |rx| rx.find_catalog_item(code))?;
        lines.push(LineForm {
            item_id: Some(item.id),
            quantity_milli,
            ..Default::default()
        });
    }
    let input = SaleInput {
        client_id: args.client,
        patient_id: None,
        lines,
        payments: args
            .payments
            .iter()
            .map(|p| payment(p))
            .collect::<Result<_>>()?,
    };
    let sale = store.transact(&actor, |tx| tx.counter_sale(&input))?;
    println!("{}", sale.finalized.number);
    let mut summary = format!(
        "total {} paid {}",
        format_cents(sale.finalized.total_cents),
        format_cents(sale.paid_cents)
    );
    if sale.change_cents > 0 {
        summary.push_str(&format!(" change {}", format_cents(sale.change_cents)));
    }
    if sale.balance_cents > 0 {
        summary.push_str(&format!(" on account {}", format_cents(sale.balance_cents)));
    }
    println!("{summary}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_payments_are_read_as_a_clinic_types_them() -> Result<()> {
        assert_eq!(item_and_quantity("FOOD")?, ("FOOD", 1000));
        assert_eq!(item_and_quantity("FOOD:2")?, ("FOOD", 2000));
        assert_eq!(item_and_quantity("TAB:0.5")?, ("TAB", 500));
        assert!(item_and_quantity("FOOD:two").is_err());
        let cash = payment("cash:20")?;
        assert_eq!(
            (cash.method.as_str(), cash.amount_cents),
            ("cash", Some(2000))
        );
        let card = payment("Card")?;
        assert_eq!((card.method.as_str(), card.amount_cents), ("card", None));
        assert!(payment("cash:lots").is_err());
        Ok(())
    }
}
