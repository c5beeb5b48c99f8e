//! Exam-room recordings: consent before recording, a random key per recording kept
//! only on the recording device, and retention — after which the key is destroyed, so
//! the (encrypted) audio is gone for good while the approved note stays.
//!
//! Recording needs the recorded consent of one of the patient's owners
//! (`consent_recording`), or an explicit per-visit override with a reason, audited. The
//! key is made here and handed to the caller (the scribe's `RecordingWriter`
//! encrypts with it as it captures); it lives in the local-only `recording_keys` table,
//! never in the change log, so nothing synced or backed up elsewhere can bring it back.

use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::changes::Value;
use crate::roles::{Actor, Permission};
use crate::schema::RECORDINGS;
use crate::store::Store;
use crate::write::{Tx, rfc3339};
use crate::{Error, Result};

/// How long audio is kept when the clinic has not said otherwise.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;

/// A recording about to start: its id and the key to encrypt it with.
#[derive(Debug)]
pub struct RecordingStart {
    pub id: Uuid,
    pub key: Zeroizing<[u8; 32]>,
    /// Where the encrypted file goes, relative to the data directory.
    pub file: String,
}

/// A recording's metadata, as any device of the clinic sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recording {
    pub id: Uuid,
    pub encounter_id: Uuid,
    pub consent: String,
    pub override_reason: Option<String>,
    pub started_at: String,
    pub duration_ms: Option<i64>,
    pub retain_until: String,
    pub destroyed_at: Option<String>,
    /// The audio is on this device and its key still exists.
    pub playable_here: bool,
}

impl Tx<'_> {
    /// Starts a recording for `encounter` (vets and nurses). Without an owner's
    /// recorded consent, `override_reason` is required (and audited).
    pub fn start_recording(
        &mut self,
        encounter: Uuid,
        override_reason: Option<&str>,
        retention_days: i64,
    ) -> Result<RecordingStart> {
        self.actor().require(Permission::WriteClinical)?;
        self.require_draft(encounter)?;
        let patient = self.patient_of(encounter)?;
        if !(1..=3650).contains(&retention_days) {
            return Err(Error::Invalid {
                field: "retention",
                message: format!("{retention_days} days: between 1 and 3650"),
            });
        }
        let consented: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM patient_owners o JOIN clients c ON c.id = o.client_id
                 WHERE o.patient_id = ?1 AND o.deleted = 0 AND c.deleted = 0 AND c.consent_recording = 1)",
            [&patient],
            |r| r.get(0),
        )?;
        let reason =
            crate::validate::optional_text("override reason", override_reason, 500, false)?;
        let consent = match (consented, &reason) {
            (true, _) => "client",
            (false, Some(_)) => "override",
            (false, None) => {
                return Err(Error::NotAllowedNow(
                    "no owner of this patient has consented to recording: record their consent, or give a reason to record this visit anyway".into(),
                ));
            }
        };
        let id = self.new_id();
        let key: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
        let retain_until = rfc3339(self.now() + time::Duration::days(retention_days));
        let device = self.device().to_string();
        let started_at = self.now_text();
        let by = self.actor().staff_id.to_string();
        self.insert(
            &RECORDINGS,
            id,
            vec![
                ("encounter_id", Value::Text(encounter.to_string())),
                ("patient_id", Value::Text(patient)),
                ("device_id", Value::Text(device)),
                ("consent", Value::text(consent)),
                (
                    "override_reason",
                    Value::opt_text(if consented { None } else { reason.clone() }),
                ),
                ("started_by", Value::Text(by)),
                ("started_at", Value::Text(started_at)),
                ("retain_until", Value::Text(retain_until)),
            ],
        )?;
        self.conn().execute(
            "INSERT INTO recording_keys (recording_id, key) VALUES (?1, ?2)",
            rusqlite::params![id.to_string(), key.as_slice()],
        )?;
        let detail = match (consent, &reason) {
            ("override", Some(reason)) => format!("consent override: {reason}"),
            _ => "client consent".to_string(),
        };
        self.audit(
            "recording.start",
            "encounter",
            &encounter.to_string(),
            &detail,
        )?;
        Ok(RecordingStart {
            id,
            key,
            file: recording_file(id),
        })
    }

    /// Records how long the recording ran.
    pub fn finish_recording(&mut self, id: Uuid, duration_ms: i64) -> Result<()> {
        self.actor().require(Permission::WriteClinical)?;
        if duration_ms < 0 {
            return Err(Error::Invalid {
                field: "duration",
                message: "must not be negative".into(),
            });
        }
        self.update(
            &RECORDINGS,
            id,
            vec![("duration_ms", Value::Int(duration_ms))],
        )?;
        Ok(())
    }

    /// Destroys a recording's audio now (its key; the caller removes the file).
    pub fn destroy_recording(&mut self, id: Uuid) -> Result<()> {
        self.actor().require(Permission::WriteClinical)?;
        self.destroy_key(id)
    }

    fn destroy_key(&mut self, id: Uuid) -> Result<()> {
        // Overwrite the freed page too, not just unlink the row.
        self.conn().pragma_update(None, "secure_delete", true)?;
        self.conn().execute(
            "DELETE FROM recording_keys WHERE recording_id = ?1",
            [id.to_string()],
        )?;
        let now = self.now_text();
        self.update(&RECORDINGS, id, vec![("destroyed_at", Value::Text(now))])?;
        self.audit("recording.destroy", "recording", &id.to_string(), "")?;
        Ok(())
    }

    /// Destroys every recording past its retention on this device; returns their ids
    /// (so the caller removes their files).
    pub fn destroy_expired_recordings(&mut self) -> Result<Vec<Uuid>> {
        let now = rfc3339(self.now());
        let expired: Vec<String> = self
            .conn()
            .prepare(
                "SELECT r.id FROM recordings r JOIN recording_keys k ON k.recording_id = r.id
                 WHERE r.retain_until <= ?1",
            )?
            .query_map([now], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::new();
        for id in expired {
            let id = crate::stored::id("recording id", &id)?;
            self.destroy_key(id)?;
            out.push(id);
        }
        Ok(out)
    }
}

/// Where a recording's encrypted audio lives, relative to the data directory.
pub fn recording_file(id: Uuid) -> String {
    format!("recordings/{id}.vdrec")
}

/// What [`Store::purge_expired_recordings`] did.
#[derive(Debug, Default, PartialEq)]
pub struct Purged {
    /// Recordings whose key was destroyed.
    pub destroyed: Vec<Uuid>,
    /// Files that could not be removed, and why (their key is gone: unreadable).
    pub files_left: Vec<(std::path::PathBuf, String)>,
}

impl Store {
    /// Housekeeping (the app runs it at start, `vetdesk recordings purge` on demand):
    /// destroys the audio of every recording past its retention on this device — its
    /// key in one transaction, audited as the system, then its file. The notes stay.
    pub fn purge_expired_recordings(&mut self) -> Result<Purged> {
        let destroyed = self.transact(&Actor::system(), |tx| tx.destroy_expired_recordings())?;
        let mut files_left = Vec::new();
        for id in &destroyed {
            let file = self.data_dir.join(recording_file(*id));
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => files_left.push((file, e.to_string())),
            }
        }
        Ok(Purged {
            destroyed,
            files_left,
        })
    }
}

impl crate::Rx<'_> {
    /// The key of a recording made on this device, while it exists.
    pub fn recording_key(&self, id: Uuid) -> Result<Option<Zeroizing<[u8; 32]>>> {
        self.require(Permission::ReadClinical)?;
        let key: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "SELECT key FROM recording_keys WHERE recording_id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(key.and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok().map(Zeroizing::new)))
    }

    /// The recordings of an encounter.
    pub fn recordings(&self, encounter: Uuid) -> Result<Vec<Recording>> {
        self.require(Permission::ReadClinical)?;
        let mut stmt = self.conn().prepare(
            "SELECT r.id, r.consent, r.override_reason, r.started_at, r.duration_ms,
                    r.retain_until, r.destroyed_at, k.recording_id IS NOT NULL
             FROM recordings r LEFT JOIN recording_keys k ON k.recording_id = r.id
             WHERE r.encounter_id = ?1 AND r.deleted = 0 ORDER BY r.started_at, r.id",
        )?;
        let rows = stmt
            .query_map([encounter.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, bool>(7)?,
                ))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(
                |(id, consent, reason, started, duration, until, destroyed, key)| {
                    Ok(Recording {
                        id: crate::stored::id("recording id", &id)?,
                        encounter_id: encounter,
                        consent,
                        override_reason: reason,
                        started_at: started,
                        duration_ms: duration,
                        retain_until: until,
                        destroyed_at: destroyed,
                        playable_here: key,
                    })
                },
            )
            .collect()
    }
}
