//! Where a store's database key lives, and how it is unlocked.
//!
//! Every store has a random 256-bit key, made when the store is created. It never
//! touches disk in clear: either it sits in the OS keyring (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows), or, where no keyring can be had
//! (a headless box, CI), it is written to the key file wrapped with XChaCha20-Poly1305
//! under a key derived from a passphrase with Argon2id.
//!
//! The key file (`vetdesk-key.json` in the data directory) always exists and holds no
//! secret in clear: it says which of the two protections applies and, for a
//! passphrase, the KDF parameters, salt, nonce and wrapped key.
//!
//! The device's own secret (its signing key, `crate::device_key`) is kept the same
//! way: in the keyring beside the store key, or, for a passphrase store, inside the
//! encrypted database.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The keyring service name under which every store's key is kept.
pub const KEYRING_SERVICE: &str = "vetdesk";

/// File name of the key file inside a data directory.
pub const KEY_FILE_NAME: &str = "vetdesk-key.json";

/// Shortest passphrase accepted when a store is created.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Associated data bound into the wrapped key, so a blob from another context cannot
/// be passed off as a wrapped store key.
const WRAP_AAD: &[u8] = b"vetdesk store key v1";

/// A store's 256-bit SQLCipher key; wiped from memory when dropped.
pub struct DatabaseKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(..)")
    }
}

impl DatabaseKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn random() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        Self(bytes)
    }

    fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(array)))
    }

    /// The value for `PRAGMA key`: a raw key, so SQLCipher skips its own KDF.
    pub(crate) fn sqlcipher_pragma_value(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.0.as_ref())))
    }

    fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    fn from_hex(text: &str) -> Option<Self> {
        let bytes = Zeroizing::new(hex::decode(text).ok()?);
        Self::from_slice(&bytes)
    }
}

/// How a new store's key is to be protected.
pub enum KeyProtection {
    /// In the OS keyring.
    Keyring,
    /// Wrapped under this passphrase in the key file.
    Passphrase(Zeroizing<String>),
}

impl KeyProtection {
    /// What opens a store made with this protection.
    pub fn unlock(&self) -> Unlock {
        match self {
            Self::Keyring => Unlock::default(),
            Self::Passphrase(passphrase) => Unlock {
                passphrase: Some(passphrase.clone()),
            },
        }
    }
}

impl std::fmt::Debug for KeyProtection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Keyring => "KeyProtection::Keyring",
            Self::Passphrase(_) => "KeyProtection::Passphrase(..)",
        })
    }
}

/// Which protection an existing store uses, as recorded in its key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Keyring,
    Passphrase,
}

/// What a caller offers to open a store: a passphrase, if it has one. A keyring store
/// ignores it; a passphrase store without one fails with [`Error::PassphraseRequired`].
#[derive(Default)]
pub struct Unlock {
    pub passphrase: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Unlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlock")
            .field("passphrase", &self.passphrase.as_ref().map(|_| ".."))
            .finish()
    }
}

impl Unlock {
    pub fn with_passphrase(passphrase: impl Into<String>) -> Self {
        Self {
            passphrase: Some(Zeroizing::new(passphrase.into())),
        }
    }
}

/// Argon2id cost parameters, recorded beside each wrapped key so they can be raised
/// later without breaking existing stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: above OWASP's minimum for Argon2id, about a third of
    /// a second on a 2-core machine.
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

/// The key file's contents. Holds no secret in clear.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum KeyFile {
    Keyring {
        /// The keyring account under service [`KEYRING_SERVICE`]; random per store, so
        /// a data directory can be moved without losing its key.
        account: String,
    },
    Passphrase {
        kdf: KdfParams,
        salt: String,
        nonce: String,
        wrapped_key: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyFileOnDisk {
    format: u32,
    #[serde(flatten)]
    key: KeyFile,
}

pub(crate) fn key_file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE_NAME)
}

/// Which protection the store in `data_dir` uses.
pub fn key_kind(data_dir: &Path) -> Result<KeyKind> {
    Ok(match read_key_file(data_dir)? {
        KeyFile::Keyring { .. } => KeyKind::Keyring,
        KeyFile::Passphrase { .. } => KeyKind::Passphrase,
    })
}

/// Makes a new key, protects it as asked and writes the key file. Returns the key.
pub(crate) fn create_key(data_dir: &Path, protection: &KeyProtection) -> Result<DatabaseKey> {
    let key = DatabaseKey::random();
    let file = match protection {
        KeyProtection::Keyring => {
            let account = format!("store-{}", uuid::Uuid::now_v7());
            keyring_set(&account, &key)?;
            KeyFile::Keyring { account }
        }
        KeyProtection::Passphrase(passphrase) => {
            validate_passphrase(passphrase)?;
            wrap_with_passphrase(&key, passphrase, KdfParams::default())?
        }
    };
    write_key_file(data_dir, &file)?;
    Ok(key)
}

/// Reads the key of the store in `data_dir`.
pub(crate) fn load_key(data_dir: &Path, unlock: &Unlock) -> Result<DatabaseKey> {
    match read_key_file(data_dir)? {
        KeyFile::Keyring { account } => keyring_get(&account),
        file @ KeyFile::Passphrase { .. } => {
            let passphrase = unlock
                .passphrase
                .as_ref()
                .ok_or(Error::PassphraseRequired)?;
            unwrap_with_passphrase(data_dir, &file, passphrase)
        }
    }
}

/// Removes the store's key from the keyring, if it is kept there.
pub(crate) fn forget_key(data_dir: &Path) -> Result<()> {
    if let KeyFile::Keyring { account } = read_key_file(data_dir)? {
        keyring_delete(&account)?;
    }
    Ok(())
}

fn validate_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::Invalid {
            field: "passphrase",
            message: format!("must be at least {MIN_PASSPHRASE_CHARS} characters long"),
        });
    }
    Ok(())
}

fn derive_wrapping_key(
    passphrase: &str,
    salt: &[u8],
    kdf: KdfParams,
) -> Result<Zeroizing<[u8; 32]>> {
    let params =
        Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32)).map_err(|e| {
            Error::Invalid {
                field: "kdf",
                message: e.to_string(),
            }
        })?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| Error::Invalid {
            field: "kdf",
            message: e.to_string(),
        })?;
    Ok(out)
}

fn wrap_with_passphrase(key: &DatabaseKey, passphrase: &str, kdf: KdfParams) -> Result<KeyFile> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut nonce);
    let wrapping_key = derive_wrapping_key(passphrase, &salt, kdf)?;
    let cipher = XChaCha20Poly1305::new(wrapping_key.as_ref().into());
    let wrapped = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: key.0.as_ref(),
                aad: WRAP_AAD,
            },
        )
        .map_err(|_| Error::Invalid {
            field: "passphrase",
            message: "could not wrap the key".into(),
        })?;
    Ok(KeyFile::Passphrase {
        kdf,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        wrapped_key: hex::encode(wrapped),
    })
}

fn unwrap_with_passphrase(
    data_dir: &Path,
    file: &KeyFile,
    passphrase: &str,
) -> Result<DatabaseKey> {
    let KeyFile::Passphrase {
        kdf,
        salt,
        nonce,
        wrapped_key,
    } = file
    else {
        return Err(damaged(data_dir, "not a passphrase key file"));
    };
    let salt = hex::decode(salt).map_err(|_| damaged(data_dir, "salt is not hex"))?;
    let nonce = hex::decode(nonce).map_err(|_| damaged(data_dir, "nonce is not hex"))?;
    let wrapped =
        hex::decode(wrapped_key).map_err(|_| damaged(data_dir, "wrapped key is not hex"))?;
    if nonce.len() != 24 {
        return Err(damaged(data_dir, "nonce must be 24 bytes"));
    }
    let wrapping_key = derive_wrapping_key(passphrase, &salt, *kdf)?;
    let cipher = XChaCha20Poly1305::new(wrapping_key.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &wrapped,
                    aad: WRAP_AAD,
                },
            )
            .map_err(|_| Error::WrongPassphrase)?,
    );
    DatabaseKey::from_slice(&plain).ok_or_else(|| damaged(data_dir, "wrapped key is not 32 bytes"))
}

fn damaged(data_dir: &Path, reason: &str) -> Error {
    Error::KeyFileDamaged {
        path: key_file_path(data_dir),
        reason: reason.into(),
    }
}

fn read_key_file(data_dir: &Path) -> Result<KeyFile> {
    let path = key_file_path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotInitialized(data_dir.to_path_buf()));
        }
        Err(e) => return Err(e.into()),
    };
    let on_disk: KeyFileOnDisk =
        serde_json::from_str(&text).map_err(|e| damaged(data_dir, &e.to_string()))?;
    if on_disk.format != 1 {
        return Err(damaged(
            data_dir,
            &format!("format {} is not supported by this build", on_disk.format),
        ));
    }
    Ok(on_disk.key)
}

/// Writes the key file durably: to a temporary file, fsynced, then renamed into place.
fn write_key_file(data_dir: &Path, file: &KeyFile) -> Result<()> {
    use std::io::Write;
    let on_disk = KeyFileOnDisk {
        format: 1,
        key: file.clone(),
    };
    let json = serde_json::to_vec_pretty(&on_disk).map_err(std::io::Error::other)?;
    let path = key_file_path(data_dir);
    let tmp = path.with_extension("json.tmp");
    let mut out = std::fs::File::create(&tmp)?;
    out.write_all(&json)?;
    out.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(data_dir)?.sync_all()?;
    Ok(())
}

fn keyring_error(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoEntry => Error::KeyMissingFromKeyring,
        // The keyring crate connects to the platform's store once per process; when
        // that failed, every call says only "no default store". Report why it failed.
        keyring::Error::NoDefaultStore => {
            Error::KeyringUnavailable(match keyring::Entry::store_status() {
                Err(why) => format!("no keyring service could be reached: {why}"),
                Ok(()) => "no keyring service could be reached".to_string(),
            })
        }
        other => Error::KeyringUnavailable(other.to_string()),
    }
}

fn keyring_entry(account: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(KEYRING_SERVICE, account).map_err(keyring_error)
}

fn keyring_set(account: &str, key: &DatabaseKey) -> Result<()> {
    keyring_entry(account)?
        .set_password(&key.to_hex())
        .map_err(keyring_error)
}

fn keyring_get(account: &str) -> Result<DatabaseKey> {
    let text = Zeroizing::new(
        keyring_entry(account)?
            .get_password()
            .map_err(keyring_error)?,
    );
    DatabaseKey::from_hex(&text).ok_or_else(|| {
        Error::KeyringUnavailable(format!(
            "the keyring entry {account} does not hold a store key"
        ))
    })
}

fn keyring_delete(account: &str) -> Result<()> {
    match keyring_entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keyring_error(e)),
    }
}

/// Stores another 32-byte secret of this device (its enrollment key) in the keyring.
pub(crate) fn keyring_store_secret(account: &str, secret: &[u8; 32]) -> Result<()> {
    keyring_set(account, &DatabaseKey(Zeroizing::new(*secret)))
}

/// Reads a 32-byte secret stored with [`keyring_store_secret`].
pub(crate) fn keyring_load_secret(account: &str) -> Result<Zeroizing<[u8; 32]>> {
    Ok(keyring_get(account)?.0)
}

/// Checks that the OS keyring can store, return and delete a secret right now.
pub fn keyring_probe() -> Result<()> {
    let account = format!("probe-{}", uuid::Uuid::now_v7());
    let key = DatabaseKey::random();
    keyring_set(&account, &key)?;
    let back = keyring_get(&account);
    keyring_delete(&account)?;
    if back?.0.as_ref() != key.0.as_ref() {
        return Err(Error::KeyringUnavailable(
            "the keyring returned a different secret than was stored".into(),
        ));
    }
    Ok(())
}

/// The keyring account of a device's secret.
pub(crate) fn device_account(device: uuid::Uuid) -> String {
    format!("device-{device}")
}

/// A new device secret, kept where the store keeps such things.
pub(crate) fn new_device_secret(
    conn: &rusqlite::Connection,
    key_kind: KeyKind,
    device: uuid::Uuid,
) -> Result<Zeroizing<[u8; 32]>> {
    let mut secret = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(&mut secret[..]);
    if key_kind == KeyKind::Keyring {
        keyring_store_secret(&device_account(device), &secret)?;
    } else {
        conn.execute(
            "INSERT INTO device_secret (id, secret) VALUES (1, ?1)",
            [secret.as_slice()],
        )?;
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap_kdf() -> KdfParams {
        KdfParams {
            memory_kib: 8 * 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn a_wrapped_key_unwraps_only_with_its_passphrase() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let key = DatabaseKey::random();
        let file = wrap_with_passphrase(&key, "correct horse battery", cheap_kdf())?;
        let back = unwrap_with_passphrase(dir.path(), &file, "correct horse battery")?;
        assert_eq!(back.0.as_ref(), key.0.as_ref());
        let wrong = unwrap_with_passphrase(dir.path(), &file, "correct horse batterY");
        assert!(matches!(wrong, Err(Error::WrongPassphrase)), "{wrong:?}");
        Ok(())
    }

    #[test]
    fn the_key_file_holds_no_key_in_clear() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let key = DatabaseKey::random();
        let file = wrap_with_passphrase(&key, "correct horse battery", cheap_kdf())?;
        write_key_file(dir.path(), &file)?;
        let text = std::fs::read_to_string(key_file_path(dir.path()))?;
        assert!(!text.contains(key.to_hex().as_str()));
        assert!(!text.contains("correct horse battery"));
        assert_eq!(key_kind(dir.path())?, KeyKind::Passphrase);
        Ok(())
    }

    #[test]
    fn short_passphrases_are_refused() {
        let err = validate_passphrase("short");
        assert!(matches!(
            err,
            Err(Error::Invalid {
                field: "passphrase",
                ..
            })
        ));
    }

    #[test]
    fn a_damaged_key_file_is_reported_as_such() -> Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(key_file_path(dir.path()), "{ not json")?;
        let err = key_kind(dir.path());
        assert!(matches!(err, Err(Error::KeyFileDamaged { .. })), "{err:?}");
        Ok(())
    }
}
