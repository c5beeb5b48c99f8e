//! Invoice (and patient) numbers. Every workstation is a register with a series of its own, so two
//! registers working offline can never issue the same number: a number is the
//! register's code and the next number in its series, `7F3A2C-000042`. The code comes
//! from the device's random id; the next number is one more than the highest this
//! register has issued that the store knows of (its own finalized documents come back
//! by sync even after the device's store is restored), so a series has no gaps and no
//! repeats.

use uuid::Uuid;

/// A register's code: six hex digits from the random part of its device id.
pub fn register_code(device: Uuid) -> String {
    let bytes = device.as_bytes();
    format!("{:02X}{:02X}{:02X}", bytes[13], bytes[14], bytes[15])
}

/// The `seq`-th document of the series `prefix` (e.g. `7F3A2C` or `CN-7F3A2C`).
pub fn number(prefix: &str, seq: u64) -> String {
    format!("{prefix}-{seq:06}")
}

/// The place in the series `prefix` of `number`, if it belongs to it.
pub fn seq_of(prefix: &str, number: &str) -> Option<u64> {
    let rest = number.strip_prefix(prefix)?.strip_prefix('-')?;
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// The `seq`-th short number of the series `prefix` (`7F3A2C-42`, unpadded: people
/// read patient numbers out).
pub fn short_number(prefix: &str, seq: u64) -> String {
    format!("{prefix}-{seq}")
}

/// The highest place in the series `prefix` among `issued` (0 when none belongs to it).
fn highest<'a>(prefix: &str, issued: impl IntoIterator<Item = &'a str>) -> u64 {
    issued
        .into_iter()
        .filter_map(|n| seq_of(prefix, n))
        .max()
        .unwrap_or(0)
}

/// The next number of the series, given the numbers already issued.
pub fn next_number<'a>(prefix: &str, issued: impl IntoIterator<Item = &'a str>) -> String {
    number(prefix, highest(prefix, issued) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_per_register() {
        let device = Uuid::from_u128(0x0190_a000_0000_7000_8000_0000_007f_3a2c);
        assert_eq!(register_code(device), "7F3A2C");
        assert_eq!(number("7F3A2C", 42), "7F3A2C-000042");
        assert_eq!(seq_of("7F3A2C", "7F3A2C-000042"), Some(42));
        assert_eq!(seq_of("7F3A2C", "7F3A2D-000042"), None);
        assert_eq!(seq_of("7F3A2C", "7F3A2C-00004x"), None);
        assert_eq!(seq_of("7F3A2C", "7F3A2C-"), None);
        assert_eq!(seq_of("CN-7F3A2C", "7F3A2C-000001"), None);
        assert_eq!(next_number("7F3A2C", []), "7F3A2C-000001");
        assert_eq!(short_number("7F3A2C", 42), "7F3A2C-42");
        assert_eq!(seq_of("7F3A2C", "7F3A2C-42"), Some(42));
        assert_eq!(
            next_number(
                "7F3A2C",
                ["7F3A2C-000002", "AAAAAA-000090", "7F3A2C-000010", "junk"]
            ),
            "7F3A2C-000011"
        );
        // Past a million the series keeps counting.
        assert_eq!(next_number("7F3A2C", ["7F3A2C-999999"]), "7F3A2C-1000000");
    }
}
