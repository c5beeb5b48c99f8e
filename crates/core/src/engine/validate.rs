//! Field checks shared by the services: each returns the cleaned value or
//! `Error::Invalid { field, message }` with a message the person who typed it can act on.

use time::{Date, OffsetDateTime, format_description::well_known::Iso8601};

use crate::{Error, Result};

fn invalid<T>(field: &'static str, message: impl Into<String>) -> Result<T> {
    Err(Error::Invalid {
        field,
        message: message.into(),
    })
}

/// Trimmed, non-empty, at most `max` characters, no control characters (newlines
/// allowed where `multiline`).
pub fn text(field: &'static str, value: &str, max: usize, multiline: bool) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return invalid(field, "is required");
    }
    if value.chars().count() > max {
        return invalid(field, format!("must be at most {max} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return invalid(field, "must not contain control characters");
    }
    Ok(value.to_string())
}

/// Like [`text`], but empty means "not given".
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max, multiline).map(Some),
    }
}

pub fn email(field: &'static str, value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = optional_text(field, value, 254, false)? else {
        return Ok(None);
    };
    let mut parts = value.split('@');
    let (local, domain) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if parts.next().is_some()
        || local.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || value.contains(char::is_whitespace)
    {
        return invalid(field, format!("{value:?} is not an email address"));
    }
    Ok(Some(value.to_lowercase()))
}

pub fn phone(field: &'static str, value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = optional_text(field, value, 40, false)? else {
        return Ok(None);
    };
    if !value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return invalid(field, "may hold only digits, spaces and + - ( ) .");
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if !(5..=17).contains(&digits) {
        return invalid(
            field,
            format!("has {digits} digits; a phone number has 5 to 17"),
        );
    }
    Ok(Some(value))
}

/// A calendar date, `YYYY-MM-DD`, not after `today` (where `not_future`).
pub fn date(field: &'static str, value: &str, today: Date, not_future: bool) -> Result<Date> {
    let parsed = Date::parse(value.trim(), &Iso8601::DATE)
        .or_else(|_| invalid(field, format!("{value:?} is not a date (use YYYY-MM-DD)")))?;
    if not_future && parsed > today {
        return invalid(field, format!("{parsed} is in the future"));
    }
    if parsed.year() < 1900 {
        return invalid(field, format!("{parsed} is too long ago"));
    }
    Ok(parsed)
}

pub fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A weight in kilograms: above zero, below what any patient weighs.
pub fn weight_kg(field: &'static str, kg: f64) -> Result<f64> {
    if !kg.is_finite() || kg <= 0.0 {
        return invalid(
            field,
            format!("{kg} kg is not a weight: it must be more than 0"),
        );
    }
    if kg > 1500.0 {
        return invalid(
            field,
            format!("{kg} kg is more than any patient weighs (1500 kg)"),
        );
    }
    Ok((kg * 1000.0).round() / 1000.0)
}

/// A number in a range, with its unit for the message.
pub fn in_range(field: &'static str, value: f64, low: f64, high: f64, unit: &str) -> Result<f64> {
    if !value.is_finite() || value < low || value > high {
        return invalid(
            field,
            format!("{value} {unit} is outside {low}–{high} {unit}"),
        );
    }
    Ok(value)
}

/// A microchip number: 15 digits (ISO 11784/11785), or 9–10 characters for older chips.
pub fn microchip(field: &'static str, value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = optional_text(field, value, 20, false)? else {
        return Ok(None);
    };
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let ok = (compact.len() == 15 && compact.chars().all(|c| c.is_ascii_digit()))
        || ((9..=10).contains(&compact.len())
            && compact.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        return invalid(
            field,
            format!("{value:?} is not a microchip number (15 digits, or 9–10 characters)"),
        );
    }
    Ok(Some(compact.to_uppercase()))
}

/// A time range: end after start, at most `max_hours` long.
pub fn time_range(start: OffsetDateTime, end: OffsetDateTime, max_hours: i64) -> Result<()> {
    if end <= start {
        return invalid("ends at", "must be after the start");
    }
    if end - start > time::Duration::hours(max_hours) {
        return invalid(
            "ends at",
            format!("an appointment lasts at most {max_hours} hours"),
        );
    }
    Ok(())
}

/// One of the listed values (stored form), with the list in the message.
pub fn one_of(field: &'static str, value: &str, allowed: &[&'static str]) -> Result<&'static str> {
    let wanted = value.trim().to_lowercase().replace([' ', '-'], "_");
    allowed
        .iter()
        .copied()
        .find(|a| *a == wanted)
        .ok_or_else(|| Error::Invalid {
            field,
            message: format!("{value:?} is not one of: {}", allowed.join(", ")),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn message<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(Error::Invalid { field, message }) => format!("{field}: {message}"),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn good_values_are_cleaned() -> Result<()> {
        assert_eq!(text("name", "  Bella ", 10, false)?, "Bella");
        assert_eq!(
            email("email", Some(" Ann@Example.COM "))?,
            Some("ann@example.com".into())
        );
        assert_eq!(email("email", Some(""))?, None);
        assert_eq!(
            phone("phone", Some("+44 (0)20 7946-0958"))?,
            Some("+44 (0)20 7946-0958".into())
        );
        assert_eq!(
            microchip("microchip", Some("985 112 003 456 789"))?,
            Some("985112003456789".into())
        );
        assert_eq!(
            date("born", "2020-02-29", date!(2026 - 11 - 22), true)?,
            date!(2020 - 02 - 29)
        );
        assert_eq!(weight_kg("weight", 4.25)?, 4.25);
        Ok(())
    }

    #[test]
    fn bad_values_get_field_level_messages() {
        let today = date!(2026 - 11 - 22);
        let cases = [
            (message(text("name", "   ", 10, false)), "name: is required"),
            (
                message(text("name", "a\u{7}b", 10, false)),
                "name: must not contain control characters",
            ),
            (
                message(email("email", Some("ann@"))),
                "email: \"ann@\" is not an email address",
            ),
            (
                message(phone("phone", Some("12"))),
                "phone: has 2 digits; a phone number has 5 to 17",
            ),
            (
                message(date("born", "2021-02-30", today, true)),
                "born: \"2021-02-30\" is not a date (use YYYY-MM-DD)",
            ),
            (
                message(date("born", "2027-01-01", today, true)),
                "born: 2027-01-01 is in the future",
            ),
            (
                message(weight_kg("weight", -3.0)),
                "weight: -3 kg is not a weight: it must be more than 0",
            ),
            (
                message(weight_kg("weight", f64::NAN)),
                "weight: NaN kg is not a weight: it must be more than 0",
            ),
            (
                message(microchip("microchip", Some("12345"))),
                "microchip: \"12345\" is not a microchip number (15 digits, or 9–10 characters)",
            ),
            (
                message(one_of("species", "dragon", &["dog", "cat"])),
                "species: \"dragon\" is not one of: dog, cat",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
