//! Sealing signed changesets into sync envelopes, and opening them: the end-to-end
//! encryption of sync. A signed changeset (its device's signature, then the compressed
//! changeset: [`SignedChangeset`]) is sealed with XChaCha20-Poly1305 under the clinic's
//! data key with a random 24-byte nonce; the clear header (layout in
//! `vetdesk_proto::envelope`) is the associated data. The server sees the header and
//! ciphertext only.
//!
//! Opening refuses, each with its own error: bytes that are not an envelope, another
//! clinic's envelope, a key id we do not hold, any changed byte (header or body), a
//! body paired with another envelope's header, and a header that disagrees with the
//! changeset inside. Whether the signature counts is merge's question (it needs the
//! clinic's membership log): opening only hands it over. A format-1 envelope (from
//! before signed changesets) opens as an unsigned changeset.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use uuid::Uuid;
use vetdesk_proto::envelope::{
    ENVELOPE_FORMAT, EnvelopeHeader, HEADER_LEN, HeaderError, MAX_ENVELOPE_BYTES,
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

/// Seals `signed` of `clinic` under `key`.
pub fn seal(
    signed: &SignedChangeset,
    clinic: Uuid,
    key: &DataKey,
    envelope_id: Uuid,
) -> Result<Vec<u8>, EnvelopeError> {
    let changeset = &signed.changeset;
    let signature = signed.signature.ok_or(EnvelopeError::Unsigned)?;
    let mut nonce = [0u8; 24];
    rand::rng().fill(&mut nonce[..]);
    let header = EnvelopeHeader {
        format: ENVELOPE_FORMAT,
        envelope_id,
        clinic_id: clinic,
        device_id: changeset.device,
        device_seq: changeset.seq,
        key_id: key.id,
        schema_version: u32::try_from(changeset.schema_version).unwrap_or(0),
        hlc: changeset.hlc,
        nonce,
    };
    let mut plaintext = Vec::with_capacity(SIGNATURE_LEN + signed.body.len());
    plaintext.extend_from_slice(&signature);
    plaintext.extend_from_slice(&signed.body);
    seal_with(&header, &plaintext, key)
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
    let signed = if header.format >= 2 {
        let (signature, body) = plaintext
            .split_first_chunk::<SIGNATURE_LEN>()
            .ok_or_else(|| EnvelopeError::Undecodable("shorter than its signature".into()))?;
        SignedChangeset::from_parts(body.to_vec(), Some(*signature))
    } else {
        SignedChangeset::unsigned(plaintext)
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
        let sealed = ok(seal(
            &changeset(7, "Bellatrix"),
            CLINIC,
            &key,
            Uuid::now_v7(),
        ));
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

    /// What a format-2 envelope holds inside: the signature, then the body.
    fn inside(signed: &SignedChangeset) -> Vec<u8> {
        let mut out = signed.signature.map(|s| s.to_vec()).unwrap_or_default();
        out.extend_from_slice(&signed.body);
        out
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
            seal(&unsigned, CLINIC, &DataKey::random(1), Uuid::now_v7()).err(),
            Some(EnvelopeError::Unsigned)
        );
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let key = DataKey::random(1);
        let sealed = ok(seal(&changeset(7, "Bella"), CLINIC, &key, Uuid::now_v7()));
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
        let first = ok(seal(&changeset(1, "Bella"), CLINIC, &key, Uuid::now_v7()));
        let second = ok(seal(&changeset(2, "Max"), CLINIC, &key, Uuid::now_v7()));
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
        let forged = ok(seal_with(&header, &inside(&changeset(1, "Bella")), &key));
        assert_eq!(
            open(&forged, CLINIC, &keys).err(),
            Some(EnvelopeError::Disagrees("seq"))
        );
    }
}
