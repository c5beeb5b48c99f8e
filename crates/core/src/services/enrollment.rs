//! A new device joining its clinic: a store made for it, enrolled at the sync server
//! with a one-time invitation code from a trusted device, then waiting until an admin
//! approves it there. The code's secret half never reaches the server: the device's
//! introduction (its name, bound to its key) is sealed under a key derived from it, and
//! so is the approving device's grant of the clinic key, which this device checks before
//! it keeps the key (`crate::enrollment_proof`). The first sync round after approval
//! fetches and checks the grant, then pulls the clinic's records. Used by
//! `vetdesk enroll` and the app's first-run screen alike.
//!
//! ## Enrollment the server cannot subvert
//!
//! A new device's key reaches the approving device, and the clinic key reaches the new
//! device, authenticated by a secret the server never sees: the second half of the
//! invitation code, made on the inviting device and carried to the new one by a person.
//! Both stretch the code with Argon2id (64 MiB) into the invitation key; the new device's
//! introduction (its name, bound to its id and key) and the approving device's key grant
//! (the clinic key sealed to the new device, naming clinic, device, key and approver, and
//! signed by the approver) are sealed under it (`crates/core/src/engine/enrollment_proof.rs`,
//! pure). Both screens show the new device's name and key fingerprint, and the admin gives
//! the fingerprint to approve (`approve_device`), so a person compares what no server can
//! choose. What the server sees and can do is in docs/PROTOCOL.md, "Enrollment".

use std::path::Path;

use rusqlite::OptionalExtension;
use time::OffsetDateTime;

use crate::enrollment_proof::{self, GrantParties, InvitationCode};
use crate::keys::KeyProtection;
use crate::server_address::{LanHttp, ServerAddress};
use crate::store::Store;
use crate::sync::SyncError;
use crate::sync_http::new_device_token;
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
    /// The clinic's own certificate authority, for a server whose certificate no
    /// public CA signed (`None`: the web's roots).
    pub trust: Option<crate::server_address::TrustAnchor>,
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
            trust: self.trust.clone(),
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
    /// Makes a store in `data_dir` and enrolls it. The attempt (the device's key, its
    /// token, the server and the invitation) is kept in the store before anything is
    /// sent, so an answer lost on the way, a crash or a kill leaves a request that the
    /// same call sends again, byte for byte, and the server answers the same
    /// (SECURITY-REVIEW.md M10): the device keeps its id and the invitation is not
    /// spent on a device that no longer exists. An unfinished attempt for another
    /// server or code is replaced. When the server could not be reached the attempt is
    /// kept ([`Error::EnrollmentUnfinished`] until it finishes); when it refused,
    /// nothing is left behind.
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
        let (mut store, attempt) = match resumable(data_dir, &protection, &server, &invitation_key)?
        {
            Some(resumed) => resumed,
            None => begin(
                data_dir,
                &enrollment,
                &server,
                &invitation_key,
                protection,
                now,
            )?,
        };
        let enrolled = (|| -> Result<(), SyncError> {
            store.set_server_trust(enrollment.trust.as_ref())?;
            let public_key = store.device_public_key()?;
            let introduction = enrollment_proof::seal_introduction(
                &invitation_key,
                store.device_id(),
                &public_key,
                &attempt.device_name,
            );
            let enrolled = answered_despite_lost_answers(|| {
                store.transport_to(server.as_str(), None)?.enroll(
                    code.server_part(),
                    store.device_id(),
                    public_key,
                    introduction.clone(),
                    &attempt.token,
                )
            })?;
            store.finish_enrollment(enrolled.clinic_id, &server, &attempt.token)?;
            Ok(())
        })();
        match enrolled {
            Ok(()) => Ok(store),
            // The server may have enrolled this device and its answer been lost: the
            // attempt stays, for the same request to be sent again.
            Err(e @ (SyncError::Offline(_) | SyncError::Unavailable(_))) => Err(e),
            Err(e) => {
                let _ = store.remove_files();
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
        match self.stored_transport()?.sealed_key() {
            Ok(sealed) => Ok(self.accept_key_grant(&sealed.wrapped_key)?),
            Err(SyncError::Refused(why))
                if why.is(vetdesk_proto::errors::ServerErrorCode::Forbidden) =>
            {
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
        self.accept_key_bundle(
            accepted.key_id,
            &accepted.sealed_clinic_key,
            Some(accepted.approver_device),
        )?;
        self.conn().execute(
            "UPDATE sync_state SET invitation_key = NULL WHERE id = 1",
            [],
        )?;
        Ok(())
    }
}

/// What `sync_state` holds of an attempt: server, token, invitation key, device name.
type KeptAttempt = (
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    Option<String>,
);

/// An enrollment attempt as kept in the store before it is sent.
struct Attempt {
    token: String,
    device_name: String,
}

/// The unfinished enrollment in `data_dir` for this server and invitation, opened, with
/// the request it sent; `None` when the folder holds no store, or an unfinished one for
/// another server or code (which is then removed). A clinic's store is never touched.
fn resumable(
    data_dir: &Path,
    protection: &KeyProtection,
    server: &ServerAddress,
    invitation_key: &[u8; 32],
) -> Result<Option<(Store, Attempt)>, SyncError> {
    if !data_dir.join(DB_FILE_NAME).exists() {
        return Ok(None);
    }
    let store = Store::open_any(data_dir, &protection.unlock())?;
    if !store.is_unfinished_enrollment()? {
        return Err(Error::AlreadyInitialized(data_dir.to_path_buf()).into());
    }
    let kept: Option<KeptAttempt> = store
        .conn()
        .query_row(
            "SELECT setup_server_url, setup_token, invitation_key, device_name FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(Error::from)?;
    match kept {
        Some((Some(url), Some(token), Some(key), Some(device_name)))
            if url == server.as_str() && key.as_slice() == invitation_key.as_slice() =>
        {
            Ok(Some((store, Attempt { token, device_name })))
        }
        _ => {
            store.remove_files()?;
            Ok(None)
        }
    }
}

/// A new store for enrolling (nil clinic), with the attempt kept in it before anything
/// is sent; on a failure here nothing is left.
fn begin(
    data_dir: &Path,
    enrollment: &Enrollment,
    server: &ServerAddress,
    invitation_key: &[u8; 32],
    protection: KeyProtection,
    now: OffsetDateTime,
) -> Result<(Store, Attempt), SyncError> {
    let store = Store::join(data_dir, uuid::Uuid::nil(), "(enrolling)", protection, now)?;
    let attempt = Attempt {
        token: new_device_token(),
        device_name: enrollment.device_name.clone(),
    };
    let kept = store.conn().execute(
        "UPDATE sync_state SET setup_server_url = ?1, setup_token = ?2, invitation_key = ?3, device_name = ?4
         WHERE id = 1",
        rusqlite::params![
            server.as_str(),
            attempt.token,
            invitation_key.as_slice(),
            attempt.device_name
        ],
    );
    match kept {
        Ok(_) => Ok((store, attempt)),
        Err(e) => {
            let _ = store.remove_files();
            Err(Error::from(e).into())
        }
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
            trust: None,
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
    fn an_enrollment_that_could_not_reach_the_server_is_kept_resumed_or_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("new-device");
        let passphrase =
            || KeyProtection::Passphrase(zeroize::Zeroizing::new("correct horse battery".into()));
        let unlock = passphrase().unlock();
        let now = time::macros::datetime!(2026-11-22 09:00 UTC);
        let device_of = || {
            Store::open_any(&data_dir, &unlock)
                .expect("the attempt is kept")
                .device_id()
        };
        // Nothing listens on port 9 of this machine: the server cannot be reached, so
        // it may or may not have enrolled the device. The attempt stays.
        let unreachable = |code: &str| {
            Store::enroll(
                &data_dir,
                &enrollment("http://127.0.0.1:9", code, "Desk"),
                passphrase(),
                now,
            )
        };
        let result = unreachable("AB12CD34EF-GH56JK78MN");
        assert!(matches!(result, Err(SyncError::Offline(_))), "{result:?}");
        let first = device_of();
        match Store::open(&data_dir, &unlock) {
            Err(Error::EnrollmentUnfinished(_)) => {}
            other => panic!("not a store to work in: {:?}", other.map(|s| s.device_id())),
        }
        // The same server and code again: the same device (the same request).
        assert!(unreachable("AB12CD34EF-GH56JK78MN").is_err());
        assert_eq!(device_of(), first);
        // Another code: a new attempt, a new device.
        assert!(unreachable("ZZ12CD34EF-GH56JK78MN").is_err());
        let second = device_of();
        assert_ne!(second, first);
        // A passphrase that does not open it cannot make a store over it.
        let wrong = Store::create(
            &data_dir,
            "Riverside Vets",
            KeyProtection::Passphrase(zeroize::Zeroizing::new("another passphrase".into())),
            now,
        );
        assert!(
            matches!(wrong, Err(Error::AlreadyInitialized(_))),
            "{:?}",
            wrong.map(|s| s.device_id())
        );
        assert_eq!(device_of(), second);
        // A new clinic made here replaces the unfinished enrollment.
        let clinic = Store::create(&data_dir, "Riverside Vets", passphrase(), now).expect("create");
        assert_ne!(clinic.device_id(), second);
        drop(clinic);
        let kept = Store::open(&data_dir, &unlock).expect("a clinic's store");
        // ... and an enrollment never replaces a clinic's store.
        drop(kept);
        let refused = unreachable("AB12CD34EF-GH56JK78MN");
        assert!(
            matches!(refused, Err(SyncError::Store(Error::AlreadyInitialized(_)))),
            "{refused:?}"
        );
        assert!(Store::open(&data_dir, &unlock).is_ok());
    }
}
