//! The encrypted local store: one SQLCipher database per data directory.
//!
//! A data directory holds `vetdesk.db` (the database, encrypted as a whole file, pages
//! and schema alike) and `vetdesk-key.json` (how its key is protected; see [`crate::keys`]).
//! Opening checks the key against the file before anything else, then applies pending
//! migrations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::changes::{Changeset, Value};
use crate::hlc::DEFAULT_MAX_REMOTE_AHEAD_MS;
use crate::keys::{self, DatabaseKey, KeyKind, KeyProtection, Unlock};
use crate::merge::{self, ApplyReport, SkewReport};
use crate::migrations;
use crate::roles::{Actor, Permission, Role, Roles};
use crate::schema;
use crate::signing::SignedChangeset;
use crate::sources::{IdSource, SystemClock, TimeSource};
use crate::write::Tx;
use crate::{Error, Result};

/// File name of the database inside a data directory.
pub const DB_FILE_NAME: &str = "vetdesk.db";

/// Longest clinic name accepted.
const MAX_CLINIC_NAME_CHARS: usize = 200;

/// An open, unlocked store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// Kept so a second connection (the background sync engine's) can be opened
    /// without asking for the passphrase again; SQLCipher holds it in memory anyway.
    key: Arc<DatabaseKey>,
    pub(crate) data_dir: PathBuf,
    key_kind: KeyKind,
    device: uuid::Uuid,
    time: Arc<dyn TimeSource>,
    ids: IdSource,
    max_remote_ahead_ms: u64,
    /// This device's signing key, once read (every write signs its audit event with it,
    /// and merge asks for its public half on every call; reading it from the keyring
    /// each time would be a D-Bus round trip per write).
    pub(crate) signer: std::sync::OnceLock<Arc<crate::signing::DeviceSigner>>,
}

/// What the app shows about its store: which clinic, and that it is encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreStatus {
    pub clinic_id: String,
    pub clinic_name: String,
    pub clinic_created_at: String,
    pub device_id: String,
    /// What staff call this device (given at enrollment), if it was named.
    pub device_name: Option<String>,
    /// The short form of this device's key: what an admin compares before approving it.
    pub device_fingerprint: String,
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
        Self::create_with(data_dir, clinic_name, None, protection, now)
    }

    /// Creates a store on a new device of an existing clinic (`clinic_id`): the
    /// clinic's records arrive by sync.
    pub fn join(
        data_dir: &Path,
        clinic_id: uuid::Uuid,
        clinic_name: &str,
        protection: KeyProtection,
        now: OffsetDateTime,
    ) -> Result<Self> {
        Self::create_with(data_dir, clinic_name, Some(clinic_id), protection, now)
    }

    fn create_with(
        data_dir: &Path,
        clinic_name: &str,
        clinic: Option<uuid::Uuid>,
        protection: KeyProtection,
        now: OffsetDateTime,
    ) -> Result<Self> {
        let clinic_name = validate_clinic_name(clinic_name)?;
        std::fs::create_dir_all(data_dir)?;
        let db_path = data_dir.join(DB_FILE_NAME);
        if db_path.exists() || keys::key_file_path(data_dir).exists() {
            // An enrollment that never finished gives way to the new store; anything
            // else (a clinic's store, one this protection does not open) stays.
            if Self::discard_unfinished_enrollment(data_dir, &protection.unlock()).is_err() {
                return Err(Error::AlreadyInitialized(data_dir.to_path_buf()));
            }
            std::fs::create_dir_all(data_dir)?;
        }
        let key = keys::create_key(data_dir, &protection)?;
        let key_kind = match protection {
            KeyProtection::Keyring => KeyKind::Keyring,
            KeyProtection::Passphrase(_) => KeyKind::Passphrase,
        };
        let created = Self::create_database(&db_path, &key, key_kind, &clinic_name, clinic, now);
        match created {
            Ok(conn) => Self::from_connection(conn, key, data_dir, key_kind),
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
        key_kind: KeyKind,
        clinic_name: &str,
        existing_clinic: Option<uuid::Uuid>,
        now: OffsetDateTime,
    ) -> Result<Connection> {
        let mut conn = open_encrypted(db_path, key)?;
        migrations::migrate(&mut conn)?;
        let now_text = now.format(&Rfc3339).map_err(|e| Error::Invalid {
            field: "now",
            message: e.to_string(),
        })?;
        let device = uuid::Uuid::now_v7();
        conn.execute(
            "INSERT INTO local_device (id, created_at) VALUES (?1, ?2)",
            params![device.to_string(), now_text],
        )?;
        match existing_clinic {
            // Known by id now; its creation (with its clock) arrives by sync.
            Some(clinic) => {
                conn.execute(
                    "INSERT INTO clinic (id, name, created_at) VALUES (?1, ?2, ?3)",
                    params![clinic.to_string(), clinic_name, now_text],
                )?;
                pin_clinic(&conn, clinic)?;
            }
            None => {
                // The founding device's key names the clinic: every device that knows
                // the clinic id can check who founded it (crate::members).
                let secret = keys::new_device_secret(&conn, key_kind, device)?;
                let signer = Arc::new(crate::signing::DeviceSigner::from_secret(&secret));
                let founder = signer.public_key();
                let clinic = crate::signing::clinic_id_founded_by(&founder);
                let mut ids = IdSource::Random;
                let tx = conn.transaction()?;
                let mut w = Tx::begin(tx, &Actor::system(), device, now, &mut ids, signer)?;
                let founding = w.new_id();
                w.insert(
                    &schema::DEVICE_MEMBERS,
                    founding,
                    crate::members::founding_values(device, &founder, &now_text),
                )?;
                w.insert(
                    &schema::CLINIC,
                    clinic,
                    vec![
                        ("name", Value::text(clinic_name)),
                        ("created_at", Value::Text(now_text.clone())),
                    ],
                )?;
                w.audit("clinic.create", "clinic", &clinic.to_string(), clinic_name)?;
                w.commit()?;
                pin_clinic(&conn, clinic)?;
                // The clinic's first data key, made with it: sync seals with it later,
                // and staff PINs are keyed with a secret derived from it from the start.
                first_clinic_key(&conn, &now_text)?;
            }
        }
        Ok(conn)
    }

    fn from_connection(
        conn: Connection,
        key: DatabaseKey,
        data_dir: &Path,
        key_kind: KeyKind,
    ) -> Result<Self> {
        let device: String =
            conn.query_row("SELECT id FROM local_device LIMIT 1", [], |row| row.get(0))?;
        let device = crate::stored::id("device id", &device)?;
        Ok(Self {
            conn,
            key: Arc::new(key),
            data_dir: data_dir.to_path_buf(),
            key_kind,
            device,
            time: Arc::new(SystemClock),
            ids: IdSource::Random,
            max_remote_ahead_ms: DEFAULT_MAX_REMOTE_AHEAD_MS,
            signer: std::sync::OnceLock::new(),
        })
    }

    /// Opens the existing store in `data_dir`.
    /// An enrollment that never finished is not a store to work in
    /// ([`Error::EnrollmentUnfinished`]): enrolling again finishes or replaces it.
    pub fn open(data_dir: &Path, unlock: &Unlock) -> Result<Self> {
        let mut store = Self::open_any(data_dir, unlock)?;
        if store.is_unfinished_enrollment()? {
            return Err(Error::EnrollmentUnfinished(data_dir.to_path_buf()));
        }
        store.key_for_pins_of_an_older_store()?;
        Ok(store)
    }

    /// A counter that moves whenever another connection (the app's, another `vetdesk`
    /// process) commits to this store: SQLite's `PRAGMA data_version`. This
    /// connection's own commits do not move it. The sync engine watches it.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Another connection to the same store, for work on another thread (the
    /// background sync engine): same device, same time source. Writes on either wait
    /// for the other's transaction (each takes the write lock when it begins).
    pub fn another_connection(&self) -> Result<Self> {
        let conn = open_encrypted(&self.data_dir.join(DB_FILE_NAME), &self.key)?;
        Ok(Self {
            conn,
            key: Arc::clone(&self.key),
            data_dir: self.data_dir.clone(),
            key_kind: self.key_kind,
            device: self.device,
            time: Arc::clone(&self.time),
            ids: IdSource::Random,
            max_remote_ahead_ms: self.max_remote_ahead_ms,
            signer: self.signer.clone(),
        })
    }

    /// Whether `data_dir` holds a store, and which protection its key has.
    pub fn key_kind_of(data_dir: &Path) -> Result<KeyKind> {
        keys::key_kind(data_dir)
    }

    /// The clinic and store facts shown in the app's status bar and by `vetdesk doctor`.
    pub fn status(&self) -> Result<StoreStatus> {
        // The pinned clinic, never whichever `clinic` row sorts first: another device
        // cannot move this store to another clinic by sending one.
        let (clinic_id, clinic_name, clinic_created_at) = self
            .conn
            .query_row(
                "SELECT c.id, c.name, c.created_at FROM local_device d
                 JOIN clinic c ON c.id = d.clinic_id LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| Error::DamagedValue {
                what: "clinic row",
                value: "(missing)".into(),
            })?;
        let device_id = self
            .conn
            .query_row("SELECT id FROM local_device LIMIT 1", [], |row| row.get(0))?;
        let cipher_version: String = self
            .conn
            .query_row("PRAGMA cipher_version", [], |row| row.get(0))?;
        let device_name: Option<String> = self
            .conn
            .query_row("SELECT device_name FROM sync_state WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        Ok(StoreStatus {
            clinic_id,
            clinic_name,
            clinic_created_at,
            device_id,
            device_name,
            device_fingerprint: crate::members::fingerprint(&self.device_public_key()?),
            schema_version: migrations::current_version(&self.conn)?,
            key_kind: self.key_kind,
            cipher_version,
            data_dir: self.data_dir.clone(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Sets the clinic this store belongs to, once enrollment has named it (a store made
    /// for enrolling starts with the nil clinic id). Only possible while it holds no
    /// records of any clinic.
    pub fn adopt_clinic(&mut self, clinic: uuid::Uuid) -> Result<()> {
        let tx = self.conn.transaction()?;
        adopt_clinic_in(&tx, clinic)?;
        tx.commit()?;
        Ok(())
    }

    /// The server's answer to this device's enrollment, taken whole in one transaction:
    /// the clinic it joined, where it syncs and its token. Until this commits the
    /// attempt stays resumable (`Store::enroll` sends the same request again).
    pub(crate) fn finish_enrollment(
        &mut self,
        clinic: uuid::Uuid,
        server: &crate::server_address::ServerAddress,
        token: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        adopt_clinic_in(&tx, clinic)?;
        tx.execute(
            "UPDATE sync_state SET server_url = ?1, token = ?2, setup_server_url = NULL, setup_token = NULL
             WHERE id = 1",
            params![server.as_str(), token],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Whether this store is an enrollment that never heard the server's answer (it
    /// still has the nil clinic id a store made for enrolling starts with).
    pub(crate) fn is_unfinished_enrollment(&self) -> Result<bool> {
        Ok(crate::merge::pinned_clinic(&self.conn)?.as_deref()
            == Some(uuid::Uuid::nil().to_string().as_str()))
    }

    /// Opens a store, unfinished enrollment or not (for `Store::enroll` to resume one).
    pub(crate) fn open_any(data_dir: &Path, unlock: &Unlock) -> Result<Self> {
        let db_path = data_dir.join(DB_FILE_NAME);
        if !db_path.exists() {
            return Err(Error::NotInitialized(data_dir.to_path_buf()));
        }
        let key_kind = keys::key_kind(data_dir)?;
        let key = keys::load_key(data_dir, unlock)?;
        let mut conn = open_encrypted(&db_path, &key)?;
        migrations::migrate(&mut conn)?;
        Self::from_connection(conn, key, data_dir, key_kind)
    }

    /// Removes an unfinished enrollment from `data_dir` (its database and its key), so
    /// that a new store or another enrollment can be made there; a store that belongs to
    /// a clinic is never touched ([`Error::AlreadyInitialized`]).
    pub fn discard_unfinished_enrollment(data_dir: &Path, unlock: &Unlock) -> Result<()> {
        let store = Self::open_any(data_dir, unlock)?;
        if !store.is_unfinished_enrollment()? {
            return Err(Error::AlreadyInitialized(data_dir.to_path_buf()));
        }
        store.remove_files()
    }

    /// Forgets this store's key and deletes its files (and `data_dir`, when nothing else
    /// is in it): for a store that never held a clinic's records.
    pub(crate) fn remove_files(self) -> Result<()> {
        let data_dir = self.data_dir.clone();
        self.forget_key()?;
        for file in [
            DB_FILE_NAME.to_string(),
            format!("{DB_FILE_NAME}-wal"),
            format!("{DB_FILE_NAME}-shm"),
        ] {
            match std::fs::remove_file(data_dir.join(file)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        match std::fs::remove_file(keys::key_file_path(&data_dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        let _ = std::fs::remove_dir(&data_dir);
        Ok(())
    }

    /// A store made before clinics got their key at creation, never set up for sync,
    /// has staff and no key: it is its clinic's only device, so it makes the key now
    /// (sync set-up would have); staff PINs are keyed from it. A store that joined a
    /// clinic has no staff until its key arrives.
    fn key_for_pins_of_an_older_store(&mut self) -> Result<()> {
        let needs_key: bool = self
            .conn
            .prepare(
                "SELECT 1 WHERE EXISTS (SELECT 1 FROM staff) AND NOT EXISTS (SELECT 1 FROM clinic_keys)",
            )?
            .exists([])?;
        if needs_key {
            self.ensure_clinic_key()?;
        }
        Ok(())
    }

    /// The clinic this store belongs to, pinned when it was made or enrolled.
    pub fn clinic_id(&self) -> Result<uuid::Uuid> {
        let pinned =
            crate::merge::pinned_clinic(&self.conn)?.ok_or_else(|| Error::DamagedValue {
                what: "clinic id",
                value: "(missing)".into(),
            })?;
        crate::stored::id("clinic id", &pinned)
    }

    /// Where this store's key is kept.
    pub fn key_kind(&self) -> KeyKind {
        self.key_kind
    }

    /// This device's id (also the node of its clock).
    pub fn device_id(&self) -> uuid::Uuid {
        self.device
    }

    /// Replaces the wall clock the store stamps writes with (tests, the demo).
    pub fn set_time_source(&mut self, time: Arc<dyn TimeSource>) {
        self.time = time;
    }

    /// Replaces where new row ids come from (the demo's seeded ids).
    pub fn set_id_source(&mut self, ids: IdSource) {
        self.ids = ids;
    }

    /// How far ahead of our clock a remote changeset may be before it is held.
    pub fn set_max_remote_ahead_ms(&mut self, bound: u64) {
        self.max_remote_ahead_ms = bound;
    }

    pub fn now(&self) -> OffsetDateTime {
        self.time.now()
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub(crate) fn max_remote_ahead_ms(&self) -> u64 {
        self.max_remote_ahead_ms
    }

    /// The raw connection, for tests that tamper with the database on purpose.
    #[doc(hidden)]
    pub fn connection_for_tests(&self) -> &Connection {
        &self.conn
    }

    /// Checks every device's audit hash chain and its signatures.
    pub fn verify_audit(&self) -> Result<crate::audit::Verification> {
        crate::audit::verify(&self.conn, &self.chain_signers()?)
    }

    /// Whose key checks which device's chain: this device's, and the membership log's.
    pub(crate) fn chain_signers(&self) -> Result<crate::chains::Signers> {
        crate::chains::Signers::of(
            &self.conn,
            self.clinic_id()?,
            (self.device, self.device_public_key()?),
        )
    }

    /// Runs `work` as one transaction on behalf of `actor`: the domain rows, their
    /// changes, the audit events and the clock are committed together, or not at all.
    /// A refusal for want of permission is audited (in a transaction of its own, since
    /// the refused one is rolled back).
    pub fn transact<T>(
        &mut self,
        actor: &Actor,
        work: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let now = self.time.now();
        let signer = self.cached_signer()?;
        let outcome = {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut w = Tx::begin(tx, actor, self.device, now, &mut self.ids, signer)?;
            match work(&mut w) {
                Ok(value) => w.commit().map(|()| value),
                Err(e) => Err(e),
            }
        };
        if let Err(Error::Forbidden { action, .. }) = &outcome {
            self.audit_refusal(actor, action)?;
        }
        outcome
    }

    /// `Ok` when `actor` may do `permission`, else the refusal, audited.
    pub(crate) fn require_or_audit(&mut self, actor: &Actor, permission: Permission) -> Result<()> {
        if let Err(e) = actor.require(permission) {
            self.audit_refusal(actor, permission.as_str())?;
            return Err(e);
        }
        Ok(())
    }

    /// Records that `actor` was refused `action`.
    pub(crate) fn audit_refusal(&mut self, actor: &Actor, action: &str) -> Result<()> {
        let now = self.time.now();
        let signer = self.cached_signer()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut w = Tx::begin(tx, actor, self.device, now, &mut self.ids, signer)?;
        w.audit(
            "denied",
            "permission",
            action,
            &format!("roles: {}", actor.roles.to_stored()),
        )?;
        w.commit()
    }

    /// Applies other devices' signed changesets (see [`crate::merge`]): what sync does
    /// with a pulled page, without the server.
    pub fn apply(&mut self, changesets: &[SignedChangeset]) -> Result<ApplyReport> {
        let now = self.time.now();
        let own_key = self.device_public_key()?;
        merge::apply(
            &mut self.conn,
            (self.device, own_key),
            now,
            self.max_remote_ahead_ms,
            changesets,
            None,
        )
    }

    /// This device's changesets after `since_seq`, oldest first, at most `limit`.
    pub fn pending_changesets(&self, since_seq: u64, limit: usize) -> Result<Vec<Changeset>> {
        merge::pending_since(&self.conn, since_seq, limit)
    }

    /// This device's changesets after `since_seq`, signed, as sync sends them.
    pub fn outgoing(&self, since_seq: u64, limit: usize) -> Result<Vec<SignedChangeset>> {
        let clinic = self.clinic_id()?;
        let signer = self.device_signer()?;
        merge::pending_bodies_since(&self.conn, since_seq, limit)?
            .into_iter()
            .map(|body| {
                let changeset = Changeset::decode(&body).map_err(merge::damaged)?;
                Ok(SignedChangeset::sign_encoded(
                    changeset, body, clinic, &signer,
                ))
            })
            .collect()
    }

    /// Signs any changeset with this device's key, whatever it holds: what a device
    /// whose own checks were removed could send (the hostile-device tests use it;
    /// honest code signs only what [`Store::outgoing`] reads from its own log).
    pub fn sign_as_this_device(&self, changeset: Changeset) -> Result<SignedChangeset> {
        let clinic = self.clinic_id()?;
        Ok(SignedChangeset::sign(
            changeset,
            clinic,
            &self.device_signer()?,
        ))
    }

    /// Remote clocks refused for being too far ahead, newest first.
    pub fn clock_skew_reports(&self) -> Result<Vec<SkewReport>> {
        merge::skew_reports(&self.conn)
    }

    /// Changesets held back until our clock catches up with theirs.
    pub fn held_changesets(&self) -> Result<u64> {
        merge::held_count(&self.conn)
    }

    /// This device's last persisted clock.
    pub fn last_hlc(&self) -> Result<crate::hlc::Hlc> {
        Ok(crate::hlc::Hlc::from_bytes(
            crate::write::read_device_state(&self.conn)?.last_hlc,
        ))
    }
}

impl Actor {
    /// The store itself, for what happens before anyone can sign in (creating the clinic).
    pub(crate) fn system() -> Self {
        Actor {
            staff_id: uuid::Uuid::nil(),
            name: "system".into(),
            roles: Roles::new([Role::Admin]),
        }
    }
}

impl Store {
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

/// Prepared statements kept per connection (each a few KiB).
const STATEMENT_CACHE_CAPACITY: usize = 512;

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
    // Every page read from disk is decrypted and authenticated; SQLite's default 2 MiB
    // page cache made merges and searches at 100k clients re-decrypt the same pages.
    // 64 MiB holds the hot part of a large clinic (measured in docs/BENCHMARKS.md).
    conn.pragma_update(None, "cache_size", -64 * 1024)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Merge and the services build one statement per table and column (set), row
    // insert (column list) and clock lookup: a clinic's schema needs a few hundred.
    // rusqlite keeps 16 by default, so a new device's bootstrap spent a fifth of its
    // time preparing the same statements again (docs/BENCHMARKS.md, issue 14).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// Makes the clinic's first data key (id 1) in a store that has none.
pub(crate) fn first_clinic_key(conn: &Connection, now_text: &str) -> Result<()> {
    let key = crate::envelope::DataKey::random(1);
    conn.execute(
        "INSERT OR IGNORE INTO clinic_keys (key_id, key, created_at) VALUES (1, ?1, ?2)",
        params![key.bytes().as_slice(), now_text],
    )?;
    Ok(())
}

/// Pins the store to `clinic` (see [`Store::clinic_id`]).
fn adopt_clinic_in(conn: &Connection, clinic: uuid::Uuid) -> Result<()> {
    let current = crate::merge::pinned_clinic(conn)?.unwrap_or_default();
    if current != uuid::Uuid::nil().to_string() {
        return Err(Error::NotAllowedNow(
            "this store already belongs to a clinic".into(),
        ));
    }
    conn.execute(
        "UPDATE clinic SET id = ?1 WHERE id = ?2",
        params![clinic.to_string(), current],
    )?;
    pin_clinic(conn, clinic)
}

fn pin_clinic(conn: &Connection, clinic: uuid::Uuid) -> Result<()> {
    conn.execute(
        "UPDATE local_device SET clinic_id = ?1",
        [clinic.to_string()],
    )?;
    Ok(())
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
