//! Sealing signed changesets into sync envelopes, and opening them: the end-to-end
//! encryption of sync. A signed changeset (its device's signature, then the compressed
//! changeset: [`SignedChangeset`]) is sealed with XChaCha20-Poly1305 under the clinic's
//! data key with a random 24-byte nonce, its length written inside and zero bytes added
//! up to a PADMÉ size; the clear header (layout in `vetdesk_proto::envelope`) is the
//! associated data. The server sees the header and the padded ciphertext only. The
//! envelope id is the changeset's content id ([`content_id`]), so the same changeset
//! sealed twice is recognisably one, and another changeset of a reused seq is not.
//!
//! Opening refuses, each with its own error: bytes that are not an envelope, another
//! clinic's envelope, a key id we do not hold, any changed byte (header or body), a
//! body paired with another envelope's header, and a header that disagrees with the
//! changeset inside (or its content id), and padding that is not zeros. Whether the
//! signature counts is merge's question (it needs the
//! clinic's membership log): opening only hands it over. A format-1 envelope (from
//! before signed changesets) opens as an unsigned changeset.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use vetdesk_proto::envelope::{
    ENVELOPE_FORMAT, EnvelopeHeader, HEADER_LEN, HeaderError, MAX_ENVELOPE_BYTES, TAG_LEN,
    padded_len,
};
use zeroize::Zeroizing;

use crate::signing::{SIGNATURE_LEN, SignedChangeset};

/// A clinic data key: 256 random bits and the id envelopes name it by.
pub struct DataKey {
    id: u32,
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey {{ id: {}, .. }}", self.id)
    }
}

impl DataKey {
    /// A new random key.
    pub fn random(id: u32) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill(&mut key[..]);
        Self { id, key }
    }

    pub fn from_bytes(id: u32, bytes: [u8; 32]) -> Self {
        Self {
            id,
            key: Zeroizing::new(bytes),
        }
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    /// The key itself, for storing it in the encrypted store.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.key.as_ref().into())
    }
}

/// Why an envelope was refused. Nothing of a refused envelope is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error("the envelope belongs to clinic {found}, not this clinic ({expected})")]
    WrongClinic { found: Uuid, expected: Uuid },
    #[error(
        "the envelope was sealed with key {0}, which this device does not hold: enroll it again, or ask an admin to re-share the clinic key"
    )]
    UnknownKey(u32),
    #[error(
        "the envelope does not open with this clinic's key {0}: it was changed on the way, or sealed with a different key of the same id"
    )]
    DoesNotOpen(u32),
    #[error(
        "the envelope's header and the changeset inside disagree ({0}): it was assembled from two envelopes"
    )]
    Disagrees(&'static str),
    #[error("the envelope opened but its changeset does not decode: {0}")]
    Undecodable(String),
    #[error("the changeset is too large for one envelope ({0} bytes)")]
    TooLarge(usize),
    #[error("the changeset is not signed: this build seals only signed changesets")]
    Unsigned,
}

/// The content id of a signed changeset: a UUIDv8 from a hash of its signature. The
/// signature (Ed25519, deterministic) covers the whole changeset, so the id is the same
/// each time the changeset is sealed and differs for any other; the server, which never
/// sees the signature, learns nothing else from it.
pub fn content_id(signature: &[u8; SIGNATURE_LEN]) -> Uuid {
    let digest = Sha256::new()
        .chain_update(b"vetdesk envelope content id v1")
        .chain_update(signature)
        .finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    Uuid::new_v8(id)
}

/// Bytes of a format-3 plaintext before the changeset: the signature and its length.
const PREFIX_LEN: usize = SIGNATURE_LEN + 4;

/// What a format-3 envelope holds inside: the signature, the body's length, the body,
/// and zeros up to the padded size of the whole envelope.
fn padded_plaintext(
    signature: &[u8; SIGNATURE_LEN],
    body: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let too_large = || EnvelopeError::TooLarge(body.len());
    let body_len = u32::try_from(body.len()).map_err(|_| too_large())?;
    let unpadded = HEADER_LEN + PREFIX_LEN + body.len() + TAG_LEN;
    // Padding never takes an envelope past the largest one accepted.
    let envelope_len = padded_len(unpadded).min(MAX_ENVELOPE_BYTES.max(unpadded));
    let mut plaintext = Vec::with_capacity(envelope_len - HEADER_LEN - TAG_LEN);
    plaintext.extend_from_slice(signature);
    plaintext.extend_from_slice(&body_len.to_be_bytes());
    plaintext.extend_from_slice(body);
    plaintext.resize(envelope_len - HEADER_LEN - TAG_LEN, 0);
    Ok(plaintext)
}

/// Seals `signed` of `clinic` under `key`.
pub fn seal(
    signed: &SignedChangeset,
    clinic: Uuid,
    key: &DataKey,
) -> Result<Vec<u8>, EnvelopeError> {
    let changeset = &signed.changeset;
    let signature = signed.signature.ok_or(EnvelopeError::Unsigned)?;
    let mut nonce = [0u8; 24];
    rand::rng().fill(&mut nonce[..]);
    let header = EnvelopeHeader {
        format: ENVELOPE_FORMAT,
        envelope_id: content_id(&signature),
        clinic_id: clinic,
        device_id: changeset.device,
        device_seq: changeset.seq,
        key_id: key.id,
        schema_version: u32::try_from(changeset.schema_version).unwrap_or(0),
        hlc: changeset.hlc,
        nonce,
    };
    seal_with(&header, &padded_plaintext(&signature, &signed.body)?, key)
}

fn seal_with(
    header: &EnvelopeHeader,
    plaintext: &[u8],
    key: &DataKey,
) -> Result<Vec<u8>, EnvelopeError> {
    let aad = header.to_bytes();
    let sealed = key
        .cipher()
        .encrypt(
            XNonce::from_slice(&header.nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| EnvelopeError::TooLarge(plaintext.len()))?;
    let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
    out.extend_from_slice(&aad);
    out.extend_from_slice(&sealed);
    if out.len() > MAX_ENVELOPE_BYTES {
        return Err(EnvelopeError::TooLarge(out.len()));
    }
    Ok(out)
}

/// Opens an envelope of `clinic` with whichever of `keys` it names.
pub fn open(
    envelope: &[u8],
    clinic: Uuid,
    keys: &[DataKey],
) -> Result<(EnvelopeHeader, SignedChangeset), EnvelopeError> {
    let header = EnvelopeHeader::parse(envelope)?;
    if header.clinic_id != clinic {
        return Err(EnvelopeError::WrongClinic {
            found: header.clinic_id,
            expected: clinic,
        });
    }
    let key = keys
        .iter()
        .find(|k| k.id == header.key_id)
        .ok_or(EnvelopeError::UnknownKey(header.key_id))?;
    let plaintext = key
        .cipher()
        .decrypt(
            XNonce::from_slice(&header.nonce),
            Payload {
                msg: &envelope[HEADER_LEN..],
                aad: &envelope[..HEADER_LEN],
            },
        )
        .map_err(|_| EnvelopeError::DoesNotOpen(key.id))?;
    let signed = match header.format {
        1 => SignedChangeset::unsigned(plaintext),
        2 => {
            let (signature, body) = plaintext
                .split_first_chunk::<SIGNATURE_LEN>()
                .ok_or_else(|| EnvelopeError::Undecodable("shorter than its signature".into()))?;
            SignedChangeset::from_parts(body.to_vec(), Some(*signature))
        }
        _ => {
            let (signature, body) = unpad(&plaintext)?;
            if header.envelope_id != content_id(&signature) {
                return Err(EnvelopeError::Disagrees("content id"));
            }
            SignedChangeset::from_parts(body.to_vec(), Some(signature))
        }
    }
    .map_err(|e| EnvelopeError::Undecodable(e.to_string()))?;
    let changeset = &signed.changeset;
    if changeset.device != header.device_id {
        return Err(EnvelopeError::Disagrees("device"));
    }
    if changeset.seq != header.device_seq {
        return Err(EnvelopeError::Disagrees("seq"));
    }
    if changeset.hlc != header.hlc {
        return Err(EnvelopeError::Disagrees("clock"));
    }
    Ok((header, signed))
}

/// The signature and the body of a format-3 plaintext; its padding must be zeros, so
/// nothing travels hidden in it.
fn unpad(plaintext: &[u8]) -> Result<([u8; SIGNATURE_LEN], &[u8]), EnvelopeError> {
    let short = || EnvelopeError::Undecodable("shorter than its signature and length".into());
    let (signature, rest) = plaintext
        .split_first_chunk::<SIGNATURE_LEN>()
        .ok_or_else(short)?;
    let (length, rest) = rest.split_first_chunk::<4>().ok_or_else(short)?;
    let body_len = usize::try_from(u32::from_be_bytes(*length)).unwrap_or(usize::MAX);
    if body_len > rest.len() {
        return Err(EnvelopeError::Undecodable(format!(
            "its changeset is said to be {body_len} bytes, but only {} follow",
            rest.len()
        )));
    }
    let (body, padding) = rest.split_at(body_len);
    if padding.iter().any(|b| *b != 0) {
        return Err(EnvelopeError::Undecodable(
            "its padding is not zeros".into(),
        ));
    }
    Ok((*signature, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{Change, Changeset, Op, Value};
    use crate::signing::DeviceSigner;

    fn signer() -> DeviceSigner {
        DeviceSigner::from_secret(&Zeroizing::new([0x42; 32]))
    }

    fn changeset(seq: u64, name: &str) -> SignedChangeset {
        SignedChangeset::sign(plain(seq, name), CLINIC, &signer())
    }

    fn plain(seq: u64, name: &str) -> Changeset {
        Changeset {
            device: Uuid::from_u128(0xd1),
            seq,
            schema_version: 2,
            hlc: [1, 2, 3, 4, 5, 6, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9],
            author: Some(Uuid::from_u128(0x5)),
            changes: vec![Change {
                table: "patients".into(),
                row: Uuid::now_v7(),
                op: Op::Insert(vec![
                    ("name".into(), Value::text(name)),
                    (
                        "alerts".into(),
                        Value::text("Bites when her left ear is touched"),
                    ),
                ]),
            }],
        }
    }

    fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    const CLINIC: Uuid = Uuid::from_u128(0xc1);

    #[test]
    fn a_sealed_changeset_opens_and_shows_no_plaintext() {
        let key = DataKey::random(1);
        let sealed = ok(seal(&changeset(7, "Bellatrix"), CLINIC, &key));
        let (header, opened) = ok(open(&sealed, CLINIC, &[DataKey::random(0), key]));
        assert_eq!(
            opened.changeset,
            changeset_with_row(&opened.changeset, 7, "Bellatrix")
        );
        assert!(
            opened.signed_by(CLINIC, &signer().public_key()),
            "the device's signature travels inside"
        );
        assert_eq!(
            (
                header.format,
                header.device_seq,
                header.key_id,
                header.clinic_id
            ),
            (ENVELOPE_FORMAT, 7, 1, CLINIC)
        );
        let text = String::from_utf8_lossy(&sealed);
        assert!(
            !text.contains("Bellatrix") && !text.contains("left ear") && !text.contains("patients")
        );
    }

    fn changeset_with_row(like: &Changeset, seq: u64, name: &str) -> Changeset {
        let mut c = plain(seq, name);
        c.changes[0].row = like.changes[0].row;
        c
    }

    /// What a format-3 envelope holds inside.
    fn inside(signed: &SignedChangeset) -> Vec<u8> {
        ok(padded_plaintext(
            &signed.signature.unwrap_or([0; SIGNATURE_LEN]),
            &signed.body,
        ))
    }

    #[test]
    fn an_envelope_from_before_signatures_opens_unsigned_and_none_is_sealed_unsigned() {
        let key = DataKey::random(1);
        let old = plain(3, "Rex");
        let header = EnvelopeHeader {
            format: 1,
            envelope_id: Uuid::now_v7(),
            clinic_id: CLINIC,
            device_id: old.device,
            device_seq: old.seq,
            key_id: 1,
            schema_version: 2,
            hlc: old.hlc,
            nonce: [9; 24],
        };
        let sealed = ok(seal_with(&header, &old.encode(), &key));
        let (header, opened) = ok(open(&sealed, CLINIC, &[key]));
        assert_eq!((header.format, opened.signature), (1, None));
        assert_eq!(opened.changeset, old);

        let unsigned = SignedChangeset {
            signature: None,
            ..changeset(4, "Rex")
        };
        assert_eq!(
            seal(&unsigned, CLINIC, &DataKey::random(1)).err(),
            Some(EnvelopeError::Unsigned)
        );
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let key = DataKey::random(1);
        let sealed = ok(seal(&changeset(7, "Bella"), CLINIC, &key));
        let keys = [key];
        for at in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[at] ^= 0x01;
            assert!(
                open(&tampered, CLINIC, &keys).is_err(),
                "byte {at} changed and still opened"
            );
        }
        assert!(
            open(&sealed[..sealed.len() - 1], CLINIC, &keys).is_err(),
            "a truncated envelope"
        );
    }

    #[test]
    fn swapped_wrong_key_and_wrong_clinic_envelopes_say_why() {
        let key = DataKey::random(1);
        let keys = [DataKey::from_bytes(1, *key.key)];
        let bella = changeset(1, "Bella");
        let first = ok(seal(&bella, CLINIC, &key));
        let second = ok(seal(&changeset(2, "Max"), CLINIC, &key));
        let mut swapped = first[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&second[HEADER_LEN..]);
        assert_eq!(
            open(&swapped, CLINIC, &keys).err(),
            Some(EnvelopeError::DoesNotOpen(1))
        );

        let other_key_same_id = [DataKey::random(1)];
        assert_eq!(
            open(&first, CLINIC, &other_key_same_id).err(),
            Some(EnvelopeError::DoesNotOpen(1))
        );
        assert_eq!(
            open(&first, CLINIC, &[DataKey::random(2)]).err(),
            Some(EnvelopeError::UnknownKey(1))
        );
        let elsewhere = Uuid::from_u128(0xc2);
        assert!(matches!(
            open(&first, elsewhere, &keys),
            Err(EnvelopeError::WrongClinic { .. })
        ));

        // A device holding the key cannot pass one changeset off as another seq.
        let mut header = ok(EnvelopeHeader::parse(&first));
        header.device_seq = 9;
        let forged = ok(seal_with(&header, &inside(&bella), &key));
        assert_eq!(
            open(&forged, CLINIC, &keys).err(),
            Some(EnvelopeError::Disagrees("seq"))
        );
    }

    #[test]
    fn a_changeset_sealed_twice_has_one_content_id_and_another_changeset_another() {
        let key = DataKey::random(1);
        let header = |bytes: &[u8]| ok(EnvelopeHeader::parse(bytes));
        let bella = changeset(7, "Bella");
        let (once, again) = (
            ok(seal(&bella, CLINIC, &key)),
            ok(seal(&bella, CLINIC, &DataKey::random(2))),
        );
        assert_ne!(once, again, "each sealing has its own nonce");
        assert_eq!(header(&once).envelope_id, header(&again).envelope_id);
        assert_eq!(header(&once).envelope_id.get_version_num(), 8);
        let other = ok(seal(&changeset(7, "Max"), CLINIC, &key));
        assert_ne!(header(&once).envelope_id, header(&other).envelope_id);

        // A device holding the key cannot name an envelope after another changeset.
        let mut renamed = header(&once);
        renamed.envelope_id = header(&other).envelope_id;
        let forged = ok(seal_with(&renamed, &inside(&bella), &key));
        assert_eq!(
            open(&forged, CLINIC, &[key]).err(),
            Some(EnvelopeError::Disagrees("content id"))
        );
    }

    #[test]
    fn sizes_are_padded_and_the_padding_carries_nothing() {
        let key = DataKey::random(1);
        // Text that does not compress away: hex of a hash chain.
        let long = |n: usize| {
            let mut text = String::new();
            let mut block = [0u8; 32];
            while text.len() < n {
                block = Sha256::digest(block).into();
                text.extend(block.iter().map(|b| format!("{b:02x}")));
            }
            text.truncate(n);
            text
        };
        let mut sizes = std::collections::BTreeSet::new();
        for n in (0..4000).step_by(7) {
            let sealed = ok(seal(&changeset(1, &long(n)), CLINIC, &key));
            assert_eq!(padded_len(sealed.len()), sealed.len(), "{n}");
            sizes.insert(sealed.len());
            let (_, opened) = ok(open(&sealed, CLINIC, std::slice::from_ref(&key)));
            assert_eq!(opened.changeset.changes.len(), 1);
        }
        assert!(sizes.len() < 100, "{} distinct envelope sizes", sizes.len());

        let signed = changeset(1, "Bella");
        let mut header = ok(EnvelopeHeader::parse(&ok(seal(&signed, CLINIC, &key))));
        let mut hidden = inside(&signed);
        let last = hidden.len() - 1;
        hidden[last] = 1;
        header.nonce = [3; 24];
        let smuggled = ok(seal_with(&header, &hidden, &key));
        assert!(matches!(
            open(&smuggled, CLINIC, std::slice::from_ref(&key)),
            Err(EnvelopeError::Undecodable(why)) if why.contains("padding")
        ));
        let mut overlong = inside(&signed);
        overlong[SIGNATURE_LEN..PREFIX_LEN].copy_from_slice(&u32::MAX.to_be_bytes());
        let lying = ok(seal_with(&header, &overlong, &key));
        assert!(matches!(
            open(&lying, CLINIC, &[key]),
            Err(EnvelopeError::Undecodable(why)) if why.contains("only")
        ));
    }
}
