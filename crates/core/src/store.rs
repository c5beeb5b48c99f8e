//! The encrypted local store: one SQLCipher database per data directory.
//!
//! A data directory holds `vetdesk.db` (the database, encrypted as a whole file, pages
//! and schema alike) and `vetdesk-key.json` (how its key is protected; see [`crate::keys`]).
//! Opening checks the key against the file before anything else, then applies pending
//! migrations.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::keys::{self, DatabaseKey, KeyKind, KeyProtection, Unlock};
use crate::migrations;
use crate::{Error, Result};

/// File name of the database inside a data directory.
pub const DB_FILE_NAME: &str = "vetdesk.db";

/// Longest clinic name accepted.
const MAX_CLINIC_NAME_CHARS: usize = 200;

/// An open, unlocked store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
    key_kind: KeyKind,
}

/// What the app shows about its store: which clinic, and that it is encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreStatus {
    pub clinic_id: String,
    pub clinic_name: String,
    pub clinic_created_at: String,
    pub device_id: String,
    pub schema_version: i64,
    pub key_kind: KeyKind,
    /// SQLCipher's version, as the open database reports it: proof the file is encrypted.
    pub cipher_version: String,
    pub data_dir: PathBuf,
}

impl Store {
    /// Creates a store for a new clinic in `data_dir` (made if missing).
    pub fn create(
        data_dir: &Path,
        clinic_name: &str,
        protection: KeyProtection,
        now: OffsetDateTime,
    ) -> Result<Self> {
        let clinic_name = validate_clinic_name(clinic_name)?;
        std::fs::create_dir_all(data_dir)?;
        let db_path = data_dir.join(DB_FILE_NAME);
        if db_path.exists() || keys::key_file_path(data_dir).exists() {
            return Err(Error::AlreadyInitialized(data_dir.to_path_buf()));
        }
        let key = keys::create_key(data_dir, &protection)?;
        let created = Self::create_database(&db_path, &key, &clinic_name, now);
        match created {
            Ok(conn) => Ok(Self {
                conn,
                data_dir: data_dir.to_path_buf(),
                key_kind: match protection {
                    KeyProtection::Keyring => KeyKind::Keyring,
                    KeyProtection::Passphrase(_) => KeyKind::Passphrase,
                },
            }),
            Err(e) => {
                // Leave nothing half-made behind: the next `init` must be able to start over.
                let _ = keys::forget_key(data_dir);
                let _ = std::fs::remove_file(keys::key_file_path(data_dir));
                let _ = std::fs::remove_file(&db_path);
                Err(e)
            }
        }
    }

    fn create_database(
        db_path: &Path,
        key: &DatabaseKey,
        clinic_name: &str,
        now: OffsetDateTime,
    ) -> Result<Connection> {
        let mut conn = open_encrypted(db_path, key)?;
        migrations::migrate(&mut conn)?;
        let now = now.format(&Rfc3339).map_err(|e| Error::Invalid {
            field: "now",
            message: e.to_string(),
        })?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO clinic (id, name, created_at) VALUES (?1, ?2, ?3)",
            params![uuid::Uuid::now_v7().to_string(), clinic_name, now],
        )?;
        tx.execute(
            "INSERT INTO local_device (id, created_at) VALUES (?1, ?2)",
            params![uuid::Uuid::now_v7().to_string(), now],
        )?;
        tx.commit()?;
        Ok(conn)
    }

    /// Opens the existing store in `data_dir`.
    pub fn open(data_dir: &Path, unlock: &Unlock) -> Result<Self> {
        let db_path = data_dir.join(DB_FILE_NAME);
        if !db_path.exists() {
            return Err(Error::NotInitialized(data_dir.to_path_buf()));
        }
        let key_kind = keys::key_kind(data_dir)?;
        let key = keys::load_key(data_dir, unlock)?;
        let mut conn = open_encrypted(&db_path, &key)?;
        migrations::migrate(&mut conn)?;
        Ok(Self {
            conn,
            data_dir: data_dir.to_path_buf(),
            key_kind,
        })
    }

    /// Whether `data_dir` holds a store, and which protection its key has.
    pub fn key_kind_of(data_dir: &Path) -> Result<KeyKind> {
        keys::key_kind(data_dir)
    }

    /// The clinic and store facts shown in the app's status bar and by `vetdesk doctor`.
    pub fn status(&self) -> Result<StoreStatus> {
        let (clinic_id, clinic_name, clinic_created_at) = self
            .conn
            .query_row(
                "SELECT id, name, created_at FROM clinic ORDER BY created_at LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| Error::Migration("the store has no clinic row".into()))?;
        let device_id = self
            .conn
            .query_row("SELECT id FROM local_device LIMIT 1", [], |row| row.get(0))?;
        let cipher_version: String = self
            .conn
            .query_row("PRAGMA cipher_version", [], |row| row.get(0))?;
        Ok(StoreStatus {
            clinic_id,
            clinic_name,
            clinic_created_at,
            device_id,
            schema_version: migrations::current_version(&self.conn)?,
            key_kind: self.key_kind,
            cipher_version,
            data_dir: self.data_dir.clone(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Closes the store and removes its key from the OS keyring. Without the key the
    /// database can never be read again: this is how a store is destroyed for good.
    pub fn forget_key(self) -> Result<()> {
        let data_dir = self.data_dir.clone();
        drop(self.conn);
        keys::forget_key(&data_dir)
    }
}

fn validate_clinic_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Invalid {
            field: "clinic name",
            message: "must not be empty".into(),
        });
    }
    if name.chars().count() > MAX_CLINIC_NAME_CHARS {
        return Err(Error::Invalid {
            field: "clinic name",
            message: format!("must be at most {MAX_CLINIC_NAME_CHARS} characters"),
        });
    }
    if name.chars().any(char::is_control) {
        return Err(Error::Invalid {
            field: "clinic name",
            message: "must not contain control characters".into(),
        });
    }
    Ok(name.to_string())
}

/// Opens the SQLCipher database at `path` with `key`, and proves the key is right by
/// reading the schema before returning.
fn open_encrypted(path: &Path, key: &DatabaseKey) -> Result<Connection> {
    let conn = Connection::open(path)?;
    // A wrong key is reported as `Error::WrongKey`; keep SQLCipher from also printing
    // its own "hmac check failed" lines on stderr.
    conn.pragma_update(None, "cipher_log_level", "NONE")?;
    conn.pragma_update(None, "key", key.sqlcipher_pragma_value().as_str())?;
    let check = conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    });
    match check {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => {
            return Err(Error::WrongKey);
        }
        Err(e) => return Err(e.into()),
    }
    let journal: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    debug_assert_eq!(journal.to_ascii_lowercase(), "wal");
    // FULL: a committed transaction survives power loss, not only a process crash.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    const PASSPHRASE: &str = "long enough passphrase";

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    fn passphrase() -> KeyProtection {
        KeyProtection::Passphrase(Zeroizing::new(PASSPHRASE.to_string()))
    }

    #[test]
    fn a_written_clinic_reads_back_after_reopening() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let created = Store::create(dir.path(), "  Riverside Vets  ", passphrase(), now())?;
        let first = created.status()?;
        drop(created);
        let reopened = Store::open(dir.path(), &Unlock::with_passphrase(PASSPHRASE))?;
        let status = reopened.status()?;
        assert_eq!(status.clinic_name, "Riverside Vets");
        assert_eq!(status.clinic_id, first.clinic_id);
        assert_eq!(status.device_id, first.device_id);
        assert_eq!(status.clinic_created_at, "2026-09-21T14:13:20Z");
        assert_eq!(status.schema_version, *migrations::SCHEMA_VERSION);
        assert_eq!(status.key_kind, KeyKind::Passphrase);
        assert!(
            status.cipher_version.starts_with('4'),
            "{}",
            status.cipher_version
        );
        Ok(())
    }

    #[test]
    fn the_database_file_holds_no_plaintext() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let store = Store::create(dir.path(), "Whiskers Unique Clinic", passphrase(), now())?;
        drop(store);
        let mut bytes = std::fs::read(dir.path().join(DB_FILE_NAME))?;
        for extra in ["vetdesk.db-wal", "vetdesk.db-shm"] {
            if let Ok(more) = std::fs::read(dir.path().join(extra)) {
                bytes.extend(more);
            }
        }
        assert!(bytes.len() > 1000, "the database should not be empty");
        for needle in [
            "Whiskers Unique Clinic",
            "CREATE TABLE",
            "clinic",
            "SQLite format",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "found {needle:?} in clear in the database file"
            );
        }
        Ok(())
    }

    #[test]
    fn another_stores_key_is_refused_with_wrong_key() -> Result<()> {
        let a = tempfile::tempdir()?;
        let b = tempfile::tempdir()?;
        drop(Store::create(a.path(), "Clinic A", passphrase(), now())?);
        drop(Store::create(b.path(), "Clinic B", passphrase(), now())?);
        std::fs::copy(keys::key_file_path(b.path()), keys::key_file_path(a.path()))?;
        let err = Store::open(a.path(), &Unlock::with_passphrase(PASSPHRASE));
        assert!(matches!(err, Err(Error::WrongKey)), "{err:?}");
        Ok(())
    }

    #[test]
    fn a_wrong_or_missing_passphrase_is_a_typed_error() -> Result<()> {
        let dir = tempfile::tempdir()?;
        drop(Store::create(dir.path(), "Clinic", passphrase(), now())?);
        let wrong = Store::open(dir.path(), &Unlock::with_passphrase("not the passphrase"));
        assert!(matches!(wrong, Err(Error::WrongPassphrase)), "{wrong:?}");
        let missing = Store::open(dir.path(), &Unlock::default());
        assert!(
            matches!(missing, Err(Error::PassphraseRequired)),
            "{missing:?}"
        );
        Ok(())
    }

    #[test]
    fn a_database_newer_than_this_build_is_refused() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let store = Store::create(dir.path(), "Clinic", passphrase(), now())?;
        store.conn.pragma_update(None, "user_version", 999)?;
        drop(store);
        let err = Store::open(dir.path(), &Unlock::with_passphrase(PASSPHRASE));
        match err {
            Err(Error::DatabaseTooNew { found, supported }) => {
                assert_eq!(found, 999);
                assert_eq!(supported, *migrations::SCHEMA_VERSION);
            }
            other => panic!("expected DatabaseTooNew, got {other:?}"),
        }
        Ok(())
    }

    #[test]
    fn missing_and_existing_stores_are_reported() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let missing = Store::open(dir.path(), &Unlock::default());
        assert!(
            matches!(missing, Err(Error::NotInitialized(_))),
            "{missing:?}"
        );
        drop(Store::create(dir.path(), "Clinic", passphrase(), now())?);
        let again = Store::create(dir.path(), "Clinic", passphrase(), now());
        assert!(
            matches!(again, Err(Error::AlreadyInitialized(_))),
            "{again:?}"
        );
        Ok(())
    }

    #[test]
    fn clinic_names_are_validated() {
        for bad in ["", "   ", "a\u{0}b", &"x".repeat(201)] {
            let err = validate_clinic_name(bad);
            assert!(
                matches!(
                    err,
                    Err(Error::Invalid {
                        field: "clinic name",
                        ..
                    })
                ),
                "{bad:?}: {err:?}"
            );
        }
        assert!(validate_clinic_name("Ветклиника «Айболит»").is_ok());
    }

    /// Needs a running Secret Service: `make test` runs the suite under
    /// `scripts/with-keyring.sh`, which starts a private, unlocked gnome-keyring.
    #[test]
    fn the_key_round_trips_through_the_real_os_keyring() -> Result<()> {
        keys::keyring_probe().map_err(|e| {
            Error::KeyringUnavailable(format!(
                "{e}; run the tests under scripts/with-keyring.sh (make test does)"
            ))
        })?;
        let dir = tempfile::tempdir()?;
        let store = Store::create(dir.path(), "Keyring Clinic", KeyProtection::Keyring, now())?;
        drop(store);
        let key_file = std::fs::read_to_string(keys::key_file_path(dir.path()))?;
        assert!(key_file.contains("\"keyring\""), "{key_file}");
        let reopened = Store::open(dir.path(), &Unlock::default())?;
        assert_eq!(reopened.status()?.clinic_name, "Keyring Clinic");
        assert_eq!(reopened.status()?.key_kind, KeyKind::Keyring);
        reopened.forget_key()?;
        let gone = Store::open(dir.path(), &Unlock::default());
        assert!(
            matches!(gone, Err(Error::KeyMissingFromKeyring)),
            "{gone:?}"
        );
        Ok(())
    }
}
