//! The clinic's devices as an admin manages them from any enrolled device: list them
//! (the sync server's view), make a one-time enrollment code, approve a pending device
//! (its key goes into the clinic's membership log, signed here, and the clinic key is
//! sealed to it, on a trusted device), revoke one (the membership log ends it at the
//! last changeset this device has from it). The server cannot see roles, so the admin
//! role is checked here, in core, and again by every device that merges the log; every
//! act is audited. Used by the CLI (`vetdesk devices`) and the app alike.

use serde::Serialize;
use uuid::Uuid;

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
        let (url, token) = self.sync_credentials()?.ok_or(SyncError::NotSetUp)?;
        Ok(HttpTransport::new(&url, Some(token)))
    }

    fn require_device_admin(&mut self, actor: &Actor) -> Result<(), SyncError> {
        Ok(self.require_or_audit(actor, Permission::ManageDevices)?)
    }

    /// The clinic's devices (any signed-in person may see them).
    pub fn clinic_devices(&self) -> Result<Vec<DeviceRow>, SyncError> {
        let this = self.device_id();
        Ok(self
            .sync_server()?
            .devices()?
            .devices
            .into_iter()
            .map(|d| DeviceRow {
                this_device: d.device_id == this,
                device_id: d.device_id,
                status: d.status,
                created_at_ms: d.created_at_ms,
            })
            .collect())
    }

    /// A one-time code (valid 15 minutes) for enrolling a new device (admins).
    pub fn invite_device(&mut self, actor: &Actor) -> Result<Invitation, SyncError> {
        self.require_device_admin(actor)?;
        let code = self
            .sync_server()?
            .enrollment_code(vetdesk_proto::messages::ENROLLMENT_CODE_TTL_SECS)?;
        self.transact(actor, |tx| tx.audit("device.invite", "device", "", ""))?;
        Ok(Invitation {
            code: code.code,
            expires_at_ms: code.expires_at_ms,
        })
    }

    /// Approves a pending device: its key joins the membership log, and the newest
    /// clinic key, sealed to it, goes to the server for it (admins).
    pub fn approve_device(&mut self, actor: &Actor, device: Uuid) -> Result<(), SyncError> {
        self.require_device_admin(actor)?;
        let mut server = self.sync_server()?;
        let pending = server
            .devices()?
            .devices
            .into_iter()
            .find(|d| d.device_id == device && d.status == "pending")
            .ok_or_else(|| {
                SyncError::Refused(format!("no pending device {device} in this clinic"))
            })?;
        let public_key = pending
            .public_key
            .ok_or_else(|| SyncError::Refused("the pending device sent no public key".into()))?;
        let (key_id, sealed) = self.admit_device(actor, device, &public_key, None)?;
        server.approve(device, key_id, sealed)?;
        Ok(())
    }

    /// Revokes a device: the server refuses its next request, and the membership log
    /// refuses its changesets after the last one this device holds (admins).
    pub fn revoke_device(&mut self, actor: &Actor, device: Uuid) -> Result<(), SyncError> {
        self.require_device_admin(actor)?;
        self.sync_server()?.revoke(device)?;
        self.record_revocation(actor, device)?;
        Ok(())
    }
}

impl Store {
    /// Admits a pending device (admins): its key goes into the membership log, signed by
    /// this device for `actor`, and the newest clinic key is sealed to it. Returns the
    /// key id and the sealed key, for the server to hand to the device.
    pub fn admit_device(
        &mut self,
        actor: &Actor,
        device: Uuid,
        signing_key: &[u8; 32],
        name: Option<&str>,
    ) -> crate::Result<(u32, Vec<u8>)> {
        self.require_or_audit(actor, Permission::ManageDevices)?;
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
                ],
            )?;
            tx.audit(
                "device.approve",
                "device",
                &device.to_string(),
                &members::fingerprint(signing_key),
            )
        })?;
        Ok(sealed)
    }

    /// Ends a device in the membership log (admins): its changesets after the last one
    /// this device has received from it are refused on every device.
    pub fn record_revocation(&mut self, actor: &Actor, device: Uuid) -> crate::Result<()> {
        self.require_or_audit(actor, Permission::ManageDevices)?;
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
        let mut out = Vec::with_capacity(rows.len());
        for (device, founder, name) in rows {
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
            });
        }
        Ok(out)
    }
}
