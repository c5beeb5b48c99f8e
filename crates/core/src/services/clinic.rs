//! The clinic's settings: who it is on paper (legal name, address, phone, email, VAT and
//! registration numbers), the currency its amounts are in, its default VAT rate, the
//! text its documents carry (legal text, payment terms), its language and its time zone.
//!
//! Admins set them (`Tx::set_clinic_settings`, `ManageClinic`, audited with the names
//! of what changed); every role reads them (`Rx::clinic_settings`, `ViewClinic`), as
//! every document, amount and day needs them. They are cells of the one clinic row:
//! only what changed is written, so two admins changing different settings offline both
//! keep their change, and the same rule (`schema::clinic_setting_problem`) refuses a bad
//! currency or time zone here and in every device's merge.

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use vetdesk_billing::currency::Currency;

use crate::changes::Value;
use crate::read::Rx;
use crate::roles::Permission;
use crate::schema::{self, CLINIC};
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

/// The clinic's settings, as every device has them. Unset text is `None`; the currency
/// and language have defaults (EUR, English) so a new clinic prints and prices at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClinicSettings {
    /// The name the app shows.
    pub name: String,
    /// The name on invoices, when the business's registered name differs.
    pub legal_name: Option<String>,
    /// Lines as they are printed under the name.
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub vat_number: Option<String>,
    /// Practice registration numbers, a line each (a veterinary register's, a company's).
    pub registration: Option<String>,
    /// ISO 4217, two minor units (`GBP`).
    pub currency: String,
    /// The VAT rate new catalog items start with, in basis points (2000 = 20 %).
    pub default_vat_bp: Option<i64>,
    /// Printed at the foot of invoices and receipts (the law's wording where required).
    pub document_text: Option<String>,
    pub payment_terms: Option<String>,
    /// `en` or `uk`.
    pub language: String,
    /// IANA name (`Europe/London`).
    pub time_zone: Option<String>,
}

impl ClinicSettings {
    /// The name documents are issued under: the legal name, else the clinic's name.
    pub fn issuer(&self) -> &str {
        self.legal_name.as_deref().unwrap_or(&self.name)
    }

    /// The clinic's time zone: the one set, else this computer's (UTC where neither is
    /// known). Working hours and the clinic's days are read in it.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        self.time_zone
            .as_deref()
            .and_then(|name| jiff::tz::TimeZone::get(name).ok())
            .or_else(|| jiff::tz::TimeZone::try_system().ok())
            .unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The clinic's day `date` as instants: its first moment in the clinic's time zone
    /// and the next day's (a day of 23 or 25 hours when the clocks change). The CLI
    /// and the app read "today" and close registers by these.
    pub fn day_bounds(
        &self,
        date: time::Date,
    ) -> Result<(time::OffsetDateTime, time::OffsetDateTime)> {
        let zone = self.zone();
        let start = |d: time::Date| -> Result<time::OffsetDateTime> {
            let bad = |e: jiff::Error| Error::invalid("day", e.to_string());
            let civil = jiff::civil::Date::new(
                i16::try_from(d.year()).map_err(|e| Error::invalid("day", e.to_string()))?,
                i8::try_from(u8::from(d.month())).unwrap_or(1),
                i8::try_from(d.day()).unwrap_or(1),
            )
            .map_err(bad)?;
            let ms = civil
                .to_zoned_datetime(zone.clone())
                .and_then(|z| z.start_of_day())
                .map_err(bad)?
                .timestamp()
                .as_millisecond();
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .map_err(|e| Error::invalid("day", e.to_string()))
        };
        let next = date
            .next_day()
            .ok_or_else(|| Error::invalid("day", "no day after it"))?;
        Ok((start(date)?, start(next)?))
    }

    /// The clinic's date at `now`, in its time zone.
    pub fn today(&self, now: time::OffsetDateTime) -> time::Date {
        let ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        jiff::Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned_datetime(self.zone()).date())
            .and_then(|d| {
                time::Month::try_from(u8::try_from(d.month()).ok()?)
                    .ok()
                    .and_then(|m| {
                        time::Date::from_calendar_date(
                            i32::from(d.year()),
                            m,
                            u8::try_from(d.day()).ok()?,
                        )
                        .ok()
                    })
            })
            .unwrap_or_else(|| now.date())
    }

    /// The clinic's currency (EUR where none is set; every stored code was checked).
    pub fn currency(&self) -> Currency {
        Currency::parse(&self.currency).unwrap_or(Currency::EUR)
    }
}

const SETTINGS_COLUMNS: &str = "c.name, c.legal_name, c.address, c.phone, c.email, c.vat_number,
     c.registration, c.currency, c.default_vat_bp, c.document_text, c.payment_terms,
     c.language, c.time_zone";

/// Reads the settings of the clinic this store is pinned to (never another clinic's
/// row a device sent). For the read door and for the store's own status.
pub(crate) fn read_settings(conn: &rusqlite::Connection) -> Result<(Uuid, ClinicSettings)> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT c.id, {SETTINGS_COLUMNS} FROM local_device d
             JOIN clinic c ON c.id = d.clinic_id LIMIT 1"
        ))?
        .query_row([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ClinicSettings {
                    name: r.get(1)?,
                    legal_name: r.get(2)?,
                    address: r.get(3)?,
                    phone: r.get(4)?,
                    email: r.get(5)?,
                    vat_number: r.get(6)?,
                    registration: r.get(7)?,
                    currency: r
                        .get::<_, Option<String>>(8)?
                        .unwrap_or_else(|| vetdesk_billing::currency::DEFAULT_CODE.into()),
                    default_vat_bp: r.get(9)?,
                    document_text: r.get(10)?,
                    payment_terms: r.get(11)?,
                    language: r
                        .get::<_, Option<String>>(12)?
                        .unwrap_or_else(|| "en".into()),
                    time_zone: r.get(13)?,
                },
            ))
        })
        .optional()?
        .ok_or_else(|| Error::DamagedValue {
            what: "clinic row",
            value: "(missing)".into(),
        })?;
    let id = crate::stored::id("clinic", &found.0)?;
    Ok((id, found.1))
}

impl Rx<'_> {
    /// The clinic's settings (every role: documents and amounts need them).
    pub fn clinic_settings(&self) -> Result<ClinicSettings> {
        self.require(Permission::ViewClinic)?;
        Ok(read_settings(self.conn())?.1)
    }
}

impl Tx<'_> {
    /// Replaces the clinic's settings with `settings` (admins). Each field is checked —
    /// lengths, the currency, the language, the time zone, the VAT rate — and only the
    /// settings that changed are written; the audit event names them.
    pub fn set_clinic_settings(&mut self, settings: &ClinicSettings) -> Result<Vec<&'static str>> {
        self.actor().require(Permission::ManageClinic)?;
        let (id, current) = read_settings(self.conn())?;
        let line = |field, value: &Option<String>, max, multiline| {
            validate::optional_text(field, value.as_deref(), max, multiline)
        };
        let cleaned = ClinicSettings {
            name: validate::text("clinic name", &settings.name, 120, false)?,
            legal_name: line("legal name", &settings.legal_name, 200, false)?,
            address: line("address", &settings.address, 500, true)?,
            phone: line("phone", &settings.phone, 40, false)?,
            email: line("email", &settings.email, 200, false)?,
            vat_number: line("VAT number", &settings.vat_number, 40, false)?,
            registration: line("registration", &settings.registration, 500, true)?,
            currency: settings.currency.trim().to_string(),
            default_vat_bp: settings.default_vat_bp,
            document_text: line("document text", &settings.document_text, 2000, true)?,
            payment_terms: line("payment terms", &settings.payment_terms, 500, true)?,
            language: settings.language.trim().to_string(),
            time_zone: line("time zone", &settings.time_zone, 64, false)?,
        };
        let values = settings_values(&cleaned);
        for (column, value) in &values {
            if let Some(problem) = schema::clinic_setting_problem(column, value) {
                return Err(Error::Invalid {
                    field: column,
                    message: problem,
                });
            }
        }
        let before = settings_values(&current);
        let changed: Vec<&'static str> = values
            .iter()
            .filter(|(column, value)| {
                before
                    .iter()
                    .find(|(c, _)| c == column)
                    .is_none_or(|(_, old)| old != value)
            })
            .map(|(column, _)| *column)
            .collect();
        if changed.is_empty() {
            return Ok(changed);
        }
        let values = values
            .into_iter()
            .filter(|(column, _)| changed.contains(column))
            .collect();
        self.update(&CLINIC, id, values)?;
        self.audit(
            "clinic.settings",
            "clinic",
            &id.to_string(),
            &changed.join(", "),
        )?;
        Ok(changed)
    }
}

/// The settings as the cells they are stored in — what a save writes and what it is
/// compared with (a store from before the settings reads as the defaults, so saving
/// them unchanged writes nothing).
fn settings_values(s: &ClinicSettings) -> Vec<(&'static str, Value)> {
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
    vec![
        ("name", Value::text(&s.name)),
        ("legal_name", text(&s.legal_name)),
        ("address", text(&s.address)),
        ("phone", text(&s.phone)),
        ("email", text(&s.email)),
        ("vat_number", text(&s.vat_number)),
        ("registration", text(&s.registration)),
        ("currency", Value::text(&s.currency)),
        (
            "default_vat_bp",
            s.default_vat_bp.map_or(Value::Null, Value::Int),
        ),
        ("document_text", text(&s.document_text)),
        ("payment_terms", text(&s.payment_terms)),
        ("language", Value::text(&s.language)),
        ("time_zone", text(&s.time_zone)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn in_zone(zone: Option<&str>) -> ClinicSettings {
        ClinicSettings {
            name: "Riverside Vets".into(),
            legal_name: None,
            address: None,
            phone: None,
            email: None,
            vat_number: None,
            registration: None,
            currency: "EUR".into(),
            default_vat_bp: None,
            document_text: None,
            payment_terms: None,
            language: "en".into(),
            time_zone: zone.map(str::to_string),
        }
    }

    #[test]
    fn a_clinic_s_day_is_its_own_midnight_to_midnight() -> Result<()> {
        let kyiv = in_zone(Some("Europe/Kyiv"));
        assert_eq!(
            kyiv.day_bounds(date!(2026 - 12 - 05))?,
            (
                datetime!(2026-12-04 22:00 UTC),
                datetime!(2026-12-05 22:00 UTC)
            )
        );
        // The clocks go back in London on 25 October 2026: that day has 25 hours.
        let london = in_zone(Some("Europe/London"));
        let (from, to) = london.day_bounds(date!(2026 - 10 - 25))?;
        assert_eq!(
            (from, to - from),
            (datetime!(2026-10-24 23:00 UTC), time::Duration::hours(25))
        );
        // 23:30 UTC on the 4th is already the 5th in Kyiv.
        assert_eq!(
            kyiv.today(datetime!(2026-12-04 23:30 UTC)),
            date!(2026 - 12 - 05)
        );
        assert_eq!(
            london.today(datetime!(2026-12-04 23:30 UTC)),
            date!(2026 - 12 - 04)
        );
        Ok(())
    }
}
