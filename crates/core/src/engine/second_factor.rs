//! The admins' second factor, pure: RFC 6238 one-time codes (HMAC-SHA1, six digits,
//! 30-second steps, one step of clock skew either way), the `otpauth://` address and QR
//! code an authenticator app scans, and single-use recovery codes. The store's side —
//! where secrets live, replay and lockout, which acts need it — is in
//! `services::second_factor`.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};
use zeroize::Zeroizing;

/// Seconds in one code's step (RFC 6238's default; what every authenticator app uses).
pub const STEP_SECONDS: u64 = 30;
/// Digits in a code.
pub const DIGITS: usize = 6;
/// Bytes of a new secret: 160 bits, as RFC 4226 recommends for HMAC-SHA1.
pub const SECRET_BYTES: usize = 20;
/// Recovery codes made at enrollment; each works once.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code, without its dashes: 12 of 32 symbols, 60 bits.
const RECOVERY_CHARS: usize = 12;
/// Crockford's base 32: no I, L, O or U, so a code read aloud or from paper is not misread.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Why a secret or code cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecondFactorError {
    #[error("the authenticator secret is not valid base 32 of at least 128 bits")]
    BadSecret,
    #[error("the name {0:?} cannot go in an authenticator address")]
    BadLabel(String),
}

/// An authenticator secret, base 32 as apps show it; zeroed when dropped.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<String>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
        rand::Rng::fill(&mut rand::rng(), bytes.as_mut_slice());
        Self(Zeroizing::new(
            Secret::Raw(bytes.to_vec()).to_encoded().to_string(),
        ))
    }

    /// A secret as typed or stored: base 32, spaces and case ignored.
    pub fn parse(text: &str) -> Result<Self, SecondFactorError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = Secret::Encoded(cleaned.clone())
            .to_bytes()
            .map_err(|_| SecondFactorError::BadSecret)?;
        if bytes.len() < 16 {
            return Err(SecondFactorError::BadSecret);
        }
        Ok(Self(Zeroizing::new(cleaned)))
    }

    pub fn as_base32(&self) -> &str {
        &self.0
    }

    fn totp(&self, issuer: Option<String>, account: String) -> Result<TOTP, SecondFactorError> {
        let bytes = Secret::Encoded(self.0.to_string())
            .to_bytes()
            .map_err(|_| SecondFactorError::BadSecret)?;
        TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            1,
            STEP_SECONDS,
            bytes,
            issuer,
            account,
        )
        .map_err(|e| match e {
            totp_rs::TotpUrlError::Issuer(s) | totp_rs::TotpUrlError::AccountName(s) => {
                SecondFactorError::BadLabel(s)
            }
            _ => SecondFactorError::BadSecret,
        })
    }
}

/// The step a moment falls in (seconds since 1970 over 30).
pub fn step_at(now: OffsetDateTime) -> u64 {
    u64::try_from(now.unix_timestamp()).unwrap_or(0) / STEP_SECONDS
}

/// The code an authenticator shows for `secret` at `now`.
pub fn code_at(secret: &TotpSecret, now: OffsetDateTime) -> Result<String, SecondFactorError> {
    let time = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    Ok(secret.totp(None, String::new())?.generate(time))
}

/// The step whose code `code` is, if it is the code of the step at `now` or of the one
/// before or after (a phone's clock a little off), and later than `last_used`: a code
/// is accepted once (RFC 6238 §5.2), and never one older than the last accepted.
/// Compared in constant time. Pure.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now: OffsetDateTime,
    last_used: Option<u64>,
) -> Result<Option<u64>, SecondFactorError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = secret.totp(None, String::new())?;
    let current = step_at(now);
    let mut matched = None;
    for step in current.saturating_sub(1)..=current + 1 {
        let expected = totp.generate(step * STEP_SECONDS);
        let fresh = last_used.is_none_or(|last| step > last);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && fresh {
            matched = Some(step);
        }
    }
    Ok(matched)
}

/// What an authenticator app scans: an `otpauth://totp/` address naming the clinic and
/// the staff member, and the same as a QR code (SVG for the app, text for a terminal).
#[derive(Debug, Clone)]
pub struct Provisioning {
    pub secret: TotpSecret,
    pub uri: Zeroizing<String>,
    pub qr_svg: Zeroizing<String>,
    pub qr_text: Zeroizing<String>,
}

/// The address and QR code for `secret`, labelled with the clinic and the staff member
/// (a colon, which the address format reserves, becomes a space).
pub fn provisioning(
    secret: &TotpSecret,
    clinic: &str,
    staff: &str,
) -> Result<Provisioning, SecondFactorError> {
    let label = |s: &str| -> String { s.replace(':', " ").trim().to_string() };
    let issuer = format!("Vetdesk {}", label(clinic));
    let totp = secret.totp(Some(issuer.trim().to_string()), label(staff))?;
    let uri = Zeroizing::new(totp.get_url());
    let qr = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| SecondFactorError::BadLabel(staff.to_string()))?;
    let qr_svg = Zeroizing::new(
        qr.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    );
    let qr_text = Zeroizing::new(
        qr.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    );
    Ok(Provisioning {
        secret: secret.clone(),
        uri,
        qr_svg,
        qr_text,
    })
}

/// New recovery codes, `xxxx-xxxx-xxxx`, to be shown once and kept on paper.
pub fn new_recovery_codes() -> Vec<Zeroizing<String>> {
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut code = String::with_capacity(RECOVERY_CHARS + 2);
            for i in 0..RECOVERY_CHARS {
                if i > 0 && i % 4 == 0 {
                    code.push('-');
                }
                let symbol = RECOVERY_ALPHABET[rand::Rng::random_range(&mut rng, 0..32)];
                code.push(char::from(symbol));
            }
            Zeroizing::new(code)
        })
        .collect()
}

/// A recovery code as typed (case, dashes and spaces ignored; the letters Crockford
/// reads as digits taken as those digits), or `None` if it cannot be one.
pub fn normalize_recovery_code(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(RECOVERY_CHARS);
    for c in typed.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        };
        if !RECOVERY_ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
            return None;
        }
        out.push(c);
    }
    (out.len() == RECOVERY_CHARS).then_some(out)
}

/// What is stored of a recovery code: a hash keyed with the clinic's secret, so a copy of
/// the staff rows alone cannot be used to test guesses. Hex.
pub fn recovery_code_hash(clinic_secret: &[u8], normalized: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"vetdesk recovery code v1");
    hasher.update((clinic_secret.len() as u64).to_be_bytes());
    hasher.update(clinic_secret);
    hasher.update(normalized.as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 6238 appendix B's SHA-1 secret ("12345678901234567890"), base 32.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").expect("valid")
    }

    #[test]
    fn codes_match_rfc_6238_test_vectors() -> Result<(), SecondFactorError> {
        // Appendix B gives eight digits; six are its last six.
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(&rfc_secret(), at(time))?, eight[2..], "at {time}");
        }
        Ok(())
    }

    #[test]
    fn a_code_is_accepted_in_its_step_and_one_either_side_once() -> Result<(), SecondFactorError> {
        let secret = TotpSecret::generate();
        let now = at(1_790_000_000);
        let code = code_at(&secret, now)?;
        let step = step_at(now);
        assert_eq!(verify(&secret, &code, now, None)?, Some(step));
        assert_eq!(verify(&secret, &code, at(1_790_000_030), None)?, Some(step));
        assert_eq!(verify(&secret, &code, at(1_789_999_970), None)?, Some(step));
        assert_eq!(verify(&secret, &code, at(1_790_000_090), None)?, None);
        // Replayed, or older than the last one used.
        assert_eq!(verify(&secret, &code, now, Some(step))?, None);
        assert_eq!(verify(&secret, &code, now, Some(step + 1))?, None);
        assert_eq!(verify(&secret, " 000000x", now, None)?, None);
        Ok(())
    }

    #[test]
    fn secrets_are_parsed_leniently_but_must_be_long_enough() {
        let secret = TotpSecret::generate();
        assert_eq!(secret.as_base32().len(), 32);
        let spaced = secret.as_base32().to_lowercase();
        assert!(TotpSecret::parse(&spaced).is_ok());
        assert_eq!(
            TotpSecret::parse("GEZDGNBV").map(|_| ()),
            Err(SecondFactorError::BadSecret)
        );
        assert!(TotpSecret::parse("not base32!").is_err());
    }

    #[test]
    fn the_qr_code_carries_the_otpauth_address() -> Result<(), SecondFactorError> {
        let secret = TotpSecret::generate();
        let p = provisioning(&secret, "Riverside: Vets", "Dr Ada")?;
        assert!(p.uri.starts_with("otpauth://totp/"));
        assert!(p.uri.contains(&format!("secret={}", secret.as_base32())));
        assert!(p.uri.contains("issuer=Vetdesk%20Riverside"));
        assert!(p.qr_svg.contains("<svg"));
        assert!(p.qr_text.lines().count() > 10);
        Ok(())
    }

    /// The dark squares of an SVG the `qrcode` crate drew, as a bitmap.
    fn svg_bitmap(svg: &str) -> (usize, Vec<bool>) {
        let width: usize = svg
            .split("width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|w| w.parse().ok())
            .unwrap_or(0);
        let mut dark = vec![false; width * width];
        let path = svg.split(" d=\"").nth(1).unwrap_or("");
        for rect in path.split('M').skip(1) {
            let numbers: Vec<usize> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .filter_map(|n| n.parse().ok())
                .collect();
            if let [left, top, w, h, ..] = numbers[..] {
                for y in top..(top + h).min(width) {
                    for x in left..(left + w).min(width) {
                        dark[y * width + x] = true;
                    }
                }
            }
        }
        (width, dark)
    }

    #[test]
    fn the_qr_code_the_app_shows_scans_back_to_the_address() -> Result<(), SecondFactorError> {
        let secret = TotpSecret::generate();
        let p = provisioning(&secret, "Riverside Vets", "Dr Ada Vet")?;
        let (width, dark) = svg_bitmap(&p.qr_svg);
        assert!(width >= 200, "{width}");
        let mut image =
            rqrr::PreparedImage::prepare_from_bitmap(width, width, |x, y| dark[y * width + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0]
            .decode()
            .map_err(|_| SecondFactorError::BadSecret)?;
        assert_eq!(content, p.uri.as_str());
        Ok(())
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_back_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let normalized: std::collections::BTreeSet<_> = codes
            .iter()
            .filter_map(|c| normalize_recovery_code(c))
            .collect();
        assert_eq!(normalized.len(), RECOVERY_CODES);
        assert_eq!(
            normalize_recovery_code("AB0C DEFG-HJKM"),
            Some("ab0cdefghjkm".into())
        );
        assert_eq!(
            normalize_recovery_code("abOc-defg-hjkm"),
            Some("ab0cdefghjkm".into())
        );
        assert_eq!(normalize_recovery_code("abc"), None);
        assert_eq!(normalize_recovery_code("abcd-efgh-jkmu"), None);
        let secret = [7u8; 32];
        assert_ne!(
            recovery_code_hash(&secret, "ab0cdefghjkm"),
            recovery_code_hash(&[8u8; 32], "ab0cdefghjkm")
        );
    }
}
