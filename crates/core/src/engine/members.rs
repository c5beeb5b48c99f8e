//! The clinic's membership log: which device keys belong to the clinic, and since when
//! they no longer do. It is the synced, append-only table `device_members`, whose rows
//! only ever come from changesets their devices signed:
//! - `found`: the device that made the clinic, whose key the clinic id is derived from
//!   (`signing::clinic_id_founded_by`); it checks itself, needing no one's word;
//! - `approve`: an admin, signed in on a member device, admitted a device and its key
//!   (written by `Store::admit_device`, `services::devices`, when the admin approves it),
//!   and said whether it **manages** the clinic's devices (`manages`);
//! - `revoke`: an admin ended a device; its changesets after `last_seq` (the last one
//!   the admin's device had received from it) are refused everywhere, whatever clock
//!   they carry.
//!
//! Approvals and revocations count only when the device that signed them manages the
//! clinic's devices ([`managing_devices`]: the founder, and devices a managing device
//! approved as managing), as the sync server also requires of the signed requests that
//! carry them: a member device that does not manage — compromised, or built with its
//! checks removed — cannot admit a device of its own or end the clinic's.
//!
//! Before merge applies a changeset it asks for the signer's [`Standing`]: a member's
//! changeset whose signature holds applies; one from a device the log does not know yet
//! waits (it is held, and tried again when the log grows); a bad signature, an unsigned
//! changeset, or one after its device's revocation is refused and reported, never applied.

use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use crate::Result;
use crate::changes::{Changeset, Op, Value};
use crate::roles::{Permission, Roles};
use crate::schema;
use crate::signing::{self, SignedChangeset};

/// The device that made the clinic.
pub const FOUND: &str = "found";
/// A device admitted by an admin.
pub const APPROVE: &str = "approve";
/// A device ended by an admin.
pub const REVOKE: &str = "revoke";

/// What the log says of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberRecord {
    /// Its signing key (from its founding or its earliest approval).
    pub key: [u8; 32],
    /// Its last changeset that counts, when it was revoked.
    pub revoked_after: Option<u64>,
}

/// Whether a changeset may be applied, as far as its signer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Signed by a member whose changesets still count.
    Member,
    /// Signed by a device the log does not know (yet): held until it does.
    Waiting(String),
    /// Never applied: the reason.
    Refused(String),
}

/// A row of the log as [`record_of`] reads it: event, key, last seq, author, signer.
type FactRow = (String, Option<Vec<u8>>, Option<i64>, String, String);

/// The devices that manage the clinic's devices, by the log: the founder, and every
/// device a managing device approved as managing (a fixed point, so the order facts
/// arrived in does not matter). In a clinic made before signed changesets, every member
/// device with an admin signed in could manage, and still does.
pub(crate) fn managing_devices(conn: &Connection) -> Result<std::collections::HashSet<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device_id, by_device, event = 'found' FROM device_members
         WHERE event = 'found' OR (event = 'approve' AND manages = 1)",
    )?;
    let facts: Vec<(String, String, bool)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut managing: std::collections::HashSet<String> = facts
        .iter()
        .filter(|(_, _, founds)| *founds)
        .map(|(device, _, _)| device.clone())
        .collect();
    loop {
        let before = managing.len();
        for (device, by, _) in &facts {
            if managing.contains(by) {
                managing.insert(device.clone());
            }
        }
        if managing.len() == before {
            return Ok(managing);
        }
    }
}

/// What the log holds for `device`: its key, and its revocation if any; the earliest
/// approval by clock decides the key. In a clinic whose founding the log certifies,
/// a stored fact counts when a managing device signed it ([`managing_devices`]): merge
/// let in only those whose author held `ManageDevices` as of the fact
/// (`crate::authority`), so the log reads the same on every device, and an approval
/// stands when its approver later stops being an admin.
/// A clinic made before signed changesets counts a fact while its author is an active
/// admin by the staff records as they are now.
/// `checked_on_merge`: the clinic's founding is certified (`authority::enforced`).
pub(crate) fn record_of(
    conn: &Connection,
    device: Uuid,
    checked_on_merge: bool,
) -> Result<Option<MemberRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT event, signing_key, last_seq, by_staff, by_device FROM device_members
         WHERE device_id = ?1 ORDER BY _hlc, id",
    )?;
    let rows: Vec<FactRow> = stmt
        .query_map([device.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    if rows.is_empty() {
        return Ok(None);
    }
    let managing = if checked_on_merge {
        Some(managing_devices(conn)?)
    } else {
        None
    };
    let mut key = None;
    let mut revoked_after: Option<u64> = None;
    for (event, signing_key, last_seq, by_staff, by_device) in rows {
        let counts = event == FOUND
            || match &managing {
                Some(managing) => managing.contains(&by_device),
                None => is_active_admin(conn, &by_staff)?,
            };
        if !counts {
            continue;
        }
        match event.as_str() {
            FOUND | APPROVE if key.is_none() => {
                key = signing_key.and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok());
            }
            REVOKE => {
                let cut = u64::try_from(last_seq.unwrap_or(0)).unwrap_or(0);
                revoked_after = Some(revoked_after.map_or(cut, |c| c.min(cut)));
            }
            _ => {}
        }
    }
    Ok(key.map(|key| MemberRecord { key, revoked_after }))
}

/// Every device the log shows revoked (by facts that count, as [`record_of`] reads them),
/// in id order.
pub(crate) fn revoked_devices(conn: &Connection, checked_on_merge: bool) -> Result<Vec<Uuid>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT device_id FROM device_members WHERE event = 'revoke' ORDER BY device_id",
    )?;
    let named: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut revoked = Vec::with_capacity(named.len());
    for device in named {
        let Ok(device) = Uuid::parse_str(&device) else {
            continue;
        };
        if record_of(conn, device, checked_on_merge)?.is_some_and(|r| r.revoked_after.is_some()) {
            revoked.push(device);
        }
    }
    Ok(revoked)
}

/// The signer's standing for `signed` in `clinic`, by the log as it is now.
pub(crate) fn standing(
    conn: &Connection,
    clinic: Uuid,
    signed: &SignedChangeset,
) -> Result<Standing> {
    let changeset = &signed.changeset;
    let record = record_of(
        conn,
        changeset.device,
        crate::signing::is_self_certifying(clinic),
    )?;
    judge(clinic, signed, record.as_ref(), || founder_exists(conn))
}

/// The pure rule behind [`standing`]; `founded` says whether the log has a founder.
fn judge(
    clinic: Uuid,
    signed: &SignedChangeset,
    record: Option<&MemberRecord>,
    founded: impl FnOnce() -> Result<bool>,
) -> Result<Standing> {
    let changeset = &signed.changeset;
    let device = changeset.device;
    if let Some(cut) = record.and_then(|r| r.revoked_after)
        && changeset.seq > cut
    {
        return Ok(Standing::Refused(format!(
            "device {device} was revoked after its changeset {cut}; this is {}",
            changeset.seq
        )));
    }
    if !signing::is_self_certifying(clinic) {
        // A clinic made before signed changesets: its founder cannot be checked, so
        // its devices are trusted as before; a known key's signature must still hold.
        return Ok(match record {
            Some(r) if signed.signature.is_some() && !signed.signed_by(clinic, &r.key) => {
                Standing::Refused(format!(
                    "the signature of device {device}'s changeset {} does not hold",
                    changeset.seq
                ))
            }
            _ => Standing::Member,
        });
    }
    if signed.signature.is_none() {
        return Ok(Standing::Refused(format!(
            "device {device}'s changeset {} is not signed: this clinic takes only signed changesets",
            changeset.seq
        )));
    }
    match record {
        Some(r) if signed.signed_by(clinic, &r.key) => Ok(Standing::Member),
        Some(_) => Ok(Standing::Refused(bad_signature(device, changeset.seq))),
        None => match founding_key(changeset) {
            Some(key)
                if signing::clinic_id_founded_by(&key) == clinic
                    && signed.signed_by(clinic, &key)
                    && !founded()? =>
            {
                Ok(Standing::Member)
            }
            _ => Ok(Standing::Waiting(format!(
                "signed by device {device}, which the clinic's membership log does not hold (yet): held until an admin's approval of it arrives"
            ))),
        },
    }
}

/// Why a changeset whose signature is not its device's is refused: the same words on
/// every device, the device itself included.
pub(crate) fn bad_signature(device: Uuid, seq: u64) -> String {
    format!(
        "the signature of device {device}'s changeset {seq} does not hold for its key in the clinic's membership log"
    )
}

fn founder_exists(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM device_members WHERE event = 'found' LIMIT 1")?
        .exists([])?)
}

/// The key a changeset founds its own device with, if it holds a founding.
fn founding_key(changeset: &Changeset) -> Option<[u8; 32]> {
    changeset.changes.iter().find_map(|change| {
        let Op::Insert(values) = &change.op else {
            return None;
        };
        if change.table != schema::DEVICE_MEMBERS.name {
            return None;
        }
        let get = |name: &str| values.iter().find(|(c, _)| c == name).map(|(_, v)| v);
        let own = get("device_id").and_then(Value::as_text) == Some(&changeset.device.to_string());
        let founds = get("event").and_then(Value::as_text) == Some(FOUND);
        match (own && founds, get("signing_key")) {
            (true, Some(Value::Blob(key))) => <[u8; 32]>::try_from(key.as_slice()).ok(),
            _ => None,
        }
    })
}

/// Merge's rule for a row of the log arriving in a changeset of `signer` for `author`
/// (its signature already checked): the inner `Err` is why it is set aside. Only what
/// the fact itself shows is checked here; whether its author was an admin is decided
/// when the log is read ([`record_of`]), so that no order of arrival changes the answer
/// (an approval by someone who is not an admin is kept, and counts for nothing).
pub(crate) fn check_fact(
    clinic: Option<Uuid>,
    signer: Uuid,
    author: Option<Uuid>,
    values: &[(&str, &Value)],
) -> Result<Result<(), String>> {
    let get = |name: &str| values.iter().find(|(c, _)| *c == name).map(|(_, v)| *v);
    let text = |name: &str| get(name).and_then(Value::as_text);
    if text("by_device") != Some(&signer.to_string()) {
        return Ok(Err(
            "a membership fact must name the device that signed it (by_device)".into(),
        ));
    }
    let author_text = author.map(|a| a.to_string());
    if author_text.is_none() || text("by_staff") != author_text.as_deref() {
        return Ok(Err(
            "a membership fact must name the staff member its changeset was signed for (by_staff)"
                .into(),
        ));
    }
    let Some(device) = text("device_id").and_then(|d| Uuid::parse_str(d).ok()) else {
        return Ok(Err("a membership fact names no device".into()));
    };
    let key = match get("signing_key") {
        Some(Value::Blob(k)) => <[u8; 32]>::try_from(k.as_slice()).ok(),
        _ => None,
    };
    match text("event") {
        Some(FOUND) => {
            let Some(key) = key else {
                return Ok(Err("a founding names no key".into()));
            };
            let certified = clinic.is_some_and(|c| signing::clinic_id_founded_by(&key) == c);
            if device != signer || !certified {
                return Ok(Err(
                    "only the device the clinic id was made from can found the clinic".into(),
                ));
            }
            Ok(Ok(()))
        }
        Some(APPROVE) => {
            if key
                .filter(|k| signing::x25519_public_of(k).is_some())
                .is_none()
            {
                return Ok(Err("an approval names no valid device key".into()));
            }
            if device.is_nil() {
                return Ok(Err("an approval names no device".into()));
            }
            if get("manages").is_some_and(|v| !matches!(v, Value::Null | Value::Int(0 | 1))) {
                return Ok(Err("an approval's manages is 0 or 1".into()));
            }
            Ok(Ok(()))
        }
        Some(REVOKE) => {
            if get("last_seq").is_none_or(|v| !matches!(v, Value::Int(n) if *n >= 0)) {
                return Ok(Err(
                    "a revocation must name the last changeset that counts".into()
                ));
            }
            Ok(Ok(()))
        }
        other => Ok(Err(format!("{other:?} is not a membership event"))),
    }
}

/// Whether `staff` is an active admin, by the staff records as they are.
fn is_active_admin(conn: &Connection, staff: &str) -> Result<bool> {
    let row: Option<(Option<String>, Option<i64>)> = conn
        .prepare_cached("SELECT roles, active FROM staff WHERE id = ?1 AND deleted = 0")?
        .query_row([staff], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.is_some_and(|(roles, active)| {
        active != Some(0)
            && Roles::parse(roles.as_deref().unwrap_or("")).allow(Permission::ManageDevices)
    }))
}

/// A device of the membership log, for the devices screen and `vetdesk devices`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub device_id: Uuid,
    /// Hex of the first 8 bytes of its signing key, to compare with the device itself.
    pub fingerprint: String,
    /// `founder`, `member` or `revoked`.
    pub standing: String,
    pub name: Option<String>,
    /// Whether it manages the clinic's devices (invites, approves, revokes).
    pub manages: bool,
}

/// The short form of a device key people compare.
pub fn fingerprint(key: &[u8; 32]) -> String {
    key[..8]
        .chunks(2)
        .map(hex::encode)
        .collect::<Vec<_>>()
        .join("-")
}

/// Writes one fact of the log about `device`, by this device for the transaction's
/// author (what merge checks on every other device).
pub(crate) fn write_fact(
    tx: &mut crate::Tx<'_>,
    device: Uuid,
    event: &str,
    details: Vec<(&'static str, Value)>,
) -> Result<()> {
    let id = tx.new_id();
    let mut values = vec![
        ("device_id", Value::text(device.to_string())),
        ("event", Value::text(event)),
        ("by_device", Value::text(tx.device().to_string())),
        ("by_staff", Value::text(tx.actor().staff_id.to_string())),
        ("at", Value::text(tx.now_text())),
    ];
    values.extend(details);
    tx.insert(&schema::DEVICE_MEMBERS, id, values)
}

/// The founding fact of a new clinic, written with its first row by its first device.
pub(crate) fn founding_values(
    device: Uuid,
    signing_key: &[u8; 32],
    at: &str,
) -> Vec<(&'static str, Value)> {
    vec![
        ("device_id", Value::text(device.to_string())),
        ("event", Value::text(FOUND)),
        ("signing_key", Value::Blob(signing_key.to_vec())),
        ("by_device", Value::text(device.to_string())),
        ("by_staff", Value::text(Uuid::nil().to_string())),
        ("at", Value::text(at)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::Change;
    use crate::signing::DeviceSigner;
    use zeroize::Zeroizing;

    fn signer(seed: u8) -> DeviceSigner {
        DeviceSigner::from_secret(&Zeroizing::new([seed; 32]))
    }

    fn changeset(device: Uuid, seq: u64, changes: Vec<Change>) -> Changeset {
        Changeset {
            device,
            seq,
            schema_version: 9,
            hlc: [1; 16],
            author: Some(Uuid::nil()),
            changes,
        }
    }

    fn founding(device: Uuid, key: &[u8; 32]) -> Change {
        Change {
            table: schema::DEVICE_MEMBERS.name.into(),
            row: Uuid::now_v7(),
            op: Op::Insert(
                founding_values(device, key, "2026-12-02T08:00:00Z")
                    .into_iter()
                    .map(|(c, v)| (c.to_string(), v))
                    .collect(),
            ),
        }
    }

    fn judged(
        clinic: Uuid,
        signed: &SignedChangeset,
        record: Option<&MemberRecord>,
        founded: bool,
    ) -> Standing {
        judge(clinic, signed, record, || Ok(founded)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_founder_checks_itself_and_no_one_else_can_found() {
        let founder = signer(1);
        let device = Uuid::from_u128(0xf);
        let clinic = signing::clinic_id_founded_by(&founder.public_key());
        let first = changeset(device, 1, vec![founding(device, &founder.public_key())]);
        let signed = SignedChangeset::sign(first, clinic, &founder);
        assert_eq!(judged(clinic, &signed, None, false), Standing::Member);
        // A founding once the clinic has its founder, or by a key the id was not made
        // from, founds nothing: the device waits like any unknown one.
        assert!(matches!(
            judged(clinic, &signed, None, true),
            Standing::Waiting(_)
        ));
        let impostor = signer(2);
        let theirs = changeset(device, 1, vec![founding(device, &impostor.public_key())]);
        let signed = SignedChangeset::sign(theirs, clinic, &impostor);
        assert!(matches!(
            judged(clinic, &signed, None, false),
            Standing::Waiting(_)
        ));
    }

    #[test]
    fn members_sign_revoked_devices_stop_and_unsigned_changesets_are_refused() {
        let (key, other) = (signer(3), signer(4));
        let clinic = signing::clinic_id_founded_by(&signer(1).public_key());
        let device = Uuid::from_u128(0xd);
        let record = MemberRecord {
            key: key.public_key(),
            revoked_after: None,
        };
        let at = |seq| changeset(device, seq, Vec::new());
        let signed = SignedChangeset::sign(at(5), clinic, &key);
        assert_eq!(
            judged(clinic, &signed, Some(&record), true),
            Standing::Member
        );
        let forged = SignedChangeset::sign(at(5), clinic, &other);
        assert!(matches!(
            judged(clinic, &forged, Some(&record), true),
            Standing::Refused(_)
        ));
        let unsigned = SignedChangeset {
            signature: None,
            ..signed.clone()
        };
        assert!(matches!(
            judged(clinic, &unsigned, Some(&record), true),
            Standing::Refused(_)
        ));
        let revoked = MemberRecord {
            revoked_after: Some(4),
            ..record.clone()
        };
        assert!(matches!(
            judged(clinic, &signed, Some(&revoked), true),
            Standing::Refused(_)
        ));
        let before = SignedChangeset::sign(at(4), clinic, &key);
        assert_eq!(
            judged(clinic, &before, Some(&revoked), true),
            Standing::Member,
            "what it wrote before its revocation still counts"
        );
    }

    #[test]
    fn a_clinic_from_before_signatures_still_syncs_but_checks_known_keys() {
        let legacy = Uuid::now_v7();
        let (key, other) = (signer(3), signer(4));
        let device = Uuid::from_u128(0xd);
        let plain = changeset(device, 2, Vec::new());
        let unsigned = SignedChangeset {
            body: plain.encode(),
            changeset: plain.clone(),
            signature: None,
        };
        assert_eq!(judged(legacy, &unsigned, None, false), Standing::Member);
        let record = MemberRecord {
            key: key.public_key(),
            revoked_after: None,
        };
        let forged = SignedChangeset::sign(plain, legacy, &other);
        assert!(matches!(
            judged(legacy, &forged, Some(&record), false),
            Standing::Refused(_)
        ));
    }

    #[test]
    fn fingerprints_are_short_and_stable() {
        assert_eq!(fingerprint(&[0xab; 32]), "abab-abab-abab-abab");
    }
}
