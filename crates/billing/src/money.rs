//! Money. Amounts are integers in minor units (cents); quantities are integers in
//! thousandths of a unit (2.5 ml = 2500), so sums are exact and two devices always
//! agree to the cent. Rounding happens at exactly three points, each to the nearest
//! cent with halves away from zero ("commercial" rounding, as tax authorities expect):
//!
//! 1. a line's gross amount: quantity × unit price (both exact) → cents;
//! 2. a line's discount: gross × percentage → cents (the net is gross − discount);
//! 3. VAT: per rate, on the sum of the nets of the lines at that rate → cents.
//!
//! VAT is never computed per line and then summed (which drifts by a cent per line);
//! an invoice's total is the sum of its nets plus the sum of its per-rate VAT, so the
//! printed breakdown always adds up to the printed total. Prices are net of VAT.

use serde::{Deserialize, Serialize};

/// Basis points: 1/100 of a percent (20 % = 2000).
pub type BasisPoints = i64;

/// One line as it is billed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    /// Thousandths of a unit; negative on a credit note.
    pub quantity_milli: i64,
    /// Net price of one unit, in cents.
    pub unit_price_cents: i64,
    pub vat_rate_bp: BasisPoints,
    /// 0–10000.
    pub discount_bp: BasisPoints,
}

/// What one line comes to.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAmounts {
    pub gross_cents: i64,
    pub discount_cents: i64,
    pub net_cents: i64,
}

/// VAT at one rate.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatAtRate {
    pub rate_bp: BasisPoints,
    pub net_cents: i64,
    pub vat_cents: i64,
}

/// What a whole invoice comes to.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub lines: Vec<LineAmounts>,
    pub discount_cents: i64,
    pub net_cents: i64,
    /// By rate, lowest rate first.
    pub vat: Vec<VatAtRate>,
    pub vat_cents: i64,
    pub total_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("the amount is too large to bill")]
    Overflow,
}

/// `numerator / denominator` rounded to the nearest integer, halves away from zero.
pub fn div_round(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        -((-numerator + half) / denominator)
    }
}

fn to_cents(value: i128) -> Result<i64, MoneyError> {
    i64::try_from(value).map_err(|_| MoneyError::Overflow)
}

/// Checks a line's numbers before anything is stored.
pub fn validate_line(line: &LineInput) -> Result<(), MoneyError> {
    if line.quantity_milli == 0 {
        return Err(MoneyError::Invalid {
            field: "quantity",
            message: "must not be 0".into(),
        });
    }
    if line.unit_price_cents < 0 {
        return Err(MoneyError::Invalid {
            field: "unit_price",
            message: "must not be negative (bill a credit note instead)".into(),
        });
    }
    if !(0..=10_000).contains(&line.vat_rate_bp) {
        return Err(MoneyError::Invalid {
            field: "vat_rate",
            message: "must be between 0 % and 100 %".into(),
        });
    }
    if !(0..=10_000).contains(&line.discount_bp) {
        return Err(MoneyError::Invalid {
            field: "discount",
            message: "must be between 0 % and 100 %".into(),
        });
    }
    line_amounts(line).map(|_| ())
}

/// A line's gross, discount and net (rounding points 1 and 2).
pub fn line_amounts(line: &LineInput) -> Result<LineAmounts, MoneyError> {
    let gross = div_round(
        i128::from(line.quantity_milli) * i128::from(line.unit_price_cents),
        1000,
    );
    let discount = div_round(gross * i128::from(line.discount_bp), 10_000);
    Ok(LineAmounts {
        gross_cents: to_cents(gross)?,
        discount_cents: to_cents(discount)?,
        net_cents: to_cents(gross - discount)?,
    })
}

/// The invoice's totals (rounding point 3: VAT per rate on the net at that rate).
pub fn totals(lines: &[LineInput]) -> Result<Totals, MoneyError> {
    let amounts = lines
        .iter()
        .map(line_amounts)
        .collect::<Result<Vec<_>, _>>()?;
    let mut by_rate: std::collections::BTreeMap<BasisPoints, i128> = Default::default();
    for (line, amount) in lines.iter().zip(&amounts) {
        *by_rate.entry(line.vat_rate_bp).or_default() += i128::from(amount.net_cents);
    }
    let vat = by_rate
        .into_iter()
        .map(|(rate_bp, net)| {
            Ok(VatAtRate {
                rate_bp,
                net_cents: to_cents(net)?,
                vat_cents: to_cents(div_round(net * i128::from(rate_bp), 10_000))?,
            })
        })
        .collect::<Result<Vec<_>, MoneyError>>()?;
    let net: i128 = amounts.iter().map(|a| i128::from(a.net_cents)).sum();
    let discount: i128 = amounts.iter().map(|a| i128::from(a.discount_cents)).sum();
    let vat_total: i128 = vat.iter().map(|v| i128::from(v.vat_cents)).sum();
    Ok(Totals {
        lines: amounts,
        discount_cents: to_cents(discount)?,
        net_cents: to_cents(net)?,
        vat_cents: to_cents(vat_total)?,
        total_cents: to_cents(net + vat_total)?,
        vat,
    })
}

/// Formats cents as `1234.50` (no currency sign; the document adds it).
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses `12`, `12.5`, `12.50` or `-3.10` as cents; more than two decimals is refused.
pub fn parse_cents(field: &'static str, text: &str) -> Result<i64, MoneyError> {
    parse_fixed(field, text, 2)
}

/// Parses a quantity (`1`, `2.5`, `0.125`) as thousandths.
pub fn parse_milli(field: &'static str, text: &str) -> Result<i64, MoneyError> {
    parse_fixed(field, text, 3)
}

/// Formats thousandths without trailing zeros: 2500 → `2.5`, 1000 → `1`.
pub fn format_milli(milli: i64) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    let abs = milli.unsigned_abs();
    let fraction = format!("{:03}", abs % 1000);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{sign}{}", abs / 1000)
    } else {
        format!("{sign}{}.{fraction}", abs / 1000)
    }
}

fn parse_fixed(field: &'static str, text: &str, places: u32) -> Result<i64, MoneyError> {
    let invalid = |message: String| MoneyError::Invalid { field, message };
    let text = text.trim().replace(',', ".");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(invalid(format!("{text:?} is not a number")));
    }
    if fraction.len() > places as usize {
        return Err(invalid(format!(
            "{text:?} has more than {places} decimal places"
        )));
    }
    let scale = 10_i64.pow(places);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| invalid(format!("{text:?} is too large")))?
    };
    let fraction_value: i64 = if fraction.is_empty() {
        0
    } else {
        fraction
            .parse::<i64>()
            .map_err(|_| invalid(format!("{text:?} is not a number")))?
            * 10_i64.pow(places - fraction.len() as u32)
    };
    let value = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction_value))
        .ok_or_else(|| invalid(format!("{text:?} is too large")))?;
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity_milli: i64, unit_price_cents: i64, vat: i64, discount: i64) -> LineInput {
        LineInput {
            quantity_milli,
            unit_price_cents,
            vat_rate_bp: vat,
            discount_bp: discount,
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        for (numerator, denominator, expected) in [
            (5, 10, 1),
            (4, 10, 0),
            (15, 10, 2),
            (25, 10, 3),
            (-5, 10, -1),
            (-4, 10, 0),
            (-25, 10, -3),
            (0, 7, 0),
            (1, 3, 0),
            (2, 3, 1),
        ] {
            assert_eq!(
                div_round(numerator, denominator),
                expected,
                "{numerator}/{denominator}"
            );
        }
    }

    #[test]
    fn line_amounts_case_table() {
        // (quantity milli, unit price, discount bp) → (gross, discount, net)
        for (quantity, price, discount, expected) in [
            (1000, 1999, 0, (1999, 0, 1999)),
            (3000, 333, 0, (999, 0, 999)),
            // 2.5 ml at 0.45/ml = 1.125 → 1.13 (half away from zero)
            (2500, 45, 0, (113, 0, 113)),
            // 0.125 tablets at 0.04 = 0.005 → 0.01
            (125, 4, 0, (1, 0, 1)),
            // 10 % of 9.99 = 0.999 → 1.00
            (1000, 999, 1000, (999, 100, 899)),
            // 12.5 % of 0.20 = 0.025 → 0.03
            (1000, 20, 1250, (20, 3, 17)),
            // credit note line: −1 × 19.99, 10 % off → −2.00 (−1.999)
            (-1000, 1999, 1000, (-1999, -200, -1799)),
            (1000, 5000, 10_000, (5000, 5000, 0)),
        ] {
            let got = line_amounts(&line(quantity, price, 2000, discount)).expect("amounts");
            assert_eq!(
                (got.gross_cents, got.discount_cents, got.net_cents),
                expected,
                "{quantity} × {price}, {discount} bp off"
            );
        }
    }

    #[test]
    fn vat_is_per_rate_on_the_summed_net_not_per_line() {
        // Three lines of 0.07 at 20 %: per line 0.014 → 0.01 each, 0.03 in all; on the
        // sum, 0.21 × 20 % = 0.042 → 0.04. The documented rule takes the sum.
        let t = totals(&[
            line(1000, 7, 2000, 0),
            line(1000, 7, 2000, 0),
            line(1000, 7, 2000, 0),
        ])
        .expect("totals");
        assert_eq!(
            t.vat,
            vec![VatAtRate {
                rate_bp: 2000,
                net_cents: 21,
                vat_cents: 4
            }]
        );
        assert_eq!(t.total_cents, 25);
    }

    #[test]
    fn invoice_totals_case_table() {
        // A visit: consultation 45.00 @20 %, 2.5 ml meloxicam at 1.35/ml @20 % with
        // 10 % off, 14 tablets carprofen 0.62 @20 %, food 19.99 @5 %, a zero-rated
        // certificate 12.00 @0 %.
        let t = totals(&[
            line(1000, 4500, 2000, 0),
            line(2500, 135, 2000, 1000),
            line(14_000, 62, 2000, 0),
            line(1000, 1999, 500, 0),
            line(1000, 1200, 0, 0),
        ])
        .expect("totals");
        // meloxicam: 3.375 → 3.38, 10 % = 0.338 → 0.34, net 3.04
        assert_eq!(
            t.lines[1],
            LineAmounts {
                gross_cents: 338,
                discount_cents: 34,
                net_cents: 304
            }
        );
        assert_eq!(
            t.vat,
            vec![
                VatAtRate {
                    rate_bp: 0,
                    net_cents: 1200,
                    vat_cents: 0
                },
                // 19.99 × 5 % = 0.9995 → 1.00
                VatAtRate {
                    rate_bp: 500,
                    net_cents: 1999,
                    vat_cents: 100
                },
                // 45.00 + 3.04 + 8.68 = 56.72; × 20 % = 11.344 → 11.34
                VatAtRate {
                    rate_bp: 2000,
                    net_cents: 5672,
                    vat_cents: 1134
                },
            ]
        );
        assert_eq!(t.net_cents, 1200 + 1999 + 5672);
        assert_eq!(t.vat_cents, 1234);
        assert_eq!(t.total_cents, 8871 + 1234);
        assert_eq!(t.discount_cents, 34);
    }

    #[test]
    fn bad_lines_are_refused_with_the_field() {
        for (bad, field) in [
            (line(0, 100, 2000, 0), "quantity"),
            (line(1000, -1, 2000, 0), "unit_price"),
            (line(1000, 100, 10_001, 0), "vat_rate"),
            (line(1000, 100, -1, 0), "vat_rate"),
            (line(1000, 100, 2000, 10_001), "discount"),
        ] {
            match validate_line(&bad) {
                Err(MoneyError::Invalid { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(
            validate_line(&line(i64::MAX, i64::MAX, 0, 0)),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn parsing_and_formatting_amounts_and_quantities() {
        assert_eq!(parse_cents("price", "12"), Ok(1200));
        assert_eq!(parse_cents("price", "12.5"), Ok(1250));
        assert_eq!(parse_cents("price", " 0,99 "), Ok(99));
        assert_eq!(parse_cents("price", "-3.10"), Ok(-310));
        assert_eq!(parse_cents("price", ".5"), Ok(50));
        for bad in [
            "",
            "abc",
            "1.234",
            "1.2.3",
            "1e3",
            "--1",
            "99999999999999999999",
        ] {
            assert!(parse_cents("price", bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_milli("quantity", "2.5"), Ok(2500));
        assert_eq!(parse_milli("quantity", "0.125"), Ok(125));
        assert!(parse_milli("quantity", "0.1255").is_err());
        assert_eq!(format_cents(123_450), "1234.50");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_milli(2500), "2.5");
        assert_eq!(format_milli(1000), "1");
        assert_eq!(format_milli(-125), "-0.125");
    }

    proptest::proptest! {
        #[test]
        fn totals_always_add_up(lines in proptest::collection::vec(
            (1i64..100_000, 0i64..1_000_000, proptest::sample::select(vec![0i64, 500, 2000]), 0i64..=10_000),
            1..30,
        )) {
            let lines: Vec<LineInput> = lines.into_iter().map(|(q, p, v, d)| line(q, p, v, d)).collect();
            let t = totals(&lines).expect("totals");
            let nets: i64 = t.lines.iter().map(|l| l.net_cents).sum();
            proptest::prop_assert_eq!(nets, t.net_cents);
            proptest::prop_assert_eq!(t.vat.iter().map(|v| v.net_cents).sum::<i64>(), t.net_cents);
            proptest::prop_assert_eq!(t.net_cents + t.vat_cents, t.total_cents);
            for l in &t.lines {
                proptest::prop_assert!(l.discount_cents <= l.gross_cents && l.net_cents >= 0);
            }
        }
    }
}
