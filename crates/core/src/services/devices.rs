//! The clinic's devices as an admin manages them from any enrolled device: list them
//! (the sync server's view, with each pending device's name and key fingerprint as its
//! introduction proves them), make a one-time invitation code, approve a pending device
//! (its introduction must hold under the invitation made here, and the admin must have
//! compared its fingerprint; its key goes into the clinic's membership log, signed here,
//! and the key grant goes to the server for it), revoke one (the membership log ends it
//! at the last changeset this device has from it). The server cannot see roles, so the
//! admin role is checked here, in core, and again by every device that merges the log;
//! every act is audited. Inviting, approving and revoking happen only on a device that
//! manages the clinic's devices (the founder, or one approved as managing), as requests
//! signed with its key (`vetdesk_proto::management`); the clinic's last managing device
//! cannot be revoked. Used by the CLI (`vetdesk devices`) and the app alike.

use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;

use crate::enrollment_proof::{self, GrantParties, InvitationCode};
use crate::members::{self, Member};
use crate::roles::{Actor, Permission};
use crate::store::Store;
use crate::sync::SyncError;
use crate::sync_http::HttpTransport;
use crate::{Error, Value};

/// A device of the clinic, as the server knows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceRow {
    pub device_id: Uuid,
    /// `approved`, `pending` or `revoked`.
    pub status: String,
    pub created_at_ms: u64,
    /// The device this is.
    pub this_device: bool,
    /// What staff call it: a pending device's from its introduction (when it holds), a
    /// member's from the membership log.
    pub name: Option<String>,
    /// The short form of its key, to compare with what the device itself shows: a
    /// pending device's when its introduction holds, a member's from the log.
    pub fingerprint: Option<String>,
    /// For a pending device: whether it may be approved here.
    pub proof: Option<PendingProof>,
    /// Whether it manages the clinic's devices, by the membership log.
    pub manages: bool,
}

/// Whether a pending device's introduction holds, as this device can tell.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingProof {
    /// It enrolled with an invitation made here, and its key and name are as it sent them.
    Verified,
    /// It enrolled with an invitation made on another device: approve it there.
    InvitedElsewhere,
    /// Its key or name was changed after it enrolled: never approve it.
    Tampered,
    /// It enrolled without a proof (an older Vetdesk): it cannot be approved.
    Unproven,
}

/// A pending device whose introduction held under an invitation made here.
struct ProvenDevice {
    public_key: [u8; 32],
    name: String,
    code_hash: [u8; 32],
    invitation_key: zeroize::Zeroizing<[u8; 32]>,
}

/// A code a new device enrolls with, once, before it expires.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub code: String,
    pub expires_at_ms: u64,
}

impl Store {
    /// This device's sync server, with its token.
    fn sync_server(&self) -> Result<HttpTransport, SyncError> {
        self.stored_transport()
    }

    /// An admin, with their second factor confirmed: approving and revoking devices
    /// decides who holds the clinic's keys.
    fn require_device_admin(&mut self, actor: &Actor) -> Result<(), SyncError> {
        self.require_or_audit(actor, Permission::ManageDevices)?;
        Ok(self.require_second_factor(actor)?)
    }

    /// Whether this device manages the clinic's devices, by the membership log (in a
    /// clinic made before signed changesets, every member device does).
    pub fn manages_devices(&self) -> crate::Result<bool> {
        if !crate::authority::enforced(self.conn())? {
            return Ok(true);
        }
        Ok(members::managing_devices(self.conn())?.contains(&self.device_id().to_string()))
    }

    /// What signs this device's management requests, with a block of counters
    /// reserved in the store before use, from at least the clock's milliseconds, so they
    /// never go back (not even in a data folder restored from a backup). Refused on a
    /// device that does not manage the clinic's devices.
    pub fn management_signer(&mut self) -> crate::Result<crate::sync_http::ManagementSigner> {
        if !self.manages_devices()? {
            return Err(Error::NotAllowedNow(
                "this device does not manage the clinic's devices: invite, approve and revoke devices on one that does (the clinic's first device, or one approved as managing)".into(),
            ));
        }
        const BLOCK: u64 = 16;
        let now_ms = self.now().unix_timestamp_nanos() / 1_000_000;
        let reserved: i64 = self.conn().query_row(
            "UPDATE sync_state SET management_counter = max(management_counter, ?1) + ?2
             WHERE id = 1 RETURNING management_counter",
            rusqlite::params![i64::try_from(now_ms).unwrap_or(0), BLOCK as i64],
            |r| r.get(0),
        )?;
        let reserved = u64::try_from(reserved).unwrap_or(BLOCK);
        Ok(crate::sync_http::ManagementSigner {
            clinic: self.clinic_id()?,
            device: self.device_id(),
            signer: self.cached_signer()?,
            next_counter: reserved + 1 - BLOCK,
            reserved_to: reserved,
        })
    }

    /// This device's sync server, signing management requests with this device's key.
    fn managing_server(&mut self) -> Result<HttpTransport, SyncError> {
        let signer = self.management_signer()?;
        Ok(self.sync_server()?.signing_management(signer))
    }

    /// The clinic's devices (any signed-in person may see them).
    pub fn clinic_devices(&self) -> Result<Vec<DeviceRow>, SyncError> {
        let this = self.device_id();
        let members = self.members()?;
        let mut rows = Vec::new();
        for d in self.sync_server()?.devices()?.devices {
            let member = members.iter().find(|m| m.device_id == d.device_id);
            let (mut name, mut fingerprint) = (
                member.and_then(|m| m.name.clone()),
                member.map(|m| m.fingerprint.clone()),
            );
            let proof = if d.status == "pending" {
                let (proof, proven) = self.prove_pending(&d)?;
                if let Some(proven) = proven {
                    name = Some(proven.name);
                    fingerprint = Some(members::fingerprint(&proven.public_key));
                }
                Some(proof)
            } else {
                None
            };
            rows.push(DeviceRow {
                this_device: d.device_id == this,
                device_id: d.device_id,
                status: d.status,
                created_at_ms: d.created_at_ms,
                name,
                fingerprint,
                proof,
                manages: member.is_some_and(|m| m.manages),
            });
        }
        Ok(rows)
    }

    /// Whether a pending device's introduction holds under an invitation made here.
    fn prove_pending(
        &self,
        device: &vetdesk_proto::messages::DeviceInfo,
    ) -> crate::Result<(PendingProof, Option<ProvenDevice>)> {
        let (Some(public_key), Some(code_hash), Some(introduction)) = (
            device.public_key,
            device.enrolled_with,
            device.introduction.as_deref(),
        ) else {
            return Ok((PendingProof::Unproven, None));
        };
        let invitation_key: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "SELECT invitation_key FROM device_invitations WHERE code_hash = ?1",
                [code_hash.as_slice()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(invitation_key) = invitation_key
            .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
            .map(zeroize::Zeroizing::new)
        else {
            return Ok((PendingProof::InvitedElsewhere, None));
        };
        match enrollment_proof::open_introduction(
            &invitation_key,
            device.device_id,
            &public_key,
            introduction,
        ) {
            Ok(name) => Ok((
                PendingProof::Verified,
                Some(ProvenDevice {
                    public_key,
                    name,
                    code_hash,
                    invitation_key,
                }),
            )),
            Err(_) => Ok((PendingProof::Tampered, None)),
        }
    }

    /// A one-time invitation code (valid 15 minutes) for enrolling a new device
    /// (admins): the server's half and a secret half made here, which the server never
    /// sees; the key derived from both is kept here until the device is approved.
    pub fn invite_device(&mut self, actor: &Actor) -> Result<Invitation, SyncError> {
        self.require_device_admin(actor)?;
        let made = self
            .managing_server()?
            .enrollment_code(vetdesk_proto::messages::ENROLLMENT_CODE_TTL_SECS)?;
        let code = InvitationCode::new(&made.code).map_err(|_| {
            SyncError::Refused(
                format!(
                    "the sync server made an enrollment code this device cannot use ({:?})",
                    made.code
                )
                .into(),
            )
        })?;
        let invitation_key = code.invitation_key()?;
        let now_ms = u64::try_from(self.now().unix_timestamp()).unwrap_or(0) * 1000;
        let code_hash = code.server_hash();
        let expires_at_ms = i64::try_from(made.expires_at_ms).unwrap_or(i64::MAX);
        self.transact(actor, |tx| {
            tx.conn().execute(
                "DELETE FROM device_invitations WHERE expires_at_ms < ?1",
                [i64::try_from(now_ms).unwrap_or(i64::MAX)],
            )?;
            tx.conn().execute(
                "INSERT OR REPLACE INTO device_invitations (code_hash, invitation_key, made_by, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![
                    code_hash.as_slice(),
                    invitation_key.as_slice(),
                    tx.actor().staff_id.to_string(),
                    expires_at_ms
                ],
            )?;
            tx.audit("device.invite", "device", "", "")
        })?;
        Ok(Invitation {
            code: code.display(),
            expires_at_ms: made.expires_at_ms,
        })
    }

    /// Approves a pending device (admins): its introduction must hold under an
    /// invitation made on this device, and `fingerprint` — what the admin compared with
    /// the new device's screen — must be its key's. Its key then joins the membership
    /// log, and the key grant (the newest clinic key sealed to it, signed here, sealed
    /// under the invitation key) goes to the server for it. A refused approval sends
    /// nothing and is audited. `manages`: the device may manage the clinic's devices
    /// too (a second managing device means the clinic is never left without one).
    pub fn approve_device(
        &mut self,
        actor: &Actor,
        device: Uuid,
        fingerprint: &str,
        manages: bool,
    ) -> Result<(), SyncError> {
        self.require_device_admin(actor)?;
        let mut server = self.managing_server()?;
        let pending = server
            .devices()?
            .devices
            .into_iter()
            .find(|d| d.device_id == device && d.status == "pending")
            .ok_or_else(|| {
                SyncError::Refused(format!("no pending device {device} in this clinic").into())
            })?;
        let proven = match self.prove_pending(&pending)? {
            (PendingProof::Verified, Some(proven)) => proven,
            (PendingProof::InvitedElsewhere, _) => {
                return Err(Error::NotAllowedNow(format!(
                    "device {device} enrolled with an invitation made on another device: approve it on the device that made the invitation"
                ))
                .into());
            }
            (PendingProof::Unproven, _) => {
                return Err(Error::NotAllowedNow(format!(
                    "device {device} enrolled without an invitation proof (an older Vetdesk): update it and enroll it again with a new invitation"
                ))
                .into());
            }
            _ => {
                self.transact(actor, |tx| {
                    tx.audit(
                        "device.approve_refused",
                        "device",
                        &device.to_string(),
                        "its introduction does not hold: key or name changed after it enrolled",
                    )
                })?;
                return Err(Error::from(enrollment_proof::ProofError::IntroductionTampered).into());
            }
        };
        let expected = members::fingerprint(&proven.public_key);
        if comparable(fingerprint) != comparable(&expected) {
            return Err(Error::Invalid {
                field: "fingerprint",
                message: format!(
                    "{fingerprint:?} is not the fingerprint of the pending device \"{}\" ({expected}): compare it with what the new device shows, and approve only the device that shows the same",
                    proven.name
                ),
            }
            .into());
        }
        let (key_id, sealed) = self.admit_device(
            actor,
            device,
            &proven.public_key,
            Some(&proven.name),
            manages,
        )?;
        let grant = enrollment_proof::seal_grant(
            &proven.invitation_key,
            GrantParties {
                clinic_id: self.clinic_id()?,
                device_id: device,
                device_key: proven.public_key,
            },
            self.device_id(),
            &*self.cached_signer()?,
            key_id,
            sealed,
        );
        server.approve(device, key_id, grant, manages)?;
        self.conn()
            .execute(
                "DELETE FROM device_invitations WHERE code_hash = ?1",
                [proven.code_hash.as_slice()],
            )
            .map_err(Error::from)?;
        Ok(())
    }

    /// Revokes a device (admins): the server refuses its next request, the membership
    /// log refuses its changesets after the last one this device holds, and a new
    /// clinic key epoch starts, granted to every other member, so the revoked device
    /// can open nothing written from now on (`crate::clinic_keys`).
    ///
    /// The revocation itself (with anything written here before it) goes to the server
    /// at once, sealed with the key every member holds now: a member then knows of it
    /// even if a hostile server withholds its grant of the new key, and seals nothing
    /// with a key the revoked device holds. The grants go now too if the server can be
    /// reached, else with the next round.
    pub fn revoke_device(&mut self, actor: &Actor, device: Uuid) -> Result<(), SyncError> {
        self.require_device_admin(actor)?;
        if self.is_last_managing_device(device)? {
            return Err(Error::NotAllowedNow(format!(
                "device {device} is the clinic's last device that can manage devices: approve another device as managing first, so the clinic is never locked out"
            ))
            .into());
        }
        let mut server = self.managing_server()?;
        let announce_with = self.sealing_key(&self.clinic_keys()?)?;
        server.revoke(device)?;
        self.record_revocation(actor, device)?;
        if let Some(key) = announce_with {
            let mut report = crate::sync::SyncReport::default();
            let announced =
                crate::sync::push_pending(self, &mut server, &key, &mut report, &mut |_, _| {});
            if let Some(why) = announced
                .err()
                .map(|e| e.to_string())
                .or(report.push_refused)
            {
                // Sent with the next round, sealed with the new key.
                self.record_outcome(Err(&format!("the revocation waits to be sent: {why}")))?;
            }
        }
        let key_id = self.start_key_epoch()?;
        self.transact(actor, |tx| {
            tx.audit(
                "clinic_key.rotate",
                "clinic_key",
                &key_id.to_string(),
                &format!("new key epoch after revoking device {device}"),
            )
        })?;
        if let Err(e) = self.send_key_grants(&mut server) {
            // Kept in `key_grants_out`; every round sends what is left.
            self.record_outcome(Err(&format!("the new clinic key's grants wait: {e}")))?;
        }
        Ok(())
    }
}

/// A fingerprint as people type it: case, spaces and dashes do not matter.
fn comparable(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Store {
    /// Whether `device` manages the clinic's devices and no other device that is not
    /// revoked does.
    fn is_last_managing_device(&self, device: Uuid) -> crate::Result<bool> {
        let enforced = crate::authority::enforced(self.conn())?;
        let managing = members::managing_devices(self.conn())?;
        if !managing.contains(&device.to_string()) {
            return Ok(false);
        }
        for other in managing.iter().filter(|d| **d != device.to_string()) {
            let Ok(other) = Uuid::parse_str(other) else {
                continue;
            };
            if members::record_of(self.conn(), other, enforced)?
                .is_some_and(|r| r.revoked_after.is_none())
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Admits a pending device (admins): its key goes into the membership log, signed by
    /// this device for `actor`, with whether it manages the clinic's devices, and the
    /// newest clinic key is sealed to it. Returns the key id and the sealed key, for the
    /// server to hand to the device.
    pub fn admit_device(
        &mut self,
        actor: &Actor,
        device: Uuid,
        signing_key: &[u8; 32],
        name: Option<&str>,
        manages: bool,
    ) -> crate::Result<(u32, Vec<u8>)> {
        self.require_or_audit(actor, Permission::ManageDevices)?;
        self.require_second_factor(actor)?;
        if crate::signing::x25519_public_of(signing_key).is_none() {
            return Err(Error::Invalid {
                field: "public_key",
                message: "the pending device's key is not a valid key".into(),
            });
        }
        if let Some(held) = members::record_of(
            self.conn(),
            device,
            crate::authority::enforced(self.conn())?,
        )? {
            if held.key != *signing_key {
                return Err(Error::NotAllowedNow(format!(
                    "device {device} is in the clinic already, with another key"
                )));
            }
            if held.revoked_after.is_some() {
                return Err(Error::NotAllowedNow(format!(
                    "device {device} was revoked; enroll it again as a new device"
                )));
            }
        }
        let sealed = self.seal_clinic_key_for(signing_key)?;
        self.transact(actor, |tx| {
            members::write_fact(
                tx,
                device,
                members::APPROVE,
                vec![
                    ("signing_key", Value::Blob(signing_key.to_vec())),
                    ("name", Value::opt_text(name)),
                    ("manages", Value::Int(i64::from(manages))),
                ],
            )?;
            tx.audit(
                "device.approve",
                "device",
                &device.to_string(),
                &format!(
                    "{}{}",
                    members::fingerprint(signing_key),
                    if manages { "; manages devices" } else { "" }
                ),
            )
        })?;
        Ok(sealed)
    }

    /// Ends a device in the membership log (admins): its changesets after the last one
    /// this device has received from it are refused on every device.
    pub fn record_revocation(&mut self, actor: &Actor, device: Uuid) -> crate::Result<()> {
        self.require_or_audit(actor, Permission::ManageDevices)?;
        self.require_second_factor(actor)?;
        if self.is_last_managing_device(device)? {
            return Err(Error::NotAllowedNow(format!(
                "device {device} is the clinic's last device that can manage devices: approve another device as managing first, so the clinic is never locked out"
            )));
        }
        let last_seq: i64 = self.conn().query_row(
            "SELECT coalesce(max(seq), 0) FROM applied_changesets WHERE device_id = ?1",
            [device.to_string()],
            |r| r.get(0),
        )?;
        self.transact(actor, |tx| {
            members::write_fact(
                tx,
                device,
                members::REVOKE,
                vec![("last_seq", Value::Int(last_seq))],
            )?;
            tx.audit(
                "device.revoke",
                "device",
                &device.to_string(),
                &format!("after changeset {last_seq}"),
            )
        })
    }

    /// The membership log, one row per device, founder first.
    pub fn members(&self) -> crate::Result<Vec<Member>> {
        let mut stmt = self.conn().prepare(
            "SELECT device_id, max(event = 'found'), max(name) FROM device_members
             GROUP BY device_id ORDER BY max(event = 'found') DESC, min(_hlc)",
        )?;
        let rows: Vec<(String, bool, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let enforced = crate::authority::enforced(self.conn())?;
        let managing = members::managing_devices(self.conn())?;
        let mut out = Vec::with_capacity(rows.len());
        for (device, founder, name) in rows {
            let manages = !enforced || managing.contains(&device);
            let Ok(device_id) = Uuid::parse_str(&device) else {
                continue;
            };
            let Some(record) = members::record_of(self.conn(), device_id, enforced)? else {
                continue;
            };
            out.push(Member {
                device_id,
                fingerprint: members::fingerprint(&record.key),
                standing: match (record.revoked_after, founder) {
                    (Some(_), _) => "revoked",
                    (None, true) => "founder",
                    (None, false) => "member",
                }
                .into(),
                name,
                manages,
            });
        }
        Ok(out)
    }
}
