//! `vetdesk clinic show|set`: the clinic's settings — who it is on paper, its currency,
//! default VAT rate, document text, language and time zone. Everyone signed in reads
//! them; admins change them (core checks each value and audits what changed). `set`
//! changes only the settings given; an empty value (`--vat-number ""`) clears one.

use std::path::Path;

use anyhow::Result;
use clap::Subcommand;
use vetdesk_billing::money::format_cents;
use vetdesk_core::services::clinic::ClinicSettings;

use crate::records::{SignIn, open, print_json, sign_in};

#[derive(Debug, Subcommand)]
pub enum ClinicCommand {
    /// Show the clinic's settings.
    Show {
        /// As JSON, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Change the clinic's settings (admins); only those given change, "" clears one.
    Set(Box<SettingsArgs>),
}

#[derive(Debug, clap::Args)]
pub struct SettingsArgs {
    /// The name the app shows.
    #[arg(long)]
    name: Option<String>,
    /// The name invoices are issued under, when the registered name differs.
    #[arg(long)]
    legal_name: Option<String>,
    /// Printed under the name; a line break (\n) starts a new line.
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    vat_number: Option<String>,
    /// Practice registration numbers, a line each.
    #[arg(long)]
    registration: Option<String>,
    /// ISO 4217 code with two decimals: EUR, GBP, UAH, USD…
    #[arg(long)]
    currency: Option<String>,
    /// The VAT rate new catalog items start with, in percent (20, 12.5).
    #[arg(long)]
    default_vat: Option<String>,
    /// Printed at the foot of invoices and receipts.
    #[arg(long)]
    document_text: Option<String>,
    #[arg(long)]
    payment_terms: Option<String>,
    /// en or uk.
    #[arg(long)]
    language: Option<String>,
    /// IANA time zone name: Europe/London, Europe/Kyiv…
    #[arg(long)]
    time_zone: Option<String>,
}

pub fn clinic(data_dir: &Path, who: &SignIn, command: ClinicCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    let settings = store.read(&actor, |rx| rx.clinic_settings())?;
    match command {
        ClinicCommand::Show { json: true } => print_json(&settings)?,
        ClinicCommand::Show { json: false } => print!("{}", describe(&settings)),
        ClinicCommand::Set(args) => {
            let wanted = apply(settings, *args)?;
            let changed = store.transact(&actor, |tx| tx.set_clinic_settings(&wanted))?;
            if changed.is_empty() {
                println!("nothing changed");
            } else {
                println!("changed: {}", changed.join(", "));
            }
        }
    }
    Ok(())
}

/// The settings with the given ones replaced ("" clears an optional one).
fn apply(mut s: ClinicSettings, args: SettingsArgs) -> Result<ClinicSettings> {
    let optional = |value: Option<String>, now: &mut Option<String>| {
        if let Some(value) = value {
            let value = value.replace("\\n", "\n");
            *now = (!value.trim().is_empty()).then_some(value);
        }
    };
    if let Some(name) = args.name {
        s.name = name;
    }
    optional(args.legal_name, &mut s.legal_name);
    optional(args.address, &mut s.address);
    optional(args.phone, &mut s.phone);
    optional(args.email, &mut s.email);
    optional(args.vat_number, &mut s.vat_number);
    optional(args.registration, &mut s.registration);
    optional(args.document_text, &mut s.document_text);
    optional(args.payment_terms, &mut s.payment_terms);
    optional(args.time_zone, &mut s.time_zone);
    if let Some(currency) = args.currency {
        s.currency = currency.trim().to_uppercase();
    }
    if let Some(language) = args.language {
        s.language = language.trim().to_lowercase();
    }
    if let Some(vat) = args.default_vat {
        s.default_vat_bp = if vat.trim().is_empty() {
            None
        } else {
            Some(crate::billing::percent_bp("--default-vat", &vat)?)
        };
    }
    Ok(s)
}

fn describe(s: &ClinicSettings) -> String {
    let unset = "(not set)";
    let text = |v: &Option<String>| v.as_deref().unwrap_or(unset).replace('\n', " / ");
    let rows = [
        ("name", s.name.clone()),
        ("legal name", text(&s.legal_name)),
        ("address", text(&s.address)),
        ("phone", text(&s.phone)),
        ("email", text(&s.email)),
        ("VAT number", text(&s.vat_number)),
        ("registration", text(&s.registration)),
        (
            "currency",
            format!("{} ({})", s.currency, s.currency().symbol()),
        ),
        (
            "default VAT",
            s.default_vat_bp
                .map_or(unset.to_string(), |bp| format!("{}%", format_cents(bp))),
        ),
        ("payment terms", text(&s.payment_terms)),
        ("document text", text(&s.document_text)),
        ("language", s.language.clone()),
        ("time zone", text(&s.time_zone)),
    ];
    rows.iter()
        .map(|(label, value)| format!("{label:<14} {value}\n"))
        .collect()
}
