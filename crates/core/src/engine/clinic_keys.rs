//! The clinic keys a device holds, and the key epochs that move them on
//! (`crate::key_epochs` has the pure part; docs/PROTOCOL.md, "Key epochs").
//!
//! - [`Store::start_key_epoch`]: a revocation makes a new key here and queues one grant
//!   per remaining member in `key_grants_out`, in one transaction;
//! - every round, [`Store::queue_key_grants`] grants this device's newest epoch to any
//!   member it has not granted yet (one admitted while the epoch was made elsewhere),
//!   [`Store::send_key_grants`] hands the queue to the server, and
//!   [`Store::take_key_grants`] takes the grants the server holds for this device:
//!   each only from a device the membership log knows, with that device's signature,
//!   all its keys in one transaction;
//! - [`Store::sealing_key`] is the key a round seals with: the newest one whose epoch
//!   left out every device the membership log shows revoked, and that no device since
//!   revoked granted. A device that hears of a revocation before its new key (a server
//!   withholding the grant) seals nothing until the key comes; a device that made an
//!   epoch which a revocation it learns of later did not leave out (two admins revoking
//!   at once) starts another ([`Store::rotate_if_outdated`]).

use std::collections::HashSet;

use rand::Rng;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;
use vetdesk_proto::messages::{KeyGrant, MAX_KEY_GRANTS};
use zeroize::Zeroizing;

use crate::envelope::DataKey;
use crate::key_epochs::{self, Recipient};
use crate::members;
use crate::store::Store;
use crate::sync::{SyncError, Transport};
use crate::write::rfc3339;
use crate::{Error, Result};

/// What taking the server's grants did in one round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GrantsTaken {
    /// Clinic keys this device did not hold before.
    pub keys_added: usize,
    /// Grants from a device the membership log does not know yet: tried again.
    pub waiting: usize,
    /// Grants refused, and why (not addressed to this device, not signed by their
    /// maker, a different key under an id this device holds, …).
    pub refused: Vec<String>,
}

impl Store {
    /// Starts a new clinic key epoch: a new key, which leaves out every device the
    /// membership log shows revoked, and its grant (with every older key) for each
    /// member that is not, queued for the server. Returns the new key's id. Called when
    /// a device is revoked.
    pub fn start_key_epoch(&mut self) -> Result<u32> {
        let keys = self.clinic_keys()?;
        let newest = keys.last().ok_or_else(|| {
            Error::NotAllowedNow("this device holds no clinic key: set up sync first".into())
        })?;
        let id = key_epochs::next_key_id(newest.id(), rand::rng().random())
            .map_err(|e| Error::NotAllowedNow(e.to_string()))?;
        let key = DataKey::random(id);
        let revoked = self.revoked_devices()?;
        if revoked.len() > key_epochs::MAX_EXCLUDED {
            return Err(Error::NotAllowedNow(
                key_epochs::EpochError::TooManyExcluded(revoked.len()).to_string(),
            ));
        }
        let now = rfc3339(self.now());
        let me = self.device_id().to_string();
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            "INSERT INTO clinic_keys (key_id, key, created_at, granted_by, excluded)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                i64::from(id),
                key.bytes().as_slice(),
                now,
                me,
                excluded_bytes(&revoked)
            ],
        )?;
        tx.commit()?;
        self.queue_key_grants()?;
        Ok(id)
    }

    /// Grants of the newest key epoch this device made, for every member not revoked
    /// that it has not granted yet; returns how many were queued.
    pub fn queue_key_grants(&mut self) -> Result<usize> {
        let me = self.device_id();
        let newest_made: Option<i64> = self.conn().query_row(
            "SELECT max(key_id) FROM clinic_keys WHERE granted_by = ?1 AND key_id >= 65536",
            [me.to_string()],
            |r| r.get(0),
        )?;
        let Some(key_id) = newest_made.and_then(|id| u32::try_from(id).ok()) else {
            return Ok(0);
        };
        let ungranted: Vec<String> = {
            let mut stmt = self.conn().prepare(
                "SELECT DISTINCT device_id FROM device_members
                 WHERE device_id <> ?1
                   AND device_id NOT IN (SELECT device_id FROM key_grants_out WHERE key_id = ?2)",
            )?;
            stmt.query_map(params![me.to_string(), i64::from(key_id)], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        if ungranted.is_empty() {
            return Ok(0);
        }
        let keys = self.clinic_keys()?;
        let excluded = self.excluded_by(key_id)?;
        let clinic = self.clinic_id()?;
        let signer = self.cached_signer()?;
        let enforced = crate::authority::enforced(self.conn())?;
        let mut grants = Vec::new();
        for device in ungranted {
            let Ok(device_id) = Uuid::parse_str(&device) else {
                continue;
            };
            let Some(record) = members::record_of(self.conn(), device_id, enforced)? else {
                continue;
            };
            if record.revoked_after.is_some() {
                continue;
            }
            let recipient = Recipient {
                clinic_id: clinic,
                device_id,
                device_key: record.key,
            };
            // A key that is not a curve point cannot be sealed to: no grant, and no
            // row, so a later build may try again.
            if let Ok(grant) =
                key_epochs::make_grant(recipient, me, &signer, key_id, &keys, &excluded)
            {
                grants.push((device, grant));
            }
        }
        let now = rfc3339(self.now());
        let tx = self.conn_mut().transaction()?;
        for (device, grant) in &grants {
            tx.execute(
                "INSERT OR IGNORE INTO key_grants_out (device_id, key_id, grant_bytes, made_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![device, i64::from(key_id), grant, now],
            )?;
        }
        tx.commit()?;
        Ok(grants.len())
    }

    /// Hands the server the grants it does not have yet; returns how many went.
    pub fn send_key_grants(&mut self, transport: &mut dyn Transport) -> Result<usize, SyncError> {
        let queued: Vec<(String, i64, Vec<u8>)> = {
            let mut stmt = self
                .conn()
                .prepare(
                    "SELECT device_id, key_id, grant_bytes FROM key_grants_out
                     WHERE sent_at IS NULL ORDER BY key_id, device_id LIMIT ?1",
                )
                .map_err(Error::from)?;
            stmt.query_map([i64::try_from(MAX_KEY_GRANTS).unwrap_or(i64::MAX)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(Error::from)?
            .collect::<rusqlite::Result<_>>()
            .map_err(Error::from)?
        };
        let grants: Vec<KeyGrant> = queued
            .iter()
            .filter_map(|(device, key_id, grant)| {
                Some(KeyGrant {
                    device_id: Uuid::parse_str(device).ok()?,
                    key_id: u32::try_from(*key_id).ok()?,
                    grant: grant.clone(),
                })
            })
            .collect();
        if grants.is_empty() || !transport.put_key_grants(grants)? {
            return Ok(0);
        }
        let now = rfc3339(self.now());
        let tx = self.conn_mut().transaction().map_err(Error::from)?;
        for (device, key_id, _) in &queued {
            tx.execute(
                "UPDATE key_grants_out SET sent_at = ?3 WHERE device_id = ?1 AND key_id = ?2",
                params![device, key_id, now],
            )
            .map_err(Error::from)?;
        }
        tx.commit().map_err(Error::from)?;
        Ok(queued.len())
    }

    /// Takes the grants the server holds for this device: those of keys it lacks,
    /// made by a device the membership log knows (a device revoked since still counts:
    /// its keys open what honest devices sealed with them, and [`Self::sealing_key`]
    /// never seals with one), signed by it and sealed to this device.
    pub fn take_key_grants(
        &mut self,
        transport: &mut dyn Transport,
    ) -> Result<GrantsTaken, SyncError> {
        let offered = transport.key_grants()?;
        let mut taken = GrantsTaken::default();
        if offered.is_empty() {
            return Ok(taken);
        }
        let held: HashSet<u32> = self.clinic_keys()?.iter().map(DataKey::id).collect();
        let me = Recipient {
            clinic_id: self.clinic_id()?,
            device_id: self.device_id(),
            device_key: self.device_public_key()?,
        };
        let secret = self.cached_signer()?.x25519_secret();
        let enforced = crate::authority::enforced(self.conn())?;
        let mut seen = HashSet::new();
        for offer in offered {
            if held.contains(&offer.key_id) || !seen.insert(offer.key_id) {
                continue;
            }
            let read = match key_epochs::read_grant(&offer.grant, me) {
                Ok(read) if read.key_id == offer.key_id => read,
                Ok(_) => {
                    taken.refused.push(format!(
                        "key {}: the grant is for another key",
                        offer.key_id
                    ));
                    continue;
                }
                Err(e) => {
                    taken.refused.push(format!("key {}: {e}", offer.key_id));
                    continue;
                }
            };
            let Some(maker) = members::record_of(self.conn(), read.maker, enforced)? else {
                taken.waiting += 1;
                continue;
            };
            match read.open(&maker.key, &secret) {
                Ok(bundle) => match self.add_key_bundle(&bundle, read.key_id, Some(read.maker)) {
                    Ok(added) => taken.keys_added += added,
                    Err(e) => taken.refused.push(format!("key {}: {e}", offer.key_id)),
                },
                Err(e) => taken.refused.push(format!(
                    "key {} from device {}: {e}",
                    offer.key_id, read.maker
                )),
            }
        }
        Ok(taken)
    }

    /// Stores a bundle's clinic keys, granted by `granted_by`, all or none, with the
    /// devices the epoch of its newest key (`newest_id`) left out: a different key under
    /// an id this device holds is refused (another clinic's, or a substitute). Envelopes
    /// that did not open are fetched again on the next round. Returns how many are new.
    pub(crate) fn add_key_bundle(
        &mut self,
        bundle: &key_epochs::Bundle,
        newest_id: u32,
        granted_by: Option<Uuid>,
    ) -> Result<usize> {
        let now = rfc3339(self.now());
        let tx = self.conn_mut().transaction()?;
        let mut added = 0;
        for key in &bundle.keys {
            let held: Option<Zeroizing<Vec<u8>>> = tx
                .query_row(
                    "SELECT key FROM clinic_keys WHERE key_id = ?1",
                    [i64::from(key.id())],
                    |r| r.get(0).map(Zeroizing::new),
                )
                .optional()?;
            match held {
                Some(held) if held.as_slice() != key.bytes().as_slice() => {
                    return Err(Error::NotAllowedNow(format!(
                        "this device already holds a different clinic key {}: the key offered belongs to another clinic, or is not the clinic's",
                        key.id()
                    )));
                }
                Some(_) => {}
                None => {
                    let excluded = (key.id() == newest_id && !bundle.excluded.is_empty())
                        .then(|| excluded_bytes(&bundle.excluded));
                    tx.execute(
                        "INSERT INTO clinic_keys (key_id, key, created_at, granted_by, excluded)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            i64::from(key.id()),
                            key.bytes().as_slice(),
                            now,
                            granted_by.map(|d| d.to_string()),
                            excluded
                        ],
                    )?;
                    added += 1;
                }
            }
        }
        if added > 0 {
            tx.execute("UPDATE rejected_envelopes SET retry_after = NULL", [])?;
        }
        tx.commit()?;
        Ok(added)
    }

    /// Every device the membership log shows revoked.
    pub(crate) fn revoked_devices(&self) -> Result<Vec<Uuid>> {
        members::revoked_devices(self.conn(), crate::authority::enforced(self.conn())?)
    }

    /// The devices the epoch of key `key_id` left out (none for a key this device does
    /// not hold, the first key, or one from before exclusions were kept).
    pub(crate) fn excluded_by(&self, key_id: u32) -> Result<Vec<Uuid>> {
        let bytes: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "SELECT excluded FROM clinic_keys WHERE key_id = ?1",
                [i64::from(key_id)],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(bytes.as_deref().map(excluded_of).unwrap_or_default())
    }

    /// The key this device seals with: the newest one whose epoch left out every device
    /// the membership log shows revoked, so none of them holds it (a device that granted
    /// a key holds it, so a key granted by a device since revoked is never sealed with
    /// either). `None` while it holds no such key: it then waits for the key of the
    /// epoch the latest revocation started, and a round says so.
    pub fn sealing_key(&self, keys: &[DataKey]) -> Result<Option<DataKey>> {
        let revoked: HashSet<Uuid> = self.revoked_devices()?.into_iter().collect();
        for key in keys.iter().rev() {
            let left_out: HashSet<Uuid> = self.excluded_by(key.id())?.into_iter().collect();
            if revoked.is_subset(&left_out) {
                return Ok(Some(DataKey::from_bytes(key.id(), *key.bytes())));
            }
        }
        Ok(None)
    }

    /// Starts another key epoch when this device has made one before and holds no key
    /// to seal with: a revocation it learned of since (made elsewhere at the same time
    /// as its own) was not left out of its epoch. Only devices that revoked rotate, so
    /// a clinic makes one new epoch per revoking admin, not one per device. Returns the
    /// new key's id.
    pub fn rotate_if_outdated(&mut self) -> Result<Option<u32>> {
        let made_one: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM clinic_keys WHERE granted_by = ?1 AND key_id >= 65536)",
            [self.device_id().to_string()],
            |r| r.get(0),
        )?;
        if !made_one || self.sealing_key(&self.clinic_keys()?)?.is_some() {
            return Ok(None);
        }
        self.start_key_epoch().map(Some)
    }
}

/// Device ids as the `excluded` column keeps them: 16 bytes each.
fn excluded_bytes(devices: &[Uuid]) -> Vec<u8> {
    devices.iter().flat_map(|d| *d.as_bytes()).collect()
}

fn excluded_of(bytes: &[u8]) -> Vec<Uuid> {
    bytes
        .chunks_exact(16)
        .filter_map(|id| Uuid::from_slice(id).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    //! A hostile sync server serving key grants: forged, misaddressed, damaged, and one
    //! honest. Refused or held, reported, nothing of them stored; the honest one taken.
    use super::*;
    use crate::signing::DeviceSigner;
    use vetdesk_proto::messages::{PullResponse, PushResponse};

    struct HostileServer {
        grants: Vec<KeyGrant>,
    }

    impl Transport for HostileServer {
        fn push(&mut self, _: Vec<Vec<u8>>) -> Result<PushResponse, SyncError> {
            Err(SyncError::Offline("not in this test".into()))
        }
        fn pull(&mut self, _: u64, _: u64) -> Result<PullResponse, SyncError> {
            Err(SyncError::Offline("not in this test".into()))
        }
        fn key_grants(&mut self) -> Result<Vec<KeyGrant>, SyncError> {
            Ok(self.grants.clone())
        }
    }

    fn offer(key_id: u32, grant: Vec<u8>) -> KeyGrant {
        KeyGrant {
            device_id: Uuid::nil(),
            key_id,
            grant,
        }
    }

    #[test]
    fn a_server_cannot_slip_a_clinic_key_to_a_device() -> Result<(), SyncError> {
        let dir = tempfile::tempdir().map_err(Error::from)?;
        let mut store = Store::create(
            dir.path(),
            "Vets",
            crate::KeyProtection::Passphrase(Zeroizing::new("long enough passphrase".into())),
            time::OffsetDateTime::from_unix_timestamp(1_790_000_000)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        )?;
        store.ensure_clinic_key()?;
        let me = Recipient {
            clinic_id: store.clinic_id()?,
            device_id: store.device_id(),
            device_key: store.device_public_key()?,
        };
        let own = store.device_signer()?;
        let stranger = DeviceSigner::from_secret(&Zeroizing::new([9u8; 32]));
        let fresh = |id: u32| vec![DataKey::random(1), DataKey::random(id)];
        let grant = |to: Recipient, maker: Uuid, signer: &DeviceSigner, id: u32| {
            key_epochs::make_grant(to, maker, signer, id, &fresh(id), &[])
                .unwrap_or_else(|e| panic!("{e}"))
        };
        // A key made by a device the log does not know; one the server claims the
        // founder made (signed by the stranger); one for another device; bytes changed.
        let unknown = grant(me, Uuid::from_u128(0xe), &stranger, 0x1_0001);
        let forged = grant(me, store.device_id(), &stranger, 0x1_0002);
        let elsewhere = Recipient {
            device_id: Uuid::from_u128(0xd),
            ..me
        };
        let misaddressed = grant(elsewhere, store.device_id(), &own, 0x1_0003);
        let mut damaged = grant(me, store.device_id(), &own, 0x1_0004);
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        let mut server = HostileServer {
            grants: vec![
                offer(0x1_0001, unknown),
                offer(0x1_0002, forged),
                offer(0x1_0003, misaddressed),
                offer(0x1_0004, damaged),
            ],
        };
        let taken = store.take_key_grants(&mut server)?;
        assert_eq!((taken.keys_added, taken.waiting), (0, 1), "{taken:?}");
        assert_eq!(taken.refused.len(), 3, "{taken:?}");
        assert!(
            taken.refused.iter().any(|r| r.contains("signature")),
            "{taken:?}"
        );
        assert_eq!(store.clinic_keys()?.len(), 1, "nothing of them stored");
        let sealing = store.sealing_key(&store.clinic_keys()?)?;
        assert_eq!(sealing.map(|k| k.id()), Some(1));

        // A key the server labels with another id than its grant names is refused too;
        // the honest grant of the same key is taken, and sealed with from then on.
        // (Every grant above also carried a substitute for key 1; this one the real.)
        let mut keys = store.clinic_keys()?;
        keys.push(DataKey::random(0x1_0005));
        let honest = key_epochs::make_grant(me, store.device_id(), &own, 0x1_0005, &keys, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        server.grants = vec![offer(0x1_0006, honest.clone()), offer(0x1_0005, honest)];
        let taken = store.take_key_grants(&mut server)?;
        assert_eq!((taken.keys_added, taken.refused.len()), (1, 1), "{taken:?}");
        let sealing = store.sealing_key(&store.clinic_keys()?)?;
        assert_eq!(sealing.map(|k| k.id()), Some(0x1_0005));
        Ok(())
    }
}
