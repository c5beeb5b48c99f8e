//! The clinic's currency: an ISO 4217 code whose amounts have two minor units (every
//! amount is kept in hundredths, [`crate::money`]), its symbol, and an amount written
//! with it for people and documents (`£12.50`, `-€0.05`). Codes come from the ISO list
//! (crate `iso_currency`); a currency with another number of minor units (the yen's
//! none, the dinar's three) is refused with the reason, as are funds and special codes.

/// A currency the clinic may keep its amounts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

/// Why a code is not a currency the clinic may use; the sentence says what to type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("{0:?} is not an ISO 4217 currency code (three capital letters, like EUR, GBP or UAH)")]
    Unknown(String),
    #[error(
        "{code} has {minor} minor units; Vetdesk keeps amounts in hundredths, so it takes currencies with two (like EUR, GBP or UAH)"
    )]
    MinorUnits { code: String, minor: u16 },
    #[error("{0} is a fund or special code, not a currency to price in")]
    NotMoney(String),
}

/// The currency of a store that has not chosen one.
pub const DEFAULT_CODE: &str = "EUR";

impl Currency {
    /// The euro, the currency of a store that has not chosen one.
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);

    /// The currency with this ISO 4217 code, if the clinic may use it.
    pub fn parse(code: &str) -> Result<Self, CurrencyError> {
        let currency = iso_currency::Currency::from_code(code)
            .ok_or_else(|| CurrencyError::Unknown(code.to_string()))?;
        if currency.is_fund() || currency.is_special() {
            return Err(CurrencyError::NotMoney(code.to_string()));
        }
        match currency.exponent() {
            Some(2) => Ok(Self(currency)),
            minor => Err(CurrencyError::MinorUnits {
                code: code.to_string(),
                minor: minor.unwrap_or(0),
            }),
        }
    }

    /// `GBP`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// `£`; the code itself where ISO gives the currency no sign of its own.
    pub fn symbol(self) -> String {
        let symbol = self.0.symbol().symbol;
        if symbol.trim().is_empty() || symbol == "¤" {
            self.code().to_string()
        } else {
            symbol
        }
    }

    /// An amount in hundredths, with the currency's sign: `£12.50`, `-£0.05`, and for a
    /// sign of letters a space: `CHF 3.00` style codes read `XYZ 3.00`.
    pub fn format(self, cents: i64) -> String {
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        let symbol = self.symbol();
        let gap = if symbol.chars().all(|c| c.is_ascii_alphabetic()) {
            " "
        } else {
            ""
        };
        format!("{sign}{symbol}{gap}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clinics_price_in_two_decimal_currencies_only() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("GBP", Ok("GBP")),
            ("EUR", Ok("EUR")),
            ("UAH", Ok("UAH")),
            ("USD", Ok("USD")),
            ("JPY", Err("JPY has 0 minor units")),
            ("KWD", Err("KWD has 3 minor units")),
            ("XXX", Err("XXX is a fund or special code")),
            ("gbp", Err("not an ISO 4217 currency code")),
            ("EURO", Err("not an ISO 4217 currency code")),
            ("", Err("not an ISO 4217 currency code")),
        ];
        for (code, expected) in cases {
            match (Currency::parse(code), expected) {
                (Ok(c), Ok(want)) => assert_eq!(c.code(), *want),
                (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{code}: {e}"),
                (got, want) => panic!("{code}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn amounts_are_written_with_the_currency_sign() {
        let cases = [
            ("GBP", 1250, "£12.50"),
            ("GBP", -5, "-£0.05"),
            ("EUR", 100_000, "€1000.00"),
            ("UAH", 4999, "₴49.99"),
            ("USD", 0, "$0.00"),
        ];
        for (code, cents, want) in cases {
            let currency = Currency::parse(code).expect("a two-decimal currency");
            assert_eq!(currency.format(cents), want, "{code} {cents}");
        }
        assert_eq!(Currency::EUR.code(), DEFAULT_CODE);
    }
}
