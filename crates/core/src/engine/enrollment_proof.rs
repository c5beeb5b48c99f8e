//! Enrollment the sync server cannot subvert: what the new device and the approving
//! device prove to each other through a server they need not trust.
//!
//! An invitation code has two halves. The first (the *server part*, made by the
//! server) finds the invitation there; the second (the *secret part*, made by the
//! inviting device) never leaves the two devices and the person who reads it out.
//! Both devices stretch the whole code with Argon2id into an **invitation key**:
//! - the new device seals its **introduction** under it: its name, authenticated
//!   together with its device id and public key, so the server can neither read the name
//!   nor swap the key without the approving device noticing;
//! - the approving device seals its **grant** under it: the clinic key sealed to the new
//!   device's key, with the clinic, the new device, and the approving device and its
//!   key, signed by that device; so the server can neither substitute the clinic key nor
//!   the approver.
//!
//! The secret part is 50 bits, stretched with 64 MiB of Argon2id: guessing it from what
//! the server stores would take centuries of CPU for one invitation that lives 15
//! minutes. Pure: bytes in, bytes and verdicts out (the only I/O is the grant's random
//! nonce; an introduction's nonce is derived from what it seals, so an enrollment sent
//! again after a crash is byte-for-byte the first — SECURITY-REVIEW.md M10).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::signing::{self, DeviceSigner};

/// Crockford base32 without I, L, O, U (the server's codes use the same alphabet).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of each half of an invitation code.
pub const PART_LEN: usize = 10;
/// Argon2id cost of the invitation key: 64 MiB, 3 passes (0.2 s here: docs/BENCHMARKS.md).
const KDF_MEMORY_KIB: u32 = 64 * 1024;
const KDF_PASSES: u32 = 3;

const KDF_SALT_DOMAIN: &[u8] = b"vetdesk invitation v1\0";
const INTRODUCTION_DOMAIN: &[u8] = b"vetdesk enrollment introduction v1\0";
const GRANT_DOMAIN: &[u8] = b"vetdesk enrollment grant v1\0";
const NONCE_LEN: usize = 24;
/// The longest introduction or grant accepted (a name of 80 characters fits many times).
pub const MAX_SEALED_LEN: usize = vetdesk_proto::messages::MAX_ENROLLMENT_PROOF_BYTES;

/// Why a proof did not hold. Each says what a person should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error(
        "the invitation code has {PART_LEN} + {PART_LEN} characters (as shown on the inviting device); type all of it"
    )]
    MalformedCode,
    #[error(
        "the pending device's key or name was changed after it enrolled (by the sync server or on the way): it was not approved and nothing was sent to it. Make a new invitation and enroll the device again"
    )]
    IntroductionTampered,
    #[error(
        "the clinic key sent to this device was not made by the device that invited it (the sync server or something on the way changed it): it was refused. Ask an admin to make a new invitation and enroll again"
    )]
    GrantTampered,
    #[error("the clinic key sent to this device is for {0}, not for this device: it was refused")]
    GrantMisaddressed(&'static str),
}

/// The two halves of an invitation code, normalised (upper case, no separators).
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationCode {
    server_part: String,
    secret_part: Zeroizing<String>,
}

impl std::fmt::Debug for InvitationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InvitationCode({}-…)", self.server_part)
    }
}

fn normalised(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl InvitationCode {
    /// The server's half and a new random secret half.
    pub fn new(server_part: &str) -> Result<Self, ProofError> {
        let server_part = normalised(server_part);
        if server_part.len() != PART_LEN || !server_part.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(ProofError::MalformedCode);
        }
        let mut rng = rand::rng();
        let secret_part = (0..PART_LEN)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        Ok(Self {
            server_part,
            secret_part: Zeroizing::new(secret_part),
        })
    }

    /// A code as a person typed it: case and dashes or spaces do not matter.
    pub fn parse(typed: &str) -> Result<Self, ProofError> {
        let all = normalised(typed);
        if all.len() != 2 * PART_LEN || !all.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(ProofError::MalformedCode);
        }
        let (server, secret) = all.split_at(PART_LEN);
        Ok(Self {
            server_part: server.to_string(),
            secret_part: Zeroizing::new(secret.to_string()),
        })
    }

    /// What the server is given: it finds the invitation by this half alone.
    pub fn server_part(&self) -> &str {
        &self.server_part
    }

    /// What the server stores of the invitation (SHA-256 of the server part), and what
    /// it lists beside a device that enrolled with it.
    pub fn server_hash(&self) -> [u8; 32] {
        Sha256::digest(self.server_part.as_bytes()).into()
    }

    /// The code as shown to people: four groups of five.
    pub fn display(&self) -> String {
        let all = format!("{}{}", self.server_part, self.secret_part.as_str());
        all.as_bytes()
            .chunks(5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The invitation key both devices derive (slow on purpose: see the module comment).
    pub fn invitation_key(&self) -> crate::Result<Zeroizing<[u8; 32]>> {
        use argon2::{Algorithm, Argon2, Params, Version};
        let salt: [u8; 32] = Sha256::new()
            .chain_update(KDF_SALT_DOMAIN)
            .chain_update(self.server_part.as_bytes())
            .finalize()
            .into();
        let params =
            Params::new(KDF_MEMORY_KIB, KDF_PASSES, 1, Some(32)).map_err(|e| kdf_failed(&e))?;
        let mut key = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(self.secret_part.as_bytes(), &salt, key.as_mut())
            .map_err(|e| kdf_failed(&e))?;
        Ok(key)
    }
}

fn kdf_failed(e: &dyn std::fmt::Display) -> crate::Error {
    crate::Error::NotAllowedNow(format!("could not derive the invitation key: {e}"))
}

fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    seal_with_nonce(key, &nonce, aad, plaintext)
}

/// A nonce that is a keyed hash of everything sealed with it: the same key seals the
/// same nonce only over the same AAD and plaintext (the SIV idea), so repeating it
/// repeats the same ciphertext and reveals nothing more than that it is a repeat.
fn derived_nonce(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> [u8; NONCE_LEN] {
    let mut hash = Sha256::new();
    hash.update(b"vetdesk derived nonce v1\0");
    hash.update(key);
    hash.update((aad.len() as u64).to_be_bytes());
    hash.update(aad);
    hash.update(plaintext);
    let digest = hash.finalize();
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&digest[..NONCE_LEN]);
    nonce
}

fn seal_with_nonce(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    // Encryption with a 24-byte nonce and a 32-byte key cannot fail for these sizes.
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    out
}

fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + 16 || sealed.len() > MAX_SEALED_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .ok()
        .map(Zeroizing::new)
}

fn introduction_aad(device: Uuid, public_key: &[u8; 32]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(INTRODUCTION_DOMAIN.len() + 48);
    aad.extend_from_slice(INTRODUCTION_DOMAIN);
    aad.extend_from_slice(device.as_bytes());
    aad.extend_from_slice(public_key);
    aad
}

/// The new device's introduction: its name, sealed under the invitation key and bound
/// to its id and public key. The same inputs give the same bytes, so an enrollment
/// resumed after a crash is the request the server already answered.
pub fn seal_introduction(
    invitation_key: &[u8; 32],
    device: Uuid,
    public_key: &[u8; 32],
    name: &str,
) -> Vec<u8> {
    let aad = introduction_aad(device, public_key);
    let nonce = derived_nonce(invitation_key, &aad, name.as_bytes());
    seal_with_nonce(invitation_key, &nonce, &aad, name.as_bytes())
}

/// The pending device's name, if its introduction holds for this id and key.
pub fn open_introduction(
    invitation_key: &[u8; 32],
    device: Uuid,
    public_key: &[u8; 32],
    sealed: &[u8],
) -> Result<String, ProofError> {
    let name = open(
        invitation_key,
        &introduction_aad(device, public_key),
        sealed,
    )
    .ok_or(ProofError::IntroductionTampered)?;
    String::from_utf8(name.to_vec()).map_err(|_| ProofError::IntroductionTampered)
}

/// What an approving device hands a new device, inside the sealed grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Grant {
    clinic_id: Uuid,
    device_id: Uuid,
    device_key: [u8; 32],
    approver_device: Uuid,
    approver_key: [u8; 32],
    key_id: u32,
    /// The clinic key, sealed (crypto_box) to the new device's X25519 key.
    sealed_clinic_key: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct SignedGrant {
    grant: Vec<u8>,
    signature: Vec<u8>,
}

/// Who is being granted the clinic key, and by whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantParties {
    pub clinic_id: Uuid,
    pub device_id: Uuid,
    pub device_key: [u8; 32],
}

/// The grant an approving device sends: the sealed clinic key and who it is for, signed
/// by `approver` and sealed under the invitation key.
pub fn seal_grant(
    invitation_key: &[u8; 32],
    parties: GrantParties,
    approver_device: Uuid,
    approver: &DeviceSigner,
    key_id: u32,
    sealed_clinic_key: Vec<u8>,
) -> Vec<u8> {
    let grant = postcard::to_allocvec(&Grant {
        clinic_id: parties.clinic_id,
        device_id: parties.device_id,
        device_key: parties.device_key,
        approver_device,
        approver_key: approver.public_key(),
        key_id,
        sealed_clinic_key,
    })
    .unwrap_or_default();
    let signature = approver.sign_key_grant(&grant).to_vec();
    let signed = postcard::to_allocvec(&SignedGrant { grant, signature }).unwrap_or_default();
    seal(invitation_key, GRANT_DOMAIN, &signed)
}

/// A grant as the new device accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedGrant {
    pub key_id: u32,
    pub sealed_clinic_key: Vec<u8>,
    pub approver_device: Uuid,
    pub approver_key: [u8; 32],
}

/// Opens a grant on the new device: it must open under the invitation key, be signed
/// by the approver it names, and be for this clinic, this device and this device's key.
pub fn open_grant(
    invitation_key: &[u8; 32],
    expected: GrantParties,
    sealed: &[u8],
) -> Result<AcceptedGrant, ProofError> {
    let signed = open(invitation_key, GRANT_DOMAIN, sealed).ok_or(ProofError::GrantTampered)?;
    let signed: SignedGrant =
        postcard::from_bytes(&signed).map_err(|_| ProofError::GrantTampered)?;
    let grant: Grant =
        postcard::from_bytes(&signed.grant).map_err(|_| ProofError::GrantTampered)?;
    if !signing::key_grant_signed_by(&signed.grant, &signed.signature, &grant.approver_key) {
        return Err(ProofError::GrantTampered);
    }
    if grant.clinic_id != expected.clinic_id {
        return Err(ProofError::GrantMisaddressed("another clinic"));
    }
    if grant.device_id != expected.device_id || grant.device_key != expected.device_key {
        return Err(ProofError::GrantMisaddressed("another device"));
    }
    Ok(AcceptedGrant {
        key_id: grant.key_id,
        sealed_clinic_key: grant.sealed_clinic_key,
        approver_device: grant.approver_device,
        approver_key: grant.approver_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(seed: u8) -> DeviceSigner {
        DeviceSigner::from_secret(&Zeroizing::new([seed; 32]))
    }

    #[test]
    fn a_code_reads_back_as_typed_in_any_case_with_any_dashes() -> Result<(), ProofError> {
        let code = InvitationCode::new("ab12c-d34ef")?;
        let shown = code.display();
        assert_eq!(shown.len(), 23, "{shown}");
        assert!(shown.starts_with("AB12C-D34EF-"), "{shown}");
        let typed = shown.to_lowercase().replace('-', " ");
        assert_eq!(InvitationCode::parse(&typed)?, code);
        assert_eq!(code.server_part(), "AB12CD34EF");
        assert_ne!(
            InvitationCode::new("AB12CD34EF")?,
            code,
            "a new secret each time"
        );
        for bad in [
            "",
            "AB12CD34EF",
            "AB12CD34EF-AB12CD34E",
            "AB12CD34EF-AB12CD34EU",
        ] {
            assert_eq!(
                InvitationCode::parse(bad),
                Err(ProofError::MalformedCode),
                "{bad}"
            );
        }
        assert_eq!(
            InvitationCode::new("AB12"),
            Err(ProofError::MalformedCode),
            "a short server part"
        );
        Ok(())
    }

    #[test]
    fn an_introduction_opens_only_for_the_key_and_device_it_was_made_for() -> crate::Result<()> {
        let code = InvitationCode::parse("AB12CD34EF-GH56JK78MN")?;
        let key = code.invitation_key()?;
        assert_eq!(
            key,
            code.invitation_key()?,
            "both devices derive the same key"
        );
        let device = Uuid::from_u128(7);
        let public = signer(1).public_key();
        let sealed = seal_introduction(&key, device, &public, "Front desk 2");
        assert_eq!(
            open_introduction(&key, device, &public, &sealed)?,
            "Front desk 2"
        );
        // The server swaps the key, the device id, or a byte; or guesses another secret.
        let evil = signer(2).public_key();
        assert_eq!(
            open_introduction(&key, device, &evil, &sealed),
            Err(ProofError::IntroductionTampered)
        );
        assert!(open_introduction(&key, Uuid::from_u128(8), &public, &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[30] ^= 1;
        assert!(open_introduction(&key, device, &public, &flipped).is_err());
        let guessed = InvitationCode::parse("AB12CD34EF-GH56JK78MP")?.invitation_key()?;
        assert!(open_introduction(&guessed, device, &public, &sealed).is_err());
        assert!(open_introduction(&key, device, &public, &[]).is_err());
        // Sealed again (an enrollment resumed after a crash): the very same bytes; any
        // other name, key or device gives other bytes and another nonce.
        assert_eq!(
            seal_introduction(&key, device, &public, "Front desk 2"),
            sealed
        );
        let renamed = seal_introduction(&key, device, &public, "Front desk 3");
        assert_ne!(renamed[..NONCE_LEN], sealed[..NONCE_LEN]);
        assert_ne!(
            seal_introduction(&key, device, &evil, "Front desk 2")[..NONCE_LEN],
            sealed[..NONCE_LEN]
        );
        Ok(())
    }

    #[test]
    fn a_grant_holds_only_from_the_inviter_for_this_clinic_and_device() -> crate::Result<()> {
        let key = InvitationCode::parse("AB12CD34EF-GH56JK78MN")?.invitation_key()?;
        let newcomer = signer(1);
        let parties = GrantParties {
            clinic_id: Uuid::from_u128(1),
            device_id: Uuid::from_u128(2),
            device_key: newcomer.public_key(),
        };
        let approver = signer(3);
        let sealed = seal_grant(&key, parties, Uuid::from_u128(3), &approver, 4, vec![9; 80]);
        let accepted = open_grant(&key, parties, &sealed)?;
        assert_eq!(accepted.key_id, 4);
        assert_eq!(accepted.approver_key, approver.public_key());
        assert_eq!(accepted.sealed_clinic_key, vec![9; 80]);
        // Another clinic, another device, or another key of this device.
        for (other, why) in [
            (
                GrantParties {
                    clinic_id: Uuid::from_u128(9),
                    ..parties
                },
                ProofError::GrantMisaddressed("another clinic"),
            ),
            (
                GrantParties {
                    device_id: Uuid::from_u128(9),
                    ..parties
                },
                ProofError::GrantMisaddressed("another device"),
            ),
            (
                GrantParties {
                    device_key: signer(9).public_key(),
                    ..parties
                },
                ProofError::GrantMisaddressed("another device"),
            ),
        ] {
            assert_eq!(open_grant(&key, other, &sealed), Err(why));
        }
        // A grant the server made itself, under a key it guessed, does not open.
        let guessed = InvitationCode::parse("AB12CD34EF-GH56JK78MP")?.invitation_key()?;
        let forged = seal_grant(
            &guessed,
            parties,
            Uuid::from_u128(6),
            &signer(6),
            4,
            vec![1],
        );
        assert_eq!(
            open_grant(&key, parties, &forged),
            Err(ProofError::GrantTampered)
        );
        let mut flipped = sealed.clone();
        flipped[40] ^= 1;
        assert_eq!(
            open_grant(&key, parties, &flipped),
            Err(ProofError::GrantTampered)
        );
        Ok(())
    }

    #[test]
    fn a_grant_whose_signature_is_not_the_approvers_is_refused() -> crate::Result<()> {
        // Someone holding the invitation key but not the approver's signing key (a
        // device that saw the code) cannot pass a grant off as the approver's.
        let key = InvitationCode::parse("AB12CD34EF-GH56JK78MN")?.invitation_key()?;
        let parties = GrantParties {
            clinic_id: Uuid::from_u128(1),
            device_id: Uuid::from_u128(2),
            device_key: signer(1).public_key(),
        };
        let grant = postcard::to_allocvec(&Grant {
            clinic_id: parties.clinic_id,
            device_id: parties.device_id,
            device_key: parties.device_key,
            approver_device: Uuid::from_u128(3),
            approver_key: signer(3).public_key(),
            key_id: 1,
            sealed_clinic_key: vec![1],
        })
        .unwrap_or_default();
        let signature = signer(4).sign_key_grant(&grant).to_vec();
        let sealed = seal(
            &key,
            GRANT_DOMAIN,
            &postcard::to_allocvec(&SignedGrant { grant, signature }).unwrap_or_default(),
        );
        assert_eq!(
            open_grant(&key, parties, &sealed),
            Err(ProofError::GrantTampered)
        );
        Ok(())
    }
}
