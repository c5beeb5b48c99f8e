//! Clinic key epochs (issue 15, requirement 3; SECURITY-REVIEW.md H5): when a device is
//! revoked, the revoking device makes a new clinic key, and every envelope sealed after
//! that uses it. The revoked device keeps the keys it had, so it can still open what was
//! written before; it never receives the new one, so it opens nothing written after.
//!
//! The new key reaches each remaining member in a **grant**: a *bundle* of every clinic
//! key (old envelopes stay readable on a device that joined late), sealed to the
//! member's X25519 key (libsodium sealed box, as at enrollment), inside a record that
//! names the clinic, the member and its key, the maker and the newest key id, signed by
//! the maker. The server relays grants; it can withhold one but can neither open nor
//! forge it, and a member accepts one only from a device the membership log shows as
//! a member that is not revoked (`crate::clinic_keys`).
//!
//! A bundle also names the devices the newest key's epoch **left out** (every device the
//! maker's membership log showed revoked when it made the key). A device seals only
//! with a key whose epoch left out every device its own log shows revoked
//! (`crate::clinic_keys`): once it has heard of a revocation it never seals with a key
//! the revoked device was given, even if a hostile server withholds its new grant.
//!
//! Key ids say the epoch: the upper 16 bits count epochs, the lower 16 are random, so
//! two admins who rotate at the same time on devices that cannot see each other make
//! two keys with different ids (both reach everyone; the higher seals from then on).
//! Pure: bytes and keys in, bytes and verdicts out (the only I/O is the sealed box's
//! random ephemeral key).

use crypto_box::PublicKey;
use crypto_box::aead::OsRng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::envelope::DataKey;
use crate::signing::{self, DeviceSigner};

/// Most keys a bundle carries: one epoch per revocation, so a clinic would need some
/// 200 revocations to reach it (and the grant still fits the server's limit).
pub const MAX_BUNDLE_KEYS: usize = 200;
/// Most devices a bundle names as left out of its newest key's epoch (one per
/// revocation; a grant of [`MAX_BUNDLE_KEYS`] keys and as many devices left out still
/// fits the server's limit).
pub const MAX_EXCLUDED: usize = 256;
/// A bundle's first byte: its format. Format 2: a big-endian u16 count of keys, the
/// keys, then the devices left out (16 bytes each). Format 1 (the keys only) and a
/// bundle of exactly 32 bytes (the single key sealed by builds from before key epochs)
/// are still read, as leaving nobody out.
const BUNDLE_FORMAT: u8 = 2;
const BUNDLE_FORMAT_KEYS_ONLY: u8 = 1;
const BUNDLE_ENTRY_LEN: usize = 4 + 32;
const DEVICE_ID_LEN: usize = 16;
const LEGACY_KEY_LEN: usize = 32;

/// What a bundle carries: every clinic key, and the devices its newest key's epoch left
/// out (revoked when it was made, so never given it).
#[derive(Debug)]
pub struct Bundle {
    pub keys: Vec<DataKey>,
    pub excluded: Vec<Uuid>,
}

/// Why a grant was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochError {
    #[error("a key grant that is not well formed")]
    Malformed,
    #[error("a key grant for another clinic or another device")]
    Misaddressed,
    #[error("a key grant whose signature is not its maker's")]
    BadSignature,
    #[error("a key grant that does not open with this device's key")]
    DoesNotOpen,
    #[error("the clinic has had {0} keys; a grant carries at most {MAX_BUNDLE_KEYS}")]
    TooManyKeys(usize),
    #[error("a key epoch can leave out at most {MAX_EXCLUDED} devices; {0} are revoked")]
    TooManyExcluded(usize),
    #[error("the clinic's key ids are used up")]
    IdsExhausted,
}

/// The id of the key of the epoch after the one whose newest key is `newest`; `random`
/// tells apart two epochs made at once.
pub fn next_key_id(newest: u32, random: u16) -> Result<u32, EpochError> {
    let epoch = (newest >> 16)
        .checked_add(1)
        .filter(|e| *e <= 0xFFFF)
        .ok_or(EpochError::IdsExhausted)?;
    Ok((epoch << 16) | u32::from(random))
}

/// The bundle of `keys` and the devices left out, in clear (wiped when dropped).
fn encode_bundle(keys: &[DataKey], excluded: &[Uuid]) -> Result<Zeroizing<Vec<u8>>, EpochError> {
    if keys.len() > MAX_BUNDLE_KEYS {
        return Err(EpochError::TooManyKeys(keys.len()));
    }
    if excluded.len() > MAX_EXCLUDED {
        return Err(EpochError::TooManyExcluded(excluded.len()));
    }
    let count = u16::try_from(keys.len()).map_err(|_| EpochError::TooManyKeys(keys.len()))?;
    let mut out = Zeroizing::new(Vec::with_capacity(
        3 + keys.len() * BUNDLE_ENTRY_LEN + excluded.len() * DEVICE_ID_LEN,
    ));
    out.push(BUNDLE_FORMAT);
    out.extend_from_slice(&count.to_be_bytes());
    for key in keys {
        out.extend_from_slice(&key.id().to_be_bytes());
        out.extend_from_slice(key.bytes());
    }
    for device in excluded {
        out.extend_from_slice(device.as_bytes());
    }
    Ok(out)
}

fn decode_keys(entries: &[u8]) -> Option<Vec<DataKey>> {
    if entries.is_empty()
        || !entries.len().is_multiple_of(BUNDLE_ENTRY_LEN)
        || entries.len() / BUNDLE_ENTRY_LEN > MAX_BUNDLE_KEYS
    {
        return None;
    }
    entries
        .chunks_exact(BUNDLE_ENTRY_LEN)
        .map(|entry| {
            let (id, key) = entry.split_first_chunk::<4>()?;
            Some(DataKey::from_bytes(
                u32::from_be_bytes(*id),
                key.try_into().ok()?,
            ))
        })
        .collect()
}

/// A bundle read back; a bare 32-byte key (older builds) is key `newest_id`. The
/// newest key it names must be in it.
fn decode_bundle(bytes: &[u8], newest_id: u32) -> Option<Bundle> {
    let bundle = if bytes.len() == LEGACY_KEY_LEN {
        let key: [u8; 32] = bytes.try_into().ok()?;
        Bundle {
            keys: vec![DataKey::from_bytes(newest_id, key)],
            excluded: Vec::new(),
        }
    } else {
        match bytes.split_first()? {
            (&BUNDLE_FORMAT_KEYS_ONLY, entries) => Bundle {
                keys: decode_keys(entries)?,
                excluded: Vec::new(),
            },
            (&BUNDLE_FORMAT, rest) => {
                let (count, rest) = rest.split_first_chunk::<2>()?;
                let keys_len = usize::from(u16::from_be_bytes(*count)) * BUNDLE_ENTRY_LEN;
                let (entries, excluded) = (rest.get(..keys_len)?, rest.get(keys_len..)?);
                if !excluded.len().is_multiple_of(DEVICE_ID_LEN)
                    || excluded.len() / DEVICE_ID_LEN > MAX_EXCLUDED
                {
                    return None;
                }
                Bundle {
                    keys: decode_keys(entries)?,
                    excluded: excluded
                        .chunks_exact(DEVICE_ID_LEN)
                        .map(|id| Uuid::from_slice(id).ok())
                        .collect::<Option<_>>()?,
                }
            }
            _ => return None,
        }
    };
    bundle
        .keys
        .iter()
        .any(|k| k.id() == newest_id)
        .then_some(bundle)
}

/// `keys`, and the devices the newest one's epoch left out, sealed to the device whose
/// public signing key is `recipient_key`.
pub fn seal_bundle(
    keys: &[DataKey],
    excluded: &[Uuid],
    recipient_key: &[u8; 32],
) -> Result<Vec<u8>, EpochError> {
    let x25519 = signing::x25519_public_of(recipient_key).ok_or(EpochError::Misaddressed)?;
    let bundle = encode_bundle(keys, excluded)?;
    PublicKey::from(x25519)
        .seal(&mut OsRng, &bundle)
        .map_err(|_| EpochError::Malformed)
}

/// Opens a bundle sealed to this device; it must hold key `newest_id`.
pub fn open_bundle(
    secret: &crypto_box::SecretKey,
    sealed: &[u8],
    newest_id: u32,
) -> Result<Bundle, EpochError> {
    let opened = Zeroizing::new(secret.unseal(sealed).map_err(|_| EpochError::DoesNotOpen)?);
    decode_bundle(&opened, newest_id).ok_or(EpochError::Malformed)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct EpochGrant {
    clinic_id: Uuid,
    recipient: Uuid,
    recipient_key: [u8; 32],
    maker: Uuid,
    key_id: u32,
    sealed_bundle: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct SignedEpochGrant {
    grant: Vec<u8>,
    signature: Vec<u8>,
}

/// Who a grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub clinic_id: Uuid,
    pub device_id: Uuid,
    pub device_key: [u8; 32],
}

/// A grant of `keys` (whose newest is `key_id`, whose epoch left out `excluded`) for
/// `recipient`, made and signed by the device `maker`.
pub fn make_grant(
    recipient: Recipient,
    maker: Uuid,
    signer: &DeviceSigner,
    key_id: u32,
    keys: &[DataKey],
    excluded: &[Uuid],
) -> Result<Vec<u8>, EpochError> {
    if !keys.iter().any(|k| k.id() == key_id) {
        return Err(EpochError::Malformed);
    }
    let grant = postcard::to_allocvec(&EpochGrant {
        clinic_id: recipient.clinic_id,
        recipient: recipient.device_id,
        recipient_key: recipient.device_key,
        maker,
        key_id,
        sealed_bundle: seal_bundle(keys, excluded, &recipient.device_key)?,
    })
    .map_err(|_| EpochError::Malformed)?;
    let signature = signer.sign_epoch_grant(&grant).to_vec();
    postcard::to_allocvec(&SignedEpochGrant { grant, signature }).map_err(|_| EpochError::Malformed)
}

/// A grant read and found addressed to this device; not yet checked against its maker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadGrant {
    pub maker: Uuid,
    pub key_id: u32,
    grant: Vec<u8>,
    signature: Vec<u8>,
    sealed_bundle: Vec<u8>,
}

/// Reads a grant: it must be for `me` (this clinic, this device, this device's key).
pub fn read_grant(bytes: &[u8], me: Recipient) -> Result<ReadGrant, EpochError> {
    let signed: SignedEpochGrant =
        postcard::from_bytes(bytes).map_err(|_| EpochError::Malformed)?;
    let grant: EpochGrant =
        postcard::from_bytes(&signed.grant).map_err(|_| EpochError::Malformed)?;
    if grant.clinic_id != me.clinic_id
        || grant.recipient != me.device_id
        || grant.recipient_key != me.device_key
    {
        return Err(EpochError::Misaddressed);
    }
    Ok(ReadGrant {
        maker: grant.maker,
        key_id: grant.key_id,
        grant: signed.grant,
        signature: signed.signature,
        sealed_bundle: grant.sealed_bundle,
    })
}

impl ReadGrant {
    /// The bundle the grant carries, if `maker_key` (the maker's key, as the membership
    /// log holds it) signed it and it opens with this device's `secret`.
    pub fn open(
        &self,
        maker_key: &[u8; 32],
        secret: &crypto_box::SecretKey,
    ) -> Result<Bundle, EpochError> {
        if !signing::epoch_grant_signed_by(&self.grant, &self.signature, maker_key) {
            return Err(EpochError::BadSignature);
        }
        open_bundle(secret, &self.sealed_bundle, self.key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(seed: u8) -> DeviceSigner {
        DeviceSigner::from_secret(&Zeroizing::new([seed; 32]))
    }

    fn keys() -> Vec<DataKey> {
        vec![DataKey::random(1), DataKey::random(0x1_2345)]
    }

    fn recipient(key: [u8; 32]) -> Recipient {
        Recipient {
            clinic_id: Uuid::from_u128(0xc1),
            device_id: Uuid::from_u128(0xb),
            device_key: key,
        }
    }

    #[test]
    fn epochs_count_up_and_two_made_at_once_differ() {
        assert_eq!(next_key_id(1, 7), Ok(0x1_0007));
        assert_eq!(next_key_id(0x1_0007, 9), Ok(0x2_0009));
        assert_ne!(next_key_id(0x1_0007, 1), next_key_id(0x1_0007, 2));
        assert_eq!(next_key_id(0xFFFF_0000, 1), Err(EpochError::IdsExhausted));
    }

    #[test]
    fn a_grant_opens_only_for_its_recipient_and_only_as_its_maker_signed_it() {
        let (maker, member, stranger) = (signer(1), signer(2), signer(3));
        let keys = keys();
        let me = recipient(member.public_key());
        let left_out = [Uuid::from_u128(0xe)];
        let bytes = match make_grant(me, Uuid::from_u128(0xa), &maker, 0x1_2345, &keys, &left_out) {
            Ok(bytes) => bytes,
            Err(e) => panic!("{e}"),
        };
        let read = read_grant(&bytes, me).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((read.maker, read.key_id), (Uuid::from_u128(0xa), 0x1_2345));
        let opened = read
            .open(&maker.public_key(), &member.x25519_secret())
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<u32> = opened.keys.iter().map(DataKey::id).collect();
        assert_eq!(ids, vec![1, 0x1_2345], "every key, the old ones too");
        assert_eq!(opened.keys[1].bytes(), keys[1].bytes());
        assert_eq!(opened.excluded, left_out, "and who the epoch left out");

        // Another signer, another device, a device whose key the server swapped.
        assert_eq!(
            read.open(&stranger.public_key(), &member.x25519_secret())
                .map(|b| b.keys.len()),
            Err(EpochError::BadSignature)
        );
        let other_device = Recipient {
            device_id: Uuid::from_u128(0xd),
            ..me
        };
        assert_eq!(
            read_grant(&bytes, other_device),
            Err(EpochError::Misaddressed)
        );
        assert_eq!(
            read_grant(&bytes, recipient(stranger.public_key())),
            Err(EpochError::Misaddressed)
        );
        // Bytes changed on the way.
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let damaged = read_grant(&flipped, me)
            .and_then(|r| r.open(&maker.public_key(), &member.x25519_secret()));
        assert!(damaged.is_err(), "{damaged:?}");
        assert_eq!(read_grant(&[1, 2, 3], me), Err(EpochError::Malformed));
    }

    #[test]
    fn bundles_read_back_and_older_formats_still_open_as_leaving_nobody_out() {
        let member = signer(2);
        let keys = keys();
        let left_out = [Uuid::from_u128(0xe), Uuid::from_u128(0xf)];
        let sealed =
            seal_bundle(&keys, &left_out, &member.public_key()).unwrap_or_else(|e| panic!("{e}"));
        let opened =
            open_bundle(&member.x25519_secret(), &sealed, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((opened.keys.len(), opened.excluded), (2, left_out.to_vec()));
        assert_eq!(
            open_bundle(&member.x25519_secret(), &sealed, 99).map(|b| b.keys.len()),
            Err(EpochError::Malformed),
            "the newest key it names must be in it"
        );
        // What builds before key epochs sealed: the bare key.
        let x25519 = signing::x25519_public_of(&member.public_key()).unwrap_or_default();
        let legacy = PublicKey::from(x25519)
            .seal(&mut OsRng, keys[0].bytes())
            .unwrap_or_default();
        let opened =
            open_bundle(&member.x25519_secret(), &legacy, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((opened.keys.len(), opened.keys[0].id()), (1, 1));
        assert!(opened.excluded.is_empty());
        // Format 1: the keys only.
        let mut keys_only = vec![BUNDLE_FORMAT_KEYS_ONLY];
        for key in &keys {
            keys_only.extend_from_slice(&key.id().to_be_bytes());
            keys_only.extend_from_slice(key.bytes());
        }
        let read = decode_bundle(&keys_only, 0x1_2345).unwrap_or_else(|| panic!("format 1"));
        assert_eq!((read.keys.len(), read.excluded.len()), (2, 0));

        let too_many: Vec<DataKey> = (0..=MAX_BUNDLE_KEYS as u32).map(DataKey::random).collect();
        assert_eq!(
            seal_bundle(&too_many, &[], &member.public_key()),
            Err(EpochError::TooManyKeys(MAX_BUNDLE_KEYS + 1))
        );
        let everyone: Vec<Uuid> = (0..=MAX_EXCLUDED as u128).map(Uuid::from_u128).collect();
        assert_eq!(
            seal_bundle(&keys, &everyone, &member.public_key()),
            Err(EpochError::TooManyExcluded(MAX_EXCLUDED + 1))
        );
        // Damaged shapes: no keys, a key count past the end, a torn device id.
        assert!(decode_bundle(&[BUNDLE_FORMAT, 0, 0], 1).is_none());
        assert!(decode_bundle(&[BUNDLE_FORMAT, 0, 9, 1, 2], 1).is_none());
        let whole = encode_bundle(&keys, &left_out).unwrap_or_else(|e| panic!("{e}"));
        assert!(decode_bundle(&whole[..whole.len() - 1], 1).is_none());
        assert!(decode_bundle(&whole, 1).is_some());
        assert!(decode_bundle(&[BUNDLE_FORMAT_KEYS_ONLY], 1).is_none());
        assert!(decode_bundle(&[7; 37], 1).is_none());
    }

    #[test]
    fn the_largest_grant_fits_what_the_server_keeps() {
        let (maker, member) = (signer(1), signer(2));
        let keys: Vec<DataKey> = (1..=MAX_BUNDLE_KEYS as u32).map(DataKey::random).collect();
        let everyone: Vec<Uuid> = (0..MAX_EXCLUDED as u128).map(Uuid::from_u128).collect();
        let grant = make_grant(
            recipient(member.public_key()),
            Uuid::from_u128(0xa),
            &maker,
            MAX_BUNDLE_KEYS as u32,
            &keys,
            &everyone,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            grant.len() <= vetdesk_proto::messages::MAX_ENROLLMENT_PROOF_BYTES,
            "{} bytes",
            grant.len()
        );
    }
}
