//! Device management the clinic authorises (issue 15, requirement 2; SECURITY-REVIEW.md
//! H4): inviting, approving and revoking devices are requests **signed** by a device
//! that manages the clinic's devices, not merely sent with a device's bearer token.
//!
//! - The clinic's first device manages from the start: the clinic id is made from its
//!   key ([`clinic_id_founded_by`]), so the server checks the founder's key against the
//!   id it registers, needing no one's word.
//! - A managing device may approve another as managing too (`Approve::manages`); the
//!   server keeps which devices manage, from these signed requests alone.
//! - Each signed request carries [`SIGNATURE_HEADER`]: a counter, which must grow with
//!   every request of that device (a replayed request is refused), and the device's
//!   Ed25519 signature over [`signed_message`] — the clinic, the device, the method, the
//!   path, the counter and the SHA-256 of the body.
//!
//! Byte layouts only; devices sign with their device key, the server verifies.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Header of a signed management request: `<counter>.<signature in hex>`.
pub const SIGNATURE_HEADER: &str = "x-vetdesk-signature";
/// What a management signature covers, before the request's parts.
const MANAGEMENT_DOMAIN: &[u8] = b"vetdesk device management v1\0";
/// What a clinic id is derived from, before the founding device's key.
const CLINIC_ID_DOMAIN: &[u8] = b"vetdesk clinic founded by v2\0";

/// The id of the clinic whose founding device's Ed25519 public key is `founder`: a
/// UUIDv8 of the first 16 bytes of a domain-separated SHA-256.
pub fn clinic_id_founded_by(founder: &[u8; 32]) -> Uuid {
    let digest = Sha256::new()
        .chain_update(CLINIC_ID_DOMAIN)
        .chain_update(founder)
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The bytes a device signs for one management request.
pub fn signed_message(
    clinic: Uuid,
    device: Uuid,
    method: &str,
    path: &str,
    counter: u64,
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(MANAGEMENT_DOMAIN.len() + 32 + method.len() + path.len() + 42);
    out.extend_from_slice(MANAGEMENT_DOMAIN);
    out.extend_from_slice(clinic.as_bytes());
    out.extend_from_slice(device.as_bytes());
    out.extend_from_slice(method.as_bytes());
    out.push(0);
    out.extend_from_slice(path.as_bytes());
    out.push(0);
    out.extend_from_slice(&counter.to_be_bytes());
    out.extend_from_slice(&Sha256::digest(body));
    out
}

/// The header's value for `counter` and `signature`.
pub fn signature_header(counter: u64, signature: &[u8; 64]) -> String {
    let mut out = format!("{counter}.");
    for byte in signature {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Reads a header made by [`signature_header`].
pub fn parse_signature_header(value: &str) -> Option<(u64, [u8; 64])> {
    let (counter, hex) = value.split_once('.')?;
    let counter = counter.parse().ok()?;
    if hex.len() != 128 || !hex.is_ascii() {
        return None;
    }
    let mut signature = [0u8; 64];
    for (i, byte) in signature.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some((counter, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_read_back_and_damaged_ones_do_not() {
        let signature = [0xab; 64];
        let header = signature_header(42, &signature);
        assert_eq!(parse_signature_header(&header), Some((42, signature)));
        for bad in [
            "",
            "42",
            "x.ab",
            "42.abab",
            &header[..header.len() - 1],
            &format!("{header}0"),
        ] {
            assert_eq!(parse_signature_header(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_signature_header(&format!("1.{}", "zz".repeat(64))),
            None
        );
    }

    #[test]
    fn every_part_of_a_request_changes_what_is_signed() {
        let (clinic, device) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let base = signed_message(clinic, device, "POST", "/v1/devices/revoke", 7, b"body");
        for other in [
            signed_message(
                Uuid::from_u128(3),
                device,
                "POST",
                "/v1/devices/revoke",
                7,
                b"body",
            ),
            signed_message(
                clinic,
                Uuid::from_u128(3),
                "POST",
                "/v1/devices/revoke",
                7,
                b"body",
            ),
            signed_message(clinic, device, "GET", "/v1/devices/revoke", 7, b"body"),
            signed_message(clinic, device, "POST", "/v1/devices/approve", 7, b"body"),
            signed_message(clinic, device, "POST", "/v1/devices/revoke", 8, b"body"),
            signed_message(clinic, device, "POST", "/v1/devices/revoke", 7, b"bodz"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn a_clinic_id_is_made_from_its_founders_key() {
        let id = clinic_id_founded_by(&[7; 32]);
        assert_eq!(id.get_version_num(), 8);
        assert_eq!(id, clinic_id_founded_by(&[7; 32]));
        assert_ne!(id, clinic_id_founded_by(&[8; 32]));
    }
}
