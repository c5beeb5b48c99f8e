//! A new device joining its clinic: a store made for it, enrolled at the sync server
//! with a one-time invitation code from a trusted device, then waiting until an admin
//! approves it there. The code's secret half never reaches the server: the device's
//! introduction (its name, bound to its key) is sealed under a key derived from it, and
//! so is the approving device's grant of the clinic key, which this device checks before
//! it keeps the key (`crate::enrollment_proof`). The first sync round after approval
//! fetches and checks the grant, then pulls the clinic's records. Used by
//! `vetdesk enroll` and the app's first-run screen alike.

use std::path::Path;

use time::OffsetDateTime;

use crate::enrollment_proof::{self, GrantParties, InvitationCode};
use crate::keys::KeyProtection;
use crate::server_address::{LanHttp, ServerAddress};
use crate::store::Store;
use crate::sync::SyncError;
use crate::sync_http::{HttpTransport, new_device_token};
use crate::{DB_FILE_NAME, Error};

/// What a new device enrolls with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// The clinic's sync server: `https://`, or `http://` to this machine (or to the
    /// clinic's own network when `lan_http` allows it; `crate::server_address`).
    pub server: String,
    pub lan_http: LanHttp,
    /// The one-time code an admin made on a trusted device.
    pub code: String,
    /// What staff call this device ("Front desk 1").
    pub device_name: String,
}

impl Enrollment {
    /// Checks every field before anything is made on disk or sent.
    pub fn validated(&self) -> Result<Self, Error> {
        let server = ServerAddress::parse(&self.server, self.lan_http)?
            .as_str()
            .to_string();
        let code = InvitationCode::parse(&self.code)?.display();
        let device_name = crate::validate::text("device_name", &self.device_name, 80, false)?;
        Ok(Self {
            server,
            lan_http: self.lan_http,
            code,
            device_name,
        })
    }
}

/// Waits between sending a request again after its answer was lost.
const RESEND_AFTER: [std::time::Duration; 2] = [
    std::time::Duration::from_millis(500),
    std::time::Duration::from_millis(1500),
];

/// `request`'s answer, sending it again (twice at most) when the server could not be
/// reached or was busy: for requests the server answers the same when repeated.
fn answered_despite_lost_answers<T>(
    mut request: impl FnMut() -> Result<T, SyncError>,
) -> Result<T, SyncError> {
    let mut waits = RESEND_AFTER.iter();
    loop {
        match request() {
            Err(SyncError::Offline(_) | SyncError::Unavailable(_)) if waits.len() > 0 => {
                if let Some(wait) = waits.next() {
                    std::thread::sleep(*wait);
                }
            }
            answer => return answer,
        }
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
        let server = ServerAddress::parse(&enrollment.server, enrollment.lan_http)?;
        let code = InvitationCode::parse(&enrollment.code).map_err(Error::from)?;
        let invitation_key = code.invitation_key()?;
        let mut store = Store::join(data_dir, uuid::Uuid::nil(), "(enrolling)", protection, now)?;
        let enrolled = (|| -> Result<(), SyncError> {
            let public_key = store.device_public_key()?;
            let introduction = enrollment_proof::seal_introduction(
                &invitation_key,
                store.device_id(),
                &public_key,
                &enrollment.device_name,
            );
            // Made here, so that the same request can be sent again when its answer is
            // lost on the way: the server answers a repeat the same (M10).
            let token = new_device_token();
            let enrolled = answered_despite_lost_answers(|| {
                HttpTransport::new(server.as_str(), None).enroll(
                    code.server_part(),
                    store.device_id(),
                    public_key,
                    introduction.clone(),
                    &token,
                )
            })?;
            store.adopt_clinic(enrolled.clinic_id)?;
            store.set_sync_server(&server, &token)?;
            store.set_device_name(&enrollment.device_name)?;
            store
                .conn()
                .execute(
                    "UPDATE sync_state SET invitation_key = ?1 WHERE id = 1",
                    [invitation_key.as_slice()],
                )
                .map_err(Error::from)?;
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

    /// Before a round on a newly enrolled device: fetch the key grant made for it, check
    /// it, and keep the clinic key it carries. [`SyncError::AwaitingApproval`] until an
    /// admin has approved this device; a grant that does not hold is refused
    /// ([`crate::Error::EnrollmentProof`]) and nothing is kept.
    pub fn fetch_clinic_key_if_missing(&mut self) -> Result<(), SyncError> {
        if !self.clinic_keys()?.is_empty() {
            return Ok(());
        }
        let (url, token) = self.sync_credentials()?.ok_or(SyncError::NotSetUp)?;
        match HttpTransport::new(&url, Some(token)).sealed_key() {
            Ok(sealed) => Ok(self.accept_key_grant(&sealed.wrapped_key)?),
            Err(SyncError::Refused(why)) if why.starts_with("403") => {
                Err(SyncError::AwaitingApproval(self.device_id()))
            }
            Err(e) => Err(e),
        }
    }

    /// Checks a key grant against the invitation key this device enrolled with and keeps
    /// the clinic key it carries; the invitation key is then forgotten.
    pub fn accept_key_grant(&mut self, grant: &[u8]) -> crate::Result<()> {
        let invitation_key: Option<Vec<u8>> = self.conn().query_row(
            "SELECT invitation_key FROM sync_state WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        let invitation_key = invitation_key
            .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
            .map(zeroize::Zeroizing::new)
            .ok_or_else(|| {
                Error::NotAllowedNow(
                    "this device was enrolled without an invitation proof (by an older Vetdesk): enroll it again with a new invitation"
                        .into(),
                )
            })?;
        let accepted = enrollment_proof::open_grant(
            &invitation_key,
            GrantParties {
                clinic_id: self.clinic_id()?,
                device_id: self.device_id(),
                device_key: self.device_public_key()?,
            },
            grant,
        )?;
        self.accept_sealed_clinic_key(accepted.key_id, &accepted.sealed_clinic_key)?;
        self.conn().execute(
            "UPDATE sync_state SET invitation_key = NULL WHERE id = 1",
            [],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrollment(server: &str, code: &str, name: &str) -> Enrollment {
        Enrollment {
            server: server.into(),
            lan_http: LanHttp::Refuse,
            code: code.into(),
            device_name: name.into(),
        }
    }

    #[test]
    fn fields_are_checked_before_anything_is_made() {
        let ok = enrollment(
            " https://sync.clinic.org/ ",
            " ab12c-d34ef gh56j-k78mn ",
            "Front desk 1",
        )
        .validated()
        .expect("valid");
        assert_eq!(ok.server, "https://sync.clinic.org");
        assert_eq!(ok.code, "AB12C-D34EF-GH56J-K78MN");
        for (bad, field) in [
            (enrollment("sync.clinic.org", "AB", "Desk"), "server"),
            (enrollment("ftp://sync", "AB", "Desk"), "server"),
            (enrollment("http://", "AB", "Desk"), "server"),
            (enrollment("http://a b", "AB", "Desk"), "server"),
            (enrollment("https://sync", "", "Desk"), "code"),
            (enrollment("https://sync", "AB12CD34EF", "Desk"), "code"),
            (
                enrollment("https://sync", "AB12CD34EF-GH56JK78MN", "  "),
                "device_name",
            ),
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
            &enrollment("http://127.0.0.1:9", "AB12CD34EF-GH56JK78MN", "Desk"),
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
