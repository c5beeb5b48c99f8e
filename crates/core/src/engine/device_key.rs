//! This device's key pair. Its secret is an Ed25519 seed: the device signs every
//! changeset it authors with it (`crate::signing`), and its X25519 key for enrollment
//! is derived from it: a new device sends its public signing key; the approving device
//! writes that key into the membership log and seals the clinic key to its X25519 form
//! (libsodium sealed box, `crypto_box`) inside a key grant it signs
//! (`crate::enrollment_proof`); only the new device can open it. The secret
//! lives in the OS keyring when the store's own key does (account `device-<device id>`),
//! else in the encrypted store.

use rusqlite::OptionalExtension;
use zeroize::Zeroizing;

use crate::key_epochs;
use crate::keys::{self, KeyKind};
use crate::signing::DeviceSigner;
use crate::store::Store;
use crate::{Error, Result};

impl Store {
    fn device_secret(&self) -> Result<Zeroizing<[u8; 32]>> {
        let in_keyring = self.key_kind() == KeyKind::Keyring;
        let stored: Option<Zeroizing<[u8; 32]>> = if in_keyring {
            keys::keyring_load_secret(&keys::device_account(self.device_id())).ok()
        } else {
            self.conn()
                .query_row("SELECT secret FROM device_secret WHERE id = 1", [], |r| {
                    r.get::<_, Vec<u8>>(0)
                })
                .optional()?
                .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                .map(Zeroizing::new)
        };
        match stored {
            Some(secret) => Ok(secret),
            None => keys::new_device_secret(self.conn(), self.key_kind(), self.device_id()),
        }
    }

    /// This device's signing key (the pair is made on first use).
    pub fn device_signer(&self) -> Result<DeviceSigner> {
        Ok(DeviceSigner::from_secret(&self.device_secret()?))
    }

    /// This device's signing key, read once per store and kept in memory (zeroed when
    /// the last handle drops): every write transaction signs its audit event with it.
    pub(crate) fn cached_signer(&self) -> Result<std::sync::Arc<DeviceSigner>> {
        if let Some(signer) = self.signer.get() {
            return Ok(std::sync::Arc::clone(signer));
        }
        let signer = std::sync::Arc::new(self.device_signer()?);
        Ok(std::sync::Arc::clone(self.signer.get_or_init(|| signer)))
    }

    /// This device's public key: the key it signs with, and what it enrolls with.
    pub fn device_public_key(&self) -> Result<[u8; 32]> {
        Ok(self.cached_signer()?.public_key())
    }

    /// Every clinic key this device holds, sealed to another device named by its public
    /// signing key (`crate::key_epochs` bundle), and the newest key's id: what an
    /// approving device sends. Only the holder of the matching secret can open it.
    pub(crate) fn seal_clinic_key_for(&self, public_key: &[u8; 32]) -> Result<(u32, Vec<u8>)> {
        let keys = self.clinic_keys()?;
        let newest = keys.last().ok_or_else(|| {
            Error::NotAllowedNow(
                "this device holds no clinic key: set up sync or finish its enrollment first"
                    .into(),
            )
        })?;
        let excluded = self.excluded_by(newest.id())?;
        let sealed =
            key_epochs::seal_bundle(&keys, &excluded, public_key).map_err(|e| match e {
                key_epochs::EpochError::Misaddressed => Error::Invalid {
                    field: "public_key",
                    message: "the device's public key is not a valid key".into(),
                },
                other => Error::NotAllowedNow(format!("could not seal the clinic keys: {other}")),
            })?;
        Ok((newest.id(), sealed))
    }

    /// Opens the clinic keys an approving device sealed to this device, and keeps them.
    pub fn accept_sealed_clinic_key(&mut self, key_id: u32, sealed: &[u8]) -> Result<()> {
        self.accept_key_bundle(key_id, sealed, None)
    }

    /// As [`Self::accept_sealed_clinic_key`], noting the device that granted them.
    pub(crate) fn accept_key_bundle(
        &mut self,
        key_id: u32,
        sealed: &[u8],
        granted_by: Option<uuid::Uuid>,
    ) -> Result<()> {
        let secret = self.device_signer()?.x25519_secret();
        let bundle = key_epochs::open_bundle(&secret, sealed, key_id).map_err(|e| match e {
            key_epochs::EpochError::DoesNotOpen => Error::NotAllowedNow(
                "the clinic key sent to this device does not open with its key: enroll it again"
                    .into(),
            ),
            _ => Error::NotAllowedNow("the clinic key sent to this device is not a key".into()),
        })?;
        self.add_key_bundle(&bundle, key_id, granted_by).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use crate::{KeyProtection, Store};
    use zeroize::Zeroizing;

    fn store(dir: &std::path::Path) -> Store {
        let now = time::OffsetDateTime::from_unix_timestamp(1_790_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Store::create(
            dir,
            "Vets",
            KeyProtection::Passphrase(Zeroizing::new("long enough passphrase".into())),
            now,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_sealed_clinic_key_opens_only_on_the_device_it_was_sealed_to() -> crate::Result<()> {
        let (d1, d2, d3) = (
            tempfile::tempdir()?,
            tempfile::tempdir()?,
            tempfile::tempdir()?,
        );
        let mut admin = store(d1.path());
        let clinic = admin.clinic_id()?;
        // A new device of the clinic, as enrollment makes it: no key until approved.
        let mut newcomer = Store::join(
            d2.path(),
            clinic,
            "Vets",
            KeyProtection::Passphrase(Zeroizing::new("long enough passphrase".into())),
            admin.now(),
        )?;
        let mut other = store(d3.path());
        admin.ensure_clinic_key()?;
        let public = newcomer.device_public_key()?;
        assert_eq!(newcomer.device_public_key()?, public, "one pair per device");
        let (id, sealed) = admin.seal_clinic_key_for(&public)?;
        assert!(
            other.accept_sealed_clinic_key(id, &sealed).is_err(),
            "another device cannot open it"
        );
        newcomer.accept_sealed_clinic_key(id, &sealed)?;
        assert_eq!(
            newcomer.clinic_keys()?[0].bytes(),
            admin.clinic_keys()?[0].bytes()
        );
        // A store of another clinic already holds a key 1 of its own: the admin's is refused.
        let (id, sealed) = admin.seal_clinic_key_for(&other.device_public_key()?)?;
        assert!(matches!(
            other.accept_sealed_clinic_key(id, &sealed),
            Err(crate::Error::NotAllowedNow(_))
        ));
        let stored: i64 =
            newcomer
                .conn()
                .query_row("SELECT count(*) FROM device_secret", [], |r| r.get(0))?;
        assert_eq!(
            stored, 1,
            "a passphrase store keeps the device secret in the encrypted store"
        );
        Ok(())
    }
}
