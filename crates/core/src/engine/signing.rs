//! Signed changesets: each device signs every changeset it authors with its own Ed25519
//! key, and every device checks the signature against the clinic's membership log
//! (`crate::members`) before applying anything.
//!
//! - A device's signing key is its device secret used as an Ed25519 seed (kept like
//!   the X25519 key was: in the OS keyring, or the encrypted store). Its X25519 key for
//!   enrollment is derived from the same key (the standard Ed25519→X25519 map), so the
//!   public key a new device sends when it enrolls is the key it will sign with, and the
//!   approving admin's device writes exactly that key into the membership log.
//! - What is signed: a domain string, the clinic id, and the SHA-256 of the changeset's
//!   encoded body (which holds its device, seq, clock, schema version, author and
//!   changes). A signature cannot be moved to another clinic, device or seq.
//! - A new clinic's id is derived from its founding device's key
//!   ([`clinic_id_founded_by`]): any device that knows the clinic id can check the
//!   founder's record without trusting anyone. Clinics made before signed changesets
//!   have random ids ([`is_self_certifying`] is false) and keep working under the
//!   older rule (`crate::authority`, "Trust between devices").
//!
//! Pure: keys in, bytes and verdicts out.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::changes::{Changeset, DecodeError};

/// Length of a changeset signature.
pub const SIGNATURE_LEN: usize = 64;

/// What a changeset signature covers, before the clinic id and the body's digest.
const SIGNATURE_DOMAIN: &[u8] = b"vetdesk changeset signature v2\0";
/// What a chain entry's signature covers, before the chain's name and the entry's hash.
const CHAIN_ENTRY_DOMAIN: &[u8] = b"vetdesk chain entry signature v1\0";
/// What an enrollment grant's signature covers, before the encoded grant
/// (`crate::enrollment_proof`).
const KEY_GRANT_DOMAIN: &[u8] = b"vetdesk key grant signature v1\0";
/// Domain of a device's signature over a key-epoch grant (`crate::key_epochs`).
const EPOCH_GRANT_DOMAIN: &[u8] = b"vetdesk key epoch grant v1\0";

/// A per-device hash chain whose entries its device signs (`crate::chains`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// The audit log (`audit_events`).
    Audit,
    /// The controlled-drug register (`controlled_register`).
    ControlledRegister,
}

impl Chain {
    fn name(self) -> &'static [u8] {
        match self {
            Self::Audit => b"audit_events\0",
            Self::ControlledRegister => b"controlled_register\0",
        }
    }
}

/// The bytes a chain entry's signature covers: the entry's hash already covers its
/// device, its place in the chain and the entry before it.
fn chain_entry_message(chain: Chain, hash: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHAIN_ENTRY_DOMAIN.len() + 24 + hash.len());
    out.extend_from_slice(CHAIN_ENTRY_DOMAIN);
    out.extend_from_slice(chain.name());
    out.extend_from_slice(hash);
    out
}

/// Whether `signature` is `key`'s over the entry of `chain` whose hash is `hash`.
pub fn chain_entry_signed_by(chain: Chain, hash: &[u8], signature: &[u8], key: &[u8; 32]) -> bool {
    verifies(&chain_entry_message(chain, hash), signature, key)
}

/// Whether `signature` (of any length) is `key`'s, strictly, over `message`.
fn verifies(message: &[u8], signature: &[u8], key: &[u8; 32]) -> bool {
    let (Ok(signature), Ok(key)) = (
        <[u8; SIGNATURE_LEN]>::try_from(signature),
        VerifyingKey::from_bytes(key),
    ) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(&signature))
        .is_ok()
}

fn key_grant_message(grant: &[u8]) -> Vec<u8> {
    [KEY_GRANT_DOMAIN, grant].concat()
}

/// Whether `signature` is `key`'s over the encoded enrollment grant `grant`.
pub fn key_grant_signed_by(grant: &[u8], signature: &[u8], key: &[u8; 32]) -> bool {
    verifies(&key_grant_message(grant), signature, key)
}

/// Whether `signature` is `key`'s over the encoded key-epoch grant `grant`.
pub fn epoch_grant_signed_by(grant: &[u8], signature: &[u8], key: &[u8; 32]) -> bool {
    verifies(&[EPOCH_GRANT_DOMAIN, grant].concat(), signature, key)
}

/// This device's signing key.
pub struct DeviceSigner {
    key: SigningKey,
}

impl std::fmt::Debug for DeviceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DeviceSigner {{ public: {} }}",
            hex::encode(self.public_key())
        )
    }
}

impl DeviceSigner {
    /// The signer whose seed is the device secret.
    pub fn from_secret(secret: &Zeroizing<[u8; 32]>) -> Self {
        Self {
            key: SigningKey::from_bytes(secret),
        }
    }

    /// The public half: what the membership log holds for this device.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// This device's X25519 secret for enrollment (a sealed clinic key opens with it).
    pub fn x25519_secret(&self) -> crypto_box::SecretKey {
        let scalar = Zeroizing::new(self.key.to_scalar_bytes());
        crypto_box::SecretKey::from(*scalar)
    }

    fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.key.sign(message).to_bytes()
    }

    /// Signs an encoded enrollment grant this device makes for a new device.
    pub fn sign_key_grant(&self, grant: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.sign(&key_grant_message(grant))
    }

    /// Signs a device-management request (`vetdesk_proto::management::signed_message`,
    /// which begins with its own domain string).
    pub fn sign_management(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.sign(message)
    }

    /// Signs an encoded key-epoch grant this device makes for another member.
    pub fn sign_epoch_grant(&self, grant: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.sign(&[EPOCH_GRANT_DOMAIN, grant].concat())
    }

    /// Signs this device's entry of `chain` whose hash is `hash`.
    pub fn sign_chain_entry(&self, chain: Chain, hash: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.sign(&chain_entry_message(chain, hash))
    }
}

/// The X25519 public key that belongs to a device's signing key: what an approving
/// device seals the clinic key to. `None` for bytes that are not a curve point.
pub fn x25519_public_of(signing_public: &[u8; 32]) -> Option<[u8; 32]> {
    VerifyingKey::from_bytes(signing_public)
        .ok()
        .map(|key| key.to_montgomery().to_bytes())
}

/// The id of a clinic founded by the device with `founder` as its signing key: a
/// version-8 UUID from a SHA-256 of the key.
pub fn clinic_id_founded_by(founder: &[u8; 32]) -> Uuid {
    vetdesk_proto::management::clinic_id_founded_by(founder)
}

/// Whether `clinic`'s id names its founder (a clinic made since signed changesets).
pub fn is_self_certifying(clinic: Uuid) -> bool {
    clinic.get_version_num() == 8
}

/// A changeset with the exact bytes its device encoded and the signature over them
/// (`None`: written before signed changesets, or by a device that did not sign).
#[derive(Debug, Clone, PartialEq)]
pub struct SignedChangeset {
    pub changeset: Changeset,
    /// The encoded changeset, as signed.
    pub body: Vec<u8>,
    pub signature: Option<[u8; SIGNATURE_LEN]>,
}

impl SignedChangeset {
    /// Signs `changeset` of `clinic` as this device.
    pub fn sign(changeset: Changeset, clinic: Uuid, signer: &DeviceSigner) -> Self {
        let body = changeset.encode();
        Self::sign_encoded(changeset, body, clinic, signer)
    }

    /// Signs a stored body as it is (`changeset` is what it decodes to).
    pub(crate) fn sign_encoded(
        changeset: Changeset,
        body: Vec<u8>,
        clinic: Uuid,
        signer: &DeviceSigner,
    ) -> Self {
        let signature = signer.sign(&message(clinic, &body));
        Self {
            changeset,
            body,
            signature: Some(signature),
        }
    }

    /// Reads a stored or received body and its signature.
    pub fn from_parts(
        body: Vec<u8>,
        signature: Option<[u8; SIGNATURE_LEN]>,
    ) -> Result<Self, DecodeError> {
        Ok(Self {
            changeset: Changeset::decode(&body)?,
            body,
            signature,
        })
    }

    /// A changeset no device signed (a format-1 envelope).
    pub fn unsigned(body: Vec<u8>) -> Result<Self, DecodeError> {
        Self::from_parts(body, None)
    }

    /// Whether the signature is `key`'s over this body in `clinic` (strict Ed25519:
    /// no malleable or small-order forms).
    pub fn signed_by(&self, clinic: Uuid, key: &[u8; 32]) -> bool {
        self.signature
            .is_some_and(|signature| verifies(&message(clinic, &self.body), &signature, key))
    }
}

/// The bytes a changeset signature covers.
fn message(clinic: Uuid, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(SIGNATURE_DOMAIN.len() + 16 + 32);
    out.extend_from_slice(SIGNATURE_DOMAIN);
    out.extend_from_slice(clinic.as_bytes());
    out.extend_from_slice(&Sha256::digest(body));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{Change, Op, Value};

    fn signer(seed: u8) -> DeviceSigner {
        DeviceSigner::from_secret(&Zeroizing::new([seed; 32]))
    }

    fn changeset(device: Uuid, seq: u64) -> Changeset {
        Changeset {
            device,
            seq,
            schema_version: 9,
            hlc: [3; 16],
            author: Some(Uuid::from_u128(0x5)),
            changes: vec![Change {
                table: "clients".into(),
                row: Uuid::from_u128(0x77),
                op: Op::Set {
                    column: "notes".into(),
                    value: Value::text("prefers mornings"),
                    base: None,
                },
            }],
        }
    }

    const CLINIC: Uuid = Uuid::from_u128(0xc1);

    #[test]
    fn a_signature_holds_for_its_clinic_and_key_only() {
        let (a, b) = (signer(1), signer(2));
        let signed = SignedChangeset::sign(changeset(Uuid::from_u128(0xa), 1), CLINIC, &a);
        assert!(signed.signed_by(CLINIC, &a.public_key()));
        assert!(!signed.signed_by(CLINIC, &b.public_key()), "another key");
        assert!(
            !signed.signed_by(Uuid::from_u128(0xc2), &a.public_key()),
            "another clinic"
        );
        assert!(!signed.signed_by(CLINIC, &[0xff; 32]), "not a key");

        // Any change to the body, the author or the seq breaks it.
        let mut other = changeset(Uuid::from_u128(0xa), 2);
        let mut moved = signed.clone();
        moved.body = other.encode();
        assert!(!moved.signed_by(CLINIC, &a.public_key()), "another seq");
        other.seq = 1;
        other.author = Some(Uuid::from_u128(0x6));
        moved.body = other.encode();
        assert!(!moved.signed_by(CLINIC, &a.public_key()), "another author");
        let mut flipped = signed.clone();
        if let Some(s) = flipped.signature.as_mut() {
            s[10] ^= 1;
        }
        assert!(!flipped.signed_by(CLINIC, &a.public_key()), "a flipped bit");
        let unsigned = SignedChangeset {
            signature: None,
            ..signed
        };
        assert!(!unsigned.signed_by(CLINIC, &a.public_key()), "no signature");
    }

    #[test]
    fn a_chain_entry_signature_holds_for_its_chain_hash_and_key_only() {
        let (a, b) = (signer(1), signer(2));
        let hash = [7u8; 32];
        let signature = a.sign_chain_entry(Chain::Audit, &hash);
        assert!(chain_entry_signed_by(
            Chain::Audit,
            &hash,
            &signature,
            &a.public_key()
        ));
        assert!(!chain_entry_signed_by(
            Chain::Audit,
            &hash,
            &signature,
            &b.public_key()
        ));
        assert!(
            !chain_entry_signed_by(
                Chain::ControlledRegister,
                &hash,
                &signature,
                &a.public_key()
            ),
            "another chain"
        );
        assert!(
            !chain_entry_signed_by(Chain::Audit, &[8u8; 32], &signature, &a.public_key()),
            "another entry"
        );
        assert!(
            !chain_entry_signed_by(Chain::Audit, &hash, &signature[..63], &a.public_key()),
            "a cut signature"
        );
    }

    #[test]
    fn a_clinic_id_names_its_founder() {
        let founder = signer(1).public_key();
        let id = clinic_id_founded_by(&founder);
        assert!(is_self_certifying(id));
        assert_eq!(id, clinic_id_founded_by(&founder), "the same id every time");
        assert_ne!(id, clinic_id_founded_by(&signer(2).public_key()));
        assert!(
            !is_self_certifying(Uuid::now_v7()),
            "a random id names no one"
        );
    }

    #[test]
    fn the_enrollment_key_belongs_to_the_signing_key() {
        use crypto_box::aead::OsRng;
        let device = signer(9);
        let x25519 = x25519_public_of(&device.public_key());
        assert_eq!(
            x25519,
            Some(device.x25519_secret().public_key().to_bytes()),
            "the approver derives the key the device opens with"
        );
        let sealed = crypto_box::PublicKey::from(x25519.unwrap_or_default())
            .seal(&mut OsRng, b"clinic key")
            .unwrap_or_default();
        assert_eq!(
            device.x25519_secret().unseal(&sealed).ok().as_deref(),
            Some(&b"clinic key"[..])
        );
    }
}
