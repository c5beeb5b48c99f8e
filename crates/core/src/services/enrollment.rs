//! A new device joining its clinic: a store made for it, enrolled at the sync server
//! with a one-time code from a trusted device, then waiting until an admin approves it
//! there. Approval seals the clinic key to this device's public key; the first sync
//! round after it fetches and opens that key, then pulls the clinic's records.
//! Used by `vetdesk enroll` and the app's first-run screen alike.

use std::path::Path;

use time::OffsetDateTime;

use crate::keys::KeyProtection;
use crate::store::Store;
use crate::sync::SyncError;
use crate::sync_http::HttpTransport;
use crate::{DB_FILE_NAME, Error};

/// What a new device enrolls with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// The clinic's sync server, `http://` or `https://`.
    pub server: String,
    /// The one-time code an admin made on a trusted device.
    pub code: String,
    /// What staff call this device ("Front desk 1").
    pub device_name: String,
}

impl Enrollment {
    /// Checks every field before anything is made on disk or sent.
    pub fn validated(&self) -> Result<Self, Error> {
        let server = self.server.trim().trim_end_matches('/').to_string();
        let scheme_ok = server.starts_with("http://") || server.starts_with("https://");
        let host = server.split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if !scheme_ok || host.is_empty() || host.contains(char::is_whitespace) {
            return Err(Error::Invalid {
                field: "server",
                message: "give the sync server's address, e.g. https://sync.example-clinic.org"
                    .into(),
            });
        }
        let code = self.code.trim().to_string();
        if code.is_empty() || code.len() > 64 || code.contains(char::is_whitespace) {
            return Err(Error::Invalid {
                field: "code",
                message: "type the one-time code shown on the trusted device".into(),
            });
        }
        let device_name = crate::validate::text("device_name", &self.device_name, 80, false)?;
        Ok(Self {
            server,
            code,
            device_name,
        })
    }
}

impl Store {
    /// Makes a store in `data_dir` (which must hold none) and enrolls it. On any failure
    /// nothing is left behind — no database, no key — so the next attempt starts clean.
    pub fn enroll(
        data_dir: &Path,
        enrollment: &Enrollment,
        protection: KeyProtection,
        now: OffsetDateTime,
    ) -> Result<Store, SyncError> {
        let enrollment = enrollment.validated()?;
        let mut store = Store::join(data_dir, uuid::Uuid::nil(), "(enrolling)", protection, now)?;
        let enrolled = (|| -> Result<(), SyncError> {
            let public_key = store.device_public_key()?;
            let enrolled = HttpTransport::new(&enrollment.server, None).enroll(
                &enrollment.code,
                store.device_id(),
                public_key,
            )?;
            store.adopt_clinic(enrolled.clinic_id)?;
            store.set_sync_server(&enrollment.server, &enrolled.token)?;
            store.set_device_name(&enrollment.device_name)?;
            Ok(())
        })();
        match enrolled {
            Ok(()) => Ok(store),
            Err(e) => {
                let _ = store.forget_key();
                for file in [
                    DB_FILE_NAME.to_string(),
                    format!("{DB_FILE_NAME}-wal"),
                    format!("{DB_FILE_NAME}-shm"),
                ] {
                    let _ = std::fs::remove_file(data_dir.join(file));
                }
                let _ = std::fs::remove_file(crate::keys::key_file_path(data_dir));
                // The folder too, when nothing else is in it (it was made for this).
                let _ = std::fs::remove_dir(data_dir);
                Err(e)
            }
        }
    }

    /// Before a round on a newly enrolled device: fetch the clinic key sealed to it.
    /// [`SyncError::AwaitingApproval`] until an admin has approved this device.
    pub fn fetch_clinic_key_if_missing(&mut self) -> Result<(), SyncError> {
        if !self.clinic_keys()?.is_empty() {
            return Ok(());
        }
        let (url, token) = self.sync_credentials()?.ok_or(SyncError::NotSetUp)?;
        match HttpTransport::new(&url, Some(token)).sealed_key() {
            Ok(sealed) => Ok(self.accept_sealed_clinic_key(sealed.key_id, &sealed.wrapped_key)?),
            Err(SyncError::Refused(why)) if why.starts_with("403") => {
                Err(SyncError::AwaitingApproval(self.device_id()))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrollment(server: &str, code: &str, name: &str) -> Enrollment {
        Enrollment {
            server: server.into(),
            code: code.into(),
            device_name: name.into(),
        }
    }

    #[test]
    fn fields_are_checked_before_anything_is_made() {
        let ok = enrollment(" https://sync.clinic.org/ ", " AB12CD ", "Front desk 1")
            .validated()
            .expect("valid");
        assert_eq!(ok.server, "https://sync.clinic.org");
        assert_eq!(ok.code, "AB12CD");
        for (bad, field) in [
            (enrollment("sync.clinic.org", "AB", "Desk"), "server"),
            (enrollment("ftp://sync", "AB", "Desk"), "server"),
            (enrollment("http://", "AB", "Desk"), "server"),
            (enrollment("http://a b", "AB", "Desk"), "server"),
            (enrollment("http://sync", "", "Desk"), "code"),
            (enrollment("http://sync", "A B", "Desk"), "code"),
            (enrollment("http://sync", "AB", "  "), "device_name"),
        ] {
            match bad.validated() {
                Err(Error::Invalid { field: got, .. }) => assert_eq!(got, field, "{bad:?}"),
                other => panic!("{bad:?} should be refused on {field}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_failed_enrollment_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("new-device");
        // Nothing listens on port 9 of this machine: the server cannot be reached.
        let result = Store::enroll(
            &data_dir,
            &enrollment("http://127.0.0.1:9", "AB12CD", "Desk"),
            KeyProtection::Passphrase(zeroize::Zeroizing::new("correct horse battery".into())),
            time::macros::datetime!(2026-11-22 09:00 UTC),
        );
        assert!(matches!(result, Err(SyncError::Offline(_))), "{result:?}");
        let left: Vec<_> = std::fs::read_dir(&data_dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name())
                    .collect()
            })
            .unwrap_or_default();
        assert!(left.is_empty(), "left behind: {left:?}");
        assert!(!data_dir.exists(), "the folder made for it is gone too");
    }
}
